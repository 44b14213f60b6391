"""Office workflow jobs over a consolidation (issue 15).

:func:`apply_office` is called by :func:`pipeline.jobs.consolidate.run_consolidation`, so
every command sees the same filing states: it reads ``inputs/office/`` (archived under
``outputs/archive/office/``), applies the 备案审核表 and 上报备案表 decisions
(:mod:`pipeline.office.filing`) and adds their findings to the consolidation's (the
unit-level ones reach the units' feedback workbooks). :func:`write_filing_forms` writes
the workbooks the office and the level above fill (``make filing``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.assessment.evidence import load_evidence_policy, mark_unverified, member_evidence, unit_evidence
from pipeline.assessment.extras import Extras
from pipeline.assessment.targets import load_targets_policy, target_results
from pipeline.jobs.consolidation import Consolidation
from pipeline.office import forms as O
from pipeline.office.filing import FilingPolicy, apply_filing, filing_counts, load_filing_policy, review_rows
from pipeline.office.leaders import leader_records
from pipeline.office.reader import OfficeInbox, read_inbox

FILING_DIR = "备案"


def unit_types(c: Consolidation) -> dict[str, str]:
    return dict(zip(c.roster.units["unit_code"], c.roster.units["unit_type"], strict=True))


@dataclass
class OfficeState:
    """What the office inbox gave a consolidation (``Consolidation.office``)."""

    inbox: OfficeInbox
    leaders: pd.DataFrame  # 包靠领导 records known on as_of (pipeline.office.leaders)
    has_leaders: bool  # a 包靠领导记实表 is in use

    def frame(self, form: O.OfficeForm) -> pd.DataFrame:
        return self.inbox.frame(form)


def apply_office(c: Consolidation, inputs: Path, outputs: Path | None) -> OfficeState:
    """Read the office inbox, apply the filing decisions to ``c`` and keep the leaders'
    records (in place: ``c.members``, ``c.orgs``, ``c.findings``, ``c.office``)."""
    inbox = read_inbox(inputs, outputs, O.OFFICE_INBOX, c.settings, c.roster)
    policy = load_filing_policy(c.settings)
    result = apply_filing(
        c.members,
        c.orgs,
        inbox.frame(O.FILING),
        inbox.frame(O.UPPER_FILING),
        c.field_cols,
        unit_types(c),
        policy,
        c.settings.office,
    )
    c.members, c.orgs = result.members, result.orgs
    c.findings.extend(inbox.findings)
    c.findings.extend(result.findings)
    records, leader_findings = leader_records(inbox.frame(O.LEADERS), c.settings, c.roster, c.as_of)
    c.findings.extend(leader_findings)
    c.office = OfficeState(inbox, records, bool(inbox.of(O.LEADERS)))
    return c.office


def filing_guide(c: Consolidation, form: O.OfficeForm, policy: FilingPolicy, n: int) -> str:
    s = c.settings
    who = s.office if form is O.FILING else "上一级党组织"
    whose = "各党支部" if form is O.FILING else "校党委"
    lines = [
        f"{form.name}（{s.year}年，{c.as_of:%Y-%m-%d} 生成，共 {n} 条）",
        "一、用途",
        f"{whose}审核通过的承诺事项，由{who}逐条审核备案（通知二(二)）。",
        "二、填写方法",
        "在“备案意见”列选择：已备案 / 退回修改 / 待备案；退回修改必须在“意见说明”写明理由，理由会写进该单位的问题反馈表。",
        "“审核日期”“审核人”请一并填写。灰色列由程序填写，请勿修改；“内容标识”用来判断承诺在审核后是否又被修改。",
        f"填好后保存为 inputs/{O.OFFICE_INBOX}/ 下的任意文件名（建议保留“{form.name}”字样），再运行 make consolidate。",
        "承诺内容改动后再生成本表时，原意见不再带入，需要重新审核；内容没变的，原意见自动带入。",
        "三、规则（campaign.toml 的 [filing] 设置）",
    ]
    lines += [f"{k}：{v}" for k, v in policy.lines()]
    return "\n".join(lines)


def write_filing_forms(c: Consolidation, out_dir: Path) -> dict[str, tuple[Path, int]]:
    """备案审核表.xlsx (the branches' items, for the office) and 上报备案表.xlsx (the
    committee's items, for the level above), prefilled, earlier decisions carried in."""
    from pipeline.office.workbook import write_office_workbook  # xlsx writers: only here

    policy = load_filing_policy(c.settings)
    inbox = getattr(c, "office", None)
    types = unit_types(c)
    out: dict[str, tuple[Path, int]] = {}
    for form, upper in ((O.FILING, False), (O.UPPER_FILING, True)):
        previous = inbox.frame(form) if inbox is not None else None
        rows = review_rows(c.members, c.orgs, types, policy, upper, previous)
        path = out_dir / f"{form.name}.xlsx"
        write_office_workbook(path, form, c.settings, rows, filing_guide(c, form, policy, len(rows)))
        out[form.name] = (path, len(rows))
    return out


def filing_summary(c: Consolidation) -> str:
    n = filing_counts(c.orgs, c.members)
    return "备案：" + "、".join(f"{k} {v} 项" for k, v in n.items())


def assessment_extras(c: Consolidation) -> Extras:
    """What the assessment takes from the log and the work targets. Marks the unverified
    completed pledges on ``c.members`` / ``c.orgs`` (``unlogged``, ``credit_factor``)."""
    ev = load_evidence_policy(c.settings)
    tp = load_targets_policy(c.settings)
    c.members, c.orgs = mark_unverified(c.members, c.orgs, c.logs, ev)
    inbox = c.office
    rows = inbox.frame(O.TARGETS) if inbox is not None else None
    m_targets, u_targets = target_results(rows, tp) if rows is not None else ({}, {})
    return Extras(
        ev,
        tp,
        member_evidence(c.members, c.logs),
        unit_evidence(c.orgs, c.logs),
        m_targets,
        u_targets,
    )
