"""Year, period, region and kind of each figure, from the sentence, the section and the report."""

from __future__ import annotations

import pytest

from luoyang_metrics.pipeline import analyse, extract_text


def _keys(text, rs, **kw):
    return [(r.indicator, r.value, r.year, r.period, r.region, r.kind) for r in extract_text(text, rules=rs, **kw)]


COMMUNIQUE = """嵩县2023年国民经济和社会发展统计公报
嵩县统计局

初步核算,全年全县地区生产总值215.6亿元,按不变价格计算,比上年增长4.2%。
"""

WORK_REPORT = """政府工作报告
——2024年1月12日在偃师区第一届人民代表大会第四次会议上

一、2023年工作回顾

过去一年,全区上下凝心聚力。预计全年地区生产总值增长6.5%,一般公共预算收入完成18.6亿元。

二、2024年主要目标任务

今年经济社会发展的主要预期目标是:地区生产总值增长7%左右,城镇新增就业1.2万人。
"""

ZONE_NEWS = """洛阳高新区召开经济工作会议
## 回顾2020
2020年,全区上下攻坚克难。全年实现进出口额82.2亿元,增长178.6%。
## 奋斗2021
会议确定主要预期目标:进出口总额增长12%以上。全市生产总值增长6%。
"""


def test_communique_describes_its_title_year_and_region(rs):
    assert _keys(COMMUNIQUE, rs) == [
        ("gdp", 215.6, 2023, "Y", "嵩县", "actual"),
        ("gdp_growth", 4.2, 2023, "Y", "嵩县", "actual"),
    ]


def test_work_report_reviews_last_year_and_targets_this_year(rs):
    assert _keys(WORK_REPORT, rs) == [
        ("gdp_growth", 6.5, 2023, "Y", "偃师区", "actual"),
        ("budget_revenue", 18.6, 2023, "Y", "偃师区", "actual"),
        ("gdp_growth", 7.0, 2024, "Y", "偃师区", "target"),
        ("urban_jobs_new", 1.2, 2024, "Y", "偃师区", "target"),
    ]


def test_headings_scope_years_and_zone_words_resolve(rs):
    assert _keys(ZONE_NEWS, rs) == [
        ("trade_total", 82.2, 2020, "Y", "洛阳高新区", "actual"),
        ("trade_total_growth", 178.6, 2020, "Y", "洛阳高新区", "actual"),
        ("trade_total_growth", 12.0, 2021, "Y", "洛阳高新区", "target"),
        ("gdp_growth", 6.0, 2021, "Y", "洛阳市", "target"),
    ]


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("一季度,全市地区生产总值1320.5亿元。", "Q1"),
        ("上半年,全市地区生产总值2600亿元。", "H1"),
        ("前三季度,全市地区生产总值4000亿元。", "Q1-3"),
        ("1-2月,全市社会消费品零售总额380.5亿元。", "M1-2"),
        ("1—11月,全市社会消费品零售总额1380.5亿元。", "M1-11"),
        ("全年全市地区生产总值5000亿元。", "Y"),
        ("10月23日,全市地区生产总值4212.3亿元。", "Y"),
    ],
)
def test_period_from_the_sentence(rs, text, period):
    rows = extract_text(text, year=2023, region="洛阳市", rules=rs)
    assert [r.period for r in rows] == [period]


def test_report_period_from_title(rs):
    text = "2023年一季度全市经济运行情况\n\n全市地区生产总值1320.5亿元,同比增长5.1%。"
    assert {(r.year, r.period) for r in extract_text(text, region="洛阳市", rules=rs)} == {(2023, "Q1")}


def test_subject_region_switches_and_comparisons_do_not(rs):
    text = "2023年,全市地区生产总值5000亿元,居全省第二;其中,洛龙区地区生产总值完成600亿元,增长6.2%。"
    assert _keys(text, rs, region="洛阳市") == [
        ("gdp", 5000.0, 2023, "Y", "洛阳市", "actual"),
        ("gdp", 600.0, 2023, "Y", "洛龙区", "actual"),
        ("gdp_growth", 6.2, 2023, "Y", "洛龙区", "actual"),
    ]


def test_bracketed_reference_value_belongs_to_the_reference_region(rs):
    text = "2024年全区地区生产总值增长6.0%,增速高于全市平均水平(4.9%)1.1个百分点。"
    assert _keys(text, rs, region="孟津区") == [
        ("gdp_growth", 6.0, 2024, "Y", "孟津区", "actual"),
        ("gdp_growth", 4.9, 2024, "Y", "洛阳市", "actual"),
    ]


def test_this_city_and_full_names(rs):
    text = "政府工作报告显示,2024年,该市地区生产总值6136.4亿元。"
    assert _keys(text, rs, region="惠州市") == [("gdp", 6136.4, 2024, "Y", "惠州市", "actual")]


def test_target_words_and_achievement_against_plan(rs):
    assert _keys("2023年全区力争地区生产总值增长8%。", rs, region="嵩县", year=2023)[0][-1] == "target"
    assert _keys("2023年实际利用外资4.7亿美元,完成年度目标的102%。", rs, region="嵩县", year=2023) == [
        ("foreign_investment", 4.7, 2023, "Y", "嵩县", "actual")]
    # a review's estimate is still an actual
    assert _keys("预计生产总值同比增长3%以上。", rs, region="洛阳市", year=2020)[0][-1] == "actual"


def test_comparison_base_year_is_not_the_figure_year(rs):
    rows = extract_text("2023年,全县地区生产总值达到300亿元,比2015年增长60%。", region="嵩县", rules=rs)
    assert [(r.indicator, r.value, r.year) for r in rows] == [("gdp", 300.0, 2023)]


def test_base_word_ending_the_paragraph_above_does_not_make_a_year_a_base(rs):
    rows = extract_text("与\n2023年,全市地区生产总值250.9亿元,比上年增长3.8%。", rules=rs)
    assert [(r.year, r.indicator, r.value) for r in rows] == [(2023, "gdp", 250.9), (2023, "gdp_growth", 3.8)]


def test_dateline_is_not_the_described_year(rs):
    text = "发布时间:2024-03-01\n\n洛阳市2023年国民经济和社会发展统计公报\n\n全年全市地区生产总值5400亿元。"
    ex = analyse(text, rs)
    assert (ex.info.year, ex.info.present) == (2023, 2024)
    assert [(r.year, r.region) for r in ex.rows] == [(2023, "洛阳市")]


def test_overrides_win_over_inference(rs):
    rows = extract_text(COMMUNIQUE, year=2030, region="栾川县", rules=rs)
    assert {(r.year, r.region) for r in rows} == {(2023, "栾川县")}
    rows = extract_text("全县地区生产总值215.6亿元。", year=2030, region="栾川县", rules=rs)
    assert {(r.year, r.region) for r in rows} == {(2030, "栾川县")}


def test_title_naming_the_report_year_does_not_scope_the_review(rs):
    text = ("栾川县2024年政府工作报告\n\n过去一年,全县地区生产总值完成420亿元,增长6.1%。\n\n"
            "今年主要预期目标是:地区生产总值增长7%左右。")
    assert _keys(text, rs) == [
        ("gdp", 420.0, 2023, "Y", "栾川县", "actual"),
        ("gdp_growth", 6.1, 2023, "Y", "栾川县", "actual"),
        ("gdp_growth", 7.0, 2024, "Y", "栾川县", "target"),
    ]


def test_work_report_title_with_the_issuing_government(rs):
    text = ("2024年嵩县人民政府工作报告\n\n过去一年,全县地区生产总值完成420亿元,增长6.1%。\n\n"
            "今年主要预期目标是:地区生产总值增长7%左右。")
    assert _keys(text, rs) == [
        ("gdp", 420.0, 2023, "Y", "嵩县", "actual"),
        ("gdp_growth", 6.1, 2023, "Y", "嵩县", "actual"),
        ("gdp_growth", 7.0, 2024, "Y", "嵩县", "target"),
    ]


def test_province_communique(rs):
    text = "河南省2023年国民经济和社会发展统计公报\n\n初步核算,全年全省地区生产总值59132.39亿元,比上年增长4.1%。"
    assert _keys(text, rs) == [
        ("gdp", 59132.39, 2023, "Y", "河南省", "actual"),
        ("gdp_growth", 4.1, 2023, "Y", "河南省", "actual"),
    ]


def test_period_opening_a_paragraph_carries_to_its_sentences(rs):
    text = "1-9月,全市规模以上工业增加值同比增长6.3%。固定资产投资同比增长8.2%。\n全年全市地区生产总值5400亿元。"
    rows = extract_text(text, year=2023, region="洛阳市", rules=rs)
    assert [(r.indicator, r.period) for r in rows] == [
        ("industrial_va_growth", "Q1-3"), ("fixed_asset_investment_growth", "Q1-3"), ("gdp", "Y")]


def test_target_word_opening_a_sentence_leads_only_a_list_of_figures(rs):
    lead = extract_text("力争全年地区生产总值增长7%以上,一般公共预算收入增长6%。", year=2023, region="洛阳市", rules=rs)
    assert [(r.indicator, r.kind) for r in lead] == [("gdp_growth", "target"), ("budget_revenue_growth", "target")]
    manner = extract_text("确保疫情防控和经济发展两不误,全市地区生产总值增长5.2%。",
                          year=2023, region="洛阳市", rules=rs)
    assert [(r.indicator, r.kind) for r in manner] == [("gdp_growth", "actual")]


def test_bracketed_value_of_the_year_before_is_that_years(rs):
    # "去年同期(5.0%)": the same place and period, a year earlier
    text = "2024年全区地区生产总值增长6.0%,增速高于去年同期(5.0%)1个百分点。"
    assert _keys(text, rs, region="孟津区") == [("gdp_growth", 6.0, 2024, "Y", "孟津区", "actual"),
                                                ("gdp_growth", 5.0, 2023, "Y", "孟津区", "actual")]
    text = "前三季度,全市规模以上工业增加值同比增长8.3%,比上年同期(6.5%)加快1.8个百分点。"
    assert _keys(text, rs, year=2024, region="洛阳市") == [
        ("industrial_va_growth", 8.3, 2024, "Q1-3", "洛阳市", "actual"),
        ("industrial_va_growth", 6.5, 2023, "Q1-3", "洛阳市", "actual")]


def test_bracketed_comparison_without_a_region_gives_nothing(rs):
    text = "2024年全区地区生产总值增长6.0%,增速高于预期目标(5.0%)1个百分点。"
    assert _keys(text, rs, region="孟津区") == [("gdp_growth", 6.0, 2024, "Y", "孟津区", "actual")]


@pytest.mark.parametrize(("months", "period"), [
    ("1-3月", "Q1"), ("1—6月份", "H1"), ("1-9月", "Q1-3"), ("1-12月", "Y"), ("1-2月", "M1-2"), ("1-11月", "M1-11"),
])
def test_months_of_a_quarter_half_or_year_are_that_period(rs, months, period):
    # "1-6月" and "上半年" are the same figures: one period, so that they compare
    rows = extract_text(f"{months},全市规模以上工业增加值同比增长6.3%。", year=2023, region="洛阳市", rules=rs)
    assert [(r.indicator, r.value, r.period) for r in rows] == [("industrial_va_growth", 6.3, period)]


PART_YEAR_NEWS = """1—2月份全省经济运行开局平稳
来源:河南日报 发布时间:2024-03-20 07:58

今年以来,全省上下认真落实省委经济工作会议部署,经济运行起步平稳。
全省规模以上工业增加值同比增长7.9%,高于全国(7.0%)0.9个百分点。
"""


def test_part_year_news_describes_the_year_it_is_published_in(rs):
    # the 经济工作会议 it mentions does not make it a review of the year before
    ex = analyse(PART_YEAR_NEWS, rs)
    assert (ex.info.year, ex.info.period, ex.info.review) == (2024, "M1-2", False)
    assert [(r.year, r.period, r.region, r.value) for r in ex.rows] == [
        (2024, "M1-2", "河南省", 7.9), (2024, "M1-2", "全国", 7.0)]


def test_period_title_may_name_the_region(rs):
    text = "前三季度洛阳市经济运行总体平稳\n发布时间:2022-10-28\n\n全市固定资产投资同比增长12.5%。"
    assert _keys(text, rs) == [("fixed_asset_investment_growth", 12.5, 2022, "Q1-3", "洛阳市", "actual")]


WEB_PAGE = """前三季度全市经济运行总体平稳
发布时间:2022-10-28

全市固定资产投资同比增长12.5%。
责任编辑:刘洋
相关阅读
·9月份全市居民消费价格同比上涨2.1%
·我市规模以上工业增加值增长6%
"""


def test_link_list_under_a_web_page_is_not_read(rs):
    # the titles under 相关阅读 are other articles: their figures are not this report's
    assert [(r.indicator, r.value) for r in extract_text(WEB_PAGE, region="洛阳市", rules=rs)] == [
        ("fixed_asset_investment_growth", 12.5)]


def test_estimate_in_a_review_is_the_years_value(rs):
    # 预计完成 in a January review is the year's estimated outcome, not a goal
    rows = extract_text("2024年,全区地区生产总值预计完成186.7亿元,同比增长5.3%。", year=2024, region="老城区", rules=rs)
    assert [(r.indicator, r.value, r.year, r.kind) for r in rows] == [
        ("gdp", 186.7, 2024, "actual"), ("gdp_growth", 5.3, 2024, "actual")]


def test_dang_nian_is_the_year_spoken_of(rs):
    # 当年 is "that year", not the year the report is published in
    text = WORK_REPORT.replace("预计全年地区生产总值增长6.5%,一般公共预算收入完成18.6亿元。",
                               "当年新增高新技术企业9家,总数达到42家。")
    assert [(r.indicator, r.value, r.year) for r in extract_text(text, rules=rs)][:2] == [
        ("high_tech_enterprises_new", 9.0, 2023), ("high_tech_enterprises", 42.0, 2023)]


def test_title_naming_the_year_of_an_economy_review(rs):
    text = ("伊川县统计局局长就2023年全县经济运行情况答记者问\n发布时间:2024-01-30\n\n"
            "问:2023年全县经济运行情况如何?\n答:全县地区生产总值增长5.1%。县政府工作报告提出,"
            "2024年全县地区生产总值增长6.5%左右。")
    assert _keys(text, rs) == [("gdp_growth", 5.1, 2023, "Y", "伊川县", "actual"),
                               ("gdp_growth", 6.5, 2024, "Y", "伊川县", "target")]


def test_census_names_its_year(rs):
    text = "第七次全国人口普查结果显示,全市常住人口为1859390人,与2010年第六次全国人口普查相比增加626033人。"
    rows = extract_text(text, year=2021, region="义乌市", rules=rs)
    assert [(r.indicator, r.value, r.year) for r in rows] == [("population", 185.939, 2020)]


@pytest.mark.parametrize(("text", "year", "region", "expected"), [
    # one month is no period of the table (the year and its parts counted from January)
    ("9月份,全市居民消费价格同比下降0.2%。1-9月,全市居民消费价格同比上涨0.3%。", 2023, "洛阳市",
     [("洛阳市", "cpi_change", 0.3, 2023, "Q1-3")]),
    # nor does it set the period of the sentences after it
    ("1-8月,全市规模以上工业增加值增长5.1%。8月份,全市规模以上工业增加值增长9.4%。巩义市规模以上工业增加值增长9.6%。",
     2022, "郑州市", [("郑州市", "industrial_va_growth", 5.1, 2022, "M1-8"),
                      ("巩义市", "industrial_va_growth", 9.6, 2022, "M1-8")]),
    # "面对上半年…的形势" looks back on the first half; the figures after it are the year's
    ("面对上半年规模以上工业增加值增速一度回落的严峻形势,我们及时出台稳经济措施。全县地区生产总值完成186.4亿元,同比增长4.6%。",
     2023, "汝阳县", [("汝阳县", "gdp", 186.4, 2023, "Y"), ("汝阳县", "gdp_growth", 4.6, 2023, "Y")]),
    # a period after a year opens the paragraph
    ("2023年1—6月份,全市规模以上工业增加值同比增长6.3%。固定资产投资同比增长8.2%。", None, "洛阳市",
     [("洛阳市", "industrial_va_growth", 6.3, 2023, "H1"),
      ("洛阳市", "fixed_asset_investment_growth", 8.2, 2023, "H1")]),
    # "一季度…" opens the paragraph, but "初步预计,全年…" opens a later sentence: the figures after it are the year's
    ("一季度全市生产总值增长5.1%,实现良好开局。初步预计,全年地区生产总值5675亿元左右,增长3.6%。规模以上工业增加值增长6.3%。",
     2022, "洛阳市", [("洛阳市", "gdp_growth", 5.1, 2022, "Q1"), ("洛阳市", "gdp", 5675.0, 2022, "Y"),
                      ("洛阳市", "gdp_growth", 3.6, 2022, "Y"), ("洛阳市", "industrial_va_growth", 6.3, 2022, "Y")]),
])
def test_period_of_each_figure_in_a_paragraph(rs, text, year, region, expected):
    rows = extract_text(text, year=year, region=region, rules=rs)
    assert [(r.region, r.indicator, r.value, r.year, r.period) for r in rows] == expected


ARCHIVE = """孟津区统计资料汇编

洛阳市孟津区2019年国民经济和社会发展统计公报
发布时间:2020-03-30

初步核算,全年全区地区生产总值5034.9亿元,按可比价格计算,比上年增长7.6%,经济运行总体平稳、稳中有进。

洛阳市孟津区2020年国民经济和社会发展统计公报
发布时间:2021-03-29

初步核算,全年全区地区生产总值5128.4亿元,按可比价格计算,比上年增长3.0%,经济运行稳定恢复、逐季回升。

前三季度孟津区经济运行稳中有进
发布时间:2022-10-28

前三季度,全区经济运行总体平稳,主要指标好于预期,全区规模以上工业增加值同比增长8.1%,高于全市平均水平。

区委经济工作会议召开
发布时间:2023-01-16

过去一年,全区上下凝心聚力、攻坚克难,全区地区生产总值增长5.2%。今年全区地区生产总值增长7.5%左右。
"""


def test_each_report_of_an_archive_file_keeps_its_own_year_and_period(rs):
    assert _keys(ARCHIVE, rs) == [
        ("gdp", 5034.9, 2019, "Y", "孟津区", "actual"), ("gdp_growth", 7.6, 2019, "Y", "孟津区", "actual"),
        ("gdp", 5128.4, 2020, "Y", "孟津区", "actual"), ("gdp_growth", 3.0, 2020, "Y", "孟津区", "actual"),
        ("industrial_va_growth", 8.1, 2022, "Q1-3", "孟津区", "actual"),
        ("gdp_growth", 5.2, 2022, "Y", "孟津区", "actual"), ("gdp_growth", 7.5, 2023, "Y", "孟津区", "target"),
    ]
