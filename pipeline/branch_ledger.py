"""Branch ledgers (支部台账): one unit's own slice of the consolidation (no I/O).

"学校对各支部、各支部对本支部党员的公开承诺建立管理台帐": besides the school's ledger
(台账.xlsx) every unit that returned a workbook gets its own, for the branch secretary to
urge and help members (督促、帮助). A :class:`BranchLedger` holds only that unit's rows:
its overview, member pledges with status, organisational pledges, members to urge (no
pledge, overdue pledges or overdue plan steps), plan steps with milestone state, and
its findings. The frames reuse the school ledger's (``ledger_writer.member_ledger``,
``org_ledger``) filtered to the unit; the writer is ``branch_ledger_writer``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from pipeline import layout as L
from pipeline.consolidate import Consolidation, unit_summary
from pipeline.findings import Finding, findings_frame
from pipeline.jinja import percent
from pipeline.ledger_writer import member_ledger, org_ledger
from pipeline.plan_rules import STEP_OVERDUE, plan_steps
from pipeline.status import OVERDUE
from pipeline.textnorm import safe_filename

BRANCH_DIR = "支部台账"
SHEET_OVERVIEW = "概况"
SHEET_URGE = "需督促党员"
SHEET_FINDINGS = "问题清单"

PLAN_COLUMNS = {
    "ref_text": "承诺序号",
    "member_id": "党员编号",
    "name": "姓名",
    "content": "承诺事项",
    "deadline": "完成期限",
    "status": "承诺状态",
    "step": "步骤",
    "planned_on": "计划完成时间",
    "actual_on": "实际完成时间",
    "owner": "责任人",
    "remark": "备注",
    "milestone": "步骤状态",
    "days_overdue": "逾期天数",
    "source": "来源",
}
URGE_COLUMNS = [
    "党员编号",
    "姓名",
    "岗位",
    "党员类别",
    "情况",
    "逾期承诺数",
    "最长逾期天数",
    "逾期计划步骤数",
    "明细",
]
_DROP = ["单位编码", "单位名称"]  # the whole workbook is one unit's


@dataclass
class BranchLedger:
    unit_code: str
    unit_name: str
    title: str
    overview: pd.DataFrame  # 项目 | 内容
    members: pd.DataFrame
    orgs: pd.DataFrame
    urge: pd.DataFrame
    plans: pd.DataFrame
    findings: pd.DataFrame

    @property
    def filename(self) -> str:
        return branch_filename(self.unit_code, self.unit_name)


def branch_filename(unit_code: str, unit_name: str) -> str:
    return f"{safe_filename(unit_code, 20)}_{safe_filename(unit_name)}_台账.xlsx"


def _groups(df: pd.DataFrame, key: str) -> dict[str, pd.DataFrame]:
    return {str(k): g for k, g in df.groupby(key, sort=False)} if len(df) else {}


def _plan_frame(steps: pd.DataFrame) -> pd.DataFrame:
    if steps.empty:
        return pd.DataFrame(columns=list(PLAN_COLUMNS.values()))
    s = steps.assign(
        ref_text=[r or p for r, p in zip(steps["ref"], steps["pledge_ref"], strict=True)],
        source=[
            f"{f}!{sh}!{cell}" if cell else f"{f}!{sh}"
            for f, sh, cell in zip(steps["file"], steps["sheet"], steps["cell"], strict=True)
        ],
    )
    out = s.reindex(columns=list(PLAN_COLUMNS))
    out.columns = pd.Index(list(PLAN_COLUMNS.values()))
    return out.reset_index(drop=True)


def _urge(code: str, c: Consolidation, items: pd.DataFrame, steps: pd.DataFrame) -> pd.DataFrame:
    """Roster members of the unit with no pledge, overdue pledges or overdue plan steps."""
    rows = []
    # Plain tuples grouped once per unit (a per-member DataFrame filter is ~100 times slower: issue 6).
    by_member: dict[str, list[tuple[Any, ...]]] = {}
    for mid, review, status, content, deadline, days in zip(
        items["member_id"],
        items["review"],
        items["status"],
        items["content"],
        items["deadline"],
        items["days_overdue"],
        strict=True,
    ):
        if isinstance(mid, str):  # groupby drops missing keys
            by_member.setdefault(mid, []).append((review, status, content, deadline, days))
    steps_by_member: dict[str, list[tuple[Any, ...]]] = {}
    if len(steps):
        late_steps = steps[steps["milestone"] == STEP_OVERDUE]
        for mid, ref, step, planned, days in zip(
            late_steps["member_id"],
            late_steps["ref"],
            late_steps["step"],
            late_steps["planned_on"],
            late_steps["days_overdue"],
            strict=True,
        ):
            if isinstance(mid, str):
                steps_by_member.setdefault(mid, []).append((ref, step, planned, days))
    for m in c.roster.members_of(code).itertuples(index=False):
        mine = by_member.get(m.member_id, [])
        live = [r for r in mine if r[0] != L.REVIEW_RETURNED]
        late = [r for r in mine if r[1] == OVERDUE]
        ms = steps_by_member.get(m.member_id, [])
        reasons, details = [], []
        if not live:
            reasons.append("未承诺" if not mine else "承诺均被退回")
            details.append(
                "请督促按要求填报 2—3 件实事好事、1—2 个改正缺点" if not mine else "请帮助修改后重新报送承诺"
            )
        if len(late):
            reasons.append(f"承诺逾期 {len(late)} 项")
            details += [
                f"{content}（期限 {deadline:%Y-%m-%d}，逾期 {days} 天）"
                for _review, _status, content, deadline, days in late
            ]
        if len(ms):
            reasons.append(f"计划步骤逾期 {len(ms)} 个")
            details += [
                f"{ref} {step}（计划 {planned:%Y-%m-%d}，逾期 {days} 天）" for ref, step, planned, days in ms
            ]
        if not reasons:
            continue
        rows.append(
            {
                "党员编号": m.member_id,
                "姓名": m.name,
                "岗位": m.post,
                "党员类别": m.category,
                "情况": "；".join(reasons),
                "逾期承诺数": len(late),
                "最长逾期天数": int(max(r[4] for r in late)) if len(late) else 0,
                "逾期计划步骤数": len(ms),
                "明细": "；\n".join(details),
            }
        )
    return pd.DataFrame(rows, columns=URGE_COLUMNS)


def _overview(
    c: Consolidation, code: str, summary: pd.Series, urge: pd.DataFrame, steps: pd.DataFrame
) -> pd.DataFrame:
    n_late_steps = int((steps["milestone"] == STEP_OVERDUE).sum()) if len(steps) else 0
    not_pledged = int(urge["情况"].str.contains("未承诺|承诺均被退回", regex=True).sum()) if len(urge) else 0
    rows = [
        ("单位", f"{code} {summary['单位名称']}"),
        ("支部书记", c.roster.secretary_of(code)),
        ("统计截止", f"{c.as_of:%Y-%m-%d}"),
        ("采用文件", summary["采用文件"]),
        ("报送时间", summary["报送时间"]),
        ("党员人数", int(summary["党员人数"])),
        ("已承诺党员", int(summary["已承诺党员"])),
        ("未承诺党员", not_pledged),
        ("实事好事（项）", int(summary["实事好事"])),
        ("改正缺点（个）", int(summary["改正缺点"])),
        ("组织承诺（项）", int(summary["组织承诺"])),
        ("跟踪中承诺（已审核通过）", int(summary["跟踪中承诺"])),
        ("已完成", int(summary["已完成"])),
        ("逾期", int(summary["逾期"])),
        ("完成率", percent(summary["完成率"])),
        ("逾期计划步骤", n_late_steps),
        ("需督促党员", len(urge)),
        ("问题：错误", int(summary["错误"])),
        ("问题：提醒", int(summary["提醒"])),
    ]
    return pd.DataFrame(rows, columns=["项目", "内容"])


def branch_ledgers(c: Consolidation) -> list[BranchLedger]:
    """One ledger per unit that returned a workbook, in roster order."""
    summary = unit_summary(c).set_index("单位编码", drop=False)
    ml, ol = member_ledger(c), org_ledger(c)
    members, orgs = _groups(ml, "单位编码"), _groups(ol, "单位编码")
    items = _groups(c.members, "unit_code")
    steps_all = plan_steps(c)
    steps = _groups(steps_all, "unit_code")
    found: dict[str, list[Finding]] = {}
    for f in c.findings:
        if f.unit_code in c.used:
            found.setdefault(f.unit_code, []).append(f)
    out = []
    for code in c.roster.codes:
        ur = c.used.get(code)
        if ur is None:
            continue
        st = steps.get(code, steps_all.iloc[0:0])
        urge = _urge(code, c, items.get(code, c.members.iloc[0:0]), st)
        out.append(
            BranchLedger(
                unit_code=code,
                unit_name=ur.unit_name,
                title=f"{c.settings.year}年{c.settings.name} {ur.unit_name}台账（统计截止 {c.as_of:%Y-%m-%d}）",
                overview=_overview(c, code, summary.loc[code], urge, st),
                members=members.get(code, ml.iloc[0:0]).drop(columns=_DROP).reset_index(drop=True),
                orgs=orgs.get(code, ol.iloc[0:0]).drop(columns=_DROP).reset_index(drop=True),
                urge=urge,
                plans=_plan_frame(st),
                findings=findings_frame(found.get(code, [])),
            )
        )
    return out
