"""``pledge uses --as-of``: 考评结果运用.xlsx — 先进基层党组织 / 优秀共产党员 recommendations,
预备党员转正 and 不合格党员处置 references, each entry with its evidence (notice 二(四))."""

from __future__ import annotations

import argparse

from pipeline.cli.common import add_as_of


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_as_of(p)
    p.add_argument("--no-cache", action="store_true", help="不使用解析缓存，全部重新读取")


def run(args: argparse.Namespace) -> int:
    from pipeline.cli.ratings import run_ratings
    from pipeline.infra.atomic import OutputStage, run_lock
    from pipeline.jobs.uses import USES_FILE, build_uses, write_uses

    out_dir = args.outputs / args.as_of.isoformat()
    with run_lock(args.outputs):
        result, _f, c, _ev = run_ratings(args.inputs, args.outputs, args.as_of, use_cache=not args.no_cache)
        lists = build_uses(c, result, args.inputs, args.outputs, args.as_of)
        with OutputStage(out_dir, owned={USES_FILE}) as stage:
            write_uses(lists, c.settings, args.as_of, stage.path(USES_FILE))
    counts = "、".join(f"{name} {len(df)} 条" for name, df in lists.items())
    args.console.say(f"考评结果运用（统计截止 {args.as_of:%Y-%m-%d}）：{counts}。输出：{out_dir / USES_FILE}")
    return 0
