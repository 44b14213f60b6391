"""Missing satisfaction votes are a notice saying how the score was re-weighted (E130)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pipeline.assessment import layout as A
from pipeline.cli.ratings import run_ratings
from pipeline.read import layout as L
from tests.assessment_builders import col, member_row, write_eval
from tests.builders import d, form_of, good_fill, load, make_inputs, write_return

AS_OF = "2026-11-27"


def test_missing_satisfaction_votes_are_a_notice_with_the_weights(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path)
    s, roster = load(inputs)
    fill = good_fill(form_of(roster, "D01"))
    for row in fill.member_rows:
        row.update(progress=L.PROGRESS_DONE, done_on=d(10, 20))
    write_return(inputs, s, roster, "D01", fill)
    no_sat = {"sat_satisfied": None, "sat_fairly": None, "sat_basic": None, "sat_unsatisfied": None}
    write_eval(
        inputs,
        s,
        roster,
        "D01",
        rows=[
            member_row(1, "010001", "王建国"),
            member_row(2, "010002", "李秀英"),
            member_row(3, "010003", "张伟", **no_sat),
        ],
        unit_row={"duty": "是", **no_sat},
    )
    result, findings, _c, _ev = run_ratings(inputs, tmp_path / "outputs", dt.date.fromisoformat(AS_OF))
    e130 = [f for f in findings if f.rule == "E130"]
    member = [f for f in e130 if f.member_id == "010003"]
    assert len(member) == 1
    # weights 0.4 / 0.4 / 0.2 without satisfaction: 0.4 / 0.8 = 0.5 each.
    assert "履诺 0.4→0.5、民主评议 0.4→0.5（满意度 0.2 不计）" in member[0].message
    assert member[0].sheet == A.SHEET_MEMBERS and member[0].cell == f"{col('sat_satisfied')}4"
    # 010003: fulfilment 100, peer (6*100 + 3*80 + 60)/10 = 90 -> 0.5*100 + 0.5*90 = 95.00
    m = result.members.set_index("member_id")
    assert m.at["010003", "score"] == 95.0
    # The unit: 0.3 / 0.3 / 0.2 without satisfaction 0.2: 0.3/0.8 = 0.375, 0.2/0.8 = 0.25.
    unit = [f for f in e130 if not f.member_id and f.unit_code == "D01"]
    assert len(unit) == 1
    assert "履诺 0.3→0.375、组织承诺 0.3→0.375、党员评价 0.2→0.25（满意度 0.2 不计）" in unit[0].message
    assert unit[0].sheet == A.SHEET_UNIT and unit[0].cell == f"{col('sat_satisfied', A.UNIT_EVAL_SHEET)}2"
    # Members with votes get no notice.
    assert {f.member_id for f in e130} == {"010003", ""}
