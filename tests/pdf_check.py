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

:func:`check` runs them all and returns a :class:`Report`; ``str(report)`` is one line
per problem, for the assertion message.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path

A4 = (595.3, 841.9)
PRINTABLE_INSET = 5 / 25.4 * 72  # 5 mm in points
MIN_TEXT_PT = 7.5  # an 11 pt cell font printed at 68 %: the least that reads on A4

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


def check(pdf: Path, min_pages: int = 1, max_pages: int = 50, name: str | None = None) -> Report:
    pages = read_pages(pdf)
    report = Report(name or pdf.name, pages)
    p = report.problems
    if not min_pages <= len(pages) <= max_pages:
        p.append(f"{len(pages)} pages, expected {min_pages}–{max_pages}")
    for page in pages:
        if msg := not_a4(page):
            p.append(msg)
        if out := outside(page):
            w = out[0]
            p.append(
                f"p{page.number}: {len(out)} words outside the printable area, e.g. {w.text[:16]!r} "
                f"at x {w.x0:.0f}–{w.x1:.0f}, y {w.y0:.0f}–{w.y1:.0f} (page {page.width:.0f}×{page.height:.0f})"
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
    return report
