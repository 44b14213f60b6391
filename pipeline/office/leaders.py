"""包靠领导 (notice 三(一): 校领导班子成员要按照包靠分工，经常深入包靠支部进行调研，帮助解决
活动中遇到的实际困难，定期对活动开展情况进行点评). Frames in, frames and findings out.

Each leader of ``[leaders]`` keeps a 包靠领导记实表 (:data:`pipeline.office.forms.LEADERS`):
visits (date, unit, what was found, help given) and comments on a unit's progress. The
records known on ``as_of`` (dated on or before it) are shown in the bulletin by leader
and in each unit's branch ledger; a unit of a leader with no record in the bulletin
period (``tracking.bulletin_period_days`` up to ``as_of``) is noted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from pipeline.core.findings import ERROR, NOTICE, Finding
from pipeline.core.settings import Settings
from pipeline.office import forms as O
from pipeline.rules.roster import Roster

RECORD_COLUMNS = [
    "leader",
    "date",
    "unit_code",
    "unit_name",
    "kind",
    "found",
    "help",
    "comment",
    "file",
    "sheet",
    "excel_row",
]
DEFAULT_PERIOD_DAYS = 7


def leader_records(
    rows: pd.DataFrame, settings: Settings, roster: Roster, as_of: dt.date
) -> tuple[pd.DataFrame, list[Finding]]:
    """The records known on ``as_of`` from the leaders' workbooks in use (``key`` = leader)."""
    names = roster.names
    field_cols = rows.attrs.get("field_cols", {})
    out: list[dict[str, Any]] = []
    findings: list[Finding] = []
    for rec in rows.to_dict("records"):
        leader = rec["key"]
        cells = field_cols.get(rec["file"], {})

        def at(f: str, rec: dict[str, Any] = rec, cells: dict[str, int] = cells) -> dict[str, Any]:
            return {
                "file": rec["file"],
                "sheet": rec["sheet"],
                "row": int(rec["excel_row"]),
                "column": cells.get(f, 0),
            }

        code = rec.get("unit_code", "")
        if not code or code not in names:
            findings.append(
                Finding(
                    ERROR,
                    "Q113",
                    f"单位编码“{code or '空'}”不在花名册中，这条记录未采用。请从下拉列表选择包靠单位的编码。",
                    **at("unit_code"),
                )
            )
            continue
        if rec.get("date") is None:
            findings.append(
                Finding(
                    ERROR,
                    "Q114",
                    "没有填写日期，这条记录未采用。请填写走访或点评的日期。",
                    unit_code=code,
                    unit_name=names[code],
                    **at("date"),
                )
            )
            continue
        if code not in settings.leaders.get(leader, []):
            findings.append(
                Finding(
                    NOTICE,
                    "Q115",
                    f"{names[code]}不是{leader}的包靠单位（见 campaign.toml [leaders]），记录照常采用。如分工有变化，请更新设置。",
                    unit_code=code,
                    unit_name=names[code],
                    **at("unit_code"),
                )
            )
        if rec["date"] > as_of:
            continue  # not yet known on as_of
        out.append(
            {
                "leader": leader,
                "date": rec["date"],
                "unit_code": code,
                "unit_name": names[code],
                "kind": rec.get("kind") or O.VISIT,
                "found": rec.get("found", ""),
                "help": rec.get("help", ""),
                "comment": rec.get("comment", ""),
                "file": rec["file"],
                "sheet": rec["sheet"],
                "excel_row": rec["excel_row"],
            }
        )
    df = pd.DataFrame(out, columns=RECORD_COLUMNS)
    if len(df):
        df = df.sort_values(["leader", "date", "unit_code"], kind="stable").reset_index(drop=True)
    return df, findings


def period_start(settings: Settings, as_of: dt.date) -> dt.date:
    days = settings.reader.integer("tracking.bulletin_period_days", DEFAULT_PERIOD_DAYS, minimum=1)
    return as_of - dt.timedelta(days=days - 1)


def followup_context(
    records: pd.DataFrame, settings: Settings, roster: Roster, as_of: dt.date
) -> dict[str, Any]:
    """For the bulletin: per leader, the period's records and the units without any."""
    start = period_start(settings, as_of)
    names = roster.names
    leaders = []
    for leader, units in settings.leaders.items():
        mine = records[records["leader"] == leader] if len(records) else records
        in_period = mine[(mine["date"] >= start) & (mine["date"] <= as_of)] if len(mine) else mine
        items = [
            {
                "date": r["date"],
                "unit_name": r["unit_name"],
                "kind": r["kind"],
                "found": r["found"],
                "help": r["help"],
                "comment": r["comment"],
            }
            for r in in_period.to_dict("records")
        ]
        seen = set(in_period["unit_code"]) if len(in_period) else set()
        silent = [names[c] for c in units if c in names and c not in seen]
        leaders.append(
            {
                "leader": leader,
                "records": items,
                "visits": sum(1 for i in items if i["kind"] == O.VISIT),
                "comments": sum(1 for i in items if i["kind"] == O.COMMENT),
                "total": len(mine),
                "silent": silent,
            }
        )
    return {"start": start, "end": as_of, "leaders": leaders}


def unit_records(records: pd.DataFrame, code: str) -> pd.DataFrame:
    """A unit's records for its branch ledger, with Chinese headers."""
    mine = records[records["unit_code"] == code] if len(records) else records
    out = pd.DataFrame(
        {
            "日期": mine["date"].tolist() if len(mine) else [],
            "包靠领导": mine["leader"].tolist() if len(mine) else [],
            "类型": mine["kind"].tolist() if len(mine) else [],
            "发现的问题": mine["found"].tolist() if len(mine) else [],
            "帮助解决的事项": mine["help"].tolist() if len(mine) else [],
            "点评意见": mine["comment"].tolist() if len(mine) else [],
        }
    )
    return out.astype(object).where(out != "", None)
