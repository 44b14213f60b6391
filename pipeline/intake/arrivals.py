"""The arrival log: when and how each received workbook reached the office.

The mail intake (``pledge fetch-mail``) saves every workbook attachment under
``inputs/returns/邮件/`` and appends one row per saved file to
``inputs/returns/邮件/到达记录.csv`` (UTF-8 with BOM, so WPS/Excel open it). The
consolidation reads the log to date each version by the time its message was received,
the most trustworthy time there is (see the received-time order in
:mod:`pipeline.intake.inbox`).

This module is the one contract between the two: the file's place, its columns, and
reading/appending rows. It never rewrites existing rows (append only, one row per file).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

MAIL_DIR = "邮件"
LOG_NAME = "到达记录.csv"
FIELDS = [
    "sha256",  # of the saved file's bytes
    "received",  # ISO 8601 with offset, UTC: when the message reached the mailbox
    "message_id",
    "sender",  # the From address
    "date",  # the message's Date header as sent (text)
    "subject",
    "attachment",  # the attachment's decoded name as the sender's client wrote it
    "saved_as",  # path of the saved file, relative to inputs/returns/
    "source",  # "imap:<folder>:<uidvalidity>:<uid>" or "file:<exported message path>"
]


@dataclass(frozen=True)
class Arrival:
    sha256: str
    received: dt.datetime  # timezone-aware, UTC
    message_id: str = ""
    sender: str = ""
    date: str = ""
    subject: str = ""
    attachment: str = ""
    saved_as: str = ""
    source: str = ""

    def row(self) -> dict[str, str]:
        return {
            "sha256": self.sha256,
            "received": self.received.astimezone(dt.UTC).isoformat(timespec="seconds"),
            "message_id": self.message_id,
            "sender": self.sender,
            "date": self.date,
            "subject": self.subject,
            "attachment": self.attachment,
            "saved_as": self.saved_as,
            "source": self.source,
        }


def log_path(returns_dir: Path) -> Path:
    return returns_dir / MAIL_DIR / LOG_NAME


def load_arrivals(returns_dir: Path) -> dict[str, Arrival]:
    """SHA-256 -> the earliest arrival of those bytes. A missing or unreadable log, and
    rows that cannot be read, give nothing (the other received-time sources apply)."""
    path = log_path(returns_dir)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return {}
    out: dict[str, Arrival] = {}
    for row in csv.DictReader(io.StringIO(text)):
        try:
            received = dt.datetime.fromisoformat(row.get("received") or "")
        except ValueError:
            continue
        if received.tzinfo is None:
            received = received.replace(tzinfo=dt.UTC)
        sha = (row.get("sha256") or "").strip().lower()
        if len(sha) != 64:
            continue
        a = Arrival(sha, received, *(row.get(k) or "" for k in FIELDS[2:]))
        if sha not in out or a.received < out[sha].received:
            out[sha] = a
    return out


def append_arrivals(returns_dir: Path, arrivals: list[Arrival]) -> None:
    """Append rows (creating the log with its header); existing rows are never rewritten."""
    if not arrivals:
        return
    path = log_path(returns_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists() or path.stat().st_size == 0
    buf = io.StringIO()
    w = csv.DictWriter(buf, FIELDS, lineterminator="\r\n")
    if new:
        w.writeheader()
    for a in arrivals:
        w.writerow(a.row())
    with open(path, "a", encoding="utf-8-sig" if new else "utf-8", newline="") as fh:
        fh.write(buf.getvalue())
        fh.flush()
