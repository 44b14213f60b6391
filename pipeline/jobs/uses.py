"""``make uses``: 考评结果运用.xlsx, the lists the results are used for (notice 二(四)), each
entry with the evidence behind it (:mod:`pipeline.assessment.uses`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from pipeline.assessment import scoring as S
from pipeline.assessment.uses import NOTES, uses_lists
from pipeline.core.settings import Settings
from pipeline.infra.atomic import atomic_path
from pipeline.jobs.consolidation import Consolidation
from pipeline.jobs.rectification import archived_issued
from pipeline.office import forms as O
from pipeline.office.reader import read_inbox
from pipeline.office.rectify import follow_up
from pipeline.outputs.sheet import write_frame
from pipeline.outputs.xlsx import formats, new_workbook

USES_FILE = "考评结果运用.xlsx"


def build_uses(
    c: Consolidation, result: S.Assessment, inputs: Path, outputs: Path, as_of: dt.date
) -> dict[str, pd.DataFrame]:
    inbox = read_inbox(inputs, outputs, O.RECTIFY_INBOX, c.settings, c.roster, extra=archived_issued(outputs))
    progress, _cands, _found = follow_up(inbox.frame(O.RECTIFY, prefilled_rows=True), as_of, c.roster.names)
    return uses_lists(result.members, result.units, c.members, c.orgs, progress)


def write_uses(lists: dict[str, pd.DataFrame], s: Settings, as_of: dt.date, path: Path) -> None:
    with atomic_path(path) as tmp:
        wb = new_workbook(tmp)
        fmt = formats(wb)
        widths = {"评定依据": 50, "承诺事项及状态": 60, "组织承诺及状态": 60, "整改情况": 30, "处理建议": 36}
        for name, df in lists.items():
            ws = wb.add_worksheet(name)
            write_frame(
                ws,
                df.astype(object).where(df.notna(), None) if len(df) else pd.DataFrame(columns=["（无）"]),
                fmt,
                widths=widths,
                percent_cols=("组织承诺完成率", "党员承诺完成率"),
                start_row=1,
                # Across the first page's columns, wrapped; in the page header of a sheet
                # printed in bands (pipeline.outputs.print_layout.band_texts).
                title=f"{s.year}年{s.name}{name}（统计截止 {as_of:%Y-%m-%d}）：{NOTES[name]}",
            )
        wb.close()
