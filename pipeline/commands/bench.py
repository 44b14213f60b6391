"""``pledge bench``: the benchmark of issue 6 (see ``pipeline.bench``)."""

from __future__ import annotations

import argparse

from pipeline.cli import add_as_of
from pipeline.settings import SETTINGS_FILE
from pipeline.synth import DEFAULT_SEED, SCALES


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_as_of(p)
    p.add_argument("--scale", choices=list(SCALES), default="city", help="规模：school（约 20 个单位）、city（约 400 个）、county（约 2000 个）")
    p.add_argument("--repeat", type=int, default=0, help="每项测量的次数（默认：短于 30 秒的测 3 次取中位数，否则 1 次）")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="模拟数据的随机种子")
    p.add_argument("--profile", action="store_true", help="另做一次单进程 cProfile 剖析，按阶段统计耗时")
    p.add_argument("--skip", default="", help="跳过的测量，逗号分隔：floor,naive,warm,templates")


def run(args: argparse.Namespace) -> int:
    from pipeline.bench import run_bench

    skip = tuple(s.strip() for s in args.skip.split(",") if s.strip())
    run_bench(args.scale, args.as_of, args.outputs, args.inputs / SETTINGS_FILE, repeat=args.repeat, seed=args.seed,
              profile=args.profile, skip=skip, say=args.console.say)
    return 0
