"""``pledge consolidate``: returned workbooks -> ledger, problem list, feedback."""

from __future__ import annotations

import argparse

from pipeline.cli.common import add_as_of


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_as_of(p)
    p.add_argument("--strict", action="store_true", help="有“错误”级问题时以退出码 1 结束")
    p.add_argument("--no-cache", action="store_true", help="不使用解析缓存，全部重新读取")


def run(args: argparse.Namespace) -> int:
    from pipeline.core.findings import ERROR
    from pipeline.infra import background
    from pipeline.infra.atomic import DISCARDED, OutputStage, empty_discarded, run_lock
    from pipeline.infra.written_cache import WrittenCache
    from pipeline.jobs.consolidate import (
        BRANCH_DIR,
        FEEDBACK_DIR,
        LEDGER,
        run_consolidation,
        summary_lines,
        write_outputs,
    )
    from pipeline.outputs.slices import SliceStore

    with run_lock(args.outputs):
        cache = args.outputs / ".cache" if not args.no_cache else None
        discarded = cache / DISCARDED if cache is not None else None
        if discarded is not None and discarded.is_dir():
            background.start(empty_discarded, discarded)  # the last run's replaced folder, on the other core
        c = run_consolidation(args.inputs, args.outputs, args.as_of, use_cache=not args.no_cache)
        with OutputStage(
            args.outputs / args.as_of.isoformat(),
            owned={LEDGER, FEEDBACK_DIR, BRANCH_DIR},
            discard_to=discarded,
        ) as stage:
            table = write_outputs(c, stage, WrittenCache(cache), SliceStore(cache))
    for line in summary_lines(c, args.outputs / args.as_of.isoformat(), table):
        args.console.say(line)
    if args.strict and c.count(ERROR):
        return 1
    return 0
