"""``pledge templates``: one blank pledge workbook per roster unit."""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=None, help="输出目录（默认 outputs/templates）")
    p.add_argument("--workers", type=int, default=None, help="并行进程数（默认为 CPU 核数）")


def run(args: argparse.Namespace) -> int:
    from pipeline.core.settings import load_settings
    from pipeline.outputs.template import write_templates
    from pipeline.read.layout import TEMPLATE_VERSION
    from pipeline.rules.roster import load_roster

    settings = load_settings(args.inputs)
    roster = load_roster(args.inputs)
    out = args.outputs / "templates" if args.out is None else args.out
    t0 = time.perf_counter()
    paths = write_templates(roster, settings, out, workers=args.workers)
    ms = (time.perf_counter() - t0) * 1000 / max(len(paths), 1)
    args.console.say(
        f"已为 {len(paths)} 个单位生成公开承诺事项表（模板版本 v{TEMPLATE_VERSION}），"
        f"保存在 {out}/（平均每个 {ms:.0f} 毫秒）。"
    )
    return 0
