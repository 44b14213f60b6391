"""Fulfilment tracking lists: overdue, due soon, silent members, overdue plan steps,
early completions (the counts themselves: :mod:`pipeline.rules.figures`).

Pure functions over the consolidation frames (``members``, ``orgs``, ``logs``,
``plans`` and the roster's ``members``): DataFrames in, DataFrames out, no disk access.
The frames returned by the ``*_list`` functions carry the Chinese column names the
clerk sees; the writers only lay them out.

Definitions (documented in the README):

- a pledge's *reference* is ``党员-<序号>`` / ``组织-<序号>`` (what 履诺记实 and 履诺计划 use);
  references typed as ``党员14``, ``党员－14`` or a bare ``14`` (a member pledge) are accepted;
- a log entry belongs to a member by its 党员编号, or, when that is blank, to the member
  whose pledge its 承诺序号 names; entries dated after the as-of date are ignored;
- *silent* (久未记实): a member with at least one open pledge (tracked and not completed:
  逾期未完成, 临期, 进行中, 未开始) and no log entry dated within the last
  ``log_silence_days`` days, that is ``as_of - last entry >= log_silence_days`` days (or
  no entry at all); only while the fulfilment phase runs (``phases.fulfil``): before it
  nobody is expected to log, after it nothing is left to urge;
- *early* (提前完成): status 已完成 and done at least ``commend_early_days`` days before
  the deadline.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence

import pandas as pd

from pipeline.read import layout as L
from pipeline.rules.status import DONE, DUE_SOON, OPEN, OVERDUE, TRACKED

ORG_KIND = "组织承诺"
NONE_TEXT = "无"

# Columns of the union frame built by :func:`pledges`.
PLEDGE_FIELDS = (
    "unit_code",
    "unit_name",
    "ref",
    "seq",
    "member_id",
    "name",
    "owner",
    "kind",
    "content",
    "measures",
    "deadline",
    "effect",
    "review",
    "progress",
    "done_on",
    "status",
    "days_overdue",
)


def as_date(v: object) -> dt.date | None:
    """A ``datetime.date`` from a frame cell (date, datetime, Timestamp) or None."""
    if v is None or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.date()
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    return None


def seq_int(v: object) -> int | None:
    try:
        f = float(str(v).strip())
    except ValueError:
        return None
    return int(f) if math.isfinite(f) and f == int(f) else None  # "inf" and "nan" are no 序号


def norm_ref(text: object) -> str:
    """``党员-14`` from ``党员-14``, ``党员14``, ``党员－14`` or ``14``; "" when unreadable
    (one parser for every pledge reference: :func:`pipeline.rules.plans.norm_pledge_ref`)."""
    from pipeline.rules.plans import norm_pledge_ref

    return norm_pledge_ref(text)


def _text(v: object) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v)


def pledges(members: pd.DataFrame, orgs: pd.DataFrame) -> pd.DataFrame:
    """Member and org pledges in one frame (``PLEDGE_FIELDS``); org rows have kind 组织承诺,
    an empty member id and name, and their 责任人 in ``owner``."""
    rows: list[dict[str, object]] = []
    for src, prefix in ((members, L.REF_MEMBER), (orgs, L.REF_ORG)):
        for rec in src.to_dict("records"):
            seq = seq_int(rec.get("seq"))
            is_org = prefix == L.REF_ORG
            rows.append(
                {
                    "unit_code": _text(rec.get("unit_code")),
                    "unit_name": _text(rec.get("unit_name")),
                    "ref": f"{prefix}-{seq}" if seq is not None else "",
                    "seq": seq,
                    "member_id": "" if is_org else _text(rec.get("member_id")),
                    "name": "" if is_org else _text(rec.get("name")),
                    "owner": _text(rec.get("owner")) if is_org else "",
                    "kind": ORG_KIND if is_org else _text(rec.get("kind")),
                    "content": _text(rec.get("content")),
                    "measures": _text(rec.get("measures")),
                    "deadline": as_date(rec.get("deadline")),
                    "effect": _text(rec.get("effect")),
                    "review": _text(rec.get("review")),
                    "progress": _text(rec.get("progress")),
                    "done_on": as_date(rec.get("done_on")),
                    "status": _text(rec.get("status")),
                    "days_overdue": int(rec.get("days_overdue") or 0),
                }
            )
    return pd.DataFrame(rows, columns=list(PLEDGE_FIELDS))


def log_entries(logs: pd.DataFrame, pl: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Dated log entries up to ``as_of``: unit_code, member_id (resolved through the
    pledge reference when blank), ref, date."""
    owner = {(u, r): m for u, r, m in zip(pl["unit_code"], pl["ref"], pl["member_id"], strict=True) if r}
    rows = []
    for rec in logs.to_dict("records"):
        day = as_date(rec.get("date"))
        if day is None or day > as_of:
            continue
        unit = _text(rec.get("unit_code"))
        ref = norm_ref(rec.get("pledge_ref"))
        mid = _text(rec.get("member_id")) or owner.get((unit, ref), "")
        rows.append({"unit_code": unit, "member_id": mid, "ref": ref, "date": day})
    return pd.DataFrame(rows, columns=["unit_code", "member_id", "ref", "date"])


def _last(entries: pd.DataFrame, keys: Sequence[str]) -> dict[tuple[str, ...], dt.date]:
    out: dict[tuple[str, ...], dt.date] = {}
    for rec in entries.to_dict("records"):
        k = tuple(str(rec[x]) for x in keys)
        if all(k) and (k not in out or rec["date"] > out[k]):
            out[k] = rec["date"]
    return out


def _order(unit_order: Sequence[str]) -> dict[str, int]:
    return {code: i for i, code in enumerate(unit_order)}


def _sorted(df: pd.DataFrame, unit_order: Sequence[str], extra: Sequence[str] = ()) -> pd.DataFrame:
    if df.empty:
        return df.reset_index(drop=True)
    rank = _order(unit_order)
    key = df.assign(
        _u=[rank.get(c, len(rank)) for c in df["unit_code"]],
        _org=(df["kind"] != ORG_KIND).astype(int),
        _seq=df["seq"].fillna(0),
    )
    return key.sort_values(["_u", *extra, "_org", "member_id", "_seq"], kind="stable").drop(
        columns=["_u", "_org", "_seq"]
    )


def _date_or_none(d: dt.date | None) -> object:
    return d if d is not None else NONE_TEXT


def _pledge_list(
    members: pd.DataFrame,
    orgs: pd.DataFrame,
    logs: pd.DataFrame,
    as_of: dt.date,
    unit_order: Sequence[str],
    status: str,
) -> pd.DataFrame:
    pl = pledges(members, orgs)
    entries = log_entries(logs, pl, as_of)
    by_ref = _last(entries, ("unit_code", "ref"))
    by_member = _last(entries, ("member_id",))
    sel = _sorted(pl[pl["status"] == status], unit_order)
    out = pd.DataFrame(
        {
            "单位编码": sel["unit_code"],
            "单位名称": sel["unit_name"],
            "党员编号": sel["member_id"],
            "姓名": [n or o for n, o in zip(sel["name"], sel["owner"], strict=True)],
            "承诺类型": sel["kind"],
            "承诺序号": sel["ref"],
            "承诺事项": sel["content"],
            "完成期限": sel["deadline"],
        }
    )
    if status == OVERDUE:
        out["逾期天数"] = sel["days_overdue"].astype(int)
    else:
        out["剩余天数"] = [(d - as_of).days if d is not None else None for d in sel["deadline"]]
    out["完成情况"] = [p or L.PROGRESS_NOT_STARTED for p in sel["progress"]]
    out["本项最近记实"] = [
        _date_or_none(by_ref.get((u, r))) for u, r in zip(sel["unit_code"], sel["ref"], strict=True)
    ]
    out["本人最近记实"] = [_date_or_none(by_member.get((m,))) if m else "" for m in sel["member_id"]]
    return out.reset_index(drop=True)


def overdue_list(
    members: pd.DataFrame, orgs: pd.DataFrame, logs: pd.DataFrame, as_of: dt.date, unit_order: Sequence[str]
) -> pd.DataFrame:
    """Every pledge with status 逾期未完成 (member and org pledges), by unit, org items first,
    then by member and 序号; with the last log dates of the pledge and of the member."""
    return _pledge_list(members, orgs, logs, as_of, unit_order, OVERDUE)


def due_soon_list(
    members: pd.DataFrame, orgs: pd.DataFrame, logs: pd.DataFrame, as_of: dt.date, unit_order: Sequence[str]
) -> pd.DataFrame:
    """Every pledge with status 临期 (deadline within ``due_soon_days``), with days left."""
    return _pledge_list(members, orgs, logs, as_of, unit_order, DUE_SOON)


def silent_members(
    roster_members: pd.DataFrame,
    reported: Iterable[str],
    members: pd.DataFrame,
    orgs: pd.DataFrame,
    logs: pd.DataFrame,
    as_of: dt.date,
    silence_days: int,
    unit_order: Sequence[str],
    fulfil: tuple[dt.date, dt.date] | None = None,
) -> pd.DataFrame:
    """Roster members of the units that returned a workbook, with an open pledge, whose
    last log entry is ``silence_days`` or more days before ``as_of`` (or who have none).
    Empty outside ``fulfil`` (start, end) when it is given."""
    reported = set(reported)
    if fulfil is not None and not fulfil[0] <= as_of <= fulfil[1]:
        reported = set()
    pl = pledges(members, orgs)
    entries = log_entries(logs, pl, as_of)
    last = _last(entries, ("member_id",))
    mine = pl[pl["member_id"] != ""]
    tracked = mine[mine["status"].isin(TRACKED)].groupby("member_id").size().to_dict()
    open_ = mine[mine["status"].isin(OPEN)].groupby("member_id").size().to_dict()
    rank = _order(unit_order)
    rows = []
    for rec in roster_members.to_dict("records"):
        code, mid = str(rec["unit_code"]), str(rec["member_id"])
        if code not in reported or not open_.get(mid):
            continue
        day = last.get((mid,))
        since = (as_of - day).days if day is not None else None
        if since is not None and since < silence_days:
            continue
        rows.append(
            {
                "_u": rank.get(code, len(rank)),
                "单位编码": code,
                "单位名称": rec["unit_name"],
                "党员编号": mid,
                "姓名": rec["name"],
                "最近记实日期": _date_or_none(day),
                "距今天数": since,
                "跟踪中承诺": int(tracked.get(mid, 0)),
                "未完成承诺": int(open_.get(mid, 0)),
            }
        )
    cols = [
        "单位编码",
        "单位名称",
        "党员编号",
        "姓名",
        "最近记实日期",
        "距今天数",
        "跟踪中承诺",
        "未完成承诺",
    ]
    if not rows:
        return pd.DataFrame(columns=cols)
    return pd.DataFrame(rows).sort_values(["_u", "党员编号"], kind="stable")[cols].reset_index(drop=True)


def overdue_milestones(
    plans: pd.DataFrame, members: pd.DataFrame, orgs: pd.DataFrame, as_of: dt.date, unit_order: Sequence[str]
) -> pd.DataFrame:
    """Overdue plan steps (履诺计划) in the bulletin's Chinese columns, by unit order.

    The rule itself (planned before ``as_of``, no actual date, pledge approved and not
    completed) lives in :func:`pipeline.rules.plans.milestones`."""
    from pipeline.rules.plans import STEP_OVERDUE, milestones

    cols = [
        "单位编码",
        "单位名称",
        "承诺序号",
        "姓名",
        "承诺事项",
        "计划步骤",
        "计划完成时间",
        "逾期天数",
        "承诺状态",
    ]
    steps = milestones(plans, members, orgs, as_of)
    od = steps[steps["milestone"] == STEP_OVERDUE]
    if od.empty:
        return pd.DataFrame(columns=cols)
    rank = _order(unit_order)
    names = (
        dict(zip(orgs["unit_code"] + "|" + orgs["seq"].astype(str), orgs["owner"], strict=True))
        if len(orgs)
        else {}
    )
    out = pd.DataFrame(
        {
            "_u": [rank.get(u, len(rank)) for u in od["unit_code"]],
            "单位编码": od["unit_code"].to_list(),
            "单位名称": od["unit_name"].to_list(),
            "承诺序号": od["ref"].to_list(),
            "姓名": [
                _text(n) or names.get(f"{u}|{r.split('-')[-1]}", "")
                for n, u, r in zip(od["name"], od["unit_code"], od["ref"], strict=True)
            ],
            "承诺事项": od["content"].to_list(),
            "计划步骤": od["step"].to_list(),
            "计划完成时间": od["planned_on"].to_list(),
            "逾期天数": od["days_overdue"].to_list(),
            "承诺状态": od["status"].to_list(),
        }
    )
    return out.sort_values(["_u", "计划完成时间"], kind="stable")[cols].reset_index(drop=True)


def early_completions(
    members: pd.DataFrame, orgs: pd.DataFrame, days: int, unit_order: Sequence[str]
) -> pd.DataFrame:
    """Pledges with status 按期完成 done at least ``days`` days before their deadline."""
    pl = pledges(members, orgs)
    early = [
        s == DONE and d is not None and c is not None and (d - c).days >= days
        for s, d, c in zip(pl["status"], pl["deadline"], pl["done_on"], strict=True)
    ]
    sel = _sorted(pl[pd.Series(early, index=pl.index, dtype=bool)], unit_order)
    return pd.DataFrame(
        {
            "单位编码": sel["unit_code"],
            "单位名称": sel["unit_name"],
            "党员编号": sel["member_id"],
            "姓名": [n or o for n, o in zip(sel["name"], sel["owner"], strict=True)],
            "承诺类型": sel["kind"],
            "承诺事项": sel["content"],
            "完成期限": sel["deadline"],
            "完成日期": sel["done_on"],
            "提前天数": [(d - c).days for d, c in zip(sel["deadline"], sel["done_on"], strict=True)],
        }
    ).reset_index(drop=True)
