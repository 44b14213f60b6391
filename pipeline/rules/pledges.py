"""Pledge rules on the consolidated frames (no I/O).

Inputs are the member-pledge and org-pledge frames of the versions in use, each row
carrying ``unit_code``, ``unit_name``, ``file``, ``sheet``, ``_row`` and the normalised
fields of ``pipeline.read.layout``; ``field_cols`` maps (file, layout sheet) to each field's
1-based column so every finding names its cell (row and column). Every number comes from the settings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from pipeline.core.findings import ERROR, NOTICE, Finding
from pipeline.core.settings import Settings
from pipeline.read import layout as L
from pipeline.rules.roster import Roster

FieldCols = Mapping[tuple[str, str], Mapping[str, int]]
Row = Any


@dataclass
class RuleContext:
    settings: Settings
    roster: Roster
    as_of: dt.date
    field_cols: FieldCols
    bad_cells: set[tuple[str, str, int, int]]  # (file, sheet, row, column) already reported unreadable

    def column(self, row: Row, layout: str, field: str) -> int:
        """The 1-based column of ``field`` in the row's file (0 when it was not found)."""
        return self.field_cols.get((row.file, layout), {}).get(field, 0)  # type: ignore[attr-defined]

    def cell(self, row: Row, layout: str, field: str) -> tuple[int, int]:
        """(row, column) of ``field`` in ``row``; (0, 0) when the column was not found."""
        column = self.column(row, layout, field)
        return (int(row.excel_row), column) if column else (0, 0)  # type: ignore[attr-defined]

    def finding(
        self, severity: str, rule: str, message: str, row: Row, layout: str, field: str = ""
    ) -> Finding:
        r = row
        excel_row, column = self.cell(r, layout, field) if field else (0, 0)
        return Finding(
            severity,
            rule,
            message,
            unit_code=r.unit_code,
            unit_name=r.unit_name,
            file=r.file,
            sheet=r.sheet,  # type: ignore[attr-defined]
            row=excel_row,
            column=column,
            member_id=getattr(r, "member_id", ""),
            member_name=getattr(r, "name", ""),
        )

    def unreported(self, row: Row, layout: str, field: str) -> bool:
        return (row.file, row.sheet, *self.cell(row, layout, field)) not in self.bad_cells  # type: ignore[attr-defined]


def _each(df: pd.DataFrame, mask: pd.Series) -> list[Row]:
    return list(df[mask].itertuples(index=False))


def _rows_at(df: pd.DataFrame, positions: list[int]) -> Iterator[tuple[int, Any]]:
    """(position, row) for the given row positions only, in order.

    The rules first find, from plain column lists, the rows that may fail a check; only
    those become row objects (itertuples over 250,000 rows costs seconds: issue 6)."""
    if not positions:
        return iter(())
    return zip(positions, df.iloc[positions].itertuples(index=False), strict=True)


def _blank(s: pd.Series) -> pd.Series:
    return s.isna() | (s.astype(str) == "")


def fix_lost_zeros(m: pd.DataFrame, ctx: RuleContext) -> tuple[pd.DataFrame, list[Finding]]:
    """Member ids typed as numbers lose leading zeros (010023 -> 10023): restore them
    when exactly one roster id matches, with a notice."""
    known = set(ctx.roster.members["member_id"])
    widths = {len(i) for i in known if i.isdigit()}
    out: list[Finding] = []
    ids = m["member_id"].tolist()
    candidates = [i for i, mid in enumerate(ids) if mid and mid not in known and mid.isdigit()]
    for i, row in _rows_at(m, candidates):
        mid = ids[i]
        hits = {mid.zfill(w) for w in widths} & known
        if len(hits) == 1:
            fixed = hits.pop()
            ids[i] = fixed
            f = ctx.finding(
                NOTICE,
                "V109",
                f"党员编号“{mid}”丢失了开头的 0，已按“{fixed}”理解。请把该列设为文本格式后填写。",
                row,
                L.SHEET_MEMBER,
                "member_id",
            )
            out.append(replace(f, member_id=fixed))
    m = m.assign(member_id=ids)
    return m, out


def _item_rules(
    df: pd.DataFrame, ctx: RuleContext, layout: str, kind_of: Callable[[Row], str]
) -> list[Finding]:
    """Checks shared by member and org items: content, deadline, effect/measures, review, completion."""
    s = ctx.settings
    lo, hi = s.deadline_window
    out: list[Finding] = []
    # Only rows that may fail a check below are looked at (a clean row passes all of them).
    as_of = ctx.as_of
    columns = [
        df[c].tolist() for c in ("content", "deadline", "measures", "effect", "review", "progress", "done_on")
    ]
    suspects = [
        i
        for i, (content, deadline, measures, effect, review, progress, done_on) in enumerate(
            zip(*columns, strict=True)
        )
        if not (
            content
            and type(deadline) is dt.date
            and lo <= deadline <= hi
            and measures
            and effect
            and review
            and review != L.REVIEW_PENDING
            and (
                (progress == L.PROGRESS_DONE and type(done_on) is dt.date and done_on <= as_of)
                or (progress != L.PROGRESS_DONE and done_on is None)
            )
        )
    ]
    for _, row in _rows_at(df, suspects):
        kind = kind_of(row)
        if not row.content:
            out.append(
                ctx.finding(
                    ERROR,
                    "P105",
                    "这一行填了其他内容，但“承诺事项”是空的。请补写承诺事项，不用的行请整行清空。",
                    row,
                    layout,
                    "content",
                )
            )
            continue
        if row.deadline is None:
            if ctx.unreported(row, layout, "deadline"):
                out.append(
                    ctx.finding(
                        ERROR,
                        "P106",
                        "缺少“完成期限”。请填写日期，如 " + f"{s.year}-10-15。",
                        row,
                        layout,
                        "deadline",
                    )
                )
        elif not (lo <= row.deadline <= hi):
            out.append(
                ctx.finding(
                    ERROR,
                    "P107",
                    f"完成期限 {row.deadline:%Y-%m-%d} 不在活动期间（{lo:%Y-%m-%d} 至 {hi:%Y-%m-%d}）内。请调整到期间内。",
                    row,
                    layout,
                    "deadline",
                )
            )
        if kind == L.KIND_FAULT:
            if not row.measures:
                out.append(
                    ctx.finding(
                        ERROR, "P109", "改正缺点须写明“措施”。请补写具体的改正措施。", row, layout, "measures"
                    )
                )
        elif kind and not row.effect:
            out.append(
                ctx.finding(
                    ERROR, "P108", "实事好事须写明“预期效果”。请补写预期达到的效果。", row, layout, "effect"
                )
            )
        header = "支部审核" if layout == L.SHEET_MEMBER else "审核"
        if not row.review:
            if ctx.unreported(row, layout, "review"):
                out.append(
                    ctx.finding(
                        ERROR,
                        "P110",
                        f"“{header}”未填写。审核后请选择“通过”“退回”或“待审核”。",
                        row,
                        layout,
                        "review",
                    )
                )
        elif row.review == L.REVIEW_PENDING:
            out.append(
                ctx.finding(
                    NOTICE,
                    "P111",
                    "该承诺尚待审核，审核通过后才公示和跟踪。请审核后更新。",
                    row,
                    layout,
                    "review",
                )
            )
        if row.progress == L.PROGRESS_DONE:
            if row.done_on is None:
                if ctx.unreported(row, layout, "done_on"):
                    out.append(
                        ctx.finding(
                            ERROR,
                            "P116",
                            "完成情况为“已完成”，但没有“完成日期”。请补填完成日期。",
                            row,
                            layout,
                            "done_on",
                        )
                    )
            elif row.done_on > ctx.as_of:
                out.append(
                    ctx.finding(
                        ERROR,
                        "P117",
                        f"完成日期 {row.done_on:%Y-%m-%d} 晚于统计日期 {ctx.as_of:%Y-%m-%d}。请核对日期。",
                        row,
                        layout,
                        "done_on",
                    )
                )
        elif row.done_on is not None:
            out.append(
                ctx.finding(
                    NOTICE,
                    "P120",
                    f"填了完成日期，但完成情况是“{row.progress or '空白'}”。如已完成请把完成情况改为“已完成”。",
                    row,
                    layout,
                    "progress",
                )
            )
    return out


def _duplicates(df: pd.DataFrame, keys: list[str], ctx: RuleContext, layout: str) -> list[Finding]:
    d = df[df["content"] != ""]
    dup = d.duplicated(subset=["unit_code", *keys], keep="first")
    return [
        ctx.finding(
            NOTICE,
            "P115",
            f"与同一{'党员' if 'member_id' in keys else '单位'}的另一项承诺内容相同，可能重复填写。如确属重复请删除一行。",
            row,
            layout,
            "content",
        )
        for row in _each(d, dup)
    ]


def member_rules(
    m: pd.DataFrame, ctx: RuleContext, submitted: Mapping[str, str]
) -> tuple[pd.DataFrame, list[Finding]]:
    """Rules on 党员承诺 rows; returns the rows (ids repaired) and the findings.

    ``submitted`` maps each unit that returned a workbook to the file used (for members
    with no items at all)."""
    s = ctx.settings
    m, out = fix_lost_zeros(m, ctx)
    rm = ctx.roster.members
    home_of = dict(
        zip(rm["member_id"].tolist(), rm["unit_code"].tolist(), strict=True)
    )  # ids are unique (roster schema)
    unit_name_of = dict(zip(rm["member_id"].tolist(), rm["unit_name"].tolist(), strict=True))
    name_of = dict(zip(rm["member_id"].tolist(), rm["name"].tolist(), strict=True))
    items = m[m["content"] != ""]
    foreign: set[int] = set()  # rows whose member is unknown or of another unit: not counted
    suspects = [
        i
        for i, (mid, unit, name, content, kind) in enumerate(
            zip(
                m["member_id"].tolist(),
                m["unit_code"].tolist(),
                m["name"].tolist(),
                m["content"].tolist(),
                m["kind"].tolist(),
                strict=True,
            )
        )
        if not (
            mid
            and mid in home_of
            and home_of[mid] == unit
            and (not name or name == name_of[mid])
            and (not content or kind)
        )
    ]
    for i, row in _rows_at(m, suspects):
        if not row.member_id:
            if row.content:
                out.append(
                    ctx.finding(
                        ERROR,
                        "P119",
                        "缺少党员编号。请填写该承诺所属党员的编号。",
                        row,
                        L.SHEET_MEMBER,
                        "member_id",
                    )
                )
            continue
        if row.member_id not in home_of:
            out.append(
                ctx.finding(
                    ERROR,
                    "P112",
                    f"党员编号“{row.member_id}”不在花名册中。请核对编号；新转入的党员请先报办公室更新花名册。",
                    row,
                    L.SHEET_MEMBER,
                    "member_id",
                )
            )
            foreign.add(i)
            continue
        home = home_of[row.member_id]
        if home != row.unit_code:
            foreign.add(i)
            out.append(
                ctx.finding(
                    ERROR,
                    "P113",
                    f"党员“{row.member_id}”属于{unit_name_of[row.member_id]}，不属于本单位。请由其所在支部填报。",
                    row,
                    L.SHEET_MEMBER,
                    "member_id",
                )
            )
        expected = name_of[row.member_id]
        if row.name and row.name != expected:
            out.append(
                ctx.finding(
                    NOTICE,
                    "P114",
                    f"姓名“{row.name}”与花名册中的“{expected}”不一致。请核对。",
                    row,
                    L.SHEET_MEMBER,
                    "name",
                )
            )
        if row.content and not row.kind and ctx.unreported(row, L.SHEET_MEMBER, "kind"):
            out.append(
                ctx.finding(
                    ERROR,
                    "P118",
                    "缺少“承诺类型”。请选择“实事好事”或“改正缺点”。",
                    row,
                    L.SHEET_MEMBER,
                    "kind",
                )
            )
    out += _item_rules(m, ctx, L.SHEET_MEMBER, lambda r: r.kind)  # type: ignore[attr-defined]
    out += _duplicates(m, ["member_id", "content"], ctx, L.SHEET_MEMBER)

    # Quotas per member, counting items not returned (退回) of the unit's own members.
    own = pd.Series([i not in foreign for i in range(len(m))], index=m.index, dtype=bool)
    items = items[own[items.index]]
    counted = items[(items["review"] != L.REVIEW_RETURNED) & (items["member_id"] != "")]
    counts = counted.groupby(["unit_code", "member_id", "kind"]).size().unstack(fill_value=0)
    firsts = items[items["member_id"] != ""].drop_duplicates(["unit_code", "member_id"])
    n_of = {
        kind: counts[kind].to_dict() if kind in counts.columns else {} for kind in (L.KIND_DEED, L.KIND_FAULT)
    }
    off_quota = [
        i
        for i, key in enumerate(zip(firsts["unit_code"].tolist(), firsts["member_id"].tolist(), strict=True))
        if not (
            s.member_deeds.min <= n_of[L.KIND_DEED].get(key, 0) <= s.member_deeds.max
            and s.member_faults.min <= n_of[L.KIND_FAULT].get(key, 0) <= s.member_faults.max
        )
    ]
    for _, row in _rows_at(firsts, off_quota):
        key = (row.unit_code, row.member_id)
        for kind, quota, rule in (
            (L.KIND_DEED, s.member_deeds, "P101"),
            (L.KIND_FAULT, s.member_faults, "P102"),
        ):
            n = int(counts.at[key, kind]) if kind in counts.columns and key in counts.index else 0
            if not quota.min <= n <= quota.max:
                what = "实事好事" if kind == L.KIND_DEED else "改正缺点"
                unit_word = "件" if kind == L.KIND_DEED else "个"
                out.append(
                    ctx.finding(
                        ERROR,
                        rule,
                        f"该党员承诺{what} {n} {unit_word}（未计退回的），应为 {quota.min}—{quota.max} {unit_word}。请增减后重新报送。",
                        row,
                        L.SHEET_MEMBER,
                        "member_id",
                    )
                )
    # Members of a submitting unit with no items at all.
    pledged = set(zip(items["unit_code"].tolist(), items["member_id"].tolist(), strict=True))
    for unit, file in submitted.items():
        for mem in ctx.roster.members_of(unit).itertuples(index=False):
            if (unit, mem.member_id) not in pledged:
                out.append(
                    Finding(
                        ERROR,
                        "P104",
                        f"党员{mem.name}（{mem.member_id}）没有填报任何承诺。请补填，或说明原因（如长期外出）后报办公室。",
                        unit_code=unit,
                        unit_name=ctx.roster.unit_name(unit),
                        file=file,
                        sheet=L.SHEET_MEMBER,
                        member_id=mem.member_id,
                        member_name=mem.name,
                    )
                )
    return m, out


def org_rules(
    o: pd.DataFrame, ctx: RuleContext, submitted: Mapping[str, str], sheets: Mapping[str, str]
) -> list[Finding]:
    """Rules on 组织承诺 rows, and the 3–5 quota per submitting unit."""
    s = ctx.settings
    out = _item_rules(o, ctx, L.SHEET_ORG, lambda r: L.KIND_DEED)  # org items are deeds for the people
    out += _duplicates(o, ["content"], ctx, L.SHEET_ORG)
    counted = o[(o["content"] != "") & (o["review"] != L.REVIEW_RETURNED)]
    n_by_unit = counted.groupby("unit_code").size()
    for unit, file in submitted.items():
        n = int(n_by_unit.get(unit, 0))
        if not s.org_pledges.min <= n <= s.org_pledges.max:
            out.append(
                Finding(
                    ERROR,
                    "P103",
                    f"本单位组织承诺 {n} 件（未计退回的），应为 {s.org_pledges.min}—{s.org_pledges.max} 件。请增减后重新报送。",
                    unit_code=unit,
                    unit_name=ctx.roster.unit_name(unit),
                    file=file,
                    sheet=sheets.get(unit, L.SHEET_ORG),
                )
            )
    return out
