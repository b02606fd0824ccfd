"""Untrusted input never costs data (issue 5): bad files, huge files, interrupted runs,
formula injection and rule files that try to run code.

Most checks run the real command line in-process (typer's CliRunner) with the row
cache off and one worker, so every file is really read and extracted here. The
rule set is loaded once for the session and handed to the CLI when no ``--rules``
is given; the few checks that need ``sys.exit`` codes or signals run
``python -m luoyang_metrics`` in a subprocess.
"""

from __future__ import annotations

import csv
import errno
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from luoyang_metrics import cli, pipeline
from luoyang_metrics.errors import ReadError, RuleError
from luoyang_metrics.model import COLUMNS, Row
from luoyang_metrics.pipeline import FileResult, extract_file
from luoyang_metrics.reading import ReportStream, decode_bytes
from luoyang_metrics.rules import RuleSet, load_rules

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SEED_NAMES = sorted(p.name for p in SEEDS.glob("*.txt"))
SEED_003 = SEEDS / "003_c04f0aeedbb1cb59.txt"
SEED_004 = SEEDS / "004_86b48e2959830386.txt"

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
# A small piece size and threshold make a ~2 MB file take the same streamed path as a 200 MB one.
SMALL_THRESHOLD = 1 << 20
SMALL_PIECE = 200_000
LARGE_NOTE = "a year or region stated in one piece does not carry to the next"
TEXT_COLUMNS = [c for c in COLUMNS if c not in ("year", "value", "line")]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

needs_posix = pytest.mark.skipif(os.name == "nt", reason="POSIX file names, modes and symlinks")


# --------------------------------------------------------------------------- helpers


def zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("report.txt", SEED_003.read_text(encoding="utf-8"))
    return buf.getvalue()


def damaged_utf8() -> bytes:
    """Seed 003 plus a trailing paragraph with one invalid byte: rows unchanged, line 337 damaged."""
    return SEED_003.read_bytes() + "\n附件:".encode() + b"\xff" + "说明\n".encode()


def damaged_gb18030() -> bytes:
    """Seed 004 in GB18030 with two trailing lines each holding an invalid byte (lines 136 and 137)."""
    text = SEED_004.read_text(encoding="utf-8")
    return (text + "\n").encode("gb18030") + b"\xd4\xad\xff\xce\xc4\n\xb8\xbd\xff\xbc\xfe\n"


def big_report(path: Path) -> Path:
    """About 2 MB: seed 003 over and over, as one very long report."""
    text = SEED_003.read_text(encoding="utf-8").rstrip("\n") + "\n\n"
    copies = 2_000_000 // len(text.encode()) + 1
    path.write_text(text * copies, encoding="utf-8")
    return path


def with_source(rows: list[Row], source: str) -> list[Row]:
    return [replace(r, source=source) for r in rows]


def seed_rows(rs: RuleSet, name: str) -> list[Row]:
    return extract_file(SEEDS / name, SEEDS, rs).rows


def failures(output: str) -> set[tuple[str, str]]:
    """(file, reason) pairs of the summary's "files failed" table."""
    return {(m[1], m[2]) for m in re.finditer(r"^│ (.+?) +│ (.+?) +│$", output, re.M) if m[1] != "file"}


def warning_lines(output: str) -> set[str]:
    return {line.removeprefix("warning ") for line in output.splitlines() if line.startswith("warning ")}


def listing(*roots: Path) -> dict[str, tuple[int, int]]:
    """Every path under ``roots`` with its size and mtime (symlinks not followed)."""
    out: dict[str, tuple[int, int]] = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            for name in dirnames + filenames:
                st = os.lstat(os.path.join(dirpath, name))
                out[os.path.join(dirpath, name)] = (st.st_size, st.st_mtime_ns)
    return out


@pytest.fixture
def run_cli(rs: RuleSet, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., Result]:
    """``luoyang-metrics extract ...`` in-process: no cache, one worker, wide summary, rules loaded once."""
    real_load = cli.load_rules
    monkeypatch.setattr(cli, "load_rules", lambda dirs=(), **kw: real_load(dirs, **kw) if dirs else rs)
    home = tmp_path / "home"
    home.mkdir()
    runner = CliRunner(env={"COLUMNS": "400", "HOME": str(home), "XDG_CACHE_HOME": None,
                            "LUOYANG_METRICS_CACHE_DIR": None})

    def run(*args: str | Path, cache: bool = False) -> Result:
        extra = [] if cache else ["--no-cache"]
        return runner.invoke(cli.app, ["extract", *map(str, args), "--workers", "1", *extra])

    return run


def python_m(*args: str | Path, cwd: Path, **kw: object) -> subprocess.Popen[str]:
    env = {**os.environ, "COLUMNS": "400", "LUOYANG_METRICS_CACHE_DIR": str(cwd / "cache")}
    return subprocess.Popen([sys.executable, "-m", "luoyang_metrics", *map(str, args)], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


# --------------------------------------------------------------------------- each bad file


def test_empty_file(tmp_path: Path, rs: RuleSet) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    assert extract_file(tmp_path / "empty.txt", tmp_path, rs) == FileResult("empty.txt", error="empty file")


@pytest.mark.parametrize(("data", "kind"), [(PDF, "PDF"), (zip_bytes(), "ZIP"), (PNG, "PNG")])
def test_binary_file_renamed_txt(tmp_path: Path, rs: RuleSet, data: bytes, kind: str) -> None:
    (tmp_path / "report.txt").write_bytes(data)
    got = extract_file(tmp_path / "report.txt", tmp_path, rs)
    assert got == FileResult("report.txt", error=f"binary file (looks like {kind})")


def test_invalid_bytes_in_utf8_keep_the_rows_and_warn(tmp_path: Path, rs: RuleSet) -> None:
    (tmp_path / "damaged.txt").write_bytes(damaged_utf8())
    got = extract_file(tmp_path / "damaged.txt", tmp_path, rs)
    assert got.error is None
    assert got.warnings == ("1 invalid byte replaced at line 337",)
    assert got.rows == with_source(seed_rows(rs, SEED_003.name), "damaged.txt")


def test_invalid_bytes_in_gb18030_keep_the_rows_and_warn(tmp_path: Path, rs: RuleSet) -> None:
    (tmp_path / "damaged.txt").write_bytes(damaged_gb18030())
    got = extract_file(tmp_path / "damaged.txt", tmp_path, rs)
    assert got.error is None
    assert got.warnings == ("2 invalid bytes replaced at lines 136, 137",)
    assert got.rows == with_source(seed_rows(rs, SEED_004.name), "damaged.txt")


def test_very_large_file_is_streamed_with_true_lines(tmp_path: Path, rs: RuleSet) -> None:
    path = big_report(tmp_path / "big.txt")
    whole = extract_file(path, tmp_path, rs, stream_threshold=1 << 30)
    streamed = extract_file(path, tmp_path, rs, stream_threshold=SMALL_THRESHOLD, piece_chars=SMALL_PIECE)
    size = path.stat().st_size
    assert streamed.error is None
    assert streamed.warnings == (
        f"large file ({size:,} bytes): read in 4 pieces of up to {SMALL_PIECE:,} characters; {LARGE_NOTE}",)
    assert whole.warnings == ()
    # Cut at sentence ends, the pieces give exactly the rows of the whole text, lines included.
    assert len(streamed.rows) == len(whole.rows) == 1086
    assert streamed.rows == whole.rows
    lines = path.read_text(encoding="utf-8").split("\n")
    for row in streamed.rows[::50]:
        assert re.sub(r"\s", "", row.raw) in re.sub(r"\s", "", "".join(lines[row.line - 1 : row.line + 2]))


def test_large_file_year_and_region_come_from_the_first_piece(tmp_path: Path, rs: RuleSet) -> None:
    # Later pieces say nothing of themselves; they must not fall back to year 0 or no region.
    head = "2023年嵩县国民经济和社会发展统计公报\n\n全年全县地区生产总值412.6亿元,比上年增长3.8%。\n"
    filler = "坚持稳中求进工作总基调,持续推动高质量发展。\n" * 20_000
    tail = "全县一般公共预算收入83456万元,比上年增长7.1%。\n"
    path = tmp_path / "big.txt"
    path.write_text(head + filler + tail, encoding="utf-8")
    got = extract_file(path, tmp_path, rs, stream_threshold=SMALL_THRESHOLD, piece_chars=SMALL_PIECE)
    last_line = 3 + 20_000 + 1
    assert [(r.year, r.region, r.indicator, r.value, r.line) for r in got.rows] == [
        (2023, "嵩县", "gdp", 412.6, 3), (2023, "嵩县", "gdp_growth", 3.8, 3),
        (2023, "嵩县", "budget_revenue", 8.3456, last_line), (2023, "嵩县", "budget_revenue_growth", 7.1, last_line)]


def test_unreadable_file(tmp_path: Path, rs: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    # Root reads any file whatever its mode, so the refusal is simulated where the
    # reader opens the file; a non-root run also tries the real thing below.
    path = tmp_path / "locked.txt"
    shutil.copy(SEED_003, path)
    deny_open(monkeypatch, "locked.txt")
    assert extract_file(path, tmp_path, rs) == FileResult("locked.txt", error="permission denied")


@needs_posix
def test_unreadable_file_for_real(tmp_path: Path, rs: RuleSet) -> None:
    # A real mode-000 file: refused for a normal user; root reads any file, so there it is extracted.
    path = tmp_path / "locked.txt"
    shutil.copy(SEED_003, path)
    path.chmod(0)
    try:
        got = extract_file(path, tmp_path, rs)
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            assert got.error is None and len(got.rows) == 6
        else:
            assert got == FileResult("locked.txt", error="permission denied")
    finally:
        path.chmod(0o644)


def deny_open(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Make every os.open of a file called ``name`` fail as a file without read permission would."""
    real_open = os.open

    def fake_open(path: str | os.PathLike[str], flags: int, *args: int, **kw: object) -> int:
        if os.path.basename(os.fspath(path)) == name:
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real_open(path, flags, *args, **kw)

    monkeypatch.setattr(os, "open", fake_open)


@needs_posix
def test_symlink_loops(tmp_path: Path, rs: RuleSet) -> None:
    shutil.copy(SEED_003, tmp_path / "a.txt")
    (tmp_path / "loop").symlink_to(".")
    (tmp_path / "self.txt").symlink_to("self.txt")
    got = [(r.source, r.error, len(r.rows)) for r in pipeline.iter_extract(tmp_path, rs)]
    assert got == [("a.txt", None, 6), ("loop", "symbolic link loop (points back to a parent folder)", 0),
                   ("self.txt", "symbolic link loop", 0)]


ODD_NAMES = ["my report 2023.txt", "洛阳 2023 报告.txt", "#1 Bob's & Co.txt", "-leading dash.txt",
             "sub dir (副本)/--x.txt"]


@needs_posix
def test_names_with_spaces_chinese_and_odd_characters(tmp_path: Path, rs: RuleSet) -> None:
    folder = tmp_path / "报告 #1 & 'odd'"
    for name in ODD_NAMES:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SEED_003, folder / name)
    expected = seed_rows(rs, SEED_003.name)
    got = list(pipeline.iter_extract(folder, rs))
    assert [r.source for r in got] == sorted(ODD_NAMES)
    for res in got:
        assert (res.error, res.rows) == (None, with_source(expected, res.source))


def test_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    proc = python_m("extract", tmp_path / "nope", "-o", tmp_path / "out.csv", cwd=tmp_path)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert err.strip() == f"Error: {tmp_path / 'nope'}: no such folder"
    assert not (tmp_path / "out.csv").exists()


# --------------------------------------------------------------------------- streaming reader


def test_stream_pieces_rebuild_the_text_and_end_at_sentence_ends(tmp_path: Path) -> None:
    path = big_report(tmp_path / "big.txt")
    text = decode_bytes(path.read_bytes()).text
    with ReportStream(path, piece_chars=SMALL_PIECE, block_bytes=65_536) as stream:
        pieces = list(stream)
        assert (stream.encoding, stream.warnings) == ("utf-8", ())
    assert "".join(p.text for p in pieces) == text
    assert [p.first_line for p in pieces] == [
        1 + text.count("\n", 0, sum(len(q.text) for q in pieces[:i])) for i in range(len(pieces))]
    for p in pieces[:-1]:
        assert SMALL_PIECE // 2 <= len(p.text) <= SMALL_PIECE
        assert re.search(r"[。;:!?；：！？][”’\"')）」』】]?[ \t\u3000\xa0*]*\n\Z", p.text), p.text[-20:]


@pytest.mark.parametrize("codec", ["utf-8-sig", "gb18030", "utf-16", "big5"])
def test_stream_decodes_like_the_whole_file(tmp_path: Path, codec: str) -> None:
    text = "洛陽高新區實現生產總值250.9億元，同比增長5.4%。\r\n規模以上工業增加值55億元。\n" * 3000
    data = text.encode(codec)
    path = tmp_path / "r.txt"
    path.write_bytes(data)
    whole = decode_bytes(data)
    # Odd block sizes split characters, CRLF pairs and UTF-16 code units between reads.
    with ReportStream(path, piece_chars=10_000, block_bytes=4_097) as stream:
        assert "".join(p.text for p in stream) == whole.text
        assert stream.encoding == whole.encoding


def test_stream_reads_past_an_ascii_start_to_find_the_encoding(tmp_path: Path) -> None:
    # 300 kB of ASCII tells nothing; the GB18030 text after it decides.
    text = "Table 1. GDP by district, 2023\n" * 10_000 + SEED_004.read_text(encoding="utf-8") * 3
    path = tmp_path / "r.txt"
    path.write_bytes(text.encode("gb18030"))
    with ReportStream(path, piece_chars=100_000, block_bytes=65_536) as stream:
        assert "".join(p.text for p in stream) == text
        assert stream.encoding == "gb18030"
        with pytest.raises(RuntimeError, match="only once"):
            list(stream)


def test_stream_warns_about_damage_like_the_whole_file(tmp_path: Path) -> None:
    data = damaged_utf8() * 20
    path = tmp_path / "r.txt"
    path.write_bytes(data)
    whole = decode_bytes(data)
    with ReportStream(path, piece_chars=50_000, block_bytes=10_000) as stream:
        assert "".join(p.text for p in stream) == whole.text
        assert stream.warnings == whole.warnings == (
            "20 invalid bytes replaced at lines 337, 674, 1011, 1348, 1685, 2022, 2359, 2696, 3033, 3370 "
            "and 10 more",)


@pytest.mark.parametrize(
    ("data", "reason"),
    [("正文。\n".encode() * 50_000 + b"\x00\x01\x02binary", "binary file (contains NUL bytes)"),
     ("正文。\n".encode() * 50_000 + bytes(range(128, 256)) * 2_000, "not utf-8 text: too many invalid bytes"),
     (b"%PDF-1.4\n" + b"x" * 300_000, "binary file (looks like PDF)")],
)
def test_stream_refuses_what_turns_out_not_to_be_text(tmp_path: Path, data: bytes, reason: str) -> None:
    path = tmp_path / "r.txt"
    path.write_bytes(data)
    with pytest.raises(ReadError) as info, ReportStream(path, piece_chars=10_000, block_bytes=65_536) as stream:
        list(stream)
    assert str(info.value).startswith(reason)


def test_streamed_file_that_fails_late_is_one_failure_without_rows(tmp_path: Path, rs: RuleSet) -> None:
    path = big_report(tmp_path / "big.txt")
    with path.open("ab") as f:
        f.write(b"\x00" * 100)
    got = extract_file(path, tmp_path, rs, stream_threshold=SMALL_THRESHOLD, piece_chars=SMALL_PIECE)
    assert got == FileResult("big.txt", error="binary file (contains NUL bytes)")


# --------------------------------------------------------------------------- the judged run


@needs_posix
def test_every_bad_file_mixed_with_the_seeds(tmp_path: Path, rs: RuleSet, run_cli: Callable[..., Result],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    clean = tmp_path / "clean.parquet"
    assert run_cli(SEEDS, "-o", clean).exit_code == 0

    folder = tmp_path / "mixed"
    shutil.copytree(SEEDS, folder)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "scan.txt").write_bytes(PDF)
    (folder / "archive.txt").write_bytes(zip_bytes())
    (folder / "chart.txt").write_bytes(PNG)
    (folder / "damaged-utf8.txt").write_bytes(damaged_utf8())
    (folder / "damaged-gb18030.txt").write_bytes(damaged_gb18030())
    big = big_report(folder / "huge.txt")
    shutil.copy(SEED_003, folder / "locked.txt")
    (folder / "loop").symlink_to(".")
    (folder / "self.txt").symlink_to("self.txt")
    for name in ODD_NAMES:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SEED_003, folder / name)
    deny_open(monkeypatch, "locked.txt")
    monkeypatch.setattr(pipeline, "STREAM_THRESHOLD", SMALL_THRESHOLD)
    monkeypatch.setattr(pipeline, "PIECE_CHARS", SMALL_PIECE)

    out = tmp_path / "out"
    result = run_cli(folder, "-o", out / "m.csv", "-o", out / "m.parquet")

    assert result.exit_code == 1, result.output
    n_files = len(SEED_NAMES) + 10 + len(ODD_NAMES)
    assert result.output.startswith(f"{n_files} files read, ")
    assert failures(result.output) == {
        ("empty.txt", "empty file"),
        ("scan.txt", "binary file (looks like PDF)"),
        ("archive.txt", "binary file (looks like ZIP)"),
        ("chart.txt", "binary file (looks like PNG)"),
        ("locked.txt", "permission denied"),
        ("loop", "symbolic link loop (points back to a parent folder)"),
        ("self.txt", "symbolic link loop"),
    }
    assert warning_lines(result.output) == {
        "damaged-gb18030.txt: 2 invalid bytes replaced at lines 136, 137",
        "damaged-utf8.txt: 1 invalid byte replaced at line 337",
        f"huge.txt: large file ({big.stat().st_size:,} bytes): read in 4 pieces of up to 200,000 characters; "
        + LARGE_NOTE,
    }

    got = pd.read_parquet(out / "m.parquet")
    expected = pd.read_parquet(clean)
    seeds_got = got[got["source"].isin(SEED_NAMES)].reset_index(drop=True)
    pd.testing.assert_frame_equal(seeds_got, expected)
    seed3 = seed_rows(rs, SEED_003.name)
    seed4 = seed_rows(rs, SEED_004.name)
    by_source = {s: g for s, g in got.groupby("source", sort=False)}
    for name in ODD_NAMES:
        assert frame_rows(by_source[name]) == with_source(seed3, name)
    assert frame_rows(by_source["damaged-utf8.txt"]) == with_source(seed3, "damaged-utf8.txt")
    assert frame_rows(by_source["damaged-gb18030.txt"]) == with_source(seed4, "damaged-gb18030.txt")
    assert len(by_source["huge.txt"]) == 1086
    assert set(by_source) == {*SEED_NAMES, *ODD_NAMES, "damaged-utf8.txt", "damaged-gb18030.txt", "huge.txt"}
    assert pd.read_csv(out / "m.csv", encoding="utf-8-sig").shape == got.shape


def frame_rows(frame: pd.DataFrame) -> list[Row]:
    return [Row(*(v.item() if hasattr(v, "item") else v for v in rec))
            for rec in frame.itertuples(index=False, name=None)]


# --------------------------------------------------------------------------- atomic outputs


def temp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name)


def test_interrupted_run_keeps_the_earlier_outputs(tmp_path: Path, run_cli: Callable[..., Result],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    outputs = ["-o", out / "m.csv", "-o", out / "m.parquet"]
    assert run_cli(SEEDS, *outputs).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    calls: list[int] = []
    real_analyse = pipeline.analyse

    def analyse_then_interrupt(*args: object, **kw: object) -> pipeline.Extraction:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_analyse(*args, **kw)

    monkeypatch.setattr(pipeline, "analyse", analyse_then_interrupt)
    result = run_cli(SEEDS, *outputs)

    assert (len(calls), result.exit_code) == (2, 130)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert temp_files(out) == []


@needs_posix
def test_sigint_mid_run_keeps_the_earlier_outputs(tmp_path: Path) -> None:
    # Far more text than can be extracted before the signal arrives (~60 MB), however fast
    # extraction gets: the run must be cut short, not finish first.
    folder = tmp_path / "many"
    seeds = [p.read_text(encoding="utf-8") * 20 for p in sorted(SEEDS.glob("*.txt"))]
    for i in range(60):
        copy = folder / f"copy{i:02}"
        copy.mkdir(parents=True)
        for k, text in enumerate(seeds):
            (copy / f"{k}.txt").write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "m.csv").write_bytes(b"\xef\xbb\xbfyear,period\n2020,Y\n")
    (out / "m.parquet").write_bytes(b"an earlier good output")
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    proc = python_m("extract", folder, "-o", out / "m.csv", "-o", out / "m.parquet", "--no-cache",
                    "--workers", "1", cwd=tmp_path)
    deadline = time.monotonic() + 60
    while not temp_files(out) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert temp_files(out), "the run never started writing"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)

    assert proc.returncode == 130, err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert temp_files(out) == []


# --------------------------------------------------------------------------- formula injection

FORMULA_REPORT = """2023年洛阳市国民经济和社会发展统计公报
=HYPERLINK("http://evil.example/x","全市地区生产总值5000亿元，比上年增长3.8%。")
-地区生产总值412.6亿元，增长3.8%。
+规模以上工业增加值增长-2.6%。
@社会消费品零售总额100亿元，增长5.1%。
\t固定资产投资增长6.9%。
"""


def neutralized(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


@needs_posix
def test_formula_cells_are_neutralized_in_csv_and_exact_in_parquet(tmp_path: Path,
                                                                    run_cli: Callable[..., Result]) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    names = ["formulas.txt", "\ttab.txt", "\rcr.txt", "=cmd.txt"]
    for name in names:
        (folder / name).write_text(FORMULA_REPORT, encoding="utf-8")
    out = tmp_path / "out"
    assert run_cli(folder, "-o", out / "m.csv", "-o", out / "m.parquet").exit_code == 0

    exact = pd.read_parquet(out / "m.parquet")
    one = exact[exact["source"] == "formulas.txt"]
    assert list(zip(one["line"], one["raw"], one["evidence"], one["value"], strict=True)) == [
        (2, "5000亿元", '=HYPERLINK("http://evil.example/x","全市地区生产总值5000亿元，比上年增长3.8%。")', 5000.0),
        (2, "3.8%", '=HYPERLINK("http://evil.example/x","全市地区生产总值5000亿元，比上年增长3.8%。")', 3.8),
        (3, "412.6亿元", "-地区生产总值412.6亿元，增长3.8%。", 412.6),
        (3, "3.8%", "-地区生产总值412.6亿元，增长3.8%。", 3.8),
        (4, "-2.6%", "+规模以上工业增加值增长-2.6%。", -2.6),
        (5, "100亿元", "@社会消费品零售总额100亿元，增长5.1%。", 100.0),
        (5, "5.1%", "@社会消费品零售总额100亿元，增长5.1%。", 5.1),
        (6, "6.9%", "固定资产投资增长6.9%。", 6.9),
    ]
    assert sorted(set(exact["source"])) == sorted(names)

    with (out / "m.csv").open(encoding="utf-8-sig", newline="") as f:
        header, *cells = list(csv.reader(f))
    assert header == list(COLUMNS)
    assert len(cells) == len(exact)
    triggered = set()
    for csv_row, (_, row) in zip(cells, exact.iterrows(), strict=True):
        rec = dict(zip(header, csv_row, strict=True))
        for c in TEXT_COLUMNS:
            assert rec[c] == neutralized(row[c])
            assert not rec[c].startswith(FORMULA_START)
            if row[c].startswith(FORMULA_START):
                triggered.add(row[c][0])
        # Numbers stay bare numbers, negative ones included.
        assert (rec["year"], rec["line"], float(rec["value"])) == (str(row["year"]), str(row["line"]), row["value"])
        assert rec["value"] == repr(float(row["value"]))
    assert triggered == set(FORMULA_START)
    assert "-2.6" in [rec[COLUMNS.index("value")] for rec in cells]


# --------------------------------------------------------------------------- rules are data

EVIL_RULE = """family: evil
description: !!python/object/apply:os.system ["touch {marker}"]
indicators:
  - {{id: evil, name: 恶意, unit: 亿元}}
rules: []
"""


@pytest.mark.parametrize("tag", ["!!python/object/apply:os.system", "!!python/object/new:os.system"])
def test_rule_yaml_with_python_tags_is_refused_and_runs_nothing(tmp_path: Path, tag: str) -> None:
    marker = tmp_path / "pwned"
    rules = tmp_path / "rules"
    rules.mkdir()
    text = EVIL_RULE.format(marker=marker).replace("!!python/object/apply:os.system", tag)
    (rules / "evil.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(RuleError, match=rf"^{re.escape(str(rules / 'evil.yaml'))}: line 2: not valid YAML"):
        load_rules([rules])
    assert not marker.exists()


def test_evil_rule_folder_on_the_command_line_exits_2_and_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "evil.yaml").write_text(EVIL_RULE.format(marker=marker), encoding="utf-8")
    proc = python_m("extract", SEEDS, "--rules", rules, "-o", tmp_path / "out.csv", cwd=tmp_path)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert err.startswith(f"Error: {rules / 'evil.yaml'}: line 2: not valid YAML")
    assert not marker.exists()
    assert not (tmp_path / "out.csv").exists()


USER_RULE = """family: user_tourism
indicators:
  - {id: tourism_revenue_user, name: 旅游总收入, unit: 亿元}
rules:
  - id: tourism_revenue_user
    anchor: '旅游总收入'
    level: tourism_revenue_user
    examples:
      - text: 全年旅游总收入120亿元。
        year: 2023
        rows:
          - {indicator: tourism_revenue_user, value: 120}
"""


def test_rules_anywhere_write_nothing_outside_the_output_path(tmp_path: Path, run_cli: Callable[..., Result],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    user = tmp_path / "user rules"
    user.mkdir()
    (user / "tourism.yaml").write_text(USER_RULE, encoding="utf-8")
    reports = tmp_path / "reports"
    shutil.copytree(SEEDS, reports)
    (reports / "tourism.txt").write_text("2023年嵩县统计公报\n全年旅游总收入120亿元。\n", encoding="utf-8")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    out = tmp_path / "out"
    watched = (tmp_path, ROOT / "rules", ROOT / "seeds")
    before = listing(*watched)

    # The rule folder, the reports, the output's parent and the shipped rules all as rule folders;
    # the row cache on, inside the output folder.
    result = run_cli(reports, "--rules", user, "--rules", reports, "--rules", tmp_path, "--rules", ROOT / "rules",
                     "-o", out / "m.csv", "--cache-dir", out / "cache", cache=True)

    assert result.exit_code == 0, result.output
    after = listing(*watched)
    changed = sorted(p for p in after.keys() | before.keys() if after.get(p) != before.get(p))
    assert changed and all(Path(p).is_relative_to(out) for p in changed), changed
    assert str(out / "m.csv") in changed
    frame = pd.read_csv(out / "m.csv", encoding="utf-8-sig")
    assert frame[frame["source"] == "tourism.txt"]["indicator"].tolist() == ["tourism_revenue_user"]


def test_rule_loading_uses_the_safe_loader_only() -> None:
    # No unsafe yaml.load / eval / exec anywhere in the package.
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "luoyang_metrics").glob("*.py"))
    assert re.findall(r"yaml\.(?:unsafe_)?load\(|yaml\.full_load|\beval\(|\bexec\(|yaml\.Loader\b", sources) == []
