"""``pledge fetch-mail``: returned workbooks from the office mailbox (or exported
messages) into inputs/returns/邮件/, with the arrival log."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--from",
        dest="from_dir",
        type=Path,
        metavar="文件夹",
        help="不连接邮箱，改为读取该文件夹中导出的邮件（.eml、.mbox、Outlook .msg）",
    )


def run(args: argparse.Namespace) -> int:
    from pipeline.core.errors import MailError, RosterError
    from pipeline.core.settings import load_settings
    from pipeline.infra.atomic import run_lock
    from pipeline.intake.mail.secrets import require_password
    from pipeline.intake.mail.sources import ImapSource, folder_messages, require_server
    from pipeline.jobs.fetch_mail import INBOX, Intake, summary_lines
    from pipeline.outputs.mail_record import RECORD_FILE, write_record
    from pipeline.rules.roster import load_roster

    settings = load_settings(args.inputs)
    try:
        roster = load_roster(args.inputs)
    except RosterError as exc:
        args.console.warn(f"提醒：花名册暂不可用，收信时不按发件邮箱核对单位（{str(exc).splitlines()[0]}）")
        roster = None
    returns = args.inputs / INBOX
    with run_lock(args.outputs):
        intake = Intake(returns, settings, roster)
        try:
            if args.from_dir is not None:
                result = intake.from_items(folder_messages(args.from_dir))
            else:
                require_server(settings.mail)  # before asking for a password
                password = require_password(settings.mail.user)
                with ImapSource(settings.mail, password) as source:
                    result = intake.from_imap(source)
        except MailError:
            if intake.result.saved:
                for line in summary_lines(intake.result, returns):
                    args.console.say(line)
            raise
        write_record(result, args.outputs / RECORD_FILE)
    for line in summary_lines(result, returns):
        args.console.say(line)
    args.console.say(f"收信记录：{args.outputs / RECORD_FILE}")
    return 0
