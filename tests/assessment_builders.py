"""Builders for the assessment tests: filled evaluation workbooks written by the real
template writer (``EvalFill``), so tests read the same layout a unit receives."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from pipeline.assessment import layout as A
from pipeline.assessment.template import EvalFill, eval_forms, write_eval_template
from pipeline.core.settings import Settings
from pipeline.rules.roster import Roster
from pipeline.tooling.stamp import stamp_saved_time


def col(f: str, sheet: Any = A.MEMBER_EVAL_SHEET) -> str:
    return chr(ord("A") + sheet.index(f))


def member_row(i: int, mid: str, name: str, **kw: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "seq": i,
        "member_id": mid,
        "name": name,
        "duty": "是",
        "voters": 10,
        "vote_good": 6,
        "vote_fair": 3,
        "vote_average": 1,
        "vote_poor": 0,
        "sat_satisfied": 8,
        "sat_fairly": 2,
        "sat_basic": 0,
        "sat_unsatisfied": 0,
    }
    row.update(kw)
    return row


D01 = [("010001", "王建国"), ("010002", "李秀英"), ("010003", "张伟")]


EVAL_SAVED = dt.datetime(2026, 11, 25, 16, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def write_eval(
    inputs: Path,
    s: Settings,
    roster: Roster,
    code: str,
    rows: list[dict[str, Any]] | None = None,
    unit_row: dict[str, Any] | None = None,
    name: str | None = None,
    meta: bool = True,
    mtime: dt.datetime | None = None,
    year: int | None = None,
) -> Path:
    form = next(f for f in eval_forms(roster) if f.unit_code == code)
    if rows is None:
        rows = [member_row(i, mid, n) for i, (mid, n, _c) in enumerate(form.members, start=1)]
    unit = (
        unit_row
        if unit_row is not None
        else {"duty": "是", "sat_satisfied": 30, "sat_fairly": 5, "sat_basic": 1, "sat_unsatisfied": 0}
    )
    path = inputs / A.INBOX / (name or A.eval_filename(form.unit_code, form.unit_name))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_eval_template(form, s, path, EvalFill(member_rows=rows, unit_row=unit, meta=meta, year=year))
    # Saved (received) before the tests' AS_OF, as a unit's Excel would record it.
    stamp_saved_time(path, (mtime or EVAL_SAVED).astimezone())
    return path
