"""``pledge filing --as-of``: the review and filing workbooks (审核备案, notice 二(二)).

Writes ``outputs/<as-of>/备案/备案审核表.xlsx`` (the branches' items, reviewed by the
office) and ``上报备案表.xlsx`` (the committee's own items, for the level above), both
prefilled from the ledger with the decisions already read back from ``inputs/office/``.
"""

from __future__ import annotations

import argparse

from pipeline.cli.common import add_as_of


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_as_of(p)
    p.add_argument("--no-cache", action="store_true", help="不使用解析缓存，全部重新读取")


def run(args: argparse.Namespace) -> int:
    from pipeline.infra.atomic import OutputStage, run_lock
    from pipeline.jobs.consolidate import run_consolidation
    from pipeline.jobs.office import FILING_DIR, filing_summary, write_filing_forms
    from pipeline.office import forms as O

    out_dir = args.outputs / args.as_of.isoformat()
    with run_lock(args.outputs):
        c = run_consolidation(args.inputs, args.outputs, args.as_of, use_cache=not args.no_cache)
        with OutputStage(out_dir, owned={FILING_DIR}) as stage:
            written = write_filing_forms(c, stage.path(FILING_DIR))
    say = args.console.say
    say(f"{filing_summary(c)}（统计截止 {args.as_of:%Y-%m-%d}）。")
    for name, (_path, n) in written.items():
        say(f"  {name}：{n} 条 → {out_dir / FILING_DIR / (name + '.xlsx')}")
    say(
        f"审核后把填好的表放入 {args.inputs / O.OFFICE_INBOX}/，再运行 make consolidate：退回修改的理由会写进该单位的问题反馈表。"
    )
    return 0
