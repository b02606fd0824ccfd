"""Writing the table: exact round-trips, streaming, atomic replace and formula safety."""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import stat
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from luoyang_metrics.errors import UsageError
from luoyang_metrics.model import COLUMNS, Row, row_columns
from luoyang_metrics.writing import TableWriter, neutralize, rows_to_frame, schema, write_table

TEXT_COLUMNS = [c for c in COLUMNS if c not in ("year", "line", "value")]


def make_row(**changes: object) -> Row:
    row = Row(
        year=2020,
        period="Y",
        region="洛阳高新区",
        indicator="gdp",
        indicator_name="地区生产总值",
        value=250.9,
        unit="亿元",
        kind="actual",
        qualifier="eq",
        source="报告/2021 高新区.txt",
        line=17,
        raw="250.9亿元",
        evidence="2020 年，洛阳高新区实现生产总值250.9亿元，同比增长 5.4%，居洛阳市第一",
        rule="gdp.level",
    )
    return dataclasses.replace(row, **changes)


ROWS = [
    make_row(),
    make_row(indicator="gdp_growth", indicator_name="地区生产总值增速", value=5.4, unit="%", raw="5.4%"),
    make_row(year=2021, kind="target", qualifier="ge", value=0.1 + 0.2, raw="0.3亿元以上", line=88),
    make_row(region="全国", value=-2.6, unit="%", raw="下降 2.6%", evidence='含"引号", 逗号\n和换行'),
]


def read_csv_text(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def temp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name)


# --------------------------------------------------------------------------- frames


def test_rows_to_frame_columns_and_dtypes() -> None:
    frame = rows_to_frame(ROWS)
    assert list(frame.columns) == list(COLUMNS)
    assert frame["year"].dtype == "int64"
    assert frame["line"].dtype == "int64"
    assert frame["value"].dtype == "float64"
    for column in TEXT_COLUMNS:
        assert isinstance(frame[column].dtype, pd.StringDtype), column
    assert frame.iloc[3].to_dict() == dataclasses.asdict(ROWS[3])


def test_empty_frame_keeps_columns_and_dtypes() -> None:
    frame = rows_to_frame([])
    assert list(frame.columns) == list(COLUMNS)
    assert len(frame) == 0
    assert frame.dtypes.equals(rows_to_frame(ROWS).dtypes)


# --------------------------------------------------------------------------- CSV


def test_csv_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    write_table(ROWS, path)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf" + ",".join(COLUMNS).encode() + b"\n")
    assert b"\r\n" not in data

    frame = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False)
    assert list(frame.columns) == list(COLUMNS)
    assert frame["year"].dtype == "int64" and frame["line"].dtype == "int64"
    assert frame["value"].dtype == "float64"
    assert frame.to_dict("records") == [dataclasses.asdict(r) for r in ROWS]  # floats exact (0.1+0.2)


def test_csv_quoting_is_standard(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    write_table(ROWS[3:], path)
    header, row = read_csv_text(path)
    assert header == list(COLUMNS)
    assert row[COLUMNS.index("evidence")] == '含"引号", 逗号\n和换行'
    assert '"含""引号"", 逗号\n和换行"' in path.read_text(encoding="utf-8-sig")


def test_carriage_return_inside_a_cell_does_not_split_the_row(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    rows = [make_row(evidence="第一行\r第二行", raw="a\r\nb"), make_row(line=99)]
    write_table(rows, path)
    assert read_csv_text(path)[1:] == [
        [str(v) for v in dataclasses.astuple(r)] for r in rows
    ]
    frame = pd.read_csv(path, encoding="utf-8-sig")
    assert frame["evidence"].tolist() == ["第一行\r第二行", ROWS[0].evidence]
    assert frame["line"].tolist() == [17, 99]


def test_empty_csv_has_header_only(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    write_table([], path)
    assert read_csv_text(path) == [list(COLUMNS)]


def test_formula_injection_is_neutralized_in_csv_but_numbers_stay_numbers(tmp_path: Path) -> None:
    evil = {column: "=HYPERLINK(\"http://x\")" for column in TEXT_COLUMNS}
    evil.update(region="+全国", raw="-2.6%", evidence="@SUM(A1:A9)", source="\tcmd.txt", rule="\rr")
    path = tmp_path / "out.csv"
    write_table([make_row(value=-2.6, **evil)], path)

    header, cells = read_csv_text(path)
    row = dict(zip(header, cells, strict=True))
    for column in TEXT_COLUMNS:
        assert row[column] == "'" + evil[column], column
    assert row["value"] == "-2.6" and row["year"] == "2020" and row["line"] == "17"

    frame = pd.read_csv(path, encoding="utf-8-sig")
    assert frame["value"].tolist() == [-2.6]
    assert frame["value"].dtype == "float64"


def test_parquet_keeps_exact_text(tmp_path: Path) -> None:
    path = tmp_path / "out.parquet"
    write_table([make_row(raw="-2.6%", evidence="=1+1")], path)
    frame = pd.read_parquet(path)
    assert frame.loc[0, "raw"] == "-2.6%" and frame.loc[0, "evidence"] == "=1+1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+86", "'+86"),
        ("-2.6%", "'-2.6%"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("", ""),
        ("洛阳=1", "洛阳=1"),
        ("下降 2.6%", "下降 2.6%"),
        (" =1", " =1"),
    ],
)
def test_neutralize(text: str, expected: str) -> None:
    assert neutralize(text) == expected


# --------------------------------------------------------------------------- Parquet


def test_parquet_round_trip_and_schema(tmp_path: Path) -> None:
    path = tmp_path / "out.parquet"
    write_table(ROWS, path)
    schema = pq.read_schema(path)
    assert schema.names == list(COLUMNS)
    for field in schema:
        numeric = {"year": pa.int64(), "line": pa.int64(), "value": pa.float64()}
        assert field.type == numeric.get(field.name, pa.string()), field.name
    frame = pd.read_parquet(path)
    assert frame.to_dict("records") == [dataclasses.asdict(r) for r in ROWS]


def test_empty_parquet_has_schema(tmp_path: Path) -> None:
    path = tmp_path / "out.parquet"
    write_table([], path)
    meta = pq.ParquetFile(path)
    assert meta.schema_arrow.equals(schema())
    assert meta.metadata.num_rows == 0
    assert list(pd.read_parquet(path).columns) == list(COLUMNS)


def test_frame_input_round_trips(tmp_path: Path) -> None:
    for name in ("out.csv", "out.parquet"):
        path = tmp_path / name
        write_table(rows_to_frame(ROWS), path)
        reader = pd.read_parquet if name.endswith(".parquet") else pd.read_csv
        frame = reader(path) if reader is pd.read_parquet else pd.read_csv(path, encoding="utf-8-sig")
        assert frame.to_dict("records") == [dataclasses.asdict(r) for r in ROWS], name


def test_frame_missing_a_column_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="rule"):
        write_table(rows_to_frame(ROWS).drop(columns=["rule"]), tmp_path / "out.csv")
    assert not list(tmp_path.iterdir())


# --------------------------------------------------------------------------- streaming


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_streaming_batches_keeps_order(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"out{suffix}"
    batches = [[make_row(line=n * 10 + i) for i in range(n + 1)] for n in range(4)]
    with TableWriter(path) as writer:
        for batch in batches:
            writer.write(batch)
        writer.write([])  # an empty batch adds nothing (no empty row group)
    expected = [r.line for batch in batches for r in batch]
    if suffix == ".parquet":
        assert pq.ParquetFile(path).metadata.num_row_groups == len(batches)
        assert pd.read_parquet(path)["line"].tolist() == expected
    else:
        assert pd.read_csv(path, encoding="utf-8-sig")["line"].tolist() == expected


def test_nothing_at_target_until_close(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    writer = TableWriter(path)
    writer.write(ROWS)
    assert not path.exists()
    (tmp_name,) = temp_files(tmp_path)
    assert tmp_name.startswith(f".out.csv.tmp-{os.getpid()}-")
    writer.close()
    assert path.exists() and temp_files(tmp_path) == []
    writer.close()  # idempotent
    with pytest.raises(ValueError, match="closed"):
        writer.write(ROWS)


def test_parent_folders_are_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b c" / "结果.parquet"
    write_table(ROWS, path)
    assert len(pd.read_parquet(path)) == len(ROWS)


def test_format_from_suffix_or_argument(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"\.xlsx"):
        TableWriter(tmp_path / "out.xlsx")
    with pytest.raises(UsageError):
        TableWriter(tmp_path / "out.csv", fmt="json")
    with TableWriter(tmp_path / "OUT.CSV") as writer:
        assert writer.fmt == "csv"
    with TableWriter(tmp_path / "table.data", fmt="parquet") as writer:
        writer.write(ROWS)
    assert len(pd.read_parquet(tmp_path / "table.data")) == len(ROWS)
    # Construction errors leave nothing behind.
    assert temp_files(tmp_path) == []


def test_unwritable_target_folder_is_a_usage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(UsageError, match="cannot write"):
        TableWriter(blocker / "out.csv")
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(UsageError, match="folder"):
        TableWriter(tmp_path / "dir.csv")
    assert temp_files(tmp_path) == []


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_permissions_follow_the_target(tmp_path: Path) -> None:
    new = tmp_path / "new.csv"
    write_table(ROWS, new)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(new.stat().st_mode) == 0o666 & ~umask

    existing = tmp_path / "existing.parquet"
    existing.write_bytes(b"old")
    existing.chmod(0o640)
    write_table(ROWS, existing)
    assert stat.S_IMODE(existing.stat().st_mode) == 0o640


# --------------------------------------------------------------------------- atomicity


class Boom(Exception):
    pass


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
@pytest.mark.parametrize("error", [Boom, KeyboardInterrupt])
def test_failure_inside_with_keeps_previous_file(
    tmp_path: Path, suffix: str, error: type[BaseException]
) -> None:
    path = tmp_path / f"out{suffix}"
    write_table(ROWS[:1], path)
    before = path.read_bytes()

    def batches() -> list[Row]:
        yield ROWS
        yield ROWS
        raise error("interrupted mid-run")

    with pytest.raises(error), TableWriter(path) as writer:
        for batch in batches():
            writer.write(batch)

    assert path.read_bytes() == before
    assert temp_files(tmp_path) == []


def test_bad_row_aborts_like_any_exception(tmp_path: Path) -> None:
    path = tmp_path / "out.parquet"
    write_table(ROWS, path)
    before = path.read_bytes()
    with pytest.raises(ValueError, match="region"), TableWriter(path) as writer:
        writer.write(ROWS)
        writer.write([make_row(region=None)])  # type: ignore[arg-type]
    assert path.read_bytes() == before
    assert temp_files(tmp_path) == []


def test_abort_without_previous_file_leaves_nothing(tmp_path: Path) -> None:
    writer = TableWriter(tmp_path / "out.csv")
    writer.write(ROWS)
    writer.abort()
    writer.abort()  # idempotent
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- whole-batch CSV path


def short_row(line: int, **changes: object) -> Row:
    return make_row(**{"line": line, "source": "s.txt", "evidence": "e", **changes})


def test_row_columns_are_lists_in_column_order() -> None:
    assert row_columns([]) == [[] for _ in COLUMNS]
    assert row_columns(ROWS[:2], ("line", "value", "unit")) == [[17, 17], [250.9, 5.4], ["亿元", "%"]]
    assert row_columns(ROWS)[COLUMNS.index("evidence")] == [r.evidence for r in ROWS]


def _csv_bytes(path: Path, *batches: list[Row]) -> bytes:
    """What the CSV writer writes for these batches, one ``write`` each."""
    with TableWriter(path) as writer:
        for batch in batches:
            writer.write(batch)
    return path.read_bytes()


def test_csv_bytes_of_a_batch_mixing_cr_rows_keep_order(tmp_path: Path) -> None:
    written = _csv_bytes(tmp_path / "out.csv", [
        short_row(1),
        short_row(2, evidence="a\rb"),
        short_row(3, rule="\rr"),
        short_row(4, region="", evidence='x,"y"\nz', value=509.0),
        short_row(5, raw="=1", unit="-", indicator="+g", kind="@k", qualifier="\tq"),
    ], [short_row(6, raw="c\r"), short_row(7)], [])
    plain = "2020,Y,洛阳高新区,gdp,地区生产总值,250.9,亿元,actual,eq,s.txt,{},250.9亿元,e,gdp.level\n"
    quoted = '2020,"Y","洛阳高新区","gdp","地区生产总值",250.9,"亿元","actual","eq","s.txt",{},{},{},{}\n'
    expected = (
        "\ufeff" + ",".join(COLUMNS) + "\n"
        + plain.format(1)
        + quoted.format(2, '"250.9亿元"', '"a\rb"', '"gdp.level"')
        + quoted.format(3, '"250.9亿元"', '"e"', "\"'\rr\"")
        + '2020,Y,,gdp,地区生产总值,509.0,亿元,actual,eq,s.txt,4,250.9亿元,"x,""y""\nz",gdp.level\n'
        + "2020,Y,洛阳高新区,'+g,地区生产总值,250.9,'-,'@k,'\tq,s.txt,5,'=1,e,gdp.level\n"
        + quoted.format(6, '"c\r"', '"e"', '"gdp.level"')
        + plain.format(7)
    )
    assert written == expected.encode()


def test_missing_csv_cell_names_the_first_in_row_order(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    with pytest.raises(ValueError, match="^missing value in column rule$"):
        write_table([make_row(), make_row(rule=None), make_row(year=None)], path)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="^missing value in column value$"):
        write_table([make_row(raw="a\rb"), make_row(value=None)], path)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_csv_cells_of_an_unexpected_type_are_written_as_before(tmp_path: Path) -> None:
    # Not a valid Row, but the per-row path has always printed such cells: kept, not crashed.
    path = tmp_path / "out.csv"
    write_table([short_row(1, region=5, value="=1"), short_row(2)], path)  # type: ignore[arg-type]
    assert read_csv_text(path)[1:] == [
        ["2020", "Y", "5", "gdp", "地区生产总值", "'=1", "亿元", "actual", "eq", "s.txt", "1", "250.9亿元", "e",
         "gdp.level"],
        ["2020", "Y", "洛阳高新区", "gdp", "地区生产总值", "250.9", "亿元", "actual", "eq", "s.txt", "2", "250.9亿元",
         "e", "gdp.level"],
    ]


# --------------------------------------------------------------------------- CSV text built without the csv module


def csv_module_lines(rows: list[Row]) -> str:
    """What the csv module writes for ``rows`` with the TableWriter dialect, row by row: the
    reference the batch path must match byte for byte."""
    out = io.StringIO()
    plain = csv.writer(out, lineterminator="\n")
    quote_text = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    for row in rows:
        cells = [neutralize(v) if isinstance(v, str) else v for v in dataclasses.astuple(row)]
        (quote_text if any(isinstance(c, str) and "\r" in c for c in cells) else plain).writerow(cells)
    return out.getvalue()


def test_csv_bytes_of_a_batch_mixing_plain_and_quoted_rows_keep_order(tmp_path: Path) -> None:
    written = _csv_bytes(tmp_path / "out.csv", [
        short_row(1),
        short_row(2, evidence="增长5.4%, 居全市第一"),
        short_row(3, region="", unit="", evidence=""),
        short_row(4, raw='"250.9"', evidence="a\nb"),
        short_row(5, evidence="x,\r"),
        short_row(6, evidence="=1,2", indicator=" g"),
    ], [short_row(7, rule='r"'), short_row(8)])
    plain = "2020,Y,洛阳高新区,gdp,地区生产总值,250.9,亿元,actual,eq,s.txt,{},250.9亿元,e,gdp.level\n"
    expected = (
        "\ufeff" + ",".join(COLUMNS) + "\n"
        + plain.format(1)
        + '2020,Y,洛阳高新区,gdp,地区生产总值,250.9,亿元,actual,eq,s.txt,2,250.9亿元,"增长5.4%, 居全市第一",gdp.level\n'
        + "2020,Y,,gdp,地区生产总值,250.9,,actual,eq,s.txt,3,250.9亿元,,gdp.level\n"
        + '2020,Y,洛阳高新区,gdp,地区生产总值,250.9,亿元,actual,eq,s.txt,4,"""250.9""","a\nb",gdp.level\n'
        + '2020,"Y","洛阳高新区","gdp","地区生产总值",250.9,"亿元","actual","eq","s.txt",5,"250.9亿元","x,\r",'
        + '"gdp.level"\n'
        + "2020,Y,洛阳高新区, g,地区生产总值,250.9,亿元,actual,eq,s.txt,6,250.9亿元,\"'=1,2\",gdp.level\n"
        + '2020,Y,洛阳高新区,gdp,地区生产总值,250.9,亿元,actual,eq,s.txt,7,250.9亿元,e,"r"""\n'
        + plain.format(8)
    )
    assert written == expected.encode()


FLOATS = [0.1 + 0.2, 509.0, -0.0, 0.0, 1e-05, 1e-07, 0.0001, 1e15, 1e16, 1e22, 123456789012345678.0,
          float("nan"), float("inf"), float("-inf"), 5e-324, 1.7976931348623157e308, -2.6]


def test_csv_numbers_are_written_as_the_csv_module_writes_them(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    rows = [short_row(i, value=v) for i, v in enumerate(FLOATS)]
    rows += [short_row(10**30, year=-1, value=3), short_row(0, year=2**63)]  # ints are printed as str() does
    write_table(rows, path)
    data = path.read_text(encoding="utf-8-sig")
    assert data == ",".join(COLUMNS) + "\n" + csv_module_lines(rows)
    values = [line.split(",")[COLUMNS.index("value")] for line in data.splitlines()[1:len(FLOATS) + 1]]
    assert values == ["0.30000000000000004", "509.0", "-0.0", "0.0", "1e-05", "1e-07", "0.0001", "1000000000000000.0",
                      "1e+16", "1e+22", "1.2345678901234568e+17", "nan", "inf", "-inf", "5e-324",
                      "1.7976931348623157e+308", "-2.6"]


def test_csv_batch_equals_the_csv_module_for_tricky_cells(tmp_path: Path) -> None:
    cells = ["", " ", ",", '"', "\n", "\r", "\r\n", 'a,"b"\nc', "=1", "+1", "-1", "@a", "\ta", "\ra", "'a", " =1",
             "\x00", "\u2028", "洛阳，高新区", "\\"]
    rows = [make_row(**{column: text}) for text in cells for column in TEXT_COLUMNS]
    rows += [make_row(**dict.fromkeys(TEXT_COLUMNS, text)) for text in cells]
    path = tmp_path / "out.csv"
    with TableWriter(path) as writer:
        for start in range(0, len(rows), 97):  # batch edges fall on varied rows
            writer.write(rows[start:start + 97])
    assert path.read_bytes() == ("\ufeff" + ",".join(COLUMNS) + "\n" + csv_module_lines(rows)).encode()


def test_interrupt_while_the_csv_is_opened_leaves_nothing_behind(tmp_path, monkeypatch):
    # Ctrl-C while the text layer of the new file is set up: the interrupt comes through as it
    # is (no "bad file descriptor" in its place) and no temporary file is left
    from luoyang_metrics import writing

    real = writing.io.TextIOWrapper

    def interrupted(raw, *args, **kwargs):
        if kwargs.get("encoding") == "utf-8-sig":
            raise KeyboardInterrupt
        return real(raw, *args, **kwargs)

    monkeypatch.setattr(writing.io, "TextIOWrapper", interrupted)
    with pytest.raises(KeyboardInterrupt):
        writing.TableWriter(tmp_path / "m.csv")
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []
