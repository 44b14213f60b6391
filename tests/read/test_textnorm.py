"""Tests for pipeline.read.textnorm."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.read.textnorm import (
    EXCEL_CELL_LIMIT,
    ILLEGAL_XML_RE,
    TRUNCATION_MARK,
    looks_like_formula,
    norm_choice,
    norm_code,
    norm_text,
    safe_cell_text,
    safe_filename,
    strip_illegal_xml,
)

PROPS = settings(max_examples=200, deadline=None)

# Any cell-ish value: text (including surrogates and controls), numbers, dates, blanks.
cell_values = st.one_of(
    st.none(),
    st.text(),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.decimals(allow_nan=False, allow_infinity=False),
)


# ---------------------------------------------------------------------------
# strip_illegal_xml


@pytest.mark.parametrize(
    ("raw", "expected", "removed"),
    [
        ("", "", False),
        ("普通文本", "普通文本", False),
        ("a\tb\nc\rd", "a\tb\nc\rd", False),
        ("a\x00b", "ab", True),
        ("\x01\x02\x08\x0b\x0c\x0e\x1f", "", True),
        ("x\ufffey\uffffz", "xyz", True),
        ("lone\ud800surrogate\udfff", "lonesurrogate", True),
        ("emoji 😀 kept", "emoji 😀 kept", False),
        ("\x7f DEL is legal", "\x7f DEL is legal", False),
    ],
)
def test_strip_illegal_xml(raw: str, expected: str, removed: bool) -> None:
    assert strip_illegal_xml(raw) == (expected, removed)


@PROPS
@given(st.text())
def test_strip_illegal_xml_output_is_clean(s: str) -> None:
    cleaned, removed = strip_illegal_xml(s)
    assert ILLEGAL_XML_RE.search(cleaned) is None
    assert removed == (cleaned != s)


# ---------------------------------------------------------------------------
# norm_text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        (math.nan, ""),
        (float("nan"), ""),
        (np.nan, ""),
        (pd.NA, ""),
        (pd.NaT, ""),
        ("", ""),
        ("   ", ""),
        ("\u3000\u00a0", ""),
        (12, "12"),
        (-3, "-3"),
        (12.0, "12"),
        (-0.0, "0"),
        (1001.0, "1001"),
        (2.5, "2.5"),
        (0.1 + 0.2, "0.3"),
        (1e-7, "1e-07"),
        (np.int64(7), "7"),
        (np.float64(7.0), "7"),
        (np.float32(2.5), "2.5"),
        (Decimal("12.00"), "12"),
        (Decimal("1.50"), "1.5"),
        (True, "TRUE"),
        (False, "FALSE"),
        (dt.date(2026, 10, 15), "2026-10-15"),
        (dt.datetime(2026, 10, 15, 8, 30), "2026-10-15"),
        (pd.Timestamp("2026-10-15 12:00"), "2026-10-15"),
        (np.datetime64("2026-10-15"), "2026-10-15"),
        (dt.time(8, 30), "08:30:00"),
        ("  走访 困难 党员  ", "走访 困难 党员"),
        ("a\r\nb\rc", "a\nb\nc"),
        ("a\u2028b\u2029c\x85d", "a\nb\nc\nd"),
        ("第一\u3000支部", "第一 支部"),
        ("a\u00a0\u2003\u202fb", "a b"),
        ("a \t  b", "a b"),
        ("a\n\nb", "a\n\nb"),
        ("line1 \n line2", "line1 \n line2"),
        ("\ufeff带BOM\u200b", "带BOM"),
        ("控制\x00字符\x1f", "控制字符"),
        ("全角，标点：保留。", "全角，标点：保留。"),
        ("ＡＢＣ１２３", "ＡＢＣ１２３"),
    ],
)
def test_norm_text(value: object, expected: str) -> None:
    assert norm_text(value) == expected


@PROPS
@given(cell_values)
def test_norm_text_idempotent_and_clean(value: object) -> None:
    once = norm_text(value)
    assert norm_text(once) == once
    assert ILLEGAL_XML_RE.search(once) is None
    assert once == once.strip()
    assert "\r" not in once
    assert "  " not in once
    assert "\t" not in once
    assert "\u3000" not in once


# ---------------------------------------------------------------------------
# norm_code


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        (math.nan, ""),
        ("", ""),
        ("1001", "1001"),
        (1001, "1001"),
        (1001.0, "1001"),
        (np.float64(1001.0), "1001"),
        ("１００１", "1001"),
        ("ｄｗ０１", "DW01"),
        ("dw 01", "DW01"),
        (" D W\u3000０１ ", "DW01"),
        ("'0012", "0012"),
        ("＇0012", "0012"),
        ("''0012", "0012"),
        ("0012\u200b", "0012"),
        ("a-b_c", "A-B_C"),
        ("第一支部", "第一支部"),
        ("\t12\n34\r", "1234"),
    ],
)
def test_norm_code(value: object, expected: str) -> None:
    assert norm_code(value) == expected


@PROPS
@given(cell_values)
def test_norm_code_idempotent_without_whitespace(value: object) -> None:
    code = norm_code(value)
    assert norm_code(code) == code
    assert not any(ch.isspace() for ch in code)
    assert not code.startswith("'")
    assert ILLEGAL_XML_RE.search(code) is None
    assert not any("a" <= ch <= "z" for ch in code)


# ---------------------------------------------------------------------------
# norm_choice

REVIEW = ["通过", "不通过", "修改后通过"]
ALIASES = {"是": "通过", "否": "不通过", "同意": "通过"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("通过", "通过"),
        ("  通过  ", "通过"),
        ("通 过", "通过"),
        ("通\u3000过", "通过"),
        ("修改后 通过", "修改后通过"),
        ("是", "通过"),
        (" 否 ", "不通过"),
        ("同 意", "通过"),
        ("未审核", None),
        ("通过了", None),
        ("", ""),
        ("   ", ""),
        (None, ""),
        (math.nan, ""),
    ],
)
def test_norm_choice(value: object, expected: str | None) -> None:
    assert norm_choice(value, REVIEW, ALIASES) == expected


def test_norm_choice_nfkc_numbers_and_case() -> None:
    assert norm_choice("Ａ", ["A", "B"]) == "A"
    assert norm_choice("a", ["A", "B"]) == "A"
    assert norm_choice("a", ["A", "a"]) == "a"
    assert norm_choice(1.0, ["1", "2"]) == "1"
    assert norm_choice("３", ["1", "2"]) is None
    assert norm_choice("好", ["好", "较好", "一般", "差"]) == "好"
    assert norm_choice("较 好", ["好", "较好", "一般", "差"]) == "较好"
    assert norm_choice("是", REVIEW) is None
    assert norm_choice("是", REVIEW, None) is None


@PROPS
@given(st.sampled_from(REVIEW), st.lists(st.sampled_from([" ", "\u3000", "\t", "\u00a0"]), max_size=3))
def test_norm_choice_ignores_inserted_whitespace(choice: str, spaces: list[str]) -> None:
    padded = "".join(spaces) + choice[0] + "".join(spaces) + choice[1:] + "".join(spaces)
    assert norm_choice(padded, REVIEW) == choice


# ---------------------------------------------------------------------------
# safe_cell_text


def test_safe_cell_text_short_text_unchanged_but_cleaned() -> None:
    assert safe_cell_text("走访\x00群众") == "走访群众"
    assert safe_cell_text("") == ""
    assert safe_cell_text("a\nb") == "a\nb"


def test_safe_cell_text_exact_limit_is_kept() -> None:
    text = "字" * EXCEL_CELL_LIMIT
    assert safe_cell_text(text) == text


def test_safe_cell_text_truncates_with_mark() -> None:
    out = safe_cell_text("字" * (EXCEL_CELL_LIMIT + 10))
    assert len(out) == EXCEL_CELL_LIMIT
    assert out.endswith(TRUNCATION_MARK)


def test_safe_cell_text_counts_astral_characters_twice() -> None:
    out = safe_cell_text("😀" * 20, limit=20)
    assert out.endswith(TRUNCATION_MARK)
    assert len(out.encode("utf-16-le")) // 2 <= 20


def test_safe_cell_text_tiny_limit() -> None:
    assert safe_cell_text("abcdefgh", limit=3) == "abc"


@PROPS
@given(st.text(), st.integers(min_value=1, max_value=50))
def test_safe_cell_text_within_limit(s: str, limit: int) -> None:
    out = safe_cell_text(s, limit=limit)
    assert ILLEGAL_XML_RE.search(out) is None
    assert len(out.encode("utf-16-le")) // 2 <= limit
    cleaned, _ = strip_illegal_xml(s)
    if len(cleaned.encode("utf-16-le")) // 2 <= limit:
        assert out == cleaned


# ---------------------------------------------------------------------------
# safe_filename


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("第一党支部", "第一党支部"),
        ("第一 党支部", "第一党支部"),
        ("第一\u3000党支部", "第一党支部"),
        ('a/b\\c:d*e?f"g<h>i|j', "abcdefghij"),
        ("../../etc/passwd", "etcpasswd"),
        ("..", "未命名"),
        ("...", "未命名"),
        (".hidden", "hidden"),
        ("name.", "name"),
        ("a..b", "ab"),
        ("v1.2", "v1.2"),
        ("", "未命名"),
        ("   ", "未命名"),
        ("///", "未命名"),
        ("\x00\x1f\x7f", "未命名"),
        ("CON", "_CON"),
        ("nul", "_nul"),
        ("com1.txt", "_com1.txt"),
        ("CONTACT", "CONTACT"),
        ("\u202etxt.exe", "txt.exe"),
    ],
)
def test_safe_filename(raw: str, expected: str) -> None:
    assert safe_filename(raw) == expected


def test_safe_filename_truncates() -> None:
    assert safe_filename("支" * 100) == "支" * 60
    assert safe_filename("支" * 100, max_len=10) == "支" * 10
    assert safe_filename("ab.cd", max_len=3) == "ab"


@PROPS
@given(st.text(), st.integers(min_value=1, max_value=80))
def test_safe_filename_properties(s: str, max_len: int) -> None:
    name = safe_filename(s, max_len=max_len)
    assert name
    assert "/" not in name
    assert "\\" not in name
    assert ".." not in name
    assert not name.startswith(".")
    assert len(name) <= max_len
    assert not any(ch.isspace() for ch in name)
    assert not any(ch in name for ch in ':*?"<>|')
    assert ILLEGAL_XML_RE.search(name) is None


# ---------------------------------------------------------------------------
# looks_like_formula


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("http://x","点击")',
        "=1+1",
        "=A1",
        " =SUM(A1:A3)",
        "=见附件",
        "+cmd|' /C calc'!A0",
        "-cmd|' /C calc'!A0",
        "@SUM(A1:A3)",
        "+SUM(1,2)",
        "-A1",
        "-$B$2+1",
        "@A1",
    ],
)
def test_looks_like_formula_true(text: str) -> None:
    assert looks_like_formula(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "-",
        "=",
        "+",
        "@",
        "=====",
        "=-=-=-",
        "- 1. 走访困难党员",
        "-1.走访困难党员",
        "-走访困难党员",
        "+ 加强学习",
        "@ 张三",
        "+86 138 0000 0000",
        "+8613800000000",
        "-5",
        "-10%",
        "走访=帮扶",
        "普通文本",
        "@张三 请跟进",
    ],
)
def test_looks_like_formula_false(text: str) -> None:
    assert not looks_like_formula(text)


@PROPS
@given(st.text())
def test_looks_like_formula_never_raises(s: str) -> None:
    assert looks_like_formula(s) in (True, False)
