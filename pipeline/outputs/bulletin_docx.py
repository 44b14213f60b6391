"""The bulletin (通报.docx) and each branch's own bulletin as Word documents.

Composed from the very contexts the HTML pages are rendered from
(:func:`pipeline.outputs.bulletin.bulletin_context`, :func:`pipeline.outputs.branch_bulletin.branch_contexts`)
plus ``ctx["document"]`` (文号, 主送, 落款 from ``[documents]`` and the register): a concise
body (figures, ranking, the units to urge grouped by their 包靠领导, overdue items in
numbers, commendations) and the details as 附件 tables.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pipeline.outputs.documents import DocumentSettings, Issued
from pipeline.outputs.official import OfficialDocument, cn_ordinal
from pipeline.rules.figures import SCHOOL_ROW

# Column widths (mm) of the 附件 tables; each row sums to the 156 mm text width.
# A 五号 CJK character is 3.7 mm wide, cells have 1 mm padding each side: 实事好事 needs 17 mm.
W_RANKING = (10, 41.5, 18, 13.5, 13.5, 13.5, 13.5, 13.5, 19)
RANKING_HEADER = [
    "名次",
    "单位",
    "包靠领导",
    "跟踪中承诺",
    "按期完成",
    "逾期完成",
    "完成合计",
    "逾期未完成",
    "完成率",
]
W_OVERDUE = (10, 18, 18, 62, 22, 12, 14)
W_MILESTONES = (36, 18, 44, 26, 20, 12)
W_MEMBERS = (14, 30, 20, 18, 18, 18, 20, 18)
MEMBER_HEADER = ["名次", "姓名", "跟踪中承诺", "按期完成", "逾期完成", "完成合计", "逾期未完成", "完成率"]
W_BRANCH_OVERDUE = (10, 20, 18, 74, 22, 12)
W_BRANCH_MILESTONES = (20, 56, 44, 22, 14)
INLINE_RANKING_MAX = 10  # more units than this: the body names the first five only

CLOSING = (
    "请各党支部对照附件逐项督促，帮助党员解决履诺中遇到的困难，确保承诺按期兑现；"
    "逾期未完成的承诺要查明原因、限期完成，并在下次报送的承诺事项表中如实更新完成情况和履诺记实。"
)


def document_context(ds: DocumentSettings, issued: Issued | None, as_of: dt.date) -> dict[str, Any]:
    """What the documents print besides the data: 文号, 主送, 落款, a note for a late issue."""
    return {
        "issuer": ds.issuer,
        "number": issued.entry.number if issued else "",
        "issue": issued.entry.issue if issued else None,
        "late_note": issued.late_note if issued else "",
        "addressee": ds.addressee,
        "branch_addressee": ds.branch_addressee,
        "signer": ds.signer,
        "date": as_of,
    }


def short_date(day: object, year: int) -> str:
    if not isinstance(day, dt.date):
        return "" if day is None else str(day)
    return f"{day.month}月{day.day}日" if day.year == year else f"{day.year}年{day.month}月{day.day}日"


def _cn(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _join(parts: list[str], sep: str = "、") -> str:
    return sep.join(p for p in parts if p)


def bulletin_document(ctx: dict[str, Any]) -> OfficialDocument:
    doc_info = ctx["document"]
    f = ctx["figures"]
    as_of: dt.date = ctx["as_of"]
    year = ctx["year"]
    d = OfficialDocument()
    d.masthead(doc_info["issuer"], doc_info["number"])
    d.title(ctx["title"])
    d.blank()
    d.addressee(doc_info["addressee"])
    d.para(f"现将截至{_cn(as_of)}全校{ctx['campaign']}履诺情况通报如下。")
    if doc_info.get("late_note"):
        d.para(doc_info["late_note"])

    annexes: list[str] = ["各单位履诺情况统计表"]
    if ctx["overdue_groups"]:
        annexes.append("逾期未完成的承诺清单")
    if ctx["milestones"]:
        annexes.append("逾期的履诺计划步骤")
    annex_no = {t: i for i, t in enumerate(annexes, start=1)}

    section = 0

    def h1(text: str) -> None:
        nonlocal section
        section += 1
        d.heading1(f"{cn_ordinal(section)}、{text}")

    if ctx.get("calendar_note"):
        d.para(ctx["calendar_note"])
    h1("总体情况")
    d.para(
        f"全校{f['units_total']}个单位中，已有{f['units_reported']}个单位报送了履诺情况，{f['units_missing']}个单位未报送。"
        f"审核通过、纳入跟踪的承诺（跟踪中承诺）共{f['tracked']}项，其中按期完成{f['on_time']}项、"
        f"逾期完成{f['done_late']}项，完成合计{f['done_total']}项，完成率{f['rate_text']}；"
        f"逾期未完成{f['overdue']}项，临期（{ctx['due_soon_days']}天内到期）{f['due_soon']}项。"
    )
    notes = []
    if f["unreviewed"] or f["returned"]:
        notes.append(
            f"另有未审核{f['unreviewed']}项、已退回{f['returned']}项承诺未审核通过，不纳入跟踪和统计"
            + ("，请有关支部抓紧审核" if f["unreviewed"] else "")
            + "。"
        )
    if f.get("excluded"):
        notes.append(
            f"另有{f['excluded']}项党员承诺的党员编号不在花名册或不属于填报单位，未纳入统计，"
            "已在问题清单中请有关单位更正。"
        )
    if notes:
        d.para("".join(notes))

    h1("各党支部履诺情况")
    ranking = ctx["ranking"]
    for r in ctx.get("committee", []):
        d.para(
            f"{r['unit_name']}跟踪中承诺{r['tracked']}项，完成合计{r['done_total']}项，完成率{r['rate_text']}，"
            f"逾期未完成{r['overdue']}项（党委不参加党支部排名）。"
        )
    if ranking:
        shown = ranking if len(ranking) <= INLINE_RANKING_MAX else ranking[:5]
        listing = _join([f"{r['unit_name']}（{r['rate_text']}）" for r in shown])
        more = "" if len(shown) == len(ranking) else f"等，共{len(ranking)}个党支部"
        n_lag = sum(1 for r in ranking if r["lagging"])
        d.para(
            f"各党支部按完成率排序，依次为{listing}{more}。全校完成率{ctx['school_rate_text']}，"
            f"完成率低于全校或有逾期未完成承诺的党支部{n_lag}个。"
            f"各单位情况详见附件{annex_no['各单位履诺情况统计表']}。"
        )
    elif not ctx.get("committee"):
        d.para("尚无单位报送。")

    h1("需要加快进度的单位")
    if ctx["lagging"]:
        for i, g in enumerate(ctx["lagging"], start=1):
            d.heading2(f"（{cn_ordinal(i)}）{g['leader']}包靠的单位")
            d.para(_join([f"{u['unit_name']}：{u['reason']}" for u in g["units"]], "；") + "。")
        d.para("请包靠领导督促指导上述单位查找原因、采取措施，确保承诺按期兑现。")
    else:
        d.para("各党支部完成率均不低于全校，且没有逾期未完成的承诺。")

    h1("逾期未完成的承诺")
    if ctx["overdue_groups"]:
        per_unit = _join([f"{g['unit_name']}{len(g['rows'])}项" for g in ctx["overdue_groups"]])
        text = (
            f"逾期未完成的承诺共{f['overdue']}项：{per_unit}，清单见附件{annex_no['逾期未完成的承诺清单']}。"
        )
    else:
        text = "目前没有逾期未完成的承诺。"
    if ctx["milestones"]:
        text += f"逾期的履诺计划步骤{len(ctx['milestones'])}个，见附件{annex_no['逾期的履诺计划步骤']}。"
    d.para(text)

    if ctx["missing"] or ctx["no_progress"]:
        h1("未报送履诺情况的单位")
        parts = [
            f"{u['unit_name']}未报送承诺事项表" + (f"（包靠领导：{u['leader']}）" if u["leader"] else "")
            for u in ctx["missing"]
        ] + [
            f"{u['unit_name']}{_cn(u['sent'])}报送承诺事项表后，履诺阶段未再报送履诺进展"
            + (f"（包靠领导：{u['leader']}）" if u["leader"] else "")
            for u in ctx["no_progress"]
        ]
        d.para(_join(parts, "；") + "。请上述单位尽快报送履诺情况。")

    h1("表扬")
    praise = []
    if ctx["all_done"]:
        praise.append(
            "承诺全部完成的单位："
            + _join([f"{u['unit_name']}（{u['done_total']}项全部完成）" for u in ctx["all_done"]])
            + "。"
        )
    if ctx["early_orgs"]:
        orgs_by_unit: dict[str, list[str]] = {}
        for o in ctx["early_orgs"]:
            orgs_by_unit.setdefault(o["unit_name"], []).append(f"{o['content']}（提前{o['days']}天）")
        praise.append(
            "提前完成组织承诺的单位："
            + _join([f"{u}：{_join(items, '，')}" for u, items in orgs_by_unit.items()], "；")
            + "。"
        )
    if ctx["early_members"]:
        by_unit: dict[str, list[str]] = {}
        for m in ctx["early_members"]:
            by_unit.setdefault(m["unit_name"], []).append(f"{m['name']}（{m['count']}项）")
        praise.append(
            f"提前{ctx['early_days']}天以上完成承诺的党员："
            + _join([f"{u}{_join(names)}" for u, names in by_unit.items()], "；")
            + "。"
        )
    if praise:
        for p in praise:
            d.para(p)
        d.para("对以上单位和党员予以表扬。")
    else:
        d.para("本期暂无。")

    h1("下一步要求")
    d.para(CLOSING)

    d.attachment_note(annexes)
    d.signature(doc_info["signer"], as_of)

    d.attachment(annex_no["各单位履诺情况统计表"], "各单位履诺情况统计表")

    def unit_cells(rank: object, r: dict[str, Any]) -> list[object]:
        return [
            rank,
            r["unit_name"],
            r["leader"],
            r["tracked"],
            r["on_time"],
            r["done_late"],
            r["done_total"],
            r["overdue"],
            r["rate_text"],
        ]

    rows_1: list[list[object]] = [unit_cells(r["rank"], r) for r in ranking]
    groups_1: dict[int, str] = {}
    if ctx.get("committee"):
        groups_1[len(rows_1)] = "党委（不参加党支部排名）"
        rows_1 += [unit_cells("—", r) for r in ctx["committee"]]
    groups_1[len(rows_1)] = "全校"
    rows_1.append(unit_cells("", {**f, "unit_name": SCHOOL_ROW, "leader": ""}))
    d.table(RANKING_HEADER, rows_1, W_RANKING, numeric=(0, 3, 4, 5, 6, 7, 8), group_rows=groups_1)
    if ctx.get("explanation"):
        d.para("说明：" + ctx["explanation"].removeprefix("统计口径："))
    if ctx["overdue_groups"]:
        d.attachment(annex_no["逾期未完成的承诺清单"], "逾期未完成的承诺清单")
        rows: list[list[object]] = []
        groups: dict[int, str] = {}
        for g in ctx["overdue_groups"]:
            groups[len(rows)] = f"{g['unit_name']}（{len(g['rows'])}项）"
            for it in g["rows"]:
                rows.append(
                    [
                        len(rows) + 1,
                        it["name"],
                        it["kind"],
                        it["content"],
                        short_date(it["deadline"], year),
                        it["days"],
                        it["progress"],
                    ]
                )
        d.table(
            ["序号", "姓名/责任人", "类型", "承诺事项", "完成期限", "逾期天数", "完成情况"],
            rows,
            W_OVERDUE,
            numeric=(0, 4, 5, 6),
            group_rows=groups,
        )
    if ctx["milestones"]:
        d.attachment(annex_no["逾期的履诺计划步骤"], "逾期的履诺计划步骤")
        d.table(
            ["单位", "姓名/责任人", "承诺事项", "计划步骤", "计划完成时间", "逾期天数"],
            [
                [
                    m["unit_name"],
                    m["name"],
                    m["content"],
                    m["step"],
                    short_date(m["planned_on"], year),
                    m["days"],
                ]
                for m in ctx["milestones"]
            ],
            W_MILESTONES,
            numeric=(4, 5),
        )
    return d


def branch_document(b: dict[str, Any], year: int) -> OfficialDocument:
    """A branch's bulletin for its members: no masthead (the branch issues it itself)."""
    row = b["row"]
    as_of: dt.date = b["as_of"]
    d = OfficialDocument()
    d.title(b["title"])
    d.blank()
    d.addressee(b["document"].get("branch_addressee") or "本支部全体党员")
    d.para(f"现将截至{_cn(as_of)}本支部党员公开承诺履诺情况通报如下。")
    d.heading1("一、总体情况")
    d.para(
        f"本支部跟踪中承诺{row['tracked']}项，其中按期完成{row['on_time']}项、逾期完成{row['done_late']}项，"
        f"完成合计{row['done_total']}项，完成率{row['rate_text']}，"
        f"在全校{b['units_ranked']}个报送的党支部中排第{row['rank']}名（全校完成率{b['school_rate_text']}）；"
        f"逾期未完成{row['overdue']}项，临期（{b['due_soon_days']}天内到期）{row['due_soon']}项。"
    )
    d.heading1("二、党员履诺情况")
    if b["overdue_members"]:
        d.para(
            f"有逾期未完成承诺的党员{len(b['overdue_members'])}名："
            + _join([f"{m['name']}（{m['overdue']}项）" for m in b["overdue_members"]])
            + "。请以上党员抓紧兑现承诺，支部委员会要逐人督促帮助。"
        )
    else:
        d.para("本支部党员均没有逾期未完成的承诺。")
    d.para("各党员履诺情况按完成率排序见附件1。")
    d.heading1("三、逾期未完成的承诺")
    items = b["overdue_items"]
    if items:
        org = f"（其中组织承诺{b['n_org']}项）" if b["n_org"] else ""
        text = f"本支部逾期未完成的承诺共{len(items)}项{org}，清单见附件2。"
    else:
        text = "本支部目前没有逾期未完成的承诺。"
    if b["milestones"]:
        text += f"逾期的履诺计划步骤{len(b['milestones'])}个，见附件2。"
    d.para(text)
    d.heading1("四、表扬")
    praise = []
    if b["all_done_members"]:
        praise.append("承诺全部完成的党员：" + _join([m["name"] for m in b["all_done_members"]]) + "。")
    if b["early_members"]:
        praise.append(
            f"提前{b['early_days']}天以上完成承诺的党员："
            + _join([f"{m['name']}（{m['count']}项）" for m in b["early_members"]])
            + "。"
        )
    if b["early_orgs"]:
        praise.append(
            "提前完成的组织承诺："
            + _join([f"{o['content']}（提前{o['days']}天）" for o in b["early_orgs"]], "；")
            + "。"
        )
    if praise:
        for p in praise:
            d.para(p)
        d.para("予以表扬，希望全体党员向他们学习。")
    else:
        d.para("本期暂无。")
    annexes = ["党员履诺情况排名"]
    if items or b["milestones"]:
        annexes.append("逾期未完成的承诺")
    d.attachment_note(annexes)
    d.signature(b["unit_name"], as_of)

    d.attachment(1, "党员履诺情况排名")
    d.table(
        MEMBER_HEADER,
        [
            [
                m["rank"] or "—",
                m["name"],
                m["tracked"],
                m["on_time"],
                m["done_late"],
                m["done_total"],
                m["overdue"],
                m["rate_text"],
            ]
            for m in b["members"]
        ],
        W_MEMBERS,
        numeric=(0, 2, 3, 4, 5, 6, 7),
    )
    d.para("说明：只计党员本人的承诺（组织承诺不计入个人），统计口径与全校通报相同。")
    if items or b["milestones"]:
        d.attachment(2, "逾期未完成的承诺")
        if items:
            d.table(
                ["序号", "姓名/责任人", "类型", "承诺事项", "完成期限", "逾期天数"],
                [
                    [i, it["name"], it["kind"], it["content"], short_date(it["deadline"], year), it["days"]]
                    for i, it in enumerate(items, start=1)
                ],
                W_BRANCH_OVERDUE,
                numeric=(0, 4, 5),
            )
        if b["milestones"]:
            if items:
                d.blank()
            d.table(
                ["姓名/责任人", "承诺事项", "计划步骤", "计划完成时间", "逾期天数"],
                [
                    [m["name"], m["content"], m["step"], short_date(m["planned_on"], year), m["days"]]
                    for m in b["milestones"]
                ],
                W_BRANCH_MILESTONES,
                numeric=(3, 4),
            )
    return d
