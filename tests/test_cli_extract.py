"""`luoyang-metrics extract` as a new user runs it."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from luoyang_metrics.model import COLUMNS


def _run(args, cwd):
    env = dict(os.environ, COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "luoyang_metrics", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture()
def reports(tmp_path, root):
    folder = tmp_path / "reports"
    shutil.copytree(root / "seeds", folder)
    return folder


def test_default_outputs_csv_and_parquet(tmp_path, reports):
    res = _run(["extract", str(reports), "--no-progress"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "5 files read, 39 rows" in res.stderr
    with (tmp_path / "data" / "metrics.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 39
    assert tuple(rows[0]) == COLUMNS
    assert (tmp_path / "data" / "metrics.csv").read_bytes()[:3] == b"\xef\xbb\xbf"
    table = pq.read_table(tmp_path / "data" / "metrics.parquet")
    assert table.column_names == list(COLUMNS)
    assert str(table.schema.field("year").type) == "int64"
    assert str(table.schema.field("line").type) == "int64"
    assert str(table.schema.field("value").type) == "double"
    assert table.num_rows == 39
    gdp = [r for r in rows if r["indicator"] == "gdp"]
    assert [(r["year"], r["region"], r["value"], r["raw"], r["line"]) for r in gdp] == [
        ("2020", "洛阳高新区", "250.9", "250.9亿元", "19")]


def test_single_output_and_overrides(tmp_path, reports):
    out = tmp_path / "one.csv"
    res = _run(["extract", str(reports), "-o", str(out), "--year", "2019", "--region", "嵩县", "--no-progress"],
               cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert not (tmp_path / "data").exists()
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    # the report's region is replaced; a sentence that names its own subject keeps it
    assert {r["region"] for r in rows if r["source"].startswith("001")} == {"嵩县"}
    assert {r["region"] for r in rows if r["source"].startswith("003")} == {"洛阳高新区"}
    # figures with their own year keep it; the rest take the given year
    assert {r["year"] for r in rows if r["source"].startswith("001")} == {"2021"}


def test_manifest_gives_year_and_region_per_file(tmp_path, reports):
    (reports / "reports.csv").write_text("file,year,region\n003_c04f0aeedbb1cb59.txt,2020,洛龙区\n",
                                         encoding="utf-8")
    out = tmp_path / "m.csv"
    assert _run(["extract", str(reports), "-o", str(out), "--no-progress"], cwd=tmp_path).returncode == 0
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["source"] == "003_c04f0aeedbb1cb59.txt"]
    assert {(r["region"], r["year"]) for r in rows} == {("洛阳高新区", "2020")}
    # the sentence names its own subject (洛阳高新区); the manifest only replaces the report's default


def test_unreadable_file_is_reported_and_the_rest_extracted(tmp_path, reports):
    (reports / "broken.txt").write_bytes(b"%PDF-1.7\x00\x01binary")
    out = tmp_path / "x.csv"
    res = _run(["extract", str(reports), "-o", str(out), "--no-progress"], cwd=tmp_path)
    assert res.returncode == 1
    assert "broken.txt" in res.stderr and "PDF" in res.stderr
    with out.open(encoding="utf-8-sig", newline="") as f:
        assert len(list(csv.DictReader(f))) == 39


def test_usage_errors_exit_2_with_one_line(tmp_path):
    res = _run(["extract", str(tmp_path / "missing")], cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr.strip().startswith("Error:")
    assert "Traceback" not in res.stderr
    res = _run(["extract", str(tmp_path), "-o", "out.xls"], cwd=tmp_path)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr


def test_help_documents_exit_codes(tmp_path):
    res = _run(["--help"], cwd=tmp_path)
    assert res.returncode == 0
    assert "Exit codes" in res.stdout


def test_xlsx_output_has_long_and_wide_sheets_with_numbers(tmp_path, reports):
    import openpyxl

    book = tmp_path / "m.xlsx"
    res = _run(["extract", str(reports), "-o", str(book), "--no-progress"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == ["long", "wide"]
    long = wb["long"]
    assert [c.value for c in long[1]] == list(COLUMNS)
    assert long.max_row == 40
    assert long.freeze_panes == "A2"
    values = [row[5] for row in long.iter_rows(min_row=2, values_only=True)]
    assert all(isinstance(v, int | float) for v in values)
    assert 250.9 in values
