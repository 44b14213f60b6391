"""包靠领导: a leader's visit appears in the bulletin (by leader) and in the unit's branch
ledger; units without a record in the bulletin period are noted."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

from pipeline.cli import main
from pipeline.office import forms as O
from pipeline.office.workbook import write_office_workbook
from tests.builders import d, load, make_inputs, write_return
from tests.html_check import parse as parse_html

AS_OF = "2026-10-20"  # bulletin period 7 days: 2026-10-14 .. 2026-10-20


def test_visit_in_bulletin_and_branch_ledger(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path)
    s, roster = load(inputs)
    write_return(inputs, s, roster, "D01")
    write_return(inputs, s, roster, "D02")
    records = [
        {
            "date": d(10, 15),
            "unit_code": "D01",
            "kind": O.VISIT,
            "found": "党员记实不及时",
            "help": "协调活动场地",
            "comment": "",
        },
        {"date": d(10, 18), "unit_code": "D02", "kind": O.COMMENT, "comment": "进度较快，继续保持"},
        {
            "date": d(10, 10),
            "unit_code": "D01",
            "kind": O.VISIT,
            "found": "上一期的走访",
        },  # before the period
        {"date": d(10, 25), "unit_code": "D01", "kind": O.VISIT, "found": "以后的走访"},  # not yet known
    ]
    path = inputs / O.OFFICE_INBOX / "张校长_包靠领导记实表.xlsx"
    path.parent.mkdir(parents=True)
    write_office_workbook(path, O.LEADERS, s, records, "说明", key="张校长", key_name="张校长", blank_rows=5)
    out = tmp_path / "outputs"
    for cmd in ("bulletin", "consolidate"):
        assert main(["--quiet", "--inputs", str(inputs), "--outputs", str(out), cmd, "--as-of", AS_OF]) == 0
    html = (out / AS_OF / "通报.html").read_text(encoding="utf-8")
    parse_html(html)
    assert "八、包靠领导走访点评（2026年10月14日至2026年10月20日）" in html
    assert "张校长：本期走访调研 1 次、点评 1 次（全年累计 3 条）" in html
    assert "协调活动场地" in html and "进度较快，继续保持" in html
    assert "以后的走访" not in html and "上一期的走访" not in html
    assert "本期没有走访点评记录的包靠单位：校党委。" in html
    ledger = openpyxl.load_workbook(out / AS_OF / "支部台账" / "D01_第一党支部_台账.xlsx")
    rows = list(ledger["包靠领导走访点评"].iter_rows(values_only=True))
    assert rows[0][:4] == ("日期", "包靠领导", "类型", "发现的问题")
    assert [(r[0].date(), r[1], r[2], r[3], r[4]) for r in rows[1:]] == [
        (dt.date(2026, 10, 10), "张校长", O.VISIT, "上一期的走访", None),
        (dt.date(2026, 10, 15), "张校长", O.VISIT, "党员记实不及时", "协调活动场地"),
    ]
    d02 = openpyxl.load_workbook(out / AS_OF / "支部台账" / "D02_第二党支部_台账.xlsx")
    assert [r[5] for r in d02["包靠领导走访点评"].iter_rows(min_row=2, values_only=True)] == [
        "进度较快，继续保持"
    ]
