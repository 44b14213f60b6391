"""Scoring and grading: DataFrames in, DataFrames and findings out (no disk).

Order for members (each step explained in the row's ``basis``, in plain Chinese):

1. component scores (0–100): fulfilment = weighted completion rate of approved pledges;
   democratic evaluation = vote points per vote cast; satisfaction = option points per
   vote cast. A component without data is left out and the other weights scaled up,
   except that without democratic-evaluation votes a member is not graded when
   ``require_peer_review`` is on;
2. the score (rounded to 2 decimals) gives the grade by the thresholds (inclusive);
3. hard rules, each switchable: no 述职 caps the grade; any 逾期 pledge caps the grade;
   a share of 差 votes above the limit (strictly) gives 差;
4. the optional cap on the share of 好 per unit, by score rank (ties reported);
5. the leadership group's opinions: a changed grade is taken only with a reason.

Units: their members' pledges, their org pledges, their members' final grades and their
satisfaction survey, then the 述职 (secretary) and 逾期 (org pledges) caps and opinions.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from pipeline.assessment import layout as A
from pipeline.assessment.extras import (
    Extras,
    cap_no_log,
    member_figures,
    no_extras,
    unit_figures,
    unverified_clause,
    with_targets,
)
from pipeline.assessment.policy import (
    FAIR,
    GOOD,
    GRADES,
    NO_RETURN_POOR,
    NO_RETURN_UNGRADED,
    NO_RETURN_ZERO,
    POOR,
    PROBATIONARY_LIST,
    TIES_KEEP,
    AssessmentPolicy,
    share_text,
)
from pipeline.core.findings import ERROR, NOTICE, Finding
from pipeline.rules.roster import COMMITTEE_TYPE
from pipeline.rules.status import DONE, DONE_LATE, OVERDUE, TRACKED

GRADED = "评定"
PENDING = "暂不评定"
LISTED = "不定等次"  # probationary members listed without a grade

RULE_SCORE = "综合得分"
RULE_DUTY = "述职"
RULE_OVERDUE = "逾期承诺"
RULE_POOR = "差票比例"
RULE_CAP = "好等次比例"
RULE_PROBATION = "预备党员"
RULE_MISSING = "资料不全"
RULE_NO_RETURN = "未报送承诺表"

PROBATIONARY = "预备党员"
NO_RETURN_PENDING_TEXT = "本单位未报送承诺表，按设置（assessment.no_return）暂不评定，报送后再评定；已列入“暂不评定名单”提请领导小组研究"
VOTES = list(A.VOTE_FIELDS.values())
SATS = list(A.SAT_FIELDS.values())


def _r2(x: float) -> float:
    return math.floor(x * 100 + 0.5 + 1e-9) / 100


def _n(x: float) -> str:
    return f"{x:.2f}"


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


# ------------------------------------------------------------------ components


def fulfilment(pledges: pd.DataFrame, key: str, credit: dict[str, float]) -> pd.DataFrame:
    """Per ``key`` value: tracked, done, done_late, overdue, credit and rate of the
    approved (tracked) pledges in ``pledges`` (which has ``key`` and ``status``)."""
    cols = ["tracked", "done", "done_late", "overdue", "credit", "rate"]
    t = pledges[pledges["status"].isin(TRACKED)]
    if t.empty:
        return pd.DataFrame(columns=cols, index=pd.Index([], name=key))
    # credit_factor: an unverified completed pledge counts for less (pipeline.assessment.evidence)
    factors = t["credit_factor"].tolist() if "credit_factor" in t else [1.0] * len(t)
    t = t.assign(_credit=[credit[x] * f for x, f in zip(t["status"].tolist(), factors, strict=True)])
    g = t.groupby(key)["status"]
    out = pd.DataFrame(
        {
            "tracked": g.size(),
            "done": g.apply(lambda s: int((s == DONE).sum())),
            "done_late": g.apply(lambda s: int((s == DONE_LATE).sum())),
            "overdue": g.apply(lambda s: int((s == OVERDUE).sum())),
            "credit": t.groupby(key)["_credit"].sum().astype(float),
        }
    )
    out["rate"] = out["credit"] / out["tracked"]
    return out


def points_score(counts: dict[str, int | None], points: dict[str, float]) -> float | None:
    """Points per vote cast, 0–100; None when no vote was cast."""
    total = sum(v or 0 for v in counts.values())
    if total <= 0:
        return None
    return sum(points[k] * (v or 0) for k, v in counts.items()) / total


def combine(parts: dict[str, float | None], weights: dict[str, float]) -> tuple[float | None, list[str]]:
    """Weighted score over the parts with data, weights scaled up; names of the missing."""
    have = {k: v for k, v in parts.items() if v is not None and weights[k] > 0}
    missing = [k for k, v in parts.items() if v is None and weights[k] > 0]
    w = sum(weights[k] for k in have)
    if w <= 0:
        return None, missing
    return _r2(sum(weights[k] * v for k, v in have.items()) / w), missing


def score_basis(score: float, grade: str, p: AssessmentPolicy) -> str:
    if grade == POOR:
        return f"综合得分 {_n(score)}，低于“一般”线（{p.thresholds['一般']:g} 分），为差"
    return f"综合得分 {_n(score)}，达到“{grade}”线（{p.thresholds[grade]:g} 分）"


def _int(v: object) -> int | None:
    return None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else int(v)  # type: ignore[call-overload]


# ------------------------------------------------------------------ members

_COMPONENT_NAMES = {
    "fulfilment": "履诺得分",
    "peer_review": "民主评议得分",
    "satisfaction": "满意度得分",
    "org_pledges": "组织承诺得分",
    "members": "党员评价得分",
}


def score_members(
    roster_members: pd.DataFrame,
    pledges: pd.DataFrame,
    pledge_units: Iterable[str],
    tallies: pd.DataFrame,
    eval_units: Iterable[str],
    p: AssessmentPolicy,
    extras: Extras | None = None,
) -> pd.DataFrame:
    """One row per roster member: every input figure, component scores, score, proposed
    grade (before the 好 cap), the deciding rule and the basis. ``extras``: the log,
    evidence and work targets (:mod:`pipeline.assessment.extras`)."""
    x = extras or no_extras()
    pledge_units, eval_units = set(pledge_units), set(eval_units)
    ful = fulfilment(pledges, "member_id", p.fulfilment_credit)
    tal = tallies.drop_duplicates("member_id").set_index("member_id") if len(tallies) else tallies
    rows = []
    for m in roster_members.itertuples(index=False):
        basis: list[str] = []
        rec: dict[str, object] = {
            "unit_code": m.unit_code,
            "unit_name": m.unit_name,
            "member_id": m.member_id,
            "name": m.name,
            "category": m.category,
        }
        # fulfilment
        f = ful.loc[m.member_id] if m.member_id in ful.index else None
        tracked = int(f["tracked"]) if f is not None else 0
        rec.update(
            tracked=tracked,
            done=int(f["done"]) if f is not None else 0,
            done_late=int(f["done_late"]) if f is not None else 0,
            overdue=int(f["overdue"]) if f is not None else 0,
        )
        rec.update(member_figures(x, m.member_id))
        no_return = m.unit_code not in pledge_units
        if no_return and p.no_return == NO_RETURN_ZERO:
            rec["fulfil_rate"], fulfil_score = 0.0, 0.0
            basis.append("本单位未报送承诺表，按设置履诺得分按 0 分计")
        elif no_return:
            rec["fulfil_rate"], fulfil_score = None, None
        elif tracked == 0:
            rec["fulfil_rate"], fulfil_score = 0.0, 0.0
            basis.append("没有审核通过的承诺，履诺得分按 0 分计")
        else:
            rec["fulfil_rate"] = float(f["rate"])  # type: ignore[index]
            fulfil_score = _r2(100 * float(f["rate"]))  # type: ignore[index]
            clause = unverified_clause(x, int(rec["done_unlogged"]))  # type: ignore[call-overload]
            if clause:
                basis.append(clause)
        rec["fulfil_score"] = fulfil_score
        # tallies
        t = tal.loc[m.member_id] if len(tal) and m.member_id in tal.index else None
        invalid = bool(t["invalid"]) if t is not None else False
        rec["duty"] = str(t["duty"]) if t is not None else ""
        counts: dict[str, int | None] = {
            fld: (_int(t[fld]) if t is not None else None) for fld in ("voters", *VOTES, *SATS)
        }
        rec.update(counts)
        usable = t is not None and not invalid
        peer = (
            points_score({g: counts[f] for g, f in A.VOTE_FIELDS.items()}, p.peer_review_points)
            if usable
            else None
        )
        sat = (
            points_score({o: counts[f] for o, f in A.SAT_FIELDS.items()}, p.satisfaction_points)
            if usable
            else None
        )
        rec["peer_score"] = None if peer is None else _r2(peer)
        rec["sat_score"] = None if sat is None else _r2(sat)
        score, missing = combine(
            {"fulfilment": fulfil_score, "peer_review": rec["peer_score"], "satisfaction": rec["sat_score"]},  # type: ignore[dict-item]
            p.weights,
        )
        target_basis: list[str] = []
        if score is not None:
            score = with_targets(x, score, x.member_targets.get(m.member_id), target_basis)
        rec["score"] = score
        state, grade, rule = GRADED, "", RULE_SCORE
        if no_return and p.no_return == NO_RETURN_UNGRADED:
            state, rule = PENDING, RULE_NO_RETURN
            basis.append(NO_RETURN_PENDING_TEXT)
        elif no_return and p.no_return == NO_RETURN_POOR:
            grade, rule = POOR, RULE_NO_RETURN
            basis.append("本单位未报送承诺表，按设置评为差")
        elif invalid:
            state, rule = PENDING, RULE_MISSING
            basis.append("考核评价表中本人的数据有误（见问题清单），暂不评定")
        elif t is None and m.unit_code not in eval_units and p.require_peer_review:
            state, rule = PENDING, RULE_MISSING
            basis.append("本单位未报回考核评价表，暂不评定")
        elif peer is None and p.require_peer_review:
            state, rule = PENDING, RULE_MISSING
            basis.append("没有民主评议票数，暂不评定")
        elif score is None:
            state, rule = PENDING, RULE_MISSING
            basis.append("没有可用的考核数据，暂不评定")
        else:
            other = [k for k in missing if k != "fulfilment"]
            if other:
                basis.append("缺少" + "、".join(_COMPONENT_NAMES[k] for k in other) + "，按其余各项折算")
            elif missing:
                basis.append("按其余各项折算")
            basis.extend(target_basis)
            grade = p.grade_for(score)
            basis.append(score_basis(score, grade, p))
            if (
                p.duty_report.enabled
                and rec["duty"] == "否"
                and GRADES.index(grade) < GRADES.index(p.duty_report.max_grade)
            ):
                grade, rule = p.duty_report.max_grade, RULE_DUTY
                basis.append(f"未述职，等次上限为{grade}")
            if (
                p.overdue.enabled
                and (rec["overdue"] or no_return)
                and GRADES.index(grade) < GRADES.index(p.overdue.max_grade)
            ):  # type: ignore[arg-type]
                grade, rule = p.overdue.max_grade, RULE_OVERDUE
                basis.append(
                    f"逾期承诺 {rec['overdue']} 项，等次上限为{grade}"
                    if not no_return
                    else f"未报送承诺表，视同有逾期未完成的承诺，等次上限为{grade}"
                )
            grade, rule = cap_no_log(x, int(rec["logs"]), grade, rule, basis)  # type: ignore[call-overload]
            voters, poor = counts["voters"] or 0, counts["vote_poor"] or 0
            if (
                p.poor_votes_enabled
                and voters > 0
                and poor * p.poor_votes_share.denominator > voters * p.poor_votes_share.numerator
            ):
                basis.append(
                    f"民主评议差票 {poor} 票，占参评人数 {voters} 人的 {_pct(poor / voters)}，"
                    f"超过 {share_text(p.poor_votes_share)}，评为差"
                )
                if grade != POOR:
                    grade, rule = POOR, RULE_POOR
            if m.category == PROBATIONARY and p.probationary == PROBATIONARY_LIST:
                state, grade, rule = LISTED, "", RULE_PROBATION
                basis.append("预备党员，只列名、不定等次")
        if state == PENDING:
            rec["score"] = None  # a partial score would mislead: the figures stay, the score does not
        rec.update(state=state, proposed=grade, rule=rule, basis=basis)
        rows.append(rec)
    df = pd.DataFrame(rows, columns=MEMBER_COLUMNS_BEFORE_CAP)
    return _rank(df)


MEMBER_COLUMNS_BEFORE_CAP = [
    "unit_code",
    "unit_name",
    "member_id",
    "name",
    "category",
    "tracked",
    "done",
    "done_late",
    "overdue",
    "fulfil_rate",
    "fulfil_score",
    "logs",
    "evidence",
    "done_unlogged",
    "target_result",
    "target_score",
    "duty",
    "voters",
    *VOTES,
    "peer_score",
    *SATS,
    "sat_score",
    "score",
    "state",
    "proposed",
    "rule",
    "basis",
]


def _rank(df: pd.DataFrame) -> pd.DataFrame:
    graded = df["state"] == GRADED
    rank = df[graded].groupby("unit_code")["score"].rank(method="min", ascending=False)
    df = df.copy()
    df["rank"] = pd.array([None] * len(df), dtype="Int64")
    df.loc[graded, "rank"] = rank.astype("Int64")
    return df


def apply_good_cap(df: pd.DataFrame, p: AssessmentPolicy) -> tuple[pd.DataFrame, list[Finding]]:
    """Lower 好 beyond floor(n × share) per unit to 较好 by score rank; ties at the cut
    are kept or lowered together (setting) and always reported (E114)."""
    df = df.copy()
    df["basis"] = [list(b) for b in df["basis"]]
    findings: list[Finding] = []
    if not p.good_cap_enabled:
        return df, findings
    share = share_text(p.good_cap_share)
    for code, grp in df[df["state"] == GRADED].groupby("unit_code", sort=False):
        n = len(grp)
        k = (n * p.good_cap_share.numerator) // p.good_cap_share.denominator
        goods = grp[grp["proposed"] == GOOD].sort_values("score", ascending=False, kind="stable")
        if len(goods) <= k:
            continue
        head = f"本单位参加评定 {n} 人，好等次不超过 {share}（最多 {k} 名）"
        cut = float(goods["score"].iloc[k - 1]) if k > 0 else math.inf
        tied = goods[goods["score"] == cut] if k > 0 else goods.iloc[0:0]
        n_at_or_above = int((goods["score"] >= cut).sum()) if k > 0 else 0
        for i, row in goods.iterrows():
            s = float(row["score"])
            if k > 0 and s > cut:
                continue
            if k > 0 and s == cut and n_at_or_above == k:
                continue
            if k > 0 and s == cut:  # a tie across the cut
                over = n_at_or_above - k
                keep = p.good_cap_ties == TIES_KEEP
                df.at[i, "basis"].append(
                    f"{head}，与其他 {len(tied) - 1} 人得分并列（{_n(s)} 分），超出上限 {over} 人，"
                    + ("均保留好，请领导小组决定" if keep else "均调为较好")
                )
                if not keep:
                    df.at[i, "proposed"], df.at[i, "rule"] = FAIR, RULE_CAP
                continue
            df.at[i, "basis"].append(f"{head}，综合得分排第 {int(row['rank'])} 名，调为较好")
            df.at[i, "proposed"], df.at[i, "rule"] = FAIR, RULE_CAP
        if k > 0 and n_at_or_above > k:
            names = "、".join(tied["name"])
            first = grp.iloc[0]
            action = "均保留“好”，请领导小组决定" if p.good_cap_ties == TIES_KEEP else "均调为“较好”"
            findings.append(
                Finding(
                    NOTICE,
                    "E114",
                    f"好等次最多 {k} 名，但 {names} 得分并列（{_n(cut)} 分）跨过上限，{action}（设置 assessment.good_cap.ties）。",
                    unit_code=str(code),
                    unit_name=str(first["unit_name"]),
                )
            )
    return df, findings


# ------------------------------------------------------------------ overrides


def apply_overrides(df: pd.DataFrame, ovr: pd.DataFrame, key: str) -> tuple[pd.DataFrame, list[Finding]]:
    """Add ``opinion``, ``reason``, ``final`` and ``decision`` to ``df`` from the group's
    opinions ``ovr`` (reader.Overrides frame), keyed by ``key`` (member_id or unit_code)."""
    df = df.copy()
    df["opinion"], df["reason"], df["final"], df["decision"] = "", "", df["proposed"], ""
    findings: list[Finding] = []
    index = {k: i for i, k in zip(df.index, df[key], strict=True)}
    label = "党员编号" if key == "member_id" else "单位编码"
    for o in ovr.itertuples(index=False):
        where = {"file": o.file, "sheet": o.sheet, "row": int(o.excel_row), "column": int(o.opinion_col)}
        i = index.get(o.key)
        if i is None:
            findings.append(
                Finding(
                    ERROR,
                    "E112",
                    f"领导小组意见中的{label}“{o.key}”（{o.name}）不在本次评价结果中，这条意见未采用。请核对编号。",
                    unit_code=o.unit_code,
                    member_id=o.key if key == "member_id" else "",
                    member_name=o.name if key == "member_id" else "",
                    **where,
                )
            )
            continue
        row = df.loc[i]
        who = {"unit_code": row["unit_code"], "unit_name": row["unit_name"]}
        if key == "member_id":
            who.update(member_id=row["member_id"], member_name=row["name"])
        df.at[i, "opinion"], df.at[i, "reason"] = o.opinion_raw, o.reason
        proposed = row["proposed"]
        if not o.opinion:  # blank or not a grade (E107 already reported)
            if o.opinion_raw:
                df.at[i, "decision"] = "领导小组意见不是等次，未采用"
            continue
        if o.opinion == A.KEEP or o.opinion == proposed:
            df.at[i, "decision"] = "领导小组同意拟定等次" if proposed else ""
            if o.opinion == A.KEEP and not proposed:
                df.at[i, "decision"] = "尚无拟定等次，领导小组意见“同意”未改变结果"
            continue
        was = f"（领导小组审议时的拟定等次是“{o.proposed}”）" if o.proposed and o.proposed != proposed else ""
        shown = f"“{proposed}”" if proposed else "暂无等次"
        if o.reason:
            df.at[i, "final"] = o.opinion
            df.at[i, "decision"] = f"领导小组调整：{proposed or '暂无等次'} → {o.opinion}"
        else:
            df.at[i, "decision"] = f"领导小组意见“{o.opinion}”没有调整理由，未采用"
            findings.append(
                Finding(
                    ERROR,
                    "E106",
                    f"领导小组意见为“{o.opinion}”，与本次拟定等次{shown}不同{was}，但没有填写调整理由，本次仍按拟定等次。"
                    "如确需调整，请在“调整理由”列写明理由（领导小组集体研究的依据）。",
                    **who,
                    **where,
                )
            )
    return df, findings


# ------------------------------------------------------------------ units


def score_units(
    roster_units: pd.DataFrame,
    roster_members: pd.DataFrame,
    members: pd.DataFrame,
    pledges: pd.DataFrame,
    orgs: pd.DataFrame,
    pledge_units: Iterable[str],
    unit_tallies: pd.DataFrame,
    eval_units: Iterable[str],
    secretaries: dict[str, str],
    p: AssessmentPolicy,
    extras: Extras | None = None,
) -> pd.DataFrame:
    """One row per roster unit; ``members`` carries the members' final grades."""
    x = extras or no_extras()
    pledge_units, eval_units = set(pledge_units), set(eval_units)
    mful = fulfilment(pledges, "unit_code", p.fulfilment_credit)
    oful = fulfilment(orgs, "unit_code", p.fulfilment_credit)
    tal = unit_tallies.set_index("unit_code") if len(unit_tallies) else unit_tallies
    n_roster = roster_members.groupby("unit_code").size()
    rows = []
    for u in roster_units.itertuples(index=False):
        code = u.unit_code
        basis: list[str] = []
        rec: dict[str, object] = {
            "unit_code": code,
            "unit_name": u.unit_name,
            "unit_type": u.unit_type,
            "secretary": secretaries.get(code, ""),
        }
        mf = mful.loc[code] if code in mful.index else None
        of = oful.loc[code] if code in oful.index else None
        rec["tracked"] = int(mf["tracked"]) if mf is not None else 0
        rec["member_rate"] = float(mf["rate"]) if mf is not None else None
        rec["org_tracked"] = int(of["tracked"]) if of is not None else 0
        rec["org_done"] = int(of["done"] + of["done_late"]) if of is not None else 0
        rec["org_overdue"] = int(of["overdue"]) if of is not None else 0
        rec["org_rate"] = float(of["rate"]) if of is not None else None
        rec.update(unit_figures(x, code))
        has_members = int(n_roster.get(code, 0)) > 0
        no_return = code not in pledge_units
        if no_return and p.no_return == NO_RETURN_ZERO:
            fscore, oscore = (0.0 if has_members else None), 0.0
            rec["member_rate"] = 0.0 if has_members else None
            rec["org_rate"] = 0.0
            basis.append("本单位未报送承诺表，按设置党员承诺和组织承诺得分均按 0 分计")
        elif no_return:
            fscore = oscore = None
        else:
            fscore = _r2(100 * float(mf["rate"])) if mf is not None else (0.0 if has_members else None)
            if of is not None:
                oscore = _r2(100 * float(of["rate"]))
            else:
                oscore = 0.0
                basis.append("没有审核通过的组织承诺，组织承诺得分按 0 分计")
            if rec["member_rate"] is None and has_members:
                rec["member_rate"] = 0.0
        if rec["org_rate"] is None and code in pledge_units:
            rec["org_rate"] = 0.0
        mine = members[members["unit_code"] == code]
        graded = mine[mine["final"].isin(GRADES)]
        for g in GRADES:
            rec[f"n_{g}"] = int((graded["final"] == g).sum())
        rec["n_members"], rec["n_graded"] = len(mine), len(graded)
        mscore = _r2(sum(p.grade_points[g] for g in graded["final"]) / len(graded)) if len(graded) else None
        t = tal.loc[code] if len(tal) and code in tal.index else None
        invalid = bool(t["invalid"]) if t is not None else False
        rec["duty"] = str(t["duty"]) if t is not None else ""
        counts = {fld: (_int(t[fld]) if t is not None else None) for fld in SATS}
        rec.update(counts)
        usable = t is not None and not invalid
        sat = (
            points_score({o: counts[f] for o, f in A.SAT_FIELDS.items()}, p.satisfaction_points)
            if usable
            else None
        )
        rec.update(
            fulfil_score=fscore,
            org_score=oscore,
            members_score=mscore,
            sat_score=None if sat is None else _r2(sat),
        )
        parts = {
            "fulfilment": fscore,
            "org_pledges": oscore,
            "members": mscore,
            "satisfaction": rec["sat_score"],
        }
        score, missing = combine(parts, p.unit_weights)  # type: ignore[arg-type]
        target_basis: list[str] = []
        if score is not None:
            score = with_targets(x, score, x.unit_targets.get(code), target_basis)
        rec["score"] = score
        state, grade, rule = GRADED, "", RULE_SCORE
        if no_return and p.no_return == NO_RETURN_UNGRADED:
            state, rule = PENDING, RULE_NO_RETURN
            basis.append(NO_RETURN_PENDING_TEXT)
        elif no_return and p.no_return == NO_RETURN_POOR:
            grade, rule = POOR, RULE_NO_RETURN
            basis.append("本单位未报送承诺表，按设置评为差")
        elif invalid:
            state, rule = PENDING, RULE_MISSING
            basis.append("单位测评数据有误（见问题清单），暂不评定")
        elif score is None:
            state, rule = PENDING, RULE_MISSING
            basis.append("没有可用的考核数据，暂不评定")
        else:
            if "members" in missing:
                basis.append(
                    "本单位没有直属党员，党员评价不计"
                    if not has_members
                    else "本单位党员均未评定等次，党员评价不计"
                )
            if "satisfaction" in missing:
                basis.append("缺少单位满意度测评票数")
            if missing:
                basis.append("按其余各项折算")
            clause = unverified_clause(x, int(rec["org_done_unlogged"]))  # type: ignore[call-overload]
            if clause:
                basis.append(clause.replace("承诺", "组织承诺", 1))
            basis.extend(target_basis)
            grade = p.grade_for(score)
            basis.append(score_basis(score, grade, p))
            if (
                p.duty_report.enabled
                and rec["duty"] == "否"
                and GRADES.index(grade) < GRADES.index(p.duty_report.max_grade)
            ):
                grade, rule = p.duty_report.max_grade, RULE_DUTY
                basis.append(f"书记未述职，等次上限为{grade}")
            if (
                p.overdue.enabled
                and (rec["org_overdue"] or no_return)
                and GRADES.index(grade) < GRADES.index(p.overdue.max_grade)
            ):  # type: ignore[arg-type]
                grade, rule = p.overdue.max_grade, RULE_OVERDUE
                basis.append(
                    f"逾期组织承诺 {rec['org_overdue']} 项，等次上限为{grade}"
                    if not no_return
                    else f"未报送承诺表，视同有逾期未完成的组织承诺，等次上限为{grade}"
                )
        if state == PENDING:
            rec["score"] = None  # a partial score would mislead: the figures stay, the score does not
        rec.update(state=state, proposed=grade, rule=rule, basis=basis)
        rows.append(rec)
    return pd.DataFrame(rows)


def stale_pledge_findings(returns: dict[str, tuple[str, str, dt.date]], fulfil_end: dt.date) -> list[Finding]:
    """E117 for units whose pledge workbook in use predates the end of the fulfilment
    phase: their unfinished pledges count as overdue. ``returns``: code -> (unit name,
    file, date the file was saved)."""
    return [
        Finding(
            NOTICE,
            "E117",
            f"本单位采用的承诺表是 {saved:%Y-%m-%d} 保存的，早于履诺阶段结束（{fulfil_end:%Y-%m-%d}），"
            "承诺完成情况按该版本计算，未完成的承诺都算逾期。如有更新的进度，请让本单位重新报送承诺表后再运行。",
            unit_code=code,
            unit_name=name,
            file=file,
        )
        for code, (name, file, saved) in returns.items()
        if saved < fulfil_end
    ]


# ------------------------------------------------------------------ everything


@dataclass
class Assessment:
    members: pd.DataFrame
    units: pd.DataFrame
    findings: list[Finding] = field(default_factory=list)


def assess(
    roster_units: pd.DataFrame,
    roster_members: pd.DataFrame,
    secretaries: dict[str, str],
    pledges: pd.DataFrame,
    orgs: pd.DataFrame,
    pledge_units: Iterable[str],
    tallies: pd.DataFrame,
    unit_tallies: pd.DataFrame,
    eval_units: Iterable[str],
    member_overrides: pd.DataFrame,
    unit_overrides: pd.DataFrame,
    p: AssessmentPolicy,
    extras: Extras | None = None,
) -> Assessment:
    pledge_units, eval_units = set(pledge_units), set(eval_units)
    m = score_members(roster_members, pledges, pledge_units, tallies, eval_units, p, extras)
    m, cap_findings = apply_good_cap(m, p)
    m, m_findings = apply_overrides(m, member_overrides, "member_id")
    u = score_units(
        roster_units,
        roster_members,
        m,
        pledges,
        orgs,
        pledge_units,
        unit_tallies,
        eval_units,
        secretaries,
        p,
        extras,
    )
    u, u_findings = apply_overrides(u, unit_overrides, "unit_code")
    for df in (m, u):
        df["basis"] = ["；".join(b) for b in df["basis"]]
    return Assessment(
        m, u, [*no_return_findings(u, m, pledge_units, p), *cap_findings, *m_findings, *u_findings]
    )


def no_return_findings(
    units: pd.DataFrame, members: pd.DataFrame, pledge_units: set[str], p: AssessmentPolicy
) -> list[Finding]:
    """E119 for each unit that sent no pledge form: what the policy did with it."""
    out = []
    for u in units.itertuples(index=False):
        if u.unit_code in pledge_units:
            continue
        n = int((members["unit_code"] == u.unit_code).sum())
        what = {
            NO_RETURN_UNGRADED: f"本单位和 {n} 名党员暂不评定，已列入“暂不评定名单”提请领导小组研究；报送承诺表后再运行即可评定",
            NO_RETURN_ZERO: f"本单位和 {n} 名党员的履诺得分按 0 分计，并视同有逾期未完成的承诺",
            NO_RETURN_POOR: f"本单位和 {n} 名党员评为差",
        }[p.no_return]
        out.append(
            Finding(
                NOTICE,
                "E119",
                f"本单位没有报送公开承诺事项表。按设置 assessment.no_return = “{p.no_return}”：{what}。",
                unit_code=str(u.unit_code),
                unit_name=str(u.unit_name),
            )
        )
    return out


# ------------------------------------------------------------------ derived tables


def is_committee(unit_type: object) -> bool:
    """The Party committee (单位类型 党委): its own result goes to the level above."""
    return unit_type == COMMITTEE_TYPE


def secretaries_table(units: pd.DataFrame) -> pd.DataFrame:
    """支部书记述职考核: the branch's results as part of each branch secretary's duty
    assessment (the committee's secretary is assessed by the level above)."""
    rows = []
    for u in units.itertuples(index=False):
        if is_committee(u.unit_type):
            continue
        rows.append(
            {
                "单位编码": u.unit_code,
                "单位名称": u.unit_name,
                "单位类型": u.unit_type,
                "书记": u.secretary,
                "书记述职": u.duty,
                "党员承诺完成率": u.member_rate,
                "组织承诺完成率": u.org_rate,
                "组织承诺逾期未完成": u.org_overdue,
                "党员人数": u.n_members,
                "评定人数": u.n_graded,
                **{f"党员{g}": getattr(u, f"n_{g}") for g in GRADES},
                "满意度得分": u.sat_score,
                "单位综合得分": u.score,
                "单位最终等次": u.final or u.state,
            }
        )
    return pd.DataFrame(rows)


def commended(members: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """表彰名单: final grade 好 (units first). The Party committee is never the school's own
    先进基层党组织: its result is for the level above (:func:`committee_table`)."""
    rows = [
        {
            "类别": "先进基层党组织",
            "单位名称": u.unit_name,
            "姓名": "",
            "最终等次": u.final,
            "综合得分": u.score,
        }
        for u in units.itertuples(index=False)
        if u.final == GOOD and not is_committee(u.unit_type)
    ]
    rows += [
        {
            "类别": "优秀共产党员",
            "单位名称": m.unit_name,
            "姓名": m.name,
            "最终等次": m.final,
            "综合得分": m.score,
        }
        for m in members.itertuples(index=False)
        if m.final == GOOD
    ]
    return pd.DataFrame(rows, columns=["类别", "单位名称", "姓名", "最终等次", "综合得分"])


def rectify(members: pd.DataFrame, units: pd.DataFrame, as_of: dt.date, p: AssessmentPolicy) -> pd.DataFrame:
    """整改名单: final grade 差, with the follow-up deadline as_of + rectify_days."""
    due = as_of + dt.timedelta(days=p.rectify_days)
    cols = ["类别", "单位名称", "姓名", "最终等次", "评定依据", "调整理由", "整改期限", "整改情况"]
    rows = [
        {
            "类别": "单位",
            "单位名称": u.unit_name,
            "姓名": "",
            "最终等次": u.final,
            "评定依据": u.basis,
            "调整理由": u.reason,
            "整改期限": due,
            "整改情况": "",
        }
        for u in units.itertuples(index=False)
        if u.final == POOR and not is_committee(u.unit_type)
    ]
    rows += [
        {
            "类别": "党员",
            "单位名称": m.unit_name,
            "姓名": m.name,
            "最终等次": m.final,
            "评定依据": m.basis,
            "调整理由": m.reason,
            "整改期限": due,
            "整改情况": "",
        }
        for m in members.itertuples(index=False)
        if m.final == POOR
    ]
    return pd.DataFrame(rows, columns=cols)


COMMITTEE_NOTE = "校党委的考核评价结果报上级党组织审定，不列入学校的先进基层党组织表彰名单、整改名单和公示"


def committee_table(units: pd.DataFrame) -> pd.DataFrame:
    """校党委（报上级党组织）: the committee's own result, prepared for the level above."""
    rows = [
        {
            "单位编码": u.unit_code,
            "单位名称": u.unit_name,
            "书记": u.secretary,
            "书记述职": u.duty,
            "组织承诺（审核通过）": u.org_tracked,
            "组织承诺完成合计": u.org_done,
            "组织承诺逾期未完成": u.org_overdue,
            "组织承诺完成率": u.org_rate,
            "满意度得分": u.sat_score,
            "综合得分": u.score,
            "拟定等次": u.proposed,
            "最终等次": u.final,
            "评定依据": u.basis,
            "说明": COMMITTEE_NOTE,
        }
        for u in units.itertuples(index=False)
        if is_committee(u.unit_type)
    ]
    cols = [
        "单位编码",
        "单位名称",
        "书记",
        "书记述职",
        "组织承诺（审核通过）",
        "组织承诺完成合计",
        "组织承诺逾期未完成",
        "组织承诺完成率",
        "满意度得分",
        "综合得分",
        "拟定等次",
        "最终等次",
        "评定依据",
        "说明",
    ]
    return pd.DataFrame(rows, columns=cols)


def pending_table(members: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """暂不评定名单: units and members without a final grade (not the probationary members
    listed by policy), with the reason, for the leadership group."""
    cols = ["类别", "单位编码", "单位名称", "姓名", "原因", "评定依据"]
    rows = [
        {
            "类别": "单位",
            "单位编码": u.unit_code,
            "单位名称": u.unit_name,
            "姓名": "",
            "原因": u.rule,
            "评定依据": u.basis,
        }
        for u in units.itertuples(index=False)
        if not u.final and u.state == PENDING
    ]
    rows += [
        {
            "类别": "党员",
            "单位编码": m.unit_code,
            "单位名称": m.unit_name,
            "姓名": m.name,
            "原因": m.rule,
            "评定依据": m.basis,
        }
        for m in members.itertuples(index=False)
        if not m.final and m.state == PENDING
    ]
    return pd.DataFrame(rows, columns=cols)
