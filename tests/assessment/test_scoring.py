"""Pure scoring and grading: every policy rule at its boundaries, the 好 cap with ties,
probationary members, missing data and the leadership group's overrides."""

from __future__ import annotations

import dataclasses
import datetime as dt
from fractions import Fraction
from typing import Any

import pandas as pd
import pytest

from pipeline.assessment import scoring as S
from pipeline.assessment.policy import (
    PROBATIONARY_LIST,
    TIES_DROP,
    TIES_KEEP,
    AssessmentPolicy,
    CapRule,
    load_policy,
)
from pipeline.assessment.reader import empty_overrides
from tests.builders import settings

BASE = load_policy(settings())


def policy(**kw: Any) -> AssessmentPolicy:
    return dataclasses.replace(BASE, **kw)


def roster_members(*members: tuple[str, str] | tuple[str, str, str]) -> pd.DataFrame:
    """(member_id, unit_code[, category])."""
    rows = [
        {
            "member_id": m[0],
            "name": f"党员{m[0]}",
            "category": m[2] if len(m) > 2 else "正式党员",  # type: ignore[misc]
            "unit_code": m[1],
            "unit_name": f"{m[1]}支部",
            "party_role": "",
        }
        for m in members
    ]
    return pd.DataFrame(
        rows, columns=["member_id", "name", "category", "unit_code", "unit_name", "party_role"]
    )


def tally(
    mid: str,
    unit: str,
    votes: tuple[int, int, int, int] = (10, 0, 0, 0),
    sats: tuple[int, int, int, int] | None = (10, 0, 0, 0),
    duty: str = "是",
    voters: int | None = None,
    invalid: bool = False,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "member_id": mid,
        "unit_code": unit,
        "name": f"党员{mid}",
        "duty": duty,
        "voters": sum(votes) if voters is None else voters,
        "invalid": invalid,
    }
    row.update(zip(S.VOTES, votes, strict=True))
    row.update(zip(S.SATS, sats if sats is not None else (None,) * 4, strict=True))
    return row


def tallies(*rows: dict[str, Any]) -> pd.DataFrame:
    df = pd.DataFrame(list(rows))
    for c in ("voters", *S.VOTES, *S.SATS):
        df[c] = pd.array(df[c].tolist(), dtype="Int64")
    return df


def pledges(*items: tuple[str, str, str]) -> pd.DataFrame:
    """(member_id, unit_code, status)."""
    return pd.DataFrame(list(items), columns=["member_id", "unit_code", "status"])


def done(mid: str, unit: str = "D01", n: int = 1) -> list[tuple[str, str, str]]:
    return [(mid, unit, "按期完成")] * n


def members(
    rm: pd.DataFrame,
    pl: pd.DataFrame,
    tl: pd.DataFrame,
    p: AssessmentPolicy = BASE,
    units: set[str] | None = None,
) -> pd.DataFrame:
    units = units if units is not None else set(rm["unit_code"])
    df = S.score_members(rm, pl, units, tl, units, p).set_index("member_id")
    return df.assign(basis=df["basis"].map("；".join))


# ---------------------------------------------------------------------- score and thresholds


def test_score_components_and_threshold_inclusive() -> None:
    # fulfilment 100, peer (3 好 + 1 差)/4 = 75, satisfaction 100 -> 40 + 30 + 20 = 90.00
    rm = roster_members(("010001", "D01"))
    tl = tallies(tally("010001", "D01", votes=(3, 0, 0, 1)))
    m = members(rm, pledges(*done("010001")), tl)
    r = m.loc["010001"]
    assert (r["fulfil_score"], r["peer_score"], r["sat_score"], r["score"]) == (100.0, 75.0, 100.0, 90.0)
    assert r["proposed"] == "好" and r["rule"] == S.RULE_SCORE
    assert "综合得分 90.00，达到“好”线（90 分）" in r["basis"]
    # one hundredth above the score: 较好
    p = policy(thresholds={"好": 90.01, "较好": 80.0, "一般": 60.0})
    assert members(rm, pledges(*done("010001")), tl, p).loc["010001", "proposed"] == "较好"


@pytest.mark.parametrize(("score_votes", "expected"), [((0, 0, 10, 0), "较好"), ((0, 0, 0, 10), "一般")])
def test_lower_grades(score_votes: tuple[int, int, int, int], expected: str) -> None:
    # 40 + 0.4*60 + 20 = 84 -> 较好 ; 40 + 0 + 20 = 60 -> 一般 (inclusive)
    rm = roster_members(("010001", "D01"))
    p = policy(poor_votes_enabled=False)
    m = members(rm, pledges(*done("010001")), tallies(tally("010001", "D01", votes=score_votes)), p)
    assert m.loc["010001", "proposed"] == expected


def test_below_average_is_poor() -> None:
    rm = roster_members(("010001", "D01"))
    m = members(
        rm,
        pledges(("010001", "D01", "逾期未完成")),
        tallies(tally("010001", "D01", votes=(0, 0, 10, 0))),
        policy(),
    )
    assert m.loc["010001", "score"] == 44.0 and m.loc["010001", "proposed"] == "差"
    assert "低于“一般”线（60 分），为差" in m.loc["010001", "basis"]


def test_fulfilment_credit_weights_statuses() -> None:
    rm = roster_members(("010001", "D01"))
    pl = pledges(("010001", "D01", "按期完成"), ("010001", "D01", "逾期完成"), ("010001", "D01", "未审核"))
    m = members(rm, pl, tallies(tally("010001", "D01")))
    assert m.loc["010001", "tracked"] == 2  # 未审核 is not tracked
    assert m.loc["010001", "fulfil_rate"] == pytest.approx((1.0 + 0.6) / 2)


# ---------------------------------------------------------------------- hard rules


def test_duty_rule_caps_and_can_be_switched_off() -> None:
    rm = roster_members(("010001", "D01"))
    tl = tallies(tally("010001", "D01", duty="否"))
    m = members(rm, pledges(*done("010001")), tl)
    assert m.loc["010001", "proposed"] == "一般" and m.loc["010001", "rule"] == S.RULE_DUTY
    assert "未述职，等次上限为一般" in m.loc["010001", "basis"]
    off = policy(duty_report=CapRule(False, "一般"))
    assert members(rm, pledges(*done("010001")), tl, off).loc["010001", "proposed"] == "好"
    # duty reported: no cap
    assert (
        members(rm, pledges(*done("010001")), tallies(tally("010001", "D01"))).loc["010001", "proposed"]
        == "好"
    )


def test_overdue_rule_boundary_zero_and_one() -> None:
    rm = roster_members(("010001", "D01"))
    tl = tallies(tally("010001", "D01"))
    # 9 done + 1 done late: no 逾期 -> no cap (score 40*0.96 + 40 + 20 = 98.4)
    m0 = members(rm, pledges(*done("010001", n=9), ("010001", "D01", "逾期完成")), tl)
    assert m0.loc["010001", "overdue"] == 0 and m0.loc["010001", "proposed"] == "好"
    # 9 done + 1 overdue: score 96 -> 好 by score, capped at 较好
    m1 = members(rm, pledges(*done("010001", n=9), ("010001", "D01", "逾期未完成")), tl)
    r = m1.loc["010001"]
    assert (
        r["overdue"] == 1 and r["score"] == 96.0 and r["proposed"] == "较好" and r["rule"] == S.RULE_OVERDUE
    )
    assert "逾期承诺 1 项，等次上限为较好" in r["basis"]
    off = policy(overdue=CapRule(False, "较好"))
    assert (
        members(rm, pledges(*done("010001", n=9), ("010001", "D01", "逾期未完成")), tl, off).loc[
            "010001", "proposed"
        ]
        == "好"
    )


def test_cap_does_not_raise_a_lower_grade() -> None:
    rm = roster_members(("010001", "D01"))
    m = members(
        rm,
        pledges(("010001", "D01", "逾期未完成")),
        tallies(tally("010001", "D01", votes=(0, 0, 0, 10), duty="否")),
        policy(poor_votes_enabled=False),
    )
    assert m.loc["010001", "proposed"] == "差" and m.loc["010001", "rule"] == S.RULE_SCORE


@pytest.mark.parametrize(("poor", "expected"), [(3, "好"), (4, "差")])
def test_poor_votes_share_is_strict(poor: int, expected: str) -> None:
    # 9 voters, share 1/3: 3 差 votes is exactly 1/3 (not more), 4 is more
    rm = roster_members(("010001", "D01"))
    tl = tallies(tally("010001", "D01", votes=(9 - poor, 0, 0, poor), voters=9))
    p = policy(thresholds={"好": 50.0, "较好": 40.0, "一般": 30.0})  # so the score alone is 好
    r = members(rm, pledges(*done("010001")), tl, p).loc["010001"]
    assert r["proposed"] == expected
    if expected == "差":
        assert r["rule"] == S.RULE_POOR
        assert "民主评议差票 4 票，占参评人数 9 人的 44.4%，超过 1/3，评为差" in r["basis"]
    off = dataclasses.replace(p, poor_votes_enabled=False)
    assert members(rm, pledges(*done("010001")), tl, off).loc["010001", "proposed"] == "好"


def test_poor_share_counts_voters_not_votes_cast() -> None:
    # 12 voters, 10 votes cast of which 4 差: 4/12 = 1/3 exactly -> not 差 (cast would be 40%)
    rm = roster_members(("010001", "D01"))
    tl = tallies(tally("010001", "D01", votes=(6, 0, 0, 4), voters=12))
    p = policy(thresholds={"好": 50.0, "较好": 40.0, "一般": 30.0})
    assert members(rm, pledges(*done("010001")), tl, p).loc["010001", "proposed"] == "好"


# ---------------------------------------------------------------------- missing data, probationary


def test_no_peer_review_is_not_graded_unless_switched_off() -> None:
    rm = roster_members(("010001", "D01"), ("010002", "D01"))
    tl = tallies(tally("010001", "D01"))
    m = members(rm, pledges(*done("010001"), *done("010002")), tl)
    assert m.loc["010002", "state"] == S.PENDING and m.loc["010002", "proposed"] == ""
    assert "没有民主评议票数，暂不评定" in m.loc["010002", "basis"]
    m = members(rm, pledges(*done("010001"), *done("010002")), tl, policy(require_peer_review=False))
    assert m.loc["010002", "state"] == S.GRADED and m.loc["010002", "score"] == 100.0
    assert "缺少民主评议得分、满意度得分，按其余各项折算" in m.loc["010002", "basis"]


def test_missing_satisfaction_reweights() -> None:
    rm = roster_members(("010001", "D01"))
    tl = tallies(tally("010001", "D01", votes=(0, 0, 10, 0), sats=None))
    r = members(rm, pledges(*done("010001")), tl).loc["010001"]
    # (0.4*100 + 0.4*60) / 0.8 = 80
    assert r["score"] == 80.0 and "缺少满意度得分，按其余各项折算" in r["basis"]


def test_no_pledge_return_and_no_approved_pledge() -> None:
    rm = roster_members(("010001", "D01"), ("020001", "D02"))
    tl = tallies(tally("010001", "D01"), tally("020001", "D02"))
    m = S.score_members(rm, pledges(), {"D01"}, tl, {"D01", "D02"}, BASE).set_index("member_id")
    m["basis"] = m["basis"].map("；".join)
    assert (
        m.loc["010001", "fulfil_score"] == 0.0
        and "没有审核通过的承诺，履诺得分按 0 分计" in m.loc["010001", "basis"]
    )
    # D02 sent no pledge form: not graded on votes alone (the default assessment.no_return)
    assert pd.isna(m.loc["020001", "fulfil_score"]) and pd.isna(m.loc["020001", "score"])
    assert m.loc["020001", "state"] == S.PENDING and m.loc["020001", "rule"] == S.RULE_NO_RETURN
    assert "本单位未报送承诺表" in m.loc["020001", "basis"]


def test_invalid_tally_row_is_not_graded() -> None:
    rm = roster_members(("010001", "D01"))
    r = members(rm, pledges(*done("010001")), tallies(tally("010001", "D01", invalid=True))).loc["010001"]
    assert r["state"] == S.PENDING and r["rule"] == S.RULE_MISSING and "数据有误" in r["basis"]


def test_unit_without_evaluation_form() -> None:
    rm = roster_members(("010001", "D01"))
    m = S.score_members(rm, pledges(*done("010001")), {"D01"}, tallies(tally("X", "D09")), set(), BASE)
    assert m.loc[0, "state"] == S.PENDING and "本单位未报回考核评价表" in m.loc[0, "basis"][0]


def test_probationary_listed_or_graded() -> None:
    rm = roster_members(("010001", "D01", "预备党员"))
    tl = tallies(tally("010001", "D01"))
    graded = members(rm, pledges(*done("010001")), tl)
    assert graded.loc["010001", "proposed"] == "好"
    listed = members(rm, pledges(*done("010001")), tl, policy(probationary=PROBATIONARY_LIST))
    r = listed.loc["010001"]
    assert r["state"] == S.LISTED and r["proposed"] == "" and r["score"] == 100.0
    assert "预备党员，只列名、不定等次" in r["basis"]


# ---------------------------------------------------------------------- the 好 cap


def _cap_unit(
    peer: list[tuple[int, int, int, int]], p: AssessmentPolicy, categories: list[str] | None = None
) -> pd.DataFrame:
    ids = [f"01000{i + 1}" for i in range(len(peer))]
    cats = categories or ["正式党员"] * len(peer)
    rm = roster_members(*[(mid, "D01", c) for mid, c in zip(ids, cats, strict=True)])
    pl = pledges(*[x for mid in ids for x in done(mid)])
    tl = tallies(*[tally(mid, "D01", votes=v) for mid, v in zip(ids, peer, strict=True)])
    m = S.score_members(rm, pl, {"D01"}, tl, {"D01"}, p)
    out, findings = S.apply_good_cap(m, p)
    out.attrs["findings"] = findings
    return out.set_index("member_id")


TOP, SECOND, THIRD, LOW = (10, 0, 0, 0), (9, 1, 0, 0), (8, 2, 0, 0), (0, 0, 10, 0)


def test_good_cap_lowers_by_rank() -> None:
    # 6 graded, share 1/3 -> at most 2 好; scores 100, 99.2, 98.4 -> the third is lowered
    m = _cap_unit([TOP, SECOND, THIRD, LOW, LOW, LOW], BASE)
    assert list(m["proposed"]) == ["好", "好", "较好", "较好", "较好", "较好"]
    r = m.loc["010003"]
    assert r["rule"] == S.RULE_CAP and r["rank"] == 3
    assert "本单位参加评定 6 人，好等次不超过 1/3（最多 2 名），综合得分排第 3 名，调为较好" in r["basis"]
    assert m.attrs["findings"] == []


def test_good_cap_at_exact_limit_changes_nothing() -> None:
    m = _cap_unit([TOP, SECOND, LOW, LOW, LOW, LOW], BASE)
    assert list(m["proposed"]).count("好") == 2 and S.RULE_CAP not in set(m["rule"])


@pytest.mark.parametrize(("ties", "goods"), [(TIES_KEEP, 3), (TIES_DROP, 1)])
def test_good_cap_ties_across_the_cut(ties: str, goods: int) -> None:
    m = _cap_unit([TOP, SECOND, SECOND, LOW, LOW, LOW], policy(good_cap_ties=ties))
    assert list(m["proposed"]).count("好") == goods
    assert m.loc["010001", "proposed"] == "好"
    for mid in ("010002", "010003"):
        assert "与其他 1 人得分并列（99.20 分），超出上限 1 人" in m.loc[mid, "basis"][-1]
    (f,) = m.attrs["findings"]
    assert f.rule == "E114" and "党员010002、党员010003" in f.message and f.unit_code == "D01"


def test_good_cap_tie_inside_the_limit_is_fine() -> None:
    m = _cap_unit([SECOND, SECOND, THIRD, LOW, LOW, LOW], BASE)
    assert list(m["proposed"])[:3] == ["好", "好", "较好"] and m.attrs["findings"] == []


def test_good_cap_zero_allowed_and_switch() -> None:
    m = _cap_unit([TOP, SECOND], BASE)  # 2 x 1/3 -> 0
    assert list(m["proposed"]) == ["较好", "较好"]
    assert "最多 0 名" in m.loc["010001", "basis"][-1]
    m = _cap_unit([TOP, SECOND], policy(good_cap_enabled=False))
    assert list(m["proposed"]) == ["好", "好"]
    m = _cap_unit([TOP, SECOND], policy(good_cap_share=Fraction(1, 2)))
    assert list(m["proposed"]) == ["好", "较好"]


def test_good_cap_counts_only_graded_members() -> None:
    # 3 members, one probationary listed without grade: 2 graded -> 0 好 allowed at 1/3
    p = policy(probationary=PROBATIONARY_LIST, good_cap_share=Fraction(1, 2))
    m = _cap_unit([TOP, SECOND, TOP], p, ["正式党员", "正式党员", "预备党员"])
    assert m.loc["010003", "state"] == S.LISTED
    assert list(m["proposed"]) == ["好", "较好", ""]


# ---------------------------------------------------------------------- overrides


def overrides(*rows: tuple[str, str, str, str]) -> pd.DataFrame:
    """(key, opinion (normalised), opinion as typed, reason)."""
    base = empty_overrides().members
    recs = [
        {
            "key": k,
            "unit_code": "D01",
            "name": "",
            "proposed": "",
            "opinion": o,
            "opinion_raw": raw,
            "reason": reason,
            "file": "领导小组意见.xlsx",
            "sheet": "党员评价",
            "excel_row": i + 2,
            "opinion_col": 31,  # AE
            "reason_col": 32,  # AF
        }
        for i, (k, o, raw, reason) in enumerate(rows)
    ]
    return pd.concat([base, pd.DataFrame(recs)], ignore_index=True) if recs else base


def _graded() -> pd.DataFrame:
    rm = roster_members(("010001", "D01"), ("010002", "D01"), ("010003", "D01"), ("010004", "D01"))
    tl = tallies(*[tally(f"01000{i}", "D01", votes=LOW) for i in range(1, 5)])
    pl = pledges(*[x for i in range(1, 5) for x in done(f"01000{i}")])
    return S.score_members(rm, pl, {"D01"}, tl, {"D01"}, BASE)


def test_override_with_reason_is_taken() -> None:
    df, findings = S.apply_overrides(
        _graded(), overrides(("010001", "好", "好", "抗洪抢险表现突出")), "member_id"
    )
    r = df.set_index("member_id").loc["010001"]
    assert (r["proposed"], r["final"], r["reason"]) == ("较好", "好", "抗洪抢险表现突出")
    assert r["decision"] == "领导小组调整：较好 → 好" and findings == []


def test_override_without_reason_is_not_taken() -> None:
    df, findings = S.apply_overrides(_graded(), overrides(("010002", "一般", "一般", "")), "member_id")
    r = df.set_index("member_id").loc["010002"]
    assert (r["proposed"], r["final"], r["opinion"]) == ("较好", "较好", "一般")
    (f,) = findings
    assert f.rule == "E106" and f.severity == "错误" and f.cell == "AE2" and f.member_id == "010002"
    assert "没有填写调整理由" in f.message


def test_override_confirming_or_same_grade_needs_no_reason() -> None:
    df, findings = S.apply_overrides(
        _graded(), overrides(("010001", "较好", "较好", ""), ("010002", S.A.KEEP, "同意", "")), "member_id"
    )
    d = df.set_index("member_id")
    assert list(d["final"]) == list(d["proposed"]) and findings == []
    assert d.loc["010002", "decision"] == "领导小组同意拟定等次"


def test_override_unknown_member_and_reason_only() -> None:
    df, findings = S.apply_overrides(
        _graded(), overrides(("019999", "好", "好", "理由"), ("010003", "", "", "只有理由")), "member_id"
    )
    assert [f.rule for f in findings] == ["E112"]
    d = df.set_index("member_id")
    assert d.loc["010003", "final"] == "较好" and d.loc["010003", "reason"] == "只有理由"


def test_override_of_a_pending_member_with_reason() -> None:
    rm = roster_members(("010001", "D01"))
    m = S.score_members(rm, pledges(), {"D01"}, tallies(tally("X", "D01")), {"D01"}, BASE)
    df, findings = S.apply_overrides(
        m, overrides(("010001", "一般", "一般", "病假，未参加评议")), "member_id"
    )
    assert df.loc[0, "final"] == "一般" and findings == []


# ---------------------------------------------------------------------- units and lists


def test_units_and_derived_tables() -> None:
    units = pd.DataFrame(
        {"unit_code": ["D00", "D01"], "unit_name": ["校党委", "第一支部"], "unit_type": ["党委", "党支部"]}
    )
    rm = roster_members(("010001", "D01"), ("010002", "D01"))
    pl = pledges(*done("010001"), ("010002", "D01", "逾期未完成"))
    orgs = pd.DataFrame(
        {"unit_code": ["D00", "D01", "D01"], "status": ["按期完成", "按期完成", "逾期未完成"]}
    )
    tl = tallies(tally("010001", "D01"), tally("010002", "D01", votes=(0, 0, 0, 10)))
    ut = pd.DataFrame(
        {
            "unit_code": ["D00", "D01"],
            "duty": ["是", "否"],
            "invalid": [False, False],
            **{c: pd.array([10, 10] if c == "sat_satisfied" else [0, 0], dtype="Int64") for c in S.SATS},
        }
    )
    nocap = policy(good_cap_enabled=False)
    res = S.assess(
        units,
        rm,
        {"D01": "党员010001"},
        pl,
        orgs,
        {"D00", "D01"},
        tl,
        ut,
        {"D00", "D01"},
        empty_overrides().members,
        empty_overrides().units,
        nocap,
    )
    u = res.units.set_index("unit_code")
    assert u.loc["D00", "score"] == 100.0 and u.loc["D00", "final"] == "好"
    assert "本单位没有直属党员，党员评价不计" in u.loc["D00", "basis"]
    # D01: members 50%, orgs 50%, members' grades (好 100, 差 0) 50, satisfaction 100 -> 15+15+10+20 = 60
    assert u.loc["D01", "score"] == 60.0 and u.loc["D01", "proposed"] == "一般"
    assert u.loc["D01", "n_好"] == 1 and u.loc["D01", "n_差"] == 1
    # secretary without duty report: cap 一般 (already 一般, so not named); org overdue cap 较好 not binding
    sec = S.secretaries_table(res.units)
    assert list(sec.columns)[:5] == ["单位编码", "单位名称", "单位类型", "书记", "书记述职"]
    assert list(sec["单位编码"]) == ["D01"]  # the committee's secretary is assessed by the level above
    assert sec.loc[0, "书记述职"] == "否" and sec.loc[0, "单位最终等次"] == "一般"
    com = S.commended(res.members, res.units)
    assert list(com["类别"]) == ["优秀共产党员"]  # D00 (好) is the committee, not the school's 先进基层党组织
    rec = S.rectify(res.members, res.units, dt.date(2026, 11, 27), BASE)
    assert list(rec["姓名"]) == ["党员010002"] and rec.loc[0, "整改期限"] == dt.date(2026, 12, 27)


def test_unit_caps() -> None:
    units = pd.DataFrame({"unit_code": ["D01"], "unit_name": ["第一支部"], "unit_type": ["党支部"]})
    rm = roster_members(("010001", "D01"))
    orgs = pd.DataFrame({"unit_code": ["D01"] * 10, "status": ["按期完成"] * 9 + ["逾期未完成"]})
    tl = tallies(tally("010001", "D01"))
    ut = pd.DataFrame(
        {
            "unit_code": ["D01"],
            "duty": ["是"],
            "invalid": [False],
            **{c: pd.array([10] if c == "sat_satisfied" else [0], dtype="Int64") for c in S.SATS},
        }
    )
    res = S.assess(
        units,
        rm,
        {},
        pledges(*done("010001")),
        orgs,
        {"D01"},
        tl,
        ut,
        {"D01"},
        empty_overrides().members,
        empty_overrides().units,
        policy(good_cap_enabled=False),
    )
    r = res.units.iloc[0]
    assert (
        r["score"] == 97.0 and r["proposed"] == "较好" and "逾期组织承诺 1 项，等次上限为较好" in r["basis"]
    )
    ut.loc[0, "duty"] = "否"
    res = S.assess(
        units,
        rm,
        {},
        pledges(*done("010001")),
        orgs,
        {"D01"},
        tl,
        ut,
        {"D01"},
        empty_overrides().members,
        empty_overrides().units,
        policy(good_cap_enabled=False),
    )
    assert (
        res.units.iloc[0]["proposed"] == "一般" and "书记未述职，等次上限为一般" in res.units.iloc[0]["basis"]
    )


def test_stale_pledge_return_notice() -> None:
    f = S.stale_pledge_findings(
        {
            "D04": ("第四支部", "returns/a.xlsx", dt.date(2026, 9, 8)),
            "D01": ("第一支部", "returns/b.xlsx", dt.date(2026, 11, 18)),
        },
        dt.date(2026, 11, 15),
    )
    assert [(x.rule, x.unit_code) for x in f] == [("E117", "D04")]
