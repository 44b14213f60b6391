"""fetch-mail against a real IMAP server (pymap on 127.0.0.1): read-only, only the unseen,
every fault one Chinese line with exit code 2 and nothing half-saved."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.intake.arrivals import load_arrivals
from pipeline.intake.mail.secrets import ENV_PASSWORD
from pipeline.intake.mail.state import STATE_NAME
from pipeline.tooling import mail_shapes as S
from tests.builders import load, make_inputs, write_return
from tests.mail_servers import (
    PASSWORD,
    USER,
    append,
    free_port,
    imap_server,
    set_mail,
    silent_server,
    snapshot,
)

CST = dt.timezone(dt.timedelta(hours=8))
OFFICE = "hdb@example.edu.cn"


def at(month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=CST)


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    root = tmp_path_factory.mktemp("books")
    inputs = make_inputs(root)
    s, roster = load(inputs)
    return {code: write_return(root / "x", s, roster, code).read_bytes() for code in ("D01", "D02")}


@pytest.fixture(scope="module")
def server(books: dict[str, bytes]) -> Iterator[int]:
    """A mailbox shaped like a real office's: Foxmail, QQ Mail, NetEase, Outlook, a raw-GBK
    client, a forward, a zip, the same file re-sent, a reply without attachment; some read
    (\\Seen), one flagged, one before [mail] since."""
    with imap_server() as port:
        zipped = S.gbk_zip(
            [("第二支部/D02_第二党支部_公开承诺事项表.xlsx", books["D02"]), ("第二支部/说明.docx", b"doc")]
        )
        inner = S.outlook(
            "dzb1@example.edu.cn",
            "王建国",
            OFFICE,
            "第一支部承诺表",
            at(9, 3),
            [("第一支部承诺表.xlsx", books["D01"])],
        )
        msgs = [
            (
                S.foxmail(
                    "dzb1@example.edu.cn",
                    "王建国",
                    OFFICE,
                    "第一支部承诺表",
                    at(9, 3),
                    [("D01_第一党支部_公开承诺事项表.xlsx", books["D01"])],
                ),
                at(9, 3),
                "\\Seen",
            ),
            (
                S.qq(
                    "dzb2@example.edu.cn",
                    "刘芳",
                    OFFICE,
                    "第二支部（压缩包）",
                    at(9, 4),
                    [("第二支部材料.zip", zipped)],
                ),
                at(9, 4),
                "",
            ),
            (
                S.netease(
                    "dzb1@example.edu.cn",
                    "王建国",
                    OFFICE,
                    "再发一次",
                    at(9, 5),
                    [("第一支部承诺表.xlsx", books["D01"])],
                ),
                at(9, 5),
                "\\Flagged",
            ),
            (
                S.forward("dzb1@example.edu.cn", "王建国", OFFICE, "转发：第一支部承诺表", at(9, 6), inner),
                at(9, 6),
                "",
            ),
            (
                S.raw_gbk("someone@qq.com", "张三", OFFICE, "收到", at(9, 7), []),
                at(9, 7),
                "\\Seen \\Answered",
            ),
            (
                S.qq("dzb2@example.edu.cn", "刘芳", OFFICE, "去年的表", at(7, 1), [("旧表.xlsx", b"PK old")]),
                at(7, 1),
                "",
            ),
        ]
        for raw, when, flags in msgs:
            append(port, raw, when.timestamp(), flags and f"({flags})")
        yield port


@pytest.fixture
def campaign(tmp_path: Path, server: int, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    inputs = make_inputs(tmp_path)
    set_mail(
        inputs,
        host="127.0.0.1",
        port=server,
        security="none",
        user=USER,
        since="2026-08-01",
        timeout_seconds=5,
    )
    monkeypatch.setenv(ENV_PASSWORD, PASSWORD)
    return inputs, tmp_path / "outputs"


def fetch(inputs: Path, outputs: Path, *extra: str) -> int:
    return main(["--inputs", str(inputs), "--outputs", str(outputs), *extra, "fetch-mail"])


def test_fetch_is_read_only_and_a_second_fetch_saves_nothing(
    campaign: tuple[Path, Path], server: int, books: dict[str, bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    inputs, outputs = campaign
    before = snapshot(server)
    assert len(before) == 6
    assert fetch(inputs, outputs) == 0
    out = capsys.readouterr().out
    assert snapshot(server) == before  # same messages, same flags (no \\Seen added), same sizes
    # July's message is before [mail] since; the forward and the NetEase re-send are the same bytes
    assert "处理新邮件 5 封" in out and "保存 Excel 填报表 2 个，重复发送未再保存 2 个" in out
    arrivals = load_arrivals(inputs / "returns")
    sha = {k: hashlib.sha256(v).hexdigest() for k, v in books.items()}
    assert set(arrivals) == {sha["D01"], sha["D02"]}
    assert arrivals[sha["D01"]].received == at(9, 3).astimezone(dt.UTC)  # INTERNALDATE
    assert arrivals[sha["D01"]].source.startswith("imap:INBOX:")
    assert arrivals[sha["D02"]].attachment == "压缩包“第二支部材料.zip”/D02_第二党支部_公开承诺事项表.xlsx"
    assert "说明.docx" in out and "someone@qq.com" in out
    state = json.loads((inputs / "returns" / "邮件" / STATE_NAME).read_text(encoding="utf-8"))
    assert len(next(iter(state["mailboxes"].values()))["uids"]) == 5

    assert fetch(inputs, outputs) == 0
    assert "处理新邮件 0 封" in capsys.readouterr().out
    assert snapshot(server) == before
    assert set(load_arrivals(inputs / "returns")) == {sha["D01"], sha["D02"]}


def test_new_mail_only_and_uidvalidity_change(
    campaign: tuple[Path, Path], server: int, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs, outputs = campaign
    assert fetch(inputs, outputs, "--quiet") == 0
    # the server renumbers the folder: Message-IDs still say what was fetched
    state_path = inputs / "returns" / "邮件" / STATE_NAME
    state = json.loads(state_path.read_text(encoding="utf-8"))
    for box in state["mailboxes"].values():
        box["uidvalidity"] = 1
    state_path.write_text(json.dumps(state), encoding="utf-8")
    new = S.outlook(
        "dzb2@example.edu.cn", "刘芳", OFFICE, "补充", at(9, 9), [("D02_补充说明表.xlsx", b"PK new bytes")]
    )
    append(server, new, at(9, 9).timestamp())
    assert fetch(inputs, outputs) == 0
    out = capsys.readouterr().out
    assert "处理新邮件 1 封（之前已收过、跳过 5 封）" in out and "保存 Excel 填报表 1 个" in out


def test_chinese_folder_and_oversized_message(
    campaign: tuple[Path, Path],
    server: int,
    books: dict[str, bytes],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A folder named in Chinese (modified UTF-7 on the wire); a message far over the
    attachment cap is not downloaded, and said so. "Far over" is MESSAGE_FACTOR times the
    cap; the factor is 1 here, so that the message is 1.8 MB on the wire and not 5.5 MB
    (the test server takes ~4 s a MB to store and list a message)."""
    from pipeline.intake.mail.sources import imap_utf7
    from pipeline.jobs import fetch_mail
    from tests.mail_servers import imap_client

    monkeypatch.setattr(fetch_mail, "MESSAGE_FACTOR", 1)

    inputs, outputs = campaign
    c = imap_client(server)
    try:
        typ, _ = c.create(f'"{imap_utf7("承诺表报送")}"')
        assert typ == "OK"
    finally:
        c.logout()
    folder = imap_utf7("承诺表报送")
    append(
        server,
        S.qq("dzb1@example.edu.cn", "王", OFFICE, "D01", at(9, 10), [("D01_承诺表.xlsx", books["D01"])]),
        at(9, 10).timestamp(),
        folder=folder,
    )
    big = S.qq("dzb2@example.edu.cn", "刘", OFFICE, "大", at(9, 11), [("D02_大表.xlsx", b"x" * 1_300_000)])
    append(server, big, at(9, 11).timestamp(), folder=folder)
    before = snapshot(server, folder)
    set_mail(inputs, folder="承诺表报送", max_attachment_mb=1)
    assert fetch(inputs, outputs) == 0
    out = capsys.readouterr().out
    assert "保存 Excel 填报表 1 个" in out and "未下载" in out and "F132" in out
    assert snapshot(server, folder) == before


def test_wrong_password_is_one_line_exit_2_nothing_saved(
    campaign: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs, outputs = campaign
    monkeypatch.setenv(ENV_PASSWORD, "wrong")
    assert fetch(inputs, outputs) == 2
    err = capsys.readouterr().err.strip()
    assert "登录失败" in err and "\n" not in err
    assert not (inputs / "returns" / "邮件").exists()


def test_no_password_anywhere(
    campaign: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs, outputs = campaign
    monkeypatch.delenv(ENV_PASSWORD)
    monkeypatch.setitem(__import__("sys").modules, "keyring", None)  # no keyring installed
    assert fetch(inputs, outputs) == 2
    assert ENV_PASSWORD in capsys.readouterr().err


@pytest.mark.parametrize("fault", ["down", "tls", "timeout"])
def test_server_faults_are_one_chinese_line(
    fault: str, campaign: tuple[Path, Path], server: int, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs, outputs = campaign
    started = time.monotonic()
    if fault == "down":
        set_mail(inputs, port=free_port())
        code = fetch(inputs, outputs)
        expect = "拒绝连接"
    elif fault == "tls":
        set_mail(inputs, security="ssl")  # a plain server where TLS is expected
        code = fetch(inputs, outputs)
        expect = "加密连接失败"
    else:
        with silent_server() as port:
            set_mail(inputs, port=port, timeout_seconds=1)
            code = fetch(inputs, outputs)
        expect = "超时"
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert expect in err and "\n" not in err and "Traceback" not in err
    assert time.monotonic() - started < 10
    assert not (inputs / "returns" / "邮件").exists()


def test_messages_without_message_id(
    campaign: tuple[Path, Path], server: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """Some phone clients send no Message-ID: each message is still its own (by UID on the
    server, by the SHA-256 of its bytes across sources)."""
    import re

    from pipeline.intake.mail.sources import imap_utf7
    from tests.mail_servers import imap_client

    inputs, outputs = campaign
    folder = imap_utf7("无编号")
    c = imap_client(server)
    try:
        assert c.create(f'"{folder}"')[0] == "OK"
    finally:
        c.logout()
    for i in (1, 2):
        raw = S.raw_gbk(
            f"dzb{i}@example.edu.cn",
            "某",
            OFFICE,
            f"第{i}封",
            at(9, 12, 8 + i),
            [(f"D0{i}_表.xlsx", f"PK{i}".encode())],
        )
        raw = re.sub(rb"Message-ID: [^\r\n]*\r\n", b"", raw)
        append(server, raw, at(9, 12, 8 + i).timestamp(), folder=folder)
    set_mail(inputs, folder="无编号")
    assert fetch(inputs, outputs) == 0
    assert "处理新邮件 2 封" in capsys.readouterr().out and len(load_arrivals(inputs / "returns")) == 2
    assert fetch(inputs, outputs) == 0
    assert "处理新邮件 0 封" in capsys.readouterr().out
