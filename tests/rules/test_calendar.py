"""AS_OF outside the campaign: every command still runs and says so once, plainly, on the
terminal and in its output (T110 / E118)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from pipeline.cli import main
from pipeline.rules.calendar import before_assessment, outside_campaign
from tests.builders import load, make_inputs, settings, write_return
from tests.html_check import parse

# The demo calendar: pledge 08-01..09-30, fulfil 09-15..11-15, assess 11-20..12-10;
# tracking.after_campaign_days = 30, so "long after" starts on 2027-01-10.


@pytest.mark.parametrize(
    ("day", "said"),
    [
        (dt.date(2026, 7, 31), "早于承诺阶段开始（2026-08-01）"),
        (dt.date(2026, 8, 1), ""),
        (dt.date(2026, 12, 10), ""),
        (dt.date(2027, 1, 9), ""),  # 30 days after the end: still the campaign's aftermath
        (dt.date(2027, 1, 10), "在本年度活动结束（考核评价阶段 2026-12-10 截止）30 天以后"),
    ],
)
def test_outside_campaign(day: dt.date, said: str) -> None:
    text = outside_campaign(day, settings())
    assert (said in text) if said else text == ""


def test_before_assessment() -> None:
    s = settings()
    assert "早于考核评价阶段开始（2026-11-20）" in before_assessment(dt.date(2026, 11, 19), s)
    assert "只是试算" in before_assessment(dt.date(2026, 9, 20), s)
    assert before_assessment(dt.date(2026, 11, 20), s) == ""
    assert "30 天以后" in before_assessment(dt.date(2030, 1, 1), s)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    inputs = make_inputs(tmp_path_factory.mktemp("calendar"))
    s, roster = load(inputs)
    write_return(inputs, s, roster, "D01", mtime=dt.datetime(2026, 6, 20, 9, 0))
    return inputs


def cli(inputs: Path, outputs: Path, *args: str) -> int:
    return main(["--inputs", str(inputs), "--outputs", str(outputs), *args])


def problems(path: Path, sheet: str) -> list[str]:
    rows = list(openpyxl.load_workbook(path, read_only=True)[sheet].iter_rows(values_only=True))
    j = list(rows[0]).index("规则编号")
    return [str(r[j]) for r in rows[1:]]


def test_before_the_pledge_phase(inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "outputs"
    assert cli(inputs, out, "consolidate", "--as-of", "2026-07-01") == 0
    said = capsys.readouterr().out
    assert said.count("早于承诺阶段开始") == 1 and said.startswith("注意：统计日期 2026-07-01")
    assert problems(out / "2026-07-01" / "台账.xlsx", "问题清单").count("T110") == 1
    for cmd in ("overdue", "notice", "cards"):
        assert cli(inputs, out, cmd, "--as-of", "2026-07-01") == 0
        assert capsys.readouterr().out.count("早于承诺阶段开始") == 1, cmd
    rows = list(
        openpyxl.load_workbook(out / "2026-07-01" / "逾期清单.xlsx", read_only=True)["逾期承诺"].iter_rows(
            values_only=True
        )
    )
    assert "早于承诺阶段开始" in str(rows[1][0])
    assert "早于承诺阶段开始" in (out / "2026-07-01" / "公示_承诺事项.html").read_text(encoding="utf-8")


def test_long_after_the_campaign(inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "outputs"
    assert cli(inputs, out, "bulletin", "--as-of", "2030-01-01") == 0
    said = capsys.readouterr().out
    assert said.count("30 天以后") == 1
    tree = parse((out / "2030-01-01" / "通报.html").read_text(encoding="utf-8"))
    (note,) = tree.find("p", id="calendar-note")
    assert "2030-01-01" in note.text() and "活动结束" in note.text()


def test_ratings_before_the_assessment_phase(
    inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "outputs"
    assert cli(inputs, out, "ratings", "--as-of", "2026-09-20") == 0
    said = capsys.readouterr().out
    assert said.count("早于考核评价阶段开始") == 1
    found = problems(out / "2026-09-20" / "评价结果.xlsx", "问题清单")
    assert found.count("E118") == 1 and "T110" not in found
    assert "只是试算" in (out / "2026-09-20" / "公示_考核结果.html").read_text(encoding="utf-8")
    # inside the assessment phase nothing is said
    assert cli(inputs, out, "ratings", "--as-of", "2026-11-27") == 0
    assert "注意：" not in capsys.readouterr().out
    assert "E118" not in problems(out / "2026-11-27" / "评价结果.xlsx", "问题清单")
