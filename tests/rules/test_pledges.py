"""Each pledge rule, from a workbook built by code to a finding at the right cell."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from pipeline.jobs.consolidation import Consolidation, consolidate
from pipeline.read import layout as L
from tests.builders import d, deed, fault, form_of, good_fill, load, make_inputs, write_return

AS_OF = dt.date(2026, 11, 20)


def run_with(tmp_path: Path, edit: Any = None, code: str = "D01") -> Consolidation:
    inputs = make_inputs(tmp_path)
    s, r = load(inputs)
    fill = good_fill(form_of(r, code))
    if edit:
        edit(fill)
    write_return(inputs, s, r, code, fill)
    return consolidate(inputs, s, r, AS_OF)


def only(c: Consolidation, rule: str) -> list[tuple[str, str, str]]:
    return [(f.sheet, f.cell, f.member_id) for f in c.findings if f.rule == rule]


def test_good_workbook_has_no_findings(tmp_path: Path) -> None:
    c = run_with(tmp_path)
    assert [f.one_line() for f in c.findings] == []
    assert len(c.members) == 9 and len(c.orgs) == 3
    assert set(c.members["status"]) == {"逾期未完成"}  # deadlines 10-31 / 11-10 passed, not done


def set_row(i: int, **kw: Any) -> Any:
    def edit(fill: Any) -> None:
        fill.member_rows[i].update(kw)

    return edit


# (edit, rule, cell): the member sheet of D01 starts at Excel row 2 (row index 0)
CELL_CASES = [
    (set_row(0, deadline=None), "P106", "G2"),
    (set_row(0, deadline=dt.date(2027, 3, 1)), "P107", "G2"),
    (set_row(0, deadline=dt.date(2026, 7, 31)), "P107", "G2"),
    (set_row(0, effect=""), "P108", "H2"),
    (set_row(2, measures=""), "P109", "F4"),
    (set_row(0, review=""), "P110", "I2"),
    (set_row(0, review="待审核"), "P111", "I2"),
    (set_row(0, member_id="999999"), "P112", "B2"),
    (set_row(0, member_id="020001"), "P113", "B2"),
    (set_row(0, name="王健国"), "P114", "C2"),
    (set_row(1, content="王建国的实事一"), "P115", "E3"),
    (set_row(0, progress="已完成"), "P116", "K2"),
    (set_row(0, progress="已完成", done_on=dt.date(2026, 11, 25)), "P117", "K2"),
    (set_row(0, done_on=dt.date(2026, 10, 1)), "P120", "J2"),
    (set_row(0, content=""), "P105", "E2"),
    (set_row(0, kind=""), "P118", "D2"),
    (set_row(0, member_id=""), "P119", "B2"),
    (set_row(0, deadline="2月30日"), "V101", "G2"),
    (set_row(0, deadline="10月底"), "V102", "G2"),
    (set_row(0, kind="实事"), "V104", "D2"),
    (set_row(0, kind="其他"), "V103", "D2"),
    (set_row(0, review="同意"), "V104", "I2"),
    (set_row(0, content='=HYPERLINK("http://x")'), "V108", "E2"),
]


@pytest.mark.parametrize(("edit", "rule", "cell"), CELL_CASES, ids=[f"{r}-{c}" for _, r, c in CELL_CASES])
def test_rule_reports_cell(tmp_path: Path, edit: Any, rule: str, cell: str) -> None:
    c = run_with(tmp_path, edit)
    hits = only(c, rule)
    assert ("党员承诺", cell) in [(s, x) for s, x, _ in hits], [f.one_line() for f in c.findings]


def test_quota_per_member(tmp_path: Path) -> None:
    def edit(fill: Any) -> None:
        fill.member_rows.append(dict(deed("010001", "王建国", "第三件"), seq=10))
        fill.member_rows.append(dict(deed("010001", "王建国", "第四件"), seq=11))
        fill.member_rows[5]["review"] = "退回"  # 010002's only shortcoming is returned

    c = run_with(tmp_path, edit)
    assert [
        (m, "4 件" in msg) for m, msg in ((f.member_id, f.message) for f in c.findings if f.rule == "P101")
    ] == [("010001", True)]
    assert [f.member_id for f in c.findings if f.rule == "P102"] == ["010002"]
    assert [f.cell for f in c.findings if f.rule == "P101"] == ["B2"]


def test_member_without_items(tmp_path: Path) -> None:
    c = run_with(tmp_path, lambda fill: fill.member_rows.__delitem__(slice(6, 9)))
    assert [(f.member_id, f.member_name) for f in c.findings if f.rule == "P104"] == [("010003", "张伟")]


def test_org_quota(tmp_path: Path) -> None:
    c = run_with(tmp_path, lambda fill: fill.org_rows.pop())
    assert [(f.unit_code, f.sheet) for f in c.findings if f.rule == "P103"] == [("D01", "组织承诺")]
    c = run_with(tmp_path / "b", lambda fill: fill.org_rows[0].update(effect=""))
    assert only(c, "P108") == [("组织承诺", "E2", "")]


def test_committee_pledges_only_org_items(tmp_path: Path) -> None:
    c = run_with(tmp_path, code="D00")
    assert [f.one_line() for f in c.findings] == []


@pytest.mark.parametrize(
    ("typed", "expected", "notice"),
    [
        (dt.date(2026, 10, 15), dt.date(2026, 10, 15), False),
        (46310, dt.date(2026, 10, 15), True),  # an Excel serial typed as a number
        ("2026-10-15", dt.date(2026, 10, 15), False),
        ("2026/10/15", dt.date(2026, 10, 15), False),
        ("2026.10.15", dt.date(2026, 10, 15), False),
        ("2026年10月15日", dt.date(2026, 10, 15), False),
        ("10月15日", dt.date(2026, 10, 15), True),
        ("10月底", dt.date(2026, 10, 31), True),
        ("10月末", dt.date(2026, 10, 31), True),
        ("10月上旬", dt.date(2026, 10, 10), True),
        ("10月中旬", dt.date(2026, 10, 20), True),
        ("10月下旬", dt.date(2026, 10, 31), True),
        ("２０２６－１０－１５", dt.date(2026, 10, 15), False),
    ],
)
def test_date_forms(tmp_path: Path, typed: object, expected: dt.date, notice: bool) -> None:
    c = run_with(tmp_path, set_row(0, deadline=typed))
    assert c.members.iloc[0]["deadline"] == expected
    notes = only(c, "V102")
    assert (("党员承诺", "G2", "010001") in notes) == notice
    assert not only(c, "V101")


def test_lost_leading_zeros_are_restored(tmp_path: Path) -> None:
    c = run_with(tmp_path, set_row(0, member_id=10001))
    assert c.members.iloc[0]["member_id"] == "010001"
    assert only(c, "V109") == [("党员承诺", "B2", "010001")]
    assert not only(c, "P112")


def test_stray_spaces_in_dropdowns_are_silent(tmp_path: Path) -> None:
    c = run_with(tmp_path, set_row(0, review=" 通 过 ", kind="实事好事\u3000"))
    assert [f.one_line() for f in c.findings] == []


def test_faults_counted_by_kind(tmp_path: Path) -> None:
    def edit(fill: Any) -> None:
        fill.member_rows.append(dict(fault("010001", "王建国", "第二个缺点"), seq=12))
        fill.member_rows.append(dict(fault("010001", "王建国", "第三个缺点"), seq=13))

    c = run_with(tmp_path, edit)
    assert [f.member_id for f in c.findings if f.rule == "P102"] == ["010001"]
    assert d(10, 31) in set(c.members["deadline"])
    assert L.KIND_FAULT in set(c.members["kind"])


@pytest.mark.parametrize("rules", ["MEMBER_RULES", "ORG_RULES"])
def test_a_new_rule_in_the_list_runs_on_every_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rules: str
) -> None:
    """No pre-filter decides which rows a rule sees: a rule added to the list gets every
    row, including rows that pass every other rule (the good workbook has no findings)."""
    from pipeline.core.findings import NOTICE
    from pipeline.rules import pledges

    seen: list[int] = []

    def every_row(sheet: pledges.Sheet, ctx: pledges.RuleContext) -> list[Any]:
        seen.extend(sheet.col("excel_row"))
        return [
            ctx.finding(NOTICE, "P199", "测试", row, sheet.layout, "content")
            for _, row in sheet.rows(list(range(len(sheet.df))))
        ]

    monkeypatch.setattr(pledges, rules, [*getattr(pledges, rules), every_row])
    c = run_with(tmp_path)
    frame = c.members if rules == "MEMBER_RULES" else c.orgs
    rows = sorted(frame["excel_row"].tolist())
    assert rows and sorted(seen) == rows
    new = [f for f in c.findings if f.rule == "P199"]
    layout = L.MEMBER_SHEET if rules == "MEMBER_RULES" else L.ORG_SHEET
    assert sorted(f.row for f in new) == rows
    assert {f.column for f in new} == {layout.index("content") + 1}  # the 承诺事项 cell of each row
    assert [f for f in c.findings if f.rule != "P199"] == []  # the other rules still find nothing


def test_rules_are_registered_once_and_are_functions() -> None:
    from pipeline.rules import pledges

    for rules in (pledges.MEMBER_RULES, pledges.ORG_RULES):
        assert len(set(rules)) == len(rules) and all(callable(r) for r in rules)
    # every per-row rule of the org sheet also runs on the member sheet
    assert set(pledges.ORG_RULES) <= set(pledges.MEMBER_RULES)


def test_small_and_large_sheets_give_the_same_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A small sheet makes its row objects once (Sheet.rows), a large one per rule: the
    same findings either way, for a workbook that breaks many rules."""
    import pipeline.rules.pledges as P

    def edit(fill: Any) -> None:
        for i, kw in enumerate(
            [
                {"deadline": None, "effect": ""},
                {"member_id": "999999", "review": "待审核"},
                {"content": "王建国的实事一", "progress": "已完成"},
                {"name": "王健国", "kind": ""},
            ]
        ):
            fill.member_rows[i].update(kw)

    small = [f.one_line() for f in run_with(tmp_path / "small", edit).findings]
    monkeypatch.setattr(P, "SMALL_SHEET", 0)
    large = [f.one_line() for f in run_with(tmp_path / "large", edit).findings]
    assert len(small) >= 6
    assert small == large
