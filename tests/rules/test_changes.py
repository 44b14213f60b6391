"""The change report (变更记录.xlsx): a unit's workbook at two points in time, compared
item by item (added, removed, edited, review / progress / status changes) and T101 for
content edited after approval; also on the demo campaign."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from pipeline.cli import main
from pipeline.jobs.changes import collect_changes
from pipeline.jobs.consolidate import run_consolidation
from pipeline.outputs.changes import CHANGES_FILE
from pipeline.outputs.template import Fill
from pipeline.read import layout as L
from pipeline.rules.changes import (
    ADDED,
    EDITED,
    PROGRESSED,
    REMOVED,
    REVIEWED,
    STATUS,
    match_items,
)
from tests.builders import d, deed, fault, load, make_inputs, org, write_return
from tests.demo_project import DemoProject

CST = dt.timezone(dt.timedelta(hours=8))  # the demo settings' [intake] utc_offset
SEPT = dt.datetime(2026, 9, 8, 10, 0, tzinfo=CST)
OCT = dt.datetime(2026, 10, 24, 10, 0, tzinfo=CST)


def numbered(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    for i, r in enumerate(rows, start=1):
        r["seq"] = i
    return rows


def orgs(done: bool) -> list[dict[str, object]]:
    first = org("建立党员联系群众制度", deadline=d(11, 15))
    if done:
        first.update(progress="已完成", done_on=d(10, 20))
    return numbered([first, org("开展主题党日活动"), org("为困难学生设立助学金")])


def september() -> Fill:
    return Fill(
        member_rows=numbered(
            [
                deed("010001", "王建国", "为社区老人免费测量血压 10 次", deadline=d(10, 31)),
                deed("010001", "王建国", "为学困生每周义务辅导一次", deadline=d(11, 15)),
                fault("010001", "王建国", "与学生沟通方式简单", review=L.REVIEW_PENDING),
                deed(
                    "010002",
                    "李秀英",
                    "整理护理实训室器材并建立借用台账",
                    deadline=d(11, 15),
                    progress="进行中",
                ),
                deed("010002", "李秀英", "到社区开展健康讲座 3 场"),
                fault("010002", "李秀英", "批评方式欠妥"),
                deed("010003", "张伟", "结对帮扶困难学生 2 名", deadline=d(10, 31)),
                fault("010003", "张伟", "理论学习不够系统"),
            ]
        ),
        org_rows=orgs(False),
        log_rows=[{"date": d(9, 20), "member_id": "010001", "pledge_ref": "党员-1", "note": "第一次"}],
    )


def october() -> Fill:
    return Fill(
        member_rows=numbered(
            [
                deed(
                    "010001",
                    "王建国",
                    "为社区老人免费测量血压 8 次",
                    deadline=d(10, 31),
                    progress="已完成",
                    done_on=d(10, 20),
                ),
                deed(
                    "010001", "王建国", "为新入职教师上示范课 2 节"
                ),  # inserted: every row below is renumbered
                deed("010001", "王建国", "为学困生每周义务辅导一次", deadline=d(11, 15), progress="进行中"),
                fault(
                    "010001", "王建国", "与学生沟通方式过于简单"
                ),  # edited while pending, then approved: no T101
                deed(
                    "010002",
                    "李秀英",
                    "整理护理实训室器材并建立借用台账",
                    deadline=d(11, 15),
                    progress="已完成",
                    done_on=d(10, 24),
                ),
                fault("010002", "李秀英", "批评方式欠妥"),  # 到社区开展健康讲座 removed
                deed(
                    "010003", "张伟", "结对帮扶困难学生 2 名", deadline=d(11, 10)
                ),  # deadline moved after approval: T101
                fault("010003", "张伟", "<script>alert(1)</script>理论学习不够系统"),
            ]
        ),
        org_rows=orgs(True),
        log_rows=[
            {"date": d(9, 20), "member_id": "010001", "pledge_ref": "党员-1", "note": "第一次"},
            {"date": d(10, 20), "member_id": "010001", "pledge_ref": "党员-1", "note": "已完成"},
            {"date": d(10, 22), "member_id": "010002", "pledge_ref": "党员-5", "note": "已完成"},
        ],
    )


def cli(inputs: Path, outputs: Path, *args: str) -> int:
    return main(["--inputs", str(inputs), "--outputs", str(outputs), "--quiet", *args])


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    inputs = make_inputs(tmp_path_factory.mktemp("changes"))
    outputs = inputs.parent / "outputs"
    s, roster = load(inputs)
    write_return(inputs, s, roster, "D01", september(), mtime=SEPT)
    assert cli(inputs, outputs, "consolidate", "--as-of", "2026-09-20") == 0
    write_return(
        inputs, s, roster, "D01", october(), mtime=OCT
    )  # the same file name: the old one is only archived
    assert cli(inputs, outputs, "consolidate", "--as-of", "2026-10-25") == 0
    return inputs, outputs


def sheet(path: Path, name: str) -> pd.DataFrame:
    return pd.read_excel(path, sheet_name=name, header=1, dtype=str, engine="openpyxl").fillna("")


def test_first_version_has_nothing_to_compare(two_versions: tuple[Path, Path]) -> None:
    _, outputs = two_versions
    summary = sheet(outputs / "2026-09-20" / CHANGES_FILE, "变更概况")
    assert list(summary["单位编码"]) == ["D01"]
    assert summary["上一版本"].iloc[0] == "无"
    assert "首次报送" in summary["说明"].iloc[0]


def test_change_details(two_versions: tuple[Path, Path]) -> None:
    inputs, outputs = two_versions
    c = run_consolidation(inputs, outputs, dt.date(2026, 10, 25))
    (u,) = collect_changes(c, outputs)
    assert u.previous.endswith("公开承诺事项表.xlsx") and u.previous_mtime == "2026-09-08 10:00:00"
    rows = pd.DataFrame(u.rows)

    def of(kind: str) -> list[tuple[object, ...]]:
        sel = rows[rows["变更类型"] == kind]
        return list(zip(sel["承诺事项"], sel["字段"], sel["原内容"], sel["新内容"], strict=True))

    assert of(ADDED) == [("为新入职教师上示范课 2 节", "", "", "")]
    assert of(REMOVED) == [("到社区开展健康讲座 3 场", "", "", "")]
    assert of(EDITED) == [
        (
            "为社区老人免费测量血压 8 次",
            "承诺事项",
            "为社区老人免费测量血压 10 次",
            "为社区老人免费测量血压 8 次",
        ),
        ("与学生沟通方式过于简单", "承诺事项", "与学生沟通方式简单", "与学生沟通方式过于简单"),
        ("结对帮扶困难学生 2 名", "完成期限", "2026-10-31", "2026-11-10"),
        (
            "<script>alert(1)</script>理论学习不够系统",
            "承诺事项",
            "理论学习不够系统",
            "<script>alert(1)</script>理论学习不够系统",
        ),
    ]
    assert ("与学生沟通方式过于简单", "审核", "待审核", "通过") in of(REVIEWED)
    progress = of(PROGRESSED)
    assert ("整理护理实训室器材并建立借用台账", "完成情况", "进行中", "已完成") in progress
    assert ("整理护理实训室器材并建立借用台账", "完成日期", "（空）", "2026-10-24") in progress
    assert ("为学困生每周义务辅导一次", "完成情况", "（空）", "进行中") in progress
    status = of(STATUS)
    assert ("整理护理实训室器材并建立借用台账", "状态", "进行中", "按期完成") in status
    assert ("为社区老人免费测量血压 8 次", "状态", "临期", "按期完成") in status
    assert ("建立党员联系群众制度", "状态", "未开始", "按期完成") in status  # org pledges too
    # matched across the renumbering: 序号 3 -> 4 for the pending fault
    moved = rows[(rows["承诺事项"] == "与学生沟通方式过于简单") & (rows["变更类型"] == EDITED)]
    assert (moved["原序号"].iloc[0], moved["现序号"].iloc[0]) == (3, 4)
    assert u.logs_added == 2


def test_t101_for_content_edited_after_approval(two_versions: tuple[Path, Path]) -> None:
    _, outputs = two_versions
    out = outputs / "2026-10-25"
    notes = sheet(out / CHANGES_FILE, "提醒")
    assert list(notes["规则编号"]) == ["T101", "T101", "T101"]
    assert list(notes["党员编号"]) == ["010001", "010003", "010003"]
    assert list(notes["单元格"]) == ["E2", "G8", "E9"]  # the first changed field of each item
    assert "测量血压 10 次" in notes["说明"].iloc[0] and "重新审核" in notes["说明"].iloc[0]
    summary = sheet(out / CHANGES_FILE, "变更概况")
    assert summary.iloc[0][
        ["新增承诺", "删除承诺", "内容修改的承诺", "审核后被修改（T101）", "新增履诺记实"]
    ].tolist() == ["1", "1", "4", "3", "2"]
    # the notices also reach the problem list and the unit's feedback workbook
    problems = pd.read_excel(out / "台账.xlsx", sheet_name="问题清单", dtype=str, engine="openpyxl")
    assert (problems["规则编号"] == "T101").sum() == 3
    feedback = next((out / "反馈").glob("D01_*.xlsx"))
    text = [
        str(v)
        for ws in openpyxl.load_workbook(feedback, read_only=True)
        for r in ws.iter_rows(values_only=True)
        for v in r
        if v
    ]
    assert any("T101" in t for t in text)


def test_match_items_by_content_not_seq() -> None:
    old = pd.DataFrame(
        {
            "member_id": ["1", "1", "1", "2"],
            "kind": ["实事好事", "实事好事", "改正缺点", "实事好事"],
            "content": ["甲事项做十次", "乙事项", "丙缺点", "丁事项"],
        }
    )
    new = pd.DataFrame(
        {
            "member_id": ["1", "1", "1", "1", "2"],
            "kind": ["实事好事", "实事好事", "实事好事", "改正缺点", "实事好事"],
            "content": ["新增的事项", "甲事项做八次", "乙事项", "完全改写的缺点", "丁事项"],
        }
    )
    pairs = set(match_items(old, new, "member_id"))
    assert pairs == {(0, 1), (1, 2), (2, 3), (3, 4), (None, 0)}
    # a different member's identical text is never matched across members
    other = pd.DataFrame({"member_id": ["2"], "kind": ["实事好事"], "content": ["甲事项做十次"]})
    assert set(match_items(old.iloc[:1], other, "member_id")) == {(0, None), (None, 0)}


def test_demo_t101_is_the_planted_one(demo_consolidated: DemoProject) -> None:
    manifest, out = demo_consolidated.manifest, demo_consolidated.out  # consolidated on 2026-11-20
    notes = sheet(out / CHANGES_FILE, "提醒")
    planted = [(p.file, p.sheet, p.cell, p.member_id) for p in manifest.planted if p.rule == "T101"]
    got = list(zip(notes["文件"], notes["工作表"], notes["单元格"], notes["党员编号"], strict=True))
    assert got == planted
    summary = sheet(out / CHANGES_FILE, "变更概况").set_index("单位编码")
    assert summary.loc["D01", "新增承诺"] == "1"
    assert summary.loc["D04", "上一版本"] == "无"  # D04 sent only in September
    assert summary.loc["D02", "审核后被修改（T101）"] == "0"  # the returned item was rewritten: no T101


def test_correction_of_a_flagged_cell_is_not_t101(tmp_path: Path) -> None:
    """The feedback on the first version marked an approved deed's deadline red (P107,
    outside the campaign) and another's missing effect (P108); the unit corrects both and
    also moves an unflagged approved deadline. Only the unflagged edit is T101; the two
    corrections are 按反馈要求更正 in 变更明细."""
    inputs = make_inputs(tmp_path)
    outputs = tmp_path / "outputs"
    s, roster = load(inputs)

    def fill(first: bool) -> Fill:
        return Fill(
            member_rows=numbered(
                [
                    deed(
                        "010001",
                        "王建国",
                        "为社区老人免费测量血压",
                        deadline=d(12, 31) if first else d(11, 10),
                    ),
                    deed("010001", "王建国", "为学困生义务辅导", effect="" if first else "辅导 10 人次"),
                    fault("010001", "王建国", "与学生沟通方式简单"),
                    deed("010002", "李秀英", "整理实训室器材", deadline=d(10, 31) if first else d(11, 5)),
                    deed("010002", "李秀英", "到社区开展健康讲座"),
                    fault("010002", "李秀英", "批评方式欠妥"),
                ]
            ),
            org_rows=orgs(False),
        )

    write_return(inputs, s, roster, "D01", fill(True), mtime=SEPT)
    assert cli(inputs, outputs, "consolidate", "--as-of", "2026-09-20") == 0
    first = pd.read_excel(
        outputs / "2026-09-20" / "台账.xlsx", sheet_name="问题清单", dtype=str, engine="openpyxl"
    )
    assert {
        (r, c) for r, c in zip(first["规则编号"], first["单元格"], strict=True) if r in ("P107", "P108")
    } == {
        ("P107", "G2"),
        ("P108", "H3"),
    }
    write_return(inputs, s, roster, "D01", fill(False), mtime=OCT)
    assert cli(inputs, outputs, "consolidate", "--as-of", "2026-10-25") == 0
    report = outputs / "2026-10-25" / CHANGES_FILE
    notes = sheet(report, "提醒")
    assert list(notes["规则编号"]) == ["T101"] and list(notes["姓名"]) == ["李秀英"]
    details = sheet(report, "变更明细")
    edits = details[details["变更类型"] == EDITED]
    assert sorted(zip(edits["姓名"], edits["字段"], edits["说明"], strict=True)) == [
        ("李秀英", "完成期限", ""),
        ("王建国", "完成期限", "按反馈要求更正"),
        ("王建国", "预期效果", "按反馈要求更正"),
    ]
    summary = sheet(report, "变更概况").set_index("单位编码")
    assert summary.loc["D01", "审核后被修改（T101）"] == "1"
    assert summary.loc["D01", "按反馈要求更正的承诺"] == "2"
