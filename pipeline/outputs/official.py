"""Official documents (公文) in Word, laid out after GB/T 9704-2012, with python-docx.

:class:`OfficialDocument` knows the format and nothing about the campaign: A4 with margins
37/35/28/26 mm (top/bottom/left/right), 22 lines a page at a fixed line spacing, the
masthead (发文机关标志 in red over the 文号 and a red rule), the title in 方正小标宋简体
二号, body text in 仿宋_GB2312 三号, first-level headings in 黑体 and second-level in
楷体_GB2312, the 主送 line, the 附件 note, the 落款 with the 成文日期 in Chinese numerals,
附件 pages (each on a new page, tables with their header row repeated on every page) and
page numbers ``— 1 —`` at the foot (odd pages right, even pages left).

East-asian font names are set through ``w:rFonts w:eastAsia`` on the document's styles, so
Word and WPS use the official fonts where they are installed (LibreOffice falls back to
the fonts it has, e.g. Noto CJK). The composers (``bulletin_docx``, ``notice_docx``) build
documents from the same context data as the HTML pages.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import functools
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.text.run import _RunContentAppender
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from pipeline.infra.atomic import write_bytes_atomic
from pipeline.outputs.slices import Chunk, compress
from pipeline.outputs.zip_splice import rewrite_bytes

# GB/T 9704-2012 page and type (7.1, 7.2, 7.3).
PAGE_W_MM, PAGE_H_MM = 210, 297
MARGIN_TOP_MM, MARGIN_BOTTOM_MM, MARGIN_LEFT_MM, MARGIN_RIGHT_MM = 37, 35, 28, 26
TEXT_W_MM = PAGE_W_MM - MARGIN_LEFT_MM - MARGIN_RIGHT_MM  # 156 mm: 28 characters of 三号
LINE_PT = 28.95  # 225 mm of text height / 22 lines
TITLE_FONT, TITLE_PT = "方正小标宋简体", 22  # 二号
BODY_FONT, BODY_PT = "仿宋_GB2312", 16  # 三号
HEADING1_FONT = "黑体"
HEADING2_FONT = "楷体_GB2312"
LATIN_FONT = "Times New Roman"
PAGE_NUMBER_FONT, PAGE_NUMBER_PT = "宋体", 14  # 四号
TABLE_PT = 10.5  # 五号, so that a seven-column table fits 156 mm
TABLE_LINE_PT = 15.0
CELL_PAD_TWIPS = 57  # 1 mm left and right inside table cells (Word's default is 1.9 mm)
RED = RGBColor(0xE6, 0x00, 0x12)
INDENT_PT = 2 * BODY_PT  # first-line indent of two characters

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CN_DIGITS = "〇一二三四五六七八九"


def cn_numeral_date(day: dt.date) -> str:
    """成文日期 in Chinese numerals: 2026-11-20 -> 二〇二六年十一月二十日."""

    def small(n: int) -> str:
        if n < 10:
            return _CN_DIGITS[n]
        tens, ones = divmod(n, 10)
        return ("十" if tens == 1 else _CN_DIGITS[tens] + "十") + (_CN_DIGITS[ones] if ones else "")

    year = "".join(_CN_DIGITS[int(c)] for c in str(day.year))
    return f"{year}年{small(day.month)}月{small(day.day)}日"


def cn_ordinal(n: int) -> str:
    """1 -> 一, 12 -> 十二 (heading numbers 一、二、…)."""
    if n <= 0:
        return str(n)
    if n < 100:
        tens, ones = divmod(n, 10)
        head = "" if tens == 0 else ("十" if tens == 1 else _CN_DIGITS[tens] + "十")
        return head + (_CN_DIGITS[ones] if ones or not head else "")
    return str(n)


def clean(text: object) -> str:
    """Text Word accepts: no control characters (python-docx refuses them)."""
    if text is None:
        return ""
    return _INVALID_XML.sub("", str(text))


def _fonts(
    rpr_owner: object, east_asian: str, size_pt: float | None = None, bold: bool | None = None
) -> None:
    """Set latin and east-asian font names (w:rFonts) on a style's or a run's rPr."""
    font = rpr_owner.font  # type: ignore[attr-defined]
    font.name = LATIN_FONT
    if size_pt is not None:
        font.size = Pt(size_pt)
    if bold is not None:
        font.bold = bold
    rpr = rpr_owner.element.get_or_add_rPr()  # type: ignore[attr-defined]
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    rfonts.set(qn("w:ascii"), LATIN_FONT)
    rfonts.set(qn("w:hAnsi"), LATIN_FONT)
    rfonts.set(qn("w:eastAsia"), east_asian)
    rfonts.set(qn("w:cs"), LATIN_FONT)
    for hint in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        if rfonts.get(qn(hint)) is not None:
            del rfonts.attrib[qn(hint)]


def _fixed_spacing(pf: object, line_pt: float, before: float = 0, after: float = 0) -> None:
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY  # type: ignore[attr-defined]
    pf.line_spacing = Pt(line_pt)  # type: ignore[attr-defined]
    pf.space_before = Pt(before)  # type: ignore[attr-defined]
    pf.space_after = Pt(after)  # type: ignore[attr-defined]


# Child order of w:pPr and w:tblPr in the OOXML schema (ECMA-376 17.3.1.26, 17.4.60):
# Word refuses ("unreadable content") a file whose elements are out of this order.
PPR_ORDER = tuple(
    f"w:{t}"
    for t in [
        "pStyle",
        "keepNext",
        "keepLines",
        "pageBreakBefore",
        "framePr",
        "widowControl",
        "numPr",
        "suppressLineNumbers",
        "pBdr",
        "shd",
        "tabs",
        "suppressAutoHyphens",
        "kinsoku",
        "wordWrap",
        "overflowPunct",
        "topLinePunct",
        "autoSpaceDE",
        "autoSpaceDN",
        "bidi",
        "adjustRightInd",
        "snapToGrid",
        "spacing",
        "ind",
        "contextualSpacing",
        "mirrorIndents",
        "suppressOverlap",
        "jc",
        "textDirection",
        "textAlignment",
        "textboxTightWrap",
        "outlineLvl",
        "divId",
        "cnfStyle",
        "rPr",
        "sectPr",
        "pPrChange",
    ]
)
TBLPR_ORDER = tuple(
    f"w:{t}"
    for t in [
        "tblStyle",
        "tblpPr",
        "tblOverlap",
        "bidiVisual",
        "tblStyleRowBandSize",
        "tblStyleColBandSize",
        "tblW",
        "jc",
        "tblCellSpacing",
        "tblInd",
        "tblBorders",
        "shd",
        "tblLayout",
        "tblCellMar",
        "tblLook",
        "tblCaption",
        "tblDescription",
    ]
)


def _insert_ordered(parent: Any, el: Any, order: tuple[str, ...]) -> None:
    """Insert ``el`` into ``parent`` (lxml elements) where the schema's child order puts it."""
    names = [qn(t) for t in order]
    later = names[names.index(el.tag) + 1 :]
    for i, child in enumerate(parent):
        if child.tag in later:
            parent.insert(i, el)
            return
    parent.append(el)


def _no_grid_snap(pf_owner: object) -> None:
    """Stop Word snapping lines to the document grid (it would double a fixed spacing)."""
    ppr = pf_owner.element.get_or_add_pPr()  # type: ignore[attr-defined]
    if ppr.find(qn("w:snapToGrid")) is None:
        snap = OxmlElement("w:snapToGrid")
        snap.set(qn("w:val"), "0")
        _insert_ordered(ppr, snap, PPR_ORDER)


def header_lines(text: str, width_mm: float, font_pt: float) -> str:
    """A column header too long for its cell, broken into two balanced lines ("跟踪中承诺"
    in a 13.5 mm column -> "跟踪中" / "承诺") instead of wherever the cell edge falls."""
    char_mm = font_pt * 25.4 / 72
    fit = max(1, int((width_mm - 2 * CELL_PAD_TWIPS / 56.7) / char_mm))
    if len(text) <= fit or "\n" in text or len(text) > 2 * fit:
        return text
    cut = (len(text) + 1) // 2
    return f"{text[:cut]}\n{text[cut:]}"


STYLE_BODY = "Normal"
STYLE_TITLE = "公文标题"
STYLE_H1 = "公文一级标题"
STYLE_H2 = "公文二级标题"
STYLE_TABLE = "公文表格文字"
STYLE_MASTHEAD = "发文机关标志"


class OfficialDocument:
    """One 公文 under construction; :meth:`save` writes it atomically."""

    def __init__(self) -> None:
        # Every document starts as the same set-up blank one (page, styles, footer),
        # built once per process and opened from its bytes: opening is cheaper than
        # setting the styles up again (issue 16); the file is the same.
        # ... without its two largest parts, which no document changes (_light_blank); kept
        # between runs in the outputs' cache when a command asks for it (use_cache)
        light, self._static, self._style_ids, self._table_style_id = _prepared()
        self.doc = Document(io.BytesIO(light))
        self._attachment_notes: list[str] = []

    @classmethod
    def _build_blank(cls) -> tuple[bytes, dict[str, str | None], str | None]:
        """The set-up blank document's bytes and its style ids."""
        self = cls.__new__(cls)
        self.doc = Document()
        self._setup_page()
        self._setup_styles()
        # Style ids looked up once: python-docx resolves a style given by name or object
        # on every assignment by scanning all styles for the default one (most of the
        # time of a document with a few hundred table cells, issue 16).
        part = self.doc.part
        style_ids = {
            name: part.get_style_id(name, WD_STYLE_TYPE.PARAGRAPH)
            for name in (STYLE_BODY, STYLE_TITLE, STYLE_H1, STYLE_H2, STYLE_TABLE, STYLE_MASTHEAD)
        }
        table_style_id = part.get_style_id("Table Grid", WD_STYLE_TYPE.TABLE)
        self._setup_footer()
        return self.to_bytes(), style_ids, table_style_id

    # -- setup -------------------------------------------------------------------------
    def _setup_page(self) -> None:
        sec = self.doc.sections[0]
        sec.orientation = WD_ORIENT.PORTRAIT
        sec.page_width, sec.page_height = Mm(PAGE_W_MM), Mm(PAGE_H_MM)
        sec.top_margin, sec.bottom_margin = Mm(MARGIN_TOP_MM), Mm(MARGIN_BOTTOM_MM)
        sec.left_margin, sec.right_margin = Mm(MARGIN_LEFT_MM), Mm(MARGIN_RIGHT_MM)
        sec.header_distance, sec.footer_distance = Mm(15), Mm(21)  # 页码 7 mm below the text block
        sec.gutter = Mm(0)

    def _setup_styles(self) -> None:
        styles = self.doc.styles
        normal = styles[STYLE_BODY]
        _fonts(normal, BODY_FONT, BODY_PT)
        _fixed_spacing(normal.paragraph_format, LINE_PT)
        _no_grid_snap(normal)
        normal.paragraph_format.widow_control = False

        def add(name: str, font: str, size: float, align: WD_ALIGN_PARAGRAPH | None = None) -> Any:
            st = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            st.base_style = normal
            _fonts(st, font, size, bold=False)
            _fixed_spacing(st.paragraph_format, LINE_PT)
            if align is not None:
                st.paragraph_format.alignment = align
            return st

        title = add(STYLE_TITLE, TITLE_FONT, TITLE_PT, WD_ALIGN_PARAGRAPH.CENTER)
        title.paragraph_format.line_spacing = Pt(36)  # a 22 pt title needs more room
        title.paragraph_format.keep_with_next = True
        h1 = add(STYLE_H1, HEADING1_FONT, BODY_PT)
        h1.paragraph_format.first_line_indent = Pt(INDENT_PT)
        h1.paragraph_format.keep_with_next = True
        h2 = add(STYLE_H2, HEADING2_FONT, BODY_PT)
        h2.paragraph_format.first_line_indent = Pt(INDENT_PT)
        h2.paragraph_format.keep_with_next = True
        table = add(STYLE_TABLE, BODY_FONT, TABLE_PT)
        _fixed_spacing(table.paragraph_format, TABLE_LINE_PT)
        ppr = table.element.get_or_add_pPr()
        for tag in ("w:autoSpaceDE", "w:autoSpaceDN"):  # no extra gap between 11 and 月 in narrow cells
            el = OxmlElement(tag)
            el.set(qn("w:val"), "0")
            _insert_ordered(ppr, el, PPR_ORDER)
        masthead = add(STYLE_MASTHEAD, TITLE_FONT, 36, WD_ALIGN_PARAGRAPH.CENTER)
        masthead.font.color.rgb = RED

    def _setup_footer(self) -> None:
        """``— 1 —`` in 四号 宋体: odd pages at the right, even pages at the left, one
        character in from the text block's edge (GB/T 9704-2012 7.5)."""
        self.doc.settings.odd_and_even_pages_header_footer = True
        sec = self.doc.sections[0]
        for footer, align in (
            (sec.footer, WD_ALIGN_PARAGRAPH.RIGHT),
            (sec.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
        ):
            footer.is_linked_to_previous = False
            p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
            p.alignment = align
            pf = p.paragraph_format
            pf.first_line_indent = Pt(0)
            _fixed_spacing(pf, 18)
            if align == WD_ALIGN_PARAGRAPH.RIGHT:
                pf.right_indent = Pt(PAGE_NUMBER_PT)
            else:
                pf.left_indent = Pt(PAGE_NUMBER_PT)
            self._page_run(p, "— ")
            self._page_field(p)
            self._page_run(p, " —")

    def _page_run(self, p: Paragraph, text: str) -> None:
        run = p.add_run(text)
        _fonts(run, PAGE_NUMBER_FONT, PAGE_NUMBER_PT)

    def _page_field(self, p: Paragraph) -> None:
        for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
            run = p.add_run()
            _fonts(run, PAGE_NUMBER_FONT, PAGE_NUMBER_PT)
            if kind:
                fld = OxmlElement("w:fldChar")
                fld.set(qn("w:fldCharType"), kind)
                run._r.append(fld)
            elif text == " PAGE ":
                instr = OxmlElement("w:instrText")
                instr.set(qn("xml:space"), "preserve")
                instr.text = text
                run._r.append(instr)
            else:
                run.text = text or ""

    # -- blocks --------------------------------------------------------------------------
    def _paragraph(self, text: str = "", style: str | None = None) -> Paragraph:
        """``doc.add_paragraph(text, style=name)`` with the style id looked up once."""
        p = self.doc.add_paragraph(text)
        if style is not None:
            p._p.style = self._style_ids[style]
        return p

    def masthead(self, issuer: str, number: str) -> None:
        """发文机关标志 (red, centred, sized to fit one line), the 文号 under it and the
        red rule (版头中的分隔线) 4 mm below the 文号."""
        issuer = clean(issuer)
        size = max(22, min(48, int(TEXT_W_MM / 25.4 * 72 / max(len(issuer), 1) * 0.95)))
        p = self._paragraph(style=STYLE_MASTHEAD)
        _fixed_spacing(p.paragraph_format, size * 1.3, after=size * 0.5)
        run = p.add_run(issuer)
        run.font.size = Pt(size)
        run.font.color.rgb = RED
        p.paragraph_format.keep_with_next = True
        self.blank()
        num = self.doc.add_paragraph()
        num.alignment = WD_ALIGN_PARAGRAPH.CENTER
        num.paragraph_format.first_line_indent = Pt(0)
        num.paragraph_format.space_after = Pt(4 / 25.4 * 72)
        num.add_run(clean(number))
        self._rule(num, RED)
        self.blank()

    def _rule(self, p: Paragraph, color: RGBColor) -> None:
        ppr = p._p.get_or_add_pPr()
        bdr = OxmlElement("w:pBdr")
        bottom = OxmlElement("w:bottom")
        bottom.set(qn("w:val"), "single")
        bottom.set(qn("w:sz"), "12")  # eighths of a point: 1.5 pt
        bottom.set(qn("w:space"), "4")
        bottom.set(qn("w:color"), str(color))
        bdr.append(bottom)
        _insert_ordered(ppr, bdr, PPR_ORDER)

    def blank(self) -> Paragraph:
        return self.doc.add_paragraph()

    def title(self, text: str) -> Paragraph:
        p = self._paragraph(clean(text), STYLE_TITLE)
        return p

    def subtitle(self, text: str) -> Paragraph:
        """A line under the title (e.g. 第3期 or the period), centred in 楷体."""
        p = self._paragraph(style=STYLE_H2)
        p.paragraph_format.first_line_indent = Pt(0)
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.add_run(clean(text))
        return p

    def addressee(self, text: str) -> Paragraph:
        """主送机关: flush left, ending with a full-width colon."""
        text = clean(text).rstrip("：:")
        p = self.doc.add_paragraph(f"{text}：")
        p.paragraph_format.first_line_indent = Pt(0)
        return p

    def para(self, text: str, bold_lead: str = "") -> Paragraph:
        """A body paragraph with a two-character first-line indent; ``bold_lead`` is an
        optional 黑体 lead-in (e.g. a leader's name) before the text."""
        p = self.doc.add_paragraph()
        p.paragraph_format.first_line_indent = Pt(INDENT_PT)
        if bold_lead:
            run = p.add_run(clean(bold_lead))
            _fonts(run, HEADING1_FONT)
        p.add_run(clean(text))
        return p

    def heading1(self, text: str) -> Paragraph:
        return self._paragraph(clean(text), STYLE_H1)

    def heading2(self, text: str) -> Paragraph:
        return self._paragraph(clean(text), STYLE_H2)

    def attachment_note(self, titles: Sequence[str]) -> None:
        """附件说明 under the body: 附件：1．… with later lines aligned under the first."""
        titles = [clean(t) for t in titles]
        if not titles:
            return
        self._attachment_notes = list(titles)
        self.blank().paragraph_format.keep_with_next = True
        lead = "附件："
        for i, t in enumerate(titles, start=1):
            label = f"{i}．{t}" if len(titles) > 1 else t
            p = self.doc.add_paragraph()
            pf = p.paragraph_format
            pf.keep_with_next = True
            if i == 1:
                pf.first_line_indent = Pt(INDENT_PT)
                p.add_run(lead + label)
            else:
                pf.first_line_indent = Pt(0)
                pf.left_indent = Pt(INDENT_PT + len(lead) * BODY_PT)
                p.add_run(label)

    def signature(self, signer: str, day: dt.date, date_text: str | None = None) -> None:
        """落款 and 成文日期, right-aligned four characters in from the right edge, the
        date in Chinese numerals under the signer (GB/T 9704-2012 7.3.5.2)."""
        self._keep_last()
        for _ in range(2):
            self.blank().paragraph_format.keep_with_next = True
        date_line = date_text or cn_numeral_date(day)
        signer = clean(signer)
        # The signer is centred over the date: pad it on the right by half the difference.
        width = max(len(signer), len(date_line))
        pad_signer = (width - len(signer)) / 2
        pad_date = (width - len(date_line)) / 2
        for text, pad in ((signer, pad_signer), (date_line, pad_date)):
            p = self.doc.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            p.paragraph_format.first_line_indent = Pt(0)
            p.paragraph_format.right_indent = Pt(4 * BODY_PT + pad * BODY_PT)
            p.paragraph_format.keep_with_next = True
            p.add_run(text)

    def _keep_last(self) -> None:
        """Keep the last paragraph with what follows, so that the 落款 never stands alone
        on a page (GB/T 9704-2012 7.3.5: the date goes with the body)."""
        if self.doc.paragraphs:
            self.doc.paragraphs[-1].paragraph_format.keep_with_next = True

    def attachment(self, index: int | None, title: str, intro: str = "") -> None:
        """Start an 附件 on a new page: 附件N in 黑体 at the top left, then its title."""
        p = self.doc.add_paragraph()
        p.paragraph_format.first_line_indent = Pt(0)
        p.paragraph_format.page_break_before = True
        p.paragraph_format.keep_with_next = True
        run = p.add_run("附件" if index is None else f"附件{index}")
        _fonts(run, HEADING1_FONT)
        self.blank().paragraph_format.keep_with_next = True
        self.title(title)
        self.blank().paragraph_format.keep_with_next = True
        if intro:
            self.para(intro)

    def page_break(self) -> None:
        self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def table(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[object]],
        widths_mm: Sequence[float],
        numeric: Sequence[int] = (),
        group_rows: dict[int, str] | None = None,
        font_pt: float = TABLE_PT,
    ) -> Table:
        """A ruled table of fixed column widths (summing to the text width at most): the
        header row repeats on every page, no row splits across pages. ``group_rows``
        maps a row position to a label printed across the whole row before it (e.g. the
        unit's name); ``numeric`` columns are centred."""
        if abs(sum(widths_mm) - TEXT_W_MM) > 0.5 and sum(widths_mm) > TEXT_W_MM:
            raise ValueError(f"table wider than the text block: {sum(widths_mm)} mm > {TEXT_W_MM} mm")
        groups = group_rows or {}
        n_cols = len(header)
        t = self.doc.add_table(rows=0, cols=n_cols)
        t._tbl.tblStyle_val = self._table_style_id  # = t.style = styles["Table Grid"]
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        t.autofit = False  # w:tblLayout type="fixed": the widths below hold in Word, WPS and LibreOffice
        tbl_pr = t._tbl.tblPr
        mar = OxmlElement("w:tblCellMar")
        for side in ("left", "right"):
            m = OxmlElement(f"w:{side}")
            m.set(qn("w:w"), str(CELL_PAD_TWIPS))
            m.set(qn("w:type"), "dxa")
            mar.append(m)
        _insert_ordered(tbl_pr, mar, TBLPR_ORDER)
        for col, w in zip(t.columns, widths_mm, strict=True):
            col.width = Mm(w)

        table_style = self._style_ids[STYLE_TABLE]

        def fill(cells: Sequence[_Cell], values: Sequence[str], bold: bool, center: set[int]) -> None:
            for j, (cell, value) in enumerate(zip(cells, values, strict=True)):
                cell.width = Mm(widths_mm[j] if len(values) == n_cols else sum(widths_mm))
                para = cell.paragraphs[0]
                para._p.style = table_style
                para.paragraph_format.first_line_indent = Pt(0)
                if j in center:
                    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
                run = para.add_run(value)
                run.font.size = Pt(font_pt)
                if bold:
                    _fonts(run, HEADING1_FONT, font_pt)

        def no_split(row: object, header_row: bool = False) -> None:
            trpr = row._tr.get_or_add_trPr()  # type: ignore[attr-defined]
            cant = OxmlElement("w:cantSplit")
            trpr.append(cant)
            if header_row:
                trpr.append(OxmlElement("w:tblHeader"))

        # Rows of each kind (header, body, group) are built once, empty, the python-docx
        # way, and copied for every row with their cells' text filled in: the same XML as
        # building every row through python-docx, whose property setters search an
        # element's children on every call (most of the time of a long table, issue 16).
        # A kind depends only on the layout, so tables of the same layout (one per
        # branch's bulletin) share them.
        layout = (tuple(widths_mm), tuple(numeric), font_pt, table_style)

        def blank_row(kind: str) -> Any:
            cached = _ROW_TEMPLATES.get((kind, layout))
            if cached is not None:
                return cached
            row = t.add_row()
            no_split(row, header_row=kind == "header")
            if kind == "group":
                merged = row.cells[0].merge(row.cells[-1]) if n_cols > 1 else row.cells[0]
                fill([merged], [""], True, set())
                merged.paragraphs[0].paragraph_format.keep_with_next = True  # not alone at a page foot
            elif kind == "header":
                fill(row.cells, [""] * n_cols, True, set(range(n_cols)))
            else:
                fill(row.cells, [""] * n_cols, False, set(numeric))
            t._tbl.remove(row._tr)
            _ROW_TEMPLATES[(kind, layout)] = row._tr
            return row._tr

        def add_row(kind: str, values: Sequence[str]) -> None:
            tr = copy.deepcopy(blank_row(kind))
            for r, value in zip(tr.xpath("./w:tc/w:p/w:r"), values, strict=True):
                if value:  # = Paragraph.add_run(value): the run holds only its w:rPr yet
                    _RunContentAppender.append_to_run_from_text(r, value)
            t._tbl.append(tr)

        add_row(
            "header", [header_lines(clean(h), w, font_pt) for h, w in zip(header, widths_mm, strict=True)]
        )
        for i, values in enumerate(rows):
            if i in groups:
                add_row("group", [clean(groups[i])])
            add_row("body", ["" if v is None else clean(v) for v in values])
        return t

    # -- output --------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        self.doc.save(buf)
        static: dict[str, tuple[bytes, Chunk]] | None = getattr(self, "_static", None)
        if not static:  # the blank itself (_build_blank)
            return buf.getvalue()

        def real_part(name: str, xml: bytes) -> list[Chunk]:
            stub, chunk = static[name]
            if xml != stub:  # never happens: the styles are read once, from the blank
                raise RuntimeError(f"{name} was changed after the blank document was set up")
            return [chunk]

        return rewrite_bytes(buf.getvalue(), real_part, static.__contains__)

    def save(self, path: Path) -> None:
        write_bytes_atomic(path, self.to_bytes())


# (kind, layout) -> an empty table row of that kind and layout (OfficialDocument.table)
_ROW_TEMPLATES: dict[tuple[str, tuple[Any, ...]], Any] = {}


@functools.cache
def _blank_document() -> tuple[bytes, dict[str, str | None], str | None]:
    return OfficialDocument._build_blank()


# The blank's two largest parts (word/styles.xml ~350 KB, word/stylesWithEffects.xml
# ~440 KB: nine tenths of a short document's XML) are the same in every document: the
# styles are set up in the blank, and a document refers to them by the ids looked up
# there (never by reading the styles part). Every document is opened with these parts
# stubbed and saved with the blank's own parts put back, compressed once per process:
# python-docx would parse, serialise and compress them again for each document (most of
# the time of a branch's bulletin, issue 16). The saved file has the same parts.
_STATIC_PARTS = ("word/styles.xml", "word/stylesWithEffects.xml")
_STUB = (
    b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
    b'<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>'
)


@functools.cache
def _light_blank() -> tuple[bytes, dict[str, tuple[bytes, Chunk]]]:
    """The blank with its static parts stubbed, and for each static part (the stub as a
    save writes it back, the blank's part compressed)."""
    real: dict[str, Chunk] = {}
    buf = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(_blank_document()[0])) as src,
        zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            data = src.read(info)
            if info.filename in _STATIC_PARTS:
                real[info.filename] = compress(data)
                data = _STUB
            dst.writestr(info, data)
    light = buf.getvalue()
    saved = io.BytesIO()
    Document(io.BytesIO(light)).save(saved)
    with zipfile.ZipFile(saved) as z:
        return light, {name: (z.read(name), chunk) for name, chunk in real.items()}


# -- the prepared blank, kept between runs -------------------------------------------------
# Setting up the blank (python-docx's default template opened, styles added, saved) and
# lightening it take ~0.1 s, in every process that writes a document. A command that owns
# an outputs folder keeps the result in ``outputs/.cache/docx/`` (use_cache): plain JSON
# (the zip and the compressed parts in base64, the style ids), under a key of the code
# fingerprint and the python-docx version, with a digest of its content; a missing,
# foreign, truncated or edited entry is rebuilt.
BLANK_FORMAT = 1
BLANK_DIR = "docx"
_blank_cache: list[Path | None] = [None]


def use_cache(root: Path | None) -> None:
    """Keep the prepared blank document under ``root/docx/`` (``None``: build it in this
    process only)."""
    _blank_cache[0] = root / BLANK_DIR if root is not None else None
    _prepared.cache_clear()


Prepared = tuple[bytes, dict[str, tuple[bytes, Chunk]], dict[str, str | None], str | None]


def _blank_key() -> str:
    import docx

    from pipeline.infra.fingerprint import code_fingerprint

    text = f"{BLANK_FORMAT}\n{code_fingerprint()}\n{getattr(docx, '__version__', '-')}\n"
    return hashlib.sha256(text.encode()).hexdigest()


def _payload(p: Prepared) -> dict[str, Any]:
    light, static, style_ids, table_style_id = p

    def b64(b: bytes) -> str:
        return base64.b64encode(b).decode("ascii")

    return {
        "light": b64(light),
        "static": {n: [b64(stub), b64(c.data), c.length, c.crc] for n, (stub, c) in static.items()},
        "style_ids": style_ids,
        "table_style_id": table_style_id,
    }


def _digest(key: str, payload: dict[str, Any]) -> str:
    return hashlib.sha256((key + json.dumps(payload, sort_keys=True)).encode()).hexdigest()


def _load_prepared(folder: Path, key: str) -> Prepared | None:
    try:
        entry = json.loads((folder / f"blank-{key}.json").read_bytes())
        payload = entry["payload"]
        if entry.get("key") != key or entry.get("digest") != _digest(key, payload):
            return None
        static = {
            str(n): (base64.b64decode(stub), Chunk(base64.b64decode(data), int(length), int(crc)))
            for n, (stub, data, length, crc) in payload["static"].items()
        }
        ids = {str(k): (None if v is None else str(v)) for k, v in payload["style_ids"].items()}
        table_id = payload["table_style_id"]
        return base64.b64decode(payload["light"]), static, ids, None if table_id is None else str(table_id)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _store_prepared(folder: Path, key: str, p: Prepared) -> None:
    payload = _payload(p)
    data = json.dumps({"key": key, "digest": _digest(key, payload), "payload": payload}).encode()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(folder / f"blank-{key}.json", data)
        for old in folder.glob("blank-*.json"):
            if old.name != f"blank-{key}.json":
                old.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only cache: the next run builds it again


@functools.cache
def _prepared() -> Prepared:
    """(light blank, its static parts, paragraph style ids, table style id)."""
    folder = _blank_cache[0]
    key = _blank_key() if folder is not None else ""
    if folder is not None:
        kept = _load_prepared(folder, key)
        if kept is not None:
            return kept
    _, style_ids, table_style_id = _blank_document()
    light, static = _light_blank()
    p = (light, static, style_ids, table_style_id)
    if folder is not None:
        _store_prepared(folder, key, p)
    return p
