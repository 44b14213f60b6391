"""``pledge demo``: regenerate the demo campaign (roster and returned workbooks) in inputs/,
never over real data (:mod:`pipeline.tooling.demo_install`)."""

from __future__ import annotations

import argparse

DEFAULT_SEED = 2010  # = pipeline.tooling.demo.DEFAULT_SEED (a test checks)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help=f"随机种子（默认 {DEFAULT_SEED}；同一种子生成的数据完全相同）",
    )


def run(args: argparse.Namespace) -> int:
    from pipeline.tooling.demo import RETURNS
    from pipeline.tooling.demo_install import MARKER, install_demo

    m = install_demo(args.inputs, args.seed)
    args.console.say(
        f"已生成演示数据：{len(m.units)} 个单位、{m.members} 名党员、{len(m.files)} 个报回文件"
        f"（其中 {len(m.planted)} 处有意设置的填报错误，用于演示问题清单）。"
    )
    args.console.say(
        f"花名册：{args.inputs / 'roster.xlsx'}；报回文件：{args.inputs / RETURNS}/（按 9 月、11 月两个子文件夹存放）。"
    )
    args.console.say(f"说明：{args.inputs / MARKER}（演示数据的标记，请勿把真实数据放进这个文件夹）。")
    return 0
