"""The demo campaign: deterministic, loadable, with every planted mistake where it says."""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from pipeline.cli import main
from pipeline.core.codes import CODES
from pipeline.read import layout as L
from pipeline.rules.roster import load_roster
from pipeline.tooling.demo import DemoManifest, build_demo
from tests.demo_project import DEMO_SEED, DemoProject

ROOT = Path(__file__).resolve().parents[2]
SEED = 2010
CST = dt.timezone(dt.timedelta(hours=8))
SEPT = dt.datetime(2026, 9, 8, 10, 0, tzinfo=CST).timestamp()
NOV = dt.datetime(2026, 11, 18, 10, 0, tzinfo=CST).timestamp()
EXPECTED_RULES = Counter(
    {
        "P101": 1,
        "P102": 1,
        "P103": 1,
        "P104": 1,
        "P107": 1,
        "P108": 1,
        "P109": 1,
        "P110": 1,
        "P111": 1,
        "P112": 1,
        "P113": 1,
        "P114": 1,
        "P115": 1,
        "P116": 1,
        "P121": 1,
        "V101": 1,
        "V102": 2,
        "V103": 1,
        "V104": 1,
        "V105": 2,
        "T101": 1,
        "F101": 1,
        "F105": 1,
        "F107": 1,
        "F109": 1,
    }
)


def _inputs(tmp: Path) -> Path:
    shutil.copy(ROOT / "inputs" / "campaign.toml", tmp / "campaign.toml")
    return tmp


@pytest.fixture(scope="module")
def runs(
    tmp_path_factory: pytest.TempPathFactory, demo_build: DemoProject
) -> list[tuple[Path, DemoManifest]]:
    """Two builds with the same seed: the session's demo (read only) and one of this module's."""
    assert SEED == DEMO_SEED
    b = _inputs(tmp_path_factory.mktemp("b"))
    return [(demo_build.inputs, demo_build.manifest), (b, build_demo(b, SEED))]


def _values(path: Path) -> dict[str, list[tuple[object, ...]]]:
    wb = openpyxl.load_workbook(path)
    return {ws.title: [tuple(c.value for c in row) for row in ws.iter_rows()] for ws in wb.worksheets}


def _xlsx(d: Path, m: DemoManifest) -> list[Path]:
    return [
        d / "returns" / rel
        for rel in m.files
        if zipfile.is_zipfile(d / "returns" / rel)
        and "xl/workbook.xml" in zipfile.ZipFile(d / "returns" / rel).namelist()
    ]


def test_roster_loads_and_is_realistic(runs: list[tuple[Path, DemoManifest]]) -> None:
    d, m = runs[0]
    roster = load_roster(d)
    assert roster.codes == ["D00", "D01", "D02", "D03", "D04", "D05"] == m.units
    assert roster.units.set_index("unit_code").at["D00", "unit_type"] == "党委"
    assert roster.members_of("D00").empty
    members = roster.members
    assert 50 <= len(members) <= 65 and len(members) == m.members
    assert members["member_id"].str.fullmatch(r"0\d{5}").all() and members["member_id"].is_unique
    assert members["name"].is_unique
    assert (members["category"] == "预备党员").sum() == 4
    for code in roster.codes[1:]:
        assert 8 <= len(roster.members_of(code)) <= 14
        assert roster.secretary_of(code)


def test_same_seed_same_values(runs: list[tuple[Path, DemoManifest]]) -> None:
    (da, ma), (db, mb) = runs
    assert ma == mb
    assert _values(da / "roster.xlsx") == _values(db / "roster.xlsx")
    files = _xlsx(da, ma)
    assert len(files) == len(ma.files) - 1  # all but the Word file
    for path in files:
        other = db / path.relative_to(da)
        assert _values(path) == _values(other), path.name


def test_other_seed_differs(tmp_path: Path, runs: list[tuple[Path, DemoManifest]]) -> None:
    d = _inputs(tmp_path)
    build_demo(d, 7)
    assert _values(d / "roster.xlsx") != _values(runs[0][0] / "roster.xlsx")


def test_planted_mistakes_exist(runs: list[tuple[Path, DemoManifest]]) -> None:
    d, m = runs[0]
    assert Counter(p.rule for p in m.planted) == EXPECTED_RULES
    assert all(p.rule in CODES for p in m.planted)
    books: dict[str, openpyxl.Workbook] = {}
    for p in m.planted:
        assert (d / "returns" / p.file).is_file(), p
        if not p.sheet:
            continue
        wb = books.setdefault(p.file, openpyxl.load_workbook(d / "returns" / p.file))
        assert p.sheet in wb.sheetnames, p
        if p.cell:
            ws = wb[p.sheet]
            cell = ws[p.cell]
            assert cell.row <= ws.max_row and cell.column <= ws.max_column, p
    by_rule = {p.rule: p for p in m.planted}
    ws = books[by_rule["P107"].file][L.SHEET_MEMBER]
    assert ws[by_rule["P107"].cell].value == dt.datetime(2027, 3, 1)
    assert ws[by_rule["V101"].cell].value == "2月30日"
    assert books[by_rule["V103"].file][L.SHEET_MEMBER][by_rule["V103"].cell].value == "其他"
    assert books[by_rule["P112"].file][L.SHEET_MEMBER][by_rule["P112"].cell].value == "999999"
    merged = {str(r) for r in books[by_rule["V105"].file][L.SHEET_MEMBER].merged_cells.ranges}
    assert {p.cell for p in m.planted if p.rule == "V105"} == {r.split(":")[0] for r in merged}


def test_word_file_is_not_a_workbook(runs: list[tuple[Path, DemoManifest]]) -> None:
    d, m = runs[0]
    word = d / "returns" / next(p.file for p in m.planted if p.rule == "F101")
    assert word.suffix == ".xlsx"
    names = zipfile.ZipFile(word).namelist()
    assert "word/document.xml" in names and "xl/workbook.xml" not in names
    with pytest.raises(Exception):  # noqa: B017 - any failure to open as a workbook will do
        openpyxl.load_workbook(word)


def test_files_mtimes_versions(runs: list[tuple[Path, DemoManifest]]) -> None:
    d, m = runs[0]
    returns = d / "returns"
    for rel in m.files:
        assert (returns / rel).stat().st_mtime == (SEPT if rel.startswith("2026-09/") else NOV), rel
    assert sum(rel.startswith("2026-09/") for rel in m.files) == 5
    copy = next(p.file for p in m.planted if p.rule == "F105")
    d01 = next(rel for rel in m.files if rel.startswith("2026-11/D01_"))
    assert (returns / copy).read_bytes() == (returns / d01).read_bytes()
    v1 = next(p.file for p in m.planted if p.rule == "F109")
    for path in _xlsx(d, m):
        names = openpyxl.load_workbook(path, read_only=True).sheetnames
        rel = path.relative_to(returns).as_posix()
        if rel == v1:
            assert L.SHEET_PLAN not in names and L.SHEET_LOG in names
        else:
            assert L.SHEET_PLAN in names
        assert (L.SHEET_META in names) == ("D04" not in rel)


def test_exactly_one_overdue_milestone(runs: list[tuple[Path, DemoManifest]]) -> None:
    d, m = runs[0]
    found = []
    copy = next(p.file for p in m.planted if p.rule == "F105")  # a byte copy, set aside by consolidation
    for path in _xlsx(d, m):
        if path == d / "returns" / copy:
            continue
        wb = openpyxl.load_workbook(path, read_only=True)
        if L.SHEET_PLAN not in wb.sheetnames:
            continue
        for i, row in enumerate(wb[L.SHEET_PLAN].iter_rows(min_row=2, values_only=True), start=2):
            if row[0] and row[2] < dt.datetime(2026, 11, 20) and row[3] is None:
                found.append((path.relative_to(d / "returns").as_posix(), L.SHEET_PLAN, f"D{i}"))
    assert found == [m.overdue_milestone]


def test_cli_demo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = _inputs(tmp_path)
    toml = (d / "campaign.toml").read_bytes()
    assert main(["--inputs", str(d), "--outputs", str(tmp_path / "out"), "demo", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "已生成演示数据：6 个单位" in out and "有意设置的填报错误" in out
    assert (d / "campaign.toml").read_bytes() == toml
    keep = d / "returns" / "2026-11" / "别人的文件.xlsx"  # beside the demo's own files: left alone
    keep.write_bytes(b"not ours")
    assert main(["--inputs", str(d), "--outputs", str(tmp_path / "out"), "demo", "--seed", "3"]) == 0
    assert keep.read_bytes() == b"not ours" and (d / "campaign.toml").read_bytes() == toml


def test_cli_default_seed_is_the_demos() -> None:
    from pipeline.cli import demo as command
    from pipeline.tooling.demo import DEFAULT_SEED

    assert command.DEFAULT_SEED == DEFAULT_SEED
