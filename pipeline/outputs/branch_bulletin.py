"""A branch's own bulletin for its members (支部通报, notice 二.三: branches 定期通报 their
members' progress), cut from the school bulletin's context so both say the same.

:func:`branch_contexts` gives one plain dict per reporting unit with members:
the unit's row of the school ranking (the same counts as its row in 汇总), its members'
ranking, its overdue items and plan steps, and its commendations. The HTML
(``branch_bulletin.html.j2``) and the Word document (:mod:`pipeline.outputs.bulletin_docx`)
are both rendered from it. No disk access here.

A member's figures use the school's names and definitions (:mod:`pipeline.rules.figures`):
跟踪中承诺 = approved pledges, 完成合计 = 按期完成 + 逾期完成, 完成率 = 完成合计 ÷ 跟踪中承诺.
Members are ranked by rate, then by 完成合计, then
in roster order; members with nothing tracked come last (rate shown as —).
"""

from __future__ import annotations

import re
from typing import Any

from pipeline.jobs.consolidation import Consolidation
from pipeline.outputs.jinja import render
from pipeline.rules.status import DONE, DONE_LATE, DUE_SOON, OVERDUE, TRACKED
from pipeline.rules.tracking import ORG_KIND

TEMPLATE = "branch_bulletin.html.j2"
BRANCH_DIR = "支部通报"
TITLE = "关于党员公开承诺履诺情况的通报"

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def branch_stem(code: str, name: str) -> str:
    """``D01_第一党支部（基础医学教研室）_通报`` (no characters Windows refuses)."""
    return f"{_UNSAFE.sub('_', code)}_{_UNSAFE.sub('_', name).strip() or code}_通报"


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def member_ranking(c: Consolidation, code: str) -> list[dict[str, Any]]:
    roster = c.roster.members[c.roster.members["unit_code"] == code]
    mine = c.members[c.members["unit_code"] == code]
    order: dict[str, int] = {}
    names: dict[str, str] = {}
    for i, (mid, name) in enumerate(zip(roster["member_id"], roster["name"], strict=True)):
        order.setdefault(str(mid), i)
        names.setdefault(str(mid), str(name))
    for mid, name in zip(mine["member_id"], mine["name"], strict=True):
        mid = "" if mid is None else str(mid)
        if mid and mid not in order:  # pledged but not on this unit's roster: still shown
            order[mid] = len(order)
            names[mid] = "" if name is None else str(name)
    # each member's tracked statuses, in one pass (not one frame filter per member)
    statuses: dict[object, list[object]] = {}
    tracked_set = set(TRACKED)
    for mid, status in zip(mine["member_id"], mine["status"], strict=True):
        if status in tracked_set:
            statuses.setdefault(mid, []).append(status)
    rows: list[dict[str, Any]] = []
    for mid in order:
        st = statuses.get(mid, [])
        on_time, late = st.count(DONE), st.count(DONE_LATE)
        tracked, done = len(st), on_time + late
        rows.append(
            {
                "member_id": mid,
                "name": names[mid],
                "tracked": tracked,
                "on_time": on_time,
                "done_late": late,
                "done_total": done,
                "overdue": st.count(OVERDUE),
                "due_soon": st.count(DUE_SOON),
                "rate": done / tracked if tracked else None,
                "rate_text": _pct(done / tracked) if tracked else "—",
            }
        )
    rows.sort(key=lambda r: (r["rate"] is None, -(r["rate"] or 0.0), -r["done_total"], order[r["member_id"]]))
    rank = 0
    for r in rows:
        if r["rate"] is not None:
            rank += 1
            r["rank"] = rank
        else:
            r["rank"] = None
    return rows


def branch_contexts(c: Consolidation, ctx: dict[str, Any]) -> list[dict[str, Any]]:
    """One context per reporting unit that has members (on the roster or pledging)."""
    out = []
    ranking = {r["unit_code"]: r for r in ctx["ranking"]}
    overdue = {g["unit_code"]: g["rows"] for g in ctx["overdue_groups"]}
    units = c.roster.units
    kinds = dict(zip(units["unit_code"], units["unit_type"], strict=True))
    for code in c.roster.codes:
        if code not in ranking:
            continue
        row = ranking[code]
        members = member_ranking(c, code)
        if not members:  # a unit without members of its own (the committee) gets none
            continue
        name = row["unit_name"]
        early = [m for m in ctx["early_members"] if m["unit_name"] == name]
        early_orgs = [o for o in ctx["early_orgs"] if o["unit_name"] == name]
        all_done = [m for m in members if m["tracked"] and m["done_total"] == m["tracked"]]
        milestones = [m for m in ctx["milestones"] if m["unit_name"] == name]
        items = overdue.get(code, [])
        laggards = [m for m in members if m["overdue"]]
        out.append(
            {
                "unit_code": code,
                "unit_name": name,
                "unit_type": kinds.get(code, ""),
                "stem": branch_stem(code, name),
                "title": f"{name}{TITLE}" + (f"（第{ctx['issue']}期）" if ctx.get("issue") else ""),
                "issue": ctx.get("issue"),
                "as_of": ctx["as_of"],
                "row": row,
                "units_ranked": len(ctx["ranking"]),
                "school_rate_text": ctx["school_rate_text"],
                "members": members,
                "n_members": len(members),
                "n_org": sum(1 for it in items if it["kind"] == ORG_KIND),
                "overdue_items": items,
                "overdue_members": laggards,
                "milestones": milestones,
                "early_days": ctx["early_days"],
                "early_members": early,
                "early_orgs": early_orgs,
                "all_done_members": all_done,
                "due_soon_days": ctx["due_soon_days"],
                "leader": row.get("leader", ""),
                "document": ctx.get("document", {}),
            }
        )
    return out


def render_branch(bctx: dict[str, Any]) -> str:
    return render(TEMPLATE, **bctx)
