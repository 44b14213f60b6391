"""``pledge bulletin``: outputs/<as-of>/通报.html, the printable progress bulletin."""

from __future__ import annotations

import argparse

from pipeline.cli.common import add_as_of, say_calendar

BULLETIN_FILE = "通报.html"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_as_of(p)
    p.add_argument(
        "--issue", type=int, default=None, metavar="N", help="通报期数（默认按履诺阶段开始后的周数计算）"
    )
    p.add_argument("--no-cache", action="store_true", help="不使用解析缓存，全部重新读取")


def run(args: argparse.Namespace) -> int:
    from pipeline.infra.atomic import OutputStage, run_lock, write_text_atomic
    from pipeline.jobs.consolidate import run_consolidation
    from pipeline.outputs.bulletin import bulletin_context, render_context

    out_dir = args.outputs / args.as_of.isoformat()
    with run_lock(args.outputs):
        c = run_consolidation(args.inputs, args.outputs, args.as_of, use_cache=not args.no_cache)
        ctx = bulletin_context(c, args.issue)
        with OutputStage(out_dir, owned={BULLETIN_FILE}) as stage:
            write_text_atomic(stage.path(BULLETIN_FILE), render_context(ctx))
    f = ctx["figures"]
    say_calendar(args.console, ctx["calendar_note"])
    args.console.say(
        f"{ctx['title']}：{f['units_reported']}/{f['units_total']} 个单位已报送，跟踪中承诺 {f['tracked']} 项，"
        f"按期完成 {f['on_time']} 项、逾期完成 {f['done_late']} 项，完成合计 {f['done_total']} 项（完成率 {f['rate_text']}），"
        f"逾期未完成 {f['overdue']} 项。输出：{out_dir / BULLETIN_FILE}（可直接用浏览器打印为 A4）"
    )
    return 0
