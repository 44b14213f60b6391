"""The computed status (状态) of every pledge as of a date.

按期完成 (done by its deadline), 逾期完成 (done after it), 逾期未完成 (deadline passed,
not done), 临期 (due within the settings' window), 进行中 / 未开始 (as reported), and
未审核 / 已退回 for pledges that are not tracked (only approved pledges are).

The status names are the names of the counts (:mod:`pipeline.rules.figures`): a status
is never called 已完成, which is the member's own report (完成情况) and would be read
as either 按期完成 or 完成合计.

A completion dated after ``as_of`` had not happened yet on that day: the pledge is not
done as of ``as_of`` (逾期未完成 / 临期 / 进行中 by its deadline).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipeline.read import layout as L

DONE = "按期完成"
DONE_LATE = "逾期完成"
OVERDUE = "逾期未完成"
DUE_SOON = "临期"
ONGOING = "进行中"
NOT_STARTED = "未开始"
UNREVIEWED = "未审核"
RETURNED = "已退回"
STATUSES = (DONE, DONE_LATE, OVERDUE, DUE_SOON, ONGOING, NOT_STARTED, UNREVIEWED, RETURNED)
TRACKED = (DONE, DONE_LATE, OVERDUE, DUE_SOON, ONGOING, NOT_STARTED)
COMPLETED = (DONE, DONE_LATE)
OPEN = (OVERDUE, DUE_SOON, ONGOING, NOT_STARTED)  # tracked and not completed
# Status names of earlier versions (campaign.toml keys written before they were renamed).
LEGACY_NAMES = {DONE: "已完成", OVERDUE: "逾期"}


def pledge_status(
    review: str,
    progress: str,
    deadline: dt.date | None,
    done_on: dt.date | None,
    as_of: dt.date,
    due_soon_days: int,
) -> str:
    if review == L.REVIEW_RETURNED:
        return RETURNED
    if review != L.REVIEW_APPROVED:
        return UNREVIEWED
    if progress == L.PROGRESS_DONE and not (done_on is not None and done_on > as_of):
        if done_on is not None and deadline is not None and done_on > deadline:
            return DONE_LATE
        return DONE
    if deadline is not None:
        if deadline < as_of:
            return OVERDUE
        if (deadline - as_of).days <= due_soon_days:
            return DUE_SOON
    return ONGOING if progress in (L.PROGRESS_ONGOING, L.PROGRESS_DONE) else NOT_STARTED


def add_status(df: pd.DataFrame, as_of: dt.date, due_soon_days: int) -> pd.DataFrame:
    """A copy of ``df`` (review, progress, deadline, done_on) with 'status' and
    'days_overdue' (days past the deadline for 逾期未完成, else 0)."""
    out = df.copy()
    # plain lists: iterating a pandas text column costs ~1 µs a cell (issue 6)
    deadlines = out["deadline"].tolist()
    status = [
        pledge_status(r, p, d, c, as_of, due_soon_days)
        for r, p, d, c in zip(
            out["review"].tolist(), out["progress"].tolist(), deadlines, out["done_on"].tolist(), strict=True
        )
    ]
    out["status"] = status
    out["days_overdue"] = [
        (as_of - d).days if s == OVERDUE and d is not None else 0
        for s, d in zip(status, deadlines, strict=True)
    ]
    return out
