"""Read a returned workbook into cell grids that keep Excel's own positions.

``read_workbook`` runs :func:`pipeline.intake.filecheck.check_file` first, then python-calamine.
It never raises: a file that cannot be read comes back with ``error`` set to one Chinese
sentence and no sheets.

Notes on python-calamine 0.9.1 that shaped this module:

* ``CalamineWorkbook.from_path`` picks the reader from the *extension*: an .xls renamed
  .xlsx fails with "Could not find EOCD". ``from_filelike`` sniffs the content, so it is
  used instead.
* ``to_python(skip_empty_area=False)`` pads from A1, so ``rows[i][j]`` is Excel row i+1,
  column j+1; ``nrows`` counts from row 1 as well. Both are checked at run time anyway
  (``sheet.start``) and padded by hand should a version behave otherwise.
* Empty cells are ``""``; numbers are ``float`` (also whole numbers) for xlsx; a formula
  without a cached value is read as empty and does not widen the sheet's range.
* Self-closing (formatting-only) cells and BIFF BLANK records do not widen the range, but
  one value far away does, and the range is allocated densely in Rust: see filecheck.
* Rust panics surface as ``pyo3_runtime.PanicException``, a ``BaseException``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
import re
import unicodedata
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from defusedxml import ElementTree as DET

from pipeline.intake.filecheck import (
    MSG_CORRUPT,
    MSG_ENCRYPTED,
    MSG_XLS_UNREADABLE,
    Caps,
    FileVerdict,
    SafeZip,
    SheetPart,
    cell_ref,
    check_file,
    col_letter,
    xlsx_sheet_parts,
)

__all__ = [
    "FormulaCells",
    "HeaderMatch",
    "SheetGrid",
    "WorkbookRead",
    "cell_ref",
    "col_letter",
    "find_header",
    "formula_cells_without_value",
    "normalize_header",
    "read_workbook",
]

MSG_UNREADABLE = "文件内容有错误，无法读取，请用 Excel/WPS 打开确认无误后另存为 .xlsx 再发送。"


def _msg_grid_too_large(sheet: str, far: str) -> str:
    return (
        f"工作表「{sheet}」的内容一直延伸到 {far} 单元格，范围过大无法读取，"
        "请删除表格之外多余的内容（选中多余的行和列后整行整列删除）再另存发送。"
    )


@dataclass
class SheetGrid:
    """One sheet's values; ``rows[i][j]`` is the cell at Excel row i+1, column j+1."""

    name: str
    rows: list[list[object]] = field(default_factory=list)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # r0, c0, r1, c1 inclusive
    truncated: bool = False  # more rows than max_rows: only the first max_rows were kept

    def value(self, r: int, c: int) -> object:
        """Value at 0-based (r, c); None for empty cells and outside the grid."""
        if r < 0 or c < 0 or r >= len(self.rows):
            return None
        row = self.rows[r]
        return row[c] if c < len(row) else None

    @property
    def n_rows(self) -> int:
        return len(self.rows)

    @property
    def n_cols(self) -> int:
        return max((len(row) for row in self.rows), default=0)


@dataclass
class WorkbookRead:
    verdict: FileVerdict
    sheets: dict[str, SheetGrid] = field(default_factory=dict)  # workbook order
    hidden: set[str] = field(default_factory=set)  # hidden and very hidden sheets
    error: str = ""  # one Chinese sentence when the file could not be read; sheets is then empty
    detail: str = ""  # technical reason in English, for logs

    @property
    def ok(self) -> bool:
        return not self.error


# --------------------------------------------------------------------------- reading


def read_workbook(
    path: Path,
    caps: Caps | None = None,
    max_rows: int = 200_000,
    checked: tuple[str, int] | None = None,
    only: Collection[str] | None = None,
) -> WorkbookRead:
    """Check, then read every worksheet of ``path`` (``only``: just the sheets of these
    names; the file is still checked whole); never raises.

    ``checked`` = (sha256, size) of content this run has already checked and read: when
    the file still holds exactly those bytes, they are read from memory without
    checking them again (feedback workbooks, issue 6); otherwise the full check runs."""
    caps = caps or Caps()
    source: Path | io.BytesIO = Path(path)
    verdict: FileVerdict | None = None
    if checked is not None:
        data = _same_bytes(Path(path), *checked)
        if data is not None:
            source, verdict = io.BytesIO(data), FileVerdict(True, "checked")
    if verdict is None:
        try:
            verdict = check_file(Path(path), caps)
        except Exception as exc:  # check_file does not raise; belt and braces
            verdict = FileVerdict(False, "corrupt", MSG_CORRUPT, f"check_file: {exc!r}")
    if not verdict.ok:
        return WorkbookRead(verdict=verdict, error=verdict.message, detail=verdict.detail)
    try:
        return _read_checked(source, verdict, caps, max(1, max_rows), only)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # includes pyo3 PanicException and MemoryError
        return _failed(verdict, exc)


def _same_bytes(path: Path, sha256: str, size: int) -> bytes | None:
    """The bytes of ``path`` when they still hash to ``sha256`` (else None)."""
    try:
        if path.stat().st_size != size:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == sha256 else None


def _failed(verdict: FileVerdict, exc: BaseException) -> WorkbookRead:
    import python_calamine as pc

    name = type(exc).__name__
    if isinstance(exc, pc.PasswordError) or "password" in str(exc).lower():
        message = MSG_ENCRYPTED
    elif verdict.kind in ("xls", "et"):
        message = MSG_XLS_UNREADABLE
    elif isinstance(exc, pc.ZipError):
        message = MSG_CORRUPT
    else:
        message = MSG_UNREADABLE
    return WorkbookRead(verdict=verdict, error=message, detail=f"{name}: {exc}"[:500])


def _read_checked(
    source: Path | io.BytesIO,
    verdict: FileVerdict,
    caps: Caps,
    max_rows: int,
    only: Collection[str] | None = None,
) -> WorkbookRead:
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    sheets: dict[str, SheetGrid] = {}
    hidden: set[str] = set()
    cells_left = caps.max_cells
    with source.open("rb") if isinstance(source, Path) else contextlib.nullcontext(source) as fp:
        # from_filelike sniffs the content; from_path trusts the extension
        wb = CalamineWorkbook.from_filelike(fp)
        try:
            for index, meta in enumerate(wb.sheets_metadata):
                if meta.typ in (SheetTypeEnum.ChartSheet, SheetTypeEnum.Vba) or meta.name in sheets:
                    continue
                if only is not None and meta.name not in only:
                    continue
                sheet = wb.get_sheet_by_index(index)
                end = sheet.end
                if end is None:
                    grid = SheetGrid(meta.name)
                else:
                    n_rows_all, n_cols = end[0] + 1, end[1] + 1
                    take = min(n_rows_all, max_rows)
                    if take * n_cols > cells_left:
                        far = cell_ref(end[0], end[1])
                        return WorkbookRead(
                            verdict=verdict,
                            error=_msg_grid_too_large(meta.name, far),
                            detail=f"{meta.name}: {take * n_cols} cells up to {far}",
                        )
                    cells_left -= take * n_cols
                    data = sheet.to_python(skip_empty_area=False, nrows=take)
                    rows = _absolute(data, sheet.start, take, n_cols)
                    grid = SheetGrid(meta.name, rows, _merged(sheet), truncated=n_rows_all > max_rows)
                sheets[meta.name] = grid
                if meta.visible != SheetVisibleEnum.Visible:
                    hidden.add(meta.name)
        finally:
            with contextlib.suppress(Exception):
                wb.close()
    return WorkbookRead(verdict=verdict, sheets=sheets, hidden=hidden)


def _absolute(
    data: Sequence[Sequence[object]], start: tuple[int, int] | None, n_rows: int, n_cols: int
) -> list[list[object]]:
    """Rows indexed from A1 with None for empty cells, whatever padding calamine did."""
    r0, c0 = start or (0, 0)
    padded = len(data) == n_rows and all(len(row) == n_cols for row in data)
    lead_rows, lead_cols = (0, 0) if padded else (r0, c0)
    out: list[list[object]] = [[None] * n_cols for _ in range(min(lead_rows, n_rows))]
    for row in data:
        if len(out) >= n_rows:
            break
        vals: list[object] = [None] * lead_cols
        vals.extend(None if (type(v) is str and not v) else v for v in row)
        if len(vals) < n_cols:
            vals.extend([None] * (n_cols - len(vals)))
        out.append(vals[:n_cols])
    return out


def _merged(sheet: object) -> list[tuple[int, int, int, int]]:
    try:
        ranges = sheet.merged_cell_ranges  # type: ignore[attr-defined]
    except Exception:
        return []
    out: list[tuple[int, int, int, int]] = []
    for (r0, c0), (r1, c1) in ranges or []:
        out.append((int(r0), int(c0), int(r1), int(c1)))
    return out


# --------------------------------------------------------------------------- headers


@dataclass
class HeaderMatch:
    row: int  # 0-based row of the header
    colmap: dict[str, int]  # field -> 0-based column, for every field found
    missing: list[str]  # required fields not found
    extra: list[tuple[int, str]]  # (0-based column, text) of non-empty header cells not matched


_SPACE_RE = re.compile(r"\s+")
_REQUIRED_MARK_RE = re.compile(r"^\*+|(?:\(必填\)|\(必选\)|\*)+$")


def normalize_header(text: object) -> str:
    """NFKC, no whitespace at all (full-width included), no (必填)/* marks, case-folded."""
    if text is None:
        return ""
    if isinstance(text, float) and text.is_integer():
        text = int(text)
    s = unicodedata.normalize("NFKC", str(text))
    s = _SPACE_RE.sub("", s).replace("\u200b", "").replace("\ufeff", "")
    prev = None
    while prev != s:
        prev = s
        s = _REQUIRED_MARK_RE.sub("", s)
    return s.casefold()


def find_header(
    grid: SheetGrid,
    columns: Mapping[str, Sequence[str]],
    required: Sequence[str],
    scan_rows: int = 30,
) -> HeaderMatch | None:
    """First row (within ``scan_rows``) holding at least half of the required headers, or at
    least two known headers; None if no row qualifies."""
    lookup: dict[str, str] = {}
    for fld, names in columns.items():
        for name in names:
            lookup.setdefault(normalize_header(name), fld)
    lookup.pop("", None)
    need = math.ceil(len(required) / 2) if required else 1
    for r in range(min(scan_rows, grid.n_rows)):
        colmap: dict[str, int] = {}
        extra: list[tuple[int, str]] = []
        for c, v in enumerate(grid.rows[r]):
            key = normalize_header(v)
            if not key:
                continue
            hit = lookup.get(key)
            if hit is not None and hit not in colmap:
                colmap[hit] = c
            else:
                extra.append((c, _cell_text(v)))
        hits = sum(1 for f in required if f in colmap)
        if (required and hits >= need) or len(colmap) >= 2:
            missing = [f for f in required if f not in colmap]
            return HeaderMatch(row=r, colmap=colmap, missing=missing, extra=extra)
    return None


def _cell_text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


# --------------------------------------------------------------------------- formulas

_F_TAG = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?f[\s/>]")


def formula_cells_without_value(path: Path, sheet_name: str, caps: Caps | None = None) -> list[str]:
    """Cells ("E7") of an xlsx sheet holding a formula but no cached result.

    Such cells read as empty (python-calamine only sees cached values): the file was
    written by a program that does not calculate (openpyxl, scripts), or saved without
    recalculation. Returns [] for non-xlsx files and on any trouble; never raises."""
    with FormulaCells(path, caps) as cells:
        return cells(sheet_name)


class FormulaCells:
    """:func:`formula_cells_without_value` for any sheet of one file, the zip opened and
    its sheet list read once however many sheets are asked about (a return has four);
    a context manager. Never raises: [] on any trouble, as the function."""

    def __init__(self, path: Path, caps: Caps | None = None) -> None:
        self.path = Path(path)
        self.caps = caps or Caps()
        self._zip: SafeZip | None = None
        self._parts: list[SheetPart] | None = None
        self._failed = False

    def __call__(self, sheet_name: str) -> list[str]:
        if self._failed:
            return []
        try:
            if self._zip is None:
                self._zip = SafeZip(self.path)
            if self._parts is None:
                self._parts = [p for p in xlsx_sheet_parts(self._zip) if p.part in self._zip.by_name]
        except Exception:
            self._failed = True  # not an xlsx, or damaged: as the function, nothing to report
            self.close()
            return []
        try:
            part = _part_of(self._parts, sheet_name)
            if part is None:
                return []
            info = self._zip.by_name[part]
            if not _contains_formula(self._zip.iter_member(info, self.caps.max_member_bytes)):
                return []
            return _scan_formulas(self._zip.iter_member(info, self.caps.max_member_bytes))
        except Exception:
            return []  # this sheet's part is damaged or too large: as the function

    def close(self) -> None:
        if self._zip is not None:
            with contextlib.suppress(Exception):
                self._zip.close()
            self._zip = None

    def __enter__(self) -> FormulaCells:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _part_of(parts: list[SheetPart], sheet_name: str) -> str | None:
    for p in parts:
        if p.name == sheet_name:
            return p.part
    folded = sheet_name.casefold()
    for p in parts:
        if p.name.casefold() == folded:
            return p.part
    return None


def _contains_formula(chunks: Iterator[bytes]) -> bool:
    tail = b""
    for chunk in chunks:
        if _F_TAG.search(tail + chunk[:64]) or _F_TAG.search(chunk):
            return True
        tail = chunk[-64:]
    return False


class _ChunkStream(io.RawIOBase):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buf = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._buf:
            nxt = next(self._chunks, None)
            if nxt is None:
                return 0
            self._buf = nxt
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


_REF_RE = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")


def _scan_formulas(chunks: Iterator[bytes]) -> list[str]:
    out: list[str] = []
    stream = io.BufferedReader(_ChunkStream(chunks), buffer_size=1 << 16)
    row, col = -1, -1
    parent = None
    for event, elem in DET.iterparse(stream, events=("start", "end"), forbid_dtd=True):
        tag = _local(elem.tag)
        if event == "start":
            if tag == "sheetData":
                parent = elem
            elif tag == "row":
                r = elem.get("r")
                row = int(r) - 1 if r and r.isdigit() else row + 1
                col = -1
            continue
        if tag == "c":
            ref = elem.get("r") or ""
            m = _REF_RE.fullmatch(ref)
            if m:
                letters = m.group(1).upper()
                col = 0
                for ch in letters:
                    col = col * 26 + ord(ch) - 64
                col -= 1
                row = int(m.group(2)) - 1
            else:
                row, col = max(row, 0), col + 1
            has_f = has_v = False
            for child in elem:
                name = _local(child.tag)
                if name == "f":
                    has_f = True
                elif name == "v":
                    # a formula whose cached result is the empty string keeps <v/> with t="str"
                    has_v = bool(child.text) or elem.get("t") == "str"
                elif name == "is":
                    has_v = True
            if has_f and not has_v:
                out.append(cell_ref(row, col))
            elem.clear()
        elif tag == "row":
            elem.clear()
            if parent is not None and len(parent) and parent[-1] is elem:
                parent.remove(elem)
    return out
