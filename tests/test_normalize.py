"""Normalization: NFKC folding, PDF reflow, and the map back to original lines."""

from __future__ import annotations

from luoyang_metrics.normalize import normalize, readable, sentences

WRAPPED = (
    "数据显示，2020 年，洛阳高新区实现生产总值\n\n"
    "250.9亿元，同比增长 5.4%，居洛阳市第一；规模以上\n\n"
    "工业增加值 55亿元、同比增长 4.4%，高于洛阳市 0.9\n"
    "个百分点；固定资产投资 115.5亿元、同比增长 6.9%，\n\n"
    "高于洛阳市1个百分点。\n\n"
    "党建引领提升服务效能\n"
    "打造营商环境示范高地\n"
)


def test_fullwidth_is_folded_for_matching():
    n = normalize("全区地区生产总值２１５．６亿元，增长４．２％。")
    assert n.text == "全区地区生产总值215.6亿元,增长4.2%。"


def test_raw_and_evidence_stay_readable():
    src = "全区地区生产总值２１５．６亿元，增长４．２％。"
    n = normalize(src)
    i = n.text.index("215.6")
    assert n.readable(i, i + 7) == "２１５．６亿元"
    assert readable("增长 5.4%，\n\n居") == "增长5.4%，居"


def test_wrapped_lines_are_joined_across_blank_lines():
    n = normalize(WRAPPED)
    first = n.text[n.paragraphs[0].start:n.paragraphs[0].end]
    assert "洛阳高新区实现生产总值250.9亿元,同比增长5.4%" in first
    assert "高于洛阳市0.9个百分点" in first
    assert len(n.paragraphs) == 3


def test_headings_stay_separate_paragraphs():
    n = normalize(WRAPPED)
    texts = [n.text[p.start:p.end] for p in n.paragraphs]
    assert texts[1:] == ["党建引领提升服务效能", "打造营商环境示范高地"]
    assert n.headings == frozenset({1, 2})


def test_every_offset_maps_to_its_true_line():
    n = normalize(WRAPPED)
    assert n.line_of(n.text.index("250.9")) == 3
    assert n.line_of(n.text.index("55亿元")) == 5
    assert n.line_of(n.text.index("个百分点")) == 6
    assert n.line_of(n.text.index("115.5")) == 6
    assert n.line_of(n.text.index("打造")) == 11


def test_markdown_marks_are_dropped():
    n = normalize("## 回顾2020\n\n**强化带动抓创新。**新增培育科技型中小企业323家。")
    assert n.text == "回顾2020\n强化带动抓创新。新增培育科技型中小企业323家。"
    assert n.line_of(n.text.index("323")) == 3


def test_spaces_between_ascii_words_survive():
    assert normalize("R&D 经费 与 Big Data 123 456").text == "R&D经费与Big Data 123 456"


def test_sentences_split_after_full_stops():
    n = normalize("甲增长5%。乙下降2%!丙持平?丁")
    got = [n.text[s.start:s.end] for s in sentences(n.text, n.paragraphs[0])]
    assert got == ["甲增长5%。", "乙下降2%!", "丙持平?", "丁"]


def test_figure_broken_onto_the_next_line_is_joined():
    # a short line ending in a word and a line opening with a figure: one sentence
    n = normalize("　　全年全市社会消费品零售总额\n\n412.63亿元，比上年增长5.7%。")
    assert n.text == "全年全市社会消费品零售总额412.63亿元,比上年增长5.7%。"
    assert n.line_of(n.text.index("412.63")) == 3


def test_heading_before_a_year_or_a_numbered_item_stays_apart():
    assert normalize("一、综合\n2023年,全市生产总值100亿元。").text == "一、综合\n2023年,全市生产总值100亿元。"
    assert normalize("二、工业\n1.规模以上工业增加值增长5%。").text == "二、工业\n1.规模以上工业增加值增长5%。"
    assert normalize("三、投资\n3、固定资产投资增长5%。").text == "三、投资\n3、固定资产投资增长5%。"
