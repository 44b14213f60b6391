"""The demo campaign's follow-up workbooks (issue 15): a leader's record and a
rectification return, written with the real office workbook writer.

- ``inputs/office/张校长_包靠领导记实表.xlsx``: a visit to D01 (11-17) and a comment on D02 (11-16) in the
  week before 2026-11-20 (so ``make bulletin AS_OF=2026-11-20`` shows them, with 校党委 noted
  as having no record), and an October visit; 李副校长 keeps a workbook with one October
  visit only, so all of his units are noted in November;
- ``inputs/rectification/<unit>_整改情况表.xlsx``: the unit of the first member on the
  整改名单 of 2026-11-27 returns the form with 部分整改 on 2026-12-20 (deadline 2026-12-27):
  ``make rectification AS_OF=2027-01-05`` lists the member as a candidate for
  organisational handling; with AS_OF=2026-12-21 the member is still 整改中.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

from pipeline.core.settings import Settings
from pipeline.office import forms as O
from pipeline.office.workbook import write_office_workbook
from pipeline.read.textnorm import safe_filename
from pipeline.rules.roster import Roster

LEADER_FILES = ("张校长_包靠领导记实表.xlsx", "李副校长_包靠领导记实表.xlsx")


def build_leaders_demo(inputs: Path, settings: Settings, roster: Roster) -> list[str]:
    y = settings.year
    office = inputs / O.OFFICE_INBOX
    office.mkdir(parents=True, exist_ok=True)
    names = roster.names
    books = {
        "张校长": [
            {
                "date": dt.date(y, 10, 22),
                "unit_code": "D01",
                "kind": O.VISIT,
                "found": "个别党员承诺事项过大，难以按期完成",
                "help": "指导支部帮助党员调整履诺计划",
                "comment": "",
            },
            {
                "date": dt.date(y, 11, 17),
                "unit_code": "D01",
                "kind": O.VISIT,
                "found": "部分党员履诺记实不及时，佐证材料不全",
                "help": "协调实训室课后向学生开放，解决党员辅导场地",
                "comment": "",
            },
            {
                "date": dt.date(y, 11, 16),
                "unit_code": "D02",
                "kind": O.COMMENT,
                "found": "",
                "help": "",
                "comment": "护理支部履诺进度快，志愿服务受到群众好评，要继续保持并做好记实",
            },
        ],
        "李副校长": [
            {
                "date": dt.date(y, 10, 20),
                "unit_code": "D03",
                "kind": O.VISIT,
                "found": "组织承诺“药品知识进社区”缺少活动场地",
                "help": "联系社区卫生服务中心提供场地",
                "comment": "",
            }
        ],
    }
    written = []
    stamp = dt.datetime(y, 11, 19, 17, 0).timestamp()
    for leader, rows in books.items():
        if leader not in settings.leaders:
            continue
        for r in rows:
            r["unit_name"] = names.get(str(r["unit_code"]), "")
        path = office / f"{leader}_{O.LEADERS.name}.xlsx"
        write_office_workbook(
            path,
            O.LEADERS,
            settings,
            rows,
            f"{settings.year}年包靠领导记实表（{leader}，演示数据）",
            key=leader,
            key_name=leader,
            blank_rows=O.LEADER_ROWS,
            lists={"unit_code": [c for c in settings.leaders[leader] if c in names]},
        )
        os.utime(path, (stamp, stamp))
        written.append(path.name)
    return written


def build_rectification_demo(inputs: Path, settings: Settings, roster: Roster) -> str:
    """The returned 整改情况表 of the first unit on the 整改名单 of 11-27 ("" if none)."""
    from pipeline.assessment import scoring as S
    from pipeline.assessment.policy import load_policy
    from pipeline.cli.ratings import run_ratings
    from pipeline.office.rectify import issue_rows

    y = settings.year
    issued_on = dt.date(y, 11, 27)
    with tempfile.TemporaryDirectory() as tmp:
        result, _f, _c, _ev = run_ratings(inputs, Path(tmp), issued_on, use_cache=False)
    policy = load_policy(settings)
    rect = S.rectify(result.members, result.units, issued_on, policy)
    by_name = {n: c for c, n in roster.names.items()}
    ids = {
        (u, n): m
        for u, n, m in zip(
            roster.members["unit_code"], roster.members["name"], roster.members["member_id"], strict=True
        )
    }
    due = issued_on + dt.timedelta(days=policy.rectify_days)
    forms = issue_rows(rect, by_name, ids, due, {})
    folder = inputs / O.RECTIFY_INBOX
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(f"*_{O.RECTIFY.name}.xlsx"):
        old.unlink()  # the demo's own earlier return
    if not forms:
        return ""
    code = sorted(forms)[0]
    rows = forms[code]
    for r in rows:
        r.update(
            measures="每周与群众谈心一次，公开改进承诺",
            situation="已谈心 2 次，工作作风有所改进，但群众仍反映服务态度问题",
            done_on=dt.date(y, 12, 20),
            result="部分整改",
        )
    name = f"{safe_filename(code, 20)}_{safe_filename(roster.unit_name(code))}_{O.RECTIFY.name}.xlsx"
    path = folder / name
    write_office_workbook(
        path,
        O.RECTIFY,
        settings,
        rows,
        f"{y}年整改情况表（演示数据）",
        key=code,
        key_name=roster.unit_name(code),
    )
    ts = dt.datetime(y, 12, 20, 10, 0).timestamp()
    os.utime(path, (ts, ts))
    return name
