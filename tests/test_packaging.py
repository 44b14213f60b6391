"""The product installs as a normal package (issue 17): the wheel holds every module, the
templates, the schemas and the sample settings inside ``pipeline``, and nothing else at
the top level; the package list in pyproject.toml is the tree's."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile

import pytest

from tests.builders import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
MAPPED = PYPROJECT["tool"]["setuptools"]["package-dir"]  # pipeline.schemas -> schemas, ...


def tree_packages() -> set[str]:
    found = {
        ".".join(p.parent.relative_to(REPO).parts)
        for p in (REPO / "pipeline").rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    return found | set(MAPPED)


def test_package_list_is_the_tree() -> None:
    assert set(PYPROJECT["tool"]["setuptools"]["packages"]) == tree_packages()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """``pip wheel . --no-deps`` of a copy of the checkout (the build writes into the
    source folder), without build isolation: setuptools from this venv, no download."""
    src = tmp_path_factory.mktemp("src")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for name in ("pipeline", "schemas", "templates"):
        shutil.copytree(REPO / name, src / name, ignore=ignore)
    (src / "inputs").mkdir()
    shutil.copy(REPO / "inputs" / "campaign.toml", src / "inputs" / "campaign.toml")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(dist),
            str(src),
        ],
        check=True,
        capture_output=True,
    )
    (path,) = dist.glob("*.whl")
    return zipfile.ZipFile(path)


def test_wheel_has_only_the_product_at_the_top(wheel: zipfile.ZipFile) -> None:
    tops = {n.split("/", 1)[0] for n in wheel.namelist()}
    assert {t for t in tops if not t.endswith((".dist-info", ".data"))} == {"pipeline"}
    assert not any(t.endswith(".data") for t in tops)  # no scripts or data outside the package


def test_wheel_holds_every_module_template_schema_and_sample(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    expected = {
        p.relative_to(REPO).as_posix()
        for p in (REPO / "pipeline").rglob("*.py")
        if "__pycache__" not in p.parts
    }
    expected |= {f"pipeline/schemas/{p.name}" for p in (REPO / "schemas").glob("*.py")}
    expected |= {
        f"pipeline/templates/{p.name}" for p in (REPO / "templates").iterdir() if p.suffix in (".j2", ".py")
    }
    expected.add("pipeline/sample/campaign.toml")
    assert expected - names == set()
    assert any(n.endswith(".j2") for n in names) and "pipeline/schemas/roster.py" in names
    assert not [n for n in names if n.endswith((".pyc", ".xlsx")) or "/tests/" in n]
    meta = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "pledge = pipeline.cli:entry" in wheel.read(meta).decode()
    requires = wheel.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "Requires-Dist: python-calamine==" in requires and "Requires-Dist: filelock" in requires


def test_pins_are_the_versions_the_code_was_checked_with() -> None:
    from pipeline.intake.filecheck import CHECKED_CALAMINE
    from pipeline.outputs.fast_sheet import CHECKED_XLSXWRITER

    deps = PYPROJECT["project"]["dependencies"]
    assert any(d.split("#")[0].strip() == f"python-calamine=={CHECKED_CALAMINE}" for d in deps)
    major, minor = CHECKED_XLSXWRITER.split(".")
    assert any(
        d.split("#")[0].strip() == f"xlsxwriter>={major}.{minor},<{major}.{int(minor) + 1}" for d in deps
    )
