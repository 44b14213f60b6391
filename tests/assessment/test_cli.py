"""``eval-templates`` and ``ratings`` in-process: outputs, overrides round trip, the public
notice (escaped, names and grades only) and the demo campaign end to end."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from pipeline.assessment import layout as A
from pipeline.cli import main
from pipeline.core.settings import load_settings
from pipeline.read import layout as L
from pipeline.rules.roster import load_roster
from pipeline.tooling.demo_eval import build_eval_demo
from pipeline.tooling.stamp import stamp_saved_time
from tests.assessment_builders import EVAL_SAVED, member_row, write_eval
from tests.builders import REPO, ROSTER_ROWS, d, form_of, good_fill, load, make_inputs, write_return
from tests.html_check import parse as parse_html

AS_OF = "2026-11-27"


def run(inputs: Path, outputs: Path, *args: str) -> int:
    return main(["--quiet", "--inputs", str(inputs), "--outputs", str(outputs), *args])


def sheet_rows(path: Path, sheet: str, header_row: int = 1) -> list[dict[str, Any]]:
    ws = openpyxl.load_workbook(path)[sheet]
    rows = list(ws.iter_rows(values_only=True))
    head = rows[header_row - 1]
    return [dict(zip(head, r, strict=True)) for r in rows[header_row:]]


def tree_hash(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def campaign(tmp_path: Path) -> tuple[Path, Path]:
    inputs = make_inputs(tmp_path)
    s, roster = load(inputs)
    for code in ("D01", "D02"):  # every pledge done, except D02's first (overdue)
        fill = good_fill(form_of(roster, code))
        for i, row in enumerate(fill.member_rows):
            if code == "D01" or i > 0:
                row.update(progress=L.PROGRESS_DONE, done_on=d(10, 20))
        write_return(inputs, s, roster, code, fill)
    write_eval(
        inputs,
        s,
        roster,
        "D01",
        rows=[
            member_row(1, "010001", "王建国", vote_good=10, vote_fair=0, vote_average=0),
            member_row(2, "010002", "李秀英", vote_good=2, vote_fair=2, vote_average=2, vote_poor=4),
            member_row(3, "010003", "张伟"),
        ],
    )
    write_eval(inputs, s, roster, "D02")
    return inputs, tmp_path / "outputs"


def test_eval_templates_command(campaign: tuple[Path, Path]) -> None:
    inputs, outputs = campaign
    assert run(inputs, outputs, "eval-templates") == 0
    names = sorted(p.name for p in (outputs / "eval-templates").iterdir())
    assert names == [
        "D00_校党委_考核评价表.xlsx",
        "D01_第一党支部_考核评价表.xlsx",
        "D02_第二党支部_考核评价表.xlsx",
    ]


def test_ratings_and_overrides_round_trip(campaign: tuple[Path, Path]) -> None:
    inputs, outputs = campaign
    before = tree_hash(inputs)
    assert run(inputs, outputs, "ratings", "--as-of", AS_OF) == 0
    out = outputs / AS_OF
    results = out / A.RESULTS_FILE
    assert results.is_file() and (out / A.NOTICE_FILE).is_file()
    wb = openpyxl.load_workbook(results)
    assert wb.sheetnames == [
        A.SHEET_MEMBER_RESULTS,
        A.SHEET_UNIT_RESULTS,
        "党员评价汇总",
        "单位评价汇总",
        A.SHEET_SECRETARIES,
        A.SHEET_COMMENDED,
        A.SHEET_RECTIFY,
        "暂不评定名单",
        "校党委（报上级党组织）",
        "评定办法",
        A.SHEET_PROBLEMS,
    ]
    members = {r["党员编号"]: r for r in sheet_rows(results, A.SHEET_MEMBER_RESULTS)}
    assert set(members) == {"010001", "010002", "010003", "020001", "020002"}
    li = members["010002"]
    assert li[A.COL_PROPOSED] == "差" and li["依据规则"] == "差票比例"
    assert "民主评议差票 4 票，占参评人数 10 人的 40.0%，超过 1/3，评为差" in li["评定依据"]
    assert li[A.COL_OPINION] is None and li[A.COL_REASON] is None
    assert members["020001"]["逾期未完成"] == 1 and members["010001"]["履诺得分"] == 100
    assert (
        members["010001"][A.COL_PROPOSED] == "好" and members["010003"][A.COL_PROPOSED] == "较好"
    )  # 好 cap: 1 of 3
    assert "综合得分排第 2 名，调为较好" in members["010003"]["评定依据"]
    rectify = sheet_rows(results, A.SHEET_RECTIFY)
    assert {r["姓名"] for r in rectify} >= {"李秀英"}
    assert all(r["整改期限"].date().isoformat() == "2026-12-27" for r in rectify)
    secretaries = sheet_rows(results, A.SHEET_SECRETARIES, header_row=2)
    assert [r["书记"] for r in secretaries] == ["王建国", "刘芳"]  # branches only: the committee goes up
    assert tree_hash(inputs) == before  # inputs are never modified

    # The group decides: two changes, one with a reason. The clerk saves the file as-is.
    ws = wb[A.SHEET_MEMBER_RESULTS]
    head = [c.value for c in ws[1]]
    jo, jr = head.index(A.COL_OPINION) + 1, head.index(A.COL_REASON) + 1
    rows = {ws.cell(r, head.index("党员编号") + 1).value: r for r in range(2, ws.max_row + 1)}
    ws.cell(rows["010002"], jo, "一般")
    ws.cell(rows["010002"], jr, "本人已作深刻检讨，经领导小组集体研究调整")
    ws.cell(rows["020002"], jo, "好")
    wb.save(inputs / A.INBOX / "领导小组意见.xlsx")
    # the group decided before AS_OF (openpyxl wrote "now" as the saved time)
    stamp_saved_time(inputs / A.INBOX / "领导小组意见.xlsx", EVAL_SAVED.astimezone())
    assert run(inputs, outputs, "ratings", "--as-of", AS_OF) == 0
    members = {r["党员编号"]: r for r in sheet_rows(results, A.SHEET_MEMBER_RESULTS)}
    li, chen = members["010002"], members["020002"]
    assert (li[A.COL_PROPOSED], li[A.COL_FINAL], li[A.COL_OPINION]) == ("差", "一般", "一般")
    assert li[A.COL_REASON] == "本人已作深刻检讨，经领导小组集体研究调整"  # carried into the new table
    assert chen[A.COL_OPINION] == "好" and chen[A.COL_FINAL] == chen[A.COL_PROPOSED] != "好"
    problems = sheet_rows(results, A.SHEET_PROBLEMS)
    e106 = [p for p in problems if p["规则编号"] == "E106"]
    assert len(e106) == 1 and e106[0]["党员编号"] == "020002" and e106[0]["文件"] == "领导小组意见.xlsx"
    assert e106[0]["单元格"] == f"{openpyxl.utils.get_column_letter(jo)}{rows['020002']}"
    assert "李秀英" not in {r["姓名"] for r in sheet_rows(results, A.SHEET_RECTIFY)}
    # a third run without changes keeps the decision (nothing lives in outputs/)
    assert run(inputs, outputs, "ratings", "--as-of", AS_OF, "--strict") == 1  # E106 is an error
    assert {r["党员编号"]: r for r in sheet_rows(results, A.SHEET_MEMBER_RESULTS)}["010002"][
        A.COL_FINAL
    ] == "一般"


def test_other_commands_outputs_survive(campaign: tuple[Path, Path]) -> None:
    inputs, outputs = campaign
    (outputs / AS_OF).mkdir(parents=True)
    (outputs / AS_OF / "台账.xlsx").write_bytes(b"other command")
    assert run(inputs, outputs, "ratings", "--as-of", AS_OF) == 0
    assert (outputs / AS_OF / "台账.xlsx").read_bytes() == b"other command"


def test_notice_escapes_hostile_names(tmp_path: Path) -> None:
    rows = [r for r in ROSTER_ROWS if r[0] != "D02"] + [
        (
            "D02",
            "<b>第二</b>&支部",
            "党支部",
            "020001",
            "<script>alert(1)</script>",
            "女",
            "会计",
            "正式党员",
            "支部书记",
        ),
        ("D02", "<b>第二</b>&支部", "党支部", "020002", "陈\"磊'", "男", "教师", "正式党员", ""),
    ]
    inputs = make_inputs(tmp_path, rows)
    s, roster = load(inputs)
    write_return(inputs, s, roster, "D02")
    write_eval(inputs, s, roster, "D02")
    outputs = tmp_path / "outputs"
    assert run(inputs, outputs, "ratings", "--as-of", AS_OF) == 0
    html = (outputs / AS_OF / A.NOTICE_FILE).read_text(encoding="utf-8")
    assert "<script>" not in html and "<b>第二</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;b&gt;第二&lt;/b&gt;&amp;支部" in html
    tree = parse_html(html)
    cells = [td.text() for td in tree.find("td")]
    assert "<script>alert(1)</script>" in cells and "陈\"磊'" in cells
    # names and grades only: no member ids, scores or reasons
    assert "020001" not in html and "综合得分" not in html and "评定依据" not in html
    headings = [h.text() for h in tree.find("h2")]
    # the committee's own grade is for the level above, not on the school's notice
    assert not any(h.startswith("校党委") for h in headings)
    # D01 sent no pledge form: not graded (default assessment.no_return), left out with a line
    assert len(headings) == 1 and headings[0].startswith("<b>第二</b>&支部（单位等次：")
    assert "另有 3 名党员暂不评定，未列入本公示（所在单位未报送承诺表 3 名）" in html


def test_demo_end_to_end(tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    shutil.copy(REPO / "inputs" / "campaign.toml", inputs / "campaign.toml")
    assert run(inputs, tmp_path / "outputs", "demo") == 0
    s, roster = load_settings(inputs), load_roster(inputs)
    planted = build_eval_demo(inputs, s, roster, 2010)  # what build_demo wrote, again: same files
    first = tree_hash(inputs / A.INBOX)
    build_eval_demo(inputs, s, roster, 2010)
    assert tree_hash(inputs / A.INBOX) == first  # deterministic
    assert sorted(p.rule for p in planted) == ["E102", "E103", "E104", "E106"]
    assert len([p for p in (inputs / A.INBOX).iterdir() if p.name.endswith("考核评价表.xlsx")]) == len(
        roster.codes
    )
    outputs = tmp_path / "outputs"
    assert run(inputs, outputs, "ratings", "--as-of", AS_OF) == 0
    results = outputs / AS_OF / A.RESULTS_FILE
    problems = {(p["规则编号"], p["文件"], p["单元格"]) for p in sheet_rows(results, A.SHEET_PROBLEMS)}
    for p in planted:
        assert (p.rule, p.file, p.cell) in problems, p
    members = sheet_rows(results, A.SHEET_MEMBER_RESULTS)
    assert len(members) == len(roster.members)
    changed = [m for m in members if m[A.COL_FINAL] != m[A.COL_PROPOSED]]
    assert len(changed) == 1 and changed[0][A.COL_REASON]
    assert all(m[A.COL_FINAL] in ("好", "较好", "一般", "差") for m in members if m["评定情况"] == "评定")
    html = parse_html((outputs / AS_OF / A.NOTICE_FILE).read_text(encoding="utf-8"))
    assert len(html.find("section")) == len(roster.codes) - 1  # not the committee (no members of its own)
    assert "待定" not in html.text()
    assert len(html.find("tbody")[0].find("tr")) == len(roster.members_of("D01"))
