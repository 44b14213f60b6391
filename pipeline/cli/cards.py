"""``pledge cards``: printable desk cards (先锋岗承诺卡.html), one per roster member."""

from __future__ import annotations

import argparse

from pipeline.cli.common import add_as_of, say_calendar

CARDS = "先锋岗承诺卡.html"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_as_of(p)
    p.add_argument(
        "--per-page",
        type=int,
        choices=(1, 2),
        default=1,
        help="每页 A4 印几张桌签（默认 1 张；2 张时字号较小）",
    )
    p.add_argument("--no-cache", action="store_true", help="不使用解析缓存，全部重新读取")


def run(args: argparse.Namespace) -> int:
    from pipeline.infra.atomic import OutputStage, run_lock
    from pipeline.jobs.consolidate import run_consolidation
    from pipeline.outputs.cards import write_cards
    from pipeline.rules.calendar import outside_campaign

    with run_lock(args.outputs):
        c = run_consolidation(args.inputs, args.outputs, args.as_of, use_cache=not args.no_cache)
        out_dir = args.outputs / args.as_of.isoformat()
        with OutputStage(out_dir, owned={CARDS}) as stage:
            cards = write_cards(c, stage.path(CARDS), per_page=args.per_page)
    with_pledges = sum(1 for x in cards if x.pledges)
    say_calendar(args.console, outside_campaign(c.as_of, c.settings))
    args.console.say(
        f"已生成 {len(cards)} 名党员的先锋岗桌签，其中 {with_pledges} 张载明审核通过的承诺，"
        f"{len(cards) - with_pledges} 张暂无已通过的承诺（只印身份）。"
    )
    args.console.say(f"输出：{out_dir}/{CARDS}（用浏览器打开，A4 纵向打印，沿虚线对折）。")
    return 0
