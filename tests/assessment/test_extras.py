"""The log, evidence and work targets in the assessment (issue 15): hand-computed."""

from __future__ import annotations

import pandas as pd

from pipeline.assessment import scoring as S
from pipeline.assessment.evidence import RULE_NO_LOG, EvidencePolicy, mark_unverified, member_evidence
from pipeline.assessment.extras import RULE_TARGETS, Extras, no_extras
from pipeline.assessment.targets import TargetResult, TargetsPolicy, load_targets_policy
from pipeline.rules.status import DONE
from tests.assessment.test_scoring import BASE, roster_members, tallies, tally
from tests.builders import settings

ON = EvidencePolicy(
    unverified_enabled=True, unverified_credit=0.5, no_log_enabled=True, no_log_max_grade="较好"
)


def pledge_frame(*rows: tuple[str, str, str, str]) -> pd.DataFrame:
    """(member_id, unit_code, seq, status)."""
    return pd.DataFrame(list(rows), columns=["member_id", "unit_code", "seq", "status"])


def logs_frame(*rows: tuple[str, str, str, str]) -> pd.DataFrame:
    """(unit_code, member_id, pledge_ref, evidence)."""
    return pd.DataFrame(list(rows), columns=["unit_code", "member_id", "pledge_ref", "evidence"])


def no_orgs() -> pd.DataFrame:
    return pd.DataFrame(columns=["unit_code", "seq", "status"])


def extras(
    p: EvidencePolicy, pl: pd.DataFrame, logs: pd.DataFrame, **kw: object
) -> tuple[Extras, pd.DataFrame]:
    marked, _ = mark_unverified(pl, no_orgs(), logs, p)
    base = no_extras()
    x = Extras(p, kw.get("targets", base.targets), member_evidence(marked, logs), base.unit_evidence)  # type: ignore[arg-type]
    x.member_targets = kw.get("member_targets", {})  # type: ignore[assignment]
    return x, marked


def score(rm: pd.DataFrame, pl: pd.DataFrame, x: Extras) -> pd.DataFrame:
    units = set(rm["unit_code"])
    tl = tallies(*(tally(mid, "D01") for mid in rm["member_id"]))
    df = S.score_members(rm, pl, units, tl, units, BASE, x).set_index("member_id")
    return df.assign(basis=df["basis"].map("；".join))


def test_member_without_log_is_not_good_and_the_rule_is_named() -> None:
    # Both members: 1 pledge 已完成, all 好 votes, all 满意 -> 40 + 40 + 20 = 100 -> 好.
    rm = roster_members(("010001", "D01"), ("010002", "D01"))
    pl = pledge_frame(("010001", "D01", "1", DONE), ("010002", "D01", "2", DONE))
    logs = logs_frame(("D01", "010001", "党员-1", "照片 3 张"))
    off, marked = extras(EvidencePolicy(False, 0.5, False, "较好"), pl, logs)
    assert score(rm, marked, off)["proposed"].tolist() == ["好", "好"]
    on, marked = extras(ON, pl, logs)
    m = score(rm, marked, on)
    # 010001 has a log entry with evidence: 好 stays.
    assert (m.at["010001", "logs"], m.at["010001", "evidence"], m.at["010001", "done_unlogged"]) == (1, 1, 0)
    assert m.at["010001", "proposed"] == "好"
    # 010002: no log entry -> its done pledge is unverified (credit 0.5 -> fulfilment 50),
    # score 0.4 * 50 + 40 + 20 = 80.00 -> 较好 by score; and the no-log cap says 较好 at most.
    assert (m.at["010002", "logs"], m.at["010002", "done_unlogged"]) == (0, 1)
    assert m.at["010002", "fulfil_score"] == 50.0 and m.at["010002", "score"] == 80.0
    assert m.at["010002", "proposed"] == "较好"
    assert "没有履诺记实，按未核实计" in m.at["010002", "basis"]


def test_no_log_cap_alone_names_its_rule() -> None:
    rm = roster_members(("010002", "D01"))
    pl = pledge_frame(("010002", "D01", "2", DONE))
    only_cap = EvidencePolicy(False, 0.5, True, "较好")
    x, marked = extras(only_cap, pl, logs_frame())
    m = score(rm, marked, x)
    # score 100 -> 好 by the thresholds, capped at 较好 by 履诺记实.
    assert m.at["010002", "score"] == 100.0
    assert m.at["010002", "proposed"] == "较好" and m.at["010002", "rule"] == RULE_NO_LOG
    assert "全年没有履诺记实，等次上限为较好" in m.at["010002", "basis"]


def test_work_targets_change_the_score_by_the_documented_weight() -> None:
    # Without targets: fulfilment 0 (one pledge 进行中, credit 0), peer 100,
    # satisfaction 100 -> 0 + 40 + 20 = 60.00.
    rm = roster_members(("010001", "D01"), ("010002", "D01"))
    pl = pledge_frame(("010001", "D01", "1", "进行中"), ("010002", "D01", "2", "进行中"))
    tp = TargetsPolicy(0.2, {"完成": 100.0, "基本完成": 70.0, "未完成": 0.0})
    x, marked = extras(
        EvidencePolicy(False, 0.5, False, "较好"),
        pl,
        logs_frame(),
        targets=tp,
        member_targets={"010001": TargetResult("完成", 100.0, "完成教学任务")},
    )
    m = score(rm, marked, x)
    # 010001: (1 - 0.2) * 60 + 0.2 * 100 = 68.00; 010002 has no target: 60.00 unchanged.
    assert m.at["010001", "score"] == 68.0 and m.at["010002", "score"] == 60.0
    assert m.at["010001", "target_result"] == "完成" and m.at["010001", "target_score"] == 100.0
    assert "(1 − 0.2) × 60.00 ＋ 0.2 × 100 ＝ 68.00" in m.at["010001", "basis"]
    assert "没有年度工作目标完成情况" in m.at["010002", "basis"]
    assert RULE_TARGETS == "年度工作目标"


def test_defaults_keep_an_older_campaign_unchanged() -> None:
    tp = load_targets_policy(settings())
    assert tp.points == {"完成": 100.0, "基本完成": 70.0, "未完成": 0.0}
