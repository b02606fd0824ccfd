"""``explain`` (why a figure became a row, or did not) and ``coverage`` (what no rule claimed)."""

from __future__ import annotations

import csv
import textwrap
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from luoyang_metrics import cli_inspect
from luoyang_metrics.context import Decision
from luoyang_metrics.errors import UsageError
from luoyang_metrics.inspect import (
    NO_WORDS,
    RULE_COLUMNS,
    UNCLAIMED_COLUMNS,
    coverage,
    explain,
    explain_file_line,
    group_key,
)
from luoyang_metrics.normalize import normalize
from luoyang_metrics.numbers import find_numbers
from luoyang_metrics.pipeline import analyse, extract_dir

MENGJIN = ("初步核算,2024年全区地区生产总值达到530.9亿元,按可比价计算,比上年增长6.0%,"
           "增速高于全市平均水平(4.9%)1.1个百分点。")


def _claims(e):
    return [(c.figure.raw, c.rule, c.strategy, c.measure, c.phrase, c.between, c.row.indicator, c.row.value)
            for c in e.claimed]


def _contexts(e):
    return [(c.figure.raw, c.year, c.period, c.region, c.kind) for c in e.claimed]


# ----------------------------------------------------------------------------- explain


def test_explain_level_carried_growth_reference_and_comparison(rs):
    e = explain(MENGJIN, rs, region="孟津区")
    assert (e.source, e.report_year, e.report_region) == ("<text>", 2024, "孟津区")
    assert [(f.raw, f.unit, f.dimension, f.line) for f in e.figures] == [
        ("530.9亿元", "元", "cny", 1), ("6.0%", "%", "percent", 1), ("4.9%", "%", "percent", 1),
        ("1.1个百分点", "个百分点", "pp", 1)]
    assert _claims(e) == [
        ("530.9亿元", "gdp", "direct", "level", "地区生产总值", "达到", "gdp", 530.9),
        ("6.0%", "gdp", "carry", "growth", "地区生产总值", ",按可比价计算,比上年增长", "gdp_growth", 6.0),
        ("4.9%", "gdp", "reference", "growth", "地区生产总值", ",增速高于全市平均水平(", "gdp_growth", 4.9),
    ]
    gdp_rule = rs.rules["gdp"]
    assert {c.pattern for c in e.claimed} == {gdp_rule.anchor_source}
    assert {c.rule_file for c in e.claimed} == {gdp_rule.file}
    assert e.claimed[1].strategy_note == "a growth rate right after a level of the same indicator"
    in_sentence = Decision("2024", "in the sentence")
    whole_year = Decision("Y", "the report's period")
    actual = Decision("actual", "no target wording")
    assert _contexts(e) == [
        ("530.9亿元", in_sentence, whole_year, Decision("孟津区", "subject '全区'"), actual),
        ("6.0%", in_sentence, whole_year, Decision("孟津区", "subject '全区'"), actual),
        ("4.9%", in_sentence, whole_year, Decision("洛阳市", "reference region '全市'"), actual),
    ]
    assert [(u.figure.raw, u.words_before, u.clause, u.why) for u in e.unclaimed] == [
        ("1.1个百分点", "高于全市平均水平", "增速高于全市平均水平(4.9%)1.1个百分点",
         "'高于' makes it a comparison, not a value of an indicator")]


def test_explain_target_and_multi_year_average(rs):
    text = ("今年经济社会发展的主要预期目标是:地区生产总值增长7%左右,一般公共预算收入增长5%。"
            "“十三五”期间,地区生产总值年均增长7.2%。")
    e = explain(text, rs, year=2024, region="洛阳市")
    assert _claims(e) == [
        ("7%左右", "gdp", "direct", "growth", "地区生产总值", "增长", "gdp_growth", 7.0),
        ("5%", "budget_revenue", "direct", "growth", "一般公共预算收入", "增长", "budget_revenue_growth", 5.0),
    ]
    assert [(c.row.qualifier, c.year, c.region, c.kind) for c in e.claimed] == [
        ("approx", Decision("2024", "'今年' in the sentence"), Decision("洛阳市", "the report's region"),
         Decision("target", "'预期目标' before the figure")),
        ("eq", Decision("2024", "'今年' in the sentence"), Decision("洛阳市", "the report's region"),
         Decision("target", "'预期目标' before the figure")),
    ]
    assert [(u.figure.raw, u.words_before, u.why) for u in e.unclaimed] == [
        ("7.2%", "生产总值年均增长",
         "'年均' between phrase '地区生产总值' (gdp) and it marks a multi-year figure")]


def test_explain_share_list_after_and_period(rs):
    e = explain("新增高新技术企业、创新平台各60家。", rs, year=2023, region="洛阳市")
    assert _claims(e) == [
        ("60家", "high_tech_enterprises.new", "share", "level", "高新技术企业", "、创新平台各",
         "high_tech_enterprises_new", 60.0),
        ("60家", "innovation_platforms.new", "share", "level", "创新平台", "各", "innovation_platforms_new", 60.0),
    ]
    assert [c.year for c in e.claimed] == [Decision("2023", "the report's year")] * 2

    e = explain("全年第一、二、三产业增加值分别增长3.1%、7.3%和4.5%。", rs, year=2024, region="嵩县")
    assert [(c.figure.raw, c.rule, c.strategy, c.between, c.row.indicator) for c in e.claimed] == [
        ("3.1%", "industry.three", "list", "分别增长", "primary_industry_va_growth"),
        ("7.3%", "industry.three", "list", "、", "secondary_industry_va_growth"),
        ("4.5%", "industry.three", "list", "和", "tertiary_industry_va_growth"),
    ]
    assert {c.period for c in e.claimed} == {Decision("Y", "'全年' in the sentence")}

    e = explain("全市常住人口705.7万人口。上半年,第二产业增加值完成150亿元。", rs, year=2023, region="洛阳市")
    assert _claims(e) == [
        ("705.7万人口", "population.size", "after", "level", "人口", "", "population", 705.7),
        ("150亿元", "industry.secondary", "direct", "level", "第二产业增加值", "完成", "secondary_industry_va", 150.0),
    ]
    assert e.claimed[0].pattern == rs.rules["population.size"].unit_word.pattern
    assert [(c.period, c.region) for c in e.claimed] == [
        (Decision("Y", "the report's period"), Decision("洛阳市", "subject '全市'")),
        (Decision("H1", "'上半年' in the sentence"), Decision("洛阳市", "the report's region")),
    ]


def test_explain_unclaimed_reasons(rs):
    e = explain("全年接待游客1.5亿人次,比上年增长12.0%。新增培育科技型中小企业323家,占全省的2.73%。", rs,
                year=2023, region="洛阳市")
    assert [(c.figure.raw, c.rule) for c in e.claimed] == [("323家", "tech_smes.new")]
    assert [(u.figure.raw, u.words_before, u.why) for u in e.unclaimed] == [
        ("1.5亿人次", "接待游客", "no rule's phrase stands before it in its sentence"),
        ("12.0%", "接待游客…增长", "no rule's phrase stands before it in its sentence"),
        ("2.73%", "占全省的", "another figure stands between phrase '科技型中小企业' (tech_smes.new) and it, "
                             "and it does not carry on from that one"),
    ]


def test_explain_without_figures_or_year(rs):
    e = explain("加快建设现代化产业体系。", rs)
    assert (e.figures, e.claimed, e.unclaimed, e.report_year, e.report_region) == ((), (), (), 0, "")


def _report(folder: Path, name: str = "r.txt") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent("""\
        2023年嵩县国民经济和社会发展统计公报
        一、综合
        初步核算,全年全县地区生产总值412.6亿元,按可比价格计算,比上年增长3.8%。全年接待游客1200万人次。
        二、农业
        全年粮食总产量45亿斤,比上年增长1.2%。
        """), encoding="utf-8")
    return path


def test_explain_file_line_uses_the_whole_report(rs, tmp_path):
    path = _report(tmp_path)
    e = explain_file_line(path, 3, rs)
    assert (e.source, e.report_year, e.report_region) == ("r.txt", 2023, "嵩县")
    assert e.text == "初步核算,全年全县地区生产总值412.6亿元,按可比价格计算,比上年增长3.8%。全年接待游客1200万人次。"
    assert [(f.raw, f.line) for f in e.figures] == [("412.6亿元", 3), ("3.8%", 3), ("1200万人次", 3)]
    assert [(c.row.indicator, c.row.value, c.row.line, c.row.source) for c in e.claimed] == [
        ("gdp", 412.6, 3, "r.txt"), ("gdp_growth", 3.8, 3, "r.txt")]
    assert [(c.year, c.region) for c in e.claimed] == [
        (Decision("2023", "heading '2023年嵩县国民经济和社会发展统计公报'"), Decision("嵩县", "subject '全县'"))] * 2
    assert [u.figure.raw for u in e.unclaimed] == ["1200万人次"]

    grain = explain_file_line(path, 5, rs)
    assert [(c.row.indicator, c.row.value, c.row.unit) for c in grain.claimed] == [
        ("grain_output", 225.0, "万吨"), ("grain_output_growth", 1.2, "%")]
    assert explain_file_line(path, 4, rs).figures == ()


def test_explain_file_line_reads_the_manifest_and_overrides(rs, tmp_path):
    path = _report(tmp_path)
    (tmp_path / "reports.csv").write_text("file,year,region\nr.txt,2022,洛阳市\n", encoding="utf-8")
    e = explain_file_line(path, 3, rs)
    assert (e.report_year, e.report_region) == (2022, "洛阳市")
    assert explain_file_line(path, 3, rs, year=2021).report_year == 2021


def test_explain_file_line_errors(rs, tmp_path):
    path = _report(tmp_path)
    with pytest.raises(UsageError, match=r"line 9 is out of range; the file has 6 lines"):
        explain_file_line(path, 9, rs)
    with pytest.raises(UsageError, match="no such file"):
        explain_file_line(tmp_path / "missing.txt", 1, rs)


# ----------------------------------------------------------------------------- coverage


TOURISM_A = """\
2023年洛阳市国民经济和社会发展统计公报

全年接待游客1.5亿人次,比上年增长12.0%;实现旅游总收入1200亿元,增长15.0%。全市地区生产总值5400亿元,增长3.2%。
"""
TOURISM_B = """\
2022年嵩县国民经济和社会发展统计公报

全年全县接待游客1200万人次,旅游总收入85亿元,分别占全市的8.0%和7.1%。城镇新增就业4500人。
"""


def _tourism(tmp_path: Path) -> Path:
    root = tmp_path / "reports"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text(TOURISM_A, encoding="utf-8")
    (root / "sub" / "b.txt").write_text(TOURISM_B, encoding="utf-8")
    return root


def test_coverage_on_own_reports(rs, tmp_path):
    cov = coverage(_tourism(tmp_path), rs)
    assert (cov.reports, cov.figures, cov.claimed, cov.failed) == (2, 11, 3, ())
    assert list(cov.unclaimed.columns) == list(UNCLAIMED_COLUMNS)
    assert cov.unclaimed.drop(columns=["context", "evidence"]).to_dict("records") == [
        {"words_before": "接待游客", "unit": "人次", "count": 2, "reports": 2, "example": "1.5亿人次",
         "source": "a.txt", "line": 3},
        {"words_before": "旅游总收入", "unit": "元", "count": 2, "reports": 2, "example": "1200亿元",
         "source": "a.txt", "line": 3},
        {"words_before": "分别占全市的", "unit": "%", "count": 2, "reports": 1, "example": "8.0%",
         "source": "sub/b.txt", "line": 3},
        {"words_before": "接待游客…增长", "unit": "%", "count": 1, "reports": 1, "example": "12.0%",
         "source": "a.txt", "line": 3},
        {"words_before": "旅游总收入…增长", "unit": "%", "count": 1, "reports": 1, "example": "15.0%",
         "source": "a.txt", "line": 3},
    ]
    first = cov.unclaimed.iloc[0]
    assert first["context"] == "全年接待游客1.5亿人次,比上年增长…"
    assert first["evidence"] == "全年接待游客1.5亿人次,比上年增长12.0%;实现旅游总收入1200亿元,增长15.0%。"
    assert list(cov.rules.columns) == list(RULE_COLUMNS)
    assert cov.rules.head(2).drop(columns=["file"]).to_dict("records") == [
        {"rule": "gdp", "rows": 2, "reports": 1, "indicators": "gdp, gdp_growth"},
        {"rule": "urban_jobs_new", "rows": 1, "reports": 1, "indicators": "urban_jobs_new"},
    ]
    assert len(cov.rules) == len(rs.rules)
    assert set(cov.rules["rows"].iloc[2:]) == {0}
    assert cov.share_claimed == pytest.approx(3 / 11)


def test_coverage_keys_skip_openers_and_fall_back(rs, tmp_path):
    root = tmp_path / "r"
    root.mkdir()
    (root / "x.txt").write_text(
        "2023年全市经济运行情况\n\n2023年,全市累计实现旅游总收入88亿元。23个省重点项目完成投资。"
        "其中,5个项目已投产。洛阳“乐道”300公里。\n", encoding="utf-8")
    keys = coverage(root, rs).unclaimed[["words_before", "unit"]].values.tolist()
    # 2023年, 全市, 累计, 实现 open the clause; 洛阳 is a region; a figure opening its clause is keyed "…" + after.
    assert keys == [["“乐道”", "公里"], ["…省重点项目完成投", "个"], ["…项目已投产", "个"], ["旅游总收入", "元"]]


@pytest.mark.parametrize(("text", "raw", "key"), [
    ("2023年,全市累计实现旅游总收入88亿元。", "88亿元", "旅游总收入"),
    ("接待游客1.5亿人次,比上年下降12.0%。", "12.0%", "接待游客…下降"),
    ("接待游客1.5亿人次,同比增长12.0%。", "12.0%", "接待游客…增长"),
    ("创新平台2家,分别占全省的50%、11%和12.5%。", "12.5%", "分别占全省的"),
    ("建成国家专业化众创空间2个、国家级孵化载体12家。", "12家", "国家级孵化载体"),
    ("会议目标:GDP在全市占比力争突破10%。", "10%", "GDP在全市占比力争"),
    ("其中,5个项目已投产。", "5个", "…项目已投产"),
    ("其中5个。", "5个", "其中"),
    ("5个。", "5个", NO_WORDS),
])
def test_group_key(rs, text, raw, key):
    ex = analyse(text, rs, region="洛阳市")  # 全市 is a subject only when the report's region is known
    n = next(m for m in ex.numbers if m.raw == raw)
    assert group_key(ex.norm.text, n, ex.numbers, rs, ex.info.region) == key


def test_coverage_on_seeds(rs, root):
    seeds = root / "seeds"
    cov = coverage(seeds, rs)
    texts = [p.read_text(encoding="utf-8-sig") for p in sorted(seeds.glob("*.txt"))]
    assert cov.reports == len(texts) == 5
    assert cov.figures == sum(len(find_numbers(normalize(t).text, rs.units)) for t in texts)
    assert int(cov.unclaimed["count"].sum()) == cov.figures - cov.claimed
    rows = extract_dir(seeds, rules=rs)
    assert int(cov.rules["rows"].sum()) == len(rows)
    by_rule = rows.groupby("rule")["source"].agg(["size", "nunique"])
    fired = cov.rules[cov.rules["rows"] > 0].set_index("rule")
    assert fired["rows"].to_dict() == by_rule["size"].to_dict()
    assert fired["reports"].to_dict() == by_rule["nunique"].to_dict()
    # Comparisons and shares are never values (SPEC), so no rule may ever claim these groups.
    groups = cov.unclaimed.set_index(["words_before", "unit"])
    assert groups.loc[("高于洛阳市", "个百分点"), ["count", "reports", "example", "source", "line"]].tolist() == [
        2, 1, "0.9个百分点", "003_c04f0aeedbb1cb59.txt", 21]
    assert groups.loc[("分别占全省的", "%"), ["count", "reports", "example", "source", "line"]].tolist() == [
        3, 1, "50%", "000_8e1ad2d1e4127c43.txt", 52]
    counts = cov.unclaimed["count"].tolist()
    assert counts == sorted(counts, reverse=True)
    assert NO_WORDS not in set(cov.unclaimed["words_before"])


def test_coverage_reports_unreadable_files(rs, tmp_path):
    root = _tourism(tmp_path)
    (root / "bad.txt").write_bytes(b"\x00\x01\x02binary\x00" * 50)
    cov = coverage(root, rs)
    assert cov.reports == 2
    assert [s for s, _ in cov.failed] == ["bad.txt"]


def test_coverage_errors(rs, tmp_path):
    with pytest.raises(UsageError, match="no such folder"):
        coverage(tmp_path / "missing", rs)
    empty = coverage(tmp_path, rs)
    assert (empty.reports, empty.figures, len(empty.unclaimed), empty.share_claimed) == (0, 0, 0, 0.0)
    assert list(empty.unclaimed.columns) == list(UNCLAIMED_COLUMNS)


# ----------------------------------------------------------------------------- the commands


@pytest.fixture()
def run():
    app = typer.Typer()
    cli_inspect.register(app)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args), env={"COLUMNS": "250", "NO_COLOR": "1"})

    return invoke


def test_explain_command(run):
    res = run("explain", MENGJIN, "--region", "孟津区")
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0] == f"<text>: {MENGJIN}"
    assert lines[1] == "the text as a whole: year 2024 (from the text), region 孟津区 (--region)"
    out = res.output
    for title in ("4 figures found", "how each figure was claimed", "rows and their context decisions",
                  "figures no rule claimed"):
        assert title in out
    row = next(ln for ln in lines if "│ 2 " in ln and "gdp (carry)" in ln)
    assert [c.strip() for c in row.split("│")[1:-1]] == ["2", "6.0%", "1", "%", "eq", "gdp (carry)"]
    assert "'高于' makes it a comparison, not a value of an indicator" in out


def test_explain_command_file_line(run, tmp_path):
    path = _report(tmp_path)
    res = run("explain", "--file", str(path), "--line", "5")
    assert res.exit_code == 0, res.output
    assert res.output.splitlines()[1] == "the text as a whole: year 2023 (from the text), region 嵩县 (from the text)"
    assert "grain_output" in res.output
    res = run("explain", "--file", str(path), "--line", "4")
    assert res.output.splitlines()[-1] == "no figures (numbers with a unit) found on line 4"


@pytest.mark.parametrize(("args", "message"), [
    (("explain",), 'give either a sentence (explain "句子…") or --file REPORT --line N, not both'),
    (("explain", "句子", "--file", "x.txt", "--line", "1"),
     'give either a sentence (explain "句子…") or --file REPORT --line N, not both'),
    (("explain", "--file", "x.txt"), "--file and --line go together: explain --file REPORT --line N"),
])
def test_explain_command_usage(run, args, message):
    res = run(*args)
    assert isinstance(res.exception, UsageError)
    assert str(res.exception) == message


def test_coverage_command(run, tmp_path):
    root = _tourism(tmp_path)
    out = tmp_path / "cov.csv"
    res = run("coverage", str(root), "--top", "2", "-o", str(out))
    assert res.exit_code == 0, res.output
    assert "unclaimed figures by the words before them (top 2 of 5 groups)" in res.output
    assert "rules that fired: rows produced and reports fired in" in res.output
    assert "2 reports, 11 figures, 3 claimed by a rule (27%), 8 unclaimed in 5 groups" in res.output
    with out.open(encoding="utf-8-sig", newline="") as f:
        table = list(csv.DictReader(f))
    assert [(r["words_before"], r["unit"], r["count"]) for r in table] == [
        ("接待游客", "人次", "2"), ("旅游总收入", "元", "2"), ("分别占全市的", "%", "2"),
        ("接待游客…增长", "%", "1"), ("旅游总收入…增长", "%", "1")]
    with (tmp_path / "cov_rules.csv").open(encoding="utf-8-sig", newline="") as f:
        stats = list(csv.DictReader(f))
    assert (stats[0]["rule"], stats[0]["rows"], stats[0]["reports"]) == ("gdp", "2", "1")


def test_coverage_command_rejects_other_outputs(run, tmp_path):
    res = run("coverage", str(tmp_path), "-o", str(tmp_path / "cov.xlsx"))
    assert isinstance(res.exception, UsageError)
    assert str(res.exception) == f"{tmp_path / 'cov.xlsx'}: -o must end in .csv or .parquet"


def test_explain_command_prints_brackets_as_written(run):
    res = run("explain", "全市第一产业增加值[12]25.3亿元。", "--year", "2023", "--region", "洛阳市")
    assert res.exit_code == 0, res.output
    assert "the words '[12]' between phrase '第一产业增加值' (industry.primary)" in res.output
