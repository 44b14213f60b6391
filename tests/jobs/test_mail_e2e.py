"""End to end on the demo mailbox: the branches' e-mails on a real IMAP server ->
fetch-mail -> consolidate -> send-feedback over a real SMTP server."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.intake.arrivals import load_arrivals
from pipeline.intake.mail.secrets import ENV_PASSWORD
from pipeline.jobs.consolidate import run_consolidation
from pipeline.tooling.demo_mail import STRANGER, DemoMessage, demo_messages
from tests.builders import DEMO_SETTINGS
from tests.mail_servers import PASSWORD, USER, append, imap_server, set_mail, smtp_server, snapshot

AS_OF = "2026-11-20"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, int, list[DemoMessage]]]:
    """The demo campaign whose returns exist only as e-mails in the office mailbox."""
    root = tmp_path_factory.mktemp("e2e")
    inputs = root / "inputs"
    inputs.mkdir()
    demo_inputs = DEMO_SETTINGS.parent  # the committed demo campaign (pipeline/tooling/demo.py)
    shutil.copy(DEMO_SETTINGS, inputs / "campaign.toml")
    shutil.copy(demo_inputs / "roster.xlsx", inputs / "roster.xlsx")
    shutil.copytree(demo_inputs / "returns", inputs / "returns", ignore=shutil.ignore_patterns("邮件"))
    messages = demo_messages(inputs)
    shutil.rmtree(inputs / "returns")
    (inputs / "returns").mkdir()
    with imap_server() as port:
        for m in messages:  # newest first, as the builder lists them: UIDs do not follow dates
            append(port, m.raw, m.when.timestamp(), "(\\Seen)" if m.when.month == 9 else "")
        set_mail(inputs, host="127.0.0.1", port=port, security="none", user=USER, timeout_seconds=5)
        yield inputs, root / "outputs", port, messages


def cli(inputs: Path, outputs: Path, *args: str) -> int:
    return main(["--inputs", str(inputs), "--outputs", str(outputs), *args])


def test_fetch_consolidate_send(
    demo: tuple[Path, Path, int, list[DemoMessage]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    inputs, outputs, port, messages = demo
    monkeypatch.setenv(ENV_PASSWORD, PASSWORD)
    before = snapshot(port)
    assert len(before) == len(messages) == 12

    assert cli(inputs, outputs, "fetch-mail") == 0
    out = capsys.readouterr().out
    assert snapshot(port) == before
    # 11 workbooks (one is a Word file named .xlsx, found by consolidate), D01's re-send kept once
    assert "处理新邮件 12 封" in out and "保存 Excel 填报表 11 个，重复发送未再保存 1 个" in out
    assert STRANGER in out and "活动照片.jpg" in out
    assert cli(inputs, outputs, "fetch-mail") == 0
    assert "处理新邮件 0 封" in capsys.readouterr().out

    c = run_consolidation(inputs, outputs, dt.date.fromisoformat(AS_OF))
    used = {code: ur.file.rel for code, ur in c.used.items()}
    assert sorted(used) == ["D00", "D01", "D02", "D03", "D04", "D05"]
    # the version of each unit is its latest message's, though the mailbox lists them newest first
    assert used["D01"] == "邮件/2026-11-17/D01_第一党支部（基础医学教研室）_公开承诺事项表.xlsx"
    assert used["D02"] == "邮件/2026-11-17/D02_第二党支部（临床护理教研室）_公开承诺事项表（11月更新）.xlsx"
    assert used["D04"] == "邮件/2026-09-06/D04_第四党支部_公开承诺事项表.xlsx"  # D04 mailed only in September
    assert (
        used["D05"] == "邮件/2026-11-18/D05_第五党支部（学生工作）_承诺表（修改稿）.xlsx"
    )  # named by its address

    assert cli(inputs, outputs, "--quiet", "consolidate", "--as-of", AS_OF) == 0
    feedback = {p.name: p.read_bytes() for p in (outputs / AS_OF / "反馈").glob("*.xlsx")}
    assert feedback
    with smtp_server() as (smtp_port, box):
        set_mail(inputs, smtp_host="127.0.0.1", smtp_port=smtp_port, smtp_security="none", **{"from": USER})
        assert cli(inputs, outputs, "send-feedback", "--as-of", AS_OF, "--send") == 0
        got = {}
        for m in box.messages:
            msg = email.message_from_bytes(m.data, policy=email.policy.default)
            assert isinstance(msg, email.message.EmailMessage)
            for part in msg.iter_attachments():
                got[part.get_filename()] = part.get_payload(decode=True)
                code = str(part.get_filename())[:3]
                assert m.rcpt_tos == [f"{'dangwei' if code == 'D00' else 'dzb' + code[2]}@example.edu.cn"]
        assert got == feedback  # every feedback workbook, byte for byte, to its unit
        assert cli(inputs, outputs, "--quiet", "send-feedback", "--as-of", AS_OF, "--send") == 0
        assert len(box.messages) == len(feedback)  # nothing sent twice


def test_arrival_log_orders_versions_by_message_date_not_file_time(
    demo: tuple[Path, Path, int, list[DemoMessage]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The saved files' times may say otherwise (copied, restored from a backup): the log
    keeps each version's received time, which the consolidation trusts most."""
    inputs, outputs, _, messages = demo
    monkeypatch.setenv(ENV_PASSWORD, PASSWORD)
    assert cli(inputs, outputs, "--quiet", "fetch-mail") == 0
    returns = inputs / "returns"
    now = time.time()
    for p in (returns / "邮件").glob("2026-09-*/*.xlsx"):
        os.utime(p, (now, now))  # September's files now look newer than November's
    arrivals = load_arrivals(returns)
    by_file = {a.saved_as: a.received for a in arrivals.values()}
    sept = by_file["邮件/2026-09-05/D01_第一党支部（基础医学教研室）_公开承诺事项表.xlsx"]
    nov = by_file["邮件/2026-11-17/D01_第一党支部（基础医学教研室）_公开承诺事项表.xlsx"]
    assert sept < nov
    assert os.path.getmtime(
        returns / "邮件/2026-09-05/D01_第一党支部（基础医学教研室）_公开承诺事项表.xlsx"
    ) > os.path.getmtime(returns / "邮件/2026-11-17/D01_第一党支部（基础医学教研室）_公开承诺事项表.xlsx")
    # and the consolidation takes November's version all the same (received time first)
    c = run_consolidation(inputs, outputs, dt.date.fromisoformat(AS_OF))
    assert c.used["D01"].file.rel == "邮件/2026-11-17/D01_第一党支部（基础医学教研室）_公开承诺事项表.xlsx"
    dates = {m.when.astimezone(dt.UTC) for m in messages}
    assert {a.received for a in arrivals.values()} <= dates  # every received time is a message's own
