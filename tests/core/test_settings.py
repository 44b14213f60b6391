"""campaign.toml: a broken file is rejected with the key named and exit code 2."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.core.errors import SettingsError
from pipeline.core.settings import load_settings, parse_settings
from tests.builders import DEMO_SETTINGS, settings_dict


def test_demo_settings_load() -> None:
    s = load_settings(DEMO_SETTINGS.parent)
    assert s.year == 2026
    assert (s.member_deeds.min, s.member_deeds.max) == (2, 3)
    assert (s.member_faults.min, s.member_faults.max) == (1, 2)
    assert (s.org_pledges.min, s.org_pledges.max) == (3, 5)
    assert s.deadline_window == (dt.date(2026, 8, 1), dt.date(2026, 11, 15))
    assert s.leader_of("D04") == "李副校长"


def _drop(data: dict, key: str) -> None:
    *path, last = key.split(".")
    for p in path:
        data = data[p]
    del data[last]


def _set(data: dict, key: str, value: object) -> None:
    *path, last = key.split(".")
    for p in path:
        data = data[p]
    data[last] = value


@pytest.mark.parametrize(
    "key",
    [
        "campaign.year",
        "campaign.name",
        "phases.pledge.start",
        "quotas.member_deeds.max",
        "quotas.org_pledges",
        "tracking.due_soon_days",
    ],
)
def test_missing_key_is_named(key: str) -> None:
    data = settings_dict()
    _drop(data, key)
    with pytest.raises(SettingsError, match=key.replace(".", r"\.")):
        parse_settings(data)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("campaign.year", "二〇二六", "整数"),
        ("quotas.member_deeds.min", -1, "整数"),
        ("quotas.member_deeds.min", 5, "quotas.member_deeds.max"),
        ("phases.fulfil.end", "下旬", "日期"),
        ("phases.fulfil.end", dt.date(2026, 9, 1), "早于"),
        ("tracking.due_soon_days", 1.5, "整数"),
        ("leaders.张校长", "D01", "文字列表"),
    ],
)
def test_wrong_value_is_named(key: str, value: object, expected: str) -> None:
    data = settings_dict()
    _set(data, key, value)
    with pytest.raises(SettingsError) as err:
        parse_settings(data)
    assert expected in str(err.value)


def test_broken_toml_exits_2_with_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    text = DEMO_SETTINGS.read_text(encoding="utf-8").replace("min = 2\n", "min = \n", 1)
    (inputs / "campaign.toml").write_text(text, encoding="utf-8")
    code = main(
        ["--inputs", str(inputs), "--outputs", str(tmp_path / "out"), "consolidate", "--as-of", "2026-10-01"]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "campaign.toml" in err and "格式错误" in err
    assert "Traceback" not in err


def test_missing_key_exits_2_naming_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    text = DEMO_SETTINGS.read_text(encoding="utf-8").replace("due_soon_days = 14", "", 1)
    (inputs / "campaign.toml").write_text(text, encoding="utf-8")
    assert main(["--inputs", str(inputs), "templates"]) == 2
    assert "tracking.due_soon_days" in capsys.readouterr().err


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--inputs", str(tmp_path), "templates"]) == 2
    assert "找不到设置文件" in capsys.readouterr().err


def test_fingerprint_changes_with_settings() -> None:
    a = parse_settings(settings_dict())
    data = settings_dict()
    data["tracking"]["due_soon_days"] = 7
    assert a.fingerprint() != parse_settings(data).fingerprint()


def test_mail_section_defaults_and_checks() -> None:
    data = settings_dict()
    del data["mail"]  # an older campaign.toml without [mail] still loads, with the defaults
    m = parse_settings(data).mail
    assert (m.host, m.port, m.security, m.folder, m.max_attachment_mb) == ("", 993, "ssl", "INBOX", 20)
    assert m.since == dt.date(2026, 8, 1)  # phases.pledge.start
    assert (m.smtp_port, m.smtp_security, m.resubmit_days, m.addresses) == (465, "ssl", 7, {})
    demo = parse_settings(settings_dict()).mail
    assert demo.addresses["D01"] == ["dzb1@example.edu.cn"]
    for key, bad, expect in [
        ("security", "tls", "ssl"),
        ("port", 70000, "端口"),
        ("max_attachment_mb", 0, "整数"),
        ("since", "九月", "日期"),
        ("addresses", {"D01": "不是邮箱"}, "mail.addresses.D01"),
    ]:
        data = settings_dict()
        data["mail"][key] = bad
        with pytest.raises(SettingsError, match=f"mail\\.{key}"):
            parse_settings(data)
        with pytest.raises(SettingsError, match=expect):
            parse_settings(data)


# ----------------------------------------------------------------------------- validated whole


def _cli_with(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: tuple[str, str], command: str = "consolidate"
) -> tuple[int, str]:
    """Run a September command on the demo settings with one text edit; (exit code, stderr)."""
    inputs = tmp_path / "inputs"
    inputs.mkdir(parents=True)
    text = DEMO_SETTINGS.read_text(encoding="utf-8")
    assert edit[0] in text, edit
    (inputs / "campaign.toml").write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    args = ["--inputs", str(inputs), "--outputs", str(tmp_path / "out"), command]
    if command == "consolidate":
        args += ["--as-of", "2026-09-20"]
    code = main(args)
    return code, capsys.readouterr().err


def _line_of(text: str) -> int:
    return next(
        i
        for i, line in enumerate(DEMO_SETTINGS.read_text(encoding="utf-8").splitlines(), 1)
        if line.startswith(text)
    )


def test_typo_in_assessment_is_reported_by_consolidate_in_september(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _cli_with(tmp_path, capsys, ('ties = "', 'tie = "'))
    assert code == 2
    assert err.count("\n") == 1  # one line
    assert f"第 {_line_of('ties = ')} 行" in err
    assert "assessment.good_cap.tie" in err and "您是否想写 assessment.good_cap.ties" in err and "S102" in err


def test_wrong_value_in_assessment_is_reported_by_templates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = next(
        x for x in DEMO_SETTINGS.read_text(encoding="utf-8").splitlines() if x.startswith("rectify_days")
    )
    code, err = _cli_with(tmp_path, capsys, (line, "rectify_days = 0"), command="templates")
    assert code == 2 and "assessment.rectify_days" in err and f"第 {_line_of('rectify_days')} 行" in err


def test_misspelt_section_is_named_with_the_nearest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _cli_with(tmp_path, capsys, ("[tracking]", "[trackng]"))
    assert code == 2 and "[trackng]" in err and "您是否想写 [tracking]" in err


def test_unknown_key_without_a_near_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _cli_with(tmp_path, capsys, ("[tracking]\n", "[tracking]\ncolour = 1\n"))
    assert code == 2 and "没有名为 tracking.colour 的设置项" in err and "您是否想写" not in err


def test_non_existent_date_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _cli_with(tmp_path, capsys, ("2026-11-15", "2026-11-31"))
    assert code == 2
    assert "2026 年 11 月没有 31 日" in err and "S104" in err
    assert "Invalid" not in err and "引号和方括号" not in err
    code, err = _cli_with(tmp_path / "b", capsys, ("2026-11-15", "2026-13-01"))
    assert "2026 年没有 13 月" in err


def test_toml_syntax_error_is_chinese_with_line_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _cli_with(tmp_path, capsys, ("due_soon_days = 14", "due_soon_days = 十四"))
    assert code == 2 and err.count("\n") == 1
    assert f"第 {_line_of('due_soon_days')} 行（设置项 tracking.due_soon_days）" in err
    assert "格式错误" in err and "S103" in err
    assert "Invalid value" not in err and "line" not in err and "column" not in err


def test_older_file_without_assessment_still_loads(tmp_path: Path) -> None:
    text = DEMO_SETTINGS.read_text(encoding="utf-8")
    (tmp_path / "campaign.toml").write_text(text[: text.index("[assessment]")], encoding="utf-8")
    assert load_settings(tmp_path).year == 2026


def test_known_keys_and_lines() -> None:
    from pipeline.core.settings import key_lines, nearest_key, unknown_keys

    lines = key_lines('[a]\nx = 1\n"y z" = 2\n[a.b]\nc.d = [\n  1,\n]\n')
    assert lines == {"a": 1, "a.x": 2, "a.y z": 3, "a.b": 4, "a.b.c.d": 5}
    known = {"a.x", "a.b.c.d", "a.table"}
    data = {"a": {"x": 1, "xx": 2, "table": {"free": 1}, "b": {"c": {"d": [1], "e": 2}}}, "z": {"q": 1}}
    assert unknown_keys(data, known) == ["a.xx", "a.b.c.e", "z"]
    assert nearest_key("a.xx", known) == "a.x"
    assert nearest_key("a.b.c.dd", known) == "a.b.c.d"
    assert nearest_key("a.nothing_like_it", known) == ""
