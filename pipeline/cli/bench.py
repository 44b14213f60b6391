"""``pledge bench``: the benchmark of issue 6 (see ``pipeline.tooling.bench``).

The benchmark runs in a fresh, lean process (``python -m pipeline.tooling.bench run``): the
peak RSS the kernel reports for a child includes the size of the process that forked
it, and this CLI process has already imported every command."""

from __future__ import annotations

import argparse
import subprocess
import sys

from pipeline.cli.common import add_as_of

SCALES = ("school", "city", "county", "tiny")  # = pipeline.tooling.synth.SCALES
DEFAULT_SEED = 23625  # = pipeline.tooling.synth.DEFAULT_SEED


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_as_of(p)
    p.add_argument(
        "--scale",
        choices=SCALES,
        default="city",
        help="规模：school（约 20 个单位）、city（约 400 个）、county（约 2000 个）",
    )
    p.add_argument(
        "--repeat", type=int, default=0, help="每项测量的次数（默认：短于 30 秒的测 3 次取中位数，否则 1 次）"
    )
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="模拟数据的随机种子")
    p.add_argument("--profile", action="store_true", help="另做一次单进程 cProfile 剖析，按阶段统计耗时")
    p.add_argument(
        "--skip", default="", help="跳过的测量，逗号分隔：floor,naive,warm,incremental,templates,small,rollup"
    )


def run(args: argparse.Namespace) -> int:
    from pipeline.core.settings import SETTINGS_FILE
    from pipeline.tooling.bench import child_env

    argv = [
        sys.executable,
        "-m",
        "pipeline.tooling.bench",
        "run",
        args.scale,
        args.as_of.isoformat(),
        str(args.outputs),
        str(args.inputs / SETTINGS_FILE),
        "--repeat",
        str(args.repeat),
        "--seed",
        str(args.seed),
        "--skip",
        args.skip,
    ]
    if args.profile:
        argv.append("--profile")
    return subprocess.run(argv, env=child_env(), check=False).returncode
