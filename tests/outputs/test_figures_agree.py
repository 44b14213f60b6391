"""Every figure named the same in two outputs is the same number: 汇总 of 台账.xlsx, the
bulletin, the branch ledgers, the overdue list and the public notice of the demo
campaign, read back from the files the commands wrote."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from pipeline.cli.bulletin import BULLETIN_FILE
from pipeline.outputs.branch_ledger import BRANCH_DIR
from pipeline.outputs.notice import NOTICE_XLSX
from pipeline.outputs.overdue import OVERDUE_FILE, SHEET_DUE_SOON, SHEET_OVERDUE
from pipeline.rules import figures as F
from tests.demo_project import DEMO_AS_OF, DemoProject
from tests.html_check import Node, parse

AS_OF = "2026-11-20"
COUNTS = [n for n in F.NAMES if n != F.RATE]
BULLETIN_COLUMNS = (F.TRACKED, F.ON_TIME, F.DONE_LATE, F.DONE_TOTAL, F.OVERDUE)


@pytest.fixture(scope="module")
def out(demo_documents: DemoProject) -> Path:
    """The outputs of consolidate, overdue, bulletin and notice on the demo (the session's:
    read only)."""
    assert AS_OF == DEMO_AS_OF
    return demo_documents.out


def summary(out: Path) -> dict[str, dict[str, Any]]:
    rows = list(openpyxl.load_workbook(out / "台账.xlsx", read_only=True)["汇总"].iter_rows(values_only=True))
    head = list(rows[1])
    return {r[0]: dict(zip(head, r, strict=True)) for r in rows[2:] if r[0] and len(str(r[0])) <= 4}


def pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def test_summary_has_one_row_per_unit_and_a_total(out: Path) -> None:
    s = summary(out)
    assert list(s) == ["D00", "D01", "D02", "D03", "D04", "D05", F.SCHOOL_ROW]
    # D02's rows for a D01 member (P113) and an unknown id (P112) are not counted: 12 of 12
    assert (s["D02"][F.PLEDGED_MEMBERS], s["D02"][F.MEMBERS]) == (12, 12)
    assert (s[F.SCHOOL_ROW][F.PLEDGED_MEMBERS], s[F.SCHOOL_ROW][F.MEMBERS]) == (57, 58)
    for code, row in s.items():
        assert row[F.PLEDGED_MEMBERS] <= row[F.MEMBERS] or code == "D00"
        parts = (F.ON_TIME, F.DONE_LATE, F.OVERDUE, F.DUE_SOON, F.ONGOING, F.NOT_STARTED)
        assert row[F.TRACKED] == sum(row[n] for n in parts)
        assert row[F.DONE_TOTAL] == row[F.ON_TIME] + row[F.DONE_LATE]
    units = [r for k, r in s.items() if k != F.SCHOOL_ROW]
    for name in COUNTS:  # the 合计 row is the sum of the units
        assert s[F.SCHOOL_ROW][name] == sum(r[name] for r in units), name
    total = s[F.SCHOOL_ROW]
    assert total[F.RATE] == pytest.approx(total[F.DONE_TOTAL] / total[F.TRACKED])


def test_bulletin_figures_are_the_ledgers(out: Path) -> None:
    s = summary(out)
    tree = parse((out / BULLETIN_FILE).read_text(encoding="utf-8"))
    tiles = {b.attrs["data-figure"]: b.text() for b in tree.find("b") if "data-figure" in b.attrs}
    total = s[F.SCHOOL_ROW]
    for name in (*BULLETIN_COLUMNS, F.DUE_SOON):
        assert int(tiles[name]) == total[name], name
    assert tiles[F.RATE] == pct(total[F.RATE])
    rows: list[Node] = [n for n in tree.find("tr") if "data-unit" in n.attrs or "data-committee" in n.attrs]
    seen = set()
    for n in rows:
        code = n.attrs.get("data-unit") or n.attrs["data-committee"]
        seen.add(code)
        cells = {td.attrs["data-col"]: td.text() for td in n.find("td") if "data-col" in td.attrs}
        for name in BULLETIN_COLUMNS:
            assert int(cells[name]) == s[code][name], (code, name)
        assert cells[F.RATE] == pct(s[code][F.RATE])
    assert seen == {"D00", "D01", "D02", "D03", "D04", "D05"}
    # the sentence says the same numbers under the same names
    (summary_section,) = [x for x in tree.find("section") if x.attrs.get("id") == "summary"]
    text = summary_section.text()
    for name in (F.ON_TIME, F.DONE_LATE, F.DONE_TOTAL, F.OVERDUE):
        assert f"{name} {total[name]} 项" in text, name


def test_branch_ledgers_show_the_same_figures(out: Path) -> None:
    s = summary(out)
    files = sorted((out / BRANCH_DIR).glob("*.xlsx"))
    assert len(files) == 6
    for path in files:
        code = path.name.split("_", 1)[0]
        rows = list(
            openpyxl.load_workbook(path, read_only=True)["概况"].iter_rows(min_row=3, values_only=True)
        )
        overview = {r[0]: r[1] for r in rows}
        for name in COUNTS:
            assert overview[name] == s[code][name], (code, name)
        assert overview[F.RATE] == pct(s[code][F.RATE])


def test_overdue_list_and_notice_count_the_same_items(out: Path) -> None:
    s = summary(out)
    wb = openpyxl.load_workbook(out / OVERDUE_FILE, read_only=True)
    for sheet, name in ((SHEET_OVERDUE, F.OVERDUE), (SHEET_DUE_SOON, F.DUE_SOON)):
        rows = list(wb[sheet].iter_rows(values_only=True))
        title = str(rows[0][0])
        m = re.match(rf"{name} (\d+) 项", title)
        assert m and int(m.group(1)) == s[F.SCHOOL_ROW][name], title
        data = rows[2:]
        for code in ("D00", "D01", "D02", "D03", "D04", "D05"):
            assert sum(1 for r in data if r[0] == code) == s[code][name], (sheet, code)
    notice = openpyxl.load_workbook(out / NOTICE_XLSX, read_only=True)
    posted = list(notice["公示"].iter_rows(min_row=3, values_only=True))
    assert len(posted) == s[F.SCHOOL_ROW][F.TRACKED]  # the notice posts exactly the tracked items
