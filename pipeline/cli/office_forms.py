"""``pledge office-forms``: one 包靠领导记实表 per leader and the 年度工作目标表 in
``outputs/office-forms/`` (prefilled; what ``inputs/office/`` already holds is carried in)."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    del p  # no options: the forms do not depend on a date


def run(args: argparse.Namespace) -> int:
    from pipeline.core.settings import load_settings
    from pipeline.infra.atomic import run_lock
    from pipeline.jobs.office_forms import FORMS_DIR, write_office_forms
    from pipeline.office import forms as O
    from pipeline.rules.roster import load_roster

    settings = load_settings(args.inputs)
    roster = load_roster(args.inputs)
    with run_lock(args.outputs):
        paths = write_office_forms(args.inputs, args.outputs, settings, roster)
    args.console.say(
        f"已生成 {len(paths)} 份办公室工作表：{args.outputs / FORMS_DIR}/（{'、'.join(p.name for p in paths)}）。"
        f"填好后放入 {args.inputs / O.OFFICE_INBOX}/。"
    )
    return 0
