"""Row heights and page plans (pipeline.outputs.print_layout), worked out by hand."""

from __future__ import annotations

import zipfile
from fractions import Fraction
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.outputs import print_layout as P
from pipeline.outputs.xlsx import new_workbook


def test_cjk_counts_double_and_latin_single() -> None:
    assert P.display_width("ab12") == 4 * P.UNITS_PER_LATIN
    assert P.display_width("党员") == 2 * P.UNITS_PER_CJK
    assert P.display_width("（）") == 2 * P.UNITS_PER_CJK  # full-width brackets are wide


def test_line_count_wraps_at_the_column_width() -> None:
    # width 20 holds (20*7+5-3)/7 = 20.3 units: 9 CJK characters (18.9) a line
    assert P.capacity(20) == (140 + 5 - 3) / 7
    assert P.line_count("一二三四五六七八九", 20) == 1
    assert P.line_count("一二三四五六七八九十", 20) == 2
    assert P.line_count("一二三\n四五六", 20) == 2  # explicit breaks count
    assert P.line_count("", 20) == 1
    # an unbreakable Latin run moves to the next line whole
    assert P.line_count("一二三四五六七 2026-11-15", 20) == 2


def _lines_token_by_token(text: str, width: float) -> int:
    """The rule as stated, one token at a time, in exact fractions: a token that does not
    fit starts a new line; spaces never break; a token longer than a line breaks anywhere."""
    cap = Fraction(int(width * P.PX_PER_UNIT + 0.5) + P.COL_PADDING_PX - P.CELL_INSET_PX, 7)
    cap = max(cap, Fraction(1))
    total = 0
    for para in text.split("\n"):
        lines, used = 1, Fraction(0)
        for tok in P._TOKEN.findall(para):
            tw = sum((Fraction(P._char_units(ch)).limit_denominator(100) for ch in tok), Fraction(0))
            if tok[0] == " " or used + tw <= cap:
                used += tw
            elif tw <= cap:
                lines, used = lines + 1, tw
            else:
                k = -(-tw // cap)
                lines += k if used else k - 1
                used = tw - (k - 1) * cap
        total += lines
    return total


@settings(max_examples=400, deadline=None)
@given(
    st.text(alphabet="党员承诺事项，。）“”ab1-  \t\n·é" + "x" * 3, max_size=120),
    st.sampled_from([4.0, 8.0, 14.0, 20.0, 36.0, 40.0, 60.0]),
)
def test_line_count_is_the_stated_rule(text: str, width: float) -> None:
    assert P.line_count(text, width) == _lines_token_by_token(text, width)


def test_row_height_follows_the_most_wrapped_cell() -> None:
    long = "组" * 30  # 63 units: 4 lines at width 20, 1 at width 70
    assert P.row_height(["短", long], [10, 20]) == 4 * P.LINE_PT + P.ROW_PAD_PT
    assert P.row_height(["短", long], [10, 70]) is None
    assert P.row_heights([["a", long], [long, "b"]], [70, 20]) == [4 * P.LINE_PT + P.ROW_PAD_PT, None]


def test_plan_page_portrait_landscape_fit_or_bands() -> None:
    assert P.plan_page([10] * 6) == P.PagePlan(False, False, 1.0, 0, (10,) * 6)  # 48 units: portrait
    assert P.plan_page([10] * 12).landscape and not P.plan_page([10] * 12).fit_to_width
    wide = P.plan_page([10] * 16)  # fits at a readable scale
    assert wide.fit_to_width and wide.scale >= P.MIN_SCALE
    banded = P.plan_page([10] * 33, id_cols=4)  # 33 columns: readable only in bands
    assert not banded.fit_to_width and banded.repeat_cols == 4


def test_shrink_narrows_wrapping_columns_until_it_fits() -> None:
    widths = [6, 40, 40, 40, 40, 40, 10]
    shrunk = P.shrink_to_fit(widths, [False, True, True, True, True, True, False])
    assert shrunk[0] == 6 and shrunk[-1] == 10
    assert all(P.SHRINK_FLOOR <= w < 40 for w in shrunk[1:-1])
    assert P.fits_page(shrunk)


def test_bulk_rows_carry_their_heights(tmp_path: Path) -> None:
    path = tmp_path / "h.xlsx"
    wb = new_workbook(path)
    ws = wb.add_worksheet("a")
    ws.append_rows(1, [["x"], ["y"]], [None], [None], heights=[None, 47.5])
    wb.close()
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert '<row r="2">' in xml
    assert '<row r="3" ht="47.5" customHeight="1">' in xml
