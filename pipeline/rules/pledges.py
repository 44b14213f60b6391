"""Pledge rules on the consolidated frames (no I/O).

Inputs are the member-pledge and org-pledge frames of the versions in use, each row
carrying ``unit_code``, ``unit_name``, ``file``, ``sheet``, ``_row`` and the normalised
fields of ``pipeline.read.layout``; ``field_cols`` maps (file, layout sheet) to each field's
1-based column so every finding names its cell (row and column). Every number comes from the settings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
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
    received: Mapping[str, dt.date] = field(default_factory=dict)  # file -> day it was received

    def received_by(self, file: str) -> dt.date:
        """The last day a completion in ``file`` can be dated: the day the version was
        received (AS_OF when that is unknown; never after AS_OF)."""
        return min(self.received.get(file, self.as_of), self.as_of)

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
    known = member_lookups(ctx.roster)[0].keys()  # the roster ids (a set view: `in`, `&`)
    widths = _digit_id_widths(ctx.roster)
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


def _digit_id_widths(roster: Roster) -> frozenset[int]:
    """The lengths of the roster's all-digit member ids, once per roster."""
    return roster.memo(
        "_digit_id_widths", lambda: frozenset(len(i) for i in member_lookups(roster)[0] if i.isdigit())
    )


def member_lookups(roster: Roster) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """member id -> home unit, name and unit name, once per roster (the change report runs the
    rules once per unit's previous version: issue 16)."""

    def build() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
        rm = roster.members
        ids = rm["member_id"].tolist()  # unique (roster schema)
        return (
            dict(zip(ids, rm["unit_code"].tolist(), strict=True)),
            dict(zip(ids, rm["name"].tolist(), strict=True)),
            dict(zip(ids, rm["unit_name"].tolist(), strict=True)),
        )

    return roster.memo("_member_lookups", build)


# ------------------------------------------------------------------ one function per rule
#
# Every rule is one small function over *all* rows of a sheet: it finds the rows that break
# it from plain column lists (cheap even for 250,000 rows: issue 6), turns only those into
# row objects and returns its findings. The rules are registered in MEMBER_RULES /
# ORG_RULES and run by :func:`run_rules`; no pre-filter decides which rows a rule sees, so
# a new rule added to a list runs on every row.


SMALL_SHEET = 5000  # rows: Sheet.rows makes every row object once up to this size


@dataclass
class Sheet:
    """One consolidated sheet as the rules see it: the frame, its layout and column lists."""

    df: pd.DataFrame
    layout: str  # L.SHEET_MEMBER or L.SHEET_ORG
    kinds: list[str]  # 承诺类型 of each row (org items count as deeds for the people)
    home_of: Mapping[str, str] = field(default_factory=dict)  # member id -> roster unit
    name_of: Mapping[str, str] = field(default_factory=dict)  # member id -> roster name
    unit_name_of: Mapping[str, str] = field(default_factory=dict)  # member id -> roster unit name
    _cols: dict[str, list[Any]] = field(default_factory=dict)
    _rows: list[Row] | None = None  # every row, for a small sheet (rows)
    _with_content: list[int] | None = None  # positions of the rows with a 承诺事项

    def with_content(self) -> list[int]:
        """Positions of the rows with a 承诺事项 (found once for the rules that need them)."""
        if self._with_content is None:
            self._with_content = [i for i, c in enumerate(self.col("content")) if c]
        return self._with_content

    def col(self, name: str) -> list[Any]:
        if name not in self._cols:
            self._cols[name] = self.df[name].tolist()
        return self._cols[name]

    def rows(self, positions: list[int]) -> Iterator[tuple[int, Row]]:
        if not positions:
            return iter(())
        if len(self.df) > SMALL_SHEET:
            return _rows_at(self.df, positions)
        # A small sheet becomes row objects once, for all its rules: selecting the rows of
        # every rule from the frame costs ~1 ms a rule however few rows it has (issue 16)
        if self._rows is None:
            self._rows = list(self.df.itertuples(index=False))
        rows = self._rows
        return ((i, rows[i]) for i in positions)

    @property
    def review_header(self) -> str:
        return "支部审核" if self.layout == L.SHEET_MEMBER else "审核"


Rule = Callable[[Sheet, RuleContext], list[Finding]]


def _hits(
    sheet: Sheet,
    ctx: RuleContext,
    positions: list[int],
    severity: str,
    rule: str,
    field: str,
    message: Callable[[Row], str],
) -> list[Finding]:
    return [
        ctx.finding(severity, rule, message(row), row, sheet.layout, field)
        for _, row in sheet.rows(positions)
    ]


def p105_content_missing(sheet: Sheet, ctx: RuleContext) -> list[Finding]:
    """A row with other fields filled but no 承诺事项 (every row kept has a user field)."""
    hits = [i for i, c in enumerate(sheet.col("content")) if not c]
    return _hits(
        sheet,
        ctx,
        hits,
        ERROR,
        "P105",
        "content",
        lambda r: "这一行填了其他内容，但“承诺事项”是空的。请补写承诺事项，不用的行请整行清空。",
    )


def p106_deadline_missing(sheet: Sheet, ctx: RuleContext) -> list[Finding]:
    deadline = sheet.col("deadline")
    hits = [i for i in sheet.with_content() if deadline[i] is None]
    hits = [i for i, row in sheet.rows(hits) if ctx.unreported(row, sheet.layout, "deadline")]
    return _hits(
        sheet,
        ctx,
        hits,
        ERROR,
        "P106",
        "deadline",
        lambda r: "缺少“完成期限”。请填写日期，如 " + f"{ctx.settings.year}-10-15。",
    )


def p107_deadline_outside_campaign(sheet: Sheet, ctx: RuleContext) -> list[Finding]:
    lo, hi = ctx.settings.deadline_window
    deadline = sheet.col("deadline")
    hits = [i for i in sheet.with_content() if deadline[i] is not None and not lo <= deadline[i] <= hi]
    return _hits(
        sheet,
        ctx,
        hits,
        ERROR,
        "P107",
        "deadline",
        lambda r: (
            f"完成期限 {r.deadline:%Y-%m-%d} 不在活动期间（{lo:%Y-%m-%d} 至 {hi:%Y-%m-%d}）内。请调整到期间内。"
        ),
    )


def p108_deed_without_effect(sheet: Sheet, ctx: RuleContext) -> list[Finding]:
    effect = sheet.col("effect")
    hits = [
        i for i in sheet.with_content() if sheet.kinds[i] and sheet.kinds[i] != L.KIND_FAULT and not effect[i]
    ]
    return _hits(
        sheet,
        ctx,
        hits,
        ERROR,
        "P108",
        "effect",
        lambda r: "实事好事须写明“预期效果”。请补写预期达到的效果。",
    )


def p109_fault_without_measures(sheet: Sheet, ctx: RuleContext) -> list[Finding]:
    measures = sheet.col("measures")
    hits = [i for i in sheet.with_content() if sheet.kinds[i] == L.KIND_FAULT and not measures[i]]
    return _hits(
        sheet, ctx, hits, ERROR, "P109", "measures", lambda r: "改正缺点须写明“措施”。请补写具体的改正措施。"
    )


def p110_review_missing(sheet: Sheet, ctx: RuleContext) -> list[Finding]:
    review = sheet.col("review")
    hits = [i for i in sheet.with_content() if not review[i]]
    hits = [i for i, row in sheet.rows(hits) if ctx.unreported(row, sheet.layout, "review")]
    header = sheet.review_header
    return _hits(
        sheet,
        ctx,
        hits,
        ERROR,
        "P110",
        "review",
        lambda r: f"“{header}”未填写。审核后请选择“通过”“退回”或“待审核”。",
    )


def p111_review_pending(sheet: Sheet, ctx: RuleContext) -> list[Finding]:
    review = sheet.col("review")
    hits = [i for i in sheet.with_content() if review[i] == L.REVIEW_PENDING]
    return _hits(
        sheet,
        ctx,
        hits,
        NOTICE,
        "P111",
        "review",
        lambda r: "该承诺尚待审核，审核通过后才公示和跟踪。请审核后更新。",
    )


def p116_done_without_date(sheet: Sheet, ctx: RuleContext) -> list[Finding]:
    progress, done_on = sheet.col("progress"), sheet.col("done_on")
    hits = [i for i in sheet.with_content() if progress[i] == L.PROGRESS_DONE and done_on[i] is None]
    hits = [i for i, row in sheet.rows(hits) if ctx.unreported(row, sheet.layout, "done_on")]
    return _hits(
        sheet,
        ctx,
        hits,
        ERROR,
        "P116",
        "done_on",
        lambda r: "完成情况为“已完成”，但没有“完成日期”。请补填完成日期。",
    )


def p117_done_after_received(sheet: Sheet, ctx: RuleContext) -> list[Finding]:
    """A completion dated after the day the version itself was received: a claim of the
    future. (A completion after AS_OF in a version received later is not an error: that
    version is not known on AS_OF, and a completion after AS_OF is "not yet done".)"""
    progress, done_on, files = sheet.col("progress"), sheet.col("done_on"), sheet.col("file")
    hits = [
        i
        for i in sheet.with_content()
        if progress[i] == L.PROGRESS_DONE
        and done_on[i] is not None
        and done_on[i] > ctx.received_by(files[i])
    ]
    return _hits(
        sheet,
        ctx,
        hits,
        ERROR,
        "P117",
        "done_on",
        lambda r: (
            f"完成日期 {r.done_on:%Y-%m-%d} 晚于收到本表的日期 {ctx.received_by(r.file):%Y-%m-%d}，"
            "报送时还不可能已经完成。请核对完成日期；尚未完成的，请把完成情况改为“进行中”。"
        ),
    )


def p120_date_without_done(sheet: Sheet, ctx: RuleContext) -> list[Finding]:
    progress, done_on = sheet.col("progress"), sheet.col("done_on")
    hits = [i for i in sheet.with_content() if progress[i] != L.PROGRESS_DONE and done_on[i] is not None]
    return _hits(
        sheet,
        ctx,
        hits,
        NOTICE,
        "P120",
        "progress",
        lambda r: f"填了完成日期，但完成情况是“{r.progress or '空白'}”。如已完成请把完成情况改为“已完成”。",
    )


def p115_duplicate_content(sheet: Sheet, ctx: RuleContext) -> list[Finding]:
    keys = ["member_id", "content"] if sheet.layout == L.SHEET_MEMBER else ["content"]
    d = sheet.df[sheet.df["content"] != ""]
    dup = d.duplicated(subset=["unit_code", *keys], keep="first")
    who = "党员" if sheet.layout == L.SHEET_MEMBER else "单位"
    return [
        ctx.finding(
            NOTICE,
            "P115",
            f"与同一{who}的另一项承诺内容相同，可能重复填写。如确属重复请删除一行。",
            row,
            sheet.layout,
            "content",
        )
        for row in _each(d, dup)
    ]


def p119_member_id_missing(sheet: Sheet, ctx: RuleContext) -> list[Finding]:
    ids, content = sheet.col("member_id"), sheet.col("content")
    hits = [i for i, (mid, c) in enumerate(zip(ids, content, strict=True)) if not mid and c]
    return _hits(
        sheet, ctx, hits, ERROR, "P119", "member_id", lambda r: "缺少党员编号。请填写该承诺所属党员的编号。"
    )


def p112_member_not_in_roster(sheet: Sheet, ctx: RuleContext) -> list[Finding]:
    hits = [i for i, mid in enumerate(sheet.col("member_id")) if mid and mid not in sheet.home_of]
    return _hits(
        sheet,
        ctx,
        hits,
        ERROR,
        "P112",
        "member_id",
        lambda r: f"党员编号“{r.member_id}”不在花名册中。请核对编号；新转入的党员请先报办公室更新花名册。",
    )


def p113_member_of_another_unit(sheet: Sheet, ctx: RuleContext) -> list[Finding]:
    home = sheet.home_of
    hits = [
        i
        for i, (mid, unit) in enumerate(zip(sheet.col("member_id"), sheet.col("unit_code"), strict=True))
        if mid in home and home[mid] != unit
    ]
    return _hits(
        sheet,
        ctx,
        hits,
        ERROR,
        "P113",
        "member_id",
        lambda r: (
            f"党员“{r.member_id}”属于{sheet.unit_name_of[r.member_id]}，不属于本单位。请由其所在支部填报。"
        ),
    )


def p114_name_differs_from_roster(sheet: Sheet, ctx: RuleContext) -> list[Finding]:
    names = sheet.name_of
    hits = [
        i
        for i, (mid, name) in enumerate(zip(sheet.col("member_id"), sheet.col("name"), strict=True))
        if mid in names and name and name != names[mid]
    ]
    return _hits(
        sheet,
        ctx,
        hits,
        NOTICE,
        "P114",
        "name",
        lambda r: f"姓名“{r.name}”与花名册中的“{names[r.member_id]}”不一致。请核对。",
    )


def p118_kind_missing(sheet: Sheet, ctx: RuleContext) -> list[Finding]:
    hits = [
        i
        for i, (mid, c) in enumerate(zip(sheet.col("member_id"), sheet.col("content"), strict=True))
        if mid in sheet.home_of and c and not sheet.kinds[i]
    ]
    hits = [i for i, row in sheet.rows(hits) if ctx.unreported(row, L.SHEET_MEMBER, "kind")]
    return _hits(
        sheet, ctx, hits, ERROR, "P118", "kind", lambda r: "缺少“承诺类型”。请选择“实事好事”或“改正缺点”。"
    )


def _foreign(sheet: Sheet) -> list[bool]:
    """Rows whose member is unknown or of another unit (P112/P113): not counted in quotas."""
    home = sheet.home_of
    return [
        bool(mid) and home.get(mid) != unit
        for mid, unit in zip(sheet.col("member_id"), sheet.col("unit_code"), strict=True)
    ]


def p101_p102_member_quotas(sheet: Sheet, ctx: RuleContext) -> list[Finding]:
    """Quotas per member (实事好事 P101, 改正缺点 P102), counting items not returned (退回) of
    the unit's own members; reported at the member's first row."""
    s = ctx.settings
    m = sheet.df
    own = pd.Series([not x for x in _foreign(sheet)], index=m.index, dtype=bool)
    items = m[(m["content"] != "") & own]
    counted = items[(items["review"] != L.REVIEW_RETURNED) & (items["member_id"] != "")]
    counts = counted.groupby(["unit_code", "member_id", "kind"]).size().unstack(fill_value=0)
    firsts = items[items["member_id"] != ""].drop_duplicates(["unit_code", "member_id"])
    n_of = {
        kind: counts[kind].to_dict() if kind in counts.columns else {} for kind in (L.KIND_DEED, L.KIND_FAULT)
    }
    out: list[Finding] = []
    keys = list(zip(firsts["unit_code"].tolist(), firsts["member_id"].tolist(), strict=True))
    for kind, quota, rule in ((L.KIND_DEED, s.member_deeds, "P101"), (L.KIND_FAULT, s.member_faults, "P102")):
        off = [i for i, key in enumerate(keys) if not quota.min <= n_of[kind].get(key, 0) <= quota.max]
        what = "实事好事" if kind == L.KIND_DEED else "改正缺点"
        unit_word = "件" if kind == L.KIND_DEED else "个"
        for i, row in _rows_at(firsts, off):
            n = n_of[kind].get(keys[i], 0)
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
    return out


#: Rules on every 党员承诺 row, in the order their findings are listed for one row.
MEMBER_RULES: list[Rule] = [
    p119_member_id_missing,
    p112_member_not_in_roster,
    p113_member_of_another_unit,
    p114_name_differs_from_roster,
    p118_kind_missing,
    p105_content_missing,
    p106_deadline_missing,
    p107_deadline_outside_campaign,
    p109_fault_without_measures,
    p108_deed_without_effect,
    p110_review_missing,
    p111_review_pending,
    p116_done_without_date,
    p117_done_after_received,
    p120_date_without_done,
    p115_duplicate_content,
    p101_p102_member_quotas,
]

#: Rules on every 组织承诺 row (the 3–5 quota per unit is :func:`p103_org_quota`).
ORG_RULES: list[Rule] = [
    p105_content_missing,
    p106_deadline_missing,
    p107_deadline_outside_campaign,
    p109_fault_without_measures,
    p108_deed_without_effect,
    p110_review_missing,
    p111_review_pending,
    p116_done_without_date,
    p117_done_after_received,
    p120_date_without_done,
    p115_duplicate_content,
]


def run_rules(rules: list[Rule], sheet: Sheet, ctx: RuleContext) -> list[Finding]:
    """Every rule over every row; findings listed by file and row, then by rule order."""
    rank = {f: i for i, f in enumerate(dict.fromkeys(sheet.col("file")))}
    tagged = [
        (rank.get(f.file, len(rank)), f.row, k, f) for k, rule in enumerate(rules) for f in rule(sheet, ctx)
    ]
    tagged.sort(key=lambda t: t[:3])
    return [t[3] for t in tagged]


def member_rules(
    m: pd.DataFrame, ctx: RuleContext, submitted: Mapping[str, str]
) -> tuple[pd.DataFrame, list[Finding]]:
    """Rules on 党员承诺 rows; returns the rows (ids repaired) and the findings.

    ``submitted`` maps each unit that returned a workbook to the file used (for members
    with no items at all)."""
    m, out = fix_lost_zeros(m, ctx)
    sheet = member_sheet(m, ctx)
    out += run_rules(MEMBER_RULES, sheet, ctx)
    out += p104_member_without_items(sheet, ctx, submitted)
    return m, out


def member_sheet(m: pd.DataFrame, ctx: RuleContext) -> Sheet:
    """The 党员承诺 rows (ids already repaired: :func:`fix_lost_zeros`) as the rules see them."""
    home_of, name_of, unit_name_of = member_lookups(ctx.roster)  # shared: the rules only read them
    return Sheet(m, L.SHEET_MEMBER, m["kind"].tolist(), home_of, name_of, unit_name_of)


def org_sheet(o: pd.DataFrame) -> Sheet:
    """The 组织承诺 rows as the rules see them (org items are deeds for the people)."""
    return Sheet(o, L.SHEET_ORG, [L.KIND_DEED] * len(o))


def p104_member_without_items(sheet: Sheet, ctx: RuleContext, submitted: Mapping[str, str]) -> list[Finding]:
    """Roster members of a submitting unit with no items at all (whole-member finding)."""
    own = [not x for x in _foreign(sheet)]
    pledged = {
        (unit, mid)
        for unit, mid, content, ok in zip(
            sheet.col("unit_code"), sheet.col("member_id"), sheet.col("content"), own, strict=True
        )
        if content and ok
    }
    out: list[Finding] = []
    members = _members_by_unit(ctx.roster)
    for unit, file in submitted.items():
        for member_id, name in members.get(unit, ()):
            if (unit, member_id) not in pledged:
                out.append(
                    Finding(
                        ERROR,
                        "P104",
                        f"党员{name}（{member_id}）没有填报任何承诺。请补填，或说明原因（如长期外出）后报办公室。",
                        unit_code=unit,
                        unit_name=ctx.roster.unit_name(unit),
                        file=file,
                        sheet=L.SHEET_MEMBER,
                        member_id=member_id,
                        member_name=name,
                    )
                )
    return out


def _members_by_unit(roster: Roster) -> dict[str, list[tuple[Any, Any]]]:
    """unit code -> (member id, name) of its roster members in roster order (what
    ``roster.members_of(code)`` holds), from plain lists once per roster."""

    def build() -> dict[str, list[tuple[Any, Any]]]:
        m = roster.members
        out: dict[str, list[tuple[Any, Any]]] = {}
        for code, member_id, name in zip(
            m["unit_code"].tolist(), m["member_id"].tolist(), m["name"].tolist(), strict=True
        ):
            if isinstance(code, str):  # as members_of's groups (no group of a missing code)
                out.setdefault(code, []).append((member_id, name))
        return out

    return roster.memo("_members_by_unit", build)


def org_rules(
    o: pd.DataFrame, ctx: RuleContext, submitted: Mapping[str, str], sheets: Mapping[str, str]
) -> list[Finding]:
    """Rules on 组织承诺 rows, and the 3–5 quota per submitting unit."""
    sheet = org_sheet(o)
    return run_rules(ORG_RULES, sheet, ctx) + p103_org_quota(sheet, ctx, submitted, sheets)


def p103_org_quota(
    sheet: Sheet, ctx: RuleContext, submitted: Mapping[str, str], sheets: Mapping[str, str]
) -> list[Finding]:
    """Org pledges per submitting unit, not counting returned ones (whole-unit finding)."""
    s = ctx.settings
    o = sheet.df
    counted = o[(o["content"] != "") & (o["review"] != L.REVIEW_RETURNED)]
    n_by_unit = counted.groupby("unit_code").size()
    out: list[Finding] = []
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
