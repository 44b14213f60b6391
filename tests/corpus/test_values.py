"""Cell-value cases, end to end: dates, long and odd text, control characters, hostile text.

Values are written straight into the sheet XML (inline strings, raw numbers, ``_xHHHH_``
escapes, raw control bytes, shared-string edits): openpyxl refuses most of them. Each
case puts one value into D01's first member row (Excel row 2, 王建国 010001).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.core.findings import ERROR, NOTICE
from pipeline.read import layout as L
from pipeline.read.textnorm import ILLEGAL_XML_RE
from tests.corpus.make import (
    D01_FILE,
    assert_neighbours_ok,
    edit_sheet,
    inbox,
    inline_cell,
    of_file,
    rewrite,
    set_cell,
)

M = L.SHEET_MEMBER
COL = {"content": "E", "name": "C", "deadline": "G", "effect": "H"}


@dataclass
class Value:
    field: str
    xml: str  # the <c> element (its r attribute is filled in)
    findings: list[tuple[str, str]]  # (rule, cell) on D01's file
    expect: object  # the parsed value, or a predicate on it


def text(s: str, raw: bool = False) -> str:
    return inline_cell("{ref}", s, raw=raw)


def number(n: float) -> str:
    return f'<c r="{{ref}}"><v>{n}</v></c>'


def utf16(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


HOSTILE = {
    "formula_hyperlink": '=HYPERLINK("http://evil.example/x","点我")',
    "dde_command": "+cmd|' /C calc'!A0",
    "at_function": "@SUM(1+1)",
    "minus_formula": "-A1*2",
}

VALUES: dict[str, Value] = {
    # dates
    "date_feb_30": Value("deadline", text("2月30日"), [("V101", "G2")], None),
    "date_iso_feb_30": Value("deadline", text("2026-02-30"), [("V101", "G2")], None),
    "date_month_13": Value("deadline", text("2026年13月1日"), [("V101", "G2")], None),
    "date_two_digit_year": Value("deadline", text("26.10.31"), [("V102", "G2")], dt.date(2026, 10, 31)),
    "date_two_digit_year_slash": Value("deadline", text("26/10/31"), [("V102", "G2")], dt.date(2026, 10, 31)),
    "serial_plain_number": Value("deadline", number(46326), [("V102", "G2")], dt.date(2026, 10, 31)),
    "serial_too_large": Value("deadline", number(99999999), [("V101", "G2")], None),
    "serial_after_9999": Value("deadline", number(3000000), [("V101", "G2")], None),
    "serial_negative": Value("deadline", number(-5), [("V101", "G2")], None),
    "serial_1900": Value("deadline", number(1), [("V101", "G2")], None),
    "serial_nan_text": Value("deadline", text("NaN"), [("V101", "G2")], None),
    # text
    "text_32767_chars": Value("content", text("长" * 32767), [], "长" * 32767),
    "text_40000_chars": Value(
        "content",
        text("超" * 40000),
        [("V110", "E2")],
        lambda s: utf16(s) <= 32767 and s.startswith("超" * 32000) and s.endswith("（已截断）"),
    ),
    "emoji_over_excel_limit": Value(
        "content",
        text("😀" * 20000),
        [("V110", "E2")],
        lambda s: utf16(s) <= 32767 and s.startswith("😀" * 16000),
    ),
    "newlines": Value("content", text("第一行\r\n第二行\r第三行\n"), [], "第一行\n第二行\n第三行"),
    "emoji": Value("content", text("😀 帮助 👨‍👩‍👧 独居老人 🇨🇳"), [], "😀 帮助 👨‍👩‍👧 独居老人 🇨🇳"),
    "control_escapes": Value(
        "content", text("响铃\x07退格\x08空\x00换页\x0c完"), [("V107", "E2")], "响铃退格空换页完"
    ),
    "control_raw_bytes": Value("effect", text("效果\x01\x02\x1f好", raw=True), [("V107", "H2")], "效果好"),
    "escaped_underscore_x": Value("content", text("_x005F_x0041_ 照原样"), [], "_x0041_ 照原样"),
    "xml_special": Value("content", text('<b>&amp;"引号"</b>'), [], '<b>&amp;"引号"</b>'),
    "script_tag": Value("content", text("<script>alert(1)</script>"), [], "<script>alert(1)</script>"),
    "path_as_name": Value("name", text("../../x"), [("P114", "C2")], "../../x"),
    **{k: Value("content", text(v), [("V108", "E2")], v) for k, v in HOSTILE.items()},
}


@pytest.mark.parametrize("name", list(VALUES))
def test_value_case(tmp_path: Path, name: str) -> None:
    case = VALUES[name]
    ref = f"{COL[case.field]}2"
    box = inbox(tmp_path)
    box.put(
        D01_FILE,
        edit_sheet(box.good_bytes("D01"), M, lambda x: set_cell(x, ref, case.xml.replace("{ref}", ref))),
    )
    c = box.run()
    assert sorted(of_file(c, D01_FILE)) == sorted((rule, M, cell) for rule, cell in case.findings)
    for f in c.findings:
        if f.file == D01_FILE:
            assert f.severity == (ERROR if f.rule == "V101" else NOTICE), f.one_line()
            assert f.member_id == "010001", f.one_line()
    row = c.members[(c.members["unit_code"] == "D01") & (c.members["excel_row"] == 2)]
    assert len(row) == 1
    got = row[case.field].iloc[0]
    if callable(case.expect):
        assert case.expect(got), repr(got)[:200]
    else:
        assert got == case.expect
    if isinstance(got, str):
        assert ILLEGAL_XML_RE.search(got) is None
    assert int((c.members["unit_code"] == "D01").sum()) == 9
    assert_neighbours_ok(c)


def test_control_character_in_shared_strings(tmp_path: Path) -> None:
    """As Excel writes it: the string table holds ``_x001B_`` for ESC (the common case
    when text is pasted from a terminal or an old system)."""
    box = inbox(tmp_path)

    def sst(x: bytes) -> bytes:
        return x.replace("王建国的实事一".encode(), "王建国_x001B_的实事一".encode(), 1)

    box.put(D01_FILE, rewrite(box.good_bytes("D01"), {"xl/sharedStrings.xml": sst}))
    c = box.run()
    assert of_file(c, D01_FILE) == [("V107", M, "E2")]
    assert (
        c.members.loc[c.members["excel_row"].eq(2) & c.members["unit_code"].eq("D01"), "content"].iloc[0]
        == "王建国的实事一"
    )
    assert_neighbours_ok(c)


def test_flood_of_bad_dates_is_summarised(tmp_path: Path) -> None:
    """5,000 rows with an impossible date: the first N (settings) with cells, then one line."""
    box = inbox(tmp_path)
    toml = box.inputs / "campaign.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace("max_per_rule_per_file = 50", "max_per_rule_per_file = 20"),
        encoding="utf-8",
    )
    from tests.builders import load

    box.settings, box.roster = load(box.inputs)
    assert box.settings.findings_cap == 20
    fill = box.fill("D01")
    base = fill.member_rows
    fill.member_rows = [
        dict(base[i % len(base)], deadline="2月30日", content=f"承诺{i}", seq=i + 1) for i in range(5000)
    ]
    box.good("D01", fill=fill)
    c = box.run()
    v101 = [f for f in c.findings if f.file == D01_FILE and f.rule == "V101"]
    assert len(v101) == 21
    assert [f.cell for f in v101[:20]] == [f"G{r}" for r in range(2, 22)]
    assert v101[-1].cell == "" and "以上仅列出前 20 处，另有 4980 处" in v101[-1].message
    for rule in {f.rule for f in c.findings if f.file == D01_FILE}:
        assert sum(1 for f in c.findings if f.file == D01_FILE and f.rule == rule) <= 21 + 1, rule
    assert int((c.members["unit_code"] == "D01").sum()) == 5000
    assert_neighbours_ok(c)
