"""Consolidation core: returned workbooks in, ledger frames and findings out.

No printing and no output files here (the CLI and the writers do that): the only disk
access is reading the inbox, the parse cache and the archive of ingested versions.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.core.findings import ERROR, NOTICE, Finding, Findings
from pipeline.core.settings import Settings
from pipeline.infra import plain
from pipeline.infra.cache import ParseCache
from pipeline.infra.parallel import pool_map, without_gc
from pipeline.intake.arrivals import load_arrivals
from pipeline.intake.inbox import (
    TIE_NOTE,
    Archive,
    InboxFile,
    discover,
    identify_unit,
    pick_newest,
    superseded_notice,
    with_received,
)
from pipeline.intake.received import plausibility, saved_time
from pipeline.read import layout as L
from pipeline.read.parse import ParsedWorkbook, date_fields, parse_workbook, typed_frame
from pipeline.read.reader import FormulaCells, read_workbook
from pipeline.rules.by_unit import RulesMemo, merged, rows_of, rules_by_unit, unit_key
from pipeline.rules.calendar import calendar_finding, outside_campaign
from pipeline.rules.figures import FigureTable, figures
from pipeline.rules.pledges import RuleContext, fix_lost_zeros, member_lookups
from pipeline.rules.roster import Roster
from pipeline.rules.sequence import number_inserted_rows
from pipeline.rules.status import add_status

INBOX = "returns"


@dataclass
class FileResult:
    """What reading one distinct file gave (cached by content hash)."""

    ok: bool
    kind: str
    message: str
    parsed: ParsedWorkbook | None = None
    saved: dt.datetime | None = None  # the workbook's own last-saved time (pipeline.intake.received)


@dataclass
class UnitReturn:
    unit_code: str
    unit_name: str
    file: InboxFile
    parsed: ParsedWorkbook
    superseded: list[InboxFile] = field(default_factory=list)


@dataclass
class Consolidation:
    as_of: dt.date
    settings: Settings
    roster: Roster
    files: list[InboxFile]  # received by as_of (the others are not known yet on that day)
    used: dict[str, UnitReturn]
    members: pd.DataFrame
    orgs: pd.DataFrame
    logs: pd.DataFrame
    plans: pd.DataFrame
    findings: list[Finding]
    unreadable: list[InboxFile]
    unidentified: list[InboxFile]
    superseded: list[tuple[InboxFile, str]]  # (file, unit code)
    field_cols: dict[tuple[str, str], dict[str, int]]  # (file, layout sheet) -> field -> 1-based column
    # 党员承诺 rows with content that failed membership (blank id, not in the roster, of
    # another unit: P119/P112/P113): in the problem list, not tracked, in no figure.
    excluded: pd.DataFrame = field(default_factory=pd.DataFrame)
    cache_hits: int = 0
    cache_misses: int = 0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage (benchmark, issue 6)
    later: list[InboxFile] = field(default_factory=list)  # received after as_of: not used, not counted
    office: Any = None  # pipeline.office.reader.OfficeInbox once the office workflow applied (issue 15)

    @property
    def missing_units(self) -> list[str]:
        return [c for c in self.roster.codes if c not in self.used]

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def unit_findings(self, unit_code: str) -> list[Finding]:
        return [f for f in self.findings if f.unit_code == unit_code]


def read_one(f: InboxFile, year: int) -> FileResult:
    wb = read_workbook(f.path)
    if wb.error or not wb.verdict.ok:
        return FileResult(False, wb.verdict.kind, wb.error or wb.verdict.message)
    with FormulaCells(f.path) as formulas:  # the zip opened once for the four sheets
        parsed = parse_workbook(wb, f.rel, year, formula_cells=lambda sheet: set(formulas(sheet)))
    return FileResult(True, wb.verdict.kind, "", parsed, saved_time(f.path, wb.verdict.kind))


def _read_encoded(f: InboxFile, year: int) -> bytes | FileResult:
    """Worker side: the result encoded for the parse cache (the same bytes go to the
    cache and back to the consolidating process), or the result itself when it holds
    something the plain format cannot (it is then not cached)."""
    res = read_one(f, year)
    try:
        return plain.dumps(res)
    except plain.PlainError:
        return res


def _with_unit(findings: list[Finding], code: str, name: str) -> list[Finding]:
    return [replace(x, unit_code=code, unit_name=name) for x in findings]


def _frames(
    used: dict[str, UnitReturn], layout: L.SheetLayout
) -> tuple[pd.DataFrame, dict[tuple[str, str], dict[str, int]]]:
    """One ledger frame of every used unit's rows of ``layout`` (roster order), plus where
    each file put each field. Built from the units' columns at once: the same frame as
    concatenating one frame per unit, without building 2,000 of them (issue 6)."""
    fields = ["excel_row", *(c.field for c in layout.columns)]
    data: dict[str, list[Any]] = {f: [] for f in [*fields, "unit_code", "unit_name", "file", "sheet"]}
    field_cols: dict[tuple[str, str], dict[str, int]] = {}
    for code, ur in used.items():
        field_cols[(ur.file.rel, layout.name)] = ur.parsed.field_cols.get(layout.name, {})
        cols = ur.parsed.columns.get(layout.name)
        if cols is None:
            continue
        n = len(cols["excel_row"])
        for f in fields:
            data[f].extend(cols[f])
        data["unit_code"] += [code] * n
        data["unit_name"] += [ur.unit_name] * n
        data["file"] += [ur.file.rel] * n
        data["sheet"] += [ur.parsed.sheet_names.get(layout.name, layout.name)] * n
    return typed_frame(data, date_fields(layout)), field_cols


def _with_members(findings: list[Finding], members: pd.DataFrame, logs: pd.DataFrame) -> list[Finding]:
    """Fill member id and name into cell findings of member rows (from the parsed row)."""
    out = list(findings)
    todo = [i for i, x in enumerate(out) if not x.member_id and x.row and x.column]  # cells of rows
    if not todo:
        return out
    who: dict[tuple[str, str, int], tuple[str, str]] = {}
    for df in (members, logs):  # excel_row is int64: its values are ints
        file, sheet, row, mid, name = (
            df[c].tolist() for c in ("file", "sheet", "excel_row", "member_id", "name")
        )
        who.update(zip(zip(file, sheet, row, strict=True), zip(mid, name, strict=True), strict=True))
    for i in todo:
        x = out[i]
        hit = who.get((x.file, x.sheet, x.row))
        if hit:
            out[i] = replace(x, member_id=hit[0], member_name=hit[1])
    return out


def own_members(members: pd.DataFrame, roster: Roster) -> pd.Series:
    """True for 党员承诺 rows whose 党员编号 is a roster member of the row's unit; the
    others failed membership (P119 blank, P112 unknown, P113 of another unit)."""
    home = member_lookups(roster)[0]
    keep = [
        bool(mid) and home.get(mid) == unit
        for mid, unit in zip(members["member_id"].tolist(), members["unit_code"].tolist(), strict=True)
    ]
    return pd.Series(keep, index=members.index, dtype=bool)


class Laps:
    """Seconds per stage into ``timings`` (``prefix`` + stage), each lap from the one
    before: the benchmark's phases (``Consolidation.timings``)."""

    def __init__(self, timings: dict[str, float], prefix: str = "") -> None:
        self.timings, self.prefix, self.last = timings, prefix, time.perf_counter()

    def __call__(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[self.prefix + stage] = round(now - self.last, 4)
        self.last = now


@without_gc  # millions of long-lived objects at county scale (issue 6)
def consolidate(
    inputs: Path,
    settings: Settings,
    roster: Roster,
    as_of: dt.date,
    cache: ParseCache | None = None,
    archive: Archive | None = None,
    now: dt.datetime | None = None,
    progress: object | None = None,
    files: list[InboxFile] | None = None,
) -> Consolidation:
    """Read every file under ``inputs/returns`` and build the ledger frames and findings.
    ``files``: what :func:`discover` found there, when the caller has just looked."""
    now = now or dt.datetime.now()
    cache = cache or ParseCache(None, settings.fingerprint())
    timings: dict[str, float] = {}
    lap = Laps(timings)

    files = discover(inputs / INBOX) if files is None else files
    lap("discover")
    findings = Findings(cap_per_rule=settings.findings_cap)
    findings.extend(calendar_finding(outside_campaign(as_of, settings)))  # T110: said once
    unit_names = dict(zip(roster.units["unit_code"], roster.units["unit_name"], strict=True))

    # 1. Read each distinct content once (identical copies are noted, not re-read).
    results: dict[str, FileResult] = {}
    first_by_hash: dict[str, InboxFile] = {}
    unique: list[InboxFile] = []
    duplicates: dict[str, tuple[InboxFile, InboxFile]] = {}  # rel -> (copy, first)
    for f in files:
        if f.sha256 in first_by_hash:
            duplicates[f.rel] = (f, first_by_hash[f.sha256])
            continue
        first_by_hash[f.sha256] = f
        unique.append(f)
    advance = getattr(progress, "advance", None)
    todo: list[InboxFile] = []
    for f in unique:
        res = cache.get(f.sha256, f.rel, expect=FileResult, keep="parsed")
        if res is None:
            todo.append(f)
            continue
        results[f.sha256] = res
        if advance:
            advance()
    # Files not in the cache are read and parsed on every core (results in input order),
    # encoded once by the worker: the same bytes go to the cache and to this process.
    for f, data in zip(
        todo, pool_map(partial(_read_encoded, year=settings.year), todo, on_result=advance), strict=True
    ):
        if isinstance(data, FileResult):
            results[f.sha256] = data
            continue
        cache.put_encoded(f.sha256, f.rel, data)
        results[f.sha256] = plain.loads(data, FileResult)
        cache.encoded.add_member(results[f.sha256], "parsed", data)
    lap("read")

    # 2. When each version was received (recorded once in the archive manifest); only
    # versions received by as_of are known on that day: the others do not exist yet.
    arrivals = load_arrivals(inputs / INBOX)
    check = plausibility(settings, now if now.tzinfo else now.astimezone())
    stamped: dict[str, InboxFile] = {}
    time_notes: dict[str, str] = {}
    for f in unique:
        stamped[f.sha256], time_notes[f.sha256] = with_received(
            f, results[f.sha256].saved, archive, arrivals, check
        )
    unique = [stamped[f.sha256] for f in unique]
    files = [replace(f, received=stamped[f.sha256].received) for f in files]

    def known(f: InboxFile) -> bool:
        r = stamped[f.sha256].received
        return r is None or r.day <= as_of

    later = [f for f in files if not known(f)]
    files = [f for f in files if known(f)]
    for rel in list(duplicates):
        if not known(duplicates[rel][0]):
            del duplicates[rel]
    for f, first in duplicates.values():
        findings.notice("F105", f"与“{first.rel}”内容完全相同，只按一份处理。", file=f.rel)
    ignored = Findings(cap_per_rule=settings.findings_cap)  # findings of versions not yet received

    # 3. Identify each file's unit.
    unreadable: list[InboxFile] = []
    unidentified: list[InboxFile] = []
    candidates: dict[str, list[InboxFile]] = defaultdict(list)
    file_notes: dict[str, list[Finding]] = defaultdict(list)
    for f in unique:
        res = results[f.sha256]
        sink = findings if known(f) else ignored
        code = ""
        if not res.ok or res.parsed is None:
            if known(f):
                unreadable.append(f)
            sink.error("F101", res.message, file=f.rel)
            if archive:
                archive.add(f, "", "", now)
        else:
            p = res.parsed
            if not p.is_pledge_form:
                if known(f):
                    unidentified.append(f)
                sink.error(
                    "F111",
                    "这不是公开承诺事项表（找不到“党员承诺”“组织承诺”等工作表）。如发错了附件，请让单位重新发送承诺事项表。",
                    file=f.rel,
                )
                if archive:
                    archive.add(f, "", str(p.version or ""), now)
            else:
                if res.kind in ("xls", "et"):
                    file_notes[f.rel].append(
                        Finding(
                            NOTICE,
                            "F106",
                            "这是旧版 Excel 格式，已读取。下次请用统一模板（.xlsx）填报。",
                            file=f.rel,
                        )
                    )
                ident = identify_unit(p.meta, f.rel, roster, "公开承诺事项表", "F104", "F102", settings.year)
                if ident.error is not None:
                    sink.add(ident.error)
                    if known(f):
                        unidentified.append(f)
                    if archive:
                        archive.add(f, "", str(p.version or ""), now)
                else:
                    code = ident.code
                    file_notes[f.rel].extend(ident.notices)
                    if archive:
                        archive.add(f, code, str(p.version or ""), now)
                    if known(f):
                        candidates[code].append(f)
        if time_notes[f.sha256] and known(f):
            findings.add(
                Finding(
                    NOTICE,
                    "F115",
                    f"{time_notes[f.sha256]}判断哪份是最新版本和统计日期时按这个时间。",
                    unit_code=code,
                    unit_name=unit_names.get(code, ""),
                    file=f.rel,
                )
            )
    # Identical copies of an identified file go into the archive manifest too.
    if archive:
        for f in files + later:
            if first_by_hash[f.sha256].rel != f.rel:
                archive.add(f, "", "", now)

    # 4. Newest version per unit (by received time).
    used: dict[str, UnitReturn] = {}
    superseded: list[tuple[InboxFile, str]] = []
    for code in roster.codes:
        if code not in candidates:
            continue
        newest, older, tied = pick_newest(candidates[code])
        for o in older:
            superseded.append((o, code))
            tie = TIE_NOTE.format(newest=newest.rel) if tied and o.received_at == newest.received_at else ""
            findings.add(superseded_notice(newest, o, code, unit_names[code], "版本", tie))
        parsed = results[newest.sha256].parsed
        assert parsed is not None
        used[code] = UnitReturn(code, unit_names[code], newest, parsed, older)
        findings.extend(_with_unit(file_notes[newest.rel] + parsed.findings, code, unit_names[code]))
        if parsed.version and parsed.version < L.TEMPLATE_VERSION:
            findings.add(
                Finding(
                    NOTICE,
                    "F109",
                    f"使用的是旧版模板（v{parsed.version}），已照常汇总。下次报送请使用新版模板（v{L.TEMPLATE_VERSION}，增加了“履诺计划”表）。",
                    unit_code=code,
                    unit_name=unit_names[code],
                    file=newest.rel,
                )
            )

    lap("identify")

    # 4. Frames and rules.
    members, field_cols = _frames(used, L.MEMBER_SHEET)
    orgs, org_cols = _frames(used, L.ORG_SHEET)
    logs, log_cols = _frames(used, L.LOG_SHEET)
    plans, plan_cols = _frames(used, L.PLAN_SHEET)
    field_cols.update(org_cols)
    field_cols.update(log_cols)
    field_cols.update(plan_cols)
    # Inserted rows without 序号 get the next free number (P123), before any reference is resolved.
    members, seq_notes = number_inserted_rows(members, L.MEMBER_SHEET, field_cols, L.REF_MEMBER)
    orgs, org_seq_notes = number_inserted_rows(
        orgs, L.ORG_SHEET, field_cols, L.REF_ORG, reserved=settings.org_pledges.max
    )
    findings.extend(seq_notes + org_seq_notes)
    lap("frames")
    bad = {(x.file, x.sheet, x.row, x.column) for x in findings.items if x.rule in ("V101", "V103", "V106")}
    received = {ur.file.rel: ur.file.received.day for ur in used.values() if ur.file.received}
    ctx = RuleContext(settings, roster, as_of, field_cols, bad, received)
    members, zero_notes = fix_lost_zeros(members, ctx)
    findings.extend(zero_notes)
    # The pledge, plan and log rules (pipeline.rules.pledges, .plans, .logs) on the rows of
    # the units whose findings the last run did not leave (pipeline.rules.by_unit).
    keys = {code: unit_key(code, ur, ctx) for code, ur in used.items()}
    by_unit = cache.rules_memo(keys)
    changed = [code for code in used if code not in by_unit]
    if changed:
        if len(changed) < len(used):
            m, o, p, g = (rows_of(df, changed) for df in (members, orgs, plans, logs))
        else:
            m, o, p, g = members, orgs, plans, logs
        by_unit.update(rules_by_unit(m, o, p, g, ctx, {code: used[code] for code in changed}))
        cache.put_rules_memo(RulesMemo.of(by_unit, keys))
    findings.extend(merged(by_unit, used))
    lap("rules")
    final = _with_members(findings.finalised(), members, logs)
    members = members[members["content"] != ""]
    own = own_members(members, roster)
    excluded = members[~own].reset_index(drop=True)
    members = add_status(members[own], as_of, settings.due_soon_days)
    orgs = add_status(orgs[orgs["content"] != ""], as_of, settings.due_soon_days)
    lap("status")
    return Consolidation(
        as_of=as_of,
        settings=settings,
        roster=roster,
        files=files,
        used=used,
        members=members.reset_index(drop=True),
        orgs=orgs.reset_index(drop=True),
        logs=logs,
        plans=plans,
        findings=final,
        excluded=excluded,
        unreadable=unreadable,
        unidentified=unidentified,
        superseded=superseded,
        later=later,
        field_cols=field_cols,
        cache_hits=cache.hits,
        cache_misses=cache.misses,
        timings=timings,
    )


def unit_figures(c: Consolidation) -> FigureTable:
    """The named figures (:mod:`pipeline.rules.figures`) of every roster unit and the school."""
    return figures(c.members, c.orgs, c.roster.members, c.roster.codes)


def unit_summary(c: Consolidation, table: FigureTable | None = None) -> pd.DataFrame:
    """One row per roster unit: what it returned and how it stands (the 汇总 sheet), the
    counts under their names in :mod:`pipeline.rules.figures`."""
    table = table or unit_figures(c)
    rows = []
    errors: dict[str, int] = defaultdict(int)
    notices: dict[str, int] = defaultdict(int)
    for f in c.findings:
        if f.unit_code:
            (errors if f.severity == ERROR else notices)[f.unit_code] += 1
    for u in c.roster.units.itertuples(index=False):
        ur = c.used.get(u.unit_code)
        rows.append(
            {
                "单位编码": u.unit_code,
                "单位名称": u.unit_name,
                "单位类型": u.unit_type,
                "包靠领导": c.settings.leader_of(u.unit_code),
                "是否报送": "是" if ur else "否",
                "采用文件": ur.file.rel if ur else "",
                "报送时间": ur.file.received_text if ur else "",
                "时间来源": ur.file.received_label if ur else "",
                **table.of(u.unit_code).named(),
                "错误": errors[u.unit_code],
                "提醒": notices[u.unit_code],
            }
        )
    return pd.DataFrame(rows)
