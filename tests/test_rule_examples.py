"""Every rule's own examples and counter-examples, one pytest case each.

The cases come from the rule files; a failure names the rule and the case.
Known gaps are marked in the rule file with ``xfail: reason`` and run as strict xfails.
"""

from __future__ import annotations

import pytest

from luoyang_metrics.rules import load_rules
from luoyang_metrics.ruletest import check_counter, check_example

_RS = load_rules()


def _cases():
    for rule in _RS.rules.values():
        for i, ex in enumerate(rule.examples):
            marks = [pytest.mark.xfail(reason=ex.xfail, strict=True)] if ex.xfail else []
            yield pytest.param(rule.id, "example", i, id=f"{rule.id}-example{i + 1}", marks=marks)
        for i, _ in enumerate(rule.counter):
            yield pytest.param(rule.id, "counter", i, id=f"{rule.id}-counter{i + 1}")


@pytest.mark.parametrize(("rule_id", "what", "index"), list(_cases()))
def test_rule_case(rule_id, what, index):
    rule = _RS.rules[rule_id]
    if what == "example":
        res = check_example(_RS, rule, index, rule.examples[index])
    else:
        res = check_counter(_RS, rule, index, rule.counter[index])
    assert res.ok, f"{rule_id} {res.case}: {res.text}\n expected {res.expected}\n got      {res.got}"


def test_every_rule_has_two_styles_of_examples():
    for rule in _RS.rules.values():
        styles = {ex.style for ex in rule.examples}
        assert len(rule.examples) >= 2, rule.id
        assert "communique" in styles, f"{rule.id} lacks a statistical-communiqué example"
        assert styles & {"news", "report", "plan"}, f"{rule.id} lacks a news or work-report example"


def test_every_core_indicator_has_rules():
    from scoring import core_indicators

    produced = set()
    for rule in _RS.rules.values():
        produced |= {x for x in (rule.level, rule.growth, rule.rate) if x}
    missing = core_indicators() - produced
    assert not missing
