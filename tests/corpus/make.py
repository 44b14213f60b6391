"""Builders for the hostile-input corpus (issue 7).

Every case starts from a good workbook written by the real template writer
(``tests.builders.write_return`` / ``good_fill``) and is turned into a variant by code:
openpyxl (load, modify, save) for layout edits, or zip-level rewriting of the sheet XML
for what openpyxl refuses to write (control characters, formulas with or without a
cached value, 100,000 rows in a second, zip bombs). Nothing here is a checked-in binary.

An :class:`Inbox` is a fresh ``inputs/`` folder with a four-unit roster; most cases put
the variant in D01's place next to good returns of D02 and D03, run the real
consolidation and check that D02 and D03 came through untouched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import random
import re
import struct
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import openpyxl

from pipeline.cli import main
from pipeline.core.settings import Settings
from pipeline.intake.filecheck import OLE_MAGIC
from pipeline.intake.inbox import Archive
from pipeline.jobs.consolidation import Consolidation, consolidate
from pipeline.outputs.template import META_KEYS, Fill
from pipeline.read import layout as L
from pipeline.rules.roster import Roster
from tests.builders import ROSTER_ROWS, SAVED, form_of, good_fill, load, make_inputs, write_return
from tests.intake.test_filecheck import biff8_workbook, ole_file

AS_OF = dt.date(2026, 11, 20)
AS_OF_TEXT = AS_OF.isoformat()
SEPT = dt.datetime(2026, 9, 8, 10, 0)
NOV = dt.datetime(2026, 11, 18, 9, 0)

# The builders' roster plus three branches: a case in D01's place has two neighbours
# (D02, D03); D04 and D05 carry the .xls and .xlsm returns of the whole-corpus inbox.
CORPUS_ROSTER: list[tuple[str, ...]] = [
    *ROSTER_ROWS,
    ("D03", "第三党支部", "党支部", "030001", "赵敏", "女", "教师", "正式党员", "支部书记"),
    ("D03", "第三党支部", "党支部", "030002", "孙强", "男", "职员", "正式党员", ""),
    ("D04", "第四党支部", "党支部", "040001", "周红", "女", "教师", "正式党员", "支部书记"),
    ("D05", "第五党支部", "党支部", "050001", "吴刚", "男", "教师", "正式党员", "支部书记"),
]
# Rows of 党员承诺 in a good return: 3 per member (2 deeds + 1 fault), from Excel row 2.
GOOD_ROWS = {"D01": 9, "D02": 6, "D03": 6, "D04": 3, "D05": 3}
NEIGHBOURS = ("D02", "D03")
D01_FILE = "D01_第一党支部_公开承诺事项表.xlsx"

# Column letters of the standard 党员承诺 sheet.
MEMBER_COL = {c.field: chr(ord("A") + i) for i, c in enumerate(L.MEMBER_SHEET.columns)}

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


# --------------------------------------------------------------------------- inbox


@dataclass
class Inbox:
    inputs: Path
    settings: Settings
    roster: Roster

    @property
    def returns(self) -> Path:
        return self.inputs / "returns"

    def good(
        self, code: str, name: str | None = None, fill: Fill | None = None, mtime: dt.datetime | None = None
    ) -> Path:
        return write_return(self.inputs, self.settings, self.roster, code, fill, name=name, mtime=mtime)

    def good_bytes(self, code: str, fill: Fill | None = None) -> bytes:
        with tempfile.TemporaryDirectory() as tmp:
            inputs = Path(tmp)
            return write_return(inputs, self.settings, self.roster, code, fill, name="x.xlsx").read_bytes()

    def fill(self, code: str) -> Fill:
        return good_fill(form_of(self.roster, code))

    def put(self, name: str, data: bytes, mtime: dt.datetime | None = None) -> Path:
        """Save bytes in the inbox, modified at ``mtime`` (default: the builders' SAVED)."""
        path = self.returns / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        ts = (mtime or SAVED).timestamp()
        os.utime(path, (ts, ts))
        return path

    def run(self, archive: Archive | None = None) -> Consolidation:
        return consolidate(self.inputs, self.settings, self.roster, AS_OF, archive=archive)

    def cli(self, outputs: Path, command: str = "consolidate", *extra: str) -> int:
        return main(
            [
                "--inputs",
                str(self.inputs),
                "--outputs",
                str(outputs),
                "--quiet",
                command,
                "--as-of",
                AS_OF_TEXT,
                *extra,
            ]
        )

    def hashes(self) -> dict[str, str]:
        return tree_hashes(self.inputs)


def inbox(
    tmp: Path, neighbours: Iterable[str] = NEIGHBOURS, roster_rows: list[tuple[str, ...]] | None = None
) -> Inbox:
    """A fresh inputs/ with the corpus roster and good returns of ``neighbours``."""
    inputs = make_inputs(tmp, roster_rows or CORPUS_ROSTER)
    s, r = load(inputs)
    box = Inbox(inputs, s, r)
    for code in neighbours:
        box.good(code)
    return box


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def assert_neighbours_ok(c: Consolidation, neighbours: Iterable[str] = NEIGHBOURS) -> None:
    """The good returns next to a hostile case were read in full and gave no finding."""
    for code in neighbours:
        assert code in c.used, f"{code} not consolidated"
        rel = c.used[code].file.rel
        assert int((c.members["unit_code"] == code).sum()) == GOOD_ROWS[code]
        assert int((c.orgs["unit_code"] == code).sum()) == 3
        assert [f.one_line() for f in c.findings if f.file == rel] == []


def of_file(c: Consolidation, name: str) -> list[tuple[str, str, str]]:
    """(rule, sheet, cell) of every finding on one file."""
    return [(f.rule, f.sheet, f.cell) for f in c.findings if f.file == name]


# --------------------------------------------------------------------------- zip level


def zip_parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {info.filename: zf.read(info.filename) for info in zf.infolist()}


def zip_build(parts: Mapping[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return buf.getvalue()


Change = bytes | Callable[[bytes], bytes] | None


def rewrite(data: bytes, changes: Mapping[str, Change]) -> bytes:
    """Replace (bytes), transform (callable) or delete (None) zip members; add new ones."""
    parts = zip_parts(data)
    for name, change in changes.items():
        if change is None:
            parts.pop(name, None)
        elif callable(change):
            parts[name] = change(parts[name])
        else:
            parts[name] = change
    return zip_build(parts)


def sheet_part(data: bytes, sheet: str) -> str:
    """Zip member holding ``sheet`` (via workbook.xml and its relationships)."""
    parts = zip_parts(data)
    rels = ET.fromstring(parts["xl/_rels/workbook.xml.rels"])
    target = {r.get("Id"): r.get("Target", "") for r in rels}
    for el in ET.fromstring(parts["xl/workbook.xml"]).iter(f"{NS}sheet"):
        if el.get("name") == sheet:
            t = target[el.get(f"{REL_NS}id")]
            return t.lstrip("/") if t.startswith("/") else f"xl/{t}"
    raise KeyError(sheet)


def edit_sheet(data: bytes, sheet: str, fn: Callable[[str], str]) -> bytes:
    part = sheet_part(data, sheet)
    return rewrite(data, {part: lambda b: fn(b.decode("utf-8")).encode("utf-8")})


_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(s: str) -> str:
    """Escape for XML text; characters XML forbids become OOXML ``_xHHHH_`` escapes."""
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _CONTROL_RE.sub(lambda m: f"_x{ord(m.group(0)):04X}_", s)


def inline_cell(ref: str, text: str, raw: bool = False) -> str:
    """An inline-string cell; ``raw`` keeps control characters as raw bytes in the XML."""
    body = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") if raw else xml_text(text)
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{body}</t></is></c>'


def set_cell(xml: str, ref: str, cell: str) -> str:
    """Replace cell ``ref`` (which must exist, empty or not) by the XML ``cell``."""
    pat = re.compile(rf'<c r="{ref}"(?:[^>]*/>|[^>]*>.*?</c>)', re.S)
    out, n = pat.subn(lambda _m: cell, xml, count=1)
    assert n == 1, f"cell {ref} not in sheet"
    return out


def cell_xml(xml: str, ref: str) -> str:
    m = re.search(rf'<c r="{ref}"(?:[^>]*/>|[^>]*>.*?</c>)', xml, re.S)
    assert m, ref
    return m.group(0)


def add_formula(xml: str, ref: str, formula: str, keep_value: bool) -> str:
    """Turn the value of cell ``ref`` into a formula, keeping its cached value or not."""
    old = cell_xml(xml, ref)
    attrs = re.match(r"<c([^>]*?)/?>", old).group(1)  # type: ignore[union-attr]
    value = re.search(r"<v>.*?</v>", old)
    if keep_value:
        assert value, ref
        new = f"<c{attrs}><f>{formula}</f>{value.group(0)}</c>"
    else:
        bare = re.sub(r' t="[^"]*"', "", attrs)
        new = f"<c{bare}><f>{formula}</f></c>"
    return set_cell(xml, ref, new)


def append_rows(xml: str, rows: Iterable[str]) -> str:
    """Append ``<row>`` elements at the end of sheetData (and drop the stale dimension)."""
    xml = re.sub(r"<dimension [^>]*/>", "", xml)
    return xml.replace("</sheetData>", "".join(rows) + "</sheetData>", 1)


# --------------------------------------------------------------------------- openpyxl level


def with_openpyxl(data: bytes, fn: Callable[[Any], None]) -> bytes:
    """``fn`` applied to the workbook with openpyxl, keeping the original's saved time
    (openpyxl always writes "now", which would make every case a version of today)."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    fn(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return keep_saved_time(data, buf.getvalue())


_MODIFIED = re.compile(rb"<dcterms:modified[^>]*>[^<]*</dcterms:modified>")


def keep_saved_time(original: bytes, edited: bytes) -> bytes:
    """``edited`` with the ``dcterms:modified`` element of ``original``."""
    old = _MODIFIED.search(zip_parts(original).get("docProps/core.xml", b""))
    if old is None:
        return edited
    return rewrite(edited, {"docProps/core.xml": lambda core: _MODIFIED.sub(lambda _m: old.group(0), core)})


# --------------------------------------------------------------------------- file cases


def random_bytes(seed: int = 7, n: int = 6000) -> bytes:
    return random.Random(seed).randbytes(n).replace(b"PK", b"QK")


def docx() -> bytes:
    """A Word document (what a branch sends when it attaches the wrong file)."""
    return zip_build(
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types/>',
            "_rels/.rels": b'<?xml version="1.0"?><Relationships/>',
            "word/document.xml": b'<?xml version="1.0"?><w:document xmlns:w="x"><w:body>pledge</w:body></w:document>',
        }
    )


def password_protected(data: bytes) -> bytes:
    """What Excel writes for a workbook with an opening password: an OLE2 compound file
    holding EncryptionInfo and EncryptedPackage (here with noise as the cipher text)."""
    info = struct.pack("<HHI", 4, 4, 0x40) + b'<?xml version="1.0"?><encryption/>'
    package = struct.pack("<Q", len(data)) + random.Random(3).randbytes(len(data) // 4 + 4096)
    return ole_file({"EncryptionInfo": info, "EncryptedPackage": package[:60_000]})


def xls_return(box: Inbox, code: str, fill: Fill | None = None) -> bytes:
    """An old-format (.xls, BIFF8) return with the standard sheets, dates as text."""
    fill = fill or box.fill(code)
    form = form_of(box.roster, code)

    def sheet(
        layout: L.SheetLayout, rows: list[dict[str, Any]]
    ) -> tuple[str, dict[tuple[int, int], object], list[Any], bool]:
        cells: dict[tuple[int, int], object] = {(0, j): c.header for j, c in enumerate(layout.columns)}
        for i, row in enumerate(rows, start=1):
            for f, v in row.items():
                cells[(i, layout.index(f))] = v.isoformat() if isinstance(v, dt.date) else v
        return (layout.name, cells, [], False)

    meta_values = (
        str(L.TEMPLATE_VERSION),
        str(box.settings.year),
        code,
        form.unit_name,
        form.unit_type,
        "公开承诺事项表",
    )
    meta = {}
    for i, (k, v) in enumerate(zip(META_KEYS, meta_values, strict=True)):
        meta[(i, 0)], meta[(i, 1)] = k, v
    sheets = [
        sheet(L.MEMBER_SHEET, fill.member_rows),
        sheet(L.ORG_SHEET, fill.org_rows),
        sheet(L.PLAN_SHEET, []),
        sheet(L.LOG_SHEET, []),
        (L.SHEET_META, meta, [], True),
    ]
    return ole_file({"Workbook": biff8_workbook(sheets)})


def xlsm(data: bytes) -> bytes:
    """The workbook saved as macro-enabled (.xlsm): a VBA project part is added."""
    return rewrite(
        data,
        {
            "xl/vbaProject.bin": OLE_MAGIC + bytes(504),
            "[Content_Types].xml": lambda x: x.replace(b"sheet.main+xml", b"sheet.macroEnabled.main+xml"),
        },
    )


def truncated(data: bytes) -> bytes:
    return data[: len(data) * 2 // 3]


def zip_bomb(data: bytes, megabytes: int = 64, lie: bool = False) -> bytes:
    """The 党员承诺 sheet replaced by ``megabytes`` MB of rows that deflate about 300:1.
    ``lie`` also shrinks the sizes declared in the zip headers to 1,000 bytes, so only
    inflating the member for real can tell."""
    part = sheet_part(data, L.SHEET_MEMBER)
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    body = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    body += row * (megabytes * 1024 * 1024 // len(row)) + b"</sheetData></worksheet>"
    out = bytearray(rewrite(data, {part: body}))
    if lie:
        name = part.encode()
        for sig, size_at, name_len_at, name_at in ((b"PK\x03\x04", 22, 26, 30), (b"PK\x01\x02", 24, 28, 46)):
            i = out.find(sig)
            while i >= 0:
                n = struct.unpack_from("<H", out, i + name_len_at)[0]
                if bytes(out[i + name_at : i + name_at + n]) == name:
                    struct.pack_into("<I", out, i + size_at, 1000)
                i = out.find(sig, i + 4)
    return bytes(out)


def entity_expansion(data: bytes, levels: int = 9) -> bytes:
    """Billion laughs in sharedStrings.xml: 10**levels copies of "lol" in one string."""
    ents = '<!ENTITY a0 "lol">' + "".join(
        f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, levels + 1)
    )

    def fn(x: bytes) -> bytes:
        decl, rest = x.decode("utf-8").split("?>", 1)
        first = re.search(r"<si><t>([^<]*)</t></si>", rest)
        assert first
        rest = rest.replace(first.group(0), f"<si><t>&a{levels};</t></si>", 1)
        return f"{decl}?><!DOCTYPE sst [{ents}]>{rest}".encode()

    return rewrite(data, {"xl/sharedStrings.xml": fn})


def junk_rows(data: bytes, n: int = 100_000, column: str = "L", text: str = "。") -> bytes:
    """``n`` rows below the input area of 党员承诺 with a stray character in ``column``."""
    first = 41
    rows = (
        f'<row r="{r}"><c r="{column}{r}" t="inlineStr"><is><t>{xml_text(text)}</t></is></c></row>'
        for r in range(first, first + n)
    )
    return edit_sheet(data, L.SHEET_MEMBER, lambda x: append_rows(x, rows))
