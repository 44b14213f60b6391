"""Per-unit feedback workbooks (反馈/<单位编码>_<单位名称>_问题反馈.xlsx).

The unit's CURRENT template (``pipeline.outputs.template.write_template``: guide,
validations, input messages, dropdowns, protection, print layout, ``_meta`` of the current
version) with the unit's data moved in, column by column by header, row by row; every
problem cell filled red (错误) or yellow (提醒), still unlocked, with a comment holding the
message; a member-level finding (P104) at the member's first row; a 问题清单 sheet first,
its cells those of this workbook and its 文件 the file name the unit sent. A workbook on an
older template version comes back on the current one, so sending it back as it is does
not bring F109/M104 again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

from pipeline.core.findings import ERROR, Finding, findings_frame
from pipeline.core.settings import Settings
from pipeline.outputs.sheet import write_frame
from pipeline.outputs.template import Fill, UnitForm, write_template
from pipeline.read import layout as L
from pipeline.read.reader import HeaderMatch, SheetGrid, find_header, read_workbook

SHEET_PROBLEMS = "问题清单"

LAYOUTS = {s.name: s for s in L.DATA_SHEETS}


def _find_sheet(
    wb_read: Any, layout: L.SheetLayout, claimed: set[str]
) -> tuple[SheetGrid, HeaderMatch] | None:
    """The unit's sheet for ``layout``: by name, else the first sheet not ``claimed`` by
    another layout whose header has every required column (a sheet renamed by hand or by
    an office program that refuses the name)."""
    named = wb_read.sheets.get(layout.name)
    candidates = [named] if named is not None else []
    candidates += [
        g for n, g in wb_read.sheets.items() if n != layout.name and n not in _SKIP and n not in claimed
    ]
    for grid in candidates:
        match = find_header(grid, layout.header_spec(), layout.required)
        if match is not None and (grid is named or not match.missing):
            return grid, match
    return None


_SKIP = {L.SHEET_GUIDE, L.SHEET_META, SHEET_PROBLEMS}


@dataclass
class _Moved:
    """One data sheet's rows taken over into the template, and where each cell went."""

    layout: L.SheetLayout
    grid_name: str
    header_row: int  # 0-based header row in the unit's sheet
    to_field: dict[int, str]  # unit's 0-based column -> field
    rows: list[dict[str, Any]]  # template rows 1.. (0-based row i+1)

    def position(self, row: int, column: int) -> tuple[int, int] | None:
        """The template's 1-based (row, column) of the unit's 1-based cell."""
        r = row - 1 - self.header_row
        if r < 0:
            r = 0  # a header cell stays a header cell
        if r > len(self.rows) + 1000:
            return None
        f = self.to_field.get(column - 1)
        c = self.layout.index(f) if f else 0
        return r + 1, c + 1

    def member_row(self, member_id: str) -> int | None:
        """1-based template row of the first row of ``member_id``."""
        for i, row in enumerate(self.rows, start=1):
            if str(row.get("member_id") or "").strip() == member_id:
                return i + 1
        return None


def _move(wb_read: Any, layout: L.SheetLayout, claimed: set[str]) -> _Moved | None:
    found = _find_sheet(wb_read, layout, claimed)
    if found is None:
        return None
    grid, match = found
    claimed.add(grid.name)
    fields = {c: f for f, c in match.colmap.items()}
    rows: list[dict[str, Any]] = []
    for r in range(match.row + 1, grid.n_rows):
        rows.append({f: grid.value(r, c) for c, f in fields.items() if grid.value(r, c) not in (None, "")})
    while rows and not rows[-1]:
        rows.pop()
    return _Moved(layout, grid.name, match.row, fields, rows)


def _place(findings: list[Finding], moved: dict[str, _Moved]) -> list[Finding]:
    """The findings at their cells in the template workbook: a cell of a moved sheet where
    it went, a member-level finding (no cell, a member) at the member's first row; the file
    named as the unit sent it."""
    by_grid = {m.grid_name: m for m in moved.values()}
    members = moved.get(L.SHEET_MEMBER)
    out = []
    for f in findings:
        g = replace(f, file=PurePosixPath(f.file).name if f.file else f.file)
        m = by_grid.get(f.sheet)
        if m is not None and f.row:
            pos = m.position(f.row, f.column or 1)
            if pos:
                g = replace(g, sheet=m.layout.name, row=pos[0], column=pos[1] if f.column else 0)
        elif f.member_id and members is not None and (f.sheet in ("", members.grid_name) or not f.row):
            r = members.member_row(f.member_id)
            if r:
                g = replace(g, sheet=L.SHEET_MEMBER, row=r, column=members.layout.index("member_id") + 1)
        out.append(g)
    return out


def _marks(findings: list[Finding]) -> dict[str, dict[tuple[int, int], tuple[str, list[str]]]]:
    """sheet -> (row0, col0) -> (worst severity, messages); a row-only position marks the
    row's first cell."""
    out: dict[str, dict[tuple[int, int], tuple[str, list[str]]]] = defaultdict(dict)
    for f in findings:
        if not f.sheet or not f.row:
            continue
        pos = (f.row - 1, max(f.column, 1) - 1)
        sev, msgs = out[f.sheet].get(pos, (f.severity, []))
        if f.severity == ERROR:
            sev = ERROR
        msgs.append(f"【{f.severity}】{f.message}（{f.rule}）")
        out[f.sheet][pos] = (sev, msgs)
    return out


def write_feedback(
    path: Path,
    source: Path,
    findings: list[Finding],
    unit_label: str,
    checked: tuple[str, int] | None = None,
    form: UnitForm | None = None,
    settings: Settings | None = None,
) -> None:
    """The unit's current template (``form``, ``settings``) with the unit's data from
    ``source`` and the problems of ``findings`` marked, to ``path``.
    ``checked``: (sha256, size) of the bytes consolidation read (see ``read_workbook``)."""
    if form is None or settings is None:
        raise ValueError("write_feedback needs the unit's form and the settings")
    wb_read = read_workbook(source, checked=checked)
    claimed = {n for n in wb_read.sheets if n in LAYOUTS}  # sheets under their own names first
    moved = {s.name: m for s in L.DATA_SHEETS if (m := _move(wb_read, s, claimed - {s.name})) is not None}
    placed = _place(findings, moved)
    marks = _marks(placed)
    fill = Fill(
        member_rows=moved[L.SHEET_MEMBER].rows if L.SHEET_MEMBER in moved else [],
        org_rows=moved[L.SHEET_ORG].rows if L.SHEET_ORG in moved else [],
        log_rows=moved[L.SHEET_LOG].rows if L.SHEET_LOG in moved else [],
        plan_rows=moved[L.SHEET_PLAN].rows if L.SHEET_PLAN in moved else [],
    )
    n_err = sum(f.severity == ERROR for f in findings)
    intro = (
        f"{unit_label}：共 {n_err} 处错误、{len(findings) - n_err} 处提醒。红色为错误（须修改），"
        "黄色为提醒（请核对），鼠标移到单元格上可看批注。本文件已是最新版的承诺表，原来填写的内容都已转入；"
        "改好后直接把本文件发回即可（问题清单表可保留）。"
    )

    def problems(wb: Any, fmt: dict[str, Any]) -> None:
        ws = wb.add_worksheet(SHEET_PROBLEMS)
        write_frame(
            ws, findings_frame(placed), fmt, widths={"说明": 60, "文件": 24}, start_row=1, title=intro
        )

    cells = {
        name: {
            pos: ("input_error" if sev == ERROR else "input_notice", "\n".join(msgs))
            for pos, (sev, msgs) in by_pos.items()
        }
        for name, by_pos in marks.items()
    }
    write_template(form, settings, path, fill, first=problems, marks=cells)
