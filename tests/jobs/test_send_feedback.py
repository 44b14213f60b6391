"""send-feedback: drafts by default, SMTP only with --send (aiosmtpd on 127.0.0.1), the
sent log, and every fault one Chinese line with exit code 2."""

from __future__ import annotations

import csv
import datetime as dt
import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest

from pipeline.cli import main
from pipeline.intake.mail.secrets import ENV_PASSWORD, ENV_SMTP_PASSWORD
from pipeline.jobs.send_feedback import SENT_LOG
from tests.builders import deed, form_of, good_fill, load, make_inputs, write_return
from tests.mail_servers import free_port, set_mail, silent_server, smtp_server

AS_OF = "2026-09-20"
SENT = dt.datetime(2026, 9, 18, 9, 0)  # the returns were saved (received) before AS_OF
D01_FEEDBACK = "D01_第一党支部_问题反馈.xlsx"
D02_FEEDBACK = "D02_第二党支部_问题反馈.xlsx"


@pytest.fixture(scope="module")
def consolidated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """D01 with 2 errors (a deed without deadline, one without content) and D02 with 1
    error (a member id not in the roster); consolidated on AS_OF."""
    root = tmp_path_factory.mktemp("fb")
    inputs = make_inputs(root)
    s, roster = load(inputs)
    fill = good_fill(form_of(roster, "D01"))
    fill.member_rows[0]["deadline"] = None
    fill.member_rows[1]["content"] = ""
    write_return(inputs, s, roster, "D01", fill, mtime=SENT)
    fill2 = good_fill(form_of(roster, "D02"))
    fill2.member_rows.append({**deed("029999", "无名氏"), "seq": len(fill2.member_rows) + 1})
    write_return(inputs, s, roster, "D02", fill2, mtime=SENT)
    out = root / "outputs"
    assert (
        main(["--inputs", str(inputs), "--outputs", str(out), "--quiet", "consolidate", "--as-of", AS_OF])
        == 0
    )
    return inputs, out


@pytest.fixture
def campaign(
    consolidated: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Path]:
    """A fresh copy of the consolidated campaign (its own sent log and drafts)."""
    import shutil

    inputs, out = tmp_path / "inputs", tmp_path / "outputs"
    shutil.copytree(consolidated[0], inputs)
    shutil.copytree(consolidated[1], out)
    monkeypatch.delenv(ENV_PASSWORD, raising=False)
    monkeypatch.delenv(ENV_SMTP_PASSWORD, raising=False)
    set_mail(inputs, **{"from": "hdb@example.edu.cn"})
    return inputs, out


def send(inputs: Path, outputs: Path, *extra: str) -> int:
    return main(
        ["--inputs", str(inputs), "--outputs", str(outputs), "send-feedback", "--as-of", AS_OF, *extra]
    )


def parse(data: bytes) -> EmailMessage:
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def attachments(msg: EmailMessage) -> dict[str, bytes]:
    out = {}
    for part in msg.iter_attachments():
        name = part.get_filename()
        payload = part.get_payload(decode=True)
        assert name and isinstance(payload, bytes)
        out[name] = payload
    return out


def test_drafts_by_default_one_per_unit_with_the_workbook_attached(campaign: tuple[Path, Path]) -> None:
    inputs, out = campaign
    assert send(inputs, out) == 0
    drafts = sorted((out / AS_OF / "邮件").glob("*.eml"))
    assert [p.name for p in drafts] == ["D01_第一党支部_问题反馈.eml", "D02_第二党支部_问题反馈.eml"]
    msg = parse(drafts[0].read_bytes())
    assert msg["To"] == "dzb1@example.edu.cn"  # [mail.addresses] of the demo settings
    assert msg["X-Unsent"] == "1"
    assert msg["Subject"] == "【问题反馈】第一党支部 创先争优活动公开承诺填报表（统计截止 2026-09-20）"
    body = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    # the counts are the unit's rows of the school's problem list (台账.xlsx!问题清单):
    # P105 (no content), P106 (no deadline) and P101 (王建国 has 1 countable deed, not 2-3)
    assert ledger_counts(out, "D01") == (3, 0)
    assert "发现错误 3 处、提醒 0 处" in body
    assert "请于 2026年09月27日 前" in body  # AS_OF + [mail] resubmit_days (7)
    assert attachments(msg) == {D01_FEEDBACK: (out / AS_OF / "反馈" / D01_FEEDBACK).read_bytes()}
    # the Chinese name is in RFC 2231 (filename*) and RFC 2047 (name) form
    raw = drafts[0].read_bytes()
    assert b"filename*0*=utf-8''D01_%E7%AC%AC" in raw and b'name="=?utf-8?b?' in raw
    assert not (out / SENT_LOG).exists()  # nothing was sent


def ledger_counts(out: Path, code: str) -> tuple[int, int]:
    ws = openpyxl.load_workbook(out / AS_OF / "台账.xlsx", read_only=True)["问题清单"]
    rows = [r for r in ws.iter_rows(min_row=2, values_only=True) if r[1] == code]
    return sum(r[0] == "错误" for r in rows), sum(r[0] == "提醒" for r in rows)


def test_dry_run_writes_nothing(campaign: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    inputs, out = campaign
    assert send(inputs, out, "--dry-run") == 0
    text = capsys.readouterr().out
    assert "D01 第一党支部 → dzb1@example.edu.cn：错误 3 处、提醒 0 处" in text
    assert "D02 第二党支部 → dzb2@example.edu.cn：错误 1 处" in text
    assert not (out / AS_OF / "邮件").exists() and not (out / SENT_LOG).exists()


def test_send_over_smtp_byte_for_byte_once(
    campaign: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    inputs, out = campaign
    with smtp_server() as (port, box):
        set_mail(
            inputs,
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_security="none",
            timeout_seconds=5,
            **{"from": "hdb@example.edu.cn"},
        )
        assert send(inputs, out, "--send") == 0
        assert sorted(m.rcpt_tos[0] for m in box.messages) == ["dzb1@example.edu.cn", "dzb2@example.edu.cn"]
        for m in box.messages:
            msg = parse(m.data)
            assert m.mail_from == "hdb@example.edu.cn"
            code = "D01" if m.rcpt_tos == ["dzb1@example.edu.cn"] else "D02"
            name = D01_FEEDBACK if code == "D01" else D02_FEEDBACK
            assert attachments(msg) == {name: (out / AS_OF / "反馈" / name).read_bytes()}
            assert msg["Subject"].startswith(f"【问题反馈】第{'一' if code == 'D01' else '二'}党支部")
            assert "X-Unsent" not in msg
        rows = list(csv.DictReader((out / SENT_LOG).open(encoding="utf-8-sig")))
        assert [(r["单位编码"], r["收件人"], r["结果"]) for r in rows] == [
            ("D01", "dzb1@example.edu.cn", "已发送"),
            ("D02", "dzb2@example.edu.cn", "已发送"),
        ]
        capsys.readouterr()
        # the same feedback is never sent twice
        assert send(inputs, out, "--send") == 0
        assert len(box.messages) == 2
        assert "此反馈之前已发送，不再重发" in capsys.readouterr().out


def test_refused_recipient_is_retried_next_time(campaign: tuple[Path, Path]) -> None:
    inputs, out = campaign
    with smtp_server() as (port, box):
        box.refuse = {"dzb2@example.edu.cn"}
        set_mail(inputs, smtp_host="127.0.0.1", smtp_port=port, smtp_security="none", timeout_seconds=5)
        assert send(inputs, out, "--send") == 0
        assert [m.rcpt_tos for m in box.messages] == [["dzb1@example.edu.cn"]]
        rows = list(csv.DictReader((out / SENT_LOG).open(encoding="utf-8-sig")))
        assert [(r["收件人"], r["结果"]) for r in rows] == [
            ("dzb1@example.edu.cn", "已发送"),
            ("dzb2@example.edu.cn", "失败"),
        ]
        box.refuse = set()
        assert send(inputs, out, "--send") == 0
        assert [m.rcpt_tos for m in box.messages] == [["dzb1@example.edu.cn"], ["dzb2@example.edu.cn"]]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_login(
    campaign: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs, out = campaign
    with smtp_server(password="smtp-secret") as (port, box):
        set_mail(
            inputs,
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_security="none",
            user="hdb@example.edu.cn",
            timeout_seconds=5,
        )
        monkeypatch.setenv(ENV_PASSWORD, "wrong")
        assert send(inputs, out, "--send") == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "登录失败" in err[0]
        assert box.messages == [] and not (out / SENT_LOG).exists()
        monkeypatch.setenv(ENV_SMTP_PASSWORD, "smtp-secret")
        assert send(inputs, out, "--send") == 0
        assert len(box.messages) == 2


@pytest.mark.parametrize("fault", ["down", "tls", "timeout"])
def test_smtp_faults_are_one_line_and_retried(
    fault: str, campaign: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    inputs, out = campaign
    if fault == "down":
        set_mail(
            inputs, smtp_host="127.0.0.1", smtp_port=free_port(), smtp_security="none", timeout_seconds=2
        )
        code, expect = send(inputs, out, "--send"), "拒绝连接"
    elif fault == "tls":
        with smtp_server() as (port, _):
            set_mail(inputs, smtp_host="127.0.0.1", smtp_port=port, smtp_security="ssl", timeout_seconds=2)
            code, expect = send(inputs, out, "--send"), "加密连接失败"
    else:
        with silent_server() as port:
            set_mail(inputs, smtp_host="127.0.0.1", smtp_port=port, smtp_security="none", timeout_seconds=1)
            code, expect = send(inputs, out, "--send"), "超时"
    err = capsys.readouterr().err.strip()
    assert code == 2 and expect in err and "\n" not in err
    assert not (out / SENT_LOG).exists()  # nothing recorded as sent: the next run sends all
    assert len(list((out / AS_OF / "邮件").glob("*.eml"))) == 2  # the drafts are there to send by hand


def test_sending_needs_a_from_address(
    campaign: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    inputs, out = campaign
    set_mail(inputs, smtp_host="127.0.0.1", smtp_port=free_port(), **{"from": ""})
    assert send(inputs, out, "--send") == 2
    assert "没有发件人地址" in capsys.readouterr().err


def test_without_a_consolidation_the_clerk_is_told_what_to_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = make_inputs(tmp_path)
    assert send(inputs, tmp_path / "outputs") == 2
    assert "make consolidate AS_OF=2026-09-20" in capsys.readouterr().err


def test_feedback_of_a_unit_no_longer_in_the_roster(
    campaign: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    inputs, out = campaign
    stray = out / AS_OF / "反馈" / "D09_第九党支部_问题反馈.xlsx"
    stray.write_bytes((out / AS_OF / "反馈" / D01_FEEDBACK).read_bytes())
    assert send(inputs, out, "--dry-run") == 0
    text = capsys.readouterr().out
    assert "F143" in text and "D09_第九党支部_问题反馈.xlsx" in text
