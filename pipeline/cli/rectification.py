"""``pledge rectification --as-of``: the rectification loop (整改 → 拟组织处理, notice 二(四)).

Computes the ratings of the day (``评价结果.xlsx`` is rewritten as by ``ratings``), issues a
整改情况表 to each unit on the 整改名单 (``outputs/<as-of>/整改通知/``), reads the units'
returns from ``inputs/rectification/`` and writes ``outputs/<as-of>/拟组织处理名单.xlsx``.
"""

from __future__ import annotations

import argparse

from pipeline.cli.common import add_as_of


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_as_of(p)
    p.add_argument("--no-cache", action="store_true", help="不使用解析缓存，全部重新读取")


def run(args: argparse.Namespace) -> int:
    from pipeline.cli.ratings import run_ratings
    from pipeline.infra.atomic import OutputStage, run_lock
    from pipeline.jobs.rectification import CANDIDATES_FILE, RECTIFY_DIR, run_rectification
    from pipeline.office import forms as O

    out_dir = args.outputs / args.as_of.isoformat()
    with run_lock(args.outputs):
        result, _findings, c, _ev = run_ratings(
            args.inputs, args.outputs, args.as_of, use_cache=not args.no_cache
        )
        with OutputStage(out_dir, owned={RECTIFY_DIR, CANDIDATES_FILE}) as stage:
            r = run_rectification(args.inputs, args.outputs, args.as_of, c.settings, c.roster, result, stage)
    say = args.console.say
    say(
        f"整改跟踪（统计截止 {args.as_of:%Y-%m-%d}）：下发整改情况表 {len(r.issued)} 份，跟踪 {len(r.progress)} 人（单位），"
        f"拟组织处理 {len(r.candidates)} 人（单位）。"
    )
    for row in r.candidates.to_dict("records"):
        say(f"  {row['单位名称']} {row['姓名'] or '（单位）'}：{row['处理建议']}")
    say(
        f"输出：{out_dir / RECTIFY_DIR}/（发给各单位），{out_dir / CANDIDATES_FILE}（提请领导小组研究）。"
        f"各单位填好的整改情况表放入 {args.inputs / O.RECTIFY_INBOX}/ 后再运行。"
    )
    return 0
