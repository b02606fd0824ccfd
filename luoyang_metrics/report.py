"""A whole extraction run over a folder: files in, outputs written, a summary out.

The run is a pipeline in file order. The main process walks the folder, looks every file up
in the row cache (:mod:`luoyang_metrics.cache`), and hands the misses, a few files per batch,
to ``workers`` processes. Results come back out of order but are written in file order, so
the output does not depend on the number of workers; at most a few batches per worker are in
flight, and rows go to the outputs every ``batch`` rows, so memory does not grow with the
corpus.

With the cache on, every file is hashed first; when the whole run's key (files, rules, code,
options) is the one recorded with the outputs and they are untouched since, the run is done
before it starts.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path
from types import TracebackType
from typing import Any

from .cache import (
    FileDigest,
    RowCache,
    cache_key,
    digest_file,
    digest_record,
    known_digest,
    run_key,
    unchanged_since,
)
from .errors import LuoyangError, RuleError, UsageError
from .model import Row, concat_columns
from .pipeline import FileResult, extract_file, iter_jobs
from .reading import iter_reports
from .rules import RuleSet, load_rules
from .writing import TableWriter

BATCH_FILES = 8             # files per job sent to a worker: enough to hide the IPC, small enough to balance
IN_FLIGHT_PER_WORKER = 4    # jobs queued per worker: keeps every worker busy, bounds memory
MIN_FILES_PER_WORKER = 16   # below this a worker's start-up (imports, rules) costs more than it saves
INLINE_FILES = 16           # misses extracted in-process before a pool is started (see Runner)


@dataclass
class Summary:
    files: int = 0
    rows: int = 0
    cached: int = 0             # files whose rows came from the cache
    failed: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    up_to_date: bool = False    # nothing changed since the outputs were written: they were left alone


@dataclass(frozen=True, slots=True)
class Task:
    """One report to extract, with the year/region it is read with and its cache key."""

    path: Path
    source: str
    year: int | None
    region: str | None
    digest: FileDigest | None = None
    key: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    result: FileResult
    cached: bool = False


@dataclass(frozen=True, slots=True)
class WorkerSetup:
    """What a worker process needs to extract exactly as the main process would (picklable).

    The compiled rules do not pickle, so each worker loads them from the same folders and
    checks it got the same version.
    """

    root: Path
    rule_dirs: tuple[Path, ...]
    rules_version: str
    timeout: float
    cache_dir: Path | None


def count_reports(root: Path) -> int:
    if not Path(root).is_dir():
        raise UsageError(f"{root}: " + ("not a folder" if Path(root).exists() else "no such folder"))
    return sum(1 for _ in iter_reports(Path(root)))


def default_workers() -> int:
    """The cores this process may run on (not all the machine's cores in a container)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:      # not on macOS/Windows
        return max(1, os.cpu_count() or 1)


def effective_workers(requested: int, files: int) -> int:
    """Workers worth starting for ``files`` reports: a handful of files is faster in-process."""
    return max(1, min(requested, files // MIN_FILES_PER_WORKER))


def run_extract(root: Path, outputs: Sequence[Path], rs: RuleSet, year: int | None = None,
                region: str | None = None, on_file: Callable[[str], None] | None = None,
                batch: int = 5000, *, workers: int = 1, cache_dir: Path | None = None,
                rule_dirs: Sequence[Path] = ()) -> Summary:
    """Extract ``root`` into every output; outputs are replaced only when the run completes.

    ``workers`` > 1 extracts in that many processes (they load the rules from ``rule_dirs``,
    which must be the folders ``rs`` was loaded from). ``cache_dir`` turns the cache on: files
    whose rows are cached are not extracted again, and when nothing at all changed since the
    run that wrote ``outputs``, they are left as they are. The rows and their order are the
    same whatever ``workers`` and whether the cache is used.
    """
    with fewer_collections():
        return _run_extract(Path(root), outputs, rs, year, region, on_file, batch, workers, cache_dir, rule_dirs)


def _run_extract(root: Path, outputs: Sequence[Path], rs: RuleSet, year: int | None, region: str | None,
                 on_file: Callable[[str], None] | None, batch: int, workers: int, cache_dir: Path | None,
                 rule_dirs: Sequence[Path]) -> Summary:
    setup = WorkerSetup(root, tuple(Path(d) for d in rule_dirs), rs.version, rs.timeout, cache_dir)
    if cache_dir is None:
        return _run(plan(root, year, region), outputs, rs, setup, workers, on_file, batch, None)
    cache = RowCache(cache_dir)
    # Every file is hashed before anything is extracted: the whole run's key says whether the
    # outputs are already what this run would write. A file unchanged since the last run (same
    # size, mtime, ctime and inode) keeps its recorded hash instead of being read again.
    known, recorded_ns = cache.known_digests(root)
    hashed_at = time.time_ns()
    items = [keyed(item, rs.version, known, recorded_ns) for item in plan(root, year, region)]
    cache.record_digests(root, _digest_records(items), hashed_at)
    run = run_key([_identity(item) for item in items], rs.version, f"batch={batch}")
    done = _current_summary(cache, outputs, run)
    if done is not None:
        if on_file is not None:
            for item in items:
                on_file(item.result.source if isinstance(item, Outcome) else item.source)
        return done
    summary = _run((lookup(item, cache) for item in items), outputs, rs, setup, workers, on_file, batch, cache)
    for p in outputs:
        cache.record_output(Path(p), run, summary_record(summary))
    return summary


# Extraction makes millions of short-lived objects and next to no reference cycles, while the
# loaded rules and gazetteer are ~100,000 long-lived objects the cyclic collector would scan over
# and over: collecting less often, with those set aside, saves ~8% of the time.
GC_THRESHOLD = (50_000, 20, 100)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Within the block, objects alive at its start are left out of garbage collection and the
    collector runs less often; both are restored after it."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def _run(items: Iterable[Task | Outcome], outputs: Sequence[Path], rs: RuleSet, setup: WorkerSetup, workers: int,
         on_file: Callable[[str], None] | None, batch: int, cache: RowCache | None) -> Summary:
    summary = Summary()
    with ExitStack() as stack:
        writers = [stack.enter_context(TableWriter(Path(p))) for p in outputs]
        runner = stack.enter_context(Runner(setup, rs, workers))
        window = 1 if workers <= 1 else workers * IN_FLIGHT_PER_WORKER
        pending: list[Sequence[Row]] = []
        pending_rows = 0
        for out in in_order(items, runner.submit, BATCH_FILES, window):
            res = out.result
            summary.files += 1
            summary.cached += out.cached
            if res.error is not None:
                summary.failed.append((res.source, res.error))
            else:
                summary.warnings.extend(f"{res.source}: {w}" for w in res.warnings)
            # Rows from workers and from the cache arrive as columns and go on as columns.
            pending.append(res.rows)
            pending_rows += len(res.rows)
            summary.rows += len(res.rows)
            if pending_rows >= batch:
                _write(writers, pending)
                pending, pending_rows = [], 0
            if on_file is not None:
                on_file(res.source)
        _write(writers, pending)
    return summary


def _write(writers: Sequence[TableWriter], parts: list[Sequence[Row]]) -> None:
    batch = concat_columns(parts)
    for w in writers:
        w.write(batch)


def summary_record(summary: Summary) -> dict[str, Any]:
    return {"files": summary.files, "rows": summary.rows, "failed": [list(f) for f in summary.failed],
            "warnings": list(summary.warnings)}


def _current_summary(cache: RowCache, outputs: Sequence[Path], run: str) -> Summary | None:
    """The summary of the run that wrote ``outputs``, when that run had key ``run`` and every
    output is still as it left it; else None (the run must be done)."""
    records = [cache.output_is_current(Path(p), run) for p in outputs]
    if not records or any(r is None for r in records):
        return None
    rec = records[0]
    try:
        failed = [(str(a), str(b)) for a, b in rec["failed"]]
        summary = Summary(int(rec["files"]), int(rec["rows"]), int(rec["files"]) - len(failed), failed,
                          [str(w) for w in rec["warnings"]], up_to_date=True)
    except (KeyError, TypeError, ValueError):
        return None
    return summary


# --------------------------------------------------------------------------- planning


def plan(root: Path, year: int | None = None, region: str | None = None) -> Iterator[Task | Outcome]:
    """Every report under ``root`` in a stable order: a task, or the reason it cannot be read."""
    for job in iter_jobs(root, year, region):
        yield Outcome(job) if isinstance(job, FileResult) else Task(job.path, job.source, job.year, job.region)


def keyed(item: Task | Outcome, rules_version: str, known: dict[str, Any] | None = None,
          recorded_ns: int = 0) -> Task | Outcome:
    """The task with its content hash and cache key (unchanged when the file cannot be read now:
    extraction will say why). ``known`` holds hashes recorded by an earlier run (see
    ``cache.known_digest``)."""
    if isinstance(item, Outcome):
        return item
    digest = known_digest(item.path, known.get(item.source), recorded_ns) if known else None
    if digest is None:
        digest = digest_file(item.path)
    if digest is None:
        return item
    key = cache_key(digest.sha256, rules_version, item.year, item.region)
    return Task(item.path, item.source, item.year, item.region, digest, key)


def _digest_records(items: list[Task | Outcome]) -> dict[str, list[object]]:
    records = {}
    for item in items:
        if isinstance(item, Task) and item.digest is not None:
            record = digest_record(item.path, item.digest)
            if record is not None:
                records[item.source] = record
    return records


def lookup(item: Task | Outcome, cache: RowCache) -> Task | Outcome:
    """A keyed task whose rows are cached, as a finished outcome; anything else as it is."""
    if isinstance(item, Outcome) or item.key is None:
        return item
    hit = cache.get(item.key, item.source)
    if hit is None:
        return item
    return Outcome(FileResult(item.source, hit.rows, warnings=hit.warnings), cached=True)


def _identity(item: Task | Outcome) -> tuple[str, str]:
    """What a file contributes to the run's key."""
    if isinstance(item, Outcome):
        return item.result.source, f"error: {item.result.error}"
    return item.source, item.key or "unreadable"


# --------------------------------------------------------------------------- extracting


def extract_task(task: Task, root: Path, rs: RuleSet, cache: RowCache | None) -> FileResult:
    res = extract_file(task.path, root, rs, task.year, task.region)
    if (cache is not None and task.key is not None and task.digest is not None and res.error is None
            and unchanged_since(task.path, task.digest)):
        cache.put(task.key, res.rows, res.warnings)
    return res


def extract_tasks(tasks: Sequence[Task], root: Path, rs: RuleSet, cache: RowCache | None) -> list[FileResult]:
    return [extract_task(t, root, rs, cache) for t in tasks]


def extract_batch(setup: WorkerSetup, tasks: Sequence[Task]) -> list[FileResult]:
    """A worker process's job (top level, so that it pickles)."""
    rs = worker_rules(setup.rule_dirs, setup.timeout, setup.rules_version)
    cache = RowCache(setup.cache_dir) if setup.cache_dir is not None else None
    return extract_tasks(tasks, setup.root, rs, cache)


@lru_cache(maxsize=2)
def worker_rules(rule_dirs: tuple[Path, ...], timeout: float, version: str) -> RuleSet:
    """The rules, loaded once per worker process (the memo is per process, keyed by its inputs)."""
    rs = load_rules(rule_dirs, timeout=timeout)
    # a worker process only extracts: see fewer_collections
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)
    if rs.version != version:
        raise RuleError(f"a worker loaded rules version {rs.version}, the run uses {version}: "
                        "the rule files changed during the run, or the rules were not loaded from "
                        "the rule folders given to run_extract; run again")
    return rs


def _pool_context() -> multiprocessing.context.BaseContext:
    # Not fork: the caller may run threads (the progress bar does), and a forked child can
    # inherit a lock held by one of them. forkserver starts workers from a clean process
    # that has already imported the package; spawn is the portable fallback.
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([__name__])
        return ctx
    return multiprocessing.get_context("spawn")


def watch_parent(parent: int) -> None:
    """Worker start-up: leave when the process running the extraction is gone.

    A main process killed outright (SIGKILL, the OOM killer, SIGTERM without a handler)
    cannot shut its pool down, and idle workers would wait on their queue forever.
    """
    if sys.platform != "win32":     # os.kill(pid, 0) is a probe on POSIX only
        threading.Thread(target=_exit_when_gone, args=(parent,), daemon=True, name="watch-parent").start()


def _exit_when_gone(parent: int, every: float = 1.0) -> None:
    while True:
        time.sleep(every)
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:     # the pid was reused by another user's process: gone too
            os._exit(1)


Job = Callable[[], list[FileResult]]


class Runner:
    """Runs batches of tasks in this process (one worker) or in a pool started on first need.

    The first ``INLINE_FILES`` misses are extracted here: a re-run with a few changed files
    (or none) never pays a pool's start-up, and on a full run the main process extracts them
    while the workers are still loading the rules.
    """

    def __init__(self, setup: WorkerSetup, rs: RuleSet, workers: int, inline_files: int = INLINE_FILES) -> None:
        self._setup = setup
        self._rs = rs
        self._workers = workers
        self._inline_left = inline_files
        self._cache = RowCache(setup.cache_dir) if setup.cache_dir is not None else None
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, tasks: list[Task]) -> Job:
        """Start extracting ``tasks``; the returned call gives their results, in task order."""
        if self._workers <= 1 or (self._pool is None and len(tasks) <= self._inline_left):
            self._inline_left -= len(tasks)
            # Deferred to when the result is wanted, so one worker keeps one batch in memory.
            return partial(extract_tasks, tasks, self._setup.root, self._rs, self._cache)
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self._workers, mp_context=_pool_context(),
                                             initializer=watch_parent, initargs=(os.getpid(),))
        try:
            future = self._pool.submit(extract_batch, self._setup, tasks)
        except BrokenProcessPool as e:
            raise _worker_died() from e
        return partial(_pool_result, future)

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._pool is not None:
            # On an error nothing queued is wanted any more.
            self._pool.shutdown(wait=True, cancel_futures=exc_type is not None)
            self._pool = None


def _pool_result(future: Future[list[FileResult]]) -> list[FileResult]:
    try:
        return future.result()
    except BrokenProcessPool as e:
        raise _worker_died() from e


def _worker_died() -> LuoyangError:
    return LuoyangError("a worker process stopped unexpectedly (killed, or out of memory?); nothing was "
                        "written. Run again, with fewer --workers if memory is short.")


def in_order(items: Iterable[Task | Outcome], submit: Callable[[list[Task]], Job], batch_files: int,
             window: int) -> Iterator[Outcome]:
    """Outcomes in the order of ``items``, with up to ``window`` batches being extracted ahead."""
    pending: deque[tuple[list[Task | Outcome], Job | None]] = deque()
    for group in _chunks(items, batch_files):
        tasks = [x for x in group if isinstance(x, Task)]
        pending.append((group, submit(tasks) if tasks else None))
        if len(pending) >= window:
            yield from _merge(*pending.popleft())
    while pending:
        yield from _merge(*pending.popleft())


def _merge(group: list[Task | Outcome], job: Job | None) -> Iterator[Outcome]:
    """The group's outcomes: ready ones as they are, tasks replaced by their results in order."""
    results = iter(job() if job is not None else ())
    for item in group:
        yield item if isinstance(item, Outcome) else Outcome(next(results))


def _chunks(items: Iterable[Task | Outcome], size: int) -> Iterator[list[Task | Outcome]]:
    group: list[Task | Outcome] = []
    for item in items:
        group.append(item)
        if len(group) >= size:
            yield group
            group = []
    if group:
        yield group


def run_extract_to(root: Path, outputs: Sequence[Path], rs: RuleSet, **options: Any) -> Summary:
    """:func:`run_extract` that also writes spreadsheets.

    CSV and Parquet are streamed; a workbook needs the whole table, so the rows are streamed
    to a Parquet file first (the requested one, or a temporary one) and the workbook (a long
    and a wide sheet) is written from it when the run completes.
    """
    books = [Path(p) for p in outputs if Path(p).suffix.lower() == ".xlsx"]
    streams = [Path(p) for p in outputs if Path(p).suffix.lower() != ".xlsx"]
    if not books:
        return run_extract(root, streams, rs, **options)
    table = next((p for p in streams if p.suffix.lower() == ".parquet"), None)
    with ExitStack() as stack:
        if table is None:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            table = tmp / "metrics.parquet"
            streams.append(table)
        summary = run_extract(root, streams, rs, **options)
        from .compare import load_table, wide
        from .excel import write_xlsx

        frame = load_table(table)
        for book in books:
            write_xlsx({"long": frame, "wide": wide(frame)}, book)
    return summary
