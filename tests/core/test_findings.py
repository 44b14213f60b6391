from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.core.findings import (
    ERROR,
    NOTICE,
    PROBLEM_COLUMNS,
    Finding,
    Findings,
    cell_text,
    col_letter,
    findings_frame,
)


def test_problem_list_columns_and_order() -> None:
    fs = [
        Finding(NOTICE, "P111", "待审核", unit_code="D01", file="a.xlsx", sheet="党员承诺", row=2, column=9),
        Finding(
            ERROR, "P106", "缺少完成期限", unit_code="D02", file="b.xlsx", sheet="党员承诺", row=3, column=7
        ),
    ]
    df = findings_frame(fs)
    assert list(df.columns) == PROBLEM_COLUMNS
    assert list(df["级别"]) == [ERROR, NOTICE]  # errors first
    assert list(df["单元格"]) == ["G3", "I2"]  # the derived text, in the problem list's order


def test_position_is_structured_fields_not_text() -> None:
    names = {f.name for f in dataclasses.fields(Finding)}
    assert {"sheet", "row", "column"} <= names and "cell" not in names
    f = Finding(ERROR, "P106", "m", sheet="党员承诺", row=12, column=1)
    assert f.cell == "A12"
    assert dataclasses.replace(f, column=2).cell == "B12"  # derived, never stored
    with pytest.raises(ValueError):
        Finding(ERROR, "P106", "m", row=-1)


@pytest.mark.parametrize(
    ("row", "column", "text"),
    [
        (1, 1, "A1"),
        (9, 26, "Z9"),
        (10, 27, "AA10"),
        (3, 52, "AZ3"),
        (4, 53, "BA4"),
        (5, 702, "ZZ5"),
        (6, 703, "AAA6"),
        (1_048_576, 16_384, "XFD1048576"),  # Excel's last cell
        (12, 0, "第12行"),  # row-only: the column is not known
        (0, 3, "C列"),  # column-only
        (0, 0, ""),  # no position (whole file, sheet, member or unit)
    ],
)
def test_cell_text(row: int, column: int, text: str) -> None:
    assert cell_text(row, column) == text
    assert Finding(NOTICE, "X", "m", row=row, column=column).cell == text


def test_col_letter_rejects_zero() -> None:
    with pytest.raises(ValueError):
        col_letter(0)


def _column_number(letters: str) -> int:
    """The inverse, written here only to check the helper (the product never parses cells)."""
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n


@given(st.integers(min_value=1, max_value=16_384), st.integers(min_value=1, max_value=1_048_576))
def test_cell_text_round_trip(column: int, row: int) -> None:
    text = cell_text(row, column)
    letters = text.rstrip("0123456789")
    assert letters.isascii() and letters.isupper() and 1 <= len(letters) <= 3
    assert _column_number(letters) == column and int(text[len(letters) :]) == row
    # Excel's column order is (length, alphabetical): letters sort the way columns do.
    if column > 1:
        prev = col_letter(column - 1)
        assert (len(prev), prev) < (len(letters), letters)


def test_flood_is_summarised_per_file_and_rule() -> None:
    fs = Findings(cap_per_rule=3)
    for i in range(10):
        fs.error("V101", "日期无法识别", file="a.xlsx", sheet="党员承诺", row=i + 2, column=7)
    fs.error("V101", "日期无法识别", file="b.xlsx", sheet="党员承诺", row=2, column=7)
    out = fs.finalised()
    assert len([f for f in out if f.file == "a.xlsx"]) == 4
    summary = [f for f in out if f.file == "a.xlsx" and not f.cell]
    assert len(summary) == 1 and "另有 7 处" in summary[0].message
    assert (summary[0].row, summary[0].column) == (0, 0)
    assert len([f for f in out if f.file == "b.xlsx"]) == 1


def test_unknown_severity_rejected() -> None:
    with pytest.raises(ValueError):
        Finding("warning", "X", "m")


def test_one_line_names_place() -> None:
    f = Finding(ERROR, "P106", "缺少完成期限", file="a.xlsx", sheet="党员承诺", row=3, column=7)
    assert f.one_line() == "[错误] a.xlsx!党员承诺!G3: 缺少完成期限（P106）"
    row_only = Finding(ERROR, "P106", "缺少完成期限", file="a.xlsx", sheet="党员承诺", row=3)
    assert row_only.one_line() == "[错误] a.xlsx!党员承诺!第3行: 缺少完成期限（P106）"


def test_no_position_parsing_in_the_product() -> None:
    """The A12 text is derived only: nothing in pipeline/ reads digits back out of ``.cell``."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "pipeline"
    bad = re.compile(r"\.cell\b[^(]*isdigit|parse_cell|\.cell\.startswith|_CELL_RE\b")
    hits = [
        f"{p.relative_to(root)}:{i}"
        for p in root.rglob("*.py")
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if bad.search(line)
    ]
    assert hits == []
