"""Rows held as columns behave as the list of rows they stand for."""

from __future__ import annotations

import pytest

from luoyang_metrics.model import COLUMNS, ColumnRows, Row, concat_columns, row_columns


def _row(line: int, value: float = 250.9) -> Row:
    return Row(2023, "Y", "嵩县", "gdp", "地区生产总值", value, "亿元", "actual", "eq", "a.txt", line,
               "250.9亿元", "全县地区生产总值250.9亿元。", "gdp")


ROWS = [_row(1), _row(2, 5.4), _row(3, 0.5)]


def test_column_rows_read_as_the_rows() -> None:
    held = ColumnRows(row_columns(ROWS))
    assert len(held) == 3 and bool(held) and not ColumnRows([[] for _ in COLUMNS])
    assert held[1] == ROWS[1] and held[-1] == ROWS[-1]
    assert held[1:] == ROWS[1:]
    assert list(held) == ROWS
    assert held == ROWS and held == ColumnRows(row_columns(ROWS))
    assert ROWS.__eq__(held) is NotImplemented  # a list defers to ColumnRows.__eq__
    assert held != ROWS[:2]
    assert row_columns(held) == row_columns(ROWS)
    assert row_columns(held, ("line", "value")) == [[1, 2, 3], [250.9, 5.4, 0.5]]


def test_row_columns_of_column_rows_is_a_copy() -> None:
    held = ColumnRows(row_columns(ROWS))
    row_columns(held)[0].append(1999)
    assert len(held.columns[0]) == 3


def test_concat_columns_keeps_the_order_of_lists_and_column_rows() -> None:
    joined = concat_columns([ROWS[:1], ColumnRows(row_columns(ROWS[1:2])), [], ROWS[2:]])
    assert list(joined) == ROWS


def test_column_rows_need_equal_columns() -> None:
    with pytest.raises(ValueError, match="one list per column"):
        ColumnRows([[1], [2]])
    with pytest.raises(ValueError, match="one length"):
        ColumnRows([[1]] * (len(COLUMNS) - 1) + [[]])
