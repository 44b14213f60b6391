"""Where an as-of date falls in the campaign's calendar, said once and plainly.

Every command runs for any AS_OF; when the date is outside the part of the campaign the
command is about, the terminal and the output carry one Chinese sentence saying so
(a T110 / E118 notice in the problem list, a line in the documents):

- before the pledge phase (``phases.pledge.start``): nothing can have been pledged yet;
- ratings before the assessment phase (``phases.assess.start``): the grades are a trial
  run, not results to post;
- long after the campaign: more than ``tracking.after_campaign_days`` (default 30) days
  after ``phases.assess.end``: the figures are what was known then, nothing newer.

Pure functions (settings and a date in, text out).
"""

from __future__ import annotations

import datetime as dt

from pipeline.core.findings import NOTICE, Finding
from pipeline.core.settings import Settings

DEFAULT_AFTER_CAMPAIGN_DAYS = 30
RULE_OUTSIDE = "T110"  # 统计日期不在活动期间内
RULE_BEFORE_ASSESS = "E118"  # 统计日期早于考核评价阶段


def after_campaign_days(s: Settings) -> int:
    return s.reader.integer("tracking.after_campaign_days", DEFAULT_AFTER_CAMPAIGN_DAYS)


def _d(day: dt.date) -> str:
    return f"{day:%Y-%m-%d}"


def outside_campaign(as_of: dt.date, s: Settings) -> str:
    """One sentence when ``as_of`` is before the pledge phase or long after the
    campaign; "" when it is inside (the tracking commands: consolidate, overdue,
    bulletin, notice, cards)."""
    if as_of < s.pledge.start:
        return (
            f"统计日期 {_d(as_of)} 早于承诺阶段开始（{_d(s.pledge.start)}），各单位还不应报送承诺，"
            "以下数字只反映该日前收到的文件，不是活动进展。"
        )
    late = after_campaign_days(s)
    if (as_of - s.assess.end).days > late:
        return (
            f"统计日期 {_d(as_of)} 在本年度活动结束（考核评价阶段 {_d(s.assess.end)} 截止）{late} 天以后，"
            "以下数字是活动结束时的情况，不代表新的进展。"
        )
    return ""


def before_assessment(as_of: dt.date, s: Settings) -> str:
    """One sentence when ratings are asked for before the assessment phase; else the
    general :func:`outside_campaign` sentence (or "")."""
    if as_of < s.assess.start:
        return (
            f"统计日期 {_d(as_of)} 早于考核评价阶段开始（{_d(s.assess.start)}），履诺尚未全部结束，"
            "本次评价结果只是试算，不能作为考核结果公示。"
        )
    return outside_campaign(as_of, s)


def calendar_finding(text: str, rule: str = RULE_OUTSIDE) -> list[Finding]:
    """The sentence as a notice for the problem list (none when it is empty)."""
    return [Finding(NOTICE, rule, text)] if text else []
