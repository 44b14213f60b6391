"""Schemas of the normalised evaluation tallies (考核评价表).

Cells are parsed first (``pipeline.assessment.reader``): counts become nullable integers
(text and fractions are reported there and read as blank), 述职 becomes "是"/"否"/"".
These schemas then check values: no negative counts, votes within the number of voters,
members on the roster of this unit, one row per member.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import pandera.pandas as pa

VOTE_COLUMNS = ("vote_good", "vote_fair", "vote_average", "vote_poor")
SAT_COLUMNS = ("sat_satisfied", "sat_fairly", "sat_basic", "sat_unsatisfied")
DUTY_VALUES = ("", "是", "否")


def _non_negative(s: pd.Series) -> pd.Series:
    return (s >= 0).fillna(True).astype(bool)


def _count(name: str) -> pa.Column:
    # a named custom check (pandera reports built-in checks by their own name)
    return pa.Column(
        pd.Int64Dtype(),
        pa.Check(_non_negative, name="non_negative"),
        nullable=True,
        coerce=False,
        required=True,
        title=name,
    )


def _votes_within_voters(df: pd.DataFrame) -> pd.Series:
    votes = df[list(VOTE_COLUMNS)].clip(lower=0).sum(axis=1, min_count=1)
    voters = df["voters"]
    return (voters.isna() | votes.isna() | (votes <= voters)).fillna(True).astype(bool)


def _has_member(df: pd.DataFrame) -> pd.Series:
    return df["member_id"] != ""


def _unique_member(df: pd.DataFrame) -> pd.Series:
    ids = df["member_id"]
    return (ids == "") | ~df.duplicated(["unit_code", "member_id"], keep="first")


def member_tally_schema(roster_units: Mapping[str, str]) -> pa.DataFrameSchema:
    """``roster_units`` maps every roster member id to its unit code."""

    def on_roster(df: pd.DataFrame) -> pd.Series:
        units = df["member_id"].map(roster_units)
        return (df["member_id"] == "") | (units == df["unit_code"])

    return pa.DataFrameSchema(
        {
            "unit_code": pa.Column(str),
            "member_id": pa.Column(str),
            "name": pa.Column(str),
            "duty": pa.Column(str, pa.Check.isin(DUTY_VALUES, name="duty")),
            "voters": _count("voters"),
            **{c: _count(c) for c in (*VOTE_COLUMNS, *SAT_COLUMNS)},
        },
        checks=[
            pa.Check(_has_member, name="has_member"),
            pa.Check(on_roster, name="on_roster"),
            pa.Check(_unique_member, name="unique_member"),
            pa.Check(_votes_within_voters, name="votes_within_voters"),
        ],
        strict=False,
        coerce=False,
    )


UnitTallySchema = pa.DataFrameSchema(
    {
        "unit_code": pa.Column(str),
        "duty": pa.Column(str, pa.Check.isin(DUTY_VALUES, name="duty")),
        **{c: _count(c) for c in SAT_COLUMNS},
    },
    strict=False,
    coerce=False,
)
