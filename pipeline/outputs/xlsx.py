"""Shared xlsxwriter settings and formats for every workbook the project writes."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.workbook import Workbook

from pipeline.outputs import print_layout as P
from pipeline.outputs.fast_sheet import FastSheet

# User text must never become a formula, a link or a number.
WORKBOOK_OPTIONS: dict[str, Any] = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "default_date_format": "yyyy-mm-dd",
}

FONT = "宋体"
FIXED_CREATED = dt.datetime(2000, 1, 1)


def new_workbook(path: Path | str, large: bool = False, saved: dt.datetime | None = None) -> Workbook:
    """A workbook whose sheets are :class:`FastSheet` (bulk rows, issue 6). ``large``:
    assemble each sheet's XML in a temporary file rather than in memory (the ledger).
    ``saved`` (timezone-aware): the last-saved time the file records (xlsxwriter writes
    its creation date as both ``dcterms:created`` and ``dcterms:modified``); the demo and
    the tests date their returned workbooks this way, as Excel would."""
    opts = dict(WORKBOOK_OPTIONS)
    if not large:
        opts["in_memory"] = True  # no temporary file per sheet
    wb = xlsxwriter.Workbook(str(path), opts)
    wb.worksheet_class = FastSheet
    # Fixed document properties: the same inputs give byte-identical workbooks, so a
    # regenerated demo or template does not show up as changed in version control.
    created = saved.astimezone(dt.UTC).replace(tzinfo=None) if saved is not None else FIXED_CREATED
    wb.set_properties({"author": "公开承诺汇总程序", "created": created})
    return wb


def formats(wb: Workbook) -> dict[str, Any]:
    base = {"font_name": FONT, "font_size": 11, "valign": "vcenter"}
    return {
        "title": wb.add_format({**base, "bold": True, "font_size": 16, "text_wrap": True}),
        "header": wb.add_format(
            {
                **base,
                "bold": True,
                "bg_color": "#D9E1F2",
                "border": 1,
                "text_wrap": True,
                "align": "center",
                "locked": True,
            }
        ),
        "cell": wb.add_format({**base, "border": 1, "text_wrap": True}),
        "locked": wb.add_format(
            {**base, "border": 1, "text_wrap": True, "locked": True, "bg_color": "#F2F2F2"}
        ),
        "input": wb.add_format({**base, "border": 1, "text_wrap": True, "locked": False}),
        "input_date": wb.add_format({**base, "border": 1, "locked": False, "num_format": "yyyy-mm-dd"}),
        "date": wb.add_format({**base, "border": 1, "num_format": "yyyy-mm-dd"}),
        "text": wb.add_format({**base, "text_wrap": True}),
        "bold_wrap": wb.add_format({**base, "bold": True, "text_wrap": True}),
        "bold": wb.add_format({**base, "bold": True}),
        "error": wb.add_format({**base, "border": 1, "text_wrap": True, "bg_color": "#FF9999"}),
        "error_date": wb.add_format({**base, "border": 1, "bg_color": "#FF9999", "num_format": "yyyy-mm-dd"}),
        "notice": wb.add_format({**base, "border": 1, "text_wrap": True, "bg_color": "#FFEB84"}),
        "notice_date": wb.add_format(
            {**base, "border": 1, "bg_color": "#FFEB84", "num_format": "yyyy-mm-dd"}
        ),
        "input_error": wb.add_format(
            {**base, "border": 1, "text_wrap": True, "locked": False, "bg_color": "#FF9999"}
        ),
        "input_error_date": wb.add_format(
            {**base, "border": 1, "locked": False, "bg_color": "#FF9999", "num_format": "yyyy-mm-dd"}
        ),
        "input_notice": wb.add_format(
            {**base, "border": 1, "text_wrap": True, "locked": False, "bg_color": "#FFEB84"}
        ),
        "input_notice_date": wb.add_format(
            {**base, "border": 1, "locked": False, "bg_color": "#FFEB84", "num_format": "yyyy-mm-dd"}
        ),
        "percent": wb.add_format({**base, "border": 1, "num_format": "0.0%"}),
        "int": wb.add_format({**base, "border": 1, "num_format": "0"}),
    }


def print_setup(ws: Any, widths: Sequence[float], header_rows: int = 1, id_cols: int = 2) -> None:
    """A4 page setup for a sheet of columns ``widths`` (``pipeline.outputs.print_layout``):
    portrait or landscape, scaled only while readable, header rows repeated, page footer."""
    P.setup_page(ws, widths, header_rows=header_rows, id_cols=id_cols)


_SECTION_RE = re.compile("^[一二三四五六七八九十]+、")

# The guide's one column: as wide as a portrait page prints.
GUIDE_WIDTH = (P.printable_width(False) / 0.75 - P.COL_PADDING_PX) / P.PX_PER_UNIT - 6


def write_notes(ws: Any, lines: Sequence[str], fmt: dict[str, Any], style: str = "bold_wrap") -> None:
    """Lines of text, one a row, in one column as wide as a portrait page, each row as
    high as its wrapped line (a sheet of remarks)."""
    ws.set_column(0, 0, GUIDE_WIDTH)
    for i, line in enumerate(lines):
        ws.write_string(i, 0, line, fmt[style])
        ws.set_row(i, P.lines_height(P.line_count(line, GUIDE_WIDTH)))
    P.apply_page(ws, P.PagePlan(landscape=False, fit_to_width=False, scale=1.0, repeat_cols=0), header_rows=0)


def write_guide(wb: Workbook, fmt: dict[str, Any], sheet_name: str, text: str) -> None:
    """A 填报说明 sheet from rendered guide text: the first line as the title, section
    lines (一、二、…) bold, each row as high as its wrapped line; one column as wide as a
    portrait A4 page."""
    guide = wb.add_worksheet(sheet_name)
    guide.set_column(0, 0, GUIDE_WIDTH)
    for i, line in enumerate(text.strip().splitlines()):
        style = "title" if i == 0 else ("bold_wrap" if _SECTION_RE.match(line) else "text")
        guide.write_string(i, 0, line, fmt[style])
        if style == "title":
            n = P.line_count(line, GUIDE_WIDTH / P.TITLE_RATIO)
            guide.set_row(i, max(P.TITLE_ROW_PT, n * P.LINE_PT * P.TITLE_RATIO + P.ROW_PAD_PT))
        else:
            guide.set_row(i, P.lines_height(P.line_count(line, GUIDE_WIDTH)))
    P.apply_page(
        guide, P.PagePlan(landscape=False, fit_to_width=False, scale=1.0, repeat_cols=0), header_rows=0
    )
