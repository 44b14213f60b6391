"""整改 and 组织处理 (notice 二(四): 对考核评价为“差”，经批评教育，在规定期限内仍无转变的，
视情况进行组织处理). Frames in, frames and findings out.

The 整改名单 (final grade 差) goes to each unit as a 整改情况表 (:data:`RECTIFY`): one row per
member (and the unit itself, when it is rated 差) with the deadline, for the unit to fill
整改措施 / 整改情况 / 完成日期 / 整改结果. The issued form is the first version of the
unit's rectification (archived when issued); the unit's return is a newer version.

After the deadline (``as_of`` later than it), a row whose 整改结果 is not 已整改 — blank
(no return), 未整改 or 部分整改 — is a candidate for organisational handling (拟组织处理),
listed for the leadership group with its history. A row marked 已整改 without any
整改情况 is notice Q112; 已整改 after the deadline is shown as late, not as a candidate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd

from pipeline.core.findings import ERROR, NOTICE, Finding

CANDIDATE = "拟组织处理"
CHANGED = "已整改"
COLUMNS = [
    "单位编码",
    "单位名称",
    "类别",
    "党员编号",
    "姓名",
    "考核等次",
    "评定依据",
    "整改期限",
    "整改措施",
    "整改情况",
    "完成日期",
    "整改结果",
    "整改情况表",
    "处理建议",
    "领导小组意见",
]


def rule_text() -> str:
    return (
        "评为差的列入整改名单，整改期限＝下发整改情况表之日后 assessment.rectify_days 天；"
        "期限已过、整改结果不是“已整改”（含未报回、未整改、部分整改）的，列为拟组织处理人选，提请领导小组研究"
    )


def issue_rows(
    rectify_list: pd.DataFrame,
    unit_codes: Mapping[str, str],
    member_ids: Mapping[tuple[str, str], str],
    due: dt.date,
    previous: Mapping[tuple[str, str], Mapping[str, Any]],
) -> dict[str, list[dict[str, Any]]]:
    """Rows of each unit's 整改情况表 from the 整改名单 (``scoring.rectify`` frame).

    ``unit_codes``: unit name -> code; ``member_ids``: (unit code, name) -> member id;
    ``previous``: (unit code, member id or "") -> the row of the version in use, whose
    deadline and filled cells are carried in (re-issuing never moves a deadline)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for rec in rectify_list.to_dict("records"):
        code = unit_codes.get(str(rec["单位名称"]), "")
        if not code:
            continue
        is_member = rec["类别"] == "党员"
        mid = member_ids.get((code, str(rec["姓名"])), "") if is_member else ""
        row: dict[str, Any] = {
            "category": "党员" if is_member else "单位",
            "member_id": mid,
            "name": rec["姓名"] if is_member else "",
            "grade": rec["最终等次"],
            "basis": rec["评定依据"],
            "deadline": due,
        }
        old = previous.get((code, mid))
        if old:
            row["deadline"] = old.get("deadline") or due
            row.update({k: old.get(k) for k in ("measures", "situation", "done_on", "result")})
        out.setdefault(code, []).append(row)
    return out


def follow_up(
    rows: pd.DataFrame, as_of: dt.date, unit_names: Mapping[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame, list[Finding]]:
    """(every row's progress, the candidates, findings) from the 整改情况表 rows in use
    (:meth:`pipeline.office.reader.OfficeInbox.frame` of :data:`RECTIFY`, ``key`` = unit)."""
    progress: list[dict[str, Any]] = []
    findings: list[Finding] = []
    field_cols: Mapping[str, Mapping[str, int]] = rows.attrs.get("field_cols", {})
    for rec in rows.to_dict("records"):
        code = rec["key"]
        deadline = rec.get("deadline")
        result = rec.get("result") or ""
        done_on = rec.get("done_on")
        cell_of = field_cols.get(rec["file"], {})

        def at(f: str, rec: dict[str, Any] = rec, cell_of: Mapping[str, int] = cell_of) -> dict[str, Any]:
            return {
                "unit_code": rec["key"],
                "unit_name": unit_names.get(rec["key"], rec["key"]),
                "file": rec["file"],
                "sheet": rec["sheet"],
                "row": int(rec["excel_row"]),
                "column": cell_of.get(f, 0),
                "member_id": rec.get("member_id", ""),
                "member_name": rec.get("name", ""),
            }

        if deadline is None:
            findings.append(
                Finding(
                    ERROR,
                    "Q111",
                    "整改期限为空，无法跟踪。请使用程序下发的整改情况表，不要清除整改期限。",
                    **at("deadline"),
                )
            )
            continue
        if result == CHANGED and not rec.get("situation"):
            findings.append(
                Finding(
                    NOTICE,
                    "Q112",
                    "整改结果填了“已整改”，但没有写整改情况。请写明整改了什么、效果如何（领导小组据此判断是否有转变）。",
                    **at("situation"),
                )
            )
        past = as_of > deadline
        if result == CHANGED:
            late = done_on is not None and done_on > deadline
            advice = f"已整改（完成日期晚于期限 {(done_on - deadline).days} 天）" if late else "已整改"
        elif past:
            why = "未报回整改情况表" if not rec.get("filled") else f"整改结果为“{result or '未填写'}”"
            advice = f"{CANDIDATE}（整改期限 {deadline:%Y-%m-%d} 已过，{why}）"
        else:
            advice = f"整改中（期限 {deadline:%Y-%m-%d}，还有 {(deadline - as_of).days} 天）"
        progress.append(
            {
                "单位编码": code,
                "单位名称": unit_names.get(code, code),
                "类别": rec.get("category", ""),
                "党员编号": rec.get("member_id", ""),
                "姓名": rec.get("name", ""),
                "考核等次": rec.get("grade", ""),
                "评定依据": rec.get("basis", ""),
                "整改期限": deadline,
                "整改措施": rec.get("measures", ""),
                "整改情况": rec.get("situation", ""),
                "完成日期": done_on,
                "整改结果": result,
                "整改情况表": rec["file"],
                "处理建议": advice,
                "领导小组意见": "",
            }
        )
    df = pd.DataFrame(progress, columns=COLUMNS)
    candidates = df[df["处理建议"].str.startswith(CANDIDATE)].reset_index(drop=True)
    return df, candidates, findings
