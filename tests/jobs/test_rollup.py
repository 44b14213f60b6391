"""The roll-up (issue 16): the ledgers of lower offices in, figures equal to one
consolidation over every member workbook they were made from."""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from pathlib import Path

import openpyxl
import pytest

from pipeline.cli import main
from pipeline.core.errors import PipelineError
from pipeline.intake.received import campaign_zone
from pipeline.jobs.consolidate import run_consolidation
from pipeline.jobs.consolidation import unit_figures
from pipeline.jobs.rollup import INBOX, STATE_LATER, STATE_SUPERSEDED, STATE_USED, Rollup, unit_key
from pipeline.jobs.rollup_run import BULLETIN, LEDGER, OUT_DIR, read_rollup, run_rollup
from pipeline.outputs.ledger import write_ledger
from pipeline.outputs.ledger_meta import SHEET_META, parse_meta
from pipeline.read.reader import read_workbook
from pipeline.rules import figures as F
from pipeline.tooling.rollup_synth import RollupData, ensure_rollup_data
from pipeline.tooling.stamp import stamp_saved_time
from tests.early import Early

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "inputs" / "campaign.toml"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> RollupData:
    return ensure_rollup_data(tmp_path_factory.mktemp("rollup"), SETTINGS, schools=3)


@pytest.fixture(scope="module")
def single(data: RollupData, tmp_path_factory: pytest.TempPathFactory) -> dict[dt.date, F.FigureTable]:
    """One consolidation of all the schools' member workbooks (the combined roster), per AS_OF."""
    out: dict[dt.date, F.FigureTable] = {}
    for day in (data.as_of, data.as_of + dt.timedelta(days=7)):
        c = run_consolidation(data.single, tmp_path_factory.mktemp("single"), day, use_cache=False)
        out[day] = unit_figures(c)
    return out


def level_copy(data: RollupData, tmp_path: Path, ledgers: list[Path] | None = None) -> Path:
    """The level above's inputs with ``ledgers`` (default: every school's) in its inbox."""
    level = tmp_path / "level"
    (level / INBOX).mkdir(parents=True)
    shutil.copy(data.level / "campaign.toml", level / "campaign.toml")
    for p in data.ledgers if ledgers is None else ledgers:
        shutil.copy2(p, level / INBOX / p.name)
    return level


def school_ledger(
    data: RollupData, k: int, as_of: dt.date, target: Path, saved: dt.datetime | None = None
) -> Path:
    """School ``k``'s ledger as of ``as_of``, saved at ``saved`` (default 18:00 that day)."""
    folder = data.schools[k]
    c = run_consolidation(folder, target.parent / f"out-{target.stem}", as_of, use_cache=False)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_ledger(c, target)
    tz = campaign_zone(c.settings)
    stamp_saved_time(target, saved or dt.datetime.combine(as_of, dt.time(18, 0), tzinfo=tz))
    return target


def assert_equal_figures(r: Rollup, table: F.FigureTable, codes: list[str]) -> None:
    got = r.table()
    assert len(r.units) == len(codes) > 0
    for u in r.units.itertuples(index=False):
        assert got.of(u.key).named() == table.of(u.unit_code).named(), u.key
    assert got.school.named() == table.school.named()
    assert got.school.tracked > 0 and got.school.members > 0


# ------------------------------------------------------------------ figures equal a single run


@pytest.mark.parametrize("later", [0, 7], ids=["same-as-of", "rollup-a-week-later"])
def test_rollup_equals_single_run(data: RollupData, single: dict[dt.date, F.FigureTable], later: int) -> None:
    day = data.as_of + dt.timedelta(days=later)
    r = read_rollup(data.level, None, day)
    table = single[day]
    assert_equal_figures(r, table, list(table.units))
    assert set(r.units["unit_code"]) == set(table.units)
    assert list(r.offices) == sorted(data.organisations)
    assert not [f for f in r.findings if f.severity == "错误"]
    stale = [f for f in r.findings if f.rule == "F155"]
    assert len(stale) == (len(data.schools) if later else 0)  # statuses recomputed as of the later day
    offices = r.office_figures()
    for office in r.offices:
        total = F.Figures()
        for key in r.office_keys(office):
            total = total + r.table().of(key)
        assert offices[office] == total


def test_rollup_of_rollups_keeps_the_figures(
    data: RollupData, single: dict[dt.date, F.FigureTable], tmp_path: Path
) -> None:
    """Two schools rolled up by one office and the third alone, then the county rolls up both."""
    a = level_copy(data, tmp_path / "a", data.ledgers[:2])
    got_a = run_rollup(a, tmp_path / "a-out", data.as_of)
    county = tmp_path / "county"
    (county / INBOX).mkdir(parents=True)
    text = (data.level / "campaign.toml").read_text(encoding="utf-8")
    (county / "campaign.toml").write_text(
        text.replace("中共某县教育工作委员会", "中共某市教育工作委员会"), encoding="utf-8"
    )
    shutil.copy2(got_a.out_dir / LEDGER, county / INBOX / "片区汇总台账.xlsx")
    # written now; as if sent on AS_OF (a ledger received after AS_OF is not known on that day)
    tz = dt.timezone(dt.timedelta(hours=8))
    stamp_saved_time(
        county / INBOX / "片区汇总台账.xlsx", dt.datetime.combine(data.as_of, dt.time(20, 0), tzinfo=tz)
    )
    shutil.copy2(data.ledgers[2], county / INBOX / data.ledgers[2].name)
    r = read_rollup(county, None, data.as_of)
    table = single[data.as_of]
    assert_equal_figures(r, table, list(table.units))
    assert len(r.offices) == 2
    scopes = set(r.units["scope"])
    assert any("／" in s for s in scopes)  # 片区／学校 for the units of the roll-up's ledger


# ------------------------------------------------------------------ identity, versions, time


def test_ledger_has_hidden_meta(data: RollupData) -> None:
    wb = openpyxl.load_workbook(data.ledgers[0], read_only=False)
    ws = wb[SHEET_META]
    assert ws.sheet_state == "hidden" and ws.protection.sheet
    assert wb.sheetnames[:6] == ["汇总", "党员承诺", "组织承诺", "履诺记实", "履诺计划", "问题清单"]
    meta = parse_meta(read_workbook(data.ledgers[0]).sheets[SHEET_META].rows)
    assert not isinstance(meta, str)
    assert meta.organisation == data.organisations[0] and meta.as_of == data.as_of
    assert sum(u.members for u in meta.units) > 0 and len(meta.units) == 5


def test_foreign_and_unmarked_and_edited_workbooks(data: RollupData, tmp_path: Path) -> None:
    level = level_copy(data, tmp_path)
    inbox = level / INBOX
    shutil.copy(data.schools[0] / "roster.xlsx", inbox / "花名册.xlsx")  # a foreign workbook
    (inbox / "坏文件.xlsx").write_bytes(b"not a workbook")
    wb = openpyxl.load_workbook(data.ledgers[1])
    del wb[SHEET_META]
    wb.save(inbox / "无元数据_台账.xlsx")  # a 台账 without its _meta
    wb = openpyxl.load_workbook(data.ledgers[2])
    ws = wb["党员承诺"]
    col = [c.value for c in ws[1]].index("完成情况") + 1
    ws.cell(2, col).value = "已完成" if ws.cell(2, col).value != "已完成" else "进行中"
    wb.save(inbox / "改过的_台账.xlsx")  # edited by hand
    r = read_rollup(level, None, data.as_of)
    by_file = {f.file: f for f in r.findings if f.severity == "错误"}
    assert by_file["花名册.xlsx"].rule == "F150"
    assert "请让该单位用本程序重新生成台账" in by_file["花名册.xlsx"].message
    assert by_file["无元数据_台账.xlsx"].rule == "F150"
    assert by_file["改过的_台账.xlsx"].rule == "F151"
    assert by_file["坏文件.xlsx"].rule == "F101"
    assert len(r.offices) == 3  # everything else still processed
    states = {x.file.rel: x.state for x in r.files}
    assert states["改过的_台账.xlsx"] != STATE_USED


def test_two_versions_newest_as_of_wins(data: RollupData, tmp_path: Path) -> None:
    level = level_copy(data, tmp_path)
    day = data.as_of - dt.timedelta(days=1)
    tz = dt.timezone(dt.timedelta(hours=8))
    older = school_ledger(data, 0, day, level / INBOX / "旧" / "S01_台账.xlsx")
    # The same older 统计截止 sent again after the newer ledger: the later 统计截止 still wins.
    resent = school_ledger(
        data,
        0,
        day,
        level / INBOX / "重发" / "S01_台账.xlsx",
        saved=dt.datetime.combine(data.as_of, dt.time(21, 0), tzinfo=tz),
    )
    r = read_rollup(level, None, data.as_of)
    office = data.organisations[0]
    assert r.offices[office].meta.as_of == data.as_of
    assert r.offices[office].file.rel == data.ledgers[0].name
    notes = [f for f in r.findings if f.rule == "F103"]
    assert sorted(f.file for f in notes) == ["旧/S01_台账.xlsx", "重发/S01_台账.xlsx"]
    assert {f.unit_name for f in notes} == {office}
    states = {x.file.rel: x.state for x in r.files}
    assert states["旧/S01_台账.xlsx"] == states["重发/S01_台账.xlsx"] == STATE_SUPERSEDED
    # As of the day before, only the first older one is known: it is used, the others are not counted.
    r2 = read_rollup(level, None, day)
    assert r2.offices[office].file.rel == older.relative_to(level / INBOX).as_posix()
    later = {f.file for f in r2.findings if f.rule == "F152"}
    assert later == {p.name for p in data.ledgers} | {resent.relative_to(level / INBOX).as_posix()}
    assert {x.file.rel: x.state for x in r2.files}[data.ledgers[0].name] == STATE_LATER
    assert len(r2.offices) == 1


def test_rows_are_traceable_to_the_member_workbook(data: RollupData, tmp_path: Path) -> None:
    got = run_rollup(data.level, tmp_path / "out", data.as_of)
    wb = read_workbook(got.out_dir / LEDGER)
    members = wb.sheets["党员承诺"]
    head = [str(v) for v in members.rows[0]]
    src = str(members.rows[1][head.index("来源")])
    content = members.rows[1][head.index("承诺事项")]
    ledger_cell, original = src.split(" ← ")
    rel, sheet, cell = ledger_cell.split("!")
    lower = read_workbook(data.level / INBOX / rel).sheets[sheet]
    col = ord(cell[0]) - ord("A")
    assert lower.rows[int(cell[1:]) - 1][col] == content
    assert original.count("!") == 2 and original.endswith(tuple("0123456789"))
    summary = wb.sheets["汇总"]
    levels = [row[0] for row in summary.rows[2:]]
    assert levels.count("下级单位") == 3 and levels.count("单位") == 15 and F.SCHOOL_ROW in levels
    meta = parse_meta(wb.sheets[SHEET_META].rows)
    assert not isinstance(meta, str) and meta.level == "rollup" and len(meta.units) == 15
    assert (got.out_dir / BULLETIN).stat().st_size > 10_000


def test_expected_offices_from_settings(data: RollupData, tmp_path: Path) -> None:
    level = level_copy(data, tmp_path, data.ledgers[:2])
    toml = level / "campaign.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8")
        + f'\n[rollup]\noffices = ["{data.organisations[0]}", "{data.organisations[2]}"]\n',
        encoding="utf-8",
    )
    r = read_rollup(level, None, data.as_of)
    assert r.missing == [data.organisations[2]]
    assert [f.unit_name for f in r.findings if f.rule == "F153"] == [data.organisations[2]]
    assert [f.unit_name for f in r.findings if f.rule == "F154"] == [data.organisations[1]]
    assert next(iter(r.offices)) == data.organisations[0]  # the expected offices first, in their order
    toml.write_text(toml.read_text(encoding="utf-8").replace("offices =", "ofices ="), encoding="utf-8")
    with pytest.raises(PipelineError) as e:
        read_rollup(level, None, data.as_of)
    assert "offices" in str(e.value)


def test_unit_keys_keep_repeated_codes_apart() -> None:
    assert unit_key("甲校", "", "01") != unit_key("乙校", "", "01")
    assert unit_key("县", "甲校", "01") != unit_key("县", "乙校", "01")


# ------------------------------------------------------------------ CLI and make


def test_cli_in_process(data: RollupData, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "outputs"
    code = main(
        ["--inputs", str(data.level), "--outputs", str(out), "rollup", "--as-of", data.as_of.isoformat()]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "3 个下级单位的台账已汇总" in text and "汇总台账" in text
    day = out / data.as_of.isoformat() / OUT_DIR
    assert (day / LEDGER).is_file() and (day / BULLETIN).is_file()
    assert (out / "archive" / INBOX / "manifest.csv").is_file()
    assert "汇总通报" in (out / "documents" / "发文登记.csv").read_text(encoding="utf-8-sig")
    # --from and --strict: a foreign file in another folder is an error (exit code 1), outputs still written
    other = tmp_path / "其他"
    other.mkdir()
    shutil.copy(data.schools[0] / "roster.xlsx", other / "x.xlsx")
    code = main(
        [
            "--inputs",
            str(data.level),
            "--outputs",
            str(out),
            "rollup",
            "--as-of",
            data.as_of.isoformat(),
            "--from",
            str(other),
            "--strict",
        ]
    )
    assert code == 1


def test_cli_empty_inbox_says_where(
    data: RollupData, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    level = level_copy(data, tmp_path, [])
    code = main(
        [
            "--inputs",
            str(level),
            "--outputs",
            str(tmp_path / "o"),
            "rollup",
            "--as-of",
            data.as_of.isoformat(),
        ]
    )
    assert code == 0
    assert "没有找到任何文件" in capsys.readouterr().out
    assert (tmp_path / "o" / data.as_of.isoformat() / OUT_DIR / LEDGER).is_file()


def test_make_target() -> None:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "\nrollup: $(STAMP)" in text
    assert "$(CLI) rollup --as-of $(AS_OF)" in text


# ------------------------------------------------------------------ print


def render_rollup(root: Path) -> None:
    """Three schools' ledgers rolled up, and 汇总台账.xlsx and 汇总通报.docx converted to PDF
    in ``root/pdf`` by LibreOffice (one ``soffice`` call). Run by ``python -m
    tests.jobs.test_rollup FOLDER``, started with the session (tests/early.py)."""
    import subprocess

    exe = shutil.which("soffice") or shutil.which("libreoffice")
    assert exe is not None
    data = ensure_rollup_data(root / "data", SETTINGS, schools=3)
    got = run_rollup(data.level, root / "out", data.as_of)
    src = root / "src"
    src.mkdir()
    shutil.copy(got.out_dir / LEDGER, src / "ledger.xlsx")
    shutil.copy(got.out_dir / BULLETIN, src / "bulletin.docx")
    subprocess.run(
        [
            exe,
            f"-env:UserInstallation=file://{root / 'lo'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(root / "pdf"),
            str(src / "ledger.xlsx"),
            str(src / "bulletin.docx"),
        ],
        check=True,
        timeout=300,
    )


def _rollup_pdf_command(folder: Path) -> list[str] | None:
    if (shutil.which("soffice") or shutil.which("libreoffice")) is None or shutil.which("pdftotext") is None:
        return None
    return [sys.executable, "-m", "tests.jobs.test_rollup", str(folder)]


@pytest.mark.early("rollup-pdf", _rollup_pdf_command)
def test_outputs_print_on_a4_without_clipping(early: Early) -> None:
    """LibreOffice renders 汇总台账.xlsx and 汇总通报.docx as a clerk prints them: A4, inside
    the printable area, nothing printed over anything else (tests/pdf_check.py)."""
    from tests import pdf_check

    run = early.result("rollup-pdf")
    if run.argv is None:
        pytest.skip("LibreOffice (soffice) or poppler's pdftotext is not installed (make office)")
    assert run.returncode == 0, run.output
    pdf_dir = run.folder / "pdf"
    # 3 schools' ledgers: about as many pages as their own three ledgers' pledge sheets
    for name, lo, hi in (("ledger", 40, 700), ("bulletin", 2, 12)):
        report = pdf_check.check(pdf_dir / f"{name}.pdf", lo, hi, name=name)
        assert report.ok, str(report)


if __name__ == "__main__":
    render_rollup(Path(sys.argv[1]))
