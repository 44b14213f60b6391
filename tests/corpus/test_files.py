"""File-level cases, end to end through pipeline.jobs.consolidation.consolidate.

Empty files, random bytes, a renamed .docx, a fake-OLE encrypted file, a truncated
workbook, identical copies and same-timestamp versions are in tests/intake/test_inbox.py (and
again in the whole-corpus CLI run of test_guarantees.py); this file covers the rest.
Each case sits in D01's place next to good returns of D02 and D03.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pytest
import python_calamine

from pipeline.core.findings import ERROR
from pipeline.intake.filecheck import check_file
from tests.corpus.make import (
    D01_FILE,
    NEIGHBOURS,
    Inbox,
    assert_neighbours_ok,
    entity_expansion,
    inbox,
    junk_rows,
    of_file,
    password_protected,
    xls_return,
    xlsm,
    zip_bomb,
)


class CalamineSpy:
    """Stands in for python_calamine.CalamineWorkbook and records every file it opens."""

    opened: ClassVar[list[str]] = []
    real = python_calamine.CalamineWorkbook

    @classmethod
    def from_filelike(cls, fp):  # type: ignore[no-untyped-def]
        cls.opened.append(Path(fp.name).name)
        return cls.real.from_filelike(fp)


@pytest.fixture
def calamine_spy(monkeypatch: pytest.MonkeyPatch) -> type[CalamineSpy]:
    CalamineSpy.opened = []
    monkeypatch.setattr(python_calamine, "CalamineWorkbook", CalamineSpy)
    return CalamineSpy


REFUSED: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    # an opening password: Excel writes an OLE2 EncryptionInfo/EncryptedPackage container
    "password": (password_protected, "文件已加密（设置了打开密码），请取消密码后另存为 .xlsx 再发送。"),
    # 64 MB of sheet XML in a ~200 KB file: refused on the declared ratio
    "zip_bomb": (zip_bomb, "文件解压后过大，疑似恶意文件，已拒绝读取。"),
    # the same bomb declaring 1,000 bytes: refused while inflating, at the real size
    "zip_bomb_lying": (lambda d: zip_bomb(d, lie=True), "文件解压后过大，疑似恶意文件，已拒绝读取。"),
    # billion laughs in sharedStrings.xml
    "entities": (
        entity_expansion,
        "文件内部含有不允许的 XML 声明（DTD/实体定义），疑似恶意文件，已拒绝读取。",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_before_any_parser(tmp_path: Path, case: str, calamine_spy: type[CalamineSpy]) -> None:
    make, message = REFUSED[case]
    box = inbox(tmp_path)
    box.put(D01_FILE, make(box.good_bytes("D01")))
    tracemalloc.start()
    try:
        c = box.run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    bad = [f for f in c.findings if f.file == D01_FILE]
    assert [(f.severity, f.rule, f.message) for f in bad] == [(ERROR, "F101", message)]
    assert [f.rel for f in c.unreadable] == [D01_FILE]
    assert "D01" not in c.used and "D01" in c.missing_units
    assert D01_FILE not in calamine_spy.opened  # no spreadsheet parser saw it
    assert sorted(set(calamine_spy.opened) - {"roster.xlsx"}) == sorted(
        c.used[u].file.rel for u in NEIGHBOURS
    )
    assert peak < 40 * 1024 * 1024, f"peak {peak / 2**20:.0f} MB"
    assert_neighbours_ok(c)


def test_lying_zip_bomb_is_stopped_early(tmp_path: Path) -> None:
    """Declared 1,000 bytes: inflating stops at the first megabytes, not at the caps."""
    box = inbox(tmp_path, neighbours=())
    p = box.put(D01_FILE, zip_bomb(box.good_bytes("D01"), megabytes=150, lie=True))
    start = time.perf_counter()
    v = check_file(p)
    assert (v.ok, v.kind) == (False, "zip_bomb")
    assert time.perf_counter() - start < 5  # scanning all 150 MB took ~8 s before the fix


def test_old_xls_is_read_with_a_notice(tmp_path: Path) -> None:
    box = inbox(tmp_path)
    box.put("第一党支部承诺表.xls", xls_return(box, "D01"))
    c = box.run()
    assert of_file(c, "第一党支部承诺表.xls") == [("F106", "", "")]
    assert c.used["D01"].file.rel == "第一党支部承诺表.xls"
    m = c.members[c.members["unit_code"] == "D01"]
    assert len(m) == 9 and set(m["member_id"]) == {"010001", "010002", "010003"}
    assert m["deadline"].notna().all()
    assert_neighbours_ok(c)


def test_old_xls_renamed_xlsx_is_read_by_content(tmp_path: Path) -> None:
    box = inbox(tmp_path)
    box.put(D01_FILE, xls_return(box, "D01"))
    c = box.run()
    assert of_file(c, D01_FILE) == [("F106", "", "")]
    assert int((c.members["unit_code"] == "D01").sum()) == 9


def test_xlsm_is_read_like_xlsx(tmp_path: Path, calamine_spy: type[CalamineSpy]) -> None:
    box = inbox(tmp_path)
    name = "D01_第一党支部_公开承诺事项表.xlsm"
    box.put(name, xlsm(box.good_bytes("D01")))
    c = box.run()
    assert of_file(c, name) == []  # values only: macros are never run
    assert c.used["D01"].file.rel == name and int((c.members["unit_code"] == "D01").sum()) == 9
    assert name in calamine_spy.opened
    assert_neighbours_ok(c)


def test_100000_junk_rows(tmp_path: Path) -> None:
    """A stray character in 备注 on 100,000 rows below the form: each row is a row without
    承诺事项 (P105), listed for the first N rows, then counted in one summary line."""
    box: Inbox = inbox(tmp_path)
    box.put(D01_FILE, junk_rows(box.good_bytes("D01")))
    c = box.run()
    p105 = [f for f in c.findings if f.file == D01_FILE and f.rule == "P105"]
    cap = box.settings.findings_cap
    assert len(p105) == cap + 1
    assert [f.cell for f in p105[:cap]] == [f"E{r}" for r in range(41, 41 + cap)]
    assert p105[-1].cell == "" and f"另有 {100_000 - cap} 处" in p105[-1].message
    assert {r for r, *_ in of_file(c, D01_FILE)} == {"P105"}
    assert int((c.members["unit_code"] == "D01").sum()) == 9  # the real rows are all there
    assert_neighbours_ok(c)
