"""Bulk rows for xlsxwriter worksheets, rendered straight to SpreadsheetML (issue 6).

xlsxwriter spends 4-5 µs on each cell (argument checks, a cell tuple, attribute
escaping); a county consolidation writes ~14 million cells. :class:`FastSheet` is an
ordinary xlsxwriter worksheet (formats, widths, panes, filters, validations, comments,
charts and print setup all stay xlsxwriter's) with one extra method,
:meth:`FastSheet.append_rows`, that renders whole rows of values to the sheet XML at
~1 µs a cell, buffered in a temporary file so memory stays flat. At close, the rows
are spliced into ``<sheetData>`` between the cells written the usual way.

The cells are exactly what :func:`pipeline.outputs.sheet.write_cell` writes through
xlsxwriter: text as inline strings (never formulas or links; ``_xHHHH_`` escaped the
way Excel reads it back literally), numbers, dates as serials with a date format,
booleans as 是/否, missing values blank. Tests compare both paths cell by cell.

Rules: rows are appended in increasing order, and no cell in the appended rows' range
may also be written with xlsxwriter's ``write_*`` methods (checked at close).

The fast path relies on xlsxwriter internals of the 3.3 line (pinned in pyproject.toml);
they are probed at import, and when the probe fails every row goes through xlsxwriter's
public ``write_*`` methods instead (see :func:`_probe`; tests force that path and compare
its cells with the fast path's).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import pandas as pd
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from pipeline.read.textnorm import EXCEL_CELL_LIMIT, safe_cell_text

_XML_SPECIAL = re.compile(r"[&<>]")
_EXCEL_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_NEEDS_WORK = re.compile(r"[&<>]|_x[0-9a-fA-F]{4}_|^\s|\s$")
_CHUNK = 1 << 20
_MARKER = "<!--pledge-spliced-rows:{}-->"
_IN_MEMORY = 8 << 20  # characters of rendered rows kept in memory per sheet

Styles = Sequence[Format | None]
FAST = True  # the probe at the end of this module sets it


def text_xml(s: str) -> str:
    """``<is>`` content for one inline string (as xlsxwriter writes it, checked by tests)."""
    preserve = ""
    if _NEEDS_WORK.search(s):
        if "_x" in s:
            s = _EXCEL_ESCAPE.sub(r"_x005F\1", s)
        if _XML_SPECIAL.search(s):
            s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        if s[:1].isspace() or s[-1:].isspace():
            preserve = ' xml:space="preserve"'
    return f"<is><t{preserve}>{s}</t></is>"


# Anything that makes a string more than "<is><t>text</t></is>": characters illegal in
# XML, markup characters, Excel's own escapes, leading/trailing whitespace.
_PLAIN_NOT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff&<>]|_x|^\\s|\\s$")
_PLAIN_MAX = EXCEL_CELL_LIMIT // 2  # at most 2 UTF-16 units a character: never cut


_TEXT_MEMO_LEN = 64  # texts up to this long are rendered once per append (longer ones rarely repeat)


def cell_text_xml(s: str) -> str:
    """``<is>`` content for user text ``s`` (made safe as ``safe_cell_text`` does); the
    common plain short string takes one regex search."""
    if len(s) <= _PLAIN_MAX and not _PLAIN_NOT.search(s):
        return f"<is><t>{s}</t></is>"
    return text_xml(safe_cell_text(s))


def _style(fmt: Format | None) -> str:
    return f' s="{fmt._get_xf_index()}"' if fmt is not None else ""


def style_attrs(styles: Styles) -> str:
    """The style attributes cells of ``styles`` get (part of a kept slice's key)."""
    return "".join(_style(f) if FAST else repr(f) for f in styles)


class FastSheet(Worksheet):
    """An xlsxwriter worksheet that also takes whole rows in bulk (see the module doc)."""

    def __init__(self) -> None:
        super().__init__()
        self._fast: IO[str] | None = None
        self._fast_first = -1
        self._fast_last = -1
        self._serials: dict[Any, str] = {}
        self._spliced: list[Any] | None = None

    # ------------------------------------------------------------------ writing
    def append_rows(
        self,
        first_row: int,
        rows: Iterable[Sequence[Any]],
        styles: Styles,
        date_styles: Styles,
        number_styles: Styles | None = None,
        blank_cells: bool = True,
        marked: Mapping[tuple[int, int], tuple[Format, Format]] | None = None,
        heights: Sequence[float | None] | None = None,
    ) -> int:
        """Write ``rows`` from ``first_row`` (0-based) down; returns the next free row.

        Column ``j`` uses ``styles[j]`` (text, blanks), ``date_styles[j]`` (dates) and
        ``number_styles[j]`` (numbers; default ``styles[j]``). With ``blank_cells``
        false, missing values are not written at all (no border), except in
        ``marked`` cells, which take their own (style, date style) and are always
        written. ``""`` counts as missing when ``blank_cells`` is false. ``heights[i]``
        (points) is the height of the ``i``-th appended row (``None``: the default), the
        bulk form of ``set_row`` (see ``pipeline.outputs.print_layout``)."""
        if first_row <= self._fast_last:
            raise ValueError(f"rows must be appended in order: {first_row} <= {self._fast_last}")
        number_styles = number_styles if number_styles is not None else styles
        if not FAST:
            self._fast_last = first_row - 1
            end = self._append_plain(
                first_row, rows, styles, date_styles, number_styles, blank_cells, marked or {}
            )
            self._fast_last = end - 1
            return end
        r, max_col, last_written = self._rows_xml(
            first_row, rows, styles, date_styles, number_styles, blank_cells, marked, heights, self._spill
        )
        if last_written >= 0:
            if self._fast_first < 0:
                self._fast_first = first_row
            self._fast_last = last_written
            self._check_dimensions(first_row, 0)
            self._check_dimensions(last_written, max(max_col, 0))
        return r

    def render_rows(
        self,
        rows: Iterable[Sequence[Any]],
        styles: Styles,
        date_styles: Styles,
        number_styles: Styles | None = None,
        heights: Sequence[float | None] | None = None,
    ) -> str | None:
        """The XML of ``rows`` as :meth:`append_rows` renders them, but without cell
        references (a slice that fits wherever it is spliced, :mod:`pipeline.outputs.slices`),
        or None when a row would have a gap (a skipped cell), which only references can say."""
        if not FAST:
            return None
        parts: list[str] = []
        rows = list(rows)
        _, _, last = self._rows_xml(
            0,
            rows,
            styles,
            date_styles,
            number_styles if number_styles is not None else styles,
            True,
            None,
            heights,
            parts.append,
            refs=False,
        )
        xml = "".join(parts)
        cells = sum(len(r) for r in rows)
        if last != len(rows) - 1 or xml.count("<c") != cells or not all(rows):
            return None
        return xml

    def append_spliced(self, first_row: int, n_rows: int, n_cols: int, chunks: list[Any]) -> int:
        """Rows ``first_row``.. given as compressed slices (:class:`pipeline.outputs.slices.Chunk`),
        spliced into the sheet's XML by :func:`splice_workbook` after the workbook is closed."""
        if first_row <= self._fast_last or self._fast is not None or not FAST:
            raise ValueError("spliced rows go once, into a sheet without other bulk rows")
        if n_rows <= 0:
            return first_row
        self._spliced = chunks
        self._spill(_MARKER.format(id(self)))
        self._fast_first, self._fast_last = first_row, first_row + n_rows - 1
        self._check_dimensions(first_row, 0)
        self._check_dimensions(self._fast_last, max(n_cols - 1, 0))
        return first_row + n_rows

    def _rows_xml(
        self,
        first_row: int,
        rows: Iterable[Sequence[Any]],
        styles: Styles,
        date_styles: Styles,
        number_styles: Styles,
        blank_cells: bool,
        marked: Mapping[tuple[int, int], tuple[Format, Format]] | None,
        heights: Sequence[float | None] | None,
        emit: Any,
        refs: bool = True,
    ) -> tuple[int, int, int]:
        """Render ``rows`` to SpreadsheetML, handing it to ``emit`` in chunks; returns
        (next row, last column written, last row written). ``refs=False``: rows and cells
        without their ``r`` attribute (a slice, :meth:`render_rows`): Excel places such a
        cell after the one before it."""
        s_attr = [_style(f) for f in styles]
        d_attr = [_style(f) for f in date_styles]
        n_attr = [_style(f) for f in number_styles]
        letters = [xl_col_to_name(j) for j in range(len(styles))]
        by_row: dict[int, dict[int, tuple[str, str, str]]] = {}
        for (mr, mc), (f, fd) in (marked or {}).items():
            by_row.setdefault(mr, {})[mc] = (_style(f), _style(fd), _style(f))
        buf: list[str] = []
        size = 0
        r = first_row
        max_col = -1
        last_written = -1
        render = self._render
        texts: dict[str, str] = {}  # short texts repeat down a column (unit names, states)
        # the XML of a row of blank cells in every column, when every column has a style
        width = len(letters)
        blank_row = (
            ('<row r="{0}">' if refs else "<row>")
            + "".join(
                (f'<c r="{letters[j]}{{0}}"' if refs else "<c") + f"{s_attr[j]}/>" for j in range(width)
            )
            + "</row>"
            if blank_cells and width and all(s_attr)
            else None
        )
        for row in rows:
            n = r + 1
            if len(row) > len(letters):  # a row wider than the styles given: the last style goes on
                for j in range(len(letters), len(row)):
                    letters.append(xl_col_to_name(j))
                    s_attr.append(s_attr[-1] if s_attr else "")
                    d_attr.append(d_attr[-1] if d_attr else "")
                    n_attr.append(n_attr[-1] if n_attr else "")
            h = heights[r - first_row] if heights is not None and r - first_row < len(heights) else None
            marks = by_row.get(r)
            if (
                blank_row is not None
                and not h
                and not marks
                and type(row) in (list, tuple)
                and row.count(None) == len(row) == width
            ):
                # an empty input row (templates write hundreds): one format call, not a cell at a time
                row_xml = blank_row.format(n)
                buf.append(row_xml)
                size += len(row_xml)
                last_written = r
                max_col = max(max_col, width - 1)
                if size > _CHUNK:
                    emit("".join(buf))
                    buf, size = [], 0
                r += 1
                continue
            rr = f' r="{n}"' if refs else ""
            parts = [f'<row{rr} ht="{h:g}" customHeight="1">' if h else f"<row{rr}>"]
            for j, v in enumerate(row):
                mark = marks.get(j) if marks else None
                sa = mark[0] if mark else s_attr[j]
                ra = f' r="{letters[j]}{n}"' if refs else ""
                if type(v) is str:  # "" too: xlsxwriter writes an empty string, not a blank
                    if v or blank_cells or mark:
                        x = texts.get(v)
                        if x is None:
                            x = cell_text_xml(v)
                            if len(v) <= _TEXT_MEMO_LEN:
                                texts[v] = x
                        parts.append(f'<c{ra}{sa} t="inlineStr">{x}</c>')
                    else:
                        continue
                elif (
                    v is None
                    or (cell := render(ra, v, sa, *(mark[1:] if mark else (d_attr[j], n_attr[j])))) is None
                ):
                    if (blank_cells or mark) and sa:
                        parts.append(f"<c{ra}{sa}/>")
                    else:
                        continue
                else:
                    parts.append(cell)
                if j > max_col:
                    max_col = j
            if len(parts) > 1:
                parts.append("</row>")
                row_xml = "".join(parts)
                buf.append(row_xml)
                size += len(row_xml)
                last_written = r
                if size > _CHUNK:
                    emit("".join(buf))
                    buf, size = [], 0
            r += 1
        if buf:
            emit("".join(buf))
        return r, max_col, last_written

    def _append_plain(
        self,
        first_row: int,
        rows: Iterable[Sequence[Any]],
        styles: Styles,
        date_styles: Styles,
        number_styles: Styles,
        blank_cells: bool,
        marked: Mapping[tuple[int, int], tuple[Format, Format]],
    ) -> int:
        """:meth:`append_rows` through xlsxwriter's public ``write_*`` methods (the probe
        failed): the same cells, as :func:`pipeline.outputs.sheet.write_cell` writes them."""
        s_list, d_list, n_list = list(styles), list(date_styles), list(number_styles)
        r = first_row
        for row in rows:
            for j, v in enumerate(row):
                mark = marked.get((r, j))
                k = min(j, len(s_list) - 1)
                sf = mark[0] if mark else (s_list[k] if s_list else None)
                df = mark[1] if mark else (d_list[min(j, len(d_list) - 1)] if d_list else None)
                nf = mark[0] if mark else (n_list[min(j, len(n_list) - 1)] if n_list else None)
                if hasattr(v, "item") and not isinstance(v, str | dt.date):  # numpy scalars
                    v = v.item()
                if type(v) is str or isinstance(v, str):
                    if v or blank_cells or mark:
                        self.write_string(r, j, safe_cell_text(str(v)), sf)
                    continue
                if isinstance(v, bool):
                    self.write_string(r, j, "是" if v else "否", sf)
                elif isinstance(v, dt.datetime | dt.date) and v is not pd.NaT:
                    d = v.to_pydatetime() if isinstance(v, pd.Timestamp) else v
                    if not isinstance(d, dt.datetime):
                        d = dt.datetime.combine(d, dt.time())
                    self.write_datetime(r, j, d, df)
                elif isinstance(v, int | float) and math.isfinite(v):
                    self.write_number(r, j, v, nf)
                elif v is None or v is pd.NaT or isinstance(v, float) or _is_na(v):
                    if (blank_cells or mark) and sf is not None:
                        self.write_blank(r, j, None, sf)
                else:
                    self.write_string(r, j, safe_cell_text(str(v)), sf)
            r += 1
        return r

    def _spill(self, xml: str) -> None:
        """Keep rendered rows in memory up to _IN_MEMORY characters, then in a temporary file."""
        if self._fast is None:
            self._fast = io.StringIO()
        elif isinstance(self._fast, io.StringIO) and self._fast.tell() > _IN_MEMORY:
            # closed in _write_rows, when the workbook is assembled
            spilled = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")  # noqa: SIM115
            spilled.write(self._fast.getvalue())
            self._fast = spilled
        self._fast.write(xml)

    def _render(self, ref: str, v: Any, sa: str, da: str, na: str) -> str | None:
        """One non-string cell as XML (``None``: blank). Mirrors ``write_cell``. ``ref``:
        the cell's ``r`` attribute with its leading space (`` r="B7"``), or empty."""
        if v is None or v is pd.NaT:
            return None
        if isinstance(v, bool):
            return f'<c{ref}{sa} t="inlineStr"><is><t>{"是" if v else "否"}</t></is></c>'
        if isinstance(v, dt.datetime | dt.date):
            serial = self._serials.get(v)
            if serial is None:  # deadlines repeat: convert each distinct date once
                d = v.to_pydatetime() if isinstance(v, pd.Timestamp) else v
                if not isinstance(d, dt.datetime):
                    d = dt.datetime.combine(d, dt.time())
                serial = self._serials[v] = f"{self._convert_date_time(d):.16G}"
            return f"<c{ref}{da}><v>{serial}</v></c>"
        if isinstance(v, int | float):
            if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
                return None
            return f"<c{ref}{na}><v>{v:.16G}</v></c>"
        if isinstance(v, str):  # a str subclass
            return f'<c{ref}{sa} t="inlineStr">{cell_text_xml(str(v))}</c>'
        try:
            if pd.isna(v):
                return None
        except (TypeError, ValueError):
            pass
        if hasattr(v, "item"):  # numpy scalars
            return self._render(ref, v.item(), sa, da, na)
        return f'<c{ref}{sa} t="inlineStr">{cell_text_xml(str(v))}</c>'

    # ------------------------------------------------------------------ assembling
    def _write_rows(self) -> None:
        if self._fast is None:
            super()._write_rows()
            return
        first, last = self._fast_first, self._fast_last
        for r in range(first, last + 1):
            if self.table.get(r):
                raise RuntimeError(f"row {r + 1} has cells written both in bulk and one by one")
            if r in self.row_info:
                raise RuntimeError(f"row {r + 1} has row options and bulk cells")
        lo, hi = self.dim_rowmin, self.dim_rowmax  # type: ignore[has-type]
        try:
            if lo is not None and lo < first:
                self.dim_rowmax = first - 1
                super()._write_rows()
            self._fast.seek(0)
            shutil.copyfileobj(self._fast, self.fh, _CHUNK)
            if hi is not None and hi > last:
                self.dim_rowmin, self.dim_rowmax = last + 1, hi
                super()._write_rows()
        finally:
            self.dim_rowmin, self.dim_rowmax = lo, hi  # type: ignore[has-type]
            self._fast.close()
            self._fast = None


def splice_workbook(path: Path, wb: Any) -> None:
    """Put the compressed slices of every sheet of ``wb`` that has them (see
    :meth:`FastSheet.append_spliced`) into the closed workbook file at ``path``: the
    sheet's XML becomes one deflate stream of (its head, the slices, its tail), the other
    members are copied as they are. Replaces ``path`` in one step."""
    spliced = {
        _MARKER.format(id(ws)).encode(): ws._spliced
        for ws in wb.worksheets()
        if getattr(ws, "_spliced", None)
    }
    if not spliced:
        return
    from pipeline.outputs.zip_splice import rewrite_members

    def member(name: str, xml: bytes) -> list[Any] | None:
        for marker, chunks in spliced.items():
            at = xml.find(marker)
            if at >= 0:
                return [xml[:at], *chunks, xml[at + len(marker) :]]
        return None

    rewrite_members(path, member, lambda name: name.startswith("xl/worksheets/sheet"))


def _is_na(v: Any) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


# ------------------------------------------------------------------ the probe
# The fast path writes through xlsxwriter internals (``_write_rows``, ``_check_dimensions``,
# ``_convert_date_time``, ``Format._get_xf_index``, the ``table``/``row_info``/``dim_row*``
# attributes and the ``fh`` the sheet XML goes to) as they are in the 3.3 line, the one
# pinned in pyproject.toml and checked by tests. At import, a tiny workbook is written
# through it and its sheet XML checked; if anything differs (another xlsxwriter version
# installed by hand), every sheet is written through xlsxwriter's public ``write_*``
# methods instead: the same cells, slower, and one Chinese line on stderr says so.
CHECKED_XLSXWRITER = "3.3"


def _probe() -> str:
    """ "" when the fast path works with the installed xlsxwriter, else why not."""
    try:
        import xlsxwriter

        for owner, name in (
            (Worksheet, "_write_rows"),
            (Worksheet, "_check_dimensions"),
            (Worksheet, "_convert_date_time"),
            (Format, "_get_xf_index"),
        ):
            if not callable(getattr(owner, name, None)):
                return f"{owner.__name__}.{name} missing"
        buf = io.BytesIO()
        wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False})
        wb.worksheet_class = FastSheet
        ws = wb.add_worksheet()
        if not isinstance(ws, FastSheet):
            return "worksheet_class hook ignored"
        fmt = wb.add_format({"bold": True})
        ws.write_string(0, 0, "表头", fmt)
        ws.append_rows(1, [["文字", 1.5, dt.date(2026, 9, 1)]], [fmt, None, None], [None, None, fmt])
        ws.write_number(2, 1, 7)
        wb.close()
        with zipfile.ZipFile(buf) as z:
            xml = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
        expected = (
            '<dimension ref="A1:C3"/>',
            '<row r="2"><c r="A2" s="1" t="inlineStr"><is><t>文字</t></is></c><c r="B2"><v>1.5</v></c>'
            '<c r="C2" s="1"><v>46266</v></c></row>',
            '<c r="B3"><v>7</v></c>',
        )
        for part in expected:
            if part not in xml:
                return f"sheet XML differs: {part} not found"
    except Exception as exc:  # any failure of the internals means: do not use them
        return f"{type(exc).__name__}: {exc}"
    return ""


def _fall_back(reason: str) -> None:
    """Write every sheet the plain way from now on, and say so once (Chinese, stderr)."""
    global FAST
    FAST = False
    import xlsxwriter

    print(
        f"提示：已安装的 xlsxwriter {xlsxwriter.__version__} 与本程序核对过的 {CHECKED_XLSXWRITER} 版不一致"
        f"（{reason}），改用较慢的标准写法，结果相同。重新安装本程序可恢复原来的速度。",
        file=sys.stderr,
    )


_PROBLEM = _probe()
if _PROBLEM:
    _fall_back(_PROBLEM)
