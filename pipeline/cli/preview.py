"""``pledge preview``: PNG pages of every output in outputs/<as-of>/预览/ (LibreOffice)."""

from __future__ import annotations

import argparse

from pipeline.cli.common import add_as_of
from pipeline.outputs.preview import PREVIEW_DIR, write_previews


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_as_of(p)
    p.add_argument("--dpi", type=int, default=60, help="预览图片的分辨率（默认 60）")


def run(args: argparse.Namespace) -> int:
    out_dir = args.outputs / args.as_of.isoformat()
    previews = write_previews(args.outputs, out_dir, dpi=args.dpi)
    pages = sum(len(p.pngs) for p in previews)
    failed = [p.source.name for p in previews if p.pdf is None]
    args.console.say(f"已生成 {len(previews)} 个文件的预览，共 {pages} 页：{out_dir / PREVIEW_DIR}")
    if failed:
        args.console.warn("以下文件未能转换：" + "、".join(failed))
    return 0
