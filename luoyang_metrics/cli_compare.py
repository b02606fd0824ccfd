"""Commands that compare an extracted table: diff, consolidate, check, plot.

Each command parses its options, calls one or two functions of :mod:`compare` / :mod:`excel` /
:mod:`plot`, and renders the result: a rich table on a terminal, CSV when piped, or a file with ``-o``.
Library errors are raised as they are; the main CLI turns them into one ``Error: ...`` line.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table

from .errors import UsageError
from .writing import neutralize

# compare, excel and plot (and through them pandas, numpy, openpyxl, matplotlib) are imported inside the
# functions that use them: these commands are registered on every start of the CLI, and `extract` or
# `--help` should not pay a second to load libraries they never use.
if TYPE_CHECKING:
    import pandas as pd

OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write to FILE.csv (UTF-8 with BOM), FILE.parquet or FILE.xlsx.",
                 dir_okay=False),
]
TABLE_FORMATS = (".csv", ".parquet")

# Colours a status gets on a terminal; anything else is printed plain.
_STATUS_STYLE = {
    "conflict": "bold red", "added": "green", "removed": "yellow", "changed": "cyan",
    "flag": "bold yellow", "missed": "red", "met": "green", "unknown": "dim",
}


_NO_WRAP = {"region", "indicator", "kind", "period", "status", "unit", "qualifier", "source"}


def register(app: typer.Typer) -> None:
    """Add the comparison commands to the main ``luoyang-metrics`` app."""
    app.command("diff")(diff_cmd)
    app.command("consolidate")(consolidate_cmd)
    app.command("check")(check_cmd)
    app.command("plot")(plot_cmd)


# ---------------------------------------------------------------------------------------------- commands


def diff_cmd(
    tables: Annotated[list[Path], typer.Argument(
        metavar="METRICS | OLD NEW", help="One table with --from/--to (years), or two tables (runs).")],
    year_from: Annotated[int | None, typer.Option("--from", help="The earlier year.")] = None,
    year_to: Annotated[int | None, typer.Option("--to", help="The later year.")] = None,
    region: Annotated[str | None, typer.Option(help="Only this region, e.g. 洛阳市.")] = None,
    kind: Annotated[str | None, typer.Option(help="Only actual or target values.")] = None,
    output: OutputOpt = None,
) -> None:
    """Compare two years of one table (consolidated values), or two extraction runs row by row."""
    from . import compare

    if len(tables) == 1:
        if year_from is None or year_to is None:
            raise UsageError("diff METRICS needs --from YEAR and --to YEAR (or two tables: diff OLD NEW)")
        df = compare.load_table(tables[0])
        result = compare.diff_years(df, year_from, year_to, region=region, kind=kind)
        sheets = {"diff": result, "long": compare.consolidate(df), "wide": compare.wide(df)}
        title = f"{year_from} → {year_to}"
    elif len(tables) == 2:
        if any(v is not None for v in (year_from, year_to, region, kind)):
            raise UsageError("--from/--to/--region/--kind compare years of one table, not two runs")
        result = compare.diff_runs(compare.load_table(tables[0]), compare.load_table(tables[1]))
        sheets = {"diff": result}
        title = f"{tables[0]} → {tables[1]}"
    else:
        raise UsageError("diff takes one table (with --from/--to) or two tables (OLD NEW)")
    counts = result["status"].value_counts()
    summary = ", ".join(f"{counts[s]} {s}" for s in counts.index) or "no differences"
    if output is not None:
        _write(sheets, output)
        _note(f"{summary}; wrote {len(result)} rows to {output}")
        return
    if len(tables) == 1:
        # Unchanged rows are kept in files (they are data) but would drown a terminal.
        result = result[result["status"] != "unchanged"]
        columns = ["region", "indicator", "kind", "period", "value_from", "value_to", "unit", "abs_change",
                   "pct_change", "status", "candidates_from", "candidates_to"]
    else:
        columns = ["status", "source", "line", "year", "period", "region", "indicator", "kind", "changed",
                   "value_old", "value_new", "unit_new", "rule_old", "rule_new"]
    _show(result, columns, title=title)
    _note(summary)


def consolidate_cmd(
    metrics: Annotated[Path, typer.Argument(help="A table written by extract (.csv or .parquet).")],
    wide: Annotated[bool, typer.Option("--wide", help="Indicators × years, one block per region.")] = False,
    output: OutputOpt = None,
) -> None:
    """One value per key (year, period, region, indicator, kind); disagreeing mentions kept as a conflict."""
    from . import compare

    df = compare.load_table(metrics)
    long = compare.consolidate(df)
    result = compare.wide(df) if wide else long
    n_conflicts = int(long["conflict"].sum())
    summary = f"{len(long)} keys from {len(df)} rows, {n_conflicts} conflict(s)"
    if output is not None:
        sheets = {"long": long, "wide": result if wide else compare.wide(df)}
        _write(sheets, output, table=result)
        _note(f"{summary}; wrote {len(result)} rows to {output}")
        return
    columns = list(result.columns) if wide else [
        "year", "period", "region", "indicator", "kind", "value", "unit", "qualifier", "candidates",
        "n_sources"]
    _show(result, columns, title="wide" if wide else "consolidated")
    _note(summary)


def check_cmd(
    metrics: Annotated[Path, typer.Argument(help="A table written by extract (.csv or .parquet).")],
    tolerance: Annotated[float, typer.Option(
        help="Largest gap, in percentage points, between implied and reported growth before a flag.")] = 1.0,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write both checks to FILE.xlsx.", dir_okay=False)] = None,
) -> None:
    """Implied vs reported growth, and targets met / missed / unknown."""
    from . import compare
    from .excel import write_xlsx

    growth, targets = compare.check(compare.load_table(metrics), growth_tolerance_pp=tolerance)
    summary = (f"growth: {_counts(growth)}; targets: {_counts(targets)}. "
               f"Note: {compare.CONSTANT_PRICES_NOTE}.")
    if output is not None:
        if output.suffix.lower() != ".xlsx":
            raise UsageError(f"{output}: check writes two tables, so -o must be a .xlsx workbook")
        write_xlsx({"growth": growth, "targets": targets}, output)
        _note(f"{summary}\nwrote {output}")
        return
    _show(growth, ["year", "period", "region", "indicator", "level_prev", "level", "implied_growth",
                   "reported_growth", "gap_pp", "status"], title="增长率核对 implied vs reported growth")
    _show(targets, ["year", "period", "region", "indicator", "target", "qualifier", "actual", "unit",
                    "status", "reason"], title="目标完成 targets")
    _note(summary)


def plot_cmd(
    metrics: Annotated[Path, typer.Argument(help="A table written by extract (.csv or .parquet).")],
    indicator: Annotated[str, typer.Option(help="Indicator id, e.g. gdp.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="FILE.png or FILE.svg.", dir_okay=False)],
    region: Annotated[list[str] | None, typer.Option(
        help="A region to draw; repeat it or separate with commas. Default: every region.")] = None,
    period: Annotated[str, typer.Option(help="Period to draw: Y (whole year), H1, Q1-3 ...")] = "Y",
) -> None:
    """Draw an indicator over the years per region: actuals solid, targets dashed."""
    from . import compare
    from .plot import plot_indicator

    regions = [r.strip() for item in region or [] for r in item.split(",") if r.strip()] or None
    path = plot_indicator(compare.load_table(metrics), indicator, regions, path=output, period=period)
    _note(f"wrote {path}")


# --------------------------------------------------------------------------------------------- rendering


def _counts(df: pd.DataFrame) -> str:
    counts = df["status"].value_counts()
    return ", ".join(f"{counts[s]} {s}" for s in counts.index) or "none"


def _note(text: str) -> None:
    # soft_wrap: a summary line stays one line, whatever the width of a pipe or a test runner.
    Console(stderr=True, highlight=False, soft_wrap=True).print(text, markup=False)


def _show(df: pd.DataFrame, columns: Sequence[str], title: str) -> None:
    """A rich table on a terminal; CSV on a pipe, so the output can be read by another program.

    On a terminal, text columns that are empty in every row are left out to save width; CSV keeps them
    so that its header does not depend on the data.
    """
    import pandas as pd

    view = df.loc[:, list(columns)]
    if not sys.stdout.isatty():
        sys.stdout.write(f"# {title}\n")
        view.to_csv(sys.stdout, index=False)
        return
    columns = [c for c in columns if pd.api.types.is_numeric_dtype(view[c]) or (view[c] != "").any()]
    view = view.loc[:, columns]
    if view.empty:
        Console().print(f"{title}: no rows", highlight=False)
        return
    rows = [[_cell(v) for v in row] for row in view.itertuples(index=False, name=None)]
    table = Table(title=title, header_style="bold")
    for i, col in enumerate(columns):
        numeric = pd.api.types.is_numeric_dtype(view[col])
        # Ids and numbers broken or cut short are misread: they keep their width; long text folds.
        keep = numeric or col in _NO_WRAP
        width = max([cell_len(col), *(cell_len(r[i]) for r in rows)]) if keep else None
        table.add_column(col, justify="right" if numeric else "left", overflow="fold", no_wrap=keep,
                         min_width=width)
    for cells in rows:
        style = next((_STATUS_STYLE[c] for c in cells if c in _STATUS_STYLE), None)
        table.add_row(*cells, style=style)
    Console().print(table)


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        from .compare import fmt_number

        return fmt_number(value)
    if isinstance(value, bool):
        return "yes" if value else ""
    return str(value)


def _write(sheets: dict[str, pd.DataFrame], path: Path, table: pd.DataFrame | None = None) -> None:
    """``table`` (default: the first sheet) to .csv/.parquet, or every sheet to .xlsx."""
    from .excel import replace_atomically, write_xlsx

    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        write_xlsx(sheets, path)
        return
    if suffix not in TABLE_FORMATS:
        raise UsageError(f"{path}: -o must end in .csv, .parquet or .xlsx")
    df = next(iter(sheets.values())) if table is None else table
    if suffix == ".csv":
        # As extract's CSV: the BOM lets Excel read the Chinese, and text such as a candidate list
        # "-2.6 | 1.0" must not run as a formula. Parquet keeps text as it is.
        text = df.select_dtypes(exclude=["number", "bool"]).columns
        df = df.assign(**{c: df[c].map(lambda v: neutralize(v) if isinstance(v, str) else v) for c in text})
        replace_atomically(path, lambda tmp: df.to_csv(tmp, index=False, encoding="utf-8-sig"))
    else:
        replace_atomically(path, lambda tmp: df.to_parquet(tmp, index=False))
