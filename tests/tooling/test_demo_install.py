"""``pledge demo`` never overwrites or mixes into real data (issue 17)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.tooling.demo_install import MARKER, content_hash, read_marker, sample_settings
from tests.builders import DEMO_SETTINGS, REPO, make_inputs


def _demo(folder: Path, *extra: str) -> int:
    return main(["--inputs", str(folder), "--outputs", str(folder.parent / "outputs"), "demo", *extra])


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_foreign_roster_left_byte_identical_and_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = make_inputs(tmp_path)  # a real office's folder: its own roster, no demo marker
    before = _tree(inputs)
    assert _demo(inputs) == 2
    err = capsys.readouterr().err
    assert "没有生成演示数据" in err and "roster.xlsx" in err and "请换一个空文件夹" in err
    assert _tree(inputs) == before  # byte-identical, nothing added (no marker, no returns)


def test_foreign_returns_without_marker_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inputs = tmp_path / "inputs"
    real = inputs / "returns" / "2026-09" / "D01_第一党支部_公开承诺事项表.xlsx"
    real.parent.mkdir(parents=True)
    real.write_bytes(b"a branch's real return")
    assert _demo(inputs) == 2
    assert "2026-09/D01_第一党支部_公开承诺事项表.xlsx" in capsys.readouterr().err
    assert real.read_bytes() == b"a branch's real return"
    assert not (inputs / "roster.xlsx").exists() and not (inputs / MARKER).exists()


def test_empty_folder_gets_demo_marker_and_sample_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = tmp_path / "演示 数据" / "inputs"
    assert _demo(inputs, "--seed", "3") == 0
    assert (inputs / "campaign.toml").read_bytes() == DEMO_SETTINGS.read_bytes() == sample_settings()
    marker = read_marker(inputs)
    assert marker is not None and "roster.xlsx" in marker
    made = {rel for rel in _tree(inputs) if rel not in (MARKER, "campaign.toml")}
    assert set(marker) == made  # every file the demo wrote, with its hash
    for rel, sha in marker.items():
        assert content_hash(inputs / rel) == sha
    # Again: the demo's own unchanged files are replaced; someone else's file is left alone.
    theirs = inputs / "returns" / "2026-11" / "别人的文件.xlsx"
    theirs.write_bytes(b"not ours")
    assert _demo(inputs, "--seed", "4") == 0
    assert theirs.read_bytes() == b"not ours"
    # A demo file someone edited is no longer the demo's: refused, named, kept.
    edited = inputs / "returns" / sorted(r for r in marker if r.startswith("returns/"))[0].split("/", 1)[1]
    edited.write_bytes(b"edited by the clerk")
    capsys.readouterr()
    assert _demo(inputs) == 2
    assert edited.relative_to(inputs).as_posix() in capsys.readouterr().err
    assert edited.read_bytes() == b"edited by the clerk"


def test_committed_demo_carries_its_marker() -> None:
    """The demo committed in inputs/ lists every file it consists of, unchanged."""
    inputs = REPO / "inputs"
    marker = read_marker(inputs)
    assert marker, f"{MARKER} missing: regenerate the demo with `python -m pipeline demo`"
    for rel, sha in marker.items():
        assert content_hash(inputs / rel) == sha, rel
    data = {
        rel
        for rel in _tree(inputs)
        if rel.startswith(("returns/", "evaluation/", "office/", "rectification/")) or rel == "roster.xlsx"
    }
    assert data == set(marker)
