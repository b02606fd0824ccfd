"""The answer-key scoring of the SPEC, written for the project's own tests."""

from __future__ import annotations

import csv
import math
import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).parent / "data"


def core_indicators() -> set[str]:
    with (DATA / "indicators.csv").open(encoding="utf-8") as f:
        return {r["indicator"] for r in csv.DictReader(f)}


def read_gold(folder: Path) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for p in sorted(folder.glob("*.csv")):
        with p.open(encoding="utf-8-sig", newline="") as f:
            rows.extend(csv.DictReader(f))
    return rows


def _key(r: dict) -> tuple:
    return (os.path.basename(str(r["source"])), int(float(r["year"])), str(r.get("period") or "Y"),
            str(r["region"]), str(r["indicator"]), str(r["kind"]))


@dataclass
class Score:
    precision: float
    recall: float
    misses: list[dict]
    false_positives: list[dict]

    def report(self) -> str:
        lines = [f"precision={self.precision:.3f} recall={self.recall:.3f}"]
        lines += [f"MISS {_key(m)} {m['value']} | {m['evidence'][:50]}" for m in self.misses]
        lines += [f"FP   {_key(r)} {r['value']} | {str(r['evidence'])[:50]}" for r in self.false_positives]
        return "\n".join(lines)


def score(produced: Iterable[dict], gold: list[dict]) -> Score:
    core = core_indicators()
    sources = {os.path.basename(g["source"]) for g in gold}
    rows = [r for r in produced if r["indicator"] in core and os.path.basename(str(r["source"])) in sources]
    index: dict[tuple, list[int]] = defaultdict(list)
    for i, g in enumerate(gold):
        index[_key(g)].append(i)
    matched: set[int] = set()
    fps = []
    for r in rows:
        hits = [i for i in index.get(_key(r), [])
                if math.isclose(float(gold[i]["value"]), float(r["value"]), rel_tol=1e-6, abs_tol=1e-9)]
        if hits:
            matched.update(hits)
        else:
            fps.append(r)
    precision = (len(rows) - len(fps)) / len(rows) if rows else 0.0
    recall = len(matched) / len(gold) if gold else 0.0
    misses = [g for i, g in enumerate(gold) if i not in matched]
    return Score(precision, recall, misses, fps)
