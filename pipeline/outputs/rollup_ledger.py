"""Write the roll-up's own ledger (汇总台账.xlsx, issue 16).

汇总: one row per lower office (its 统计截止, the file used) followed by one row per unit
of it, then 合计, every count under its name in :mod:`pipeline.rules.figures`;
党员承诺 / 组织承诺: the lower ledgers' rows with 下级单位, the status as of the roll-up's
AS_OF and 来源 = the cell of the lower ledger ← the cell of the member workbook;
下级台账: every file received and what became of it; 问题清单. A hidden ``_meta``
(:mod:`pipeline.outputs.ledger_meta`, level ``rollup``) makes this ledger a return the
next level up can roll up in turn.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.core.findings import findings_frame
from pipeline.jobs.rollup import Rollup
from pipeline.outputs.ledger import MEMBER_COLUMNS, ORG_COLUMNS, digest_of, ledger_frame, write_summary
from pipeline.outputs.ledger_meta import LEVEL_ROLLUP, SCOPE_COLUMN, LedgerMeta, MetaUnit, write_meta
from pipeline.outputs.sheet import write_frame
from pipeline.outputs.xlsx import formats, new_workbook
from pipeline.read import layout as L
from pipeline.rules import figures as F

LEVEL_OFFICE = "下级单位"
LEVEL_UNIT = "单位"
SUMMARY_HEAD = ("层级", SCOPE_COLUMN, "单位编码", "单位名称", "单位类型", "统计截止", "采用文件", "报送时间")


def summary_frame(r: Rollup) -> tuple[pd.DataFrame, dict[str, object]]:
    """汇总's rows (each office, then its units) and the 合计 row."""
    table = r.table()
    per_office = r.office_figures(table)
    rows: list[dict[str, object]] = []
    for office, ol in r.offices.items():
        rows.append(
            {
                "层级": LEVEL_OFFICE,
                SCOPE_COLUMN: office,
                "单位编码": "",
                "单位名称": f"{office}（{len(r.office_keys(office))} 个单位）",
                "单位类型": "",
                "统计截止": ol.meta.as_of,
                "采用文件": ol.file.rel,
                "报送时间": ol.file.received_text,
                **per_office[office].named(),
            }
        )
        for u in r.units[r.units["office"] == office].itertuples(index=False):
            rows.append(
                {
                    "层级": LEVEL_UNIT,
                    SCOPE_COLUMN: u.scope,
                    "单位编码": u.unit_code,
                    "单位名称": u.unit_name,
                    "单位类型": u.unit_type,
                    "统计截止": ol.meta.as_of,
                    "采用文件": "",
                    "报送时间": "",
                    **table.of(u.key).named(),
                }
            )
    for office in r.missing:
        rows.append(
            {
                "层级": LEVEL_OFFICE,
                SCOPE_COLUMN: office,
                "单位编码": "",
                "单位名称": office,
                "单位类型": "",
                "统计截止": "",
                "采用文件": "未报送",
                "报送时间": "",
                **F.Figures().named(),
            }
        )
    df = pd.DataFrame(rows, columns=[*SUMMARY_HEAD, *F.NAMES])
    total: dict[str, object] = dict.fromkeys(df.columns, "")
    total.update(
        {
            "层级": F.SCHOOL_ROW,
            "单位名称": f"{len(r.offices)} 个下级单位、{len(r.units)} 个单位",
            **table.school.named(),
        }
    )
    return df, total


def rows_frame(df: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """A roll-up's 党员承诺 / 组织承诺: 下级单位 first, then the ledger's own columns."""
    out = ledger_frame(df, columns)
    out.insert(0, SCOPE_COLUMN, df["scope"].tolist() if len(df) else [])
    return out


def files_frame(r: Rollup) -> pd.DataFrame:
    rows = [
        {
            SCOPE_COLUMN: x.office,
            "文件": x.file.rel,
            "统计截止": x.as_of,
            "接收时间": x.file.received_text,
            "时间来源": x.file.received_label,
            "处理结果": x.state,
            "说明": x.note,
        }
        for x in r.files
    ]
    return pd.DataFrame(
        rows, columns=[SCOPE_COLUMN, "文件", "统计截止", "接收时间", "时间来源", "处理结果", "说明"]
    )


def write_rollup_ledger(r: Rollup, path: Path) -> None:
    wb = new_workbook(path, large=True)
    fmt = formats(wb)
    summary, total = summary_frame(r)
    ws = wb.add_worksheet("汇总")
    s = r.settings
    title = f"{s.year}年{s.name}汇总台账（{s.organisation}，统计截止 {r.as_of:%Y-%m-%d}）"
    explanation = (
        "汇总口径：各下级单位报送的台账（程序生成、隐藏 _meta 表可识别）逐条汇总，各项承诺的状态按本次统计截止重新计算；"
        + F.EXPLANATION.format(due_soon_days=s.due_soon_days)
        + "“统计截止”是各下级单位台账自己的统计日期。"
    )
    write_summary(ws, summary, total, fmt, title, explanation, id_cols=4)

    members = rows_frame(r.members, MEMBER_COLUMNS)
    orgs = rows_frame(r.orgs, ORG_COLUMNS)
    for name, df in (
        (L.SHEET_MEMBER, members),
        (L.SHEET_ORG, orgs),
        ("下级台账", files_frame(r)),
        ("问题清单", findings_frame(r.findings)),
    ):
        sheet = wb.add_worksheet(name)
        write_frame(sheet, df, fmt, widths={"承诺事项": 40, "说明": 60, "来源": 48, SCOPE_COLUMN: 20})
    units = [
        MetaUnit(str(u.scope), str(u.unit_code), str(u.unit_name), str(u.unit_type), int(u.members))
        for u in r.units.itertuples(index=False)
    ]
    write_meta(
        wb,
        LedgerMeta(
            level=LEVEL_ROLLUP,
            organisation=s.organisation,
            campaign=s.name,
            year=s.year,
            as_of=r.as_of,
            member_rows=len(members),
            org_rows=len(orgs),
            digest=digest_of(members, orgs),
            units=units,
        ),
    )
    wb.get_worksheet_by_name("汇总").activate()
    wb.close()
