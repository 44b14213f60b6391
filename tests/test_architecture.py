"""The package's shape: no import cycles, the layers import downwards only, and
docs/ARCHITECTURE.md lists every module of pipeline/ (and no module that is gone)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "pipeline"


def modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of pipeline/ (packages as their __init__)."""
    out = {}
    for path in sorted(PKG.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _resolve(name: str, known: set[str]) -> str | None:
    """The pipeline module an import of ``name`` loads (``pipeline.read.layout`` for
    ``from pipeline.read import layout``), or None outside the package."""
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


def module_imports(path: Path, name: str, known: set[str]) -> set[str]:
    """Pipeline modules imported at module level (not inside functions, not under
    ``if TYPE_CHECKING:``): the imports that run when the module is loaded."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.If):
                test = ast.unparse(node.test)
                if "TYPE_CHECKING" not in test:
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for h in node.handlers:
                    visit(h.body)
                visit(node.orelse)
                visit(node.finalbody)
            elif isinstance(node, ast.Import):
                for a in node.names:
                    hit = _resolve(a.name, known)
                    if hit:
                        found.add(hit)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                for a in node.names:
                    hit = _resolve(f"{base}.{a.name}", known) if base else None
                    hit = hit or _resolve(base, known)
                    if hit:
                        found.add(hit)

    visit(tree.body)
    found.discard(name)
    return found


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: module_imports(path, name, known) for name, path in mods.items()}


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(g.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            strong(v)
    return out


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


# layer -> layers of pipeline it must not import at module level
FORBIDDEN = {
    "core": {"intake", "read", "rules", "jobs", "outputs", "infra", "assessment", "cli", "tooling"},
    "read": {"outputs", "cli", "jobs"},
    "intake": {"outputs", "cli", "jobs"},
    "rules": {"outputs", "cli", "jobs"},
    "outputs": {"cli"},
}


def test_no_import_cycles() -> None:
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_cycles() -> None:
    g = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e2"}, "e2": set()}
    assert cycles(g) == [["a", "b", "c"]]


def test_layers_import_downwards() -> None:
    bad = sorted(
        f"{m} imports {dep}"
        for m, deps in graph().items()
        for dep in deps
        if _layer(dep) in FORBIDDEN.get(_layer(m), set())
    )
    assert bad == []


def test_import_scan_reads_from_imports(tmp_path: Path) -> None:
    known = {"pipeline", "pipeline.read", "pipeline.read.layout", "pipeline.rules", "pipeline.rules.plans"}
    src = tmp_path / "m.py"
    src.write_text(
        "from pipeline.read import layout as L\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from pipeline.rules.plans import x\n"
        "def f():\n    import pipeline.rules.plans\n",
        encoding="utf-8",
    )
    assert module_imports(src, "pipeline.jobs.m", known) == {"pipeline.read.layout"}


ARCH = ROOT / "docs" / "ARCHITECTURE.md"


def test_architecture_table_lists_every_module() -> None:
    text = ARCH.read_text(encoding="utf-8")
    listed = set(re.findall(r"^\|\s*`(pipeline(?:\.\w+)*)`\s*\|", text, flags=re.M))
    mods = set(modules())
    assert sorted(mods - listed) == [], "modules missing from the table in docs/ARCHITECTURE.md"
    assert sorted(listed - mods) == [], "modules in the table that do not exist"
