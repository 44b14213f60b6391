"""The guarantees of issue 7, each tested through the real CLI (pipeline.cli.main).

- a whole hostile inbox: no crash, every file accounted for, unreadable files counted;
- inputs are never modified; every distinct version is in outputs/archive;
- outputs are all-or-nothing (a writer failing midway, a real SIGKILL) and two runs at
  once are kept apart by the lock (exit code 3, Chinese message);
- hostile text comes out as text: no formula, link, HTML or path outside outputs/.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

import pipeline.jobs.consolidate as consolidate_cmd
from pipeline.cli import main
from pipeline.infra.atomic import run_lock
from tests.builders import REPO
from tests.corpus.make import (
    AS_OF_TEXT,
    CORPUS_ROSTER,
    NOV,
    SEPT,
    Inbox,
    docx,
    edit_sheet,
    entity_expansion,
    inbox,
    inline_cell,
    password_protected,
    random_bytes,
    set_cell,
    tree_hashes,
    truncated,
    xls_return,
    xlsm,
    zip_bomb,
)

UNREADABLE = {
    "空文件.xlsx": lambda box: b"",
    "乱码.xlsx": lambda box: random_bytes(),
    "其实是Word.xlsx": lambda box: docx(),
    "有密码.xlsx": lambda box: password_protected(box.good_bytes("D03")),
    "没下载完.xlsx": lambda box: truncated(box.good_bytes("D03")),
    "炸弹.xlsx": lambda box: zip_bomb(box.good_bytes("D03"), megabytes=32),
    "炸弹_谎报大小.xlsx": lambda box: zip_bomb(box.good_bytes("D03"), megabytes=32, lie=True),
    "实体展开.xlsx": lambda box: entity_expansion(box.good_bytes("D03")),
}


def corpus_inbox(tmp: Path) -> Inbox:
    """Every file-level case in one inbox, next to good returns of D02 and D03."""
    box = inbox(tmp)
    d02 = (box.returns / "D02_第二党支部_公开承诺事项表.xlsx").read_bytes()
    box.put("转发/回复：第二支部承诺表.xlsx", d02)  # the same file under another name
    other = box.fill("D01")
    other.member_rows[0]["content"] = "另一个版本"
    box.put("D01_第一版.xlsx", box.good_bytes("D01"), mtime=NOV)  # two versions, same timestamp
    box.put("D01_第二版.xlsx", box.good_bytes("D01", other), mtime=NOV)
    oldest = box.fill("D01")
    oldest.member_rows[0]["content"] = "最早的版本"
    box.put("9月/D01_最早版.xlsx", box.good_bytes("D01", oldest), mtime=SEPT)
    box.put("第四党支部.xls", xls_return(box, "D04"))
    box.put("第五党支部.xlsm", xlsm(box.good_bytes("D05")))
    box.put("~$第五党支部.xlsm", b"\x0bowner lock file")  # Excel's lock file: ignored
    for name, make in UNREADABLE.items():
        box.put(f"坏文件/{name}", make(box))
    return box


def mtimes(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix(): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def problem_list(ledger: Path) -> list[dict[str, str]]:
    ws = openpyxl.load_workbook(ledger, read_only=True)["问题清单"]
    rows = [["" if v is None else str(v) for v in r] for r in ws.iter_rows(values_only=True)]
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_whole_corpus_inbox(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    box = corpus_inbox(tmp_path)
    out = tmp_path / "outputs"
    before, before_times = tree_hashes(box.inputs), mtimes(box.inputs)
    assert (
        main(["--inputs", str(box.inputs), "--outputs", str(out), "consolidate", "--as-of", AS_OF_TEXT]) == 0
    )
    said = capsys.readouterr().out
    n_files = sum(1 for p in box.returns.rglob("*") if p.is_file() and not p.name.startswith("~$"))
    assert f"共收到 {n_files} 个文件" in said
    assert f"无法读取的文件 {len(UNREADABLE)} 个" in said
    for name in UNREADABLE:
        assert f"坏文件/{name}" in said
    assert "6 个单位中 5 个已报送" in said  # D01 (newest version), D02, D03, D04 (.xls), D05 (.xlsm)
    # the inbox is exactly as it was
    assert tree_hashes(box.inputs) == before and mtimes(box.inputs) == before_times
    # the clerk's problem list names every file
    problems = problem_list(out / AS_OF_TEXT / "台账.xlsx")
    by_file: dict[str, set[str]] = {}
    for p in problems:
        by_file.setdefault(p["文件"], set()).add(p["规则编号"])
    for name in UNREADABLE:
        assert by_file[f"坏文件/{name}"] == {"F101"}, name
    assert "F105" in by_file["转发/回复：第二支部承诺表.xlsx"]
    assert by_file["D01_第一版.xlsx"] == {"F103"} and by_file["9月/D01_最早版.xlsx"] == {"F103"}
    assert any("接收时间相同" in p["说明"] for p in problems if p["文件"] == "D01_第一版.xlsx")
    assert by_file["第四党支部.xls"] == {"F106"}
    assert "第五党支部.xlsm" not in by_file and "~$第五党支部.xlsm" not in by_file
    # every distinct version is archived, unreadable ones included
    manifest = out / "archive" / "manifest.csv"
    with open(manifest, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    archived = {(r["sha256"], r["original_path"]) for r in rows}
    inbox_files = {
        rel: sha for rel, sha in tree_hashes(box.returns).items() if not rel.split("/")[-1].startswith("~$")
    }
    assert {(sha, rel) for rel, sha in inbox_files.items()} <= archived
    for rel, sha in inbox_files.items():
        blob = next((out / "archive" / sha[:2]).glob(f"{sha}*"))
        assert blob.read_bytes() == (box.returns / rel).read_bytes(), rel

    # D03 overwrites its file with a new version: both versions stay in the archive
    d03 = box.returns / "D03_第三党支部_公开承诺事项表.xlsx"
    old_sha = inbox_files[d03.relative_to(box.returns).as_posix()]
    changed = box.fill("D03")
    changed.member_rows[0]["content"] = "改过的承诺"
    box.good("D03", fill=changed, mtime=dt.datetime(2026, 11, 19, 8, 0))
    before = tree_hashes(box.inputs)
    assert (
        main(
            [
                "--inputs",
                str(box.inputs),
                "--outputs",
                str(out),
                "--quiet",
                "consolidate",
                "--as-of",
                AS_OF_TEXT,
            ]
        )
        == 0
    )
    assert tree_hashes(box.inputs) == before
    with open(manifest, encoding="utf-8-sig", newline="") as fh:
        shas = {r["sha256"] for r in csv.DictReader(fh) if r["unit_code"] == "D03"}
    assert old_sha in shas and before["returns/D03_第三党支部_公开承诺事项表.xlsx"] in shas


# --------------------------------------------------------------------------- all or nothing


def leftovers(outputs: Path) -> list[str]:
    return sorted(p.name for p in outputs.iterdir() if p.name.startswith((".staging-", ".old-")))


def test_writer_failing_midway_keeps_previous_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    box = inbox(tmp_path)
    out = tmp_path / "outputs"
    assert box.cli(out) == 0
    previous = tree_hashes(out / AS_OF_TEXT)
    # a new return with problems: this run has feedback to write, and fails while writing it
    fill = box.fill("D01")
    fill.member_rows[0]["deadline"] = "2月30日"
    box.good("D01", fill=fill)
    real = consolidate_cmd.write_feedback
    calls = []

    def failing(path: Path, *args: object) -> None:
        real(path, *args)  # type: ignore[arg-type]
        calls.append(path)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(consolidate_cmd, "write_feedback", failing)
    assert box.cli(out) == 70
    assert "输出未改变" in capsys.readouterr().err
    assert calls  # it did fail midway, after writing part of the outputs
    assert tree_hashes(out / AS_OF_TEXT) == previous
    assert leftovers(out) == []
    # first run ever, failing: no output folder at all
    fresh = tmp_path / "fresh"
    assert box.cli(fresh) == 70
    assert not (fresh / AS_OF_TEXT).exists() and leftovers(fresh) == []
    # the failure gone, the run completes
    monkeypatch.setattr(consolidate_cmd, "write_feedback", real)
    assert box.cli(out) == 0
    assert (out / AS_OF_TEXT / "反馈" / "D01_第一党支部_问题反馈.xlsx").is_file()


def test_second_run_is_refused_with_exit_code_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    box = inbox(tmp_path)
    out = tmp_path / "outputs"
    with run_lock(out):
        assert box.cli(out) == 3
    err = capsys.readouterr().err
    assert "另一个汇总任务正在使用" in err and "请等它结束后再运行" in err
    assert not (out / AS_OF_TEXT).exists()
    assert box.cli(out) == 0  # released


# The child runs `python -m pipeline ...` with one writer made to stop halfway: it writes
# the first feedback workbook, touches FLAG and sleeps, so SIGKILL lands mid-run.
CHILD = """
import os, runpy, sys, time
import pipeline.jobs.consolidate as cmd
real = cmd.write_feedback
def stalled(*args, **kwargs):
    real(*args, **kwargs)
    open(os.environ["CORPUS_FLAG"], "w").close()
    time.sleep(300)
cmd.write_feedback = stalled
sys.argv = ["pipeline", *sys.argv[1:]]
runpy.run_module("pipeline", run_name="__main__", alter_sys=True)
"""


def test_sigkill_while_writing_leaves_previous_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = inbox(tmp_path)
    out = tmp_path / "outputs"
    assert box.cli(out) == 0
    previous = tree_hashes(out / AS_OF_TEXT)
    fill = box.fill("D01")
    fill.member_rows[0]["deadline"] = "2月30日"
    box.good("D01", fill=fill)
    flag = tmp_path / "writing"
    env = {**os.environ, "PYTHONPATH": str(REPO), "CORPUS_FLAG": str(flag)}
    args = [
        "--inputs",
        str(box.inputs),
        "--outputs",
        str(out),
        "--quiet",
        "consolidate",
        "--as-of",
        AS_OF_TEXT,
    ]
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, *args],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while not flag.exists():
            assert child.poll() is None, child.communicate()[1].decode()[-2000:]
            assert time.monotonic() < deadline, "child never reached the writers"
            time.sleep(0.05)
        # mid-run: a staging folder holds part of the new outputs; the old ones are intact
        staging = [p for p in out.iterdir() if p.name.startswith(".staging-")]
        assert len(staging) == 1 and any(staging[0].rglob("*.xlsx"))
        assert tree_hashes(out / AS_OF_TEXT) == previous
        # a second run while the first holds the lock: refused, nothing touched
        assert box.cli(out) == 3
        assert "另一个汇总任务正在使用" in capsys.readouterr().err
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    assert tree_hashes(out / AS_OF_TEXT) == previous
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == sorted(
        [AS_OF_TEXT, "archive"]
    )
    # the next run takes the lock the killed one held, cleans its staging folder, completes
    assert box.cli(out) == 0
    assert leftovers(out) == []
    assert (out / AS_OF_TEXT / "反馈" / "D01_第一党支部_问题反馈.xlsx").is_file()


# --------------------------------------------------------------------------- hostile text

HOSTILE = {
    "formula": '=HYPERLINK("http://evil.example/x","点我")',
    "dde": "+cmd|' /C calc'!A0",
    "at": "@SUM(1+1)",
    "minus": "-A1*2",
    "script": "<script>alert(1)</script>",
    "path": "../../x",
    "url": "http://evil.example/phish",
}
HOSTILE_ROSTER = [
    *CORPUS_ROSTER,
    (
        "D06",
        "../../etc",
        "党支部",
        "060001",
        "<script>alert('名')</script>",
        "男",
        "教师",
        "正式党员",
        "支部书记",
    ),
    ("D06", "../../etc", "党支部", "060002", "../../x", "女", "教师", "正式党员", ""),
]


def hostile_inbox(tmp: Path) -> Inbox:
    box = inbox(tmp, roster_rows=HOSTILE_ROSTER)
    fill = box.fill("D06")
    m = fill.member_rows
    m[0].update(content=HOSTILE["formula"], effect=HOSTILE["at"], remark=HOSTILE["script"])
    m[1].update(content=HOSTILE["dde"], effect=HOSTILE["url"])
    m[2].update(content=HOSTILE["script"], measures=HOSTILE["minus"])
    m[3].update(content=HOSTILE["path"])
    fill.org_rows[0].update(content=HOSTILE["script"], owner=HOSTILE["formula"])
    fill.org_rows[1].update(content=HOSTILE["at"])
    data = box.good_bytes("D06", fill)
    # a control character that openpyxl/xlsxwriter would refuse to write
    data = edit_sheet(data, "党员承诺", lambda x: set_cell(x, "L3", inline_cell("L3", "备注\x07响铃")))
    box.put("D06_etc_公开承诺事项表.xlsx", data)
    return box


def test_hostile_text_is_written_as_text(tmp_path: Path) -> None:
    box = hostile_inbox(tmp_path)
    out = tmp_path / "outputs"
    beside = sorted(tmp_path.parent.iterdir())
    for command in ("consolidate", "overdue", "bulletin", "notice", "cards"):
        assert box.cli(out, command) == 0, command
    assert main(["--inputs", str(box.inputs), "--outputs", str(out), "--quiet", "templates"]) == 0

    # no path outside outputs/, names built from the unit name stay one component
    written = [p for p in tmp_path.rglob("*") if p.is_file() and box.inputs not in p.parents]
    assert written and all(out in p.parents for p in written)
    assert sorted(tmp_path.parent.iterdir()) == beside
    assert all(".." not in p.relative_to(out).parts for p in written)
    day = out / AS_OF_TEXT
    assert (day / "反馈" / "D06_etc_问题反馈.xlsx").is_file()
    assert (day / "支部台账" / "D06_etc_台账.xlsx").is_file()
    assert (out / "templates" / "D06_etc_公开承诺事项表.xlsx").is_file()

    # every output workbook: strings are strings, no formula, no link, no control character
    found: dict[str, set[str]] = {}
    books = [p for p in written if p.suffix == ".xlsx" and "archive" not in p.parts]
    for book in books:
        with zipfile.ZipFile(book) as zf:
            assert not [n for n in zf.namelist() if "externalLink" in n]
            for n in zf.namelist():
                if n.endswith(".rels"):
                    assert b"/hyperlink" not in zf.read(n), (book.name, n)
        wb = openpyxl.load_workbook(book)
        for ws in wb.worksheets:
            assert not ws._hyperlinks, (book.name, ws.title)
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (book.name, ws.title, cell.coordinate, cell.value)
                    if isinstance(cell.value, str):
                        assert "\x07" not in cell.value
                        for key, text in HOSTILE.items():
                            if cell.value == text:
                                assert cell.data_type == "s"
                                found.setdefault(key, set()).add(book.name)
    for key in ("formula", "dde", "at", "minus", "script", "url"):
        assert {"台账.xlsx", "D06_etc_问题反馈.xlsx", "D06_etc_台账.xlsx"} <= found.get(key, set()), key
    assert "公示_承诺事项.xlsx" in found["formula"]
    # the HTML outputs escape it
    pages = {
        name: (day / name).read_text(encoding="utf-8")
        for name in ("通报.html", "公示_承诺事项.html", "先锋岗承诺卡.html")
    }
    for name, html in pages.items():
        assert "<script>alert" not in html, name
        assert 'href="http://evil' not in html and "javascript:" not in html, name
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages["公示_承诺事项.html"]
    assert "&lt;script&gt;alert(" in pages["先锋岗承诺卡.html"]
    # the control character was removed with a notice
    problems = problem_list(day / "台账.xlsx")
    assert any(p["规则编号"] == "V107" and p["单元格"] == "L3" for p in problems)
    assert {p["单元格"] for p in problems if p["规则编号"] == "V108"} >= {"E2", "E3", "H2"}
