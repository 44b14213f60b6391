"""pipeline.intake.filecheck: every inbox file gets a verdict, hostile ones without being parsed.

All fixtures are built here by code (openpyxl, xlsxwriter, zipfile, and a hand-made
OLE2/BIFF8 writer for .xls, since no xls writer is a dependency).
"""

from __future__ import annotations

import os
import random
import re
import struct
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from pipeline.intake.filecheck import Caps, FileVerdict, check_file

# --------------------------------------------------------------------------- builders


def make_xlsx(path: Path, cells: dict[str, object] | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "承诺事项"
    for ref, value in (cells or {"A1": "党员编号", "B1": "姓名", "A2": "D001", "B2": "张三"}).items():
        ws[ref] = value
    wb.save(path)
    return path


def rewrite_zip(src: Path, dst: Path, replace: dict[str, bytes], add: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, replace.get(info.filename, zin.read(info.filename)))
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return dst


def _rec(rtype: int, data: bytes = b"") -> bytes:
    return struct.pack("<HH", rtype, len(data)) + data


def biff8_workbook(
    sheets: list[tuple[str, dict[tuple[int, int], object], list[tuple[int, int, int, int]], bool]],
    filepass: bool = False,
    globals_extra: bytes = b"",
    dimensions: tuple[int, int, int, int] | None = None,
) -> bytes:
    """A minimal BIFF8 workbook stream: (name, {(row0, col0): str|number}, merges, hidden).
    ``dimensions`` overrides the DIMENSIONS record (rwMic, rwMac, colMic, colMac)."""

    def bof(dt: int) -> bytes:
        return _rec(0x0809, struct.pack("<HHHHII", 0x0600, dt, 0x0DBB, 0x07CC, 0, 0x0006))

    bodies = []
    for _name, cells, merges, _hidden in sheets:
        body = bof(0x0010)
        rows = [r for r, _ in cells] or [0]
        cols = [c for _, c in cells] or [0]
        dims = dimensions or (min(rows), max(rows) + 1, min(cols), max(cols) + 1)
        body += _rec(0x0200, struct.pack("<IIHHH", *dims, 0))
        for (r, c), v in sorted(cells.items()):
            if isinstance(v, str):
                body += _rec(0x0204, struct.pack("<HHHHB", r, c, 0, len(v), 1) + v.encode("utf-16-le"))
            else:
                body += _rec(0x0203, struct.pack("<HHHd", r, c, 0, float(v)))  # type: ignore[arg-type]
        if merges:
            refs = b"".join(struct.pack("<HHHH", r0, r1, c0, c1) for r0, c0, r1, c1 in merges)
            body += _rec(0x00E5, struct.pack("<H", len(merges)) + refs)
        bodies.append(body + _rec(0x000A))

    def globals_(offsets: list[int]) -> bytes:
        g = bof(0x0005)
        if filepass:
            g += _rec(0x002F, b"\x00\x00" + b"\x00" * 52)
        g += _rec(0x0042, struct.pack("<H", 1200)) + globals_extra
        for (name, _c, _m, hidden), off in zip(sheets, offsets, strict=True):
            g += _rec(
                0x0085, struct.pack("<IBBBB", off, int(hidden), 0, len(name), 1) + name.encode("utf-16-le")
            )
        return g + _rec(0x000A)

    pos = len(globals_([0] * len(sheets)))
    offsets = []
    for body in bodies:
        offsets.append(pos)
        pos += len(body)
    return globals_(offsets) + b"".join(bodies)


def ole_file(streams: dict[str, bytes], mini: bool = False) -> bytes:
    """A version-3 compound file holding ``streams`` (all in regular sectors, or all in the
    mini stream when ``mini``: each stream must then be shorter than 4096 bytes)."""
    end, free, fatsect, nostream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    names = list(streams)
    fat: list[int] = [fatsect, end]  # sector 0: FAT, sector 1: directory
    sectors: list[bytes] = []
    starts: dict[str, int] = {}
    root_start, root_size, minifat_start, n_minifat = end, 0, end, 0

    def add_chain(data: bytes) -> int:
        data += b"\0" * (-len(data) % 512)
        first = 2 + len(sectors)
        n = len(data) // 512
        for i in range(n):
            sectors.append(data[i * 512 : (i + 1) * 512])
            fat.append(first + i + 1 if i < n - 1 else end)
        return first

    if mini:
        container = b""
        minifat: list[int] = []
        for name in names:
            data = streams[name]
            assert len(data) < 4096
            data += b"\0" * (-len(data) % 64)
            first = len(container) // 64
            n = len(data) // 64
            minifat.extend(first + i + 1 if i < n - 1 else end for i in range(n))
            starts[name] = first
            container += data
        root_size = len(container)
        root_start = add_chain(container)
        minifat_start = add_chain(struct.pack(f"<{len(minifat)}I", *minifat))
        n_minifat = 1
    else:
        for name in names:
            data = streams[name]
            if len(data) < 4096:
                data += b"\0" * (4096 - len(data))
                streams[name] = data
            starts[name] = add_chain(data)
    assert len(fat) <= 128
    fat += [free] * (128 - len(fat))
    header = (
        bytes.fromhex("D0CF11E0A1B11AE1")
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, minifat_start, n_minifat, end, 0)
        + struct.pack("<I", 0)
        + struct.pack("<I", free) * 108
    )

    def dirent(name: str, typ: int, left: int, right: int, child: int, start: int, size: int) -> bytes:
        raw = (name + "\0").encode("utf-16-le") if name else b""
        return (
            raw.ljust(64, b"\0")
            + struct.pack("<HBB", len(raw), typ, 1)
            + struct.pack("<III", left, right, child)
            + b"\0" * 36
            + struct.pack("<IQ", start, size)
        )

    entries = [dirent("Root Entry", 5, nostream, nostream, 1, root_start, root_size)]
    for i, name in enumerate(names):  # a right-leaning chain of siblings is a valid tree
        right = i + 2 if i + 1 < len(names) else nostream
        entries.append(dirent(name, 2, nostream, right, nostream, starts[name], len(streams[name])))
    while len(entries) % 4:
        entries.append(dirent("", 0, nostream, nostream, nostream, 0, 0))
    directory = b"".join(entries)
    assert len(directory) == 512, "builder supports up to three streams"
    return header + struct.pack("<128I", *fat) + directory + b"".join(sectors)


def make_xls(path: Path, sheets=None, extra_streams: dict[str, bytes] | None = None, **kwargs) -> Path:  # type: ignore[no-untyped-def]
    sheets = sheets or [
        (
            "承诺事项",
            {(4, 2): "标题", (6, 2): "党员编号", (6, 3): "姓名", (7, 2): 1, (7, 3): "张三"},
            [(4, 2, 4, 4)],
            False,
        ),
        ("隐藏页", {(0, 0): "x"}, [], True),
    ]
    mini = kwargs.pop("mini", False)
    streams = {"Workbook": biff8_workbook(sheets, **kwargs), **(extra_streams or {})}
    path.write_bytes(ole_file(streams, mini=mini))
    return path


def verdict(path: Path, caps: Caps | None = None) -> FileVerdict:
    v = check_file(path, caps or Caps())
    assert isinstance(v, FileVerdict)
    assert v.ok == (v.message == ""), v
    return v


# --------------------------------------------------------------------------- not workbooks


def test_empty_file(tmp_path: Path) -> None:
    p = tmp_path / "a.xlsx"
    p.write_bytes(b"")
    v = verdict(p)
    assert (v.ok, v.kind) == (False, "empty")
    assert v.message == "文件是空的（0 字节），请重新从邮件附件保存。"


def test_random_bytes_named_xlsx(tmp_path: Path) -> None:
    p = tmp_path / "a.xlsx"
    noise = random.Random(1).randbytes(5000).replace(b"PK", b"QK")
    for data in (noise, noise.replace(b"\0", b"\1")):  # with and without NUL bytes
        p.write_bytes(data)
        v = verdict(p)
        assert (v.ok, v.kind) == (False, "not_excel")
        assert v.message.startswith("无法识别文件格式")


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"%PDF-1.7\n%...", "PDF"),
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "图片"),
        (b"\xff\xd8\xff\xe0\0\x10JFIF", "图片"),
        ("党员编号,姓名\nD001,张三\n".encode("gb18030"), "文本"),
        ("党员编号,姓名\nD001,张三\n".encode(), "文本"),
        (b"<html><body><table><tr><td>1</td></tr></table></body></html>", "HTML"),
        (
            b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>',
            "2003",
        ),
        (b"Rar!\x1a\x07\x01\x00", "压缩包"),
    ],
)
def test_other_formats_are_named(tmp_path: Path, data: bytes, needle: str) -> None:
    p = tmp_path / "x.xls"
    p.write_bytes(data)
    v = verdict(p)
    assert (v.ok, v.kind) == (False, "not_excel")
    assert needle in v.message


def test_docx_renamed_xlsx_is_word(tmp_path: Path) -> None:
    p = tmp_path / "承诺.xlsx"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        zf.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        zf.writestr("word/document.xml", '<?xml version="1.0"?><w:document xmlns:w="x"/>')
    v = verdict(p)
    assert (v.ok, v.kind) == (False, "word")
    assert v.message == "这是一个 Word 文件（.docx），不是承诺事项表。请发送 Excel 填报表。"


def test_plain_zip_archive(tmp_path: Path) -> None:
    inner = make_xlsx(tmp_path / "inner.xlsx")
    p = tmp_path / "returns.zip"
    with zipfile.ZipFile(p, "w") as zf:
        zf.write(inner, "一支部.xlsx")
    v = verdict(p)
    assert (v.ok, v.kind) == (False, "not_excel")
    assert "压缩包" in v.message and "1 个 Excel" in v.message


def test_directory_and_missing_file_do_not_raise(tmp_path: Path) -> None:
    assert verdict(tmp_path).ok is False
    assert verdict(tmp_path / "nope.xlsx").ok is False


def test_file_over_size_cap(tmp_path: Path) -> None:
    p = make_xlsx(tmp_path / "a.xlsx")
    v = verdict(p, Caps(max_file_bytes=1000))
    assert (v.ok, v.kind) == (False, "too_large")
    assert "MB" in v.message


# --------------------------------------------------------------------------- OLE2


def test_ole_with_encryption_info_is_encrypted(tmp_path: Path) -> None:
    p = tmp_path / "a.xlsx"
    p.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 1000
        + "EncryptionInfo".encode("utf-16-le")
        + b"\0" * 100
    )
    v = verdict(p)
    assert (v.ok, v.kind) == (False, "encrypted")
    assert v.message == "文件已加密（设置了打开密码），请取消密码后另存为 .xlsx 再发送。"


def test_real_ole_encrypted_package(tmp_path: Path) -> None:
    p = tmp_path / "a.xlsx"
    p.write_bytes(ole_file({"EncryptionInfo": b"\x04\x00\x04\x00" * 10, "EncryptedPackage": b"\1" * 5000}))
    assert verdict(p).kind == "encrypted"


@pytest.mark.parametrize("mini", [False, True])
def test_xls_is_ok(tmp_path: Path, mini: bool) -> None:
    v = verdict(make_xls(tmp_path / "a.xls", mini=mini))
    assert (v.ok, v.kind) == (True, "xls")


def test_et_extension_and_renamed_xls(tmp_path: Path) -> None:
    assert verdict(make_xls(tmp_path / "a.et")).kind == "et"
    assert verdict(make_xls(tmp_path / "a.xlsx")).kind == "xls"


def test_xls_with_filepass_is_encrypted(tmp_path: Path) -> None:
    v = verdict(make_xls(tmp_path / "a.xls", filepass=True))
    assert (v.ok, v.kind) == (False, "encrypted")


def test_xls_with_a_far_cell_is_refused_before_parsing(tmp_path: Path) -> None:
    # python-calamine would allocate 65536 x 256 cells (about 1 GB) for these two values
    p = make_xls(tmp_path / "a.xls", sheets=[("表", {(0, 0): 1, (65535, 255): 2}, [], False)])
    v = verdict(p)
    assert (v.ok, v.kind) == (False, "too_large")
    assert "「表」" in v.message and "IV65536" in v.message


def _patch(path: Path, offset: int, fmt: str, *values: int) -> Path:
    data = bytearray(path.read_bytes())
    struct.pack_into(fmt, data, offset, *values)
    path.write_bytes(bytes(data))
    return path


def _patch_last_workbook_sector(path: Path, value: int) -> Path:
    """FAT entry of the Workbook stream's last sector (sector 0 FAT, 1 directory, then the stream)."""
    make_xls(path)
    last = 2 + (path.stat().st_size - 3 * 512) // 512 - 1
    return _patch(path, 512 + 4 * last, "<I", value)


# Malformed .xls files that check_file must refuse before python-calamine opens them. The
# first two made python-calamine 0.9.1 abort the whole process; the others are refused
# because they point outside the file (older calamine releases trusted such values).
HOSTILE_XLS = {
    # DIMENSIONS with rwMic > rwMac: calamine's u32 subtraction wraps and it reserves 171 GB
    "dimensions_wrap": lambda p: make_xls(p, dimensions=(213, 1, 0, 1)),
    # the directory sector chained to itself: calamine reads it until an allocation fails
    "dir_cycle": lambda p: _patch(make_xls(p), 512 + 4 * 1, "<I", 1),
    # SST claiming 2**31-1 strings in a tiny stream
    "sst_count": lambda p: make_xls(
        p, globals_extra=_rec(0x00FC, struct.pack("<ii", 1, 0x7FFFFFFF) + b"\x01\x00\x00a")
    ),
    # an unused DIFAT slot pointing 8 GB past the end of the file
    "difat_garbage": lambda p: _patch(make_xls(p), 76 + 4 * 5, "<I", 0x00FFFFFF),
    # the Workbook stream's last sector chained back to its first
    "chain_cycle": lambda p: _patch_last_workbook_sector(p, 2),
    # a stream ending in FREESECT instead of ENDOFCHAIN
    "chain_free": lambda p: _patch_last_workbook_sector(p, 0xFFFFFFFF),
    # a directory length far beyond the file
    "dir_len": lambda p: _patch(make_xls(p), 40, "<I", 0xFFFFFFF0),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_XLS))
def test_hostile_xls_is_refused(tmp_path: Path, case: str) -> None:
    p = HOSTILE_XLS[case](tmp_path / "a.xls")
    v = verdict(p)
    assert not v.ok and v.kind in ("corrupt", "too_large"), v
    assert ".xls" in v.message


def test_xls_with_macros_is_refused(tmp_path: Path) -> None:
    v = verdict(make_xls(tmp_path / "a.xls", extra_streams={"_VBA_PROJECT_CUR": b"\0" * 100}))
    assert (v.ok, v.kind) == (False, "xls")
    assert "宏" in v.message


def test_doc_and_other_ole(tmp_path: Path) -> None:
    p = tmp_path / "a.xls"
    p.write_bytes(ole_file({"WordDocument": b"\1" * 5000}))
    assert verdict(p).kind == "word"
    p.write_bytes(ole_file({"Something": b"\1" * 100}))
    assert verdict(p).kind == "not_excel"


def test_broken_ole_is_corrupt(tmp_path: Path) -> None:
    p = tmp_path / "a.xls"
    data = make_xls(tmp_path / "b.xls").read_bytes()
    p.write_bytes(data[:700])
    v = verdict(p)
    assert (v.ok, v.kind) == (False, "corrupt")
    assert ".xls" in v.message


# --------------------------------------------------------------------------- zip


def test_valid_xlsx_and_xlsm(tmp_path: Path) -> None:
    p = make_xlsx(tmp_path / "a.xlsx")
    v = verdict(p)
    assert (v.ok, v.kind, v.message) == (True, "xlsx", "")
    m = rewrite_zip(p, tmp_path / "m.xlsx", {}, add={"xl/vbaProject.bin": b"\0" * 10})
    assert verdict(m).kind == "xlsm"


def test_truncated_xlsx_is_corrupt(tmp_path: Path) -> None:
    p = make_xlsx(tmp_path / "a.xlsx")
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    v = verdict(p)
    assert (v.ok, v.kind) == (False, "corrupt")
    assert v.message == "文件不完整或已损坏（可能未下载完），请让单位重新发送。"


def test_zip_bomb_by_ratio(tmp_path: Path) -> None:
    p = make_xlsx(tmp_path / "a.xlsx")
    bomb = tmp_path / "bomb.xlsx"
    spaces = b" " * (1 << 20)
    with zipfile.ZipFile(p) as zin, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                with zout.open(info.filename, "w") as fh:
                    for _ in range(20):  # 20 MB of spaces, about 20 KB compressed
                        fh.write(spaces)
            else:
                zout.writestr(info.filename, zin.read(info.filename))
    v = verdict(bomb)
    assert (v.ok, v.kind) == (False, "zip_bomb")
    assert v.message == "文件解压后过大，疑似恶意文件，已拒绝读取。"


def test_zip_member_and_total_caps(tmp_path: Path) -> None:
    p = make_xlsx(tmp_path / "a.xlsx")
    noise = os.urandom(1 << 20).hex().encode()  # 2 MB that barely compresses
    big = rewrite_zip(p, tmp_path / "big.xlsx", {}, add={"xl/media/image1.bin": noise})
    assert verdict(big).ok
    assert verdict(big, Caps(max_member_bytes=1 << 20)).kind == "zip_bomb"
    assert verdict(big, Caps(max_uncompressed_bytes=1 << 20)).kind == "zip_bomb"
    assert verdict(big, Caps(max_members=5)).kind == "zip_bomb"


def test_zip_that_lies_about_its_sizes(tmp_path: Path) -> None:
    p = make_xlsx(tmp_path / "a.xlsx")
    payload = b"<x>" + os.urandom(3 << 19).hex().encode() + b"</x>"  # 3 MB, compresses about 2:1
    liar = rewrite_zip(p, tmp_path / "liar.xlsx", {}, add={"xl/custom.xml": payload})
    assert verdict(liar).ok
    data = bytearray(liar.read_bytes())
    # shrink the declared uncompressed size (local header and central directory) to 1000 bytes
    for sig, off in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (i := data.find(sig, start)) >= 0:
            name_at = i + (30 if sig == b"PK\x03\x04" else 46)
            n = struct.unpack_from("<H", data, i + (26 if sig == b"PK\x03\x04" else 28))[0]
            if bytes(data[name_at : name_at + n]) == b"xl/custom.xml":
                struct.pack_into("<I", data, i + off, 1000)
            start = i + 4
    liar.write_bytes(bytes(data))
    v = verdict(liar)
    assert v.kind == "zip_bomb"
    assert "declared size" in v.detail


def test_xml_entities_are_refused(tmp_path: Path) -> None:
    p = make_xlsx(tmp_path / "a.xlsx")
    with zipfile.ZipFile(p) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml")
    evil = (
        b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>\n'
        + sheet.split(b"?>", 1)[-1].replace(b"D001", b"&lol2;")
    )
    bad = rewrite_zip(p, tmp_path / "evil.xlsx", {"xl/worksheets/sheet1.xml": evil})
    v = verdict(bad)
    assert (v.ok, v.kind) == (False, "xml_entities")
    assert "已拒绝读取" in v.message


def test_dtd_hidden_behind_a_long_comment_is_refused(tmp_path: Path) -> None:
    p = make_xlsx(tmp_path / "a.xlsx")
    evil = b'<?xml version="1.0"?><!--' + b"x" * 5000 + b'--><!DOCTYPE r [<!ENTITY a "b">]><r/>'
    bad = rewrite_zip(p, tmp_path / "evil.xlsx", {"xl/styles.xml": evil})
    assert verdict(bad).kind == "xml_entities"


def test_a_far_cell_in_xlsx_is_refused_before_parsing(tmp_path: Path) -> None:
    # python-calamine would try to allocate ~500 GB for this 5 KB file and abort the process
    p = make_xlsx(tmp_path / "a.xlsx", {"A1": "党员编号", "XFD1048576": "x"})
    v = verdict(p)
    assert (v.ok, v.kind) == (False, "too_large")
    assert "「承诺事项」" in v.message and "XFD1048576" in v.message


@pytest.mark.parametrize("ref", ["A99999999999", "AAAAAAA1", "A4294967303"])
def test_cell_reference_beyond_excel_is_refused(tmp_path: Path, ref: str) -> None:
    # python-calamine wraps these around u32: the first two make it abort, the third lands on row 7
    p = make_xlsx(tmp_path / "a.xlsx")
    with zipfile.ZipFile(p) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml")
    bad = sheet.replace(b"</sheetData>", f'<row r="9"><c r="{ref}"><v>1</v></c></row></sheetData>'.encode())
    v = verdict(rewrite_zip(p, tmp_path / "b.xlsx", {"xl/worksheets/sheet1.xml": bad}))
    assert (v.ok, v.kind) == (False, "corrupt")
    assert "另存为 .xlsx" in v.message


def test_shared_strings_count_is_checked(tmp_path: Path) -> None:
    # python-calamine reserves uniqueCount strings up front: 4e9 of them is a 96 GB request
    p = tmp_path / "s.xlsx"
    book = xlsxwriter.Workbook(p)
    book.add_worksheet("表").write("A1", "党员编号")
    book.close()
    with zipfile.ZipFile(p) as zf:
        sst = zf.read("xl/sharedStrings.xml")
    assert verdict(p).ok
    bad = re.sub(rb'uniqueCount="\d+"', b'uniqueCount="4000000000"', sst)
    v = verdict(rewrite_zip(p, tmp_path / "b.xlsx", {"xl/sharedStrings.xml": bad}))
    assert (v.ok, v.kind) == (False, "corrupt")


def test_formatting_only_cells_do_not_count(tmp_path: Path) -> None:
    p = make_xlsx(tmp_path / "a.xlsx")
    with zipfile.ZipFile(p) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml")
    styled = sheet.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" s="0"/></row></sheetData>')
    assert verdict(rewrite_zip(p, tmp_path / "s.xlsx", {"xl/worksheets/sheet1.xml": styled})).ok


def _ods(path: Path, rows_repeated: int, cols_repeated: int) -> Path:
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="表一">'
        '<table:table-row><table:table-cell office:value-type="string"><text:p>党员编号</text:p>'
        "</table:table-cell></table:table-row>"
        f'<table:table-row table:number-rows-repeated="{rows_repeated}">'
        f'<table:table-cell table:number-columns-repeated="{cols_repeated}" office:value-type="float" '
        'office:value="1"><text:p>1</text:p></table:table-cell></table:table-row>'
        '<table:table-row table:number-rows-repeated="1048000"><table:table-cell '
        'table:number-columns-repeated="1024"/></table:table-row>'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest:manifest xmlns:manifest="m"/>')
    return path


def test_ods_ok_and_ods_repeat_bomb(tmp_path: Path) -> None:
    v = verdict(_ods(tmp_path / "a.ods", 3, 2))
    assert (v.ok, v.kind) == (True, "ods")
    v = verdict(_ods(tmp_path / "b.ods", 1_000_000, 100))
    assert (v.ok, v.kind) == (False, "too_large")
    assert "「表一」" in v.message


def test_never_raises_on_mutated_containers(tmp_path: Path) -> None:
    rng = random.Random(7)
    sources = [make_xlsx(tmp_path / "a.xlsx").read_bytes(), make_xls(tmp_path / "b.xls").read_bytes()]
    p = tmp_path / "m.xlsx"
    for i in range(60):
        data = bytearray(sources[i % 2])
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        p.write_bytes(bytes(data[: rng.randint(len(data) // 2, len(data))] if i % 5 == 0 else data))
        v = check_file(p)
        assert isinstance(v, FileVerdict)
        assert v.ok or v.message


# The cell scan as it was before it was made faster (issue 16): the fast scan must find
# exactly the same reach, bad references and last position.
_OLD_C_REF = re.compile(
    rb"<(?:[A-Za-z_][\w.\-]*:)?c\s[^>]*?(?<![\w:.\-])r\s*=\s*[\"']\$?([A-Za-z]+)\$?([0-9]+)[\"'][^>]*?(/?)>"
)


def _old_scan_refs(ext: object, refs: list[tuple[bytes, bytes, bytes]]) -> None:
    from pipeline.intake.filecheck import _is_addressable, _parse_ref

    if not refs:
        return
    for letters, digits, _slash in refs:
        if (len(letters) > 3 or len(digits) > 7) and not _is_addressable(letters, digits):
            ext.bad_ref = (letters + digits).decode("ascii")  # type: ignore[attr-defined]
            return
    valued = [(letters, digits) for letters, digits, slash in refs if not slash]
    if valued:
        ext.max_row = max(ext.max_row, max(int(d) for _, d in valued) - 1)  # type: ignore[attr-defined]
        far = max((letters.upper() for letters, _ in valued), key=lambda s: (len(s), s))
        col = 0
        for ch in far:
            col = col * 26 + ch - 64
        ext.max_col = max(ext.max_col, col - 1)  # type: ignore[attr-defined]
    last = _parse_ref(refs[-1][0] + refs[-1][1])
    if last is not None:
        ext._row, ext._col = last  # type: ignore[attr-defined]


def _cell_tags(rng: random.Random) -> bytes:
    parts = []
    for _ in range(rng.randint(0, 30)):
        letters = "".join(rng.choice("ABCXYZaz") for _ in range(rng.choice([1, 1, 2, 3, 4])))
        digits = str(rng.choice([1, 7, 99, 1048576, 10_000_000, 123_456_789_012]))
        lead = rng.choice(["", "0", "00000000"]) if rng.random() < 0.1 else ""
        prefix = rng.choice(["", "", "x:"])
        attrs = rng.choice(["", ' s="1"', ' t="s" ', ' s="/"', " a='/>'"[:-1]])
        q = rng.choice(['"', "'"])
        tail = rng.choice(["/>", ">", " />", "></c>", "><v>1</v></" + prefix + "c>"])
        before = rng.choice(["", ' t="n"', ' xr="B2"'])
        parts.append(f"<{prefix}c{before} r={q}{letters}{lead}{digits}{q}{attrs}{tail}")
        if rng.random() < 0.1:
            parts.append(rng.choice(['<row r="3">', "</row>", "<c>", "text > / <", '<cc r="A1"/>']))
    return "".join(parts).encode()


def test_fast_cell_scan_equals_the_old_scan() -> None:
    from pipeline.intake.filecheck import _XlsxExtent

    rng = random.Random(16)
    for _ in range(3000):
        data = _cell_tags(rng)
        assert _XlsxExtent._C_REF.findall(data) == _OLD_C_REF.findall(data), data
        refs = _OLD_C_REF.findall(data)
        new, old = _XlsxExtent(), _XlsxExtent()
        new.max_row, new.max_col = old.max_row, old.max_col = rng.choice([(-1, -1), (5, 2), (10**6, 30)])
        new._scan_refs(refs)
        _old_scan_refs(old, refs)
        assert (new.max_row, new.max_col, new.bad_ref, new._row, new._col) == (
            old.max_row,
            old.max_col,
            old.bad_ref,
            old._row,
            old._col,
        ), data
