"""The README documents every rule code and the two fresh-machine commands."""

from __future__ import annotations

from pathlib import Path

from pipeline.core.codes import CODES

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_rule_code_is_documented() -> None:
    missing = [c for c, title in CODES.items() if f"| `{c}` | {title} |" not in README]
    assert missing == [], "run: python -m pipeline.core.codes --readme (or update the README table)"


def test_two_commands() -> None:
    assert "make consolidate" in README and "make test" in README
