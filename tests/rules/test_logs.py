"""T102 / T103: a 履诺记实 entry must point at a pledge and a member of its own unit."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pipeline.jobs.consolidation import consolidate
from pipeline.read import layout as L
from tests.builders import d, form_of, good_fill, load, make_inputs, write_return

AS_OF = dt.date(2026, 11, 20)


def _run(tmp_path: Path, logs: list[dict[str, object]]) -> list[tuple[str, str, str, str]]:
    inputs = make_inputs(tmp_path)
    s, r = load(inputs)
    fill = good_fill(form_of(r, "D01"))
    fill.log_rows = logs
    write_return(inputs, s, r, "D01", fill)
    c = consolidate(inputs, s, r, AS_OF)
    return [(f.rule, f.severity, f.sheet, f.cell) for f in c.findings if f.rule in ("T102", "T103")]


def _log(**kw: object) -> dict[str, object]:
    row: dict[str, object] = {"date": d(10, 8), "note": "走访社区", "pledge_ref": "党员-1"}
    row.update(kw)
    return row


def test_good_logs_are_silent(tmp_path: Path) -> None:
    assert _run(tmp_path, [_log(), _log(pledge_ref="组织-2"), _log(pledge_ref="", member_id="")]) == []


def test_log_with_a_missing_pledge(tmp_path: Path) -> None:
    # column D is 承诺序号 in 履诺记实; body rows start at Excel row 2
    col = chr(ord("A") + L.LOG_SHEET.index("pledge_ref"))
    got = _run(
        tmp_path, [_log(), _log(pledge_ref="党员-99"), _log(pledge_ref="组织-9"), _log(pledge_ref="第三项")]
    )
    assert got == [("T102", "提醒", L.SHEET_LOG, f"{col}{r}") for r in (3, 4, 5)]


def test_log_with_a_member_of_another_unit(tmp_path: Path) -> None:
    col = chr(ord("A") + L.LOG_SHEET.index("member_id"))
    got = _run(tmp_path, [_log(member_id="010001"), _log(member_id="020001"), _log(member_id="999999")])
    assert got == [("T103", "提醒", L.SHEET_LOG, f"{col}{r}") for r in (3, 4)]
