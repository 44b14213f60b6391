"""Branch ledgers (支部台账): one unit's own slice of the consolidation (no I/O).

"学校对各支部、各支部对本支部党员的公开承诺建立管理台帐": besides the school's ledger
(台账.xlsx) every unit that returned a workbook gets its own, for the branch secretary to
urge and help members (督促、帮助). A :class:`BranchLedger` holds only that unit's rows:
its overview, member pledges with status, organisational pledges, members to urge (no
pledge, overdue pledges or overdue plan steps), plan steps with milestone state, and
its findings. The frames reuse the school ledger's (``ledger_writer.member_ledger``,
``org_ledger``) filtered to the unit; the writer is ``branch_ledger_writer``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pipeline.core.findings import findings_frame
from pipeline.infra.parallel import without_gc
from pipeline.infra.plain import FrameCells, FrameRows, built
from pipeline.jobs.consolidation import Consolidation, unit_summary
from pipeline.outputs.jinja import percent
from pipeline.outputs.ledger import member_ledger, org_ledger
from pipeline.read import layout as L
from pipeline.read.textnorm import safe_filename
from pipeline.rules import figures as F
from pipeline.rules.plans import STEP_OVERDUE, plan_steps
from pipeline.rules.status import OVERDUE

BRANCH_DIR = "支部台账"
SHEET_OVERVIEW = "概况"
SHEET_URGE = "需督促党员"
SHEET_FINDINGS = "问题清单"

PLAN_COLUMNS = {
    "ref_text": "承诺序号",
    "member_id": "党员编号",
    "name": "姓名",
    "content": "承诺事项",
    "deadline": "完成期限",
    "status": "承诺状态",
    "step": "步骤",
    "planned_on": "计划完成时间",
    "actual_on": "实际完成时间",
    "owner": "责任人",
    "remark": "备注",
    "milestone": "步骤状态",
    "days_overdue": "逾期天数",
    "source": "来源",
}
URGE_COLUMNS = [
    "党员编号",
    "姓名",
    "岗位",
    "党员类别",
    "情况",
    "逾期承诺数",
    "最长逾期天数",
    "逾期计划步骤数",
    "明细",
]
_DROP = ["单位编码", "单位名称"]  # the whole workbook is one unit's


@dataclass
class BranchLedger:
    """One unit's ledger. From ``branch_ledgers(..., build=False)`` its frames are
    :class:`~pipeline.infra.plain.FrameRows` (row ranges of the frames of all units,
    keyed without being built) until :func:`~pipeline.infra.plain.built`."""

    unit_code: str
    unit_name: str
    title: str
    overview: pd.DataFrame  # 项目 | 内容
    members: pd.DataFrame
    orgs: pd.DataFrame
    urge: pd.DataFrame
    plans: pd.DataFrame
    findings: pd.DataFrame
    leaders: pd.DataFrame | None = None  # 包靠领导走访点评 of this unit (issue 15)

    @property
    def filename(self) -> str:
        return branch_filename(self.unit_code, self.unit_name)


def branch_filename(unit_code: str, unit_name: str) -> str:
    return f"{safe_filename(unit_code, 20)}_{safe_filename(unit_name)}_台账.xlsx"


def _positions(keys: list[Any]) -> dict[str, list[int]]:
    """Row positions by key, in row order (as ``groupby(key, sort=False)``: missing keys dropped)."""
    out: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        if isinstance(k, str):
            out.setdefault(k, []).append(i)
        elif not _missing(k):
            out.setdefault(str(k), []).append(i)
    return out


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


class _Parts:
    """One frame cut into per-unit frames (index reset) with a single ``take``.

    The units' rows are gathered once, in output order; a unit's frame is then a slice
    (groupby frames plus a per-unit ``drop``/``reset_index`` copy cost seconds at county
    scale: issue 6). Slices share the gathered frame's data (copy-on-write)."""

    def __init__(self, df: pd.DataFrame, pos: Mapping[str, list[int]], codes: list[str]) -> None:
        order: list[int] = []
        self.bounds: dict[str, tuple[int, int]] = {}
        for code in codes:
            rows = pos.get(code)
            if rows:
                self.bounds[code] = (len(order), len(order) + len(rows))
                order += rows
        self.big = FrameCells(df.take(order))

    def get(self, code: str) -> FrameRows | None:
        """The unit's rows (built by ``.frame()``), or None when it has none."""
        b = self.bounds.get(code)
        return None if b is None else self.big.rows(*b)

    def get_or_empty(self, code: str) -> FrameRows:
        """The unit's rows, or no rows (with the frame's columns and dtypes)."""
        return self.get(code) or self.big.rows(0, 0)


def _stacked(rows_by_unit: Mapping[str, list[Any]], columns: list[str]) -> _Parts:
    """Per-unit row lists as one frame, cut by unit: each unit's part equals
    ``pd.DataFrame(rows, columns=columns)`` when every column holds one type throughout."""
    rows: list[Any] = []
    pos: dict[str, list[int]] = {}
    for code, unit_rows in rows_by_unit.items():
        pos[code] = list(range(len(rows), len(rows) + len(unit_rows)))
        rows += unit_rows
    return _Parts(pd.DataFrame(rows, columns=columns), pos, list(rows_by_unit))


def _ref_text(steps: pd.DataFrame) -> list[Any]:
    return [r or p for r, p in zip(steps["ref"].tolist(), steps["pledge_ref"].tolist(), strict=True)]


def _plan_frame(steps: pd.DataFrame) -> pd.DataFrame:
    if steps.empty:
        return pd.DataFrame(columns=list(PLAN_COLUMNS.values()))
    s = steps.assign(
        ref_text=_ref_text(steps),
        source=[
            f"{f}!{sh}!{cell}" if cell else f"{f}!{sh}"
            for f, sh, cell in zip(
                steps["file"].tolist(), steps["sheet"].tolist(), steps["cell"].tolist(), strict=True
            )
        ],
    )
    out = s.reindex(columns=list(PLAN_COLUMNS))
    out.columns = pd.Index(list(PLAN_COLUMNS.values()))
    return out.reset_index(drop=True)


def _all_str(values: Iterable[Any]) -> bool:
    return all(type(v) is str for v in values)


class _Columns(dict[str, list[Any]]):
    """Columns of a frame as plain lists (iterating a pandas string column cell by cell
    costs ~1 µs a cell: issue 6), with the row positions of each unit."""

    def __init__(self, df: pd.DataFrame, key: str, columns: tuple[str, ...] = ()) -> None:
        n = len(df)
        super().__init__((col, df[col].tolist() if n else []) for col in columns)
        self.by_unit = _positions(df[key].tolist()) if n else {}

    def rows(self, code: str) -> list[int]:
        return self.by_unit.get(code, [])


_YMD: dict[Any, str] = {}


def _ymd(day: Any) -> str:
    """``f"{day:%Y-%m-%d}"``, formatted once per date (a county's urge lists hold
    ~100,000 dates of a few hundred days; strftime costs microseconds)."""
    text = _YMD.get(day)
    if text is None:
        text = _YMD[day] = f"{day:%Y-%m-%d}"
    return text


def _urge_rows(
    code: str, roster: _Columns, items: _Columns, steps: _Columns, late_steps: list[int]
) -> list[tuple[Any, ...]]:
    """Roster members of the unit with no pledge, overdue pledges or overdue plan steps
    (rows of URGE_COLUMNS). ``late_steps``: positions of the unit's overdue plan steps."""
    # Counts and positions grouped once per unit (a per-member DataFrame filter is ~100 times slower: issue 6).
    n_mine: dict[str, int] = {}
    live: set[str] = set()
    late_by_member: dict[str, list[int]] = {}
    mids, reviews, statuses = items["member_id"], items["review"], items["status"]
    for i in items.rows(code):
        mid = mids[i]
        if not isinstance(mid, str):  # groupby drops missing keys
            continue
        n_mine[mid] = n_mine.get(mid, 0) + 1
        if reviews[i] != L.REVIEW_RETURNED:
            live.add(mid)
        if statuses[i] == OVERDUE:
            late_by_member.setdefault(mid, []).append(i)
    steps_by_member: dict[str, list[int]] = {}
    for i in late_steps:
        mid = steps["member_id"][i]
        if isinstance(mid, str):
            steps_by_member.setdefault(mid, []).append(i)
    content, deadline, days_overdue = items["content"], items["deadline"], items["days_overdue"]
    rows = []
    for r in roster.rows(code):
        member_id = roster["member_id"][r]
        mine = n_mine.get(member_id, 0)
        late = late_by_member.get(member_id, [])
        ms = steps_by_member.get(member_id, [])
        reasons, details = [], []
        if member_id not in live:
            reasons.append("未承诺" if not mine else "承诺均被退回")
            details.append(
                "请督促按要求填报 2—3 件实事好事、1—2 个改正缺点" if not mine else "请帮助修改后重新报送承诺"
            )
        if late:
            reasons.append(f"承诺逾期 {len(late)} 项")
            details += [f"{content[i]}（期限 {_ymd(deadline[i])}，逾期 {days_overdue[i]} 天）" for i in late]
        if ms:
            reasons.append(f"计划步骤逾期 {len(ms)} 个")
            details += [
                f"{steps['ref'][i]} {steps['step'][i]}（计划 {_ymd(steps['planned_on'][i])}，逾期 {steps['days_overdue'][i]} 天）"
                for i in ms
            ]
        if not reasons:
            continue
        rows.append(
            (
                member_id,
                roster["name"][r],
                roster["post"][r],
                roster["category"][r],
                "；".join(reasons),
                len(late),
                int(max(days_overdue[i] for i in late)) if late else 0,
                len(ms),
                "；\n".join(details),
            )
        )
    return rows


def _overview_rows(
    c: Consolidation,
    code: str,
    summary: Mapping[str, Any],
    secretary: str,
    urge: list[tuple[Any, ...]],
    n_late_steps: int,
) -> list[tuple[str, Any]]:
    # urge["情况"].str.contains("未承诺|承诺均被退回")
    not_pledged = sum(1 for r in urge if "未承诺" in r[4] or "承诺均被退回" in r[4])
    rate = summary[F.RATE]
    return [
        ("单位", f"{code} {summary['单位名称']}"),
        ("支部书记", secretary),
        ("统计截止", f"{c.as_of:%Y-%m-%d}"),
        ("采用文件", summary["采用文件"]),
        ("报送时间", summary["报送时间"]),
        ("时间来源", summary["时间来源"]),
        (F.MEMBERS, int(summary[F.MEMBERS])),
        (F.PLEDGED_MEMBERS, int(summary[F.PLEDGED_MEMBERS])),
        ("未承诺党员", not_pledged),
        *((name, int(summary[name])) for name in (F.DEEDS, F.FAULTS, F.ORG_ITEMS)),
        *((name, percent(rate) if name == F.RATE else int(summary[name])) for name in F.STATUS_NAMES),
        ("逾期计划步骤", n_late_steps),
        ("需督促党员", len(urge)),
        ("问题：错误", int(summary["错误"])),
        ("问题：提醒", int(summary["提醒"])),
    ]


@without_gc  # ~400,000 long-lived objects (the ledgers' frames): see pipeline.infra.parallel.without_gc
def leader_sheet(c: Consolidation, code: str) -> pd.DataFrame | None:
    """The unit's 包靠领导 visits and comments known on as_of; None without any."""
    from pipeline.office.leaders import unit_records

    state = c.office
    if state is None or not getattr(state, "has_leaders", False):
        return None
    df = unit_records(state.leaders, code)
    return df if len(df) else None


def branch_ledgers(
    c: Consolidation, table: F.FigureTable | None = None, build: bool = True
) -> list[BranchLedger]:
    """One ledger per unit that returned a workbook, in roster order (``table``:
    :func:`unit_figures` of ``c`` when the caller has it). ``build=False``: the frames
    are row ranges of the frames of all units (:class:`FrameRows`), for a caller that
    keys every ledger (``plain.key_bytes``, the same bytes as the built ledger's) and
    builds only those it writes (``plain.built``): most of a warm run's ledgers are
    reused, and building 2,000 ledgers' frames cost ~7 s at county scale (issue 16)."""
    # Each source frame is cut by unit once, from plain lists and row positions: per-unit
    # groupby frames, filters, itertuples and Series.loc cost ~16 s for a county (issue 6).
    codes = [code for code in c.roster.codes if code in c.used]
    summary_df = unit_summary(c, table)
    summary = {col: summary_df[col].tolist() for col in summary_df.columns}
    summary_at = {code: i for i, code in enumerate(summary["单位编码"])}
    ml, ol = member_ledger(c), org_ledger(c)
    members = _Parts(ml.drop(columns=_DROP), _Columns(ml, "单位编码").by_unit, codes)
    orgs = _Parts(ol.drop(columns=_DROP), _Columns(ol, "单位编码").by_unit, codes)
    roster = _Columns(c.roster.members, "unit_code", ("member_id", "name", "post", "category", "party_role"))
    items = _Columns(
        c.members, "unit_code", ("member_id", "review", "status", "content", "deadline", "days_overdue")
    )
    steps_all = plan_steps(c)
    steps = _Columns(
        steps_all, "unit_code", ("member_id", "ref", "step", "planned_on", "days_overdue", "milestone")
    )
    # A slice of the whole plan frame has a unit's own dtypes when 承诺序号 is text
    # throughout (else each unit's frame is built on its own).
    whole = _all_str(_ref_text(steps_all))
    plans = _Parts(_plan_frame(steps_all), steps.by_unit if whole else {}, codes)
    # The problem lists too: findings_frame builds rows one finding at a time and sorts
    # them stably by their own fields, so a unit's rows of the frame of all units' findings
    # are, in order, that unit's own frame (a frame per unit costs ~0.4 s more for a county).
    found = findings_frame(f for f in c.findings if f.unit_code in c.used)
    problems = _Parts(found, _Columns(found, "单位编码").by_unit, codes)

    urges: dict[str, list[tuple[Any, ...]]] = {}
    overviews: dict[str, list[tuple[str, Any]]] = {}
    for code in codes:
        late = [i for i in steps.rows(code) if steps["milestone"][i] == STEP_OVERDUE]
        urges[code] = _urge_rows(code, roster, items, steps, late)
        at = summary_at[code]
        overviews[code] = _overview_rows(
            c,
            code,
            {k: v[at] for k, v in summary.items()},
            c.roster.secretary_of(code),
            urges[code],
            len(late),
        )
    overview = _stacked(overviews, ["项目", "内容"])
    # Likewise the urge frames when the roster columns are text throughout.
    whole = _all_str(r[k] for rows in urges.values() for r in rows for k in range(4))
    urge = _stacked({k: v for k, v in urges.items() if v and whole}, URGE_COLUMNS)
    no_urge = FrameCells(pd.DataFrame([], columns=URGE_COLUMNS)).rows(0, 0)
    no_problems = FrameCells(findings_frame([])).rows(0, 0)
    no_plans = FrameCells(_plan_frame(steps_all.iloc[0:0])).rows(0, 0)

    out = []
    for code in codes:
        ur = c.used[code]
        unit_urge: pd.DataFrame | FrameRows | None = urge.get(code)
        if unit_urge is None:
            unit_urge = pd.DataFrame(urges[code], columns=URGE_COLUMNS) if urges[code] else no_urge
        unit_plans: pd.DataFrame | FrameRows | None = plans.get(code)
        if unit_plans is None:
            mine = steps.rows(code)
            unit_plans = _plan_frame(steps_all.iloc[mine]) if mine else no_plans
        out.append(
            _ledger(
                unit_code=code,
                unit_name=ur.unit_name,
                title=f"{c.settings.year}年{c.settings.name} {ur.unit_name}台账（统计截止 {c.as_of:%Y-%m-%d}）",
                overview=overview.get_or_empty(code),
                members=members.get_or_empty(code),
                orgs=orgs.get_or_empty(code),
                urge=unit_urge,
                plans=unit_plans,
                findings=problems.get(code) or no_problems,
                leaders=leader_sheet(c, code),
            )
        )
    return [built(b) for b in out] if build else out


def _ledger(**fields: Any) -> BranchLedger:
    """A ledger whose frames may still be :class:`FrameRows`."""
    return BranchLedger(**fields)
