"""Broken rule files: each kind of mistake stops the load with one clear line.

Every message must name the file, the rule (or indicator) id and the field, and say what to write
instead. The user-layer cases write a small rule file into a tmp folder; the shipped-folder cases copy
the shipped rules and break one file there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from luoyang_metrics.errors import RuleError
from luoyang_metrics.rules import load_rules, shipped_rules_dir

GOOD_RULE = """\
family: tourism
indicators:
  - {id: tourism_revenue, name: 旅游总收入, unit: 亿元}
rules:
  - id: tourism.revenue
    anchor: '旅游总收入'
    level: tourism_revenue
    examples:
      - {text: 全年旅游总收入12亿元。, rows: [{indicator: tourism_revenue, value: 12}]}
"""

RULE_FIELDS = (
    "after, anchor, counter, each, examples, forbids, growth, id, level, note, rate, requires, total, unit_word"
)


def _layer(tmp_path: Path, text: str, name: str = "tourism.yaml") -> Path:
    layer = tmp_path / "layer"
    layer.mkdir(exist_ok=True)
    (layer / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return layer


def _problems(*, extra: Path | None = None, base: Path | None = None) -> list[str]:
    with pytest.raises(RuleError) as info:
        load_rules([extra] if extra else (), base_dir=base)
    return str(info.value).splitlines()


def _shipped_copy(tmp_path: Path) -> Path:
    base = tmp_path / "rules"
    shutil.copytree(shipped_rules_dir(), base)
    return base


def test_good_layer_loads(tmp_path):
    rs = load_rules([_layer(tmp_path, GOOD_RULE)])
    assert rs.rules["tourism.revenue"].level == "tourism_revenue"
    assert rs.indicators["tourism_revenue"].unit == "亿元"
    assert rs.notices == ()


# Each case: what is changed in GOOD_RULE, and the one line the load stops with after the file's path.
BROKEN_RULES = [
    pytest.param("    level:", "    colour: red\n    level:",
                 f"rule 'tourism.revenue': unknown field 'colour'; allowed fields: {RULE_FIELDS}",
                 id="unknown_key"),
    pytest.param("value: 12}", "value: 12, regoin: 嵩县}",
                 "rule 'tourism.revenue': unknown field 'regoin' in examples[1].rows[1]; "
                 "did you mean 'region'? allowed fields: indicator, kind, period, qualifier, region, unit, value, year",
                 id="unknown_key_in_an_example_row"),
    pytest.param(", value: 12}", "}",
                 "rule 'tourism.revenue': missing field 'value' in examples[1].rows[1]; "
                 "add value: the number alone, in the indicator's unit (12, not 12亿元)",
                 id="missing_field"),
    pytest.param(", unit: 亿元}", "}",
                 "indicator 'tourism_revenue': missing field 'unit'; "
                 "add unit: a unit from rules/units.yaml, e.g. 亿元, %, 万人, 家",
                 id="missing_indicator_unit"),
    pytest.param("value: 12}", "value: 12亿元}",
                 "rule 'tourism.revenue': field 'examples[1].rows[1].value': '12亿元' is not of type 'number'; "
                 "write value: the number alone, in the indicator's unit (12, not 12亿元)",
                 id="value_written_with_its_unit"),
    pytest.param("    level: tourism_revenue", "    level: tourism_income",
                 "rule 'tourism.revenue': field 'level': indicator 'tourism_income' is not "
                 "declared; declare it under 'indicators' as {id: tourism_income, name: 中文名称, unit: 亿元}",
                 id="undeclared_indicator_id"),
    pytest.param("indicator: tourism_revenue", "indicator: tourism_revenu",
                 "rule 'tourism.revenue': field 'examples[1].rows[1].indicator': indicator "
                 "'tourism_revenu' is not declared; did you mean 'tourism_revenue'? or declare it under 'indicators' "
                 "as {id: tourism_revenu, name: 中文名称, unit: 亿元}",
                 id="misspelt_indicator_id_suggests_the_declared_one"),
    # One line: the rule that uses the indicator is not blamed a second time.
    pytest.param("unit: 亿元}", "unit: 亿圆}",
                 "indicator 'tourism_revenue': field 'unit': unit '亿圆' has no conversion in "
                 "rules/units.yaml; write a unit declared there, alone or after 万/亿 (亿元, 万人, 家, %)",
                 id="undeclared_unit"),
    pytest.param("value: 12}", "value: 120000, unit: 万元}",
                 "rule 'tourism.revenue': field 'examples[1].rows[1].unit': '万元' is not the "
                 "unit of indicator 'tourism_revenue' (亿元); write the value in 亿元 and leave 'unit' out",
                 id="example_row_in_another_unit"),
    pytest.param("    level: tourism_revenue", "    growth: tourism_revenue",
                 "rule 'tourism.revenue': field 'growth': indicator 'tourism_revenue' has unit "
                 "亿元, but a growth is in %; declare it with unit: \"%\" or put it under 'level'",
                 id="growth_indicator_not_in_percent"),
    pytest.param("anchor: '旅游总收入'", "anchor: '旅游(总收入'",
                 "rule 'tourism.revenue': field 'anchor': regex does not compile "
                 "(missing ) at position 6); fix the pattern (a literal bracket is written \\( \\) \\[ \\])",
                 id="regex_that_does_not_compile"),
    pytest.param("value: 12}]}", "value: 12}",
                 "line 10: not valid YAML: expected ',' or ']', but got '<stream end>'; "
                 "fix the syntax there (put regexes in single quotes: anchor: '生产总值|GDP')",
                 id="malformed_yaml"),
    pytest.param("  - {id: tourism_revenue, name: 旅游总收入, unit: 亿元}\n", "",
                 "field 'indicators': None is not of type 'array'; "
                 "write indicators: a list of {id, name, unit}, or leave the key out",
                 id="empty_indicators_key"),
]


@pytest.mark.parametrize(("old", "new", "message"), BROKEN_RULES)
def test_a_broken_rule_file_stops_the_load_with_one_line(tmp_path, old, new, message):
    assert old in GOOD_RULE
    layer = _layer(tmp_path, GOOD_RULE.replace(old, new))
    assert _problems(extra=layer) == [f"{layer / 'tourism.yaml'}: {message}"]


def test_misspelt_key_suggests_the_right_one(tmp_path):
    layer = _layer(tmp_path, GOOD_RULE.replace("    anchor:", "    anchr:"))
    problems = _problems(extra=layer)
    assert problems[0] == (f"{layer / 'tourism.yaml'}: rule 'tourism.revenue': unknown field 'anchr'; "
                           f"did you mean 'anchor'? allowed fields: {RULE_FIELDS}")


def test_unit_with_no_conversion_in_units_yaml(tmp_path):
    base = _shipped_copy(tmp_path)
    units = base / "units.yaml"
    text = units.read_text(encoding="utf-8")
    assert "  亩: {dimension: area, factor: 666.6666666666666}\n" in text
    units.write_text(text.replace("  亩: {dimension: area, factor: 666.6666666666666}\n",
                                  "  亩: {dimension: area}\n"), encoding="utf-8")
    assert _problems(base=base) == ["units.yaml: unit '亩': field 'factor' must be a number > 0, got None"]


def test_duplicate_rule_id_in_one_layer(tmp_path):
    layer = _layer(tmp_path, GOOD_RULE, "a.yaml")
    _layer(tmp_path, GOOD_RULE.replace("indicators:\n  - {id: tourism_revenue, name: 旅游总收入, unit: 亿元}\n", ""),
           "b.yaml")
    assert _problems(extra=layer) == [
        f"{layer / 'b.yaml'}: rule 'tourism.revenue': duplicate rule id (also in {layer / 'a.yaml'}); rename one"]


def test_duplicate_rule_id_in_the_shipped_folder(tmp_path):
    base = _shipped_copy(tmp_path)
    gdp = base / "indicators" / "gdp.yaml"
    text = gdp.read_text(encoding="utf-8")
    gdp.write_text(text.replace("  - id: gdp.per_capita\n", "  - id: gdp\n"), encoding="utf-8")
    assert _problems(base=base) == [f"{gdp}: rule 'gdp': duplicate rule id (also in {gdp}); rename one"]


def test_rule_with_no_examples(tmp_path):
    layer = _layer(tmp_path, GOOD_RULE.split("    examples:")[0] + "    examples: []\n")
    assert _problems(extra=layer) == [
        f"{layer / 'tourism.yaml'}: rule 'tourism.revenue': field 'examples' is empty; write examples: at least "
        "one {text: a sentence from a report, rows: [{indicator: ID, value: N}]}"]


def test_rule_without_examples_field(tmp_path):
    layer = _layer(tmp_path, GOOD_RULE.split("    examples:")[0])
    assert _problems(extra=layer) == [
        f"{layer / 'tourism.yaml'}: rule 'tourism.revenue': missing field 'examples'; add examples: at least "
        "one {text: a sentence from a report, rows: [{indicator: ID, value: N}]}"]


def test_rule_without_anchor_or_indicator(tmp_path):
    layer = _layer(tmp_path, GOOD_RULE.replace("    anchor: '旅游总收入'\n    level: tourism_revenue\n", ""))
    where = f"{layer / 'tourism.yaml'}: rule 'tourism.revenue'"
    assert _problems(extra=layer) == [
        f"{where}: needs 'anchor' (a regex of the phrase before the number), 'after' (the words after it) "
        "or 'unit_word' (its unit names it); add one",
        f"{where}: needs at least one of 'level', 'growth', 'rate' (indicator ids) or 'each' (rule ids); "
        "add the indicator the figure gives"]


def test_every_problem_of_a_file_is_listed(tmp_path):
    bad = GOOD_RULE.replace("anchor: '旅游总收入'", "anchor: '旅游(总收入'").replace(
        "indicator: tourism_revenue", "indicator: visitors")
    problems = _problems(extra=_layer(tmp_path, bad))
    fields = [p.split(": ", 2)[2].split(":")[0] for p in problems]
    assert fields == ["field 'anchor'", "field 'examples[1].rows[1].indicator'"]


# A user rule with the id of a shipped one (and no growth indicator, unlike the shipped rule).
REPLACING_GDP = """\
family: gdp
rules:
  - id: gdp
    anchor: '地区生产总值'
    level: gdp
    examples:
      - {text: 地区生产总值412.6亿元。, rows: [{indicator: gdp, value: 412.6}]}
"""


def test_user_rule_with_the_same_id_replaces_the_shipped_one(tmp_path):
    layer = _layer(tmp_path, REPLACING_GDP, "gdp.yaml")
    rs = load_rules([layer])
    shipped = shipped_rules_dir() / "indicators" / "gdp.yaml"
    assert rs.notices == (f"rule 'gdp' from {layer / 'gdp.yaml'} replaces the one in {shipped}",)
    assert rs.rules["gdp"].file == str(layer / "gdp.yaml")
    assert rs.rules["gdp"].growth is None
    assert len(rs.rules) == len(load_rules().rules)


# ----------------------------------------------------------------------------- the command line

def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # A wide console: each error must stay on one line, whatever the terminal.
    env = {**os.environ, "COLUMNS": "1000", "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "luoyang_metrics", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_rules_check_broken_folder_exits_2_without_traceback(tmp_path):
    layer = _layer(tmp_path, GOOD_RULE.replace("    level: tourism_revenue", "    level: tourism_income\n    x: 1"))
    res = _cli("rules", "check", str(layer), cwd=tmp_path)
    assert res.returncode == 2
    assert res.stdout == ""
    assert "Traceback" not in res.stderr
    assert res.stderr.splitlines() == [
        f"Error: {layer / 'tourism.yaml'}: rule 'tourism.revenue': unknown field 'x'; allowed fields: {RULE_FIELDS}"]


def test_rules_check_notes_a_replaced_rule(tmp_path):
    layer = _layer(tmp_path, REPLACING_GDP, "gdp.yaml")
    res = _cli("rules", "check", str(layer), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    shipped = shipped_rules_dir() / "indicators" / "gdp.yaml"
    assert res.stderr.splitlines() == [f"note: rule 'gdp' from {layer / 'gdp.yaml'} replaces the one in {shipped}"]
    assert res.stdout.startswith("rules OK: 34 rules, ")


def test_extract_with_a_broken_rules_folder_writes_nothing(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "a.txt").write_text("2023年,全市地区生产总值412.6亿元,同比增长3.8%。\n", encoding="utf-8")
    layer = _layer(tmp_path, "family: [unclosed\n")
    res = _cli("extract", str(reports), "--rules", str(layer), "-o", "out.csv", cwd=tmp_path)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert res.stderr.startswith(f"Error: {layer / 'tourism.yaml'}: line 2: not valid YAML")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["layer", "reports"]


def test_rule_file_not_in_utf8(tmp_path):
    layer = tmp_path / "layer"
    layer.mkdir()
    (layer / "tourism.yaml").write_bytes(GOOD_RULE.encode("gb18030"))
    assert _problems(extra=layer) == [f"{layer / 'tourism.yaml'}: not UTF-8 text; save the rule file as UTF-8"]
