"""The CLI's exit codes and what each means, in Chinese.

``python -m pipeline.cli.exit_codes N`` prints the meaning of code ``N``;
:mod:`pipeline.cli.make_run` runs the CLI and explains a failing code (the Makefile's
entry: GNU make itself always exits 2 when a recipe fails, see README, "Exit codes").
"""

from __future__ import annotations

import sys

OK = 0
STRICT_ERRORS = 1
UNUSABLE = 2
LOCKED = 3
INTERNAL = 70
INTERRUPTED = 130

MEANINGS: dict[int, str] = {
    OK: "已完成，输出已写好",
    STRICT_ERRORS: "已写好输出，但有“错误”级问题（使用了 --strict）",
    UNUSABLE: "设置文件或花名册无法使用，或者命令参数有误",
    LOCKED: "另一个任务正在使用输出文件夹（运行锁被占用），请等它结束后再运行",
    INTERNAL: "程序内部错误，输出未改变；请加 --debug 重新运行并把信息发给维护人员",
    INTERRUPTED: "已中断，之前的输出保持不变",
}


def meaning(code: int) -> str:
    return MEANINGS.get(code, "未知的退出码")


def explain(code: int) -> None:
    print(f"pledge 命令的退出码是 {code}：{meaning(code)}。", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        code = int(args[0])
    except (IndexError, ValueError):
        print("用法：python -m pipeline.cli.exit_codes 退出码", file=sys.stderr)
        return 2
    explain(code)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
