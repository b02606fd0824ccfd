"""The fast scanning paths give exactly what the plain, slower scans give.

Three scans have a fast path: numbers (the stdlib engine, with two look-behinds checked per
match), rule phrases (an Aho-Corasick pass on how phrases start, then only the phrases that
can start there) and period phrases (``prefilter.Scanner``). Each is compared here with the
straightforward scan on texts built from the characters that make those scans hard: digits,
Chinese numerals, units, range dashes, minus signs, qualifiers, phrase fragments.
"""

from __future__ import annotations

from pathlib import Path

import regex
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from luoyang_metrics.matching import Anchor, find_anchors
from luoyang_metrics.normalize import Span, all_sentences, clause_start, sentences
from luoyang_metrics.numbers import _mention, _opening_quotes, find_numbers
from luoyang_metrics.pipeline import analyse
from luoyang_metrics.prefilter import scanner
from luoyang_metrics.rules import RuleSet

ROOT = Path(__file__).resolve().parent.parent
DATA, SEEDS = ROOT / "tests" / "data", ROOT / "seeds"
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces that combine into the hard cases: ranges (6%-7%, 3至5个), a minus after a unit
# (5亿元-3%), codes (G20), ordinals, quotes, phrases that share starts (地区生产总值 / 地区).
PIECES = ["1", "2", "5", "0", ".", ",", "-", "−", "—", "~", "至", " ", "%", "个", "个百分点", "亿元", "万", "元",
          "亿", "人", "人口", "家", "一", "两", "三", "十", "百", "千", "第", "前", "目前", "约", "超过", "不少于",
          "以上", "左右", "余", "多", "G", "P", "+", "“", "”", "增长", "下降", "比上年", "全年", "上半年", "1-9月",
          "一季度", "年末", "地区生产总值", "GDP", "地区", "一般公共预算收入", "固定资产投资", "社会消费品零售总额",
          "限上", "规上工业增加值", "粮食总产量", "常住人口", ",", "。", ";", ":", "(", ")", "\n"]
texts = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


def _exact_numbers(text: str, rs: RuleSet) -> list:
    """find_numbers as the exact pattern alone finds them (the slower engine, every look-behind)."""
    openers = _opening_quotes(text)
    found = (_mention(text, m, rs.units, openers) for m in rs.units.pattern.finditer(text))
    return [n for n in found if n is not None]


@SETTINGS
@given(text=texts)
@example(text="增长6%-7%,投资5亿元-3%,3至5个,三至五个,G20,第5,前十名,目前5家")
@example(text="5亿元−3%,下降-2.6%,1,234,5678亿元")
def test_number_scan_equals_the_exact_pattern(rs: RuleSet, text: str) -> None:
    assert find_numbers(text, rs.units) == _exact_numbers(text, rs)


def _combined_anchors(text: str, rs: RuleSet, spans: list[Span]) -> list[Anchor]:
    """What the one combined, leftmost-longest pattern finds in each span."""
    assert rs.anchor_re is not None
    return [Anchor(m.start(), m.end(), rs.group_rules[m.lastgroup])
            for s in spans for m in rs.anchor_re.finditer(text, s.start, s.end) if m.lastgroup]


@SETTINGS
@given(text=texts)
@example(text="全市地区生产总值5100亿元,限上社会消费品零售总额增长5%;规上工业增加值、固定资产投资分别增长3%和4%")
def test_anchor_index_equals_the_combined_scan(rs: RuleSet, text: str) -> None:
    assert rs.anchor_index is not None
    spans = all_sentences(text)
    assert find_anchors(text, rs, [], spans) == _combined_anchors(text, rs, spans)
    assert find_anchors(text, rs) == _combined_anchors(text, rs, [Span(0, len(text))])


@SETTINGS
@given(text=texts)
@example(text="上半年,1-9月,一季度,第一季度重点,全年,年末,10月份,1-12月")
def test_period_scanner_equals_finditer(rs: RuleSet, text: str) -> None:
    g = rs.grammar
    assert [m.span() for m in g.period_scanner.finditer(text)] == [m.span() for m in g.periods.finditer(text)]


def test_scanner_without_known_starts_is_plain_finditer() -> None:
    pattern = regex.compile(r"\d+年")
    scan = scanner(pattern, pattern.pattern)
    assert scan.starts is None
    assert [m.group() for m in scan.finditer("2023年和2024年")] == ["2023年", "2024年"]


def test_scanner_skips_candidates_inside_an_earlier_match() -> None:
    pattern = regex.compile("全年度|年度")
    scan = scanner(pattern, pattern.pattern)
    assert scan.starts is not None
    assert [m.span() for m in scan.finditer("全年度,年度")] == [(0, 3), (4, 6)]


@given(text=texts)
@SETTINGS
def test_all_sentences_equals_sentences_per_paragraph(text: str) -> None:
    # normalized text: paragraphs separated by one "\n", none empty
    text = "\n".join(p for p in text.split("\n") if p)
    paragraphs, start = [], 0
    for p in text.split("\n"):
        paragraphs.append(Span(start, start + len(p)))
        start += len(p) + 1
    assert all_sentences(text) == [s for p in paragraphs for s in sentences(text, p)]


@given(text=texts, lo=st.integers(0, 60), pos=st.integers(0, 80))
@SETTINGS
def test_clause_start_is_after_the_last_break(text: str, lo: int, pos: int) -> None:
    for breaks in (",;:。!?\n", ",;:", ",;"):
        expected = max([lo] + [text.rfind(ch, lo, pos) + 1 for ch in breaks])
        assert clause_start(text, lo, pos, breaks) == expected


@SETTINGS
@given(text=texts)
@example(text="常住人口720万人口,增长1%。全年地区生产总值5100亿元。新增5家")
def test_numbers_in_some_sentences_are_those_of_the_whole_text(rs: RuleSet, text: str) -> None:
    sents = all_sentences(text)
    spans = [(s.start, s.end) for s in sents[::2]]
    whole = find_numbers(text, rs.units)
    assert find_numbers(text, rs.units, spans) == [n for n in whole if any(a <= n.start < b for a, b in spans)]


READING = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@READING
@given(text=texts)
@example(text="2023年,全县常住人口72.5万人口,地区生产总值5100亿元,增长3%;新增企业5家。")
def test_reading_only_claimable_sentences_gives_the_same_rows(rs: RuleSet, text: str) -> None:
    text = "2023年嵩县统计公报\n" + text
    assert analyse(text, rs, every_number=False).rows == analyse(text, rs, every_number=True).rows


def test_reading_only_claimable_sentences_gives_the_same_rows_on_the_reports(rs: RuleSet) -> None:
    reports = sorted(DATA.glob("dev/docs/*.txt")) + sorted(SEEDS.glob("*.txt"))
    assert len(reports) == 9
    for path in reports:
        text = path.read_text(encoding="utf-8")
        fast, full = analyse(text, rs, every_number=False), analyse(text, rs, every_number=True)
        assert fast.rows == full.rows and fast.rows, path.name
        assert set(fast.numbers) <= set(full.numbers)
