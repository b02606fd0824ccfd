"""Sentence shapes that repeat or change an indicator without naming it again, and look-alikes
of them that must give nothing more than their named figures."""

from __future__ import annotations

import pytest

from luoyang_metrics.pipeline import extract_text
from luoyang_metrics.rules import RuleSet


def _rows(text: str, rs: RuleSet) -> list[tuple[object, ...]]:
    rows = extract_text(text, year=2023, region="洛阳市", rules=rs)
    return [(r.year, r.period, r.region, r.indicator, r.value) for r in rows]


@pytest.mark.parametrize(("text", "expected"), [
    ("偃师区地区生产总值完成385亿元,增长7%;孟津区完成290亿元,增长6.5%。",
     [(2023, "Y", "偃师区", "gdp", 385.0), (2023, "Y", "偃师区", "gdp_growth", 7.0),
      (2023, "Y", "孟津区", "gdp", 290.0), (2023, "Y", "孟津区", "gdp_growth", 6.5)]),
    ("一季度,全市地区生产总值1230亿元;上半年2580亿元;前三季度3900亿元。",
     [(2023, "Q1", "洛阳市", "gdp", 1230.0), (2023, "H1", "洛阳市", "gdp", 2580.0),
      (2023, "Q1-3", "洛阳市", "gdp", 3900.0)]),
    ("全市生产总值2022年为5675亿元,2023年达到5900亿元。",
     [(2022, "Y", "洛阳市", "gdp", 5675.0), (2023, "Y", "洛阳市", "gdp", 5900.0)]),
    ("地区生产总值由3782亿元增加到5480亿元,年均增长6.5%。", [(2023, "Y", "洛阳市", "gdp", 5480.0)]),
    # the earlier value is kept when its year is named
    ("常住人口城镇化率从2018年的45.2%提高到52.1%。",
     [(2018, "Y", "洛阳市", "urbanization_rate", 45.2), (2023, "Y", "洛阳市", "urbanization_rate", 52.1)]),
    ("高新技术企业总数由2021年的340家增加到426家。",
     [(2021, "Y", "洛阳市", "high_tech_enterprises", 340.0), (2023, "Y", "洛阳市", "high_tech_enterprises", 426.0)]),
    ("研发投入强度较上年提高0.2个百分点,达到2.3%。", [(2023, "Y", "洛阳市", "rd_intensity", 2.3)]),
    ("2023年,汝阳县、宜阳县和嵩县地区生产总值分别为120亿元、98亿元和245亿元,分别增长6.1%、5.8%和5%。",
     [(2023, "Y", "汝阳县", "gdp", 120.0), (2023, "Y", "宜阳县", "gdp", 98.0), (2023, "Y", "嵩县", "gdp", 245.0),
      (2023, "Y", "汝阳县", "gdp_growth", 6.1), (2023, "Y", "宜阳县", "gdp_growth", 5.8),
      (2023, "Y", "嵩县", "gdp_growth", 5.0)]),
    ("同期全国居民消费价格上涨0.2%。", [(2023, "Y", "全国", "cpi_change", 0.2)]),
    # periods enumerated before 分别, and their growth after the levels
    ("一季度、上半年全市地区生产总值分别为1230亿元和2580亿元,分别增长4.5%和5.1%。",
     [(2023, "Q1", "洛阳市", "gdp", 1230.0), (2023, "H1", "洛阳市", "gdp", 2580.0),
      (2023, "Q1", "洛阳市", "gdp_growth", 4.5), (2023, "H1", "洛阳市", "gdp_growth", 5.1)]),
    # periods opening clauses of growth: a decline narrowing to 1.3% is a fall of 1.3%
    ("一季度全省生产总值下降6.5%,上半年降幅收窄至1.3%,前三季度由负转正、增长0.7%。",
     [(2023, "Q1", "河南省", "gdp_growth", -6.5), (2023, "H1", "河南省", "gdp_growth", -1.3),
      (2023, "Q1-3", "河南省", "gdp_growth", 0.7)]),
    # a count of places standing for the list named earlier in the sentence ("三县")
    ("宜阳县、洛宁县、汝阳县地区生产总值分别为336.8亿元、206.4亿元和192.5亿元;三县一般公共预算收入分别为12.36亿元、8.14亿元和9.05亿元。",
     [(2023, "Y", "宜阳县", "gdp", 336.8), (2023, "Y", "洛宁县", "gdp", 206.4), (2023, "Y", "汝阳县", "gdp", 192.5),
      (2023, "Y", "宜阳县", "budget_revenue", 12.36), (2023, "Y", "洛宁县", "budget_revenue", 8.14),
      (2023, "Y", "汝阳县", "budget_revenue", 9.05)]),
    # places listed after 分别 in a clause of their own
    ("郑州市社会消费品零售总额1396.2亿元,增长6.5%;洛阳市、南阳市分别为688.2亿元和561.4亿元,分别增长6.3%和5.8%。",
     [(2023, "Y", "郑州市", "retail_sales", 1396.2), (2023, "Y", "郑州市", "retail_sales_growth", 6.5),
      (2023, "Y", "洛阳市", "retail_sales", 688.2), (2023, "Y", "南阳市", "retail_sales", 561.4),
      (2023, "Y", "洛阳市", "retail_sales_growth", 6.3), (2023, "Y", "南阳市", "retail_sales_growth", 5.8)]),
    # places counted after their list ("四省")
    ("湖北、湖南、安徽、陕西四省地区生产总值分别增长4.3%、4.5%、3.5%和4.3%。",
     [(2023, "Y", "湖北省", "gdp_growth", 4.3), (2023, "Y", "湖南省", "gdp_growth", 4.5),
      (2023, "Y", "安徽省", "gdp_growth", 3.5), (2023, "Y", "陕西省", "gdp_growth", 4.3)]),
    # a growth after another place, after a 分别 list
    ("巩义市、新郑市规模以上工业增加值分别增长9.6%和7.3%,郑州经济技术开发区增长5.2%,中牟县下降2.9%。",
     [(2023, "Y", "巩义市", "industrial_va_growth", 9.6), (2023, "Y", "新郑市", "industrial_va_growth", 7.3),
      (2023, "Y", "郑州经开区", "industrial_va_growth", 5.2), (2023, "Y", "中牟县", "industrial_va_growth", -2.9)]),
])
def test_unnamed_figures_take_the_sentence_indicator(rs: RuleSet, text: str, expected: list) -> None:
    assert _rows(text, rs) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # another figure of another kind after the place, period or year: not the indicator
    ("全市地区生产总值5100亿元;新安县完成投资50亿元。", [(2023, "Y", "洛阳市", "gdp", 5100.0)]),
    ("全市地区生产总值5100亿元,2023年新增企业5000家。", [(2023, "Y", "洛阳市", "gdp", 5100.0)]),
    ("全市地区生产总值5100亿元,洛阳市经济总量居全省第二。", [(2023, "Y", "洛阳市", "gdp", 5100.0)]),
    ("全市一般公共预算收入330亿元,税收收入250亿元。", [(2023, "Y", "洛阳市", "budget_revenue", 330.0)]),
    # a change of a rate in points is not the rate; a range of growth is not a growth figure
    ("城镇调查失业率下降0.3个百分点。", []),
    ("地区生产总值增速由5.2%回落到4.1%。", []),
    # places enumerated but not as many as the figures: nothing is paired
    ("汝阳县、宜阳县地区生产总值分别增长6.1%、5.8%和5%。", []),
])
def test_look_alikes_give_only_their_named_figures(rs: RuleSet, text: str, expected: list) -> None:
    assert _rows(text, rs) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # a town, street office or park as the subject: a part of the region, not its figure
    ("其中,城关镇完成固定资产投资26.8亿元,增长18.5%。", []),
    ("其中,上店镇依托红薯全产业链建设,农村居民人均可支配收入达到17860元。", []),
    ("汝阳县产业集聚区完成固定资产投资42.3亿元,增长15.2%。", []),
    ("其中,龙门街道实现社会消费品零售总额35亿元。", []),
    # 城乡, 城镇, 乡村, 乡镇 are not places; parks named in another clause leave the figure alone
    ("全市城乡居民人均可支配收入分别达到45108元、20021元。",
     [(2023, "Y", "洛阳市", "disposable_income_urban", 45108.0),
      (2023, "Y", "洛阳市", "disposable_income_rural", 20021.0)]),
    ("全市城镇新增就业8.5万人。", [(2023, "Y", "洛阳市", "urban_jobs_new", 8.5)]),
    ("格力智能产业园等专业园区加紧建设,23个重点项目完成投资103亿元。",
     [(2023, "Y", "洛阳市", "key_project_investment", 103.0)]),
])
def test_parts_of_a_region_give_no_rows(rs: RuleSet, text: str, expected: list) -> None:
    assert _rows(text, rs) == expected


def test_cumulative_figure_in_a_paragraph_about_several_years(rs: RuleSet) -> None:
    # the paragraph opens with 五年来: what its later sentences add up (累计) is no year's value
    text = "五年来,人民生活持续改善。城乡居民收入稳步增长;累计新增城镇就业30.2万人。全年城镇新增就业6.1万人。"
    assert _rows(text, rs) == [(2023, "Y", "洛阳市", "urban_jobs_new", 6.1)]
    # in a paragraph about one year, 累计 is the year's running total
    assert _rows("全年累计新增城镇就业6.1万人。", rs) == [(2023, "Y", "洛阳市", "urban_jobs_new", 6.1)]


@pytest.mark.parametrize(("text", "expected"), [
    # a second reference region after the first one's comparison
    ("前三季度,全市地区生产总值同比增长5.0%,增速高于全国(4.8%)0.2个百分点、全省(4.7%)0.3个百分点。",
     [(2023, "Q1-3", "洛阳市", "gdp_growth", 5.0), (2023, "Q1-3", "全国", "gdp_growth", 4.8),
      (2023, "Q1-3", "河南省", "gdp_growth", 4.7)]),
    ("全年地区生产总值增长6.1%,增速高于全国(5.2%)0.9个百分点,低于郑州市(7.4%)1.3个百分点。",
     [(2023, "Y", "洛阳市", "gdp_growth", 6.1), (2023, "Y", "全国", "gdp_growth", 5.2),
      (2023, "Y", "郑州市", "gdp_growth", 7.4)]),
    # 是…的N倍 with the region's value in brackets
    ("全区研发投入强度达到6.8%,是全市平均水平(2.45%)的2.8倍。",
     [(2023, "Y", "洛阳市", "rd_intensity", 6.8), (2023, "Y", "洛阳市", "rd_intensity", 2.45)]),
    # the reference value is of the period of the figure it is compared with, not of 一季度
    ("上半年,全市地区生产总值同比增长6.2%,增速较一季度加快0.4个百分点,高于全省(5.9%)0.3个百分点。",
     [(2023, "H1", "洛阳市", "gdp_growth", 6.2), (2023, "H1", "河南省", "gdp_growth", 5.9)]),
])
def test_reference_regions_in_brackets(rs: RuleSet, text: str, expected: list) -> None:
    assert _rows(text, rs) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # enumerated with phrases no rule knows: each known phrase keeps its own figure
    ("全区一般公共预算收入、税收收入分别完成9.02亿元、7.06亿元,分别增长3.6%、5.2%。",
     [(2023, "Y", "洛阳市", "budget_revenue", 9.02), (2023, "Y", "洛阳市", "budget_revenue_growth", 3.6)]),
    ("规模以上工业增加值、高技术制造业增加值分别增长8.1%和15.2%。",
     [(2023, "Y", "洛阳市", "industrial_va_growth", 8.1)]),
    # the unnamed item's figure is nobody's
    ("一般公共预算收入和税收收入分别增长6%、8%。", [(2023, "Y", "洛阳市", "budget_revenue_growth", 6.0)]),
])
def test_lists_with_phrases_no_rule_knows(rs: RuleSet, text: str, expected: list) -> None:
    assert _rows(text, rs) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # a part of a total after 其中 is not the place's value, in the sentence or the one after it
    ("全年实施重点项目152个,完成投资236.8亿元,其中12个省重点项目完成投资61.5亿元。",
     [(2023, "Y", "洛阳市", "key_project_investment", 236.8)]),
    ("全年重点项目完成投资586.2亿元。其中,省重点项目31个,完成投资172.4亿元。",
     [(2023, "Y", "洛阳市", "key_project_investment", 586.2)]),
    # another place after 其中 is that place's value
    ("全市地区生产总值5100亿元,其中,孟津区地区生产总值410亿元。",
     [(2023, "Y", "洛阳市", "gdp", 5100.0), (2023, "Y", "孟津区", "gdp", 410.0)]),
    # parks as the subject of a clause with figures, counted or not
    ("全市14个产业集聚区(开发区)规模以上工业增加值增长9.6%。", []),
    ("产业集聚区规模以上工业增加值增长13.2%,完成固定资产投资46.7亿元,增长15.8%。", []),
    # a milestone between a level and its growth
    ("全年实现地区生产总值1036.8亿元,首次迈上千亿台阶,按可比价计算增长7.1%。",
     [(2023, "Y", "洛阳市", "gdp", 1036.8), (2023, "Y", "洛阳市", "gdp_growth", 7.1)]),
    # 分别 after two levels of which only the second is an indicator: no growth is guessed for another clause
    ("社会消费品零售总额426.3亿元,增长7.2%;财政总收入151.8亿元、一般公共预算收入89.6亿元,分别增长7.3%和6.1%。",
     [(2023, "Y", "洛阳市", "retail_sales", 426.3), (2023, "Y", "洛阳市", "retail_sales_growth", 7.2),
      (2023, "Y", "洛阳市", "budget_revenue", 89.6)]),
    # 较一季度(4.1%): the bracket is the same place's value in the earlier period
    ("上半年,全市地区生产总值同比增长5.3%,高于全省(4.6%)0.7个百分点,增速较一季度(4.1%)加快1.2个百分点。",
     [(2023, "H1", "洛阳市", "gdp_growth", 5.3), (2023, "H1", "河南省", "gdp_growth", 4.6),
      (2023, "Q1", "洛阳市", "gdp_growth", 4.1)]),
    # 比全国(3.0%): the bracket is the country's value
    ("全年全市地区生产总值增长3.1%,增速比全国(3.0%)高0.1个百分点。",
     [(2023, "Y", "洛阳市", "gdp_growth", 3.1), (2023, "Y", "全国", "gdp_growth", 3.0)]),
])
def test_parts_milestones_and_comparisons(rs: RuleSet, text: str, expected: list) -> None:
    assert _rows(text, rs) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # a place and its own value in brackets after a figure
    ("上半年,全市规模以上工业增加值同比增长7.8%(全省6.9%)。",
     [(2023, "H1", "洛阳市", "industrial_va_growth", 7.8), (2023, "H1", "河南省", "industrial_va_growth", 6.9)]),
    ("上半年,全市固定资产投资同比下降4.2%(全省增长3.1%)。",
     [(2023, "H1", "洛阳市", "fixed_asset_investment_growth", -4.2),
      (2023, "H1", "河南省", "fixed_asset_investment_growth", 3.1)]),
    # a share in brackets is no value of the place
    ("全市地区生产总值312.5亿元(约占全省的5%)。", [(2023, "Y", "洛阳市", "gdp", 312.5)]),
    # a zone of the gazetteer is a region; a park named after a county is a part of it
    ("洛阳经济技术开发区规模以上工业增加值增长12.1%。", [(2023, "Y", "洛阳经开区", "industrial_va_growth", 12.1)]),
    ("嵩县先进制造业开发区规模以上工业增加值增长12.1%。", []),
    # a group of places is none of them: "山区26县", "五市"; "N个省、市重点项目" are projects
    ("山区26县生产总值增长4.8%,增速高于全省1.5个百分点。", []),
    ("五市GDP合计约6.92万亿元,占全国经济总量的5.7%。", []),
    ("全市456个省、市重点项目完成投资1706.3亿元。", [(2023, "Y", "洛阳市", "key_project_investment", 1706.3)]),
    # a verb before the subject: the place is still the subject
    ("推动洛阳高新区地区生产总值增长10%以上。", [(2023, "Y", "洛阳高新区", "gdp_growth", 10.0)]),
    # R&D spending, then its share of GDP
    ("全年研究与试验发展(R&D)经费投入8.9亿元,占地区生产总值的比重为1.83%。",
     [(2023, "Y", "洛阳市", "rd_intensity", 1.83)]),
    # periods opening items of a list separated by 、
    ("一季度地区生产总值增长4.7%、上半年增长5.6%。",
     [(2023, "Q1", "洛阳市", "gdp_growth", 4.7), (2023, "H1", "洛阳市", "gdp_growth", 5.6)]),
])
def test_brackets_parks_verbs_and_lists(rs: RuleSet, text: str, expected: list) -> None:
    assert _rows(text, rs) == expected
