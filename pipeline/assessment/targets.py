"""年度工作任务目标完成情况 (notice 二(四): 对…年度工作任务目标完成和承诺事项履行情况进行考核评价).

An optional input per unit and member, read from the office's 年度工作目标表
(:data:`pipeline.office.forms.TARGETS`): 完成情况 完成 / 基本完成 / 未完成, or a score
0–100 (a score, when filled, wins). ``[assessment.work_targets]``:

- ``weight`` (default 0: not counted): 综合得分 = (1 − weight) × 承诺与评议得分 +
  weight × 工作目标得分, for members and units that have a target result; without one
  the score is unchanged (and the basis says so);
- ``points``: the score of each 完成情况 (defaults 完成 100, 基本完成 70, 未完成 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipeline.core.settings import Settings
from pipeline.office import forms as O

SECTION = "assessment.work_targets"
DEFAULT_POINTS = {O.TARGET_DONE: 100.0, O.TARGET_MOSTLY: 70.0, O.TARGET_NOT_DONE: 0.0}


@dataclass(frozen=True)
class TargetsPolicy:
    weight: float
    points: dict[str, float]

    def lines(self) -> list[tuple[str, str]]:
        if self.weight <= 0:
            return [("年度工作目标", "不计入综合得分（assessment.work_targets.weight = 0）")]
        pts = "、".join(f"{k} {v:g}" for k, v in self.points.items())
        return [
            (
                "年度工作目标",
                f"综合得分 ＝ (1 − {self.weight:g}) × 承诺与评议得分 ＋ {self.weight:g} × 工作目标得分"
                f"（工作目标得分：填了分数按分数，否则按完成情况 {pts}；没有工作目标的不计）",
            )
        ]


def load_targets_policy(settings: Settings) -> TargetsPolicy:
    r = settings.reader
    return TargetsPolicy(
        weight=r.number(f"{SECTION}.weight", 0.0, lo=0.0, hi=1.0),
        points={k: r.number(f"{SECTION}.points.{k}", v, lo=0.0, hi=100.0) for k, v in DEFAULT_POINTS.items()},
    )


@dataclass(frozen=True)
class TargetResult:
    result: str  # 完成 / 基本完成 / 未完成 or ""
    score: float  # 0-100
    target: str  # the target's text


def target_results(
    rows: pd.DataFrame, p: TargetsPolicy
) -> tuple[dict[str, TargetResult], dict[str, TargetResult]]:
    """(member_id -> result, unit_code -> result) from the 年度工作目标表 rows in use."""
    members: dict[str, TargetResult] = {}
    units: dict[str, TargetResult] = {}
    for rec in rows.to_dict("records"):
        score = rec.get("score")
        result = rec.get("result", "")
        if score is None or score != score:
            if not result:
                continue
            score = p.points[result]
        tr = TargetResult(result, float(score), str(rec.get("target", "")))
        if rec.get("member_id"):
            members.setdefault(str(rec["member_id"]), tr)
        elif rec.get("unit_code"):
            units.setdefault(str(rec["unit_code"]), tr)
    return members, units


def blend(score: float, target: TargetResult | None, p: TargetsPolicy) -> tuple[float, str]:
    """The score with the work-target part, and the basis clause ("" when not counted)."""
    if p.weight <= 0:
        return score, ""
    if target is None:
        return score, "没有年度工作目标完成情况，工作目标不计"
    blended = (1 - p.weight) * score + p.weight * target.score
    blended = int(blended * 100 + 0.5 + 1e-9) / 100
    how = (
        f"填写的得分 {target.score:g}"
        if not target.result or p.points.get(target.result) != target.score
        else target.result
    )
    return blended, (
        f"年度工作目标（{how}）得 {target.score:g} 分，综合得分 ＝ (1 − {p.weight:g}) × {score:.2f} ＋ {p.weight:g} × {target.score:g} ＝ {blended:.2f}"
    )


def check_settings(settings: Settings) -> None:
    """Run by ``load_settings`` at every start (``FEATURE_CHECKS``)."""
    load_targets_policy(settings)
