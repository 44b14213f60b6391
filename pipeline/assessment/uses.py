"""What the results are used for (notice 二(四): 把考评结果作为评选先进基层党组织、优秀共产党员和
预备党员转正、处置不合格党员等的重要依据). Frames in, frames out.

Four lists, each entry with the evidence behind it: the grade and its basis, the
pledges with their status, the 履诺记实 and 佐证材料 counts, and (for 差) the
rectification history:

- 先进基层党组织推荐: units with final grade 好;
- 优秀共产党员推荐: members with final grade 好;
- 预备党员转正参考: every probationary member, whatever the grade (a reference, not a decision);
- 不合格党员处置参考: members with final grade 差, with their rectification.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pandas as pd

from pipeline.assessment.policy import GOOD, POOR
from pipeline.assessment.scoring import PROBATIONARY

SHEETS = ("先进基层党组织推荐", "优秀共产党员推荐", "预备党员转正参考", "不合格党员处置参考")
NOTES = {
    "先进基层党组织推荐": "考核评价最终等次为“好”的党支部（校党委另报上级），作为评选先进基层党组织的依据。",
    "优秀共产党员推荐": "考核评价最终等次为“好”的党员，作为评选优秀共产党员的依据。",
    "预备党员转正参考": "全部预备党员的承诺履行和考核情况，供支部讨论转正时参考（不是转正结论）。",
    "不合格党员处置参考": "最终等次为“差”的党员及其整改情况；整改期限已过仍无转变的，见拟组织处理名单。",
}


def _pledge_text(rows: list[dict[str, Any]]) -> str:
    return "；".join(f"{r['kind']}：{r['content']}（{r['status']}）" for r in rows)


def _by(df: pd.DataFrame, key: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rec in df.to_dict("records"):
        out[str(rec[key])].append(rec)
    return out


def _num(v: object) -> object:
    return None if v is None or (isinstance(v, float) and v != v) or v is pd.NA else v


def uses_lists(
    members: pd.DataFrame,
    units: pd.DataFrame,
    pledges: pd.DataFrame,
    orgs: pd.DataFrame,
    rectification: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """``members`` / ``units``: the assessment's frames (final grades, basis, figures);
    ``pledges`` / ``orgs``: the ledger's items with ``status``; ``rectification``: the
    整改进展 frame of :func:`pipeline.office.rectify.follow_up` (optional)."""
    mine = _by(pledges.assign(kind=pledges["kind"]), "member_id") if len(pledges) else {}
    org_items = _by(orgs.assign(kind="组织承诺"), "unit_code") if len(orgs) else {}
    rect = (
        {str(r["党员编号"]): r for r in rectification.to_dict("records")} if rectification is not None else {}
    )

    def member_row(m: dict[str, Any]) -> dict[str, Any]:
        items = mine.get(str(m["member_id"]), [])
        return {
            "单位": m["unit_name"],
            "党员编号": m["member_id"],
            "姓名": m["name"],
            "党员类别": m["category"],
            "最终等次": m["final"] or m["state"],
            "综合得分": _num(m["score"]),
            "评定依据": m["basis"],
            "领导小组调整理由": m.get("reason", ""),
            "承诺事项及状态": _pledge_text(items),
            "审核通过承诺": m["tracked"],
            "按期完成": m["done"],
            "逾期完成": m["done_late"],
            "逾期未完成": m["overdue"],
            "履诺记实条数": m.get("logs", 0),
            "有佐证材料的记实": m.get("evidence", 0),
            "无记实的已完成承诺": m.get("done_unlogged", 0),
            "民主评议得分": _num(m["peer_score"]),
            "满意度得分": _num(m["sat_score"]),
        }

    ms = members.to_dict("records")
    good_members = [member_row(m) for m in ms if m["final"] == GOOD]
    probation = [member_row(m) for m in ms if m["category"] == PROBATIONARY]
    poor = []
    for m in ms:
        if m["final"] != POOR:
            continue
        row = member_row(m)
        r = rect.get(str(m["member_id"]))
        row.update(
            {
                "整改期限": r["整改期限"] if r else None,
                "整改措施": r["整改措施"] if r else "",
                "整改情况": r["整改情况"] if r else "",
                "整改结果": r["整改结果"] if r else "",
                "处理建议": r["处理建议"] if r else "尚未下发整改情况表（make rectification）",
            }
        )
        poor.append(row)
    good_units = []
    for u in units.to_dict("records"):
        if u["final"] != GOOD or u.get("unit_type") == "党委":
            continue
        good_units.append(
            {
                "单位": u["unit_name"],
                "书记": u["secretary"],
                "最终等次": u["final"],
                "综合得分": _num(u["score"]),
                "评定依据": u["basis"],
                "组织承诺及状态": _pledge_text(org_items.get(str(u["unit_code"]), [])),
                "组织承诺完成率": _num(u["org_rate"]),
                "党员承诺完成率": _num(u["member_rate"]),
                "党员评定好": u.get("n_好", 0),
                "评定人数": u["n_graded"],
                "履诺记实条数": u.get("logs", 0),
                "有佐证材料的记实": u.get("evidence", 0),
                "满意度得分": _num(u["sat_score"]),
            }
        )
    return {
        SHEETS[0]: pd.DataFrame(good_units),
        SHEETS[1]: pd.DataFrame(good_members),
        SHEETS[2]: pd.DataFrame(probation),
        SHEETS[3]: pd.DataFrame(poor),
    }
