"""Tests of the "find numbers" stage: numerals, units, magnitudes, qualifiers, look-alikes."""

from __future__ import annotations

import functools
import math
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from luoyang_metrics.errors import RuleError
from luoyang_metrics.numbers import (
    UnitTable,
    convert,
    find_numbers,
    load_units,
    parse_chinese_numeral,
    unit_scale,
)

UNITS_YAML = Path(__file__).parents[1] / "rules" / "units.yaml"


@functools.cache
def _table() -> UnitTable:
    return load_units(UNITS_YAML)


@pytest.fixture
def units() -> UnitTable:
    return _table()


def nfkc(s: str) -> str:
    return unicodedata.normalize("NFKC", s)


# (text, [(value, unit, qualifier, raw), ...])
CASES: list[tuple[str, list[tuple[float, str, str, str]]]] = [
    # Arabic numerals, magnitudes, currencies
    ("实现生产总值250.9亿元,同比增长5.4%", [(2.509e10, "元", "eq", "250.9亿元"), (5.4, "%", "eq", "5.4%")]),
    ("一般公共预算收入83456万元", [(834560000, "元", "eq", "83456万元")]),
    ("全社会固定资产投资1.6万亿元", [(1.6e12, "元", "eq", "1.6万亿元")]),
    ("设立基金3千万元", [(3e7, "元", "eq", "3千万元")]),
    ("实际利用外资4.7亿美元", [(4.7e8, "美元", "eq", "4.7亿美元")]),
    ("签订欧元合同2亿欧元", [(2e8, "欧元", "eq", "2亿欧元")]),
    ("人均可支配收入37000元", [(37000, "元", "eq", "37000元")]),
    ("投资5,100亿元", [(5.1e11, "元", "eq", "5,100亿元")]),
    ("总额1,234,567元", [(1234567, "元", "eq", "1,234,567元")]),
    ("资金5,100.5万元", [(51005000, "元", "eq", "5,100.5万元")]),
    ("新增1,2345家", [(2345, "家", "eq", "2345家")]),            # comma + 4 digits ends a clause
    ("增长5,10个项目", [(10, "个", "eq", "10个")]),
    # full-width input, folded by NFKC as the normalizer does
    (nfkc("生产总值２５０．９亿元，增长５．４％"),
     [(2.509e10, "元", "eq", "250.9亿元"), (5.4, "%", "eq", "5.4%")]),
    (nfkc("投资５，１００亿元"), [(5.1e11, "元", "eq", "5,100亿元")]),
    (nfkc("增长－２．６％"), [(-2.6, "%", "eq", "-2.6%")]),
    (nfkc("控制在３％以内"), [(3, "%", "le", "3%以内")]),
    # signs
    ("规模以上工业增加值增长-2.6%", [(-2.6, "%", "eq", "-2.6%")]),
    ("分别为5%,-3%", [(5, "%", "eq", "5%"), (-3, "%", "eq", "-3%")]),
    # people, visits, households
    ("城镇新增就业11万人", [(1.1e5, "人", "eq", "11万人")]),
    ("贫困人口3827名", [(3827, "名", "eq", "3827名")]),
    ("一个有着720万人口的城市", [(7.2e6, "人口", "eq", "720万人口")]),
    ("开展创业培训1.5万人次", [(15000, "人次", "eq", "1.5万人次")]),
    ("完成农村改厕10万户", [(1e5, "户", "eq", "10万户")]),
    # countable units
    ("新增高新技术企业52家", [(52, "家", "eq", "52家")]),
    ("新建创新平台373个", [(373, "个", "eq", "373个")]),
    ("新增创新案例35项", [(35, "项", "eq", "35项")]),
    ("新建幼儿园22所", [(22, "所", "eq", "22所")]),
    ("建成城市书房204座,小游园278处", [(204, "座", "eq", "204座"), (278, "处", "eq", "278处")]),
    ("立案3600件", [(3600, "件", "eq", "3600件")]),
    ("新增注册基金2只", [(2, "只", "eq", "2只")]),
    ("攀升至3000台,新增车辆500辆", [(3000, "台", "eq", "3000台"), (500, "辆", "eq", "500辆")]),
    ("安置房3828套,打通断头路13条", [(3828, "套", "eq", "3828套"), (13, "条", "eq", "13条")]),
    # area, length, mass, volume, power
    ("建设用地1200亩", [(1200, "亩", "eq", "1200亩")]),
    ("造林2.5万公顷", [(25000, "公顷", "eq", "2.5万公顷")]),
    ("新增孵化面积50万平方米", [(5e5, "平方米", "eq", "50万平方米")]),
    ("面积扩大到131.5平方公里", [(131.5, "平方公里", "eq", "131.5平方公里")]),
    ("改建农村公路400公里", [(400, "公里", "eq", "400公里")]),
    ("粮食总产达到161.3亿斤", [(1.613e10, "斤", "eq", "161.3亿斤")]),
    ("产量25.8万吨,每亩600公斤", [(258000, "吨", "eq", "25.8万吨"), (600, "公斤", "eq", "600公斤")]),
    ("供水1.2亿立方米", [(1.2e8, "立方米", "eq", "1.2亿立方米")]),
    ("装机100万千瓦", [(1e9, "瓦", "eq", "100万千瓦")]),
    # rates, percentage points, ratios, durations
    ("高于全市0.9个百分点", [(0.9, "个百分点", "eq", "0.9个百分点")]),
    ("提高1.08百分点", [(1.08, "百分点", "eq", "1.08百分点")]),
    ("提高一个百分点", [(1, "个百分点", "eq", "一个百分点")]),
    ("是全国平均水平的9倍", [(9, "倍", "eq", "9倍")]),
    ("增长一倍", [(1, "倍", "eq", "一倍")]),
    ("占全市的四成", [(4, "成", "eq", "四成")]),
    ("比重超四成", [(4, "成", "gt", "四成")]),
    ("占比九成以上", [(9, "成", "ge", "九成以上")]),
    ("实现两位数增长", [(10, "%", "ge", "两位数")]),
    ("达到百分之五十", [(50, "%", "eq", "百分之五十")]),
    ("办理时间3个月", [(3, "个月", "eq", "3个月")]),
    ("仅用时5分钟", [(5, "分钟", "eq", "5分钟")]),
    # Chinese numerals
    ("新增一百二十家", [(120, "家", "eq", "一百二十家")]),
    ("投资三千五百万元", [(3.5e7, "元", "eq", "三千五百万元")]),
    ("流转两千亩", [(2000, "亩", "eq", "两千亩")]),
    ("落实一百零五项", [(105, "项", "eq", "一百零五项")]),
    ("确定十项重点工作", [(10, "项", "eq", "十项")]),
    ("已运行两条线路", [(2, "条", "eq", "两条")]),
    ("实施一个项目,引进一家企业", []),                          # 一 is an article
    # qualifiers: prefixes
    ("减免企业费用超过1亿元", [(1e8, "元", "gt", "1亿元")]),
    ("超百亿元的15家", [(1e10, "元", "gt", "百亿元"), (15, "家", "eq", "15家")]),
    ("地区生产总值突破3000亿元", [(3e11, "元", "gt", "3000亿元")]),
    ("产值逾50亿元", [(5e9, "元", "gt", "50亿元")]),
    ("近700万元", [(7e6, "元", "approx", "700万元")]),
    ("约3亿元", [(3e8, "元", "approx", "3亿元")]),
    ("接近90%", [(90, "%", "approx", "90%")]),
    ("将近200人", [(200, "人", "approx", "200人")]),
    ("大约30公里", [(30, "公里", "approx", "30公里")]),
    ("新增高新技术企业不少于20家", [(20, "家", "ge", "20家")]),
    ("比重不低于6%", [(6, "%", "ge", "6%")]),
    ("至少1家", [(1, "家", "ge", "1家")]),
    ("负债率不超过3%", [(3, "%", "le", "3%")]),
    ("涨幅不高于3.5%", [(3.5, "%", "le", "3.5%")]),
    ("节约3亿元", [(3e8, "元", "eq", "3亿元")]),                 # 节约 is not 约
    # qualifiers: suffixes and infixes
    ("增长10%以上", [(10, "%", "ge", "10%以上")]),
    ("涨幅控制在3%以内", [(3, "%", "le", "3%以内")]),
    ("失业率5.5%以下", [(5.5, "%", "le", "5.5%以下")]),
    ("误差1%之内", [(1, "%", "le", "1%之内")]),
    ("增长6%左右", [(6, "%", "approx", "6%左右")]),
    ("增长6%上下", [(6, "%", "approx", "6%上下")]),
    ("稳定在45亿斤以上", [(4.5e9, "斤", "ge", "45亿斤以上")]),
    ("上云企业5000余家", [(5000, "家", "approx", "5000余家")]),
    ("建设用地1.2万余亩", [(12000, "亩", "approx", "1.2万余亩")]),
    ("近70多个重大专项", [(70, "个", "approx", "70多个")]),      # the suffix side wins
    ("投资100多亿元", [(1e10, "元", "approx", "100多亿元")]),
    ("资金5000余万元", [(5e7, "元", "approx", "5000余万元")]),
    ("服务企业百余家", [(100, "家", "approx", "百余家")]),
    ("超过60家以上", [(60, "家", "ge", "60家以上")]),
    # never values: ordinals, names, codes, dates, ranges
    ("成功举办第五届创业之星大赛,居全省第1位", []),
    ("实施“97183”行动,构建“755”产业体系", []),
    ("提升“9+2”工作布局,推进“6+3+X”", []),
    ("谋划“十四五”发展,推进“三区”融合", []),
    ("“三个”翻番", []),
    ("普莱柯P3实验室,新增3A级景区,5G网络,G20峰会", []),
    ("打造“3+1”新格局,9+2个", []),
    ("地铁1号线试运营", []),
    ("发布时间:2021-01-15 17:59", []),
    ("1月30日召开会议", []),
    ("2020年,全区上下", []),
    ("增长6%-7%", []),
    ("增长6-7%", []),
    ("新增3至5个", []),
    ("三至五个", []),
    ("增长5%—6%", []),
    ("投资5,100-6,200亿元", []),
    ("出生率7.62‰", []),
    ("千家万户,万人空巷", []),
    ("几十家企业", []),
    ("三五个", []),
    ("进入全国前十名", []),
    ("上下游企业", []),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0][:20] for c in CASES])
def test_find_numbers(text: str, expected: list[tuple[float, str, str, str]], units: UnitTable) -> None:
    got = find_numbers(text, units)
    assert [(m.unit, m.qualifier, m.raw) for m in got] == [(u, q, r) for _, u, q, r in expected]
    for mention, (value, *_rest) in zip(got, expected, strict=True):
        assert math.isclose(mention.value, value, rel_tol=1e-12), (mention.raw, mention.value, value)


@pytest.mark.parametrize(
    ("text", "dimension"),
    [("3亿美元", "usd"), ("3亿元", "cny"), ("3万人次", "person_times"), ("3万人", "people"),
     ("3户", "households"), ("55家", "count"), ("45亿斤", "mass"), ("2亩", "area"), ("3公里", "length"),
     ("5%", "percent"), ("四成", "percent"), ("1.5个百分点", "pp"), ("9倍", "ratio")],
)
def test_dimension(text: str, dimension: str, units: UnitTable) -> None:
    [mention] = find_numbers(text, units)
    assert mention.dimension == dimension


def test_offsets_and_order(units: UnitTable) -> None:
    text = "全年新增就业超过1.2万人,增长10%以上;新建平台70多个。"
    got = find_numbers(text, units)
    assert [(m.qual_start, m.start, m.end) for m in got] == [(6, 8, 13), (16, 16, 21), (26, 26, 30)]
    assert [text[m.start:m.end] for m in got] == [m.raw for m in got]
    assert text[got[0].qual_start:got[0].start] == "超过"
    assert all(a.end <= b.qual_start for a, b in zip(got, got[1:], strict=False))


def test_text_offsets_across_paragraphs(units: UnitTable) -> None:
    text = "实现生产总值\n\n250.9亿元,居全市第一\n增长5.4%"
    got = find_numbers(text, units)
    assert [(m.start, m.raw) for m in got] == [(8, "250.9亿元"), (24, "5.4%")]


def test_seed_sentence(units: UnitTable) -> None:
    text = nfkc("新增培育科技型中小企业３２３家，占全省的２．７３％，增长１１．８％。"
                "新增培育高新技术企业５２家。")
    got = find_numbers(text, units)
    assert [(m.value, m.unit, m.raw) for m in got] == [
        (323, "家", "323家"), (2.73, "%", "2.73%"), (11.8, "%", "11.8%"), (52, "家", "52家")]


_ALPHABET = "0123456789.,-+%“”第亿万千百十一二两三五零余多个家元人次百分点成以上左右超过近约至年月A\n"


@given(st.text(alphabet=_ALPHABET, max_size=40))
def test_find_numbers_is_well_formed_on_any_text(text: str) -> None:
    table = _table()  # hypothesis forbids function-scoped fixtures
    got = find_numbers(text, table)
    for mention in got:
        assert mention.qual_start <= mention.start < mention.end
        assert text[mention.start:mention.end] == mention.raw
        assert mention.unit in table.units and mention.qualifier in {"eq", "ge", "gt", "le", "approx"}
        assert math.isfinite(mention.value)
    assert all(a.end <= b.qual_start for a, b in zip(got, got[1:], strict=False))


@pytest.mark.parametrize(
    ("numeral", "value"),
    [("一百二十", 120), ("两", 2), ("三千五百万", 35_000_000), ("一百零五", 105), ("十二", 12),
     ("百", 100), ("一万二千", 12_000), ("十", 10), ("二十", 20), ("零", 0), ("一千零一十", 1010),
     ("一亿零五百万", 105_000_000), ("万亿", 1e12), ("三万亿", 3e12), ("百亿", 1e10),
     ("一百二", 120), ("一万二", 12_000), ("五十万", 500_000), ("两千", 2000),
     ("一万二千三百四十五", 12345), ("一万零二", 10002)],
)
def test_parse_chinese_numeral(numeral: str, value: float) -> None:
    assert parse_chinese_numeral(numeral) == value


@pytest.mark.parametrize("bad", ["", "十四五", "三五", "二〇二〇", "百千", "三区", "一二三", "万万"])
def test_parse_chinese_numeral_rejects(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_chinese_numeral(bad)


_ZH = "零一二三四五六七八九"


def _to_chinese(n: int) -> str:
    """Standard reading of 0 < n < 1e8 (the inverse the parser must honour)."""
    def below_10000(k: int) -> str:
        out, zero = "", False
        for place, word in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
            d, k = divmod(k, place)
            if d:
                out += ("零" if zero and out else "") + _ZH[d] + word
                zero = False
            else:
                zero = True
        return out

    high, low = divmod(n, 10_000)
    if not high:
        return below_10000(low)
    joint = "零" if 0 < low < 1000 else ""
    return below_10000(high) + "万" + joint + (below_10000(low) if low else "")


@given(st.integers(min_value=1, max_value=99_999_999))
def test_parse_chinese_numeral_round_trip(n: int) -> None:
    assert parse_chinese_numeral(_to_chinese(n)) == n


@pytest.mark.parametrize(
    ("unit", "dimension", "factor"),
    [("亿元", "cny", 1e8), ("万元", "cny", 1e4), ("元", "cny", 1), ("亿美元", "usd", 1e8),
     ("万吨", "mass", 1e7), ("斤", "mass", 0.5), ("万人", "people", 1e4), ("万人次", "person_times", 1e4),
     ("%", "percent", 1), ("成", "percent", 10), ("家", "count", 1), ("个百分点", "pp", 1),
     ("百分点", "pp", 1), ("万亩", "area", 1e4 * 10_000 / 15), ("平方公里", "area", 1e6),
     ("千克", "mass", 1), ("万千瓦", "power", 1e7)],
)
def test_unit_scale(unit: str, dimension: str, factor: float, units: UnitTable) -> None:
    got_dimension, got_factor = unit_scale(unit, units)
    assert got_dimension == dimension
    assert math.isclose(got_factor, factor, rel_tol=1e-12)


@pytest.mark.parametrize("unit", ["", "件数", "年", "万", "亿万元x"])
def test_unit_scale_unknown(unit: str, units: UnitTable) -> None:
    with pytest.raises(ValueError):
        unit_scale(unit, units)


@pytest.mark.parametrize(
    ("value", "unit", "target", "expected"),
    [(4.5e9, "斤", "万吨", 225), (5000e4, "元", "亿元", 0.5), (3827, "名", "万人", 0.3827),
     (55, "家", "个", 55), (2.509e10, "元", "亿元", 250.9), (83456, "万元", "亿元", 8.3456),
     (4, "成", "%", 40), (1.613e10, "斤", "万吨", 806.5), (1200, "亩", "公顷", 80),
     (4.7e8, "美元", "亿美元", 4.7)],
)
def test_convert(value: float, unit: str, target: str, expected: float, units: UnitTable) -> None:
    assert convert(value, unit, target, units) == pytest.approx(expected, rel=1e-12)


def test_convert_exact_for_decimal_amounts(units: UnitTable) -> None:
    # Scaling down divides by an exact power of ten: the result is the float nearest the decimal.
    assert convert(83456, "万元", "亿元", units) == 8.3456
    assert convert(2.509e10, "元", "亿元", units) == 250.9


@pytest.mark.parametrize(
    ("unit", "target"), [("美元", "元"), ("亿元", "万吨"), ("人次", "人"), ("%", "个百分点")])
def test_convert_dimension_mismatch(unit: str, target: str, units: UnitTable) -> None:
    with pytest.raises(ValueError, match="cannot convert"):
        convert(1, unit, target, units)


def test_mentions_convert_to_canonical_units(units: UnitTable) -> None:
    [grain] = find_numbers("粮食总产稳定在45亿斤以上", units)
    assert convert(grain.value, grain.unit, "万吨", units) == 225
    [people] = find_numbers("脱贫3827名", units)
    assert convert(people.value, people.unit, "万人", units) == pytest.approx(0.3827, rel=1e-12)


# ---------------------------------------------------------------- units.yaml validation

_MINIMAL = """
units:
  元: {dimension: cny, factor: 1}
  "%": {dimension: percent, factor: 1}
magnitudes: {万: 10000}
approx_infixes: [余]
prefix_qualifiers: {超过: gt}
suffix_qualifiers: {以上: ge}
range_connectors: ["-"]
prefix_units: {百分之: "%"}
phrases: {两位数: {value: 10, unit: "%", qualifier: ge}}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "units.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_table_loads(tmp_path: Path) -> None:
    table = load_units(_write(tmp_path, _MINIMAL))
    got = find_numbers("超过3万元以上", table)
    assert [(m.value, m.unit, m.qualifier) for m in got] == [(3e4, "元", "ge")]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [("元: {dimension: cny, factor: 1}", "元: {dimension: cny, factor: abc}",
      "units.yaml: unit '元': field 'factor' must be a number"),
     ("元: {dimension: cny, factor: 1}", "元: {dimension: cny, factor: -1}",
      "unit '元': field 'factor' must be a number > 0"),
     ("元: {dimension: cny, factor: 1}", "元: {dimension: cny, factor: true}",
      "unit '元': field 'factor'"),
     ("元: {dimension: cny, factor: 1}", "元: {factor: 1}", "unit '元': field 'dimension'"),
     ("元: {dimension: cny, factor: 1}", "元: {dimension: cny, factor: 1, colour: red}",
      "unit '元': unknown field"),
     ("元: {dimension: cny, factor: 1}", "元: {dimension: cny, factor: 1, one_ok: 1}",
      "unit '元': field 'one_ok' must be true or false"),
     ("{万: 10000}", "{万: ten}", "magnitude '万'"),
     ("{万: 10000}", "{十万: 100000}", "must be a single character"),
     ("{超过: gt}", "{超过: more}", "prefix_qualifiers '超过': field 'qualifier'"),
     ("{以上: ge}", "{以上: {qualifier: ge, not_before: 1}}", "suffix_qualifiers '以上': field 'not_before'"),
     ("{百分之: \"%\"}", "{百分之: 个}", "prefix unit '百分之': field 'unit'"),
     ("unit: \"%\", qualifier: ge}", "unit: \"%\", qualifier: big}", "phrase '两位数': field 'qualifier'"),
     ("range_connectors: [\"-\"]", "range_connectors: []", "'range_connectors'"),
     ("range_connectors: [\"-\"]", "range_conectors: [\"-\"]", "unknown section"),
     ("approx_infixes: [余]\n", "", "missing section")],
)
def test_bad_tables_raise_rule_error(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in _MINIMAL
    with pytest.raises(RuleError, match=message):
        load_units(_write(tmp_path, _MINIMAL.replace(old, new)))


@pytest.mark.parametrize("text", ["[units", "- a\n- b\n", ""])
def test_malformed_yaml_raises_rule_error(tmp_path: Path, text: str) -> None:
    with pytest.raises(RuleError, match="units.yaml"):
        load_units(_write(tmp_path, text))


def test_missing_file_raises_rule_error(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="cannot read"):
        load_units(tmp_path / "units.yaml")
