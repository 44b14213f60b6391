"""Write the public notice of approved pledges: 公示_承诺事项.html and .xlsx."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.infra.atomic import atomic_path, write_text_atomic
from pipeline.jobs.consolidation import Consolidation
from pipeline.outputs.jinja import render
from pipeline.outputs.sheet import write_frame
from pipeline.outputs.xlsx import formats, new_workbook
from pipeline.rules.notice import notice_frame
from pipeline.rules.tracking import ORG_KIND

NOTICE_HTML = "公示_承诺事项.html"
NOTICE_XLSX = "公示_承诺事项.xlsx"
TEMPLATE = "notice.html.j2"


def build_notice(c: Consolidation) -> pd.DataFrame:
    names = dict(zip(c.roster.units["unit_code"], c.roster.units["unit_name"], strict=True))
    return notice_frame(c.members, c.orgs, c.roster.members, c.roster.codes, names)


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
    }


def write_notice(c: Consolidation, html_path: Path, xlsx_path: Path) -> pd.DataFrame:
    df = build_notice(c)
    write_text_atomic(html_path, render(TEMPLATE, **notice_context(c, df)))
    with atomic_path(xlsx_path) as tmp:
        wb = new_workbook(tmp, large=True)
        fmt = formats(wb)
        ws = wb.add_worksheet("公示")
        ws.write_string(
            0, 0, f"{c.settings.year}年{c.settings.name}事项公示（{c.as_of:%Y-%m-%d}）", fmt["title"]
        )
        write_frame(ws, df, fmt, widths={"承诺事项": 44, "预期效果（改正措施）": 36, "单位": 22}, start_row=1)
        wb.close()
    return df
