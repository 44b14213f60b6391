"""Messages shaped like those the common clients send, byte for byte.

Used by the demo mailbox (:mod:`pipeline.tooling.demo_mail`) and the tests. Each builder
writes the headers and MIME structure the way that client does (checked against real
messages' headers), so the intake is tried on what it will meet:

- ``foxmail``: GB2312-declared RFC 2047 names (with GBK characters in them), base64;
- ``qq``: GB18030 RFC 2047 names split into several encoded words, X-QQ-mid;
- ``netease``: Coremail, RFC 2231 ``filename*=`` in UTF-8 with continuations;
- ``outlook``: UTF-8 RFC 2047, the body in multipart/related with an inline image001.png;
- ``raw_gbk``: a name as raw 8-bit GBK bytes with no declaration (old clients, phones);
- ``big5``: a Big5 RFC 2047 name;
- ``forward``: a message forwarding another as ``message/rfc822``;
- :func:`gbk_zip`: a zip whose member names are GBK without the UTF-8 flag (Windows).
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import hashlib
import io
import textwrap
import urllib.parse
import zipfile
from collections.abc import Callable, Sequence

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A 1x1 PNG: the inline picture of an Outlook signature.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
CRLF = b"\r\n"


def _b64(data: bytes) -> bytes:
    return CRLF.join(s.encode() for s in textwrap.wrap(base64.b64encode(data).decode(), 76))


def word(text: str, charset: str, max_bytes: int = 0) -> str:
    """RFC 2047 encoded word(s), split by whole characters into pieces of ``max_bytes``."""
    if not max_bytes:
        return f"=?{charset}?B?{base64.b64encode(text.encode(_py(charset))).decode()}?="
    pieces, cur = [], ""
    for ch in text:
        if len((cur + ch).encode(_py(charset))) > max_bytes and cur:
            pieces.append(cur)
            cur = ""
        cur += ch
    pieces.append(cur)
    return "\r\n ".join(word(p, charset) for p in pieces)


def _py(charset: str) -> str:
    return {"gb2312": "gbk"}.get(charset.lower(), charset)


def rfc2231(name: str, chunk: int = 0) -> str:
    quoted = urllib.parse.quote(name.encode("utf-8"), safe="")
    if not chunk:
        return f"filename*=UTF-8''{quoted}"
    parts = []
    rest = quoted
    while rest:
        cut = min(chunk, len(rest))
        while "%" in rest[max(cut - 2, 0) : cut] and cut < len(rest):  # keep %XX whole
            cut += 1
        parts.append(rest[:cut])
        rest = rest[cut:]
    return ";\r\n ".join(
        f"filename*{i}*=UTF-8''{p}" if i == 0 else f"filename*{i}*={p}" for i, p in enumerate(parts)
    )


def _message_id(seed: str, domain: str) -> str:
    return f"<{hashlib.sha1(seed.encode()).hexdigest()[:20]}@{domain}>"


def _headers(lines: Sequence[str | bytes]) -> bytes:
    return CRLF.join(x if isinstance(x, bytes) else x.encode("ascii") for x in lines) + CRLF


def _date(when: dt.datetime) -> str:
    return email.utils.format_datetime(when)


def _received(when: dt.datetime, host: str = "mx.example.edu.cn") -> str:
    return f"Received: from mail.sender.example by {host} with ESMTPS id x1;\r\n\t{_date(when)}"


def _attachment(ctype: str, name_params: str, disp_params: str, data: bytes) -> bytes:
    return (
        _headers(
            [
                f"Content-Type: {ctype};\r\n\t{name_params}",
                "Content-Transfer-Encoding: base64",
                f"Content-Disposition: attachment;\r\n\t{disp_params}",
            ]
        )
        + CRLF
        + _b64(data)
        + CRLF
    )


def _text(body: str, charset: str = "utf-8", subtype: str = "plain") -> bytes:
    return (
        _headers([f'Content-Type: text/{subtype}; charset="{charset}"', "Content-Transfer-Encoding: base64"])
        + CRLF
        + _b64(body.encode(_py(charset)))
        + CRLF
    )


def _multipart(
    subtype: str, boundary: str, parts: Sequence[bytes], headers: Sequence[str | bytes] = ()
) -> bytes:
    out = _headers([*headers, f'Content-Type: multipart/{subtype};\r\n\tboundary="{boundary}"'])
    out += CRLF + b"This is a multi-part message in MIME format." + CRLF
    for p in parts:
        out += CRLF + f"--{boundary}".encode() + CRLF + p
    return out + CRLF + f"--{boundary}--".encode() + CRLF


Files = Sequence[tuple[str, bytes]]
TYPES = {
    ".xlsx": XLSX,
    ".xls": "application/vnd.ms-excel",
    ".zip": "application/x-zip-compressed",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
}


def ctype(name: str) -> str:
    return (
        TYPES.get(name[name.rfind(".") :].lower(), "application/octet-stream")
        if "." in name
        else "application/octet-stream"
    )


def foxmail(sender: str, sender_name: str, to: str, subject: str, when: dt.datetime, files: Files) -> bytes:
    top = [
        _received(when),
        f"Date: {_date(when)}",
        f'From: "{word(sender_name, "gb2312")}" <{sender}>',
        f"To: <{to}>",
        f"Subject: {word(subject, 'gb2312')}",
        "X-Priority: 3",
        "X-GUID: 6C1B2A7E-0F3E-4C9B-9D1A-2B7E0A6B1C01",
        "X-Has-Attach: yes",
        "X-Mailer: Foxmail 7.2.25.228[cn]",
        "Mime-Version: 1.0",
        f"Message-ID: {_message_id(sender + subject + _date(when), 'foxmail.com')}",
    ]
    body = _multipart(
        "alternative",
        "----=_001_NextPart5_=----",
        [_text("您好，附件是本支部的承诺表。", "gb2312"), _text("<p>您好</p>", "gb2312", "html")],
    )
    atts = [
        _attachment(
            "application/octet-stream", f'name="{word(n, "gb2312")}"', f'filename="{word(n, "gb2312")}"', d
        )
        for n, d in files
    ]
    return _multipart("mixed", "----=_001_NextPart4_=----", [body, *atts], top)


def qq(sender: str, sender_name: str, to: str, subject: str, when: dt.datetime, files: Files) -> bytes:
    top = [
        _received(when),
        f"X-QQ-mid: bizesmtp{hashlib.md5(subject.encode()).hexdigest()[:12]}t{int(when.timestamp())}",
        f'From: "{word(sender_name, "gb18030")}" <{sender}>',
        f'To: "{word("办公室", "gb18030")}" <{to}>',
        f"Subject: {word(subject, 'gb18030')}",
        "Mime-Version: 1.0",
        f"Date: {_date(when)}",
        "X-Priority: 3",
        f"Message-ID: {_message_id(sender + subject + _date(when), 'qq.com')}",
        "X-QQ-MIME: TCMime 1.0 by Tencent",
        "X-Mailer: QQMail 2.x",
    ]
    body = _multipart(
        "alternative",
        "----=_NextPart_64A1B2C3_0A1B2C3D_4E5F6071",
        [_text("附件请查收", "gb18030"), _text("<div>附件请查收</div>", "gb18030", "html")],
    )
    atts = [
        _attachment(ctype(n), f'name="{word(n, "gb18030", 24)}"', f'filename="{word(n, "gb18030", 24)}"', d)
        for n, d in files
    ]
    return _multipart("mixed", "----=_NextPart_64A1B2C3_0A1B2C3D_4E5F6070", [body, *atts], top)


def netease(sender: str, sender_name: str, to: str, subject: str, when: dt.datetime, files: Files) -> bytes:
    top = [
        _received(when),
        f"Date: {_date(when)}",
        f'From: "{word(sender_name, "UTF-8")}" <{sender}>',
        f"To: {to}",
        f"Subject: {word(subject, 'UTF-8')}",
        "X-Priority: 3",
        "X-Mailer: Coremail Webmail Server Version XT5.0.14 build 20230109(dcb5de15)",
        "MIME-Version: 1.0",
        f"Message-ID: {_message_id(sender + subject + _date(when), '163.com')}",
        "X-Coremail-Locale: zh_CN",
    ]
    body = _text("请审阅。", "UTF-8")
    atts = [_attachment(ctype(n), f'name="{word(n, "UTF-8")}"', rfc2231(n, 40), d) for n, d in files]
    return _multipart("mixed", "----=_Part_1234_567890.1700000000000", [body, *atts], top)


def outlook(sender: str, sender_name: str, to: str, subject: str, when: dt.datetime, files: Files) -> bytes:
    top = [
        _received(when),
        f'From: "{word(sender_name, "utf-8")}" <{sender}>',
        f"To: {to}",
        f"Subject: {word(subject, 'utf-8')}",
        f"Date: {_date(when)}",
        f"Message-ID: {_message_id(sender + subject + _date(when), 'PSAPR06MB4501.apcprd06.prod.outlook.com')}",
        "Accept-Language: zh-CN, en-US",
        "Content-Language: zh-CN",
        "X-MS-Has-Attach: yes",
        "MIME-Version: 1.0",
    ]
    image = (
        _headers(
            [
                'Content-Type: image/png; name="image001.png"',
                "Content-Description: image001.png",
                'Content-Disposition: inline; filename="image001.png"',
                "Content-ID: <image001.png@01DA0000.00000000>",
                "Content-Transfer-Encoding: base64",
            ]
        )
        + CRLF
        + _b64(PNG)
        + CRLF
    )
    related = _multipart(
        "related",
        "_004_related_",
        [_text('<p>您好！</p><img src="cid:image001.png@01DA0000.00000000">', "utf-8", "html"), image],
    )
    atts = [
        _attachment(ctype(n), f'name="{word(n, "utf-8")}"', f'filename="{word(n, "utf-8")}"', d)
        for n, d in files
    ]
    return _multipart("mixed", "_005_mixed_", [related, *atts], top)


def raw_gbk(sender: str, sender_name: str, to: str, subject: str, when: dt.datetime, files: Files) -> bytes:
    """Names and subject as raw GBK bytes in the headers, declared nowhere."""
    top: list[str | bytes] = [
        _received(when),
        f"Date: {_date(when)}",
        b"From: " + sender_name.encode("gbk") + f" <{sender}>".encode(),
        f"To: {to}",
        b"Subject: " + subject.encode("gbk"),
        f"Message-ID: {_message_id(sender + subject + _date(when), 'mail.example.cn')}",
        "MIME-Version: 1.0",
    ]
    atts = [
        _headers(
            [
                b'Content-Type: application/vnd.ms-excel; name="' + n.encode("gbk") + b'"',
                "Content-Transfer-Encoding: base64",
                b'Content-Disposition: attachment; filename="' + n.encode("gbk") + b'"',
            ]
        )
        + CRLF
        + _b64(d)
        + CRLF
        for n, d in files
    ]
    return _multipart("mixed", "=_raw_gbk_boundary", [_text("见附件", "gbk"), *atts], top)


def big5(sender: str, sender_name: str, to: str, subject: str, when: dt.datetime, files: Files) -> bytes:
    top = [
        _received(when),
        f"Date: {_date(when)}",
        f'From: "{word(sender_name, "big5")}" <{sender}>',
        f"To: {to}",
        f"Subject: {word(subject, 'big5')}",
        f"Message-ID: {_message_id(sender + subject + _date(when), 'mail.example.tw')}",
        "MIME-Version: 1.0",
    ]
    atts = [
        _attachment(ctype(n), f'name="{word(n, "big5")}"', f'filename="{word(n, "big5")}"', d)
        for n, d in files
    ]
    return _multipart("mixed", "=_big5_boundary", [_text("請查收", "big5"), *atts], top)


def forward(sender: str, sender_name: str, to: str, subject: str, when: dt.datetime, inner: bytes) -> bytes:
    """Foxmail's "转发" as attachment: the original message as a message/rfc822 part."""
    top = [
        _received(when),
        f"Date: {_date(when)}",
        f'From: "{word(sender_name, "gb2312")}" <{sender}>',
        f"To: <{to}>",
        f"Subject: {word(subject, 'gb2312')}",
        "X-Mailer: Foxmail 7.2.25.228[cn]",
        "Mime-Version: 1.0",
        f"Message-ID: {_message_id(sender + subject + _date(when), 'foxmail.com')}",
    ]
    part = (
        _headers(
            [
                "Content-Type: message/rfc822",
                "Content-Transfer-Encoding: 8bit",
                f'Content-Disposition: attachment; filename="{word("转发邮件.eml", "gb2312")}"',
            ]
        )
        + CRLF
        + inner
    )
    return _multipart("mixed", "----=_fwd_boundary", [_text("转发给办公室，请查收。", "gb2312"), part], top)


def gbk_zip(files: Files, utf8: bool = False) -> bytes:
    """A zip as Windows' built-in compressor writes it on a Chinese system: member names in
    GBK, the UTF-8 flag not set (``utf8=True``: names in UTF-8 with the flag)."""
    buf = io.BytesIO()
    placeholders: list[tuple[bytes, bytes]] = []
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, (name, data) in enumerate(files):
            if utf8:
                zf.writestr(name, data)
                continue
            raw = name.encode("gbk")
            ph = f"{i:04d}".encode() + b"~" * (len(raw) - 4)
            assert len(ph) == len(raw) and len(raw) >= 5
            zf.writestr(ph.decode("ascii"), data)
            placeholders.append((ph, raw))
    out = buf.getvalue()
    for ph, raw in placeholders:
        out = out.replace(ph, raw)
    return out


CLIENTS: dict[str, Callable[[str, str, str, str, dt.datetime, Files], bytes]] = {
    "foxmail": foxmail,
    "qq": qq,
    "netease": netease,
    "outlook": outlook,
    "raw_gbk": raw_gbk,
    "big5": big5,
}
