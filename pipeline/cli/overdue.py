"""``pledge overdue``: outputs/<as-of>/逾期清单.xlsx (overdue, due-soon, silent members)."""

from __future__ import annotations

import argparse

from pipeline.cli.common import add_as_of, say_calendar


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_as_of(p)
    p.add_argument("--no-cache", action="store_true", help="不使用解析缓存，全部重新读取")


def run(args: argparse.Namespace) -> int:
    from pipeline.infra.atomic import OutputStage, run_lock
    from pipeline.jobs.consolidate import run_consolidation
    from pipeline.outputs.overdue import OVERDUE_FILE, write_overdue
    from pipeline.rules.calendar import outside_campaign

    out_dir = args.outputs / args.as_of.isoformat()
    with run_lock(args.outputs):
        c = run_consolidation(args.inputs, args.outputs, args.as_of, use_cache=not args.no_cache)
        with OutputStage(out_dir, owned={OVERDUE_FILE}) as stage:
            lists = write_overdue(c, stage.path(OVERDUE_FILE))
    say_calendar(args.console, outside_campaign(c.as_of, c.settings))
    args.console.say(
        f"统计截止 {args.as_of:%Y-%m-%d}：逾期未完成 {len(lists.overdue)} 项，临期 {len(lists.due_soon)} 项，"
        f"久未记实党员 {len(lists.silent)} 名。输出：{out_dir / OVERDUE_FILE}"
    )
    return 0
