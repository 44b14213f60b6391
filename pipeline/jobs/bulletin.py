"""Issue the bulletin: number it from the register, write 通报.html and 通报.docx, and
each branch's own bulletin under 支部通报/, then record the number.

The caller holds the run lock. Everything is written through one
:class:`~pipeline.infra.atomic.OutputStage`; the register is written only after the
stage is in place, so a failed run consumes no number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.core.settings import load_settings
from pipeline.infra.atomic import OutputStage, write_text_atomic
from pipeline.jobs.consolidate import run_consolidation
from pipeline.outputs.branch_bulletin import BRANCH_DIR, branch_contexts, render_branch
from pipeline.outputs.bulletin import bulletin_context, render_context
from pipeline.outputs.bulletin_docx import branch_document, bulletin_document, document_context
from pipeline.outputs.documents import KIND_BULLETIN, Entry, Issued, Register, document_settings
from pipeline.outputs.official import use_cache as use_docx_cache

BULLETIN_FILE = "通报.html"
BULLETIN_DOCX = "通报.docx"


@dataclass
class BulletinRun:
    ctx: dict[str, Any]
    issued: Issued
    out_dir: Path
    branches: list[dict[str, Any]] = field(default_factory=list)
    clash: Entry | None = None  # another bulletin already has this 期号 (after --issue)


def issue_bulletin(
    inputs: Path, outputs: Path, as_of: dt.date, override: int | None = None, use_cache: bool = True
) -> BulletinRun:
    ds = document_settings(load_settings(inputs))  # a wrong [documents] key stops before any work
    use_docx_cache(outputs / ".cache" if use_cache else None)  # the set-up blank document
    register = Register.open(outputs)  # so does an unreadable register
    c = run_consolidation(inputs, outputs, as_of, use_cache=use_cache)
    issued = register.assign(KIND_BULLETIN, as_of, ds, override=override)
    ctx = bulletin_context(c, issued.entry.issue)
    issued = issued.titled(ctx["title"])
    ctx["document"] = document_context(ds, issued, as_of)
    branches = branch_contexts(c, ctx)
    out_dir = outputs / as_of.isoformat()
    with OutputStage(out_dir, owned={BULLETIN_FILE, BULLETIN_DOCX, BRANCH_DIR}) as stage:
        write_text_atomic(stage.path(BULLETIN_FILE), render_context(ctx))
        bulletin_document(ctx).save(stage.path(BULLETIN_DOCX))
        for b in branches:
            write_text_atomic(stage.path(f"{BRANCH_DIR}/{b['stem']}.html"), render_branch(b))
            branch_document(b, c.settings.year).save(stage.path(f"{BRANCH_DIR}/{b['stem']}.docx"))
    clash = register.clash(issued)
    register.record(issued)
    return BulletinRun(ctx, issued, out_dir, branches, clash)
