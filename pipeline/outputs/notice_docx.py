"""The public notices (公示) and the commendation (表彰通报) as Word documents.

- 公示_承诺事项.docx (``make notice``): from the same frame and context as
  公示_承诺事项.html (approved pledges, public columns only); a short body with the 公示
  period and where to send opinions, the lists as 附件 (组织承诺, 党员承诺 by unit).
- 公示_考核结果.docx (``make ratings``): from the context of 公示_考核结果.html (names and
  final grades only), the grades by unit as an 附件.
- 表彰通报.docx (``make ratings``): the units and members whose final grade is 好
  (:func:`pipeline.assessment.scoring.commended`), numbered from the register like the
  bulletin (文种 表彰通报), with masthead, 主送 and the list as an 附件.

Notices are posted, not sent: no 文号 and no 主送; their 落款 is ``documents.notice_signer``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from pipeline.core.settings import Settings
from pipeline.outputs.bulletin_docx import short_date
from pipeline.outputs.documents import KIND_COMMENDATION, DocumentSettings, Issued, Register
from pipeline.outputs.official import OfficialDocument, cn_ordinal

if TYPE_CHECKING:
    from pipeline.assessment.scoring import Assessment

NOTICE_DOCX = "公示_承诺事项.docx"
RATINGS_NOTICE_DOCX = "公示_考核结果.docx"
COMMENDATION_DOCX = "表彰通报.docx"

W_ORGS = (10, 70, 22, 54)
W_MEMBERS = (18, 18, 56, 22, 42)
GRADE_PAIRS = 3  # name/grade pairs per row of the ratings list
W_GRADES = (26,) * (2 * GRADE_PAIRS)
W_COMMENDED_UNITS = (14, 102, 40)
W_COMMENDED_MEMBERS = (14, 60, 82)


def _period(ds: DocumentSettings) -> str:
    tail = f"{ds.contact}。" if ds.contact else ""
    return f"公示期为{ds.notice_days}个工作日。公示期间如有意见建议，请向{ds.notice_signer}反映。{tail}"


def _cn(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def pledge_notice_document(ctx: dict[str, Any], ds: DocumentSettings, year: int) -> OfficialDocument:
    """``ctx`` is :func:`pipeline.outputs.notice.notice_context`'s."""
    d = OfficialDocument()
    d.title(ctx["title"])
    d.blank()
    n_orgs = sum(len(u["orgs"]) for u in ctx["units"])
    n_members = sum(len(u["members"]) for u in ctx["units"])
    people = len({(u["unit_name"], r["姓名"]) for u in ctx["units"] for r in u["members"]})
    d.para(
        "根据创先争优活动公开承诺工作安排，现将经审核通过的各单位组织承诺和党员承诺事项予以公示，"
        "欢迎广大师生和群众监督。"
    )
    if ctx["total"]:
        d.para(
            f"截至{_cn(ctx['as_of'])}，{len(ctx['units'])}个单位的组织承诺{n_orgs}项、"
            f"{people}名党员的承诺{n_members}项经审核通过，详见附件。"
        )
    else:
        d.para(f"截至{_cn(ctx['as_of'])}，暂无审核通过的承诺事项。")
    for line in (ctx.get("not_posted"), ctx.get("calendar_note")):
        if line:
            d.para(str(line))
    d.para(_period(ds))
    annexes = []
    if n_orgs:
        annexes.append("组织承诺事项")
    if n_members:
        annexes.append("党员承诺事项")
    d.attachment_note(annexes)
    d.signature(ds.notice_signer, ctx["as_of"])
    index = 0
    if n_orgs:
        index += 1
        d.attachment(index if len(annexes) > 1 else None, "组织承诺事项")
        rows: list[list[object]] = []
        groups: dict[int, str] = {}
        for u in ctx["units"]:
            if not u["orgs"]:
                continue
            groups[len(rows)] = u["unit_name"]
            for i, r in enumerate(u["orgs"], start=1):
                rows.append([i, r["承诺事项"], short_date(r["完成期限"], year), r["预期效果（改正措施）"]])
        d.table(["序号", "承诺事项", "完成期限", "预期效果"], rows, W_ORGS, numeric=(0, 2), group_rows=groups)
    if n_members:
        index += 1
        d.attachment(index if len(annexes) > 1 else None, "党员承诺事项")
        rows = []
        groups = {}
        for u in ctx["units"]:
            if not u["members"]:
                continue
            groups[len(rows)] = u["unit_name"]
            for r in u["members"]:
                rows.append(
                    [
                        r["姓名"],
                        r["承诺类型"],
                        r["承诺事项"],
                        short_date(r["完成期限"], year),
                        r["预期效果（改正措施）"],
                    ]
                )
        d.table(
            ["姓名", "类型", "承诺事项", "完成期限", "预期效果（改正措施）"],
            rows,
            W_MEMBERS,
            numeric=(3,),
            group_rows=groups,
        )
    return d


GRADE_ORDER = ("好", "较好", "一般", "差")


def _grade_order(grade: str) -> tuple[int, str]:
    return (GRADE_ORDER.index(grade) if grade in GRADE_ORDER else len(GRADE_ORDER), grade)


def ratings_notice_document(ctx: dict[str, Any], ds: DocumentSettings) -> OfficialDocument:
    """``ctx`` is :func:`pipeline.assessment.writer.notice_context`'s."""
    d = OfficialDocument()
    d.title(ctx["title"])
    d.blank()
    d.para(
        f"经个人述职、党员民主评议和群众满意度测评，创先争优活动领导小组集体研究，"
        f"现将{ctx['year']}年度考核评价结果予以公示（各单位及党员等次见附件）。"
    )
    counts: dict[str, int] = {}
    for u in ctx["units"]:
        for m in u["members"]:
            counts[m["grade"]] = counts.get(m["grade"], 0) + 1
    if counts:
        d.para(
            f"参加考核评价的党员{sum(counts.values())}名，其中"
            + "、".join(f"“{g}”{counts[g]}名" for g in sorted(counts, key=_grade_order))
            + "。"
        )
    for line in ctx.get("lines", []):
        d.para(line)
    d.para(_period(ds))
    d.attachment_note(["考核评价结果"])
    d.signature(ds.notice_signer, ctx["as_of"])
    d.attachment(None, "考核评价结果")
    rows: list[list[object]] = []
    groups: dict[int, str] = {}
    for u in ctx["units"]:
        groups[len(rows)] = f"{u['name']}（单位等次：{u['grade']}）" if u["grade"] else u["name"]
        members = u["members"]
        if not members:
            rows.append(["（无党员）", "", *[""] * (2 * GRADE_PAIRS - 2)])
            continue
        for i in range(0, len(members), GRADE_PAIRS):
            chunk = members[i : i + GRADE_PAIRS]
            cells: list[object] = []
            for m in chunk:
                cells += [m["name"], m["grade"]]
            cells += [""] * (2 * GRADE_PAIRS - len(cells))
            rows.append(cells)
    d.table(
        ["姓名", "等次"] * GRADE_PAIRS,
        rows,
        W_GRADES,
        numeric=tuple(range(1, 2 * GRADE_PAIRS, 2)),
        group_rows=groups,
    )
    return d


COMMENDATION_TITLE = "关于表彰{year}年度公开承诺考核评价“好”等次党组织和党员的通报"


def commendation_context(
    commended: pd.DataFrame, s_year: int, campaign: str, ds: DocumentSettings, issued: Issued, as_of: dt.date
) -> dict[str, Any]:
    units = [r["单位名称"] for r in commended.to_dict("records") if r["类别"] == "先进基层党组织"]
    members: dict[str, list[str]] = {}
    for r in commended.to_dict("records"):
        if r["类别"] == "优秀共产党员":
            members.setdefault(r["单位名称"], []).append(r["姓名"])
    return {
        "title": COMMENDATION_TITLE.format(year=s_year),
        "year": s_year,
        "campaign": campaign,
        "as_of": as_of,
        "units": units,
        "members": members,
        "n_members": sum(len(v) for v in members.values()),
        "number": issued.entry.number,
        "issuer": ds.issuer,
        "addressee": ds.addressee,
        "signer": ds.signer,
    }


def commendation_document(ctx: dict[str, Any]) -> OfficialDocument:
    d = OfficialDocument()
    d.masthead(ctx["issuer"], ctx["number"])
    d.title(ctx["title"])
    d.blank()
    d.addressee(ctx["addressee"])
    n_units, n_members = len(ctx["units"]), ctx["n_members"]
    counted = "和".join(
        x for x in (f"{n_units}个党组织" if n_units else "", f"{n_members}名党员" if n_members else "") if x
    )
    d.para(
        f"{ctx['year']}年，全校各级党组织和广大党员积极投身{ctx['campaign']}，亮身份、作承诺、践诺言，"
        f"涌现出一批履诺好、群众满意的先进典型。经个人述职、党员民主评议、群众满意度测评和领导小组集体研究，"
        f"{counted}考核评价为“好”等次。"
    )
    whom = []
    if n_units:
        lead = "、".join(ctx["units"][:3])
        whom.append(f"{lead}{'等' if n_units > 3 else ''}{n_units}个党组织")
    if n_members:
        whom.append(f"{n_members}名党员")
    d.para(f"为树立典型、激励先进，决定对{'和'.join(whom)}予以通报表彰。")
    d.para(
        "希望受到表彰的党组织和党员珍惜荣誉、再接再厉，继续发挥先锋模范作用。"
        "全校各级党组织和广大党员要以先进为榜样，认真践行承诺，推动创先争优活动深入开展。"
    )
    d.attachment_note(["受表彰的党组织和党员名单"])
    d.signature(ctx["signer"], ctx["as_of"])
    d.attachment(None, "受表彰的党组织和党员名单")
    section = 0
    if n_units:
        section += 1
        d.heading1(f"{cn_ordinal(section)}、党组织（{n_units}个）")
        d.table(
            ["序号", "党组织", "等次"],
            [[i, u, "好"] for i, u in enumerate(ctx["units"], start=1)],
            W_COMMENDED_UNITS,
            numeric=(0, 2),
        )
    if n_members:
        section += 1
        d.heading1(f"{cn_ordinal(section)}、党员（{n_members}名）")
        d.table(
            ["序号", "单位", "姓名"],
            [[i, unit, "、".join(names)] for i, (unit, names) in enumerate(ctx["members"].items(), start=1)],
            W_COMMENDED_MEMBERS,
            numeric=(0,),
        )
    return d


def write_rating_documents(
    result: Assessment,
    s: Settings,
    as_of: dt.date,
    ds: DocumentSettings,
    register: Register,
    path: Callable[[str], Path],
) -> Issued | None:
    """公示_考核结果.docx, and 表彰通报.docx when anyone's final grade is 好; returns the
    commendation's number for the caller to record once the files are in place."""
    from pipeline.assessment import scoring as S
    from pipeline.assessment.writer import notice_context

    ratings_notice_document(notice_context(result, s, as_of), ds).save(path(RATINGS_NOTICE_DOCX))
    commended = S.commended(result.members, result.units)
    if commended.empty:
        return None
    issued = register.assign(KIND_COMMENDATION, as_of, ds)
    ctx = commendation_context(commended, s.year, s.name, ds, issued, as_of)
    commendation_document(ctx).save(path(COMMENDATION_DOCX))
    return issued.titled(ctx["title"])
