"""Write the public notice of approved pledges: 公示_承诺事项.html and .xlsx."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.infra.atomic import atomic_path, write_text_atomic
from pipeline.jobs.consolidation import Consolidation, unit_figures
from pipeline.office.filing import load_filing_policy
from pipeline.office.forms import FILING_FILED
from pipeline.outputs.jinja import render
from pipeline.outputs.sheet import write_frame
from pipeline.outputs.xlsx import formats, new_workbook, write_notes
from pipeline.rules.calendar import outside_campaign
from pipeline.rules.notice import notice_frame
from pipeline.rules.tracking import ORG_KIND

NOTICE_HTML = "公示_承诺事项.html"
NOTICE_XLSX = "公示_承诺事项.xlsx"
NOTICE_DOCX = "公示_承诺事项.docx"
TEMPLATE = "notice.html.j2"
NOTE_SHEET = "说明"


def build_notice(c: Consolidation) -> pd.DataFrame:
    names = dict(zip(c.roster.units["unit_code"], c.roster.units["unit_name"], strict=True))
    members, orgs = c.members, c.orgs
    if load_filing_policy(c.settings).notice_filed_only and "filing" in members and "filing" in orgs:
        members = members[members["filing"] == FILING_FILED]  # [filing] notice_filed_only (issue 15)
        orgs = orgs[orgs["filing"] == FILING_FILED]
    return notice_frame(members, orgs, c.roster.members, c.roster.codes, names)


def not_posted_line(c: Consolidation, posted: int) -> str:
    """Why the notice posts fewer items than were returned, in words fit for the public
    board: the items not (yet) approved, and those whose member could not be matched to
    the roster. ``posted`` equals 汇总's 跟踪中承诺 (合计 row): both count exactly the
    approved items of the units' own members and the units' own pledges."""
    school = unit_figures(c).school
    parts = []
    if school.not_approved:
        parts.append(f"另有 {school.not_approved} 项尚在审核中或未通过审核")
    if len(c.excluded):
        parts.append(f"{len(c.excluded)} 项填报信息正在核对")
    head = f"本次公示经审核通过的承诺 {posted} 项"
    if not parts:
        return head + "。"
    return head + "；" + "，".join(parts) + "，暂不公示，审核通过后补充公示。"


def notice_context(c: Consolidation, df: pd.DataFrame) -> dict[str, object]:
    units = []
    for unit, grp in df.groupby("单位", sort=False):
        recs = grp.to_dict("records")
        units.append(
            {
                "unit_name": unit,
                "orgs": [r for r in recs if r["承诺类型"] == ORG_KIND],
                "members": [r for r in recs if r["承诺类型"] != ORG_KIND],
            }
        )
    s = c.settings
    return {
        "title": f"{s.year}年{s.name}事项公示",
        "organisation": s.organisation,
        "office": s.office,
        "as_of": c.as_of,
        "units": units,
        "total": len(df),
        "not_posted": not_posted_line(c, len(df)),
        "calendar_note": outside_campaign(c.as_of, s),
    }


def write_notice(
    c: Consolidation, html_path: Path, xlsx_path: Path, docx_path: Path | None = None
) -> pd.DataFrame:
    """The notice as HTML (screens and the board), xlsx and, given ``docx_path``, a Word
    document in the official layout, all from the same frame and context."""
    df = build_notice(c)
    ctx = notice_context(c, df)
    write_text_atomic(html_path, render(TEMPLATE, **ctx))
    if docx_path is not None:
        from pipeline.outputs.documents import document_settings
        from pipeline.outputs.notice_docx import pledge_notice_document

        pledge_notice_document(ctx, document_settings(c.settings), c.settings.year).save(docx_path)
    with atomic_path(xlsx_path) as tmp:
        wb = new_workbook(tmp, large=True)
        fmt = formats(wb)
        ws = wb.add_worksheet("公示")
        write_frame(
            ws,
            df,
            fmt,
            widths={"承诺事项": 44, "预期效果（改正措施）": 36, "单位": 22},
            start_row=1,
            title=f"{c.settings.year}年{c.settings.name}事项公示（{c.as_of:%Y-%m-%d}）",
        )
        # What is not posted and why, on a sheet of its own (the 公示 sheet stays one table).
        ws = wb.add_worksheet(NOTE_SHEET)
        lines = [not_posted_line(c, len(df)), outside_campaign(c.as_of, c.settings)]
        write_notes(ws, [x for x in lines if x], fmt)
        wb.close()
    return df
