"""The code table and the code emitted are the same set: a code used in pipeline/ must
have a title in pipeline/core/codes.py, and every title there must be emitted somewhere."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from pipeline.core.codes import CODES

ROOT = Path(__file__).resolve().parents[2]
CODE = re.compile(r"[A-Z]\d{3}")


def emitted_codes(roots: tuple[Path, ...] = (ROOT / "pipeline", ROOT / "schemas")) -> dict[str, set[str]]:
    """Rule-code string literals (``"P106"``) in the product's code, with where they occur.

    Any string constant that is exactly a code counts (an argument to Finding, a key of a
    messages table, a value of a lookup): the code table itself is left out."""
    out: dict[str, set[str]] = {}
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            if path == ROOT / "pipeline" / "core" / "codes.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and CODE.fullmatch(node.value)
                ):
                    out.setdefault(node.value, set()).add(f"{path}:{node.lineno}")
    return out


def test_every_emitted_code_is_in_the_table() -> None:
    found = emitted_codes()
    missing = {code: sorted(where) for code, where in found.items() if code not in CODES}
    assert missing == {}, "codes emitted but missing from pipeline/core/codes.py"


def test_every_code_in_the_table_is_emitted() -> None:
    found = emitted_codes()
    dead = sorted(set(CODES) - set(found))
    assert dead == [], "codes in pipeline/core/codes.py that nothing emits"


def test_the_scan_finds_codes(tmp_path: Path) -> None:
    """The scanner itself: literals count, longer strings and f-strings do not."""
    (tmp_path / "m.py").write_text(
        'f = Finding(ERROR, "P106", "m")\nx = {"E102": 1}\ny = "P1060"\nz = f"P{1}06"\n', encoding="utf-8"
    )
    assert set(emitted_codes((tmp_path,))) == {"P106", "E102"}
