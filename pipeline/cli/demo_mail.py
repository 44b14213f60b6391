"""``pledge demo-mail``: the demo returns as an mbox of e-mails (to try fetch-mail)."""

from __future__ import annotations

import argparse
from pathlib import Path

DEMO_MAIL_DIR = "演示邮箱"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--to", type=Path, metavar="文件夹", help="写到哪个文件夹（默认 outputs/演示邮箱/）")


def run(args: argparse.Namespace) -> int:
    from pipeline.tooling.demo_mail import build_demo_mailbox

    folder = args.to or args.outputs / DEMO_MAIL_DIR
    path = build_demo_mailbox(args.inputs, folder)
    args.console.say(f"演示邮箱：{path}。试一试：make fetch-mail FROM={folder}")
    return 0
