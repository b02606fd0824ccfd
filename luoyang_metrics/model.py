"""Plain data passed between the pipeline stages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Any, NamedTuple


@dataclass(frozen=True, slots=True)
class Row:
    """One indicator value found in a report: the SPEC table row, in column order."""

    year: int
    period: str
    region: str
    indicator: str
    indicator_name: str
    value: float
    unit: str
    kind: str
    qualifier: str
    source: str
    line: int
    raw: str
    evidence: str
    rule: str


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Row))


def row_columns(rows: Sequence[Row], names: Sequence[str] = COLUMNS) -> list[list[Any]]:
    """The values of ``rows`` column by column: one list per name in ``names``, in row order
    (empty lists when there are no rows).

    Writers and the cache work on whole columns. One C-level ``map`` per column avoids a
    Python ``getattr`` per cell, and unlike transposing per-row tuples with ``zip(*...)`` it
    allocates no tuple per row, which on large batches sets off the cyclic garbage collector.
    """
    return [list(map(attrgetter(name), rows)) for name in names]


class NumberMention(NamedTuple):
    """A number with a unit, found once in the normalized text.

    Offsets index the normalized text. ``start`` is where the numeral begins;
    ``qual_start`` is where a prefix qualifier such as 超过/近/不少于 begins
    (equal to ``start`` when there is none); ``end`` is after the unit and any
    suffix qualifier (以上/左右/以内...).
    """

    start: int
    end: int
    qual_start: int
    value: float        # numeral x magnitude, in units of ``unit`` (e.g. 45亿斤 -> 4.5e9, unit 斤)
    unit: str           # base unit as written: 元, 美元, 斤, 人, 家, 个, %, 个百分点 ...
    dimension: str      # cny, usd, mass, people, count, percent, pp, ...
    qualifier: str      # eq, ge, gt, le, approx
    raw: str            # numeral + magnitude + unit as it stands in the normalized text
