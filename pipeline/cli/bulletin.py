"""``pledge bulletin``: outputs/<as-of>/通报.docx and 通报.html, and 支部通报/ (one per branch)."""

from __future__ import annotations

import argparse

from pipeline.cli.common import add_as_of, say_calendar

# The same names as pipeline.jobs.bulletin's (kept here so --help loads no library code).
BULLETIN_FILE = "通报.html"
BULLETIN_DOCX = "通报.docx"
REGISTER = "documents/发文登记.csv"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_as_of(p)
    p.add_argument(
        "--issue",
        type=int,
        default=None,
        metavar="N",
        help=f"通报期数（默认按发文登记 {REGISTER} 的印发顺序：同一统计日期沿用原期号，新的日期取下一期）",
    )
    p.add_argument("--no-cache", action="store_true", help="不使用解析缓存，全部重新读取")


def run(args: argparse.Namespace) -> int:
    from pipeline.infra.atomic import run_lock
    from pipeline.jobs.bulletin import issue_bulletin
    from pipeline.outputs.branch_bulletin import BRANCH_DIR

    with run_lock(args.outputs):
        r = issue_bulletin(args.inputs, args.outputs, args.as_of, args.issue, use_cache=not args.no_cache)
    ctx, e = r.ctx, r.issued.entry
    f = ctx["figures"]
    say_calendar(args.console, ctx["calendar_note"])
    say = args.console.say
    say(
        f"{ctx['title']}（{e.number}）：{f['units_reported']}/{f['units_total']} 个单位已报送，跟踪中承诺 {f['tracked']} 项，"
        f"按期完成 {f['on_time']} 项、逾期完成 {f['done_late']} 项，完成合计 {f['done_total']} 项（完成率 {f['rate_text']}），"
        f"逾期未完成 {f['overdue']} 项。"
    )
    say(
        f"  期号：{'新编第' + str(e.issue) + '期' if r.issued.new else '沿用已登记的第' + str(e.issue) + '期'}"
        f"（登记在 {args.outputs / REGISTER}）。"
    )
    if r.issued.late_note:
        say(f"  注意：{r.issued.late_note}")
    if r.clash is not None:
        args.console.warn(
            f"注意：第{e.issue}期已用于统计截止 {r.clash.as_of:%Y-%m-%d} 的通报，两期期号相同。如非有意，请去掉 --issue 重新生成。"
        )
    say(
        f"输出：{r.out_dir / BULLETIN_DOCX}（公文格式，可在 Word/WPS 中修改后印发）、{r.out_dir / BULLETIN_FILE}（屏幕查看），"
        f"{r.out_dir / BRANCH_DIR}/（{len(r.branches)} 个支部各自的通报）"
    )
    return 0
