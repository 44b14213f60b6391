"""Fulfilment plans (履诺计划): pledge references, plan rules and milestones (no I/O).

A plan step names its pledge in 承诺序号: ``党员-12`` is the row with 序号 12 of the same
unit's 党员承诺, ``组织-3`` the row with 序号 3 of its 组织承诺. Cells are already
normalised by ``norm_code`` (NFKC, no whitespace), so full-width ``党员－12`` arrives as
``党员-12``. :func:`norm_pledge_ref` also accepts ``党员12``, ``党员—12``, ``党员_12``,
``党员-012``, ``党员-12号``, ``12.0`` and a bare number ``12`` (meaning ``党员-12``).

Rules (all on the consolidated frames, findings name the plan cell):

- M101 (错误): the step refers to no existing pledge (blank, unreadable, or no row with
  that 序号 and a 承诺事项 in the unit's own sheet).
- M102 (错误): the planned date is after the pledge's deadline.
- M103 (提醒): the pledge is marked 已完成 but this step has no actual date.
- M104 (提醒): the workbook has no 履诺计划 sheet (template v1, or the sheet was removed).
- M105 (提醒): a step without a planned date (it can never become a milestone).

Milestones: a step is overdue (逾期) when its planned date is before the as-of date, it
has no actual date, and its pledge is tracked (approved) and not completed. A step
planned for the as-of day itself is not yet overdue. :func:`overdue_milestones` gives
them for the overdue list and the bulletin; :func:`plan_steps` gives every step with
its milestone state (the branch ledgers).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pipeline.core.findings import ERROR, NOTICE, Finding, cell_text
from pipeline.read import layout as L
from pipeline.read.textnorm import norm_code
from pipeline.rules.pledges import RuleContext
from pipeline.rules.status import COMPLETED, TRACKED

if TYPE_CHECKING:
    from pipeline.jobs.consolidation import Consolidation

# Milestone states of a plan step (plan_steps()["milestone"]).
STEP_DONE = "已完成"
STEP_OVERDUE = "逾期"
STEP_PENDING = "未到期"
STEP_NO_DATE = "未定时间"
STEP_PLEDGE_DONE = "承诺已完成"
STEP_UNTRACKED = "承诺未跟踪"
STEP_NO_PLEDGE = "承诺不存在"

_REF_RE = re.compile(r"^(?:(党员|组织)[-_.—–‐−~]?)?0*(\d+)(?:\.0+)?号?$")

# Columns added by resolve_plans (pledge fields of the referenced row).
_PLEDGE_FIELDS = ("member_id", "name", "kind", "content", "deadline", "review", "progress", "status")


def norm_pledge_ref(value: object) -> str:
    """Canonical ``党员-12`` / ``组织-3`` for a 承诺序号 cell; "" when it is not a reference.

    A bare number means a member pledge (``12`` -> ``党员-12``)."""
    if type(value) is str:  # a county's 130,000 references are a few hundred texts
        return _norm_ref_text(value)
    return _norm_ref(value)


def _norm_ref(value: object) -> str:
    m = _REF_RE.match(norm_code(value))
    if not m or int(m.group(2)) == 0:
        return ""
    return f"{m.group(1) or L.REF_MEMBER}-{int(m.group(2))}"


@functools.lru_cache(maxsize=4096)
def _norm_ref_text(value: str) -> str:
    return _norm_ref(value)


def _seq_key(value: object) -> int | None:
    s = norm_code(value)
    return int(s) if s.isdigit() else None


def _pledge_index(df: pd.DataFrame, prefix: str) -> dict[tuple[str, str], int]:
    """(unit_code, "党员-12") -> position in ``df`` of that pledge row (the first row with
    that 序号 and a 承诺事项)."""
    out: dict[tuple[str, str], int] = {}
    if df.empty or "seq" not in df.columns:
        return out
    # Plain lists and positions: to_dict("records") of 250,000 rows, or iterating a string
    # column cell by cell, costs seconds (issue 6).
    keep = np.flatnonzero((df["content"].astype(str) != "").to_numpy(dtype=bool)).tolist()
    seqs, units = df["seq"].tolist(), df["unit_code"].tolist()
    memo: dict[str, int | None] = {}  # a county has few distinct 序号 values
    for i in keep:
        value = seqs[i]
        if type(value) is str:
            seq = memo[value] if value in memo else memo.setdefault(value, _seq_key(value))
        else:
            seq = _seq_key(value)
        if seq is None:
            continue
        out.setdefault((units[i], f"{prefix}-{seq}"), i)
    return out


def resolve_plans(
    plans: pd.DataFrame, members: pd.DataFrame, orgs: pd.DataFrame, fields: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """A copy of ``plans`` with ``ref`` (canonical reference, "" if unreadable), ``found``
    and the referenced pledge's fields (``member_id, name, kind, content, deadline,
    review, progress`` and ``status`` when the frames carry it; blank when not found).
    ``fields``: only these of them (``()``: none, for a caller that needs ``found``)."""
    frames = (members, orgs)
    # (unit_code, ref) -> (frame number, row position); the two prefixes never collide.
    index: dict[tuple[str, str], tuple[int, int]] = {}
    for k, (df, prefix) in enumerate(((members, L.REF_MEMBER), (orgs, L.REF_ORG))):
        index.update({key: (k, pos) for key, pos in _pledge_index(df, prefix).items()})
    out = plans.copy()
    refs = [norm_pledge_ref(v) for v in out["pledge_ref"].tolist()]
    hits = [index.get((u, r)) if r else None for u, r in zip(out["unit_code"].tolist(), refs, strict=True)]
    # Each hit's slot in the list of its frame's hit rows (only those rows are read).
    rows: tuple[list[int], list[int]] = ([], [])
    slots: list[int] = []
    for h in hits:
        if h is not None:
            slots.append(len(rows[h[0]]))
            rows[h[0]].append(h[1])
        else:
            slots.append(-1)
    out["ref"] = pd.Series(refs, index=out.index, dtype=str)
    out["found"] = pd.Series([h is not None for h in hits], index=out.index, dtype=bool)
    for f in _PLEDGE_FIELDS if fields is None else fields:
        blank: Any = None if f == "deadline" else ""
        got = [
            df[f].take(rows[k]).tolist() if f in df.columns and rows[k] else [] for k, df in enumerate(frames)
        ]
        vals = [
            blank if h is None or not got[h[0]] else got[h[0]][slot]
            for h, slot in zip(hits, slots, strict=True)
        ]
        out[f] = pd.Series(vals, index=out.index, dtype=object if f == "deadline" else str)
    return out


def _finding(ctx: RuleContext, severity: str, rule: str, message: str, row: Any, field: str) -> Finding:
    excel_row, column = ctx.cell(row, L.SHEET_PLAN, field)
    return Finding(
        severity,
        rule,
        message,
        unit_code=row.unit_code,
        unit_name=row.unit_name,
        file=row.file,
        sheet=row.sheet,
        row=excel_row,
        column=column,
        member_id=row.member_id,
        member_name=row.name if row.member_id else "",
    )


def plan_rules(
    plans: pd.DataFrame, members: pd.DataFrame, orgs: pd.DataFrame, ctx: RuleContext, used: Mapping[str, Any]
) -> list[Finding]:
    """M101–M105 on the 履诺计划 rows of the versions in use.

    ``used`` is ``Consolidation.used`` (unit code -> UnitReturn): M104 for each workbook
    without a 履诺计划 sheet."""
    out: list[Finding] = []
    for code, ur in used.items():
        if L.SHEET_PLAN in ur.parsed.sheet_names:
            continue
        old = ur.parsed.version and ur.parsed.version < L.PLAN_SHEET.since_version
        why = f"旧版模板 v{ur.parsed.version} 没有这张表" if old else "可能被删除或改名"
        out.append(
            Finding(
                NOTICE,
                "M104",
                f"缺少履诺计划表（{why}），本单位的履诺计划按空白汇总。请使用新版模板（v{L.TEMPLATE_VERSION}）"
                "填写“履诺计划”，列明每项承诺的具体步骤和计划完成时间。",
                unit_code=code,
                unit_name=ur.unit_name,
                file=ur.file.rel,
            )
        )
    if plans.empty:
        return out
    r = resolve_plans(plans, members, orgs)
    for row in r.itertuples(index=False):
        raw = str(row.pledge_ref)
        if not row.found:
            if not raw:
                msg = f"这一步骤没有填写“承诺序号”。请从下拉列表选择对应的承诺，如“{L.REF_MEMBER}-1”或“{L.REF_ORG}-1”。"
            elif not row.ref:
                msg = (
                    f"承诺序号“{raw}”无法识别。请从下拉列表选择，写法为“{L.REF_MEMBER}-序号”或“{L.REF_ORG}-序号”"
                    "（序号是党员承诺表或组织承诺表第一列的数字）。"
                )
            else:
                kind, seq = row.ref.split("-")
                sheet = L.SHEET_MEMBER if kind == L.REF_MEMBER else L.SHEET_ORG
                msg = f"承诺序号“{row.ref}”对应的承诺不存在：本单位“{sheet}”表中没有序号为 {seq} 且填写了承诺事项的行。请核对序号。"
            out.append(_finding(ctx, ERROR, "M101", msg, row, "pledge_ref"))
            continue
        if row.planned_on is None:
            if ctx.unreported(row, L.SHEET_PLAN, "planned_on"):
                out.append(
                    _finding(
                        ctx,
                        NOTICE,
                        "M105",
                        f"步骤缺少“计划完成时间”。请填写日期，如 {ctx.settings.year}-10-15，便于按期督促。",
                        row,
                        "planned_on",
                    )
                )
        elif row.deadline is not None and row.planned_on > row.deadline:
            out.append(
                _finding(
                    ctx,
                    ERROR,
                    "M102",
                    f"计划完成时间 {row.planned_on:%Y-%m-%d} 晚于承诺“{row.ref}”的完成期限 {row.deadline:%Y-%m-%d}。"
                    "请把计划完成时间调整到完成期限之前（含当天）。",
                    row,
                    "planned_on",
                )
            )
        if (
            row.progress == L.PROGRESS_DONE
            and row.actual_on is None
            and ctx.unreported(row, L.SHEET_PLAN, "actual_on")
        ):
            out.append(
                _finding(
                    ctx,
                    NOTICE,
                    "M103",
                    f"承诺“{row.ref}”已标为“已完成”，但这一步骤没有“实际完成时间”。请补填实际完成时间，或核对承诺是否确已完成。",
                    row,
                    "actual_on",
                )
            )
    return out


def _state(found: bool, status: str, planned: dt.date | None, actual: dt.date | None, as_of: dt.date) -> str:
    if actual is not None:
        return STEP_DONE
    if not found:
        return STEP_NO_PLEDGE
    if status in COMPLETED:
        return STEP_PLEDGE_DONE
    if status not in TRACKED:
        return STEP_UNTRACKED
    if planned is None:
        return STEP_NO_DATE
    return STEP_OVERDUE if planned < as_of else STEP_PENDING


def milestones(
    plans: pd.DataFrame, members: pd.DataFrame, orgs: pd.DataFrame, as_of: dt.date
) -> pd.DataFrame:
    """Every plan step, resolved, with ``milestone`` (a STEP_* state) and ``days_overdue``
    (as-of minus planned date for 逾期 steps, else 0). ``members``/``orgs`` must carry
    ``status`` (as ``Consolidation.members``/``orgs`` do)."""
    r = resolve_plans(plans, members, orgs)
    r["milestone"] = pd.Series(
        [
            _state(f, s, p, a, as_of)
            for f, s, p, a in zip(
                r["found"].tolist(),
                r["status"].tolist(),
                r["planned_on"].tolist(),
                r["actual_on"].tolist(),
                strict=True,
            )
        ],
        index=r.index,
        dtype=str,
    )
    r["days_overdue"] = pd.Series(
        [
            (as_of - p).days if m == STEP_OVERDUE else 0
            for m, p in zip(r["milestone"].tolist(), r["planned_on"].tolist(), strict=True)
        ],
        index=r.index,
        dtype=int,
    )
    return r


def _with_cell(df: pd.DataFrame, field_cols: Mapping[tuple[str, str], Mapping[str, int]]) -> pd.DataFrame:
    """Add ``cell``: the step's 计划完成时间 cell as text ("" when the column was not found)."""
    cells = []
    for f, r in zip(df["file"].tolist(), df["excel_row"].tolist(), strict=True):
        column = field_cols.get((f, L.SHEET_PLAN), {}).get("planned_on", 0)
        cells.append(cell_text(int(r), column) if column else "")
    return df.assign(cell=pd.Series(cells, index=df.index, dtype=str))


def plan_steps(c: Consolidation) -> pd.DataFrame:
    """Every 履诺计划 step of the run with its milestone state (see :func:`milestones`)
    and ``cell`` (the 计划完成时间 cell, Excel numbering)."""
    return _with_cell(milestones(c.plans, c.members, c.orgs, c.as_of), c.field_cols)


def overdue_milestones(c: Consolidation) -> pd.DataFrame:
    """Overdue plan steps (逾期里程碑) of the run, most overdue first.

    One row per step: ``unit_code, unit_name, file, sheet, excel_row, cell, ref`` (the
    pledge, ``党员-12``), ``member_id, name, kind, content, deadline, status`` (of the
    pledge), ``step, planned_on, owner, remark, days_overdue``. A step is overdue when
    planned_on < as_of, it has no actual date and its pledge is approved and not
    completed."""
    steps = plan_steps(c)
    od = steps[steps["milestone"] == STEP_OVERDUE]
    cols = [
        "unit_code",
        "unit_name",
        "file",
        "sheet",
        "excel_row",
        "cell",
        "ref",
        "member_id",
        "name",
        "kind",
        "content",
        "deadline",
        "status",
        "step",
        "planned_on",
        "owner",
        "remark",
        "days_overdue",
    ]
    od = od.sort_values(
        ["days_overdue", "unit_code", "excel_row"], ascending=[False, True, True], kind="stable"
    )
    return od.reindex(columns=cols).reset_index(drop=True)
