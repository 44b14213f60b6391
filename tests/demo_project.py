"""The demo campaign as a project folder, shared by the session fixtures of
tests/conftest.py (see there) and copied by the tests that write."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

from pipeline.cli import main
from pipeline.tooling.demo import DemoManifest

DEMO_SEED = 2010
DEMO_AS_OF = "2026-11-20"


@dataclass(frozen=True)
class DemoProject:
    """A project folder: ``root/inputs`` and ``root/outputs``."""

    root: Path
    manifest: DemoManifest

    @property
    def inputs(self) -> Path:
        return self.root / "inputs"

    @property
    def outputs(self) -> Path:
        return self.root / "outputs"

    @property
    def out(self) -> Path:
        """The outputs of :data:`DEMO_AS_OF`."""
        return self.outputs / DEMO_AS_OF


def pledge(project: DemoProject, *argv: str) -> None:
    base = ["--inputs", str(project.inputs), "--outputs", str(project.outputs), "--quiet"]
    assert main([*base, *argv]) == 0, argv


def copy_project(src: DemoProject, dst: Path) -> DemoProject:
    """A private copy of a shared project under ``dst`` (file times kept) to write into."""
    dst.mkdir(parents=True, exist_ok=True)
    for name in ("inputs", "outputs"):
        if (src.root / name).exists():
            shutil.copytree(src.root / name, dst / name)
    return DemoProject(dst, src.manifest)


def fingerprint(root: Path) -> dict[str, tuple[int, int, str]]:
    """Every file under ``root`` (relative path): size, modification time and content hash;
    folders with an empty entry."""
    out: dict[str, tuple[int, int, str]] = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_file():
            st = p.stat()
            out[rel] = (st.st_size, st.st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
        else:
            out[rel + "/"] = (0, 0, "")
    return out
