"""Visual checks: the key outputs of the demo campaign, rendered by LibreOffice headless
to PDF the way a clerk prints them, are A4, within a page budget, inside the printable
area, readable, never print one line of text over another and never cut text off (a
title cut at the edge of a page band: tests/pdf_check.py).

All outputs are written once, converted in one ``soffice`` call (a few seconds) and their
pages rendered as images (``pdftoppm``), in a process started with the session, beside the
other tests (tests/early.py); each output is then its own test. LibreOffice comes from Debian (the Makefile's
``test`` target installs it); without it these tests are skipped with the reason.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.cli import main
from tests import pdf_check
from tests.early import Early

ROOT = Path(__file__).resolve().parents[2]
INPUTS = ROOT / "inputs"
AS_OF = "2026-11-20"
RATINGS_AS_OF = "2026-11-27"
UNIT = "D01_第一党支部（基础医学教研室）"


@dataclass(frozen=True)
class Output:
    label: str
    rel: str  # under the outputs folder
    min_pages: int
    max_pages: int


# Page budgets for the demo campaign (5 branches, ~50 members): generous enough for small
# changes of content, tight enough that a sheet printed one column a page fails.
OUTPUTS = (
    Output("template", f"templates/{UNIT}_公开承诺事项表.xlsx", 3, 12),
    Output("eval-template", f"eval-templates/{UNIT}_考核评价表.xlsx", 2, 6),
    Output("ledger", f"{AS_OF}/台账.xlsx", 20, 90),
    Output("feedback", f"{AS_OF}/反馈/{UNIT}_问题反馈.xlsx", 3, 16),
    Output("branch-ledger", f"{AS_OF}/支部台账/{UNIT}_台账.xlsx", 4, 20),
    Output("overdue", f"{AS_OF}/逾期清单.xlsx", 2, 12),
    Output("changes", f"{AS_OF}/变更记录.xlsx", 6, 32),
    Output("notice", f"{AS_OF}/公示_承诺事项.xlsx", 6, 28),
    Output("ratings", f"{RATINGS_AS_OF}/评价结果.xlsx", 10, 45),
    Output("rectification", f"{RATINGS_AS_OF}/拟组织处理名单.xlsx", 2, 12),
    Output("uses", f"{RATINGS_AS_OF}/考评结果运用.xlsx", 6, 30),
    # The Word bulletin (issue 13 item 3): checked as soon as `pledge bulletin` writes it.
    Output("bulletin", f"{AS_OF}/通报.docx", 1, 12),
)


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def render(root: Path) -> None:
    """Write the outputs of the demo into ``root/outputs`` and convert them to PDF in
    ``root/pdf`` (one ``soffice`` call). Run by ``python -m tests.outputs.test_print_pdf``."""
    exe = soffice()
    assert exe is not None
    out = root / "outputs"
    base = ["--inputs", str(INPUTS), "--outputs", str(out), "--quiet"]
    for cmd in (
        ["consolidate", "--as-of", AS_OF],
        ["templates"],
        ["eval-templates"],
        ["overdue", "--as-of", AS_OF],
        ["notice", "--as-of", AS_OF],
        ["ratings", "--as-of", RATINGS_AS_OF],
        ["rectification", "--as-of", RATINGS_AS_OF],
        ["uses", "--as-of", RATINGS_AS_OF],
        ["bulletin", "--as-of", AS_OF],
    ):
        assert main(base + cmd) == 0, cmd
    # Copies under ASCII names: one conversion, and PDF names that cannot collide.
    src = root / "xlsx"
    src.mkdir()
    for o in OUTPUTS:
        if (out / o.rel).exists():
            shutil.copy(out / o.rel, src / f"{o.label}{Path(o.rel).suffix}")
    subprocess.run(
        [
            exe,
            f"-env:UserInstallation=file://{root / 'lo-profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(root / "pdf"),
            *sorted(str(p) for p in src.iterdir()),
        ],
        check=True,
        timeout=300,
    )
    for pdf in (root / "pdf").glob("*.pdf"):
        pdf_check.rasterize(pdf, root / "raster" / pdf.stem)


def _render_command(folder: Path) -> list[str] | None:
    """``render(folder)`` in a process of its own, started with the session (tests/early.py)."""
    if soffice() is None or shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None:
        return None
    return [sys.executable, "-m", "tests.outputs.test_print_pdf", str(folder)]


pytestmark = pytest.mark.early("print-pdf", _render_command)


@pytest.fixture(scope="module")
def pdfs(early: Early) -> dict[str, Path]:
    run = early.result("print-pdf")
    if run.argv is None:
        pytest.skip(
            "LibreOffice (soffice) or poppler's pdftotext/pdftoppm is not installed and could not be installed: "
            "run `make test` as root on a machine that reaches Debian's mirrors, or "
            "apt-get install libreoffice-calc libreoffice-writer fonts-noto-cjk poppler-utils"
        )
    assert run.returncode == 0, run.output
    out, pdf_dir = run.folder / "outputs", run.folder / "pdf"
    return {o.label: pdf_dir / f"{o.label}.pdf" for o in OUTPUTS if (out / o.rel).exists()}


@pytest.mark.parametrize("output", OUTPUTS, ids=[o.label for o in OUTPUTS])
def test_prints_on_a4(pdfs: dict[str, Path], output: Output) -> None:
    if output.label == "bulletin" and output.label not in pdfs:
        pytest.skip(f"{output.rel} is not written yet (the Word bulletin comes with issue 13 item 3)")
    assert output.label in pdfs, f"{output.rel} was not written"
    pdf = pdfs[output.label]
    assert pdf.exists(), f"LibreOffice did not convert {output.rel}"
    images = pdf_check.page_images(pdf.parent.parent / "raster" / output.label)
    report = pdf_check.check(pdf, output.min_pages, output.max_pages, name=output.rel, images=images)
    assert report.ok, str(report)


if __name__ == "__main__":
    render(Path(sys.argv[1]))
