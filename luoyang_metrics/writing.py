"""Last stage: write the indicator table (SPEC "The table") as CSV or Parquet.

Output is atomic: rows stream into a hidden temp file next to the target and
only :meth:`TableWriter.close` renames it into place, so an interrupted or
failed run never leaves a half-written table, and an earlier good table at the
same path survives until the new one is complete. (A process killed with
SIGKILL cannot clean up; it leaves a ``.name.tmp-<pid>-<random>`` file.)

CSV is meant for spreadsheets, so text cells that a spreadsheet would run as a
formula are neutralized (see :func:`neutralize`). Parquet keeps text exactly as
extracted: it is read by programs, which do not evaluate cell formulas.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import os
import secrets
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import SimpleNamespace, TracebackType
from typing import IO, TYPE_CHECKING, Any

from luoyang_metrics.errors import UsageError
from luoyang_metrics.model import COLUMNS, Row, row_columns

if TYPE_CHECKING:  # pandas and pyarrow are imported where used: extraction workers never need them
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

_INT_COLUMNS = frozenset({"year", "line"})
_FLOAT_COLUMNS = frozenset({"value"})
_TEXT_COLUMNS = tuple(c for c in COLUMNS if c not in _INT_COLUMNS | _FLOAT_COLUMNS)

_FORMATS = {".csv": "csv", ".parquet": "parquet"}

# OWASP "CSV injection": spreadsheets treat a cell starting with one of these
# as a formula (tab and CR are stripped by some importers, exposing the next char).
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# The same, for testing a cell's first character by set membership: a string of
# triggers would not do, since ``"" in "=+-"`` is True.
_FORMULA_FIRST_CHARS = frozenset(_FORMULA_TRIGGERS)
# What the numeric columns hold in a well-formed batch; csv prints these as they are.
_NUMBER_TYPES = frozenset({int, float})
# What makes the csv module quote a cell with our dialect under QUOTE_MINIMAL: the delimiter,
# the quote character and the line terminator (no escape character is set). Python 3.11 does
# not count a "\r" outside the line terminator; rows with one are written by the csv module
# itself (see TableWriter). An empty cell is left bare, as csv does in a row of several cells.
_QUOTED_CHARS = (",", '"', "\n")


def _arrow_type(column: str) -> pa.DataType:
    import pyarrow as pa

    if column in _INT_COLUMNS:
        return pa.int64()
    if column in _FLOAT_COLUMNS:
        return pa.float64()
    return pa.string()


@functools.cache
def schema() -> pa.Schema:
    """The Parquet schema. Non-nullable: the SPEC table has no missing values, and saying
    so in the schema lets readers rely on it."""
    import pyarrow as pa

    return pa.schema([pa.field(c, _arrow_type(c), nullable=False) for c in COLUMNS])


def _pandas_dtype(column: str) -> str:
    if column in _INT_COLUMNS:
        return "int64"
    if column in _FLOAT_COLUMNS:
        return "float64"
    return "string"


def neutralize(text: str) -> str:
    """Prefix ``'`` to text a spreadsheet would evaluate as a formula.

    ``=SUM(A1)``, ``+1``, ``-2.6%``, ``@cmd`` and cells starting with tab or CR
    become ``'=SUM(A1)`` ...; Excel and LibreOffice show the apostrophe-prefixed
    cell as plain text. Apply to text cells only: numbers must stay numbers.
    """
    return "'" + text if text.startswith(_FORMULA_TRIGGERS) else text


def rows_to_frame(rows: Iterable[Row]) -> pd.DataFrame:
    """The rows as a DataFrame: exactly ``COLUMNS`` in order, year/line int64,
    value float64, every other column pandas ``string``."""
    import pandas as pd

    rows = list(rows)
    data = {c: pd.array([getattr(r, c) for r in rows], dtype=_pandas_dtype(c)) for c in COLUMNS}
    return pd.DataFrame(data, columns=list(COLUMNS))


def _frame_to_rows(frame: pd.DataFrame) -> list[Row]:
    """Rows from a frame holding at least ``COLUMNS`` (extra columns are dropped)."""
    import pandas as pd

    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"table is missing columns: {', '.join(missing)}")
    frame = frame.loc[:, list(COLUMNS)]
    if frame[[*_INT_COLUMNS, *_FLOAT_COLUMNS]].isna().to_numpy().any():
        raise ValueError("year, line and value must not be missing")
    columns: list[list[Any]] = []
    for c in COLUMNS:
        series = frame[c]
        if c in _INT_COLUMNS:
            columns.append([int(v) for v in series])
        elif c in _FLOAT_COLUMNS:
            columns.append([float(v) for v in series])
        else:
            # Missing text is written as an empty cell rather than "nan"/"<NA>".
            columns.append(["" if pd.isna(v) else str(v) for v in series])
    return [Row(*values) for values in zip(*columns, strict=True)]


class TableWriter:
    """Stream batches of rows into one CSV or Parquet file, atomically.

    Use as a context manager: a clean exit commits (:meth:`close`), any
    exception - including ``KeyboardInterrupt`` - aborts (:meth:`abort`) and
    leaves whatever was at ``path`` before untouched.

    CSV: UTF-8 with BOM, header ``COLUMNS``, ``csv`` module quoting, ``"\\n"``
    line ends, text cells passed through :func:`neutralize`. Parquet: schema
    :data:`SCHEMA` (int64/float64/string), one row group per non-empty
    :meth:`write` call so memory stays bounded by the batch size; text is kept
    exactly (Parquet files are not opened as spreadsheets).
    """

    def __init__(self, path: Path, fmt: str | None = None) -> None:
        self.path = Path(path)
        self.fmt = _resolve_format(self.path, fmt)
        self._file: IO[Any] | None = None
        self._csv: Any = None  # csv.writer objects have no public type
        self._csv_quote_text: Any = None
        self._parquet: pq.ParquetWriter | None = None
        self._tmp = self.path.with_name(f".{self.path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
        if self.path.is_dir():
            # Found now rather than by os.replace after the whole run.
            raise UsageError(f"cannot write {self.path}: it is a folder")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = _create_like(self._tmp, self.path)
        except OSError as exc:
            raise UsageError(f"cannot write {self.path}: {exc.strerror or exc}") from exc
        try:
            if self.fmt == "csv":
                # utf-8-sig writes the BOM Excel needs to read the file as UTF-8;
                # newline="" hands line ends to the csv module untranslated.
                # The binary file owns the descriptor from the first step, so that an interrupt
                # while the text layer is set up (its codec may still be imported) leaves one
                # owner to close it, not a descriptor closed twice.
                self._file = open(fd, "wb")  # noqa: SIM115 - closed in close/abort
                self._file = io.TextIOWrapper(self._file, encoding="utf-8-sig", newline="")
                self._csv = csv.writer(self._file, lineterminator="\n")
                # Python 3.11's csv leaves a lone "\r" unquoted when the line
                # terminator is "\n", and every reader then splits the row there.
                # Rows with a CR in a text cell go through a writer that quotes
                # all text cells (numbers stay bare).
                self._csv_quote_text = csv.writer(
                    self._file, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC
                )
                self._csv.writerow(COLUMNS)
            else:
                self._file = open(fd, "wb")  # noqa: SIM115 - closed in close/abort
                import pyarrow.parquet as pq

                self._parquet = pq.ParquetWriter(self._file, schema())
        except BaseException:
            if self._file is None:
                # closed already if the interrupt came after open() took the descriptor
                with contextlib.suppress(OSError):
                    os.close(fd)
            self.abort()
            raise

    def write(self, rows: Sequence[Row]) -> None:
        """Append one batch (a CSV chunk, or one Parquet row group)."""
        if self._file is None:
            raise ValueError("TableWriter is closed")
        if not rows:
            return
        if self._csv is not None:
            prepared = _csv_fields(row_columns(rows))
            if prepared is None:
                # A cell not of its column's type (None included): the per-row path writes
                # such a batch as it always has, and names the first missing value in row order.
                for row in rows:
                    cells = _csv_cells(row)
                    has_cr = any(isinstance(c, str) and "\r" in c for c in cells)
                    (self._csv_quote_text if has_cr else self._csv).writerow(cells)
            else:
                # One string for the whole batch: the csv module's per-row writerow and
                # per-row text-file write cost more than building the lines here.
                self._file.write(_csv_text(*prepared, rows))
        else:
            assert self._parquet is not None
            table = _arrow_table(rows)
            self._parquet.write_table(table, row_group_size=table.num_rows)

    def close(self) -> None:
        """Commit: finish the file, flush it to disk and rename it onto ``path``."""
        if self._file is None:
            return
        try:
            if self._parquet is not None:
                self._parquet.close()  # writes the footer; leaves our file object open
                self._parquet = None
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None
            os.replace(self._tmp, self.path)
        except BaseException:
            self.abort()
            raise
        _fsync_dir(self.path.parent)

    def abort(self) -> None:
        """Drop the temp file; ``path`` keeps its previous content (if any)."""
        self._csv = self._csv_quote_text = None
        if self._parquet is not None:
            with contextlib.suppress(Exception):
                self._parquet.close()
            self._parquet = None
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._tmp)

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def write_table(rows: Iterable[Row] | pd.DataFrame, path: Path) -> None:
    """Write a whole table in one go (format from the suffix of ``path``)."""
    import pandas as pd

    batch = _frame_to_rows(rows) if isinstance(rows, pd.DataFrame) else list(rows)
    with TableWriter(path) as writer:
        writer.write(batch)


def _resolve_format(path: Path, fmt: str | None) -> str:
    if fmt is None:
        found = _FORMATS.get(path.suffix.lower())
        if found is None:
            shown = path.suffix or "no suffix"
            raise UsageError(f"cannot tell the output format from {shown!r}: use .csv or .parquet")
        return found
    if fmt.lower() not in _FORMATS.values():
        raise UsageError(f"unknown output format {fmt!r}: use csv or parquet")
    return fmt.lower()


def _create_like(tmp: Path, target: Path) -> int:
    """Create ``tmp`` exclusively, with the mode ``target`` has or would get.

    An existing target keeps its mode across the replace; a new one gets the
    usual 0o666 minus umask (which ``mkstemp``'s 0o600 would not give).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        return os.open(tmp, flags, 0o666)
    fd = os.open(tmp, flags, 0o600)
    try:
        os.chmod(fd if os.chmod in os.supports_fd else tmp, mode)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return fd


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable on POSIX; not possible (nor needed) on Windows.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _csv_cells(row: Row) -> list[object]:
    cells: list[object] = []
    for c in COLUMNS:
        value = getattr(row, c)
        if value is None:
            # csv would write an empty cell; Parquet refuses. Fail the same way in both.
            raise ValueError(f"missing value in column {c}")
        cells.append(neutralize(value) if isinstance(value, str) else value)
    return cells


def _neutralize_column(column: list[str]) -> list[str]:
    """:func:`neutralize` over a whole text column, without a function call per cell."""
    return [("'" + text) if text and text[0] in _FORMULA_FIRST_CHARS else text for text in column]


def _quote_column(column: list[str]) -> list[str]:
    """The cells of a text column as QUOTE_MINIMAL writes them: in double quotes, quotes
    doubled, when a cell holds a delimiter, quote or line end; else as they are."""
    # `in` tests of the _QUOTED_CHARS, not a regex: a C-level scan each, no function call per cell.
    return [
        '"' + text.replace('"', '""') + '"' if ("," in text or '"' in text or "\n" in text) else text
        for text in column
    ]


def _csv_fields(columns: list[list[Any]]) -> tuple[list[list[str]], list[int]] | None:
    """The batch's columns as the text of their CSV fields (numbers as ``str`` prints them, text
    neutralized and quoted as the plain csv writer does), and the indices (ascending) of the rows
    having a CR in a text cell; None when some cell is not of its column's type, so the caller
    takes the per-row path, which is the reference behaviour for such cells."""
    fields: list[list[str]] = []
    cr_rows: set[int] = set()
    for name, column in zip(COLUMNS, columns, strict=True):
        if name in _TEXT_COLUMNS:
            try:
                joined = "".join(column)  # raises on a non-str cell, None included
            except TypeError:
                return None
            if "\r" in joined:  # rare: only then look for the rows
                cr_rows.update(i for i, text in enumerate(column) if "\r" in text)
            cells = _neutralize_column(column)
            if any(char in joined for char in _QUOTED_CHARS):  # else no cell needs quotes
                cells = _quote_column(cells)
            fields.append(cells)
        elif set(map(type, column)) <= _NUMBER_TYPES:
            # What csv writes for an int or a float (repr, e.g. "509.0", "1e-05", "nan").
            fields.append(list(map(str, column)))
        else:
            return None
    return fields, sorted(cr_rows)


def _csv_text(fields: list[list[str]], cr_rows: list[int], rows: Sequence[Row]) -> str:
    """The batch as the ``TableWriter`` csv writers write it, rows in order, each ending in
    ``"\n"``: the rows at ``cr_rows`` (ascending) as the QUOTE_NONNUMERIC writer does, the
    others joined from ``fields``."""
    lines = list(map(",".join, zip(*fields, strict=True)))
    if cr_rows:
        cr_cells = (_csv_cells(rows[i]) for i in cr_rows)
        for i, line in zip(cr_rows, _csv_lines(cr_cells, csv.QUOTE_NONNUMERIC), strict=True):
            lines[i] = line.removesuffix("\n")  # the line end comes from the join below
    lines.append("")  # so that the last row ends with "\n" too
    return "\n".join(lines)


def _csv_lines(rows: Iterable[Sequence[Any]], quoting: int) -> list[str]:
    """Each row as the csv module writes it with the ``TableWriter`` dialect and ``quoting``."""
    lines: list[str] = []
    # A writer hands each row to ``write`` in one call, line end included.
    writer = csv.writer(SimpleNamespace(write=lines.append), lineterminator="\n", quoting=quoting)
    writer.writerows(rows)
    return lines


def _arrow_table(rows: Sequence[Row]) -> pa.Table:
    import pyarrow as pa

    table = pa.Table.from_pydict(dict(zip(COLUMNS, row_columns(rows), strict=True)), schema=schema())
    # from_pydict does not enforce nullable=False; an unchecked None would make
    # a file that readers trusting the schema misread.
    nulls = [c for c in COLUMNS if table.column(c).null_count]
    if nulls:
        raise ValueError(f"missing values in column(s): {', '.join(nulls)}")
    return table
