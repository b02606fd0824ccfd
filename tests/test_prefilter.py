"""The first-character prefilter never changes what a pattern matches."""

from __future__ import annotations

import pytest
import regex

from luoyang_metrics.prefilter import first_chars, is_local, prefiltered


@pytest.mark.parametrize(
    ("pattern", "chars"),
    [
        ("粮食(?:总产量?|产量)", {"粮"}),
        ("(?<!人均)(?:地区|国内)?生产总值|GDP", {"地", "国", "生", "G"}),
        ("(?:第一|一|1)季度(?!重点)", {"第", "一", "1"}),
        ("[1-3]月", {"1", "2", "3"}),
        ("\\d+亿元", None),          # a class the parser cannot list cheaply
        ("(?:全年)?增长", {"全", "增"}),
        ("a*", None),                # may match empty: no filter
        (".+", None),
    ],
)
def test_first_chars(pattern, chars):
    got = first_chars(pattern)
    assert (set(got) if got is not None else None) == chars


@pytest.mark.parametrize("pattern", ["(?<!人均)(?:地区|国内)?生产总值|GDP", "(?:第一|一|1)季度", "[\\]^-]x"])
def test_prefiltered_matches_the_same(pattern):
    text = "人均地区生产总值与国内生产总值,GDP,第一季度一季度1季度]x^x-x"
    assert [m.span() for m in regex.finditer(prefiltered(pattern), text)] == \
        [m.span() for m in regex.finditer(pattern, text)]


def test_two_character_starts():
    from luoyang_metrics.prefilter import first_strings

    assert first_strings("(?<!人均)(?:地区|国内)?生产总值|GDP") == {"地区", "国内", "生产", "GD"}
    assert first_strings("(?:第一|一|1)季度(?!重点)") == {"第一", "一季", "1季"}
    assert first_strings("a.b") is None


def test_shipped_scans_match_without_prefilter(rs, root):
    import regex as re_

    from luoyang_metrics.normalize import normalize

    text = "".join(normalize(p.read_text(encoding="utf-8")).text for p in sorted((root / "seeds").glob("*.txt")))
    pattern = rs.anchor_re.pattern
    plain = re_.compile(pattern[pattern.index("))(?:") + 2:], re_.POSIX)
    assert [m.span() for m in rs.anchor_re.finditer(text)] == [m.span() for m in plain.finditer(text)]


def test_is_local_only_without_look_around_anchor_or_back_reference() -> None:
    local = ["年均", r"[二三四]年(?:来|间)", r"(?:19|20)\d{2}[-至](?:19|20)?\d{2}年", "a(?:b|c)*d"]
    contextual = ["(?<!行动)计划", "计划(?!执行)", "^年", "年$", r"\b年", r"(年)\1", r"\p{Han}年"]
    assert [is_local(p) for p in local] == [True] * len(local)
    assert [is_local(p) for p in contextual] == [False] * len(contextual)
