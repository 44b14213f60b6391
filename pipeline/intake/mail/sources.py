"""Where messages come from: the office mailbox over IMAP, or a folder of exports.

IMAP is used read-only: the folder is opened with EXAMINE (``select(readonly=True)``)
and bodies are fetched with ``BODY.PEEK[]``, so the server sets no flag (not even
\\Seen); nothing is ever stored, copied, moved, expunged or deleted. Every socket has
the timeout of ``[mail] timeout_seconds``. Every fault (wrong password, server down,
TLS failure, timeout, protocol error) becomes one Chinese :class:`MailError` line.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import email.parser
import email.policy
import email.utils
import hashlib
import imaplib
import mailbox
import re
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.errors import MailError
from pipeline.core.settings import MailSettings

MESSAGE_SUFFIXES = (".eml", ".mbox", ".msg")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Incoming:
    """One message to process: its bytes (or an Outlook file), where it came from and
    the keys that mark it done."""

    source: str  # arrival-log "source": imap:<folder>:<uidvalidity>:<uid> | file:<path>[#n]
    raw: bytes | None = None  # RFC 5322 bytes (None for an Outlook .msg: see path)
    path: Path | None = None
    received: dt.datetime | None = None  # IMAP INTERNALDATE (UTC)
    message_id: str = ""
    uid: int = 0
    size: int = 0  # RFC822.SIZE as the server reports it (0: unknown)

    def key(self, message_id: str = "", raw: bytes | None = None) -> str:
        """``mid:<Message-ID>``, else ``sha:<SHA-256 of the message>`` ("" when neither
        is known yet: an IMAP message without Message-ID before its body is fetched)."""
        mid = (message_id or self.message_id).strip()
        if mid:
            return f"mid:{mid}"
        data = raw if raw is not None else self.raw
        if data is None and self.path is not None:
            data = self.path.read_bytes()
        return f"sha:{hashlib.sha256(data).hexdigest()}" if data is not None else ""


def _fault(exc: BaseException, what: str) -> MailError:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return MailError(
            f"{what}的安全证书验证失败（{exc.verify_message}）。请核对服务器地址；若学校用自建证书，请联系网络管理员。"
        )
    if isinstance(exc, ssl.SSLError):
        return MailError(
            f"与{what}建立加密连接失败（{exc.reason or exc}）。请核对 campaign.toml [mail] 的端口和加密方式（ssl 用 993/465，starttls 用 143/587）。"
        )
    if isinstance(exc, TimeoutError | socket.timeout):
        return MailError(
            f"连接{what}超时。请检查网络，或在 campaign.toml [mail] 中调大 timeout_seconds 后重试。"
        )
    if isinstance(exc, socket.gaierror):
        return MailError(f"找不到{what}（地址无法解析）。请核对 campaign.toml [mail] 的服务器地址和网络。")
    if isinstance(exc, ConnectionRefusedError):
        return MailError(f"{what}拒绝连接（服务器没有开启或端口不对）。请核对服务器地址和端口，稍后再试。")
    if isinstance(exc, OSError):
        return MailError(f"无法连接{what}（{exc.strerror or exc}）。请检查网络后重试。")
    return MailError(f"{what}返回了意外的应答（{exc}）。请稍后重试；仍不行请联系维护人员。")


def imap_utf7(folder: str) -> str:
    """A folder name in IMAP's modified UTF-7 (RFC 3501 5.1.3): 报送 -> &YqVRAQ-."""
    out: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            raw = "".join(buf).encode("utf-16-be")
            out.append("&" + base64.b64encode(raw).decode("ascii").rstrip("=").replace("/", ",") + "-")
            buf.clear()

    for ch in folder:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            buf.append(ch)
    flush()
    return "".join(out)


def _quote(folder: str) -> str:
    name = imap_utf7(folder)
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def require_server(ms: MailSettings) -> None:
    if not ms.host or not ms.user:
        raise MailError(
            "没有配置收信服务器：请在 campaign.toml 的 [mail] 中填写 host 和 user；"
            "网页邮箱可先导出邮件，再用 make fetch-mail FROM=文件夹。"
        )


class ImapSource:
    """A read-only session on one IMAP folder."""

    def __init__(self, ms: MailSettings, password: str) -> None:
        require_server(ms)
        self.ms = ms
        self.password = password
        self.what = f"收信服务器 {ms.host}:{ms.port}"
        self.box = f"{ms.user}@{ms.host}/{ms.folder}"
        self.conn: imaplib.IMAP4 | None = None
        self.uidvalidity = 0

    def __enter__(self) -> ImapSource:
        ms = self.ms
        try:
            if ms.security == "ssl":
                conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    ms.host, ms.port, ssl_context=ssl.create_default_context(), timeout=ms.timeout_seconds
                )
            else:
                conn = imaplib.IMAP4(ms.host, ms.port, timeout=ms.timeout_seconds)
                if ms.security == "starttls":
                    conn.starttls(ssl.create_default_context())
        except (OSError, imaplib.IMAP4.error) as exc:
            raise _fault(exc, self.what) from None
        self.conn = conn
        try:
            try:
                conn.login(ms.user, self.password)
            except imaplib.IMAP4.error:
                raise MailError(
                    f"邮箱 {ms.user} 登录失败：用户名或密码（授权码）不正确。QQ、163 等邮箱要用“授权码”，"
                    "请在网页邮箱的设置中开启 IMAP 并生成授权码，再设置到 PLEDGE_MAIL_PASSWORD。"
                ) from None
            typ, _data = conn.select(_quote(ms.folder), readonly=True)
            if typ != "OK":
                raise MailError(
                    f"邮箱中没有文件夹“{ms.folder}”。请核对 campaign.toml [mail] folder（收件箱一般为 INBOX）。"
                )
            got = conn.response("UIDVALIDITY")[1]
            self.uidvalidity = int(got[0]) if got and got[0] else 0
        except MailError:
            self.close()
            raise
        except (OSError, imaplib.IMAP4.error, ValueError) as exc:
            self.close()
            raise _fault(exc, self.what) from None
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.logout()  # no CLOSE: it would expunge on a read-write select
            self.conn = None

    def _uid(self, *args: str) -> list[object]:
        assert self.conn is not None
        try:
            typ, data = self.conn.uid(*args)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise _fault(exc, self.what) from None
        if typ != "OK":
            raise MailError(f"{self.what}拒绝了读取请求（{args[0]}：{data!r}）。请稍后重试。")
        return list(data)

    def pending(self, done_uids: set[int]) -> list[Incoming]:
        """Messages since ``[mail] since`` whose UID is not done, with their Message-ID
        and INTERNALDATE (headers only; bodies are fetched one at a time)."""
        since = self.ms.since or dt.date(1970, 1, 1)
        crit = f"{since.day}-{_MONTHS[since.month - 1]}-{since.year}"
        found = self._uid("SEARCH", "SINCE", crit)
        uids = [int(u) for u in b" ".join(x for x in found if isinstance(x, bytes)).split()]
        todo = [u for u in sorted(uids) if u not in done_uids]
        out: list[Incoming] = []
        for i in range(0, len(todo), 200):
            chunk = ",".join(str(u) for u in todo[i : i + 200])
            data = self._uid(
                "FETCH", chunk, "(UID INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])"
            )
            for item in data:
                if not isinstance(item, tuple):
                    continue
                head, body = item[0], item[1]
                m = re.search(rb"UID (\d+)", head)
                if not m:
                    continue
                uid = int(m.group(1))
                z = re.search(rb"RFC822\.SIZE (\d+)", head)
                when = imaplib.Internaldate2tuple(head)
                received = (
                    dt.datetime(
                        *when[:6], tzinfo=dt.timezone(dt.timedelta(seconds=when.tm_gmtoff or 0))
                    ).astimezone(dt.UTC)
                    if when
                    else None
                )
                mid = email.message_from_bytes(body or b"").get("Message-ID", "") or ""
                out.append(
                    Incoming(
                        f"imap:{self.ms.folder}:{self.uidvalidity}:{uid}",
                        received=received,
                        message_id=str(mid).strip(),
                        uid=uid,
                        size=int(z.group(1)) if z else 0,
                    )
                )
        return sorted(out, key=lambda x: x.uid)

    def body(self, item: Incoming) -> bytes | None:
        """The whole message (``BODY.PEEK[]``: no \\Seen flag); None when the server
        returns nothing for it (deleted meanwhile, or a server fault on this message)."""
        for part in self._uid("FETCH", str(item.uid), "(BODY.PEEK[])"):
            if isinstance(part, tuple) and isinstance(part[1], bytes):
                return part[1]
        return None


def folder_messages(folder: Path) -> Iterator[Incoming]:
    """Every exported message under ``folder``: ``.eml`` files, each message of an
    ``.mbox`` file, Outlook ``.msg`` files; in a stable order."""
    if not folder.is_dir():
        raise MailError(
            f"找不到文件夹 {folder}。请把导出的邮件（.eml、.mbox、.msg）放进一个文件夹，再用 FROM=该文件夹。"
        )
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        suffix = path.suffix.lower()
        rel = path.relative_to(folder).as_posix()
        if suffix == ".eml":
            raw = path.read_bytes()
            yield Incoming(f"file:{rel}", raw=raw, path=path, received=_header_time(raw))
        elif suffix == ".msg":
            yield Incoming(f"file:{rel}", path=path)
        elif suffix == ".mbox":
            box = mailbox.mbox(path, create=False)
            try:
                for n, key in enumerate(box.keys(), 1):
                    raw = box.get_bytes(key)
                    yield Incoming(f"file:{rel}#{n}", raw=raw, path=path, received=_header_time(raw))
            finally:
                box.close()


def _header_time(raw: bytes) -> dt.datetime | None:
    from pipeline.intake.mail.message import received_time

    return received_time(email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw))


def arrival_order(items: list[Incoming]) -> list[Incoming]:
    """Oldest first (received time, then source): the first arrival of the same bytes is
    the one kept, whatever order the export or the server lists messages in."""
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(items, key=lambda i: (i.received or far, i.source))
