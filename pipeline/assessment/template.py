"""Write the evaluation workbook (考核评价表) for each roster unit.

One xlsxwriter workbook per unit (``pipeline.outputs.xlsx.new_workbook``: user text never
becomes a formula): 填报说明 (from ``templates/eval_guide.txt.j2``), 党员评议 prefilled
from the roster (述职 dropdown, whole-number validation on every count), 单位测评 (the
unit's satisfaction counts and the secretary's 述职) and a hidden ``_meta`` sheet.
:class:`EvalFill` writes filled-in values instead (demo, tests).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.assessment import layout as A
from pipeline.core.settings import PHASE_LABELS, Settings
from pipeline.infra.atomic import atomic_path
from pipeline.outputs.jinja import render
from pipeline.outputs.print_layout import row_height
from pipeline.outputs.xlsx import formats, new_workbook, print_setup, write_guide
from pipeline.read.layout import SheetLayout
from pipeline.read.textnorm import safe_cell_text
from pipeline.rules.roster import Roster


@dataclass(frozen=True)
class EvalForm:
    """What one unit's evaluation workbook needs."""

    unit_code: str
    unit_name: str
    unit_type: str
    secretary: str
    members: tuple[tuple[str, str, str], ...]  # (member_id, name, category)


@dataclass
class EvalFill:
    """Filled-in content: rows map field names of :mod:`.layout` to values (any type, so
    tests and the demo can write text or negative counts). ``member_rows`` replaces the
    roster prefill; ``meta=False`` leaves ``_meta`` out."""

    member_rows: list[dict[str, Any]] = field(default_factory=list)
    unit_row: dict[str, Any] = field(default_factory=dict)
    meta: bool = True
    year: int | None = None  # campaign_year written to _meta (default: the settings' year)


def eval_forms(roster: Roster) -> list[EvalForm]:
    by_unit = {code: grp for code, grp in roster.members.groupby("unit_code", sort=False)}
    out = []
    for u in roster.units.itertuples(index=False):
        m = by_unit.get(u.unit_code)
        members = () if m is None else tuple(zip(m["member_id"], m["name"], m["category"], strict=True))
        out.append(EvalForm(u.unit_code, u.unit_name, u.unit_type, roster.secretary_of(u.unit_code), members))
    return out


def _write_value(ws: Any, r: int, c: int, value: Any, fmt: dict[str, Any]) -> None:
    if value is None or value == "":
        return
    if isinstance(value, bool):
        ws.write_boolean(r, c, value, fmt["input"])
    elif isinstance(value, int | float):
        ws.write_number(r, c, value, fmt["input"])
    elif isinstance(value, dt.date):
        ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), fmt["input_date"])
    else:
        ws.write_string(r, c, safe_cell_text(str(value)), fmt["input"])


def _header(ws: Any, sheet: SheetLayout, fmt: dict[str, Any]) -> None:
    for j, col in enumerate(sheet.columns):
        ws.write_string(0, j, col.header, fmt["header"])
        ws.set_column(j, j, col.width)
    ws.set_row(0, row_height(sheet.headers, [c.width for c in sheet.columns]) or 24)
    ws.freeze_panes(1, 0)


def _input_area(ws: Any, sheet: SheetLayout, last: int, fmt: dict[str, Any]) -> None:
    """Unlock rows 1..last, with the 述职 dropdown and whole-number checks on counts."""
    for j in range(len(sheet.columns)):
        for r in range(1, last + 1):
            ws.write_blank(r, j, None, fmt["input"])
    for j, col in enumerate(sheet.columns):
        if col.kind == "choice":
            ws.data_validation(
                1,
                j,
                last,
                j,
                {
                    "validate": "list",
                    "source": list(A.DUTY_CHOICES),
                    "ignore_blank": True,
                    "input_title": col.header,
                    "input_message": "请选择“是”或“否”",
                    "error_title": "输入有误",
                    "error_message": "请从下拉列表中选择“是”或“否”",
                    "error_type": "stop",
                },
            )
        elif col.kind == "count":
            ws.data_validation(
                1,
                j,
                last,
                j,
                {
                    "validate": "integer",
                    "criteria": ">=",
                    "value": 0,
                    "ignore_blank": True,
                    "input_title": col.header[:32],
                    "input_message": "请填写票数（整数），没有票填 0",
                    "error_title": "票数有误",
                    "error_message": "票数应为不小于 0 的整数",
                    "error_type": "stop",
                },
            )


def _protect(ws: Any) -> None:
    # No password: the lock protects headers from accidents, not from people.
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


def _rows(ws: Any, sheet: SheetLayout, rows: list[dict[str, Any]], fmt: dict[str, Any]) -> None:
    for i, row in enumerate(rows, start=1):
        for f, v in row.items():
            _write_value(ws, i, sheet.index(f), v, fmt)


def write_eval_template(form: EvalForm, s: Settings, path: Path, fill: EvalFill | None = None) -> None:
    with atomic_path(path) as tmp:
        wb = new_workbook(tmp)
        fmt = formats(wb)

        text = render(
            "eval_guide.txt.j2",
            settings=s,
            unit_code=form.unit_code,
            unit_name=form.unit_name,
            unit_type=form.unit_type,
            phases=PHASE_LABELS,
        )
        write_guide(wb, fmt, A.SHEET_GUIDE, text)

        sheet = A.MEMBER_EVAL_SHEET
        ws = wb.add_worksheet(sheet.name)
        _header(ws, sheet, fmt)
        if fill is not None:
            rows = fill.member_rows
        else:
            rows = [
                {"seq": i, "member_id": mid, "name": name, "category": cat}
                for i, (mid, name, cat) in enumerate(form.members, start=1)
            ]
        _input_area(ws, sheet, len(rows) + A.MEMBER_ROWS_EXTRA, fmt)
        _rows(ws, sheet, rows, fmt)
        print_setup(ws, [c.width for c in sheet.columns], id_cols=3)
        _protect(ws)

        sheet = A.UNIT_EVAL_SHEET
        ws = wb.add_worksheet(sheet.name)
        _header(ws, sheet, fmt)
        _input_area(ws, sheet, 1, fmt)
        unit_row: dict[str, Any] = {
            "unit_code": form.unit_code,
            "unit_name": form.unit_name,
            "secretary": form.secretary,
        }
        if fill is not None:
            unit_row.update(fill.unit_row)
        _rows(ws, sheet, [unit_row], fmt)
        print_setup(ws, [c.width for c in sheet.columns], id_cols=3)
        _protect(ws)

        wb.get_worksheet_by_name(A.SHEET_MEMBERS).activate()
        if fill is None or fill.meta:
            meta = wb.add_worksheet(A.SHEET_META)
            year = fill.year if fill is not None and fill.year is not None else s.year
            values = (
                str(A.EVAL_TEMPLATE_VERSION),
                str(year),
                form.unit_code,
                form.unit_name,
                form.unit_type,
                A.FORM_EVAL,
            )
            for i, (k, v) in enumerate(zip(A.META_KEYS, values, strict=True)):
                meta.write_string(i, 0, k)
                meta.write_string(i, 1, v)
            meta.hide()
            meta.protect()
        wb.close()


def write_eval_templates(roster: Roster, s: Settings, out_dir: Path) -> list[Path]:
    """One evaluation workbook per roster unit (a few ms each: no process pool needed)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for form in eval_forms(roster):
        path = out_dir / A.eval_filename(form.unit_code, form.unit_name)
        write_eval_template(form, s, path)
        paths.append(path)
    return paths
