"""The first-character prefilter never changes what a pattern matches."""

from __future__ import annotations

import pytest
import regex

from luoyang_metrics.prefilter import first_chars, prefiltered


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
