"""Tests for pipeline.read.dates."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.read.dates import DateReading, excel_serial_to_date, parse_date

YEAR = 2026
PROPS = settings(max_examples=200, deadline=None)
D = dt.date

_EPOCH = dt.date(1899, 12, 30)
_FULLWIDTH = str.maketrans("0123456789-/.", "０１２３４５６７８９－／．")
_CN_DIGIT = "〇一二三四五六七八九"


def serial(d: dt.date) -> int:
    return (d - _EPOCH).days


def cn_number(n: int) -> str:
    """1..31 in Chinese numerals (十, 十五, 二十, 三十一)."""
    tens, units = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _CN_DIGIT[tens] + "十")
    return head + (_CN_DIGIT[units] if units else "")


# ---------------------------------------------------------------------------
# excel_serial_to_date


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, D(1900, 1, 1)),
        (2, D(1900, 1, 2)),
        (59, D(1900, 2, 28)),
        (60, None),
        (61, D(1900, 3, 1)),
        (45580, D(2024, 10, 15)),
        (46310, D(2026, 10, 15)),
        (46310.99, D(2026, 10, 15)),
        (2958465, D(9999, 12, 31)),
        (2958466, None),
        (0, None),
        (0.5, None),
        (-1, None),
        (math.nan, None),
        (math.inf, None),
        (-math.inf, None),
    ],
)
def test_excel_serial_to_date(n: float, expected: dt.date | None) -> None:
    assert excel_serial_to_date(n) == expected


# ---------------------------------------------------------------------------
# parse_date: exact values


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D(2026, 10, 15), D(2026, 10, 15)),
        (dt.datetime(2026, 10, 15, 23, 59), D(2026, 10, 15)),
        (pd.Timestamp("2026-10-15 08:00"), D(2026, 10, 15)),
        (np.datetime64("2026-10-15"), D(2026, 10, 15)),
        (D(1990, 1, 1), D(1990, 1, 1)),  # range checks belong to the rules
        ("2026-10-15", D(2026, 10, 15)),
        ("2026/10/15", D(2026, 10, 15)),
        ("2026.10.15", D(2026, 10, 15)),
        ("2026-1-5", D(2026, 1, 5)),
        ("2026年10月15日", D(2026, 10, 15)),
        ("2026年10月15号", D(2026, 10, 15)),
        ("2026 年 10 月 15 日", D(2026, 10, 15)),
        ("２０２６年１０月１５日", D(2026, 10, 15)),
        ("２０２６－１０－１５", D(2026, 10, 15)),
        (" 2026-10-15 00:00:00 ", D(2026, 10, 15)),
        ("2026-10-15T00:00", D(2026, 10, 15)),
        ("2026/10/15 8:30", D(2026, 10, 15)),
        ("2010-10-15", D(2010, 10, 15)),
        ("1999-10-15", D(1999, 10, 15)),
        ("二〇二六年十月十五日", D(2026, 10, 15)),
        ("2026年10月15日前", D(2026, 10, 15)),
    ],
)
def test_parse_exact(value: object, expected: dt.date) -> None:
    reading = parse_date(value, YEAR)
    assert reading == DateReading(expected, True, "", "")


# ---------------------------------------------------------------------------
# parse_date: interpreted values


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # campaign year
        ("10月15日", D(2026, 10, 15)),
        ("10月15号", D(2026, 10, 15)),
        ("10月15", D(2026, 10, 15)),
        ("10-15", D(2026, 10, 15)),
        ("10/15", D(2026, 10, 15)),
        ("10.15", D(2026, 10, 15)),
        ("1.5", D(2026, 1, 5)),
        ("１０月１５日", D(2026, 10, 15)),
        ("10月15日前", D(2026, 10, 15)),
        ("10月15日之前", D(2026, 10, 15)),
        # end of month
        ("10月底", D(2026, 10, 31)),
        ("10月末", D(2026, 10, 31)),
        ("10月份底", D(2026, 10, 31)),
        ("11月底", D(2026, 11, 30)),
        ("2月底", D(2026, 2, 28)),
        ("2028年2月底", D(2028, 2, 29)),
        ("10月底前", D(2026, 10, 31)),
        ("10月底以前", D(2026, 10, 31)),
        # 旬
        ("10月上旬", D(2026, 10, 10)),
        ("10月中旬", D(2026, 10, 20)),
        ("10月下旬", D(2026, 10, 31)),
        ("9月下旬", D(2026, 9, 30)),
        ("2026年11月中旬", D(2026, 11, 20)),
        # month only
        ("2010年10月", D(2010, 10, 31)),
        ("2026-10", D(2026, 10, 31)),
        ("2026/9", D(2026, 9, 30)),
        ("2026.10", D(2026, 10, 31)),
        ("10月", D(2026, 10, 31)),
        ("10月份", D(2026, 10, 31)),
        # two-digit years
        ("10-10-15", D(2010, 10, 15)),
        ("10/10/15", D(2010, 10, 15)),
        ("10.10.15", D(2010, 10, 15)),
        ("10年10月15日", D(2010, 10, 15)),
        ("26年10月底", D(2026, 10, 31)),
        # Chinese numerals
        ("十月底", D(2026, 10, 31)),
        ("十一月中旬", D(2026, 11, 20)),
        ("十二月上旬", D(2026, 12, 10)),
        ("十月十五日", D(2026, 10, 15)),
        ("九月三十日", D(2026, 9, 30)),
        ("十月三十一日", D(2026, 10, 31)),
        ("十二月二十日", D(2026, 12, 20)),
        ("一月一日", D(2026, 1, 1)),
        ("十月份", D(2026, 10, 31)),
        ("元月底", D(2026, 1, 31)),
        # numbers
        (46310, D(2026, 10, 15)),
        (46310.0, D(2026, 10, 15)),
        (46310.5, D(2026, 10, 15)),
        (np.int64(46310), D(2026, 10, 15)),
        ("46310", D(2026, 10, 15)),
        ("４６３１０", D(2026, 10, 15)),
        (45580, D(2024, 10, 15)),
        (20261015, D(2026, 10, 15)),
        ("20261015", D(2026, 10, 15)),
    ],
)
def test_parse_interpreted(value: object, expected: dt.date) -> None:
    reading = parse_date(value, YEAR)
    assert reading.date == expected
    assert reading.exact is False
    assert reading.error == ""
    assert expected.isoformat() in reading.note
    assert reading.note.startswith("“")


def test_notes_are_chinese_and_explain() -> None:
    assert parse_date("10月底", YEAR).note == "“10月底”按 2026-10-31 理解"
    assert "两位年份" in parse_date("10-10-15", YEAR).note
    assert "月末" in parse_date("10月", YEAR).note
    assert "中旬按 20 日" in parse_date("10月中旬", YEAR).note
    assert "Excel 日期序号" in parse_date(46310, YEAR).note


def test_campaign_year_is_used() -> None:
    assert parse_date("10月15日", 2010).date == D(2010, 10, 15)
    assert parse_date("2月底", 2024).date == D(2024, 2, 29)
    assert parse_date("2月29日", 2024).date == D(2024, 2, 29)


# ---------------------------------------------------------------------------
# parse_date: blanks and errors


@pytest.mark.parametrize("value", [None, "", "   ", "\u3000", math.nan, np.nan, pd.NaT, pd.NA])
def test_parse_blank(value: object) -> None:
    reading = parse_date(value, YEAR)
    assert reading == DateReading(None, False, "", "")
    assert reading.is_blank


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("2月30日", "“2月30日”不是有效日期"),
        ("2026-13-01", "“2026-13-01”不是有效日期"),
        ("2026-02-29", "不是有效日期"),
        ("2026年4月31日", "不是有效日期"),
        ("13月", "不是有效日期"),
        ("13月底", "不是有效日期"),
        ("0月上旬", "不是有效日期"),
        ("10月0日", "不是有效日期"),
        ("10-32", "不是有效日期"),
        ("abc", "无法识别的日期“abc”"),
        ("尽快", "无法识别的日期“尽快”"),
        ("长期坚持", "无法识别的日期"),
        ("年底", "无法识别的日期"),
        ("2026-10/15", "无法识别的日期"),
        ("前", "无法识别的日期"),
        ("10号", "无法识别的日期"),
        ("10:30", "只有时间没有日期"),
        (dt.time(10, 30), "只有时间没有日期"),
        (12, "数字“12”不是日期"),
        (12.5, "数字“12.5”不是日期"),
        ("12", "数字“12”不是日期"),
        (0, "不是日期"),
        (-5, "不是日期"),
        (60, "不是日期"),
        (1e20, "不是日期"),
        (math.inf, "不是日期"),
        (10**400, "不是日期"),
        (serial(D(2020, 12, 31)), "不是日期"),  # outside year ± 5
        (serial(D(2032, 1, 1)), "不是日期"),
        (True, "无法识别的日期"),
    ],
)
def test_parse_errors(value: object, fragment: str) -> None:
    reading = parse_date(value, YEAR)
    assert reading.date is None
    assert reading.exact is False
    assert reading.note == ""
    assert fragment in reading.error
    assert reading.error.endswith("请填写如 2026-10-15 的日期")


def test_serial_window_edges() -> None:
    assert parse_date(serial(D(2021, 1, 1)), YEAR).date == D(2021, 1, 1)
    assert parse_date(serial(D(2031, 12, 31)), YEAR).date == D(2031, 12, 31)


def test_long_garbage_is_shortened_in_message() -> None:
    reading = parse_date("完成" * 100, YEAR)
    assert "…”" in reading.error
    assert len(reading.error) < 80


def test_reading_is_frozen() -> None:
    reading = parse_date("2026-10-15", YEAR)
    with pytest.raises(AttributeError):
        reading.date = None  # type: ignore[misc]


# ---------------------------------------------------------------------------
# properties

campaign_dates = st.dates(min_value=D(YEAR - 5, 1, 1), max_value=D(YEAR + 5, 12, 31))


def formattings(d: dt.date) -> list[object]:
    y, m, day = d.year, d.month, d.day
    forms: list[object] = [
        d.isoformat(),
        f"{y}-{m}-{day}",
        f"{y}/{m:02d}/{day:02d}",
        f"{y}/{m}/{day}",
        f"{y}.{m:02d}.{day:02d}",
        f"{y}年{m}月{day}日",
        f"{y}年{m:02d}月{day:02d}号",
        f"{y} 年 {m} 月 {day} 日",
        f"{d.isoformat()} 00:00:00",
        f"{d.isoformat()}T00:00",
        d.isoformat().translate(_FULLWIDTH),
        f"{y}年{m}月{day}日".translate(_FULLWIDTH),
        dt.datetime(y, m, day, 13, 45),
        pd.Timestamp(d),
        d,
        serial(d),
        float(serial(d)),
        serial(d) + 0.25,
        str(serial(d)),
        str(serial(d)).translate(_FULLWIDTH),
        "".join(_CN_DIGIT[int(c)] for c in str(y)) + f"年{cn_number(m)}月{cn_number(day)}日",
    ]
    if y >= 2000:
        yy = y - 2000
        forms += [f"{yy:02d}-{m}-{day}", f"{yy:02d}/{m:02d}/{day:02d}", f"{yy:02d}年{m}月{day}日"]
    return forms


@PROPS
@given(campaign_dates)
def test_every_formatting_parses_back(d: dt.date) -> None:
    for form in formattings(d):
        reading = parse_date(form, YEAR)
        assert reading.date == d, (form, reading)
        assert reading.error == ""


@PROPS
@given(campaign_dates)
def test_month_day_forms_use_campaign_year(d: dt.date) -> None:
    for form in (
        f"{d.month}月{d.day}日",
        f"{d.month}-{d.day}",
        f"{d.month}/{d.day}",
        f"{d.month}.{d.day}",
        f"{cn_number(d.month)}月{cn_number(d.day)}日",
    ):
        reading = parse_date(form, d.year)
        assert reading.date == d, (form, reading)
        assert not reading.exact
        assert reading.note


@PROPS
@given(st.integers(min_value=YEAR - 5, max_value=YEAR + 5), st.integers(min_value=1, max_value=12))
def test_month_end_forms(y: int, m: int) -> None:
    last = D(y, m, 1) + dt.timedelta(days=32)
    last = last.replace(day=1) - dt.timedelta(days=1)
    for form in (f"{m}月底", f"{m}月末", f"{m}月份底", f"{cn_number(m)}月底", f"{m}月", f"{m}月下旬"):
        assert parse_date(form, y).date == last, form
    for form in (f"{y}年{m}月", f"{y}-{m}", f"{y}年{m}月底"):
        assert parse_date(form, YEAR).date == last, form
    assert parse_date(f"{m}月上旬", y).date == D(y, m, 10)
    assert parse_date(f"{m}月中旬", y).date == D(y, m, 20)


@PROPS
@given(st.one_of(st.text(), st.floats(), st.integers(), st.none(), st.dates(), st.datetimes()))
def test_parse_date_never_raises(value: object) -> None:
    reading = parse_date(value, YEAR)
    assert isinstance(reading, DateReading)
    # exactly one of: blank, a date, an error
    if reading.date is not None:
        assert reading.error == ""
        assert reading.exact or reading.note
    else:
        assert reading.note == ""
        assert not reading.exact


@PROPS
@given(st.text(alphabet="0123456789-/.年月日号底末上中下旬份十一二三四五六七八九〇 :T前", max_size=14))
def test_date_like_text_never_raises(s: str) -> None:
    reading = parse_date(s, YEAR)
    assert (reading.date is None) or reading.error == ""
