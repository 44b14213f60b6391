"""The roll-up core (issue 16): the ledgers of the lower offices in, one set of figures out.

An organisation one level up (a county department over its schools, a school over the
offices of its branches) receives each lower office's 台账.xlsx, written by this tool
(:mod:`pipeline.outputs.ledger`), instead of the member workbooks. Each ledger is
identified by its hidden ``_meta`` sheet (:mod:`pipeline.outputs.ledger_meta`: the
organisation, year, 统计截止, the units with their roster members, a digest of the rows),
never by its file name. Files are found, archived and dated as returns are
(:mod:`pipeline.intake.inbox`, their own manifest in ``outputs/archive/下级台账/``); per
office the ledger with the latest 统计截止 is used (then the latest received time), older
ones F103. A ledger whose 统计截止 or received time is after the roll-up's AS_OF is not
known on that day (F152).

The figures are computed again from the ledgers' 党员承诺 / 组织承诺 rows with
:func:`pipeline.rules.figures.figures`, each pledge's status as of the roll-up's AS_OF
(:func:`pipeline.rules.status.add_status`, the level above's ``due_soon_days``) and
党员人数 from ``_meta``'s units: the same numbers as one consolidation over every member
workbook the ledgers were made from (``tests/jobs/test_rollup.py`` checks it). A unit is
keyed by office, scope and code (:func:`unit_key`): two schools may both have a 第一党支部
with code 01.

Reading only (the inbox, the archive); no output files (:mod:`pipeline.jobs.rollup_run`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.core.findings import Finding, Findings, col_letter
from pipeline.core.settings import Settings
from pipeline.infra.parallel import pool_map
from pipeline.intake.inbox import Archive, InboxFile, discover, pick_newest, superseded_notice, with_received
from pipeline.intake.received import plausibility, saved_time
from pipeline.outputs.ledger import MEMBER_COLUMNS, ORG_COLUMNS
from pipeline.outputs.ledger_meta import (
    MEMBER_DIGEST,
    ORG_DIGEST,
    SCOPE_COLUMN,
    SHEET_META,
    LedgerMeta,
    columns_digest,
    parse_meta,
)
from pipeline.read import layout as L
from pipeline.read.reader import SheetGrid, find_header, read_workbook
from pipeline.rules.figures import Figures, FigureTable, figures
from pipeline.rules.status import add_status

INBOX = "下级台账"
FORM = "ledger"  # the archive manifest's form column
SEP = "／"  # between the levels of a scope (学校／支部 of a roll-up of roll-ups)
FIX = "请让该单位用本程序重新生成台账（make consolidate）后重新报送"

# Row fields read from the ledger's visible sheets (the ledger's own column names).
_MEMBER_FIELDS = {v: k for k, v in MEMBER_COLUMNS.items()}
_ORG_FIELDS = {v: k for k, v in ORG_COLUMNS.items()}
_DATE_FIELDS = ("deadline", "done_on")
STATE_USED = "采用"
STATE_SUPERSEDED = "已被新版本替代"
STATE_LATER = "统计截止或接收时间晚于本次汇总，未计入"
STATE_BAD = "无法使用"


def offices_setting(s: Settings) -> list[str]:
    """``[rollup] offices``: the lower offices expected to report (their ``[campaign]
    organisation``); empty (the default) = whoever reports."""
    return [x.strip() for x in s.reader.string_list("rollup.offices", []) if x.strip()]


def check_settings(s: Settings) -> None:
    """The [rollup] keys, checked by ``load_settings`` at every start (FEATURE_CHECKS)."""
    offices_setting(s)


def unit_key(office: str, scope: str, code: str) -> str:
    """The roll-up's key of one unit: unique across offices even when codes repeat."""
    return f"{office}{SEP}{scope}|{code}" if scope else f"{office}|{code}"


def scope_of(office: str, scope: str) -> str:
    """The 下级单位 text of a unit: its office, and the office below that for a roll-up's ledger."""
    return f"{office}{SEP}{scope}" if scope else office


@dataclass
class LedgerRead:
    """One lower ledger read and checked."""

    meta: LedgerMeta
    members: pd.DataFrame  # fields of MEMBER_COLUMNS + scope, office_cell
    orgs: pd.DataFrame


@dataclass
class LedgerFile:
    """Every file of the inbox and what became of it (the 下级台账 sheet)."""

    file: InboxFile
    office: str
    as_of: dt.date | None
    state: str
    note: str = ""


@dataclass
class OfficeLedger:
    office: str
    file: InboxFile
    meta: LedgerMeta
    superseded: list[InboxFile] = field(default_factory=list)


@dataclass
class Rollup:
    as_of: dt.date
    settings: Settings
    offices: dict[str, OfficeLedger]  # office -> its ledger in use (expected offices first)
    units: pd.DataFrame  # key, office, scope, unit_code, unit_name, unit_type, members
    members: pd.DataFrame  # 党员承诺 rows with key, office, status as of as_of, source
    orgs: pd.DataFrame
    findings: list[Finding]
    files: list[LedgerFile]
    missing: list[str]  # expected offices without a usable ledger
    timings: dict[str, float] = field(default_factory=dict)
    _table: FigureTable | None = field(default=None, repr=False, compare=False)

    def table(self) -> FigureTable:
        """The named figures of every unit (by :func:`unit_key`) and the total (computed once)."""
        if self._table is None:
            self._table = self._figures()
        return self._table

    def _figures(self) -> FigureTable:
        keys = self.units["key"].tolist()
        roster = pd.DataFrame(
            {
                "unit_code": [
                    k
                    for k, n in zip(keys, self.units["members"].tolist(), strict=True)
                    for _ in range(int(n))
                ]
            }
        )
        return figures(
            self.members.assign(unit_code=self.members["key"]),
            self.orgs.assign(unit_code=self.orgs["key"]),
            roster,
            keys,
        )

    def office_keys(self, office: str) -> list[str]:
        return self.units.loc[self.units["office"] == office, "key"].tolist()

    def office_figures(self, table: FigureTable | None = None) -> dict[str, Figures]:
        table = table or self.table()
        return {o: table.total(self.office_keys(o)) for o in self.offices}

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)


def _day(v: object) -> dt.date | None:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str) and v.strip():
        try:
            return dt.date.fromisoformat(v.strip()[:10])
        except ValueError:
            return None
    return None


def _text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else str(v)
    return str(v)


def _sheet_rows(
    grid: SheetGrid | None, fields: dict[str, str], digest_cols: tuple[str, ...], sheet: str, rel: str
) -> tuple[pd.DataFrame, list[list[object]]] | str:
    """The data rows of one visible sheet as a frame (fields named as in ``fields``'
    values) and the raw cells of ``digest_cols``, one list per column; or a Chinese reason
    why not. Column by column: a county's ledgers hold tens of thousands of rows (issue 16)."""
    if grid is None:
        return f"缺少工作表“{sheet}”"
    need = [*digest_cols, "承诺事项"]
    match = find_header(grid, {name: [name] for name in fields}, need, scan_rows=3)
    if match is None or match.missing:
        return f"工作表“{sheet}”的表头被改动"
    cols = {fields[name]: c for name, c in match.colmap.items()}
    content_col = match.colmap["承诺事项"]
    scope_col = match.colmap.get(SCOPE_COLUMN)
    body = grid.rows[match.row + 1 : grid.n_rows]
    width = max([len(row) for row in body], default=0)
    kept = [
        r
        for r, row in enumerate(body, start=match.row + 1)
        if len(row) - row.count(None) - row.count("") > 0  # not an empty row
    ]
    rows = [grid.rows[r] for r in kept]
    if any(len(row) != width for row in rows):
        rows = [[*row, *[None] * (width - len(row))] for row in rows]
    columns: list[tuple[object, ...]] = list(zip(*rows, strict=True)) if rows else [()] * width
    empty: tuple[object, ...] = (None,) * len(rows)

    def column(c: int | None) -> tuple[object, ...]:
        return columns[c] if c is not None and c < width else empty

    raw = [list(column(match.colmap[name])) for name in digest_cols]
    data: dict[str, list[Any]] = {}
    for f in fields.values():
        if f not in cols:
            data[f] = [None if f in _DATE_FIELDS else ""] * len(rows)
        elif f in _DATE_FIELDS:
            data[f] = [_day(v) for v in column(cols[f])]
        else:
            data[f] = [v if type(v) is str else _text(v) for v in column(cols[f])]
    at = f"{rel}!{sheet}!{col_letter(content_col + 1)}"
    data["office_cell"] = [f"{at}{r + 1}" for r in kept]
    data["scope"] = [v if type(v) is str else _text(v) for v in column(scope_col)]
    return pd.DataFrame(data), raw


def read_ledger(f: InboxFile) -> LedgerRead | tuple[str, str]:
    """One lower ledger, checked against its ``_meta``; or (rule code, Chinese message)."""
    wb = read_workbook(f.path, only={SHEET_META, L.SHEET_MEMBER, L.SHEET_ORG})  # not 履诺记实 / 问题清单
    if wb.error or not wb.verdict.ok:
        return "F101", wb.error or wb.verdict.message
    grid = wb.sheets.get(SHEET_META)
    if grid is None:
        return (
            "F150",
            f"这不是本程序生成的台账（没有隐藏的 _meta 表，可能是其他表格或手工整理的台账），无法汇总。{FIX}。",
        )
    meta = parse_meta(grid.rows[:5000])
    if isinstance(meta, str):
        return "F150", f"这不是本程序生成的台账（{meta}），无法汇总。{FIX}。"
    member_fields = dict(_MEMBER_FIELDS)
    org_fields = dict(_ORG_FIELDS)
    if meta.level != "unit":
        member_fields[SCOPE_COLUMN] = "scope_text"
        org_fields[SCOPE_COLUMN] = "scope_text"
    got_m = _sheet_rows(wb.sheets.get(L.SHEET_MEMBER), member_fields, MEMBER_DIGEST, L.SHEET_MEMBER, f.rel)
    got_o = _sheet_rows(wb.sheets.get(L.SHEET_ORG), org_fields, ORG_DIGEST, L.SHEET_ORG, f.rel)
    for got in (got_m, got_o):
        if isinstance(got, str):
            return "F151", f"台账与生成时不一致（{got}），为保证数字可靠未采用。{FIX}，不要手工修改后报送。"
    assert not isinstance(got_m, str) and not isinstance(got_o, str)
    (members, raw_m), (orgs, raw_o) = got_m, got_o
    if (len(members), len(orgs)) != (meta.member_rows, meta.org_rows) or columns_digest(
        raw_m, raw_o
    ) != meta.digest:
        return (
            "F151",
            f"台账的“党员承诺”“组织承诺”与生成时不一致（生成时 {meta.member_rows}、{meta.org_rows} 行，现有 {len(members)}、{len(orgs)} 行，"
            f"或单元格被改动过），为保证数字可靠未采用。{FIX}，不要手工修改后报送。",
        )
    return LedgerRead(meta, members, orgs)


def rollup(
    inbox: Path,
    settings: Settings,
    as_of: dt.date,
    archive: Archive | None = None,
    now: dt.datetime | None = None,
) -> Rollup:
    """Read every ledger under ``inbox`` and build the roll-up's frames and findings."""
    now = now or dt.datetime.now()
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    findings = Findings(cap_per_rule=settings.findings_cap)
    check = plausibility(settings, now if now.tzinfo else now.astimezone())
    expected = offices_setting(settings)
    files: list[LedgerFile] = []
    reads: dict[str, LedgerRead] = {}
    candidates: dict[str, list[InboxFile]] = defaultdict(list)
    first: dict[str, InboxFile] = {}
    found = discover(inbox)
    unique = [f for f in found if first.setdefault(f.sha256, f) is f]
    # Each distinct file read and checked on every core (results in input order).
    results = dict(
        zip([f.sha256 for f in unique], pool_map(read_ledger, unique, min_items=4, chunksize=2), strict=True)
    )
    for f in found:
        if first[f.sha256] is not f:
            findings.notice("F105", f"与“{first[f.sha256].rel}”内容完全相同，只按一份处理。", file=f.rel)
            files.append(LedgerFile(f, "", None, STATE_BAD, f"与“{first[f.sha256].rel}”相同"))
            if archive:
                archive.add(f, "", "", now, form=FORM)
            continue
        got = results[f.sha256]
        f, _note = with_received(
            f, saved_time(f.path, "xlsx") if not isinstance(got, tuple) else None, archive, {}, check
        )
        if isinstance(got, tuple):
            rule, message = got
            findings.error(rule, message, file=f.rel)
            files.append(LedgerFile(f, "", None, STATE_BAD, message))
            if archive:
                archive.add(f, "", "", now, form=FORM)
            continue
        meta = got.meta
        office = meta.organisation
        if archive:
            archive.add(f, office, f"v{meta.format_version}", now, form=FORM)
        if meta.year != settings.year:
            msg = f"这是 {meta.year} 年度的台账，本次汇总是 {settings.year} 年度，未采用。请让该单位报送本年度的台账。"
            findings.error("F108", msg, unit_name=office, file=f.rel)
            files.append(LedgerFile(f, office, meta.as_of, STATE_BAD, msg))
            continue
        if not office:
            msg = f"台账中没有单位名称（campaign.toml 的 [campaign] organisation 为空），无法区分是哪个下级单位。{FIX}。"
            findings.error("F150", msg, file=f.rel)
            files.append(LedgerFile(f, office, meta.as_of, STATE_BAD, msg))
            continue
        received = f.received.day if f.received else None
        if meta.as_of > as_of or (received is not None and received > as_of):
            when = (
                f"统计截止 {meta.as_of:%Y-%m-%d}"
                if meta.as_of > as_of
                else f"接收时间 {f.received_text}（{f.received_label}）"
            )
            findings.notice(
                "F152",
                f"该台账的{when}晚于本次汇总的统计截止 {as_of:%Y-%m-%d}，按当天的情况不计入。"
                f"如要计入，请用不早于该日期的 --as-of 重新汇总。",
                unit_name=office,
                file=f.rel,
            )
            files.append(LedgerFile(f, office, meta.as_of, STATE_LATER))
            continue
        reads[f.sha256] = got
        candidates[office].append(f)
        files.append(LedgerFile(f, office, meta.as_of, STATE_USED))
    timings["read"] = round(time.perf_counter() - clock, 4)

    # Newest per office: the latest 统计截止, then the latest received time.
    chosen: dict[str, OfficeLedger] = {}
    order = [o for o in expected if o in candidates] + sorted(o for o in candidates if o not in expected)
    state: dict[str, str] = {}
    for office in order:
        by_day: dict[dt.date, list[InboxFile]] = defaultdict(list)
        for f in candidates[office]:
            by_day[reads[f.sha256].meta.as_of].append(f)
        latest = max(by_day)
        newest, older, _tied = pick_newest(by_day[latest])
        older += [f for day, fs in by_day.items() if day != latest for f in fs]
        for o in older:
            findings.add(
                replace(
                    superseded_notice(newest, o, "", office, "台账"),
                    message=f"本单位有统计截止更晚或更新的台账“{newest.rel}”（统计截止 {latest:%Y-%m-%d}，接收时间 {newest.received_described}），"
                    f"本文件（统计截止 {reads[o.sha256].meta.as_of:%Y-%m-%d}，接收时间 {o.received_described}）未采用。",
                )
            )
            state[o.sha256] = STATE_SUPERSEDED
        chosen[office] = OfficeLedger(office, newest, reads[newest.sha256].meta, older)
        if latest < as_of:
            findings.notice(
                "F155",
                f"该单位台账的统计截止是 {latest:%Y-%m-%d}，早于本次汇总的 {as_of:%Y-%m-%d}：其后的进展未报上来，"
                f"各项承诺的状态按 {as_of:%Y-%m-%d} 重新计算。如需最新情况，请让该单位按新的日期重新生成台账报送。",
                unit_name=office,
                file=newest.rel,
            )
        if expected and office not in expected:
            findings.notice(
                "F154",
                f"“{office}”不在 campaign.toml [rollup] offices 的名单中，已照常汇总。如是新增的下级单位，请把它加入名单；如报错了，请移出该文件。",
                unit_name=office,
                file=newest.rel,
            )
    files = [replace(x, state=state.get(x.file.sha256, x.state)) for x in files]
    missing = [o for o in expected if o not in chosen]
    for name in missing:
        findings.notice(
            "F153",
            f"下级单位“{name}”（campaign.toml [rollup] offices）还没有可用的台账，未计入汇总。请催报。",
            unit_name=name,
        )

    # Frames: every unit of every office in use, the rows keyed by unit, statuses as of as_of.
    unit_rows: list[dict[str, Any]] = []
    member_parts: list[pd.DataFrame] = []
    org_parts: list[pd.DataFrame] = []
    for office, ol in chosen.items():
        got = reads[ol.file.sha256]
        for u in ol.meta.units:
            unit_rows.append(
                {
                    "key": unit_key(office, u.scope, u.unit_code),
                    "office": office,
                    "scope": scope_of(office, u.scope),
                    "unit_code": u.unit_code,
                    "unit_name": u.unit_name,
                    "unit_type": u.unit_type,
                    "members": u.members,
                }
            )
        for df, parts in ((got.members, member_parts), (got.orgs, org_parts)):
            inner = df["scope_text"] if "scope_text" in df else df["scope"]
            # A roll-up's rows name their scope with the office in front: strip it back to the units' scope.
            inner_scope = [_inner(s, ol.meta) for s in inner.tolist()]
            parts.append(
                df.assign(
                    office=office,
                    key=[
                        unit_key(office, s, c)
                        for s, c in zip(inner_scope, df["unit_code"].tolist(), strict=True)
                    ],
                    scope=[scope_of(office, s) for s in inner_scope],
                    source=[
                        f"{cell} ← {src}" if src else cell
                        for cell, src in zip(df["office_cell"].tolist(), df["source"].tolist(), strict=True)
                    ],
                )
            )
    units = pd.DataFrame(
        unit_rows, columns=["key", "office", "scope", "unit_code", "unit_name", "unit_type", "members"]
    )
    members = _status(member_parts, list(_MEMBER_FIELDS.values()), as_of, settings)
    orgs = _status(org_parts, list(_ORG_FIELDS.values()), as_of, settings)
    known = set(units["key"])
    for df, what in ((members, "党员承诺"), (orgs, "组织承诺")):
        stray = df[~df["key"].isin(known)] if len(df) else df
        if len(stray):
            first_bad = stray.iloc[0]
            findings.error(
                "F151",
                f"台账的{what}中有 {len(stray)} 行的单位不在该台账的单位名单中（如“{first_bad['unit_code']}”），未计入。{FIX}。",
                unit_name=str(first_bad["office"]),
                file=str(first_bad["office_cell"]).split("!")[0],
            )
    members = members[members["key"].isin(known)].reset_index(drop=True) if len(members) else members
    orgs = orgs[orgs["key"].isin(known)].reset_index(drop=True) if len(orgs) else orgs
    timings["frames"] = round(time.perf_counter() - clock - timings["read"], 4)
    return Rollup(
        as_of=as_of,
        settings=settings,
        offices=chosen,
        units=units,
        members=members,
        orgs=orgs,
        findings=findings.finalised(),
        files=files,
        missing=missing,
        timings=timings,
    )


def _inner(scope_text: str, meta: LedgerMeta) -> str:
    """A row's scope inside its ledger (the ledger's own units' ``scope``)."""
    return scope_text if meta.level != "unit" else ""


def _status(parts: list[pd.DataFrame], fields: list[str], as_of: dt.date, settings: Settings) -> pd.DataFrame:
    cols = ["office", "key", "scope", *fields, "office_cell"]
    if not parts:
        empty = pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
        return add_status(empty, as_of, settings.due_soon_days)
    df = pd.concat(parts, ignore_index=True)
    return add_status(df.reindex(columns=cols), as_of, settings.due_soon_days)
