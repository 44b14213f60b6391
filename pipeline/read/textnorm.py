"""Normalising cell values into clean text, codes and dropdown choices.

Pure functions, no I/O. Readers use :func:`norm_text`, :func:`norm_code` and
:func:`norm_choice` on every cell before validation; writers pass user text through
:func:`safe_cell_text` and build file names with :func:`safe_filename`.

Free text is never NFKC-normalised (Chinese full-width punctuation such as ，。：
must survive); identifiers and dropdown values are.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal

import numpy as np
import pandas as pd

__all__ = [
    "EXCEL_CELL_LIMIT",
    "ILLEGAL_XML_RE",
    "TRUNCATION_MARK",
    "looks_like_formula",
    "norm_choice",
    "norm_code",
    "norm_text",
    "safe_cell_text",
    "safe_filename",
    "strip_illegal_xml",
]

#: Characters that may not appear in an XML 1.0 document (and so not in an .xlsx):
#: C0 controls except tab, newline and carriage return; U+FFFE, U+FFFF; and
#: surrogate code points (in a Python ``str`` any surrogate is a lone surrogate).
ILLEGAL_XML_RE: re.Pattern[str] = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")

#: Excel's maximum number of characters in one cell.
EXCEL_CELL_LIMIT = 32767

#: Appended to text cut at :data:`EXCEL_CELL_LIMIT`.
TRUNCATION_MARK = "…（已截断）"

# Invisible characters that creep in by copy and paste and carry no meaning in a cell.
_ZERO_WIDTH_RE = re.compile("[\u200b\u2060\ufeff]")
# Code/choice keys also drop joiners and other zero-width format characters.
_ZERO_WIDTH_CODE_RE = re.compile("[\u200b-\u200d\u2060\ufeff]")
# Unicode line breaks other than "\n" (CR handled separately): NEL, LINE/PARAGRAPH SEPARATOR.
_OTHER_NEWLINES_RE = re.compile("[\x85\u2028\u2029]")
# Unicode space separators (category Zs) except the ASCII space itself.
_SPACE_SEPARATORS_RE = re.compile("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_SPACE_RUN_RE = re.compile("[ \t]+")
_ANY_WHITESPACE_RE = re.compile(r"\s+")
_ASCII_LOWER_RE = re.compile("[a-z]+")


def strip_illegal_xml(s: str) -> tuple[str, bool]:
    """Remove characters illegal in XML 1.0; the bool says whether any were removed."""
    cleaned, count = ILLEGAL_XML_RE.subn("", s)
    return cleaned, count > 0


def _is_missing(value: object) -> bool:
    """True for None, NaN, NaT and pandas.NA (scalars only)."""
    if value is None:
        return True
    try:
        result = pd.isna(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False
    return isinstance(result, bool | np.bool_) and bool(result)


def _format_number(value: object) -> str | None:
    """Excel-like text for a number, or None when ``value`` is not a number."""
    if isinstance(value, bool | np.bool_):
        return "TRUE" if value else "FALSE"
    if isinstance(value, numbers.Integral):
        try:
            return str(int(value))
        except ValueError:  # more digits than Python will print (no cell holds such a number)
            return "[超长整数]"
    if isinstance(value, Decimal):
        if value.is_finite() and value == value.to_integral_value():
            return str(int(value))
        return str(value.normalize()) if value.is_finite() else str(value)
    if isinstance(value, numbers.Real):
        f = float(value)
        if math.isfinite(f) and f.is_integer():
            return str(int(f))
        # 15 significant digits, as Excel displays: 0.1 + 0.2 -> "0.3".
        return format(f, ".15g")
    return None


# Anything _clean_string would change besides the final strip(); most cells have none (issue 6).
_DIRTY_RE = re.compile(
    "[\x00-\x08\x0b-\x1f\ufffe\uffff\ud800-\udfff\u200b\u2060\ufeff\x85\u2028\u2029"
    "\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\t]|  "
)


def _clean_string(s: str) -> str:
    if not _DIRTY_RE.search(s):
        return s.strip()
    s, _ = strip_illegal_xml(s)
    s = _ZERO_WIDTH_RE.sub("", s)
    s = s.replace("\r\n", "\n").replace("\r", "\n")
    s = _OTHER_NEWLINES_RE.sub("\n", s)
    s = _SPACE_SEPARATORS_RE.sub(" ", s)
    s = _SPACE_RUN_RE.sub(" ", s)
    return s.strip()


def norm_text(value: object) -> str:
    """Turn any cell value into clean text.

    - None, NaN, NaT, pandas.NA and "" give "".
    - Integers and integral floats give "12" (never "12.0"); other floats give
      Excel's 15-significant-digit form ("0.3", "1e-07"); booleans give TRUE/FALSE.
    - Dates and datetimes give the ISO date ("2026-10-15"); a time gives "HH:MM:SS".
    - Text: CR LF / CR / other Unicode line breaks become "\\n"; U+3000, NBSP and
      other Unicode space separators become " "; runs of spaces and tabs (not
      newlines) collapse to one space; leading/trailing whitespace is stripped;
      characters illegal in XML and zero-width spaces/BOMs are removed.
      No NFKC: Chinese punctuation is kept as typed.

    The result is idempotent: ``norm_text(norm_text(x)) == norm_text(x)``.
    """
    if type(value) is str:  # never missing; the common case (issue 6)
        return _clean_string(value)
    if _is_missing(value):
        return ""
    if isinstance(value, str):
        return _clean_string(value)
    number = _format_number(value)
    if number is not None:
        return number
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, bytes):
        return _clean_string(value.decode("utf-8", errors="replace"))
    return _clean_string(str(value))


def _fixpoint(step: Callable[[str], str], s: str, limit: int = 6) -> str:
    """Apply ``step`` until the text stops changing (guarantees idempotence)."""
    for _ in range(limit):
        nxt = step(s)
        if nxt == s:
            return s
        s = nxt
    return s


def _code_step(s: str) -> str:
    s, _ = strip_illegal_xml(s)
    s = unicodedata.normalize("NFKC", s)
    s = _ZERO_WIDTH_CODE_RE.sub("", s)
    s = _ANY_WHITESPACE_RE.sub("", s)
    s = s.lstrip("'")
    return _ASCII_LOWER_RE.sub(lambda m: m.group(0).upper(), s)


def norm_code(value: object) -> str:
    """Normalise an identifier (unit code, member id) for matching.

    NFKC (full-width digits and letters become half-width), every whitespace
    character removed (including U+3000 and zero-width spaces), ASCII letters
    upper-cased, leading apostrophes (Excel's text marker) removed. Numbers are
    formatted as by :func:`norm_text`, so 1001.0 gives "1001". Missing gives "".
    Idempotent, and the result never contains whitespace.
    """
    if _is_missing(value):
        return ""
    text = value if isinstance(value, str) else norm_text(value)
    return _fixpoint(_code_step, text)


def _choice_key(s: str) -> str:
    """Comparison key for dropdown values: NFKC, no whitespace, no XML-illegal chars."""

    def step(t: str) -> str:
        t, _ = strip_illegal_xml(t)
        t = unicodedata.normalize("NFKC", t)
        t = _ZERO_WIDTH_CODE_RE.sub("", t)
        return _ANY_WHITESPACE_RE.sub("", t)

    return _fixpoint(step, s)


def norm_choice(
    value: object, choices: Sequence[str], aliases: Mapping[str, str] | None = None
) -> str | None:
    """Match a dropdown cell against its allowed values.

    Returns the canonical entry of ``choices`` (or the target of a matching alias),
    "" for a blank cell, and None when nothing matches. Matching order:

    1. the cleaned text equals a choice;
    2. NFKC + all whitespace removed, compared with each choice treated the same way
       ("通 过" and "通过" match);
    3. the same key compared with the keys of ``aliases`` (e.g. {"是": "通过"});
    4. as 2 and 3 but ignoring letter case, when exactly one target matches.
    """
    text = norm_text(value)
    if text == "":
        return ""
    if text in choices:
        return text
    key = _choice_key(text)
    if key == "":
        return ""
    for choice in choices:
        if _choice_key(choice) == key:
            return choice
    alias_map = aliases or {}
    for alias, target in alias_map.items():
        if _choice_key(alias) == key:
            return target
    folded = key.casefold()
    hits = {c for c in choices if _choice_key(c).casefold() == folded}
    hits |= {t for a, t in alias_map.items() if _choice_key(a).casefold() == folded}
    if len(hits) == 1:
        return hits.pop()
    return None


def _utf16_len(s: str) -> int:
    """Length as Excel counts it (UTF-16 code units); ``s`` has no surrogates."""
    return len(s) + sum(1 for ch in s if ord(ch) > 0xFFFF)


def safe_cell_text(s: str, limit: int = EXCEL_CELL_LIMIT) -> str:
    """Make user text safe to write into one Excel cell.

    Removes characters illegal in XML and truncates to ``limit`` characters
    (counted as UTF-16 code units, as Excel does), ending truncated text with
    "…（已截断）" so that the whole result stays within ``limit``.
    """
    text, _ = strip_illegal_xml(s if isinstance(s, str) else norm_text(s))
    if len(text) * 2 <= limit or _utf16_len(text) <= limit:  # at most 2 UTF-16 units per character
        return text
    mark = TRUNCATION_MARK if limit > len(TRUNCATION_MARK) else ""
    budget = limit - len(mark)
    used = 0
    cut = 0
    for i, ch in enumerate(text):
        width = 2 if ord(ch) > 0xFFFF else 1
        if used + width > budget:
            cut = i
            break
        used += width
    return text[:cut] + mark


_FILENAME_BAD_RE = re.compile(r'[/\\:*?"<>|]')
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10)}
_FALLBACK_NAME = "未命名"


def safe_filename(s: str, max_len: int = 60) -> str:
    """Build one file-name component from user text (a unit or member name).

    Removes path separators and ``: * ? " < > |``, control and invisible format
    characters and all whitespace; removes every ".." and leading/trailing dots;
    prefixes "_" to Windows device names (CON, NUL, COM1 ...); truncates to
    ``max_len`` characters. Never empty: returns "未命名" when nothing is left.
    """
    text = s if isinstance(s, str) else norm_text(s)
    text = _FILENAME_BAD_RE.sub("", text)
    text = "".join(
        ch for ch in text if unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
    )
    text = _ANY_WHITESPACE_RE.sub("", text)
    while ".." in text:
        text = text.replace("..", "")
    text = text.strip(".")
    if text.split(".", 1)[0].upper() in _WINDOWS_RESERVED:
        text = "_" + text
    text = text[: max(max_len, 1)].rstrip(".")
    return text or _FALLBACK_NAME[: max(max_len, 1)]


_FUNCTION_CALL_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*\s*\(")
_CELL_REF_RE = re.compile(r"\$?[A-Za-z]{1,3}\$?\d+(?![A-Za-z0-9])")


def looks_like_formula(s: str) -> bool:
    """True when text would look like a formula to a spreadsheet (formula injection).

    Text starting with "=" followed by something other than more "=" / "-"
    (a separator line), or starting with "+", "-" or "@" directly followed by a
    function call ("+cmd(", "@SUM("), a cell reference ("-A1") or containing a DDE
    pipe ("+cmd|' /C calc'!A0"). A list dash followed by a space ("- 1. 走访"),
    a lone "-", phone numbers ("+86 138...") and negative numbers are not formulas.
    Only used to add a notice: writers never write formulas.
    """
    text = norm_text(s)
    if not text or text[0] not in "=+-@":
        return False
    lead, rest = text[0], text[1:]
    if lead == "=":
        return rest.strip("=- \n") != ""
    if not rest or rest[0].isspace():
        return False
    if "|" in rest:
        return True
    body = rest.lstrip("=+-@")
    return bool(_FUNCTION_CALL_RE.match(body) or _CELL_REF_RE.match(body))
