"""Line charts of one indicator over the years, with Chinese labels that render on any machine."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pylopdf_fonts_zh_cn
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import MaxNLocator

from .compare import consolidate
from .errors import UsageError
from .excel import replace_atomically

FORMATS = (".png", ".svg")  # the font is CFF-flavoured OpenType, which matplotlib cannot embed in PDF


def cjk_font(size: float | None = None) -> FontProperties:
    """Noto Sans SC from a package the project depends on: system fonts differ, and CI machines have none."""
    return FontProperties(fname=str(pylopdf_fonts_zh_cn.sans_path()), size=size)


def plot_indicator(df: pd.DataFrame, indicator: str, regions: Sequence[str] | None = None, *,
                   path: str | Path, period: str = "Y") -> Path:
    """Draw ``indicator`` over the years, one colour per region, and save it to ``path`` (.png or .svg).

    Consolidated values are drawn: actuals as solid lines with filled markers, targets as dashed lines with
    hollow markers in the region's colour, both broken where a year is missing; the candidates of a
    conflicting key are grey crosses (never one of them as if it were the value). Only ``period`` (whole
    years by default) is drawn, since a half-year next to a year would read as a fall. ``regions``
    defaults to every region that has the indicator. The file is written beside ``path`` first and moved
    into place.
    """
    target = Path(path)
    if target.suffix.lower() not in FORMATS:
        raise UsageError(f"{target}: a chart must end in {' or '.join(FORMATS)}")
    if not target.parent.is_dir():
        raise UsageError(f"{target.parent}: no such folder")
    data = _select(consolidate(df), indicator, regions, period)
    fig = _draw(data, regions or sorted(set(data["region"])), period)
    return replace_atomically(target, lambda tmp: fig.savefig(tmp, format=target.suffix.lower()[1:], dpi=150))


def _select(cons: pd.DataFrame, indicator: str, regions: Sequence[str] | None, period: str) -> pd.DataFrame:
    rows = cons[cons["indicator"] == indicator]
    if rows.empty:
        known = ", ".join(sorted(set(cons["indicator"]))[:20]) or "none"
        raise UsageError(f"no rows for indicator {indicator}; indicators in the table: {known}")
    if regions:
        unknown = [r for r in regions if r not in set(rows["region"])]
        if unknown:
            raise UsageError(f"no {indicator} rows for region(s) {', '.join(unknown)}")
        rows = rows[rows["region"].isin(regions)]
    rows = rows[rows["period"] == period]
    if rows.empty:
        raise UsageError(f"no {indicator} rows for period {period}")
    units = sorted(set(rows.loc[~rows["conflict"], "unit"]))
    if len(units) > 1:
        raise UsageError(f"{indicator} comes in several units ({', '.join(units)}); cannot share one axis")
    return rows.sort_values("year")


def _candidates(text: str) -> list[float]:
    out = []
    for part in text.split("|"):
        try:
            out.append(float(part))
        except ValueError:  # a candidate in another unit: not drawable on this axis
            continue
    return out


def _draw(data: pd.DataFrame, regions: Sequence[str], period: str) -> Figure:
    fig = Figure(figsize=(8, 4.8), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    colours = colormaps["tab10"]
    for i, region in enumerate(regions):
        for kind, style in (("actual", {"linestyle": "-", "marker": "o"}),
                            ("target", {"linestyle": "--", "marker": "o", "markerfacecolor": "white"})):
            known = data[(data["region"] == region) & (data["kind"] == kind) & ~data["conflict"]]
            if not known.empty:
                # A missing year breaks the line: drawn through, it would read as an interpolated value.
                years = range(known["year"].min(), known["year"].max() + 1)
                series = known.set_index("year")["value"].reindex(years)
                label = f"{region} {'实际' if kind == 'actual' else '目标'}"
                ax.plot(series.index, series.to_numpy(), color=colours(i % 10), label=label, linewidth=1.8,
                        **style)
    points = [(year, value) for year, text in data.loc[data["conflict"], ["year", "candidates"]]
              .itertuples(index=False) for value in _candidates(text)]
    if points:
        years, values = zip(*points, strict=True)
        ax.scatter(years, values, marker="x", color="grey", zorder=3, label="冲突(多个候选值)")
    name = next((n for n in data["indicator_name"] if n), data["indicator"].iat[0])
    unit = next((u for u in data.loc[~data["conflict"], "unit"]), "")
    title = name if period == "Y" else f"{name}({period})"
    ax.set_title(title, fontproperties=cjk_font(14))
    ax.set_xlabel("年份", fontproperties=cjk_font(11))
    ax.set_ylabel(f"{name}({unit})" if unit else name, fontproperties=cjk_font(11))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(True, alpha=0.3)
    ax.legend(prop=cjk_font(9), loc="best")
    return fig
