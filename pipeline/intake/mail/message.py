"""One e-mail message -> its workbook attachments, other attachments and problems.

Pure: bytes (or an Outlook ``.msg`` file) in, a :class:`Letter` out; nothing is saved
here (:mod:`pipeline.jobs.fetch_mail` does that). The walk follows what clients send:

- multipart/mixed, /related (Outlook's inline images), /alternative, /signed;
- forwarded messages: a ``message/rfc822`` part, or an attached ``.eml`` file;
- workbooks inside ``.zip`` attachments, names in GBK when the zip does not say UTF-8,
  with the size and bomb limits of :mod:`pipeline.intake.filecheck` (``Caps``);
- inline images (a Content-ID or ``inline`` disposition), signatures (S/MIME, PGP,
  vCard) and the text bodies are ignored; any other attachment is listed.
"""

from __future__ import annotations

import datetime as dt
import email
import email.errors
import email.policy
import email.utils
import io
import zipfile
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path

from pipeline.core.findings import ERROR, NOTICE
from pipeline.intake.filecheck import MB, Caps
from pipeline.intake.mail.names import (
    attachment_name,
    base_name,
    decode_bytes,
    decode_header_text,
    is_workbook_name,
)

WORKBOOK_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.ms-excel.sheet.macroenabled.12": ".xlsm",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/x-excel": ".xls",
    "application/kset": ".et",  # WPS 表格
}
ZIP_TYPES = {"application/zip", "application/x-zip-compressed", "application/x-zip"}
SIGNATURE_TYPES = {
    "application/pkcs7-signature",
    "application/x-pkcs7-signature",
    "application/pgp-signature",
    "application/pgp-keys",
    "text/vcard",
    "text/x-vcard",
    "text/directory",
}
SIGNATURE_SUFFIXES = (".p7s", ".asc", ".sig", ".vcf")
_STRUCTURE_DEFECTS = (
    email.errors.NoBoundaryInMultipartDefect,
    email.errors.StartBoundaryNotFoundDefect,
    email.errors.CloseBoundaryNotFoundDefect,
    email.errors.MultipartInvariantViolationDefect,
    email.errors.MissingHeaderBodySeparatorDefect,
)
_PAYLOAD_DEFECTS = (
    email.errors.InvalidBase64CharactersDefect,
    email.errors.InvalidBase64LengthDefect,
    email.errors.InvalidBase64PaddingDefect,
)
VAGUE_SUFFIXES = ("", ".bin", ".dat", ".tmp", ".att")
MAX_DEPTH = 8  # forwarded inside forwarded inside ...


@dataclass(frozen=True)
class Limits:
    max_attachment_bytes: int = 20 * MB
    caps: Caps = field(default_factory=Caps)


@dataclass(frozen=True)
class Attachment:
    name: str  # as the sender's client wrote it, decoded
    data: bytes
    via: str = ""  # "" | "转发的邮件" | "压缩包“x.zip”"

    @property
    def shown(self) -> str:
        return f"{self.via}中的“{self.name}”" if self.via else f"“{self.name}”"


@dataclass(frozen=True)
class Problem:
    rule: str
    severity: str
    message: str
    attachment: str = ""


@dataclass
class Letter:
    message_id: str = ""
    sender: str = ""  # address, lower case
    sender_name: str = ""
    date: str = ""  # the Date header as sent
    subject: str = ""
    received: dt.datetime | None = None  # UTC
    workbooks: list[Attachment] = field(default_factory=list)
    others: list[str] = field(default_factory=list)  # non-workbook attachments, described
    problems: list[Problem] = field(default_factory=list)

    @property
    def who(self) -> str:
        if self.sender_name and self.sender:
            return f"{self.sender_name} <{self.sender}>"
        return self.sender or self.sender_name or "（发件人不明）"

    def problem(self, rule: str, severity: str, message: str, attachment: str = "") -> None:
        self.problems.append(Problem(rule, severity, message, attachment))


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def parse_date(text: str) -> dt.datetime | None:
    try:
        got = email.utils.parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return _utc(got) if got else None


def received_time(msg: Message) -> dt.datetime | None:
    """When the message reached the mailbox: the newest ``Received:`` header's date (the
    receiving server's own clock), else the ``Date`` header (the sender's clock)."""
    for value in msg.get_all("Received") or []:
        text = decode_header_text(value)
        if ";" in text:
            got = parse_date(text.rsplit(";", 1)[1])
            if got:
                return got
        break  # only the topmost (last added) header is the receiving server's
    return parse_date(decode_header_text(msg.get("Date", "")))


def _address(value: str) -> tuple[str, str]:
    name, addr = email.utils.parseaddr(value)
    return name.strip().strip('"'), addr.strip().lower()


def parse_message(raw: bytes, limits: Limits = Limits(), received: dt.datetime | None = None) -> Letter:
    """Parse one message (RFC 5322 bytes). Never raises on bad input: what cannot be read
    becomes a :class:`Problem` (F130 malformed, F131 no workbook, F132 too big, ...)."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    name, addr = _address(decode_header_text(msg.get("From", "")))
    letter = Letter(
        message_id=decode_header_text(msg.get("Message-ID", "")).strip(),
        sender=addr,
        sender_name=name,
        date=decode_header_text(msg.get("Date", "")),
        subject=decode_header_text(msg.get("Subject", "")),
        received=_utc(received) if received else received_time(msg),
    )
    if not msg.keys() or (not msg.get("From") and not msg.get("Message-ID") and not msg.get("Date")):
        letter.problem(
            "F130",
            ERROR,
            "这不是一封能读取的邮件（没有发件人、日期等邮件头），已跳过。请让发件单位重新发送。",
        )
        return letter
    _walk(msg, letter, limits, via="", depth=0)
    if any(isinstance(d, _STRUCTURE_DEFECTS) for d in _all_defects(msg)):
        letter.problem(
            "F130",
            ERROR if not letter.workbooks else NOTICE,
            "邮件格式有损坏（附件分隔标记缺失或不完整），可能有附件没能取出。"
            + ("已取出能读取的附件；" if letter.workbooks else "")
            + "请核对，必要时让发件单位重新发送。",
        )
    _finish(letter)
    return letter


def _finish(letter: Letter) -> None:
    if not letter.workbooks and not any(p.severity == ERROR for p in letter.problems):
        listed = f"（附件：{'、'.join(letter.others)}）" if letter.others else "（没有附件）"
        letter.problem(
            "F131",
            NOTICE,
            f"邮件中没有 Excel 填报表{listed}。如果是报送承诺表，请让发件单位把 Excel 文件作为附件重新发送。",
        )


def _all_defects(msg: Message) -> list[object]:
    out: list[object] = []
    for part in msg.walk():
        out += list(getattr(part, "defects", []))
    return out


def _walk(part: Message, letter: Letter, limits: Limits, via: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        letter.problem("F130", NOTICE, "转发层数过多，更深层的附件未取出。请让发件单位直接发送附件。")
        return
    ctype = part.get_content_type()
    if ctype == "message/rfc822" or (part.is_multipart() and ctype.startswith("message/")):
        for inner in part.get_payload() if isinstance(part.get_payload(), list) else []:
            if isinstance(inner, Message):
                _walk(inner, letter, limits, "转发的邮件", depth + 1)
        return
    if part.is_multipart():
        for sub in part.get_payload():
            if isinstance(sub, Message):
                _walk(sub, letter, limits, via, depth + 1)
        return
    name = attachment_name(part)
    disposition = decode_header_text(part.get("Content-Disposition")).split(";")[0].strip().lower()
    lower = name.lower()
    if ctype in SIGNATURE_TYPES or lower.endswith(SIGNATURE_SUFFIXES):
        return  # signatures and business cards
    if ctype.startswith("image/") and (disposition == "inline" or part.get("Content-ID") or not name):
        return  # pictures in the body (Outlook's image001.png, signature logos)
    if not name:
        if ctype.startswith("text/") or ctype.startswith("multipart/"):
            return  # the message body
        guess = WORKBOOK_TYPES.get(ctype)
        if guess:
            name = f"附件{guess}"
            lower = name.lower()
        elif disposition != "attachment":
            return
    encoded = part.get_payload()
    approx = len(encoded) * 3 // 4 if isinstance(encoded, str) else 0
    shown = f"{via}中的“{name}”" if via else f"“{name}”"
    if approx > limits.max_attachment_bytes * 1.05 + 4096:
        _too_big(letter, shown, approx, limits)
        return
    data = part.get_payload(decode=True)
    data = data if isinstance(data, bytes) else b""
    if len(data) > limits.max_attachment_bytes:
        _too_big(letter, shown, len(data), limits)
        return
    # The name's suffix decides; the declared type only for names without a telling one.
    is_workbook = is_workbook_name(name) or (ctype in WORKBOOK_TYPES and Path(lower).suffix in VAGUE_SUFFIXES)
    if is_workbook and any(isinstance(d, _PAYLOAD_DEFECTS) for d in getattr(part, "defects", [])):
        letter.problem(
            "F130",
            ERROR,
            f"附件{shown}编码损坏（不完整），未保存。请让发件单位重新发送。",
            name,
        )
        return
    if is_workbook:
        if not is_workbook_name(name):
            name = f"{name}{WORKBOOK_TYPES[ctype]}"
        letter.workbooks.append(Attachment(name, data, via))
    elif lower.endswith(".zip") or ctype in ZIP_TYPES:
        _unzip(data, name, letter, limits, via)
    elif lower.endswith(".eml") or ctype == "message/rfc822":
        inner = email.message_from_bytes(data, policy=email.policy.compat32)
        _walk(inner, letter, limits, "转发的邮件", depth + 1)
    else:
        letter.others.append(shown.strip("“”") if not via else shown)


def _too_big(letter: Letter, shown: str, size: int, limits: Limits) -> None:
    letter.problem(
        "F132",
        ERROR,
        f"附件{shown}约 {size / MB:.1f} MB，超过上限 {limits.max_attachment_bytes / MB:g} MB"
        "（campaign.toml [mail] max_attachment_mb），未保存。"
        "请让发件单位删去表中的图片后重新发送，或由办公室手工保存。",
        shown,
    )


def zip_member_name(info: zipfile.ZipInfo) -> str:
    """A member's name: UTF-8 when the zip's flag says so, else the raw bytes decoded as
    UTF-8/GBK/Big5 (Windows' built-in zip and WinRAR write GBK on Chinese systems)."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    return decode_bytes(raw)


def _unzip(data: bytes, zip_name: str, letter: Letter, limits: Limits, via: str) -> None:
    caps = limits.caps
    where = f"压缩包“{zip_name}”"
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        letter.problem(
            "F138",
            ERROR,
            f"{where}无法打开（{type(exc).__name__}），请让发件单位解压后直接发送 Excel 文件。",
            zip_name,
        )
        return
    if len(infos) > caps.max_members:
        letter.problem(
            "F133",
            ERROR,
            f"{where}内有 {len(infos)} 个文件，超过上限 {caps.max_members} 个，疑似恶意文件，未解压。",
            zip_name,
        )
        return
    total = 0
    label = f"{via}中的{where}" if via else where
    for info in infos:
        if info.is_dir():
            continue
        name = zip_member_name(info)
        base = base_name(name)
        if not base or name.startswith("__MACOSX/") or base.startswith("._"):
            continue
        if not is_workbook_name(base):
            letter.others.append(f"{label}中的“{name}”")
            continue
        if info.flag_bits & 0x1:
            letter.problem(
                "F138",
                ERROR,
                f"{label}中的“{name}”设置了解压密码，无法取出。请让发件单位直接发送 Excel 文件。",
                name,
            )
            continue
        limit = min(limits.max_attachment_bytes, caps.max_member_bytes, caps.max_uncompressed_bytes - total)
        got = _bounded(zf, info, limit)
        if got is None:
            letter.problem(
                "F133",
                ERROR,
                f"{label}中的“{name}”解压后过大（超过 {limit / MB:.0f} MB），疑似压缩炸弹，未解压。"
                "请让发件单位直接发送 Excel 文件。",
                name,
            )
            continue
        if len(got) > MB and info.compress_size and len(got) / info.compress_size > caps.max_ratio:
            letter.problem(
                "F133",
                ERROR,
                f"{label}中的“{name}”压缩比异常（{len(got) / info.compress_size:.0f} 倍），疑似压缩炸弹，未解压。"
                "请让发件单位直接发送 Excel 文件。",
                name,
            )
            continue
        total += len(got)
        letter.workbooks.append(Attachment(base, got, label))


def _bounded(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes | None:
    """The member's bytes, or None when it inflates past ``limit`` (declared sizes are
    not trusted) or cannot be inflated."""
    out = io.BytesIO()
    try:
        with zf.open(info) as fh:
            while True:
                chunk = fh.read(256 * 1024)
                if not chunk:
                    break
                out.write(chunk)
                if out.tell() > limit:
                    return None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
        return None
    return out.getvalue()


# --------------------------------------------------------------------------- Outlook .msg


def parse_msg_file(path: Path, limits: Limits = Limits()) -> Letter:
    """An Outlook ``.msg`` export (read with extract-msg); embedded messages (forwarded
    as attachments) are walked like ``message/rfc822`` parts."""
    import extract_msg

    try:
        msg = extract_msg.openMsg(str(path), delayAttachments=False)
    except Exception as exc:  # extract-msg raises many kinds on a broken file
        letter = Letter()
        letter.problem(
            "F130",
            ERROR,
            f"Outlook 邮件文件无法读取（{type(exc).__name__}），已跳过。请在 Outlook 中重新“另存为”.msg 或 .eml。",
        )
        return letter
    try:
        letter = _letter_from_msg(msg)
        _msg_attachments(msg, letter, limits, via="", depth=0)
        _finish(letter)
        return letter
    finally:
        msg.close()


def _letter_from_msg(msg: object) -> Letter:
    sender = str(getattr(msg, "sender", "") or "")
    name, addr = _address(sender)
    header = getattr(msg, "header", None)
    received = None
    if header is not None and header.get("Received"):
        received = received_time(header)
    got = getattr(msg, "receivedTime", None) or getattr(msg, "date", None)
    if received is None and isinstance(got, dt.datetime):
        received = _utc(got)
    date_text = header.get("Date", "") if header is not None else ""
    if not date_text and isinstance(getattr(msg, "date", None), dt.datetime):
        date_text = email.utils.format_datetime(_utc(msg.date))  # type: ignore[attr-defined]
    return Letter(
        message_id=str(getattr(msg, "messageId", "") or "").strip(),
        sender=addr,
        sender_name=name,
        date=str(date_text),
        subject=str(getattr(msg, "subject", "") or ""),
        received=received,
    )


def _msg_attachments(msg: object, letter: Letter, limits: Limits, via: str, depth: int) -> None:
    import extract_msg

    for att in getattr(msg, "attachments", []):
        data = getattr(att, "data", None)
        if isinstance(data, extract_msg.msg_classes.MessageBase):
            if depth < MAX_DEPTH:
                _msg_attachments(data, letter, limits, "转发的邮件", depth + 1)
            continue
        if getattr(att, "hidden", False) or (
            getattr(att, "cid", None) and not is_workbook_name(_att_name(att))
        ):
            continue  # inline pictures
        name = _att_name(att)
        if not isinstance(data, bytes) or not name:
            continue
        shown = f"{via}中的“{name}”" if via else f"“{name}”"
        lower = name.lower()
        if lower.endswith(SIGNATURE_SUFFIXES):
            continue
        if len(data) > limits.max_attachment_bytes:
            _too_big(letter, shown, len(data), limits)
        elif is_workbook_name(name):
            letter.workbooks.append(Attachment(name, data, via))
        elif lower.endswith(".zip"):
            _unzip(data, name, letter, limits, via)
        elif lower.endswith(".eml"):
            _walk(
                email.message_from_bytes(data, policy=email.policy.compat32),
                letter,
                limits,
                "转发的邮件",
                depth + 1,
            )
        else:
            letter.others.append(shown.strip("“”") if not via else shown)


def _att_name(att: object) -> str:
    for key in ("longFilename", "shortFilename", "displayName"):
        v = getattr(att, key, None)
        if isinstance(v, str) and v.strip("\x00 "):
            return v.strip("\x00 ")  # some writers keep the string's terminator
    return ""
