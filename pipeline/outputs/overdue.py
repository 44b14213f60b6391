"""Write the overdue audit (逾期清单.xlsx): 逾期承诺, 临期承诺 and 久未记实."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.infra.atomic import atomic_path
from pipeline.jobs.consolidation import Consolidation
from pipeline.outputs.sheet import write_frame
from pipeline.outputs.xlsx import formats, new_workbook
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
    return OverdueLists(
        overdue=overdue_list(c.members, c.orgs, c.logs, c.as_of, order),
        due_soon=due_soon_list(c.members, c.orgs, c.logs, c.as_of, order),
        silent=silent_members(
            c.roster.members, c.used, c.members, c.orgs, c.logs, c.as_of, c.settings.log_silence_days, order
        ),
    )


def write_overdue(c: Consolidation, path: Path) -> OverdueLists:
    lists = overdue_lists(c)
    s = c.settings
    titles = {
        SHEET_OVERDUE: f"逾期承诺（完成期限已过、尚未完成；统计截止 {c.as_of:%Y-%m-%d}）",
        SHEET_DUE_SOON: f"临期承诺（{s.due_soon_days} 天内到期、尚未完成；统计截止 {c.as_of:%Y-%m-%d}）",
        SHEET_SILENT: f"久未记实（已报送单位中 {s.log_silence_days} 天以上没有履诺记实的党员；统计截止 {c.as_of:%Y-%m-%d}）",
    }
    with atomic_path(path) as tmp:
        wb = new_workbook(tmp, large=True)
        fmt = formats(wb)
        for name, df in (
            (SHEET_OVERDUE, lists.overdue),
            (SHEET_DUE_SOON, lists.due_soon),
            (SHEET_SILENT, lists.silent),
        ):
            ws = wb.add_worksheet(name)
            ws.write_string(0, 0, titles[name], fmt["title"])
            write_frame(ws, df, fmt, widths=WIDTHS, start_row=1)
        wb.close()
    return lists
