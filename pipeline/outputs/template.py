"""Write the standard pledge workbook (公开承诺事项表) for each roster unit.

One xlsxwriter workbook per unit: 填报说明 (rendered from ``templates/guide.txt.j2`` with
this year's quotas and dates), 党员承诺 prefilled from the roster, 组织承诺, 履诺计划,
履诺记实 and a hidden ``_meta`` sheet that identifies the workbook by content.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.core.settings import PHASE_LABELS, Settings
from pipeline.infra.atomic import atomic_path
from pipeline.infra.parallel import pool_map
from pipeline.outputs.jinja import render
from pipeline.outputs.print_layout import row_height
from pipeline.outputs.xlsx import formats, new_workbook, print_setup, write_guide
from pipeline.read import layout as L
from pipeline.read.textnorm import safe_cell_text
from pipeline.rules.roster import Roster

INPUT_ROWS_EXTRA = 30  # unlocked blank rows below the prefilled ones, for additions
META_KEYS = ("template_version", "campaign_year", "unit_code", "unit_name", "unit_type", "form")
FORM_PLEDGE = "公开承诺事项表"


@dataclass
class Fill:
    """Content for a filled-in workbook (demo campaign, benchmarks, tests).

    Rows map field names (see ``pipeline.read.layout``) to values; ``member_rows`` replaces the
    roster prefill. ``version`` writes an older layout; ``meta=False`` leaves ``_meta`` out.
    ``saved`` (timezone-aware) is the last-saved time the workbook records, as if a unit
    had saved it then in Excel (see :func:`pipeline.outputs.xlsx.new_workbook`).
    """

    member_rows: list[dict[str, Any]] = field(default_factory=list)
    org_rows: list[dict[str, Any]] = field(default_factory=list)
    log_rows: list[dict[str, Any]] = field(default_factory=list)
    plan_rows: list[dict[str, Any]] = field(default_factory=list)
    version: int = L.TEMPLATE_VERSION
    meta: bool = True
    saved: dt.datetime | None = None


def _write_value(ws: Any, r: int, c: int, value: Any, fmt: dict[str, Any]) -> None:
    if value is None or value == "":
        return
    if isinstance(value, dt.datetime | dt.date):
        ws.write_datetime(
            r,
            c,
            value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time()),
            fmt["input_date"],
        )
    elif isinstance(value, bool):
        ws.write_boolean(r, c, value, fmt["input"])
    elif isinstance(value, int | float):
        ws.write_number(r, c, value, fmt["input"])
    else:
        ws.write_string(r, c, safe_cell_text(str(value)), fmt["input"])


def _write_rows(ws: Any, sheet: L.SheetLayout, rows: list[dict[str, Any]], fmt: dict[str, Any]) -> None:
    widths = [c.width for c in sheet.columns]
    for i, row in enumerate(rows, start=1):
        values: list[Any] = [None] * len(sheet.columns)
        for f, v in row.items():
            _write_value(ws, i, sheet.index(f), v, fmt)
            values[sheet.index(f)] = v
        if h := row_height(values, widths):
            ws.set_row(i, h)


@dataclass(frozen=True)
class UnitForm:
    """Everything one unit's template needs (picklable, for worker processes)."""

    unit_code: str
    unit_name: str
    unit_type: str
    members: tuple[tuple[str, str], ...]  # (member_id, name)


def unit_forms(roster: Roster) -> list[UnitForm]:
    by_unit = {code: grp for code, grp in roster.members.groupby("unit_code", sort=False)}
    forms = []
    for u in roster.units.itertuples(index=False):
        m = by_unit.get(u.unit_code, pd.DataFrame(columns=["member_id", "name"]))
        forms.append(
            UnitForm(
                u.unit_code, u.unit_name, u.unit_type, tuple(zip(m["member_id"], m["name"], strict=True))
            )
        )
    return forms


def _protect(ws: Any) -> None:
    # No password: the lock protects headers from accidents, not from people.
    ws.protect(
        "",
        {
            "insert_rows": True,
            "delete_rows": True,
            "format_columns": True,
            "format_rows": True,
            "autofilter": True,
            "sort": True,
            "select_locked_cells": True,
            "select_unlocked_cells": True,
        },
    )


def _header(ws: Any, sheet: L.SheetLayout, fmt: dict[str, Any]) -> None:
    for j, col in enumerate(sheet.columns):
        ws.write_string(0, j, col.header, fmt["header"])
        ws.set_column(j, j, col.width)
    ws.set_row(0, row_height(sheet.headers, [c.width for c in sheet.columns]) or 24)
    ws.freeze_panes(1, 0)


def _list_validation(
    ws: Any, first: int, last: int, col: int, values: Sequence[str] | str, title: str
) -> None:
    source = values if isinstance(values, str) else list(values)
    ws.data_validation(
        first,
        col,
        last,
        col,
        {
            "validate": "list",
            "source": source,
            "ignore_blank": True,
            "input_title": title[:32],
            "input_message": "请从下拉列表中选择",
            "error_title": "输入有误",
            "error_message": "请从下拉列表中选择",
            "error_type": "warning",
        },
    )


def _date_validation(
    ws: Any, first: int, last: int, col: int, start: dt.date, end: dt.date, title: str
) -> None:
    ws.data_validation(
        first,
        col,
        last,
        col,
        {
            "validate": "date",
            "criteria": "between",
            "minimum": start,
            "maximum": end,
            "ignore_blank": True,
            "input_title": title[:32],
            "input_message": f"请填写 {start:%Y-%m-%d} 至 {end:%Y-%m-%d} 之间的日期，如 {start.year}-10-15",
            "error_title": "日期有误",
            "error_message": f"日期应在 {start:%Y-%m-%d} 至 {end:%Y-%m-%d} 之间",
            "error_type": "warning",
        },
    )


def _input_area(
    ws: Any, sheet: L.SheetLayout, first: int, last: int, fmt: dict[str, Any], s: Settings
) -> None:
    """Unlock and format the input rows, with dropdowns and date checks."""
    for j, col in enumerate(sheet.columns):
        f = fmt["input_date"] if col.kind == "date" else fmt["input"]
        for r in range(first, last + 1):
            ws.write_blank(r, j, None, f)
    lo, hi = s.deadline_window
    for j, col in enumerate(sheet.columns):
        if col.field == "kind":
            _list_validation(ws, first, last, j, L.KINDS, col.header)
        elif col.field == "review":
            _list_validation(ws, first, last, j, L.REVIEWS, col.header)
        elif col.field == "progress":
            _list_validation(ws, first, last, j, L.PROGRESSES, col.header)
        elif col.field == "deadline" or col.field == "planned_on":
            _date_validation(ws, first, last, j, lo, hi, col.header)
        elif col.field in ("done_on", "actual_on", "date"):
            _date_validation(ws, first, last, j, s.pledge.start, s.assess.end, col.header)


def _refs(form: UnitForm, s: Settings) -> list[str]:
    n_member = len(form.members) * (s.member_deeds.max + s.member_faults.max)
    return [f"{L.REF_MEMBER}-{i}" for i in range(1, n_member + 1)] + [
        f"{L.REF_ORG}-{i}" for i in range(1, s.org_pledges.max + 1)
    ]


def write_template(
    form: UnitForm,
    s: Settings,
    path: Path,
    fill: Fill | None = None,
    first: Callable[[Any, dict[str, Any]], None] | None = None,
    each_sheet: Callable[[Any, dict[str, Any], str, Any], None] | None = None,
) -> None:
    """One unit's workbook. ``first(wb, fmt)`` adds sheets before the guide (and the first
    sheet is then the active one); ``each_sheet(wb, fmt, name, ws)`` runs on every data
    sheet once it is filled (the feedback workbook marks its cells there)."""
    version = fill.version if fill else L.TEMPLATE_VERSION
    with atomic_path(path) as tmp:
        wb = new_workbook(tmp, saved=fill.saved if fill else None)
        fmt = formats(wb)
        if first is not None:
            first(wb, fmt)

        text = render(
            "guide.txt.j2",
            settings=s,
            unit_code=form.unit_code,
            unit_name=form.unit_name,
            unit_type=form.unit_type,
            phases=PHASE_LABELS,
        )
        write_guide(wb, fmt, L.SHEET_GUIDE, text)

        # 党员承诺: prefilled rows per member.
        ws = wb.add_worksheet(L.SHEET_MEMBER)
        sheet = L.MEMBER_SHEET
        _header(ws, sheet, fmt)
        per_member = [L.KIND_DEED] * s.member_deeds.max + [L.KIND_FAULT] * s.member_faults.max
        n_rows = len(form.members) * len(per_member)
        if fill:
            n_rows = len(fill.member_rows)
        last = n_rows + INPUT_ROWS_EXTRA
        _input_area(ws, sheet, 1, last, fmt, s)
        if fill:
            _write_rows(ws, sheet, fill.member_rows, fmt)
        else:
            r = 1
            for member_id, name in form.members:
                for kind in per_member:
                    ws.write_number(r, sheet.index("seq"), r, fmt["input"])
                    ws.write_string(r, sheet.index("member_id"), member_id, fmt["input"])
                    ws.write_string(r, sheet.index("name"), name, fmt["input"])
                    ws.write_string(r, sheet.index("kind"), kind, fmt["input"])
                    r += 1
        ws.autofilter(0, 0, last, len(sheet.columns) - 1)
        print_setup(ws, [c.width for c in sheet.columns], id_cols=3)
        _protect(ws)
        if each_sheet is not None:
            each_sheet(wb, fmt, sheet.name, ws)

        # 组织承诺: numbered rows up to the quota maximum.
        ws = wb.add_worksheet(L.SHEET_ORG)
        sheet = L.ORG_SHEET
        _header(ws, sheet, fmt)
        last = max(s.org_pledges.max, len(fill.org_rows) if fill else 0) + 5
        _input_area(ws, sheet, 1, last, fmt, s)
        for i in range(1, s.org_pledges.max + 1):
            ws.write_number(i, sheet.index("seq"), i, fmt["input"])
        if fill:
            _write_rows(ws, sheet, fill.org_rows, fmt)
        print_setup(ws, [c.width for c in sheet.columns], id_cols=3)
        _protect(ws)
        if each_sheet is not None:
            each_sheet(wb, fmt, sheet.name, ws)

        refs = _refs(form, s)
        ref_source = f"=_meta!$D$2:$D${len(refs) + 1}"
        for sheet, rows, content in (
            (L.PLAN_SHEET, L.PLAN_ROWS, fill.plan_rows if fill else []),
            (L.LOG_SHEET, L.LOG_ROWS, fill.log_rows if fill else []),
        ):
            if sheet.since_version > version:
                continue
            rows = max(rows, len(content) + 20)
            ws = wb.add_worksheet(sheet.name)
            _header(ws, sheet, fmt)
            _input_area(ws, sheet, 1, rows, fmt, s)
            _list_validation(ws, 1, rows, sheet.index("pledge_ref"), ref_source, "承诺序号")
            _write_rows(ws, sheet, content, fmt)
            print_setup(ws, [c.width for c in sheet.columns], id_cols=3)
            _protect(ws)
            if each_sheet is not None:
                each_sheet(wb, fmt, sheet.name, ws)

        (wb.worksheets()[0] if first is not None else wb.get_worksheet_by_name(L.SHEET_MEMBER)).activate()
        if fill is not None and not fill.meta:
            wb.close()
            return
        meta = wb.add_worksheet(L.SHEET_META)
        values = (str(version), str(s.year), form.unit_code, form.unit_name, form.unit_type, FORM_PLEDGE)
        for i, (k, v) in enumerate(zip(META_KEYS, values, strict=True)):
            meta.write_string(i, 0, k)
            meta.write_string(i, 1, v)
        meta.write_string(0, 3, "pledge_refs")
        for i, ref in enumerate(refs, start=1):
            meta.write_string(i, 3, ref)
        meta.hide()
        meta.protect()
        wb.close()


def _write_one(args: tuple[UnitForm, Settings, Path]) -> Path:
    form, s, out_dir = args
    path = out_dir / L.template_filename(form.unit_code, form.unit_name)
    write_template(form, s, path)
    return path


def write_templates(roster: Roster, s: Settings, out_dir: Path, workers: int | None = None) -> list[Path]:
    """Write one template per roster unit; uses all cores when there are many units."""
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = [(f, s, out_dir) for f in unit_forms(roster)]
    # worker processes as everywhere else (fork where available, spawn on Windows; they die
    # with this process): pipeline.infra.parallel
    return pool_map(_write_one, jobs, min_items=50, workers=workers, chunksize=16)
