"""The edge of the change record: find each unit's previous version in the archive,
read it (through the parse cache) and compare it with the version used
(:func:`pipeline.rules.changes.unit_changes`, pure).

The previous version is the newest archived version of the unit received before the one
used (received times from the manifest, :mod:`pipeline.intake.received`): as the version
used is known on AS_OF, so is the previous one.

Its error findings are recomputed, not stored: the archived bytes are parsed (parse
cache) and the pledge rules run on that version alone, as of the day it was received.
That is what the office's feedback on it said (the same rules, the same settings), it
needs no second store that could drift from the archive, and versions archived before
findings were recorded get the same treatment. A cell flagged with an error there and
edited now is a correction the feedback asked for, not a T101."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pipeline.core.findings import ERROR
from pipeline.infra.cache import ParseCache
from pipeline.intake.inbox import Archive, InboxFile
from pipeline.intake.received import campaign_zone
from pipeline.jobs.consolidation import Consolidation, FileResult, UnitReturn, _frames, read_one
from pipeline.read import layout as L
from pipeline.read.parse import ParsedWorkbook
from pipeline.rules.changes import UnitChanges, unit_changes
from pipeline.rules.pledges import RuleContext, member_rules, org_rules


def previous_entry(archive: Archive, ur: UnitReturn, tz: dt.timezone = dt.UTC) -> dict[str, str] | None:
    """The newest archived version of the unit received before the one used (other content)."""
    current = (ur.file.received_at, ur.file.rel)
    older = [
        r
        for r in archive.versions(ur.unit_code, tz=tz)
        if r["sha256"] != ur.file.sha256 and (archive.row_received(r, tz).at, r["original_path"]) < current
    ]
    return max(older, key=lambda r: (archive.row_received(r, tz).at, r["original_path"])) if older else None


def previous_errors(
    c: Consolidation, archive: Archive, entry: dict[str, str], parsed: ParsedWorkbook, tz: dt.timezone
) -> set[tuple[str, int, int]]:
    """(layout sheet, row, column) of every error the previous version carried: its parse
    findings and the pledge rules run on it alone, as of the day it was received
    (column 0: the error is on the row as a whole)."""
    code = entry["unit_code"]
    rel = entry["original_path"]
    received = archive.row_received(entry, tz)
    blob = archive.blob(entry["sha256"], Path(rel).suffix)
    f = InboxFile(blob, rel, entry["sha256"], int(entry.get("size") or 0), 0.0, received)
    name = c.roster.unit_name(code)
    used = {code: UnitReturn(code, name, f, parsed)}
    members, cols = _frames(used, L.MEMBER_SHEET)
    orgs, org_cols = _frames(used, L.ORG_SHEET)
    cols.update(org_cols)
    day = min(received.day, c.as_of)
    ctx = RuleContext(c.settings, c.roster, day, cols, set(), {rel: day})
    found = list(parsed.findings)
    found += member_rules(members, ctx, {code: rel})[1]
    found += org_rules(orgs, ctx, {code: rel}, {code: parsed.sheet_names.get(L.SHEET_ORG, L.SHEET_ORG)})
    layout_of = {parsed.sheet_names.get(n, n): n for n in (L.SHEET_MEMBER, L.SHEET_ORG)}
    return {
        (layout_of[x.sheet], x.row, x.column)
        for x in found
        if x.severity == ERROR and x.row and x.sheet in layout_of and x.file == rel
    }


def read_archived(
    archive: Archive, entry: dict[str, str], year: int, cache: ParseCache | None = None
) -> ParsedWorkbook | None:
    rel = entry["original_path"]
    blob = archive.blob(entry["sha256"], Path(rel).suffix)
    if not blob.is_file():
        return None
    res = cache.get(entry["sha256"], rel, expect=FileResult) if cache else None
    if res is None:
        res = read_one(InboxFile(blob, rel, entry["sha256"], int(entry.get("size") or 0), 0.0), year)
        if cache:
            cache.put(entry["sha256"], rel, res)
    return res.parsed if res.ok else None


def collect_changes(c: Consolidation, outputs: Path) -> list[UnitChanges]:
    """Changes of every used unit (roster order) against its previous archived version."""
    archive = Archive(outputs / "archive")
    cache = ParseCache(outputs / ".cache", c.settings.fingerprint())
    tz = campaign_zone(c.settings)
    out = []
    for code in c.roster.codes:
        ur = c.used.get(code)
        if ur is None:
            continue
        entry = previous_entry(archive, ur, tz)
        parsed = read_archived(archive, entry, c.settings.year, cache) if entry else None
        flagged = previous_errors(c, archive, entry, parsed, tz) if entry and parsed else set()
        out.append(
            unit_changes(
                ur,
                parsed,
                entry["original_path"] if entry else "",
                archive.row_received(entry, tz).text if entry else "",
                c.as_of,
                c.settings.due_soon_days,
                c.settings.office,
                flagged=flagged,
            )
        )
    return out
