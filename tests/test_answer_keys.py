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


@pytest.mark.parametrize(
    ("folder", "gold", "min_precision", "min_recall"),
    [
        ("seeds", "gold/seeds", 0.95, 0.90),
        ("tests/data/dev/docs", "gold/dev", 0.90, 0.80),
    ],
)
def test_answer_key_scores(rs, root, folder, gold, min_precision, min_recall):
    result = score(_rows(root / folder, rs), read_gold(DATA / gold))
    assert result.precision >= min_precision, result.report()
    assert result.recall >= min_recall, result.report()


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
