"""A fair assessment of who did not report (issue 12, item 6): a unit with no pledge form
never comes out better than one that reported late, under every ``no_return`` policy, for
members and units alike; the public notice never says 待定; the Party committee is not
among the branches' commendations and its result is prepared for the level above."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from pipeline.assessment import scoring as S
from pipeline.assessment.policy import (
    GRADES,
    NO_RETURN_POOR,
    NO_RETURN_UNGRADED,
    NO_RETURN_ZERO,
    AssessmentPolicy,
    load_policy,
    parse_policy,
)
from pipeline.assessment.reader import empty_overrides
from pipeline.assessment.writer import notice_context
from pipeline.cli import main
from pipeline.core.errors import SettingsError
from pipeline.outputs.jinja import render
from tests.assessment.test_scoring import roster_members, tallies, tally
from tests.builders import settings, settings_dict
from tests.demo_project import DemoProject, copy_project

BASE = load_policy(settings())
UNITS = pd.DataFrame(
    {
        "unit_code": ["D00", "D01", "D02"],
        "unit_name": ["校党委", "第一支部", "第二支部"],
        "unit_type": ["党委", "党支部", "党支部"],
    }
)


def run(policy: AssessmentPolicy) -> S.Assessment:
    """D01 reported late: its September form, every pledge now 逾期未完成. D02 sent no
    pledge form at all. Both have the same votes (all 好) and satisfaction (all 满意).
    D00, the committee, did everything on time and is rated 好."""
    rm = roster_members(("010001", "D01"), ("020001", "D02"))
    pledges = pd.DataFrame(
        [("010001", "D01", "逾期未完成")] * 3, columns=["member_id", "unit_code", "status"]
    )
    orgs = pd.DataFrame(
        {"unit_code": ["D00"] * 3 + ["D01"] * 3, "status": ["按期完成"] * 3 + ["逾期未完成"] * 3}
    )
    tl = tallies(tally("010001", "D01"), tally("020001", "D02"))
    ut = pd.DataFrame(
        {
            "unit_code": ["D00", "D01", "D02"],
            "duty": ["是"] * 3,
            "invalid": [False] * 3,
            **{c: pd.array([10] * 3 if c == "sat_satisfied" else [0] * 3, dtype="Int64") for c in S.SATS},
        }
    )
    return S.assess(
        UNITS,
        rm,
        {},
        pledges,
        orgs,
        {"D00", "D01"},  # D02 sent no pledge form
        tl,
        ut,
        {"D00", "D01", "D02"},
        empty_overrides().members,
        empty_overrides().units,
        dataclasses.replace(policy, good_cap_enabled=False),
    )


def rank(grade: str) -> int:
    """0 for 好 ... 3 for 差; no grade counts as nothing to be better with (4)."""
    return GRADES.index(grade) if grade in GRADES else len(GRADES)


def test_the_late_unit_by_hand() -> None:
    res = run(BASE)
    m = res.members.set_index("member_id").loc["010001"]
    # fulfilment 0 (all 逾期未完成), peer 100, satisfaction 100: 0.4*0 + 0.4*100 + 0.2*100 = 60
    assert (m["score"], m["final"]) == (60.0, "一般")
    u = res.units.set_index("unit_code").loc["D01"]
    # members 0, orgs 0, members' grades (一般 = 60), satisfaction 100: 0.2*60 + 0.2*100 = 32
    assert (u["score"], u["final"]) == (32.0, "差")


@pytest.mark.parametrize("choice", [NO_RETURN_UNGRADED, NO_RETURN_ZERO, NO_RETURN_POOR])
def test_no_pledge_form_is_never_better_than_reporting_late(choice: str) -> None:
    res = run(dataclasses.replace(BASE, no_return=choice))
    m = res.members.set_index("member_id")
    u = res.units.set_index("unit_code")
    late_m, none_m = m.loc["010001"], m.loc["020001"]
    late_u, none_u = u.loc["D01"], u.loc["D02"]
    assert rank(none_m["final"]) >= rank(late_m["final"])
    assert rank(none_u["final"]) >= rank(late_u["final"])
    if choice == NO_RETURN_UNGRADED:
        assert (none_m["final"], none_m["state"], none_m["rule"]) == ("", S.PENDING, S.RULE_NO_RETURN)
        assert (none_u["final"], none_u["state"]) == ("", S.PENDING)
        listed = S.pending_table(res.members, res.units)
        assert list(zip(listed["类别"], listed["单位编码"], strict=True)) == [
            ("单位", "D02"),
            ("党员", "D02"),
        ]
    elif choice == NO_RETURN_ZERO:
        # the same figures as the late unit: 60 -> 一般 for the member, 32 -> 差 for the unit
        assert (none_m["score"], none_m["final"]) == (60.0, "一般")
        assert (none_u["score"], none_u["final"]) == (32.0, "差")
    else:
        assert (none_m["final"], none_u["final"]) == ("差", "差")
    (e119,) = [f for f in res.findings if f.rule == "E119"]
    assert e119.unit_code == "D02" and choice in e119.message
    assert "第二支部" not in set(S.commended(res.members, res.units)["单位名称"])


def test_policy_default_and_wrong_value() -> None:
    assert BASE.no_return == NO_RETURN_UNGRADED  # documented in campaign.toml
    data = copy.deepcopy(settings_dict())
    del data["assessment"]["no_return"]
    assert parse_policy(data).no_return == NO_RETURN_UNGRADED  # an older campaign.toml
    data["assessment"]["no_return"] = "不管"
    with pytest.raises(SettingsError, match=r"assessment\.no_return"):
        parse_policy(data)


def test_committee_is_reported_apart() -> None:
    res = run(BASE)
    u = res.units.set_index("unit_code")
    assert u.loc["D00", "final"] == "好"  # rated, but not the school's own 先进基层党组织
    commended = S.commended(res.members, res.units)
    assert "校党委" not in set(commended["单位名称"])
    (row,) = S.committee_table(res.units).to_dict("records")
    assert (row["单位名称"], row["最终等次"]) == ("校党委", "好") and "上级党组织" in row["说明"]
    assert "D00" not in set(S.secretaries_table(res.units)["单位编码"])


def test_rating_notice_never_says_pending() -> None:
    res = run(BASE)
    s = settings()
    ctx = notice_context(res, s, dt.date(2026, 12, 5))
    html = render("ratings_notice.html.j2", **ctx)
    assert "待定" not in html
    assert "党员020001" not in html  # left out, counted in a line
    assert "党员010001" in html
    lines = list(ctx["lines"])  # type: ignore[call-overload]
    assert "另有 1 个单位暂不评定，未列入本公示（所在单位未报送承诺表 1 个），评定后另行公示。" in lines
    assert "另有 1 名党员暂不评定，未列入本公示（所在单位未报送承诺表 1 名），评定后另行公示。" in lines
    assert any("校党委的考核评价结果报上级党组织审定" in x for x in lines)
    assert [u["name"] for u in ctx["units"]] == ["第一支部"]  # type: ignore[attr-defined, index]
    # before the assessment phase the notice says the results are a trial run
    early = notice_context(res, s, dt.date(2026, 10, 20))
    assert any("早于考核评价阶段开始（2026-11-20）" in x for x in early["lines"])  # type: ignore[attr-defined]


def test_demo_without_one_branchs_pledge_forms(tmp_path: Path, demo_build: DemoProject) -> None:
    """The demo with D05's pledge forms removed: D05 and its 14 members are not graded
    and are listed for the leadership group; D04 (September form only) is graded."""
    inputs = copy_project(demo_build, tmp_path).inputs
    for f in list((inputs / "returns").rglob("D05_*.xlsx")):
        f.unlink()
    outputs = tmp_path / "outputs"
    assert (
        main(
            [
                "--inputs",
                str(inputs),
                "--outputs",
                str(outputs),
                "--quiet",
                "ratings",
                "--as-of",
                "2026-12-05",
            ]
        )
        == 0
    )
    out = outputs / "2026-12-05"
    wb = openpyxl.load_workbook(out / "评价结果.xlsx", read_only=True)

    def rows(sheet: str) -> list[dict[str, object]]:
        data = list(wb[sheet].iter_rows(values_only=True))
        return [dict(zip(data[0], r, strict=True)) for r in data[1:]]

    members = rows("党员评价")
    d05 = [m for m in members if m["单位编码"] == "D05"]
    assert len(d05) == 14 and all(
        m["评定情况"] == S.PENDING and m["依据规则"] == S.RULE_NO_RETURN for m in d05
    )
    d04 = [m for m in members if m["单位编码"] == "D04"]
    assert len(d04) == 10 and all(m["最终等次"] in GRADES for m in d04)
    units = {u["单位编码"]: u for u in rows("单位评价")}
    assert units["D05"]["评定情况"] == S.PENDING and units["D04"]["最终等次"] in GRADES
    pending = rows("暂不评定名单")
    assert sum(1 for r in pending if r["单位编码"] == "D05") == 15  # the unit and its 14 members
    assert not [r for r in rows("表彰名单") if r["单位名称"] == units["D05"]["单位名称"]]
    html = (out / "公示_考核结果.html").read_text(encoding="utf-8")
    assert "待定" not in html and "所在单位未报送承诺表 14 名" in html
    assert units["D05"]["单位名称"] not in html
