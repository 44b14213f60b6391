"""The mail-intake job: messages -> workbooks under ``inputs/returns/邮件/`` + arrival log.

For each message not fetched before (see :mod:`pipeline.intake.mail.state`):

1. parse it (:func:`pipeline.intake.mail.message.parse_message`): workbooks, other
   attachments, problems;
2. save each workbook whose bytes are new under ``邮件/<received day>/`` through a
   temporary file (never a half-written file; nothing existing is modified), with the
   file's modification time set to the message's received time;
3. append one arrival-log row per saved file (:mod:`pipeline.intake.arrivals`);
4. mark the message done.

A fault of the server stops the run (:class:`MailError`, exit 2); what was saved before
is complete (file, then log row, then state). A message that cannot be processed (its
body could not be fetched, or saving failed) is listed and tried again next run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

from pipeline.core.findings import ERROR, NOTICE, Finding, Findings
from pipeline.core.settings import Settings
from pipeline.infra.atomic import atomic_path
from pipeline.infra.hashing import file_hash
from pipeline.intake.arrivals import MAIL_DIR, Arrival, append_arrivals, load_arrivals, log_path
from pipeline.intake.filecheck import MB
from pipeline.intake.inbox import identify_by_name
from pipeline.intake.mail.message import Attachment, Letter, Limits, parse_message, parse_msg_file
from pipeline.intake.mail.names import name_was_changed, safe_attachment_name
from pipeline.intake.mail.sources import ImapSource, Incoming, arrival_order
from pipeline.intake.mail.state import FetchState
from pipeline.read.textnorm import safe_filename
from pipeline.rules.roster import Roster, address_index

INBOX = "returns"
# A message over this many times the attachment cap is not downloaded (base64 makes an
# attachment 4/3 larger; a few attachments each under the cap still fit).
MESSAGE_FACTOR = 4


@dataclass(frozen=True)
class Saved:
    """One workbook attachment and what became of it."""

    letter: Letter
    attachment: Attachment
    saved_as: str  # relative to inputs/returns/ ("" when not saved)
    duplicate_of: str = ""  # the file already holding the same bytes
    unit_code: str = ""


@dataclass
class FetchResult:
    messages: int = 0  # processed this run
    skipped: int = 0  # already fetched before
    saved: list[Saved] = field(default_factory=list)
    duplicates: list[Saved] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # messages to retry next run
    others: list[str] = field(default_factory=list)
    findings: Findings = field(default_factory=lambda: Findings(cap_per_rule=0))
    roster_has_emails: bool = False


def limits_of(settings: Settings) -> Limits:
    return Limits(max_attachment_bytes=settings.mail.max_attachment_mb * MB)


def _letter_label(letter: Letter) -> str:
    subject = f"“{letter.subject}”" if letter.subject else "（无主题）"
    return f"{letter.who} 的邮件{subject}"


class Intake:
    """Saves messages' workbooks into ``returns_dir/邮件/``; one per fetch run."""

    def __init__(self, returns_dir: Path, settings: Settings, roster: Roster | None) -> None:
        self.returns = returns_dir
        self.settings = settings
        self.roster = roster
        self.limits = limits_of(settings)
        self.state = FetchState.load(returns_dir)
        self.emails = roster.with_addresses(settings.mail.addresses) if roster is not None else {}
        self.by_address = address_index(self.emails)
        self.result = FetchResult(roster_has_emails=bool(self.emails))
        # sha256 -> saved_as of every file the log knows (and this run saved)
        self.known: dict[str, str] = {sha: a.saved_as for sha, a in load_arrivals(returns_dir).items()}

    # -- one message ------------------------------------------------------------------

    def process(self, item: Incoming, raw: bytes | None, box: str = "", uidvalidity: int = 0) -> None:
        if item.path is not None and item.path.suffix.lower() == ".msg":
            letter = parse_msg_file(item.path, self.limits)
        else:
            letter = parse_message(raw or b"", self.limits, received=item.received)
        if letter.received is None:
            mtime = item.path.stat().st_mtime if item.path else dt.datetime.now(dt.UTC).timestamp()
            letter.received = dt.datetime.fromtimestamp(mtime, dt.UTC)
        key = item.key(letter.message_id, raw)
        if self.state.is_done(key):  # the same message seen through another path
            self.result.skipped += 1
            self.state.mark(key, box, uidvalidity, item.uid)
            return
        self.result.messages += 1
        label = _letter_label(letter)
        file_label = item.source
        unit = self._sender_unit(letter, file_label)
        for p in letter.problems:
            self.result.findings.add(
                Finding(
                    p.severity,
                    p.rule,
                    f"{label}：{p.message}",
                    file=file_label,
                    **unit_fields(self.roster, unit),
                )
            )
        self.result.others += [f"{label}：{o}" for o in letter.others]
        for o in letter.others:
            self.result.findings.add(
                Finding(
                    NOTICE,
                    "F135",
                    f"{label}中的附件 {o} 不是 Excel 填报表，未保存。如有需要请办公室在邮箱中查看。",
                    file=file_label,
                    **unit_fields(self.roster, unit),
                )
            )
        rows: list[Arrival] = []
        for att in letter.workbooks:
            rows += self._save(letter, att, item, unit)
        append_arrivals(self.returns, rows)  # after every file of the message is in place
        self.state.mark(key, box, uidvalidity, item.uid)

    def _sender_unit(self, letter: Letter, where: str) -> str:
        if self.roster is None or not self.result.roster_has_emails:
            return ""
        code = self.by_address.get(letter.sender, "") if letter.sender else ""
        if not code:
            self.result.findings.add(
                Finding(
                    NOTICE,
                    "F137",
                    f"发件人 {letter.who} 不是花名册中任何单位的邮箱（邮件“{letter.subject}”）。"
                    "如确是某单位报送，请在花名册的“单位邮箱”列（或 campaign.toml [mail.addresses]）补上这个地址；不是报送的邮件可不理会。",
                    file=where,
                )
            )
        return code

    def _save(self, letter: Letter, att: Attachment, item: Incoming, unit: str) -> list[Arrival]:
        sha = hashlib.sha256(att.data).hexdigest()
        label = _letter_label(letter)
        fields = unit_fields(self.roster, unit)
        if sha in self.known:
            dup = Saved(letter, att, "", self.known[sha], unit)
            self.result.duplicates.append(dup)
            self.result.findings.add(
                Finding(
                    NOTICE,
                    "F136",
                    f"{label}中的附件{att.shown}与已保存的“{self.known[sha]}”完全相同，未重复保存。",
                    file=item.source,
                    **fields,
                )
            )
            return []
        name = safe_attachment_name(att.name, fallback="附件")
        if name_was_changed(att.name, name):
            self.result.findings.add(
                Finding(
                    NOTICE,
                    "F134",
                    f"{label}中的附件名“{att.name}”含有不能用作文件名的字符或过长，已保存为“{name}”。",
                    file=item.source,
                    **fields,
                )
            )
        if unit and self.roster is not None and not identify_by_name(name, self.roster):
            unit_name = self.roster.unit_name(unit)
            name = f"{safe_filename(unit, 20)}_{safe_filename(unit_name)}_{name}"
            self.result.findings.add(
                Finding(
                    NOTICE,
                    "F140",
                    f"附件“{att.name}”的文件名看不出是哪个单位的，按发件邮箱 {letter.sender} 认定为“{unit_name}”，"
                    f"保存为“{name}”。",
                    file=item.source,
                    **fields,
                )
            )
        assert letter.received is not None
        day = letter.received.astimezone().strftime("%Y-%m-%d")
        target = self._free_path(self.returns / MAIL_DIR / day, name, sha)
        if not target.exists():
            with atomic_path(target) as tmp:
                tmp.write_bytes(att.data)
                ts = letter.received.timestamp()
                os.utime(tmp, (ts, ts))  # the version's time is the message's received time
        rel = target.relative_to(self.returns).as_posix()
        self.known[sha] = rel
        self.result.saved.append(Saved(letter, att, rel, "", unit))
        return [
            Arrival(
                sha256=sha,
                received=letter.received,
                message_id=letter.message_id,
                sender=letter.sender,
                date=letter.date,
                subject=letter.subject,
                attachment=f"{att.via}/{att.name}" if att.via else att.name,
                saved_as=rel,
                source=item.source,
            )
        ]

    @staticmethod
    def _free_path(folder: Path, name: str, sha: str) -> Path:
        """``folder/name``, or ``name（2）`` … when another file has the name; an existing
        file with the same bytes (a run stopped before its log row) is reused."""
        stem, dot, suffix = name.rpartition(".")
        if not dot:
            stem, suffix = name, ""
        for n in range(1, 1000):
            cand = folder / (name if n == 1 else f"{stem}（{n}）{'.' + suffix if suffix else ''}")
            if not cand.exists() or (cand.is_file() and file_hash(cand) == sha):
                return cand
        raise OSError(f"too many files named {name} in {folder}")

    # -- whole runs -------------------------------------------------------------------

    def _too_big(self, item: Incoming, source: ImapSource) -> None:
        """A message far over the attachment cap is not downloaded at all."""
        self.result.messages += 1
        self.result.findings.add(
            Finding(
                ERROR,
                "F132",
                f"邮件 {item.source}（{item.size / MB:.0f} MB）远超附件上限 {self.limits.max_attachment_bytes / MB:g} MB"
                "（campaign.toml [mail] max_attachment_mb），未下载。请在邮箱中查看，必要时手工保存附件。",
                file=item.source,
            )
        )
        self.state.mark(item.key(), source.box, source.uidvalidity, item.uid)

    def failed(self, item: Incoming, why: str) -> None:
        self.result.failed.append(item.source)
        self.result.findings.add(
            Finding(
                ERROR,
                "F139",
                f"邮件 {item.source} 暂时无法处理（{why}），下次收信时会再试。",
                file=item.source,
            )
        )

    def from_items(self, items: Iterable[Incoming]) -> FetchResult:
        for item in arrival_order(list(items)):
            if item.raw is not None and self.state.is_done(item.key()):
                self.result.skipped += 1
                continue
            self._guarded(item, item.raw)
        return self.result

    def _guarded(self, item: Incoming, raw: bytes | None, box: str = "", uidvalidity: int = 0) -> None:
        try:
            self.process(item, raw, box, uidvalidity)
        except OSError as exc:  # the disk, not the message: tried again next run
            self.failed(item, f"保存失败：{exc.strerror or exc}")

    def from_imap(self, source: ImapSource) -> FetchResult:
        done = self.state.uids_done(source.box, source.uidvalidity)
        for item in arrival_order(source.pending(done)):
            if item.message_id and self.state.is_done(item.key()):
                self.result.skipped += 1
                self.state.mark(item.key(), source.box, source.uidvalidity, item.uid)
                continue
            if item.size > MESSAGE_FACTOR * self.limits.max_attachment_bytes:
                self._too_big(item, source)
                continue
            raw = source.body(item)
            if raw is None:
                self.failed(item, "服务器没有返回邮件内容")
                continue
            self._guarded(item, raw, source.box, source.uidvalidity)
        return self.result


class UnitFields(TypedDict, total=False):
    unit_code: str
    unit_name: str


def unit_fields(roster: Roster | None, code: str) -> UnitFields:
    if not code or roster is None:
        return {}
    return {"unit_code": code, "unit_name": roster.unit_name(code)}


def summary_lines(r: FetchResult, returns_dir: Path) -> list[str]:
    lines = [
        f"收信完成：处理新邮件 {r.messages} 封（之前已收过、跳过 {r.skipped} 封），"
        f"保存 Excel 填报表 {len(r.saved)} 个，重复发送未再保存 {len(r.duplicates)} 个。"
    ]
    for s in r.saved:
        when = s.letter.received.astimezone() if s.letter.received else None
        lines.append(f"  已保存：{s.saved_as}（{s.letter.who}，{when:%Y-%m-%d %H:%M} 收到）")
    for s in r.duplicates:
        lines.append(f"  重复发送：{s.attachment.shown}（{s.letter.who}）与已保存的“{s.duplicate_of}”相同")
    if r.others:
        lines.append(f"  非填报表附件 {len(r.others)} 个（未保存）：")
        lines += [f"    {o}" for o in r.others]
    if r.failed:
        lines.append(f"  暂时无法处理、下次收信再试的邮件 {len(r.failed)} 封：{'、'.join(r.failed)}")
    problems = [f for f in r.findings if f.rule not in ("F135", "F136")]
    if problems:
        lines.append(f"  需要注意的问题 {len(problems)} 条：")
        lines += [f"    {f.one_line()}" for f in problems]
    if not r.roster_has_emails:
        lines.append(
            "  花名册没有“单位邮箱”列（campaign.toml 也没有 [mail.addresses]），未按发件邮箱核对单位。"
        )
    lines.append(f"到达记录：{log_path(returns_dir)}。接下来运行 make consolidate 汇总。")
    return lines
