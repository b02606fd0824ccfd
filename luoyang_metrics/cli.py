"""The command line: a thin typer layer over the library.

Exit codes: 0 all good, 1 some report files failed (the others were extracted),
2 usage or rule errors (nothing was written).
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from . import cache as cachelib
from . import report as reportlib
from .errors import LuoyangError, UsageError
from .rules import load_rules

EXIT_HELP = "Exit codes: 0 all good; 1 some files failed (the rest were extracted); 2 usage or rule errors."

app = typer.Typer(
    name="luoyang-metrics",
    help="Turn Chinese government economic reports into a tidy, auditable indicator table. " + EXIT_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
rules_app = typer.Typer(help="Check and test the rule files.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")

RulesOpt = Annotated[
    list[Path] | None,
    typer.Option("--rules", help="Extra rule folder over the shipped rules (repeatable); same id replaces."),
]
YearOpt = Annotated[int | None, typer.Option("--year", help="The year the reports describe (overrides inference).")]
RegionOpt = Annotated[str | None, typer.Option("--region", help="The reports' region (overrides inference).")]

err = Console(stderr=True)
out = Console()


def _rules(dirs: list[Path] | None):  # noqa: ANN202 - RuleSet
    return load_rules(dirs or ())


@app.command()
def extract(
    reports_dir: Annotated[Path, typer.Argument(help="Folder of .txt/.md reports (searched recursively).")],
    output: Annotated[
        list[Path] | None,
        typer.Option("-o", "--output", help="Output file: .csv, .parquet or .xlsx (repeatable). "
                     "Default: data/metrics.csv and data/metrics.parquet."),
    ] = None,
    year: YearOpt = None,
    region: RegionOpt = None,
    rules: RulesOpt = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar on a terminal.")] = True,
    workers: Annotated[
        int | None,
        typer.Option("--workers", "-j", min=1, help="Processes extracting in parallel. Default: the number of "
                     "cores (one for a handful of files). The output is the same whatever the number."),
    ] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Extract every report again; do not use "
                                           "or fill the cache of extracted rows.")] = False,
    cache_dir: Annotated[
        Path | None,
        typer.Option("--cache-dir", help="Cache of extracted rows, keyed by file content and rules version. "
                     f"Default: ${cachelib.ENV_VAR}, else ~/.cache/luoyang-metrics."),
    ] = None,
) -> None:
    """Extract every indicator value from the reports in REPORTS_DIR into the SPEC table.

    Unchanged reports are served from a cache of their rows; editing a rule re-extracts everything.
    """
    rs = _rules(rules)
    outputs = output or [Path("data/metrics.csv"), Path("data/metrics.parquet")]
    for p in outputs:
        if p.suffix.lower() not in (".csv", ".parquet", ".xlsx"):
            raise UsageError(f"{p}: output must end in .csv, .parquet or .xlsx")
    files = reportlib.count_reports(reports_dir)
    show = progress and err.is_terminal
    with Progress(TextColumn("[bold]extract"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                  TimeRemainingColumn(), console=err, disable=not show, transient=True) as bar:
        task = bar.add_task("", total=files)

        def tick(name: str) -> None:
            bar.update(task, advance=1, description=name[-40:])

        summary = reportlib.run_extract_to(
            reports_dir, outputs, rs, year=year, region=region, on_file=tick,
            workers=workers or reportlib.effective_workers(reportlib.default_workers(), files),
            cache_dir=None if no_cache else (cache_dir or cachelib.default_cache_dir()),
            rule_dirs=rules or (),
        )
    _print_summary(summary, outputs)
    if summary.failed:
        raise typer.Exit(1)


def _print_summary(summary: reportlib.Summary, outputs: list[Path]) -> None:
    if summary.up_to_date:
        cached = " (already up to date: no report, rule or option changed since they were written)"
    elif summary.cached:
        cached = f" ({summary.cached} unchanged files taken from the cache)"
    else:
        cached = ""
    err.print(f"{summary.files} files read, {summary.rows} rows written to "
              + ", ".join(str(p) for p in outputs) + cached, markup=False, highlight=False)
    for w in summary.warnings:
        err.print(Text("warning ", style="yellow") + Text(w))
    if summary.failed:
        t = Table(title=f"{len(summary.failed)} files failed", show_lines=False)
        t.add_column("file")
        t.add_column("reason")
        for name, reason in summary.failed:
            t.add_row(Text(name), Text(reason))
        err.print(t)


@rules_app.command("check")
def rules_check(
    folder: Annotated[Path | None, typer.Argument(help="A user rule folder to check over the shipped rules.")] = None,
    rules: RulesOpt = None,
) -> None:
    """Validate the rule files; exit 2 on the first problem list."""
    dirs = ([folder] if folder else []) + list(rules or [])
    rs = _rules(dirs)
    for notice in rs.notices:
        err.print(f"note: {notice}")
    out.print(f"rules OK: {len(rs.rules)} rules, {len(rs.indicators)} indicators (version {rs.version})")


@rules_app.command("test")
def rules_test(
    rule: Annotated[list[str] | None, typer.Option("--rule", help="Only this rule id (repeatable).")] = None,
    rules: RulesOpt = None,
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="List passing cases too.")] = False,
) -> None:
    """Run every rule's examples and counter-examples; exit 1 when one fails."""
    from .ruletest import run_cases

    rs = _rules(rules)
    results = run_cases(rs, rule)
    t = Table(title="rule examples")
    for col in ("rule", "case", "result", "text"):
        t.add_column(col, overflow="fold")
    failed = [r for r in results if not r.passed]
    for r in results:
        if r.passed and not verbose:
            continue
        status = "[green]pass[/green]" if r.passed else "[red]FAIL[/red]"
        if r.xfail:
            status += " (xfail)"
        t.add_row(r.rule, r.case, status, r.text)
    if t.row_count:
        out.print(t)
    for r in failed:
        out.print(f"[red]{r.rule} {r.case}[/red]: {r.text}")
        for line in r.expected:
            if line not in r.got:
                out.print(f"  [red]- expected[/red] {line}")
        for line in r.got:
            if line not in r.expected:
                out.print(f"  [green]+ got[/green]      {line}")
    out.print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed:
        raise typer.Exit(1)


def _register_extras() -> None:
    from . import cli_compare, cli_inspect

    cli_inspect.register(app)
    cli_compare.register(app)


_register_extras()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    # SIGTERM (a scheduler stopping the job) cleans up like Ctrl-C: temporary outputs are removed.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        # standalone_mode=False hands back typer.Exit codes as the return value
        code = app(standalone_mode=False)
    except LuoyangError as e:
        for line in str(e).splitlines() or [type(e).__name__]:
            err.print(f"Error: {line}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(e.exit_code)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        code = 130
    except typer.TyperException as e:  # usage errors: unknown option, missing argument ...
        e.show()
        sys.exit(2)
    if code == 130:
        err.print("Error: interrupted; earlier outputs were left as they were", markup=False)
    sys.exit(code if isinstance(code, int) else 0)
