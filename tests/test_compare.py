"""Comparisons on small tables built here: consolidation, diffs, checks, wide pivot, workbook, CLI."""

from __future__ import annotations

import math
import os
import sys

import openpyxl
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from luoyang_metrics import compare
from luoyang_metrics.cli_compare import register
from luoyang_metrics.errors import UsageError
from luoyang_metrics.excel import write_xlsx
from luoyang_metrics.model import COLUMNS
from luoyang_metrics.writing import neutralize

NAMES = {"gdp": "地区生产总值", "gdp_growth": "地区生产总值增速", "budget_revenue": "一般公共预算收入",
         "unemployment_rate": "城镇失业率", "trade_total_growth": "进出口总额增速"}
UNITS = {"gdp": "亿元", "budget_revenue": "亿元"}


def row(year: int, indicator: str, value: float, *, region: str = "洛阳市", kind: str = "actual",
        period: str = "Y", source: str = "a.txt", line: int = 1, qualifier: str = "eq",
        unit: str | None = None, rule: str = "r1") -> dict[str, object]:
    return {
        "year": year, "period": period, "region": region, "indicator": indicator,
        "indicator_name": NAMES.get(indicator, indicator), "value": value,
        "unit": unit or UNITS.get(indicator, "%"), "kind": kind, "qualifier": qualifier, "source": source,
        "line": line, "raw": f"{value}", "evidence": f"{region}{indicator}{value}", "rule": rule,
    }


def table(*rows: dict[str, object]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(COLUMNS))


def one(df: pd.DataFrame, **where: object) -> pd.Series:
    mask = pd.Series(True, index=df.index)
    for col, val in where.items():
        mask &= df[col] == val
    assert mask.sum() == 1, f"{mask.sum()} rows match {where}"
    return df[mask].iloc[0]


# -------------------------------------------------------------------------------------------- consolidate


def test_agreeing_mentions_give_one_value_and_list_every_source() -> None:
    df = table(row(2021, "gdp", 530.9, source="b.txt", line=7),
               row(2021, "gdp", 530.9, source="a.txt", line=3),
               row(2021, "gdp", 530.9000001, source="c.txt", line=2))  # within the SPEC's 1e-6
    out = compare.consolidate(df)
    assert list(out.columns) == list(compare.CONSOLIDATED_COLUMNS)
    assert len(out) == 1
    r = out.iloc[0]
    assert r["value"] == 530.9
    assert not r["conflict"]
    assert r["candidates"] == "530.9"
    assert r["n_sources"] == 3
    assert r["sources"] == "b.txt:7;a.txt:3;c.txt:2"
    assert r["indicator_name"] == "地区生产总值"


def test_same_mention_twice_counts_once() -> None:
    out = compare.consolidate(table(row(2021, "gdp", 530.9, line=3), row(2021, "gdp", 530.9, line=3)))
    assert out.iloc[0]["n_sources"] == 1
    assert out.iloc[0]["sources"] == "a.txt:3"


def test_disagreeing_mentions_are_kept_as_candidates_and_flagged() -> None:
    df = table(row(2021, "gdp_growth", 12.5, source="b.txt", line=9),
               row(2021, "gdp_growth", 12.0, source="a.txt", line=4),
               row(2021, "gdp_growth", 12.0, source="c.txt", line=1))
    r = compare.consolidate(df).iloc[0]
    assert r["conflict"]
    assert math.isnan(r["value"])  # never one silently picked
    assert r["candidates"] == "12.0 | 12.5"
    assert r["candidate_sources"] == "a.txt:4;c.txt:1 | b.txt:9"
    assert r["n_sources"] == 3


def test_keys_differ_by_kind_period_and_region() -> None:
    df = table(row(2021, "gdp_growth", 6.0), row(2021, "gdp_growth", 7.0, kind="target"),
               row(2021, "gdp_growth", 5.0, period="H1"), row(2021, "gdp_growth", 4.0, region="嵩县"))
    out = compare.consolidate(df)
    assert len(out) == 4
    assert not out["conflict"].any()


def test_different_units_under_one_key_are_a_conflict() -> None:
    r = compare.consolidate(table(row(2021, "gdp", 1.0), row(2021, "gdp", 1.0, unit="万元"))).iloc[0]
    assert r["conflict"]
    assert r["candidates"] == "1.0万元 | 1.0亿元"
    assert r["unit"] == "万元|亿元"


def test_differently_worded_qualifiers_are_all_listed() -> None:
    r = compare.consolidate(table(row(2021, "gdp_growth", 6.0, kind="target", qualifier="ge"),
                                  row(2021, "gdp_growth", 6.0, kind="target", qualifier="approx"))).iloc[0]
    assert not r["conflict"]
    assert r["qualifier"] == "approx|ge"


def test_consolidate_empty_table() -> None:
    out = compare.consolidate(table())
    assert out.empty
    assert list(out.columns) == list(compare.CONSOLIDATED_COLUMNS)


# ------------------------------------------------------------------------------------------- diff years


def test_diff_years_changes_added_removed_unchanged() -> None:
    df = table(row(2020, "gdp", 500.1, source="y20.txt", line=5), row(2021, "gdp", 530.9, source="y21.txt"),
               row(2020, "budget_revenue", 30.0), row(2021, "budget_revenue", 30.0),
               row(2020, "unemployment_rate", 3.1),  # missing in 2021
               row(2021, "trade_total_growth", 178.6))  # missing in 2020
    out = compare.diff_years(df, 2020, 2021)
    assert list(out.columns) == list(compare.DIFF_COLUMNS)
    assert len(out) == 4
    gdp = one(out, indicator="gdp")
    assert (gdp["value_from"], gdp["value_to"], gdp["unit"]) == (500.1, 530.9, "亿元")
    assert gdp["abs_change"] == 30.8
    assert gdp["pct_change"] == pytest.approx(6.158768, abs=1e-6)
    assert gdp["status"] == "changed"
    assert (gdp["source_from"], gdp["source_to"]) == ("y20.txt:5", "y21.txt:1")
    assert one(out, indicator="budget_revenue")["status"] == "unchanged"
    removed = one(out, indicator="unemployment_rate")
    assert removed["status"] == "removed"
    assert removed["value_from"] == 3.1 and math.isnan(removed["value_to"]) and removed["source_to"] == ""
    added = one(out, indicator="trade_total_growth")
    assert added["status"] == "added"
    assert math.isnan(added["value_from"]) and added["value_to"] == 178.6 and math.isnan(added["abs_change"])


def test_diff_years_zero_and_negative_values() -> None:
    df = table(row(2020, "gdp_growth", 0.0), row(2021, "gdp_growth", 5.0),
               row(2020, "trade_total_growth", -2.6), row(2021, "trade_total_growth", 1.3),
               row(2020, "gdp_growth", 10.0, region="嵩县"), row(2021, "gdp_growth", -5.0, region="嵩县"))
    out = compare.diff_years(df, 2020, 2021)
    zero_base = one(out, region="洛阳市", indicator="gdp_growth")
    assert zero_base["abs_change"] == 5.0
    assert math.isnan(zero_base["pct_change"])  # no percentage of nothing
    assert zero_base["status"] == "changed"
    neg_base = one(out, indicator="trade_total_growth")
    assert neg_base["abs_change"] == 3.9
    assert neg_base["pct_change"] == 150.0  # relative to |-2.6|: a rise reads positive
    to_neg = one(out, region="嵩县")
    assert (to_neg["abs_change"], to_neg["pct_change"]) == (-15.0, -150.0)


def test_region_present_in_one_year_only_is_listed_not_dropped() -> None:
    df = table(row(2020, "gdp", 100.0), row(2021, "gdp", 110.0),
               row(2020, "gdp", 20.0, region="孟津区"), row(2020, "gdp_growth", 3.0, region="孟津区"),
               row(2021, "gdp", 30.0, region="嵩县"))
    out = compare.diff_years(df, 2020, 2021)
    assert sorted(out.loc[out["region"] == "孟津区", "status"]) == ["removed", "removed"]
    assert one(out, region="嵩县")["status"] == "added"
    assert len(out) == 4


def test_diff_years_shows_conflicts_as_such() -> None:
    df = table(row(2020, "gdp", 100.0), row(2021, "gdp", 110.0, source="a.txt"),
               row(2021, "gdp", 111.0, source="b.txt"))
    r = compare.diff_years(df, 2020, 2021).iloc[0]
    assert r["status"] == "conflict"
    assert math.isnan(r["value_to"]) and math.isnan(r["abs_change"])
    assert r["candidates_to"] == "110.0 | 111.0"
    assert r["candidates_from"] == ""
    assert r["source_to"] == "a.txt:1;b.txt:1"


def test_diff_years_filters_region_and_kind() -> None:
    df = table(row(2020, "gdp", 100.0), row(2021, "gdp", 110.0),
               row(2020, "gdp", 20.0, region="嵩县"), row(2021, "gdp", 21.0, region="嵩县"),
               row(2021, "gdp", 120.0, kind="target"))
    out = compare.diff_years(df, 2020, 2021, region="洛阳市", kind="actual")
    assert out[["region", "kind", "value_to"]].values.tolist() == [["洛阳市", "actual", 110.0]]
    targets = compare.diff_years(df, 2020, 2021, kind="target")
    assert targets["status"].tolist() == ["added"]


def test_diff_years_keeps_periods_apart() -> None:
    df = table(row(2020, "gdp", 100.0), row(2021, "gdp", 110.0),
               row(2020, "gdp", 45.0, period="H1"), row(2021, "gdp", 50.0, period="H1"))
    out = compare.diff_years(df, 2020, 2021)
    assert out[["period", "abs_change"]].values.tolist() == [["H1", 5.0], ["Y", 10.0]]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"year_from": 2019, "year_to": 2021}, "no rows for year 2019; years in the table: 2020, 2021"),
    ({"year_from": 2020, "year_to": 2021, "region": "火星"}, "no rows for region 火星"),
    ({"year_from": 2020, "year_to": 2021, "kind": "plan"}, "kind must be one of actual, target, not plan"),
])
def test_diff_years_usage_errors(kwargs: dict[str, object], message: str) -> None:
    df = table(row(2020, "gdp", 100.0), row(2021, "gdp", 110.0))
    with pytest.raises(UsageError) as err:
        compare.diff_years(df, **kwargs)
    assert str(err.value) == message


# -------------------------------------------------------------------------------------------- diff runs


def test_diff_runs_added_removed_changed() -> None:
    old = table(row(2021, "gdp", 530.9, line=3), row(2021, "gdp_growth", 6.0, line=3),
                row(2021, "gdp_growth", 4.9, region="洛阳市", line=4),
                row(2020, "budget_revenue", 30.0, line=8, qualifier="eq"))
    new = table(row(2021, "gdp", 530.9, line=3),                              # unchanged: left out
                row(2021, "gdp_growth", 6.1, line=3, rule="r2"),              # value changed
                row(2020, "budget_revenue", 30.0, line=8, qualifier="ge"),    # qualifier changed
                row(2021, "rd_intensity", 2.4, line=9))                       # added
    out = compare.diff_runs(old, new)
    assert list(out.columns) == list(compare.RUN_DIFF_COLUMNS)
    assert out[["status", "line", "indicator", "changed"]].values.tolist() == [
        ["changed", 3, "gdp_growth", "value"],
        ["removed", 4, "gdp_growth", ""],
        ["changed", 8, "budget_revenue", "qualifier"],
        ["added", 9, "rd_intensity", ""],
    ]
    changed = one(out, line=3)
    assert (changed["value_old"], changed["value_new"], changed["rule_old"], changed["rule_new"]) == \
        (6.0, 6.1, "r1", "r2")
    assert math.isnan(one(out, line=9)["value_old"])


def test_diff_runs_moved_key_is_removed_plus_added() -> None:
    out = compare.diff_runs(table(row(2020, "gdp", 5.0, line=2)), table(row(2021, "gdp", 5.0, line=2)))
    assert out[["status", "year"]].values.tolist() == [["removed", 2020], ["added", 2021]]


def test_diff_runs_identical_tables_is_empty() -> None:
    df = table(row(2021, "gdp", 530.9), row(2021, "gdp", 530.9))
    out = compare.diff_runs(df, df.copy())
    assert out.empty
    assert list(out.columns) == list(compare.RUN_DIFF_COLUMNS)


def test_diff_runs_pairs_repeated_ids_by_value() -> None:
    old = table(row(2021, "gdp", 1.0, line=2), row(2021, "gdp", 2.0, line=2))
    new = table(row(2021, "gdp", 2.0, line=2))
    out = compare.diff_runs(old, new)
    assert out[["status", "value_old", "value_new"]].values.tolist()[0][:2] == ["changed", 1.0]
    assert out["status"].tolist() == ["changed", "removed"]


# --------------------------------------------------------------------------------------------- checks


def test_growth_check_ok_flag_and_skips() -> None:
    df = table(row(2020, "gdp", 500.0), row(2021, "gdp", 530.0), row(2021, "gdp_growth", 6.0),
               row(2020, "gdp", 100.0, region="嵩县"), row(2021, "gdp", 110.0, region="嵩县"),
               row(2021, "gdp_growth", 8.5, region="嵩县"),
               row(2021, "gdp_growth", 5.0, region="孟津区"), row(2021, "gdp", 50.0, region="孟津区"))
    growth, _ = compare.check(df)
    assert list(growth.columns) == list(compare.GROWTH_COLUMNS)
    assert growth["region"].tolist() == ["嵩县", "洛阳市"]  # 孟津区 has no 2020 level: nothing to compare
    ok = one(growth, region="洛阳市")
    assert (ok["level_prev"], ok["level"], ok["implied_growth"], ok["reported_growth"], ok["gap_pp"]) == \
        (500.0, 530.0, 6.0, 6.0, 0.0)
    assert ok["status"] == "ok" and ok["note"] == ""
    flag = one(growth, region="嵩县")
    assert (flag["implied_growth"], flag["gap_pp"], flag["status"]) == (10.0, -1.5, "flag")
    assert "constant prices" in flag["note"] and "not an error" in flag["note"]
    assert flag["level_sources"] == "a.txt:1;a.txt:1"


def test_growth_check_tolerance_zero_base_and_conflict() -> None:
    df = table(row(2020, "gdp", 500.0), row(2021, "gdp", 530.0), row(2021, "gdp_growth", 7.5),
               row(2020, "gdp", 0.0, region="嵩县"), row(2021, "gdp", 10.0, region="嵩县"),
               row(2021, "gdp_growth", 3.0, region="嵩县"),
               row(2020, "gdp", 10.0, region="孟津区"), row(2021, "gdp", 11.0, region="孟津区"),
               row(2021, "gdp_growth", 9.0, region="孟津区", source="x.txt"),
               row(2021, "gdp_growth", 10.0, region="孟津区", source="y.txt"))
    assert one(compare.check(df)[0], region="洛阳市")["status"] == "flag"
    growth, _ = compare.check(df, growth_tolerance_pp=1.5)
    assert one(growth, region="洛阳市")["status"] == "ok"
    zero = one(growth, region="嵩县")
    assert zero["status"] == "unknown" and math.isnan(zero["implied_growth"])
    assert zero["note"] == "zero base: no implied growth"
    conflict = one(growth, region="孟津区")
    assert conflict["status"] == "conflict"
    assert conflict["note"] == "reported 9.0 | 10.0"


@pytest.mark.parametrize(("target", "qualifier", "actual", "unit", "status", "reason"), [
    (6.0, "ge", 6.1, "%", "met", "actual 6.1 ≥ target 6.0"),
    (6.0, "eq", 6.0, "%", "met", "actual 6.0 ≥ target 6.0"),
    (6.0, "eq", 5.2, "%", "missed", "actual 5.2 < target 6.0"),
    (6.0, "gt", 6.0, "%", "missed", "actual 6.0 ≤ target 6.0"),
    (4.5, "le", 4.2, "%", "met", "actual 4.2 ≤ target 4.5"),
    (4.5, "le", 4.6, "%", "missed", "actual 4.6 > target 4.5"),
    (7.0, "approx", 7.4, "%", "met", "actual 7.4 within 7.0 ± 0.5"),
    (7.0, "approx", 6.5, "%", "met", "actual 6.5 within 7.0 ± 0.5"),
    (7.0, "approx", 7.6, "%", "missed", "actual 7.6 above 7.0 ± 0.5"),
    (500.0, "approx", 491.0, "亿元", "met", "actual 491.0 within 500.0 ± 10.0"),
    (500.0, "approx", 489.0, "亿元", "missed", "actual 489.0 below 500.0 ± 10.0"),
    (-2.0, "ge", -1.0, "%", "met", "actual -1.0 ≥ target -2.0"),
    (6.0, "approx|ge", 6.3, "%", "met", "actual 6.3 within 6.0 ± 0.5; actual 6.3 ≥ target 6.0"),
    (6.0, "approx|ge", 7.0, "%", "unknown", "qualifiers approx|ge give different verdicts"),
])
def test_target_status(target: float, qualifier: str, actual: float, unit: str, status: str,
                       reason: str) -> None:
    assert compare.target_status(target, actual, qualifier, unit) == (status, reason)


def test_target_checks_met_missed_unknown() -> None:
    df = table(row(2021, "gdp_growth", 6.0, kind="target", qualifier="ge", source="plan.txt"),
               row(2021, "gdp_growth", 6.3, source="review.txt"),
               row(2021, "unemployment_rate", 4.5, kind="target", qualifier="le"),
               row(2021, "unemployment_rate", 4.8),
               row(2022, "gdp_growth", 6.5, kind="target", qualifier="approx"),  # no 2022 actual yet
               row(2021, "gdp_growth", 8.0, kind="target", region="嵩县"),
               row(2021, "gdp_growth", 7.0, region="嵩县", source="x.txt"),
               row(2021, "gdp_growth", 7.5, region="嵩县", source="y.txt"))
    _, targets = compare.check(df)
    assert list(targets.columns) == list(compare.TARGET_COLUMNS)
    assert targets[["year", "region", "indicator", "status"]].values.tolist() == [
        [2021, "嵩县", "gdp_growth", "unknown"],
        [2021, "洛阳市", "gdp_growth", "met"],
        [2021, "洛阳市", "unemployment_rate", "missed"],
        [2022, "洛阳市", "gdp_growth", "unknown"],
    ]
    met = one(targets, year=2021, region="洛阳市", indicator="gdp_growth")
    assert (met["target"], met["actual"], met["target_sources"], met["actual_sources"]) == \
        (6.0, 6.3, "plan.txt:1", "review.txt:1")
    assert one(targets, region="嵩县")["reason"] == "actual conflict: 7.0 | 7.5"
    future = one(targets, year=2022)
    assert future["reason"] == "no actual for 2022" and math.isnan(future["actual"])


def test_checks_on_empty_table_have_columns() -> None:
    growth, targets = compare.check(table())
    assert growth.empty and list(growth.columns) == list(compare.GROWTH_COLUMNS)
    assert targets.empty and list(targets.columns) == list(compare.TARGET_COLUMNS)


# ---------------------------------------------------------------------------------------------- wide


def test_wide_pivot_shape_and_values() -> None:
    df = table(row(2019, "gdp", 480.0), row(2020, "gdp", 500.0), row(2021, "gdp", 530.9),
               row(2021, "gdp", 530.9, source="b.txt"),
               row(2021, "gdp_growth", 6.0), row(2021, "gdp_growth", 6.5, source="b.txt"),
               row(2020, "gdp_growth", 3.0),
               row(2021, "gdp_growth", 7.0, kind="target"),
               row(2020, "gdp", 20.0, region="嵩县"))
    out = compare.wide(df)
    assert list(out.columns) == [*compare.WIDE_INDEX, "2019", "2020", "2021", "conflicts"]
    assert out.shape == (4, 10)
    assert out[["region", "indicator", "kind"]].values.tolist() == [
        ["嵩县", "gdp", "actual"], ["洛阳市", "gdp", "actual"],
        ["洛阳市", "gdp_growth", "actual"], ["洛阳市", "gdp_growth", "target"]]
    gdp = one(out, region="洛阳市", indicator="gdp")
    assert (gdp["2019"], gdp["2020"], gdp["2021"], gdp["conflicts"]) == (480.0, 500.0, 530.9, "")
    growth = one(out, indicator="gdp_growth", kind="actual")
    assert growth["2020"] == 3.0 and math.isnan(growth["2021"])
    assert growth["conflicts"] == "2021: 6.0 | 6.5"
    county = one(out, region="嵩县")
    assert county["2020"] == 20.0 and math.isnan(county["2019"]) and math.isnan(county["2021"])
    assert out["2020"].dtype == "float64"


def test_wide_empty_table() -> None:
    assert list(compare.wide(table()).columns) == [*compare.WIDE_INDEX, "conflicts"]


# ------------------------------------------------------------------------------------------- loading


def test_load_table_round_trips_csv_and_parquet(tmp_path) -> None:
    df = table(row(2021, "gdp", 530.9, line=12), row(2020, "gdp_growth", -2.6, qualifier=""))
    df.loc[0, "raw"] = "2020"  # a raw that looks like a number stays text
    df.to_csv(tmp_path / "m.csv", index=False, encoding="utf-8-sig")
    df.to_parquet(tmp_path / "m.parquet", index=False)
    guarded = df.assign(raw=df["raw"].map(neutralize))  # as extract writes CSV: "'-2.6"
    assert guarded["raw"].tolist() == ["2020", "'-2.6"]
    guarded.to_csv(tmp_path / "g.csv", index=False, encoding="utf-8-sig")
    for name in ("m.csv", "m.parquet", "g.csv"):
        back = compare.load_table(tmp_path / name)
        assert list(back.columns) == list(COLUMNS)
        assert back["year"].tolist() == [2021, 2020] and back["line"].tolist() == [12, 1]
        assert back["value"].tolist() == [530.9, -2.6]
        assert back["raw"].tolist() == ["2020", "-2.6"]
        assert back["qualifier"].tolist() == ["eq", ""]
        assert back["region"].tolist() == ["洛阳市", "洛阳市"]


def test_load_table_errors(tmp_path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        compare.load_table(tmp_path / "none.csv")
    (tmp_path / "m.txt").write_text("x")
    with pytest.raises(UsageError, match="expected a .csv or .parquet"):
        compare.load_table(tmp_path / "m.txt")
    table(row(2021, "gdp", 1.0)).drop(columns=["kind", "rule"]).to_csv(tmp_path / "short.csv", index=False)
    with pytest.raises(UsageError, match="missing column\\(s\\) kind, rule"):
        compare.load_table(tmp_path / "short.csv")
    bad = table(row(2021, "gdp", 1.0))
    bad["value"] = ["很多"]
    bad.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(UsageError, match="column value must be numeric"):
        compare.load_table(tmp_path / "bad.csv")
    (tmp_path / "broken.parquet").write_bytes(b"not parquet")
    with pytest.raises(UsageError, match="cannot read the table"):
        compare.load_table(tmp_path / "broken.parquet")


# ------------------------------------------------------------------------------------------- workbook


def test_xlsx_round_trip(tmp_path) -> None:
    df = table(row(2020, "gdp", 500.0), row(2021, "gdp", 530.9), row(2021, "gdp_growth", 6.0),
               row(2021, "gdp_growth", 6.5, source="b.txt"))
    df.loc[0, "evidence"] = "=SUM(A1)\x0b全市地区生产总值500亿元"
    path = write_xlsx({"long": df, "wide": compare.wide(df), "diff": compare.diff_years(df, 2020, 2021)},
                      tmp_path / "out.xlsx")
    assert path == tmp_path / "out.xlsx"
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]  # the temporary file is gone
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["long", "wide", "diff"]
    long = wb["long"]
    assert [c.value for c in long[1]] == list(COLUMNS)
    assert all(ws.freeze_panes == "A2" for ws in wb.worksheets)
    assert long["A2"].value == 2020 and long["A2"].data_type == "n"
    assert long["F3"].value == 530.9 and isinstance(long["F3"].value, float)
    assert long["M2"].value == "=SUM(A1)全市地区生产总值500亿元" and long["M2"].data_type == "s"
    assert long["A1"].font.bold
    assert long.column_dimensions["M"].width > long.column_dimensions["A"].width >= 6
    wide = wb["wide"]
    header = [c.value for c in wide[1]]
    assert header == [*compare.WIDE_INDEX, "2020", "2021", "conflicts"]
    gdp = [c.value for c in wide[2]]
    assert gdp == ["洛阳市", "gdp", "地区生产总值", "actual", "Y", "亿元", 500.0, 530.9, None]
    growth = [c.value for c in wide[3]]
    assert growth[6:] == [None, None, "2021: 6.0 | 6.5"]
    diff = wb["diff"]
    assert [c.value for c in diff[1]] == list(compare.DIFF_COLUMNS)
    assert diff.max_row == 3


def test_xlsx_replaces_existing_file_and_rejects_bad_input(tmp_path) -> None:
    path = tmp_path / "out.xlsx"
    path.write_text("old")
    write_xlsx({"s": pd.DataFrame({"a": [1, 2]})}, path)
    assert openpyxl.load_workbook(path)["s"]["A3"].value == 2
    with pytest.raises(UsageError, match="must end in .xlsx"):
        write_xlsx({"s": pd.DataFrame()}, tmp_path / "out.csv")
    with pytest.raises(UsageError, match="bad sheet name"):
        write_xlsx({"a/b": pd.DataFrame()}, path)
    with pytest.raises(UsageError, match="given twice"):
        write_xlsx({"S": pd.DataFrame(), "s": pd.DataFrame()}, path)
    with pytest.raises(UsageError, match="no such folder"):
        write_xlsx({"s": pd.DataFrame()}, tmp_path / "nope" / "out.xlsx")


# ------------------------------------------------------------------------------------------------ CLI


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.fixture
def cli(tmp_path):
    app = typer.Typer()
    register(app)
    df = table(row(2020, "gdp", 500.0), row(2021, "gdp", 530.0), row(2021, "gdp_growth", 8.0),
               row(2021, "gdp_growth", 6.0, kind="target", qualifier="ge"),
               row(2021, "budget_revenue", 30.0, source="a.txt"),
               row(2021, "budget_revenue", 31.0, source="b.txt"),
               row(2021, "gdp", 40.0, region="嵩县"))
    df.to_csv(tmp_path / "m.csv", index=False, encoding="utf-8-sig")
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args])


def test_cli_diff_years_prints_csv_when_piped(cli, tmp_path) -> None:
    result = cli("diff", tmp_path / "m.csv", "--from", 2020, "--to", 2021)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "# 2020 → 2021"
    assert lines[1].startswith("region,indicator,kind,period,value_from,value_to")
    assert "洛阳市,gdp,actual,Y,500.0,530.0,亿元,30.0,6.0,changed,," in lines
    conflict = "洛阳市,budget_revenue,actual,Y,,,亿元,,,conflict,,30.0 | 31.0"
    assert any(line.startswith(conflict) for line in lines)
    assert "1 changed" in result.stderr and "1 conflict" in result.stderr


def test_cli_diff_writes_table_and_workbook(cli, tmp_path) -> None:
    assert cli("diff", tmp_path / "m.csv", "--from", 2020, "--to", 2021, "--region", "洛阳市",
               "-o", tmp_path / "d.csv").exit_code == 0
    back = pd.read_csv(tmp_path / "d.csv", encoding="utf-8-sig")
    assert back[["indicator", "kind", "status"]].values.tolist() == [
        ["budget_revenue", "actual", "conflict"], ["gdp", "actual", "changed"],
        ["gdp_growth", "actual", "added"], ["gdp_growth", "target", "added"]]
    assert (tmp_path / "d.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert (tmp_path / "d.csv").stat().st_mode & 0o777 == 0o666 & ~_umask()
    result = cli("diff", tmp_path / "m.csv", "--from", 2020, "--to", 2021, "-o", tmp_path / "d.xlsx")
    assert result.exit_code == 0
    assert openpyxl.load_workbook(tmp_path / "d.xlsx").sheetnames == ["diff", "long", "wide"]


def test_cli_diff_runs(cli, tmp_path) -> None:
    new = compare.load_table(tmp_path / "m.csv")
    new.loc[(new["indicator"] == "gdp_growth") & (new["kind"] == "actual"), "value"] = 8.1
    new.to_parquet(tmp_path / "new.parquet", index=False)
    result = cli("diff", tmp_path / "m.csv", tmp_path / "new.parquet", "-o", tmp_path / "runs.parquet")
    assert result.exit_code == 0, result.output
    runs = pd.read_parquet(tmp_path / "runs.parquet")
    assert runs[["status", "indicator", "value_old", "value_new"]].values.tolist() == [
        ["changed", "gdp_growth", 8.0, 8.1]]


@pytest.mark.parametrize(("args", "message"), [
    (["diff", "{m}"], "diff METRICS needs --from YEAR and --to YEAR"),
    (["diff", "{m}", "{m}", "--from", "2020"], "--from/--to/--region/--kind compare years of one table"),
    (["diff", "{m}", "--from", "2020", "--to", "2021", "-o", "{d}/x.json"], "-o must end in .csv"),
    (["check", "{m}", "-o", "{d}/x.csv"], "-o must be a .xlsx workbook"),
    (["plot", "{m}", "--indicator", "rd_intensity", "-o", "{d}/x.png"], "no rows for indicator rd_intensity"),
])
def test_cli_usage_errors_are_raised_typed(cli, tmp_path, args: list[str], message: str) -> None:
    result = cli(*(a.format(m=tmp_path / "m.csv", d=tmp_path) for a in args))
    assert isinstance(result.exception, UsageError)
    assert message in str(result.exception)


def test_cli_consolidate_wide_and_long(cli, tmp_path) -> None:
    assert cli("consolidate", tmp_path / "m.csv", "--wide", "-o", tmp_path / "w.csv").exit_code == 0
    wide = pd.read_csv(tmp_path / "w.csv", encoding="utf-8-sig")
    assert list(wide.columns) == [*compare.WIDE_INDEX, "2020", "2021", "conflicts"]
    assert len(wide) == 5
    result = cli("consolidate", tmp_path / "m.csv", "-o", tmp_path / "c.xlsx")
    assert result.exit_code == 0
    assert "6 keys from 7 rows, 1 conflict(s)" in result.stderr
    assert openpyxl.load_workbook(tmp_path / "c.xlsx").sheetnames == ["long", "wide"]


def test_cli_check_prints_both_tables(cli, tmp_path) -> None:
    result = cli("check", tmp_path / "m.csv")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "# 增长率核对 implied vs reported growth" in out and "# 目标完成 targets" in out
    assert "2021,Y,洛阳市,gdp_growth,500.0,530.0,6.0,8.0,2.0,flag" in out
    assert "2021,Y,洛阳市,gdp_growth,6.0,ge,8.0,%,met,actual 8.0 ≥ target 6.0" in out
    assert "growth: 1 flag; targets: 1 met" in result.stderr and "constant prices" in result.stderr
    assert cli("check", tmp_path / "m.csv", "-o", tmp_path / "k.xlsx").exit_code == 0
    assert openpyxl.load_workbook(tmp_path / "k.xlsx").sheetnames == ["growth", "targets"]


def test_cli_csv_output_guards_formula_like_text(tmp_path) -> None:
    app = typer.Typer()
    register(app)
    table(row(2021, "gdp_growth", -1.0, source="a.txt"), row(2021, "gdp_growth", 2.0, source="b.txt")) \
        .to_parquet(tmp_path / "m.parquet", index=False)
    result = CliRunner().invoke(app, ["consolidate", str(tmp_path / "m.parquet"), "-o", str(tmp_path / "c.csv")])
    assert result.exit_code == 0, result.output
    back = pd.read_csv(tmp_path / "c.csv", encoding="utf-8-sig")
    assert back["candidates"].tolist() == ["'-1.0 | 2.0"]  # shown as text by a spreadsheet, not run
    assert back["conflict"].tolist() == [True]


def test_terminal_gets_a_rich_table_without_empty_columns(monkeypatch, capsys) -> None:
    from luoyang_metrics import cli_compare

    df = compare.diff_years(table(row(2020, "gdp", 500.0), row(2021, "gdp", 530.0)), 2020, 2021)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    cli_compare._show(df, ["region", "indicator", "value_to", "status", "candidates_to"], title="2020 → 2021")
    out = capsys.readouterr().out
    assert "2020 → 2021" in out and "洛阳市" in out and "530.0" in out and "changed" in out
    assert "candidates_to" not in out  # empty in every row: left out on a terminal
    assert "," not in out  # not CSV
