"""The consolidation job: returned workbooks -> ledger, problem list, feedback, branch ledgers.

A library function that every command needing the consolidated data calls
(:func:`run_consolidation`), and the writer of the consolidation's own outputs
(:func:`write_outputs`). No argument parsing here: that is :mod:`pipeline.cli.consolidate`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from pipeline.core.findings import ERROR, NOTICE, Finding
from pipeline.core.settings import load_settings
from pipeline.infra import background, hashing
from pipeline.infra.atomic import OutputStage
from pipeline.infra.parallel import MIN_JOBS, without_gc
from pipeline.intake.inbox import Archive, discover
from pipeline.jobs.consolidation import INBOX, Consolidation, Laps, consolidate, unit_figures
from pipeline.jobs.office import apply_office, filing_summary
from pipeline.jobs.snapshot import SnapshotStore, inputs_digest, snapshot_key
from pipeline.rules.calendar import outside_campaign

if TYPE_CHECKING:
    from pipeline.infra.cache import ParseCache
    from pipeline.infra.parallel import Jobs
    from pipeline.infra.progress import file_progress
    from pipeline.infra.written_cache import WrittenCache, resolved, run_kept
    from pipeline.outputs.branch_ledger import BRANCH_DIR
    from pipeline.outputs.branch_ledger_xlsx import write_branch_ledgers
    from pipeline.outputs.feedback import write_feedback
    from pipeline.outputs.ledger import write_ledger
    from pipeline.outputs.slices import SliceStore
    from pipeline.outputs.template import unit_forms
    from pipeline.read.textnorm import safe_filename
    from pipeline.rules.figures import FigureTable
    from pipeline.rules.roster import Roster, load_roster

# What only a consolidation (a snapshot miss) or the writing of its outputs needs loads
# when first used, not with this module: a command that loads a snapshot imports no
# workbook writer, Jinja or parse cache (issue 16). They are still attributes of this
# module (``job.write_feedback``; tests and the bench replace them here): ``_need``
# leaves a replaced one in place.
_LAZY = {
    "ParseCache": "pipeline.infra.cache",
    "Jobs": "pipeline.infra.parallel",
    "file_progress": "pipeline.infra.progress",
    "WrittenCache": "pipeline.infra.written_cache",
    "run_kept": "pipeline.infra.written_cache",
    "resolved": "pipeline.infra.written_cache",
    "BRANCH_DIR": "pipeline.outputs.branch_ledger",
    "write_branch_ledgers": "pipeline.outputs.branch_ledger_xlsx",
    "write_feedback": "pipeline.outputs.feedback",
    "write_ledger": "pipeline.outputs.ledger",
    "unit_forms": "pipeline.outputs.template",
    "safe_filename": "pipeline.read.textnorm",
    "load_roster": "pipeline.rules.roster",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def _need(*names: str) -> None:
    """Load the lazy ``names`` this function is about to use (kept if already set)."""
    for name in names:
        if name not in globals():
            __getattr__(name)


LEDGER = "台账.xlsx"
POOL_AFTER = 12  # per-unit jobs not reused before a warm run starts its worker processes
FEEDBACK_DIR = "反馈"


def run_consolidation(inputs: Path, outputs: Path, as_of: dt.date, use_cache: bool = True) -> Consolidation:
    """Load settings and roster, consolidate, archive; no output files. With ``use_cache``
    a consolidation of the same inputs for the same AS_OF by the same code is loaded from
    its snapshot instead (:mod:`pipeline.jobs.snapshot`): one consolidation for
    ``make consolidate bulletin notice``."""
    settings = load_settings(inputs)  # checked whole at every start, snapshot or not
    snapshots = SnapshotStore(outputs / ".cache" if use_cache else None)
    manifest = Archive(outputs / "archive").manifest_path
    digest = inputs_digest(inputs) if use_cache else ""
    if use_cache:
        start = time.perf_counter()
        kept = snapshots.get(snapshot_key(digest, as_of, manifest), settings, Archive(outputs / "archive"))
        if kept is not None:
            kept.timings = {"snapshot": round(time.perf_counter() - start, 4)}
            apply_office(kept, inputs, outputs)
            return kept
    _need("load_roster", "ParseCache", "file_progress")
    roster = cached_roster(
        inputs, ParseCache(outputs / ".cache" if use_cache else None, settings.fingerprint())
    )
    cache = ParseCache(
        outputs / ".cache" if use_cache else None, settings.fingerprint()
    )  # counts returns only
    archive = Archive(outputs / "archive")
    files = discover(inputs / INBOX)
    with file_progress(len(files)) as bar:
        c = consolidate(
            inputs, settings, roster, as_of, cache=cache, archive=archive, progress=bar, files=files
        )
    archive.save()
    if use_cache and inputs_digest(inputs) == digest:  # nothing arrived meanwhile
        # keyed by the manifest as this run leaves it: what the next run starts from
        # on the other core where it can (infra.background): done before the run lock is released
        background.start(snapshots.put, snapshot_key(digest, as_of, manifest), c, cache.encoded, rerun=False)
    # Filing decisions (inputs/office/, issue 15) after the snapshot, on every run: the
    # snapshot holds the consolidation of the returns; the office's decisions (part of
    # the inputs' digest) are applied to it afresh.
    apply_office(c, inputs, outputs)
    return c


def cached_roster(inputs: Path, cache: ParseCache) -> Roster:
    """:func:`load_roster`, kept in the parse cache by the roster file's content: a
    county's roster (50,000 members) is read and checked once, not on every run."""
    from pipeline.rules.roster import ROSTER_FILE, Roster

    path = inputs / ROSTER_FILE
    try:
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return load_roster(inputs)  # says what is wrong with it
    kept = cache.get(sha, ROSTER_CACHE_NAME, expect=Roster)
    if kept is not None:
        return cast(Roster, kept)
    roster = load_roster(inputs)
    cache.put(sha, ROSTER_CACHE_NAME, roster)
    return roster


ROSTER_CACHE_NAME = "roster.xlsx#roster"  # the parse cache's name for a roster entry


@without_gc  # issue 6: see pipeline.infra.parallel.without_gc
def write_outputs(
    c: Consolidation, stage: OutputStage, kept: WrittenCache | None = None, slices: SliceStore | None = None
) -> FigureTable:
    """Write the ledger, change report, feedback workbooks and branch ledgers into ``stage``.
    ``kept``: files of the last run to reuse where a unit's job did not change; ``slices``:
    the ledger's unit slices of the last run (:mod:`pipeline.outputs.slices`). Returns the
    unit figures they were written with (for :func:`summary_lines`)."""
    from pipeline.jobs.changes import collect_changes
    from pipeline.outputs.changes import CHANGES_FILE, CHANGES_SLICES, write_change_report

    _need(
        "Jobs",
        "WrittenCache",
        "run_kept",
        "resolved",
        "write_branch_ledgers",
        "write_feedback",
        "write_ledger",
        "unit_forms",
        "safe_filename",
    )
    kept = kept or WrittenCache(None)
    hashing.collect()  # the last outputs' hashes, made on the other core (pipeline.cli.consolidate)
    clock = Laps(c.timings, "write.")
    # 变更记录.xlsx (issue 4): its T101 notices join 问题清单; the workbook itself is written
    # on the other core where it can (infra.background) while this process goes on, or
    # here once this process is done with the rest.
    changes = collect_changes(c, stage.target.parent, use_cache=kept.root is not None)
    c.findings.extend(f for u in changes for f in u.findings)
    clock("changes")
    table = unit_figures(c)  # once for 汇总 and the branch ledgers' 概况
    clock("figures")
    # One workbook per unit (feedback, branch ledger) goes to worker processes where there
    # are enough to write: every file is independent of the others (issue 6). The workers
    # start at once when few of the last run's files are kept (a cold run), else once
    # POOL_AFTER jobs are not reused (a warm run after 1 % of the units re-sent writes ~40
    # workbooks: on one core that is longer than starting the workers).
    warm = kept.kept_count()
    expected = 2 * len(c.used) - warm
    with Jobs(
        min_jobs=POOL_AFTER if warm else MIN_JOBS,
        expected=expected if expected >= MIN_JOBS else 0,
        preload=("pipeline.outputs.feedback", "pipeline.outputs.branch_ledger_xlsx"),
    ) as jobs:
        # The school ledger (and its slices' pruning): where the workers already use both
        # cores (a cold run) it is written here once every job is queued; else on the
        # other core where it can (a forked child would copy the pages of the frames it
        # reads: a cold county run's tree stayed under 1 GB only without it).
        ledger = (
            None
            if jobs.started
            else background.start(_ledger_and_slices, c, stage.path(LEDGER), slices, table)
        )
        # The change report after the ledger on the other core: by the time this process
        # waits for it, it has usually not begun, and is written here beside the ledger
        # (infra.background takes over a task whose turn has not come).
        report = background.start(
            write_change_report,
            c,
            changes,
            stage.path(CHANGES_FILE),
            slices.beside(CHANGES_SLICES) if slices is not None else None,
        )

        def submit(fn: Callable[..., None], path: Path, *args: Any) -> None:
            keep = kept.job(fn, path, *args, previous=stage.previous(path))
            if keep is not True:  # not reused: written by a worker (and kept for the next run)
                jobs.submit(run_kept, fn, path, resolved(args), keep or None)

        stage.owned = (stage.owned or set()) | {FEEDBACK_DIR}
        by_file: dict[tuple[str, str], list[Finding]] = defaultdict(list)
        for f in c.findings:
            by_file[(f.unit_code, f.file)].append(f)
        forms = {f.unit_code: f for f in unit_forms(c.roster)}  # feedback is the unit's template
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
                forms.get(code),
                c.settings,
            )
        clock("feedback")
        write_branch_ledgers(c, stage, submit, table)  # 支部台账/ (pipeline.outputs.branch_ledger_xlsx)
        clock("branch_ledgers")
        if ledger is None:
            _ledger_and_slices(c, stage.path(LEDGER), slices, table)
            clock("ledger")
    clock("workers")
    report.wait(take_over=True)  # here, if the other core has not begun it (its ledger first)
    if ledger is not None:
        ledger.wait()
    clock("background")
    kept.prune()
    return table


def previous_unit_folders(target: Path) -> list[Path]:
    """The folders of the unit workbooks (feedback, then branch ledgers) in the outputs at
    ``target``: a warm run links the unchanged ones into its own outputs once their bytes
    are checked (:meth:`pipeline.infra.written_cache.WrittenCache.job`)."""
    _need("BRANCH_DIR")
    return [target / FEEDBACK_DIR, target / BRANCH_DIR]


def _ledger_and_slices(c: Consolidation, path: Path, slices: SliceStore | None, table: FigureTable) -> None:
    """台账.xlsx, then the slices it did not use removed (a background task: its own process)."""
    _need("write_ledger")
    write_ledger(c, path, slices, table)
    if slices is not None:
        slices.prune()


def summary_lines(c: Consolidation, out_dir: Path, table: FigureTable | None = None) -> list[str]:
    """The run's summary for the console; ``table``: the figures the outputs were written
    with (computed again when not given)."""
    _need("BRANCH_DIR")
    got = len(c.used)
    total = len(c.roster.codes)
    missing = [f"{code} {c.roster.unit_name(code)}" for code in c.missing_units]
    lines = [
        f"统计截止 {c.as_of:%Y-%m-%d}：共收到 {len(c.files)} 个文件，{total} 个单位中 {got} 个已报送，{total - got} 个未报送。",
    ]
    note = outside_campaign(c.as_of, c.settings)
    if note:
        lines.insert(0, f"注意：{note}")
    if missing:
        lines.append(f"  未报送：{'、'.join(missing)}")
    if c.later:
        lines.append(
            f"  另有 {len(c.later)} 个文件在 {c.as_of:%Y-%m-%d} 之后才收到，按当天的情况不计入：{'、'.join(f.rel for f in c.later)}"
        )
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
    school = (table or unit_figures(c)).school
    excluded = f"（另有 {len(c.excluded)} 项党员编号有误，未纳入统计，见问题清单）" if len(c.excluded) else ""
    lines.append(
        f"党员承诺 {len(c.members)} 项{excluded}，组织承诺 {len(c.orgs)} 项；跟踪中承诺 {school.tracked} 项，"
        f"完成合计 {school.done_total} 项（按期完成 {school.on_time}、逾期完成 {school.done_late}），"
        f"逾期未完成 {school.overdue} 项；发现错误 {c.count(ERROR)} 处、提醒 {c.count(NOTICE)} 处。"
    )
    if "filing" in c.orgs:
        lines.append(f"  {filing_summary(c)}（审核备案：make filing）。")
    lines.append(
        f"输出：{out_dir}/{LEDGER}（台账和问题清单），{out_dir}/{FEEDBACK_DIR}/（各单位问题反馈表），{out_dir}/{BRANCH_DIR}/（各支部台账），{out_dir}/变更记录.xlsx（与上次报送相比的变化）。"
    )
    return lines
