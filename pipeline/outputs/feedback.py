"""Per-unit feedback workbooks (反馈/<单位编码>_<单位名称>_问题反馈.xlsx).

The unit's own workbook, values intact, every problem cell filled red (错误) or yellow
(提醒) with a comment holding the message, plus a 问题清单 sheet of that unit's
findings. The data sheets keep their names, headers, dropdowns and the hidden ``_meta``
sheet, so the unit can correct this very file and send it back.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline.core.findings import ERROR, Finding, findings_frame
from pipeline.outputs.fast_sheet import FastSheet
from pipeline.outputs.sheet import write_frame
from pipeline.outputs.xlsx import formats, new_workbook, print_setup
from pipeline.read import layout as L
from pipeline.read.reader import SheetGrid, find_header, read_workbook

LAYOUTS = {s.name: s for s in L.DATA_SHEETS}


def _marks(findings: list[Finding]) -> dict[str, dict[tuple[int, int], tuple[str, list[str]]]]:
    """sheet -> (row0, col0) -> (worst severity, messages)."""
    out: dict[str, dict[tuple[int, int], tuple[str, list[str]]]] = defaultdict(dict)
    for f in findings:
        if not f.sheet or not f.row or not f.column:
            continue
        pos = (f.row - 1, f.column - 1)
        sev, msgs = out[f.sheet].get(pos, (f.severity, []))
        if f.severity == ERROR:
            sev = ERROR
        msgs.append(f"【{f.severity}】{f.message}（{f.rule}）")
        out[f.sheet][pos] = (sev, msgs)
    return out


def _write_grid(
    wb: Any,
    ws: FastSheet,
    grid: SheetGrid,
    marks: dict[tuple[int, int], tuple[str, list[str]]],
    fmt: dict[str, Any],
) -> None:
    layout = LAYOUTS.get(grid.name)
    n_cols = max(grid.n_cols, 1 + max((c for _, c in marks), default=-1), 1)
    n_rows = max(grid.n_rows, 1 + max((r for r, _ in marks), default=-1))
    marked = {
        pos: (fmt["error"], fmt["error_date"]) if sev == ERROR else (fmt["notice"], fmt["notice_date"])
        for pos, (sev, _msgs) in marks.items()
    }
    marked_rows = {r for r, _ in marks}

    def rows(first: int, last: int) -> Iterator[list[object]]:
        for r in range(first, last):
            row = grid.rows[r] if r < grid.n_rows else []
            if r in marked_rows and len(row) < n_cols:
                row = [*row, *([None] * (n_cols - len(row)))]
            yield row

    body_from = 0
    if layout and n_rows:  # the header row keeps the header look
        ws.append_rows(
            0, rows(0, 1), [fmt["header"]] * n_cols, [fmt["date"]] * n_cols, blank_cells=False, marked=marked
        )
        body_from = 1
    ws.append_rows(
        body_from,
        rows(body_from, n_rows),
        [fmt["cell"]] * n_cols,
        [fmt["date"]] * n_cols,
        blank_cells=False,
        marked=marked,
    )
    for (r, c), (_sev, msgs) in sorted(marks.items()):
        ws.write_comment(
            r, c, "\n".join(msgs)[:30000], {"x_scale": 3, "y_scale": 2.5, "author": "学校活动办公室"}
        )
    if layout:
        for j, col in enumerate(layout.columns):
            ws.set_column(j, j, col.width)
        ws.freeze_panes(1, 0)
        print_setup(ws, [c.width for c in layout.columns])
        _restore_dropdowns(ws, grid, layout)


def _restore_dropdowns(ws: Any, grid: SheetGrid, layout: L.SheetLayout) -> None:
    """Put the template's dropdowns back on the choice columns, so the unit corrects the
    returned file with the same lists it had."""
    match = find_header(grid, layout.header_spec(), layout.required)
    if match is None:
        return
    first, last = match.row + 1, max(grid.n_rows, match.row + 1) + 30
    for field, values in (("kind", L.KINDS), ("review", L.REVIEWS), ("progress", L.PROGRESSES)):
        if field in match.colmap:
            c = match.colmap[field]
            ws.data_validation(
                first,
                c,
                last,
                c,
                {
                    "validate": "list",
                    "source": list(values),
                    "ignore_blank": True,
                    "error_type": "warning",
                    "error_message": "请从下拉列表中选择",
                },
            )


_BAD_TITLE_RE = re.compile(r"[\[\]:*?/\\\x00-\x1f]")


def _sheet_title(name: str, taken: set[str]) -> str:
    """A worksheet name xlsxwriter accepts for the input sheet ``name``: files saved by
    LibreOffice or edited by hand can carry names Excel refuses (over 31 characters, with
    []:*?/\\, quoted, or equal to another but for case), and one such name must not stop
    the whole run. ``taken`` holds the lower-cased names already used."""
    title = _BAD_TITLE_RE.sub("_", name).strip("'") or "Sheet"
    base, n = title, 1
    while True:
        units, cut = 0, 0
        suffix = f"({n})" if n > 1 else ""
        for ch in base:  # Excel counts UTF-16 code units
            units += 2 if ord(ch) > 0xFFFF else 1
            if units > 31 - len(suffix):
                break
            cut += 1
        title = base[:cut].rstrip("'") + suffix
        if title.lower() not in taken:
            taken.add(title.lower())
            return title
        n += 1


def write_feedback(
    path: Path,
    source: Path,
    findings: list[Finding],
    unit_label: str,
    checked: tuple[str, int] | None = None,
) -> None:
    """Rewrite ``source`` with the problems of ``findings`` marked, to ``path``.
    ``checked``: (sha256, size) of the bytes consolidation read (see ``read_workbook``)."""
    wb_read = read_workbook(source, checked=checked)
    wb = new_workbook(path)
    fmt = formats(wb)
    ws = wb.add_worksheet("问题清单")
    ws.write_string(
        0,
        0,
        f"{unit_label}：共 {sum(f.severity == ERROR for f in findings)} 处错误、"
        f"{sum(f.severity != ERROR for f in findings)} 处提醒。红色为错误（须修改），黄色为提醒（请核对）。"
        "改好后直接把本文件发回即可（问题清单表可保留）。",
        fmt["bold"],
    )
    write_frame(ws, findings_frame(findings), fmt, widths={"说明": 70, "文件": 30}, start_row=1)
    marks = _marks(findings)
    titles = {"问题清单"}
    for name, grid in wb_read.sheets.items():
        if name == "问题清单":
            continue
        sheet = wb.add_worksheet(_sheet_title(name, titles))
        _write_grid(wb, sheet, grid, marks.get(name, {}), fmt)
        if name == L.SHEET_META or name in wb_read.hidden:
            sheet.hide()
    wb.get_worksheet_by_name("问题清单").activate()
    wb.close()
