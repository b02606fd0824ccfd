"""A rule whose pattern backtracks catastrophically is reported and skipped; the run goes on."""

from __future__ import annotations

from luoyang_metrics.pipeline import analyse, extract_file
from luoyang_metrics.rules import load_rules

BAD_RULE = """family: bad
indicators:
  - {id: bad_ind, name: 坏指标, unit: 亿元}
rules:
  - id: bad.backtrack
    anchor: '(?:a|aa)+(?:a|aa)+b'
    level: bad_ind
    examples:
      - {text: aab 5亿元, rows: [{indicator: bad_ind, value: 5}]}
"""

TEXT = "a" * 40 + ",共5亿元。全年全区地区生产总值412.6亿元,比上年增长3.8%。"


def _rules(tmp_path):
    layer = tmp_path / "layer"
    layer.mkdir()
    (layer / "bad.yaml").write_text(BAD_RULE, encoding="utf-8")
    return load_rules([layer], timeout=0.1)


def test_hanging_rule_is_reported_and_skipped(tmp_path):
    rs = _rules(tmp_path)
    ex = analyse(TEXT, rs, year=2023, region="嵩县")
    assert len(ex.problems) == 1
    assert "bad.backtrack" in ex.problems[0] and "time limit" in ex.problems[0]
    assert [(r.indicator, r.value) for r in ex.rows] == [("gdp", 412.6), ("gdp_growth", 3.8)]


def test_file_result_names_rule_and_file(tmp_path):
    rs = _rules(tmp_path)
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "r.txt").write_text(TEXT, encoding="utf-8")
    res = extract_file(reports / "r.txt", reports, rs, year=2023, region="嵩县")
    assert res.source == "r.txt"
    assert any("bad.backtrack" in w for w in res.warnings)
    assert len(res.rows) == 2
