"""Throughput benchmark: extract vs. the floor, 1 vs. N workers, cached re-runs, peak memory.

    .venv/bin/python benchmarks/bench.py              # 200 MB in 5,000 files: ~7 min on 2 cores
    .venv/bin/python benchmarks/bench.py --quick      # 10 MB in 250 files, a smoke run

The corpus is built on first use (~20 s) and kept under benchmarks/corpus/ (see make_corpus.py).

Every measured step runs in a fresh process, the way a user runs it:

1. floor: read + decode + normalize every file, no rules (``reading.read_report`` then
   ``normalize.normalize``), one process; timed inside the loop, without start-up, which
   makes the floor as fast as it can look;
2. ``luoyang-metrics extract`` with 1 worker and an empty cache (the default behaviour of a
   first run: extracting and filling the cache), CSV + Parquet outputs;
3. the same with N workers (default 2) and another empty cache;
4. the N-worker run again into the same outputs: nothing changed, so the outputs are found
   up to date (every file is still hashed, nothing extracted or written);
5. the N-worker run again into new outputs: every file's rows from the per-file cache;
6. the same with 1 worker on the 1-worker run's cache.

All steps run a copy of the package and rules taken at the start (see ``snapshot``).
Extract times are wall-clock times of the whole command, start-up (imports, loading the
rules, starting workers) included. Peak memory is sampled from /proc every 50 ms over the
whole process tree (the command and its workers): the sum of RSS (counts pages shared between
processes once per process, an upper bound) and the sum of PSS (shared pages split between
the processes that share them: the real footprint). The CSV outputs of all extract runs
must be byte-identical; the benchmark fails otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import make_corpus

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True, slots=True)
class Measure:
    name: str
    seconds: float
    cpu_seconds: float         # user + system of the process tree
    rows: int
    peak_rss_mb: float         # sum over the tree, sampled
    peak_pss_mb: float         # sum over the tree, sampled (0 where /proc has no PSS)
    maxrss_mb: float           # largest single process (getrusage ru_maxrss)
    csv_sha256: str = ""
    cached_files: int = 0
    failed_files: int = 0
    up_to_date: bool = False


# --------------------------------------------------------------------------- memory sampling


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(_children(p))
    return out


def _kb(path: str, field: str) -> int:
    try:
        with open(path, encoding="ascii") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of one process itself (not of its children), from /proc/<pid>/stat."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class TreeSampler(threading.Thread):
    """Polls a process and all its descendants: peak of the summed RSS and PSS, CPU per process.

    The CPU figure is needed because forkserver workers are children of the fork server, not
    of the command, so the command's rusage never includes them.
    """

    def __init__(self, pid: int, every: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.peak_rss = self.peak_pss = 0
        self.cpu: dict[int, float] = {}
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            pids = _tree(self.pid)
            self.peak_rss = max(self.peak_rss, sum(_kb(f"/proc/{p}/status", "VmRSS:") for p in pids))
            self.peak_pss = max(self.peak_pss, sum(_kb(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids))
            for p in pids:
                self.cpu[p] = max(self.cpu.get(p, 0.0), _cpu_seconds(p))
            self._done.wait(self.every)

    def stop(self) -> None:
        self._done.set()
        self.join()


def run_measured(name: str, cmd: list[str], env: dict[str, str]) -> tuple[Measure, str]:
    """Run ``cmd``: its wall time, the CPU and peak memory of its process tree, and its output."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        # A wide console: rich must not wrap the summary line that is parsed below.
        # cwd: the repository must not be on sys.path ('' comes first), or it would shadow the copy.
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=dict(env, COLUMNS="1000"),
                                cwd=tempfile.gettempdir())
        mem = TreeSampler(proc.pid)
        mem.start()
        # wait4, not wait: its rusage covers the command and every worker it waited for.
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        mem.stop()
        out.seek(0)
        text = out.read().decode(errors="replace")
    if proc.returncode not in (0, 1):     # 1: some files could not be read, the rest was extracted
        raise SystemExit(f"{name} failed ({proc.returncode}):\n{text}")
    cpu = max(usage.ru_utime + usage.ru_stime, sum(mem.cpu.values()))
    # ru_maxrss: the largest single process among the command and those it waited for;
    # KiB on Linux, bytes on macOS.
    maxrss_mb = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return Measure(name, seconds, cpu, 0, mem.peak_rss / 1024, mem.peak_pss / 1024, maxrss_mb), text


# --------------------------------------------------------------------------- steps


def snapshot(dest: Path) -> dict[str, str]:
    """A frozen copy of the package and its rules, and the environment that runs it.

    A run takes minutes; a source or rule file edited meanwhile would change the rows and the
    cache key half-way (the cache rightly treats code edits as a new version). PYTHONPATH puts
    the copy ahead of the editable install.
    """
    repo = HERE.parent
    shutil.copytree(repo / "luoyang_metrics", dest / "luoyang_metrics", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(repo / "rules", dest / "rules")
    return dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(dest), os.environ.get("PYTHONPATH")])))


FLOOR_CODE = """
import json, sys, time
from pathlib import Path
from luoyang_metrics.normalize import normalize
from luoyang_metrics.reading import iter_reports, read_report
from luoyang_metrics.errors import ReadError
root = Path(sys.argv[1])
paths = [p for p, problem in iter_reports(root) if problem is None]
start = time.perf_counter()
size = chars = 0
for p in paths:
    size += p.stat().st_size
    try:
        chars += len(normalize(read_report(p).text).text)
    except ReadError:
        pass
import luoyang_metrics
print(json.dumps({"seconds": time.perf_counter() - start, "bytes": size, "files": len(paths),
                  "package": luoyang_metrics.__file__}))
"""


def floor(corpus: Path, env: dict[str, str]) -> tuple[Measure, dict]:
    m, text = run_measured("floor", [sys.executable, "-c", FLOOR_CODE, str(corpus)], env)
    info = json.loads(text.strip().splitlines()[-1])
    # The loop's own time: imports and the walk are left out, so the floor is as fast as it gets.
    return replace(m, name="floor (read+decode+normalize)", seconds=info["seconds"]), info


def extract(name: str, corpus: Path, out: Path, workers: int, cache: Path, env: dict[str, str]) -> Measure:
    out.mkdir(parents=True, exist_ok=True)
    csv = out / "metrics.csv"
    cmd = [sys.executable, "-m", "luoyang_metrics", "extract", str(corpus), "-o", str(csv),
           "-o", str(out / "metrics.parquet"), "--workers", str(workers), "--cache-dir", str(cache),
           "--no-progress"]
    m, text = run_measured(name, cmd, env)
    digest = hashlib.sha256(csv.read_bytes()).hexdigest()
    return replace(m, rows=_count(r"(\d+) files read, (\d+) rows", text, 2), csv_sha256=digest,
                   cached_files=_count(r"\((\d+) unchanged files taken from the cache\)", text),
                   failed_files=_count(r"(\d+) files failed", text), up_to_date="already up to date" in text)


def _count(pattern: str, text: str, group: int = 1) -> int:
    m = re.search(pattern, text)
    return int(m.group(group)) if m else 0


# --------------------------------------------------------------------------- report


def report(fl: Measure, mb: float, runs: dict[str, Measure], workers: int) -> dict[str, float]:
    one, many = runs["first1"], runs["firstN"]
    ratios = {
        "floor_mb_s": mb / fl.seconds,
        "extract1_mb_s": mb / one.seconds,
        "extract1_rows_s": one.rows / one.seconds,
        "extractN_mb_s": mb / many.seconds,
        "extractN_rows_s": many.rows / many.seconds,
        "ratio_extract1_to_floor": (mb / one.seconds) / (mb / fl.seconds),
        "scaling_1_to_N": one.seconds / many.seconds,
        "unchanged_N_over_first_N": runs["sameN"].seconds / many.seconds,
        "unchanged_N_over_first_1": runs["sameN"].seconds / one.seconds,
        "rebuilt_N_over_first_N": runs["cachedN"].seconds / many.seconds,
        "rebuilt_1_over_first_1": runs["cached1"].seconds / one.seconds,
        "peak_pss_mb": max(m.peak_pss_mb for m in runs.values()),
        "peak_rss_sum_mb": max(m.peak_rss_mb for m in runs.values()),
    }
    print()
    print(f"{'step':38} {'time s':>8} {'cpu s':>8} {'MB/s':>7} {'rows':>9} {'rows/s':>8} "
          f"{'RSS sum':>8} {'PSS sum':>8} {'maxrss':>7}")
    for m in (fl, *runs.values()):
        rows_s = f"{m.rows / m.seconds:8.0f}" if m.rows else f"{'':8}"
        print(f"{m.name:38} {m.seconds:8.1f} {m.cpu_seconds:8.1f} {mb / m.seconds:7.2f} {m.rows or '':>9} "
              f"{rows_s} {m.peak_rss_mb:7.0f}M {m.peak_pss_mb:7.0f}M {m.maxrss_mb:6.0f}M")
    print()
    print(f"extract / floor throughput, 1 worker : {ratios['ratio_extract1_to_floor']:.3f}   (goal >= 0.33)")
    print(f"scaling 1 -> {workers} workers          : x{ratios['scaling_1_to_N']:.2f}  "
          f"(ideal x{workers})")
    print(f"re-run, nothing changed / first run  : {ratios['unchanged_N_over_first_N']:.1%} of the {workers}-worker "
          f"run, {ratios['unchanged_N_over_first_1']:.1%} of the 1-worker run   (goal <= 5%)")
    print(f"re-run into new outputs (rows from the per-file cache) / first run: "
          f"{ratios['rebuilt_N_over_first_N']:.1%} ({workers} workers), "
          f"{ratios['rebuilt_1_over_first_1']:.1%} (1 worker)")
    print(f"peak memory of the process tree      : {ratios['peak_pss_mb']:.0f} MB PSS, "
          f"{ratios['peak_rss_sum_mb']:.0f} MB RSS summed   (goal < 500 MB)")
    return ratios


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=float, default=200, help="corpus size in MB (10^6 bytes); default 200")
    ap.add_argument("--files", type=int, default=5000, help="corpus files; default 5000")
    ap.add_argument("--quick", action="store_true", help="a 10 MB, 250-file corpus: a smoke run of a minute")
    ap.add_argument("--workers", type=int, default=2, help="workers of the parallel runs; default 2")
    ap.add_argument("--keep", action="store_true", help="keep the outputs and caches (printed path)")
    args = ap.parse_args(argv)
    mb, files = (10.0, 250) if args.quick else (args.mb, args.files)

    corpus, info = make_corpus.build(mb, files)
    size_mb = info.bytes / 1e6
    print(f"corpus: {corpus}  {info.files} files, {size_mb:.1f} MB "
          f"({info.gb18030_files} GB18030, {info.pdf_style_files} PDF-style, {info.seed_derived_files} from seeds)")
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"load average {os.getloadavg()[0]:.1f} (other processes competing for the cores skew the figures)")
    work = Path(tempfile.mkdtemp(prefix="luoyang-bench-"))
    try:
        env = snapshot(work / "code")
        fl, floor_info = floor(corpus, env)
        print(f"  code measured: {Path(floor_info['package']).parent} (a copy taken at the start)")
        print(f"  floor: {fl.seconds:.1f} s")
        runs: dict[str, Measure] = {}
        n = args.workers
        # (key, label, workers, cache folder, output folder): a re-run into the first run's own
        # outputs finds nothing changed; one into new outputs rebuilds them from the per-file cache.
        steps = [("first1", "extract, 1 worker, cold cache", 1, "c1", "o1"),
                 ("firstN", f"extract, {n} workers, cold cache", n, "cN", "oN"),
                 ("sameN", f"re-run, {n} workers, nothing changed", n, "cN", "oN"),
                 ("cachedN", f"re-run, {n} workers, new outputs", n, "cN", "oN2"),
                 ("cached1", "re-run, 1 worker, new outputs", 1, "c1", "o12")]
        for key, name, workers, cache, out in steps:
            runs[key] = extract(name, corpus, work / out, workers, work / cache, env)
            m = runs[key]
            found = "outputs up to date" if m.up_to_date else f"{m.cached_files} files from the cache"
            print(f"  {name}: {m.seconds:.1f} s, {m.rows} rows, {found}, {m.failed_files} unreadable")
        if len({m.csv_sha256 for m in runs.values()}) != 1:
            raise SystemExit("outputs differ between runs: " + ", ".join(f"{m.name}={m.csv_sha256[:12]}"
                                                                       for m in runs.values()))
        print("outputs identical across all runs (CSV sha256 " + runs["first1"].csv_sha256[:16] + ")")
        ratios = report(fl, size_mb, runs, args.workers)
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
        result = {"corpus": asdict(info), "cores": os.cpu_count(), "floor": asdict(fl),
                  "runs": {k: asdict(v) for k, v in runs.items()}, "figures": ratios}
        (make_corpus.CORPUS_ROOT / "last-results.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    finally:
        if args.keep:
            print(f"outputs and caches kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
