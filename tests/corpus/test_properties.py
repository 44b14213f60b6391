"""Property-based tests that the unit tests of dates/textnorm do not cover: impossible
dates in every written form, and text round trips through the real reader and writer.

(tests/read/test_dates.py and tests/read/test_textnorm.py hold the properties of the normalisers
themselves: every formatting parses back, never raises, idempotence, limits.)
"""

from __future__ import annotations

import calendar
import io
from pathlib import Path

import openpyxl
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.core.findings import Finding
from pipeline.outputs.sheet import write_cell
from pipeline.outputs.xlsx import formats, new_workbook
from pipeline.read import layout as L
from pipeline.read.dates import parse_date
from pipeline.read.parse import parse_sheet
from pipeline.read.reader import read_workbook
from pipeline.read.textnorm import (
    ILLEGAL_XML_RE,
    looks_like_formula,
    norm_text,
    safe_cell_text,
    strip_illegal_xml,
)

YEAR = 2026
PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Text as branches type it: Chinese, ASCII, formula starts, XML specials, escapes that look
# like OOXML's _xHHHH_, emoji, newlines and every control character.
cell_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("承诺事项为群众办实事，。：“”=+-@|<>&\"'_x0123456789ABCDEF \t\n\r")),
        st.characters(max_codepoint=0x1F),
        st.sampled_from(["😀", "👨", "\u200d", "\u3000", "\u200b", "\ufeff", "\x85", "\u2028"]),
        st.characters(blacklist_categories=("Cs",)),
    ),
    max_size=60,
)


@st.composite
def impossible_days(draw: st.DrawFn) -> tuple[int, int, int]:
    y = draw(st.integers(min_value=YEAR - 5, max_value=YEAR + 5))
    m = draw(st.integers(min_value=1, max_value=12))
    last = calendar.monthrange(y, m)[1]
    return y, m, draw(st.integers(min_value=last + 1, max_value=31 if last < 31 else 32))


@PROPS
@given(impossible_days())
def test_impossible_dates_are_errors_in_every_form(ymd: tuple[int, int, int]) -> None:
    y, m, d = ymd
    for form in (
        f"{y}-{m}-{d}",
        f"{y}/{m:02d}/{d:02d}",
        f"{y}年{m}月{d}日",
        f"{y}.{m}.{d}",
        f"{y % 100:02d}-{m}-{d}",
        f"{m}月{d}日",
        f"{m}/{d}",
        f"{y}{m:02d}{d:02d}",
    ):
        reading = parse_date(form, y)
        assert reading.date is None and reading.error, (form, reading)


@PROPS
@given(texts=st.lists(cell_text, min_size=1, max_size=20))
def test_writer_round_trip_is_plain_text(texts: list[str], tmp_path: Path) -> None:
    """Whatever a unit typed, the outputs hold it as a string cell: never a formula, a
    link or a number, and exactly the cleaned text (safe_cell_text)."""
    path = tmp_path / "out.xlsx"
    wb = new_workbook(path)
    fmt = formats(wb)
    ws = wb.add_worksheet("表")
    for i, t in enumerate(texts):
        write_cell(ws, i, 0, t, fmt)
    wb.close()
    sheet = openpyxl.load_workbook(path).active  # types and links as a spreadsheet sees them
    assert not sheet._hyperlinks
    grid = read_workbook(path).sheets["表"]  # values decoded as Excel does (_xHHHH_ escapes)
    for i, t in enumerate(texts):
        cell = sheet.cell(i + 1, 1)
        expected = safe_cell_text(t)
        if expected == "":
            assert cell.value in (None, ""), repr(t)
            continue
        assert cell.data_type == "s", (repr(t), cell.data_type)
        assert grid.value(i, 0) == expected, (repr(t), repr(grid.value(i, 0)))


def _typed_workbook(texts: list[str]) -> bytes:
    """A 党员承诺 sheet with ``texts`` typed into 承诺事项, as Excel stores them."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buf, {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    )
    ws = wb.add_worksheet(L.SHEET_MEMBER)
    for j, col in enumerate(L.MEMBER_SHEET.columns):
        ws.write_string(0, j, col.header)
    content, member = L.MEMBER_SHEET.index("content"), L.MEMBER_SHEET.index("member_id")
    for i, t in enumerate(texts, start=1):
        ws.write_string(i, member, "010001")
        ws.write_string(i, content, t)
    wb.close()
    return buf.getvalue()


@PROPS
@given(texts=st.lists(cell_text, min_size=1, max_size=20))
def test_reader_round_trip_keeps_text_and_reports_changes(texts: list[str], tmp_path: Path) -> None:
    """What a unit typed reaches the ledger as norm_text of it; removed control characters
    give V107 and formula-looking text V108 on that very cell, nothing else is reported."""
    path = tmp_path / "in.xlsx"
    path.write_bytes(_typed_workbook(texts))
    wb = read_workbook(path)
    assert wb.ok, wb.detail
    found: list[Finding] = []
    parsed = parse_sheet(wb.sheets[L.SHEET_MEMBER], L.MEMBER_SHEET, "in.xlsx", YEAR, found.append)
    assert parsed is not None
    df, field_cols = parsed
    by_row = dict(zip(df["excel_row"], df["content"], strict=True))
    for i, t in enumerate(texts, start=2):
        cleaned, removed = strip_illegal_xml(t)
        expected = norm_text(cleaned)
        assert by_row.get(i, "") == expected or (i not in by_row and expected == ""), (repr(t), by_row.get(i))
        assert ILLEGAL_XML_RE.search(by_row.get(i, "")) is None
        rules = sorted(f.rule for f in found if (f.row, f.column) == (i, field_cols["content"]))
        want = sorted(
            ([] if not (removed and expected) else ["V107"])
            + (["V108"] if looks_like_formula(expected) else [])
        )
        if expected:
            assert rules == want, (repr(t), rules)
