"""Charts: a PNG is written with the packaged CJK font, errors are typed."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import typer
from matplotlib.ft2font import FT2Font
from typer.testing import CliRunner

from luoyang_metrics.cli_compare import register
from luoyang_metrics.errors import UsageError
from luoyang_metrics.model import COLUMNS
from luoyang_metrics.plot import cjk_font, plot_indicator

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _row(year: int, region: str, value: float, kind: str = "actual", period: str = "Y",
         source: str = "a.txt") -> tuple[object, ...]:
    return (year, period, region, "gdp", "地区生产总值", value, "亿元", kind, "eq", source, 1, "", "", "r")


def _table() -> pd.DataFrame:
    rows = [_row(year, region, value)
            for region, values in (("洛阳市", (5000.0, 5100.0, 5400.0)), ("孟津区", (480.0, 500.0, 530.9)))
            for year, value in zip((2020, 2021, 2022), values, strict=True)]
    rows += [_row(2023, "洛阳市", 5700.0, kind="target"),
             _row(2023, "孟津区", 560.0, source="b.txt"), _row(2023, "孟津区", 565.0, source="c.txt"),
             _row(2022, "洛阳市", 2600.0, period="H1")]
    return pd.DataFrame(rows, columns=list(COLUMNS))


def test_packaged_font_has_the_glyphs_we_draw() -> None:
    font = FT2Font(cjk_font().get_file())
    charmap = font.get_charmap()
    assert all(ord(ch) in charmap for ch in "洛阳市孟津区地区生产总值年份实际目标冲突多个候选亿元")


def test_plot_writes_png(tmp_path: Path) -> None:
    path = plot_indicator(_table(), "gdp", path=tmp_path / "gdp.png")
    assert path == tmp_path / "gdp.png"
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000
    assert [p.name for p in tmp_path.iterdir()] == ["gdp.png"]


def test_plot_one_region_and_half_year(tmp_path: Path) -> None:
    svg = plot_indicator(_table(), "gdp", ["孟津区"], path=tmp_path / "a.svg")
    assert svg.read_text().startswith("<?xml")
    assert plot_indicator(_table(), "gdp", path=tmp_path / "h1.png", period="H1").stat().st_size > 0


@pytest.mark.parametrize(("indicator", "regions", "name", "message"), [
    ("cpi", None, "x.png", "no rows for indicator cpi; indicators in the table: gdp"),
    ("gdp", ["嵩县"], "x.png", "no gdp rows for region(s) 嵩县"),
    ("gdp", None, "x.pdf", "a chart must end in .png or .svg"),
])
def test_plot_usage_errors(tmp_path: Path, indicator: str, regions: list[str] | None, name: str,
                           message: str) -> None:
    with pytest.raises(UsageError, match=re.escape(message)):
        plot_indicator(_table(), indicator, regions, path=tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_plot_command(tmp_path: Path) -> None:
    _table().to_csv(tmp_path / "m.csv", index=False, encoding="utf-8-sig")
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["plot", str(tmp_path / "m.csv"), "--indicator", "gdp",
                                      "--region", "洛阳市,孟津区", "-o", str(tmp_path / "g.png")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "g.png").read_bytes().startswith(PNG_SIGNATURE)
    assert f"wrote {tmp_path / 'g.png'}" in result.stderr.replace("\n", "")


def test_missing_year_breaks_the_line() -> None:
    from luoyang_metrics.compare import consolidate
    from luoyang_metrics.plot import _draw

    data = consolidate(_table().query("year != 2021 and period == 'Y' and region == '洛阳市'"))
    ax = _draw(data, ["洛阳市"], "Y").axes[0]
    actual = ax.lines[0]
    assert list(actual.get_xdata()) == [2020, 2021, 2022]
    assert [str(v) for v in actual.get_ydata()] == ["5000.0", "nan", "5400.0"]
    assert actual.get_linestyle() == "-" and ax.lines[1].get_linestyle() == "--"
    assert ax.lines[1].get_markerfacecolor() == "white"
    assert ax.get_title() == "地区生产总值" and ax.get_xlabel() == "年份"
