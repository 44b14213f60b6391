"""Read a PDF rendered by LibreOffice and report what would be wrong on paper.

Uses poppler's ``pdftotext -bbox`` (Debian's poppler-utils, installed with LibreOffice by
the Makefile): one ``<word>`` per drawn word with its box, one ``<page>`` per page. The
checks, each a plain function over the parsed pages so a test can name what failed:

- :func:`not_a4`: every page is A4 (portrait or landscape), within 2 pt.
- :func:`outside`: words outside the printable area, the page less 5 mm on every side
  (what an office printer cannot print; text cut off at the edge lands there).
- :func:`overprinted`: pairs of words drawn over each other (a row too short for its
  wrapped text, text clipped by the next cell): boxes overlapping by more than 2 pt
  across and more than 35 % of the smaller height down.
- :func:`too_small`: words whose box is lower than ``MIN_TEXT_PT`` (a sheet squeezed to
  one page width until it cannot be read).
- :func:`cut_off`: words drawn but not visible to their end, on the page rendered as an image
  (``pdftoppm``): text clipped at the edge of a cell or of a page band. pdftotext reports a
  clipped word whole, where it would be, so only the pixels tell: a word whose first letter
  shows ink and whose last does not is cut; so is a word with no ink at all that follows a
  shown or cut word on its line (a title cut between two words). A word with no ink at all
  on a line of its own is not a defect: LibreOffice writes the text of a chart into the
  PDF of every page its anchor rows print on, drawn on one of them only.

:func:`check` runs them all and returns a :class:`Report`; ``str(report)`` is one line
per problem, for the assertion message.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path

import numpy as np

A4 = (595.3, 841.9)
PRINTABLE_INSET = 5 / 25.4 * 72  # 5 mm in points
MIN_TEXT_PT = 7.5  # an 11 pt cell font printed at 68 %: the least that reads on A4
RASTER_DPI = 72  # one pixel a point: enough to see whether a glyph is drawn
INK = 160  # a gray level (0 black .. 255 white) below which a pixel is ink

_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
_WORD = re.compile(
    r'<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">(.*?)</word>', re.S
)


@dataclass(frozen=True)
class Word:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    @property
    def height(self) -> float:
        return self.y1 - self.y0


@dataclass
class Page:
    number: int
    width: float
    height: float
    words: list[Word]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


@dataclass
class Report:
    name: str
    pages: list[Page]
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        head = f"{self.name}: {len(self.pages)} pages, {len(self.problems)} problems"
        return "\n".join([head, *self.problems[:15]])


def read_pages(pdf: Path) -> list[Page]:
    xml = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = []
    for n, (w, h, body) in enumerate(_PAGE.findall(xml), start=1):
        words = [
            Word(float(a), float(b), float(c), float(d), unescape(t)) for a, b, c, d, t in _WORD.findall(body)
        ]
        pages.append(Page(n, float(w), float(h), words))
    return pages


def not_a4(page: Page) -> str | None:
    size = sorted((page.width, page.height))
    if abs(size[0] - A4[0]) > 2 or abs(size[1] - A4[1]) > 2:
        return f"p{page.number}: page is {page.width:.0f}×{page.height:.0f} pt, not A4"
    return None


def outside(page: Page) -> list[Word]:
    m = PRINTABLE_INSET
    return [
        w
        for w in page.words
        if w.x0 < m - 0.5 or w.y0 < m - 0.5 or w.x1 > page.width - m + 0.5 or w.y1 > page.height - m + 0.5
    ]


def overprinted(page: Page) -> list[tuple[Word, Word]]:
    words = sorted(page.words, key=lambda w: (w.y0, w.x0))
    pairs = []
    for i, a in enumerate(words):
        for b in words[i + 1 :]:
            if b.y0 > a.y1:
                break
            dx = min(a.x1, b.x1) - max(a.x0, b.x0)
            dy = min(a.y1, b.y1) - max(a.y0, b.y0)
            if dx > 2 and dy > 0.35 * min(a.height, b.height):
                pairs.append((a, b))
    return pairs


def too_small(page: Page) -> list[Word]:
    return [w for w in page.words if w.height < MIN_TEXT_PT and w.text.strip()]


def rasterize(pdf: Path, folder: Path, dpi: int = RASTER_DPI) -> list[Path]:
    """Every page of ``pdf`` as a gray image (PGM) in ``folder``, in page order."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-gray", "-r", str(dpi), "-aa", "no", "-aaVector", "no", str(pdf), str(folder / "p")],
        check=True,
        capture_output=True,
    )
    return page_images(folder)


def page_images(folder: Path) -> list[Path]:
    """The page images :func:`rasterize` wrote into ``folder``, in page order (pdftoppm pads
    the page number to the width of the last one: p-1.pgm or p-001.pgm)."""
    return sorted(folder.glob("p-*.pgm"), key=lambda f: int(f.stem.rsplit("-", 1)[1]))


def read_gray(path: Path) -> np.ndarray:
    """A binary PGM (P5, 8 bit) as a (height, width) array of gray levels."""
    data = path.read_bytes()
    magic, width, height, depth, body = data.split(maxsplit=4)
    if magic != b"P5" or int(depth) > 255:
        raise ValueError(f"{path}: not an 8-bit binary PGM")
    w, h = int(width), int(height)
    return np.frombuffer(body[: w * h], dtype=np.uint8).reshape(h, w)


def _advance(ch: str) -> int:
    """A character's share of its word's box: CJK and ambiguous (quotes) 2, others 1."""
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F", "A") else 1


def _inked(image: np.ndarray, scale: float, x0: float, x1: float, y0: float, y1: float) -> bool:
    """Whether the box (points; 1 px in from top and bottom, clear of cell borders) holds ink."""
    r0, r1 = int(y0 * scale) + 1, int(y1 * scale + 0.5) - 1
    c0, c1 = max(0, int(x0 * scale)), int(x1 * scale + 0.5)
    box = image[max(0, r0) : max(r0 + 1, r1), c0 : max(c0 + 1, c1)]
    return int((box < INK).sum()) >= 2


def _ends(w: Word) -> tuple[tuple[float, float], tuple[float, float]]:
    """The x ranges of the first and of the last letter or digit of ``w`` (with the
    punctuation after it: a closing bracket or a full stop has little ink)."""
    shares = [_advance(c) for c in w.text]
    per = (w.x1 - w.x0) / (sum(shares) or 1)
    solid = [i for i, c in enumerate(w.text) if unicodedata.category(c)[0] in "LN"] or [0, len(w.text) - 1]
    first, last = solid[0], solid[-1]
    a = w.x0 + per * sum(shares[:first])
    b = w.x0 + per * sum(shares[:last])
    return (a, a + per * shares[first]), (b, w.x1)


def cut_off(page: Page, image: np.ndarray) -> list[Word]:
    """Words of ``page`` not visible to their end in ``image`` (the page rendered at any
    resolution): see the module's docstring."""
    scale = image.shape[1] / page.width
    out: list[Word] = []
    # The word before on the same line: same top and bottom, just to the left.
    before: dict[tuple[float, float], tuple[Word, bool]] = {}
    for w in sorted(page.words, key=lambda w: (round(w.y0, 1), round(w.y1, 1), w.x0)):
        if not w.text.strip() or w.x1 - w.x0 < 1:
            continue
        (a0, a1), (b0, b1) = _ends(w)
        head, tail = _inked(image, scale, a0, a1, w.y0, w.y1), _inked(image, scale, b0, b1, w.y0, w.y1)
        line = (round(w.y0, 1), round(w.y1, 1))
        prev = before.get(line)
        follows = prev is not None and 0 <= w.x0 - prev[0].x1 < w.height and prev[1]
        cut = (head and not tail) or (not head and not tail and follows)
        if cut:
            out.append(w)
        before[line] = (w, head or cut)  # shown or cut: a word after it with no ink is cut too
    return out


def check(
    pdf: Path,
    min_pages: int = 1,
    max_pages: int = 50,
    name: str | None = None,
    images: Sequence[Path] | None = None,
) -> Report:
    """All the checks of the module on ``pdf``; ``images``: its pages already rendered by
    :func:`rasterize` (else they are rendered here, into a temporary folder)."""
    pages = read_pages(pdf)
    report = Report(name or pdf.name, pages)
    p = report.problems
    if not min_pages <= len(pages) <= max_pages:
        p.append(f"{len(pages)} pages, expected {min_pages}–{max_pages}")
    if images is None:
        with tempfile.TemporaryDirectory(prefix="pdf-check-") as tmp:
            _check_pages(pages, rasterize(pdf, Path(tmp)), p)
    else:
        _check_pages(pages, list(images), p)
    return report


def _check_pages(pages: list[Page], images: list[Path], p: list[str]) -> None:
    if len(images) != len(pages):
        p.append(f"{len(images)} page images for {len(pages)} pages")
        images = []
    for k, page in enumerate(pages):
        if msg := not_a4(page):
            p.append(msg)
        if out := outside(page):
            w = out[0]
            p.append(
                f"p{page.number}: {len(out)} words outside the printable area, e.g. {w.text[:16]!r} "
                f"at x {w.x0:.0f}–{w.x1:.0f}, y {w.y0:.0f}–{w.y1:.0f} (page {page.width:.0f}×{page.height:.0f})"
            )
        if images and (cut := cut_off(page, read_gray(images[k]))):
            w = cut[0]
            p.append(
                f"p{page.number}: {len(cut)} words cut off (drawn, not visible to their end: clipped "
                f"at a cell or page-band edge), e.g. {w.text[:16]!r} at x {w.x0:.0f}–{w.x1:.0f}, y {w.y0:.0f}"
            )
        if over := overprinted(page):
            a, b = over[0]
            p.append(
                f"p{page.number}: {len(over)} pairs of words drawn over each other, e.g. "
                f"{a.text[:12]!r} / {b.text[:12]!r} at y {a.y0:.0f}"
            )
        if small := too_small(page):
            w = small[0]
            p.append(
                f"p{page.number}: {len(small)} words printed smaller than {MIN_TEXT_PT} pt, e.g. "
                f"{w.text[:12]!r} ({w.height:.1f} pt)"
            )
