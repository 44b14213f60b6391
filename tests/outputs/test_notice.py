"""The public notice (公示_承诺事项.html / .xlsx): approved pledges only, public columns
only, roster spelling of names, hostile text escaped; rendered from the demo campaign."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pytest

from pipeline.cli import main
from pipeline.jobs.consolidate import run_consolidation
from pipeline.outputs.notice import NOTICE_HTML, NOTICE_XLSX
from pipeline.outputs.template import Fill
from pipeline.read import layout as L
from pipeline.rules.notice import COLUMNS
from tests.builders import d, deed, fault, load, make_inputs, org, write_return
from tests.demo_project import DEMO_AS_OF, DemoProject, copy_project
from tests.html_check import parse

AS_OF = "2026-11-20"
HOSTILE = "<script>alert(1)</script>"


def cli(inputs: Path, outputs: Path, *args: str) -> int:
    return main(["--inputs", str(inputs), "--outputs", str(outputs), "--quiet", *args])


def xlsx_rows(path: Path) -> tuple[list[str], list[tuple[object, ...]]]:
    rows = list(openpyxl.load_workbook(path, read_only=True)["公示"].iter_rows(min_row=2, values_only=True))
    return [str(h) for h in rows[0]], rows[1:]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, demo_documents: DemoProject) -> tuple[Path, Path]:
    """The demo after (consolidate, overdue, bulletin and) notice on AS_OF; a copy of the
    session's, for a consolidation writes into its outputs (the archive of office decisions)."""
    assert AS_OF == DEMO_AS_OF
    project = copy_project(demo_documents, tmp_path_factory.mktemp("notice"))
    return project.inputs, project.outputs


def test_demo_notice_lists_every_approved_item_of_roster_members(demo: tuple[Path, Path]) -> None:
    inputs, outputs = demo
    out = outputs / AS_OF
    html = (out / NOTICE_HTML).read_text(encoding="utf-8")
    tree = parse(html)
    header, rows = xlsx_rows(out / NOTICE_XLSX)
    assert header == COLUMNS
    c = run_consolidation(inputs, outputs, dt.date.fromisoformat(AS_OF))
    roster = {
        (u, m) for u, m in zip(c.roster.members["unit_code"], c.roster.members["member_id"], strict=True)
    }
    approved_members = [
        r
        for r in c.members.to_dict("records")
        if r["review"] == L.REVIEW_APPROVED and (r["unit_code"], r["member_id"]) in roster
    ]
    approved_orgs = [r for r in c.orgs.to_dict("records") if r["review"] == L.REVIEW_APPROVED]
    assert len(rows) == len(approved_members) + len(approved_orgs)
    assert len(tree.find("tbody")[0].find("tr")) + sum(
        len(t.find("tr")) for t in tree.find("tbody")[1:]
    ) == len(rows)
    assert {r[3] for r in rows} == {r["content"] for r in approved_members + approved_orgs}
    # nothing internal: no member ids, no statuses, no problems
    for mid in c.roster.members["member_id"]:
        assert mid not in html
    for word in ("逾期", "临期", "待审核", "退回", "未审核", "问题清单", "党员编号"):
        assert word not in html
    headers = {th.text() for th in tree.find("th")}
    assert headers == {"序", "承诺事项", "完成期限", "预期效果", "姓名", "类型", "预期效果（改正措施）"}
    assert not re.search(r"[SRFLVPTME]1\d\d", html)  # no rule codes
    assert [h.text() for h in tree.find("h2")] == [
        c.roster.unit_name(code) for code in c.roster.codes if code in c.used
    ]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[tuple[object, ...]]]:
    inputs = make_inputs(tmp_path_factory.mktemp("notice-small"))
    s, roster = load(inputs)
    rows = [
        deed("010001", "王建国", HOSTILE, effect='"><img src=x onerror=alert(1)>'),
        deed("010001", "王建国", "待审核的事项", review=L.REVIEW_PENDING),
        deed("010001", "王建国", "被退回的事项", review=L.REVIEW_RETURNED),
        fault("010002", "李秀英", "沟通方式简单", measures="每周谈心一次", effect="不该显示"),
        deed("010003", "张卫", "姓名写错的党员的事项", deadline=d(10, 20)),  # roster: 张伟
        deed("999999", "外人", "不在花名册的人的事项"),
        deed("020001", "刘芳", "别的支部党员的事项"),
    ]
    for i, r in enumerate(rows, start=1):
        r["seq"] = i
    orgs = [dict(org("组织承诺一"), seq=1), dict(org("组织承诺二", review=L.REVIEW_PENDING), seq=2)]
    write_return(
        inputs, s, roster, "D01", Fill(member_rows=rows, org_rows=orgs), mtime=dt.datetime(2026, 9, 18)
    )
    outputs = inputs.parent / "outputs"
    assert cli(inputs, outputs, "notice", "--as-of", "2026-09-20") == 0
    out = outputs / "2026-09-20"
    return (out / NOTICE_HTML).read_text(encoding="utf-8"), xlsx_rows(out / NOTICE_XLSX)[1]


def test_only_approved_items_of_roster_members(small: tuple[str, list[tuple[object, ...]]]) -> None:
    html, rows = small
    contents = [r[3] for r in rows]
    assert contents == ["组织承诺一", HOSTILE, "沟通方式简单", "姓名写错的党员的事项"]
    for hidden in (
        "待审核的事项",
        "被退回的事项",
        "不在花名册的人的事项",
        "别的支部党员的事项",
        "组织承诺二",
        "不该显示",
    ):
        assert hidden not in html
    assert [r[1] for r in rows] == ["", "王建国", "李秀英", "张伟"]  # the roster's spelling
    assert rows[2][5] == "每周谈心一次"  # a shortcoming shows its measures
    assert rows[3][4] == dt.datetime(2026, 10, 20)


def test_hostile_text_stays_text(small: tuple[str, list[tuple[object, ...]]]) -> None:
    html, _ = small
    tree = parse(html)
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert HOSTILE in tree.text()
    assert '"><img src=x onerror=alert(1)>' in tree.text()
