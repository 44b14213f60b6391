"""Pledge status as of a date, boundary days included."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.rules.status import pledge_status

D = dt.date
DEADLINE = D(2026, 10, 31)


@pytest.mark.parametrize(
    ("review", "progress", "done_on", "as_of", "expected"),
    [
        ("退回", "已完成", D(2026, 10, 1), D(2026, 11, 1), "已退回"),
        ("待审核", "", None, D(2026, 11, 1), "未审核"),
        ("", "进行中", None, D(2026, 11, 1), "未审核"),
        ("通过", "已完成", D(2026, 10, 31), D(2026, 11, 5), "按期完成"),  # done on the deadline day
        ("通过", "已完成", D(2026, 11, 1), D(2026, 11, 5), "逾期完成"),
        ("通过", "已完成", None, D(2026, 11, 5), "按期完成"),
        ("通过", "进行中", None, D(2026, 10, 31), "临期"),  # the deadline day itself is not overdue
        ("通过", "进行中", None, D(2026, 11, 1), "逾期未完成"),  # the day after is
        ("通过", "未开始", None, D(2026, 10, 17), "临期"),  # exactly 14 days before
        ("通过", "进行中", None, D(2026, 10, 16), "进行中"),  # 15 days before
        ("通过", "", None, D(2026, 10, 1), "未开始"),
    ],
)
def test_status(review: str, progress: str, done_on: dt.date | None, as_of: dt.date, expected: str) -> None:
    assert pledge_status(review, progress, DEADLINE, done_on, as_of, 14) == expected


def test_no_deadline_keeps_reported_progress() -> None:
    assert pledge_status("通过", "进行中", None, None, D(2026, 12, 1), 14) == "进行中"
