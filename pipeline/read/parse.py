"""Turn one read workbook into normalised frames plus findings.

Input is a :class:`pipeline.read.reader.WorkbookRead` (cell grids with Excel positions);
output is a :class:`ParsedWorkbook`: the ``_meta`` values, the columns of each data sheet
(one value per non-blank Excel row, ``excel_row`` = Excel row number; a DataFrame on
demand, :meth:`ParsedWorkbook.frame`), the 1-based column (``field_cols``) of
each field per sheet (so any later rule can name a cell) and the findings met while
locating sheets, headers and normalising cells. No rule about quotas or the roster
lives here; that is ``pipeline.rules.pledges``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from pipeline.core.findings import ERROR, NOTICE, Finding, cell_text
from pipeline.read import layout as L
from pipeline.read.dates import parse_date
from pipeline.read.reader import HeaderMatch, SheetGrid, WorkbookRead, find_header
from pipeline.read.textnorm import (
    looks_like_formula,
    norm_choice,
    norm_code,
    norm_text,
    safe_cell_text,
    strip_illegal_xml,
)

TEXT_LIMIT = 32767

CHOICES: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "kind": (L.KINDS, L.KIND_ALIASES),
    "review": (L.REVIEWS, L.REVIEW_ALIASES),
    "progress": (L.PROGRESSES, L.PROGRESS_ALIASES),
}
# Fields a branch fills itself; a member row counts as "used" when any is filled.
USER_FIELDS = {
    L.SHEET_MEMBER: ("content", "measures", "deadline", "effect", "review", "progress", "done_on", "remark"),
    L.SHEET_ORG: (
        "content",
        "measures",
        "deadline",
        "effect",
        "owner",
        "review",
        "progress",
        "done_on",
        "remark",
    ),
    L.SHEET_LOG: ("date", "member_id", "name", "pledge_ref", "note", "evidence"),
    L.SHEET_PLAN: ("pledge_ref", "step", "planned_on", "actual_on", "owner", "remark"),
}
# Fields whose merged cells are filled down over the range (a common habit in forms).
FILL_MERGED = ("member_id", "name", "kind")


Columns = dict[str, list[Any]]  # field -> one value per row (excel_row first): see typed_frame
LAYOUTS = {layout.name: layout for layout in L.DATA_SHEETS}


@dataclass
class ParsedWorkbook:
    """One workbook's normalised content.

    The rows of each data sheet are kept as plain columns (``columns``: layout sheet ->
    field -> values), not as DataFrames: a county's 2,100 workbooks are stored in the
    parse cache and loaded on every warm run, and a DataFrame costs ~80 µs to load
    where its columns cost a few (issue 6). :meth:`frame` builds one sheet's frame on
    demand; the consolidation builds each ledger frame from every unit's columns at once.
    """

    meta: dict[str, str] = field(default_factory=dict)
    columns: dict[str, Columns] = field(default_factory=dict)  # layout sheet -> field -> values
    field_cols: dict[str, dict[str, int]] = field(
        default_factory=dict
    )  # layout sheet -> field -> 1-based column
    sheet_names: dict[str, str] = field(default_factory=dict)  # layout sheet -> actual sheet name
    findings: list[Finding] = field(default_factory=list)
    is_pledge_form: bool = True

    def frame(self, layout: L.SheetLayout) -> pd.DataFrame:
        """The sheet's rows as a new DataFrame (an empty one when the sheet was not read)."""
        cols = self.columns.get(layout.name)
        return typed_frame(cols, date_fields(layout)) if cols is not None else empty_frame(layout)

    @property
    def frames(self) -> dict[str, pd.DataFrame]:
        """Every sheet read, as new DataFrames (layout sheet -> frame)."""
        return {name: self.frame(LAYOUTS[name]) for name in self.columns}

    @property
    def version(self) -> int:
        try:
            return int(self.meta.get("template_version", "0") or 0)
        except ValueError:
            return 0

    def column(self, sheet: str, field_name: str) -> int:
        """The 1-based column of ``field_name`` in ``sheet`` (0 when it was not found)."""
        return self.field_cols.get(sheet, {}).get(field_name, 0)


def read_meta(wb: WorkbookRead) -> dict[str, str]:
    grid = wb.sheets.get(L.SHEET_META)
    if grid is None:
        return {}
    meta: dict[str, str] = {}
    for row in grid.rows[:40]:
        if len(row) >= 2 and row[0] not in (None, ""):
            meta[norm_text(row[0])] = norm_text(row[1])
    meta["unit_code"] = norm_code(meta.get("unit_code", ""))
    return meta


def _sheet_key(name: str) -> str:
    return "".join(name.split()).replace("（", "(").replace("）", ")")


def _locate_sheet(wb: WorkbookRead, layout: L.SheetLayout, taken: set[str]) -> tuple[str | None, bool]:
    """Find the sheet for ``layout``: by name, by name ignoring spaces, then by headers."""
    if layout.name in wb.sheets:
        return layout.name, False
    want = _sheet_key(layout.name)
    for name in wb.sheets:
        if name not in taken and _sheet_key(name) == want:
            return name, False
    for name, grid in wb.sheets.items():
        if name in taken or name == L.SHEET_META:
            continue
        m = find_header(grid, layout.header_spec(), layout.required)
        if m is not None and not m.missing:
            return name, True
    return None, False


@lru_cache(maxsize=4096)
def _choice(value: str, field_name: str) -> tuple[str | None, bool]:
    choices, aliases = CHOICES[field_name]
    exact = norm_choice(value, choices)
    if exact is not None:
        return exact, False
    aliased = norm_choice(value, choices, aliases)
    return aliased, aliased is not None


class _SheetParser:
    """Normalise one sheet's body, column by column, recording findings with cells."""

    def __init__(self, file: str, sheet: str, year: int, add: Callable[[Finding], None]) -> None:
        self.file, self.sheet, self.year, self.add = file, sheet, year, add

    def finding(self, severity: str, rule: str, message: str, row: int = 0, column: int = 0) -> None:
        self.add(Finding(severity, rule, message, file=self.file, sheet=self.sheet, row=row, column=column))

    def text(self, values: list[Any], column: int, rows: list[int], code: bool = False) -> list[str]:
        out = []
        for v, r in zip(values, rows, strict=True):
            if v is None or v == "":
                out.append("")
                continue
            if code:
                s = norm_code(v)
                if isinstance(v, float) and not v.is_integer():
                    self.finding(
                        ERROR,
                        "V109",
                        f"编号“{v}”是小数，应为文字编号。请把该列设为文本格式后重新填写。",
                        r,
                        column,
                    )
            else:
                raw = v if isinstance(v, str) else str(v)
                cleaned, removed = strip_illegal_xml(raw)
                if removed:
                    self.finding(
                        NOTICE, "V107", "内容含有不可见的控制字符，已删除。请检查内容是否完整。", r, column
                    )
                s = norm_text(cleaned)
                if looks_like_formula(s):
                    self.finding(
                        NOTICE, "V108", f"内容“{s[:20]}”以公式符号开头，已按普通文字处理。", r, column
                    )
                # Excel counts UTF-16 units: 20,000 emoji are over the limit too
                if len(s) > TEXT_LIMIT // 2 and len(s.encode("utf-16-le")) > 2 * TEXT_LIMIT:
                    s = safe_cell_text(s, TEXT_LIMIT)
                    self.finding(NOTICE, "V110", "内容超过 32767 个字符，已截断。请精简。", r, column)
            out.append(s)
        return out

    def choice(
        self, values: list[Any], column: int, rows: list[int], field_name: str, header: str
    ) -> list[str]:
        out = []
        choices = "、".join(CHOICES[field_name][0])
        for v, r in zip(values, rows, strict=True):
            s = norm_text(v)
            if not s:
                out.append("")
                continue
            value, aliased = _choice(s, field_name)
            if value is None:
                self.finding(
                    ERROR,
                    "V103",
                    f"“{header}”填的是“{s}”，不是可选值。请从下拉列表选择：{choices}。",
                    r,
                    column,
                )
                out.append("")
            else:
                if aliased:
                    self.finding(
                        NOTICE,
                        "V104",
                        f"“{header}”填的是“{s}”，已按“{value}”理解。请改为下拉列表中的值。",
                        r,
                        column,
                    )
                out.append(value)
        return out

    def date(self, values: list[Any], column: int, rows: list[int], header: str) -> list[dt.date | None]:
        out: list[dt.date | None] = []
        for v, r in zip(values, rows, strict=True):
            if v is None or v == "":
                out.append(None)
                continue
            if type(v) is dt.date:
                out.append(v)
                continue
            if type(v) is dt.datetime:
                out.append(v.date())
                continue
            reading = parse_date(v, self.year)
            if reading.error:
                self.finding(ERROR, "V101", f"“{header}”{reading.error}", r, column)
            elif not reading.exact:
                self.finding(NOTICE, "V102", f"“{header}”{reading.note}。如不对请改为标准日期。", r, column)
            out.append(reading.date)
        return out


def _fill_merged(
    grid: SheetGrid, colmap: dict[str, int], header_row: int, parser: _SheetParser
) -> dict[tuple[int, int], Any]:
    """Values to put in cells covered by a merge over member columns (row0, col0) -> value."""
    filled: dict[tuple[int, int], Any] = {}
    wanted = {colmap[f]: f for f in FILL_MERGED if f in colmap}
    for r0, c0, r1, c1 in grid.merged:
        if r1 <= header_row or r0 == r1:
            continue
        cols = [c for c in range(c0, c1 + 1) if c in wanted]
        if not cols:
            continue
        for c in cols:
            top = grid.value(r0, c)
            for r in range(max(r0, header_row + 1), r1 + 1):
                filled[(r, c)] = top
        first, last = cell_text(r0 + 1, c0 + 1), cell_text(r1 + 1, c1 + 1)
        parser.finding(
            NOTICE,
            "V105",
            f"{first}:{last} 是合并单元格，已把“{norm_text(grid.value(r0, c0))}”用于合并范围内的每一行。建议取消合并、逐行填写。",
            r0 + 1,
            c0 + 1,
        )
    return filled


def renamed_sheet_notice(name: str, layout_name: str, file: str) -> Finding:
    """L107: sheet ``name`` was recognised by its header as the layout's sheet."""
    return Finding(
        NOTICE,
        "L107",
        f"工作表“{name}”按表头识别为“{layout_name}”。请不要修改工作表名称。",
        file=file,
        sheet=name,
    )


def checked_header(
    grid: SheetGrid,
    layout: L.SheetLayout,
    finding: Callable[..., None],
    form: str = "模板",
    stop_on_missing: bool = False,
) -> HeaderMatch | None:
    """Find ``layout``'s header row in ``grid`` and report what is wrong with it, the same
    way for every workbook the pipeline reads (pledge returns, evaluation returns, office
    workbooks): L102 no header, L103 a missing column, L104 an extra column, L106 a sheet
    cut at the row limit. ``finding(severity, rule, message, row=0, column=0)`` records
    one; ``form`` names the workbook in the messages. None when there is no header (or,
    with ``stop_on_missing``, when a required column is missing)."""
    match = find_header(grid, layout.header_spec(), layout.required)
    if match is None:
        finding(
            ERROR,
            "L102",
            f"找不到“{layout.name}”的表头行（应包含 {'、'.join(layout.headers)}）。请使用统一下发的{form}，不要修改表头。",
        )
        return None
    for f in match.missing:
        finding(
            ERROR,
            "L103",
            f"缺少“{layout.column(f).header}”列。请恢复{form}中的这一列（表头在第 {match.row + 1} 行）。",
            match.row + 1,
            1,
        )
    if stop_on_missing and match.missing:
        return None
    for c, text in match.extra:
        finding(NOTICE, "L104", f"多出的列“{text}”不在{form}中，其内容未汇总。", match.row + 1, c + 1)
    if grid.truncated:
        finding(
            ERROR,
            "L106",
            f"“{grid.name}”行数过多（超过 {grid.n_rows} 行），超出部分未读取。请删除多余的空行或无关内容。",
        )
    return match


def parse_sheet_columns(
    grid: SheetGrid,
    layout: L.SheetLayout,
    file: str,
    year: int,
    add: Callable[[Finding], None],
    formula_cells: set[str] | None = None,
) -> tuple[Columns, dict[str, int]] | None:
    """Normalise one data sheet into columns (see :func:`typed_frame`); None when its
    header row cannot be found."""
    parser = _SheetParser(file, grid.name, year, add)
    match = checked_header(grid, layout, parser.finding)
    if match is None:
        return None
    field_cols = {f: c + 1 for f, c in match.colmap.items()}

    merged = _fill_merged(grid, match.colmap, match.row, parser) if grid.merged else {}
    body_start = match.row + 1
    raw: dict[str, list[Any]] = {}
    for f, c in match.colmap.items():
        raw[f] = [
            merged.get((r, c), row[c] if c < len(row) else None)
            for r, row in enumerate(grid.rows[body_start:], start=body_start)
        ]
    rows = list(range(body_start + 1, body_start + 1 + max(0, len(grid.rows) - body_start)))
    # Keep rows where a user field is filled (prefilled id/name/kind alone do not count).
    user = [f for f in USER_FIELDS[layout.name] if f in raw]
    keep = [i for i in range(len(rows)) if any(raw[f][i] not in (None, "") for f in user)]
    rows = [rows[i] for i in keep]
    raw = {f: [vals[i] for i in keep] for f, vals in raw.items()}
    if formula_cells:
        for f, column in field_cols.items():
            for i, r in enumerate(rows):
                if cell_text(r, column) in formula_cells:
                    parser.finding(
                        ERROR,
                        "V106",
                        f"“{layout.column(f).header}”是公式且没有计算结果，已按空白处理。请填写数值本身而不是公式。",
                        r,
                        column,
                    )
                    raw[f][i] = None

    data: dict[str, Any] = {"excel_row": rows}
    for col in layout.columns:
        f = col.field
        if f not in raw:
            data[f] = [None if col.kind == "date" else ""] * len(rows)
            continue
        column = field_cols[f]
        if col.kind == "date":
            data[f] = parser.date(raw[f], column, rows, col.header)
        elif col.kind == "choice":
            data[f] = parser.choice(raw[f], column, rows, f, col.header)
        elif col.kind == "code":
            data[f] = parser.text(raw[f], column, rows, code=True)
        elif col.kind == "int":
            data[f] = [norm_code(v) for v in raw[f]]
        else:
            data[f] = parser.text(raw[f], column, rows)
    # One object per distinct value of the sheet (ids, names and dates repeat on every row of a
    # member): a county's frames take a third less memory and the parse cache loads faster.
    pool: dict[Any, Any] = {}
    for k, v in data.items():
        if k != "excel_row":
            data[k] = [x if x is None else pool.setdefault(x, x) for x in v]
    return data, field_cols


def parse_sheet(
    grid: SheetGrid,
    layout: L.SheetLayout,
    file: str,
    year: int,
    add: Callable[[Finding], None],
    formula_cells: set[str] | None = None,
) -> tuple[pd.DataFrame, dict[str, int]] | None:
    """Normalise one data sheet into a DataFrame; None when its header row cannot be found."""
    parsed = parse_sheet_columns(grid, layout, file, year, add, formula_cells)
    if parsed is None:
        return None
    return typed_frame(parsed[0], date_fields(layout)), parsed[1]


@lru_cache(maxsize=16)
def date_fields(layout: L.SheetLayout) -> frozenset[str]:
    return frozenset(col.field for col in layout.columns if col.kind == "date")


def typed_frame(data: Columns, dates: Collection[str]) -> pd.DataFrame:
    """A sheet's frame from its columns: ``excel_row`` int64, date fields object (``date`` or
    None), every other field pandas' string dtype. Typed arrays straight into the frame: the
    same frame as Series + astype(str), a third of the time (issue 6)."""
    arrays: dict[str, Any] = {}
    for k, v in data.items():
        if k == "excel_row":
            arrays[k] = np.array(v, dtype=np.int64)
        elif k in dates:
            arrays[k] = np.empty(len(v), dtype=object)
            arrays[k][:] = v
        else:
            arrays[k] = pd.array(v, dtype=str)
    return pd.DataFrame(arrays)


def empty_frame(layout: L.SheetLayout) -> pd.DataFrame:
    cols: dict[str, Any] = {"excel_row": pd.Series([], dtype=int)}
    for c in layout.columns:
        cols[c.field] = pd.Series([], dtype=object if c.kind == "date" else str)
    return pd.DataFrame(cols)


def parse_workbook(
    wb: WorkbookRead, file: str, year: int, formula_cells: Callable[[str], set[str]] | None = None
) -> ParsedWorkbook:
    """Locate the data sheets of a pledge workbook and normalise them."""
    out = ParsedWorkbook(meta=read_meta(wb))
    add = out.findings.append
    if out.meta.get("form") and out.meta["form"] != "公开承诺事项表":
        out.is_pledge_form = False
        return out
    version = out.version or L.TEMPLATE_VERSION
    taken: set[str] = set()
    found_any = False
    for layout in L.DATA_SHEETS:
        name, by_header = _locate_sheet(wb, layout, taken)
        if name is None:
            if layout.since_version > version:
                continue  # an older template: handled by the version notice
            severity = ERROR if layout.name in (L.SHEET_MEMBER, L.SHEET_ORG) else NOTICE
            if layout.name == L.SHEET_PLAN:
                continue  # reported with the template version (M104)
            add(
                Finding(
                    severity,
                    "L101",
                    f"缺少工作表“{layout.name}”。请使用统一下发的模板填报，不要删除或改名工作表。",
                    file=file,
                )
            )
            continue
        taken.add(name)
        found_any = True
        out.sheet_names[layout.name] = name
        if by_header:
            add(renamed_sheet_notice(name, layout.name, file))
        if name in wb.hidden:
            add(Finding(NOTICE, "L105", f"工作表“{name}”被隐藏，已照常读取。", file=file, sheet=name))
        fc = formula_cells(name) if formula_cells else None
        parsed = parse_sheet_columns(wb.sheets[name], layout, file, year, add, fc)
        if parsed is not None:
            out.columns[layout.name], out.field_cols[layout.name] = parsed
    out.is_pledge_form = found_any
    return out
