"""Synthetic data for the roll-up (issue 16): several schools, their ledgers, and the same
member workbooks as one single campaign.

:func:`ensure_rollup_data` writes under ``root``:

- ``schools/S01 …`` one synthetic campaign per school (:func:`pipeline.tooling.synth.ensure_campaign`
  with the prefix ``S01`` … on every unit code and member id, so codes are unique across
  schools, and its own ``[campaign] organisation``), each consolidated as the school would:
  its 台账.xlsx goes to ``level/下级台账/S01_台账.xlsx`` (saved at 18:00 on AS_OF, the campaign's time zone);
- ``level/`` the level above: its ``campaign.toml`` and the inbox of ledgers (``pledge rollup``);
- ``single/`` every school's member workbooks (hard links) with one roster of all their
  units: one consolidation over all of them (the figures the roll-up must equal).

:func:`time_rollup` times the roll-up against that single consolidation (the benchmark's
target: a roll-up of 20 school ledgers, 100 branches, ≤ 0.05× the single run).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.core.settings import SETTINGS_FILE
from pipeline.infra.atomic import atomic_path
from pipeline.outputs.xlsx import formats, new_workbook
from pipeline.read.reader import read_workbook
from pipeline.rules.roster import ROSTER_FILE
from pipeline.tooling.stamp import stamp_saved_time
from pipeline.tooling.synth import DEFAULT_SEED, RETURNS, Scale, ensure_campaign

SCHOOL = Scale(5, 75)  # a small school: its committee and four branches
LEVEL_ORGANISATION = "中共某县教育工作委员会"
INBOX = "下级台账"  # = pipeline.jobs.rollup.INBOX


@dataclass
class RollupData:
    root: Path
    as_of: dt.date
    schools: list[Path]  # each school's campaign folder (its inputs)
    ledgers: list[Path]  # each school's 台账.xlsx in level/下级台账/
    level: Path  # the level above's inputs folder
    single: Path  # all member workbooks with the combined roster
    organisations: list[str] = field(default_factory=list)


def school_prefix(k: int) -> str:
    return f"S{k:02d}"


def with_organisation(settings_text: str, organisation: str) -> str:
    """``settings_text`` with ``[campaign] organisation`` replaced."""
    out, n = re.subn(
        r'(?m)^organisation\s*=\s*".*"', f'organisation = "{organisation}"', settings_text, count=1
    )
    if not n:
        raise ValueError("campaign.toml has no [campaign] organisation line")
    return out


def _combined_roster(rosters: list[Path], path: Path) -> None:
    """One roster of every school's rows (cells copied as they are)."""
    with atomic_path(path) as tmp:
        wb = new_workbook(tmp, large=True)
        fmt = formats(wb)
        ws = wb.add_worksheet("花名册")
        r = 0
        for k, src in enumerate(rosters):
            grid = next(iter(read_workbook(src).sheets.values()))
            for i, row in enumerate(grid.rows):
                if i == 0 and k:
                    continue  # one header row
                for j, v in enumerate(row):
                    if v not in (None, ""):
                        ws.write_string(r, j, str(v), fmt["header" if r == 0 else "cell"])
                r += 1
        wb.close()


def _link_tree(src: Path, dst: Path) -> None:
    for p in sorted(src.rglob("*")):
        if p.is_file():
            target = dst / p.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(p, target)
            except OSError:
                shutil.copy2(p, target)


def ensure_rollup_data(
    root: Path,
    settings_source: Path,
    schools: int = 5,
    scale: Scale | str = SCHOOL,
    seed: int = DEFAULT_SEED,
    as_of: dt.date | None = None,
) -> RollupData:
    """Build (or reuse: the synthetic campaigns are cached by :mod:`pipeline.tooling.synth`)
    ``schools`` schools, their ledgers as of ``as_of`` (default: 20 November of the
    campaign year), the level above's inbox and the single-run folder."""
    from pipeline.jobs.consolidate import run_consolidation
    from pipeline.outputs.ledger import write_ledger

    text = settings_source.read_text(encoding="utf-8")
    root.mkdir(parents=True, exist_ok=True)
    level, single = root / "level", root / "single"
    for d in (level, single):
        if d.exists():
            shutil.rmtree(d)
    (level / INBOX).mkdir(parents=True)
    (single / RETURNS).mkdir(parents=True)
    (level / SETTINGS_FILE).write_text(with_organisation(text, LEVEL_ORGANISATION), encoding="utf-8")
    (single / SETTINGS_FILE).write_text(text, encoding="utf-8")
    folders, ledgers, organisations = [], [], []
    for k in range(1, schools + 1):
        prefix = school_prefix(k)
        folder = root / "schools" / prefix
        organisation = f"中共第{k:02d}学校委员会"
        source = root / "schools" / f"{prefix}.toml"
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_text(with_organisation(text, organisation), encoding="utf-8")
        ensure_campaign(scale, folder, source, seed=seed + k, prefix=prefix, workers=1)
        folders.append(folder)
        organisations.append(organisation)
    year = int(re.search(r"(?m)^year\s*=\s*(\d+)", text).group(1))  # type: ignore[union-attr]
    as_of = as_of or dt.date(year, 11, 20)
    from pipeline.core.settings import load_settings
    from pipeline.intake.received import campaign_zone

    saved = dt.datetime.combine(as_of, dt.time(18, 0), tzinfo=campaign_zone(load_settings(level)))
    with tempfile.TemporaryDirectory(prefix="rollup-schools-") as tmp:
        for folder in folders:
            c = run_consolidation(folder, Path(tmp) / folder.name, as_of, use_cache=False)
            path = level / INBOX / f"{folder.name}_台账.xlsx"
            write_ledger(c, path)
            stamp_saved_time(path, saved)
            ledgers.append(path)
    _combined_roster([f / ROSTER_FILE for f in folders], single / ROSTER_FILE)
    for folder in folders:
        _link_tree(folder / RETURNS, single / RETURNS / folder.name)
    return RollupData(root, as_of, folders, ledgers, level, single, organisations)


def time_rollup(data: RollupData, repeat: int = 3) -> dict[str, Any]:
    """Seconds (best of ``repeat``; wall and CPU including worker processes) of the roll-up of ``data``'s ledgers (read + 汇总台账 +
    汇总通报) and of one consolidation of all their member workbooks (read + every output
    of ``pledge consolidate``, no caches), and their ratio (the target: ≤ 0.05)."""
    from pipeline.infra.atomic import OutputStage
    from pipeline.jobs.consolidate import run_consolidation, write_outputs
    from pipeline.jobs.rollup_run import run_rollup

    def cpu() -> float:
        try:
            import resource  # POSIX only: elsewhere this process's CPU time alone
        except ImportError:
            return time.process_time()
        own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    def best(fn: Any) -> tuple[float, float]:
        """(wall, CPU of this process and its workers) seconds, best of ``repeat``."""
        times, cpus = [], []
        for _ in range(repeat):
            with tempfile.TemporaryDirectory(prefix="rollup-bench-") as tmp:
                t0, c0 = time.perf_counter(), cpu()
                fn(Path(tmp))
                times.append(time.perf_counter() - t0)
                cpus.append(cpu() - c0)
        return round(min(times), 4), round(min(cpus), 4)

    def single(out: Path) -> None:
        c = run_consolidation(data.single, out, data.as_of, use_cache=False)
        with OutputStage(out / data.as_of.isoformat()) as stage:
            write_outputs(c, stage)

    def rolled(out: Path) -> None:
        run_rollup(data.level, out, data.as_of)

    t_single, cpu_single = best(single)
    t_rollup, cpu_rollup = best(rolled)
    return {
        "schools": len(data.schools),
        "ledgers": len(data.ledgers),
        "units": sum(1 for _ in (data.single / RETURNS).glob("*/*-11/*.xlsx")),
        "single_seconds": t_single,
        "rollup_seconds": t_rollup,
        "ratio": round(t_rollup / t_single, 4) if t_single else None,
        "single_cpu_seconds": cpu_single,
        "rollup_cpu_seconds": cpu_rollup,
        "cpu_ratio": round(cpu_rollup / cpu_single, 4) if cpu_single else None,
        "target_ratio": 0.05,
    }
