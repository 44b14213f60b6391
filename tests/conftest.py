"""Session-wide fixtures: the demo campaign built and consolidated once for the whole run.

Building the demo (``build_demo``, seed 2010, the committed settings) and consolidating it
takes seconds; many modules need exactly that campaign as their starting point. They share
the trees built here instead of building their own:

- :func:`demo_build`: the demo inputs and their manifest;
- :func:`demo_consolidated`: those inputs consolidated on :data:`DEMO_AS_OF`;
- :func:`demo_documents`: that consolidation followed by ``overdue``, ``bulletin`` and
  ``notice`` on the same day.

These trees are shared, so they are read only: a test that writes (runs a command or a
consolidation in them, edits a file) takes a copy with
:func:`tests.demo_project.copy_project`. Each tree is fingerprinted when built and checked
again at the end of the session; a test that wrote into one fails there (order-dependent
tests are a bug, not a speed-up). A copy lives at another path, so its first command does
not find the snapshot of the original (the snapshot key covers the inputs folder) and
consolidates again, from the copied parse cache.

The session fixture ``early`` starts the long commands of the selected tests marked
``@pytest.mark.early`` (tests/early.py).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from pipeline.tooling.demo import build_demo
from tests.builders import DEMO_SETTINGS, REPO
from tests.demo_project import DEMO_AS_OF, DEMO_SEED, DemoProject, fingerprint, pledge
from tests.early import Early


def _shared(project: DemoProject) -> Iterator[DemoProject]:
    before = fingerprint(project.root)
    yield project
    after = fingerprint(project.root)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, (
        f"a test wrote into the shared project {project.root} (take a copy_project() of it): {changed[:10]}"
    )


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoProject]:
    """The demo campaign's inputs (no outputs yet). Read only."""
    root = tmp_path_factory.mktemp("demo-build")
    inputs = root / "inputs"
    inputs.mkdir()
    shutil.copy(DEMO_SETTINGS, inputs / "campaign.toml")
    yield from _shared(DemoProject(root, build_demo(inputs, DEMO_SEED)))


@pytest.fixture(scope="session")
def demo_consolidated(
    demo_build: DemoProject, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoProject]:
    """The demo campaign after ``pledge consolidate --as-of 2026-11-20``. Read only."""
    project = DemoProject(tmp_path_factory.mktemp("demo-consolidated"), demo_build.manifest)
    shutil.copytree(demo_build.inputs, project.inputs)
    pledge(project, "consolidate", "--as-of", DEMO_AS_OF)
    yield from _shared(project)


@pytest.fixture(scope="session")
def demo_documents(
    demo_consolidated: DemoProject, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoProject]:
    """The demo campaign after ``consolidate``, ``overdue``, ``bulletin`` and ``notice``
    on 2026-11-20 (the bulletin is the register's first 通报). Read only."""
    root = tmp_path_factory.mktemp("demo-documents")
    shutil.copytree(demo_consolidated.inputs, root / "inputs")
    project = DemoProject(root, demo_consolidated.manifest)
    # the consolidation again in this folder (the snapshot is keyed by the inputs folder),
    # then the documents, each from this folder's snapshot
    pledge(project, "consolidate", "--as-of", DEMO_AS_OF)
    for command in ("overdue", "bulletin", "notice"):
        pledge(project, command, "--as-of", DEMO_AS_OF)
    yield from _shared(project)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "early(name, prepare): a long command of the test, started with the session (tests/early.py)",
    )


@pytest.fixture(scope="session", autouse=True)
def early(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Early]:
    """The commands of the selected tests marked ``early`` (tests/early.py), started now."""
    jobs = Early(checkout=REPO)
    for item in request.session.items:
        for mark in item.iter_markers("early"):
            name, prepare = mark.args
            if name not in jobs:
                jobs.add(name, prepare, tmp_path_factory.mktemp(f"early-{name}"))
    jobs.start()
    yield jobs
    jobs.stop()
