"""Extraction on the bundled reports, scored against their hand-checked answer keys."""

from __future__ import annotations

from dataclasses import asdict

import pytest
from scoring import DATA, read_gold, score

from luoyang_metrics.pipeline import iter_extract


def _rows(folder, rs):
    out = []
    for res in iter_extract(folder, rs):
        assert res.error is None, res
        out.extend(asdict(r) for r in res.rows)
    return out


@pytest.mark.parametrize(("folder", "gold"), [("seeds", "gold/seeds"), ("tests/data/dev/docs", "gold/dev")])
def test_answer_keys_are_met_exactly(rs, root, folder, gold):
    # every gold row found, no other row of a scored indicator
    result = score(_rows(root / folder, rs), read_gold(DATA / gold))
    assert (result.misses, result.false_positives) == ([], []), result.report()
    assert (result.precision, result.recall) == (1.0, 1.0)


def test_every_row_is_traceable(rs, root):
    for res in iter_extract(root / "seeds", rs):
        text = (root / "seeds" / res.source).read_text(encoding="utf-8")
        lines = text.split("\n")
        flat = "".join(text.split())
        for row in res.rows:
            assert "".join(row.raw.split()) in flat
            # the number starts on the stated line
            digits = row.raw[: max(1, len(row.raw) // 3)]
            window = "".join("".join(lines[row.line - 1: row.line + 3]).split())
            assert digits in window, (row.line, row.raw)
