"""The office's documents: their settings (``[documents]``) and the register of issued
numbers (``outputs/documents/发文登记.csv``).

Settings (all optional, documented defaults so an older campaign.toml still works):

- ``issuer`` — 发文机关标志, printed in red at the top (default: ``campaign.organisation`` + 文件);
- ``number_prefix`` — the 发文字号 before the number, e.g. ``益卫校党发〔2026〕``;
  ``{year}`` is replaced by the campaign year (default ``党发〔{year}〕``);
- ``number_start`` — the first 顺序号 this program gives (default 1; set it past the numbers
  the office has already used this year);
- ``addressee`` — 主送 of the bulletin and the commendation (default 各党支部);
- ``branch_addressee`` — 主送 of a branch's own bulletin (default 本支部全体党员);
- ``signer`` — 落款 of numbered documents (default ``campaign.organisation``);
- ``notice_signer`` — 落款 of the public notices (default ``campaign.office``);
- ``notice_days`` — how many working days a 公示 is posted (default 5);
- ``contact`` — the line under a 公示 saying where to send opinions (default: none).

The register: one row per numbered document, in the order issued. A bulletin (文种 通报)
is keyed by its 统计截止 (AS_OF): issuing the same AS_OF again reuses its row (期号 and
文号); a new AS_OF gets the next 期号 of its kind and the next 顺序号 of the 文号, whatever
its date — so an earlier AS_OF issued later gets a later number and the document says so.
Numbers come from the register only, never from the date. The file is CSV in UTF-8 with a
BOM so that Excel and WPS open it in Chinese; a copy re-saved by Excel (GBK, dates as
2026/11/20) still reads. The clerk may correct a 发文字号 by hand: it is kept on re-issue.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from pipeline.core.errors import PipelineError
from pipeline.core.settings import Settings
from pipeline.infra.atomic import write_bytes_atomic

REGISTER_DIR = "documents"
REGISTER_FILE = "发文登记.csv"
KIND_BULLETIN = "通报"
KIND_COMMENDATION = "表彰通报"
REGISTER_COLUMNS = ("文种", "期号", "顺序号", "发文字号", "统计截止", "标题", "首次生成", "最近生成")
DEFAULT_PREFIX = "党发〔{year}〕"


class DocumentError(PipelineError):
    """The register of issued numbers cannot be read; numbering would be guesswork."""


@dataclass(frozen=True)
class DocumentSettings:
    issuer: str
    number_prefix: str
    number_start: int
    addressee: str
    branch_addressee: str
    signer: str
    notice_signer: str
    notice_days: int
    contact: str


def document_settings(s: Settings) -> DocumentSettings:
    r = s.reader
    prefix = r.string("documents.number_prefix", DEFAULT_PREFIX) or DEFAULT_PREFIX
    return DocumentSettings(
        issuer=r.string("documents.issuer", "") or f"{s.organisation}文件",
        number_prefix=prefix.replace("{year}", str(s.year)),
        number_start=r.integer("documents.number_start", 1, minimum=1),
        addressee=r.string("documents.addressee", "") or "各党支部",
        branch_addressee=r.string("documents.branch_addressee", "") or "本支部全体党员",
        signer=r.string("documents.signer", "") or s.organisation,
        notice_signer=r.string("documents.notice_signer", "") or s.office,
        notice_days=r.integer("documents.notice_days", 5, minimum=1),
        contact=r.string("documents.contact", ""),
    )


def check_settings(s: Settings) -> None:
    """The [documents] keys, checked by ``load_settings`` at every start (FEATURE_CHECKS)."""
    document_settings(s)


@dataclass(frozen=True)
class Entry:
    kind: str
    issue: int  # 期号 within the kind
    seq: int  # 顺序号 of the 文号
    number: str  # 发文字号 as printed
    as_of: dt.date
    title: str
    first: str
    last: str

    def row(self) -> list[str]:
        return [
            self.kind,
            str(self.issue),
            str(self.seq),
            self.number,
            self.as_of.isoformat(),
            self.title,
            self.first,
            self.last,
        ]


@dataclass(frozen=True)
class Issued:
    """The number a document gets, and how it stands against the others of its kind."""

    entry: Entry
    new: bool  # first issue of this AS_OF
    later_dated: tuple[Entry, ...] = ()  # issued before it with a later 统计截止

    def titled(self, title: str) -> Issued:
        return replace(self, entry=replace(self.entry, title=title))

    @property
    def late_note(self) -> str:
        """One sentence saying that this issue's date is earlier than issues already out."""
        if not self.later_dated:
            return ""
        first = min(self.later_dated, key=lambda e: e.issue)
        return (
            f"本期统计截止日期（{_cn(self.entry.as_of)}）早于已印发的第{first.issue}期"
            f"（统计截止{_cn(first.as_of)}），系补发，所列情况以统计截止日为准。"
        )


def _cn(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _parse_day(text: str) -> dt.date | None:
    m = re.fullmatch(r"\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:\s.*)?", text)
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


@dataclass
class Register:
    path: Path
    entries: list[Entry] = field(default_factory=list)

    @classmethod
    def open(cls, outputs: Path) -> Register:
        path = outputs / REGISTER_DIR / REGISTER_FILE
        reg = cls(path)
        if not path.is_file():
            return reg
        data = path.read_bytes()
        for enc in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        else:  # pragma: no cover - gb18030 decodes any byte string
            raise DocumentError(
                f"发文登记表 {path} 无法读取（编码不对）。请用 Excel 另存为 CSV UTF-8 后再运行。"
            )
        rows = list(csv.reader(io.StringIO(text)))
        if not rows:
            return reg
        header = [h.strip() for h in rows[0]]
        missing = [c for c in REGISTER_COLUMNS[:5] if c not in header]
        if missing:
            raise DocumentError(
                f"发文登记表 {path} 缺少列：{'、'.join(missing)}。请恢复表头（{','.join(REGISTER_COLUMNS)}），不要删除列。"
            )
        col = {h: i for i, h in enumerate(header)}
        for n, raw in enumerate(rows[1:], start=2):
            if not any(x.strip() for x in raw):
                continue
            cells = {h: (raw[i].strip() if i < len(raw) else "") for h, i in col.items()}
            day = _parse_day(cells["统计截止"])
            try:
                issue, seq = int(float(cells["期号"])), int(float(cells["顺序号"]))
            except ValueError:
                issue = seq = -1
            if day is None or issue < 1 or seq < 1 or not cells["文种"]:
                raise DocumentError(
                    f"发文登记表 {path} 第 {n} 行有误（文种、期号、顺序号、统计截止须填写，期号和顺序号为正整数，"
                    f"日期如 2026-11-20）。请改正这一行，或删除整行后重新生成该文件。"
                )
            reg.entries.append(
                Entry(
                    kind=cells["文种"],
                    issue=issue,
                    seq=seq,
                    number=cells["发文字号"],
                    as_of=day,
                    title=cells.get("标题", ""),
                    first=cells.get("首次生成", ""),
                    last=cells.get("最近生成", ""),
                )
            )
        keys = [(e.kind, e.as_of) for e in reg.entries]
        dup = next((k for k in keys if keys.count(k) > 1), None)
        if dup:
            raise DocumentError(
                f"发文登记表 {path} 中 {dup[0]}（统计截止 {dup[1]}）登记了不止一行。请只保留实际印发的那一行。"
            )
        return reg

    def find(self, kind: str, as_of: dt.date) -> Entry | None:
        return next((e for e in self.entries if e.kind == kind and e.as_of == as_of), None)

    def assign(
        self,
        kind: str,
        as_of: dt.date,
        ds: DocumentSettings,
        title: str = "",
        override: int | None = None,
        now: dt.datetime | None = None,
    ) -> Issued:
        """The number for ``kind`` as of ``as_of``: the registered one, or the next. Does
        not write; :meth:`record` does, once the document is written."""
        stamp = (now or dt.datetime.now()).strftime("%Y-%m-%d %H:%M:%S")
        old = self.find(kind, as_of)
        same = [e for e in self.entries if e.kind == kind and e.as_of != as_of]
        if old is not None:
            entry = replace(old, last=stamp, title=title)
            if override is not None:
                entry = replace(entry, issue=override)
            new = False
        else:
            seq = max([ds.number_start - 1, *(e.seq for e in self.entries)]) + 1
            issue = override if override is not None else max([0, *(e.issue for e in same)]) + 1
            entry = Entry(kind, issue, seq, f"{ds.number_prefix}{seq}号", as_of, title, stamp, stamp)
            new = True
        later = tuple(e for e in same if e.as_of > as_of and e.issue < entry.issue)
        return Issued(entry, new, later)

    def clash(self, issued: Issued) -> Entry | None:
        """Another registered document of the same kind with the same 期号 (after --issue)."""
        e = issued.entry
        return next(
            (o for o in self.entries if o.kind == e.kind and o.issue == e.issue and o.as_of != e.as_of), None
        )

    def record(self, issued: Issued) -> None:
        """Put the entry in the register and write it atomically."""
        e = issued.entry
        self.entries = [o for o in self.entries if not (o.kind == e.kind and o.as_of == e.as_of)]
        self.entries.append(e)
        self.entries.sort(key=lambda o: (o.seq, o.kind, o.issue))
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(REGISTER_COLUMNS)
        for o in self.entries:
            w.writerow(o.row())
        write_bytes_atomic(self.path, buf.getvalue().encode("utf-8-sig"))
