"""Write the overdue audit (逾期清单.xlsx): 逾期承诺, 临期承诺 and 久未记实.

Each sheet's title names its count as :mod:`pipeline.rules.figures` does (逾期未完成 N 项,
临期 N 项): the number of rows, and the same number as 汇总's 合计 row and the bulletin."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.infra.atomic import atomic_path
from pipeline.jobs.consolidation import Consolidation
from pipeline.outputs.sheet import write_frame
from pipeline.outputs.xlsx import formats, new_workbook
from pipeline.rules import figures as F
from pipeline.rules.calendar import outside_campaign
from pipeline.rules.tracking import due_soon_list, overdue_list, silent_members

OVERDUE_FILE = "逾期清单.xlsx"
SHEET_OVERDUE = "逾期承诺"
SHEET_DUE_SOON = "临期承诺"
SHEET_SILENT = "久未记实"
WIDTHS = {"承诺事项": 44, "单位名称": 22}


@dataclass
class OverdueLists:
    overdue: pd.DataFrame
    due_soon: pd.DataFrame
    silent: pd.DataFrame


def overdue_lists(c: Consolidation) -> OverdueLists:
    order = c.roster.codes
    s = c.settings
    return OverdueLists(
        overdue=overdue_list(c.members, c.orgs, c.logs, c.as_of, order),
        due_soon=due_soon_list(c.members, c.orgs, c.logs, c.as_of, order),
        silent=silent_members(
            c.roster.members,
            c.used,
            c.members,
            c.orgs,
            c.logs,
            c.as_of,
            s.log_silence_days,
            order,
            fulfil=(s.fulfil.start, s.fulfil.end),
        ),
    )


def silent_title(c: Consolidation, n: int) -> str:
    s, day = c.settings, f"{c.as_of:%Y-%m-%d}"
    if c.as_of < s.fulfil.start:
        return f"久未记实：履诺阶段 {s.fulfil.start:%Y-%m-%d} 开始，统计截止 {day} 尚未开始，不列久未记实"
    if c.as_of > s.fulfil.end:
        return f"久未记实：履诺阶段已于 {s.fulfil.end:%Y-%m-%d} 结束，统计截止 {day} 不再列久未记实"
    return f"久未记实 {n} 名（已报送单位中有未完成承诺、{s.log_silence_days} 天以上没有履诺记实的党员；统计截止 {day}）"


def write_overdue(c: Consolidation, path: Path) -> OverdueLists:
    lists = overdue_lists(c)
    s = c.settings
    titles = {
        SHEET_OVERDUE: f"{F.OVERDUE} {len(lists.overdue)} 项（完成期限已过、尚未完成；统计截止 {c.as_of:%Y-%m-%d}）",
        SHEET_DUE_SOON: f"{F.DUE_SOON} {len(lists.due_soon)} 项（{s.due_soon_days} 天内到期、尚未完成；统计截止 {c.as_of:%Y-%m-%d}）",
        SHEET_SILENT: silent_title(c, len(lists.silent)),
    }
    note = outside_campaign(c.as_of, s)
    with atomic_path(path) as tmp:
        wb = new_workbook(tmp, large=True)
        fmt = formats(wb)
        for name, df in (
            (SHEET_OVERDUE, lists.overdue),
            (SHEET_DUE_SOON, lists.due_soon),
            (SHEET_SILENT, lists.silent),
        ):
            ws = wb.add_worksheet(name)
            lines = [titles[name], *([f"注意：{note}"] if note else [])]
            write_frame(ws, df, fmt, widths=WIDTHS, start_row=len(lines), title=lines)
        wb.close()
    return lists
