"""CLI conventions (issue 17): Chinese usage and errors, global options anywhere, a
project folder, a parser that loads no library code."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli import COMMANDS, build_parser, main
from pipeline.cli.exit_codes import MEANINGS
from pipeline.cli.zh_argparse import translate

# What may stay Latin in a message: option names, the program and command names, the
# date pattern and the values the clerk typed (each test removes its own).
_ALLOWED = re.compile(
    r"(?<![\w-])--?[A-Za-z][\w-]*|\bpledge\b|YYYY-MM-DD|"
    + "|".join(map(re.escape, sorted(COMMANDS, key=len, reverse=True)))
)
_WORD = re.compile(r"[A-Za-z]{2,}")

BAD = [
    ([], ""),
    (["nosuch"], "nosuch"),
    (["consolidate", "--bogus"], ""),
    (["consolidate", "--as-of"], ""),
    (["consolidate", "--as-of", "yesterday"], "yesterday"),
    (["cards", "--per-page", "3"], ""),
    (["templates", "--workers", "many"], "many"),
    (["demo", "--seed", "abc"], "abc"),
    (["--inputs"], ""),
    (["bench", "--scale", "village"], "village school city county tiny"),
    (["consolidate", "--as-of", "2026-10-01", "extra"], "extra"),
]


def english_words(text: str, typed: str = "") -> list[str]:
    for token in typed.split():
        text = text.replace(token, "")
    return _WORD.findall(_ALLOWED.sub("", text))


@pytest.mark.parametrize(("argv", "typed"), BAD)
def test_bad_invocations_answer_in_chinese(
    argv: list[str], typed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("用法：pledge") and "错误：" in err
    assert english_words(err, typed) == [], err


@pytest.mark.parametrize("argv", [["--help"], *([name, "--help"] for name in COMMANDS)])
def test_help_is_chinese(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("用法：pledge") and "选项:" in out and "显示本帮助信息并退出" in out
    for english in ("usage:", "options:", "positional arguments", "show this help", "error:"):
        assert english not in out


def test_translate_knows_newer_pythons_wording() -> None:
    # 3.12+ lists choices without quotes; 3.11 with repr
    assert translate("invalid choice: 'x' (choose from a, b)") == "“x”不是可选的值，可选：a、b"
    assert translate("invalid choice: 'x' (choose from 'a', 'b')") == "“x”不是可选的值，可选：a、b"
    assert translate("argument --seed: invalid int value: 'q'") == "参数 --seed：“q”不是有效的整数"
    assert translate("the following arguments are required: 命令") == "缺少必需的参数：命令"
    assert translate("ambiguous option: --in could match --inputs, --index") == (
        "选项 --in 不明确，可能是：--inputs、--index"
    )
    assert english_words(translate("something argparse may say one day")) == []
    assert translate("日期“x”格式不对") == "日期“x”格式不对"  # our own messages stay


def test_global_options_after_the_command_and_project_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "党委 办公室"
    assert main(["demo", "-C", str(project), "--quiet"]) == 0
    assert (project / "inputs" / "roster.xlsx").is_file()
    assert main(["consolidate", "--quiet", "--project", str(project), "--as-of", "2026-11-20"]) == 0
    assert capsys.readouterr().out == ""  # --quiet after the command counts
    assert (project / "outputs" / "2026-11-20" / "台账.xlsx").is_file()
    # before and after the command together; an explicit --outputs wins over the project's
    other = tmp_path / "别处"
    assert main(["-C", str(project), "overdue", "--outputs", str(other), "--as-of", "2026-11-20"]) == 0
    assert (other / "2026-11-20" / "逾期清单.xlsx").is_file()
    assert "逾期未完成" in capsys.readouterr().out


def test_project_defaults(tmp_path: Path) -> None:
    parser = build_parser()
    from pipeline.cli import resolve_folders

    args = parser.parse_args(["consolidate"])
    resolve_folders(args)
    assert (args.inputs, args.outputs) == (Path("inputs"), Path("outputs"))
    args = parser.parse_args(["--inputs", "a", "consolidate", "-C", "p"])
    resolve_folders(args)
    assert (args.inputs, args.outputs) == (Path("a"), Path("p/outputs"))


def test_building_the_parser_loads_no_library_code() -> None:
    """--help must answer at once: no pandas, writers or readers behind the parser."""
    code = (
        "import sys; from pipeline.cli import build_parser; build_parser(); "
        "heavy = ('pandas', 'numpy', 'pandera', 'openpyxl', 'xlsxwriter', 'python_calamine', 'jinja2', 'rich'); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_exit_code_meanings_are_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    from pipeline.cli.exit_codes import main as explain

    assert explain(["3"]) == 0
    assert "退出码是 3：另一个任务正在使用输出文件夹" in capsys.readouterr().err
    assert all(
        english_words(m.replace("--strict", "").replace("--debug", "")) == [] for m in MEANINGS.values()
    )


def test_make_entry_explains_the_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """make turns every failure into its own exit 2; the entry it runs says the real code."""
    from pipeline.cli.make_run import main as make_run
    from pipeline.infra.atomic import run_lock

    project = tmp_path / "p"
    assert make_run(["-C", str(project), "--quiet", "demo"]) == 0
    assert capsys.readouterr().err == ""
    with run_lock(project / "outputs"):
        assert make_run(["-C", str(project), "consolidate", "--as-of", "2026-11-20"]) == 3
    err = capsys.readouterr().err
    assert "另一个汇总任务正在使用" in err and "pledge 命令的退出码是 3：另一个任务正在使用输出文件夹" in err
