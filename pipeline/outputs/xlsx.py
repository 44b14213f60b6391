"""Shared xlsxwriter settings and formats for every workbook the project writes."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.workbook import Workbook

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
        "title": wb.add_format({**base, "bold": True, "font_size": 16}),
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
        "bold": wb.add_format({**base, "bold": True}),
        "error": wb.add_format({**base, "border": 1, "text_wrap": True, "bg_color": "#FF9999"}),
        "error_date": wb.add_format({**base, "border": 1, "bg_color": "#FF9999", "num_format": "yyyy-mm-dd"}),
        "notice": wb.add_format({**base, "border": 1, "text_wrap": True, "bg_color": "#FFEB84"}),
        "notice_date": wb.add_format(
            {**base, "border": 1, "bg_color": "#FFEB84", "num_format": "yyyy-mm-dd"}
        ),
        "percent": wb.add_format({**base, "border": 1, "num_format": "0.0%"}),
        "int": wb.add_format({**base, "border": 1, "num_format": "0"}),
    }


def print_setup(ws: Any, header_rows: int = 1, landscape: bool = True) -> None:
    """A4, landscape by default, header rows repeated on every printed page."""
    ws.set_paper(9)
    if landscape:
        ws.set_landscape()
    ws.repeat_rows(0, header_rows - 1)
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    ws.set_footer("&C第 &P 页，共 &N 页")


_SECTION_RE = re.compile("^[一二三四五六七八九十]+、")


def write_guide(wb: Workbook, fmt: dict[str, Any], sheet_name: str, text: str) -> None:
    """A 填报说明 sheet from rendered guide text: the first line as the title, section
    lines (一、二、…) bold, A4 portrait."""
    guide = wb.add_worksheet(sheet_name)
    guide.set_column(0, 0, 110)
    for i, line in enumerate(text.strip().splitlines()):
        style = "title" if i == 0 else ("bold" if _SECTION_RE.match(line) else "text")
        guide.write_string(i, 0, line, fmt[style])
    print_setup(guide, header_rows=1, landscape=False)
