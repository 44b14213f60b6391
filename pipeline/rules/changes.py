"""What changed since a unit's previous version (变更记录), and T101 notices.

For every unit whose workbook is used, the *previous version* is the newest archived
version of that unit (``outputs/archive/manifest.csv``) that is older than the one used:
ordered by (modification time, original path), other content hashes only. Its pledges
are compared with the used version's (both read from the workbooks as parsed, before
the pledge rules, so the comparison is symmetrical).

Matching items (member pledges within the same 党员编号; org pledges within the unit),
not by 序号, since inserting a row renumbers every row below it:

1. identical 承诺事项 (whitespace ignored) pair first;
2. then the most similar remaining pairs, if their text similarity
   (``difflib.SequenceMatcher`` ratio) is at least ``SIMILARITY`` (0.6);
3. items still unmatched of the same member and type are paired in their order (a
   rewritten item in the same place is shown as an edit, not as removed + added).

Anything left is 新增 (added) or 删除 (removed). A matched pair gives one 修改 row per
changed content field (type, content, measures, deadline, effect), one row per changed
审核 / 完成情况 / 完成日期, and a 状态变化 row when the computed status (as of the run's
date, for both versions) differs, e.g. 进行中 → 已完成.

Reading the previous version from the archive is the job's edge
(:mod:`pipeline.jobs.changes`); this module only compares.

T101 (提醒): an item that was approved (审核 = 通过) in the previous version and whose
content fields (type, content, measures, deadline, effect) changed, except the fields
whose cell (or row) carried an error finding in the previous version: those were
corrected as the office's feedback asked (按反馈要求更正), see :func:`unit_changes`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from pipeline.core.findings import NOTICE, Finding
from pipeline.read import layout as L
from pipeline.read.parse import ParsedWorkbook
from pipeline.rules.status import add_status
from pipeline.rules.tracking import as_date, seq_int

if TYPE_CHECKING:  # the job's record type only; rules never import the jobs layer
    from pipeline.jobs.consolidation import UnitReturn

SIMILARITY = 0.6
CONTENT_FIELDS = ("kind", "content", "measures", "deadline", "effect")
PROGRESS_FIELDS = ("review", "progress", "done_on")
LABELS = {
    "kind": "承诺类型",
    "content": "承诺事项",
    "measures": "措施",
    "deadline": "完成期限",
    "effect": "预期效果",
    "review": "审核",
    "progress": "完成情况",
    "done_on": "完成日期",
    "status": "状态",
}
ADDED, REMOVED, EDITED, REVIEWED, PROGRESSED, STATUS = (
    "新增",
    "删除",
    "修改",
    "审核变化",
    "进展变化",
    "状态变化",
)
BLANK = "（空）"
DETAIL_COLUMNS = [
    "单位编码",
    "单位名称",
    "工作表",
    "原序号",
    "现序号",
    "党员编号",
    "姓名",
    "承诺事项",
    "变更类型",
    "字段",
    "原内容",
    "新内容",
    "说明",
]
CORRECTED = "按反馈要求更正"
_WS = re.compile(r"\s+")


@dataclass
class UnitChanges:
    unit_code: str
    unit_name: str
    file: str
    mtime: str
    previous: str = ""
    previous_mtime: str = ""
    note: str = ""
    rows: list[dict[str, object]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    logs_added: int = 0
    corrected: int = 0  # approved items edited where the previous version's feedback asked

    def count(self, kind: str) -> int:
        return sum(1 for r in self.rows if r["变更类型"] == kind)

    def items(self, *kinds: str) -> int:
        """Distinct items with a row of one of ``kinds``."""
        return len(
            {
                (r["工作表"], r["原序号"], r["现序号"], r["党员编号"])
                for r in self.rows
                if r["变更类型"] in kinds
            }
        )


def _key(text: object) -> str:
    return _WS.sub("", str(text or ""))


def _show(v: object) -> str:
    d = as_date(v)
    if d is not None:
        return d.isoformat()
    s = "" if v is None or (isinstance(v, float) and v != v) else str(v)
    return s if s.strip() else BLANK


def _same(a: object, b: object) -> bool:
    da, db = as_date(a), as_date(b)
    if da is not None or db is not None:
        return da == db
    return _key(a) == _key(b)


def match_items(
    old: pd.DataFrame, new: pd.DataFrame, group: str | None
) -> list[tuple[int | None, int | None]]:
    """Pairs of row positions (old, new); None on one side for removed / added items.

    ``group`` is the column items must share (``member_id``), None for one group."""

    def groups(df: pd.DataFrame) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        keys = df[group].map(_key) if group else pd.Series([""] * len(df))
        for i, k in enumerate(keys):
            out.setdefault(str(k), []).append(i)
        return out

    og, ng = groups(old), groups(new)
    ocontent, ncontent = [_key(x) for x in old["content"]], [_key(x) for x in new["content"]]
    okind, nkind = (
        list(old["kind"]) if "kind" in old else [""] * len(old),
        list(new["kind"]) if "kind" in new else [""] * len(new),
    )
    pairs: list[tuple[int | None, int | None]] = []
    for k in list(og) + [k for k in ng if k not in og]:
        olds, news = list(og.get(k, [])), list(ng.get(k, []))
        # 1. identical content, in order
        for o in list(olds):
            hit = next((n for n in news if ncontent[n] == ocontent[o]), None)
            if hit is not None:
                pairs.append((o, hit))
                olds.remove(o)
                news.remove(hit)
        # 2. most similar pairs above the threshold
        scored = sorted(
            (
                (difflib.SequenceMatcher(None, ocontent[o], ncontent[n], autojunk=False).ratio(), o, n)
                for o in olds
                for n in news
            ),
            key=lambda t: (-t[0], t[1], t[2]),
        )
        for score, o, n in scored:
            if score < SIMILARITY:
                break
            if o in olds and n in news:
                pairs.append((o, n))
                olds.remove(o)
                news.remove(n)
        # 3. same type, in order
        for kind in dict.fromkeys([okind[o] for o in olds]):
            os_ = [o for o in olds if okind[o] == kind]
            ns_ = [n for n in news if nkind[n] == kind]
            for o, n in zip(os_, ns_, strict=False):
                pairs.append((o, n))
                olds.remove(o)
                news.remove(n)
        pairs += [(o, None) for o in olds] + [(None, n) for n in news]
    return sorted(
        pairs, key=lambda p: (p[1] if p[1] is not None else 10**9, p[0] if p[0] is not None else -1)
    )


def _items(parsed: ParsedWorkbook, layout: L.SheetLayout, as_of: dt.date, due_soon_days: int) -> pd.DataFrame:
    df = parsed.frame(layout)
    df = df[df["content"].map(_key) != ""]
    if "kind" not in df:
        df = df.assign(kind="")
    return add_status(df, as_of, due_soon_days).reset_index(drop=True)


def diff_sheet(
    old: pd.DataFrame, new: pd.DataFrame, layout: L.SheetLayout, base: dict[str, object]
) -> tuple[list[dict[str, object]], list[tuple[dict[str, object], dict[str, object], list[str]]]]:
    """Change rows of one sheet, and (old row, new row, changed content fields) of items
    that were approved before and whose content changed (T101 candidates)."""
    group = "member_id" if layout.name == L.SHEET_MEMBER else None
    orec, nrec = old.to_dict("records"), new.to_dict("records")
    rows: list[dict[str, object]] = []
    t101: list[tuple[dict[str, object], dict[str, object], list[str]]] = []

    def row(
        o: dict[str, object] | None,
        n: dict[str, object] | None,
        kind: str,
        fld: str = "",
        a: object = "",
        b: object = "",
    ) -> None:
        ref = n if n is not None else o
        assert ref is not None
        rows.append(
            {
                **base,
                "工作表": layout.name,
                "原序号": seq_int(o["seq"]) if o else None,
                "现序号": seq_int(n["seq"]) if n else None,
                "党员编号": ref.get("member_id", ""),
                "姓名": ref.get("name", ""),
                "承诺事项": ref["content"],
                "变更类型": kind,
                "字段": LABELS.get(fld, fld),
                "原内容": _show(a) if fld else "",
                "新内容": _show(b) if fld else "",
                "说明": "",
            }
        )

    for oi, ni in match_items(old, new, group):
        o = orec[oi] if oi is not None else None
        n = nrec[ni] if ni is not None else None
        if o is None:
            row(None, n, ADDED)
            continue
        if n is None:
            row(o, None, REMOVED)
            continue
        changed = [f for f in CONTENT_FIELDS if f in o and not _same(o[f], n[f])]
        for f in changed:
            row(o, n, EDITED, f, o[f], n[f])
        for f in PROGRESS_FIELDS:
            if not _same(o[f], n[f]):
                row(o, n, REVIEWED if f == "review" else PROGRESSED, f, o[f], n[f])
        if o["status"] != n["status"]:
            row(o, n, STATUS, "status", o["status"], n["status"])
        if changed and o["review"] == L.REVIEW_APPROVED:
            t101.append((o, n, changed))
    return rows, t101


def _log_keys(parsed: ParsedWorkbook) -> Counter[tuple[str, ...]]:
    df = parsed.frame(L.LOG_SHEET)
    return Counter(
        (_show(d), _key(m), _key(r), _key(t))
        for d, m, r, t in zip(df["date"], df["member_id"], df["pledge_ref"], df["note"], strict=True)
    )


def unit_changes(
    ur: UnitReturn,
    previous: ParsedWorkbook | None,
    prev_rel: str,
    prev_mtime: str,
    as_of: dt.date,
    due_soon_days: int,
    office: str = "学校活动办公室",
    flagged: set[tuple[str, int, int]] | None = None,
) -> UnitChanges:
    """Compare the used version of one unit with its previous version (pure).

    ``flagged``: (layout sheet, row, column) of the previous version's error findings
    (column 0 for a whole row). An approved item's field edited where its previous cell
    (or row) carried an error is a correction the feedback asked for: its edit rows say
    按反馈要求更正 and it raises no T101; other edited fields of an approved item do."""
    flagged = flagged or set()
    uc = UnitChanges(ur.unit_code, ur.unit_name, ur.file.rel, ur.file.received_text, prev_rel, prev_mtime)
    if previous is None:
        uc.note = "首次报送，没有可比较的上一版本" if not prev_rel else "上一版本无法读取，未比较"
        return uc
    base: dict[str, object] = {"单位编码": ur.unit_code, "单位名称": ur.unit_name}
    for layout in (L.MEMBER_SHEET, L.ORG_SHEET):
        old = _items(previous, layout, as_of, due_soon_days)
        new = _items(ur.parsed, layout, as_of, due_soon_days)
        rows, t101 = diff_sheet(old, new, layout, base)
        uc.rows += rows
        field_cols = ur.parsed.field_cols.get(layout.name, {})
        old_cols = previous.field_cols.get(layout.name, {})
        sheet = ur.parsed.sheet_names.get(layout.name, layout.name)
        for o, n, edited in t101:
            row = int(float(str(o["excel_row"])))
            asked = {
                f
                for f in edited
                if (layout.name, row, 0) in flagged or (layout.name, row, old_cols.get(f, -1)) in flagged
            }
            if asked:
                labels = {LABELS[f] for f in asked}
                for r in rows:
                    if (
                        r["变更类型"] == EDITED
                        and r["原序号"] == seq_int(o["seq"])
                        and r["党员编号"] == o.get("member_id", "")
                        and r["字段"] in labels
                    ):
                        r["说明"] = CORRECTED
                uc.corrected += 1
            changed = [f for f in edited if f not in asked]
            if not changed:
                continue
            what = "；".join(f"{LABELS[f]}由“{_show(o[f])}”改为“{_show(n[f])}”" for f in changed)
            who = f"{n.get('name', '')}的" if n.get("name") else ""
            column = field_cols.get(changed[0], field_cols.get("content", 0))
            uc.findings.append(
                Finding(
                    NOTICE,
                    "T101",
                    f"{who}这项承诺在上一版本（{prev_rel}，{prev_mtime}）中已审核通过，本版本被修改：{what}。"
                    f"审核通过的承诺不应自行修改；如确需调整，请支部重新审核并报{office}备案，否则请改回原内容。",
                    unit_code=ur.unit_code,
                    unit_name=ur.unit_name,
                    file=ur.file.rel,
                    sheet=sheet,
                    row=int(float(str(n["excel_row"]))) if column else 0,
                    column=column,
                    member_id=str(n.get("member_id", "")),
                    member_name=str(n.get("name", "")),
                )
            )
    uc.logs_added = sum((_log_keys(ur.parsed) - _log_keys(previous)).values())
    return uc
