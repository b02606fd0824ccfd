"""Commands that look inside the rules' work: ``explain`` one sentence or line, ``coverage`` of a folder.

Each command parses its options, calls :mod:`luoyang_metrics.inspect` and renders rich tables. Library
errors are raised as they are; the main CLI turns them into one ``Error: ...`` line each.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .errors import UsageError
from .rules import RuleSet, load_rules
from .writing import neutralize

# inspect and excel (and through them pandas, numpy, openpyxl) are imported inside the functions that use
# them: these commands are registered on every start of the CLI, and `extract` or `--help` should not pay
# for libraries they never use.
if TYPE_CHECKING:
    import pandas as pd

    from . import inspect as insp

RulesOpt = Annotated[
    list[Path] | None,
    typer.Option("--rules", help="Extra rule folder over the shipped rules (repeatable); same id replaces."),
]
YearOpt = Annotated[int | None, typer.Option("--year", help="The year the text describes (overrides inference).")]
RegionOpt = Annotated[str | None, typer.Option("--region", help="The text's region (overrides inference).")]
TABLE_FORMATS = (".csv", ".parquet")


def register(app: typer.Typer) -> None:
    """Add ``explain`` and ``coverage`` to the main ``luoyang-metrics`` app."""
    app.command("explain")(explain_cmd)
    app.command("coverage")(coverage_cmd)


def _load(dirs: Sequence[Path] | None) -> RuleSet:
    rs = load_rules(dirs or ())
    for notice in rs.notices:
        _note(f"note: {notice}")
    return rs


def _note(text: str) -> None:
    # soft_wrap: a summary line stays one line, whatever the width of a pipe or a test runner.
    Console(stderr=True, highlight=False, soft_wrap=True).print(text, markup=False)


def _table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]], no_wrap: Sequence[str] = (),
           lines: bool = True) -> Table:
    t = Table(title=title, header_style="bold", title_justify="left", show_lines=lines)
    for i, col in enumerate(columns):
        # Ids, figures and counts broken over two lines are misread: they keep their width; long text folds.
        keep = col in no_wrap
        width = max([cell_len(col), *(cell_len(r[i]) for r in rows)]) if keep else None
        t.add_column(col, overflow="fold", no_wrap=keep, min_width=width)
    for r in rows:
        # Text, not markup: patterns such as '[一二三]季度' must print as written.
        t.add_row(*(Text(cell) for cell in r))
    return t


def _print(*tables: Table) -> None:
    console = Console(highlight=False)
    for t in tables:
        console.print(t)


# ---------------------------------------------------------------------------------------------- explain


def explain_cmd(
    text: Annotated[str | None, typer.Argument(metavar="[SENTENCE]", help="A sentence or passage to explain.")] = None,
    year: YearOpt = None,
    region: RegionOpt = None,
    file: Annotated[Path | None, typer.Option("--file", help="A report file; use with --line.", dir_okay=False)] = None,
    line: Annotated[int | None, typer.Option("--line", help="1-based line of --file to explain.")] = None,
    rules: RulesOpt = None,
) -> None:
    """Show how every figure of a sentence (or of --file F --line N) was read: rule, pattern, year,
    period, region and kind with their reasons, and the figures no rule claimed."""
    from . import inspect as insp

    if (file is None) != (line is None):
        raise UsageError("--file and --line go together: explain --file REPORT --line N")
    if (text is None) == (file is None):
        raise UsageError('give either a sentence (explain "句子…") or --file REPORT --line N, not both')
    rs = _load(rules)
    if file is not None and line is not None:
        e = insp.explain_file_line(file, line, rs, year=year, region=region)
    else:
        e = insp.explain(text or "", rs, year=year, region=region)
    console = Console(highlight=False, soft_wrap=True)
    console.print(_context_line(e, year, region), markup=False)
    if not e.figures:
        console.print("no figures (numbers with a unit) found" + (f" on line {line}" if line else ""))
        return
    index = {f.start: i + 1 for i, f in enumerate(e.figures)}
    tables = [_figures_table(e, index)]
    if e.claimed:
        tables += [_claims_table(e, index), _rows_table(e, index)]
    if e.unclaimed:
        tables.append(_unclaimed_table(e, index))
    _print(*tables)


def _context_line(e: insp.Explanation, year: int | None, region: str | None) -> str:
    y = f"{e.report_year} (--year)" if year is not None else (
        f"{e.report_year} (from the text)" if e.report_year else "none found: pass --year")
    r = f"{e.report_region} (--region)" if region is not None else (
        f"{e.report_region} (from the text)" if e.report_region else "none found: pass --region")
    return f"{e.source}: {e.text}\nthe text as a whole: year {y}, region {r}"


def _figures_table(e: insp.Explanation, index: dict[int, int]) -> Table:
    by_start: dict[int, list[str]] = {}
    for c in e.claimed:
        by_start.setdefault(c.figure.start, []).append(f"{c.rule} ({c.strategy})")
    rows = [[str(index[f.start]), f.raw, str(f.line), f.unit, f.qualifier,
             ", ".join(by_start.get(f.start, [])) or "— unclaimed"] for f in e.figures]
    return _table(f"{len(e.figures)} figures found", ["#", "figure", "line", "base unit", "qualifier", "claimed by"],
                  rows, no_wrap=["#", "figure", "line"])


def _claims_table(e: insp.Explanation, index: dict[int, int]) -> Table:
    from .inspect import STRATEGIES

    rows = [[str(index[c.figure.start]), c.figure.raw, c.rule, c.strategy, c.phrase, c.pattern, c.between]
            for c in e.claimed]
    t = _table("how each figure was claimed",
               ["#", "figure", "rule", "strategy", "phrase matched", "rule pattern", "words between"],
               rows, no_wrap=["#", "figure", "rule", "strategy"])
    # A legend of the strategies used, so that the table itself stays narrow.
    used = dict.fromkeys(c.strategy for c in e.claimed)
    t.caption = "\n".join(f"{s}: {STRATEGIES.get(s, s)}" for s in used)
    t.caption_justify = "left"
    return t


def _rows_table(e: insp.Explanation, index: dict[int, int]) -> Table:
    rows = [[str(index[c.figure.start]), c.row.indicator, f"{c.row.value:g} {c.row.unit}", c.row.qualifier,
             *(f"{d.value}\n({d.reason})" for d in (c.year, c.period, c.region, c.kind))] for c in e.claimed]
    return _table("rows and their context decisions",
                  ["#", "indicator", "value", "qualifier", "year", "period", "region", "kind"],
                  rows, no_wrap=["#", "indicator", "value"])


def _unclaimed_table(e: insp.Explanation, index: dict[int, int]) -> Table:
    rows = [[str(index[u.figure.start]), u.figure.raw, u.words_before, u.why] for u in e.unclaimed]
    return _table("figures no rule claimed", ["#", "figure", "words before", "why"], rows,
                  no_wrap=["#", "figure"])


# --------------------------------------------------------------------------------------------- coverage


def coverage_cmd(
    reports_dir: Annotated[Path, typer.Argument(help="Folder of .txt/.md reports (searched recursively).")],
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", dir_okay=False,
        help="Write the unclaimed groups to FILE.csv (or .parquet) and the rule stats to FILE_rules.csv.")] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Unclaimed groups shown on screen.")] = 30,
    year: YearOpt = None,
    region: RegionOpt = None,
    rules: RulesOpt = None,
) -> None:
    """List the figures no rule claimed, grouped by the words before them and ranked by frequency,
    and how often each rule fired in how many reports."""
    from . import inspect as insp

    if output is not None and output.suffix.lower() not in TABLE_FORMATS:
        raise UsageError(f"{output}: -o must end in .csv or .parquet")
    rs = _load(rules)
    cov = insp.coverage(reports_dir, rs, year=year, region=region)
    groups = cov.unclaimed
    fired = cov.rules[cov.rules["rows"] > 0]
    _print(_unclaimed_groups_table(groups.head(top), len(groups)), _rules_stats_table(fired))
    idle = cov.rules.loc[cov.rules["rows"] == 0, "rule"].tolist()
    if idle:
        _note(f"{len(idle)} rules never fired: {', '.join(idle)}")
    for source, reason in cov.failed:
        _note(f"skipped {source}: {reason}")
    _note(f"{cov.reports} reports, {cov.figures} figures, {cov.claimed} claimed by a rule "
          f"({cov.share_claimed:.0%}), {cov.figures - cov.claimed} unclaimed in {len(groups)} groups")
    if output is not None:
        rules_path = output.with_name(f"{output.stem}_rules{output.suffix}")
        _write(groups, output)
        _write(cov.rules, rules_path)
        _note(f"wrote {output} and {rules_path}")


def _unclaimed_groups_table(groups: pd.DataFrame, total: int) -> Table:
    rows = [[r.words_before, r.unit, str(r.count), str(r.reports), r.example, f"{r.source}:{r.line}",
             r.context] for r in groups.itertuples(index=False)]
    title = f"unclaimed figures by the words before them (top {len(groups)} of {total} groups)"
    return _table(title, ["words before", "unit", "count", "reports", "example", "where", "in context"], rows,
                  no_wrap=["words before", "unit", "count", "reports", "example"], lines=False)


def _rules_stats_table(stats: pd.DataFrame) -> Table:
    rows = [[r.rule, str(r.rows), str(r.reports), r.indicators, Path(r.file).name]
            for r in stats.itertuples(index=False)]
    return _table("rules that fired: rows produced and reports fired in",
                  ["rule", "rows", "reports", "indicators", "file"], rows, no_wrap=["rule", "rows", "reports"],
                  lines=False)


def _write(df: pd.DataFrame, path: Path) -> None:
    from .excel import replace_atomically

    if path.suffix.lower() == ".parquet":
        replace_atomically(path, lambda tmp: df.to_parquet(tmp, index=False))
        return
    # As extract's CSV: the BOM lets Excel read the Chinese; a sentence starting with "-" must not run as a formula.
    text = df.select_dtypes(exclude=["number", "bool"]).columns
    safe = df.assign(**{c: df[c].map(lambda v: neutralize(v) if isinstance(v, str) else v) for c in text})
    replace_atomically(path, lambda tmp: safe.to_csv(tmp, index=False, encoding="utf-8-sig"))
