"""Run the examples and counter-examples that every rule carries in its file."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from .model import Row
from .pipeline import analyse
from .rules import Example, Rule, RuleSet

DEFAULT_YEAR = 2023
DEFAULT_REGION = "洛阳市"
COMPARED_ALWAYS = ("indicator", "value", "unit", "kind", "qualifier")
COMPARED_IF_GIVEN = ("year", "region", "period")


@dataclass(frozen=True)
class CaseResult:
    rule: str
    case: str               # "example 1", "counter 2"
    text: str
    ok: bool
    expected: tuple[str, ...]
    got: tuple[str, ...]
    xfail: str | None = None

    @property
    def passed(self) -> bool:
        """A strict xfail passes when the case fails, and fails when it unexpectedly passes."""
        return (not self.ok) if self.xfail else self.ok


def _fmt(d: dict[str, object]) -> str:
    return " ".join(f"{k}={d[k]}" for k in d)


def _value_key(v: object) -> str:
    return f"{float(v):.6g}" if isinstance(v, int | float) else str(v)


def _expected(row: dict, rs: RuleSet) -> dict[str, object]:
    ind = rs.indicators[row["indicator"]]
    out: dict[str, object] = {
        "indicator": row["indicator"],
        "value": _value_key(row["value"]),
        "unit": row.get("unit", ind.unit),
        "kind": row.get("kind", "actual"),
        "qualifier": row.get("qualifier", "eq"),
    }
    for k in COMPARED_IF_GIVEN:
        if k in row:
            out[k] = row[k]
    return out


def _observed(row: Row, fields: Iterable[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for k in fields:
        v = getattr(row, k)
        out[k] = _value_key(v) if k == "value" else v
    return out


def rows_for(rs: RuleSet, rule: Rule, text: str, year: int | None, region: str | None) -> list[Row]:
    res = analyse(text, rs, source="<example>", year=year, region=region or DEFAULT_REGION,
                  default_year=DEFAULT_YEAR)
    return [r for r in res.rows if r.rule == rule.id]


def check_example(rs: RuleSet, rule: Rule, i: int, ex: Example) -> CaseResult:
    got_rows = rows_for(rs, rule, ex.text, ex.year, ex.region)
    expected = [_expected(r, rs) for r in ex.rows]
    fields = list(COMPARED_ALWAYS) + sorted({k for e in expected for k in e if k in COMPARED_IF_GIVEN})
    got = [_observed(r, fields) for r in got_rows]
    exp_strs = sorted(_fmt({k: e.get(k) for k in fields if k in e}) for e in expected)
    # Compare field by field: a field an expected row leaves out is not compared.
    remaining = Counter(_fmt({k: g[k] for k in fields}) for g in got)
    ok = len(got) == len(expected)
    for e in expected:
        match = next((s for s in remaining if remaining[s] and _matches(s, e)), None)
        if match is None:
            ok = False
            break
        remaining[match] -= 1
    got_strs = sorted(_fmt(g) for g in got)
    return CaseResult(rule.id, f"example {i + 1}", ex.text, ok, tuple(exp_strs), tuple(got_strs), ex.xfail)


def _matches(got_str: str, expected: dict[str, object]) -> bool:
    parts = dict(p.split("=", 1) for p in got_str.split(" "))
    for k, v in expected.items():
        if k == "value":
            if not math.isclose(float(parts["value"]), float(str(v)), rel_tol=1e-6, abs_tol=1e-9):
                return False
        elif str(parts.get(k)) != str(v):
            return False
    return True


def check_counter(rs: RuleSet, rule: Rule, i: int, text: str) -> CaseResult:
    got_rows = rows_for(rs, rule, text, None, None)
    got = tuple(sorted(_fmt(_observed(r, COMPARED_ALWAYS)) for r in got_rows))
    return CaseResult(rule.id, f"counter {i + 1}", text, not got_rows, (), got)


def run_cases(rs: RuleSet, rule_ids: Iterable[str] | None = None) -> list[CaseResult]:
    wanted = set(rule_ids) if rule_ids is not None else None
    out: list[CaseResult] = []
    for rule in rs.rules.values():
        if wanted is not None and rule.id not in wanted:
            continue
        for i, ex in enumerate(rule.examples):
            out.append(check_example(rs, rule, i, ex))
        for i, text in enumerate(rule.counter):
            out.append(check_counter(rs, rule, i, text))
    return out
