"""Row heights and page plans (pipeline.outputs.print_layout), worked out by hand."""

from __future__ import annotations

import zipfile
from pathlib import Path

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
