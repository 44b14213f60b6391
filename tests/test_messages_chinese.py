"""No English reaches a clerk: every message produced by bad rosters, bad settings, bad
evaluation workbooks and the CLI's error paths is Chinese.

A message may contain ASCII only for what the clerk must type or find: rule codes
(``P106``), file and folder names and paths (``roster.xlsx``, ``inputs/``), settings key
names (``tracking.due_soon_days``), sheet names (``_meta``), TOML's ``true``/``false``,
the program's name, commands and options (``pledge consolidate --as-of``), the date
pattern ``YYYY-MM-DD`` and the programs a clerk uses (Excel, WPS). Any other ASCII word
of 3+ letters fails the test.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from pipeline.assessment.reader import read_evaluations
from pipeline.cli import main
from pipeline.core.errors import PipelineError
from pipeline.core.settings import key_lines, load_settings
from pipeline.rules.roster import load_roster, roster_from_frame
from tests.assessment_builders import member_row, write_eval
from tests.builders import DEMO_SETTINGS, ROSTER_ROWS, load, make_inputs, write_roster

WORD = re.compile(r"[A-Za-z]{3,}")
CODE = re.compile(r"\b[A-Z]\d{3}\b")
FILE = re.compile(r"[\w\-.（）()]*\.(?:xlsx|xlsm|xls|ods|toml|csv|html|txt)\b")
PATH = re.compile(r"(?:/[^\s/。，：；（）“”]+)+/?")
OPTION = re.compile(r"--[a-z][a-z-]*")
DATE_PATTERN = "YYYY-MM-DD"

# What a clerk types or finds by that name, and nothing else.
FOLDERS = {"inputs", "outputs", "returns", "evaluation", "templates", "archive"}
TOML_WORDS = {"true", "false"}
SHEETS = {"meta"}  # the hidden _meta sheet
DOCS = {"README"}  # the setup guide shipped with the program
ENCODINGS = {"UTF"}  # 另存为 UTF-8 编码 (Notepad's own word)
PROGRAMS = {"Excel", "WPS"}  # what the clerk opens the workbooks with


def _cli_words() -> set[str]:
    """The program's name and its command names (what the clerk types)."""
    from pipeline.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.choices)  # the subcommands
    return {"pledge", *(w for name in sub.choices for w in name.split("-"))}


def _setting_words() -> set[str]:
    words: set[str] = set()
    for key in key_lines(DEMO_SETTINGS.read_text(encoding="utf-8")):
        words |= {w for part in key.split(".") for w in part.split("_")}
        words |= set(key.split("."))
    return {w for w in words if w.isascii()}


ALLOWED = FOLDERS | TOML_WORDS | SHEETS | DOCS | ENCODINGS | PROGRAMS | _cli_words() | _setting_words()


def english_words(message: str, tmp: Path | None = None) -> list[str]:
    text = message
    if tmp is not None:
        text = text.replace(str(tmp), "")
    text = text.replace(DATE_PATTERN, " ")
    text = CODE.sub(" ", FILE.sub(" ", PATH.sub(" ", OPTION.sub(" ", text))))
    return [w for w in WORD.findall(text) if w not in ALLOWED and not any(w in k for k in _keys_in(message))]


def _keys_in(message: str) -> list[str]:
    """Dotted setting keys the message names (the misspelt one included: it is the clerk's)."""
    return re.findall(r"\[?([a-z_]+(?:\.[a-z_\u4e00-\u9fff]+)+)\]?", message) + re.findall(
        r"名为 \[([a-z_]+)\]", message
    )


def _assert_chinese(messages: list[str], tmp: Path | None = None) -> None:
    assert messages
    bad = {m: english_words(m, tmp) for m in messages if english_words(m, tmp)}
    assert bad == {}


def test_the_scanner_catches_english() -> None:
    assert english_words("“gender”的值“男性”不符合要求（isin(['', '男', '女'])），请按填报说明修改") == [
        "gender",
        "isin",
    ]
    assert english_words("格式错误（Invalid value (at line 44, column 17)）") == [
        "Invalid",
        "value",
        "line",
        "column",
    ]
    assert english_words("roster.xlsx 第 3 行: 设置项 tracking.due_soon_days 不正确（S101）") == []


# ----------------------------------------------------------------------------- rosters

BAD_ROSTERS = [
    [("", "第一党支部", "党支部", "010001", "王建国", "男", "教师", "正式党员", "")],  # no unit code
    [("D01", "", "党支部", "010001", "王建国", "男", "教师", "正式党员", "")],  # no unit name
    [("D01", "第一党支部", "支委会", "010001", "王建国", "男", "教师", "正式党员", "")],  # unit type
    [("D01", "第一党支部", "党支部", "010001", "王建国", "男性", "教师", "正式党员", "")],  # gender
    [("D01", "第一党支部", "党支部", "010001", "王建国", "男", "教师", "入党积极分子", "")],  # category
    [("D01", "第一党支部", "党支部", "010001", "", "男", "教师", "正式党员", "")],  # no name
    [  # two names, two types for one code; a duplicate id
        ("D01", "第一党支部", "党支部", "010001", "王建国", "男", "教师", "正式党员", ""),
        ("D01", "第一支部", "党委", "010001", "李秀英", "女", "教师", "正式党员", ""),
    ],
]


@pytest.mark.parametrize("rows", BAD_ROSTERS)
def test_roster_messages(tmp_path: Path, rows: list[tuple[str, ...]]) -> None:
    inputs = tmp_path / "inputs"
    write_roster(inputs / "roster.xlsx", rows)
    with pytest.raises(PipelineError) as err:
        load_roster(inputs)
    findings = getattr(err.value, "findings", [])
    assert findings, str(err.value)
    _assert_chinese([str(err.value), *(f.message for f in findings)], tmp_path)


def test_roster_messages_name_columns_and_values_in_words() -> None:
    import pandas as pd

    raw = pd.DataFrame([dict(zip(range(9), r, strict=True)) for r in BAD_ROSTERS[3]])
    raw.columns = [
        "unit_code",
        "unit_name",
        "unit_type",
        "member_id",
        "name",
        "gender",
        "post",
        "category",
        "party_role",
    ]
    _roster, findings = roster_from_frame(raw, "roster.xlsx", "花名册")
    (gender,) = findings
    assert gender.message == "性别“男性”不正确，应为“男”或“女”（也可以不填）。请改正。"
    assert "填报说明" not in gender.message and gender.cell == "F2"


def test_roster_file_problems(tmp_path: Path) -> None:
    messages = []
    for name, setup in (
        ("missing", lambda p: None),
        ("word", lambda p: p.write_bytes(b"PK\x03\x04 not a workbook")),
        ("headers", lambda p: write_roster(p, ROSTER_ROWS, headers=["编码", "名称", "类型"] + [""] * 6)),
        (
            "columns",
            lambda p: write_roster(
                p,
                [r[:5] for r in ROSTER_ROWS],
                headers=["单位编码", "单位名称", "单位类型", "党员编号", "姓名"],
            ),
        ),
    ):
        inputs = tmp_path / name
        inputs.mkdir()
        setup(inputs / "roster.xlsx")
        with pytest.raises(PipelineError) as err:
            load_roster(inputs)
        messages.append(str(err.value))
    _assert_chinese(messages, tmp_path)


# ----------------------------------------------------------------------------- settings

BAD_SETTINGS = [
    ('ties = "', 'tie = "'),
    ("[tracking]", "[trackng]"),
    ("[tracking]\n", "[tracking]\ncolour = 1\n"),
    ("2026-11-15", "2026-11-31"),
    ("2026-11-15", "2026-13-01"),
    ("due_soon_days = 14", "due_soon_days = 十四"),
    ("due_soon_days = 14", "due_soon_days = 1.5"),
    ("due_soon_days = 14", ""),
    ("year = 2026", 'year = "2026"'),
    ("year = 2026", "year = 2026 2027"),
    ("[campaign]", "[campaign"),
    ('name = "', 'name = "未结束的引号\n#'),
    ("enabled = true", "enabled = ture"),
    ("enabled = true", 'enabled = "是"'),
    ("rectify_days = ", "rectify_days = 0 #"),
]


@pytest.mark.parametrize(("old", "new"), BAD_SETTINGS)
def test_settings_messages(tmp_path: Path, old: str, new: str) -> None:
    text = DEMO_SETTINGS.read_text(encoding="utf-8")
    assert old in text
    (tmp_path / "campaign.toml").write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(PipelineError) as err:
        load_settings(tmp_path)
    message = str(err.value)
    assert "\n" not in message and "第 " in message  # one line, with the line number
    _assert_chinese([message], tmp_path)


def test_settings_file_problems(tmp_path: Path) -> None:
    messages = []
    with pytest.raises(PipelineError) as err:
        load_settings(tmp_path)
    messages.append(str(err.value))
    (tmp_path / "campaign.toml").write_bytes(DEMO_SETTINGS.read_text(encoding="utf-8").encode("gbk"))
    with pytest.raises(PipelineError) as err:
        load_settings(tmp_path)
    messages.append(str(err.value))
    _assert_chinese(messages, tmp_path)


# ----------------------------------------------------------------------------- evaluations


def test_evaluation_messages(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path)
    s, roster = load(inputs)
    rows = [
        member_row(1, "010001", "王建国", vote_good=9, vote_fair=2),  # votes > voters
        member_row(2, "010002", "李秀英", sat_fairly="十二", vote_poor=-1, duty="也许"),
        member_row(3, "010003", "张伟", vote_fair=2.5, voters="10人"),
        member_row(4, "019999", "外单位"),
        member_row(5, "020001", "刘芳"),
        member_row(6, "010001", "王健国"),
        member_row(7, "", "", voters=5),
        member_row(8, "010003", "张伟", duty=""),
    ]
    write_eval(inputs, s, roster, "D01", rows, unit_row={"duty": "不知道", "sat_satisfied": -3})
    write_eval(inputs, s, roster, "D02", name="D02_没有单位表.xlsx", meta=False)
    (inputs / "evaluation" / "坏文件.xlsx").write_bytes(b"not a workbook at all")
    ev = read_evaluations(inputs, s, roster)
    rules = {f.rule for f in ev.findings}
    assert {"E102", "E103", "E104", "E105", "E109"} <= rules, rules
    _assert_chinese([f.message for f in ev.findings], tmp_path)


# ----------------------------------------------------------------------------- the CLI


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    out = capsys.readouterr()
    return code, out.err + out.out


def test_cli_error_paths(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    messages: list[str] = []
    empty = tmp_path / "empty"
    empty.mkdir()
    out = ["--outputs", str(tmp_path / "out")]
    for args in (
        ["--inputs", str(empty), *out, "consolidate", "--as-of", "2026-10-01"],  # no settings
        ["--inputs", str(empty), *out, "templates"],
        ["汇总一下"],  # unknown command
        ["consolidate", "--as-of", "2026-02-30"],  # not a date
        ["consolidate", "--bogus"],  # unknown option
    ):
        code, text = _cli(args, capsys)
        assert code == 2, (args, text)
        messages.append(text)
    no_roster = tmp_path / "no_roster"
    no_roster.mkdir()
    shutil.copy(DEMO_SETTINGS, no_roster / "campaign.toml")
    code, text = _cli(["--inputs", str(no_roster), *out, "consolidate", "--as-of", "2026-10-01"], capsys)
    assert code == 2
    messages.append(text)
    bad_roster = make_inputs(tmp_path / "bad", [BAD_ROSTERS[3][0]])
    code, text = _cli(["--inputs", str(bad_roster), *out, "consolidate", "--as-of", "2026-10-01"], capsys)
    assert code == 2
    messages.append(text)
    _assert_chinese(messages, tmp_path)


def test_evaluation_messages_name_the_column_by_its_header(tmp_path: Path) -> None:
    from pipeline.assessment import layout as A

    inputs = make_inputs(tmp_path)
    s, roster = load(inputs)
    write_eval(inputs, s, roster, "D01", [member_row(1, "010001", "王建国", vote_poor=-1)])
    ev = read_evaluations(inputs, s, roster)
    (neg,) = [f for f in ev.findings if f.rule == "E102"]
    header = A.MEMBER_EVAL_SHEET.column("vote_poor").header
    assert neg.message.startswith(f"“{header}”填的是负数“-1”")
