"""Write the consolidated ledger (台账.xlsx): 汇总, 党员承诺, 组织承诺, 履诺记实,
履诺计划 and 问题清单, with frozen headers, autofilters and a chart on 汇总."""

from __future__ import annotations

import math
from bisect import bisect_left
from itertools import accumulate
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.core.findings import ERROR, NOTICE, col_letter, findings_frame
from pipeline.jobs.consolidation import Consolidation, unit_figures, unit_summary
from pipeline.outputs import print_layout as P
from pipeline.outputs.fast_sheet import splice_workbook
from pipeline.outputs.ledger_meta import (
    LEVEL_UNIT,
    MEMBER_DIGEST,
    ORG_DIGEST,
    LedgerMeta,
    MetaUnit,
    frames_digest,
    write_meta,
)
from pipeline.outputs.sheet import write_cell, write_frame, write_title
from pipeline.outputs.slices import SliceStore
from pipeline.outputs.xlsx import formats, new_workbook
from pipeline.read import layout as L
from pipeline.rules import figures as F

CHART_WIDTH = 720  # pixels: 汇总's chart of completion rates

MEMBER_COLUMNS = {
    "unit_code": "单位编码",
    "unit_name": "单位名称",
    "member_id": "党员编号",
    "name": "姓名",
    "kind": "承诺类型",
    "content": "承诺事项",
    "measures": "措施",
    "deadline": "完成期限",
    "effect": "预期效果",
    "review": "支部审核",
    "filing": "备案状态",
    "progress": "完成情况",
    "done_on": "完成日期",
    "status": "状态",
    "days_overdue": "逾期天数",
    "remark": "备注",
    "source": "来源",
}
ORG_COLUMNS = {
    "unit_code": "单位编码",
    "unit_name": "单位名称",
    "seq": "序号",
    "content": "承诺事项",
    "measures": "措施",
    "deadline": "完成期限",
    "effect": "预期效果",
    "owner": "责任人",
    "review": "审核",
    "filing": "备案状态",
    "progress": "完成情况",
    "done_on": "完成日期",
    "status": "状态",
    "days_overdue": "逾期天数",
    "remark": "备注",
    "source": "来源",
}
LOG_COLUMNS = {
    "unit_code": "单位编码",
    "unit_name": "单位名称",
    "date": "日期",
    "member_id": "党员编号",
    "name": "姓名",
    "pledge_ref": "承诺序号",
    "note": "履诺情况",
    "evidence": "佐证材料",
    "source": "来源",
}
PLAN_COLUMNS = {
    "unit_code": "单位编码",
    "unit_name": "单位名称",
    "pledge_ref": "承诺序号",
    "step": "步骤",
    "planned_on": "计划完成时间",
    "actual_on": "实际完成时间",
    "owner": "责任人",
    "remark": "备注",
    "source": "来源",
}


def with_source(df: pd.DataFrame, c: Consolidation, layout: str, field: str) -> pd.DataFrame:
    """Add 'source' = file!sheet!cell of each row's ``field`` (Excel numbering)."""
    if df.empty:
        return df.assign(source=pd.Series([], dtype=str))
    letters: dict[str, str] = {}  # file -> the column letter of ``field`` in it
    for f in df["file"].unique().tolist():
        letters[f] = col_letter(c.field_cols.get((f, layout), {}).get(field, 0) or 1)
    src = [
        f"{f}!{s}!{letters[f]}{r}"
        for f, s, r in zip(df["file"].tolist(), df["sheet"].tolist(), df["excel_row"].tolist(), strict=True)
    ]
    return df.assign(source=src)


def ledger_frame(df: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    out = df.reindex(columns=list(columns))
    out.columns = pd.Index(list(columns.values()))
    return out.reset_index(drop=True)


def member_ledger(c: Consolidation) -> pd.DataFrame:
    return ledger_frame(with_source(c.members, c, L.SHEET_MEMBER, "content"), MEMBER_COLUMNS)


def org_ledger(c: Consolidation) -> pd.DataFrame:
    return ledger_frame(with_source(c.orgs, c, L.SHEET_ORG, "content"), ORG_COLUMNS)


def summary_frame(
    c: Consolidation, table: F.FigureTable | None = None
) -> tuple[pd.DataFrame, dict[str, object]]:
    """汇总's unit rows and its 合计 row (the school's figures, same names); ``table``:
    :func:`unit_figures` of ``c`` when the caller has it."""
    table = table or unit_figures(c)
    s = unit_summary(c, table)
    total: dict[str, object] = dict.fromkeys(s.columns, "")
    total.update(
        {
            "单位编码": F.SCHOOL_ROW,
            "单位名称": f"全校（{len(c.roster.codes)} 个单位）",
            "是否报送": f"{len(c.used)} 个已报送",
            **table.school.named(),
            "错误": c.count(ERROR),
            "提醒": c.count(NOTICE),
        }
    )
    return s, total


def write_summary(
    ws: Any,
    summary: pd.DataFrame,
    total: dict[str, object],
    fmt: Any,
    title: str,
    explanation: str,
    id_cols: int = 2,
    below: tuple[int, int, int, int] | None = None,
) -> P.PagePlan:
    """汇总: the title, one row per unit, the 合计 row below them (outside the filter, so
    sorting never moves it) and the line that says how the figures are counted.

    Printed in bands, the title goes in the page header and the line in the footer of
    every page, and the print area leaves their rows out (print_layout.band_texts);
    ``below``: (row, column, width, height in pixels) of an object under them (the chart)
    that prints on pages of its own after the table."""
    plan = write_frame(
        ws, summary, fmt, percent_cols=(F.RATE,), start_row=1, title=title, id_cols=id_cols, print_title=False
    )
    n = len(summary)
    for j, col in enumerate(summary.columns):
        v = total[col]
        if col == F.RATE:
            ws.write_number(n + 2, j, float(v), fmt["percent"])  # type: ignore[arg-type]
        else:
            write_cell(ws, n + 2, j, v, fmt, "locked")
    texts = P.band_texts([title], [explanation], plan) if plan.in_bands else None
    write_title(
        ws,
        n + 3,
        explanation,
        fmt,
        list(plan.widths),
        plan,
        "bold_wrap",
        within_ids=texts is not None and not texts.noted,
    )
    rows: list[tuple[int, int]] = []
    last_col = len(plan.widths) - 1
    if texts is not None and (texts.header or texts.noted):
        rows.append((1 if texts.header else 0, n + 2 if texts.noted else n + 3))
        if below is not None:
            row, col, width, height = below
            rows.append((row, row + math.ceil(height / P.DEFAULT_ROW_PX)))
            px = list(accumulate((P.col_pixels(w) for w in plan.widths[col:]), initial=0))
            last_col = max(last_col, col + bisect_left(px, width))
    P.apply_page(ws, plan, header_rows=2, first_header_row=1, texts=texts, print_rows=rows, last_col=last_col)
    return plan


def write_ledger(
    c: Consolidation, path: Path, slices: SliceStore | None = None, table: F.FigureTable | None = None
) -> None:
    """The ledger at ``path``. ``slices``: each unit's rows of the five row sheets are kept
    compressed and reused by the next run where they did not change (issue 16)."""
    wb = new_workbook(path, large=True)
    fmt = formats(wb)
    summary, total = summary_frame(c, table)
    ws = wb.add_worksheet("汇总")
    title = f"{c.settings.year}年{c.settings.name}台账（统计截止 {c.as_of:%Y-%m-%d}）"
    n = len(summary)
    chart_height = 60 + 28 * n
    write_summary(
        ws,
        summary,
        total,
        fmt,
        title,
        F.EXPLANATION.format(due_soon_days=c.settings.due_soon_days),
        below=(n + 5, 1, CHART_WIDTH, chart_height) if n else None,
    )
    if n:
        chart = wb.add_chart({"type": "bar"})
        col = list(summary.columns).index(F.RATE)
        chart.add_series(
            {
                "name": F.RATE,
                "categories": ["汇总", 2, 1, n + 1, 1],
                "values": ["汇总", 2, col, n + 1, col],
                "data_labels": {"value": True, "num_format": "0%"},
            }
        )
        chart.set_title({"name": "各单位承诺完成率"})
        chart.set_x_axis({"num_format": "0%", "min": 0, "max": 1})
        chart.set_y_axis({"reverse": True})
        chart.set_legend({"none": True})
        chart.set_size({"width": CHART_WIDTH, "height": chart_height})
        ws.insert_chart(n + 5, 1, chart)
        if chart_height < 560:  # a chart that fits one page starts a page of its own, never cut
            ws.set_h_pagebreaks([n + 5])

    members, orgs = member_ledger(c), org_ledger(c)
    for name, df in (
        (L.SHEET_MEMBER, members),
        (L.SHEET_ORG, orgs),
        (L.SHEET_LOG, ledger_frame(with_source(c.logs, c, L.SHEET_LOG, "note"), LOG_COLUMNS)),
        (L.SHEET_PLAN, ledger_frame(with_source(c.plans, c, L.SHEET_PLAN, "step"), PLAN_COLUMNS)),
        ("问题清单", findings_frame(c.findings)),
    ):
        ws = wb.add_worksheet(name)
        write_frame(
            ws,
            df,
            fmt,
            widths={"承诺事项": 40, "说明": 60, "履诺情况": 40, "来源": 36},
            slices=slices,
            group_col="单位编码",
        )
    write_meta(wb, ledger_meta(c, members, orgs))
    wb.get_worksheet_by_name("汇总").activate()
    wb.close()
    splice_workbook(path, wb)


def digest_of(members: pd.DataFrame, orgs: pd.DataFrame) -> str:
    """:func:`pipeline.outputs.ledger_meta.rows_digest` of the 党员承诺 / 组织承诺 frames as written."""
    return frames_digest(members.reindex(columns=list(MEMBER_DIGEST)), orgs.reindex(columns=list(ORG_DIGEST)))


def ledger_meta(c: Consolidation, members: pd.DataFrame, orgs: pd.DataFrame) -> LedgerMeta:
    """What identifies this ledger for the level above (issue 16): organisation, year,
    统计截止, the units with their roster members, and the rows' digest."""
    counts = c.roster.members["unit_code"].value_counts().to_dict() if len(c.roster.members) else {}
    units = [
        MetaUnit("", str(u.unit_code), str(u.unit_name), str(u.unit_type), int(counts.get(u.unit_code, 0)))
        for u in c.roster.units.itertuples(index=False)
    ]
    return LedgerMeta(
        level=LEVEL_UNIT,
        organisation=c.settings.organisation,
        campaign=c.settings.name,
        year=c.settings.year,
        as_of=c.as_of,
        member_rows=len(members),
        org_rows=len(orgs),
        digest=digest_of(members, orgs),
        units=units,
    )
