"""``pledge ratings --as-of``: proposed and final grades, the public notice and lists."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.cli.common import add_as_of

if TYPE_CHECKING:  # the command's library code loads when it runs, not for --help
    from pipeline.assessment.extras import Extras
    from pipeline.assessment.policy import AssessmentPolicy
    from pipeline.assessment.reader import Evaluations, Overrides
    from pipeline.assessment.scoring import Assessment
    from pipeline.core.findings import Finding
    from pipeline.jobs.consolidation import Consolidation


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_as_of(p)
    p.add_argument("--strict", action="store_true", help="考核数据有“错误”级问题时以退出码 1 结束")
    p.add_argument("--no-cache", action="store_true", help="汇总承诺表时不使用解析缓存")


def rate(
    c: Consolidation, ev: Evaluations, ovr: Overrides, policy: AssessmentPolicy, extras: Extras | None = None
) -> Assessment:
    from pipeline.assessment.scoring import assess

    r = c.roster
    secretaries = {code: r.secretary_of(code) for code in r.codes}
    return assess(
        r.units,
        r.members,
        secretaries,
        c.members,
        c.orgs,
        set(c.used),
        ev.members,
        ev.units,
        ev.returned,
        ovr.members,
        ovr.units,
        policy,
        extras,
    )


def ratings_calendar(as_of: dt.date, s: object) -> list[Finding]:
    """E118 (before the assessment phase) or T110 (long after the campaign), said once."""
    from pipeline.core.settings import Settings
    from pipeline.rules.calendar import RULE_BEFORE_ASSESS, RULE_OUTSIDE, before_assessment, calendar_finding

    assert isinstance(s, Settings)
    rule = RULE_BEFORE_ASSESS if as_of < s.assess.start else RULE_OUTSIDE
    return calendar_finding(before_assessment(as_of, s), rule)


def run_ratings(
    inputs: Path, outputs: Path, as_of: dt.date, use_cache: bool = True
) -> tuple[Assessment, list[Finding], Consolidation, Evaluations]:
    """Everything ``ratings`` computes and writes; the caller holds the run lock."""
    from pipeline.assessment import layout as A
    from pipeline.assessment.gaps import reweight_notices
    from pipeline.assessment.policy import load_policy
    from pipeline.assessment.reader import read_evaluations, read_overrides
    from pipeline.assessment.scoring import stale_pledge_findings
    from pipeline.assessment.writer import write_notice, write_results
    from pipeline.core.settings import load_settings
    from pipeline.infra.atomic import OutputStage
    from pipeline.intake.inbox import Archive
    from pipeline.jobs.consolidate import run_consolidation
    from pipeline.jobs.consolidation import INBOX
    from pipeline.jobs.office import assessment_extras
    from pipeline.outputs.documents import Register, document_settings
    from pipeline.outputs.notice_docx import COMMENDATION_DOCX, RATINGS_NOTICE_DOCX, write_rating_documents

    settings = load_settings(inputs)
    policy = load_policy(settings)  # a wrong [assessment] or [documents] key stops before any work
    ds = document_settings(settings)
    register = Register.open(outputs)  # so does an unreadable register of issued numbers
    c = run_consolidation(inputs, outputs, as_of, use_cache=use_cache)
    archive = Archive(outputs / "archive")
    ev = read_evaluations(inputs, c.settings, c.roster, as_of=as_of, archive=archive)
    archive.save()
    ovr = read_overrides(inputs, ev.overrides_files)
    extras = assessment_extras(c)  # log, evidence, work targets (issue 15)
    result = rate(c, ev, ovr, policy, extras)
    stale = stale_pledge_findings(
        {
            code: (
                ur.unit_name,
                f"{INBOX}/{ur.file.rel}",
                ur.file.received.day if ur.file.received else dt.date.fromtimestamp(ur.file.mtime),
            )
            for code, ur in c.used.items()
        },
        c.settings.fulfil.end,
    )
    gaps = reweight_notices(result.members, result.units, ev, policy)  # E130/E131 (issue 15)
    findings = [
        *ratings_calendar(as_of, c.settings),
        *ev.findings,
        *ovr.findings,
        *result.findings,
        *stale,
        *gaps,
    ]
    owned = {A.RESULTS_FILE, A.NOTICE_FILE, RATINGS_NOTICE_DOCX, COMMENDATION_DOCX}
    with OutputStage(outputs / as_of.isoformat(), owned=owned) as stage:
        write_results(result, findings, policy, c.settings, as_of, stage.path(A.RESULTS_FILE))
        write_notice(result, c.settings, as_of, stage.path(A.NOTICE_FILE))
        issued = write_rating_documents(result, c.settings, as_of, ds, register, stage.path)
    if issued is not None:  # recorded once the documents are in place
        register.record(issued)
    return result, findings, c, ev


def _counts(final: object) -> str:
    from pipeline.assessment.policy import GRADES

    vc = {g: 0 for g in GRADES}
    for g in final:  # type: ignore[attr-defined]
        if g in vc:
            vc[g] += 1
    return "、".join(f"{g} {n}" for g, n in vc.items())


def run(args: argparse.Namespace) -> int:
    from pipeline.assessment import layout as A
    from pipeline.assessment.policy import GRADES
    from pipeline.assessment.scoring import is_committee
    from pipeline.core.findings import ERROR, NOTICE
    from pipeline.infra.atomic import run_lock
    from pipeline.outputs.notice_docx import COMMENDATION_DOCX, RATINGS_NOTICE_DOCX

    with run_lock(args.outputs):
        result, findings, c, ev = run_ratings(
            args.inputs, args.outputs, args.as_of, use_cache=not args.no_cache
        )
    out = args.outputs / args.as_of.isoformat()
    m, u = result.members, result.units
    changed = int(((m["final"] != m["proposed"]).sum()) + (u["final"] != u["proposed"]).sum())
    errors = sum(1 for f in findings if f.severity == ERROR)
    notices = sum(1 for f in findings if f.severity == NOTICE)
    missing = [f"{code} {c.roster.unit_name(code)}" for code in c.roster.codes if code not in ev.used]
    say = args.console.say
    committee = u["unit_type"].map(is_committee).astype(bool)
    for f in findings:
        if f.rule in ("E118", "T110"):
            say(f"注意：{f.message}")
    say(
        f"考核评价（统计截止 {args.as_of:%Y-%m-%d}）：{len(c.roster.codes)} 个单位中 {len(ev.used)} 个报回考核评价表；"
        f"党员 {len(m)} 名，其中 {int((m['final'].isin(GRADES)).sum())} 名有等次。"
    )
    if missing:
        say(f"  未报回考核评价表：{'、'.join(missing)}")
    no_pledges = [f"{code} {c.roster.unit_name(code)}" for code in c.roster.codes if code not in c.used]
    if no_pledges:
        say(
            f"  未报送承诺表：{'、'.join(no_pledges)}（按设置 assessment.no_return 处理，见问题清单 E119 和“暂不评定名单”）"
        )
    say(
        f"  党员最终等次：{_counts(m['final'])}；党支部最终等次：{_counts(u.loc[~committee, 'final'])}；领导小组调整 {changed} 处。"
    )
    say(f"  考核数据发现错误 {errors} 处、提醒 {notices} 处（见评价结果.xlsx 的“问题清单”）。")
    say(
        f"输出：{out}/{A.RESULTS_FILE}（党员评价、单位评价、支部书记述职考核、表彰名单、整改名单、暂不评定名单、校党委（报上级党组织）），"
        f"{out}/{RATINGS_NOTICE_DOCX} 和 {out}/{A.NOTICE_FILE}（公示）。"
    )
    if (out / COMMENDATION_DOCX).is_file():
        say(f"  表彰通报：{out}/{COMMENDATION_DOCX}（按最终等次“好”生成，可在 Word/WPS 中修改后印发）。")
    else:
        say("  没有最终等次为“好”的单位或党员，未生成表彰通报。")
    say(
        f"领导小组意见：在评价结果.xlsx 的“{A.COL_OPINION}”“{A.COL_REASON}”列填写后另存为 {args.inputs / A.INBOX / (A.OVERRIDES_STEM + '.xlsx')}，再运行一次。"
    )
    for row in u[committee].itertuples(index=False):
        say(f"  {row.unit_name}（报上级党组织审定，不参加支部排名和学校表彰）：{row.final or '暂不评定'}。")
    if args.strict and errors:
        return 1
    return 0
