"""Write the change report (变更记录.xlsx): 变更概况, 变更明细 and 提醒 (T101).

:func:`write_change_report` is called by ``pledge consolidate`` (``write_outputs``, on the
other core where it can) with the changes of :func:`pipeline.jobs.changes.collect_changes`,
whose T101 findings also reach 问题清单 and the units' feedback workbooks.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.core.findings import findings_frame
from pipeline.infra.atomic import atomic_path
from pipeline.jobs.consolidation import Consolidation
from pipeline.outputs.fast_sheet import splice_workbook
from pipeline.outputs.sheet import write_frame
from pipeline.outputs.slices import SliceStore
from pipeline.outputs.xlsx import formats, new_workbook
from pipeline.rules.changes import (
    ADDED,
    DETAIL_COLUMNS,
    EDITED,
    PROGRESSED,
    REMOVED,
    REVIEWED,
    STATUS,
    UnitChanges,
)

CHANGES_FILE = "变更记录.xlsx"


def summary_frame(changes: list[UnitChanges]) -> pd.DataFrame:
    rows = [
        {
            "单位编码": u.unit_code,
            "单位名称": u.unit_name,
            "本次采用文件": u.file,
            "接收时间": u.mtime,
            "上一版本": u.previous or "无",
            "上一版本接收时间": u.previous_mtime,
            "新增承诺": u.count(ADDED),
            "删除承诺": u.count(REMOVED),
            "内容修改的承诺": u.items(EDITED),
            "审核或进展变化的承诺": u.items(REVIEWED, PROGRESSED, STATUS),
            "新增履诺记实": u.logs_added,
            "审核后被修改（T101）": len(u.findings),
            "按反馈要求更正的承诺": u.corrected,
            "说明": u.note,
        }
        for u in changes
    ]
    return pd.DataFrame(rows)


CHANGES_SLICES = "slices-changes"  # the cache folder of 变更明细's unit slices


def write_change_report(
    c: Consolidation, changes: list[UnitChanges], path: Path, slices: SliceStore | None = None
) -> None:
    """变更记录.xlsx at ``path``. ``slices``: each unit's rows of 变更明细 are kept compressed
    and reused by the next run where they did not change (a unit's changes are those of
    its own versions: after one unit re-sent, every other unit's rows are as they were),
    as the ledger's are (:mod:`pipeline.outputs.slices`); pruned once written."""
    # cells as each unit's rows hold them (an item number stays an int beside another
    # unit's blank): a unit's slice of 变更明细 does not depend on the other units' rows
    details = pd.DataFrame([r for u in changes for r in u.rows], columns=DETAIL_COLUMNS, dtype=object)
    findings = [f for u in changes for f in u.findings]
    with atomic_path(path) as tmp:
        wb = new_workbook(tmp, large=True)
        fmt = formats(wb)
        for name, df, title, store in (
            (
                "变更概况",
                summary_frame(changes),
                f"各单位本次采用的版本与上一版本相比的变化（统计截止 {c.as_of:%Y-%m-%d}）",
                None,
            ),
            (
                "变更明细",
                details,
                "逐项变化：新增、删除、修改（字段、原内容、新内容）、审核和进展变化",
                slices,
            ),
            ("提醒", findings_frame(findings), "审核通过后又被修改的承诺（T101）", None),
        ):
            ws = wb.add_worksheet(name)
            write_frame(
                ws,
                df,
                fmt,
                widths={"承诺事项": 36, "原内容": 30, "新内容": 30, "说明": 60},
                start_row=1,
                title=title,
                slices=store,
                group_col="单位编码",
            )
        wb.close()
        splice_workbook(tmp, wb)
    if slices is not None:
        slices.prune()
