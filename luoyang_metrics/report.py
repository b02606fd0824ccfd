"""A whole extraction run over a folder: files in, outputs written, a summary out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from .errors import UsageError
from .pipeline import iter_extract
from .reading import iter_reports
from .rules import RuleSet
from .writing import TableWriter


@dataclass
class Summary:
    files: int = 0
    rows: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def count_reports(root: Path) -> int:
    if not Path(root).is_dir():
        raise UsageError(f"{root}: no such folder")
    return sum(1 for _ in iter_reports(Path(root)))


def run_extract(root: Path, outputs: Sequence[Path], rs: RuleSet, year: int | None = None,
                region: str | None = None, on_file: Callable[[str], None] | None = None,
                batch: int = 5000) -> Summary:
    """Extract ``root`` into every output; outputs are replaced only when the run completes."""
    summary = Summary()
    with ExitStack() as stack:
        writers = [stack.enter_context(TableWriter(Path(p))) for p in outputs]
        pending = []
        for res in iter_extract(Path(root), rs, year=year, region=region):
            summary.files += 1
            if res.error is not None:
                summary.failed.append((res.source, res.error))
            else:
                summary.warnings.extend(f"{res.source}: {w}" for w in res.warnings)
            pending.extend(res.rows)
            summary.rows += len(res.rows)
            if len(pending) >= batch:
                for w in writers:
                    w.write(pending)
                pending = []
            if on_file is not None:
                on_file(res.source)
        for w in writers:
            w.write(pending)
    return summary
