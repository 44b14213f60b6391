"""Reading the dates clerks and members type into pledge forms.

Pure functions, no I/O. :func:`parse_date` accepts real Excel dates, Excel serial
numbers and the many ways Chinese users write a date ("2026年10月15日", "10月底",
"十月中旬", "10/15" ...) and returns a :class:`DateReading` that says what was read,
whether it was an exact full date, how an interpreted value was understood (a
Chinese note suitable for a 提醒) or why it could not be read (a Chinese error that
says how to fix it). Range checks (e.g. "the deadline falls in the fulfilment
phase") belong to the rules, not to this parser.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import numbers
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from pipeline.read.textnorm import norm_text

__all__ = ["DateReading", "excel_serial_to_date", "parse_date"]

# Excel's 1900 date system: serial 1 is 1900-01-01; serial 60 is the non-existent
# 1900-02-29 (Lotus bug); from serial 61 on, date = 1899-12-30 + serial days.
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_EXCEL_MAX_SERIAL = 2958465  # 9999-12-31

# How far from the campaign year a bare number may land to be taken as a serial.
SERIAL_YEAR_WINDOW = 5

_SHOWN_MAX = 30


@dataclass(frozen=True, slots=True)
class DateReading:
    """The result of reading one date cell.

    - ``date``: the date read, or None (blank or unreadable).
    - ``exact``: True when the value was a real date or an unambiguous full
      year-month-day; False when something was interpreted (no year, month only,
      上/中/下旬, two-digit year, serial number).
    - ``note``: Chinese, how an interpreted value was read ("“10月底”按 2026-10-31 理解");
      "" for exact values.
    - ``error``: Chinese reason and fix when the value cannot be read; "" otherwise
      (also "" for a blank cell: callers decide whether blank is allowed).
    """

    date: dt.date | None
    exact: bool = False
    note: str = ""
    error: str = ""

    @property
    def is_blank(self) -> bool:
        """True when the cell was empty (no date and no error)."""
        return self.date is None and not self.error


_BLANK = DateReading(None, False, "", "")


def excel_serial_to_date(n: float) -> dt.date | None:
    """Convert an Excel 1900-system serial number to a date.

    Serial 1 is 1900-01-01; serial 60 (Excel's fictitious 1900-02-29) gives None;
    from 61 on the date is 1899-12-30 plus ``n`` days. A fractional part (time of
    day) is dropped. None for anything below 1, above 2958465 (9999-12-31) or not
    a finite number.
    """
    try:
        f = float(n)
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(f) or f < 1 or f >= _EXCEL_MAX_SERIAL + 1:
        return None
    whole = int(f)
    if whole == 60:
        return None
    if whole < 60:
        return dt.date(1899, 12, 31) + dt.timedelta(days=whole)
    return _EXCEL_EPOCH + dt.timedelta(days=whole)


# ---------------------------------------------------------------------------
# messages


def _example(year: int) -> str:
    y = year if 1 <= year <= 9999 else 2026
    return f"{y}-10-15"


def _shown(value: object) -> str:
    text = norm_text(value).replace("\n", " ")
    return text if len(text) <= _SHOWN_MAX else text[: _SHOWN_MAX - 1] + "…"


def _unrecognised(shown: str, year: int) -> DateReading:
    return DateReading(None, False, "", f"无法识别的日期“{shown}”，请填写如 {_example(year)} 的日期")


def _invalid(shown: str, year: int) -> DateReading:
    return DateReading(None, False, "", f"“{shown}”不是有效日期，请填写如 {_example(year)} 的日期")


def _not_a_date_number(shown: str, year: int) -> DateReading:
    return DateReading(None, False, "", f"数字“{shown}”不是日期，请填写如 {_example(year)} 的日期")


def _time_only(shown: str, year: int) -> DateReading:
    return DateReading(None, False, "", f"“{shown}”只有时间没有日期，请填写如 {_example(year)} 的日期")


def _read_as(shown: str, d: dt.date, why: str = "") -> str:
    return f"“{shown}”按 {d.isoformat()} 理解" + (f"（{why}）" if why else "")


# ---------------------------------------------------------------------------
# numbers

_YYYYMMDD_RE = re.compile(r"(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])")


def _parse_number(n: float, shown: str, year: int) -> DateReading:
    if not math.isfinite(n):
        return _not_a_date_number(shown, year)
    if n.is_integer() and 19000101 <= n <= 20991231:
        digits = str(int(n))
        if _YYYYMMDD_RE.fullmatch(digits):
            try:
                d = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
            except ValueError:
                return _invalid(shown, year)
            return DateReading(d, False, _read_as(shown, d, "按“年月日”8 位数字"), "")
    d_serial = excel_serial_to_date(n)
    if d_serial is None or not (year - SERIAL_YEAR_WINDOW <= d_serial.year <= year + SERIAL_YEAR_WINDOW):
        return _not_a_date_number(shown, year)
    return DateReading(d_serial, False, _read_as(shown, d_serial, "按 Excel 日期序号换算"), "")


# ---------------------------------------------------------------------------
# text

_CN_DIGITS = {
    "〇": 0,
    "零": 0,
    "○": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_NUMBER_RE = re.compile("[〇零○一二三四五六七八九十]+(?=[年月日])")
_TIME_RE = re.compile(r"(?:[T\s]*)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")
_BEFORE_RE = re.compile(r"(?:之前|以前|前)$")

_SEP = r"([-/.])"
_FULL_RE = re.compile(rf"(\d{{4}}){_SEP}(\d{{1,2}})\2(\d{{1,2}})")
_FULL_CN_RE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?")
_YY_RE = re.compile(rf"(\d{{2}}){_SEP}(\d{{1,2}})\2(\d{{1,2}})")
_YY_CN_RE = re.compile(r"(\d{2})年(\d{1,2})月(\d{1,2})日?")
_MD_RE = re.compile(r"(\d{1,2})[-/.](\d{1,2})")
_MD_CN_RE = re.compile(r"(\d{1,2})月(\d{1,2})日?")
_MONTH_END_RE = re.compile(r"(?:(\d{4}|\d{2})年)?(\d{1,2})月份?(?:底|末)")
_XUN_RE = re.compile(r"(?:(\d{4}|\d{2})年)?(\d{1,2})月份?([上中下])旬")
_MONTH_CN_RE = re.compile(r"(?:(\d{4}|\d{2})年)?(\d{1,2})月份?")
_MONTH_RE = re.compile(r"(\d{4})[-/.](\d{1,2})")
_NUMBER_RE = re.compile(r"\d+(?:\.\d+)?")


def _cn_number(token: str) -> int | None:
    """一..九十九 with 十 (十五, 二十, 三十一) or digit by digit (二〇二六)."""
    if "十" not in token:
        return int("".join(str(_CN_DIGITS[ch]) for ch in token))
    tens_part, _, units_part = token.partition("十")
    if "十" in units_part or len(tens_part) > 1 or len(units_part) > 1:
        return None
    tens = _CN_DIGITS[tens_part] if tens_part else 1
    units = _CN_DIGITS[units_part] if units_part else 0
    return tens * 10 + units


def _replace_cn_numbers(s: str) -> str:
    def repl(m: re.Match[str]) -> str:
        n = _cn_number(m.group(0))
        return m.group(0) if n is None else str(n)

    s = re.sub(r"(^|年)元月", r"\g<1>1月", s)
    return _CN_NUMBER_RE.sub(repl, s)


def _year_of(token: str | None, year: int) -> tuple[int, str]:
    """Year from an optional 4- or 2-digit token, and a reason for the note."""
    if token is None:
        return year, ""
    if len(token) == 2:
        y = 2000 + int(token)
        return y, f"两位年份按 {y} 年"
    return int(token), ""


def _last_day(y: int, m: int) -> int:
    return calendar.monthrange(y, m)[1]


def _join(*parts: str) -> str:
    return "，".join(p for p in parts if p)


def _match_text(s: str, shown: str, year: int) -> DateReading | None:
    """Try every accepted form on compact text; None when no form matches."""
    if m := _FULL_RE.fullmatch(s):
        return _build(int(m[1]), int(m[3]), int(m[4]), shown, year, exact=True)
    if m := _FULL_CN_RE.fullmatch(s):
        return _build(int(m[1]), int(m[2]), int(m[3]), shown, year, exact=True)
    if m := _YY_RE.fullmatch(s):
        y, why = _year_of(m[1], year)
        return _build(y, int(m[3]), int(m[4]), shown, year, why=why)
    if m := _YY_CN_RE.fullmatch(s):
        y, why = _year_of(m[1], year)
        return _build(y, int(m[2]), int(m[3]), shown, year, why=why)
    if m := _MD_RE.fullmatch(s) or _MD_CN_RE.fullmatch(s):
        return _build(year, int(m[1]), int(m[2]), shown, year)
    if m := _MONTH_END_RE.fullmatch(s):
        y, why = _year_of(m[1], year)
        return _build(y, int(m[2]), "last", shown, year, why=why)
    if m := _XUN_RE.fullmatch(s):
        y, why = _year_of(m[1], year)
        day: int | str = {"上": 10, "中": 20}.get(m[3], "last")
        rule = {"上": "上旬按 10 日", "中": "中旬按 20 日", "下": "下旬按月末"}[m[3]]
        return _build(y, int(m[2]), day, shown, year, why=_join(why, rule))
    if m := _MONTH_CN_RE.fullmatch(s):
        y, why = _year_of(m[1], year)
        return _build(y, int(m[2]), "last", shown, year, why=_join(why, "只写了月份，按月末"))
    if m := _MONTH_RE.fullmatch(s):
        return _build(int(m[1]), int(m[2]), "last", shown, year, why="只写了月份，按月末")
    if _NUMBER_RE.fullmatch(s):
        return _parse_number(float(s), shown, year)
    return None


def _build(
    y: int, m: int, d: int | str, shown: str, year: int, *, exact: bool = False, why: str = ""
) -> DateReading:
    try:
        day = _last_day(y, m) if d == "last" else int(d)
        date = dt.date(y, m, day)
    except (ValueError, OverflowError, calendar.IllegalMonthError):
        return _invalid(shown, year)
    if exact:
        return DateReading(date, True, "", "")
    return DateReading(date, False, _read_as(shown, date, why), "")


def _parse_text(raw: str, year: int) -> DateReading:
    shown = _shown(raw)
    if not shown:
        return _BLANK
    s = unicodedata.normalize("NFKC", raw).strip().lstrip("'").strip()
    time = _TIME_RE.search(s)
    if time is not None:
        if time.start() == 0:
            return _time_only(shown, year)
        s = s[: time.start()]
    s = re.sub(r"\s+", "", s).replace("号", "日")
    s = _replace_cn_numbers(s)
    s = _BEFORE_RE.sub("", s)
    if not s:
        return _unrecognised(shown, year)
    reading = _match_text(s, shown, year)
    return reading if reading is not None else _unrecognised(shown, year)


# ---------------------------------------------------------------------------
# entry point


def parse_date(value: object, year: int) -> DateReading:
    """Read one date cell; ``year`` is the campaign year (used when none is written).

    Accepted: real dates/datetimes/Timestamps (exact); Excel serial numbers as numbers
    or numeric text, only when they land within ``year`` ± 5 (not exact); 8-digit
    numbers such as 20261015 (not exact); text after NFKC, with an optional trailing
    time ("00:00:00", "T00:00") and an optional trailing 前/之前/以前:

    - ``2026-10-15``, ``2026/10/15``, ``2026.10.15``, ``2026年10月15日``/``号`` (exact);
    - ``10-10-15``, ``10/10/15``, ``10年10月15日`` (two-digit year -> 20yy);
    - ``10月15日``/``号``, ``10-15``, ``10/15``, ``10.15`` (campaign year);
    - ``10月底``, ``10月末``, ``10月份底`` (last day of the month);
    - ``10月上旬``/``中旬``/``下旬`` (the 10th, the 20th, the last day);
    - ``2026年10月``, ``2026-10``, ``10月``, ``10月份`` (last day of the month);
    - Chinese numerals: ``十月底``, ``十一月中旬``, ``十月十五日``, ``二〇二六年十月十五日``, ``元月``.

    Blank (None, NaN, "", spaces) gives ``DateReading(None, False, "", "")``.
    Impossible dates ("2月30日", "2026-13-01") and anything else give an error.
    Never raises.
    """
    try:
        return _parse_value(value, year)
    except Exception:  # defensive: a parser of user input must never crash a run
        return _unrecognised(_shown_safe(value), year)


def _shown_safe(value: object) -> str:
    try:
        return _shown(value)
    except Exception:
        return "?"


def _parse_value(value: object, year: int) -> DateReading:
    if value is None:
        return _BLANK
    if isinstance(value, str):
        return _parse_text(value, year)
    if norm_text(value) == "":
        return _BLANK
    if isinstance(value, bool | np.bool_):
        return _unrecognised(_shown(value), year)
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, dt.datetime):
        return DateReading(value.date(), True, "", "")
    if isinstance(value, dt.date):
        return DateReading(value, True, "", "")
    if isinstance(value, dt.time):
        return _time_only(_shown(value), year)
    if isinstance(value, numbers.Real | Decimal):
        try:
            n = float(value)
        except (OverflowError, ValueError):
            return _not_a_date_number(_shown(value), year)
        return _parse_number(n, _shown(value), year)
    return _parse_text(str(value), year)
