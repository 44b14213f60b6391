"""The named figures (统计口径): one definition of every count, for every output.

汇总 (台账.xlsx), the bulletin (通报), the branch ledgers (支部台账), the overdue list
(逾期清单) and the public notice (公示) all take their numbers from :func:`figures`, under
the names below, so a figure named the same in two outputs is the same number.

- Only approved (审核 = 通过) pledges of the unit's own members and the unit's own
  organisational pledges are *tracked* (跟踪中承诺). Items whose 党员编号 is blank, not in
  the roster or of another unit fail membership: they are in the problem list
  (P119/P112/P113), never in the consolidation's frames, and so in no figure here.
- 跟踪中承诺 = 按期完成 + 逾期完成 + 逾期未完成 + 临期 + 进行中 + 未开始 (each pledge has
  exactly one status: :mod:`pipeline.rules.status`).
- 完成合计 = 按期完成 + 逾期完成; 未完成 = 跟踪中承诺 − 完成合计.
- 完成率 = 完成合计 ÷ 跟踪中承诺 (0 when nothing is tracked); the school's rate is the
  school's 完成合计 ÷ the school's 跟踪中承诺 (not an average of unit rates).
- 未审核 / 已退回: items not (yet) approved; not tracked, not posted.
- 已承诺党员: roster members of the unit with at least one item (any review state);
  实事好事 / 改正缺点 / 组织承诺: items with content (any review state).

Pure functions over frames (no disk).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields

import pandas as pd

from pipeline.read import layout as L
from pipeline.rules import status as S

# The names the clerk, the branches and the public see, one per figure.
MEMBERS = "党员人数"
PLEDGED_MEMBERS = "已承诺党员"
DEEDS = "实事好事"
FAULTS = "改正缺点"
ORG_ITEMS = "组织承诺"
TRACKED = "跟踪中承诺"
ON_TIME = S.DONE  # 按期完成
DONE_LATE = S.DONE_LATE  # 逾期完成
DONE_TOTAL = "完成合计"
OVERDUE = S.OVERDUE  # 逾期未完成
DUE_SOON = S.DUE_SOON  # 临期
ONGOING = S.ONGOING  # 进行中
NOT_STARTED = S.NOT_STARTED  # 未开始
OPEN = "未完成"
RATE = "完成率"
UNREVIEWED = S.UNREVIEWED  # 未审核
RETURNED = S.RETURNED  # 已退回
SCHOOL_ROW = "合计"

# Names in the order every table shows them (after the unit columns).
ITEM_NAMES = (MEMBERS, PLEDGED_MEMBERS, DEEDS, FAULTS, ORG_ITEMS)
STATUS_NAMES = (
    TRACKED,
    ON_TIME,
    DONE_LATE,
    DONE_TOTAL,
    OVERDUE,
    DUE_SOON,
    ONGOING,
    NOT_STARTED,
    RATE,
    UNREVIEWED,
    RETURNED,
)
NAMES = (*ITEM_NAMES, *STATUS_NAMES)

EXPLANATION = (
    "统计口径：跟踪中承诺＝审核通过的承诺（党员承诺和组织承诺），党员编号不在花名册或不属于本单位的承诺不计；"
    "完成合计＝按期完成＋逾期完成；完成率＝完成合计÷跟踪中承诺；逾期未完成＝完成期限已过仍未完成；"
    "临期＝{due_soon_days} 天内到期、尚未完成。"
)


@dataclass(frozen=True)
class Figures:
    """The named figures of one unit, or of the school (sums over the units)."""

    members: int = 0
    pledged_members: int = 0
    deeds: int = 0
    faults: int = 0
    org_items: int = 0
    on_time: int = 0
    done_late: int = 0
    overdue: int = 0
    due_soon: int = 0
    ongoing: int = 0
    not_started: int = 0
    unreviewed: int = 0
    returned: int = 0

    @property
    def tracked(self) -> int:
        return self.on_time + self.done_late + self.overdue + self.due_soon + self.ongoing + self.not_started

    @property
    def done_total(self) -> int:
        return self.on_time + self.done_late

    @property
    def open(self) -> int:
        return self.tracked - self.done_total

    @property
    def rate(self) -> float:
        return self.done_total / self.tracked if self.tracked else 0.0

    @property
    def not_approved(self) -> int:
        """Items with content that are not tracked: 未审核 + 已退回."""
        return self.unreviewed + self.returned

    def __add__(self, other: Figures) -> Figures:
        return Figures(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(Figures)))

    def named(self) -> dict[str, int | float]:
        """The figures under their Chinese names, in :data:`NAMES` order."""
        return {
            MEMBERS: self.members,
            PLEDGED_MEMBERS: self.pledged_members,
            DEEDS: self.deeds,
            FAULTS: self.faults,
            ORG_ITEMS: self.org_items,
            TRACKED: self.tracked,
            ON_TIME: self.on_time,
            DONE_LATE: self.done_late,
            DONE_TOTAL: self.done_total,
            OVERDUE: self.overdue,
            DUE_SOON: self.due_soon,
            ONGOING: self.ongoing,
            NOT_STARTED: self.not_started,
            RATE: self.rate,
            UNREVIEWED: self.unreviewed,
            RETURNED: self.returned,
        }


_STATUS_FIELD = {
    S.DONE: "on_time",
    S.DONE_LATE: "done_late",
    S.OVERDUE: "overdue",
    S.DUE_SOON: "due_soon",
    S.ONGOING: "ongoing",
    S.NOT_STARTED: "not_started",
    S.UNREVIEWED: "unreviewed",
    S.RETURNED: "returned",
}


@dataclass(frozen=True)
class FigureTable:
    """Figures per unit (every code asked for, zeros when it has nothing) and the school's."""

    units: dict[str, Figures]
    school: Figures

    def of(self, code: str) -> Figures:
        return self.units.get(code, Figures())

    def total(self, codes: Iterable[str]) -> Figures:
        out = Figures()
        for code in codes:
            out = out + self.of(code)
        return out


def _value_counts(values: Sequence[object]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        k = str(v)
        out[k] = out.get(k, 0) + 1
    return out


def figures(
    members: pd.DataFrame,
    orgs: pd.DataFrame,
    roster_members: pd.DataFrame,
    unit_codes: Sequence[str],
) -> FigureTable:
    """The named figures of each unit in ``unit_codes`` and of the school (their sum).

    ``members`` / ``orgs`` are the consolidation's frames (rows with content, a
    ``status``; membership failures already left out); ``roster_members`` gives
    党员人数."""
    by_unit: dict[str, dict[str, int]] = {code: {} for code in unit_codes}

    def add(code: object, name: str, n: int = 1) -> None:
        slot = by_unit.get(str(code))
        if slot is not None:
            slot[name] = slot.get(name, 0) + n

    for code, n in _value_counts(roster_members["unit_code"].tolist()).items():
        add(code, "members", n)
    if len(members):
        pledged = {
            (str(u), str(m))
            for u, m in zip(members["unit_code"].tolist(), members["member_id"].tolist(), strict=True)
        }
        for code, _ in pledged:
            add(code, "pledged_members")
        for code, kind in zip(members["unit_code"].tolist(), members["kind"].tolist(), strict=True):
            if kind == L.KIND_DEED:
                add(code, "deeds")
            elif kind == L.KIND_FAULT:
                add(code, "faults")
    if len(orgs):
        for code in orgs["unit_code"].tolist():
            add(code, "org_items")
    for df in (members, orgs):
        if len(df):
            for code, st in zip(df["unit_code"].tolist(), df["status"].tolist(), strict=True):
                fld = _STATUS_FIELD.get(str(st))
                if fld:
                    add(code, fld)
    units = {code: Figures(**counts) for code, counts in by_unit.items()}
    school = Figures()
    for f in units.values():
        school = school + f
    return FigureTable(units, school)


def figures_frame(table: FigureTable, codes: Sequence[str], names: Mapping[str, str]) -> pd.DataFrame:
    """单位编码, 单位名称 and every named figure, one row per code (for checks and tests)."""
    rows = [{"单位编码": code, "单位名称": names.get(code, ""), **table.of(code).named()} for code in codes]
    return pd.DataFrame(rows, columns=["单位编码", "单位名称", *NAMES])
