"""``pledge notice``: outputs/<as-of>/公示_承诺事项.docx, .html and .xlsx (approved pledges)."""

from __future__ import annotations

import argparse

from pipeline.cli.common import add_as_of, say_calendar


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_as_of(p)
    p.add_argument("--no-cache", action="store_true", help="不使用解析缓存，全部重新读取")


def run(args: argparse.Namespace) -> int:
    from pipeline.core.settings import load_settings
    from pipeline.infra.atomic import OutputStage, run_lock
    from pipeline.jobs.consolidate import run_consolidation
    from pipeline.outputs.documents import document_settings
    from pipeline.outputs.notice import NOTICE_DOCX, NOTICE_HTML, NOTICE_XLSX, not_posted_line, write_notice
    from pipeline.outputs.official import use_cache as use_docx_cache
    from pipeline.rules.calendar import outside_campaign

    out_dir = args.outputs / args.as_of.isoformat()
    document_settings(load_settings(args.inputs))  # a wrong [documents] key stops before any work
    use_docx_cache(args.outputs / ".cache" if not args.no_cache else None)  # the set-up blank document
    with run_lock(args.outputs):
        c = run_consolidation(args.inputs, args.outputs, args.as_of, use_cache=not args.no_cache)
        with OutputStage(out_dir, owned={NOTICE_HTML, NOTICE_XLSX, NOTICE_DOCX}) as stage:
            df = write_notice(c, stage.path(NOTICE_HTML), stage.path(NOTICE_XLSX), stage.path(NOTICE_DOCX))
    say_calendar(args.console, outside_campaign(c.as_of, c.settings))
    args.console.say(
        f"{not_posted_line(c, len(df))}（{df['单位'].nunique()} 个单位）"
        f"输出：{out_dir / NOTICE_DOCX}（公文格式，可修改后张贴）、{out_dir / NOTICE_HTML}、{out_dir / NOTICE_XLSX}"
    )
    return 0
