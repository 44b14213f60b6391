"""Write the assessment outputs: 评价结果.xlsx and the public notice 公示_考核结果.html.

评价结果.xlsx: 党员评价 and 单位评价 (every input figure, the score, the proposed grade,
the deciding rule and its plain-Chinese basis, then 领导小组意见 / 调整理由 for the
group and the final grade beside the proposed one), 支部书记述职考核, 表彰名单,
整改名单, 评定办法 (the policy in force) and 问题清单. The clerk saves a copy with the
group's opinions as ``inputs/evaluation/领导小组意见.xlsx``; the next run reads it back
and carries the opinions into the new 评价结果 so nothing is lost.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from pipeline.assessment import layout as A
from pipeline.assessment import scoring as S
from pipeline.assessment.policy import (
    GRADES,
    NO_RETURN_POOR,
    NO_RETURN_UNGRADED,
    NO_RETURN_ZERO,
    SATISFACTION,
    TIES_KEEP,
    AssessmentPolicy,
    share_text,
)
from pipeline.core.findings import Finding, findings_frame
from pipeline.core.settings import Settings
from pipeline.infra.atomic import write_text_atomic
from pipeline.outputs.jinja import render
from pipeline.outputs.sheet import write_frame
from pipeline.outputs.xlsx import formats, new_workbook
from pipeline.rules.calendar import before_assessment
from pipeline.rules.status import TRACKED

MEMBER_COLUMNS = {
    "unit_code": "单位编码",
    "unit_name": "单位名称",
    "member_id": "党员编号",
    "name": "姓名",
    "category": "党员类别",
    "tracked": "审核通过承诺",
    "done": "按期完成",
    "done_late": "逾期完成",
    "overdue": "逾期未完成",
    "fulfil_rate": "加权完成率",
    "fulfil_score": "履诺得分",
    "logs": "履诺记实条数",
    "evidence": "有佐证材料的记实",
    "done_unlogged": "无记实的已完成承诺",
    "target_result": "年度工作目标完成情况",
    "target_score": "工作目标得分",
    "duty": "述职",
    "voters": "参评人数",
    **{f: f"评议{g}票" for g, f in A.VOTE_FIELDS.items()},
    "peer_score": "民主评议得分",
    **{f: f"{o}票" for o, f in A.SAT_FIELDS.items()},
    "sat_score": "满意度得分",
    "score": "综合得分",
    "rank": "单位内排名",
    "state": "评定情况",
    "rule": "依据规则",
    "basis": "评定依据",
    "proposed": A.COL_PROPOSED,
    "final": A.COL_FINAL,
    "opinion": A.COL_OPINION,
    "reason": A.COL_REASON,
    "decision": "调整说明",
}
UNIT_COLUMNS = {
    "unit_code": "单位编码",
    "unit_name": "单位名称",
    "unit_type": "单位类型",
    "secretary": "书记",
    "duty": "书记述职",
    "tracked": "党员承诺（审核通过）",
    "member_rate": "党员承诺完成率",
    "fulfil_score": "党员承诺得分",
    "org_tracked": "组织承诺（审核通过）",
    "org_done": "组织承诺完成合计",
    "org_overdue": "组织承诺逾期未完成",
    "org_rate": "组织承诺完成率",
    "org_score": "组织承诺得分",
    "logs": "履诺记实条数",
    "evidence": "有佐证材料的记实",
    "org_done_unlogged": "无记实的已完成组织承诺",
    "target_result": "年度工作目标完成情况",
    "target_score": "工作目标得分",
    "n_members": "党员人数",
    "n_graded": "评定人数",
    **{f"n_{g}": f"党员{g}" for g in GRADES},
    "members_score": "党员评价得分",
    **{f: f"{o}票" for o, f in A.SAT_FIELDS.items()},
    "sat_score": "满意度得分",
    "score": "综合得分",
    "state": "评定情况",
    "rule": "依据规则",
    "basis": "评定依据",
    "proposed": A.COL_PROPOSED,
    "final": A.COL_FINAL,
    "opinion": A.COL_OPINION,
    "reason": A.COL_REASON,
    "decision": "调整说明",
}
SHEET_COMMITTEE = "校党委（报上级党组织）"
SHEET_PENDING = "暂不评定名单"
# The printable summaries of the wide sheets (issue 13): a one-page-wide selection.
SHEET_MEMBER_PRINT = "党员评价汇总"
SHEET_UNIT_PRINT = "单位评价汇总"
MEMBER_PRINT_COLUMNS = (
    "单位名称",
    "姓名",
    "党员类别",
    "履诺得分",
    "民主评议得分",
    "满意度得分",
    "综合得分",
    "单位内排名",
    "评定依据",
    A.COL_PROPOSED,
    A.COL_FINAL,
    A.COL_OPINION,
)
UNIT_PRINT_COLUMNS = (
    "单位名称",
    "书记",
    "党员承诺得分",
    "组织承诺得分",
    "党员评价得分",
    "满意度得分",
    "综合得分",
    "评定依据",
    A.COL_PROPOSED,
    A.COL_FINAL,
    A.COL_OPINION,
)
WIDTHS = {
    "单位名称": 24,
    "评定依据": 60,
    "调整说明": 30,
    A.COL_REASON: 30,
    A.COL_OPINION: 12,
    A.COL_PROPOSED: 9,
    A.COL_FINAL: 9,
}


def blanks(df: pd.DataFrame) -> pd.DataFrame:
    """Object columns with None for NaN/NA and "", so missing values are blank cells."""
    out = df.astype(object)
    return out.where(out.notna() & ~out.isin([""]), None)


def display(df: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    out = blanks(df.reindex(columns=list(columns)))
    out.columns = pd.Index(list(columns.values()))
    return out.reset_index(drop=True)


def policy_lines(p: AssessmentPolicy) -> list[tuple[str, str]]:
    """The policy in force, one (item, value) per line, for the 评定办法 sheet."""
    w, uw = p.weights, p.unit_weights
    lines = [
        (
            "党员综合得分",
            f"履诺 {w['fulfilment']:g} + 民主评议 {w['peer_review']:g} + 满意度 {w['satisfaction']:g}（某项无数据时按其余各项折算）",
        ),
        (
            "履诺完成率",
            "、".join(f"{s} {p.fulfilment_credit[s]:g}" for s in TRACKED) + "（审核通过的承诺，按状态折算）",
        ),
        ("民主评议每票分值", "、".join(f"{g} {p.peer_review_points[g]:g}" for g in GRADES)),
        ("满意度每票分值", "、".join(f"{o} {p.satisfaction_points[o]:g}" for o in SATISFACTION)),
        (
            "等次分数线",
            "、".join(f"{g} ≥ {p.thresholds[g]:g}" for g in ("好", "较好", "一般"))
            + f"，低于 {p.thresholds['一般']:g} 为差",
        ),
        ("未述职", f"等次最高为{p.duty_report.max_grade}" if p.duty_report.enabled else "不限制（已关闭）"),
        ("有逾期未完成承诺", f"等次最高为{p.overdue.max_grade}" if p.overdue.enabled else "不限制（已关闭）"),
        (
            "民主评议差票",
            f"超过参评人数的 {share_text(p.poor_votes_share)}，评为差"
            if p.poor_votes_enabled
            else "不限制（已关闭）",
        ),
        (
            "好等次比例",
            (
                f"每个单位不超过参加评定人数的 {share_text(p.good_cap_share)}（向下取整，按综合得分排名）；上限处并列："
                + ("都保留好，提请领导小组决定" if p.good_cap_ties == TIES_KEEP else "都调为较好")
            )
            if p.good_cap_enabled
            else "不限制（已关闭）",
        ),
        ("预备党员", "与正式党员一样评定等次" if p.probationary == "评定" else "只列名、不定等次"),
        ("没有民主评议票数", "暂不评定" if p.require_peer_review else "按其余各项折算"),
        (
            "未报送承诺表的单位及其党员",
            {
                NO_RETURN_UNGRADED: "暂不评定，列入暂不评定名单提请领导小组研究，报送后再评定",
                NO_RETURN_ZERO: "履诺得分按 0 分计，并视同有逾期未完成的承诺",
                NO_RETURN_POOR: "评为差",
            }[p.no_return]
            + "（assessment.no_return；不会比报送晚、进度落后的单位评得好）",
        ),
        ("校党委", S.COMMITTEE_NOTE + "，单独列在“" + SHEET_COMMITTEE + "”表"),
        (
            "单位综合得分",
            f"党员承诺 {uw['fulfilment']:g} + 组织承诺 {uw['org_pledges']:g} + 党员评价 {uw['members']:g} + 满意度 {uw['satisfaction']:g}"
            "（党员评价按 " + "、".join(f"{g} {p.grade_points[g]:g}" for g in GRADES) + " 分折算）",
        ),
        ("单位硬性规定", "书记未述职、组织承诺逾期，分别按上面“未述职”“有逾期未完成承诺”的上限"),
        ("整改期限", f"评为差的，统计日期后 {p.rectify_days} 天内整改"),
        ("领导小组调整", "在“领导小组意见”填等次并写明“调整理由”才采用；填“同意”或与拟定等次相同表示同意"),
    ]
    return lines


def process_lines(s: Settings) -> list[tuple[str, str]]:
    """The rules of ``[assessment.evidence]``, ``[assessment.work_targets]`` and ``[filing]``."""
    from pipeline.assessment.evidence import load_evidence_policy
    from pipeline.assessment.targets import load_targets_policy
    from pipeline.office.filing import load_filing_policy

    return [
        *load_evidence_policy(s).lines(),
        *load_targets_policy(s).lines(),
        *load_filing_policy(s).lines(),
    ]


def _changed_grades(df: pd.DataFrame) -> dict[tuple[int, int], str]:
    """The final grades the group changed, to highlight: (record, column) -> style."""
    jf = list(df.columns).index(A.COL_FINAL)
    return {
        (i, jf): "notice"
        for i, (prop, final) in enumerate(zip(df[A.COL_PROPOSED], df[A.COL_FINAL], strict=True))
        if (prop or "") != (final or "")
    }


def write_results(
    result: S.Assessment,
    findings: Iterable[Finding],
    p: AssessmentPolicy,
    s: Settings,
    as_of: dt.date,
    path: Path,
) -> None:
    wb = new_workbook(path)
    fmt = formats(wb)
    members = display(result.members, MEMBER_COLUMNS)
    units = display(result.units, UNIT_COLUMNS)
    for name, df, pct in (
        (A.SHEET_MEMBER_RESULTS, members, ("加权完成率",)),
        (A.SHEET_UNIT_RESULTS, units, ("党员承诺完成率", "组织承诺完成率")),
    ):
        ws = wb.add_worksheet(name)
        write_frame(ws, df, fmt, widths=WIDTHS, percent_cols=pct, cell_styles=_changed_grades(df), id_cols=4)
    # The two sheets above are too wide for one A4 page at a readable size (they print in
    # bands); these carry what a meeting reads, one page wide.
    for name, df, cols in (
        (SHEET_MEMBER_PRINT, members, MEMBER_PRINT_COLUMNS),
        (SHEET_UNIT_PRINT, units, UNIT_PRINT_COLUMNS),
    ):
        ws = wb.add_worksheet(name)
        brief = df[[c for c in cols if c in df.columns]]
        write_frame(
            ws,
            brief,
            fmt,
            widths=WIDTHS,
            cell_styles=_changed_grades(brief),
            start_row=1,
            title=f"{s.year}年度{name}（统计截止 {as_of:%Y-%m-%d}；全部数据见“{name[:-2]}”表）",
        )
    sec = blanks(S.secretaries_table(result.units))
    ws = wb.add_worksheet(A.SHEET_SECRETARIES)
    write_frame(
        ws,
        sec,
        fmt,
        widths={"单位名称": 24},
        percent_cols=("党员承诺完成率", "组织承诺完成率"),
        start_row=1,
        title=f"{s.year}年度支部书记述职考核：本单位考核评价结果（统计截止 {as_of:%Y-%m-%d}）",
    )
    for name, df in (
        (A.SHEET_COMMENDED, blanks(S.commended(result.members, result.units))),
        (A.SHEET_RECTIFY, blanks(S.rectify(result.members, result.units, as_of, p))),
        (SHEET_PENDING, blanks(S.pending_table(result.members, result.units))),
    ):
        ws = wb.add_worksheet(name)
        write_frame(ws, df, fmt, widths={"单位名称": 24, "评定依据": 50, "调整理由": 30, "整改情况": 30})
    ws = wb.add_worksheet(SHEET_COMMITTEE)
    ws.write_string(
        0, 0, f"{s.year}年度校党委考核评价结果（报上级党组织审定；统计截止 {as_of:%Y-%m-%d}）", fmt["title"]
    )
    write_frame(
        ws,
        blanks(S.committee_table(result.units)),
        fmt,
        widths={"单位名称": 16, "评定依据": 50, "说明": 40},
        percent_cols=("组织承诺完成率",),
        start_row=1,
    )
    ws = wb.add_worksheet("评定办法")
    write_frame(
        ws,
        pd.DataFrame(policy_lines(p) + process_lines(s), columns=["项目", "规定"]),
        fmt,
        widths={"项目": 18, "规定": 70},
        start_row=1,
        title="评定办法（取自 campaign.toml 的 [assessment] 设置）",
    )
    ws = wb.add_worksheet(A.SHEET_PROBLEMS)
    write_frame(ws, findings_frame(findings), fmt, widths={"说明": 70})
    wb.get_worksheet_by_name(A.SHEET_MEMBER_RESULTS).activate()
    wb.close()


def shown_grade(final: object, state: object) -> str:
    """The grade the public notice shows, or "" when there is none to post (never 待定)."""
    if isinstance(final, str) and final:
        return final
    return S.LISTED if state == S.LISTED else ""


REASONS = {S.RULE_NO_RETURN: "所在单位未报送承诺表", S.RULE_MISSING: "考核资料不全"}


def _left_out(rules: list[str], word: str, noun: str) -> str:
    """ "另有 3 名党员暂不评定……（所在单位未报送承诺表 2 名、考核资料不全 1 名）……"."""
    if not rules:
        return ""
    counts: dict[str, int] = {}
    for r in rules:
        reason = REASONS.get(r, "尚待评定")
        counts[reason] = counts.get(reason, 0) + 1
    parts = "、".join(f"{k} {n} {word}" for k, n in counts.items())
    return f"另有 {len(rules)} {word}{noun}暂不评定，未列入本公示（{parts}），评定后另行公示。"


def notice_context(result: S.Assessment, s: Settings, as_of: dt.date) -> dict[str, object]:
    """Names and final grades by unit, in roster order; nothing else. Members and units
    without a grade are left out with a line saying how many and why; the committee's
    own grade goes to the level above, not onto the school's notice."""
    units = []
    left_members: list[str] = []
    left_units: list[str] = []
    committee = False
    for u in result.units.itertuples(index=False):
        mine = result.members[result.members["unit_code"] == u.unit_code]
        shown = []
        for m in mine.itertuples(index=False):
            g = shown_grade(m.final, m.state)
            if g:
                shown.append({"name": m.name, "grade": g})
            else:
                left_members.append(str(m.rule))
        grade = shown_grade(u.final, u.state)
        if S.is_committee(u.unit_type):
            committee = True
            grade = ""
        elif not grade:
            left_units.append(str(u.rule))
        if not shown and not grade:
            continue
        units.append({"name": u.unit_name, "grade": grade, "members": shown})
    lines = [
        x
        for x in (
            _left_out(left_units, "个", "单位"),
            _left_out(left_members, "名", "党员"),
            S.COMMITTEE_NOTE + "。" if committee else "",
            before_assessment(as_of, s),
        )
        if x
    ]
    return {
        "title": f"{s.organisation}{s.year}年{s.name}考核评价结果公示",
        "year": s.year,
        "office": s.office,
        "organisation": s.organisation,
        "as_of": as_of,
        "units": units,
        "lines": lines,
    }


def write_notice(result: S.Assessment, s: Settings, as_of: dt.date, path: Path) -> None:
    write_text_atomic(path, render("ratings_notice.html.j2", **notice_context(result, s, as_of)))
