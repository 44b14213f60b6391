"""``pledge eval-templates``: one blank evaluation workbook (考核评价表) per roster unit."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=None, help="输出目录（默认 outputs/eval-templates）")


def run(args: argparse.Namespace) -> int:
    from pipeline.assessment.layout import EVAL_TEMPLATE_VERSION, INBOX
    from pipeline.assessment.template import write_eval_templates
    from pipeline.core.settings import load_settings
    from pipeline.rules.roster import load_roster

    settings = load_settings(args.inputs)
    roster = load_roster(args.inputs)
    out = args.outputs / "eval-templates" if args.out is None else args.out
    paths = write_eval_templates(roster, settings, out)
    args.console.say(
        f"已为 {len(paths)} 个单位生成考核评价表（模板版本 v{EVAL_TEMPLATE_VERSION}），保存在 {out}/。"
        f"各单位填好报回后，请放入 {args.inputs / INBOX}/。"
    )
    return 0
