from __future__ import annotations

import pytest

from pipeline.core.findings import (
    ERROR,
    NOTICE,
    PROBLEM_COLUMNS,
    Finding,
    Findings,
    findings_frame,
    frame_to_findings,
)


def test_problem_list_columns_and_order() -> None:
    fs = [
        Finding(NOTICE, "P111", "待审核", unit_code="D01", file="a.xlsx", sheet="党员承诺", cell="I2"),
        Finding(ERROR, "P106", "缺少完成期限", unit_code="D02", file="b.xlsx", sheet="党员承诺", cell="G3"),
    ]
    df = findings_frame(fs)
    assert list(df.columns) == PROBLEM_COLUMNS
    assert list(df["级别"]) == [ERROR, NOTICE]  # errors first
    assert frame_to_findings(df)[0].cell == "G3"


def test_flood_is_summarised_per_file_and_rule() -> None:
    fs = Findings(cap_per_rule=3)
    for i in range(10):
        fs.error("V101", "日期无法识别", file="a.xlsx", sheet="党员承诺", cell=f"G{i + 2}")
    fs.error("V101", "日期无法识别", file="b.xlsx", sheet="党员承诺", cell="G2")
    out = fs.finalised()
    assert len([f for f in out if f.file == "a.xlsx"]) == 4
    summary = [f for f in out if f.file == "a.xlsx" and not f.cell]
    assert len(summary) == 1 and "另有 7 处" in summary[0].message
    assert len([f for f in out if f.file == "b.xlsx"]) == 1


def test_unknown_severity_rejected() -> None:
    with pytest.raises(ValueError):
        Finding("warning", "X", "m")


def test_one_line_names_place() -> None:
    f = Finding(ERROR, "P106", "缺少完成期限", file="a.xlsx", sheet="党员承诺", cell="G3")
    assert f.one_line() == "[错误] a.xlsx!党员承诺!G3: 缺少完成期限（P106）"
