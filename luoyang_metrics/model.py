"""Plain data passed between the pipeline stages."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
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
    Rows held as columns (``ColumnRows``) give theirs without building a row.
    """
    if isinstance(rows, ColumnRows) and tuple(names) == COLUMNS:
        return [list(col) for col in rows.columns]
    return [list(map(attrgetter(name), rows)) for name in names]


class ColumnRows(Sequence[Row]):
    """Rows held as one list per column (``COLUMNS`` order), made into ``Row`` objects only when
    read one by one: rows that only pass through, from a worker process or the cache to the
    writers (which want columns), are never built."""

    __slots__ = ("columns",)

    def __init__(self, columns: list[list[Any]]) -> None:
        if len(columns) != len(COLUMNS) or len({len(c) for c in columns}) > 1:
            raise ValueError("ColumnRows needs one list per column, all of one length")
        self.columns = columns

    def __len__(self) -> int:
        return len(self.columns[0])

    def __getitem__(self, index):  # noqa: ANN001, ANN204 - int or slice, as for a list
        if isinstance(index, slice):
            return list(map(Row, *(col[index] for col in self.columns)))
        return Row(*(col[index] for col in self.columns))

    def __iter__(self) -> Iterator[Row]:
        return map(Row, *self.columns)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ColumnRows):
            return self.columns == other.columns
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment] - mutable, like a list

    def __repr__(self) -> str:
        return f"ColumnRows({list(self)!r})"


def concat_columns(parts: Sequence[Sequence[Row]]) -> ColumnRows:
    """The rows of ``parts`` one after another, as columns."""
    columns: list[list[Any]] = [[] for _ in COLUMNS]
    for part in parts:
        for column, values in zip(columns, part.columns if isinstance(part, ColumnRows) else row_columns(part),
                                  strict=True):
            column.extend(values)
    return ColumnRows(columns)


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
