"""The hidden, protected ``_meta`` sheet of a 台账.xlsx: what the roll-up (issue 16) needs
to take a ledger as a lower office's return.

Rows 1..k of columns A/B are ``key, value`` pairs (:data:`META_KEYS`): the tool and the
ledger format version, the level (``unit`` for a ledger of member workbooks, ``rollup``
for a roll-up's own ledger), the organisation (``[campaign] organisation``), the campaign
name and year, 统计截止 (AS_OF), the number of rows of 党员承诺 and 组织承诺 and a digest
of the cells the figures are computed from (:func:`rows_digest`), so a ledger edited by
hand after it was written is recognised. Below them, after :data:`UNITS_MARK`, one row per
unit: scope (the lower office for a roll-up's ledger, else empty), unit code, name, type
and its number of roster members (党员人数 is counted from the roster, which the visible
sheets do not carry).

The visible sheets are not touched: the clerk's ledger reads exactly as before.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

SHEET_META = "_meta"
TOOL = "pledge-pipeline"
FORM = "台账"
FORMAT_VERSION = 1
LEVEL_UNIT = "unit"
LEVEL_ROLLUP = "rollup"
UNITS_MARK = "units"
UNIT_COLUMNS = ("scope", "unit_code", "unit_name", "unit_type", "members")
META_KEYS = (
    "tool",
    "form",
    "format_version",
    "tool_version",
    "level",
    "organisation",
    "campaign",
    "campaign_year",
    "as_of",
    "member_rows",
    "org_rows",
    "digest",
)

# The visible columns the digest covers (the cells every figure is computed from).
MEMBER_DIGEST = ("单位编码", "党员编号", "承诺类型", "支部审核", "完成情况", "完成期限", "完成日期")
ORG_DIGEST = ("单位编码", "序号", "审核", "完成情况", "完成期限", "完成日期")
SCOPE_COLUMN = "下级单位"  # a roll-up's rows: which lower office (and below) they came from


@dataclass(frozen=True)
class MetaUnit:
    scope: str
    unit_code: str
    unit_name: str
    unit_type: str
    members: int


@dataclass
class LedgerMeta:
    level: str
    organisation: str
    campaign: str
    year: int
    as_of: dt.date
    member_rows: int
    org_rows: int
    digest: str
    units: list[MetaUnit] = field(default_factory=list)
    format_version: int = FORMAT_VERSION
    tool_version: str = ""


def canonical(v: object) -> str:
    """One text per cell value, the same for the value written and the value read back
    (dates as ISO days, whole numbers without ``.0``, empty as "")."""
    if v is None or v is pd.NaT:
        return ""
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, bool):
        return "是" if v else "否"
    return str(v)


def rows_digest(member_rows: Iterable[Sequence[object]], org_rows: Iterable[Sequence[object]]) -> str:
    """sha256 over the digest columns of every row (in :data:`MEMBER_DIGEST` /
    :data:`ORG_DIGEST` order), first 16 hex digits."""
    h = hashlib.sha256()
    for tag, rows in (("M", member_rows), ("O", org_rows)):
        for row in rows:
            h.update(("\x1f".join([tag, *(canonical(v) for v in row)]) + "\x1e").encode())
    return h.hexdigest()[:16]


_DAYS = frozenset((dt.date, type(None)))


def _canonical_column(values: list[object]) -> list[object]:
    """:func:`canonical` of every value of a column; a column of text only is its own,
    a column of dates (and blanks) is made from one text per distinct day (a county's
    rows hold ~1,000,000 dates of a few hundred days: issue 16)."""
    kinds = set(map(type, values))
    if kinds <= {str}:
        return values
    if kinds <= _DAYS:  # exact types: equal values have equal texts (not so for 1 and True)
        text = {v: canonical(v) for v in set(values)}
        return list(map(text.__getitem__, values))
    return list(map(canonical, values))


def frames_digest(members: pd.DataFrame, orgs: pd.DataFrame) -> str:
    """:func:`rows_digest` of two frames (columns in digest order), column by column:
    the same digest, without a :func:`canonical` call per text cell (issue 16)."""
    from pipeline.infra.plain import frame_columns

    return columns_digest(frame_columns(members), frame_columns(orgs))


def columns_digest(member_columns: Sequence[list[object]], org_columns: Sequence[list[object]]) -> str:
    """:func:`rows_digest` of rows given as their columns (digest order, equal lengths)."""
    h = hashlib.sha256()
    for tag, cols in (("M", member_columns), ("O", org_columns)):
        columns = [_canonical_column(col) for col in cols]
        if not columns or not len(columns[0]):
            continue
        start, end = tag + "\x1f", "\x1e"
        h.update("".join([start + "\x1f".join(row) + end for row in zip(*columns, strict=True)]).encode())  # type: ignore[arg-type]
    return h.hexdigest()[:16]


def write_meta(wb: Any, meta: LedgerMeta) -> None:
    """Add the hidden, protected ``_meta`` sheet to the xlsxwriter workbook ``wb``."""
    from pipeline import __version__

    ws = wb.add_worksheet(SHEET_META)
    values = {
        "tool": TOOL,
        "form": FORM,
        "format_version": str(meta.format_version),
        "tool_version": __version__,
        "level": meta.level,
        "organisation": meta.organisation,
        "campaign": meta.campaign,
        "campaign_year": str(meta.year),
        "as_of": meta.as_of.isoformat(),
        "member_rows": str(meta.member_rows),
        "org_rows": str(meta.org_rows),
        "digest": meta.digest,
    }
    r = 0
    for k in META_KEYS:
        ws.write_string(r, 0, k)
        ws.write_string(r, 1, values[k])
        r += 1
    ws.write_string(r, 0, UNITS_MARK)
    r += 1
    for j, name in enumerate(UNIT_COLUMNS):
        ws.write_string(r, j, name)
    for u in meta.units:
        r += 1
        for j, v in enumerate((u.scope, u.unit_code, u.unit_name, u.unit_type)):
            ws.write_string(r, j, v)
        ws.write_number(r, 4, u.members)
    ws.hide()
    ws.protect()


def parse_meta(rows: Sequence[Sequence[object]]) -> LedgerMeta | str:
    """The ``_meta`` sheet's cells back into a :class:`LedgerMeta`, or a Chinese reason
    why they do not describe a ledger of this tool."""
    values: dict[str, str] = {}
    i = 0
    while i < len(rows):
        row = [*list(rows[i]), "", ""]
        key = canonical(row[0]).strip()
        i += 1
        if key == UNITS_MARK:
            break
        if key:
            values[key] = canonical(row[1]).strip()
    if values.get("tool") != TOOL or values.get("form") != FORM:
        return "隐藏的 _meta 表不是本程序生成的台账所有"
    try:
        version = int(values.get("format_version", ""))
        year = int(values.get("campaign_year", ""))
        as_of = dt.date.fromisoformat(values.get("as_of", ""))
        member_rows = int(values.get("member_rows", ""))
        org_rows = int(values.get("org_rows", ""))
    except ValueError:
        return "隐藏的 _meta 表内容不完整或被改动"
    if version > FORMAT_VERSION:
        return f"台账格式版本 v{version} 比本程序支持的 v{FORMAT_VERSION} 新，请升级本程序"
    units: list[MetaUnit] = []
    for unit_row in rows[i + 1 :]:  # after the header row of the units table
        cells = [canonical(v).strip() for v in [*unit_row, "", "", "", "", ""]]
        if not cells[1]:
            continue
        try:
            members = int(float(cells[4] or "0"))
        except ValueError:
            return "隐藏的 _meta 表中的单位名单被改动"
        units.append(MetaUnit(cells[0], cells[1], cells[2], cells[3], members))
    return LedgerMeta(
        level=values.get("level", LEVEL_UNIT),
        organisation=values.get("organisation", ""),
        campaign=values.get("campaign", ""),
        year=year,
        as_of=as_of,
        member_rows=member_rows,
        org_rows=org_rows,
        digest=values.get("digest", ""),
        units=units,
        format_version=version,
        tool_version=values.get("tool_version", ""),
    )
