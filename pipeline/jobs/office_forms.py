"""The office's own forms that do not depend on a date: one 包靠领导记实表 per leader of
``[leaders]`` and the 年度工作目标表 (``make office-forms`` → ``outputs/office-forms/``).

Each is prefilled (a leader's units as the dropdown; every unit and member for the work
targets) and carries in what the version in use under ``inputs/office/`` already holds,
so a leader or the office keeps filling the same workbook all year.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.core.settings import Settings
from pipeline.office import forms as O
from pipeline.office.reader import OfficeInbox, read_inbox
from pipeline.office.workbook import write_office_workbook
from pipeline.read.textnorm import safe_filename
from pipeline.rules.roster import Roster

FORMS_DIR = "office-forms"


def leader_guide(s: Settings, leader: str, units: list[str], roster: Roster) -> str:
    names = "、".join(f"{c} {roster.unit_name(c)}" for c in units if c in roster.names)
    return "\n".join(
        [
            f"{s.year}年包靠领导记实表（{leader}）",
            "一、依据",
            "通知三(一)：校领导班子成员要按照包靠分工，经常深入包靠支部进行调研，帮助解决活动中遇到的实际困难，定期对活动开展情况进行点评。",
            "二、包靠单位",
            names or "（campaign.toml [leaders] 中没有写明）",
            "三、填写方法",
            "每次走访或点评填一行：日期、单位编码（下拉选择）、类型（走访调研 / 点评）、发现的问题、帮助解决的事项、点评意见。",
            f"填好后交{s.office}，放入 inputs/{O.OFFICE_INBOX}/ 再运行：记录会出现在通报（按领导）和该单位的支部台账中；",
            f"一期通报（{s.reader.integer('tracking.bulletin_period_days', 7, minimum=1)} 天）内没有记录的包靠单位会在通报中列出。",
        ]
    )


def targets_guide(s: Settings) -> str:
    return "\n".join(
        [
            f"{s.year}年年度工作目标表",
            "一、依据",
            "通知二(四)：学校对各党支部、各党支部对党员年度工作任务目标完成和承诺事项履行情况进行考核评价。",
            "二、填写方法",
            "每个单位、每名党员一行（已预填）。填写年度工作任务目标，在“完成情况”选择 完成 / 基本完成 / 未完成，",
            "或直接填写 0—100 的得分（填了得分的按得分）。没有工作目标的行留空，不计入。",
            "三、计分（campaign.toml [assessment.work_targets]）",
            f"权重 {s.reader.number('assessment.work_targets.weight', 0.0, lo=0.0, hi=1.0):g}：综合得分＝(1−权重)×承诺与评议得分＋权重×工作目标得分。",
            f"填好后放入 inputs/{O.OFFICE_INBOX}/ 再运行 make ratings。",
        ]
    )


def write_office_forms(inputs: Path, outputs: Path, settings: Settings, roster: Roster) -> list[Path]:
    inbox: OfficeInbox = read_inbox(inputs, outputs, O.OFFICE_INBOX, settings, roster)
    out_dir = outputs / FORMS_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    current = inbox.of(O.LEADERS)
    for leader, units in settings.leaders.items():
        carried: list[dict[str, Any]] = []
        if leader in current:
            carried = [
                {k: r.get(k) for k in ("date", "unit_code", "unit_name", "kind", "found", "help", "comment")}
                for r in current[leader].rows.to_dict("records")
                if r["filled"]
            ]
        path = out_dir / f"{safe_filename(leader, 20)}_{O.LEADERS.name}.xlsx"
        write_office_workbook(
            path,
            O.LEADERS,
            settings,
            carried,
            leader_guide(settings, leader, units, roster),
            key=leader,
            key_name=leader,
            blank_rows=O.LEADER_ROWS,
            lists={"unit_code": [c for c in units if c in roster.names]},
        )
        paths.append(path)
    old = {
        (r["unit_code"], r["member_id"]): r
        for ret in inbox.of(O.TARGETS).values()
        for r in ret.rows.to_dict("records")
    }
    rows: list[dict[str, Any]] = []
    for u in roster.units.itertuples(index=False):
        keys = [(u.unit_code, "", "")] + [
            (u.unit_code, m.member_id, m.name) for m in roster.members_of(u.unit_code).itertuples(index=False)
        ]
        for code, mid, name in keys:
            row: dict[str, Any] = {
                "unit_code": code,
                "unit_name": u.unit_name,
                "member_id": mid,
                "name": name,
            }
            prev = old.get((code, mid))
            if prev:
                row.update({k: prev.get(k) for k in ("target", "result", "score", "remark")})
            rows.append(row)
    path = out_dir / f"{O.TARGETS.name}.xlsx"
    write_office_workbook(path, O.TARGETS, settings, rows, targets_guide(settings))
    paths.append(path)
    return paths
