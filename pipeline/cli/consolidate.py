"""``pledge consolidate``: returned workbooks -> ledger, problem list, feedback."""

from __future__ import annotations

import argparse

from pipeline.cli.common import add_as_of


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_as_of(p)
    p.add_argument("--strict", action="store_true", help="有“错误”级问题时以退出码 1 结束")
    p.add_argument("--no-cache", action="store_true", help="不使用解析缓存，全部重新读取")


def run(args: argparse.Namespace) -> int:
    import functools

    from pipeline.core.findings import ERROR
    from pipeline.infra import background, hashing
    from pipeline.infra.atomic import DISCARDED, OutputStage, empty_discarded, run_lock
    from pipeline.infra.written_cache import WrittenCache
    from pipeline.jobs.consolidate import (
        BRANCH_DIR,
        FEEDBACK_DIR,
        LEDGER,
        previous_unit_folders,
        run_consolidation,
        summary_lines,
        write_outputs,
    )
    from pipeline.outputs.slices import SliceStore

    with run_lock(args.outputs):
        cache = args.outputs / ".cache" if not args.no_cache else None
        discarded = cache / DISCARDED if cache is not None else None
        # On the other core while this run consolidates: the last run's replaced folder
        # removed, then the last run's unit workbooks hashed (a warm run links the
        # unchanged ones once their bytes are checked)
        empty = functools.partial(empty_discarded, discarded) if discarded and discarded.is_dir() else None
        target = args.outputs / args.as_of.isoformat()
        started = cache is not None and hashing.prehash(previous_unit_folders(target), first=empty)
        if not started and empty is not None:
            background.start(empty)
        try:
            c = run_consolidation(args.inputs, args.outputs, args.as_of, use_cache=not args.no_cache)
            with OutputStage(
                target,
                owned={LEDGER, FEEDBACK_DIR, BRANCH_DIR},
                discard_to=discarded,
            ) as stage:
                table = write_outputs(c, stage, WrittenCache(cache), SliceStore(cache))
        finally:
            hashing.cancel()
    for line in summary_lines(c, target, table):
        args.console.say(line)
    if args.strict and c.count(ERROR):
        return 1
    return 0
