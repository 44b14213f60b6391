"""When each version of a returned workbook was received, recorded once.

Every distinct file content (SHA-256) gets one received time, taken in order of trust:

1. ``邮件`` (mail): when the message that brought it reached the mailbox, from the mail
   intake's arrival log (:mod:`pipeline.intake.arrivals`);
2. ``文件保存时间`` (saved): the workbook's own last-saved time, written by Excel, WPS or
   LibreOffice: xlsx ``docProps/core.xml`` ``dcterms:modified`` (UTC), ods ``meta.xml``
   ``dc:date`` (local time), xls the OLE SummaryInformation last-saved time (UTC);
3. ``文件修改时间`` (mtime): the file's modification time on this disk, the weakest: a
   copy, a restore or a fresh ``git clone`` changes it.

A saved time in the future (relative to now) or before the campaign's first phase is not
plausible (a template written by a program, a workbook copied from last year, a PC with a
wrong clock); the next source is used and a notice (F115) says which and why.

The time is stored in the archive manifest the first time a version is seen
(:class:`pipeline.intake.inbox.Archive`) and read from there afterwards, so later copies,
touches, restores or a fresh clone of the inbox do not change it. The only change ever
made is an upgrade to ``邮件`` when the arrival log later names the version.
"""

from __future__ import annotations

import datetime as dt
import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

from defusedxml import ElementTree as DET

from pipeline.core.errors import SettingsError
from pipeline.core.settings import Settings
from pipeline.intake.filecheck import MemberCorrupt, MemberTooLarge, SafeZip, ole_stream

MAIL, SAVED, MTIME = "mail", "saved", "mtime"
SOURCE_LABELS = {MAIL: "邮件", SAVED: "文件保存时间", MTIME: "文件修改时间"}
TRUST = {MAIL: 0, SAVED: 1, MTIME: 2}
FUTURE_TOLERANCE = dt.timedelta(minutes=10)  # clocks of different PCs disagree a little
_XML_LIMIT = 1 << 20
_FRACTION = re.compile(r"(\.\d{6})\d+")


def campaign_zone(settings: Settings) -> dt.timezone:
    """The office's time zone (``[intake] utc_offset``, default +08:00, China has no DST):
    AS_OF is a day in this zone, and times are shown in it."""
    text = settings.reader.string("intake.utc_offset", "+08:00")
    m = re.fullmatch(r"([+-])(\d{1,2}):?(\d{2})", text.strip())
    if not m or int(m.group(2)) > 14 or int(m.group(3)) > 59:
        raise SettingsError(
            f'{settings.source}: 设置项 intake.utc_offset 应写成带引号的时差，如 "+08:00"（北京时间），现在是“{text}”。'
        )
    delta = dt.timedelta(hours=int(m.group(2)), minutes=int(m.group(3)))
    return dt.timezone(-delta if m.group(1) == "-" else delta)


def check_settings(settings: Settings) -> None:
    """The [intake] keys, checked by ``load_settings`` at every start (FEATURE_CHECKS)."""
    campaign_zone(settings)


@dataclass(frozen=True)
class Received:
    """A version's received time (timezone-aware) and where it came from."""

    at: dt.datetime
    source: str
    tz: dt.timezone = dt.UTC

    @property
    def local(self) -> dt.datetime:
        return self.at.astimezone(self.tz)

    @property
    def day(self) -> dt.date:
        """The office's calendar day of the time (compared with AS_OF)."""
        return self.local.date()

    @property
    def text(self) -> str:
        return self.local.strftime("%Y-%m-%d %H:%M:%S")

    @property
    def label(self) -> str:
        return SOURCE_LABELS.get(self.source, self.source)

    @property
    def described(self) -> str:
        """“2026-11-18 10:00:00，来源：邮件”, for messages."""
        return f"{self.text}，来源：{self.label}"

    def stored(self) -> str:
        return self.at.astimezone(dt.UTC).isoformat(timespec="seconds")

    @classmethod
    def parse(cls, text: str, source: str, tz: dt.timezone) -> Received | None:
        at = parse_time(text, dt.UTC)
        return cls(at, source, tz) if at is not None and source in TRUST else None


def parse_time(text: str, naive_zone: dt.tzinfo | None) -> dt.datetime | None:
    """An ISO 8601 / W3CDTF time; a time without offset is in ``naive_zone`` (kept
    naive when that is None)."""
    text = _FRACTION.sub(r"\1", (text or "").strip())
    if not text:
        return None
    try:
        at = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return at.replace(tzinfo=naive_zone) if at.tzinfo is None and naive_zone is not None else at


# ------------------------------------------------------------------- saved times


_NS = {
    "http://purl.org/dc/terms/": "dcterms",
    "http://purl.org/dc/elements/1.1/": "dc",
    "urn:oasis:names:tc:opendocument:xmlns:meta:1.0": "meta",
}


def _xml_times(data: bytes, names: tuple[str, ...]) -> dict[str, str]:
    """``prefix:name`` -> text of the first such element (defused XML parsing)."""
    try:
        root = DET.fromstring(data)
    except Exception:
        return {}
    out: dict[str, str] = {}
    for el in root.iter():
        if not isinstance(el.tag, str) or "}" not in el.tag:
            continue
        uri, local = el.tag[1:].split("}", 1)
        key = f"{_NS.get(uri, '')}:{local}"
        if key in names and key not in out and el.text:
            out[key] = el.text
    return out


def _zip_part(path: Path, name: str) -> bytes | None:
    try:
        with SafeZip(path) as sz:
            return sz.read_member(name, _XML_LIMIT) if name in sz.by_name else None
    except (OSError, ValueError, EOFError, MemberCorrupt, MemberTooLarge, zipfile.BadZipFile):
        return None


def _ole_last_saved(path: Path) -> dt.datetime | None:
    """PIDSI_LASTSAVE_DTM (13) of the SummaryInformation property set, a FILETIME in UTC."""
    data = ole_stream(path, "\x05SummaryInformation")
    if not data or len(data) < 48:
        return None
    try:
        (n_sets,) = struct.unpack_from("<I", data, 24)
        if n_sets < 1:
            return None
        (offset,) = struct.unpack_from("<I", data, 44)
        _size, n_props = struct.unpack_from("<II", data, offset)
        for i in range(min(n_props, 256)):
            pid, at = struct.unpack_from("<II", data, offset + 8 + 8 * i)
            if pid != 13:
                continue
            vt, low, high = struct.unpack_from("<III", data, offset + at)
            if vt != 0x40:  # VT_FILETIME
                return None
            ticks = (high << 32) | low
            if ticks == 0:
                return None
            return dt.datetime(1601, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=ticks // 10)
    except (struct.error, OverflowError, ValueError):
        return None
    return None


def saved_time(path: Path, kind: str, tz: dt.tzinfo | None = None) -> dt.datetime | None:
    """The last-saved time the workbook itself records (see the module doc), or None.
    ``kind`` is :class:`pipeline.intake.filecheck.FileVerdict` ``kind``; ``tz`` is the
    zone of times written without offset (LibreOffice's ``dc:date``): None keeps them
    naive, to be placed in the office's zone by :func:`choose`."""
    if kind in ("xlsx", "xlsm"):
        data = _zip_part(path, "docProps/core.xml")
        if data:
            times = _xml_times(data, ("dcterms:modified", "dcterms:created"))
            return parse_time(times.get("dcterms:modified", ""), dt.UTC)
        return None
    if kind == "ods":
        data = _zip_part(path, "meta.xml")
        if data:
            times = _xml_times(data, ("dc:date", "meta:date"))
            return parse_time(times.get("dc:date") or times.get("meta:date", ""), tz)
        return None
    if kind in ("xls", "et"):
        return _ole_last_saved(path)
    return None


# ------------------------------------------------------------------- choosing


@dataclass(frozen=True)
class Plausibility:
    earliest: dt.date  # the campaign's first day
    now: dt.datetime  # timezone-aware
    tz: dt.timezone

    def problem(self, at: dt.datetime) -> str:
        """Why a time cannot be a receipt time ("" when it can)."""
        if at > self.now + FUTURE_TOLERANCE:
            return f"晚于当前时间（{self.now.astimezone(self.tz):%Y-%m-%d %H:%M}）"
        if at.astimezone(self.tz).date() < self.earliest:
            return f"早于活动开始（{self.earliest:%Y-%m-%d}）"
        return ""


def plausibility(settings: Settings, now: dt.datetime) -> Plausibility:
    tz = campaign_zone(settings)
    first = min(p.start for p in (settings.mobilise, settings.pledge, settings.fulfil, settings.assess))
    return Plausibility(first, now if now.tzinfo else now.astimezone(), tz)


def _show(at: dt.datetime, tz: dt.timezone) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")


def choose(
    mail: dt.datetime | None,
    saved: dt.datetime | None,
    mtime: dt.datetime,
    check: Plausibility,
) -> tuple[Received, str]:
    """The received time of a version seen for the first time, and a notice text ("" when
    nothing was implausible) saying which time was used and why."""
    tz = check.tz
    if saved is not None and saved.tzinfo is None:
        saved = saved.replace(tzinfo=tz)
    if mail is not None:
        problem = check.problem(mail)
        note = (
            f"邮件接收时间 {_show(mail, tz)} {problem}，仍按邮件时间处理，请核对邮箱服务器时间。"
            if problem
            else ""
        )
        return Received(mail, MAIL, tz), note
    notes = []
    if saved is not None:
        problem = check.problem(saved)
        if not problem:
            return Received(saved, SAVED, tz), ""
        notes.append(f"文件内记录的保存时间 {_show(saved, tz)} {problem}，不可信")
    problem = check.problem(mtime)
    used = f"已改用文件修改时间 {_show(mtime, tz)}"
    if problem:
        notes.append(f"{used}（它也{problem}，请核对电脑时间）")
    elif notes:
        notes.append(used)
    return Received(mtime, MTIME, tz), ("；".join(notes) + "。" if notes else "")


def from_timestamp(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.UTC)
