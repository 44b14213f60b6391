"""fetch-mail --from DIR: exported messages -> inputs/returns/邮件/ and the arrival log."""

from __future__ import annotations

import datetime as dt
import hashlib
import mailbox
import os
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.intake.arrivals import load_arrivals, log_path
from pipeline.intake.inbox import discover
from pipeline.read import layout as L
from pipeline.tooling import mail_shapes as S
from tests.builders import form_of, good_fill, load, make_inputs, write_return

CST = dt.timezone(dt.timedelta(hours=8))


def at(month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=CST)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def campaign(tmp_path: Path) -> tuple[Path, Path, dict[str, bytes]]:
    """A campaign with D01/D02 workbooks (built by the template writer) to mail around."""
    inputs = make_inputs(tmp_path)
    s, roster = load(inputs)
    books = {}
    scratch = tmp_path / "scratch"
    for code in ("D01", "D02"):
        path = write_return(scratch, s, roster, code)
        books[code] = path.read_bytes()
    # a version of D01 with one more organisational pledge, for "the newer version"
    fill = good_fill(form_of(roster, "D01"))
    fill.org_rows.append({**fill.org_rows[0], "seq": 4, "content": "第四项组织承诺"})
    books["D01v2"] = write_return(scratch, s, roster, "D01", fill, name="v2.xlsx").read_bytes()
    return inputs, tmp_path / "outputs", books


def run(inputs: Path, outputs: Path, *args: str) -> int:
    return main(["--inputs", str(inputs), "--outputs", str(outputs), *args])


def test_exported_messages_are_saved_logged_and_not_saved_twice(
    campaign: tuple[Path, Path, dict[str, bytes]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs, outputs, books = campaign
    before = {p: p.read_bytes() for p in inputs.rglob("*") if p.is_file()}
    export = tmp_path / "export"
    export.mkdir()
    d01 = L.template_filename("D01", "第一党支部")
    (export / "第一支部.eml").write_bytes(
        S.foxmail(
            "dzb1@example.edu.cn",
            "王建国",
            "hdb@example.edu.cn",
            "第一支部承诺表",
            at(9, 5),
            [(d01, books["D01"])],
        )
    )
    box = mailbox.mbox(export / "导出.mbox")
    # the same file re-sent a day later (QQ Mail), a renamed file from D02's address, a stranger
    box.add(
        S.qq(
            "dzb1@example.edu.cn", "王建国", "hdb@example.edu.cn", "再发一次", at(9, 6), [(d01, books["D01"])]
        )
    )
    box.add(
        S.netease(
            "dzb2@example.edu.cn",
            "刘芳",
            "hdb@example.edu.cn",
            "承诺表",
            at(9, 7),
            [("CON.xlsx", books["D02"])],
        )
    )
    box.add(S.outlook("someone@qq.com", "某人", "hdb@example.edu.cn", "咨询", at(9, 8), []))
    box.flush()
    box.close()

    assert run(inputs, outputs, "fetch-mail", "--from", str(export)) == 0
    out = capsys.readouterr().out
    assert "处理新邮件 4 封" in out and "保存 Excel 填报表 2 个，重复发送未再保存 1 个" in out
    assert "重复发送" in out and "someone@qq.com" in out

    returns = inputs / "returns"
    arrivals = load_arrivals(returns)
    assert set(arrivals) == {sha(books["D01"]), sha(books["D02"])}
    a1 = arrivals[sha(books["D01"])]
    assert a1.received == at(9, 5).astimezone(dt.UTC)  # the first arrival, from its Received header
    assert (a1.sender, a1.subject, a1.attachment, a1.source) == (
        "dzb1@example.edu.cn",
        "第一支部承诺表",
        d01,
        "file:第一支部.eml",
    )
    assert a1.saved_as == f"邮件/2026-09-05/{d01}"
    assert a1.message_id.startswith("<") and a1.date.startswith("Sat, 05 Sep 2026")
    saved = returns / a1.saved_as
    assert saved.read_bytes() == books["D01"]
    assert saved.stat().st_mtime == at(9, 5).timestamp()  # the version's time is the message's
    # CON.xlsx: a reserved Windows name, and no unit in it: known by the sender's address
    a2 = arrivals[sha(books["D02"])]
    assert a2.saved_as == "邮件/2026-09-07/D02_第二党支部__CON.xlsx"
    assert "F140" in out and "F134" in out  # renamed from CON.xlsx, then named by its unit
    # nothing that was there before was touched; the log is not taken for a return
    assert all(p.read_bytes() == data for p, data in before.items())
    assert {f.rel for f in discover(returns)} == {a1.saved_as, a2.saved_as}
    assert not [p for p in returns.rglob("*.tmp")]

    # the 收信记录 workbook lists both files and the findings
    assert (outputs / "收信记录.xlsx").is_file()

    # a second run saves nothing and changes nothing
    log_before = log_path(returns).read_bytes()
    assert run(inputs, outputs, "fetch-mail", "--from", str(export)) == 0
    assert "处理新邮件 0 封（之前已收过、跳过 4 封）" in capsys.readouterr().out
    assert log_path(returns).read_bytes() == log_before

    # consolidation takes the mailed files; D02 is identified by the name fetch-mail gave it
    assert run(inputs, outputs, "--quiet", "consolidate", "--as-of", "2026-09-20") == 0
    assert {p.name.split("_")[0] for p in (outputs / "2026-09-20" / "反馈").glob("*.xlsx")} <= {"D01", "D02"}


def test_newer_version_and_name_collisions(
    campaign: tuple[Path, Path, dict[str, bytes]], tmp_path: Path
) -> None:
    inputs, outputs, books = campaign
    export = tmp_path / "export"
    export.mkdir()
    name = "第一支部承诺表.xlsx"
    (export / "a.eml").write_bytes(
        S.qq("dzb1@example.edu.cn", "王", "hdb@x.cn", "v1", at(9, 5), [(name, books["D01"])])
    )
    (export / "b.eml").write_bytes(
        S.qq("dzb1@example.edu.cn", "王", "hdb@x.cn", "v2", at(9, 5, 15), [(name, books["D01v2"])])
    )
    assert run(inputs, outputs, "--quiet", "fetch-mail", "--from", str(export)) == 0
    day = inputs / "returns" / "邮件" / "2026-09-05"
    assert sorted(p.name for p in day.iterdir()) == ["第一支部承诺表.xlsx", "第一支部承诺表（2）.xlsx"]
    assert (day / "第一支部承诺表（2）.xlsx").read_bytes() == books["D01v2"]
    assert os.path.getmtime(day / "第一支部承诺表（2）.xlsx") > os.path.getmtime(day / name)


def test_a_message_that_cannot_be_saved_is_listed_and_retried(
    campaign: tuple[Path, Path, dict[str, bytes]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    inputs, outputs, books = campaign
    export = tmp_path / "export"
    export.mkdir()
    (export / "a.eml").write_bytes(
        S.qq("dzb1@example.edu.cn", "王", "hdb@x.cn", "一", at(9, 5), [("D01_承诺表.xlsx", books["D01"])])
    )
    (export / "b.eml").write_bytes(
        S.qq("dzb2@example.edu.cn", "刘", "hdb@x.cn", "二", at(9, 6), [("D02_承诺表.xlsx", books["D02"])])
    )
    import pipeline.jobs.fetch_mail as job

    real = job.atomic_path
    calls = {"n": 0}

    def flaky(path: Path):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        return real(path)

    monkeypatch.setattr(job, "atomic_path", flaky)
    assert run(inputs, outputs, "fetch-mail", "--from", str(export)) == 0
    out = capsys.readouterr().out
    assert "下次收信再试的邮件 1 封：file:b.eml" in out and "F139" in out
    assert set(load_arrivals(inputs / "returns")) == {sha(books["D01"])}  # nothing half-saved
    monkeypatch.setattr(job, "atomic_path", real)
    assert run(inputs, outputs, "fetch-mail", "--from", str(export)) == 0
    assert "处理新邮件 1 封（之前已收过、跳过 1 封）" in capsys.readouterr().out
    assert set(load_arrivals(inputs / "returns")) == {sha(books["D01"]), sha(books["D02"])}


def test_missing_folder_is_one_chinese_line(
    campaign: tuple[Path, Path, dict[str, bytes]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs, outputs, _ = campaign
    assert run(inputs, outputs, "fetch-mail", "--from", str(tmp_path / "nope")) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("错误：找不到文件夹") and "\n" not in err


def test_outlook_msg_exports(campaign: tuple[Path, Path, dict[str, bytes]], tmp_path: Path) -> None:
    from tests.msg_builder import MsgAttachment, MsgMessage, msg_file

    inputs, outputs, books = campaign
    export = tmp_path / "export"
    export.mkdir()
    when = at(9, 8, 9)
    inner = MsgMessage(
        "第二支部承诺表",
        "dzb2@example.edu.cn",
        "刘芳",
        at(9, 7),
        "<inner@x>",
        (MsgAttachment("D02_第二支部承诺表.xlsx", books["D02"]),),
    )
    msg = MsgMessage(
        "第一支部承诺表（Outlook）",
        "dzb1@example.edu.cn",
        "王建国",
        when,
        "<PSAPR06MB4501@outlook.com>",
        (
            MsgAttachment("D01_第一支部承诺表.xlsx", books["D01"]),
            MsgAttachment("image001.png", S.PNG, content_id="image001.png@01DA"),
            MsgAttachment("转发：第二支部", embedded=inner),
        ),
    )
    (export / "第一支部.msg").write_bytes(msg_file(msg))
    (export / "坏的.msg").write_bytes(b"\xd0\xcf\x11\xe0 not really")
    assert run(inputs, outputs, "--quiet", "fetch-mail", "--from", str(export)) == 0
    arrivals = load_arrivals(inputs / "returns")
    a1, a2 = arrivals[sha(books["D01"])], arrivals[sha(books["D02"])]
    assert (a1.sender, a1.subject, a1.message_id, a1.source) == (
        "dzb1@example.edu.cn",
        "第一支部承诺表（Outlook）",
        "<PSAPR06MB4501@outlook.com>",
        "file:第一支部.msg",
    )
    assert a1.received == when.astimezone(dt.UTC)
    assert a2.attachment == "转发的邮件/D02_第二支部承诺表.xlsx"
    assert (inputs / "returns" / a2.saved_as).read_bytes() == books["D02"]
    assert len(arrivals) == 2  # the inline picture is not saved; the broken file is a finding


def test_no_mail_server_configured(
    campaign: tuple[Path, Path, dict[str, bytes]], capsys: pytest.CaptureFixture[str]
) -> None:
    inputs, outputs, _ = campaign  # the demo settings: [mail] host = ""
    assert run(inputs, outputs, "fetch-mail") == 2
    err = capsys.readouterr().err.strip()
    assert "没有配置收信服务器" in err and "FROM=" in err and "\n" not in err
