"""Feedback e-mail: the message a unit receives, as a draft (.eml) or over SMTP.

Headers are written by hand, the way mail clients expect them: subject and names as
RFC 2047 encoded words (UTF-8, base64, folded), the attachment's Chinese file name both
as RFC 2231 ``filename*`` (the standard; Outlook, Foxmail, QQ Mail, NetEase read it) and
as an RFC 2047 ``name`` (what older clients read). The standard library's own refolding
is not used: it mangles long MIME types next to non-ASCII parameters.

:class:`SmtpSender` sends over SMTP (SSL, STARTTLS, or plain for a server on the LAN),
with the timeout of the settings on every socket; every fault is one Chinese
:class:`MailError` line.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import email.header
import email.utils
import smtplib
import socket
import ssl
import textwrap
import urllib.parse
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.core.errors import MailError
from pipeline.core.settings import MailSettings

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CRLF = "\r\n"


def encoded_words(text: str) -> str:
    """Header text: ASCII as is, anything else as folded RFC 2047 UTF-8 words."""
    if text.isascii():
        return text
    return email.header.Header(text, "utf-8", maxlinelen=76).encode(linesep=CRLF)


def address(name: str, addr: str) -> str:
    return (
        f'"{encoded_words(name)}" <{addr}>'
        if name and not name.isascii()
        else email.utils.formataddr((name, addr))
    )


def rfc2231_filename(name: str, chunk: int = 60) -> str:
    """``filename*0*=utf-8''…;`` continuations, each line short, %XX never split."""
    quoted = urllib.parse.quote(name.encode("utf-8"), safe="")
    if len(quoted) <= chunk:
        return f"filename*=utf-8''{quoted}"
    pieces, rest = [], quoted
    while rest:
        cut = min(chunk, len(rest))
        while cut < len(rest) and "%" in rest[cut - 2 : cut]:
            cut -= 1
        pieces.append(rest[:cut])
        rest = rest[cut:]
    return (";" + CRLF + " ").join(
        f"filename*{i}*=utf-8''{p}" if i == 0 else f"filename*{i}*={p}" for i, p in enumerate(pieces)
    )


def _b64_lines(data: bytes) -> str:
    return CRLF.join(textwrap.wrap(base64.b64encode(data).decode("ascii"), 76))


@dataclass(frozen=True)
class Outgoing:
    """One feedback message, ready to write as a draft or send."""

    unit_code: str
    unit_name: str
    sender: str  # From address
    sender_name: str
    to: list[str]
    subject: str
    body: str
    attachments: list[tuple[str, bytes]]  # (Chinese file name, bytes)
    date: dt.datetime
    message_id: str

    def as_bytes(self, draft: bool = False) -> bytes:
        boundary = f"=_pledge_{uuid.uuid5(uuid.NAMESPACE_URL, self.message_id).hex}"
        head = [f"From: {address(self.sender_name, self.sender)}"] if self.sender else []
        head += [
            f"To: {', '.join(self.to)}" if self.to else "To: ",
            f"Subject: {encoded_words(self.subject)}",
            f"Date: {email.utils.format_datetime(self.date)}",
            f"Message-ID: {self.message_id}",
            "MIME-Version: 1.0",
            "X-Mailer: pledge-pipeline",
        ]
        if draft:
            head.append("X-Unsent: 1")  # Outlook opens it as a draft ready to send
        head.append(f'Content-Type: multipart/mixed; boundary="{boundary}"')
        parts = [
            CRLF.join(
                [
                    'Content-Type: text/plain; charset="utf-8"',
                    "Content-Transfer-Encoding: base64",
                    "",
                    _b64_lines(self.body.replace("\n", CRLF).encode("utf-8")),
                ]
            )
        ]
        for name, data in self.attachments:
            parts.append(
                CRLF.join(
                    [
                        f'Content-Type: {XLSX_TYPE};{CRLF} name="{encoded_words(name)}"',
                        "Content-Transfer-Encoding: base64",
                        f"Content-Disposition: attachment;{CRLF} {rfc2231_filename(name)}",
                        "",
                        _b64_lines(data),
                    ]
                )
            )
        text = CRLF.join(head) + CRLF + CRLF + "This is a multi-part message in MIME format." + CRLF
        for p in parts:
            text += f"{CRLF}--{boundary}{CRLF}{p}{CRLF}"
        text += f"{CRLF}--{boundary}--{CRLF}"
        return text.encode("ascii")


def new_message_id(sender: str) -> str:
    domain = sender.rpartition("@")[2] or "localhost"
    return email.utils.make_msgid("pledge", domain=domain)


# --------------------------------------------------------------------------- SMTP


def _fault(exc: BaseException, what: str) -> MailError:
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return MailError(
            f"{what}登录失败：用户名或密码（授权码）不正确。QQ、163 等邮箱要用“授权码”，请核对后设置到 PLEDGE_MAIL_PASSWORD（或 PLEDGE_SMTP_PASSWORD）。"
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        return MailError(f"{what}的安全证书验证失败（{exc.verify_message}）。请核对服务器地址。")
    if isinstance(exc, ssl.SSLError):
        return MailError(
            f"与{what}建立加密连接失败（{exc.reason or exc}）。请核对 campaign.toml [mail] 的 smtp_port 和 smtp_security（ssl 用 465，starttls 用 587）。"
        )
    if isinstance(exc, TimeoutError | socket.timeout) or "timed out" in str(exc):  # smtplib wraps it
        return MailError(f"连接{what}超时。请检查网络，或调大 campaign.toml [mail] timeout_seconds 后重试。")
    if isinstance(exc, socket.gaierror):
        return MailError(f"找不到{what}（地址无法解析）。请核对 campaign.toml [mail] smtp_host 和网络。")
    if isinstance(exc, ConnectionRefusedError):
        return MailError(f"{what}拒绝连接（服务器没有开启或端口不对）。请核对 smtp_host 和 smtp_port。")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return MailError(
            f"{what}中途断开了连接。已发送的记入发送记录，其余下次运行 make send-feedback SEND=1 时再发。"
        )
    if isinstance(exc, smtplib.SMTPException | OSError):
        return MailError(f"{what}出错（{exc}）。已发送的记入发送记录，其余下次再发。")
    return MailError(f"{what}返回了意外的应答（{exc}）。")


class SmtpSender:
    """One SMTP session for a whole run."""

    def __init__(self, ms: MailSettings, password: str) -> None:
        if not ms.smtp_host:
            raise MailError(
                "没有配置发信服务器：请在 campaign.toml 的 [mail] 中填写 smtp_host（例如 smtp.qq.com），"
                "或不加 SEND=1，只生成邮件草稿后用邮件客户端发送。"
            )
        if not ms.from_address:
            raise MailError(
                '没有发件人地址：请在 campaign.toml 的 [mail] 中填写 from（或 user），例如 "hdb@example.edu.cn"。'
            )
        self.ms = ms
        self.password = password
        self.what = f"发信服务器 {ms.smtp_host}:{ms.smtp_port}"
        self.conn: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpSender:
        ms = self.ms
        try:
            if ms.smtp_security == "ssl":
                conn: smtplib.SMTP = smtplib.SMTP_SSL(
                    ms.smtp_host,
                    ms.smtp_port,
                    timeout=ms.timeout_seconds,
                    context=ssl.create_default_context(),
                )
            else:
                conn = smtplib.SMTP(ms.smtp_host, ms.smtp_port, timeout=ms.timeout_seconds)
                conn.ehlo()
                if ms.smtp_security == "starttls":
                    conn.starttls(context=ssl.create_default_context())
                    conn.ehlo()
            self.conn = conn
            if conn.has_extn("auth"):
                if not self.password:
                    raise MailError(
                        f"{self.what}要求登录，但没有找到密码。请设置环境变量 PLEDGE_MAIL_PASSWORD（或 PLEDGE_SMTP_PASSWORD）。"
                    )
                conn.login(ms.smtp_login, self.password)
        except MailError:
            self.close()
            raise
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise _fault(exc, self.what) from None
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.quit()
            self.conn = None

    def send(self, msg: Outgoing, to: Sequence[str]) -> dict[str, str]:
        """Send to ``to``; returns the refused recipients -> the server's reason. A fault
        of the connection raises :class:`MailError`."""
        assert self.conn is not None
        try:
            refused = self.conn.sendmail(msg.sender, list(to), msg.as_bytes())
        except smtplib.SMTPRecipientsRefused as exc:
            return {
                r: f"{code} {text.decode(errors='replace')}" for r, (code, text) in exc.recipients.items()
            }
        except smtplib.SMTPDataError as exc:
            err = exc.smtp_error
            text = err.decode(errors="replace") if isinstance(err, bytes) else str(err)
            return {r: f"{exc.smtp_code} {text}" for r in to}
        except (OSError, smtplib.SMTPException) as exc:
            raise _fault(exc, self.what) from None
        return {r: f"{code} {text.decode(errors='replace')}" for r, (code, text) in refused.items()}
