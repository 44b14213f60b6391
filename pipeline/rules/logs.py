"""Rules on the 履诺记实 rows (no I/O): each entry's pledge and member must exist.

A log entry records what was done for a pledge. Its 承诺序号 (optional) names the pledge
the same way a plan step does (``党员-12`` / ``组织-3``, read by
:func:`pipeline.rules.plans.norm_pledge_ref`); its 党员编号 (optional) names a member of
the unit. An entry that points nowhere is not counted for that pledge or member, so the
unit is told (提醒) at the cell:

- T102: the 承诺序号 is filled but names no pledge of the unit (unreadable, or no row with
  that 序号 and a 承诺事项).
- T103: the 党员编号 is filled but is not a roster member of the unit.
"""

from __future__ import annotations

import pandas as pd

from pipeline.core.findings import NOTICE, Finding
from pipeline.read import layout as L
from pipeline.rules.plans import resolve_plans
from pipeline.rules.pledges import RuleContext, member_lookups


def t102_log_pledge_missing(
    logs: pd.DataFrame, members: pd.DataFrame, orgs: pd.DataFrame, ctx: RuleContext
) -> list[Finding]:
    if logs.empty:
        return []
    resolved = resolve_plans(logs[["unit_code", "pledge_ref"]], members, orgs, fields=())
    raw = logs["pledge_ref"].tolist()
    hits = [
        i for i, (r, found) in enumerate(zip(raw, resolved["found"].tolist(), strict=True)) if r and not found
    ]
    refs = resolved["ref"].tolist()
    out = []
    for i in hits:
        row = next(logs.iloc[[i]].itertuples(index=False))
        if refs[i]:
            kind, seq = refs[i].split("-")
            sheet = L.SHEET_MEMBER if kind == L.REF_MEMBER else L.SHEET_ORG
            msg = (
                f"承诺序号“{refs[i]}”对应的承诺不存在：本单位“{sheet}”表中没有序号为 {seq} 且填写了承诺事项的行，"
                "这条记实未计入任何承诺。请核对序号。"
            )
        else:
            msg = (
                f"承诺序号“{raw[i]}”无法识别，这条记实未计入任何承诺。请从下拉列表选择，"
                f"写法为“{L.REF_MEMBER}-序号”或“{L.REF_ORG}-序号”。"
            )
        out.append(ctx.finding(NOTICE, "T102", msg, row, L.SHEET_LOG, "pledge_ref"))
    return out


def t103_log_member_not_of_unit(logs: pd.DataFrame, ctx: RuleContext) -> list[Finding]:
    home, _, units = member_lookups(ctx.roster)
    hits = [
        i
        for i, (mid, unit) in enumerate(
            zip(logs["member_id"].tolist(), logs["unit_code"].tolist(), strict=True)
        )
        if mid and home.get(mid) != unit
    ]
    out = []
    for i in hits:
        row = next(logs.iloc[[i]].itertuples(index=False))
        mid = row.member_id
        where = f"属于{units[mid]}" if mid in home else "不在花名册中"
        msg = f"党员编号“{mid}”{where}，不是本单位党员，这条记实未计入。请核对编号。"
        out.append(ctx.finding(NOTICE, "T103", msg, row, L.SHEET_LOG, "member_id"))
    return out


def log_rules(
    logs: pd.DataFrame, members: pd.DataFrame, orgs: pd.DataFrame, ctx: RuleContext
) -> list[Finding]:
    """T102 and T103 on every 履诺记实 row, listed by file and row."""
    found = t102_log_pledge_missing(logs, members, orgs, ctx) + t103_log_member_not_of_unit(logs, ctx)
    rank = {f: i for i, f in enumerate(dict.fromkeys(logs["file"].tolist()))} if not logs.empty else {}
    return sorted(found, key=lambda f: (rank.get(f.file, len(rank)), f.row))
