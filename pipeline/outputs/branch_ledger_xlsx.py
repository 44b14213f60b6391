"""Write the branch ledgers: ``支部台账/<单位编码>_<单位名称>_台账.xlsx``, one per unit
that returned a workbook (frames from ``pipeline.outputs.branch_ledger``).

Sheets: 概况, 党员承诺, 组织承诺, 需督促党员, 履诺计划 (overdue steps in red) and 问题清单.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.infra.atomic import OutputStage
from pipeline.infra.plain import built
from pipeline.infra.written_cache import Deferred
from pipeline.jobs.consolidation import Consolidation
from pipeline.outputs.branch_ledger import (
    BRANCH_DIR,
    SHEET_FINDINGS,
    SHEET_OVERVIEW,
    SHEET_URGE,
    BranchLedger,
    branch_ledgers,
)
from pipeline.outputs.sheet import write_frame
from pipeline.outputs.xlsx import formats, new_workbook
from pipeline.read import layout as L
from pipeline.rules.figures import FigureTable
from pipeline.rules.plans import STEP_OVERDUE
from pipeline.rules.status import OVERDUE

SHEET_LEADERS = "包靠领导走访点评"
WIDTHS = {"承诺事项": 40, "步骤": 30, "明细": 60, "说明": 60, "来源": 36, "内容": 48, "项目": 24}


def _mark(ws: Any, df: pd.DataFrame, column: str, value: str, fmt: Any) -> None:
    """Fill the cells of ``column`` equal to ``value`` (data rows below a header at row 0)."""
    if column not in df.columns or df.empty:
        return
    j = list(df.columns).index(column)
    ws.conditional_format(
        1, j, len(df), j, {"type": "cell", "criteria": "==", "value": f'"{value}"', "format": fmt}
    )


def write_branch_ledger(path: Path, b: BranchLedger) -> None:
    b = built(b)
    wb = new_workbook(path)
    fmt = formats(wb)
    red = wb.add_format({"bg_color": "#FF9999"})

    ws = wb.add_worksheet(SHEET_OVERVIEW)
    write_frame(ws, b.overview, fmt, widths=WIDTHS, start_row=1, title=b.title)

    for name, df, col, value in (
        (L.SHEET_MEMBER, b.members, "状态", OVERDUE),
        (L.SHEET_ORG, b.orgs, "状态", OVERDUE),
        (SHEET_URGE, b.urge, "", ""),
        (L.SHEET_PLAN, b.plans, "步骤状态", STEP_OVERDUE),
        (SHEET_FINDINGS, b.findings, "", ""),
    ):
        ws = wb.add_worksheet(name)
        write_frame(ws, df, fmt, widths=WIDTHS)
        if col:
            _mark(ws, df, col, value, red)
    if b.leaders is not None:  # 包靠领导走访点评 (issue 15)
        ws = wb.add_worksheet(SHEET_LEADERS)
        write_frame(ws, b.leaders, fmt, widths={"发现的问题": 30, "帮助解决的事项": 30, "点评意见": 40})
    wb.get_worksheet_by_name(SHEET_OVERVIEW).activate()
    wb.close()


def write_branch_ledgers(
    c: Consolidation,
    stage: OutputStage,
    submit: Callable[..., None] | None = None,
    table: FigureTable | None = None,
) -> list[Path]:
    """Write every branch ledger into ``stage`` (the folder is owned: rebuilt each run);
    through ``submit(fn, path, *args)`` (worker processes, reuse of unchanged files:
    issue 6) when given, the ledger as a :class:`Deferred` argument: keyed as the built
    ledger, built only when the job is not reused."""
    stage.owned = (stage.owned or set()) | {BRANCH_DIR}
    paths = []
    for b in branch_ledgers(c, table, build=False):
        path = stage.path(f"{BRANCH_DIR}/{b.filename}")
        if submit is not None:  # keyed by its rows; its frames are built only if it is written
            submit(write_branch_ledger, path, Deferred(b, built))
        else:
            write_branch_ledger(path, b)
        paths.append(path)
    return paths
