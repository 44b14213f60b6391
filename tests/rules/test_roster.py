"""The roster: normalised, validated, every error naming its cell."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipeline.core.errors import RosterError
from pipeline.rules.roster import load_roster
from tests.builders import ROSTER_ROWS, write_roster


def _load(tmp_path: Path, rows: list[tuple], **kw: object):
    write_roster(tmp_path / "roster.xlsx", rows, **kw)  # type: ignore[arg-type]
    return load_roster(tmp_path)


def test_units_and_members(tmp_path: Path) -> None:
    r = _load(tmp_path, ROSTER_ROWS)
    assert r.codes == ["D00", "D01", "D02"]
    assert r.unit_name("D00") == "校党委" and r.members_of("D00").empty
    assert len(r.members) == 5
    assert r.secretary_of("D01") == "王建国"


def test_normalises_cells(tmp_path: Path) -> None:
    rows = [
        ("Ｄ０１ ", " 第一党支部\u3000", "党支部 ", "０１０００１", " 王建国 ", "男", "教师", " 正式党员", "")
    ]
    r = _load(tmp_path, rows, title="2026年党员花名册")  # a title row above the header
    m = r.members.iloc[0]
    assert (m["unit_code"], m["member_id"], m["name"], m["category"]) == (
        "D01",
        "010001",
        "王建国",
        "正式党员",
    )
    assert r.unit_name("D01") == "第一党支部"


@pytest.mark.parametrize(
    ("row_index", "change", "cell", "text"),
    [
        (2, {3: "010001"}, "D3", "重复"),  # duplicate member id, both rows named
        (2, {4: ""}, "E4", "姓名为空"),
        (2, {7: "入党积极分子"}, "H4", "党员类别"),
        (2, {1: "一支部"}, "B4", "不同的单位名称"),
        (2, {2: "总支"}, "C4", "单位类型"),
    ],
)
def test_errors_name_their_cell(
    tmp_path: Path, row_index: int, change: dict[int, str], cell: str, text: str
) -> None:
    rows = [list(r) for r in ROSTER_ROWS]
    for col, value in change.items():
        rows[row_index][col] = value
    with pytest.raises(RosterError) as err:
        _load(tmp_path, [tuple(r) for r in rows])
    message = str(err.value)
    assert f"roster.xlsx!花名册!{cell}" in message
    assert text in message


def test_missing_column(tmp_path: Path) -> None:
    headers = ["单位编码", "单位名称", "单位类型", "党员编号", "姓名", "性别", "岗位", "党内职务"]
    with pytest.raises(RosterError, match="党员类别"):
        _load(tmp_path, [r[:7] + r[8:] for r in ROSTER_ROWS], headers=headers)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RosterError, match="找不到花名册"):
        load_roster(tmp_path)


def test_optional_unit_email_column(tmp_path: Path) -> None:
    from pipeline.rules.roster import HEADERS

    rows = [(*r, "") for r in ROSTER_ROWS]
    rows[0] = (*ROSTER_ROWS[0], "dangwei@example.edu.cn")
    rows[1] = (*ROSTER_ROWS[1], "DZB1@Example.edu.cn；wang@qq.com")  # full-width separator, upper case
    rows[2] = (*ROSTER_ROWS[2], "dzb1@example.edu.cn")
    rows[3] = (*ROSTER_ROWS[3], "dangwei@example.edu.cn")  # also D00's: belongs to no single unit
    r = _load(tmp_path, rows, headers=[*HEADERS, "单位邮箱"])
    assert r.emails == {
        "D00": ["dangwei@example.edu.cn"],
        "D01": ["dzb1@example.edu.cn", "wang@qq.com", "dangwei@example.edu.cn"],
    }
    from pipeline.rules.roster import address_index

    index = address_index(r.with_addresses({"D02": ["dzb2@example.edu.cn"], "D09": ["x@y.cn"]}))
    assert index == {"dzb1@example.edu.cn": "D01", "wang@qq.com": "D01", "dzb2@example.edu.cn": "D02"}
    # an old roster without the column still loads, with no addresses
    assert _load(tmp_path, ROSTER_ROWS).emails == {}


def _roster_frame() -> pd.DataFrame:
    from pipeline.rules.roster import COLUMNS

    return pd.DataFrame([(*r, "") for r in ROSTER_ROWS], columns=list(COLUMNS)).astype(str)


def _broken(change: str) -> pd.DataFrame:
    df = _roster_frame()
    if change == "no email column":
        return df.drop(columns="email")
    if change == "no category column":
        return df.drop(columns="category")
    if change == "a number":
        df["post"] = df["post"].astype(object)
        df.at[1, "post"] = 3
        return df
    if change == "empty frame":
        return df.iloc[0:0]
    column, row, value = change.split("|")
    df.at[int(row), column] = value
    return df


@pytest.mark.parametrize(
    "change",
    [
        "clean",
        "no email column",
        "no category column",
        "a number",
        "empty frame",
        "unit_code|1|",
        "unit_name|2|",
        "unit_name|2|一支部",
        "unit_type|2|总支",
        "unit_type|0|党支部",
        "gender|1|M",
        "member_id|2|010001",
        "member_id|0|010001",
        "name|1|",
        "category|3|入党积极分子",
        "category|0|随便",
        "party_role|1|任意文字",
    ],
)
def test_quick_check_agrees_with_the_schema(change: str) -> None:
    """``is_clean`` (plain pandas) passes exactly the frames the pandera schema passes:
    a roster it calls clean skips pandera, so it must never be more lenient."""
    import pandera.pandas as pa
    from pipeline.schemas.roster import is_clean, roster_schema

    df = _roster_frame() if change == "clean" else _broken(change)
    try:
        roster_schema().validate(df, lazy=True)
        passes = True
    except pa.errors.SchemaErrors:
        passes = False
    assert is_clean(df) == passes


def test_a_clean_roster_loads_without_pandera(tmp_path: Path) -> None:
    code = (
        "import sys\nfrom pathlib import Path\nfrom pipeline.rules.roster import load_roster\n"
        f"load_roster(Path({str(tmp_path)!r}))\nprint('pandera' in sys.modules)\n"
    )
    write_roster(tmp_path / "roster.xlsx", ROSTER_ROWS)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "False"
