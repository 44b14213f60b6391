"""Command-line interface: ``python -m pipeline <command>`` or the ``pledge`` script.

A thin layer: each command parses its arguments, calls one function of the core, prints
a Chinese summary and maps domain errors to exit codes (:mod:`pipeline.cli.exit_codes`):

- 0: outputs written (findings are normal output);
- 1: ``--strict`` and the run found errors (错误);
- 2: settings or roster unusable, or bad arguments;
- 3: another run holds the lock.

Every make target is a wrapper over one command here. Building the parser imports no
command module: the command given is imported, and its arguments added, when argparse
reaches it (:class:`_Commands`), so a run loads one command module and ``--help`` none;
pandas and the writers load when the command runs (issue 16). Usage, help and argparse's errors are Chinese (:mod:`.zh_argparse`).

Folders: ``--inputs``/``--outputs`` (default ``inputs``/``outputs`` of the current
folder), or ``-C``/``--project 文件夹`` for that folder's ``inputs``/``outputs``. These
global options may be given before or after the command (``pledge consolidate --quiet``).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pipeline import __version__
from pipeline.cli.common import Console
from pipeline.cli.exit_codes import INTERNAL, INTERRUPTED
from pipeline.cli.zh_argparse import ZhArgumentParser
from pipeline.core.errors import PipelineError

# command name -> (module, one-line Chinese help). Each module defines
# ``add_arguments(parser)`` and ``run(args) -> int``.
COMMANDS: dict[str, tuple[str, str]] = {
    "templates": ("pipeline.cli.templates", "为花名册中的每个单位生成公开承诺事项表"),
    "consolidate": ("pipeline.cli.consolidate", "汇总各单位报回的承诺表，生成台账、问题清单和反馈表"),
    "demo": ("pipeline.cli.demo", "生成演示用的活动数据（固定随机种子；不会覆盖真实数据）"),
    "overdue": ("pipeline.cli.overdue", "列出逾期、临期承诺和久未记实的党员（逾期清单.xlsx）"),
    "bulletin": ("pipeline.cli.bulletin", "生成履诺情况通报（通报.html，可打印 A4）"),
    "notice": ("pipeline.cli.notice", "生成审核通过的承诺事项公示（HTML 和 Excel）"),
    "cards": ("pipeline.cli.cards", "生成“共产党员先锋岗”承诺桌签（可打印的 HTML）"),
    "bench": (
        "pipeline.cli.bench",
        "性能测试：在模拟的大规模数据上与读写下限、朴素写法比较（outputs/bench/）",
    ),
    "eval-templates": (
        "pipeline.cli.eval_templates",
        "为每个单位生成年终考核评价表（述职、民主评议、满意度测评）",
    ),
    "ratings": ("pipeline.cli.ratings", "年终考核评价：拟定等次、领导小组意见、评价结果和公示"),
    "fetch-mail": (
        "pipeline.cli.fetch_mail",
        "从办公室邮箱（只读）或导出的邮件文件夹收取各单位报回的填报表，存入 inputs/returns/邮件/",
    ),
    "demo-mail": (
        "pipeline.cli.demo_mail",
        "把演示数据中各单位报回的表写成一个演示邮箱（mbox），用来试用 fetch-mail",
    ),
    "send-feedback": (
        "pipeline.cli.send_feedback",
        "把当天的问题反馈表写成邮件草稿（outputs/<日期>/邮件/），加 --send 时直接发给各单位",
    ),
    "preview": ("pipeline.cli.preview", "把各项输出按打印效果转成 PDF 和 PNG 页面图（预览/），打印前查看"),
    "filing": ("pipeline.cli.filing", "生成承诺审核备案表（办公室审核各支部、上报上级审核校党委的承诺）"),
    "rectification": (
        "pipeline.cli.rectification",
        "整改跟踪：下发整改情况表，读回整改情况，列出拟组织处理人选",
    ),
    "office-forms": ("pipeline.cli.office_forms", "生成包靠领导记实表（每位领导一份）和年度工作目标表"),
    "rollup": (
        "pipeline.cli.rollup",
        "汇总下级单位报送的台账（inputs/下级台账/），生成本级的汇总台账和汇总通报",
    ),
    "uses": (
        "pipeline.cli.uses",
        "考评结果运用：先进基层党组织、优秀共产党员推荐，预备党员转正、不合格党员处置参考",
    ),
}


def add_global_options(p: argparse.ArgumentParser, after_command: bool = False) -> None:
    """The options every command takes. After the command (``after_command``) they have
    no defaults of their own, so that a value given before the command stays."""

    def default(value: object) -> object:
        return argparse.SUPPRESS if after_command else value

    p.add_argument(
        "-C",
        "--project",
        type=Path,
        default=default(None),
        help="项目文件夹：使用其中的 inputs/ 和 outputs/（默认当前文件夹）",
    )
    p.add_argument("--inputs", type=Path, default=default(None), help="输入文件夹（默认 inputs）")
    p.add_argument("--outputs", type=Path, default=default(None), help="输出文件夹（默认 outputs）")
    p.add_argument(
        "--debug", action="store_true", default=default(False), help="出错时显示完整的技术信息（traceback）"
    )
    p.add_argument("--quiet", action="store_true", default=default(False), help="不显示汇总信息")


class _Commands(argparse._SubParsersAction):  # type: ignore[type-arg]
    """The subcommands; a command's module is imported, and its own arguments added,
    when it is the one given: a run loads one command module, not all of them, and
    ``pledge --help`` none (issue 16)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        name = values[0] if values else None
        if name in COMMANDS:
            load_command(self._name_parser_map[name], name)
        super().__call__(parser, namespace, values, option_string)


def load_command(p: argparse.ArgumentParser, name: str) -> None:
    """Add the command ``name``'s own arguments to its parser ``p`` (once)."""
    if p.get_default("_run") is not None:
        return
    mod = importlib.import_module(COMMANDS[name][0])
    mod.add_arguments(p)
    add_global_options(p, after_command=True)
    p.set_defaults(_run=mod.run)


def build_parser() -> argparse.ArgumentParser:
    parser = ZhArgumentParser(
        prog="pledge", description="公开承诺活动数据处理程序（承诺表生成、汇总、跟踪、考核）"
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}", help="显示版本号并退出"
    )
    add_global_options(parser)
    sub = parser.add_subparsers(dest="command", title="命令", metavar="命令", required=True, action=_Commands)
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, description=help_text)
    return parser


def resolve_folders(args: argparse.Namespace) -> None:
    """``--inputs``/``--outputs`` as given, else the project folder's, else the current folder's."""
    base = args.project if args.project is not None else Path()
    if args.inputs is None:
        args.inputs = base / "inputs"
    if args.outputs is None:
        args.outputs = base / "outputs"


# Packages that only the development tools use, which a library may import when it finds
# them installed (pandera imports hypothesis for its data-synthesis strategies, ~0.15 s):
# a clerk's installation has none of them, and the program runs as if so everywhere.
DEV_ONLY_IMPORTS = ("hypothesis",)


def entry() -> int:
    """The ``pledge`` program (console script, ``python -m pipeline``, the Makefile): as
    :func:`main`, in a process of its own, without the development-only packages, and
    ended without the interpreter's teardown (:func:`exit_now`)."""
    for name in DEV_ONLY_IMPORTS:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]  # None: "not installed"
    code = main()
    exit_now(code)
    return code


def exit_now(code: int) -> None:
    """End the process with ``code`` at once: the exit handlers run and the standard
    streams are flushed, but the interpreter does not free every object one by one (with
    pandas loaded that teardown takes ~0.15-0.25 s of a 1 s command; mypy ends the same
    way). Every file the program writes is closed by then (atomic writes). Returns, for
    the ordinary exit, while another thread runs or where the interpreter has no
    ``atexit._run_exitfuncs`` (CPython and PyPy have it)."""
    import atexit
    import contextlib
    import threading

    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_handlers is None or threading.active_count() > 1:
        return
    run_exit_handlers()
    for stream in (sys.stdout, sys.stderr):
        # a closed pipe: what the ordinary exit would also fail to write
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help is 0, bad arguments 2
        return int(exc.code or 0)
    resolve_folders(args)
    args.console = Console(quiet=args.quiet)
    run: Callable[[argparse.Namespace], int] = args._run
    try:
        return run(args)
    except PipelineError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"错误：{exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("已中断，之前的输出保持不变。", file=sys.stderr)
        return INTERRUPTED
    except Exception as exc:  # a bug: one line for the clerk, traceback with --debug
        if args.debug:
            traceback.print_exc()
        print(
            f"程序内部错误：{type(exc).__name__}: {exc}。输出未改变。请加 --debug 重新运行并把信息发给维护人员。",
            file=sys.stderr,
        )
        return INTERNAL


if __name__ == "__main__":
    raise SystemExit(main())
