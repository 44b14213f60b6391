"""Helpers every command module shares: the AS_OF option and the console."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from dataclasses import dataclass


def parse_as_of(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期“{text}”格式不对，应为 YYYY-MM-DD，例如 2026-10-15") from None


def add_as_of(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as-of",
        type=parse_as_of,
        default=dt.date.today(),
        metavar="YYYY-MM-DD",
        help="统计截止日期（默认今天）",
    )


@dataclass
class Console:
    """Where the summary goes; tests capture it."""

    quiet: bool = False

    def say(self, text: str = "") -> None:
        if not self.quiet:
            print(text)

    def warn(self, text: str) -> None:
        print(text, file=sys.stderr)


def say_calendar(console: Console, note: str) -> None:
    """The one sentence saying AS_OF is outside the campaign (pipeline.rules.calendar)."""
    if note:
        console.say(f"注意：{note}")
