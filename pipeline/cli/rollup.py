"""``pledge rollup``: the lower offices' ledgers (inputs/下级台账/) -> outputs/<as-of>/汇总上报/."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipeline.cli.common import add_as_of

# The same names as pipeline.jobs.rollup's and rollup_run's (kept here so --help loads no library code).
INBOX = "下级台账"
OUT_DIR = "汇总上报"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_as_of(p)
    p.add_argument(
        "--from",
        dest="source",
        type=Path,
        default=None,
        metavar="文件夹",
        help=f"下级单位报送的台账所在文件夹（默认 inputs/{INBOX}/；可含子文件夹和同一单位的多个版本）",
    )
    p.add_argument("--strict", action="store_true", help="有“错误”级问题时以退出码 1 结束")


def run(args: argparse.Namespace) -> int:
    from pipeline.core.findings import ERROR
    from pipeline.infra.atomic import run_lock
    from pipeline.jobs.rollup_run import BULLETIN, LEDGER, run_rollup

    with run_lock(args.outputs):
        got = run_rollup(args.inputs, args.outputs, args.as_of, args.source)
    r = got.rollup
    total = r.table().school
    say = args.console.say
    say(
        f"统计截止 {r.as_of:%Y-%m-%d}：{len(r.offices)} 个下级单位的台账已汇总（共 {len(r.units)} 个单位），"
        f"跟踪中承诺 {total.tracked} 项，完成合计 {total.done_total} 项（完成率 {total.rate * 100:.1f}%），"
        f"逾期未完成 {total.overdue} 项；发现错误 {r.count(ERROR)} 处、提醒 {r.count('提醒')} 处（见汇总台账的问题清单）。"
    )
    if not r.files:
        where = args.source or args.inputs / INBOX
        say(
            f"  注意：{where} 中没有找到任何文件。请把下级单位报送的台账（台账.xlsx）放进这个文件夹后重新运行。"
        )
    for office, ol in r.offices.items():
        say(f"  {office}：统计截止 {ol.meta.as_of:%Y-%m-%d}，采用 {ol.file.rel}")
    if r.missing:
        say(f"  未报送：{'、'.join(r.missing)}")
    bad = [x for x in r.files if x.state != "采用"]
    if bad:
        say(f"  未采用的文件 {len(bad)} 个：{'、'.join(f'{x.file.rel}（{x.state}）' for x in bad)}")
    number = f"（{got.issued.entry.number}）" if got.issued else ""
    say(f"输出：{got.out_dir / LEDGER}（汇总台账），{got.out_dir / BULLETIN}（汇总通报{number}）")
    if args.strict and r.count(ERROR):
        return 1
    return 0
