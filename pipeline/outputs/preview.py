"""Page previews: every office output rendered the way it prints, as PNG pages.

``pledge preview --as-of D`` converts the workbooks (and Word documents) of
``outputs/<D>/`` and of ``outputs/templates/``, ``outputs/eval-templates/`` with
LibreOffice headless to PDF (one ``soffice`` call for all files, a private profile so it
runs beside an open LibreOffice), then each PDF to PNG pages with poppler's
``pdftoppm``, into ``outputs/<D>/预览/``: ``<文件名>.pdf`` and ``<文件名>-<页>.png``. A person
looks at them before printing or sending; the test suite checks the same PDFs
(tests/pdf_check.py).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.errors import PipelineError

PREVIEW_DIR = "预览"
SUFFIXES = (".xlsx", ".docx")
DPI = 60


class PreviewError(PipelineError):
    """LibreOffice or poppler is missing, or a conversion failed."""


@dataclass
class Preview:
    source: Path
    pdf: Path | None
    pngs: list[Path]


def office_exe() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None or shutil.which("pdftoppm") is None:
        raise PreviewError(
            "生成预览需要 LibreOffice 和 poppler（pdftoppm），本机未安装。"
            "Debian/Ubuntu：sudo apt-get install libreoffice-calc libreoffice-writer fonts-noto-cjk "
            "fonts-crosextra-carlito poppler-utils"
        )
    return exe


def to_pdf(files: Iterable[Path], out_dir: Path, timeout: int = 600) -> dict[Path, Path]:
    """Convert ``files`` to PDF in ``out_dir`` with one LibreOffice call; returns source ->
    PDF for those converted. Files are copied under numbered names first, so sources with
    the same name in different folders do not overwrite each other's PDF."""
    exe = office_exe()
    files = list(files)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pledge-preview-") as tmp:
        work = Path(tmp)
        staged = []
        for i, f in enumerate(files):
            dst = work / "in" / f"{i:04d}{f.suffix}"
            dst.parent.mkdir(exist_ok=True)
            shutil.copyfile(f, dst)
            staged.append(dst)
        if not staged:
            return {}
        try:
            subprocess.run(
                [
                    exe,
                    f"-env:UserInstallation={(work / 'profile').as_uri()}",
                    "--headless",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    str(work / "pdf"),
                    *map(str, staged),
                ],
                check=True,
                capture_output=True,
                timeout=timeout,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            raise PreviewError(f"LibreOffice 转换 PDF 失败：{exc}") from exc
        out = {}
        for f, s in zip(files, staged, strict=True):
            pdf = work / "pdf" / f"{s.stem}.pdf"
            if pdf.exists():
                dst = out_dir / f"{f.stem}.pdf"
                shutil.move(str(pdf), dst)
                out[f] = dst
        return out


def to_png(pdf: Path, out_dir: Path, dpi: int = DPI) -> list[Path]:
    prefix = out_dir / pdf.stem
    for old in out_dir.glob(f"{pdf.stem}-*.png"):
        old.unlink()
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(prefix)], check=True, capture_output=True
    )
    return sorted(out_dir.glob(f"{pdf.stem}-*.png"))


def preview_sources(outputs: Path, as_of_dir: Path) -> list[Path]:
    """The outputs a person prints: the day's workbooks and documents (feedback and branch
    ledgers included) and the blank templates."""
    found: list[Path] = []
    for folder in (as_of_dir, outputs / "templates", outputs / "eval-templates"):
        if not folder.is_dir():
            continue
        for p in sorted(folder.rglob("*")):
            if p.suffix.lower() in SUFFIXES and PREVIEW_DIR not in p.parts and not p.name.startswith("~$"):
                found.append(p)
    return found


def write_previews(outputs: Path, as_of_dir: Path, dpi: int = DPI) -> list[Preview]:
    """PDF and PNG pages of every output into ``<as_of_dir>/预览/`` (rebuilt each run)."""
    sources = preview_sources(outputs, as_of_dir)
    target = as_of_dir / PREVIEW_DIR
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    # Names in 预览 must be unique: a branch's feedback and its ledger share the unit prefix
    # but not the suffix; templates of both kinds differ by their form name.
    pdfs = to_pdf(sources, target)
    return [Preview(s, pdfs.get(s), to_png(pdfs[s], target, dpi) if s in pdfs else []) for s in sources]
