"""Schema of the normalised roster (one row per member; unit-only rows have no member).

The checks are written once, as data (:data:`COLUMN_CHECKS`, :data:`FRAME_CHECKS`), and
read two ways: :func:`roster_schema` builds the pandera schema from them (pandera reports
each failing cell, :mod:`pipeline.read.validate`), and :func:`is_clean` runs the same
checks in plain pandas, without pandera. A roster that passes them all (every run of a
campaign with a correct roster) needs no pandera, whose import and first validation take
~0.35 s (issue 16); one that fails any is validated by pandera as before. ``is_clean`` is
never more lenient than the schema: ``tests/rules/test_roster.py`` checks the two agree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

import pandas as pd
from pipeline.schemas.values import CATEGORIES, UNIT_TYPES

if TYPE_CHECKING:
    import pandera.pandas as pa

__all__ = ["CATEGORIES", "COLUMN_CHECKS", "FRAME_CHECKS", "UNIT_TYPES", "is_clean", "roster_schema"]


def _one_name_per_unit(df: pd.DataFrame) -> pd.Series:
    return df.groupby("unit_code")["unit_name"].transform("nunique") <= 1


def _one_type_per_unit(df: pd.DataFrame) -> pd.Series:
    return df.groupby("unit_code")["unit_type"].transform("nunique") <= 1


def _unique_member_ids(df: pd.DataFrame) -> pd.Series:
    ids = df["member_id"]
    return (ids == "") | ~ids.duplicated(keep=False)


def _member_has_name(df: pd.DataFrame) -> pd.Series:
    return (df["member_id"] == "") | (df["name"] != "")


def _member_has_category(df: pd.DataFrame) -> pd.Series:
    return (df["member_id"] == "") | df["category"].isin(CATEGORIES)


# column -> (required, checks); a check is ("nonempty" | "isin", allowed values, name).
# Every column holds str (not null): the roster frame is normalised to text first.
COLUMN_CHECKS: dict[str, tuple[bool, tuple[tuple[str, Sequence[str], str], ...]]] = {
    "unit_code": (True, (("nonempty", (), "required"),)),
    "unit_name": (True, (("nonempty", (), "required"),)),
    "unit_type": (True, (("isin", UNIT_TYPES, "unit_type"),)),
    "member_id": (True, ()),
    "name": (True, ()),
    "gender": (True, (("isin", ["", "男", "女"], "gender"),)),
    "post": (True, ()),
    "category": (True, ()),
    "party_role": (True, ()),
    "email": (False, ()),  # 单位邮箱, optional (issue 14)
}
FRAME_CHECKS: tuple[tuple[Callable[[pd.DataFrame], pd.Series], str], ...] = (
    (_one_name_per_unit, "one_name_per_unit"),
    (_one_type_per_unit, "one_type_per_unit"),
    (_unique_member_ids, "unique_member_id"),
    (_member_has_name, "member_name"),
    (_member_has_category, "member_category"),
)


_TEXT = pd.Series([], dtype=str).dtype  # what ``astype(str)`` gives


def is_clean(df: pd.DataFrame) -> bool:
    """True when ``df`` passes every check of :func:`roster_schema` (no pandera needed);
    False when any fails, or when this cannot tell (pandera then says what is wrong)."""
    for column, (required, checks) in COLUMN_CHECKS.items():
        if column not in df:
            if required:
                return False
            continue
        values = df[column]
        if values.dtype != _TEXT or values.isna().any() or not all(type(v) is str for v in values):
            return False  # not the text dtype the normalised frame has: pandera decides
        for kind, allowed, _name in checks:
            if kind == "nonempty" and any(v == "" for v in values):
                return False
            if kind == "isin" and not set(values) <= set(allowed):
                return False
    return all(bool(check(df).all()) for check, _name in FRAME_CHECKS)


@cache
def roster_schema() -> pa.DataFrameSchema:
    """The pandera schema of the same checks (pandera loads here, not with this module)."""
    import pandera.pandas as pa

    def column_check(kind: str, allowed: Sequence[str], name: str) -> Any:
        if kind == "nonempty":
            return pa.Check.str_length(min_value=1, name=name)
        return pa.Check.isin(allowed, name=name)  # as given: pandera's text names it

    return pa.DataFrameSchema(
        {
            column: pa.Column(str, [column_check(*c) for c in checks], required=required)
            for column, (required, checks) in COLUMN_CHECKS.items()
        },
        checks=[pa.Check(fn, name=name) for fn, name in FRAME_CHECKS],
        strict=False,
        coerce=False,
    )
