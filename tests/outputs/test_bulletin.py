"""The progress bulletin (通报.html): rendered from the demo campaign, well-formed, with
the same figures as the ledger's 汇总 sheet; numbering; settings; hostile text escaped."""

from __future__ import annotations

import copy
import datetime as dt
import re
from pathlib import Path

import openpyxl
import pytest

from pipeline.cli import main
from pipeline.cli.bulletin import BULLETIN_FILE
from pipeline.core.errors import SettingsError
from pipeline.core.settings import parse_settings
from pipeline.jobs.consolidate import run_consolidation
from pipeline.jobs.consolidation import Consolidation
from pipeline.outputs.bulletin import bulletin_context, commend_early_days, render_context
from pipeline.outputs.template import Fill
from pipeline.rules.status import COMPLETED, OVERDUE, TRACKED
from tests.builders import d, deed, fault, load, make_inputs, org, settings_dict, write_return
from tests.demo_project import DEMO_AS_OF, DemoProject, copy_project
from tests.html_check import Node, parse

AS_OF = "2026-11-20"
HOSTILE = "<script>alert(1)</script>"


def cli(inputs: Path, outputs: Path, *args: str) -> int:
    return main(["--inputs", str(inputs), "--outputs", str(outputs), "--quiet", *args])


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory, demo_documents: DemoProject
) -> tuple[Consolidation, Path, Node, str]:
    """The demo after consolidate and bulletin on AS_OF; a copy of the session's, for a
    consolidation writes into its outputs (the archive of office decisions)."""
    assert AS_OF == DEMO_AS_OF
    project = copy_project(demo_documents, tmp_path_factory.mktemp("bulletin"))
    inputs, outputs = project.inputs, project.outputs
    out = outputs / AS_OF
    assert (out / "台账.xlsx").is_file()  # the consolidate outputs are carried over
    html = (out / BULLETIN_FILE).read_text(encoding="utf-8")
    c = run_consolidation(inputs, outputs, dt.date.fromisoformat(AS_OF))
    return c, out, parse(html), html


def figure(tree: Node, name: str) -> str:
    (node,) = tree.find("b", **{"data-figure": name})
    return node.text()


def test_headline_figures_match_the_frames(demo: tuple[Consolidation, Path, Node, str]) -> None:
    c, _, tree, _ = demo
    status = list(c.members["status"]) + list(c.orgs["status"])
    tracked = sum(s in TRACKED for s in status)
    done = sum(s in COMPLETED for s in status)
    assert int(figure(tree, "跟踪中承诺")) == tracked
    assert int(figure(tree, "完成合计")) == done
    assert int(figure(tree, "逾期未完成")) == sum(s == OVERDUE for s in status)
    assert int(figure(tree, "units_reported")) == len(c.used)
    assert figure(tree, "完成率") == f"{done / tracked * 100:.1f}%"


def test_unit_table_matches_the_ledger_summary(demo: tuple[Consolidation, Path, Node, str]) -> None:
    _, out, tree, _ = demo
    ws = openpyxl.load_workbook(out / "台账.xlsx", read_only=True)["汇总"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    header = list(rows[0])
    ledger = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:] if r[0]}
    table = [n for n in tree.find("tr") if "data-unit" in n.attrs]
    # the branches are ranked; the committee (D00) is shown apart, not ranked among them
    assert {n.attrs["data-unit"] for n in table} == {
        k for k, v in ledger.items() if v["是否报送"] == "是" and v["单位类型"] == "党支部"
    }
    assert [n.attrs["data-committee"] for n in tree.find("tr") if "data-committee" in n.attrs] == ["D00"]
    rates = []
    for n in table:
        cells = {td.attrs["data-col"]: td.text() for td in n.find("td") if "data-col" in td.attrs}
        row = ledger[n.attrs["data-unit"]]
        for name in ("跟踪中承诺", "按期完成", "逾期完成", "完成合计", "逾期未完成"):
            assert int(cells[name]) == row[name]
        assert cells["完成率"] == f"{row['完成率'] * 100:.1f}%"
        rates.append(row["完成率"])
    assert rates == sorted(rates, reverse=True)  # ranked by completion rate


def test_sections_chart_and_print_css(demo: tuple[Consolidation, Path, Node, str]) -> None:
    c, _, tree, html = demo
    assert figure(tree, "units_reported") == "6"
    (h1,) = tree.find("h1")
    assert h1.text() == "关于公开承诺履诺情况的通报（第1期）"  # the first bulletin issued into these outputs
    (svg,) = tree.find("svg")
    assert len(svg.find("rect")) == len(c.used) - 1  # one bar per reporting branch (not the committee)
    assert "@page" in html and "A4" in html and "page-break" in html
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    # exactly one overdue plan step in the demo
    (milestones,) = [s for s in tree.find("section") if s.attrs.get("id") == "milestones"]
    assert len(milestones.find("tbody")[0].find("tr")) == 1
    # lagging units grouped under their leader; D04 (September only) is named as not reporting progress
    (lagging,) = [s for s in tree.find("section") if s.attrs.get("id") == "lagging"]
    leaders = [h.text().split("：", 1)[1] for h in lagging.find("h3")]
    assert leaders == ["张校长", "李副校长"]
    (missing,) = [s for s in tree.find("section") if s.attrs.get("id") == "missing"]
    assert "第四党支部" in missing.text() and "未再报送" in missing.text()


def test_commend_days_setting() -> None:
    raw = copy.deepcopy(settings_dict())
    raw["tracking"].pop("commend_early_days", None)
    assert commend_early_days(parse_settings(raw)) == 7  # older campaign.toml files still work
    raw["tracking"]["commend_early_days"] = 3
    assert commend_early_days(parse_settings(raw)) == 3
    raw["tracking"]["commend_early_days"] = "一周"
    with pytest.raises(SettingsError, match=r"tracking\.commend_early_days"):
        commend_early_days(parse_settings(raw))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    inputs = make_inputs(tmp_path_factory.mktemp("hostile"))
    s, roster = load(inputs)
    rows = [
        deed("010001", "王建国", HOSTILE, deadline=d(10, 10), progress="进行中"),  # overdue
        deed(
            "010001",
            "王建国",
            "<b>提前</b>完成 & 好评",
            deadline=d(10, 31),
            progress="已完成",
            done_on=d(10, 1),
        ),
        fault("010001", "王建国", "缺点", effect='"><img src=x onerror=alert(1)>'),
    ]
    for i, r in enumerate(rows, start=1):
        r["seq"] = i
    orgs = [dict(org(f"组织{i}", owner="<i>书记</i>"), seq=i) for i in range(1, 4)]
    write_return(
        inputs, s, roster, "D01", Fill(member_rows=rows, org_rows=orgs), mtime=dt.datetime(2026, 10, 20, 9, 0)
    )
    outputs = inputs.parent / "outputs"
    assert cli(inputs, outputs, "bulletin", "--as-of", "2026-10-20", "--issue", "3") == 0
    return inputs, outputs / "2026-10-20" / BULLETIN_FILE


def test_hostile_text_stays_text(hostile: tuple[Path, Path]) -> None:
    _, path = hostile
    html = path.read_text(encoding="utf-8")
    tree = parse(html)
    assert "<script" not in html and "<b>提前" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert HOSTILE in tree.text()  # shown to the reader as the text that was typed
    assert "&lt;b&gt;提前&lt;/b&gt;完成 &amp; 好评" in html  # commended early completion, escaped
    assert not tree.find("img") and not tree.find("b", **{"data-figure": "x"})
    assert "（第3期）" in tree.find("h1")[0].text()


def test_context_without_returns(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path)
    c = run_consolidation(inputs, tmp_path / "outputs", dt.date(2026, 10, 1))
    ctx = bulletin_context(c)
    assert ctx["figures"]["units_reported"] == 0 and ctx["figures"]["rate"] == 0.0
    assert [u["unit_code"] for u in ctx["missing"]] == ["D00", "D01", "D02"]
    assert ctx["title"] == "关于公开承诺履诺情况的通报"  # not numbered: the register numbers it
    assert not re.search(r"第\d+期", ctx["title"])
    tree = parse(render_context(ctx))
    assert "尚无党支部报送" in tree.text()
