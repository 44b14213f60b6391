"""Missing votes are a notice saying how the score was re-weighted (issue 15, item 8).

The scoring leaves a component without data out and scales the other weights up; the
row's 评定依据 says so, and these notices put it in the problem list too, at the cell
the unit should fill (E130: no satisfaction votes; E131: no democratic-evaluation votes,
when ``require_peer_review`` is off). Frames in, findings out.
"""

from __future__ import annotations

import math

import pandas as pd

from pipeline.assessment import layout as A
from pipeline.assessment.policy import AssessmentPolicy
from pipeline.assessment.reader import Evaluations
from pipeline.assessment.scoring import GRADED
from pipeline.core.findings import NOTICE, Finding

_NAMES = {
    "fulfilment": "履诺",
    "peer_review": "民主评议",
    "satisfaction": "满意度",
    "org_pledges": "组织承诺",
    "members": "党员评价",
}


def _missing(v: object) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def reweighting(weights: dict[str, float], have: list[str], lost: str) -> str:
    """“履诺 0.4→0.5、民主评议 0.4→0.5（满意度 0.2 不计）”."""
    total = sum(weights[k] for k in have)
    parts = "、".join(f"{_NAMES[k]} {weights[k]:g}→{weights[k] / total:.4g}" for k in have if weights[k] > 0)
    return f"{parts}（{_NAMES[lost]} {weights[lost]:g} 不计）"


def reweight_notices(
    members: pd.DataFrame, units: pd.DataFrame, ev: Evaluations, p: AssessmentPolicy
) -> list[Finding]:
    out: list[Finding] = []
    rows = {
        mid: (f, s, int(r))
        for mid, f, s, r in zip(
            ev.members["member_id"],
            ev.members["file"],
            ev.members["sheet"],
            ev.members["excel_row"],
            strict=True,
        )
    }

    def column(code: str, sheet: str, fld: str, row: int | None) -> int:
        er = ev.used.get(code)
        return er.parsed.field_cols.get(sheet, {}).get(fld, 0) if er and row else 0

    member_parts = {"fulfilment": "fulfil_score", "peer_review": "peer_score", "satisfaction": "sat_score"}
    for m in members.to_dict("records"):
        if m["state"] != GRADED:
            continue
        have = [k for k, col in member_parts.items() if not _missing(m[col])]
        where = rows.get(m["member_id"])
        for lost, col, rule, what, fld in (
            ("satisfaction", "sat_score", "E130", "群众满意度测评票数", "sat_satisfied"),
            ("peer_review", "peer_score", "E131", "民主评议票数", "vote_good"),
        ):
            if p.weights[lost] <= 0 or not _missing(m[col]) or not have:
                continue
            er = ev.used.get(m["unit_code"])
            out.append(
                Finding(
                    NOTICE,
                    rule,
                    f"没有{what}，综合得分按其余各项折算：{reweighting(p.weights, have, lost)}。"
                    f"请在考核评价表中补填{what}后重新报送；确实没有测评的可不理会。",
                    unit_code=m["unit_code"],
                    unit_name=m["unit_name"],
                    file=where[0] if where else (er.file.rel if er else ""),
                    sheet=where[1] if where else "",
                    row=where[2] if where else 0,
                    column=column(m["unit_code"], A.SHEET_MEMBERS, fld, where[2] if where else None),
                    member_id=m["member_id"],
                    member_name=m["name"],
                )
            )
    unit_parts = {
        "fulfilment": "fulfil_score",
        "org_pledges": "org_score",
        "members": "members_score",
        "satisfaction": "sat_score",
    }
    urows = {
        code: (f, s, int(r))
        for code, f, s, r in zip(
            ev.units["unit_code"], ev.units["file"], ev.units["sheet"], ev.units["excel_row"], strict=True
        )
    }
    for u in units.to_dict("records"):
        if u["state"] != GRADED or p.unit_weights["satisfaction"] <= 0 or not _missing(u["sat_score"]):
            continue
        have = [k for k, col in unit_parts.items() if not _missing(u[col])]
        if not have:
            continue
        where = urows.get(u["unit_code"])
        er = ev.used.get(u["unit_code"])
        out.append(
            Finding(
                NOTICE,
                "E130",
                f"没有本单位的群众满意度测评票数，单位综合得分按其余各项折算：{reweighting(p.unit_weights, have, 'satisfaction')}。"
                "请在考核评价表“单位测评”中补填后重新报送；确实没有测评的可不理会。",
                unit_code=u["unit_code"],
                unit_name=u["unit_name"],
                file=where[0] if where else (er.file.rel if er else ""),
                sheet=where[1] if where else "",
                row=where[2] if where else 0,
                column=column(u["unit_code"], A.SHEET_UNIT, "sat_satisfied", where[2] if where else None),
            )
        )
    return out
