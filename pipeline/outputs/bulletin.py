"""The periodic progress bulletin (通报): figures, rankings and lists for the template.

:func:`bulletin_context` turns a :class:`~pipeline.jobs.consolidation.Consolidation` into plain
values for ``templates/bulletin.html.j2``; :func:`render_bulletin` renders it. No disk
access here (the command writes the file atomically).

Numbering (第N期): the number comes from the register of issued documents
(:mod:`pipeline.outputs.documents`, ``outputs/documents/发文登记.csv``), in the order the
bulletins were issued; the command looks it up and passes it in (``issue``). Without a
number the title carries none.

Figures are :mod:`pipeline.rules.figures`'s, under its names (跟踪中承诺, 按期完成,
逾期完成, 完成合计, 逾期未完成, 临期, 完成率): the same numbers as 汇总 of 台账.xlsx. The
school average is the school-wide rate (完成合计 ÷ 跟踪中承诺 of all units, the
committee included, as 汇总's 合计 row). The Party committee (单位类型 党委) is shown
apart and never ranked among the branches it leads, nor commended by the bulletin. A
*lagging* branch has tracked pledges and a rate below that average, or any 逾期未完成
pledge; lagging branches are grouped by their 包靠领导 (``[leaders]``). A unit whose
workbook in use was last modified before ``phases.fulfil.start`` has sent its pledges but
no progress yet (listed under 未报送, with its pledges still counted).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pipeline.core.settings import Settings
from pipeline.jobs.consolidation import Consolidation, unit_figures
from pipeline.outputs.jinja import render
from pipeline.rules.calendar import outside_campaign
from pipeline.rules.figures import EXPLANATION, Figures
from pipeline.rules.tracking import (
    ORG_KIND,
    early_completions,
    overdue_list,
    overdue_milestones,
)

TEMPLATE = "bulletin.html.j2"


def leaders_followup(c: Consolidation) -> dict[str, Any] | None:
    """包靠领导走访点评 of the bulletin period, by leader (issue 15); None when no leader
    keeps a 包靠领导记实表 (the section is left out)."""
    from pipeline.office.leaders import followup_context

    state = c.office
    if state is None or not getattr(state, "has_leaders", False):
        return None
    return followup_context(state.leaders, c.settings, c.roster, c.as_of)


NO_LEADER = "（未明确包靠领导）"
DEFAULT_COMMEND_EARLY_DAYS = 7
TITLE = "关于公开承诺履诺情况的通报"

# Chart geometry (px): label column, bar length at 100%, bar height and gap.
CHART_LABEL_W = 230
CHART_BAR_W = 360
CHART_BAR_H = 20
CHART_GAP = 8
CHART_TOP = 28


def commend_early_days(s: Settings) -> int:
    return s.reader.integer("tracking.commend_early_days", DEFAULT_COMMEND_EARLY_DAYS)


def check_settings(s: Settings) -> None:
    """The bulletin's [tracking] keys, checked by ``load_settings`` at every start (FEATURE_CHECKS).
    ``tracking.bulletin_period_days`` numbered bulletins by date before the register of issued
    numbers did; it is still accepted (and ignored) so that an older campaign.toml loads."""
    commend_early_days(s)
    s.reader.integer("tracking.bulletin_period_days", 7, minimum=1)


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def _chart(ranking: list[dict[str, Any]], school_rate: float) -> dict[str, Any]:
    bars = []
    for i, r in enumerate(ranking):
        y = CHART_TOP + i * (CHART_BAR_H + CHART_GAP)
        w = round(r["rate"] * CHART_BAR_W, 1)
        bars.append(
            {
                "label": r["unit_name"],
                "y": y,
                "text_y": y + CHART_BAR_H - 5,
                "x": CHART_LABEL_W,
                "w": w,
                "value": _pct(r["rate"]),
                "value_x": CHART_LABEL_W + w + 6,
                "lagging": r["lagging"],
            }
        )
    height = CHART_TOP + len(ranking) * (CHART_BAR_H + CHART_GAP) + 24
    ticks = [{"x": CHART_LABEL_W + CHART_BAR_W * t / 4, "label": f"{t * 25}%"} for t in range(5)]
    return {
        "width": CHART_LABEL_W + CHART_BAR_W + 70,
        "height": height,
        "bars": bars,
        "ticks": ticks,
        "axis_y": height - 20,
        "top": CHART_TOP - 6,
        "avg_x": round(CHART_LABEL_W + school_rate * CHART_BAR_W, 1),
        "avg_label": f"全校完成率 {_pct(school_rate)}",
        "x0": CHART_LABEL_W,
    }


def _unit_row(code: str, name: str, f: Figures) -> dict[str, Any]:
    return {
        "unit_code": code,
        "unit_name": name,
        "tracked": f.tracked,
        "on_time": f.on_time,
        "done_late": f.done_late,
        "done_total": f.done_total,
        "overdue": f.overdue,
        "due_soon": f.due_soon,
        "rate": f.rate,
        "rate_text": _pct(f.rate),
    }


def bulletin_context(c: Consolidation, issue: int | None = None) -> dict[str, Any]:
    s = c.settings
    codes = c.roster.codes
    names = c.roster.names
    committee = set(c.roster.committee_codes)
    reported = [code for code in codes if code in c.used]
    table = unit_figures(c)
    school = table.school
    school_rate = school.rate
    figures = {
        "units_total": len(codes),
        "units_reported": len(reported),
        "units_missing": len(codes) - len(reported),
        **_unit_row("", "", school),
        "unreviewed": school.unreviewed,
        "returned": school.returned,
        "excluded": len(c.excluded),
    }

    sent = {code: dt.date.fromisoformat(c.used[code].file.received_text[:10]) for code in reported}
    ranking: list[dict[str, Any]] = []
    committee_rows: list[dict[str, Any]] = []
    for code in reported:
        rec = _unit_row(code, names[code], table.of(code))
        lagging = rec["tracked"] > 0 and (rec["rate"] < school_rate or rec["overdue"] > 0)
        row = {**rec, "leader": s.leader_of(code), "lagging": lagging, "sent": sent[code]}
        # The committee leads the branches and is reviewed by the level above: reported
        # apart, never ranked among them (issue 12).
        (committee_rows if code in committee else ranking).append(row)
    ranking.sort(key=lambda r: (-r["rate"], -r["tracked"], codes.index(r["unit_code"])))
    for i, r in enumerate(ranking, start=1):
        r["rank"] = i

    overdue = overdue_list(c.members, c.orgs, c.logs, c.as_of, codes)
    overdue_groups = []
    for code in reported:
        part = overdue[overdue["单位编码"] == code]
        if len(part):
            overdue_groups.append(
                {
                    "unit_code": code,
                    "unit_name": names[code],
                    "rows": [
                        {
                            "name": r["姓名"],
                            "kind": r["承诺类型"],
                            "content": r["承诺事项"],
                            "deadline": r["完成期限"],
                            "days": r["逾期天数"],
                            "progress": r["完成情况"],
                        }
                        for r in part.to_dict("records")
                    ],
                }
            )

    lagging_by_leader: dict[str, list[dict[str, Any]]] = {}
    for r in ranking:
        if not r["lagging"]:
            continue
        reasons = []
        if r["rate"] < school_rate:
            reasons.append(f"完成率 {r['rate_text']}，低于全校完成率")
        if r["overdue"]:
            reasons.append(f"逾期未完成 {r['overdue']} 项")
        if r["sent"] < s.fulfil.start:
            reasons.append(f"履诺阶段开始后未再报送（最近一次报送 {r['sent']:%Y-%m-%d}）")
        lagging_by_leader.setdefault(r["leader"] or NO_LEADER, []).append({**r, "reason": "；".join(reasons)})
    leader_order = [*s.leaders, NO_LEADER]
    lagging = [{"leader": k, "units": lagging_by_leader[k]} for k in leader_order if k in lagging_by_leader]

    n_early = commend_early_days(s)
    early = early_completions(c.members, c.orgs, n_early, [x for x in codes if x not in committee])
    early = early[~early["单位编码"].isin(committee)]
    early_members = []
    mem = early[early["承诺类型"] != ORG_KIND]
    for (code, _mid), grp in mem.groupby(["单位编码", "党员编号"], sort=False):
        early_members.append(
            {
                "unit_name": names.get(str(code), ""),
                "name": grp["姓名"].iloc[0],
                "count": len(grp),
                "pledges": list(grp["承诺事项"]),
            }
        )
    early_orgs = [
        {
            "unit_name": r["单位名称"],
            "content": r["承诺事项"],
            "days": r["提前天数"],
            "done_on": r["完成日期"],
        }
        for r in early[early["承诺类型"] == ORG_KIND].to_dict("records")
    ]
    all_done = [r for r in ranking if r["tracked"] and r["done_total"] == r["tracked"]]

    milestones = [
        {
            "unit_name": r["单位名称"],
            "name": r["姓名"],
            "content": r["承诺事项"],
            "step": r["计划步骤"],
            "planned_on": r["计划完成时间"],
            "days": r["逾期天数"],
        }
        for r in overdue_milestones(c.plans, c.members, c.orgs, c.as_of, codes).to_dict("records")
    ]
    missing = [
        {"unit_code": code, "unit_name": names[code], "leader": s.leader_of(code)} for code in c.missing_units
    ]
    no_progress = [
        {"unit_code": code, "unit_name": names[code], "leader": s.leader_of(code), "sent": sent[code]}
        for code in reported
        if sent[code] < s.fulfil.start
    ]
    return {
        "title": TITLE if issue is None else f"{TITLE}（第{issue}期）",
        "issue": issue,
        "as_of": c.as_of,
        "settings": s,
        "organisation": s.organisation,
        "office": s.office,
        "campaign": s.name,
        "year": s.year,
        "figures": figures,
        "ranking": ranking,
        "committee": committee_rows,
        "calendar_note": outside_campaign(c.as_of, s),
        "explanation": EXPLANATION.format(due_soon_days=s.due_soon_days),
        "school_rate_text": _pct(school_rate),
        "overdue_groups": overdue_groups,
        "missing": missing,
        "no_progress": no_progress,
        "lagging": lagging,
        "early_days": n_early,
        "early_members": early_members,
        "early_orgs": early_orgs,
        "all_done": all_done,
        "milestones": milestones,
        "chart": _chart(ranking, school_rate),
        "due_soon_days": s.due_soon_days,
        "followup": leaders_followup(c),
    }


def render_context(ctx: dict[str, Any]) -> str:
    return render(TEMPLATE, **ctx)


def render_bulletin(c: Consolidation, issue: int | None = None) -> str:
    return render_context(bulletin_context(c, issue))
