"""Row heights and page plans (pipeline.outputs.print_layout), worked out by hand."""

from __future__ import annotations

import zipfile
from fractions import Fraction
from pathlib import Path

import pytest
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


_CELL_TEXT = st.one_of(
    st.text(alphabet="党员承诺事项，。）“”ab1-  \t\n·é" + "x" * 3, max_size=60),
    st.text(alphabet="S0123456789-: abc!~\r", max_size=40),  # ASCII around a line's length
    st.sampled_from(["", "S01B0000", "2026-11-20 18:00:00", "中共第01学校委员会", "x" * 16]),
    st.none(),
    st.integers(0, 10**9),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(_CELL_TEXT, min_size=1, max_size=4), min_size=1, max_size=12),
    st.lists(st.sampled_from([4.0, 5.2, 8, 12.0, 14.0, 20, 28.0, 48]), min_size=4, max_size=4),
    st.booleans(),
)
def test_row_heights_equal_each_rows_height(
    rows: list[list[object]], widths: list[float], fresh: bool
) -> None:
    """The bulk heights (memoised by text and width, ASCII short-cut) are exactly each
    row's own :func:`row_height` from :func:`line_count`, whatever was measured before."""
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    rows = rows + rows[: len(rows) // 2]  # repeated texts, as in a ledger
    columns = [list(c) for c in zip(*rows, strict=True)]
    if fresh:
        P._LINES.clear()
    expected = [P.row_height(r, widths) for r in rows]
    assert P.row_heights(columns, widths) == expected
    assert P.row_heights(columns, widths) == expected  # again, from the memo


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


def _wide_frame() -> tuple[list[str], list[list[object]]]:
    cols = ["单位编码", "单位名称", *(f"第{k}项数字" for k in range(30))]
    return cols, [["D01", "第一党支部", *range(30)], ["D02", "第二党支部", *range(30)]]


def test_band_texts_wrap_to_the_page_and_escape() -> None:
    plan = P.plan_page([8, 30, *([12] * 30)])
    assert plan.banded and plan.in_bands
    note = "统计口径：" + "完成合计＝按期完成＋逾期完成；" * 6
    t = P.band_texts(["A&B 台账（统计截止 2026-11-20）"], [note], plan)
    assert t.header.startswith("&C&14") and "A&&B" in t.header  # & doubled
    assert t.noted and t.footer.endswith("第 &P 页 共 &N 页")
    body = t.footer.split('"-,Regular"', 1)[1].split("\n")[:-1]
    assert len(body) >= 2 and "".join(body) == note  # wrapped, nothing lost
    assert max(P.display_width(x) for x in body) <= 784 * P.HF_FILL / (5.25 * P.HF_NOTE_PT / 11) + 1
    assert len(t.header) <= 255 and len(t.footer) <= 255
    assert t.top > P.MARGIN_TOP and t.bottom > P.MARGIN_BOTTOM
    # longer than Excel keeps: left out, the rows print in the sheet
    long = P.band_texts(["题" * 300], ["注" * 300], plan)
    assert long.header == "" and long.footer == P.FOOTER and not long.noted
    assert (long.top, long.bottom) == (P.MARGIN_TOP, P.MARGIN_BOTTOM)
    # a sheet on one page width is not printed in bands
    assert not P.plan_page([10, 20]).in_bands and not P.plan_page([12] * 14).in_bands


def test_wrap_text_keeps_every_character() -> None:
    text = "统计口径：跟踪中承诺＝审核通过的承诺（党员承诺和组织承诺）；临期＝14 天内到期、尚未完成。"
    lines = P.wrap_text(text, 20)
    assert len(lines) > 2 and "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(P.display_width(x) <= 20 + P.UNITS_PER_CJK for x in lines)


def _sheet_xml(path: Path, name: str = "xl/worksheets/sheet1.xml") -> str:
    with zipfile.ZipFile(path) as z:
        return z.read(name).decode("utf-8")


def test_banded_sheet_prints_its_title_in_the_page_header(tmp_path: Path) -> None:
    """write_frame on a sheet printed in bands: the title rows stay on screen, print in the
    header of every page, and the print area starts at the header row."""
    import pandas as pd

    from pipeline.outputs.sheet import write_frame
    from pipeline.outputs.xlsx import formats

    cols, rows = _wide_frame()
    path = tmp_path / "wide.xlsx"
    wb = new_workbook(path)
    fmt = formats(wb)
    ws = wb.add_worksheet("宽表")
    title = ["2026年宽表（统计截止 2026-11-20）", "注意：活动已结束"]
    plan = write_frame(ws, pd.DataFrame(rows, columns=cols), fmt, start_row=2, title=title)
    wb.close()
    assert plan.banded
    xml = _sheet_xml(path)
    assert "<oddHeader>&amp;C&amp;14" in xml and "2026年宽表" in xml.split("<oddHeader>")[1]
    with zipfile.ZipFile(path) as z:
        book = z.read("xl/workbook.xml").decode("utf-8")
    assert "宽表!$A$3:$AF$5" in book  # header row .. last row, the title rows left out
    assert '<mergeCell ref="A1:' in xml  # the title is still on screen


def test_banded_title_too_long_for_a_header_wraps_within_the_repeated_columns(tmp_path: Path) -> None:
    import pandas as pd

    from pipeline.outputs.sheet import write_frame
    from pipeline.outputs.xlsx import formats

    cols, rows = _wide_frame()
    path = tmp_path / "wide.xlsx"
    wb = new_workbook(path)
    fmt = formats(wb)
    ws = wb.add_worksheet("宽表")
    plan = write_frame(ws, pd.DataFrame(rows, columns=cols), fmt, start_row=1, title="很长的标题" * 60)
    wb.close()
    assert plan.banded and plan.repeat_cols == 2
    xml = _sheet_xml(path)
    assert "<oddHeader>" not in xml  # longer than Excel keeps: not in the header
    assert '<mergeCell ref="A1:B1"/>' in xml  # but within the columns every band repeats
    with zipfile.ZipFile(path) as z:
        assert "Print_Area" not in z.read("xl/workbook.xml").decode("utf-8")


def test_title_of_a_narrow_table_runs_on_over_the_empty_columns(tmp_path: Path) -> None:
    """An empty list (one narrow column) keeps its long title on the page: merged over the
    empty columns to its right, as far as a portrait page, not wrapped into a tall strip."""
    import pandas as pd

    from pipeline.outputs.sheet import DEFAULT_COL_WIDTH, write_frame
    from pipeline.outputs.xlsx import formats

    path = tmp_path / "narrow.xlsx"
    wb = new_workbook(path)
    fmt = formats(wb)
    ws = wb.add_worksheet("空表")
    title = "2026年先进基层党组织推荐（统计截止 2026-12-20）：考核评价最终等次为“好”的党支部" * 2
    plan = write_frame(ws, pd.DataFrame(columns=["（无）"]), fmt, start_row=1, title=title)
    wb.close()
    assert not plan.landscape and not plan.in_bands
    xml = _sheet_xml(path)
    ref = xml.split('<mergeCell ref="A1:')[1].split('"')[0]  # e.g. "J1"
    span = ord(ref[0]) - ord("A") + 1
    assert span > 5 and (span - 1) * P.col_points(DEFAULT_COL_WIDTH) <= P.printable_width(False)
    height = float(xml.split('<row r="1" ')[1].split('ht="')[1].split('"')[0])
    assert height < 200  # a few lines, not one character a line


def _print_area(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/workbook.xml").decode()
    start = xml.index('name="_xlnm.Print_Area"')
    return xml[xml.index(">", start) + 1 : xml.index("</definedName>", start)]


def test_several_print_ranges_and_their_fallback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two row ranges through xlsxwriter's internals; without them, one range over both."""
    for broken in (False, True):
        if broken:
            monkeypatch.setattr(P, "_NAME_AREA", "_gone_in_a_later_xlsxwriter")
        path = tmp_path / f"{broken}.xlsx"
        wb = new_workbook(path)
        ws = wb.add_worksheet("汇总")
        ws.write_string(0, 0, "x")
        P._several_print_ranges(ws, [(1, 8), (11, 23)], 25)
        wb.close()
        want = "汇总!$A$2:$Z$24" if broken else "汇总!$A$2:$Z$9,汇总!$A$12:$Z$24"
        assert _print_area(path) == want
