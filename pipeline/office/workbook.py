"""Write an office workbook (:class:`pipeline.office.forms.OfficeForm`).

The same conventions as the pledge and evaluation templates: 填报说明 first, the data
sheet with locked grey prefilled columns and unlocked input columns, dropdowns on the
choice columns, date validation, A4 landscape with the header repeated, a protected
sheet without password, and a hidden, protected ``_meta`` (form, version, campaign year,
scope key). Prefilled rows come from the ledger; earlier decisions may be carried in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pipeline.core.settings import Settings
from pipeline.infra.atomic import atomic_path
from pipeline.office import forms as O
from pipeline.outputs.xlsx import formats, new_workbook, print_setup, write_guide
from pipeline.read.textnorm import safe_cell_text


def _value(ws: Any, r: int, c: int, v: Any, style: Any, date_style: Any) -> None:
    if v is None or v == "":
        ws.write_blank(r, c, None, style)
    elif isinstance(v, bool):
        ws.write_string(r, c, "是" if v else "否", style)
    elif isinstance(v, int | float):
        ws.write_number(r, c, v, style)
    elif isinstance(v, dt.datetime):
        ws.write_datetime(r, c, v, date_style)
    elif isinstance(v, dt.date):
        ws.write_datetime(r, c, dt.datetime.combine(v, dt.time()), date_style)
    else:
        ws.write_string(r, c, safe_cell_text(str(v)), style)


GUIDE_LINE = 46  # CJK characters per printed line of a 填报说明 sheet (A4 portrait, column width 110)


def wrap_guide(text: str, width: int = GUIDE_LINE) -> str:
    """Break long guide lines so that none wraps inside its cell (the guide sheet has
    fixed row heights): ASCII counts as half a character; the title line is not broken."""
    out: list[str] = []
    for i, line in enumerate(text.strip().splitlines()):
        if i == 0:
            out.append(line)
            continue
        cur, n = "", 0.0
        for ch in line:
            w = 0.5 if ord(ch) < 128 else 1.0
            if n + w > width and cur:
                out.append(cur)
                cur, n = "　", 1.0  # a continuation line, indented
            cur += ch
            n += w
        out.append(cur)
    return "\n".join(out)


def _row_height(row: Mapping[str, Any], form: O.OfficeForm) -> float:
    """Wrapped text needs a row height we compute (xlsxwriter does not autofit)."""
    lines = 1
    for col in form.sheet.columns:
        text = row.get(col.field)
        if isinstance(text, str) and text:
            per_line = max(int(col.width / 1.9), 1)  # CJK characters per line at this width
            lines = max(lines, -(-len(text) // per_line))
    return min(15.0 * lines + 3, 200.0)


def write_office_workbook(
    path: Path,
    form: O.OfficeForm,
    settings: Settings,
    rows: Sequence[Mapping[str, Any]],
    guide: str,
    key: str = "",
    key_name: str = "",
    blank_rows: int = 0,
    lists: Mapping[str, Sequence[str]] | None = None,
    meta: bool = True,
) -> None:
    """``rows``: field -> value (prefilled and, for demo/tests or carried decisions,
    input fields). ``key``: the scope key written to ``_meta`` (unit code or leader).
    ``blank_rows``: unlocked empty rows after the prefilled ones (forms filled freely).
    ``lists``: extra dropdown lists for text columns (e.g. a leader's unit codes)."""
    sheet = form.sheet
    lists = dict(lists or {})
    with atomic_path(path) as tmp:
        wb = new_workbook(tmp)
        fmt = formats(wb)
        write_guide(wb, fmt, O.SHEET_GUIDE, wrap_guide(guide))
        ws = wb.add_worksheet(sheet.name)
        for j, col in enumerate(sheet.columns):
            ws.write_string(0, j, col.header, fmt["header"])
            ws.set_column(j, j, col.width)
        ws.set_row(0, 32)
        ws.freeze_panes(1, 0)
        locked_date = wb.add_format(
            {
                "font_name": "宋体",
                "font_size": 11,
                "valign": "vcenter",
                "border": 1,
                "locked": True,
                "bg_color": "#F2F2F2",
                "num_format": "yyyy-mm-dd",
            }
        )
        last = len(rows) + blank_rows
        for i in range(1, last + 1):
            row = rows[i - 1] if i <= len(rows) else {}
            for j, col in enumerate(sheet.columns):
                locked = col.field in form.prefilled and i <= len(rows)
                style = fmt["locked"] if locked else fmt["input"]
                date_style = locked_date if locked else fmt["input_date"]
                _value(ws, i, j, row.get(col.field), style, date_style)
            if i <= len(rows):
                ws.set_row(i, _row_height(row, form))
        if last:
            for j, col in enumerate(sheet.columns):
                source: Sequence[str] | None = None
                if col.field in form.choices and col.field not in form.prefilled:
                    source = form.choices[col.field][0]
                elif col.field in lists:
                    source = lists[col.field]
                if source:
                    ws.data_validation(
                        1,
                        j,
                        last,
                        j,
                        {
                            "validate": "list",
                            "source": list(source),
                            "ignore_blank": True,
                            "input_title": col.header[:32],
                            "input_message": "请从下拉列表中选择",
                            "error_title": "输入有误",
                            "error_message": "请从下拉列表中选择",
                            "error_type": "stop",
                        },
                    )
                elif col.kind == "date" and col.field not in form.prefilled:
                    ws.data_validation(
                        1,
                        j,
                        last,
                        j,
                        {
                            "validate": "date",
                            "criteria": "between",
                            "minimum": dt.datetime(settings.year - 1, 1, 1),
                            "maximum": dt.datetime(settings.year + 2, 12, 31),
                            "ignore_blank": True,
                            "input_title": col.header[:32],
                            "input_message": "日期，例如 2026-12-20",
                            "error_title": "日期有误",
                            "error_message": "请填写日期，例如 2026-12-20",
                            "error_type": "stop",
                        },
                    )
                elif col.kind == "score" and col.field not in form.prefilled:
                    ws.data_validation(
                        1,
                        j,
                        last,
                        j,
                        {
                            "validate": "decimal",
                            "criteria": "between",
                            "minimum": 0,
                            "maximum": 100,
                            "ignore_blank": True,
                            "input_title": col.header[:32],
                            "input_message": "0 到 100 的分数，可不填",
                            "error_title": "分数有误",
                            "error_message": "请填写 0 到 100 之间的分数",
                            "error_type": "stop",
                        },
                    )
            ws.autofilter(0, 0, last, len(sheet.columns) - 1)
        print_setup(ws, [c.width for c in sheet.columns], id_cols=2)
        ws.protect(
            "",
            {
                "format_columns": True,
                "format_rows": True,
                "autofilter": True,
                "sort": True,
                "select_locked_cells": True,
                "select_unlocked_cells": True,
            },
        )
        ws.activate()
        if meta:
            m = wb.add_worksheet(O.SHEET_META)
            values = {
                "form": form.name,
                "template_version": str(O.FORM_VERSION),
                "campaign_year": str(settings.year),
                "scope": form.scope,
                "key": key,
                "key_name": key_name,
            }
            if form.scope == O.SCOPE_UNIT:
                values["unit_code"] = key
                values["unit_name"] = key_name
            for i, (k, v) in enumerate(values.items()):
                m.write_string(i, 0, k)
                m.write_string(i, 1, v)
            m.hide()
            m.protect()
        wb.close()
