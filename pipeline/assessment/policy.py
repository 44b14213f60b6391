"""The assessment policy: the ``[assessment]`` section of ``inputs/campaign.toml``.

Every weight, threshold, share and switch is read here through ``settings.reader`` so a
missing or wrong key stops the run with a Chinese message naming the key (exit code 2).
No number has a default in code: the documented defaults are the values written in the
shipped ``campaign.toml``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from pipeline.core.errors import SettingsError
from pipeline.core.settings import Settings, TomlReader
from pipeline.rules.status import LEGACY_NAMES, TRACKED

GOOD, FAIR, AVERAGE, POOR = "好", "较好", "一般", "差"
GRADES = (GOOD, FAIR, AVERAGE, POOR)  # best first
SATISFACTION = ("满意", "比较满意", "基本满意", "不满意")

PROBATIONARY_GRADE = "评定"
PROBATIONARY_LIST = "列名"
# A unit that sent no pledge form (公开承诺事项表) at all, and its members:
NO_RETURN_UNGRADED = "暂不评定"  # not graded until it reports; listed for the leadership group
NO_RETURN_ZERO = "按零分"  # fulfilment 0 and the overdue cap, as if every pledge were overdue
NO_RETURN_POOR = "评为差"  # graded 差
NO_RETURN_CHOICES = (NO_RETURN_UNGRADED, NO_RETURN_ZERO, NO_RETURN_POOR)
DEFAULT_NO_RETURN = NO_RETURN_UNGRADED
TIES_KEEP = "并列保留"
TIES_DROP = "并列下调"

MEMBER_WEIGHTS = ("fulfilment", "peer_review", "satisfaction")
UNIT_WEIGHTS = ("fulfilment", "org_pledges", "members", "satisfaction")
SECTION = "assessment"


def worse(a: str, b: str) -> str:
    """The lower of two grades."""
    return a if GRADES.index(a) >= GRADES.index(b) else b


def share_text(f: Fraction) -> str:
    """1/3 -> "1/3"; 3/10 -> "30%"."""
    if f.denominator in (1, 2, 3, 4, 5) or f.denominator > 100:
        return f"{f.numerator}/{f.denominator}" if f.denominator != 1 else str(f.numerator)
    return f"{float(f) * 100:g}%"


@dataclass(frozen=True)
class CapRule:
    enabled: bool
    max_grade: str


@dataclass(frozen=True)
class AssessmentPolicy:
    weights: dict[str, float]  # MEMBER_WEIGHTS -> weight (sum 1)
    fulfilment_credit: dict[str, float]  # tracked status -> credit 0..1
    peer_review_points: dict[str, float]  # grade -> points per vote
    satisfaction_points: dict[str, float]  # option -> points per vote
    thresholds: dict[str, float]  # 好 / 较好 / 一般 -> minimum score
    duty_report: CapRule
    overdue: CapRule
    poor_votes_enabled: bool
    poor_votes_share: Fraction
    good_cap_enabled: bool
    good_cap_share: Fraction
    good_cap_ties: str  # TIES_KEEP | TIES_DROP
    probationary: str  # PROBATIONARY_GRADE | PROBATIONARY_LIST
    require_peer_review: bool
    rectify_days: int
    unit_weights: dict[str, float]  # UNIT_WEIGHTS -> weight (sum 1)
    grade_points: dict[str, float]  # grade -> points (members' results in the unit score)
    no_return: str = DEFAULT_NO_RETURN  # NO_RETURN_CHOICES: units with no pledge form, and their members

    def grade_for(self, score: float) -> str:
        for g in (GOOD, FAIR, AVERAGE):
            if score >= self.thresholds[g]:
                return g
        return POOR


def _key(name: str) -> str:
    return f"{SECTION}.{name}"


def _share(r: TomlReader, key: str) -> Fraction:
    """A share written as a number (0.3) or a fraction in quotes ("1/3"), in (0, 1]."""
    v = r.raw(key)
    expected = '0 到 1 之间的比例，可写小数如 0.3 或分数如 "1/3"（分数要加引号）'
    try:
        if isinstance(v, bool):
            raise ValueError
        if isinstance(v, int | float):
            f = Fraction(str(v))
        elif isinstance(v, str):
            f = Fraction(v.strip().replace("／", "/"))
        else:
            raise ValueError
    except (ValueError, ZeroDivisionError):
        raise r._fail(key, expected, v) from None
    if not (0 < f <= 1):
        raise r._fail(key, expected, v)
    return f


def _choice(r: TomlReader, key: str, choices: tuple[str, ...]) -> str:
    v = r.string(key)
    if v not in choices:
        raise r._fail(key, "、".join(f"“{c}”" for c in choices) + " 之一（加英文双引号）", v)
    return v


def _weights(r: TomlReader, key: str, names: tuple[str, ...]) -> dict[str, float]:
    out = {n: r.number(f"{key}.{n}", lo=0.0, hi=1.0) for n in names}
    if not math.isclose(sum(out.values()), 1.0, abs_tol=1e-6):
        total = " + ".join(f"{n}={out[n]:g}" for n in names)
        raise SettingsError(
            f"{r.where(key)}: 设置项 {key} 的各项权重之和应为 1，现在是 {total} = {sum(out.values()):g}。请调整。"
        )
    return out


def _points(r: TomlReader, key: str, names: tuple[str, ...]) -> dict[str, float]:
    return {n: r.number(f"{key}.{n}", lo=0.0, hi=100.0) for n in names}


def _credit(r: TomlReader, status: str) -> float:
    """The credit of one tracked status; a campaign.toml written before the statuses were
    renamed (已完成 -> 按期完成, 逾期 -> 逾期未完成) still works under the old key."""
    key = _key(f"fulfilment_credit.{status}")
    old = LEGACY_NAMES.get(status)
    if not r.has(key) and old and r.has(_key(f"fulfilment_credit.{old}")):
        key = _key(f"fulfilment_credit.{old}")
    return r.number(key, lo=0.0, hi=1.0)


def _cap(r: TomlReader, key: str) -> CapRule:
    return CapRule(r.boolean(f"{key}.enabled"), _choice(r, f"{key}.max_grade", GRADES))


def parse_policy(
    data: dict[str, Any], source: str = "campaign.toml", lines: Mapping[str, int] | None = None
) -> AssessmentPolicy:
    r = TomlReader(data, source, lines)
    r.table(SECTION)
    thresholds = {g: r.number(_key(f"thresholds.{g}"), lo=0.0, hi=100.0) for g in (GOOD, FAIR, AVERAGE)}
    if not thresholds[GOOD] > thresholds[FAIR] > thresholds[AVERAGE]:
        raise SettingsError(
            f"{r.where(_key('thresholds'))}: 设置项 {_key('thresholds')} 应满足 好 > 较好 > 一般，现在是 "
            f"{thresholds[GOOD]:g} / {thresholds[FAIR]:g} / {thresholds[AVERAGE]:g}。请调整。"
        )
    return AssessmentPolicy(
        weights=_weights(r, _key("weights"), MEMBER_WEIGHTS),
        fulfilment_credit={s: _credit(r, s) for s in TRACKED},
        peer_review_points=_points(r, _key("peer_review_points"), GRADES),
        satisfaction_points=_points(r, _key("satisfaction_points"), SATISFACTION),
        thresholds=thresholds,
        duty_report=_cap(r, _key("rules.duty_report")),
        overdue=_cap(r, _key("rules.overdue")),
        poor_votes_enabled=r.boolean(_key("rules.poor_votes.enabled")),
        poor_votes_share=_share(r, _key("rules.poor_votes.share")),
        good_cap_enabled=r.boolean(_key("good_cap.enabled")),
        good_cap_share=_share(r, _key("good_cap.share")),
        good_cap_ties=_choice(r, _key("good_cap.ties"), (TIES_KEEP, TIES_DROP)),
        probationary=_choice(r, _key("probationary"), (PROBATIONARY_GRADE, PROBATIONARY_LIST)),
        require_peer_review=r.boolean(_key("require_peer_review")),
        rectify_days=r.integer(_key("rectify_days"), minimum=1),
        unit_weights=_weights(r, _key("unit_weights"), UNIT_WEIGHTS),
        grade_points=_points(r, _key("grade_points"), GRADES),
        no_return=_choice(r, _key("no_return"), NO_RETURN_CHOICES)
        if r.has(_key("no_return"))
        else DEFAULT_NO_RETURN,
    )


def load_policy(settings: Settings) -> AssessmentPolicy:
    """The policy of this campaign; raises SettingsError naming the wrong key."""
    return parse_policy(settings.raw, settings.source, settings.lines)


def check_settings(settings: Settings) -> None:
    """The [assessment] check run by ``load_settings`` at every start (FEATURE_CHECKS)."""
    load_policy(settings)
