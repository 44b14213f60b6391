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

import contextlib
import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any, cast

from pipeline.core.findings import ERROR
from pipeline.infra import plain
from pipeline.infra.atomic import write_text_atomic
from pipeline.infra.cache import ParseCache
from pipeline.infra.fingerprint import code_fingerprint
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


def roster_digest(c: Consolidation) -> str:
    """SHA-256 of the roster's frames (membership rules read the whole roster)."""
    return c.roster.memo(
        "_digest", lambda: hashlib.sha256(plain.key_bytes((c.roster.units, c.roster.members))).hexdigest()
    )


def collect_changes(c: Consolidation, outputs: Path, use_cache: bool = True) -> list[UnitChanges]:
    """Changes of every used unit (roster order) against its previous archived version.

    Each unit's changes are kept (``outputs/.cache/changes/``) under a key of everything
    they are computed from: the code, the settings, the roster, AS_OF, the two versions
    (content, name, received time) and the unit; a run after one unit re-sent its
    workbook compares that unit again and loads the others (issue 16).
    """
    archive = Archive(outputs / "archive")
    cache = ParseCache(outputs / ".cache", c.settings.fingerprint())
    kept = ChangesStore(outputs / ".cache" if use_cache else None)
    tz = campaign_zone(c.settings)
    base = f"{code_fingerprint()}\0{c.settings.fingerprint()}\0{roster_digest(c) if use_cache else ''}\0{c.as_of}"
    out = []
    for code in c.roster.codes:
        ur = c.used.get(code)
        if ur is None:
            continue
        entry = previous_entry(archive, ur, tz)
        prev_text = archive.row_received(entry, tz).text if entry else ""
        key = hashlib.sha256(
            "\0".join(
                (
                    base,
                    code,
                    ur.unit_name,
                    ur.file.sha256,
                    ur.file.rel,
                    ur.file.received_text,
                    repr(ur.file.received),
                    entry["sha256"] if entry else "",
                    entry["original_path"] if entry else "",
                    prev_text,
                )
            ).encode("utf-8", "surrogatepass")
        ).hexdigest()
        hit = kept.get(key)
        if hit is not None:
            out.append(hit)
            continue
        parsed = read_archived(archive, entry, c.settings.year, cache) if entry else None
        flagged = previous_errors(c, archive, entry, parsed, tz) if entry and parsed else set()
        changes = unit_changes(
            ur,
            parsed,
            entry["original_path"] if entry else "",
            prev_text,
            c.as_of,
            c.settings.due_soon_days,
            c.settings.office,
            flagged=flagged,
        )
        kept.put(key, changes)
        out.append(changes)
    kept.save()
    return out


class ChangesStore:
    """Each unit's :class:`UnitChanges` of the last run, as plain JSON in one file
    (``root/changes/units.json``; ``root`` None: nothing kept). A foreign, damaged or
    hand-edited file is ignored; entries this run did not use are dropped when it saves."""

    FILE = "changes/units.json"  # in a folder: the parse cache owns .json files at the top
    TAG = "pledge-unit-changes-1"

    def __init__(self, root: Path | None) -> None:
        self.path = root / self.FILE if root is not None else None
        self.old: dict[str, Any] = {}
        self.new: dict[str, Any] = {}
        if self.path is not None and self.path.is_file():
            try:
                data = json.loads(self.path.read_bytes())
                if (
                    isinstance(data, dict)
                    and data.get("tag") == self.TAG
                    and isinstance(data.get("units"), dict)
                ):
                    self.old = data["units"]
            except (OSError, ValueError):
                self.old = {}

    def get(self, key: str) -> UnitChanges | None:
        raw = self.old.get(key)
        if raw is None:
            return None
        try:
            value = plain.from_plain(raw, UnitChanges)
        except (plain.PlainError, KeyError, TypeError, ValueError):
            return None
        self.new[key] = raw
        return cast(UnitChanges, value)

    def put(self, key: str, changes: UnitChanges) -> None:
        if self.path is None:
            return
        with contextlib.suppress(plain.PlainError):  # not kept: compared again next time
            self.new[key] = plain.to_plain(changes)

    def save(self) -> None:
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(self.path, json.dumps({"tag": self.TAG, "units": self.new}, ensure_ascii=False))
        except OSError:
            pass  # not kept: the next run compares every unit again
