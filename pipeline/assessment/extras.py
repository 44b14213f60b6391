"""What the assessment takes from the rest of the process (issue 15): the fulfilment log
and evidence (:mod:`.evidence`) and the annual work targets (:mod:`.targets`).

:class:`Extras` is what :func:`pipeline.assessment.scoring.assess` needs of them; with
:func:`no_extras` (both switches off, weight 0) the grades are those of the policy alone.
The helpers add the figures to a rating row and apply the deciding rules, each clause
going into the row's 评定依据.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from pipeline.assessment.evidence import RULE_NO_LOG, EvidencePolicy
from pipeline.assessment.policy import GRADES
from pipeline.assessment.targets import TargetResult, TargetsPolicy, blend

RULE_TARGETS = "年度工作目标"


@dataclass
class Extras:
    evidence: EvidencePolicy
    targets: TargetsPolicy
    member_evidence: pd.DataFrame  # index member_id: logs, evidence, done_unlogged
    unit_evidence: pd.DataFrame  # index unit_code: logs, evidence, org_done_unlogged
    member_targets: dict[str, TargetResult] = field(default_factory=dict)
    unit_targets: dict[str, TargetResult] = field(default_factory=dict)
    has_logs: bool = True  # False when no 履诺记实 sheet was read at all (no evidence rule then)


def no_extras() -> Extras:
    return Extras(
        EvidencePolicy(False, 1.0, False, GRADES[1]),
        TargetsPolicy(0.0, {}),
        pd.DataFrame(columns=["logs", "evidence", "done_unlogged"]),
        pd.DataFrame(columns=["logs", "evidence", "org_done_unlogged"]),
    )


def _get(df: pd.DataFrame, key: str, col: str) -> int:
    return int(df.at[key, col]) if key in df.index else 0


def member_figures(x: Extras, member_id: str) -> dict[str, object]:
    t = x.member_targets.get(member_id)
    return {
        "logs": _get(x.member_evidence, member_id, "logs"),
        "evidence": _get(x.member_evidence, member_id, "evidence"),
        "done_unlogged": _get(x.member_evidence, member_id, "done_unlogged"),
        "target_result": t.result if t else "",
        "target_score": t.score if t else None,
    }


def unit_figures(x: Extras, code: str) -> dict[str, object]:
    t = x.unit_targets.get(code)
    return {
        "logs": _get(x.unit_evidence, code, "logs"),
        "evidence": _get(x.unit_evidence, code, "evidence"),
        "org_done_unlogged": _get(x.unit_evidence, code, "org_done_unlogged"),
        "target_result": t.result if t else "",
        "target_score": t.score if t else None,
    }


def with_targets(x: Extras, score: float, target: TargetResult | None, basis: list[str]) -> float:
    if target is None and not (x.member_targets or x.unit_targets):
        return score  # no 年度工作目标表 in use: nothing to say
    blended, clause = blend(score, target, x.targets)
    if clause:
        basis.append(clause)
    return blended


def unverified_clause(x: Extras, n: int) -> str:
    if not (x.evidence.unverified_enabled and n):
        return ""
    return (
        f"已完成的承诺中 {n} 项没有履诺记实，按未核实计（完成率中只计 {x.evidence.unverified_credit:g} 倍）"
    )


def cap_no_log(x: Extras, logs: int, grade: str, rule: str, basis: list[str]) -> tuple[str, str]:
    """全年没有履诺记实: the grade at most ``no_log.max_grade`` (switch ``no_log``)."""
    cap = x.evidence.no_log_max_grade
    if x.evidence.no_log_enabled and x.has_logs and logs == 0 and GRADES.index(grade) < GRADES.index(cap):
        basis.append(f"全年没有履诺记实，等次上限为{cap}")
        return cap, RULE_NO_LOG
    return grade, rule
