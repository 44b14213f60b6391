"""The rectification loop (整改 → 组织处理), ``make rectification``.

1. The ratings of ``as_of`` give the 整改名单 (final grade 差); each unit on it that has
   not had a form for everyone listed gets a 整改情况表 in ``outputs/<as-of>/整改通知/``
   (deadline ``as_of + assessment.rectify_days``; a unit's earlier version — issued or
   returned — is carried in, so re-issuing never moves a deadline or loses what the unit
   wrote). Each issued form is archived under
   ``outputs/archive/rectification/`` as the first version of that unit's rectification.
2. The units' returns under ``inputs/rectification/`` are read like every office
   workbook (:func:`pipeline.office.reader.read_inbox`); the newest version per unit —
   issued or returned — is in use.
3. ``拟组织处理名单.xlsx``: rows past their deadline without 已整改 (candidates, with the
   history), every row's progress, the rule and the problems.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.assessment import scoring as S
from pipeline.assessment.policy import load_policy
from pipeline.core.findings import Finding, findings_frame
from pipeline.core.settings import Settings
from pipeline.infra.atomic import OutputStage, atomic_path
from pipeline.infra.hashing import file_hash
from pipeline.intake.inbox import Archive, InboxFile
from pipeline.office import forms as O
from pipeline.office.reader import read_inbox
from pipeline.office.rectify import follow_up, issue_rows, rule_text
from pipeline.office.workbook import write_office_workbook
from pipeline.outputs.sheet import write_frame
from pipeline.outputs.xlsx import formats, new_workbook, write_guide
from pipeline.read.textnorm import safe_filename
from pipeline.rules.roster import Roster

RECTIFY_DIR = "整改通知"
CANDIDATES_FILE = "拟组织处理名单.xlsx"
ISSUED = "下发"  # archived issued forms: original_path "下发/<as-of>/<file>"


@dataclass
class RectificationRun:
    issued: dict[str, Path]  # unit code -> issued form
    progress: pd.DataFrame
    candidates: pd.DataFrame
    findings: list[Finding] = field(default_factory=list)


def form_filename(code: str, name: str) -> str:
    return f"{safe_filename(code, 20)}_{safe_filename(name)}_{O.RECTIFY.name}.xlsx"


def archived_issued(outputs: Path) -> list[InboxFile]:
    """The issued forms in the archive, as inbox files (their issue date as the time)."""
    archive = Archive(outputs / "archive" / O.RECTIFY_INBOX)
    out = []
    for r in archive.rows:
        if not r["original_path"].startswith(f"{ISSUED}/"):
            continue
        blob = archive.blob(r["sha256"], Path(r["original_path"]).suffix)
        if blob.is_file():
            mtime = dt.datetime.strptime(r["mtime"], "%Y-%m-%d %H:%M:%S").timestamp()
            out.append(InboxFile(blob, r["original_path"], r["sha256"], int(r["size"] or 0), mtime))
    return out


def guide(s: Settings, unit_name: str, due: dt.date, as_of: dt.date) -> str:
    return "\n".join(
        [
            f"{unit_name}整改情况表（{as_of:%Y-%m-%d} 下发）",
            "一、依据",
            "通知二(四)：对考核评价为“差”的，经批评教育，在规定期限内仍无转变的，视情况进行组织处理。",
            "二、填写方法",
            f"每一行是本单位列入整改名单的党员（或本单位），整改期限 {due:%Y-%m-%d}。请填写“整改措施”“整改情况”“完成日期”，",
            "并在“整改结果”中选择：已整改 / 部分整改 / 未整改。灰色列由程序填写，请勿修改。",
            f"填好后发回{s.office}（{s.return_to}）。",
            "三、规则",
            rule_text(),
        ]
    )


def write_candidates(run: RectificationRun, path: Path, as_of: dt.date) -> None:
    with atomic_path(path) as tmp:
        wb = new_workbook(tmp)
        fmt = formats(wb)
        widths = {"评定依据": 40, "整改措施": 30, "整改情况": 30, "处理建议": 36, "领导小组意见": 20}
        for name, df in (("拟组织处理", run.candidates), ("整改进展", run.progress)):
            ws = wb.add_worksheet(name)
            write_frame(ws, df.astype(object).where(df.notna(), None), fmt, widths=widths)
        # One column as wide as a portrait page, each row as high as its wrapped text.
        write_guide(
            wb, fmt, "说明", f"拟组织处理名单（统计截止 {as_of:%Y-%m-%d}），提请领导小组研究\n{rule_text()}"
        )
        ws = wb.add_worksheet("问题清单")
        write_frame(ws, findings_frame(run.findings), fmt, widths={"说明": 70})
        wb.get_worksheet_by_name("拟组织处理").activate()
        wb.close()


def run_rectification(
    inputs: Path,
    outputs: Path,
    as_of: dt.date,
    settings: Settings,
    roster: Roster,
    result: S.Assessment,
    stage: OutputStage,
    now: dt.datetime | None = None,
) -> RectificationRun:
    """Issue the forms for the current 整改名单 and follow up the versions in use."""
    now = now or dt.datetime.now()
    policy = load_policy(settings)
    names = roster.names
    inbox = read_inbox(
        inputs, outputs, O.RECTIFY_INBOX, settings, roster, now, extra=archived_issued(outputs)
    )
    rows = inbox.frame(O.RECTIFY, prefilled_rows=True)
    previous = {(r["key"], r["member_id"]): r for r in rows.to_dict("records")}
    rect = S.rectify(result.members, result.units, as_of, policy)
    by_name = {n: c for c, n in names.items()}
    ids = {
        (u, n): m
        for u, n, m in zip(
            roster.members["unit_code"], roster.members["name"], roster.members["member_id"], strict=True
        )
    }
    due = as_of + dt.timedelta(days=policy.rectify_days)
    issued: dict[str, Path] = {}
    archive = Archive(outputs / "archive" / O.RECTIFY_INBOX)
    at_issue = dt.datetime.combine(as_of, dt.time()).timestamp()
    for code, form_rows in issue_rows(rect, by_name, ids, due, previous).items():
        if all((code, r["member_id"]) in previous for r in form_rows):
            continue  # already issued (or returned) for everyone on the list: nothing new to send
        name = form_filename(code, names[code])
        path = stage.path(f"{RECTIFY_DIR}/{name}")
        write_office_workbook(
            path,
            O.RECTIFY,
            settings,
            form_rows,
            guide(settings, names[code], due, as_of),
            key=code,
            key_name=names[code],
        )
        issued[code] = path
        f = InboxFile(
            path, f"{ISSUED}/{as_of.isoformat()}/{name}", file_hash(path), path.stat().st_size, at_issue
        )
        if not archive.has_content(f.sha256):
            archive.add(f, code, O.RECTIFY.name, now)
    archive.save()
    # Follow up the versions in use now that this run's forms are issued (the first
    # issue of a unit is its only version until the unit returns the form).
    inbox = read_inbox(
        inputs, outputs, O.RECTIFY_INBOX, settings, roster, now, extra=archived_issued(outputs)
    )
    progress, candidates, found = follow_up(inbox.frame(O.RECTIFY, prefilled_rows=True), as_of, names)
    run = RectificationRun(issued, progress, candidates, [*inbox.findings, *found])
    write_candidates(run, stage.path(CANDIDATES_FILE), as_of)
    return run
