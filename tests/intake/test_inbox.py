"""Intake: unit identification, newest version, duplicates, unreadable files, archive."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import zipfile
from pathlib import Path

import pytest

from pipeline.intake.inbox import Archive
from pipeline.jobs.consolidation import consolidate
from pipeline.outputs.template import Fill
from pipeline.tooling.stamp import stamp_saved_time
from tests.builders import SAVED, form_of, good_fill, load, make_inputs, write_return


def dated(path: Path) -> Path:
    """Received (modified) on the builders' day, before AS_OF, like the other returns."""
    os.utime(path, (SAVED.timestamp(), SAVED.timestamp()))
    return path


AS_OF = dt.date(2026, 11, 20)
SEPT = dt.datetime(2026, 9, 8, 10, 0)
NOV = dt.datetime(2026, 11, 18, 9, 0)


def rules(c: object) -> list[tuple[str, str]]:
    return [(f.rule, f.file) for f in c.findings]  # type: ignore[attr-defined]


def test_newest_version_is_used_and_older_listed(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path)
    s, r = load(inputs)
    old = good_fill(form_of(r, "D01"))
    old.member_rows[0]["content"] = "旧版本的承诺"
    write_return(inputs, s, r, "D01", old, name="9月/D01_第一党支部_公开承诺事项表.xlsx", mtime=SEPT)
    write_return(inputs, s, r, "D01", name="11月/第一支部重新报送.xlsx", mtime=NOV)
    c = consolidate(inputs, s, r, AS_OF)
    assert c.used["D01"].file.rel == "11月/第一支部重新报送.xlsx"
    assert "旧版本的承诺" not in set(c.members["content"])
    assert ("F103", "9月/D01_第一党支部_公开承诺事项表.xlsx") in rules(c)
    assert [f.rel for f, _ in c.superseded] == ["9月/D01_第一党支部_公开承诺事项表.xlsx"]


def test_same_timestamp_tie_is_reported(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path)
    s, r = load(inputs)
    other = good_fill(form_of(r, "D01"))
    other.member_rows[0]["content"] = "另一个版本"
    write_return(inputs, s, r, "D01", name="a.xlsx", mtime=NOV)
    write_return(inputs, s, r, "D01", other, name="b.xlsx", mtime=NOV)
    c = consolidate(inputs, s, r, AS_OF)
    assert c.used["D01"].file.rel == "b.xlsx"
    assert any(f.rule == "F103" and "接收时间相同" in f.message for f in c.findings)


def test_identical_copies_counted_once(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path)
    s, r = load(inputs)
    p = write_return(inputs, s, r, "D01", mtime=NOV)
    (inputs / "returns" / "回复：第一支部承诺表.xlsx").write_bytes(p.read_bytes())
    c = consolidate(inputs, s, r, AS_OF)
    assert ("F105", "回复：第一支部承诺表.xlsx") in rules(c) or ("F105", p.name) in rules(c)
    assert len(c.members) == 9


@pytest.mark.parametrize(
    ("name", "rule", "code"),
    [
        ("D02_第二党支部_公开承诺事项表.xlsx", "F107", "D02"),  # code token in the name
        ("第二党支部承诺表.xlsx", "F107", "D02"),  # unit name in the file name
        ("承诺表（最终版）.xlsx", "F102", ""),  # nothing to go by
    ],
)
def test_identification_without_meta(tmp_path: Path, name: str, rule: str, code: str) -> None:
    inputs = make_inputs(tmp_path)
    s, r = load(inputs)
    fill = good_fill(form_of(r, "D02"))
    fill.meta = False
    write_return(inputs, s, r, "D02", fill, name=name)
    c = consolidate(inputs, s, r, AS_OF)
    assert (rule, name) in rules(c)
    assert list(c.used) == ([code] if code else [])


def test_meta_unit_not_in_roster(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path)
    s, r = load(inputs)
    path = write_return(inputs, s, r, "D01")
    # Rewrite _meta's unit code to one the roster does not know.
    import openpyxl

    wb = openpyxl.load_workbook(path)
    wb["_meta"]["B3"] = "D99"
    wb.save(path)
    stamp_saved_time(path, SAVED)  # openpyxl wrote "now" as the saved time
    c = consolidate(inputs, s, r, AS_OF)
    assert ("F104", path.name) in rules(c)


def _docx(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<document/>")


@pytest.mark.parametrize(
    ("name", "make", "text"),
    [
        ("empty.xlsx", lambda p: p.write_bytes(b""), "空"),
        ("random.xlsx", lambda p: p.write_bytes(bytes(range(256)) * 20), ""),
        ("word.xlsx", _docx, "Word"),
        ("photo.jpg", lambda p: p.write_bytes(b"\xff\xd8\xff\xe0" + b"0" * 100), ""),
        (
            "encrypted.xlsx",
            lambda p: p.write_bytes(
                b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
                + b"\0" * 600
                + "EncryptionInfo".encode("utf-16-le")
                + b"\0" * 600
            ),
            "密码",
        ),
    ],
)
def test_unreadable_files_are_findings_and_run_goes_on(
    tmp_path: Path, name: str, make: object, text: str
) -> None:
    inputs = make_inputs(tmp_path)
    s, r = load(inputs)
    write_return(inputs, s, r, "D01")
    make(inputs / "returns" / name)  # type: ignore[operator]
    dated(inputs / "returns" / name)
    c = consolidate(inputs, s, r, AS_OF)
    bad = [f for f in c.findings if f.file == name]
    assert [f.rule for f in bad] == ["F101"] and text in bad[0].message
    assert [f.rel for f in c.unreadable] == [name]
    assert "D01" in c.used and len(c.members) == 9


def test_truncated_workbook(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path)
    s, r = load(inputs)
    p = write_return(inputs, s, r, "D01")
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    dated(p)
    c = consolidate(inputs, s, r, AS_OF)
    assert [f.rule for f in c.findings if f.file == p.name] == ["F101"]


def test_archive_keeps_every_version_and_inputs_untouched(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path)
    s, r = load(inputs)
    p = write_return(inputs, s, r, "D01", mtime=SEPT)
    before = {f: hashlib.sha256(f.read_bytes()).hexdigest() for f in inputs.rglob("*") if f.is_file()}
    archive = Archive(tmp_path / "archive")
    consolidate(inputs, s, r, AS_OF, archive=archive)
    archive.save()
    assert {f: hashlib.sha256(f.read_bytes()).hexdigest() for f in inputs.rglob("*") if f.is_file()} == before
    first = hashlib.sha256(p.read_bytes()).hexdigest()
    # The unit overwrites its file with a new version: the old one stays in the archive.
    changed = good_fill(form_of(r, "D01"))
    changed.member_rows[0]["content"] = "改过的内容"
    write_return(inputs, s, r, "D01", changed, mtime=NOV)
    archive = Archive(tmp_path / "archive")
    consolidate(inputs, s, r, AS_OF, archive=archive)
    archive.save()
    again = Archive(tmp_path / "archive")
    shas = [row["sha256"] for row in again.rows]
    assert first in shas and len(set(shas)) == 2
    assert again.blob(first, ".xlsx").read_bytes()[:2] == b"PK"
    assert {row["unit_code"] for row in again.rows} == {"D01"}
    assert next(v["sha256"] for v in again.versions("D01")) == first


def test_old_template_version_notice(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path)
    s, r = load(inputs)
    fill: Fill = good_fill(form_of(r, "D01"))
    fill.version = 1
    write_return(inputs, s, r, "D01", fill)
    c = consolidate(inputs, s, r, AS_OF)
    assert "F109" in [f.rule for f in c.findings]
    assert not [f for f in c.findings if f.severity == "错误"]


@pytest.mark.parametrize(
    ("file_name", "expected"),
    [
        ("D01_第一党支部_公开承诺事项表.xlsx", "D01"),
        ("d01 承诺表.xlsx", "D01"),
        ("第一党支部（基础医学教研室）承诺.xlsx", "D01"),
        ("第一支部承诺表（修改稿）.xlsx", "D01"),
        ("基础医学教研室支部.xlsx", "D01"),
        ("临床护理教研室.xlsx", "D02"),
        ("校党委承诺事项.xlsx", "D00"),
        ("支部承诺表.xlsx", ""),
        ("D01和D02合并.xlsx", ""),
    ],
)
def test_identify_by_file_name(tmp_path: Path, file_name: str, expected: str) -> None:
    from pipeline.intake.inbox import identify_by_name

    rows = [
        ("D00", "校党委", "党委", "", "", "", "", "", ""),
        (
            "D01",
            "第一党支部（基础医学教研室）",
            "党支部",
            "010001",
            "王建国",
            "男",
            "教师",
            "正式党员",
            "支部书记",
        ),
        (
            "D02",
            "第二党支部（临床护理教研室）",
            "党支部",
            "020001",
            "刘芳",
            "女",
            "会计",
            "正式党员",
            "支部书记",
        ),
    ]
    _, roster = load(make_inputs(tmp_path, rows))
    assert identify_by_name(file_name, roster) == expected
