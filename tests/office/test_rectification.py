"""整改 → 拟组织处理: the issued form, a return past its deadline, a unit that never
returned it (hand-computed dates: issued 2026-11-27, rectify_days 30 -> 2026-12-27)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from pipeline.cli import main
from pipeline.core.settings import load_settings
from pipeline.office import forms as O
from pipeline.office.workbook import write_office_workbook
from pipeline.read import layout as L
from tests.assessment_builders import member_row, write_eval
from tests.builders import d, form_of, good_fill, load, make_inputs, write_return

ISSUE = "2026-11-27"
FORM = "D01_第一党支部_整改情况表.xlsx"


def run(inputs: Path, outputs: Path, as_of: str) -> int:
    return main(
        ["--quiet", "--inputs", str(inputs), "--outputs", str(outputs), "rectification", "--as-of", as_of]
    )


def rows_of(path: Path, sheet: str) -> list[dict[str, Any]]:
    rows = list(openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


@pytest.fixture
def campaign(tmp_path: Path) -> tuple[Path, Path]:
    inputs = make_inputs(tmp_path)
    s, roster = load(inputs)
    fill = good_fill(form_of(roster, "D01"))
    for row in fill.member_rows:
        row.update(progress=L.PROGRESS_DONE, done_on=d(10, 20))
    write_return(inputs, s, roster, "D01", fill, mtime=dt.datetime(2026, 11, 20, 9, 0))
    # 李秀英: 4 差 votes of 10 voters > 1/3 -> 差 (the 差-vote rule) -> 整改名单.
    write_eval(
        inputs,
        s,
        roster,
        "D01",
        rows=[
            member_row(1, "010001", "王建国"),
            member_row(2, "010002", "李秀英", vote_good=2, vote_fair=2, vote_average=2, vote_poor=4),
            member_row(3, "010003", "张伟"),
        ],
        mtime=dt.datetime(2026, 11, 25, 9, 0),  # received before the first as-of (2026-11-27)
    )
    return inputs, tmp_path / "outputs"


def test_issued_form_then_no_return_after_the_deadline_is_a_candidate(campaign: tuple[Path, Path]) -> None:
    inputs, outputs = campaign
    assert run(inputs, outputs, ISSUE) == 0
    form = outputs / ISSUE / "整改通知" / FORM
    issued = rows_of(form, O.RECTIFY.sheet.name)
    assert [(r["党员编号"], r["姓名"], r["考核等次"], r["整改期限"].date()) for r in issued] == [
        ("010002", "李秀英", "差", dt.date(2026, 12, 27))
    ]
    wb = openpyxl.load_workbook(form)
    assert wb[O.RECTIFY.sheet.name].protection.sheet and wb["_meta"].sheet_state == "hidden"
    progress = rows_of(outputs / ISSUE / "拟组织处理名单.xlsx", "整改进展")
    assert [r["处理建议"] for r in progress] == ["整改中（期限 2026-12-27，还有 30 天）"]
    assert rows_of(outputs / ISSUE / "拟组织处理名单.xlsx", "拟组织处理") == []
    # On the deadline it is not yet past; the day after, the unit that sent nothing is a candidate.
    assert run(inputs, outputs, "2026-12-27") == 0
    assert rows_of(outputs / "2026-12-27" / "拟组织处理名单.xlsx", "拟组织处理") == []
    assert run(inputs, outputs, "2026-12-28") == 0
    cands = rows_of(outputs / "2026-12-28" / "拟组织处理名单.xlsx", "拟组织处理")
    assert [(r["党员编号"], r["考核等次"], r["处理建议"]) for r in cands] == [
        ("010002", "差", "拟组织处理（整改期限 2026-12-27 已过，未报回整改情况表）")
    ]
    # Nothing new to send on 12-28: the form issued on 11-27 (deadline 12-27) stays in use.
    assert not (outputs / "2026-12-28" / "整改通知" / FORM).exists()


def returned(inputs: Path, result: str, situation: str, saved: dt.datetime) -> Path:
    s = load_settings(inputs)
    row = {
        "category": "党员",
        "member_id": "010002",
        "name": "李秀英",
        "grade": "差",
        "basis": "民主评议差票 4 票",
        "deadline": dt.date(2026, 12, 27),
        "measures": "每周与群众谈心一次",
        "situation": situation,
        "done_on": dt.date(2026, 12, 20),
        "result": result,
    }
    path = inputs / O.RECTIFY_INBOX / "回复：整改情况表.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_office_workbook(path, O.RECTIFY, s, [row], "说明", key="D01", key_name="第一党支部")
    os.utime(path, (saved.timestamp(), saved.timestamp()))
    return path


def test_return_without_change_is_a_candidate_with_its_history(campaign: tuple[Path, Path]) -> None:
    inputs, outputs = campaign
    assert run(inputs, outputs, ISSUE) == 0
    returned(inputs, "部分整改", "谈心一次，群众仍有意见", dt.datetime(2026, 12, 20, 9, 0))
    assert run(inputs, outputs, "2026-12-28") == 0
    cands = rows_of(outputs / "2026-12-28" / "拟组织处理名单.xlsx", "拟组织处理")
    assert len(cands) == 1
    c = cands[0]
    assert c["处理建议"] == "拟组织处理（整改期限 2026-12-27 已过，整改结果为“部分整改”）"
    assert (c["整改措施"], c["整改情况"], c["完成日期"].date(), c["整改情况表"]) == (
        "每周与群众谈心一次",
        "谈心一次，群众仍有意见",
        dt.date(2026, 12, 20),
        "回复：整改情况表.xlsx",
    )
    # The archive holds both versions: the form as issued and the unit's return.
    manifest = (outputs / "archive" / O.RECTIFY_INBOX / "manifest.csv").read_text(encoding="utf-8-sig")
    assert "下发/2026-11-27/" + FORM in manifest and "回复：整改情况表.xlsx" in manifest


def test_changed_within_the_deadline_is_not_a_candidate(campaign: tuple[Path, Path]) -> None:
    inputs, outputs = campaign
    returned(inputs, "已整改", "已当面道歉并改进工作方法，群众满意", dt.datetime(2026, 12, 20, 9, 0))
    assert run(inputs, outputs, "2026-12-28") == 0
    out = outputs / "2026-12-28" / "拟组织处理名单.xlsx"
    assert rows_of(out, "拟组织处理") == []
    assert [r["处理建议"] for r in rows_of(out, "整改进展")] == ["已整改"]
