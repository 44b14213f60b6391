"""Intake: find every returned file, archive it, identify its unit, pick versions.

Nothing is lost: every distinct file content ever seen (pledge forms, evaluation returns
and the leadership group's decisions alike) is copied to a content-addressed archive
(``outputs/archive/<sha256>.<ext>``) with a manifest row (hash, original path,
modification time, unit, template version, first seen, received time and its source,
form). The received time of a version (:mod:`pipeline.intake.received`) is written the
first time its content is seen and read back on every later run. Nothing under
``inputs/`` is ever modified: files are opened read-only and hashed in streaming fashion.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from pipeline.core.findings import ERROR, NOTICE, Finding
from pipeline.infra.atomic import atomic_path, write_text_atomic
from pipeline.infra.hashing import file_hash
from pipeline.intake.arrivals import LOG_NAME, MAIL_DIR, Arrival
from pipeline.intake.received import MTIME, TRUST, Plausibility, Received, choose, from_timestamp
from pipeline.read.textnorm import norm_code
from pipeline.rules.roster import Roster

IGNORED_PREFIXES = ("~$", ".~lock", ".")
MANIFEST_FIELDS = [
    "sha256",
    "original_path",
    "mtime",
    "size",
    "unit_code",
    "template_version",
    "first_seen",
    "received",  # ISO 8601, UTC: when this content was received (recorded once)
    "received_source",  # mail | saved | mtime (pipeline.intake.received)
    "form",  # pledge | evaluation | decisions
]
FORM_PLEDGE, FORM_EVALUATION, FORM_DECISIONS = "pledge", "evaluation", "decisions"


@dataclass(frozen=True)
class InboxFile:
    path: Path
    rel: str  # path relative to the inbox, shown to the clerk
    sha256: str
    size: int
    mtime: float
    received: Received | None = None  # set by the consolidation (archive manifest)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def mtime_text(self) -> str:
        return dt.datetime.fromtimestamp(self.mtime).strftime("%Y-%m-%d %H:%M:%S")

    @property
    def received_at(self) -> dt.datetime:
        """The received time (the modification time before one is known)."""
        return self.received.at if self.received else from_timestamp(self.mtime)

    @property
    def received_text(self) -> str:
        return self.received.text if self.received else self.mtime_text

    @property
    def received_label(self) -> str:
        """Where the received time comes from (邮件 / 文件保存时间 / 文件修改时间)."""
        return self.received.label if self.received else "文件修改时间"

    @property
    def received_described(self) -> str:
        return f"{self.received_text}，来源：{self.received_label}"


def discover(inbox: Path) -> list[InboxFile]:
    """Every regular file under ``inbox`` (recursively), in a stable order."""
    if not inbox.is_dir():
        return []
    out = []
    for path in sorted(inbox.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        rel = path.relative_to(inbox)
        if any(part.startswith(IGNORED_PREFIXES) for part in rel.parts):
            continue  # Excel/WPS lock files and hidden files
        if rel.as_posix() == f"{MAIL_DIR}/{LOG_NAME}":
            continue  # the mail intake's arrival log (pipeline.intake.arrivals), not a return
        st = path.stat()
        out.append(
            InboxFile(path, path.relative_to(inbox).as_posix(), file_hash(path), st.st_size, st.st_mtime)
        )
    return out


def _name_key(text: str) -> str:
    return re.sub(r"[\s_\-—（）()【】\[\]]", "", text)


@functools.lru_cache(maxsize=65536)  # every file is compared with every unit (issue 6)
def _name_variants(unit_name: str) -> frozenset[str]:
    """Ways a clerk writes a unit's name in a file name: in full, without the
    parenthesised part, only the parenthesised part, and without 党/中共 (第一支部)."""
    full = _name_key(unit_name)
    short = _name_key(re.sub(r"[（(].*?[)）]", "", unit_name))
    inner = "".join(re.findall(r"[（(](.*?)[)）]", unit_name))
    variants = {full, short, _name_key(inner)}
    variants |= {v.replace("中共", "").replace("党", "") for v in list(variants)}
    return frozenset(v for v in variants if len(v) >= 3)


def _codes_by_upper(roster: Roster) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for code in roster.names:
        out.setdefault(code.upper(), []).append(code)
    return out


def identify_by_name(file_name: str, roster: Roster) -> str:
    """A unit code from a file name: its code as a whole token, else a unique match of
    one of its name variants (longest first); "" when nothing or several match."""
    stem = Path(file_name).stem
    tokens = {norm_code(t) for t in re.split(r"[\s_\-—.、，,（）()【】\[\]]+", stem)}
    by_upper = roster.memo("_codes_by_upper", lambda: _codes_by_upper(roster))
    codes = [c for t in tokens for c in by_upper.get(t, ())]
    if len(codes) == 1:
        return codes[0]
    key = _name_key(stem)
    key_no_party = key.replace("中共", "").replace("党", "")
    best: dict[str, int] = {}
    variants = roster.memo(
        "_name_variants", lambda: [(code, _name_variants(name)) for code, name in roster.names.items()]
    )
    for code, names in variants:
        for v in names:
            if v in key or v in key_no_party:
                best[code] = max(best.get(code, 0), len(v))
    if not best:
        return ""
    top = max(best.values())
    winners = [c for c, n in best.items() if n == top]
    return winners[0] if len(winners) == 1 else ""


@dataclass(frozen=True)
class Identification:
    """Which unit a returned file belongs to: ``code`` ("" when unknown), notices to
    attach to the file, and the error finding when it cannot be identified."""

    code: str
    notices: list[Finding]
    error: Finding | None = None


def identify_unit(
    meta: dict[str, str],
    rel: str,
    roster: Roster,
    form: str,
    unknown_rule: str,
    missing_rule: str,
    settings_year: int,
) -> Identification:
    """Identify a returned workbook's unit by ``_meta``, else by its file name.

    ``form`` is the workbook's Chinese name (公开承诺事项表 / 考核评价表); ``unknown_rule``
    is reported when ``_meta`` names a unit not in the roster, ``missing_rule`` when
    nothing identifies the file. A workbook of another campaign year is an error (F108)."""
    names = roster.names
    meta_code = meta.get("unit_code", "")
    by_name = identify_by_name(Path(rel).name, roster)
    notes: list[Finding] = []
    if meta_code and meta_code in names:
        code = meta_code
        if by_name and by_name != meta_code:
            notes.append(
                Finding(
                    NOTICE,
                    "F110",
                    f"文件名像是“{names[by_name]}”的，但表内（_meta）是“{names[meta_code]}”。"
                    "已按表内单位处理，请核对是否发错文件。",
                    file=rel,
                )
            )
    elif meta_code:
        return Identification(
            "",
            [],
            Finding(
                ERROR,
                unknown_rule,
                f"表内的单位编码“{meta_code}”不在花名册中。"
                f"请使用办公室下发的本单位{form}，或报办公室更新花名册。",
                file=rel,
            ),
        )
    elif by_name:
        code = by_name
        notes.append(
            Finding(
                NOTICE,
                "F107",
                f"文件中没有 _meta 表（可能复制到了新文件），已按文件名识别为“{names[code]}”。"
                f"请使用办公室下发的{form}。",
                file=rel,
            )
        )
    else:
        return Identification(
            "",
            [],
            Finding(
                ERROR,
                missing_rule,
                "无法识别文件所属单位：表内没有 _meta 表，文件名中也没有单位编码或单位名称。"
                f"请把文件名改为“单位编码_单位名称_{form}.xlsx”后重新放入。",
                file=rel,
            ),
        )
    year = meta.get("campaign_year", "")
    if year and year != str(settings_year):
        notes.append(
            Finding(
                ERROR,
                "F108",
                f"这是 {year} 年度的{form}，本次活动是 {settings_year} 年度。请使用本年度下发的{form}重新填报。",
                file=rel,
            )
        )
    return Identification(code, notes)


class Archive:
    """Content-addressed copies of every ingested version, with a CSV manifest.

    Manifests written before the received-time and form columns existed are read as
    they are (missing columns empty; every old row was a pledge form) and written back
    with the new columns."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.manifest_path = root / "manifest.csv"
        self.rows: list[dict[str, str]] = []
        if self.manifest_path.is_file():
            with open(self.manifest_path, encoding="utf-8-sig", newline="") as fh:
                for r in csv.DictReader(fh):
                    row = {k: (r.get(k) or "") for k in MANIFEST_FIELDS}
                    row["form"] = row["form"] or FORM_PLEDGE
                    self.rows.append(row)
        self._known = {(r["sha256"], r["original_path"], r["form"]) for r in self.rows}
        self._stored = {r["sha256"] for r in self.rows}
        # Rows by content and by (unit, form), in manifest order: a county's 2,000 units
        # and their versions would otherwise scan the manifest once per file and per unit.
        self._by_sha: dict[str, list[dict[str, str]]] = {}
        self._by_unit: dict[tuple[str, str], list[dict[str, str]]] = {}
        for r in self.rows:
            self._index(r)

    def _index(self, row: dict[str, str]) -> None:
        self._by_sha.setdefault(row["sha256"], []).append(row)
        self._by_unit.setdefault((row["unit_code"], row["form"]), []).append(row)

    def blob(self, sha256: str, suffix: str = "") -> Path:
        return self.root / sha256[:2] / f"{sha256}{suffix.lower()}"

    def has_content(self, sha256: str) -> bool:
        """Whether a manifest row records this content."""
        return sha256 in self._by_sha

    def first_seen(self, sha256: str) -> str:
        for r in self._by_sha.get(sha256, ()):
            return r["first_seen"]
        return ""

    def first_mtime(self, sha256: str) -> dt.datetime | None:
        """The modification time recorded when the content was first seen (local time)."""
        for r in self._by_sha.get(sha256, ()):
            if r["mtime"]:
                try:
                    return dt.datetime.fromisoformat(r["mtime"]).astimezone()
                except ValueError:
                    continue
        return None

    def received(self, sha256: str, tz: dt.timezone) -> Received | None:
        """The received time recorded for this content, or None when it has none yet."""
        for r in self._by_sha.get(sha256, ()):
            if r["received"]:
                got = Received.parse(r["received"], r["received_source"], tz)
                if got is not None:
                    return got
        return None

    def row_received(self, row: dict[str, str], tz: dt.timezone) -> Received:
        """A manifest row's received time (its first modification time for old rows)."""
        got = self.received(row["sha256"], tz)
        if got is not None:
            return got
        mtime = self.first_mtime(row["sha256"])
        return Received(mtime or dt.datetime(1970, 1, 1, tzinfo=dt.UTC), "mtime", tz)

    def versions(
        self, unit_code: str, form: str = FORM_PLEDGE, tz: dt.timezone = dt.UTC
    ) -> list[dict[str, str]]:
        """Archived versions of one unit's ``form``, oldest first (by received time)."""
        rows = self._by_unit.get((unit_code, form), [])
        seen: dict[str, dict[str, str]] = {}
        for r in sorted(
            rows, key=lambda r: (self.row_received(r, tz).at, r["first_seen"], r["original_path"])
        ):
            seen.setdefault(r["sha256"], r)
        return list(seen.values())

    def has_all(self, files: Iterable[InboxFile]) -> bool:
        """Whether every one of ``files`` is archived (stored and in the manifest)."""
        known = {(sha, rel) for sha, rel, _ in self._known}
        return all((f.sha256, f.rel) in known and f.sha256 in self._stored for f in files)

    def add(
        self,
        f: InboxFile,
        unit_code: str,
        template_version: str,
        now: dt.datetime,
        received: Received | None = None,
        form: str = FORM_PLEDGE,
    ) -> None:
        """Record ``f`` (copying its bytes once). ``received`` is stored only for content
        that has no received time yet; an arrival by mail replaces a weaker source."""
        blob = self.blob(f.sha256, f.path.suffix)
        if f.sha256 not in self._stored and not blob.exists():
            with atomic_path(blob) as tmp:
                shutil.copyfile(f.path, tmp)
            self._stored.add(f.sha256)
        received = received or f.received
        if received is not None:
            for r in self._by_sha.get(f.sha256, ()):
                old = r["received_source"]
                if not r["received"] or (
                    received.source != old and TRUST[received.source] < TRUST.get(old, 9)
                ):
                    r["received"], r["received_source"] = received.stored(), received.source
        if (f.sha256, f.rel, form) in self._known:
            return
        self._known.add((f.sha256, f.rel, form))
        recorded = next((r for r in self._by_sha.get(f.sha256, ()) if r["received"]), None)
        row = {
            "sha256": f.sha256,
            "original_path": f.rel,
            "mtime": f.mtime_text,
            "size": str(f.size),
            "unit_code": unit_code,
            "template_version": template_version,
            "first_seen": now.strftime("%Y-%m-%d %H:%M:%S"),
            "received": recorded["received"] if recorded else (received.stored() if received else ""),
            "received_source": recorded["received_source"]
            if recorded
            else (received.source if received else ""),
            "form": form,
        }
        self.rows.append(row)
        self._index(row)

    def save(self) -> None:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=MANIFEST_FIELDS)
        w.writeheader()
        w.writerows(self.rows)
        write_text_atomic(self.manifest_path, "\ufeff" + buf.getvalue())


def with_received(
    f: InboxFile,
    saved: dt.datetime | None,
    archive: Archive | None,
    arrivals: dict[str, Arrival],
    check: Plausibility,
) -> tuple[InboxFile, str]:
    """``f`` with its received time, and a notice text when a time was implausible.

    A time already in the archive manifest is kept (a copy, a touch, a restore or a
    fresh clone changes nothing); only an arrival in the mail log replaces a weaker
    source. A version seen for the first time gets :func:`pipeline.intake.received.choose`
    over its mail arrival, saved time and modification time."""
    arrival = arrivals.get(f.sha256)
    mail = arrival.received if arrival else None
    recorded = archive.received(f.sha256, check.tz) if archive else None
    if recorded is not None and (mail is None or TRUST[recorded.source] <= TRUST["mail"]):
        mtime = recorded.at if recorded.source == MTIME else from_timestamp(f.mtime)
        chosen, note = choose(mail, saved, mtime, check)
        return replace(f, received=recorded), (note if chosen.source == recorded.source else "")
    first = archive.first_mtime(f.sha256) if archive else None
    chosen, note = choose(mail, saved, first or from_timestamp(f.mtime), check)
    return replace(f, received=chosen), note


def pick_newest(candidates: Iterable[InboxFile]) -> tuple[InboxFile, list[InboxFile], bool]:
    """The newest version (by received time), the superseded ones, and whether the
    newest time was tied with another content (then the last by path is used,
    deterministically)."""
    ordered = sorted(candidates, key=lambda f: (f.received_at, f.rel))
    newest = ordered[-1]
    tied = (
        len(ordered) > 1
        and ordered[-2].received_at == newest.received_at
        and ordered[-2].sha256 != newest.sha256
    )
    return newest, ordered[:-1], tied


TIE_NOTE = "（两个版本的接收时间相同，按文件路径顺序采用了“{newest}”，请确认哪一份是最新的）"


def superseded_notice(
    newest: InboxFile, older: InboxFile, code: str, unit_name: str, form: str, tie: str = ""
) -> Finding:
    """F103 on an older version of a unit's ``form`` (版本 / 考核评价表) not used: both
    versions' received times and their sources."""
    return Finding(
        NOTICE,
        "F103",
        f"本单位有更新的{form}“{newest.rel}”（接收时间 {newest.received_described}），"
        f"本文件（接收时间 {older.received_described}）未采用{tie}。",
        unit_code=code,
        unit_name=unit_name,
        file=older.rel,
    )
