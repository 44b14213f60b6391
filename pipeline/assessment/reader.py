"""Read the returned evaluation workbooks and the leadership group's decisions.

Everything under ``inputs/evaluation/`` is read-only. Returned 考核评价表 are found with
:func:`pipeline.intake.inbox.discover`, identified by ``_meta`` (else by file name), the newest
version per unit is used (:func:`pipeline.intake.inbox.pick_newest`), and their cells are
normalised (counts to whole numbers, 述职 to 是/否) before the pandera schemas of
``schemas.evaluation`` check values. Every problem is a :class:`Finding` with its cell.

``领导小组意见.xlsx`` (the clerk's copy of 评价结果.xlsx with the group's decisions) is
read by :func:`read_overrides`: its rows only, never a rule.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.assessment import layout as A
from pipeline.assessment.policy import GRADES
from pipeline.core.findings import ERROR, NOTICE, Finding, Findings, cell_text
from pipeline.core.settings import Settings
from pipeline.intake.arrivals import load_arrivals
from pipeline.intake.filecheck import check_file
from pipeline.intake.inbox import (
    FORM_DECISIONS,
    FORM_EVALUATION,
    Archive,
    InboxFile,
    discover,
    identify_unit,
    pick_newest,
    superseded_notice,
    with_received,
)
from pipeline.intake.received import plausibility, saved_time
from pipeline.read.layout import SheetLayout
from pipeline.read.parse import checked_header, renamed_sheet_notice
from pipeline.read.reader import (
    SheetGrid,
    WorkbookRead,
    find_header,
    formula_cells_without_value,
    read_workbook,
)
from pipeline.read.textnorm import norm_choice, norm_code, norm_text
from pipeline.read.validate import schema_findings
from pipeline.rules.roster import Roster
from pipeline.schemas.evaluation import UnitTallySchema, member_tally_schema

FieldCols = dict[tuple[str, str], dict[str, int]]  # (file, layout sheet) -> field -> 1-based column
KEEP = A.KEEP
INBOX_RETURNS = "returns"  # where the mail intake keeps its arrival log
KEEP_ALIASES = A.KEEP_ALIASES

# ----------------------------------------------------------------------- cell parsing

_INT_RE = re.compile(r"^[+-]?\d+$")
_INT_UNIT_RE = re.compile(r"^(\d+)(票|人|名|张)$")


@dataclass(frozen=True)
class CountReading:
    value: int | None
    error: str = ""  # one Chinese clause when the cell is not a whole number
    note: str = ""  # a tolerated form ("12票" read as 12)


def parse_count(v: object) -> CountReading:
    """A vote count from a cell: whole numbers only (negatives pass to the schema)."""
    if v is None or v == "":
        return CountReading(None)
    if isinstance(v, bool):
        return CountReading(None, f"填的是“{'TRUE' if v else 'FALSE'}”，不是票数")
    if isinstance(v, int):
        return CountReading(v)
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return CountReading(None, "不是数字")
        if not v.is_integer():
            return CountReading(None, f"填的是小数“{v:g}”，票数应为整数")
        return CountReading(int(v))
    text = norm_text(v)
    if not text:
        return CountReading(None)
    key = unicodedata.normalize("NFKC", text).replace(" ", "")
    if _INT_RE.match(key):
        return CountReading(int(key))
    m = _INT_UNIT_RE.match(key)
    if m:
        return CountReading(int(m.group(1)), note=f"填的是“{text}”，已按 {int(m.group(1))} 理解")
    try:
        f = float(key)
    except ValueError:
        return CountReading(None, f"填的是文字“{text[:20]}”，不是票数")
    if f.is_integer():
        return CountReading(int(f))
    return CountReading(None, f"填的是小数“{text}”，票数应为整数")


# ----------------------------------------------------------------------- one workbook


@dataclass
class EvalParsed:
    meta: dict[str, str] = field(default_factory=dict)
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)  # layout sheet -> normalised rows
    field_cols: dict[str, dict[str, int]] = field(
        default_factory=dict
    )  # layout sheet -> field -> 1-based column
    sheet_names: dict[str, str] = field(default_factory=dict)  # layout sheet -> actual sheet name
    findings: list[Finding] = field(default_factory=list)
    is_eval_form: bool = True


def _meta(wb: WorkbookRead) -> dict[str, str]:
    grid = wb.sheets.get(A.SHEET_META)
    if grid is None:
        return {}
    out: dict[str, str] = {}
    for row in grid.rows[:40]:
        if len(row) >= 2 and row[0] not in (None, ""):
            out[norm_text(row[0])] = norm_text(row[1])
    out["unit_code"] = norm_code(out.get("unit_code", ""))
    return out


def _sheet_key(name: str) -> str:
    return "".join(name.split()).replace("（", "(").replace("）", ")")


def _locate(wb: WorkbookRead, layout: SheetLayout, taken: set[str]) -> str | None:
    if layout.name in wb.sheets:
        return layout.name
    for name in wb.sheets:
        if name not in taken and _sheet_key(name) == _sheet_key(layout.name):
            return name
    for name, grid in wb.sheets.items():
        if name in taken or name == A.SHEET_META:
            continue
        m = find_header(grid, layout.header_spec(), layout.required)
        if m is not None and not m.missing:
            return name
    return None


def _parse_sheet(
    grid: SheetGrid, layout: SheetLayout, file: str, add: Any, formulas: set[str]
) -> tuple[pd.DataFrame, dict[str, int]] | None:
    def finding(severity: str, rule: str, message: str, row: int = 0, column: int = 0) -> None:
        add(Finding(severity, rule, message, file=file, sheet=grid.name, row=row, column=column))

    match = checked_header(grid, layout, finding, form="考核评价表")
    if match is None:
        return None
    field_cols = {f: c + 1 for f, c in match.colmap.items()}

    start = match.row + 1
    user = [f for f in A.USER_FIELDS[layout.name] if f in match.colmap]
    keys = [f for f in ("member_id", "name") if f in match.colmap and layout.name == A.SHEET_MEMBERS]
    records: list[dict[str, Any]] = []
    for r in range(start, grid.n_rows):

        def val(f: str, r: int = r) -> object:
            return grid.value(r, match.colmap[f]) if f in match.colmap else None

        filled = any(val(f) not in (None, "") for f in user)
        if not filled and not any(val(f) not in (None, "") for f in keys):
            continue
        excel_row = r + 1
        rec: dict[str, Any] = {"excel_row": excel_row, "filled": filled}
        for col in layout.columns:
            f = col.field
            raw = val(f)
            column = field_cols.get(f, 0)
            if column and cell_text(excel_row, column) in formulas:
                finding(
                    ERROR,
                    "V106",
                    f"“{col.header}”是公式且没有计算结果，已按空白处理。请填写数值本身而不是公式。",
                    excel_row,
                    column,
                )
                raw = None
            if col.kind == "count":
                reading = parse_count(raw)
                if reading.error:
                    finding(
                        ERROR,
                        "E102",
                        f"“{col.header}”{reading.error}。请填写不小于 0 的整数（没有票填 0）。",
                        excel_row,
                        column,
                    )
                elif reading.note:
                    finding(NOTICE, "E102", f"“{col.header}”{reading.note}。请只填数字。", excel_row, column)
                rec[f] = reading.value
            elif col.kind == "choice":
                text = norm_text(raw)
                choice = norm_choice(text, A.DUTY_CHOICES, A.DUTY_ALIASES) if text else ""
                if choice is None:
                    finding(
                        ERROR,
                        "E105",
                        f"“{col.header}”填的是“{text[:20]}”，不是可选值。请从下拉列表选择“是”或“否”。",
                        excel_row,
                        column,
                    )
                    choice = ""
                elif choice and choice != text:
                    finding(
                        NOTICE,
                        "E105",
                        f"“{col.header}”填的是“{text[:20]}”，已按“{choice}”理解。请从下拉列表选择。",
                        excel_row,
                        column,
                    )
                rec[f] = choice
            elif col.kind == "code" or col.kind == "int":
                rec[f] = norm_code(raw)
            else:
                rec[f] = norm_text(raw)
        records.append(rec)
    df = pd.DataFrame.from_records(
        records, columns=["excel_row", "filled", *[c.field for c in layout.columns]]
    )
    for col in layout.columns:
        if col.kind == "count":
            df[col.field] = pd.array(df[col.field].tolist(), dtype="Int64")
        else:
            df[col.field] = df[col.field].fillna("").astype(str)
    df["filled"] = df["filled"].astype(bool)
    df["excel_row"] = df["excel_row"].astype(int)
    return df, field_cols


def parse_eval_workbook(wb: WorkbookRead, file: str, formula_cells: Any = None) -> EvalParsed:
    """Locate 党员评议 and 单位测评 and normalise them (no roster rules yet)."""
    out = EvalParsed(meta=_meta(wb))
    if out.meta.get("form") and out.meta["form"] != A.FORM_EVAL:
        out.is_eval_form = False
        return out
    taken: set[str] = set()
    found = False
    for layout in A.EVAL_SHEETS:
        name = _locate(wb, layout, taken)
        if name is None:
            out.findings.append(
                Finding(
                    ERROR,
                    "L101",
                    f"缺少工作表“{layout.name}”。请使用统一下发的考核评价表，不要删除或改名工作表。",
                    file=file,
                )
            )
            continue
        taken.add(name)
        found = True
        out.sheet_names[layout.name] = name
        if name != layout.name:
            out.findings.append(renamed_sheet_notice(name, layout.name, file))
        formulas = set(formula_cells(name)) if formula_cells else set()
        parsed = _parse_sheet(wb.sheets[name], layout, file, out.findings.append, formulas)
        if parsed is not None:
            out.frames[layout.name], out.field_cols[layout.name] = parsed
    out.is_eval_form = found
    return out


# ----------------------------------------------------------------------- the inbox


@dataclass
class EvalReturn:
    unit_code: str
    unit_name: str
    file: InboxFile
    parsed: EvalParsed
    superseded: list[InboxFile] = field(default_factory=list)


@dataclass
class Evaluations:
    """Validated tallies of the versions in use.

    ``members``: one row per member row of 党员评议 (roster members only): ``unit_code,
    member_id, name, duty, voters, vote_*, sat_*, filled, invalid, file, sheet, excel_row``.
    ``units``: one row per unit that returned: ``unit_code, duty, sat_*, filled, invalid, ...``.
    ``invalid`` is True when an error was found in the row (its figures are not used).
    """

    members: pd.DataFrame
    units: pd.DataFrame
    used: dict[str, EvalReturn]
    files: list[InboxFile]
    findings: list[Finding]
    overrides_files: list[InboxFile]

    @property
    def returned(self) -> set[str]:
        return set(self.used)


def is_overrides_file(f: InboxFile) -> bool:
    stem = unicodedata.normalize("NFKC", Path(f.name).stem).replace(" ", "")
    return stem.startswith(A.OVERRIDES_STEM)


def _sheet_frame(used: dict[str, EvalReturn], layout: SheetLayout) -> pd.DataFrame:
    parts = []
    for code, er in used.items():
        df = er.parsed.frames.get(layout.name)
        if df is None:
            continue
        parts.append(
            df.assign(
                unit_code=code,
                unit_name=er.unit_name,
                file=er.file.rel,
                sheet=er.parsed.sheet_names.get(layout.name, layout.name),
            )
        )
    cols = list(
        dict.fromkeys(
            [
                "excel_row",
                "filled",
                *[c.field for c in layout.columns],
                "unit_code",
                "unit_name",
                "file",
                "sheet",
            ]
        )
    )
    if not parts:
        empty = pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
        for column in layout.columns:
            if column.kind == "count":
                empty[column.field] = pd.Series([], dtype="Int64")
            else:
                empty[column.field] = empty[column.field].astype(str)
        for name in ("unit_code", "unit_name", "file", "sheet"):
            empty[name] = empty[name].astype(str)
        empty["filled"] = empty["filled"].astype(bool)
        empty["excel_row"] = empty["excel_row"].astype(int)
        return empty
    return pd.concat(parts, ignore_index=True)[cols]


_MEMBER_MESSAGES = {
    "non_negative": ("E102", "“{column}”填的是负数“{value}”。请填写不小于 0 的整数（没有票填 0）。"),
    "duty": ("E105", "“{column}”填的是“{value}”，应为{allowed}。请从下拉列表选择。"),
    "has_member": ("E104", "这一行填了票数，但没有党员编号。请填写花名册中的党员编号。"),
    "on_roster": (
        "E104",
        "党员编号“{value}”不在本单位花名册中，这一行未采用。请核对编号；花名册以外的人员不参加本单位评议。",
    ),
    "unique_member": ("E109", "党员编号“{value}”在表中有多行，只采用第一行。请删除重复的行。"),
    "votes_within_voters": (
        "E103",
        "四项评议票数之和超过了参评人数 {value}，这一行的票数未采用。请核对各项票数和参评人数。",
    ),
}
_MEMBER_FOCUS = {
    "has_member": "member_id",
    "on_roster": "member_id",
    "unique_member": "member_id",
    "votes_within_voters": "voters",
}
_UNIT_MESSAGES = {
    "non_negative": ("E102", "“{column}”填的是负数“{value}”。请填写不小于 0 的整数（没有票填 0）。"),
    "duty": ("E105", "“{column}”填的是“{value}”，应为{allowed}。请从下拉列表选择。"),
}
# The Chinese header of each column, for the messages (the clerk sees headers, not fields).
_MEMBER_HEADERS = {c.field: c.header for c in A.MEMBER_EVAL_SHEET.columns}
_UNIT_HEADERS = {c.field: c.header for c in A.UNIT_EVAL_SHEET.columns}


def _fix_ids(df: pd.DataFrame, roster: Roster, field_cols: FieldCols, add: Any) -> pd.DataFrame:
    """Blank ids with a unique roster name in the unit get the roster id; ids typed as
    numbers that lost their leading zeros are restored (V109 notice)."""
    m = roster.members
    by_name: dict[tuple[str, str], list[str]] = defaultdict(list)
    for mid, name, unit in zip(m["member_id"], m["name"], m["unit_code"], strict=True):
        by_name[(unit, name)].append(mid)
    known = set(m["member_id"])
    widths = {len(i) for i in known if i.isdigit()}
    ids = df["member_id"].tolist()
    for i, row in enumerate(df.itertuples(index=False)):
        mid = ids[i]
        if not mid and row.name:
            hits = by_name.get((row.unit_code, row.name), [])
            if len(hits) == 1:
                ids[i] = hits[0]
        elif mid and mid not in known and mid.isdigit():
            fixed = {mid.zfill(w) for w in widths} & known
            if len(fixed) == 1:
                ids[i] = fixed.pop()
                column = field_cols.get((row.file, A.SHEET_MEMBERS), {}).get("member_id", 0)
                add(
                    Finding(
                        NOTICE,
                        "V109",
                        f"党员编号“{mid}”丢失了开头的 0，已按“{ids[i]}”理解。请把该列设为文本格式后填写。",
                        unit_code=row.unit_code,
                        unit_name=row.unit_name,
                        file=row.file,
                        sheet=row.sheet,
                        row=int(row.excel_row) if column else 0,
                        column=column,
                        member_id=ids[i],
                        member_name=row.name,
                    )
                )
    return df.assign(member_id=ids)


def _validate_members(
    df: pd.DataFrame, roster: Roster, field_cols: FieldCols, findings: Findings
) -> pd.DataFrame:
    df = _fix_ids(df.reset_index(drop=True), roster, field_cols, findings.add)
    names = dict(zip(roster.members["member_id"], roster.members["name"], strict=True))

    def cell(i: int, f: str) -> tuple[int, int]:
        """(row, column) of field ``f`` in row ``i``; (0, 0) when the column was not found."""
        column = field_cols.get((df.at[i, "file"], A.SHEET_MEMBERS), {}).get(f, 0)
        return (int(df.at[i, "excel_row"]), column) if column else (0, 0)

    def where(index: object, column: str) -> dict[str, Any]:
        i = int(index)  # type: ignore[call-overload]
        row, col = cell(i, column)
        return {
            "unit_code": df.at[i, "unit_code"],
            "unit_name": df.at[i, "unit_name"],
            "file": df.at[i, "file"],
            "sheet": df.at[i, "sheet"],
            "row": row,
            "column": col,
            "member_id": df.at[i, "member_id"],
            "member_name": df.at[i, "name"],
        }

    # A blank 参评人数 with votes filled in: use the vote total (notice).
    votes = df[list(A.VOTE_FIELDS.values())].sum(axis=1, min_count=1)
    infer = df["voters"].isna() & votes.notna()
    for i in df.index[infer]:
        findings.add(
            Finding(
                NOTICE,
                "E108",
                f"“参评人数”未填写，已按四项评议票数之和 {int(votes[i])} 计算。请补填参评人数。",
                **where(i, "voters"),
            )
        )
    df.loc[infer, "voters"] = votes[infer]
    # A filled row without 述职: an error (it decides a hard rule).
    for i in df.index[df["filled"] & (df["duty"] == "")]:
        findings.add(Finding(ERROR, "E105", "“述职”未填写。请选择“是”或“否”。", **where(i, "duty")))
    found = schema_findings(
        member_tally_schema(dict(zip(roster.members["member_id"], roster.members["unit_code"], strict=True))),
        df,
        where,
        _MEMBER_MESSAGES,
        focus=_MEMBER_FOCUS,
        headers=_MEMBER_HEADERS,
    )
    findings.extend(found)
    for i, row in enumerate(df.itertuples(index=False)):
        roster_name = names.get(row.member_id)
        if roster_name and row.name and row.name != roster_name and row.member_id:
            findings.add(
                Finding(
                    NOTICE,
                    "E115",
                    f"姓名“{row.name}”与花名册（{roster_name}）不一致，已按党员编号采用花名册姓名。请核对。",
                    **where(i, "name"),
                )
            )
    # Drop rows that are not roster members of the unit, and later duplicates.
    drop_rules = {"E104", "E109"}
    bad_rows = {(f.file, f.sheet, f.row, f.column) for f in findings.items if f.rule in drop_rules}
    keep = []
    for i in df.index:
        key = (df.at[i, "file"], df.at[i, "sheet"], *cell(i, "member_id"))
        keep.append(key not in bad_rows and df.at[i, "member_id"] != "")
    df = df[pd.Series(keep, index=df.index, dtype=bool)].copy()  # bool even when empty (no forms yet)
    df["name"] = [names.get(mid, n) for mid, n in zip(df["member_id"], df["name"], strict=True)]
    return df


def _row_errors(df: pd.DataFrame, findings: list[Finding], sheet_layout: str) -> pd.Series:
    """True for rows with an error finding in one of their cells."""
    bad = {(f.file, f.sheet, f.row) for f in findings if f.severity == ERROR and f.row}
    return pd.Series(
        [(f, s, int(r)) in bad for f, s, r in zip(df["file"], df["sheet"], df["excel_row"], strict=True)],
        index=df.index,
        dtype=bool,
    )


def _with_members(findings: list[Finding], members: pd.DataFrame) -> list[Finding]:
    """Fill member id and name into cell findings of 党员评议 rows (from the parsed row)."""
    who = {
        (f, s, int(r)): (mid, name)
        for f, s, r, mid, name in zip(
            members["file"],
            members["sheet"],
            members["excel_row"],
            members["member_id"],
            members["name"],
            strict=True,
        )
    }
    out = []
    for x in findings:
        hit = who.get((x.file, x.sheet, x.row)) if x.row and not x.member_id else None
        out.append(replace(x, member_id=hit[0], member_name=hit[1]) if hit else x)
    return out


def _received_files(
    files: list[InboxFile],
    settings: Settings,
    inputs: Path,
    as_of: dt.date | None,
    archive: Archive | None,
    now: dt.datetime | None,
) -> tuple[list[InboxFile], list[Finding]]:
    """``files`` with their received times (recorded once in the archive manifest, as
    for pledge forms: :func:`pipeline.intake.inbox.with_received`), only those received
    by ``as_of`` (the others are not known on that day), and F115 notices."""
    now = now or dt.datetime.now().astimezone()
    check = plausibility(settings, now if now.tzinfo else now.astimezone())
    arrivals = load_arrivals(inputs / INBOX_RETURNS)
    out: list[InboxFile] = []
    notes: list[Finding] = []
    for f in files:
        verdict = check_file(f.path)
        saved = saved_time(f.path, verdict.kind) if verdict.ok else None
        stamped, note = with_received(f, saved, archive, arrivals, check)
        if as_of is not None and stamped.received is not None and stamped.received.day > as_of:
            continue
        if note:
            notes.append(
                Finding(NOTICE, "F115", f"{note}判断哪份是最新版本和统计日期时按这个时间。", file=f.rel)
            )
        out.append(stamped)
    return out, notes


def read_evaluations(
    inputs: Path,
    settings: Settings,
    roster: Roster,
    as_of: dt.date | None = None,
    archive: Archive | None = None,
    now: dt.datetime | None = None,
) -> Evaluations:
    """Read every 考核评价表 under ``inputs/evaluation`` (never modified).

    Every version (evaluation returns and 领导小组意见 alike) goes into ``archive`` with its
    received time; with ``as_of``, only versions received by that day are used."""
    all_files, time_notes = _received_files(discover(inputs / A.INBOX), settings, inputs, as_of, archive, now)
    overrides_files = [f for f in all_files if is_overrides_file(f)]
    files = [f for f in all_files if not is_overrides_file(f)]
    findings = Findings(cap_per_rule=settings.findings_cap)
    findings.extend(time_notes)
    stamp = (now or dt.datetime.now()).replace(tzinfo=None)
    if archive is not None:
        for f in overrides_files:
            archive.add(f, "", "", stamp, form=FORM_DECISIONS)
    unit_names = dict(zip(roster.units["unit_code"], roster.units["unit_name"], strict=True))

    first: dict[str, InboxFile] = {}
    candidates: dict[str, list[InboxFile]] = defaultdict(list)
    parsed: dict[str, EvalParsed] = {}
    notes: dict[str, list[Finding]] = defaultdict(list)
    for f in files:
        if f.sha256 in first:
            findings.notice("F105", f"与“{first[f.sha256].rel}”内容完全相同，只按一份处理。", file=f.rel)
            if archive is not None:
                archive.add(f, "", "", stamp, form=FORM_EVALUATION)
            continue
        first[f.sha256] = f
        wb = read_workbook(f.path)
        if wb.error or not wb.verdict.ok:
            findings.error("F101", wb.error or wb.verdict.message, file=f.rel)
            if archive is not None:
                archive.add(f, "", "", stamp, form=FORM_EVALUATION)
            continue
        p = parse_eval_workbook(wb, f.rel, lambda sheet, f=f: formula_cells_without_value(f.path, sheet))
        if not p.is_eval_form:
            findings.error(
                "E111",
                "这不是考核评价表（找不到“党员评议”“单位测评”工作表）。如发错了附件，请让单位重新发送考核评价表。",
                file=f.rel,
            )
            if archive is not None:
                archive.add(f, "", "", stamp, form=FORM_EVALUATION)
            continue
        ident = identify_unit(p.meta, f.rel, roster, "考核评价表", "E101", "E101", settings.year)
        if ident.error is not None:
            findings.add(ident.error)
            if archive is not None:
                archive.add(f, "", "", stamp, form=FORM_EVALUATION)
            continue
        code = ident.code
        if archive is not None:
            archive.add(f, code, "", stamp, form=FORM_EVALUATION)
        notes[f.rel].extend(ident.notices)
        parsed[f.sha256] = p
        candidates[code].append(f)

    used: dict[str, EvalReturn] = {}
    for code in roster.codes:
        if code not in candidates:
            continue
        newest, older, _tied = pick_newest(candidates[code])
        for o in older:
            findings.add(superseded_notice(newest, o, code, unit_names[code], "考核评价表"))
        p = parsed[newest.sha256]
        used[code] = EvalReturn(code, unit_names[code], newest, p, older)
        findings.extend(
            replace(x, unit_code=code, unit_name=unit_names[code]) for x in notes[newest.rel] + p.findings
        )

    for code in roster.codes:
        if code not in used:
            findings.add(
                Finding(
                    NOTICE,
                    "E110",
                    f"没有收到本单位的考核评价表（述职、民主评议和满意度测评）。请催报，报回后放入 {A.INBOX}/ 文件夹再运行。",
                    unit_code=code,
                    unit_name=unit_names[code],
                )
            )
    field_cols = {
        (er.file.rel, s): er.parsed.field_cols.get(s, {})
        for er in used.values()
        for s in (A.SHEET_MEMBERS, A.SHEET_UNIT)
    }
    members = _validate_members(_sheet_frame(used, A.MEMBER_EVAL_SHEET), roster, field_cols, findings)
    units = _sheet_frame(used, A.UNIT_EVAL_SHEET)
    units = units[units["filled"]].drop_duplicates("unit_code", keep="first").reset_index(drop=True)

    def unit_where(index: object, column: str) -> dict[str, Any]:
        i = int(index)  # type: ignore[call-overload]
        col = field_cols.get((units.at[i, "file"], A.SHEET_UNIT), {}).get(column, 0)
        return {
            "unit_code": units.at[i, "unit_code"],
            "unit_name": units.at[i, "unit_name"],
            "file": units.at[i, "file"],
            "sheet": units.at[i, "sheet"],
            "row": int(units.at[i, "excel_row"]) if col else 0,
            "column": col,
        }

    findings.extend(
        schema_findings(UnitTallySchema, units, unit_where, _UNIT_MESSAGES, headers=_UNIT_HEADERS)
    )
    for i in units.index[units["duty"] == ""]:
        findings.add(Finding(ERROR, "E105", "“书记述职”未填写。请选择“是”或“否”。", **unit_where(i, "duty")))
    for code, er in used.items():
        if code not in set(units["unit_code"]):
            findings.add(
                Finding(
                    NOTICE,
                    "E116",
                    "“单位测评”表没有填写，本单位的满意度测评和书记述职按缺少处理。请补填后重新报送。",
                    unit_code=code,
                    unit_name=er.unit_name,
                    file=er.file.rel,
                    sheet=er.parsed.sheet_names.get(A.SHEET_UNIT, A.SHEET_UNIT),
                )
            )
    # Roster members of a returned unit without figures.
    filled_ids = set(members.loc[members["filled"], "member_id"])
    for code, er in used.items():
        rows = members[members["unit_code"] == code].set_index("member_id")
        for mid, name in zip(
            roster.members_of(code)["member_id"], roster.members_of(code)["name"], strict=True
        ):
            if mid in filled_ids:
                continue
            row, column = 0, 0
            if mid in rows.index:
                column = field_cols.get((er.file.rel, A.SHEET_MEMBERS), {}).get("duty", 0)
                row = int(rows.loc[mid, "excel_row"]) if column else 0  # type: ignore[arg-type]
            findings.add(
                Finding(
                    NOTICE,
                    "E113",
                    "没有填写述职和评议票数。请补填后重新报送。",
                    unit_code=code,
                    unit_name=er.unit_name,
                    file=er.file.rel,
                    sheet=er.parsed.sheet_names.get(A.SHEET_MEMBERS, A.SHEET_MEMBERS),
                    row=row,
                    column=column,
                    member_id=mid,
                    member_name=name,
                )
            )
    final = _with_members(findings.finalised(), members)
    members = members[members["filled"]].copy()
    members["invalid"] = _row_errors(members, final, A.SHEET_MEMBERS)
    units["invalid"] = _row_errors(units, final, A.SHEET_UNIT)
    return Evaluations(
        members.reset_index(drop=True), units.reset_index(drop=True), used, files, final, overrides_files
    )


# ----------------------------------------------------------------------- overrides

_OVR_COLUMNS: dict[str, list[str]] = {
    "unit_code": ["单位编码"],
    "unit_name": ["单位名称", "单位"],
    "member_id": ["党员编号"],
    "name": ["姓名"],
    "proposed": [A.COL_PROPOSED],
    "opinion": [A.COL_OPINION, "领导小组审定等次", "审定等次"],
    "reason": [A.COL_REASON, "理由"],
}


@dataclass
class Overrides:
    """The leadership group's decisions: ``members`` keyed by member_id, ``units`` by
    unit_code; columns ``key, unit_code, name, proposed, opinion, reason, file, sheet,
    excel_row, opinion_col, reason_col`` (1-based Excel numbering). ``opinion`` is a
    grade, ``KEEP`` or ""."""

    members: pd.DataFrame
    units: pd.DataFrame
    file: str
    findings: list[Finding]


_OVR_FRAME_COLS = [
    "key",
    "unit_code",
    "name",
    "proposed",
    "opinion",
    "opinion_raw",
    "reason",
    "file",
    "sheet",
    "excel_row",
    "opinion_col",
    "reason_col",
]


_OVR_INT_COLS = ("excel_row", "opinion_col", "reason_col")


def empty_overrides() -> Overrides:
    empty = pd.DataFrame(
        {c: pd.Series([], dtype=int if c in _OVR_INT_COLS else str) for c in _OVR_FRAME_COLS}
    )
    return Overrides(empty, empty.copy(), "", [])


def _read_opinions(grid: SheetGrid, file: str, members: bool, add: Any) -> pd.DataFrame:
    cols = {k: v for k, v in _OVR_COLUMNS.items() if members or k not in ("member_id", "name")}
    key = "member_id" if members else "unit_code"
    match = find_header(grid, cols, (key, "opinion", "reason"))
    rows: list[dict[str, Any]] = []
    if match is None or match.missing:
        add(
            Finding(
                ERROR,
                "L103",
                f"“{grid.name}”找不到“{'党员编号' if members else '单位编码'}”“{A.COL_OPINION}”“{A.COL_REASON}”列。请保持评价结果表的表头不变。",
                file=file,
                sheet=grid.name,
            )
        )
        return pd.DataFrame(columns=_OVR_FRAME_COLS)
    c = match.colmap
    for r in range(match.row + 1, grid.n_rows):

        def get(f: str, r: int = r) -> object:
            return grid.value(r, c[f]) if f in c else None

        opinion_raw, reason = norm_text(get("opinion")), norm_text(get("reason"))
        k = norm_code(get(key))
        if not k or (not opinion_raw and not reason):
            continue
        opinion = ""
        if opinion_raw:
            keep = norm_choice(opinion_raw, KEEP_ALIASES)
            grade = norm_choice(opinion_raw, GRADES, {"优秀": "", "合格": "", "不合格": ""})
            if keep:
                opinion = KEEP
            elif grade:
                opinion = grade
            else:
                add(
                    Finding(
                        ERROR,
                        "E107",
                        f"领导小组意见“{opinion_raw[:20]}”不是等次。请填写 好、较好、一般、差 之一，或填“同意”表示同意拟定等次。",
                        unit_code=norm_code(get("unit_code")),
                        file=file,
                        sheet=grid.name,
                        row=r + 1,
                        column=c["opinion"] + 1,
                        member_id=k if members else "",
                        member_name=norm_text(get("name")) if members else "",
                    )
                )
        rows.append(
            {
                "key": k,
                "unit_code": norm_code(get("unit_code")),
                "name": norm_text(get("name" if members else "unit_name")),
                "proposed": norm_text(get("proposed")),
                "opinion": opinion,
                "opinion_raw": opinion_raw,
                "reason": reason,
                "file": file,
                "sheet": grid.name,
                "excel_row": r + 1,
                "opinion_col": c["opinion"] + 1,
                "reason_col": c["reason"] + 1,
            }
        )
    return pd.DataFrame(rows, columns=_OVR_FRAME_COLS)


def read_overrides(inputs: Path, overrides_files: list[InboxFile] | None = None) -> Overrides:
    """Read ``inputs/evaluation/领导小组意见.xlsx`` (newest if several); empty when absent."""
    files = (
        overrides_files
        if overrides_files is not None
        else [f for f in discover(inputs / A.INBOX) if is_overrides_file(f)]
    )
    if not files:
        return empty_overrides()
    newest, older, _ = pick_newest(files)
    findings = [
        Finding(
            NOTICE,
            "F103",
            f"有更新的领导小组意见“{newest.rel}”（接收时间 {newest.received_described}），"
            f"本文件（接收时间 {o.received_described}）未采用。",
            file=o.rel,
        )
        for o in older
    ]
    wb = read_workbook(newest.path)
    if wb.error or not wb.verdict.ok:
        findings.append(Finding(ERROR, "F101", wb.error or wb.verdict.message, file=newest.rel))
        out = empty_overrides()
        out.findings = findings
        return out
    frames: dict[bool, pd.DataFrame] = {}
    for members, name in ((True, A.SHEET_MEMBER_RESULTS), (False, A.SHEET_UNIT_RESULTS)):
        grid = wb.sheets.get(name)
        if grid is None:  # renamed: find by headers
            for g in wb.sheets.values():
                m = find_header(g, _OVR_COLUMNS, ("member_id", "opinion", "reason"))
                has_member = m is not None and not m.missing
                if members == has_member and m is not None and "opinion" in m.colmap and g.name != name:
                    grid = g
                    break
        if grid is None:
            findings.append(
                Finding(
                    NOTICE,
                    "L101",
                    f"领导小组意见中没有“{name}”工作表，这部分按没有调整处理。",
                    file=newest.rel,
                )
            )
            frames[members] = pd.DataFrame(columns=_OVR_FRAME_COLS)
            continue
        frames[members] = _read_opinions(grid, newest.rel, members, findings.append)
    return Overrides(frames[True], frames[False], newest.rel, findings)
