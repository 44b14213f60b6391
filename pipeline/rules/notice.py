"""The public notice of approved pledges (公示): what goes on the board, and only that.

Only approved items (审核 = 通过) are posted. Columns are public by design: unit, member
name, type, pledge, deadline and expected effect (for a shortcoming: its measures). No
member ids, findings, statuses or other roster fields. A member pledge is posted only if
its 党员编号 is a roster member of that unit, under the roster's spelling of the name
(rows with unknown or foreign ids are problems for the problem list, not for the board;
the consolidation has already left them out of its frames, so the items posted are
exactly the figure 跟踪中承诺 of :mod:`pipeline.rules.figures`).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from pipeline.read import layout as L
from pipeline.rules.tracking import ORG_KIND, as_date, seq_int

COLUMNS = ["单位", "姓名", "承诺类型", "承诺事项", "完成期限", "预期效果（改正措施）"]


def _effect(kind: str, effect: str, measures: str) -> str:
    if kind == L.KIND_FAULT:
        return measures or effect
    return effect or measures


def notice_frame(
    members: pd.DataFrame,
    orgs: pd.DataFrame,
    roster_members: pd.DataFrame,
    unit_order: Sequence[str],
    unit_names: dict[str, str],
) -> pd.DataFrame:
    """Approved pledges by unit (roster order): the unit's org pledges first, then its
    members' pledges in the order of the workbook."""
    names = {
        (str(u), str(m)): str(n)
        for u, m, n in zip(
            roster_members["unit_code"], roster_members["member_id"], roster_members["name"], strict=True
        )
    }
    rank = {code: i for i, code in enumerate(unit_order)}
    rows = []
    for rec in orgs.to_dict("records"):
        if rec["review"] != L.REVIEW_APPROVED or rec["unit_code"] not in rank:
            continue
        rows.append(
            (
                rank[rec["unit_code"]],
                0,
                seq_int(rec["seq"]) or 0,
                {
                    "单位": unit_names.get(rec["unit_code"], rec["unit_name"]),
                    "姓名": "",
                    "承诺类型": ORG_KIND,
                    "承诺事项": rec["content"],
                    "完成期限": as_date(rec["deadline"]),
                    "预期效果（改正措施）": _effect(ORG_KIND, rec["effect"], rec["measures"]),
                },
            )
        )
    for rec in members.to_dict("records"):
        name = names.get((str(rec["unit_code"]), str(rec["member_id"])))
        if rec["review"] != L.REVIEW_APPROVED or name is None or rec["unit_code"] not in rank:
            continue
        rows.append(
            (
                rank[rec["unit_code"]],
                1,
                seq_int(rec["seq"]) or 0,
                {
                    "单位": unit_names.get(rec["unit_code"], rec["unit_name"]),
                    "姓名": name,
                    "承诺类型": rec["kind"],
                    "承诺事项": rec["content"],
                    "完成期限": as_date(rec["deadline"]),
                    "预期效果（改正措施）": _effect(rec["kind"], rec["effect"], rec["measures"]),
                },
            )
        )
    rows.sort(key=lambda r: r[:3])
    return pd.DataFrame([r[3] for r in rows], columns=COLUMNS)
