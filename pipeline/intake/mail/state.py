"""What the mail intake has already fetched: ``inputs/returns/邮件/.收信状态.json``.

Kept beside the arrival log (a hidden name, so the intake skips it). Per IMAP mailbox
(server, user, folder) the UIDVALIDITY and the UIDs done; for every source the
Message-IDs done (and, for messages without one, the SHA-256 of their bytes), so a
mailbox whose UIDVALIDITY changed, or the same message exported to a file, is not
fetched twice. A message is marked done only after its attachments are saved and logged;
one that could not be processed is not marked and is tried again next run. The file is
replaced atomically after every message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.infra.atomic import write_text_atomic
from pipeline.intake.arrivals import MAIL_DIR

STATE_NAME = ".收信状态.json"


@dataclass
class FetchState:
    path: Path
    mailboxes: dict[str, dict[str, object]] = field(default_factory=dict)
    messages: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, returns_dir: Path) -> FetchState:
        path = returns_dir / MAIL_DIR / STATE_NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls(path)
        if not isinstance(data, dict):
            return cls(path)
        boxes = data.get("mailboxes") if isinstance(data.get("mailboxes"), dict) else {}
        msgs = data.get("messages") if isinstance(data.get("messages"), list) else []
        return cls(path, dict(boxes or {}), {str(m) for m in msgs or []})

    def uids_done(self, box: str, uidvalidity: int) -> set[int]:
        entry = self.mailboxes.get(box) or {}
        if entry.get("uidvalidity") != uidvalidity:
            return set()  # the server renumbered the folder: rely on Message-IDs
        done = entry.get("uids", [])
        return {int(u) for u in done} if isinstance(done, list) else set()

    def is_done(self, key: str) -> bool:
        return bool(key) and key in self.messages

    def mark(self, key: str, box: str = "", uidvalidity: int = 0, uid: int = 0) -> None:
        if key:
            self.messages.add(key)
        if box:
            entry = self.mailboxes.get(box) or {}
            if entry.get("uidvalidity") != uidvalidity:
                entry = {"uidvalidity": uidvalidity, "uids": []}
            old = entry.get("uids", [])
            uids = {int(u) for u in old} if isinstance(old, list) else set()
            uids.add(uid)
            entry["uids"] = sorted(uids)
            self.mailboxes[box] = entry
        self.save()

    def save(self) -> None:
        data = {"version": 1, "mailboxes": self.mailboxes, "messages": sorted(self.messages)}
        write_text_atomic(self.path, json.dumps(data, ensure_ascii=False, indent=1))
