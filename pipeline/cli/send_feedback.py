"""``pledge send-feedback``: one Chinese e-mail per unit with its feedback workbook from
outputs/<AS_OF>/反馈/: drafts by default, sent over SMTP with --send."""

from __future__ import annotations

import argparse
import datetime as dt

from pipeline.cli.common import add_as_of


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_as_of(p)
    p.add_argument(
        "--send", action="store_true", help="通过发信服务器（[mail] smtp_host）直接发送；不加时只生成草稿"
    )
    p.add_argument("--dry-run", action="store_true", help="只列出将发给谁、附什么，不写文件、不发送")


def run(args: argparse.Namespace) -> int:
    from pipeline.core.errors import PipelineError
    from pipeline.core.settings import load_settings
    from pipeline.infra.atomic import run_lock
    from pipeline.intake.mail.secrets import find_password
    from pipeline.jobs.send_feedback import plan, send_all, summary_lines, write_drafts
    from pipeline.outputs.mail import SmtpSender
    from pipeline.rules.roster import load_roster

    if args.send and args.dry_run:
        raise PipelineError("--send（发送）和 --dry-run（试运行）不能同时使用，请只选一个。")
    settings = load_settings(args.inputs)
    roster = load_roster(args.inputs)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with run_lock(args.outputs):
        result = plan(args.outputs, settings, roster, args.as_of, now)
        if args.dry_run:
            mode = "dry"
        else:
            write_drafts(result, args.outputs, args.as_of)
            mode = "draft"
            if args.send:
                mode = "send"
                ms = settings.mail
                password = find_password(ms.smtp_login, smtp=True)
                if any(p.pending for p in result.planned):
                    try:
                        with SmtpSender(ms, password) as sender:
                            send_all(result, sender, args.outputs, args.as_of)
                    except Exception:
                        for line in summary_lines(result, args.outputs, args.as_of, mode):
                            args.console.say(line)
                        raise
    for line in summary_lines(result, args.outputs, args.as_of, mode):
        args.console.say(line)
    return 0
