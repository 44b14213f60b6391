"""pipeline.outputs.ledger_meta: the digest of the ledger rows, column by column or row by row."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pipeline.outputs.ledger import digest_of
from pipeline.outputs.ledger_meta import MEMBER_DIGEST, ORG_DIGEST, columns_digest, frames_digest, rows_digest


def _rows(df: pd.DataFrame) -> list[tuple[object, ...]]:
    return list(df.itertuples(index=False, name=None))


def test_frames_digest_is_the_rows_digest() -> None:
    """The column-by-column digest of the 党员承诺 / 组织承诺 frames is the row-by-row one
    (the level above recomputes it from the rows it reads back): text, missing values,
    numbers, whole floats, dates, datetimes, booleans."""
    members = pd.DataFrame(
        {
            "单位编码": pd.array(["B0001", "B0001", None], dtype=str),
            "党员编号": ["001", 2, np.nan],
            "承诺类型": pd.array(["党员承诺", "", "x"], dtype=str),
            "支部审核": [True, False, None],
            "完成情况": [1.0, 2.5, np.nan],
            "完成期限": [dt.date(2026, 9, 1), None, pd.NaT],
            "完成日期": pd.to_datetime(["2026-09-02", None, "2026-10-01"]),
        }
    )
    orgs = pd.DataFrame({"单位编码": ["B0001"], "序号": [3], "审核": ["通过"], "完成情况": [""]})
    orgs = orgs.reindex(columns=list(ORG_DIGEST))  # missing columns: all empty
    want = rows_digest(_rows(members), _rows(orgs))
    assert frames_digest(members, orgs) == want
    assert digest_of(members, orgs) == want
    assert frames_digest(members.iloc[:0], orgs) == rows_digest([], _rows(orgs))
    changed = members.copy()
    changed.loc[1, "承诺类型"] = "组织"
    assert frames_digest(changed, orgs) != want
    assert list(members.columns) == list(MEMBER_DIGEST)


def test_columns_digest_is_the_rows_digest() -> None:
    """What the roll-up computes over the cells it reads (one list per column) is the
    row-by-row digest: text, None, whole and other floats, ints, dates, datetimes, bools."""
    day = dt.date(2026, 9, 1)
    rows = [  # the last column: dates only (texts made once per distinct day)
        ("B0001", "001", 1.0, dt.date(2026, 9, 1), True, None, day),
        ("B0001", 2, 2.5, dt.datetime(2026, 9, 2, 8, 30), False, "", dt.date(2026, 9, 1)),
        (None, "x", float("nan"), None, None, "承诺", None),
    ]
    org_rows = [("B0002", 3, "通过")]
    columns = [list(c) for c in zip(*rows, strict=True)]
    org_columns = [list(c) for c in zip(*org_rows, strict=True)]
    want = rows_digest(rows, org_rows)
    assert columns_digest(columns, org_columns) == want
    assert columns_digest([[] for _ in columns], org_columns) == rows_digest([], org_rows)
    assert columns_digest([], []) == rows_digest([], [])
    columns[0][2] = "B0002"
    assert columns_digest(columns, org_columns) != want
    columns[0][2] = None
    assert columns_digest(columns, org_columns) == want
    columns[-1][1] = dt.date(2026, 9, 2)
    assert columns_digest(columns, org_columns) != want
