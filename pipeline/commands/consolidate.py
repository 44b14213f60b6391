"""``pledge consolidate``: returned workbooks -> ledger, problem list, feedback."""

from __future__ import annotations

import argparse
import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.atomic import OutputStage, run_lock
from pipeline.branch_ledger import BRANCH_DIR
from pipeline.branch_ledger_writer import write_branch_ledgers
from pipeline.cache import ParseCache
from pipeline.cli import add_as_of
from pipeline.consolidate import INBOX, Consolidation, consolidate
from pipeline.feedback_writer import write_feedback
from pipeline.findings import ERROR, NOTICE, Finding
from pipeline.intake import Archive, discover
from pipeline.ledger_writer import write_ledger
from pipeline.parallel import Jobs, without_gc
from pipeline.progress import file_progress
from pipeline.roster import load_roster
from pipeline.settings import load_settings
from pipeline.textnorm import safe_filename
from pipeline.written_cache import WrittenCache, run_pickled

LEDGER = "台账.xlsx"
FEEDBACK_DIR = "反馈"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_as_of(p)
    p.add_argument("--strict", action="store_true", help="有“错误”级问题时以退出码 1 结束")
    p.add_argument("--no-cache", action="store_true", help="不使用解析缓存，全部重新读取")


def run_consolidation(inputs: Path, outputs: Path, as_of: dt.date, use_cache: bool = True) -> Consolidation:
    """Load settings and roster, consolidate, archive; no output files."""
    settings = load_settings(inputs)
    roster = load_roster(inputs)
    cache = ParseCache(outputs / ".cache" if use_cache else None, settings.fingerprint())
    archive = Archive(outputs / "archive")
    n_files = len(discover(inputs / INBOX))
    with file_progress(n_files) as bar:
        c = consolidate(inputs, settings, roster, as_of, cache=cache, archive=archive, progress=bar)
    archive.save()
    return c


@without_gc  # issue 6: see pipeline.parallel.without_gc
def write_outputs(c: Consolidation, stage: OutputStage, kept: WrittenCache | None = None) -> None:
    """Write the ledger, change report, feedback workbooks and branch ledgers into ``stage``.
    ``kept``: files of the last run to reuse where a unit's job did not change."""
    from pipeline.changes_writer import write_changes

    kept = kept or WrittenCache(None)
    # One workbook per unit (feedback, branch ledger) goes to worker processes while this
    # one writes the school ledger: every file is independent of the others (issue 6).
    with Jobs(
        expected=2 * len(c.used), preload=("pipeline.feedback_writer", "pipeline.branch_ledger_writer")
    ) as jobs:

        def submit(fn: Callable[..., None], path: Path, *args: Any) -> None:
            todo = kept.job(fn, path, *args)
            if todo is not None:
                jobs.submit(run_pickled, fn, path, *todo)

        # 变更记录.xlsx (issue 4), while the workers start; its T101 notices join 问题清单
        c.findings.extend(write_changes(c, stage))
        stage.owned = (stage.owned or set()) | {FEEDBACK_DIR}
        by_file: dict[tuple[str, str], list[Finding]] = defaultdict(list)
        for f in c.findings:
            by_file[(f.unit_code, f.file)].append(f)
        for code, ur in c.used.items():
            unit_findings = by_file.get((code, ur.file.rel), [])
            if not unit_findings:
                continue
            name = f"{safe_filename(code, 20)}_{safe_filename(ur.unit_name)}_问题反馈.xlsx"
            submit(
                write_feedback,
                stage.path(f"{FEEDBACK_DIR}/{name}"),
                ur.file.path,
                unit_findings,
                ur.unit_name,
                (ur.file.sha256, ur.file.size),
            )
        write_branch_ledgers(c, stage, submit)  # 支部台账/ (pipeline.branch_ledger_writer)
        write_ledger(c, stage.path(LEDGER))
    kept.prune()


def summary_lines(c: Consolidation, out_dir: Path) -> list[str]:
    got = len(c.used)
    total = len(c.roster.codes)
    missing = [f"{code} {c.roster.unit_name(code)}" for code in c.missing_units]
    lines = [
        f"统计截止 {c.as_of:%Y-%m-%d}：共收到 {len(c.files)} 个文件，{total} 个单位中 {got} 个已报送，{total - got} 个未报送。",
    ]
    if missing:
        lines.append(f"  未报送：{'、'.join(missing)}")
    if c.unreadable:
        lines.append(f"  无法读取的文件 {len(c.unreadable)} 个：{'、'.join(f.rel for f in c.unreadable)}")
    if c.unidentified:
        lines.append(
            f"  无法识别单位或不是承诺表的文件 {len(c.unidentified)} 个：{'、'.join(f.rel for f in c.unidentified)}"
        )
    if c.superseded:
        lines.append(
            f"  已被新版本替代的文件 {len(c.superseded)} 个：{'、'.join(f.rel for f, _ in c.superseded)}"
        )
    lines.append(
        f"党员承诺 {len(c.members)} 项，组织承诺 {len(c.orgs)} 项；发现错误 {c.count(ERROR)} 处、提醒 {c.count(NOTICE)} 处。"
    )
    lines.append(
        f"输出：{out_dir}/{LEDGER}（台账和问题清单），{out_dir}/{FEEDBACK_DIR}/（各单位问题反馈表），{out_dir}/{BRANCH_DIR}/（各支部台账），{out_dir}/变更记录.xlsx（与上次报送相比的变化）。"
    )
    return lines


def run(args: argparse.Namespace) -> int:
    with run_lock(args.outputs):
        c = run_consolidation(args.inputs, args.outputs, args.as_of, use_cache=not args.no_cache)
        with OutputStage(
            args.outputs / args.as_of.isoformat(), owned={LEDGER, FEEDBACK_DIR, BRANCH_DIR}
        ) as stage:
            write_outputs(c, stage, WrittenCache(args.outputs / ".cache" if not args.no_cache else None))
    for line in summary_lines(c, args.outputs / args.as_of.isoformat()):
        args.console.say(line)
    if args.strict and c.count(ERROR):
        return 1
    return 0
