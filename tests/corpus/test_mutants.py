"""Mutation test: bytes flipped in valid workbooks (fixed seed), each mutant run through
the real CLI next to a good return. Every run must end with exit code 0 and findings,
never an exception; the neighbour must come through untouched.

Mutations: bytes flipped anywhere in the .xlsx container, truncation and cut-out slices,
bytes flipped or slices removed inside one XML part (then re-zipped, so the damage
reaches the XML parsers rather than the zip layer), well-formed XML whose text and value
nodes are replaced (bad dates, control-character escapes, shared-string indexes that do
not exist), and bytes flipped in an .xls.
"""

from __future__ import annotations

import random
import re
from functools import cache
from pathlib import Path

import pytest

from pipeline.core.codes import CODES
from tests.corpus.make import (
    AS_OF,
    D01_FILE,
    Inbox,
    assert_neighbours_ok,
    inbox,
    xls_return,
    zip_build,
    zip_parts,
)

SEED = 20261120
N_MUTANTS = 40


def _flip(data: bytes, rng: random.Random, lo: int = 1, hi: int = 8) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(lo, hi)):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


# What a text or value node may be turned into: dates, numbers, huge indexes, escapes of
# control characters, formula-looking text, XML-special characters (escaped).
TEXT_POOL = [
    "2月30日",
    "26.10.31",
    "-1",
    "99999999999",
    "1e308",
    "NaN",
    "_x0007_",
    "_x0000_坏",
    "=1+1",
    "@SUM(1)",
    "&lt;script&gt;",
    "通 过",
    "已完成",
    "改正",
    "D02",
    "",
    " ",
    "０１０００１",
    "😀" * 50,
]
CONTENT_PARTS = (
    "xl/sharedStrings.xml",
    "xl/worksheets/sheet2.xml",
    "xl/worksheets/sheet3.xml",
    "xl/workbook.xml",
)
_NODE = re.compile(rb"<(t|v)(?: [^>]*)?>([^<]*)</\1>")


def _text_flip(xml: bytes, rng: random.Random) -> bytes:
    """Replace the text of 1-6 <t>/<v> nodes: the XML stays well-formed, the values go bad
    (a <v> of a shared-string cell becomes an index that may not exist)."""
    nodes = list(_NODE.finditer(xml))
    out = xml
    for m in sorted(rng.sample(nodes, min(len(nodes), rng.randint(1, 6))), key=lambda m: -m.start(2)):
        new = (
            rng.choice(TEXT_POOL).encode()
            if rng.random() < 0.7
            else str(rng.randrange(10 ** rng.randint(1, 12))).encode()
        )
        out = out[: m.start(2)] + new + out[m.end(2) :]
    return out


@cache
def mutants(xlsx: bytes, xls: bytes) -> list[tuple[str, bytes]]:
    rng = random.Random(SEED)
    parts = zip_parts(xlsx)
    xml_parts = sorted(n for n in parts if n.endswith((".xml", ".rels")))
    out: list[tuple[str, bytes]] = []
    for i in range(N_MUTANTS):
        kind = i % 5
        if kind == 0:
            out.append(("container-flip", _flip(xlsx, rng)))
        elif kind == 1:
            cut = rng.randrange(len(xlsx) // 4, len(xlsx))
            if rng.random() < 0.5:
                out.append(("truncated", xlsx[:cut]))
            else:
                out.append(("slice-removed", xlsx[:cut] + xlsx[cut + rng.randint(1, 400) :]))
        elif kind == 2:
            name = rng.choice(CONTENT_PARTS if rng.random() < 0.7 else xml_parts)
            xml = parts[name]
            if rng.random() < 0.5:
                out.append((f"xml-flip:{name}", zip_build({**parts, name: _flip(xml, rng, 1, 12)})))
            else:
                at = rng.randrange(len(xml))
                out.append(
                    (
                        f"xml-cut:{name}",
                        zip_build({**parts, name: xml[:at] + xml[at + rng.randint(1, 200) :]}),
                    )
                )
        elif kind == 3:
            name = rng.choice(CONTENT_PARTS[:3])
            out.append((f"text-flip:{name}", zip_build({**parts, name: _text_flip(parts[name], rng)})))
        else:
            out.append(("xls-flip", _flip(xls, rng)))
    return out


@pytest.fixture(scope="module")
def mutant_box(tmp_path_factory: pytest.TempPathFactory) -> tuple[Inbox, list[tuple[str, bytes]]]:
    box = inbox(tmp_path_factory.mktemp("mutants"), neighbours=("D03",))
    return box, mutants(box.good_bytes("D01"), xls_return(box, "D01"))


@pytest.mark.parametrize("i", range(N_MUTANTS))
def test_mutant_ends_with_findings(
    mutant_box: tuple[Inbox, list[tuple[str, bytes]]], i: int, tmp_path: Path
) -> None:
    box, cases = mutant_box
    how, data = cases[i]
    box.put(D01_FILE, data)
    assert box.cli(tmp_path / "outputs", "consolidate", "--no-cache") == 0, how
    c = box.run()
    assert c.as_of == AS_OF
    mine = [f for f in c.findings if f.file == D01_FILE]
    assert all(f.rule in CODES and f.message for f in mine), how
    if "D01" in c.used:
        assert c.used["D01"].file.rel == D01_FILE
    else:  # refused or not recognised: the clerk is told which file and why
        assert {f.rule for f in mine} & {"F101", "F102", "F104", "F111"}, (how, [f.one_line() for f in mine])
    assert_neighbours_ok(c, ("D03",))
