"""pipeline.infra.cache: a parsed workbook comes back from the parse cache exactly as parsed;
anything else (corrupt, foreign, another key, another type, other code or settings) is a
miss and never an error. A warm consolidation equals a cold one."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipeline.core.findings import Finding
from pipeline.infra import cache as C
from pipeline.infra import plain
from pipeline.infra.cache import MAGIC, ParseCache
from pipeline.intake.inbox import discover
from pipeline.jobs.consolidation import Consolidation, FileResult, UnitReturn, _frames, consolidate
from pipeline.read import layout as L
from pipeline.read.parse import ParsedWorkbook, empty_frame
from tests.builders import load
from tests.demo_project import DemoProject

AS_OF = dt.date(2026, 11, 20)
SHA = "ab" * 32


def _result() -> FileResult:
    parsed = ParsedWorkbook(
        meta={"unit_code": "D01"},
        columns={
            L.SHEET_LOG: {
                "excel_row": [5, 6],
                "date": [dt.date(2026, 9, 1), None],
                "member_id": ["010001", ""],
                "name": ["王建国", ""],
                "pledge_ref": ["党员-1", ""],
                "note": ["走访", "整理"],
                "evidence": ["", ""],
            }
        },
        field_cols={L.SHEET_LOG: {"date": 2}},
        sheet_names={L.SHEET_LOG: L.SHEET_LOG},
        findings=[Finding("提醒", "V102", "x", file="a.xlsx", sheet=L.SHEET_LOG, row=5, column=2)],
    )
    return FileResult(True, "xlsx", "", parsed)


def test_round_trip_and_counts(tmp_path: Path) -> None:
    c = ParseCache(tmp_path, "s1")
    assert c.get(SHA, "a.xlsx", expect=FileResult) is None
    c.put(SHA, "a.xlsx", _result())
    got = c.get(SHA, "a.xlsx", expect=FileResult)
    assert got == _result()
    assert (c.hits, c.misses) == (1, 1)
    frame = got.parsed.frame(L.LOG_SHEET)
    assert list(frame["note"]) == ["走访", "整理"] and frame["excel_row"].dtype == "int64"
    assert got.parsed.frame(L.MEMBER_SHEET).empty
    assert list(got.parsed.frames) == [L.SHEET_LOG]


def test_encoded_elsewhere_round_trips(tmp_path: Path) -> None:
    c = ParseCache(tmp_path, "s1")
    c.put_encoded(SHA, "a.xlsx", plain.dumps(_result()))
    assert c.get(SHA, "a.xlsx", expect=FileResult) == _result()


def test_no_root_never_stores(tmp_path: Path) -> None:
    c = ParseCache(None, "s1")
    c.put(SHA, "a.xlsx", _result())
    assert c.get(SHA, "a.xlsx", expect=FileResult) is None and c.misses == 0


def _entry(c: ParseCache) -> Path:
    return c.root / f"{c.key(SHA, 'a.xlsx')}.json"  # type: ignore[operator]


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[: len(b) // 2],  # truncated
        lambda b: b"",  # empty
        lambda b: b"\x00garbage" * 10,  # not ours
        lambda b: b[: len(MAGIC) + 65] + b"\x80\x05junk",  # our header, not JSON
        lambda b: b.split(b"\n", 2)[2],  # bare JSON without the header
        lambda b: b.replace(MAGIC, MAGIC.upper()),
        lambda b: b.replace(b'"FileResult"', b'"Popen"'),  # hand-edited: names a class it may not
        lambda b: b.replace(b'"ok":true', b'"ok":true,"evil":1'),  # a field the class lacks
        lambda b: b.replace(b'"$dl"', b'"$xl"'),  # an unknown tag
        lambda b: b[: len(MAGIC) + 65] + b'{"$c":"FileResult","v":{"ok":1}}',  # missing fields
        lambda b: b[: len(MAGIC) + 65] + b"[1, 2, 3]",  # valid JSON, not a FileResult
        lambda b: b[: len(MAGIC) + 65] + b"\x80\x04\x95\x00cos\nsystem\n.",  # an old-style binary entry
    ],
)
def test_corrupt_entry_is_a_miss(tmp_path: Path, damage: object) -> None:
    c = ParseCache(tmp_path, "s1")
    c.put(SHA, "a.xlsx", _result())
    p = _entry(c)
    p.write_bytes(damage(p.read_bytes()))  # type: ignore[operator]
    assert c.get(SHA, "a.xlsx", expect=FileResult) is None
    assert (c.hits, c.misses) == (0, 1)


def test_entry_of_another_key_is_a_miss(tmp_path: Path) -> None:
    c = ParseCache(tmp_path, "s1")
    c.put("cd" * 32, "b.xlsx", _result())
    shutil.copy(c.root / f"{c.key('cd' * 32, 'b.xlsx')}.json", _entry(c))  # type: ignore[operator]  # copied under a's name
    assert c.get(SHA, "a.xlsx", expect=FileResult) is None


def test_value_of_another_type_is_a_miss(tmp_path: Path) -> None:
    c = ParseCache(tmp_path, "s1")
    c.put(SHA, "a.xlsx", {"not": "a FileResult"})
    assert c.get(SHA, "a.xlsx", expect=FileResult) is None
    assert c.get(SHA, "a.xlsx", expect=dict) == {"not": "a FileResult"}


def test_invalidated_by_settings_name_code_and_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ParseCache(tmp_path, "s1").put(SHA, "a.xlsx", _result())
    assert ParseCache(tmp_path, "s1").get(SHA, "a.xlsx", expect=FileResult) is not None
    assert ParseCache(tmp_path, "s2").get(SHA, "a.xlsx", expect=FileResult) is None  # settings changed
    assert ParseCache(tmp_path, "s1").get(SHA, "b.xlsx", expect=FileResult) is None  # another name
    assert ParseCache(tmp_path, "s1").get("cd" * 32, "a.xlsx", expect=FileResult) is None  # another content
    monkeypatch.setattr(C, "CACHE_FORMAT", C.CACHE_FORMAT + 1)
    assert ParseCache(tmp_path, "s1").get(SHA, "a.xlsx", expect=FileResult) is None
    monkeypatch.undo()
    monkeypatch.setattr(C, "code_fingerprint", lambda: "other code")
    assert ParseCache(tmp_path, "s1").get(SHA, "a.xlsx", expect=FileResult) is None


# ---------------------------------------------------------------------------------------
# On the demo campaign: cold, warm and uncached runs give the same consolidation.


@pytest.fixture(scope="module")
def demo(demo_build: DemoProject) -> Path:
    """The demo's inputs (the session's: read only)."""
    return demo_build.inputs


def _run(inputs: Path, cache_dir: Path | None) -> Consolidation:
    settings, roster = load(inputs)
    return consolidate(inputs, settings, roster, AS_OF, cache=ParseCache(cache_dir, settings.fingerprint()))


def _same(a: Consolidation, b: Consolidation) -> None:
    for name in ("members", "orgs", "logs", "plans"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    assert a.findings == b.findings
    assert a.field_cols == b.field_cols
    assert {k: (u.file.rel, u.parsed) for k, u in a.used.items()} == {
        k: (u.file.rel, u.parsed) for k, u in b.used.items()
    }


def test_warm_equals_cold(demo: Path, tmp_path: Path) -> None:
    cache_dir = tmp_path / ".cache"
    cold = _run(demo, cache_dir)
    unique = len({f.sha256 for f in discover(demo / "returns")})
    assert (cold.cache_hits, cold.cache_misses) == (0, unique)
    warm = _run(demo, cache_dir)
    assert (warm.cache_hits, warm.cache_misses) == (unique, 0)
    _same(warm, cold)
    _same(_run(demo, None), cold)


def test_corrupt_entry_is_re_read(demo: Path, tmp_path: Path) -> None:
    cache_dir = tmp_path / ".cache"
    cold = _run(demo, cache_dir)
    victim = sorted(cache_dir.glob("parse-*/*.json"))[0]
    victim.write_bytes(victim.read_bytes()[:100])
    warm = _run(demo, cache_dir)
    assert warm.cache_misses == 1
    _same(warm, cold)
    assert _run(demo, cache_dir).cache_misses == 0  # the entry was rewritten


def _concat_per_unit(used: dict[str, UnitReturn], layout: L.SheetLayout) -> pd.DataFrame:
    """The ledger frame as it was built before issue 6: one frame per unit, concatenated."""
    parts = [
        ur.parsed.frame(layout).assign(
            unit_code=code,
            unit_name=ur.unit_name,
            file=ur.file.rel,
            sheet=ur.parsed.sheet_names.get(layout.name, layout.name),
        )
        for code, ur in used.items()
    ]
    if not parts:
        return empty_frame(layout).assign(unit_code="", unit_name="", file="", sheet="").iloc[0:0]
    return pd.concat(parts, ignore_index=True).astype({"excel_row": "int64"})


def test_ledger_frames_equal_per_unit_frames_concatenated(demo: Path) -> None:
    c = _run(demo, None)
    assert "D03" in c.used and L.SHEET_PLAN not in c.used["D03"].parsed.columns  # a v1 template
    for used in (c.used, {"D03": c.used["D03"]}, {}):
        for layout in L.DATA_SHEETS:
            built, letters = _frames(used, layout)
            pd.testing.assert_frame_equal(built, _concat_per_unit(used, layout), check_exact=True)
            assert list(built.dtypes) == list(_concat_per_unit(used, layout).dtypes)
            assert set(letters) == {(ur.file.rel, layout.name) for ur in used.values()}


def test_other_versions_are_removed_when_the_cache_opens(tmp_path: Path) -> None:
    old = ParseCache(tmp_path, "s1")
    old.put(SHA, "a.xlsx", _result())
    (tmp_path / "flat-layout-entry.pkl").write_bytes(b"x")  # entries of CACHE_FORMAT 3
    (tmp_path / "written").mkdir()  # other caches in the folder stay
    new = ParseCache(tmp_path, "s2")
    new.put(SHA, "a.xlsx", _result())
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([new.root.name, "written"])  # type: ignore[union-attr]
    assert ParseCache(tmp_path, "s2").get(SHA, "a.xlsx", expect=FileResult) is not None
