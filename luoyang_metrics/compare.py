"""Compare what the table says: consolidated values, year-on-year and run-to-run diffs, consistency checks.

Every function takes the SPEC table (as produced by ``extract``) as a DataFrame and returns a new
DataFrame; nothing is read or written here except by :func:`load_table`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import UsageError
from .model import COLUMNS
from .writing import neutralize

KEY: tuple[str, ...] = ("year", "period", "region", "indicator", "kind")
KINDS: tuple[str, ...] = ("actual", "target")

# Two mentions agree when their values are this close: the tolerance the SPEC scores values with.
REL_TOL = 1e-6
# Derived numbers (changes, implied growth) are rounded: 530.9 - 500.1 reads 30.8, not 30.799999999999955.
DECIMALS = 6

_INT_COLUMNS = ("year", "line")
_FLOAT_COLUMNS = ("value",)
_STR_COLUMNS = tuple(c for c in COLUMNS if c not in _INT_COLUMNS + _FLOAT_COLUMNS)

CONSOLIDATED_COLUMNS: tuple[str, ...] = (
    *KEY[:4], "indicator_name", "kind", "value", "unit", "qualifier", "conflict",
    "candidates", "candidate_sources", "n_sources", "sources",
)
DIFF_KEY: tuple[str, ...] = ("region", "indicator", "kind", "period")
DIFF_COLUMNS: tuple[str, ...] = (
    *DIFF_KEY[:2], "indicator_name", *DIFF_KEY[2:], "value_from", "value_to", "unit", "abs_change",
    "pct_change", "status", "candidates_from", "candidates_to", "source_from", "source_to",
)
RUN_ID: tuple[str, ...] = ("source", "line", *KEY)
RUN_DIFF_COLUMNS: tuple[str, ...] = (
    "status", *RUN_ID, "changed", "value_old", "value_new", "unit_old", "unit_new",
    "qualifier_old", "qualifier_new", "raw_old", "raw_new", "rule_old", "rule_new", "evidence",
)
GROWTH_COLUMNS: tuple[str, ...] = (
    "year", "period", "region", "indicator", "level_indicator", "level_unit", "level_prev", "level",
    "implied_growth", "reported_growth", "gap_pp", "status", "note", "growth_sources", "level_sources",
)
TARGET_COLUMNS: tuple[str, ...] = (
    "year", "period", "region", "indicator", "indicator_name", "unit", "target", "qualifier", "actual",
    "status", "reason", "target_sources", "actual_sources",
)
WIDE_INDEX: tuple[str, ...] = ("region", "indicator", "indicator_name", "kind", "period", "unit")

CONSTANT_PRICES_NOTE = (
    "reported growth is often at constant prices (按可比价计算) while the implied growth is at current "
    "prices: a gap is a flag to look at, not an error"
)


# ---------------------------------------------------------------------------------------------- loading


def load_table(path: str | Path) -> pd.DataFrame:
    """Read a table written by ``extract``: CSV (UTF-8, BOM optional) or Parquet.

    Raises UsageError when the file is missing, unreadable, of another format, or lacks SPEC columns.
    """
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"{p}: no such file")
    suffix = p.suffix.lower()
    try:
        if suffix == ".csv":
            # Everything as text first: a raw "2020" must stay a string, and numbers are checked below.
            df = pd.read_csv(p, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        elif suffix == ".parquet":
            df = pd.read_parquet(p)
        else:
            raise UsageError(f"{p}: expected a .csv or .parquet table written by extract")
    except (OSError, ValueError) as exc:  # parser, decoding and Arrow errors are all ValueErrors
        raise UsageError(f"{p}: cannot read the table ({exc})") from exc
    if suffix == ".csv":
        for col in _STR_COLUMNS:
            if col in df.columns:
                df[col] = df[col].map(_unneutralize)
    return _typed(df, str(p))


def _unneutralize(text: str) -> str:
    """Undo extract's CSV guard against formulas ("'-2.6%" -> "-2.6%"), so CSV and Parquet load alike."""
    return text[1:] if text.startswith("'") and neutralize(text[1:]) == text else text


def _typed(df: pd.DataFrame, where: str) -> pd.DataFrame:
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise UsageError(f"{where}: not a metrics table, missing column(s) {', '.join(missing)}")
    out = df.loc[:, [*COLUMNS, *(c for c in df.columns if c not in COLUMNS)]].copy()
    for col in (*_INT_COLUMNS, *_FLOAT_COLUMNS):
        try:
            out[col] = pd.to_numeric(out[col].replace("", np.nan), errors="raise")
        except (ValueError, TypeError) as exc:
            raise UsageError(f"{where}: column {col} must be numeric ({exc})") from exc
    for col in _INT_COLUMNS:
        if out[col].isna().any():
            raise UsageError(f"{where}: column {col} has empty cells")
        out[col] = out[col].astype("int64")
    out["value"] = out["value"].astype("float64")
    for col in _STR_COLUMNS:
        out[col] = out[col].fillna("").astype(str)
    return out


def _require(df: pd.DataFrame, columns: Iterable[str]) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise UsageError(f"the table lacks column(s) {', '.join(missing)}")


# ----------------------------------------------------------------------------------------- consolidation


def _same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=1e-12)


def fmt_number(value: float) -> str:
    """A number as people write it: 12.0, 0.3827, 30.8 (float noise rounded away)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(round(float(value), DECIMALS))


def _consolidate_key(g: pd.DataFrame) -> dict[str, object]:
    """One consolidated row from all mentions of one key; agreeing = same unit, values within REL_TOL."""
    clusters: list[tuple[str, float, list[str]]] = []
    mentions = (g["source"] + ":" + g["line"].astype(str)).tolist()
    values = [float(v) for v in g["value"]]
    # NaN sorts last and equal to itself, so that sorted neighbours are the only candidates to merge.
    order = sorted(range(len(g)), key=lambda i: (g["unit"].iat[i], math.isnan(values[i]),
                                                  0.0 if math.isnan(values[i]) else values[i]))
    for i in order:
        unit, value, mention = g["unit"].iat[i], values[i], mentions[i]
        if clusters and clusters[-1][0] == unit and _same(clusters[-1][1], value):
            if mention not in clusters[-1][2]:
                clusters[-1][2].append(mention)
        else:
            clusters.append((unit, value, [mention]))
    units = sorted({c[0] for c in clusters})
    many_units = len(units) > 1
    candidates = " | ".join(fmt_number(v) + (u if many_units else "") for u, v, _ in clusters)
    all_mentions = list(dict.fromkeys(mentions))
    names = [n for n in g["indicator_name"] if n] if "indicator_name" in g else []
    qualifiers = sorted({q for q in g["qualifier"] if q}) if "qualifier" in g else []
    first = g.iloc[0]
    return {
        **{k: first[k] for k in KEY},
        "indicator_name": names[0] if names else "",
        "value": clusters[0][1] if len(clusters) == 1 else math.nan,
        "unit": "|".join(units),
        "qualifier": "|".join(qualifiers),
        "conflict": len(clusters) > 1,
        "candidates": candidates,
        "candidate_sources": " | ".join(";".join(c[2]) for c in clusters),
        "n_sources": len(all_mentions),
        "sources": ";".join(all_mentions),
    }


def consolidate(df: pd.DataFrame) -> pd.DataFrame:
    """One row per SPEC key (year, period, region, indicator, kind).

    Mentions that agree (same unit, values within REL_TOL) give one ``value`` and list every mention in
    ``sources`` (";"-joined ``source:line``; ``n_sources`` counts them). Mentions that disagree are all kept:
    ``value`` is NaN, ``conflict`` is True, ``candidates`` lists the distinct values ("12.0 | 12.5") and
    ``candidate_sources`` the mentions behind each, in the same order. No candidate is ever picked.
    ``qualifier`` joins the distinct qualifiers with "|" when the mentions word them differently.
    """
    _require(df, (*KEY, "value", "unit", "source", "line"))
    if df.empty:
        return _empty(CONSOLIDATED_COLUMNS)
    rows = [_consolidate_key(g) for _, g in df.groupby(list(KEY), sort=True, dropna=False)]
    out = pd.DataFrame(rows, columns=list(CONSOLIDATED_COLUMNS))
    return out.astype({"year": "int64", "value": "float64", "conflict": "bool", "n_sources": "int64"})


_NUMERIC: dict[str, str] = {
    "year": "int64", "line": "int64", "n_sources": "int64", "conflict": "bool",
    **dict.fromkeys(("value", "value_from", "value_to", "abs_change", "pct_change", "value_old",
                     "value_new", "level_prev", "level", "implied_growth", "reported_growth", "gap_pp",
                     "target", "actual"), "float64"),
}


def _empty(columns: Iterable[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=_NUMERIC.get(c, "object")) for c in columns})


# ------------------------------------------------------------------------------------------- year diffs


def diff_years(df: pd.DataFrame, year_from: int, year_to: int, region: str | None = None,
               kind: str | None = None) -> pd.DataFrame:
    """Consolidated values of ``year_from`` against ``year_to``: a row per (region, indicator, kind, period).

    ``status`` is ``conflict`` when either year's value is a conflict (its ``candidates_*`` are filled and
    no change is computed), ``added`` / ``removed`` when the key exists in one year only (never dropped),
    else ``changed`` or ``unchanged``. ``pct_change`` is relative to ``|value_from|`` (so a fall from a
    negative base reads negative) and is NaN on a zero base; when the unit differs between the years no
    change is computed and ``unit`` reads "old→new".
    """
    cons = consolidate(df)
    years = sorted(set(cons["year"]))
    for year in (year_from, year_to):
        if year not in years:
            known = ", ".join(map(str, years)) or "none"
            raise UsageError(f"no rows for year {year}; years in the table: {known}")
    if region is not None and region not in set(cons["region"]):
        raise UsageError(f"no rows for region {region}")
    if kind is not None and kind not in KINDS:
        raise UsageError(f"kind must be one of {', '.join(KINDS)}, not {kind}")
    if region is not None:
        cons = cons[cons["region"] == region]
    if kind is not None:
        cons = cons[cons["kind"] == kind]
    side_cols = [*DIFF_KEY, "indicator_name", "value", "unit", "conflict", "candidates", "sources"]
    merged = cons.loc[cons["year"] == year_from, side_cols].merge(
        cons.loc[cons["year"] == year_to, side_cols], on=list(DIFF_KEY), how="outer",
        suffixes=("_from", "_to"), indicator=True)
    if merged.empty:
        return _empty(DIFF_COLUMNS)
    rows = [_diff_row(r) for r in merged.to_dict("records")]
    out = pd.DataFrame(rows, columns=list(DIFF_COLUMNS))
    return out.sort_values(list(DIFF_KEY), kind="stable").reset_index(drop=True)


def _diff_row(r: dict[str, object]) -> dict[str, object]:
    present_from, present_to = r["_merge"] in ("left_only", "both"), r["_merge"] in ("right_only", "both")
    conflict = (present_from and bool(r["conflict_from"])) or (present_to and bool(r["conflict_to"]))
    unit_from, unit_to = (r["unit_from"] if present_from else ""), (r["unit_to"] if present_to else "")
    same_unit = not (present_from and present_to) or unit_from == unit_to
    v_from = float(r["value_from"]) if present_from else math.nan
    v_to = float(r["value_to"]) if present_to else math.nan
    abs_change = pct_change = math.nan
    if present_from and present_to and same_unit and not conflict:
        abs_change = round(v_to - v_from, DECIMALS)
        if v_from != 0:
            pct_change = round((v_to - v_from) / abs(v_from) * 100, DECIMALS)
    if conflict:
        status = "conflict"
    elif not present_from:
        status = "added"
    elif not present_to:
        status = "removed"
    elif same_unit and _same(v_from, v_to):
        status = "unchanged"
    else:
        status = "changed"
    return {
        **{k: r[k] for k in DIFF_KEY},
        "indicator_name": (r["indicator_name_to"] if present_to else "") or r["indicator_name_from"] or "",
        "value_from": v_from,
        "value_to": v_to,
        "unit": unit_to or unit_from if same_unit else f"{unit_from}→{unit_to}",
        "abs_change": abs_change,
        "pct_change": pct_change,
        "status": status,
        "candidates_from": r["candidates_from"] if present_from and r["conflict_from"] else "",
        "candidates_to": r["candidates_to"] if present_to and r["conflict_to"] else "",
        "source_from": r["sources_from"] if present_from else "",
        "source_to": r["sources_to"] if present_to else "",
    }


# -------------------------------------------------------------------------------------------- run diffs


def diff_runs(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Rows added, removed or changed between two extraction outputs (the regression check after a rule edit).

    Rows are matched on (source, line, year, period, region, indicator, kind); several rows sharing that id
    are paired in value order. A matched pair is ``changed`` when its value, unit or qualifier differs
    (``changed`` names which); unchanged rows are left out. A row whose key moved (say a year fixed by a
    rule) shows as one ``removed`` and one ``added`` at the same source:line.
    """
    needed = (*RUN_ID, "value", "unit", "qualifier", "raw", "rule", "evidence")
    _require(old, needed)
    _require(new, needed)
    sides = []
    for frame in (old, new):
        side = frame.loc[:, list(needed)].sort_values([*RUN_ID, "value"], kind="stable")
        side["_n"] = side.groupby(list(RUN_ID), dropna=False).cumcount()
        sides.append(side)
    merged = sides[0].merge(sides[1], on=[*RUN_ID, "_n"], how="outer", suffixes=("_old", "_new"),
                            indicator=True)
    rows = []
    for r in merged.to_dict("records"):
        if r["_merge"] == "both":
            changed = [f for f in ("unit", "qualifier") if r[f"{f}_old"] != r[f"{f}_new"]]
            if not _same(r["value_old"], r["value_new"]):
                changed.insert(0, "value")
            if not changed:
                continue
            status = "changed"
        else:
            changed, status = [], "removed" if r["_merge"] == "left_only" else "added"
        row = {c: r.get(c, "") for c in RUN_DIFF_COLUMNS}
        row.update(status=status, changed=";".join(changed),
                   evidence=r["evidence_new"] if status != "removed" else r["evidence_old"])
        rows.append(row)
    if not rows:
        return _empty(RUN_DIFF_COLUMNS)
    out = pd.DataFrame(rows, columns=list(RUN_DIFF_COLUMNS))
    for col in ("unit_old", "unit_new", "qualifier_old", "qualifier_new", "raw_old", "raw_new", "rule_old",
                "rule_new", "evidence"):
        out[col] = out[col].fillna("")
    out = out.astype({"year": "int64", "line": "int64", "value_old": "float64", "value_new": "float64"})
    return out.sort_values(["source", "line", *KEY, "status"], kind="stable").reset_index(drop=True)


# ------------------------------------------------------------------------------------ consistency checks


def check(df: pd.DataFrame, growth_tolerance_pp: float = 1.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Consistency checks on the consolidated actuals: ``(growth_checks, target_checks)``.

    Growth: wherever a level X is known for years t-1 and t (same region, period) and a growth X_growth is
    reported for t, ``implied_growth`` = (X_t / X_t-1 - 1) * 100 is compared with ``reported_growth``;
    ``status`` is ``ok`` within ``growth_tolerance_pp`` percentage points, ``flag`` beyond (not an error:
    see CONSTANT_PRICES_NOTE), ``conflict`` if any of the three values is a conflict, ``unknown`` on a zero
    base or mismatched units.

    Targets: see :func:`target_status` for met / missed / unknown.
    """
    cons = consolidate(df)
    return _growth_checks(cons, growth_tolerance_pp), _target_checks(cons)


def _growth_checks(cons: pd.DataFrame, tolerance_pp: float) -> pd.DataFrame:
    actual = cons[cons["kind"] == "actual"]
    by_key = {(r["year"], r["period"], r["region"], r["indicator"]): r for r in actual.to_dict("records")}
    rows = []
    for (year, period, region, indicator), g in sorted(by_key.items()):
        if not indicator.endswith("_growth"):
            continue
        level_id = indicator.removesuffix("_growth")
        cur = by_key.get((year, period, region, level_id))
        prev = by_key.get((year - 1, period, region, level_id))
        if cur is None or prev is None:
            continue
        implied = gap = math.nan
        note = ""
        if g["conflict"] or cur["conflict"] or prev["conflict"]:
            status = "conflict"
            note = "; ".join(f"{name} {r['candidates']}" for name, r in
                             (("reported", g), (str(year), cur), (str(year - 1), prev)) if r["conflict"])
        elif cur["unit"] != prev["unit"]:
            status, note = "unknown", f"level unit changed {prev['unit']}→{cur['unit']}"
        elif prev["value"] == 0:
            status, note = "unknown", "zero base: no implied growth"
        else:
            implied = round((cur["value"] / prev["value"] - 1) * 100, DECIMALS)
            gap = round(g["value"] - implied, DECIMALS)
            status = "ok" if abs(gap) <= tolerance_pp + 1e-9 else "flag"
            note = CONSTANT_PRICES_NOTE if status == "flag" else ""
        rows.append({
            "year": year, "period": period, "region": region, "indicator": indicator,
            "level_indicator": level_id, "level_unit": cur["unit"], "level_prev": prev["value"],
            "level": cur["value"], "implied_growth": implied, "reported_growth": g["value"], "gap_pp": gap,
            "status": status, "note": note, "growth_sources": g["sources"],
            "level_sources": f"{prev['sources']};{cur['sources']}",
        })
    return pd.DataFrame(rows, columns=list(GROWTH_COLUMNS)) if rows else _empty(GROWTH_COLUMNS)


def target_status(target: float, actual: float, qualifier: str, unit: str) -> tuple[str, str]:
    """Whether an actual meets a target: ``(met|missed|unknown, reason)``.

    - ``eq`` and ``ge``: met when actual >= target. Plans state goals as levels to reach
      (增长6%, 达到500亿元); a ceiling is worded 以内/不超过 and extracted as ``le``.
    - ``gt``: met when actual > target.  ``le``: met when actual <= target.
    - ``approx`` (约/左右/近): met when the actual lies within ±0.5 percentage point of the target for a
      ``%`` unit, ±2% of the target otherwise; outside that band it is missed either way, and the reason
      says whether it fell short or overshot (9% against a 7%左右 goal is not "about 7%").
    - several qualifiers joined by "|" (the mentions worded it differently): the verdict they agree on,
      else unknown.
    """
    verdicts = [_one_target_status(target, actual, q, unit) for q in qualifier.split("|")]
    if len({status for status, _ in verdicts}) == 1:
        return verdicts[0][0], "; ".join(reason for _, reason in verdicts)
    return "unknown", f"qualifiers {qualifier} give different verdicts"


def _one_target_status(target: float, actual: float, qualifier: str, unit: str) -> tuple[str, str]:
    t, a = fmt_number(target), fmt_number(actual)
    eps = 1e-9 * max(1.0, abs(target))
    if qualifier in ("eq", "ge", ""):
        ok = actual >= target - eps
        return ("met", f"actual {a} ≥ target {t}") if ok else ("missed", f"actual {a} < target {t}")
    if qualifier == "gt":
        ok = actual > target + eps
        return ("met", f"actual {a} > target {t}") if ok else ("missed", f"actual {a} ≤ target {t}")
    if qualifier == "le":
        ok = actual <= target + eps
        return ("met", f"actual {a} ≤ target {t}") if ok else ("missed", f"actual {a} > target {t}")
    if qualifier == "approx":
        band = 0.5 if unit == "%" else abs(target) * 0.02
        shown = f"{t} ± {fmt_number(band)}"
        if abs(actual - target) <= band + eps:
            return "met", f"actual {a} within {shown}"
        return "missed", f"actual {a} {'below' if actual < target else 'above'} {shown}"
    return "unknown", f"unknown qualifier {qualifier!r}"


def _target_checks(cons: pd.DataFrame) -> pd.DataFrame:
    actual = {(r["year"], r["period"], r["region"], r["indicator"]): r
              for r in cons[cons["kind"] == "actual"].to_dict("records")}
    rows = []
    for t in cons[cons["kind"] == "target"].to_dict("records"):
        a = actual.get((t["year"], t["period"], t["region"], t["indicator"]))
        if a is None:
            status, reason = "unknown", f"no actual for {t['year']}"
        elif t["conflict"]:
            status, reason = "unknown", f"target conflict: {t['candidates']}"
        elif a["conflict"]:
            status, reason = "unknown", f"actual conflict: {a['candidates']}"
        elif a["unit"] != t["unit"]:
            status, reason = "unknown", f"units differ: target {t['unit']}, actual {a['unit']}"
        else:
            status, reason = target_status(t["value"], a["value"], t["qualifier"], t["unit"])
        rows.append({
            "year": t["year"], "period": t["period"], "region": t["region"], "indicator": t["indicator"],
            "indicator_name": t["indicator_name"], "unit": t["unit"], "target": t["value"],
            "qualifier": t["qualifier"], "actual": a["value"] if a is not None else math.nan,
            "status": status, "reason": reason, "target_sources": t["sources"],
            "actual_sources": a["sources"] if a is not None else "",
        })
    return pd.DataFrame(rows, columns=list(TARGET_COLUMNS)) if rows else _empty(TARGET_COLUMNS)


# ------------------------------------------------------------------------------------------------- wide


def wide(df: pd.DataFrame) -> pd.DataFrame:
    """Indicators × years: one row per (region, indicator, kind, period, unit), one column per year.

    Rows are grouped by region (a pivot per region, stacked). Cells hold consolidated values; a conflict
    leaves its cell empty and is spelled out in the ``conflicts`` column ("2021: 12.0 | 12.5") so that
    the year columns stay numeric. Year columns are named by strings ("2020") so that Parquet accepts them.
    """
    cons = consolidate(df)
    if cons.empty:
        return _empty([*WIDE_INDEX, "conflicts"])
    # The name comes from indicators.csv and is the same in every year; a blank one must not split a row.
    names = cons[cons["indicator_name"] != ""].groupby("indicator")["indicator_name"].first()
    cons = cons.assign(indicator_name=cons["indicator"].map(names).fillna(""))
    index = list(WIDE_INDEX)
    table = cons.pivot(index=index, columns="year", values="value")
    table.columns = [str(y) for y in table.columns]
    conflicts = (cons[cons["conflict"]].assign(text=lambda d: d["year"].astype(str) + ": " + d["candidates"])
                 .groupby(index)["text"].agg("; ".join))
    table["conflicts"] = conflicts.reindex(table.index).fillna("")
    return table.reset_index().sort_values(["region", "indicator", "kind", "period"], kind="stable") \
        .reset_index(drop=True)
