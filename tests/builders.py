"""Fixtures built by code: settings, rosters and filled workbooks for tests.

Every test workbook comes from the real template writer (``Fill``), so tests exercise
the same layout a unit receives; odd layouts are produced by post-processing with
openpyxl in the test that needs them.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import os
import shutil
import tomllib
from pathlib import Path
from typing import Any

import xlsxwriter

from pipeline.core.settings import Settings, load_settings, parse_settings
from pipeline.outputs.template import Fill, UnitForm, unit_forms, write_template
from pipeline.read import layout as L
from pipeline.rules.roster import HEADERS, Roster, load_roster

REPO = Path(__file__).resolve().parent.parent
DEMO_SETTINGS = REPO / "inputs" / "campaign.toml"
YEAR = 2026


def settings_dict() -> dict[str, Any]:
    return tomllib.loads(DEMO_SETTINGS.read_text(encoding="utf-8"))


def settings() -> Settings:
    return parse_settings(copy.deepcopy(settings_dict()))


# (unit_code, unit_name, unit_type, member_id, name, gender, post, category, party_role)
ROSTER_ROWS: list[tuple[str, ...]] = [
    ("D00", "校党委", "党委", "", "", "", "", "", ""),
    ("D01", "第一党支部", "党支部", "010001", "王建国", "男", "教师", "正式党员", "支部书记"),
    ("D01", "第一党支部", "党支部", "010002", "李秀英", "女", "护士长", "正式党员", "支部委员"),
    ("D01", "第一党支部", "党支部", "010003", "张伟", "男", "辅导员", "预备党员", ""),
    ("D02", "第二党支部", "党支部", "020001", "刘芳", "女", "会计", "正式党员", "支部书记"),
    ("D02", "第二党支部", "党支部", "020002", "陈磊", "男", "教师", "正式党员", ""),
]


def write_roster(
    path: Path,
    rows: list[tuple[Any, ...]] | None = None,
    headers: list[str] | None = None,
    title: str | None = None,
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("花名册")
    r0 = 0
    if title:
        ws.write_string(0, 0, title)
        r0 = 2
    for j, h in enumerate(headers or HEADERS):
        ws.write_string(r0, j, h)
    for i, row in enumerate(rows if rows is not None else ROSTER_ROWS, start=r0 + 1):
        for j, v in enumerate(row):
            if v is None or v == "":
                continue
            if isinstance(v, int | float):
                ws.write_number(i, j, v)
            else:
                ws.write_string(i, j, str(v))
    wb.close()
    return path


def make_inputs(tmp: Path, roster_rows: list[tuple[Any, ...]] | None = None) -> Path:
    """A fresh inputs/ folder: demo settings, a small roster and an empty inbox."""
    inputs = tmp / "inputs"
    (inputs / "returns").mkdir(parents=True, exist_ok=True)
    shutil.copy(DEMO_SETTINGS, inputs / "campaign.toml")
    write_roster(inputs / "roster.xlsx", roster_rows)
    return inputs


def load(inputs: Path) -> tuple[Settings, Roster]:
    return load_settings(inputs), load_roster(inputs)


def d(month: int, day: int) -> dt.date:
    return dt.date(YEAR, month, day)


def deed(mid: str, name: str, text: str = "为社区老人免费测量血压", **kw: Any) -> dict[str, Any]:
    row = {
        "member_id": mid,
        "name": name,
        "kind": L.KIND_DEED,
        "content": text,
        "deadline": d(10, 31),
        "effect": "服务老人 50 人次",
        "review": L.REVIEW_APPROVED,
    }
    row.update(kw)
    return row


def fault(mid: str, name: str, text: str = "与学生沟通方式简单", **kw: Any) -> dict[str, Any]:
    row = {
        "member_id": mid,
        "name": name,
        "kind": L.KIND_FAULT,
        "content": text,
        "measures": "每周与 2 名学生谈心",
        "deadline": d(11, 10),
        "review": L.REVIEW_APPROVED,
    }
    row.update(kw)
    return row


def org(text: str, **kw: Any) -> dict[str, Any]:
    row = {
        "content": text,
        "measures": "支部委员分工负责",
        "deadline": d(11, 15),
        "effect": "群众满意",
        "owner": "王建国",
        "review": L.REVIEW_APPROVED,
    }
    row.update(kw)
    return row


def good_fill(form: UnitForm) -> Fill:
    """A workbook that passes every rule: 2 deeds + 1 fault per member, 3 org items."""
    rows: list[dict[str, Any]] = []
    for mid, name in form.members:
        rows += [
            deed(mid, name, f"{name}的实事一"),
            deed(mid, name, f"{name}的实事二"),
            fault(mid, name, f"{name}的缺点"),
        ]
    for i, row in enumerate(rows, start=1):
        row["seq"] = i
    orgs = [dict(org(f"{form.unit_name}组织承诺{i}"), seq=i) for i in range(1, 4)]
    return Fill(member_rows=rows, org_rows=orgs)


def form_of(roster: Roster, code: str) -> UnitForm:
    return next(f for f in unit_forms(roster) if f.unit_code == code)


# When a test's returned workbook was saved (and its file modified) unless it says: the
# morning of the earliest AS_OF most tests use (2026-10-20), so it is known on every such
# day and its completions up to that day are not claims of the future (P117).
SAVED = dt.datetime(YEAR, 10, 20, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def write_return(
    inputs: Path,
    s: Settings,
    roster: Roster,
    code: str,
    fill: Fill | None = None,
    name: str | None = None,
    mtime: dt.datetime | None = None,
    saved: dt.datetime | None = None,
) -> Path:
    """A returned workbook as a unit would save it: its own saved time (``saved``, else
    ``mtime``, else :data:`SAVED`; naive times are this machine's local time) and the
    file's modification time (``mtime``, else the saved time)."""
    form = form_of(roster, code)
    path = inputs / "returns" / (name or L.template_filename(form.unit_code, form.unit_name))
    path.parent.mkdir(parents=True, exist_ok=True)
    fill = fill or good_fill(form)
    when = (saved or mtime or SAVED).astimezone()
    if fill.saved is None:
        fill = dataclasses.replace(fill, saved=when)
    write_template(form, s, path, fill, bulk=False)  # shared strings, as Excel saves
    ts = (mtime or when).timestamp()
    os.utime(path, (ts, ts))
    return path


def resend_first_pledge(inputs: Path, content: str | None, unit: str = "D01") -> None:
    """``unit`` re-sends its November workbook with the 承诺事项 of its first 党员承诺 row set
    to ``content`` (None: blanked), saved before the demo's AS_OF."""
    import openpyxl

    from pipeline.tooling.stamp import stamp_saved_time

    path = next((inputs / "returns" / "2026-11").glob(f"{unit}_*.xlsx"))
    wb = openpyxl.load_workbook(path)
    ws = wb["党员承诺"]
    header = [c.value for c in ws[1]]
    col = next(j for j, h in enumerate(header, 1) if h and "承诺事项" in str(h))
    ws.cell(row=2, column=col, value=content)
    wb.save(path)
    stamp_saved_time(path, dt.datetime(2026, 11, 19, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))))
