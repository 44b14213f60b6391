"""AS_OF is a cut through time (issue 12, items 1, 2, 4): only versions received by AS_OF
are used, received times are recorded once, and a past day reads as it did that day.
Every expected figure below is worked out by hand from the rounds written here."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from pathlib import Path

import openpyxl
import pytest

from pipeline.cli import main
from pipeline.jobs.consolidate import run_consolidation
from pipeline.outputs.bulletin import bulletin_context
from pipeline.outputs.template import Fill, UnitForm
from pipeline.rules.roster import load_roster
from tests.builders import REPO, d, form_of, good_fill, load, make_inputs, write_return

CST = dt.timezone(dt.timedelta(hours=8))


def at(month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=CST)


def d01(form: UnitForm, done: dict[int, dt.date]) -> Fill:
    """D01's good workbook (3 members x (2 deeds + 1 fault) = 9 items, 3 org items) with
    the member items ``done`` (序号 -> completion date) reported as 已完成."""
    fill = good_fill(form)
    for row in fill.member_rows:
        if row["seq"] in done:
            row.update(progress="已完成", done_on=done[row["seq"]])
    return fill


@pytest.fixture(scope="module")
def rounds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Round 1 (saved 09-08): D01 and D02, nothing done. Round 2 (saved 10-12): D01 with
    序号 1 (王建国's first deed, deadline 10-31) done on 10-10. Round 3 (saved 11-18): D01
    with 序号 1 done on 10-10 and 序号 2 (deadline 10-31) done on 11-05, i.e. late.
    D02 never sends again. Files are named so that the path order is the reverse of
    the received order (only received times decide)."""
    inputs = make_inputs(tmp_path_factory.mktemp("rounds"))
    s, roster = load(inputs)
    form = form_of(roster, "D01")
    write_return(inputs, s, roster, "D01", d01(form, {}), name="c/D01_第一党支部_九月.xlsx", saved=at(9, 8))
    write_return(inputs, s, roster, "D02", name="c/D02_第二党支部.xlsx", saved=at(9, 9))
    write_return(
        inputs,
        s,
        roster,
        "D01",
        d01(form, {1: d(10, 10)}),
        name="b/D01_第一党支部_十月.xlsx",
        saved=at(10, 12),
    )
    write_return(
        inputs,
        s,
        roster,
        "D01",
        d01(form, {1: d(10, 10), 2: d(11, 5)}),
        name="a/D01_第一党支部_十一月.xlsx",
        saved=at(11, 18),
    )
    # Every file copied "today": modification times say nothing any more.
    now = time.time()
    for p in (inputs / "returns").rglob("*.xlsx"):
        os.utime(p, (now, now))
    return inputs


# as_of -> (D01 file used, D01 on time, D01 done late, D01 overdue, D02 overdue, units reported)
# D01 tracks 12 items (9 member + 3 org), D02 9 (6 + 3). Deadlines: deeds 10-31, faults
# 11-10, org items 11-15. 09-20 and 10-15: nothing overdue. 11-20: every open item is.
EXPECTED = {
    d(9, 5): ("", 0, 0, 0, 0, 0),
    d(9, 20): ("c/D01_第一党支部_九月.xlsx", 0, 0, 0, 0, 2),
    d(10, 15): ("b/D01_第一党支部_十月.xlsx", 1, 0, 0, 0, 2),
    d(11, 20): ("a/D01_第一党支部_十一月.xlsx", 1, 1, 10, 9, 2),
}


@pytest.mark.parametrize("as_of", [d(11, 20), d(10, 15), d(9, 20), d(9, 5)])  # later days first
def test_three_rounds_at_several_days(rounds: Path, tmp_path: Path, as_of: dt.date) -> None:
    outputs = tmp_path / "outputs"
    # The latest round has been seen already: a past day must not know it.
    run_consolidation(rounds, outputs, d(11, 20))
    c = run_consolidation(rounds, outputs, as_of)
    file, on_time, late, overdue1, overdue2, reported = EXPECTED[as_of]
    assert (c.used["D01"].file.rel if "D01" in c.used else "") == file
    assert len(c.used) == reported
    figures = bulletin_context(c)["figures"]
    assert figures["units_reported"] == reported
    assert figures["on_time"] == on_time and figures["done_late"] == late
    assert figures["overdue"] == overdue1 + overdue2
    assert figures["tracked"] == (21 if reported else 0)
    assert not [f for f in c.findings if f.rule == "P117"]  # every completion before its version
    # Versions received later are neither used nor superseded: they do not exist yet.
    assert {f.rel for f, _ in c.superseded} == {
        d(9, 20): set(),
        d(10, 15): {"c/D01_第一党支部_九月.xlsx"},
        d(11, 20): {"c/D01_第一党支部_九月.xlsx", "b/D01_第一党支部_十月.xlsx"},
        d(9, 5): set(),
    }[as_of]
    # The used version's time and its source (the workbook's own saved time).
    if "D01" in c.used:
        assert c.used["D01"].file.received_label == "文件保存时间"


def test_received_time_is_recorded_once(rounds: Path, tmp_path: Path) -> None:
    """Re-copying (touching) the September file after the others does not make it newest."""
    inputs = tmp_path / "inputs"
    shutil.copytree(rounds, inputs)
    outputs = tmp_path / "outputs"
    first = run_consolidation(inputs, outputs, d(11, 20))
    assert first.used["D01"].file.rel == "a/D01_第一党支部_十一月.xlsx"
    later = time.time() + 60
    os.utime(inputs / "returns" / "c/D01_第一党支部_九月.xlsx", (later, later))
    shutil.copy(inputs / "returns" / "c/D01_第一党支部_九月.xlsx", inputs / "returns" / "恢复的备份.xlsx")
    again = run_consolidation(inputs, outputs, d(11, 20))
    assert again.used["D01"].file.rel == "a/D01_第一党支部_十一月.xlsx"
    f103 = [f.message for f in again.findings if f.rule == "F103" and f.file == "c/D01_第一党支部_九月.xlsx"]
    assert f103 and "2026-11-18 10:00:00，来源：文件保存时间" in f103[0] and "2026-09-08 10:00:00" in f103[0]


def _ledger(out: Path) -> dict[str, list[tuple[object, ...]]]:
    wb = openpyxl.load_workbook(out / "台账.xlsx", read_only=True)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb}


@pytest.fixture(scope="module")
def demo_copies(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The committed demo campaign as a fresh clone has it (every file modified now)
    and as ``make demo`` leaves it, each consolidated on 2026-11-20."""
    root = tmp_path_factory.mktemp("clone")
    clone = root / "clone"
    shutil.copytree(REPO / "inputs", clone)
    now = time.time()
    for p in clone.rglob("*"):
        if p.is_file():
            os.utime(p, (now, now))
    made = root / "made"
    shutil.copytree(REPO / "inputs", made)
    shutil.rmtree(made / "returns")
    (made / "evaluation").exists() and shutil.rmtree(made / "evaluation")
    for p in made.glob("*.xlsx"):
        p.unlink()
    (made / "演示数据说明.txt").unlink(missing_ok=True)
    assert main(["--inputs", str(made), "--outputs", str(root / "x"), "--quiet", "demo"]) == 0
    for name, inputs in (("clone", clone), ("made", made)):
        out = root / f"out-{name}"
        assert (
            main(
                [
                    "--inputs",
                    str(inputs),
                    "--outputs",
                    str(out),
                    "--quiet",
                    "consolidate",
                    "--as-of",
                    "2026-11-20",
                ]
            )
            == 0
        )
    return root / "out-clone" / "2026-11-20", root / "out-made" / "2026-11-20"


def test_fresh_clone_gives_the_same_ledger_as_make_demo(demo_copies: tuple[Path, Path]) -> None:
    clone, made = demo_copies
    a, b = _ledger(clone), _ledger(made)
    assert a == b
    summary = {r[0]: r for r in a["汇总"][2:] if r and r[0]}
    header = a["汇总"][1]
    used, when, source = header.index("采用文件"), header.index("报送时间"), header.index("时间来源")
    # D04 sent only its September form; the others' November forms came by mail.
    assert summary["D04"][used].startswith("2026-09/") and summary["D04"][source] == "文件保存时间"
    assert summary["D04"][when] == "2026-09-08 10:00:00"
    assert all(summary[c][source] == "邮件" for c in ("D00", "D01", "D02", "D03", "D05"))


def test_demo_in_september_has_no_p117(tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    shutil.copytree(REPO / "inputs", inputs)
    c = run_consolidation(inputs, tmp_path / "outputs", d(9, 20))
    assert not [f for f in c.findings if f.rule == "P117"]
    assert {code: ur.file.rel[:7] for code, ur in c.used.items()} == {
        "D01": "2026-09",
        "D02": "2026-09",
        "D03": "2026-09",
        "D04": "2026-09",
        "D05": "2026-09",
    }
    assert len(c.later) == 7  # the November round (6 files and the copy of D01's) is not known yet


def test_evaluation_returns_and_decisions_are_archived(tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    shutil.copytree(REPO / "inputs", inputs)
    outputs = tmp_path / "outputs"
    assert (
        main(
            [
                "--inputs",
                str(inputs),
                "--outputs",
                str(outputs),
                "--quiet",
                "ratings",
                "--as-of",
                "2026-12-05",
            ]
        )
        == 0
    )
    import csv

    rows = list(csv.DictReader((outputs / "archive" / "manifest.csv").open(encoding="utf-8-sig")))
    forms = {r["original_path"]: (r["form"], r["unit_code"], r["received_source"]) for r in rows}
    roster = load_roster(inputs)
    for code in roster.codes:
        hits = [v for k, v in forms.items() if k.endswith("考核评价表.xlsx") and v[1] == code]
        assert hits == [("evaluation", code, "saved")]
    assert forms["领导小组意见.xlsx"] == ("decisions", "", "saved")
    assert all(r["received"] for r in rows)
