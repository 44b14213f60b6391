"""argparse in Chinese: usage, help headings and error messages a clerk can read.

argparse writes its own words in English (``usage:``, ``options:``, ``error:``,
``invalid choice``, ``the following arguments are required``). Only public means are
used to change them:

- :class:`ZhHelpFormatter` passes the ``用法：`` prefix to ``add_usage``;
- :class:`ZhArgumentParser` puts every argument into argument groups of its own, titled
  ``选项`` / ``位置参数`` (argparse leaves its default, English-titled groups empty and so
  does not print them), adds ``-h/--help`` itself with Chinese help, gives options that
  take a value a Chinese metavar (``文件夹``, ``数字``, ``值``) instead of the upper-cased
  English dest, and overrides :meth:`error` to print ``pledge：错误：`` and the message
  translated by :func:`translate`.

:func:`translate` knows the messages of argparse in Python 3.11 to 3.14 (tests run every
bad invocation a clerk can make and look for English words); a message it does not know
becomes a general Chinese hint rather than English.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

HELP_TEXT = "显示本帮助信息并退出"


def _plain(text: str) -> str:
    """``'a', 'b'`` or ``a, b`` -> ``a、b`` (argparse quotes choices with repr in 3.11)."""
    items = [s.strip().strip("'\"") for s in text.split(",")]
    return "、".join(s for s in items if s)


def _value(text: str) -> str:
    return text.strip().strip("'\"")


_TYPES = {"int": "整数", "float": "数字", "parse_as_of": "日期", "Path": "路径"}

# (pattern, replacement builder); the first that matches the whole message wins.
_RULES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"argument (?P<arg>[^:]+): (?P<msg>.*)", re.S),
        lambda m: f"参数 {m['arg']}：{translate(m['msg'])}",
    ),
    (
        re.compile(r"invalid choice: (?P<value>.*?) \(choose from (?P<choices>.*)\)", re.S),
        lambda m: f"“{_value(m['value'])}”不是可选的值，可选：{_plain(m['choices'])}",
    ),
    (
        re.compile(r"invalid (?P<type>\S+) value: (?P<value>.*)", re.S),
        lambda m: f"“{_value(m['value'])}”不是有效的{_TYPES.get(m['type'], '值')}",
    ),
    (
        re.compile(r"the following arguments are required: (?P<args>.*)", re.S),
        lambda m: f"缺少必需的参数：{_plain(m['args'])}",
    ),
    (
        re.compile(r"one of the arguments (?P<args>.*) is required", re.S),
        lambda m: f"必须给出以下参数之一：{m['args'].replace(' ', '、')}",
    ),
    (re.compile(r"unrecognized arguments: (?P<args>.*)", re.S), lambda m: f"无法识别的参数：{m['args']}"),
    (re.compile(r"expected one argument"), lambda m: "需要填写一个值"),
    (re.compile(r"expected at most one argument"), lambda m: "最多只能填写一个值"),
    (re.compile(r"expected at least one argument"), lambda m: "至少需要填写一个值"),
    (re.compile(r"expected (?P<n>\d+) arguments?"), lambda m: f"需要填写 {m['n']} 个值"),
    (
        re.compile(r"ambiguous option: (?P<opt>\S+) could match (?P<matches>.*)", re.S),
        lambda m: f"选项 {m['opt']} 不明确，可能是：{_plain(m['matches'])}",
    ),
    (
        re.compile(r"not allowed with argument (?P<arg>.*)", re.S),
        lambda m: f"不能与参数 {m['arg']} 同时使用",
    ),
    (
        re.compile(r"ignored explicit argument (?P<value>.*)", re.S),
        lambda m: f"这个选项不接受值（收到“{_value(m['value'])}”）",
    ),
    (re.compile(r"can't open (?P<file>.*?): .*", re.S), lambda m: f"无法打开文件“{_value(m['file'])}”"),
    (re.compile(r"unexpected option string: (?P<opt>.*)", re.S), lambda m: f"多余的选项：{m['opt']}"),
]
_ENGLISH = re.compile(r"[A-Za-z]{2,}")
_OPTION = re.compile(r"(?<![\w-])--?[A-Za-z][\w-]*")


def translate(message: str) -> str:
    """argparse's English ``message`` in Chinese (a Chinese message is kept as it is)."""
    for pattern, build in _RULES:
        m = pattern.fullmatch(message.strip())
        if m:
            return build(m)
    if _ENGLISH.search(_OPTION.sub("", message)) and not re.search(r"[\u4e00-\u9fff]", message):
        return "参数有误。请运行 pledge --help（或 pledge 命令 --help）查看用法。"
    return message


class ZhHelpFormatter(argparse.HelpFormatter):
    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)


def _metavar(kwargs: dict[str, Any]) -> str | None:
    action = kwargs.get("action")
    if action not in (None, "store", "append") or "choices" in kwargs:
        return None
    t = kwargs.get("type")
    if t is Path:
        return "文件夹"
    if t is int or t is float:
        return "数字"
    return "值"


class ZhArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser that speaks Chinese (see the module doc); subparsers made by
    ``add_subparsers().add_parser`` are of this class too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", ZhHelpFormatter)
        add_help = kwargs.pop("add_help", True)
        kwargs["add_help"] = False  # ours, with Chinese help, below
        super().__init__(*args, **kwargs)
        self._zh_positionals = super().add_argument_group("位置参数")
        self._zh_options = super().add_argument_group("选项")
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help=HELP_TEXT)

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        positional = bool(args) and not str(args[0]).startswith(tuple(self.prefix_chars))
        if not positional and "metavar" not in kwargs:
            metavar = _metavar(kwargs)
            if metavar:
                kwargs["metavar"] = metavar
        group = self._zh_positionals if positional else self._zh_options
        return group.add_argument(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：错误：{translate(message)}\n")
