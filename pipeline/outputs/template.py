"""Write the standard pledge workbook (公开承诺事项表) for each roster unit.

One xlsxwriter workbook per unit: 填报说明 (rendered from ``templates/guide.txt.j2`` with
this year's quotas and dates), 党员承诺 prefilled from the roster, 组织承诺, 履诺计划,
履诺记实 and a hidden ``_meta`` sheet that identifies the workbook by content.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.core.settings import PHASE_LABELS, Settings
from pipeline.infra.atomic import atomic_path
from pipeline.infra.parallel import pool_map
from pipeline.outputs.jinja import render
from pipeline.outputs.print_layout import row_height
from pipeline.outputs.sheet import write_cell
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


# Marks on a data sheet: (row0, col0) -> (format key, comment). The key names the text
# format ("input_error", "input_notice"); its dates take the key + "_date".
Marks = Mapping[tuple[int, int], tuple[str, str]]
COMMENT_OPTIONS = {"x_scale": 3, "y_scale": 2.5, "author": "学校活动办公室"}


def _plain_value(v: Any) -> Any:
    """A fill value as the bulk writer takes it: "" is no value (the blank input cell)."""
    return None if isinstance(v, str) and v == "" else v


def _body(
    ws: Any,
    sheet: L.SheetLayout,
    last: int,
    base: dict[int, dict[int, Any]],
    rows: list[dict[str, Any]],
    fmt: dict[str, Any],
    marks: Marks,
) -> bool:
    """Rows 1..``last`` of a data sheet in one bulk write (:meth:`FastSheet.append_rows`):
    the unlocked input cells, the template's prefill ``base`` (row -> column -> value)
    under the unit's ``rows``, and ``marks``. The same cells, formats and row heights as
    :func:`_input_area` + prefill + :func:`_write_rows` + per-cell marks, at a fraction of
    the cost (tests compare both). False, writing nothing, when a row holds a value the
    bulk writer would render differently (a boolean), so the caller writes it cell by cell."""
    n = len(sheet.columns)
    index = {c.field: j for j, c in enumerate(sheet.columns)}
    grid: list[list[Any]] = [[None] * n for _ in range(last)]
    for r, cols in base.items():
        for j, v in cols.items():
            grid[r - 1][j] = v
    heights: list[float | None] = [None] * last
    widths = [c.width for c in sheet.columns]
    text_in_date: dict[tuple[int, int], tuple[Any, Any]] = {}
    for i, row in enumerate(rows, start=1):
        values: list[Any] = [None] * n
        line = grid[i - 1]
        for f, v in row.items():
            j = index[f]
            values[j] = v
            v = _plain_value(v)
            if v is None:
                continue
            if isinstance(v, bool):
                return False
            line[j] = v
            if sheet.columns[j].kind == "date" and not isinstance(v, dt.date | int | float):
                # text in a date column keeps the text format, as write_string gave it
                text_in_date[(i, j)] = (fmt["input"], fmt["input_date"])
        heights[i - 1] = row_height(values, widths) or None
    styles = [fmt["input_date"] if c.kind == "date" else fmt["input"] for c in sheet.columns]
    marked: dict[tuple[int, int], tuple[Any, Any]] = dict(text_in_date)
    for (r, c), (key, _) in marks.items():
        if 1 <= r <= last and c < n:
            marked[(r, c)] = (fmt[key], fmt[f"{key}_date"])
    ws.append_rows(
        1,
        grid,
        styles,
        [fmt["input_date"]] * n,
        [fmt["input"]] * n,
        blank_cells=True,
        marked=marked,
        heights=heights,
    )
    return True


def _marks_by_cell(
    ws: Any, sheet: L.SheetLayout, last: int, rows: list[dict[str, Any]], fmt: dict[str, Any], marks: Marks
) -> None:
    """Marks the bulk write cannot carry (header cells, cells below the input rows), and
    every mark's comment."""
    for (r, c), (key, comment) in sorted(marks.items()):
        if r == 0:  # a header problem: the header cell carries the comment
            ws.write_string(0, c, sheet.columns[c].header, fmt[key])
        elif r > last or c >= len(sheet.columns):
            v = (
                rows[r - 1].get(sheet.columns[c].field)
                if r - 1 < len(rows) and c < len(sheet.columns)
                else None
            )
            write_cell(ws, r, c, v, fmt, key)
        ws.write_comment(r, c, comment[:30000], COMMENT_OPTIONS)


@dataclass(frozen=True)
class UnitForm:
    """Everything one unit's template needs (picklable, for worker processes)."""

    unit_code: str
    unit_name: str
    unit_type: str
    members: tuple[tuple[str, str], ...]  # (member_id, name)


def unit_forms(roster: Roster) -> list[UnitForm]:
    """Every roster unit's form, in roster order (built once per roster, from plain lists:
    a county's 50,000 members cost seconds cell by cell through pandas)."""
    return roster.memo("_unit_forms", lambda: _unit_forms(roster))


def _unit_forms(roster: Roster) -> list[UnitForm]:
    by_unit: dict[str, list[tuple[str, str]]] = {}
    m = roster.members
    for code, mid, name in zip(
        m["unit_code"].tolist(), m["member_id"].tolist(), m["name"].tolist(), strict=True
    ):
        by_unit.setdefault(code, []).append((mid, name))
    u = roster.units
    return [
        UnitForm(code, name, kind, tuple(by_unit.get(code, ())))
        for code, name, kind in zip(
            u["unit_code"].tolist(), u["unit_name"].tolist(), u["unit_type"].tolist(), strict=True
        )
    ]


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


def _input_area(ws: Any, sheet: L.SheetLayout, first: int, last: int, fmt: dict[str, Any]) -> None:
    """Unlock and format the input rows (cell by cell; :func:`_body` is the bulk form)."""
    for j, col in enumerate(sheet.columns):
        f = fmt["input_date"] if col.kind == "date" else fmt["input"]
        for r in range(first, last + 1):
            ws.write_blank(r, j, None, f)


def _validations(ws: Any, sheet: L.SheetLayout, first: int, last: int, s: Settings) -> None:
    """Dropdowns and date checks on the input rows."""
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


def _data_sheet(
    wb: Any,
    sheet: L.SheetLayout,
    last: int,
    base: dict[int, dict[int, Any]],
    rows: list[dict[str, Any]],
    fmt: dict[str, Any],
    s: Settings,
    marks: Marks,
    bulk: bool,
) -> Any:
    """One data sheet: header, input rows 1..``last`` (prefill ``base``, the unit's
    ``rows``, ``marks``), dropdowns and date checks, print setup and protection."""
    ws = wb.add_worksheet(sheet.name)
    _header(ws, sheet, fmt)
    if not (bulk and _body(ws, sheet, last, base, rows, fmt, marks)):
        _input_area(ws, sheet, 1, last, fmt)
        for r, cols in base.items():
            for j, v in cols.items():
                _write_value(ws, r, j, v, fmt)
        _write_rows(ws, sheet, rows, fmt)
        for (r, c), (key, _) in marks.items():
            if 1 <= r <= last and c < len(sheet.columns):
                v = _plain_value(rows[r - 1].get(sheet.columns[c].field)) if r - 1 < len(rows) else None
                write_cell(ws, r, c, base.get(r, {}).get(c) if v is None else v, fmt, key)
    _marks_by_cell(ws, sheet, last, rows, fmt, marks)
    _validations(ws, sheet, 1, last, s)
    return ws


def write_template(
    form: UnitForm,
    s: Settings,
    path: Path,
    fill: Fill | None = None,
    first: Callable[[Any, dict[str, Any]], None] | None = None,
    marks: Mapping[str, Marks] | None = None,
    bulk: bool = True,
) -> None:
    """One unit's workbook. ``first(wb, fmt)`` adds sheets before the guide (and the first
    sheet is then the active one); ``marks`` (sheet name -> :data:`Marks`) colours cells
    and adds their comments (the feedback workbook). ``bulk`` writes each data sheet's
    rows in one go (:meth:`FastSheet.append_rows`, inline strings); ``bulk=False`` writes
    cell by cell through xlsxwriter (shared strings, as the demo's and the tests'
    returned workbooks are saved)."""
    version = fill.version if fill else L.TEMPLATE_VERSION
    marks = marks or {}
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
        sheet = L.MEMBER_SHEET
        per_member = [L.KIND_DEED] * s.member_deeds.max + [L.KIND_FAULT] * s.member_faults.max
        base: dict[int, dict[int, Any]] = {}
        if fill:
            n_rows = len(fill.member_rows)
        else:
            n_rows = len(form.members) * len(per_member)
            cols = [sheet.index(f) for f in ("seq", "member_id", "name", "kind")]
            r = 1
            for member_id, name in form.members:
                for kind in per_member:
                    base[r] = dict(zip(cols, (r, member_id, name, kind), strict=True))
                    r += 1
        last = n_rows + INPUT_ROWS_EXTRA
        member_rows = fill.member_rows if fill else []
        ws = _data_sheet(wb, sheet, last, base, member_rows, fmt, s, marks.get(sheet.name, {}), bulk)
        ws.autofilter(0, 0, last, len(sheet.columns) - 1)
        print_setup(ws, [c.width for c in sheet.columns], id_cols=3)
        _protect(ws)

        # 组织承诺: numbered rows up to the quota maximum.
        sheet = L.ORG_SHEET
        last = max(s.org_pledges.max, len(fill.org_rows) if fill else 0) + 5
        base = {i: {sheet.index("seq"): i} for i in range(1, s.org_pledges.max + 1)}
        org_rows = fill.org_rows if fill else []
        ws = _data_sheet(wb, sheet, last, base, org_rows, fmt, s, marks.get(sheet.name, {}), bulk)
        print_setup(ws, [c.width for c in sheet.columns], id_cols=3)
        _protect(ws)

        refs = _refs(form, s)
        ref_source = f"=_meta!$D$2:$D${len(refs) + 1}"
        for sheet, n_default, content in (
            (L.PLAN_SHEET, L.PLAN_ROWS, fill.plan_rows if fill else []),
            (L.LOG_SHEET, L.LOG_ROWS, fill.log_rows if fill else []),
        ):
            if sheet.since_version > version:
                continue
            last = max(n_default, len(content) + 20)
            ws = _data_sheet(wb, sheet, last, {}, content, fmt, s, marks.get(sheet.name, {}), bulk)
            _list_validation(ws, 1, last, sheet.index("pledge_ref"), ref_source, "承诺序号")
            print_setup(ws, [c.width for c in sheet.columns], id_cols=3)
            _protect(ws)

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
