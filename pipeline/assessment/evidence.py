"""记实 as the basis of the assessment (notice 二(三): 建立履诺记实制度…为评价验收提供依据).

Frames in, frames out. Per member and per unit: the 履诺记实 entries, how many carry
佐证材料, and the completed pledges without any log entry referring to them. Two
switches of ``[assessment.evidence]`` (both off by default, so an older campaign.toml
gives the same grades):

- ``unverified``: a completed pledge (已完成 / 逾期完成) without any 履诺记实 entry
  referring to it counts as unverified: its credit in the completion rate is multiplied
  by ``unverified.credit``;
- ``no_log``: a member with no 履诺记实 entry all year is graded at most ``no_log.max_grade``
  (a hard rule, named 履诺记实 in the rating table).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pandas as pd

from pipeline.assessment.policy import GRADES
from pipeline.core.settings import Settings
from pipeline.read import layout as L
from pipeline.rules.plans import norm_pledge_ref
from pipeline.rules.status import COMPLETED
from pipeline.rules.tracking import seq_int

SECTION = "assessment.evidence"
RULE_NO_LOG = "履诺记实"


@dataclass(frozen=True)
class EvidencePolicy:
    unverified_enabled: bool
    unverified_credit: float
    no_log_enabled: bool
    no_log_max_grade: str

    def lines(self) -> list[tuple[str, str]]:
        return [
            (
                "已完成但无履诺记实",
                f"完成率中只按 {self.unverified_credit:g} 倍计（未核实）"
                if self.unverified_enabled
                else "照常计入（assessment.evidence.unverified 已关闭）",
            ),
            (
                "全年没有履诺记实",
                f"党员等次最高为{self.no_log_max_grade}"
                if self.no_log_enabled
                else "不限制（assessment.evidence.no_log 已关闭）",
            ),
        ]


def load_evidence_policy(settings: Settings) -> EvidencePolicy:
    r = settings.reader
    grade = r.string(f"{SECTION}.no_log.max_grade", "较好")
    if grade not in GRADES:
        raise r._fail(f"{SECTION}.no_log.max_grade", "、".join(f"“{g}”" for g in GRADES) + " 之一", grade)
    return EvidencePolicy(
        unverified_enabled=r.boolean(f"{SECTION}.unverified.enabled", False),
        unverified_credit=r.number(f"{SECTION}.unverified.credit", 0.5, lo=0.0, hi=1.0),
        no_log_enabled=r.boolean(f"{SECTION}.no_log.enabled", False),
        no_log_max_grade=grade,
    )


def _logged_refs(logs: pd.DataFrame) -> set[tuple[str, str]]:
    """(unit_code, canonical 党员-12 / 组织-3) of every log entry that names a pledge."""
    out = set()
    for code, ref in zip(logs["unit_code"].tolist(), logs["pledge_ref"].tolist(), strict=True):
        canon = norm_pledge_ref(ref)
        if canon:
            out.add((str(code), canon))
    return out


def _unlogged(df: pd.DataFrame, refs: set[tuple[str, str]], prefix: str) -> list[bool]:
    """True for completed pledges that no log entry refers to."""
    return [
        status in COMPLETED and (str(code), f"{prefix}-{seq_int(seq)}") not in refs
        for code, seq, status in zip(df["unit_code"], df["seq"], df["status"], strict=True)
    ]


def mark_unverified(
    members: pd.DataFrame, orgs: pd.DataFrame, logs: pd.DataFrame, p: EvidencePolicy
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Copies with ``unlogged`` (completed, no log entry refers to it) and
    ``credit_factor`` (``unverified.credit`` for those when the switch is on, else 1)."""
    refs = _logged_refs(logs)
    out = []
    for df, prefix in ((members, L.REF_MEMBER), (orgs, L.REF_ORG)):
        flags = _unlogged(df, refs, prefix) if len(df) else []
        factor = [p.unverified_credit if (f and p.unverified_enabled) else 1.0 for f in flags]
        out.append(
            df.assign(unlogged=pd.array(flags, dtype=bool), credit_factor=pd.array(factor, dtype=float))
        )
    return out[0], out[1]


def member_evidence(members: pd.DataFrame, logs: pd.DataFrame) -> pd.DataFrame:
    """Per member_id: ``logs`` (entries), ``evidence`` (entries with 佐证材料),
    ``done_unlogged`` (completed pledges without a log entry); ``members`` has ``unlogged``."""
    n_logs: Counter[str] = Counter()
    n_ev: Counter[str] = Counter()
    for mid, ev in zip(logs["member_id"].tolist(), logs["evidence"].tolist(), strict=True):
        if mid:
            n_logs[str(mid)] += 1
            if str(ev or "").strip():
                n_ev[str(mid)] += 1
    unlogged: Counter[str] = Counter()
    if "unlogged" in members:
        for mid, flag in zip(members["member_id"].tolist(), members["unlogged"].tolist(), strict=True):
            if flag:
                unlogged[str(mid)] += 1
    ids = sorted(set(n_logs) | set(unlogged))
    return pd.DataFrame(
        {
            "logs": [n_logs[i] for i in ids],
            "evidence": [n_ev[i] for i in ids],
            "done_unlogged": [unlogged[i] for i in ids],
        },
        index=pd.Index(ids, name="member_id"),
    )


def unit_evidence(orgs: pd.DataFrame, logs: pd.DataFrame) -> pd.DataFrame:
    """Per unit_code: ``logs``, ``evidence`` (all the unit's log entries) and
    ``org_done_unlogged`` (completed org pledges without a log entry)."""
    n_logs: Counter[str] = Counter()
    n_ev: Counter[str] = Counter()
    for code, ev in zip(logs["unit_code"].tolist(), logs["evidence"].tolist(), strict=True):
        n_logs[str(code)] += 1
        if str(ev or "").strip():
            n_ev[str(code)] += 1
    unlogged: Counter[str] = Counter()
    if "unlogged" in orgs:
        for code, flag in zip(orgs["unit_code"].tolist(), orgs["unlogged"].tolist(), strict=True):
            if flag:
                unlogged[str(code)] += 1
    codes = sorted(set(n_logs) | set(unlogged))
    return pd.DataFrame(
        {
            "logs": [n_logs[c] for c in codes],
            "evidence": [n_ev[c] for c in codes],
            "org_done_unlogged": [unlogged[c] for c in codes],
        },
        index=pd.Index(codes, name="unit_code"),
    )


def check_settings(settings: Settings) -> None:
    """Run by ``load_settings`` at every start (``FEATURE_CHECKS``)."""
    load_evidence_policy(settings)
