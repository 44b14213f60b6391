"""Run a pandera schema lazily and turn every failure case into a finding at its cell.

Cells are parsed and normalised before this point (pandera stops checking a column once
one cell fails coercion), so the schemas here check *values*: membership, uniqueness,
presence and cross-row consistency. Each check is named; ``messages`` maps
``(column, check name)`` (or ``check name``) to a rule code and a Chinese message
template, so the problem list says how to fix each case.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import pandera.pandas as pa

from pipeline.core.findings import ERROR, Finding

# (rule code, message template); the template may use {value} and {column}.
Message = tuple[str, str]
Locator = Callable[[object, str], dict[str, Any]]  # Finding keyword arguments (file, row, column, ...)


def schema_findings(
    schema: pa.DataFrameSchema,
    df: pd.DataFrame,
    locate: Locator,
    messages: Mapping[Any, Message],
    severity: str = ERROR,
    focus: Mapping[str, str] | None = None,
) -> list[Finding]:
    """Validate ``df`` lazily; return one finding per failure case (index, column).

    DataFrame-wide checks report every column of a failing row; ``focus`` maps such a
    check's name to the one column whose cell the finding should point at.
    """
    focus = focus or {}
    try:
        schema.validate(df, lazy=True)
        return []
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    out: list[Finding] = []
    seen: set[tuple[object, str, str]] = set()
    for case in cases.itertuples(index=False):
        column = str(case.column) if case.column is not None else ""
        check = str(case.check)
        if check in focus and column != focus[check]:
            continue
        index = case.index
        key = (index, column, check)
        if key in seen:
            continue
        seen.add(key)
        rule, template = (
            messages.get((column, check))
            or messages.get(check)
            or (
                "V999",
                "“{column}”的值“{value}”不符合要求（{check}），请按填报说明修改。",
            )
        )
        value = "" if case.failure_case is None or pd.isna(case.failure_case) else str(case.failure_case)
        where = locate(index, column) if index is not None and not pd.isna(index) else {}
        out.append(Finding(severity, rule, template.format(value=value, column=column, check=check), **where))
    return out
