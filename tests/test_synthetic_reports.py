"""Extraction on reports written for testing in the styles the tool meets in the wild.

``tests/data/synthetic`` holds 61 reports of other places, years and genres than the bundled
ones (communiqués, work reports, plan reports, news, Q&A, a flattened table, web pages, texts
full of figures that are no indicator), written with invented numbers, each with its answer
key. Every difference between the extraction and the keys is listed in ``known_gaps.csv`` with
its reason, so the test is exact: a new miss or extra row fails it, and so does a known gap
that is fixed (remove its line then, as with a strict xfail).
"""

from __future__ import annotations

import csv
from dataclasses import asdict

import pytest
from scoring import DATA, _key, read_gold, score

from luoyang_metrics.pipeline import iter_extract

SYNTHETIC = DATA / "synthetic"


def _known() -> dict[str, set[tuple]]:
    out: dict[str, set[tuple]] = {"missed": set(), "extra": set()}
    with (SYNTHETIC / "known_gaps.csv").open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            assert r["reason"].strip(), f"known gap without a reason: {r}"
            out[r["outcome"]].add((*_key(r), round(float(r["value"]), 6)))
    return out


@pytest.fixture(scope="module")
def result(rs):
    rows = []
    for res in iter_extract(SYNTHETIC / "docs", rs):
        assert res.error is None, res
        rows.extend(asdict(r) for r in res.rows)
    return score(rows, read_gold(SYNTHETIC / "gold"))


def _found(rows: list[dict]) -> set[tuple]:
    return {(*_key(r), round(float(r["value"]), 6)) for r in rows}


def test_misses_are_the_known_ones(result):
    assert _found(result.misses) == _known()["missed"], result.report()


def test_extra_rows_are_the_known_ones(result):
    assert _found(result.false_positives) == _known()["extra"], result.report()


def test_every_report_has_its_answer_key():
    docs = {p.stem for p in (SYNTHETIC / "docs").glob("*.txt")}
    keys = {p.stem for p in (SYNTHETIC / "gold").glob("*.csv")}
    assert docs == keys and len(docs) == 61
