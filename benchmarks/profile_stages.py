"""Where extraction time goes, stage by stage, on a sample of the benchmark corpus.

    .venv/bin/python benchmarks/profile_stages.py               # every 10th file of the 200 MB corpus
    .venv/bin/python benchmarks/profile_stages.py --quick --top 25   # plus the 25 costliest functions

Stage times are wall-clock times of the pipeline's own stage functions, wrapped with a timer
in this process only (nothing is edited): cheap enough not to distort them. ``--top`` adds a
cProfile listing of the costliest functions (cProfile slows Python code down, so its
shares differ somewhat from the stage table).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import make_corpus

from luoyang_metrics import context, pipeline, regions
from luoyang_metrics.reading import iter_reports
from luoyang_metrics.report import fewer_collections
from luoyang_metrics.rules import load_rules
from luoyang_metrics.writing import TableWriter

# (label, owner object, attribute): the functions analyse() and extract_file() call, by stage.
STAGES: tuple[tuple[str, Any, str], ...] = (
    ("read + decode (reading.read_report)", pipeline, "read_report"),
    ("normalize (normalize.normalize)", pipeline, "normalize"),
    ("sentence split (normalize.all_sentences)", pipeline, "all_sentences"),
    ("number finding (numbers.find_numbers)", pipeline, "find_numbers"),
    ("rule anchors (matching.find_anchors)", pipeline, "find_anchors"),
    ("rule matching (matching.match_sentences)", pipeline, "match_sentences"),
    ("report year/region (context.infer_report)", context, "infer_report"),
    ("  of which region scan (Gazetteer.infer_report_region)", regions.Gazetteer, "infer_report_region"),
    ("scopes (context.build_scopes)", context, "build_scopes"),
    ("context per row (pipeline._to_row)", pipeline, "_to_row"),
    ("writing CSV + Parquet (TableWriter.write)", TableWriter, "write"),
)


def timed(fn: Callable[..., Any], totals: dict[str, float], label: str) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            totals[label] = totals.get(label, 0.0) + time.perf_counter() - start
    return wrapper


def sample(corpus: Path, every: int) -> list[Path]:
    return [p for i, (p, problem) in enumerate(iter_reports(corpus)) if problem is None and i % every == 0]


def run(paths: list[Path], root: Path, out: Path) -> tuple[float, int]:
    rs = load_rules()
    rows = 0
    start = time.perf_counter()
    # as `extract` runs: garbage collection tuned (report.fewer_collections)
    with fewer_collections(), TableWriter(out.with_suffix(".csv")) as csv_out, \
            TableWriter(out.with_suffix(".parquet")) as pq_out:
        pending: list = []
        for p in paths:
            res = pipeline.extract_file(p, root, rs)
            pending.extend(res.rows)
            rows += len(res.rows)
            if len(pending) >= 5000:
                csv_out.write(pending)
                pq_out.write(pending)
                pending = []
        csv_out.write(pending)
        pq_out.write(pending)
    return time.perf_counter() - start, rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="the 10 MB corpus, every file")
    ap.add_argument("--every", type=int, default=10, help="take every N-th file (default 10)")
    ap.add_argument("--top", type=int, default=0, help="also list the N costliest functions (cProfile)")
    ap.add_argument("--out", type=Path, default=Path("/tmp/luoyang-profile"), help="output stem")
    args = ap.parse_args()
    corpus, _ = make_corpus.build(10, 250) if args.quick else make_corpus.build(200, 5000)
    paths = sample(corpus, 1 if args.quick else args.every)
    size = sum(p.stat().st_size for p in paths) / 1e6

    totals: dict[str, float] = {}
    for label, owner, attr in STAGES:
        setattr(owner, attr, timed(getattr(owner, attr), totals, label))
    wall, rows = run(paths, corpus, args.out)
    print(f"{len(paths)} files, {size:.1f} MB, {rows} rows in {wall:.1f} s ({size / wall:.2f} MB/s, "
          f"{rows / wall:.0f} rows/s), one process")
    print(f"{'stage':58} {'s':>7} {'share':>6}")
    for label, _, _ in STAGES:
        t = totals.get(label, 0.0)
        print(f"{label:58} {t:7.2f} {t / wall:6.1%}")
    top_level = sum(t for label, t in totals.items() if not label.startswith("  "))
    print(f"{'other (walk, manifest, glue)':58} {wall - top_level:7.2f} {(wall - top_level) / wall:6.1%}")

    if args.top:
        prof = cProfile.Profile()
        prof.enable()
        run(paths, corpus, args.out)
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
