"""Header text and attachment names as real mail clients write them.

Chinese clients encode names every way there is: RFC 2047 encoded words (Foxmail and QQ
Mail in GB2312/GBK/GB18030, Outlook in UTF-8), RFC 2231 parameters (NetEase, Thunderbird),
Big5 from Taiwanese and Hong Kong clients, and raw 8-bit GBK bytes with no declaration at
all (older Foxmail, some phone clients). A declared GB2312 is decoded as GB18030 (its
superset: clients declare GB2312 and write GBK characters), Big5 as Big5-HKSCS.

Messages are parsed with the ``compat32`` policy so raw header bytes survive as
surrogate escapes and are decoded here, not guessed by the standard library.
"""

from __future__ import annotations

import email.header
import email.utils
import re
from email.message import Message
from pathlib import PurePosixPath, PureWindowsPath

from pipeline.read.textnorm import safe_filename

_CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "hz-gb-2312": "hz",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "cn-big5": "big5hkscs",
}
# Declarations that say nothing about 8-bit bytes: guessed like undeclared ones.
_NO_CHARSET = {"unknown-8bit", "us-ascii", "ascii", "x-unknown", "default"}
# Tried in this order on bytes with no (or a wrong) declaration.
_GUESSES = ("utf-8", "gb18030", "big5hkscs")


def codec(charset: str | None) -> str:
    name = (charset or "").strip().lower()
    return _CHARSET_ALIASES.get(name, name or "utf-8")


def _plausible(text: str) -> float:
    """Share of characters a Chinese file name or subject is made of."""
    if not text:
        return 1.0
    ok = sum(
        1
        for ch in text
        if ch.isascii()
        or "\u4e00" <= ch <= "\u9fff"  # CJK unified ideographs
        or "\u3000" <= ch <= "\u303f"  # CJK punctuation
        or "\uff00" <= ch <= "\uffef"  # full-width forms
        or "\u3400" <= ch <= "\u4dbf"
    )
    return ok / len(text)


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Bytes in ``charset``: the declared codec (a wrong declaration falls back to the
    guesses). Undeclared: UTF-8, GB18030 or Big5, whichever reads most like Chinese text
    (short GBK names are often valid UTF-8 too: 丶 is D8 BC, also U+063C); never raises."""
    if charset and charset.strip().lower() not in _NO_CHARSET:
        try:
            return data.decode(codec(charset))
        except (UnicodeDecodeError, LookupError):
            pass
    if data.isascii():
        return data.decode("ascii")
    best, score = "", -1.0
    for c in _GUESSES:
        try:
            text = data.decode(c)
        except UnicodeDecodeError:
            continue
        got = _plausible(text)
        if got > score:  # ties keep the earlier guess (UTF-8 first)
            best, score = text, got
    return best if score >= 0 else data.decode("gb18030", errors="replace")


def _raw_bytes(text: str) -> bytes:
    """A compat32 header value back to its bytes (8-bit bytes are surrogate escapes)."""
    try:
        return text.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:  # already real text (a message built in memory)
        return text.encode("utf-8", "surrogateescape")


_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


def decode_header_text(value: object) -> str:
    """Any header value (RFC 2047 words, raw 8-bit bytes or plain ASCII) to text."""
    if value is None:
        return ""
    if isinstance(value, email.header.Header):
        parts = email.header.decode_header(value)
    else:
        text = str(value)
        raw = _raw_bytes(text)
        if not _ENCODED_WORD.search(text):
            return _unfold(decode_bytes(raw))
        # Encoded words with raw bytes around them: decode the words, guess the rest.
        try:
            parts = email.header.decode_header(raw.decode("ascii", "surrogateescape"))
        except (email.errors.HeaderParseError, ValueError):
            return _unfold(decode_bytes(raw))
    out = []
    for chunk, charset in parts:
        if isinstance(chunk, str):
            out.append(decode_bytes(_raw_bytes(chunk)))
        else:
            out.append(decode_bytes(chunk, charset))
    return _unfold("".join(out))


def _unfold(text: str) -> str:
    return re.sub(r"\r?\n[ \t]*", " ", text).strip()


def _header_as_text(part: Message, header: str) -> Message | None:
    """A one-header message holding ``header`` with raw 8-bit bytes decoded (the
    standard library would replace them with U+FFFD before parsing parameters)."""
    for key, value in part.raw_items():
        if key.lower() == header:
            raw = _raw_bytes(str(value))
            holder = Message()
            holder[header] = decode_bytes(raw) if not raw.isascii() else raw.decode("ascii")
            return holder
    return None


def _param(part: Message, name: str, header: str) -> str | None:
    holder = _header_as_text(part, header)
    if holder is None:
        return None
    value = holder.get_param(name, None, header=header)
    if value is None:
        return None
    if isinstance(value, tuple):  # RFC 2231: (charset, language, percent-decoded text)
        charset, _lang, text = value
        return decode_bytes(str(text).encode("latin-1", "surrogateescape"), charset or None)
    return decode_header_text(email.utils.unquote(str(value)))


def attachment_name(part: Message) -> str:
    """The part's file name as its sender meant it: ``filename`` of Content-Disposition,
    else ``name`` of Content-Type; "" when it has none."""
    for name, header in (("filename", "content-disposition"), ("name", "content-type")):
        got = _param(part, name, header)
        if got:
            return got.strip()
    return ""


# --------------------------------------------------------------------------- saving

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".et", ".ods", ".xltx")
MAX_STEM = 80  # characters; with the folder the full path stays far below Windows' 260


def base_name(name: str) -> str:
    """The last component of a name that may carry a path (Windows or POSIX)."""
    return PureWindowsPath(PurePosixPath(name.replace("\x00", "")).name).name


def safe_attachment_name(name: str, fallback: str = "附件") -> str:
    """A file name that is safe to save on Windows: only the last path component, no
    reserved characters or device names (CON, NUL, COM1 …), bounded length, suffix kept
    in lower case."""
    base = base_name(name).strip()
    stem, dot, suffix = base.rpartition(".")
    if not dot or len(suffix) > 8 or not suffix.isascii() or not suffix.isalnum():
        stem, suffix = base, ""
    clean = safe_filename(stem, MAX_STEM) if stem.strip() else fallback
    if clean == "未命名":
        clean = fallback
    return f"{clean}.{suffix.lower()}" if suffix else clean


def name_was_changed(original: str, safe: str) -> bool:
    """True when the saved name differs from the sender's beyond the suffix's case."""
    base = original.strip()
    stem, dot, suffix = base.rpartition(".")
    return (f"{stem}.{suffix.lower()}" if dot else base) != safe


def is_workbook_name(name: str) -> bool:
    return name.lower().endswith(WORKBOOK_SUFFIXES)
