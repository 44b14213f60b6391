"""The demo campaign's year-end assessment: evaluation returns and the group's decisions.

:func:`build_eval_demo` writes, deterministically from the seed (its own
``random.Random``, so the pledge demo's draws are untouched):

- ``inputs/evaluation/<code>_<name>_考核评价表.xlsx`` for every roster unit, written by the
  real evaluation template writer with filled values (most members 好/较好, a few weaker;
  one member per branch of D01 and D04 with more than 40% 差 votes);
- one ordinary member of D02 who gave no duty report (述职 否: capped at 一般);
- three planted mistakes: D02 a member whose 好 votes exceed the voters (E103), D03 a
  satisfaction count typed as the text “十二” (E102), D05 a row for a member id that is
  not on the roster (E104);
- ``inputs/evaluation/领导小组意见.xlsx``: the 党员评价 layout with two opinions on the two
  members with many 差 votes (proposed 差 by the 差-vote rule): D01's changed to 一般
  with a reason (taken), D04's changed to 较好 without a reason (E106, not taken).

Only the demo's own file names are replaced; other files in ``inputs/evaluation`` stay.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.assessment import layout as A
from pipeline.assessment.template import EvalFill, eval_forms, write_eval_template
from pipeline.assessment.writer import MEMBER_COLUMNS, UNIT_COLUMNS
from pipeline.core.findings import cell_text
from pipeline.core.settings import Settings
from pipeline.infra.atomic import atomic_path
from pipeline.intake.received import campaign_zone
from pipeline.outputs.sheet import write_frame
from pipeline.outputs.xlsx import formats, new_workbook
from pipeline.rules.roster import Roster
from pipeline.tooling.stamp import stamp_saved_time

UNKNOWN_ID = "999999"
GRADE_MIX = {  # member profile -> share of votes 好, 较好, 一般, 差
    "strong": (0.80, 0.17, 0.03, 0.0),
    "good": (0.55, 0.35, 0.08, 0.02),
    "fair": (0.25, 0.50, 0.20, 0.05),
}
SAT_MIX = {
    "strong": (0.85, 0.12, 0.03, 0.0),
    "good": (0.65, 0.25, 0.08, 0.02),
    "fair": (0.40, 0.35, 0.20, 0.05),
}


@dataclass(frozen=True)
class PlantedEval:
    file: str  # relative to inputs/evaluation
    sheet: str
    row: int  # 1-based Excel row and column
    column: int
    rule: str
    member_id: str
    note: str

    @property
    def cell(self) -> str:
        """``E12`` as the problem list shows it."""
        return cell_text(self.row, self.column)


def _split(total: int, shares: tuple[float, ...], rng: random.Random) -> list[int]:
    """``total`` votes over the options by ``shares``, with a little noise; sums to total."""
    raw = [max(0.0, s + rng.uniform(-0.05, 0.05)) if s else 0.0 for s in shares]
    norm = sum(raw) or 1.0
    counts = [math.floor(total * r / norm) for r in raw]
    counts[0] += total - sum(counts)
    return counts


def _cell(sheet: Any, f: str, index: int) -> tuple[int, int]:
    """(row, column) of field ``f`` in body row ``index`` of the template ``sheet``."""
    return index + 2, sheet.index(f) + 1


def build_eval_demo(inputs: Path, settings: Settings, roster: Roster, seed: int) -> list[PlantedEval]:
    rng = random.Random(f"assessment-{seed}")
    inbox = inputs / A.INBOX
    inbox.mkdir(parents=True, exist_ok=True)
    forms = eval_forms(roster)
    overrides_name = f"{A.OVERRIDES_STEM}.xlsx"
    for name in [A.eval_filename(f.unit_code, f.unit_name) for f in forms] + [overrides_name]:
        (inbox / name).unlink(missing_ok=True)
    saved = dt.datetime(settings.year, 11, 25, 16, 0, tzinfo=campaign_zone(settings))
    planted: list[PlantedEval] = []
    poor_members: dict[str, tuple[str, str, str]] = {}  # unit -> (member_id, name, unit_name)
    sheet = A.MEMBER_EVAL_SHEET
    branches = [f.unit_code for f in forms if f.members]
    poor_units = {branches[0], branches[3 if len(branches) > 3 else -1]} if branches else set()
    for form in forms:
        rel = A.eval_filename(form.unit_code, form.unit_name)
        n = len(form.members)
        rows: list[dict[str, Any]] = []
        poor_at = rng.randrange(n) if form.unit_code in poor_units and n else -1
        # one ordinary member of the second branch did not give a duty report (not the secretary,
        # not the row with the planted vote mistake)
        plain = [i for i, m in enumerate(form.members) if m[1] != form.secretary and i != 1]
        no_duty_at = (
            rng.choice(plain)
            if plain and form.unit_code == (branches[1] if len(branches) > 1 else "")
            else -1
        )
        for i, (mid, name, category) in enumerate(form.members):
            voters = max(1, n - rng.choice((0, 0, 0, 1, 2)))
            cast = voters - rng.choice((0, 0, 0, 1))
            profile = rng.choices(("strong", "good", "fair"), weights=(0.35, 0.45, 0.20))[0]
            if i == poor_at:
                poor = math.ceil(cast * 0.45)
                votes = [*_split(cast - poor, (0.3, 0.5, 0.2), rng), poor]
                profile = "fair"
                poor_members[form.unit_code] = (mid, name, form.unit_name)
            else:
                votes = _split(cast, GRADE_MIX[profile], rng)
            sats = _split(rng.randint(12, 24), SAT_MIX[profile], rng)
            row: dict[str, Any] = {
                "seq": i + 1,
                "member_id": mid,
                "name": name,
                "category": category,
                "duty": A.NO if i == no_duty_at else A.YES,
                "voters": voters,
            }
            row.update(dict(zip(A.VOTE_FIELDS.values(), votes, strict=True)))
            row.update(dict(zip(A.SAT_FIELDS.values(), sats, strict=True)))
            rows.append(row)
        # planted mistakes
        if len(branches) > 1 and form.unit_code == branches[1] and rows:
            i = 1 if n > 1 else 0
            rows[i]["vote_good"] = rows[i]["voters"] + 2
            planted.append(
                PlantedEval(
                    rel,
                    A.SHEET_MEMBERS,
                    *_cell(sheet, "voters", i),
                    "E103",
                    rows[i]["member_id"],
                    "评议好票比参评人数还多 2 票",
                )
            )
        if len(branches) > 2 and form.unit_code == branches[2] and rows:
            i = n // 2
            rows[i]["sat_fairly"] = "十二"
            planted.append(
                PlantedEval(
                    rel,
                    A.SHEET_MEMBERS,
                    *_cell(sheet, "sat_fairly", i),
                    "E102",
                    rows[i]["member_id"],
                    "满意度票数写成了汉字“十二”",
                )
            )
        if len(branches) > 4 and form.unit_code == branches[4]:
            i = len(rows)
            rows.append(
                {
                    "seq": i + 1,
                    "member_id": UNKNOWN_ID,
                    "name": "赵临时",
                    "category": "正式党员",
                    "duty": A.YES,
                    "voters": n,
                    "vote_good": n - 1,
                    "vote_fair": 1,
                    "vote_average": 0,
                    "vote_poor": 0,
                    "sat_satisfied": 10,
                    "sat_fairly": 2,
                    "sat_basic": 0,
                    "sat_unsatisfied": 0,
                    "remark": "借调人员",
                }
            )
            planted.append(
                PlantedEval(
                    rel,
                    A.SHEET_MEMBERS,
                    *_cell(sheet, "member_id", i),
                    "E104",
                    UNKNOWN_ID,
                    "花名册中没有的人员（借调人员）",
                )
            )
        unit_sats = _split(rng.randint(40, 80), SAT_MIX["good" if form.members else "strong"], rng)
        unit_row: dict[str, Any] = {"duty": A.YES, **dict(zip(A.SAT_FIELDS.values(), unit_sats, strict=True))}
        write_eval_template(form, settings, inbox / rel, EvalFill(member_rows=rows, unit_row=unit_row))
        stamp_saved_time(inbox / rel, saved)

    _write_overrides(
        inbox / overrides_name,
        poor_members,
        [b for b in branches if b in poor_members],
        planted,
        overrides_name,
    )
    stamp_saved_time(inbox / overrides_name, saved + dt.timedelta(days=1))
    return sorted(planted, key=lambda p: (p.file, p.rule, p.row, p.column))


def _write_overrides(
    path: Path, poor: dict[str, tuple[str, str, str]], order: list[str], planted: list[PlantedEval], rel: str
) -> None:
    """The clerk's copy of 评价结果.xlsx, trimmed to the rows the group decided on."""
    headers = list(MEMBER_COLUMNS.values())
    rows = []
    decisions = (
        ("一般", "该同志对群众反映的问题已当面作出说明并制定整改措施，经领导小组集体研究，调整为一般"),
        ("较好", ""),
    )
    for code, (grade, reason) in zip(order, decisions, strict=False):
        mid, name, unit_name = poor[code]
        row = dict.fromkeys(headers, None)
        row.update(
            {
                "单位编码": code,
                "单位名称": unit_name,
                "党员编号": mid,
                "姓名": name,
                A.COL_PROPOSED: "差",
                A.COL_OPINION: grade,
                A.COL_REASON: reason or None,
            }
        )
        rows.append(row)
        if not reason:
            where = (len(rows) + 1, headers.index(A.COL_OPINION) + 1)
            planted.append(
                PlantedEval(
                    rel, A.SHEET_MEMBER_RESULTS, *where, "E106", mid, "领导小组改了等次但没写调整理由"
                )
            )
    with atomic_path(path) as tmp:
        wb = new_workbook(tmp)
        fmt = formats(wb)
        write_frame(wb.add_worksheet(A.SHEET_MEMBER_RESULTS), pd.DataFrame(rows, columns=headers), fmt)
        write_frame(
            wb.add_worksheet(A.SHEET_UNIT_RESULTS), pd.DataFrame(columns=list(UNIT_COLUMNS.values())), fmt
        )
        wb.close()
