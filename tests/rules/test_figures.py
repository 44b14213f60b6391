"""One set of definitions (pipeline.rules.figures): the named counts worked out by hand;
rows that fail membership are in the problem list and in no count; 久未记实 only for
members with an open pledge, and only during the fulfilment phase."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from pipeline.cli import main
from pipeline.jobs.consolidation import Consolidation, consolidate, unit_figures
from pipeline.outputs.notice import NOTE_SHEET, NOTICE_XLSX
from pipeline.outputs.overdue import OVERDUE_FILE, SHEET_OVERDUE, SHEET_SILENT
from pipeline.outputs.template import Fill
from pipeline.read import layout as L
from pipeline.rules import figures as F
from pipeline.rules.tracking import overdue_list, silent_members
from tests.builders import d, deed, fault, load, make_inputs, org, write_return

CODES = ["D00", "D01", "D02"]
DEED, FAULT = L.KIND_DEED, L.KIND_FAULT


def test_figures_worked_out_by_hand() -> None:
    members = pd.DataFrame(
        {
            "unit_code": ["D01"] * 7 + ["D02"],
            "member_id": ["010001"] * 4 + ["010002"] * 3 + ["020001"],
            "kind": [DEED, DEED, FAULT, DEED, DEED, FAULT, DEED, FAULT],
            "status": ["按期完成", "逾期完成", "逾期未完成", "临期", "进行中", "未审核", "已退回", "未开始"],
        }
    )
    orgs = pd.DataFrame({"unit_code": ["D00", "D01"], "status": ["按期完成", "按期完成"]})
    roster = pd.DataFrame({"unit_code": ["D01", "D01", "D01", "D02", "D02"]})
    t = F.figures(members, orgs, roster, CODES)
    d01 = t.of("D01")
    # D01: 5 tracked member items + 1 org item = 6; done 按期 2 (one member, one org) + 逾期 1
    assert (d01.tracked, d01.on_time, d01.done_late, d01.done_total) == (6, 2, 1, 3)
    assert (d01.overdue, d01.due_soon, d01.ongoing, d01.not_started) == (1, 1, 1, 0)
    assert (d01.unreviewed, d01.returned, d01.rate) == (1, 1, 0.5)
    assert (d01.members, d01.pledged_members, d01.deeds, d01.faults, d01.org_items) == (3, 2, 5, 2, 1)
    assert t.of("D00").named()[F.RATE] == 1.0 and t.of("D00").members == 0
    # the school: 6 + 1 (D00) + 1 (D02) tracked, 3 + 1 done
    assert (t.school.tracked, t.school.done_total, t.school.rate) == (8, 4, 0.5)
    assert t.school.members == 5 and t.school.not_started == 1
    assert list(t.school.named()) == list(F.NAMES)


def membership_fill() -> Fill:
    rows = [
        deed("010001", "王建国", "实事一", progress="已完成", done_on=d(10, 10)),
        deed("010001", "王建国", "实事二", deadline=d(11, 10)),
        fault("010001", "王建国", "缺点一"),
        deed("010002", "李秀英", "实事三", deadline=d(10, 10)),  # overdue at 11-01
        deed("010002", "李秀英", "实事四", progress="已完成", done_on=d(10, 20)),
        fault("010002", "李秀英", "缺点二", progress="已完成", done_on=d(10, 20)),
        # 张伟 pledges everything and has it all done: nothing open
        deed("010003", "张伟", "实事五", progress="已完成", done_on=d(10, 1)),
        deed("010003", "张伟", "实事六", progress="已完成", done_on=d(10, 2)),
        fault("010003", "张伟", "缺点三", progress="已完成", done_on=d(10, 3)),
        # membership failures: a D02 member (P113) and an unknown id (P112), both overdue
        deed("020001", "刘芳", "别的支部的事", deadline=d(10, 5)),
        deed("099999", "查无此人", "花名册里没有的人", deadline=d(10, 5)),
    ]
    for i, r in enumerate(rows, start=1):
        r["seq"] = i
    orgs = [dict(org(f"组织{i}", deadline=d(11, 15)), seq=i) for i in range(1, 4)]
    logs = [
        {"date": d(10, 20), "member_id": "010002", "name": "李秀英", "pledge_ref": "党员-5", "note": "完成"}
    ]
    return Fill(member_rows=rows, org_rows=orgs, log_rows=logs)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    inputs = make_inputs(tmp_path_factory.mktemp("figures"))
    s, roster = load(inputs)
    write_return(inputs, s, roster, "D01", membership_fill(), mtime=dt.datetime(2026, 10, 25, 9, 0))
    return inputs


def run(inputs: Path, as_of: dt.date) -> Consolidation:
    s, roster = load(inputs)
    return consolidate(inputs, s, roster, as_of)


def test_membership_failures_are_listed_not_counted(inputs: Path, tmp_path: Path) -> None:
    c = run(inputs, d(11, 1))
    rules = {(f.rule, f.member_id) for f in c.findings}
    assert ("P113", "020001") in rules and ("P112", "099999") in rules  # in the problem list
    assert sorted(c.excluded["member_id"]) == ["020001", "099999"]
    assert set(c.members["member_id"]) == {"010001", "010002", "010003"}  # not tracked
    f = unit_figures(c).of("D01")
    # by hand: 9 own member items + 3 org items tracked; done 实事一/四/缺点二/实事五/六/缺点三
    assert (f.pledged_members, f.members, f.deeds, f.faults) == (3, 3, 6, 3)
    assert (f.tracked, f.done_total, f.overdue) == (12, 6, 1)  # only 实事三 is overdue
    assert unit_figures(c).of("D02") == F.Figures(members=2)  # the foreign row counts nowhere
    assert list(overdue_list(c.members, c.orgs, c.logs, c.as_of, CODES)["承诺事项"]) == ["实事三"]

    out = tmp_path / "outputs"
    for cmd in ("consolidate", "notice"):
        assert (
            main(["--inputs", str(inputs), "--outputs", str(out), "--quiet", cmd, "--as-of", "2026-11-01"])
            == 0
        )
    ws = openpyxl.load_workbook(out / "2026-11-01" / "台账.xlsx", read_only=True)["汇总"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    head = list(rows[0])
    by_code = {r[0]: dict(zip(head, r, strict=True)) for r in rows[1:] if r[0]}
    assert (by_code["D01"]["已承诺党员"], by_code["D01"]["党员人数"]) == (3, 3)
    assert (by_code["D02"]["已承诺党员"], by_code["D02"]["跟踪中承诺"]) == (0, 0)
    assert (by_code["合计"]["跟踪中承诺"], by_code["合计"]["逾期未完成"], by_code["合计"]["已承诺党员"]) == (
        12,
        1,
        3,
    )
    problems = list(
        openpyxl.load_workbook(out / "2026-11-01" / "台账.xlsx", read_only=True)["问题清单"].iter_rows(
            values_only=True
        )
    )
    rule = list(problems[0]).index("规则编号")
    assert {"P112", "P113"} <= {r[rule] for r in problems[1:]}
    # the notice posts the 12 tracked items and says why the two others are not posted
    notice = openpyxl.load_workbook(out / "2026-11-01" / NOTICE_XLSX, read_only=True)
    assert len(list(notice["公示"].iter_rows(min_row=3, values_only=True))) == 12
    (line,) = [r[0] for r in notice[NOTE_SHEET].iter_rows(values_only=True)]
    assert "公示经审核通过的承诺 12 项" in line and "2 项填报信息正在核对" in line


def test_silent_members_need_an_open_pledge_and_the_fulfilment_phase(inputs: Path) -> None:
    c = run(inputs, d(11, 1))
    fulfil = (c.settings.fulfil.start, c.settings.fulfil.end)
    assert fulfil == (d(9, 15), d(11, 15))

    def silent(as_of: dt.date) -> list[str]:
        df = silent_members(c.roster.members, c.used, c.members, c.orgs, c.logs, as_of, 30, CODES, fulfil)
        return list(df["党员编号"])

    # 11-01: 王建国 has open pledges and no log; 李秀英 logged 10-20 (12 days ago); 张伟 has
    # nothing open (all done) and is not urged although he never logged
    assert silent(d(11, 1)) == ["010001"]
    # 11-15 (last day of the phase): 李秀英's 实事三 is still open, her log is 26 days old
    assert silent(d(11, 15)) == ["010001"]
    assert silent(d(11, 19)) == []  # after the phase: nobody
    assert silent(d(9, 14)) == []  # before the phase: nobody
    assert silent(d(12, 5)) == []


def test_overdue_sheet_titles_name_the_counts(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "outputs"
    args = ["--inputs", str(inputs), "--outputs", str(out), "--quiet", "overdue", "--as-of"]
    assert main([*args, "2026-11-01"]) == 0
    wb = openpyxl.load_workbook(out / "2026-11-01" / OVERDUE_FILE, read_only=True)
    assert next(wb[SHEET_OVERDUE].iter_rows(values_only=True))[0].startswith("逾期未完成 1 项")
    assert next(wb[SHEET_SILENT].iter_rows(values_only=True))[0].startswith("久未记实 1 名")
    assert main([*args, "2026-12-05"]) == 0
    wb = openpyxl.load_workbook(out / "2026-12-05" / OVERDUE_FILE, read_only=True)
    rows = list(wb[SHEET_SILENT].iter_rows(values_only=True))
    assert "履诺阶段已于 2026-11-15 结束" in rows[0][0]
    assert len(rows) == 2  # title and header: nobody listed after the phase
