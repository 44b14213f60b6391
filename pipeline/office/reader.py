"""Read the office's and the leaders' workbooks back (never modified).

The same machinery as the pledge returns: :func:`pipeline.intake.inbox.discover` finds
the files, identical copies are counted once (F105), every distinct version is copied
to an :class:`pipeline.intake.inbox.Archive` (``outputs/archive/<inbox>/``, its own
manifest so pledge versions are not mixed with office versions), the newest version per
form and scope key is used (:func:`pipeline.intake.inbox.pick_newest`, older ones F103),
cells are read with :func:`pipeline.read.reader.read_workbook` and normalised with
:mod:`pipeline.read.textnorm` / :mod:`pipeline.read.dates`, and every problem is a
:class:`Finding` at its cell.

The workbook's form comes from ``_meta`` (``form``), else from its file name (Q108).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.core.findings import ERROR, NOTICE, Finding, Findings, cell_text
from pipeline.core.settings import Settings
from pipeline.intake.inbox import (
    Archive,
    InboxFile,
    discover,
    identify_unit,
    pick_newest,
    superseded_notice,
)
from pipeline.office import forms as O
from pipeline.read.dates import parse_date
from pipeline.read.parse import checked_header, read_meta, renamed_sheet_notice
from pipeline.read.reader import (
    SheetGrid,
    WorkbookRead,
    find_header,
    formula_cells_without_value,
    read_workbook,
)
from pipeline.read.textnorm import norm_choice, norm_code, norm_text
from pipeline.rules.roster import Roster


@dataclass
class FormReturn:
    """The version in use of one form for one scope key."""

    form: O.OfficeForm
    key: str  # "" (office scope), a unit code or a leader's name
    key_name: str
    file: InboxFile
    sheet: str  # the actual sheet name
    rows: pd.DataFrame  # excel_row, filled, the layout's fields
    field_cols: dict[str, int]  # field -> 1-based column
    superseded: list[InboxFile] = field(default_factory=list)


@dataclass
class OfficeInbox:
    inbox: str
    returns: dict[str, dict[str, FormReturn]]  # form name -> key -> return in use
    files: list[InboxFile]
    findings: list[Finding]

    def of(self, form: O.OfficeForm) -> dict[str, FormReturn]:
        return self.returns.get(form.name, {})

    def field_cols(self, form: O.OfficeForm) -> dict[str, dict[str, int]]:
        """file -> field -> 1-based column, for the versions of ``form`` in use."""
        return {r.file.rel: r.field_cols for r in self.of(form).values()}

    def frame(self, form: O.OfficeForm, prefilled_rows: bool = False) -> pd.DataFrame:
        """Every filled row of ``form`` in use, with ``key, key_name, file, sheet``;
        ``prefilled_rows``: also the rows the pipeline prefilled and nobody filled in."""
        parts = [
            r.rows.assign(key=r.key, key_name=r.key_name, file=r.file.rel, sheet=r.sheet)
            for r in self.of(form).values()
        ]
        cols = [
            "excel_row",
            "filled",
            *(c.field for c in form.sheet.columns),
            "key",
            "key_name",
            "file",
            "sheet",
        ]
        if not parts:
            return pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
        df = pd.concat(parts, ignore_index=True)
        out = (df if prefilled_rows else df[df["filled"]]).reset_index(drop=True)[cols]
        out.attrs["field_cols"] = self.field_cols(form)
        return out


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace(" ", "")


def _form_of(meta: dict[str, str], rel: str) -> tuple[O.OfficeForm | None, bool]:
    """The form named in ``_meta``, else in the file name; (form, by_name)."""
    name = meta.get("form", "")
    if name in O.FORMS_BY_NAME:
        return O.FORMS_BY_NAME[name], False
    if name:
        return None, False
    stem = _key(Path(rel).stem)
    hits = [f for n, f in O.FORMS_BY_NAME.items() if _key(n) in stem]
    return (hits[0], True) if len(hits) == 1 else (None, True)


def _sheet_key(name: str) -> str:
    return "".join(name.split()).replace("（", "(").replace("）", ")")


def _locate(wb: WorkbookRead, form: O.OfficeForm) -> str | None:
    layout = form.sheet
    if layout.name in wb.sheets:
        return layout.name
    for name in wb.sheets:
        if _sheet_key(name) == _sheet_key(layout.name):
            return name
    for name, grid in wb.sheets.items():
        if name in (O.SHEET_META, O.SHEET_GUIDE):
            continue
        m = find_header(grid, layout.header_spec(), layout.required)
        if m is not None and not m.missing:
            return name
    return None


def parse_score(v: object) -> tuple[float | None, str]:
    """A score 0–100 from a cell: (value, error clause)."""
    if v is None or v == "":
        return None, ""
    if isinstance(v, bool):
        return None, "不是分数"
    if isinstance(v, int | float):
        f = float(v)
    else:
        text = unicodedata.normalize("NFKC", norm_text(v)).replace(" ", "").removesuffix("分")
        if not text:
            return None, ""
        try:
            f = float(text)
        except ValueError:
            return None, f"填的是“{norm_text(v)[:20]}”，不是分数"
    if f != f or not 0 <= f <= 100:
        return None, f"“{v}”不在 0 到 100 之间"
    return f, ""


def parse_rows(
    grid: SheetGrid, form: O.OfficeForm, file: str, year: int, formulas: set[str], add: Any
) -> tuple[pd.DataFrame, dict[str, int]] | None:
    """Normalised rows of ``form``'s sheet with findings at cells; None without a header.
    ``formulas``: the sheet's formula cells without a cached value (``A12`` texts)."""
    layout = form.sheet

    def finding(severity: str, rule: str, message: str, row: int = 0, column: int = 0) -> None:
        add(Finding(severity, rule, message, file=file, sheet=grid.name, row=row, column=column))

    match = checked_header(grid, layout, finding, form=form.name, stop_on_missing=True)
    if match is None:
        return None
    cols = {f: c + 1 for f, c in match.colmap.items()}
    records: list[dict[str, Any]] = []
    watched = [f for f in (*form.prefilled, *form.filled_by) if f in match.colmap]
    for r in range(match.row + 1, grid.n_rows):

        def raw(f: str, r: int = r) -> object:
            return grid.value(r, match.colmap[f]) if f in match.colmap else None

        if not any(raw(f) not in (None, "") for f in watched):
            continue
        excel_row = r + 1
        rec: dict[str, Any] = {
            "excel_row": excel_row,
            "filled": any(raw(f) not in (None, "") for f in form.filled_by),
        }
        for col in layout.columns:
            f = col.field
            v = raw(f)
            column = cols.get(f, 0)
            at = (excel_row, column)
            if column and cell_text(excel_row, column) in formulas:
                finding(
                    ERROR, "V106", f"“{col.header}”是公式且没有计算结果，已按空白处理。请填写内容本身。", *at
                )
                v = None
            if col.kind == "date":
                d = parse_date(v, year)
                if d.error:
                    finding(ERROR, "V101", f"“{col.header}”{d.error}", *at)
                elif d.note:
                    finding(NOTICE, "V102", f"“{col.header}”{d.note}", *at)
                rec[f] = d.date
            elif col.kind == "choice":
                text = norm_text(v)
                values, aliases = form.choices[f]
                choice = norm_choice(text, values, aliases)
                if choice is None:
                    finding(
                        ERROR,
                        "V103",
                        f"“{col.header}”填的是“{text[:20]}”，不是可选值（{'、'.join(values)}）。请从下拉列表选择。",
                        *at,
                    )
                    choice = ""
                elif choice and choice != text:
                    finding(
                        NOTICE,
                        "V104",
                        f"“{col.header}”填的是“{text[:20]}”，已按“{choice}”理解。请从下拉列表选择。",
                        *at,
                    )
                rec[f] = choice
            elif col.kind == "score":
                score, error = parse_score(v)
                if error:
                    finding(
                        ERROR,
                        "Q109",
                        f"“{col.header}”{error}。请填写 0 到 100 的分数，或留空按完成情况折算。",
                        *at,
                    )
                rec[f] = score
            elif col.kind in ("code", "int"):
                rec[f] = norm_code(v)
            else:
                rec[f] = norm_text(v)
        records.append(rec)
    names = ["excel_row", "filled", *(c.field for c in layout.columns)]
    df = pd.DataFrame.from_records(records, columns=names)
    for col in layout.columns:
        if col.kind not in ("date", "score"):
            df[col.field] = df[col.field].fillna("").astype(str)
    df["filled"] = df["filled"].astype(bool)
    df["excel_row"] = df["excel_row"].astype(int)
    return df, cols


def _leader_key(meta: dict[str, str], rel: str, settings: Settings) -> str:
    name = meta.get("key", "")
    if name in settings.leaders:
        return name
    stem = _key(Path(rel).stem)
    hits = [n for n in settings.leaders if _key(n) in stem]
    return hits[0] if len(hits) == 1 else ""


def read_inbox(
    inputs: Path,
    outputs: Path | None,
    inbox: str,
    settings: Settings,
    roster: Roster,
    now: dt.datetime | None = None,
    extra: list[InboxFile] | None = None,
) -> OfficeInbox:
    """Read every workbook under ``inputs/<inbox>``; archive them under
    ``outputs/archive/<inbox>/`` when ``outputs`` is given. ``extra``: versions already in
    the archive that compete with the inbox's (the rectification forms as issued)."""
    now = now or dt.datetime.now()
    own = discover(inputs / inbox)
    known = {f.sha256 for f in own}
    extras = [f for f in (extra or []) if f.sha256 not in known]
    files = [*extras, *own]
    archived = {f.sha256 for f in extras}
    findings = Findings(cap_per_rule=settings.findings_cap)
    archive = Archive(outputs / "archive" / inbox) if outputs is not None and own else None
    names = roster.names
    first: dict[str, InboxFile] = {}
    candidates: dict[tuple[str, str], list[InboxFile]] = defaultdict(list)
    parsed: dict[str, tuple[O.OfficeForm, str, str, pd.DataFrame, dict[str, int], list[Finding]]] = {}
    here = O.forms_in(inbox)
    for f in files:
        if f.sha256 in first:
            findings.notice("F105", f"与“{first[f.sha256].rel}”内容完全相同，只按一份处理。", file=f.rel)
            if archive:
                archive.add(f, "", "", now)
            continue
        first[f.sha256] = f
        wb = read_workbook(f.path)
        if wb.error or not wb.verdict.ok:
            findings.error("F101", wb.error or wb.verdict.message, file=f.rel)
            if archive:
                archive.add(f, "", "", now)
            continue
        meta = read_meta(wb)
        form, by_name = _form_of(meta, f.rel)
        expected = "、".join(x.name for x in here)
        if form is None:
            findings.error(
                "Q101",
                f"这不是程序生成的{expected}（表内 _meta 和文件名都看不出是哪一种）。请用 make 命令生成的工作表填写后放入 inputs/{inbox}/。",
                file=f.rel,
            )
            if archive:
                archive.add(f, "", "", now)
            continue
        if form.inbox != inbox:
            findings.error(
                "Q102",
                f"这是{form.name}，应放在 inputs/{form.inbox}/ 文件夹，本文件夹只放{expected}。请移动后重新运行。",
                file=f.rel,
            )
            if archive:
                archive.add(f, "", form.name, now)
            continue
        notes: list[Finding] = []
        if by_name:
            notes.append(
                Finding(
                    NOTICE,
                    "Q108",
                    f"文件中没有 _meta 表（可能复制到了新文件），已按文件名识别为{form.name}。请使用程序生成的工作表。",
                    file=f.rel,
                )
            )
        key, key_name = "", ""
        if form.scope == O.SCOPE_UNIT:
            ident = identify_unit(meta, f.rel, roster, form.name, "Q103", "Q103", settings.year)
            if ident.error is not None:
                findings.add(ident.error)
                if archive:
                    archive.add(f, "", form.name, now)
                continue
            key, key_name = ident.code, names[ident.code]
            notes.extend(x for x in ident.notices if x.rule != "F107")
        elif form.scope == O.SCOPE_LEADER:
            key = key_name = _leader_key(meta, f.rel, settings)
            if not key:
                findings.error(
                    "Q103",
                    f"无法识别{form.name}是哪位领导的：表内 _meta 和文件名中都没有 campaign.toml [leaders] 里的领导姓名。"
                    f"请把文件名改为“领导姓名_{form.name}.xlsx”。",
                    file=f.rel,
                )
                if archive:
                    archive.add(f, "", form.name, now)
                continue
        year = meta.get("campaign_year", "")
        if form.scope != O.SCOPE_UNIT and year and year != str(settings.year):
            notes.append(
                Finding(
                    ERROR,
                    "F108",
                    f"这是 {year} 年度的{form.name}，本次活动是 {settings.year} 年度。请用本年度生成的{form.name}。",
                    file=f.rel,
                )
            )
        sheet = _locate(wb, form)
        if sheet is None:
            findings.error(
                "L101",
                f"缺少工作表“{form.sheet.name}”。请使用程序生成的{form.name}，不要删除或改名工作表。",
                file=f.rel,
            )
            if archive:
                archive.add(f, key, form.name, now)
            continue
        if sheet != form.sheet.name:
            notes.append(renamed_sheet_notice(sheet, form.sheet.name, f.rel))
        formulas = set(formula_cells_without_value(f.path, sheet))
        got = parse_rows(wb.sheets[sheet], form, f.rel, settings.year, formulas, notes.append)
        if archive and f.sha256 not in archived:
            archive.add(f, key, form.name, now)
        if got is None:
            findings.extend(notes)
            continue
        rows, cols = got
        parsed[f.sha256] = (form, key, sheet, rows, cols, notes)
        candidates[(form.name, key)].append(f)
    returns: dict[str, dict[str, FormReturn]] = defaultdict(dict)
    for (form_name, key), cands in candidates.items():
        newest, older, _tied = pick_newest(cands)
        form, key, sheet, rows, cols, notes = parsed[newest.sha256]
        key_name = names.get(key, key) if form.scope == O.SCOPE_UNIT else key
        for o in older:
            findings.add(
                superseded_notice(
                    newest,
                    o,
                    key if form.scope == O.SCOPE_UNIT else "",
                    key_name if form.scope == O.SCOPE_UNIT else "",
                    form.name,
                )
            )
        where: dict[str, Any] = (
            {"unit_code": key, "unit_name": key_name} if form.scope == O.SCOPE_UNIT else {}
        )
        findings.extend(replace(x, **where) for x in notes)
        returns[form_name][key] = FormReturn(form, key, key_name, newest, sheet, rows, cols, older)
    if archive:
        archive.save()
    return OfficeInbox(inbox, dict(returns), files, findings.finalised())
