"""The roll-up job (``make rollup``, ``pledge rollup``, issue 16): the lower offices' ledgers
in ``inputs/下级台账/`` (or ``--from``) → ``outputs/<AS_OF>/汇总上报/`` 汇总台账.xlsx and
汇总通报.docx (numbered in the register ``outputs/documents/发文登记.csv``).

Needs only the level above's own ``campaign.toml`` (no roster, no member workbooks).
The caller holds the run lock; the outputs are written through one
:class:`~pipeline.infra.atomic.OutputStage` and the register only after it is in place.
The bulletin is written in a forked child (:mod:`pipeline.infra.background`) while this
process writes the ledger; where nothing forks, before it, here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.settings import load_settings
from pipeline.infra import background
from pipeline.infra.atomic import OutputStage
from pipeline.intake.inbox import Archive
from pipeline.jobs.rollup import INBOX, Rollup, rollup
from pipeline.outputs.documents import DocumentSettings, Issued, Register, document_settings
from pipeline.outputs.rollup_bulletin import KIND_ROLLUP, title_of
from pipeline.outputs.rollup_ledger import write_rollup_ledger

OUT_DIR = "汇总上报"
LEDGER = "汇总台账.xlsx"
BULLETIN = "汇总通报.docx"


@dataclass
class RollupRun:
    rollup: Rollup
    out_dir: Path
    issued: Issued | None


def read_rollup(inputs: Path, outputs: Path | None, as_of: dt.date, source: Path | None = None) -> Rollup:
    """Settings, then every ledger of ``source`` (default ``inputs/下级台账``); archived
    under ``outputs/archive/下级台账/`` when ``outputs`` is given. No output files."""
    settings = load_settings(inputs)
    archive = Archive(outputs / "archive" / INBOX) if outputs is not None else None
    r = rollup(source or inputs / INBOX, settings, as_of, archive=archive)
    if archive is not None and archive.rows:
        archive.save()
    return r


def run_rollup(
    inputs: Path, outputs: Path, as_of: dt.date, source: Path | None = None, bulletin: bool = True
) -> RollupRun:
    """Read, then write the roll-up's ledger (and its bulletin) atomically."""
    ds = document_settings(load_settings(inputs))  # a wrong [documents] key stops before any work
    register = Register.open(outputs) if bulletin else None
    r = read_rollup(inputs, outputs, as_of, source)
    issued = register.assign(KIND_ROLLUP, as_of, ds, title=title_of(r)) if register else None
    out_dir = outputs / as_of.isoformat()
    r.table()  # the figures both outputs show, computed once before the bulletin's fork
    with OutputStage(out_dir, owned={OUT_DIR}) as stage:
        ledger = stage.path(f"{OUT_DIR}/{LEDGER}")
        if issued is None:
            write_rollup_ledger(r, ledger)
        else:
            task = background.start(_write_bulletin, r, ds, issued, stage.path(f"{OUT_DIR}/{BULLETIN}"))
            try:
                write_rollup_ledger(r, ledger)
            finally:
                task.wait()  # in the stage before it is committed (a failed child: written here)
    if register is not None and issued is not None:
        register.record(issued)
    return RollupRun(r, out_dir / OUT_DIR, issued)


def _write_bulletin(r: Rollup, ds: DocumentSettings, issued: Issued, path: Path) -> None:
    from pipeline.outputs.rollup_bulletin import rollup_document  # python-docx only here

    rollup_document(r, ds, issued).save(path)
