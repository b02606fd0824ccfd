"""Files for people who compare figures by hand: Excel workbooks, and the atomic replace all outputs share."""

from __future__ import annotations

import contextlib
import math
import os
import re
import secrets
import stat
import unicodedata
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .errors import UsageError

MIN_WIDTH, MAX_WIDTH = 6, 60  # in Excel character units; evidence sentences would otherwise be 300 wide
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def write_xlsx(sheets: Mapping[str, pd.DataFrame], path: str | Path) -> Path:
    """Write one sheet per DataFrame, in the given order, and return the path.

    Each sheet has a bold, frozen header row; numbers are stored as numbers (NaN as an empty cell) and text
    as text (a leading "=" never becomes a formula); column widths fit the content, CJK characters counting
    double. The workbook is written to a temporary file beside ``path`` and moved into place, so a
    reader never sees half a file and a failed run leaves the old one intact.
    """
    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        raise UsageError(f"{target}: an Excel workbook must end in .xlsx")
    if not target.parent.is_dir():
        raise UsageError(f"{target.parent}: no such folder")
    _check_sheet_names(list(sheets))
    wb = Workbook()
    wb.remove(wb.active)
    for name, df in sheets.items():
        _fill_sheet(wb.create_sheet(name), df)
    return replace_atomically(target, wb.save)


def replace_atomically(target: Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` on a new file beside ``target``, then rename it over ``target``.

    A reader never sees half a file and a failed write leaves the old one intact. The file gets the mode
    the old target had, or the usual 0o666 minus umask for a new one (``mkstemp`` would give 0o600).
    """
    if not target.parent.is_dir():
        raise UsageError(f"{target.parent}: no such folder")
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    os.close(fd)
    try:
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))
        write(tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def _check_sheet_names(names: list[str]) -> None:
    if not names:
        raise UsageError("a workbook needs at least one sheet")
    seen: set[str] = set()
    for name in names:
        if not name or len(name) > 31 or _BAD_SHEET_CHARS.search(name):
            raise UsageError(f"bad sheet name {name!r}: 1-31 characters, none of []:*?/\\")
        if name.lower() in seen:  # Excel compares sheet names case-insensitively
            raise UsageError(f"sheet name {name!r} given twice")
        seen.add(name.lower())


def _fill_sheet(ws, df: pd.DataFrame) -> None:
    header = [str(c) for c in df.columns]
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    widths = [_display_width(h) for h in header]
    for r, row in enumerate(df.itertuples(index=False, name=None), start=2):
        for c, value in enumerate(row, start=1):
            value = _cell_value(value)
            cell = ws.cell(row=r, column=c, value=value)
            if isinstance(value, str):
                if value.startswith("="):
                    cell.data_type = "s"  # evidence text, not a formula
                widths[c - 1] = max(widths[c - 1], _display_width(value))
            elif value is not None:
                widths[c - 1] = max(widths[c - 1], len(str(value)))
    for c, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = min(MAX_WIDTH, max(MIN_WIDTH, width + 2))
    ws.freeze_panes = "A2"


def _cell_value(value: object) -> object:
    """Python scalars openpyxl stores natively: numbers stay numbers, missing values become empty cells."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) or math.isinf(value) else float(value)
    # Control characters from a badly decoded report would make openpyxl refuse the whole workbook.
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
