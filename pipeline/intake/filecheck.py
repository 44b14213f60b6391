"""Sniff and cap an inbox file before any spreadsheet parser touches it.

``check_file`` looks at magic bytes (never at the extension alone), walks zip and OLE2
containers without trusting their declared sizes, and returns a :class:`FileVerdict` whose
``message`` is one Chinese sentence for the clerk. It never raises.

What is checked, and why:

* zip (xlsx/xlsm/ods): member count, declared sizes and ratios from the central directory,
  then every member of a workbook is inflated once, streamed, in bounded chunks: to check
  the caps against *real* sizes (declared sizes are only claims), to refuse XML parts that
  start with a DTD (``<!DOCTYPE``/``<!ENTITY``), to check ``<sst uniqueCount>`` (calamine
  reserves that many strings up front) and to find how far each sheet's cells reach.
* OLE2 (xls/et): encrypted Office packages are recognised; the BIFF workbook stream is
  scanned for how far each sheet's cells reach.
* Sheet reach matters because python-calamine allocates one slot per cell of the
  rectangle that holds all cells: one stray value in ``XFD1048576`` makes it ask for
  hundreds of GB and abort the whole process (a Rust allocation failure is not a Python
  exception). ``Caps.max_cells`` bounds that rectangle (counted from A1, summed over
  sheets).
"""

from __future__ import annotations

import mmap
import posixpath
import re
import struct
import sys
import zipfile
import zlib
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import compress
from pathlib import Path
from typing import BinaryIO

from defusedxml import ElementTree as DET

MB = 1024 * 1024

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")

_HEAD_BYTES = 2048
_META_PART_BYTES = 16 * MB  # workbook.xml, rels, content types: never legitimately near this
_MAX_TAG_TAIL = 4 * MB  # longest stretch without a '<' that a sheet scan keeps in memory
_CHUNK = MB

# The python-calamine release whose reader the checks below mirror (it bundles the Rust
# calamine crate 0.37.0, per its SBOM). pyproject.toml pins exactly this version; a test
# checks the pin against this constant. Moving to another release means re-checking the
# OLE2/BIFF and zip walks below against that release's reader first.
CHECKED_CALAMINE = "0.9.1"


@dataclass(frozen=True)
class Caps:
    """Limits applied before parsing; the defaults are far above any real return."""

    max_file_bytes: int = 50 * MB
    max_uncompressed_bytes: int = 300 * MB  # all zip members together
    max_member_bytes: int = 200 * MB  # one zip member, uncompressed
    max_ratio: float = 200  # uncompressed/compressed, for members over 1 MB uncompressed
    max_members: int = 2000
    max_cells: int = 2_000_000  # rectangle from A1 to the furthest cell, summed over sheets


@dataclass(frozen=True)
class FileVerdict:
    ok: bool
    kind: str  # xlsx xlsm xls et ods | empty not_excel word encrypted corrupt too_large zip_bomb xml_entities
    message: str = ""  # one Chinese sentence for the clerk (empty when ok)
    detail: str = ""  # technical note in English, for logs


# --------------------------------------------------------------------------- messages

MSG_EMPTY = "文件是空的（0 字节），请重新从邮件附件保存。"
MSG_WORD_DOCX = "这是一个 Word 文件（.docx），不是承诺事项表。请发送 Excel 填报表。"
MSG_WORD_DOC = "这是一个 Word 文件（.doc），不是承诺事项表。请发送 Excel 填报表。"
MSG_PPT = "这是一个 PowerPoint 演示文稿，不是承诺事项表。请发送 Excel 填报表。"
MSG_MSG = "这是一封 Outlook 邮件（.msg），不是承诺事项表，请打开邮件把 Excel 附件另存后再放入收件箱。"
MSG_ENCRYPTED = "文件已加密（设置了打开密码），请取消密码后另存为 .xlsx 再发送。"
MSG_CORRUPT = "文件不完整或已损坏（可能未下载完），请让单位重新发送。"
MSG_ZIP_BOMB = "文件解压后过大，疑似恶意文件，已拒绝读取。"
MSG_TOO_MANY_PARTS = "文件内部组成部分过多，疑似恶意文件，已拒绝读取。"
MSG_XML_ENTITIES = "文件内部含有不允许的 XML 声明（DTD/实体定义），疑似恶意文件，已拒绝读取。"
MSG_XLSB = "这是二进制格式的 Excel 文件（.xlsb），请用 Excel/WPS 打开后另存为 .xlsx 再发送。"
MSG_NONSTANDARD = "文件内部结构不是标准的 Excel 工作簿，请用 Excel/WPS 打开后另存为 .xlsx 再发送。"
MSG_XLS_UNREADABLE = (
    "这是旧版 .xls 文件，但无法读取（可能已损坏），请用 Excel/WPS 打开后另存为 .xlsx 再发送。"
)
MSG_NOT_EXCEL = "无法识别文件格式，这不是 Excel 填报表，请发送用 Excel 或 WPS 保存的 .xlsx 文件。"
MSG_PDF = "这是一个 PDF 文件，不是承诺事项表，请发送 Excel 填报表（.xlsx）。"
MSG_IMAGE = "这是一张图片（{fmt}），不是承诺事项表，请发送 Excel 填报表（.xlsx）。"
MSG_ARCHIVE = "这是一个压缩包（{fmt}），请解压后把其中的 Excel 填报表单独发送。"
MSG_TEXT = "这是一个纯文本文件（如 .csv/.txt），不是 Excel 工作簿，请用 Excel/WPS 打开后另存为 .xlsx 再发送。"
MSG_HTML = "这是网页格式（HTML）冒充的 Excel 文件，请用 Excel/WPS 打开后另存为 .xlsx 再发送。"
MSG_XML2003 = "这是 Excel 2003 XML 格式的表格，请用 Excel/WPS 打开后另存为 .xlsx 再发送。"
MSG_ODF_OTHER = "这是 OpenDocument 文档（不是电子表格），请发送 Excel 填报表（.xlsx）。"
MSG_OLE_OTHER = "这是一个无法识别的 Office 文件，不是 Excel 工作簿，请发送 Excel 填报表（.xlsx）。"
MSG_UNOPENABLE = "无法打开该文件（不存在、是文件夹或没有读取权限），请重新把附件保存到收件箱。"


def _msg_file_too_large(size: int, cap: int) -> str:
    return (
        f"文件过大（{size / MB:.1f} MB，上限 {cap / MB:.0f} MB），请删除图片等无关内容后另存为 .xlsx 再发送。"
    )


def _msg_sheet_too_wide(sheet: str, cell: str) -> str:
    return (
        f"工作表「{sheet}」的内容一直延伸到 {cell} 单元格，范围过大无法读取，"
        "请删除表格之外多余的内容（选中多余的行和列后整行整列删除）再另存发送。"
    )


def _msg_book_too_wide() -> str:
    return "工作簿中各工作表的内容范围合计过大，无法读取，请删除多余的工作表或表格之外的内容后再另存发送。"


def _verdict(kind: str, message: str, detail: str = "") -> FileVerdict:
    return FileVerdict(ok=False, kind=kind, message=message, detail=detail)


class _Refuse(Exception):
    """Internal control flow: carries the verdict to return."""

    def __init__(self, verdict: FileVerdict) -> None:
        super().__init__(verdict.detail or verdict.kind)
        self.verdict = verdict


def _refuse(kind: str, message: str, detail: str = "") -> _Refuse:
    return _Refuse(_verdict(kind, message, detail))


# --------------------------------------------------------------------------- cell names


def col_letter(col0: int) -> str:
    """0-based column index to Excel letters: 0 -> A, 25 -> Z, 26 -> AA, 16383 -> XFD."""
    if col0 < 0:
        raise ValueError(f"negative column {col0}")
    out = ""
    n = col0 + 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def cell_ref(row0: int, col0: int) -> str:
    """0-based (row, column) to an Excel reference: (0, 0) -> A1."""
    if row0 < 0:
        raise ValueError(f"negative row {row0}")
    return f"{col_letter(col0)}{row0 + 1}"


_REF_RE = re.compile(rb"\$?([A-Za-z]+)\$?([0-9]+)")


def _parse_ref(ref: bytes) -> tuple[int, int] | None:
    """0-based (row, col) of an A1 reference; None if it is not one. Letters and digits
    are not limited here: python-calamine wraps long ones around u32 (see _is_addressable)."""
    m = _REF_RE.fullmatch(ref)
    if not m:
        return None
    col = 0
    for ch in m.group(1).upper():
        col = col * 26 + (ch - 64)
    row = int(m.group(2))
    if row < 1:
        return None
    return row - 1, col - 1


def _is_addressable(letters: bytes, digits: bytes) -> bool:
    """At most 3 letters and 7 digits: beyond that python-calamine wraps the numbers around
    u32 and can land anywhere (``A99999999999`` makes it abort), and Excel never writes it."""
    return len(letters) <= 3 and len(digits.lstrip(b"0")) <= 7


# --------------------------------------------------------------------------- entry point


def check_file(path: Path, caps: Caps = Caps()) -> FileVerdict:
    """Classify ``path`` and apply ``caps``; never raises."""
    try:
        return _check(Path(path), caps)
    except _Refuse as refusal:
        return refusal.verdict
    except Exception as exc:  # last line of defence: a checker bug must not stop a run
        return _verdict("corrupt", MSG_CORRUPT, f"checker failed: {type(exc).__name__}: {exc}")


def _check(path: Path, caps: Caps) -> FileVerdict:
    try:
        if not path.is_file():
            return _verdict("corrupt", MSG_UNOPENABLE, "not a regular file")
        size = path.stat().st_size
    except OSError as exc:
        return _verdict("corrupt", MSG_UNOPENABLE, f"stat failed: {exc}")
    if size == 0:
        return _verdict("empty", MSG_EMPTY)
    if size > caps.max_file_bytes:
        return _verdict("too_large", _msg_file_too_large(size, caps.max_file_bytes), f"{size} bytes")
    try:
        with path.open("rb") as fp:
            head = fp.read(4096)
            if head.startswith(ZIP_MAGICS):
                return _check_zip(path, fp, size, caps)
            if head.startswith(OLE_MAGIC):
                return _check_ole(path, fp, size, caps)
    except OSError as exc:
        return _verdict("corrupt", MSG_UNOPENABLE, f"read failed: {exc}")
    return _sniff_other(head)


# --------------------------------------------------------------------------- not a workbook

_IMAGE_MAGICS = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)
_ARCHIVE_MAGICS = ((b"Rar!\x1a\x07", "RAR"), (b"7z\xbc\xaf\x27\x1c", "7z"), (b"\x1f\x8b", "gz"))


def _sniff_other(head: bytes) -> FileVerdict:
    if head.startswith(b"%PDF"):
        return _verdict("not_excel", MSG_PDF, "pdf")
    for magic, fmt in _IMAGE_MAGICS:
        if head.startswith(magic):
            return _verdict("not_excel", MSG_IMAGE.format(fmt=fmt), fmt)
    if head[8:12] == b"WEBP" and head.startswith(b"RIFF"):
        return _verdict("not_excel", MSG_IMAGE.format(fmt="WEBP"), "webp")
    for magic, fmt in _ARCHIVE_MAGICS:
        if head.startswith(magic):
            return _verdict("not_excel", MSG_ARCHIVE.format(fmt=fmt), fmt)
    text = _as_text(head)
    if text is not None:
        low = text.lstrip("\ufeff \t\r\n").lower()
        if "urn:schemas-microsoft-com:office:spreadsheet" in low:
            return _verdict("not_excel", MSG_XML2003, "xml spreadsheet 2003")
        if low.startswith(("<html", "<!doctype html", "<table", "<meta")) or "<html" in low[:1024]:
            return _verdict("not_excel", MSG_HTML, "html")
        return _verdict("not_excel", MSG_TEXT, "text")
    return _verdict("not_excel", MSG_NOT_EXCEL, f"unknown magic {head[:8].hex()}")


def _as_text(head: bytes) -> str | None:
    sample = head[:4096]
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return sample.decode("utf-16")
        except UnicodeDecodeError:
            return None
    if b"\x00" in sample:
        return None
    for enc in ("utf-8", "gb18030"):
        # the sample may end inside a multi-byte character: drop up to 3 trailing bytes
        for cut in range(4):
            try:
                text = sample[: len(sample) - cut].decode(enc)
            except UnicodeDecodeError:
                continue
            return text if _looks_like_text(text) else None
    return None


def _looks_like_text(text: str) -> bool:
    """Few control or private-use characters (gb18030 decodes almost any byte string)."""
    bad = sum(
        1
        for ch in text
        if (ord(ch) < 32 and ch not in "\t\r\n\f") or ch == "\ufffd" or "\ue000" <= ch <= "\uf8ff"
    )
    return bool(text) and bad * 100 <= len(text)


# --------------------------------------------------------------------------- zip


class SafeZip:
    """A zip opened for inspection, whose members are inflated by hand in bounded chunks.

    Sizes declared in the central directory are never trusted: reading stops with
    :class:`MemberTooLarge` as soon as a member inflates past ``limit`` bytes.
    """

    def __init__(self, path: Path) -> None:
        self.zf = zipfile.ZipFile(path)
        try:
            self.fp: BinaryIO = Path(path).open("rb")  # noqa: SIM115 - closed in close()
        except BaseException:
            self.zf.close()
            raise
        self.infos = self.zf.infolist()
        self.by_name = {info.filename: info for info in self.infos}

    def close(self) -> None:
        try:
            self.zf.close()
        finally:
            self.fp.close()

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def iter_member(self, info: zipfile.ZipInfo, limit: int, chunk: int = _CHUNK) -> Iterator[bytes]:
        """Yield inflated chunks of ``info``; raise MemberTooLarge past ``limit`` bytes,
        MemberCorrupt on damaged data or on methods Excel never writes."""
        if info.flag_bits & 0x1:
            raise MemberCorrupt(f"{info.filename}: zip-level encryption")
        if info.header_offset < 0 or info.compress_size < 0:
            raise MemberCorrupt(f"{info.filename}: bad offsets")
        self.fp.seek(info.header_offset)
        local = self.fp.read(30)
        if len(local) != 30 or local[:4] != b"PK\x03\x04":
            raise MemberCorrupt(f"{info.filename}: bad local header")
        name_len, extra_len = struct.unpack("<HH", local[26:30])
        self.fp.seek(info.header_offset + 30 + name_len + extra_len)
        left = info.compress_size
        produced = 0
        if info.compress_type == zipfile.ZIP_STORED:
            while left > 0:
                data = self.fp.read(min(chunk, left))
                if not data:
                    raise MemberCorrupt(f"{info.filename}: truncated")
                left -= len(data)
                produced += len(data)
                if produced > limit:
                    raise MemberTooLarge(info.filename, produced)
                yield data
            return
        if info.compress_type != zipfile.ZIP_DEFLATED:
            raise MemberCorrupt(f"{info.filename}: compression method {info.compress_type}")
        inflater = zlib.decompressobj(-15)
        pending = b""
        while True:
            if not pending and left > 0:
                pending = self.fp.read(min(chunk, left))
                if not pending:
                    raise MemberCorrupt(f"{info.filename}: truncated")
                left -= len(pending)
            try:
                out = inflater.decompress(pending, chunk)
            except zlib.error as exc:
                raise MemberCorrupt(f"{info.filename}: {exc}") from exc
            pending = inflater.unconsumed_tail
            if out:
                produced += len(out)
                if produced > limit:
                    raise MemberTooLarge(info.filename, produced)
                yield out
            if inflater.eof:
                return
            if not out and not pending and left <= 0:
                raise MemberCorrupt(f"{info.filename}: deflate stream ends early")

    def read_member(self, name: str, limit: int) -> bytes:
        info = self.by_name.get(name)
        if info is None:
            raise MemberCorrupt(f"{name}: missing")
        return b"".join(self.iter_member(info, limit))

    def head(self, info: zipfile.ZipInfo, n: int = _HEAD_BYTES) -> bytes:
        buf = b""
        try:
            for part in self.iter_member(info, max(info.file_size, n) + _CHUNK, chunk=max(n, 4096)):
                buf += part
                if len(buf) >= n:
                    break
        except MemberTooLarge:
            pass
        return buf[:n]


class MemberCorrupt(Exception):
    pass


class MemberTooLarge(Exception):
    def __init__(self, name: str, produced: int) -> None:
        super().__init__(f"{name}: inflates past {produced} bytes")
        self.name = name


def _zip_directory_size(fp: BinaryIO, size: int) -> tuple[int, int] | None:
    """(entries, central directory bytes) from the end-of-central-directory record."""
    tail_len = min(size, 65536 + 22)
    fp.seek(size - tail_len)
    tail = fp.read(tail_len)
    i = tail.rfind(b"PK\x05\x06")
    if i < 0 or len(tail) - i < 22:
        return None
    entries, cd_size, cd_offset = struct.unpack("<HII", tail[i + 10 : i + 20])
    if entries == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF:
        loc = tail[i - 20 : i] if i >= 20 else b""
        if len(loc) != 20 or loc[:4] != b"PK\x06\x07":
            return None
        (z64_offset,) = struct.unpack("<Q", loc[8:16])
        if z64_offset > size - 56:
            return None
        fp.seek(z64_offset)
        rec = fp.read(56)
        if len(rec) != 56 or rec[:4] != b"PK\x06\x06":
            return None
        entries, cd_size = struct.unpack("<QQ", rec[32:48])
    return entries, cd_size


def _check_zip(path: Path, fp: BinaryIO, size: int, caps: Caps) -> FileVerdict:
    directory = _zip_directory_size(fp, size)
    if directory is None:
        return _verdict("corrupt", MSG_CORRUPT, "no end-of-central-directory record (truncated zip)")
    entries, cd_size = directory
    if entries > caps.max_members or cd_size > caps.max_members * 1024:
        return _verdict("zip_bomb", MSG_TOO_MANY_PARTS, f"{entries} members, directory {cd_size} bytes")
    try:
        sz = SafeZip(path)
    except Exception as exc:  # BadZipFile, NotImplementedError (odd versions), OSError, ...
        return _verdict("corrupt", MSG_CORRUPT, f"zip: {type(exc).__name__}: {exc}")
    with sz:
        try:
            return _inspect_zip(path, sz, caps)
        except MemberCorrupt as exc:
            return _verdict("corrupt", MSG_CORRUPT, str(exc))
        except MemberTooLarge as exc:
            return _verdict("zip_bomb", MSG_ZIP_BOMB, str(exc))
        except (zipfile.BadZipFile, EOFError, zlib.error, struct.error, OSError, ValueError) as exc:
            return _verdict("corrupt", MSG_CORRUPT, f"zip: {type(exc).__name__}: {exc}")


def _check_declared_sizes(sz: SafeZip, caps: Caps) -> None:
    if len(sz.infos) > caps.max_members:
        raise _refuse("zip_bomb", MSG_TOO_MANY_PARTS, f"{len(sz.infos)} members")
    total = 0
    for info in sz.infos:
        usize, csize = info.file_size, info.compress_size
        total += usize
        if usize > caps.max_member_bytes:
            raise _refuse("zip_bomb", MSG_ZIP_BOMB, f"{info.filename}: declares {usize} bytes")
        if usize > MB and usize > caps.max_ratio * max(csize, 1):
            raise _refuse("zip_bomb", MSG_ZIP_BOMB, f"{info.filename}: ratio {usize / max(csize, 1):.0f}")
        if total > caps.max_uncompressed_bytes:
            raise _refuse("zip_bomb", MSG_ZIP_BOMB, f"members declare {total} bytes in all")


def _inspect_zip(path: Path, sz: SafeZip, caps: Caps) -> FileVerdict:
    _check_declared_sizes(sz, caps)
    lower = {info.filename.lower(): info for info in sz.infos}
    ext = path.suffix.lower()
    if "xl/workbook.xml" in lower and "[content_types].xml" in lower:
        if "xl/workbook.xml" not in sz.by_name:  # calamine looks the parts up case-sensitively
            return _verdict("corrupt", MSG_NONSTANDARD, "part names not in canonical case")
        kind = "xlsx"
        content_types = _bounded_read(sz, lower["[content_types].xml"])
        if (
            ext in (".xlsm", ".xltm")
            or "xl/vbaproject.bin" in lower
            or b"macroenabled" in content_types.lower()
        ):
            kind = "xlsm"
        cells = _scan_members(sz, caps, scanner=_XlsxExtent)
        _check_reach(cells, lambda: _xlsx_part_names(sz), caps)
        return FileVerdict(ok=True, kind=kind, detail=f"{len(sz.infos)} members")
    if "word/document.xml" in lower:
        return _verdict("word", MSG_WORD_DOCX, "word/document.xml")
    if "ppt/presentation.xml" in lower:
        return _verdict("not_excel", MSG_PPT, "ppt/presentation.xml")
    if "xl/workbook.bin" in lower:
        return _verdict("not_excel", MSG_XLSB, "xlsb")
    if "mimetype" in lower:
        mimetype = sz.head(lower["mimetype"], 200).strip()
        if mimetype == b"application/vnd.oasis.opendocument.spreadsheet" and "content.xml" in sz.by_name:
            cells = _scan_members(sz, caps, scanner=_OdsExtent)
            _check_reach(cells, dict, caps)
            return FileVerdict(ok=True, kind="ods", detail="opendocument spreadsheet")
        if mimetype.startswith(b"application/vnd.oasis.opendocument"):
            return _verdict("not_excel", MSG_ODF_OTHER, mimetype.decode("ascii", "replace"))
    if "[content_types].xml" in lower or "xl/" in {name[:3] for name in lower}:
        return _verdict("corrupt", MSG_NONSTANDARD, "office zip without xl/workbook.xml")
    inner = [n for n in lower if n.endswith((".xlsx", ".xls", ".xlsm", ".et"))]
    fmt = f"zip，内含 {len(inner)} 个 Excel 文件" if inner else "zip"
    return _verdict("not_excel", MSG_ARCHIVE.format(fmt=fmt), "plain zip archive")


def _bounded_read(sz: SafeZip, info: zipfile.ZipInfo) -> bytes:
    try:
        return b"".join(sz.iter_member(info, _META_PART_BYTES))
    except MemberTooLarge as exc:
        raise _refuse("zip_bomb", MSG_ZIP_BOMB, str(exc)) from exc


_PROLOG_ITEM = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->)", re.S)


def _xml_head_is_safe(head: bytes) -> tuple[bool, str]:
    """Refuse a DTD anywhere in the first bytes, or a prolog too long to see past."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[1:2] == b"\x00" or head[:1] == b"\x00":
        text = head.decode("utf-16-be" if head[:1] in (b"\xfe", b"\x00") else "utf-16-le", "ignore")
        head = text.lstrip("\ufeff").encode("utf-8", "ignore")
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    upper = head.upper()
    if b"<!DOCTYPE" in upper or b"<!ENTITY" in upper:
        return False, "DTD in XML part"
    pos = 0
    while True:
        m = _PROLOG_ITEM.match(head, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
    rest = head[pos:].lstrip()
    if not rest:
        # nothing but prolog in the bytes we looked at: fine only if the part is that short
        return len(head) < _HEAD_BYTES, "prolog longer than the inspected head"
    if rest.startswith(b"<!"):
        return False, "markup declaration in prolog"
    if rest.startswith((b"<?", b"<!--")):
        return False, "prolog longer than the inspected head"
    return True, ""


def _scan_members(sz: SafeZip, caps: Caps, scanner: type[_Extent]) -> dict[str, _Extent]:
    """Inflate every member once: real sizes, XML heads, cell reach of sheet-like parts."""
    total = 0
    reach: dict[str, _Extent] = {}
    for info in sz.infos:
        is_xml = info.filename.lower().endswith((".xml", ".rels"))
        ext = scanner() if is_xml else None
        head = b""
        head_checked = not is_xml
        size = 0
        limit = min(caps.max_member_bytes, caps.max_uncompressed_bytes - total)
        for chunk in sz.iter_member(info, limit):
            if not head_checked:
                head += chunk[: _HEAD_BYTES - len(head)]
                if len(head) >= _HEAD_BYTES:
                    _check_head(info, head)
                    head_checked = True
            size += len(chunk)
            if size > MB and size > 2 * info.file_size:
                # a deliberate lie about the size: stop now rather than scan up to the caps
                raise _refuse(
                    "zip_bomb",
                    MSG_ZIP_BOMB,
                    f"{info.filename}: inflates past its declared size ({size}+ > {info.file_size})",
                )
            if ext is not None:
                ext.feed(chunk)
        if not head_checked:
            _check_head(info, head)
        total += size
        if size > info.file_size:
            # damaged deflate data also overruns; only a large overrun looks deliberate
            hostile = size > MB and size > 2 * info.file_size
            raise _refuse(
                "zip_bomb" if hostile else "corrupt",
                MSG_ZIP_BOMB if hostile else MSG_CORRUPT,
                f"{info.filename}: inflates past its declared size ({size} > {info.file_size})",
            )
        _check_declared_counts(info, head, size)
        if ext is not None:
            ext.finish()
            if ext.bad_ref:
                raise _refuse(
                    "corrupt", MSG_NONSTANDARD, f"{info.filename}: cell reference {ext.bad_ref[:40]}"
                )
            if ext.area() > 0:
                reach[info.filename] = ext
    return reach


_SST_COUNT = re.compile(
    rb"""<(?:[A-Za-z_][\w.\-]*:)?sst\s[^>]*?(?<![\w:.\-])uniqueCount\s*=\s*["']\+?([0-9]+)"""
)


def _check_declared_counts(info: zipfile.ZipInfo, head: bytes, size: int) -> None:
    """python-calamine reserves room for ``<sst uniqueCount>`` strings up front, 24 bytes
    each: a made-up count makes it ask for gigabytes and abort. Each string needs at least
    the 4 bytes of ``<si>``."""
    m = _SST_COUNT.search(head)
    if m and int(m.group(1)) > size // 4 + 1000:
        raise _refuse(
            "corrupt",
            MSG_NONSTANDARD,
            f"{info.filename}: uniqueCount {m.group(1)[:20].decode()} for {size} bytes",
        )


def _check_head(info: zipfile.ZipInfo, head: bytes) -> None:
    ok, why = _xml_head_is_safe(head)
    if not ok:
        raise _refuse("xml_entities", MSG_XML_ENTITIES, f"{info.filename}: {why}")


def _check_reach(reach: dict[str, _Extent], part_names: Callable[[], dict[str, str]], caps: Caps) -> None:
    """Refuse when the cell rectangles (from A1) of all sheets together exceed max_cells."""
    total = sum(ext.area() for ext in reach.values())
    if total <= caps.max_cells:
        return
    part, ext = max(reach.items(), key=lambda item: item[1].area())
    if ext.area() * 2 < total:
        raise _refuse("too_large", _msg_book_too_wide(), f"{total} cells over {len(reach)} sheets")
    sheet = part_names().get(part) or ext.label or part
    far = cell_ref(min(ext.max_row, 1_048_575), min(ext.max_col, 16_383))
    raise _refuse("too_large", _msg_sheet_too_wide(sheet, far), f"{part}: {ext.area()} cells up to {far}")


class _Extent:
    """How far the value-holding cells of one sheet reach (0-based, inclusive)."""

    label = ""

    def __init__(self) -> None:
        self.max_row = -1
        self.max_col = -1
        self.bad_ref = ""  # a cell reference no reader should be trusted with
        self._tail = b""

    def area(self) -> int:
        if self.max_row < 0 or self.max_col < 0:
            return 0
        return (self.max_row + 1) * (self.max_col + 1)

    def feed(self, chunk: bytes) -> None:
        buf = self._tail + chunk if self._tail else chunk
        cut = buf.rfind(b"<")
        if cut < 0 or buf.find(b">", cut) >= 0:  # no tag left open at the end of the chunk
            self._tail = b""
            self._scan(buf)
            return
        self._tail = buf[cut:]
        if len(self._tail) > _MAX_TAG_TAIL:
            raise _refuse("corrupt", MSG_NONSTANDARD, "XML tag too long to scan")
        self._scan(buf[:cut])

    def finish(self) -> None:
        if self._tail:
            self._scan(self._tail)
            self._tail = b""

    def _scan(self, data: bytes) -> None:
        raise NotImplementedError


_ATTR_R = re.compile(rb"""(?:^|\s)r\s*=\s*["']([^"']*)["']""")


class _XlsxExtent(_Extent):
    """SpreadsheetML: ``<row r>`` and ``<c r>`` tags; self-closing cells hold no value and
    python-calamine skips them, so they do not count."""

    _TAG = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?(row|c)(?=[\s/>])([^>]*)>")

    def __init__(self) -> None:
        super().__init__()
        self._row = -1
        self._col = -1

    _C_ANY = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?c(?=[\s/>])")
    # The tag's rest up to its first ``>``, the ``/`` before it (a self-closing cell) as
    # group 3: the same matches as ``[^>]*?(/?)>``, in about half the time.
    _C_REF = re.compile(
        rb"<(?:[A-Za-z_][\w.\-]*:)?c\s[^>]*?(?<![\w:.\-])r\s*=\s*[\"']\$?([A-Za-z]+)\$?([0-9]+)[\"'](?:[^>]*(/)|[^>]*)>"
    )

    def _scan(self, data: bytes) -> None:
        refs = self._C_REF.findall(data)
        if len(refs) == len(self._C_ANY.findall(data)):
            self._scan_refs(refs)  # fast path: every cell names its position
        else:
            self._scan_tags(data)

    def _scan_refs(self, refs: list[tuple[bytes, bytes, bytes]]) -> None:
        if not refs:
            return
        letters, digits, slashes = zip(*refs, strict=True)  # column-wise: the loops below run in C
        if max(map(len, letters)) > 3 or max(map(len, digits)) > 7:
            for ref_letters, ref_digits, _slash in refs:
                if (len(ref_letters) > 3 or len(ref_digits) > 7) and not _is_addressable(
                    ref_letters, ref_digits
                ):
                    self.bad_ref = (ref_letters + ref_digits).decode("ascii")
                    return
        if any(slashes):  # self-closing cells hold no value
            valued = [not slash for slash in slashes]
            letters, digits = tuple(compress(letters, valued)), tuple(compress(digits, valued))
        if digits:
            self.max_row = max(self.max_row, max(map(int, digits)) - 1)
            far = max(set(map(bytes.upper, letters)), key=lambda s: (len(s), s))
            col = 0
            for ch in far:
                col = col * 26 + ch - 64
            self.max_col = max(self.max_col, col - 1)
        last = _parse_ref(refs[-1][0] + refs[-1][1])
        if last is not None:
            self._row, self._col = last

    def _scan_tags(self, data: bytes) -> None:
        row, col = self._row, self._col
        max_row, max_col = self.max_row, self.max_col
        attr_r = _ATTR_R.search
        for name, attrs in self._TAG.findall(data):
            m = attr_r(attrs)
            if name == b"row":
                if m and m.group(1).isdigit() and not _is_addressable(b"A", m.group(1)):
                    self.bad_ref = "row " + m.group(1).decode("ascii")
                    break
                row = int(m.group(1)) - 1 if m and m.group(1).isdigit() else row + 1
                col = -1
                continue
            ref = _REF_RE.fullmatch(m.group(1)) if m else None
            if ref and not _is_addressable(ref.group(1), ref.group(2)):
                self.bad_ref = m.group(1).decode("ascii", "replace")  # type: ignore[union-attr]
                break
            pos = _parse_ref(m.group(1)) if m else None
            if pos is None:
                row, col = max(row, 0), col + 1
            else:
                row, col = pos
            if attrs.endswith(b"/"):
                continue
            if row > max_row:
                max_row = row
            if col > max_col:
                max_col = col
        self._row, self._col = row, col
        self.max_row, self.max_col = max_row, max_col


_ATTR_INT = re.compile(rb"""number-(rows|columns)-repeated\s*=\s*["'](\d{1,12})["']""")
_ATTR_NAME = re.compile(rb"""(?:^|\s)[\w.\-]*:?name\s*=\s*["']([^"']*)["']""")


class _OdsExtent(_Extent):
    """OpenDocument: rows and cells carry repeat counts; a cell counts when it has a value
    type or any content. ``area`` sums all tables; max_row/max_col/label name the largest."""

    _TAG = re.compile(
        rb"<(/?)(?:[A-Za-z_][\w.\-]*:)?(table|table-row|table-cell|covered-table-cell)(?=[\s/>])([^>]*)>"
    )

    def __init__(self) -> None:
        super().__init__()
        self._sum = 0
        self._best = 0
        self._start_table("")

    def area(self) -> int:
        return self._sum

    def _start_table(self, name: str) -> None:
        self._name = name
        self._row_pos = 0  # rows seen so far in this table
        self._last_row = 0  # rows up to and including the last one holding a value
        self._tbl_cols = 0
        self._row_rep = 1
        self._col = 0
        self._row_cols = 0

    def _close_table(self) -> None:
        area = self._last_row * self._tbl_cols
        self._sum += area
        if area > self._best:
            self._best = area
            self.max_row, self.max_col, self.label = self._last_row - 1, self._tbl_cols - 1, self._name
        self._start_table("")

    def _end_row(self) -> None:
        if self._row_cols:
            self._last_row = self._row_pos + self._row_rep
            self._tbl_cols = max(self._tbl_cols, self._row_cols)
        self._row_pos += self._row_rep
        self._row_rep = 1
        self._row_cols = 0

    def _scan(self, data: bytes) -> None:
        for closing, name, attrs in self._TAG.findall(data):
            selfclosing = attrs.endswith(b"/")
            if name == b"table":
                if closing:
                    self._close_table()
                else:
                    m = _ATTR_NAME.search(attrs)
                    self._start_table(m.group(1).decode("utf-8", "replace") if m else "")
                continue
            reps = dict(_ATTR_INT.findall(attrs)) if b"repeated" in attrs else {}
            if name == b"table-row":
                if closing:
                    self._end_row()
                    continue
                self._row_rep = int(reps.get(b"rows", 1))
                self._col = 0
                self._row_cols = 0
                if selfclosing:
                    self._end_row()
                continue
            if closing:
                continue
            rep = int(reps.get(b"columns", 1))
            if not selfclosing or b"value-type" in attrs:
                self._row_cols = self._col + rep
            self._col += rep

    def finish(self) -> None:
        super().finish()
        if self._last_row:
            self._close_table()


# --------------------------------------------------------------------------- workbook map


@dataclass(frozen=True)
class SheetPart:
    name: str
    part: str  # zip member name, e.g. xl/worksheets/sheet1.xml
    state: str  # visible | hidden | veryHidden


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def xlsx_sheet_parts(sz: SafeZip) -> list[SheetPart]:
    """Sheets of an xlsx in workbook order with their zip member names.

    Raises MemberCorrupt/MemberTooLarge or a defusedxml/ParseError on a broken workbook."""
    wb_xml = b"".join(sz.iter_member(_member(sz, "xl/workbook.xml"), _META_PART_BYTES))
    rels_xml = b"".join(sz.iter_member(_member(sz, "xl/_rels/workbook.xml.rels"), _META_PART_BYTES))
    targets: dict[str, str] = {}
    for rel in DET.fromstring(rels_xml, forbid_dtd=True, forbid_entities=True):
        if _local(rel.tag) != "Relationship" or rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target") or ""
        if target.startswith("/"):
            part = target.lstrip("/")
        else:
            part = posixpath.normpath(posixpath.join("xl", target))
        targets[rel.get("Id") or ""] = part
    out: list[SheetPart] = []
    root = DET.fromstring(wb_xml, forbid_dtd=True, forbid_entities=True)
    for elem in root.iter():
        if _local(elem.tag) != "sheet":
            continue
        rid = next((v for k, v in elem.attrib.items() if _local(k) == "id"), "")
        out.append(SheetPart(elem.get("name") or "", targets.get(rid, ""), elem.get("state") or "visible"))
    return out


def _member(sz: SafeZip, name: str) -> zipfile.ZipInfo:
    info = sz.by_name.get(name)
    if info is None:
        raise MemberCorrupt(f"{name}: missing")
    return info


def _xlsx_part_names(sz: SafeZip) -> dict[str, str]:
    try:
        return {p.part: p.name for p in xlsx_sheet_parts(sz) if p.part}
    except Exception:
        return {}


# --------------------------------------------------------------------------- OLE2 / BIFF
#
# python-calamine parses every sheet of an .xls as soon as it opens it, and some malformed
# files make it abort the whole process (checked with python-calamine 0.9.1 = Rust calamine 0.37.0: CHECKED_CALAMINE): a cycle in
# the directory's sector chain (it grows memory until the allocation fails) and a
# DIMENSIONS record with rwMic > rwMac (u32 wrap-around, a 171 GB reservation); one value
# at IV65536 costs about 1 GB. Older calamine releases also trusted sector numbers and
# header counts. _Cfb and _biff_check walk the file the way calamine does and refuse
# anything out of range, cyclic or larger than the file, before calamine sees it.

_ENCRYPTED_MARKERS = ("EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le"))
MSG_XLS_MACRO = "这是含有宏（VBA）的旧版 .xls 文件，为安全起见不予读取，请用 Excel/WPS 另存为 .xlsx 再发送。"


def _check_ole(path: Path, fp: BinaryIO, size: int, caps: Caps) -> FileVerdict:
    kind = "et" if path.suffix.lower() == ".et" else "xls"
    with mmap.mmap(fp.fileno(), 0, access=mmap.ACCESS_READ) as data:
        if any(data.find(marker) >= 0 for marker in _ENCRYPTED_MARKERS):
            return _verdict("encrypted", MSG_ENCRYPTED, "OLE2 EncryptionInfo/EncryptedPackage stream")
        try:
            cfb = _Cfb(data)
            names = {name for name, _start, _len in cfb.entries}
            book = cfb.find("Workbook") or cfb.find("Book")
            if book is None:
                lowered = {n.lower() for n in names}
                if "worddocument" in lowered:
                    return _verdict("word", MSG_WORD_DOC, "WordDocument stream")
                if "powerpoint document" in lowered:
                    return _verdict("not_excel", MSG_PPT, "PowerPoint Document stream")
                if any(n.startswith(("__substg1.0_", "__properties_version1.0")) for n in lowered):
                    return _verdict("not_excel", MSG_MSG, "outlook message")
                if lowered & {"workbook", "book"}:
                    return _verdict(
                        "corrupt", MSG_XLS_UNREADABLE, "workbook stream name not in canonical case"
                    )
                return _verdict("not_excel", MSG_OLE_OTHER, f"OLE2 streams: {sorted(lowered)[:8]}")
            if "_VBA_PROJECT_CUR" in names:
                return _verdict(kind, MSG_XLS_MACRO, "xls with a VBA project")
            stream = cfb.read_stream(*book)
        except (_CfbError, struct.error, IndexError, ValueError) as exc:
            return _verdict("corrupt", MSG_XLS_UNREADABLE, f"OLE2: {exc}")
    try:
        reach = _biff_check(stream)
    except _BiffEncrypted:
        return _verdict("encrypted", MSG_ENCRYPTED, "BIFF FILEPASS record")
    except _CfbError as exc:
        return _verdict("corrupt", MSG_XLS_UNREADABLE, f"BIFF: {exc}")
    total = sum(area for area, *_ in reach)
    if total > caps.max_cells:
        area, sheet, max_row, max_col = max(reach)
        if area * 2 < total:
            return _verdict("too_large", _msg_book_too_wide(), f"{total} cells over {len(reach)} sheets")
        far = cell_ref(max_row, max_col)
        return _verdict("too_large", _msg_sheet_too_wide(sheet, far), f"{sheet}: {area} cells up to {far}")
    return FileVerdict(ok=True, kind=kind, detail="BIFF workbook")


def ole_stream(path: Path, name: str, limit: int = 1 << 20) -> bytes | None:
    """The bytes of one stream of an OLE2 compound file (e.g. ``"\x05SummaryInformation"``),
    walked with the same bounded checks as :func:`check_file`; None when the file is not
    a compound file, the stream is absent or longer than ``limit``, or anything is broken."""
    try:
        with open(path, "rb") as fp:
            if fp.read(8) != OLE_MAGIC:
                return None
            fp.seek(0)
            with mmap.mmap(fp.fileno(), 0, access=mmap.ACCESS_READ) as data:
                cfb = _Cfb(data)
                entry = cfb.find(name)
                if entry is None or entry[1] > limit:
                    return None
                return bytes(cfb.read_stream(*entry))
    except (OSError, ValueError, IndexError, struct.error, _CfbError):
        return None


class _CfbError(Exception):
    pass


class _BiffEncrypted(Exception):
    pass


_END = 0xFFFFFFFE
_RESERVED = 0xFFFFFFFA  # DIFAT chain: calamine follows ids below this
_DIFSECT = 0xFFFFFFFC  # FAT sectors: calamine loads every DIFAT entry below this


def _u32s(raw: bytes) -> array:
    out = array("I")
    out.frombytes(raw[: len(raw) - len(raw) % 4])
    if sys.byteorder == "big":
        out.byteswap()
    return out


class _Cfb:
    """A compound file walked the way python-calamine's reader walks it (see above)."""

    def __init__(self, data: mmap.mmap) -> None:
        self.data = data
        n = len(data)
        if n < 512:
            raise _CfbError("shorter than the header")
        shift, mini_shift = struct.unpack_from("<HH", data, 30)
        if shift not in (9, 12) or mini_shift != 6:
            raise _CfbError(f"sector shift {shift}/{mini_shift}")
        self.ssize = 1 << shift
        if n < self.ssize:
            raise _CfbError("shorter than the header sector")
        self.nsect = -(-(n - self.ssize) // self.ssize)  # a short last sector counts
        dir_len, fat_len, dir_start = struct.unpack_from("<III", data, 40)
        mini_start, mini_len, difat_start = struct.unpack_from("<III", data, 60)
        (difat_cap,) = struct.unpack_from("<I", data, 62)  # sic: calamine reads bytes 62..66
        if dir_len * self.ssize > n or fat_len > self.nsect + 1 or mini_len * self.ssize > n:
            raise _CfbError("header counts larger than the file")
        if difat_cap > 1 << 24:
            raise _CfbError("header DIFAT count")
        difat = list(struct.unpack_from("<109I", data, 76))
        seen: set[int] = set()
        sec = difat_start
        while sec < _RESERVED:
            if sec >= self.nsect or sec in seen:
                raise _CfbError("broken DIFAT chain")
            seen.add(sec)
            difat.extend(_u32s(self._sector(sec)))
            sec = difat.pop()
        fat = array("I")
        for sec in difat:
            if sec < _DIFSECT:
                if sec >= self.nsect:
                    raise _CfbError("FAT sector past the end of the file")
                fat.extend(_u32s(self._sector(sec)))
        self.fat = fat
        directory = self._chain_bytes(dir_start, fat, self.nsect, self._sector)
        self.entries: list[tuple[str, int, int]] = []
        for i in range(0, len(directory), 128):
            ent = directory[i : i + 128]
            if len(ent) < 128:
                raise _CfbError("partial directory entry")
            name = ent[:64].decode("utf-16-le", "replace").split("\0", 1)[0]
            (start,) = struct.unpack_from("<I", ent, 116)
            (length,) = struct.unpack_from("<I" if self.ssize == 512 else "<Q", ent, 120)
            self.entries.append((name, start, length))
        if not self.entries:
            raise _CfbError("empty directory")
        self.ministream = b""
        self.minifat = array("I")
        if mini_len > 0:
            root_start, root_len = self.entries[0][1], self.entries[0][2]
            if root_len > n:
                raise _CfbError("mini stream larger than the file")
            self.ministream = self._chain_bytes(root_start, fat, self.nsect, self._sector)
            if root_len > 0:
                self.ministream = self.ministream[:root_len]
            self.minifat = _u32s(
                self._chain_bytes(mini_start, fat, self.nsect, self._sector)[: mini_len * self.ssize]
            )

    def _sector(self, sec: int) -> bytes:
        off = (sec + 1) * self.ssize
        return self.data[off : off + self.ssize]

    def _mini_sector(self, sec: int) -> bytes:
        return self.ministream[sec * 64 : sec * 64 + 64]

    @staticmethod
    def _chain_bytes(start: int, table: array, n_ids: int, read: Callable[[int], bytes]) -> bytes:
        """Follow a chain to ENDOFCHAIN; every id must exist and no id may repeat."""
        parts: list[bytes] = []
        seen: set[int] = set()
        sec = start
        while sec != _END:
            if sec >= n_ids or sec >= len(table) or sec in seen:
                raise _CfbError("broken sector chain")
            seen.add(sec)
            parts.append(read(sec))
            sec = table[sec]
        return b"".join(parts)

    def find(self, name: str) -> tuple[int, int] | None:
        for entry_name, start, length in self.entries:
            if entry_name == name:
                return start, length
        return None

    def read_stream(self, start: int, length: int) -> bytes:
        if length < 4096:  # calamine's cut-off, whatever the header says
            n_mini = -(-len(self.ministream) // 64)
            out = self._chain_bytes(start, self.minifat, n_mini, self._mini_sector)
        else:
            if length > len(self.data):
                raise _CfbError("stream larger than the file")
            out = self._chain_bytes(start, self.fat, self.nsect, self._sector)
        return out[:length] if length > 0 else out


# BIFF records whose body starts with (row u16, column u16) and that put a value in the
# sheet; BLANK/MULBLANK (formatting only) are left out: python-calamine skips them too.
_BIFF_CELLS = frozenset({0x0203, 0x0204, 0x00FD, 0x027E, 0x0205, 0x0006, 0x00D6})
_BIFF_MULRK = 0x00BD
_BIFF_EOF = 0x000A
_BIFF_MAX_RESERVE = 65536 * 256  # DIMENSIONS of a full BIFF8 sheet


def _biff_records(stream: bytes, pos: int) -> Iterator[tuple[int, int, int]]:
    """(type, body offset, body length) from ``pos`` until the stream ends or breaks."""
    n = len(stream)
    while pos + 4 <= n:
        rtype, rlen = struct.unpack_from("<HH", stream, pos)
        if pos + 4 + rlen > n:
            return
        yield rtype, pos + 4, rlen
        pos += 4 + rlen


def _biff_check(stream: bytes) -> list[tuple[int, str, int, int]]:
    """Walk the globals and every sheet as python-calamine does; return
    (area from A1, sheet name, max row, max col) per sheet holding values."""
    sheets: list[tuple[int, str]] = []
    for rtype, at, rlen in _biff_records(stream, 0):
        if rtype == 0x002F:
            raise _BiffEncrypted
        if rtype == 0x00FC and rlen >= 8:  # SST: calamine reserves cstUnique strings
            (unique,) = struct.unpack_from("<i", stream, at + 4)
            if unique < 0 or unique > len(stream) // 3:
                raise _CfbError(f"SST declares {unique} strings")
        elif rtype == 0x0085 and rlen >= 8:
            (offset,) = struct.unpack_from("<I", stream, at)
            sheets.append((offset, _boundsheet_name(stream[at : at + rlen], len(sheets))))
        elif rtype == _BIFF_EOF:
            break
    out: list[tuple[int, str, int, int]] = []
    for offset, name in sheets:
        max_row = max_col = -1
        for rtype, at, rlen in _biff_records(stream, offset):
            if rtype == _BIFF_EOF:  # calamine stops at the first EOF, embedded charts included
                break
            if rtype == 0x0200:
                _check_dimensions(stream[at : at + rlen])
            elif rtype in _BIFF_CELLS and rlen >= 4:
                row, col = struct.unpack_from("<HH", stream, at)
                max_row, max_col = max(max_row, row), max(max_col, col)
            elif rtype == _BIFF_MULRK and rlen >= 6:
                row = struct.unpack_from("<H", stream, at)[0]
                last = struct.unpack_from("<H", stream, at + rlen - 2)[0]
                max_row, max_col = max(max_row, row), max(max_col, last)
        if max_row >= 0:
            out.append(((max_row + 1) * (max_col + 1), name, max_row, max_col))
    return out


def _check_dimensions(body: bytes) -> None:
    """calamine reserves rows*cols cells from DIMENSIONS with u32 wrap-around arithmetic."""
    if len(body) == 10:
        rf, rl, cf, cl = struct.unpack_from("<HHHH", body)
    elif len(body) == 14:
        rf, rl, cf, cl = struct.unpack_from("<IIHH", body)
    else:
        return  # calamine rejects the record: nothing reserved
    end_r, end_c = (rl - 1, cl - 1) if rl >= 1 and cl >= 1 else (rf, cf)
    rows = ((end_r - rf) % 2**32 + 1) % 2**32
    cols = ((end_c - cf) % 2**32 + 1) % 2**32
    if rows * cols > _BIFF_MAX_RESERVE:
        raise _CfbError(f"DIMENSIONS {rf}..{rl} x {cf}..{cl}")


def _boundsheet_name(body: bytes, index: int) -> str:
    """Sheet name from a BOUNDSHEET body (BIFF8 XLUnicodeString, else BIFF5 8-bit text)."""
    cch = body[6] if len(body) > 6 else 0
    if len(body) > 7 and body[7] in (0, 1):
        width = 2 if body[7] else 1
        raw = body[8 : 8 + cch * width]
        if len(raw) == cch * width:
            return raw.decode("utf-16-le" if width == 2 else "latin-1", "replace")
    raw = body[7 : 7 + cch]
    return raw.decode("gbk", "replace") if raw else f"第 {index + 1} 个工作表"


__all__ = [
    "MB",
    "MSG_CORRUPT",
    "MSG_ENCRYPTED",
    "MSG_XLS_MACRO",
    "MSG_XLS_UNREADABLE",
    "Caps",
    "FileVerdict",
    "SafeZip",
    "SheetPart",
    "cell_ref",
    "check_file",
    "col_letter",
    "ole_stream",
    "xlsx_sheet_parts",
]
