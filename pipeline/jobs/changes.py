"""The edge of the change record: find each unit's previous version in the archive,
read it (through the parse cache) and compare it with the version used
(:func:`pipeline.rules.changes.unit_changes`, pure)."""

from __future__ import annotations

from pathlib import Path

from pipeline.infra.cache import ParseCache
from pipeline.intake.inbox import Archive, InboxFile
from pipeline.jobs.consolidation import Consolidation, FileResult, UnitReturn, read_one
from pipeline.read.parse import ParsedWorkbook
from pipeline.rules.changes import UnitChanges, unit_changes


def previous_entry(archive: Archive, ur: UnitReturn) -> dict[str, str] | None:
    """The newest archived version of the unit older than the one used (other content)."""
    current = (ur.file.mtime_text, ur.file.rel)
    older = [
        r
        for r in archive.versions(ur.unit_code)
        if r["sha256"] != ur.file.sha256 and (r["mtime"], r["original_path"]) < current
    ]
    return max(older, key=lambda r: (r["mtime"], r["original_path"])) if older else None


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
    out = []
    for code in c.roster.codes:
        ur = c.used.get(code)
        if ur is None:
            continue
        entry = previous_entry(archive, ur)
        parsed = read_archived(archive, entry, c.settings.year, cache) if entry else None
        out.append(
            unit_changes(
                ur,
                parsed,
                entry["original_path"] if entry else "",
                entry["mtime"] if entry else "",
                c.as_of,
                c.settings.due_soon_days,
                c.settings.office,
            )
        )
    return out
