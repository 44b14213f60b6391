"""Run a pandera schema lazily and turn every failure case into a finding at its cell.

Cells are parsed and normalised before this point (pandera stops checking a column once
one cell fails coercion), so the schemas here check *values*: membership, uniqueness,
presence and cross-row consistency. Each check is named; ``messages`` maps
``(column, check name)`` or ``check name`` to a rule code and a Chinese message
template, so the problem list says how to fix each case.

pandera reports a built-in check (``isin``, ``str_length``) by its own text
(``isin(['', '男', '女'])``), not by the name the schema gave it: the names are looked up
from the schema, so ``messages`` is always keyed by our names. A check without a message
(a schema changed without its messages) still gets a Chinese sentence that names the
column by its Chinese header and, for a list of allowed values, the values in words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from pipeline.core.findings import ERROR, Finding

if TYPE_CHECKING:  # pandera loads when a schema is validated, not with this module (issue 16)
    import pandera.pandas as pa

# (rule code, message template); the template may use {value}, {column} (the Chinese
# header) and {allowed} (the allowed values in words).
Message = tuple[str, str]
Locator = Callable[[object, str], dict[str, Any]]  # Finding keyword arguments (file, row, column, ...)


def allowed_in_words(values: Iterable[object]) -> str:
    """``['', '男', '女']`` -> ``“男”或“女”（也可以不填）``; three or more: ``“a”“b”“c”之一``."""
    vals = [str(v) for v in values]
    blank = "" in vals
    shown = [f"“{v}”" for v in vals if v != ""]
    if not shown:
        words = "空白"
    elif len(shown) <= 2:
        words = "或".join(shown)
    else:
        words = "".join(shown) + "之一"
    return words + ("（也可以不填）" if blank and shown else "")


def _checks(schema: pa.DataFrameSchema) -> dict[tuple[str, str], pa.Check]:
    """(column, text pandera reports for the check) -> the check; "" for frame-wide checks."""
    out: dict[tuple[str, str], pa.Check] = {}
    for name, column in schema.columns.items():
        for check in column.checks:
            out[(str(name), str(check.error or check.name))] = check
            out[(str(name), str(check.name))] = check
    for check in schema.checks:
        out[("", str(check.name))] = check
    return out


def schema_findings(
    schema: pa.DataFrameSchema,
    df: pd.DataFrame,
    locate: Locator,
    messages: Mapping[Any, Message],
    severity: str = ERROR,
    focus: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    fallback_rule: str = "V103",
) -> list[Finding]:
    """Validate ``df`` lazily; return one finding per failure case (index, column).

    DataFrame-wide checks report every column of a failing row; ``focus`` maps such a
    check's name to the one column whose cell the finding should point at. ``headers``
    maps a column to the Chinese header the clerk sees; ``fallback_rule`` is the code of a
    check that has no entry in ``messages``.
    """
    import pandera.pandas as pa

    focus = focus or {}
    headers = headers or {}
    try:
        schema.validate(df, lazy=True)
        return []
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    checks = _checks(schema)
    out: list[Finding] = []
    seen: set[tuple[object, str, str]] = set()
    for case in cases.itertuples(index=False):
        column = str(case.column) if case.column is not None else ""
        reported = str(case.check)
        check = checks.get((column, reported)) or checks.get(("", reported))
        name = str(check.name) if check is not None and check.name else reported
        if name in focus and column != focus[name]:
            continue
        index = case.index
        key = (index, column, name)
        if key in seen:
            continue
        seen.add(key)
        allowed = (check.statistics or {}).get("allowed_values") if check is not None else None
        rule, template = (
            messages.get((column, name)) or messages.get(name) or _fallback(fallback_rule, allowed)
        )
        value = "" if case.failure_case is None or pd.isna(case.failure_case) else str(case.failure_case)
        where = locate(index, column) if index is not None and not pd.isna(index) else {}
        text = template.format(
            value=value,
            column=headers.get(column, column),
            allowed=allowed_in_words(allowed) if allowed is not None else "",
        )
        out.append(Finding(severity, rule, text, **where))
    return out


def _fallback(rule: str, allowed: object) -> Message:
    if allowed is not None:
        return rule, "“{column}”填的是“{value}”，不是可选的值，应为{allowed}。请改正。"
    return rule, "“{column}”填的“{value}”不符合要求。请核对后改正。"
