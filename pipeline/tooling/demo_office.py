"""The demo campaign's office workflow (issue 15): one example of each office workbook.

:func:`build_office_demo` runs after the pledge and assessment demos and writes, with
the real office workbook writer (:mod:`pipeline.office.workbook`):

- ``inputs/office/备案审核表.xlsx``: the office's decisions on the branches' organisational
  items of the November versions: D01 item 1 已备案 and item 2 退回修改 with a reason (the
  reason reaches D01's feedback: P121, planted), D02 and D05 all 已备案, the rest 待备案;
- ``inputs/office/上报备案表.xlsx``: the level above files the committee's items 1 and 2.

Only the demo's own file names are replaced; other files in those folders stay.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from pipeline.core.settings import Settings
from pipeline.jobs.consolidation import consolidate
from pipeline.jobs.office import filing_guide, unit_types
from pipeline.office import forms as O
from pipeline.office.filing import load_filing_policy, review_rows
from pipeline.office.workbook import write_office_workbook
from pipeline.read import layout as L
from pipeline.rules.roster import Roster

FILING_RETURN_REASON = "预期效果写得太笼统，请写明受益对象和人数（例如“帮扶学生 20 人”）"


def build_office_demo(
    inputs: Path, settings: Settings, roster: Roster
) -> list[tuple[str, str, int, int, str, str]]:
    """Write the office demo files; returns planted findings as (returns file, sheet, row,
    column, rule, note) on the units' pledge workbooks."""
    y = settings.year
    as_of = dt.date(y, 11, 20)
    c = consolidate(inputs, settings, roster, as_of)
    policy = load_filing_policy(settings)
    types = unit_types(c)
    office = inputs / O.OFFICE_INBOX
    office.mkdir(parents=True, exist_ok=True)
    planted: list[tuple[str, str, int, int, str, str]] = []
    decided_on = dt.date(y, 11, 19)
    stamp_time = dt.datetime(y, 11, 19, 16, 0).timestamp()

    rows = review_rows(c.members, c.orgs, types, policy, upper=False)
    for row in rows:
        decision: dict[str, Any] = {}
        if (row["unit_code"] == "D01" and row["seq"] == 1) or row["unit_code"] in ("D02", "D05"):
            decision = {"decision": O.FILING_FILED}
        elif row["unit_code"] == "D01" and row["seq"] == 2:
            decision = {"decision": O.FILING_RETURNED, "reason": FILING_RETURN_REASON}
            ur = c.used["D01"]
            hit = c.orgs[(c.orgs["unit_code"] == "D01") & (c.orgs["seq"] == "2")]
            column = c.field_cols.get((ur.file.rel, L.SHEET_ORG), {}).get("content", 0)
            planted.append(
                (ur.file.rel, L.SHEET_ORG, int(hit["excel_row"].iloc[0]), column, "P121", "办公室退回修改")
            )
        if decision:
            row.update(decision, decided_on=decided_on, reviewer="赵干事")
    path = office / f"{O.FILING.name}.xlsx"
    write_office_workbook(path, O.FILING, settings, rows, filing_guide(c, O.FILING, policy, len(rows)))
    os.utime(path, (stamp_time, stamp_time))

    rows = review_rows(c.members, c.orgs, types, policy, upper=True)
    for row in rows:
        if row["seq"] in (1, 2):
            row.update(decision=O.FILING_FILED, decided_on=decided_on, reviewer="市委组织部 孙科长")
    path = office / f"{O.UPPER_FILING.name}.xlsx"
    write_office_workbook(
        path, O.UPPER_FILING, settings, rows, filing_guide(c, O.UPPER_FILING, policy, len(rows))
    )
    os.utime(path, (stamp_time, stamp_time))
    return planted
