"""The roll-up's bulletin (汇总通报.docx, issue 16): a 公文 of the level above on how its
lower offices stand, from the roll-up's figures (:mod:`pipeline.jobs.rollup`), laid out
by :class:`pipeline.outputs.official.OfficialDocument` like the school's 通报.

Body: the totals, the offices ranked by 完成率 (each with its own 统计截止), the offices
not reported; 附件1 one row per office, 附件2 one row per unit of every office.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from pipeline.jobs.rollup import Rollup
from pipeline.outputs.documents import DocumentSettings, Issued
from pipeline.rules import figures as F

if TYPE_CHECKING:
    from pipeline.outputs.official import OfficialDocument

# Column widths (mm), each row summing to the 156 mm text width (a 五号 character is 3.7 mm).
W_OFFICES = (10, 44, 20, 15, 15, 15, 15, 22)
OFFICE_HEADER = ["名次", "下级单位", "统计截止", "单位数", "跟踪中承诺", "完成合计", "逾期未完成", "完成率"]
W_UNITS = (40, 40, 15, 15, 15, 15, 16)
UNIT_HEADER = ["下级单位", "单位", "跟踪中承诺", "按期完成", "完成合计", "逾期未完成", "完成率"]
KIND_ROLLUP = "汇总通报"


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def _cn(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _short(day: dt.date) -> str:
    return f"{day.month}月{day.day}日"


def title_of(r: Rollup) -> str:
    return f"关于{r.settings.year}年{r.settings.name}履诺情况的汇总通报"


def rollup_document(r: Rollup, ds: DocumentSettings, issued: Issued | None) -> OfficialDocument:
    from pipeline.outputs.official import OfficialDocument, cn_ordinal  # python-docx: only when writing one

    s = r.settings
    table = r.table()
    total = table.school
    per_office = r.office_figures(table)
    d = OfficialDocument()
    d.masthead(ds.issuer, issued.entry.number if issued else "")
    d.title(title_of(r))
    if issued:
        d.subtitle(f"第{issued.entry.issue}期")
    d.blank()
    d.addressee(ds.addressee)
    d.para(
        f"现将截至{_cn(r.as_of)}各下级单位报送的{s.name}台账汇总情况通报如下。"
        "各单位的数字取自其报送的台账（各自的统计截止见附件1），承诺状态按本次统计截止重新计算。"
    )
    section = 0

    def h1(text: str) -> None:
        nonlocal section
        section += 1
        d.heading1(f"{cn_ordinal(section)}、{text}")

    h1("总体情况")
    expected = len(r.offices) + len(r.missing)
    d.para(
        f"已有{len(r.offices)}个下级单位报送了台账"
        + (f"（应报{expected}个，{len(r.missing)}个未报送）" if r.missing else "")
        + f"，共{len(r.units)}个单位、党员{total.members}名，已承诺党员{total.pledged_members}名。"
        f"审核通过、纳入跟踪的承诺（跟踪中承诺）共{total.tracked}项，其中按期完成{total.on_time}项、"
        f"逾期完成{total.done_late}项，完成合计{total.done_total}项，完成率{_pct(total.rate)}；"
        f"逾期未完成{total.overdue}项，临期（{s.due_soon_days}天内到期）{total.due_soon}项。"
    )
    if total.unreviewed or total.returned:
        d.para(f"另有未审核{total.unreviewed}项、已退回{total.returned}项承诺未审核通过，不纳入跟踪和统计。")

    h1("各下级单位情况")
    ranked = sorted(r.offices, key=lambda o: (-per_office[o].rate, per_office[o].overdue, o))
    if ranked:
        listing = "、".join(f"{o}（{_pct(per_office[o].rate)}）" for o in ranked[:10])
        more = "" if len(ranked) <= 10 else f"等，共{len(ranked)}个下级单位"
        d.para(f"按完成率排序，依次为{listing}{more}。详见附件1、附件2。")
        stale = [o for o in ranked if r.offices[o].meta.as_of < r.as_of]
        if stale:
            d.para(
                "以下单位台账的统计截止早于本次通报，其后的进展尚未报上来："
                + "、".join(f"{o}（{_short(r.offices[o].meta.as_of)}）" for o in stale)
                + "。请及时报送最新台账。"
            )
    else:
        d.para("尚无下级单位报送台账。")
    if r.missing:
        h1("未报送台账的单位")
        d.para("、".join(r.missing) + "尚未报送台账，请抓紧报送。")
    overdue = [o for o in ranked if per_office[o].overdue]
    h1("下一步要求")
    d.para(
        (
            "逾期未完成承诺较多的单位（"
            + "、".join(f"{o}{per_office[o].overdue}项" for o in overdue[:10])
            + "）要查明原因、限期完成；"
            if overdue
            else ""
        )
        + "各单位要对照台账逐项督促，确保承诺按期兑现，并按时报送更新后的台账。"
    )
    d.attachment_note(["各下级单位履诺情况统计表", "各单位履诺情况统计表"])
    d.signature(ds.signer, r.as_of)

    d.attachment(1, "各下级单位履诺情况统计表")
    rows: list[list[object]] = []
    for i, o in enumerate(ranked, start=1):
        f = per_office[o]
        rows.append(
            [
                i,
                o,
                _short(r.offices[o].meta.as_of),
                len(r.office_keys(o)),
                f.tracked,
                f.done_total,
                f.overdue,
                _pct(f.rate),
            ]
        )
    for o in r.missing:
        rows.append(["—", o, "未报送", 0, 0, 0, 0, _pct(0.0)])
    groups = {len(rows): "全部下级单位"}
    rows.append(
        [
            "",
            F.SCHOOL_ROW,
            _short(r.as_of),
            len(r.units),
            total.tracked,
            total.done_total,
            total.overdue,
            _pct(total.rate),
        ]
    )
    d.table(OFFICE_HEADER, rows, W_OFFICES, numeric=(0, 2, 3, 4, 5, 6, 7), group_rows=groups)
    d.para("说明：" + F.EXPLANATION.format(due_soon_days=s.due_soon_days).removeprefix("统计口径："))

    d.attachment(2, "各单位履诺情况统计表")
    unit_rows: list[list[object]] = []
    for o in ranked:
        for u in r.units[r.units["office"] == o].itertuples(index=False):
            f = table.of(u.key)
            unit_rows.append(
                [u.scope, u.unit_name, f.tracked, f.on_time, f.done_total, f.overdue, _pct(f.rate)]
            )
    d.table(UNIT_HEADER, unit_rows, W_UNITS, numeric=(2, 3, 4, 5, 6))
    return d
