"""Fulfilment tracking lists (pipeline.rules.tracking) and ``pledge overdue``: statuses at
several as-of dates (boundary days included), overdue / due-soon lists with their last
log dates, silent members, overdue plan steps."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from pipeline.cli import main
from pipeline.jobs.consolidation import Consolidation, consolidate
from pipeline.outputs.overdue import OVERDUE_FILE, SHEET_DUE_SOON, SHEET_OVERDUE, SHEET_SILENT
from pipeline.outputs.template import Fill
from pipeline.read import layout as L
from pipeline.rules.tracking import (
    NONE_TEXT,
    due_soon_list,
    early_completions,
    norm_ref,
    overdue_list,
    overdue_milestones,
    seq_int,
    silent_members,
)
from tests.builders import d, deed, fault, load, make_inputs, org, write_return

CODES = ["D00", "D01", "D02"]


def fill() -> Fill:
    rows = [
        deed("010001", "王建国", "实事甲", deadline=d(10, 31), progress="进行中"),
        deed("010001", "王建国", "实事乙", deadline=d(10, 20), progress="已完成", done_on=d(10, 10)),
        fault("010001", "王建国", "缺点丙", deadline=d(11, 10), progress="未开始"),
        deed("010002", "李秀英", "实事丁", deadline=d(10, 5), progress="已完成", done_on=d(10, 8)),
        deed("010002", "李秀英", "实事戊", deadline=d(10, 25), review=L.REVIEW_PENDING),
        fault("010002", "李秀英", "缺点己", deadline=d(11, 10)),
        deed("010003", "张伟", "实事庚", deadline=d(10, 31), progress="进行中"),
        deed("010003", "张伟", "实事辛", deadline=d(11, 15)),
        fault("010003", "张伟", "缺点壬", deadline=d(11, 10)),
    ]
    for i, r in enumerate(rows, start=1):
        r["seq"] = i
    orgs = [
        dict(org("组织一", deadline=d(10, 15), progress="进行中"), seq=1),
        dict(org("组织二", deadline=d(11, 15)), seq=2),
        dict(org("组织三", deadline=d(11, 15), progress="已完成", done_on=d(10, 1)), seq=3),
    ]
    logs = [
        {
            "date": d(10, 1),
            "member_id": "010001",
            "name": "王建国",
            "pledge_ref": "党员-1",
            "note": "开展一次",
        },
        {"date": d(10, 15), "pledge_ref": "党员7", "note": "没填编号，按承诺序号归到张伟"},
        {
            "date": d(11, 20),
            "member_id": "010002",
            "name": "李秀英",
            "pledge_ref": "党员-4",
            "note": "统计日之后",
        },
        {"date": d(10, 10), "pledge_ref": "组织-1", "note": "组织承诺推进"},
    ]
    plans = [
        {"pledge_ref": "党员-1", "step": "第一步", "planned_on": d(10, 20)},  # overdue as of 11-01
        {
            "pledge_ref": "党员-1",
            "step": "第二步",
            "planned_on": d(11, 1),
        },  # due on the as-of day: not overdue
        {"pledge_ref": "党员-2", "step": "已完成承诺的步骤", "planned_on": d(10, 5)},  # pledge done
        {"pledge_ref": "党员-5", "step": "未审核承诺的步骤", "planned_on": d(10, 5)},  # pledge not tracked
        {"pledge_ref": "党员-7", "step": "做完的步骤", "planned_on": d(10, 5), "actual_on": d(10, 6)},
    ]
    return Fill(member_rows=rows, org_rows=orgs, log_rows=logs, plan_rows=plans)


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Path:
    inputs = make_inputs(tmp_path_factory.mktemp("tracking"))
    s, roster = load(inputs)
    # Received before every as-of day below; the completions it reports are read as of
    # each day (a completion dated after the day had not happened yet on it).
    write_return(inputs, s, roster, "D01", fill(), mtime=dt.datetime(2026, 9, 20, 9, 0))
    return inputs


def run(inputs: Path, as_of: dt.date) -> Consolidation:
    s, roster = load(inputs)
    return consolidate(inputs, s, roster, as_of)


def status_of(c: Consolidation) -> dict[str, str]:
    out = {f"党员-{s}": st for s, st in zip(c.members["seq"], c.members["status"], strict=True)}
    out.update({f"组织-{s}": st for s, st in zip(c.orgs["seq"], c.orgs["status"], strict=True)})
    return out


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (
            d(10, 15),
            {
                "组织-1": "临期",
                "党员-1": "进行中",
                "党员-2": "按期完成",
                "党员-4": "逾期完成",
                "党员-5": "未审核",
            },
        ),
        (d(10, 16), {"组织-1": "逾期未完成", "党员-1": "进行中", "党员-7": "进行中"}),  # 15 days before 10-31
        (d(10, 17), {"党员-1": "临期", "党员-7": "临期", "党员-8": "未开始"}),  # exactly 14 days before
        (
            d(10, 31),
            {"党员-1": "临期", "党员-3": "临期", "党员-8": "未开始"},
        ),  # the deadline day itself; 11-15 is 15 days away
        (
            d(11, 1),
            {
                "党员-1": "逾期未完成",
                "党员-7": "逾期未完成",
                "党员-2": "按期完成",
                "组织-3": "按期完成",
                "组织-2": "临期",
            },
        ),
    ],
)
def test_statuses_at_several_dates(campaign: Path, as_of: dt.date, expected: dict[str, str]) -> None:
    got = status_of(run(campaign, as_of))
    assert {k: got[k] for k in expected} == expected


@pytest.fixture(scope="module")
def nov1(campaign: Path) -> Consolidation:
    return run(campaign, d(11, 1))


def test_overdue_list_with_last_log_dates(nov1: Consolidation) -> None:
    c = nov1
    df = overdue_list(c.members, c.orgs, c.logs, c.as_of, CODES)
    assert list(df["承诺序号"]) == ["组织-1", "党员-1", "党员-7"]  # org items first, then by member
    assert list(df["逾期天数"]) == [17, 1, 1]
    assert list(df["姓名"]) == ["王建国", "王建国", "张伟"]  # org rows show the 责任人
    assert list(df["党员编号"]) == ["", "010001", "010003"]
    assert list(df["本项最近记实"]) == [d(10, 10), d(10, 1), d(10, 15)]
    assert list(df["本人最近记实"]) == ["", d(10, 1), d(10, 15)]  # 党员-7's entry had no member id
    assert set(df["单位编码"]) == {"D01"}


def test_overdue_list_on_the_boundary_days(campaign: Path) -> None:
    c = run(campaign, d(10, 31))
    assert list(overdue_list(c.members, c.orgs, c.logs, c.as_of, CODES)["承诺序号"]) == ["组织-1"]
    soon = due_soon_list(c.members, c.orgs, c.logs, c.as_of, CODES)
    assert list(soon["承诺序号"]) == [
        "党员-1",
        "党员-3",
        "党员-6",
        "党员-7",
        "党员-9",
    ]  # 11-15 is 15 days away
    assert list(soon["剩余天数"]) == [0, 10, 10, 0, 10]


def test_due_soon_list(nov1: Consolidation) -> None:
    c = nov1
    df = due_soon_list(c.members, c.orgs, c.logs, c.as_of, CODES)
    assert list(df["承诺序号"]) == ["组织-2", "党员-3", "党员-6", "党员-8", "党员-9"]
    assert list(df["剩余天数"]) == [14, 9, 9, 14, 9]
    assert list(df["本人最近记实"])[2] == NONE_TEXT  # 李秀英's only entry is after the as-of date


@pytest.mark.parametrize(
    ("as_of", "silent"),
    [
        (d(10, 30), ["010002"]),  # 王建国's entry is 29 days old
        (d(10, 31), ["010001", "010002"]),  # exactly 30 days (log_silence_days): silent
        (d(11, 14), ["010001", "010002", "010003"]),  # 张伟: 30 days since 10-15
    ],
)
def test_silent_members(nov1: Consolidation, as_of: dt.date, silent: list[str]) -> None:
    c = nov1
    assert c.settings.log_silence_days == 30
    df = silent_members(c.roster.members, c.used, c.members, c.orgs, c.logs, as_of, 30, CODES)
    assert list(df["党员编号"]) == silent  # D02 returned nothing: its members are not listed
    last = dict(zip(df["党员编号"], df["最近记实日期"], strict=True))
    assert last["010002"] == NONE_TEXT
    if "010001" in last:
        assert last["010001"] == d(10, 1)


def test_overdue_plan_steps(nov1: Consolidation) -> None:
    c = nov1
    df = overdue_milestones(c.plans, c.members, c.orgs, c.as_of, CODES)
    assert list(df["计划步骤"]) == ["第一步"]
    assert list(df["逾期天数"]) == [12]


def test_early_completions(nov1: Consolidation) -> None:
    c = nov1
    df = early_completions(c.members, c.orgs, 7, CODES)
    # 实事乙 done 10 days early, 组织三 45 days early; 实事丁 was done late
    assert list(df["承诺事项"]) == ["组织三", "实事乙"]
    assert list(early_completions(c.members, c.orgs, 11, CODES)["承诺事项"]) == ["组织三"]


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("党员-14", "党员-14"),
        ("党员14", "党员-14"),
        ("党员－14", "党员-14"),
        ("14", "党员-14"),
        ("组织-3", "组织-3"),
        (" 组织 3 ", "组织-3"),
        ("12.0", "党员-12"),
        ("第三条", ""),
        ("", ""),
    ],
)
def test_norm_ref(text: str, ref: str) -> None:
    assert norm_ref(text) == ref


def test_overdue_command(campaign: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "outputs"
    assert main(["--inputs", str(campaign), "--outputs", str(out), "overdue", "--as-of", "2026-11-01"]) == 0
    path = out / "2026-11-01" / OVERDUE_FILE
    assert path.is_file()
    assert "逾期未完成 3 项" in capsys.readouterr().out
    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb.sheetnames == [SHEET_OVERDUE, SHEET_DUE_SOON, SHEET_SILENT]
    rows = list(wb[SHEET_OVERDUE].iter_rows(min_row=3, values_only=True))
    assert [r[5] for r in rows] == ["组织-1", "党员-1", "党员-7"]
    assert len(list(wb[SHEET_SILENT].iter_rows(min_row=3, values_only=True))) == 2


@pytest.mark.parametrize(
    ("cell", "seq"),
    [
        ("3", 3),
        (" 12 ", 12),
        ("4.0", 4),
        (5, 5),
        (6.0, 6),
        ("4.5", None),
        ("", None),
        ("inf", None),
        ("-inf", None),
        ("nan", None),
        ("1e999", None),
        ("三", None),
        (None, None),
    ],
)
def test_a_seq_cell_is_a_whole_number_or_nothing(cell: object, seq: int | None) -> None:
    assert seq_int(cell) == seq
