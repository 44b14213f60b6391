"""How a sheet prints on A4: column widths, row heights for wrapped text, page setup.

xlsxwriter does not autofit, and Excel, WPS and LibreOffice do not grow a row for wrapped
text when they open a file: a row without a computed height prints its second line over
the next row. Every writer of the project sizes its sheets here:

- :func:`display_width`: the width of text in column-width units (a CJK or full-width
  character counts double, as it prints twice as wide as a digit).
- :func:`line_count` / :func:`row_height`: the lines a wrapped cell takes at a column
  width, and the row height in points that shows all of them.
- :func:`fit_width`: a column width from its header and content, within bounds; the
  header may wrap to :data:`HEADER_LINES` lines.
- :func:`plan_page` / :func:`apply_page`: portrait when the columns fit a portrait page,
  else landscape; scaled to one page width only while the print stays readable
  (:data:`MIN_SCALE`); wider sheets print at full size in column bands with the
  identifying columns repeated on every page. Header rows repeat on every page; the
  footer reads 第 X 页 共 Y 页.
- :func:`band_texts`: a sheet printed in column bands cannot print its title and note
  rows (long text across the columns of its first page): on the later bands only the
  repeated columns of those rows are on the page, and the text is cut at their edge. Such
  a sheet prints its title in the page header and its notes in the footer, on every page,
  and its print area leaves those rows out (the screen view keeps them).

The metrics are those of the project's cell font (宋体 11 pt, or the CJK font a machine
substitutes for it, whose lines are taller): a little generous rather than short, since a
short row overprints and a tall one only costs paper.
"""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from typing import Any

# Page: A4 (xlsxwriter paper 9), margins in inches.
PAPER_A4 = 9
MARGIN_SIDE = 0.4
MARGIN_TOP = 0.55
MARGIN_BOTTOM = 0.6
PAGE_WIDTH_PT = {False: 595.3, True: 841.9}  # landscape -> page width
PAGE_HEIGHT_PT = {False: 841.9, True: 595.3}
FOOTER = "&C第 &P 页 共 &N 页"

# Fonts: column width unit = 7 px (the default font's digit); 11 pt CJK = 14.67 px.
PX_PER_UNIT = 7.0
COL_PADDING_PX = 5
CELL_INSET_PX = 3  # what a cell keeps free on its sides before wrapping
UNITS_PER_CJK = 2.1
# Latin letters and digits of the cell font (宋体's, or DejaVu Sans where LibreOffice
# substitutes it) are wider than the default font's digit the width unit is made of.
UNITS_PER_LATIN = 1.25
LINE_PT = 14.5  # one line of 11 pt text (宋体 13.5 pt; LibreOffice's Noto CJK 13.9 pt)
ROW_PAD_PT = 4.0
DEFAULT_ROW_PT = 18.0
MAX_ROW_PT = 400.0  # under Excel's 409 and a landscape page's printable height

TITLE_RATIO = 16 / 11  # the title font (16 pt) against the cell font
TITLE_ROW_PT = 24.0

MIN_SCALE = 0.72  # 11 pt printed at 72 % is 8 pt: the least that reads well on A4
MIN_WIDTH = 4.0
MAX_WIDTH = 40.0
HEADER_LINES = 3
SHRINK_FLOOR = 14.0  # the narrowest a wrapping text column gets (6 CJK characters)


@lru_cache(maxsize=4096)
def _char_units(ch: str) -> float:
    if ch == "\t":
        return 4.0
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return UNITS_PER_CJK
    if unicodedata.combining(ch):
        return 0.0
    return UNITS_PER_LATIN


def display_width(text: str) -> float:
    """Width of one line of ``text`` in column-width units."""
    if text.isascii():
        tabs = text.count("\t")
        return (
            len(text) * UNITS_PER_LATIN + tabs * (_char_units("\t") - UNITS_PER_LATIN)
            if tabs
            else len(text) * UNITS_PER_LATIN
        )
    return sum(map(_char_units, text))


DEFAULT_ROW_PX = 20  # a row of the default height (15 pt), where nothing sets one


def col_pixels(width: float) -> int:
    """A column's width in pixels, for a width in units (as xlsxwriter sizes it)."""
    return int(width * PX_PER_UNIT + 0.5) + COL_PADDING_PX


def col_points(width: float) -> float:
    """A column's printed width in points, for a width in units (as xlsxwriter sizes it)."""
    return (int(width * PX_PER_UNIT + 0.5) + COL_PADDING_PX) * 0.75


def capacity(width: float) -> float:
    """Units of text one line of a wrapped cell of ``width`` holds."""
    return max(1.0, (int(width * PX_PER_UNIT + 0.5) + COL_PADDING_PX - CELL_INSET_PX) / PX_PER_UNIT)


def line_count(text: str, width: float) -> int:
    """Lines ``text`` takes in a wrapped cell of ``width`` units (explicit line breaks
    kept; words of Latin text are not split, so a line may break early)."""
    if not text:
        return 1
    cap = capacity(width)
    if len(text) * UNITS_PER_CJK <= cap and "\n" not in text and "\t" not in text:
        return 1  # short text: the common case, no per-character work (a tab is wider)
    n = 0
    for para in text.split("\n"):
        if len(para) * UNITS_PER_CJK <= cap and "\t" not in para:
            n += 1  # fits whatever its characters (a tab is the only wider one)
            continue
        n += _greedy_lines(para, cap)
    return n


# Line-break units: a run of ASCII non-space characters (a word, a path, a number with
# its unit) does not break, nor does it let a closing bracket or punctuation go; each
# other character may break before it, except closing punctuation, which stays with the
# character before it (as LibreOffice, Excel and WPS break lines).
_TOKEN = re.compile(
    r"[\x21-\x7e]+[）】》」』”’，。、；：！？]*| +|[^\x00-\x7f][）】》」』”’，。、；：！？]*|."
)
# Widths are counted in 1/140 units, where every character width (2.1, 1.25, 4, 0) and
# every capacity (pixels / 7) is a whole number: line breaks are decided exactly, with no
# rounding of sums.
_EXACT = 140
# Widths of the tokens seen so far (exact units): most are one CJK character with its
# punctuation, so a few thousand entries serve a whole county's ledger (issue 16).
_TOKEN_WIDTH: dict[str, int] = {}


def _token_widths(tokens: list[str]) -> list[int]:
    known = _TOKEN_WIDTH
    out = list(map(known.get, tokens))
    if None in out:
        for i, tok in enumerate(tokens):
            if out[i] is None:
                w = round(display_width(tok) * _EXACT)
                if len(known) < 200_000:
                    known[tok] = w
                out[i] = w
    return out  # type: ignore[return-value]


def _greedy_lines(para: str, cap: float) -> int:
    """Lines of one paragraph, filled greedily token by token; a run of spaces hangs over
    the line's end (never breaks it), a token longer than a line breaks anywhere from a new
    line. Each line is found by bisection over the running widths, not token by token."""
    tokens = _TOKEN.findall(para)
    widths = _token_widths(tokens)
    ends = list(accumulate(widths, initial=0))  # ends[k + 1]: where token k ends
    limit = round(cap * _EXACT)
    n = len(tokens)
    lines, base, k = 1, 0, 0  # the current line starts at ``base``
    while True:
        k = bisect_right(ends, base + limit, lo=k + 1) - 1  # the first token that does not fit
        while k < n and tokens[k][0] == " ":
            k += 1
        if k >= n:
            return lines
        tw, used = widths[k], ends[k] - base
        if tw <= limit:
            lines += 1
            base = ends[k]
        else:  # longer than a line: breaks anywhere, from a new line
            m = -(-tw // limit)
            lines += m if used else m - 1
            base = ends[k + 1] - (tw - (m - 1) * limit)


def lines_height(lines: int) -> float:
    return min(MAX_ROW_PT, max(DEFAULT_ROW_PT, lines * LINE_PT + ROW_PAD_PT))


def text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and math.isnan(value):
        return ""
    return str(value)


def row_height(
    values: Sequence[Any], widths: Sequence[float], wrap: Sequence[bool] | None = None
) -> float | None:
    """The height (points) that shows every wrapped cell of a row; ``None`` when one
    line is enough (the row keeps the default height)."""
    most = 1
    for j, v in enumerate(values):
        if j >= len(widths) or (wrap is not None and not wrap[j]):
            continue
        if type(v) is str:
            if not v or (len(v) * UNITS_PER_CJK <= capacity(widths[j]) and "\n" not in v and "\t" not in v):
                continue
            n = line_count(v, widths[j])
        else:
            continue
        if n > most:
            most = n
    return lines_height(most) if most > 1 else None


# Lines of the texts seen so far, by (text, width): a ledger's columns repeat their unit
# names, member numbers and pledge texts row after row (issue 16).
_LINES: dict[tuple[str, float], int] = {}
_LINES_MAX = 200_000
_ASCII_EXACT = round(UNITS_PER_LATIN * _EXACT)  # an ASCII character other than a tab


def row_heights(
    columns: Sequence[Sequence[Any]], widths: Sequence[float], wrap: Sequence[bool] | None = None
) -> list[float | None]:
    """:func:`row_height` of every row of a frame given as column lists (each distinct
    text of a column counted once; ASCII text that fits a line is not tokenised)."""
    if not columns:
        return []
    n = len(columns[0])
    out: list[float | None] = [None] * n
    most = [1] * n
    known = _LINES
    for j, col in enumerate(columns):
        if j >= len(widths) or (wrap is not None and not wrap[j]):
            continue
        w = widths[j]
        cap = capacity(w)
        quick = cap / UNITS_PER_CJK
        # One line whatever its characters when no longer than this (exact units, as
        # _greedy_lines decides; an ASCII character is 1.25 units, a tab the only wider one).
        ascii_fit = round(cap * _EXACT) // _ASCII_EXACT
        for i, v in enumerate(col):
            if type(v) is str and (len(v) > quick or "\n" in v or "\t" in v):
                k = known.get((v, w))
                if k is None:
                    if len(v) <= ascii_fit and v.isascii() and "\n" not in v and "\t" not in v:
                        k = 1
                    else:
                        k = line_count(v, w)
                        if len(known) < _LINES_MAX:
                            known[(v, w)] = k
                if k > most[i]:
                    most[i] = k
    for i, k in enumerate(most):
        if k > 1:
            out[i] = lines_height(k)
    return out


def header_width(header: str) -> float:
    """The least width at which ``header`` wraps to at most HEADER_LINES lines, never
    splitting a word of two CJK characters."""
    w = display_width(header)
    per_line = w / HEADER_LINES
    return max(2 * UNITS_PER_CJK + 1, math.ceil(per_line + 1))


def fit_width(
    header: str, values: Iterable[Any], lo: float = MIN_WIDTH, hi: float = MAX_WIDTH, sample: int = 500
) -> float:
    """A column width from its header and the longest of (up to ``sample``) values; text
    longer than ``hi`` wraps."""
    longest = 0.0
    seen: set[str] = set()  # a column repeats its texts: each measured once
    for i, v in enumerate(values):
        if i >= sample:
            break
        s = text_of(v)
        if not s:
            continue
        if isinstance(v, float):
            s = f"{v:.4g}"
        if s in seen:
            continue
        seen.add(s)
        for line in s.split("\n"):
            longest = max(longest, display_width(line))
    return float(min(hi, max(lo, header_width(header), math.ceil(longest + 1.5))))


def grow_to_fill(widths: Sequence[float], natural: Sequence[float]) -> list[float]:
    """Widen columns capped below their content width (``natural``) into the page width
    the sheet leaves free, portrait if it fits one, else landscape: fewer wrapped lines,
    shorter pages."""
    out = list(widths)
    total = sum(col_points(w) for w in out)
    if sum(col_points(w) for w in natural) <= printable_width(False):
        page = printable_width(False)
    elif total <= printable_width(True):
        page = printable_width(True)
    else:
        return out
    spare = page - total - 4
    while spare > 1:
        short = [j for j in range(len(out)) if natural[j] > out[j] + 0.01]
        if not short:
            break
        share = spare / len(short) / 0.75 / PX_PER_UNIT  # units each
        grown = 0.0
        for j in short:
            add = min(natural[j] - out[j], share)
            add = math.floor(add * 2) / 2
            if add <= 0:
                continue
            out[j] += add
            grown += add * PX_PER_UNIT * 0.75
        if grown <= 0:
            break
        spare -= grown
    return out


def shrink_to_fit(
    widths: Sequence[float], shrinkable: Sequence[bool], floor: float = SHRINK_FLOOR
) -> list[float]:
    """Narrow the widest wrapping columns (``shrinkable``), never below ``floor``, until the
    sheet prints on one landscape page width at MIN_SCALE; unchanged if it already does
    or cannot (then it prints in bands, see :func:`plan_page`). Their text wraps onto more lines instead (row heights follow)."""
    out = list(widths)
    limit = printable_width(True) / MIN_SCALE
    if sum(col_points(w) for w in out) <= limit:
        return out
    while sum(col_points(w) for w in out) > limit:
        cand = [j for j, w in enumerate(out) if shrinkable[j] and w > floor]
        if not cand:
            break
        top = max(out[j] for j in cand)
        rest = [out[j] for j in cand if out[j] < top]
        second = max(rest) if rest else floor
        excess_pt = sum(col_points(w) for w in out) - limit
        widest = [j for j in cand if out[j] == top]
        # Lower the widest columns to the next width (or just enough), together.
        step = min(top - max(second, floor), excess_pt / 0.75 / PX_PER_UNIT / len(widest) + 0.5)
        for j in widest:
            out[j] = max(floor, math.floor((top - max(step, 0.5)) * 2) / 2)
    if sum(col_points(w) for w in out) > limit:
        return list(widths)  # too wide either way: printed in bands at its own widths
    return out


HF_MARGIN = 0.3  # inches from the page edge to the header / footer text
HF_TITLE_PT = 14.0
HF_NOTE_PT = 10.0
HF_LINE = 1.4  # a header line's height per point of its font (CJK fonts are tall)
HF_GAP = 0.12  # inches between the header / footer and the cells
HF_LIMIT = 255  # characters Excel keeps of a header or footer string
HF_FILL = 0.85  # of the printable width a header line fills at most (fonts differ)


@dataclass(frozen=True)
class PagePlan:
    landscape: bool
    fit_to_width: bool  # scale to one page wide
    scale: float  # the scale the sheet prints at (1.0 or the fit scale)
    repeat_cols: int  # identifying columns repeated on every page band (0: none)
    widths: tuple[float, ...] = ()  # the column widths planned for

    @property
    def banded(self) -> bool:
        return self.repeat_cols > 0

    @property
    def in_bands(self) -> bool:
        """Whether the sheet prints more than one page wide (with or without repeated
        columns): rows above the table cannot print across every page then."""
        return (
            not self.fit_to_width
            and bool(self.widths)
            and sum(col_points(w) for w in self.widths) > printable_width(self.landscape)
        )


@dataclass(frozen=True)
class BandTexts:
    """The page header and footer of a sheet printed in bands (:func:`band_texts`), and
    the margins that make room for them."""

    header: str  # "" when the title is too long for one (its rows print in the sheet)
    footer: str  # FOOTER alone when the notes are too long for it (ditto)
    top: float  # inches
    bottom: float

    @property
    def noted(self) -> bool:
        """Whether the footer holds the notes."""
        return self.footer != FOOTER


def wrap_text(text: str, units: float) -> list[str]:
    """``text`` broken into lines of at most ``units`` column-width units (where the cell
    font would break it; a token longer than a line stays whole)."""
    lines: list[str] = []
    for para in text.split("\n"):
        line, used = "", 0.0
        for tok in _TOKEN.findall(para):
            w = display_width(tok)
            if line and used + w > units and not tok.isspace():
                lines.append(line.rstrip())
                line, used = "", 0.0
            if not line and tok.isspace():
                continue
            line += tok
            used += w
        lines.append(line.rstrip())
    return lines


def _hf_lines(text: str, landscape: bool, pt: float) -> list[str]:
    # A line of the header's font at ``pt`` holds (page width * HF_FILL) in points; one
    # width unit of the cell font (11 pt) is 5.25 pt wide.
    units = printable_width(landscape) / 0.93 * HF_FILL / (PX_PER_UNIT * 0.75 * pt / 11)
    return [ln.replace("&", "&&") for ln in wrap_text(text, units)]


def band_texts(title: Sequence[str], notes: Sequence[str], plan: PagePlan) -> BandTexts:
    """The page header (``title``: the first line as the title, the others smaller) and
    footer (``notes`` above 第 X 页 共 Y 页) of a sheet printed in bands, each line wrapped
    to the page. Either is left out (header "", footer FOOTER) when it would be longer
    than Excel keeps: the caller then prints those rows in the sheet, within the repeated
    columns (:func:`pipeline.outputs.sheet.write_title`)."""
    head: list[str] = []
    top_pt = 0.0
    if title:
        lines = _hf_lines(title[0], plan.landscape, HF_TITLE_PT)
        head.append(f'&{HF_TITLE_PT:.0f}&"-,Bold"' + "\n".join(lines))
        top_pt += len(lines) * HF_TITLE_PT * HF_LINE
    rest = [ln for t in title[1:] for ln in _hf_lines(t, plan.landscape, HF_NOTE_PT)]
    if rest:
        head.append(f'&{HF_NOTE_PT:.0f}&"-,Regular"' + "\n".join(rest))
        top_pt += len(rest) * HF_NOTE_PT * HF_LINE
    header = "&C" + "\n".join(head) if head else ""
    if len(header) > HF_LIMIT:
        header, top_pt = "", 0.0
    foot = [ln for t in notes for ln in _hf_lines(t, plan.landscape, HF_NOTE_PT)]
    footer = f'&C&{HF_NOTE_PT:.0f}&"-,Regular"' + "\n".join(foot) + "\n" + FOOTER.removeprefix("&C")
    if not foot or len(footer) > HF_LIMIT:
        footer, foot = FOOTER, []
    bottom_pt = (len(foot) + 1) * HF_NOTE_PT * HF_LINE
    return BandTexts(
        header,
        footer,
        max(MARGIN_TOP, HF_MARGIN + top_pt / 72 + HF_GAP) if header else MARGIN_TOP,
        max(MARGIN_BOTTOM, HF_MARGIN + bottom_pt / 72 + HF_GAP) if foot else MARGIN_BOTTOM,
    )


def printable_width(landscape: bool) -> float:
    """The width columns may take on a page, less 7 %: LibreOffice sizes a width unit by
    the exact digit width of Calibri/Carlito (5.58 pt), Excel by whole pixels (5.25 pt)."""
    return (PAGE_WIDTH_PT[landscape] - 2 * MARGIN_SIDE * 72) * 0.93


def plan_page(widths: Sequence[float], id_cols: int = 2, prefer_portrait: bool = True) -> PagePlan:
    """Portrait if it fits, else landscape; fit to width only down to MIN_SCALE; wider
    sheets print in bands at full size with ``id_cols`` columns repeated."""
    total = sum(col_points(w) for w in widths)
    ws = tuple(widths)
    if prefer_portrait and total <= printable_width(False):
        return PagePlan(False, False, 1.0, 0, ws)
    land = printable_width(True)
    if total <= land:
        return PagePlan(True, False, 1.0, 0, ws)
    scale = land / total
    if scale >= MIN_SCALE:
        return PagePlan(True, True, scale, 0, ws)
    ids = sum(col_points(w) for w in widths[:id_cols])
    return PagePlan(True, False, 1.0, id_cols if ids < land / 2 else 0, ws)


def fits_page(widths: Sequence[float], landscape: bool = True) -> bool:
    """Whether columns of ``widths`` print on one page width at a readable scale."""
    return sum(col_points(w) for w in widths) * MIN_SCALE <= printable_width(landscape)


def apply_page(
    ws: Any,
    plan: PagePlan,
    header_rows: int = 1,
    first_header_row: int = 0,
    texts: BandTexts | None = None,
    print_rows: Sequence[tuple[int, int]] = (),
    last_col: int | None = None,
) -> None:
    """A4 page setup of ``plan`` on an xlsxwriter worksheet: orientation, scaling, header
    rows (``first_header_row``..``header_rows - 1``) repeated, columns of a banded sheet
    repeated, footer 第 X 页 共 Y 页. ``texts``: the page header and footer of a sheet
    printed in bands (:func:`band_texts`); ``print_rows``: the (first, last) rows that
    print, columns 0..``last_col`` (default: all of the plan's), each range from a new page
    (default: the whole sheet)."""
    ws.set_paper(PAPER_A4)
    if plan.landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    if header_rows > 0:
        ws.repeat_rows(first_header_row, header_rows - 1)
    if plan.fit_to_width:
        ws.fit_to_pages(1, 0)
    if plan.banded:
        ws.repeat_columns(0, plan.repeat_cols - 1)
        ws.print_across()
    if print_rows:
        col = len(plan.widths) - 1 if last_col is None else last_col
        (first, last), *more = print_rows
        ws.print_area(first, 0, last, col)
        if more:  # xlsxwriter sets one range; Excel and LibreOffice print several
            _several_print_ranges(ws, print_rows, col)
    if texts is None:
        ws.set_margins(left=MARGIN_SIDE, right=MARGIN_SIDE, top=MARGIN_TOP, bottom=MARGIN_BOTTOM)
        ws.set_footer(FOOTER)
        return
    ws.set_margins(left=MARGIN_SIDE, right=MARGIN_SIDE, top=texts.top, bottom=texts.bottom)
    if texts.header:
        ws.set_header(texts.header, {"margin": HF_MARGIN})
    ws.set_footer(texts.footer, {"margin": HF_MARGIN})


_NAME_AREA = "_convert_name_area"  # xlsxwriter 3.3: (row, col, row, col) -> "Sheet!$A$1:$B$2"


def _several_print_ranges(ws: Any, rows: Sequence[tuple[int, int]], last_col: int) -> None:
    """A print area of several row ranges. xlsxwriter's public ``print_area`` takes one, so
    this sets the sheet's defined-name text through two internals of the 3.3 line (pinned in
    pyproject.toml, as for :mod:`pipeline.outputs.fast_sheet`); where they are missing or
    fail, one range from the first row to the last is printed instead (the rows between
    them, empty, print too)."""
    try:
        convert = getattr(ws, _NAME_AREA)
        text = ",".join(convert(a, 0, b, last_col) for a, b in rows)
        if not hasattr(ws, "print_area_range") or not isinstance(text, str):
            raise AttributeError("print_area_range")
        ws.print_area_range = text
    except (AttributeError, TypeError, ValueError):
        ws.print_area(rows[0][0], 0, rows[-1][1], last_col)


def setup_page(
    ws: Any,
    widths: Sequence[float],
    header_rows: int = 1,
    id_cols: int = 2,
    prefer_portrait: bool = True,
    first_header_row: int = 0,
) -> PagePlan:
    """:func:`plan_page` then :func:`apply_page`; returns the plan."""
    plan = plan_page(widths, id_cols, prefer_portrait)
    apply_page(ws, plan, header_rows, first_header_row)
    return plan
