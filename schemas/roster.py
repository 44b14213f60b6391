"""Schema of the normalised roster (one row per member; unit-only rows have no member)."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pipeline.schemas.values import CATEGORIES, UNIT_TYPES

__all__ = ["CATEGORIES", "UNIT_TYPES", "RosterSchema"]


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


RosterSchema = pa.DataFrameSchema(
    {
        "unit_code": pa.Column(str, pa.Check.str_length(min_value=1, name="required")),
        "unit_name": pa.Column(str, pa.Check.str_length(min_value=1, name="required")),
        "unit_type": pa.Column(str, pa.Check.isin(UNIT_TYPES, name="unit_type")),
        "member_id": pa.Column(str),
        "name": pa.Column(str),
        "gender": pa.Column(str, pa.Check.isin(["", "男", "女"], name="gender")),
        "post": pa.Column(str),
        "category": pa.Column(str),
        "party_role": pa.Column(str),
        "email": pa.Column(str, required=False),  # 单位邮箱, optional (issue 14)
    },
    checks=[
        pa.Check(_one_name_per_unit, name="one_name_per_unit"),
        pa.Check(_one_type_per_unit, name="one_type_per_unit"),
        pa.Check(_unique_member_ids, name="unique_member_id"),
        pa.Check(_member_has_name, name="member_name"),
        pa.Check(_member_has_category, name="member_category"),
    ],
    strict=False,
    coerce=False,
)
