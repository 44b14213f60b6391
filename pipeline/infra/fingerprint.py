"""One fingerprint of the code and libraries that shape every output.

Caches key their entries with :func:`code_fingerprint`: the SHA-256 of every Python
module of the package (``pipeline/**/*.py``, the schemas included), every Jinja2
template, and the versions of the libraries whose behaviour reaches an output
(reading, validating, writing). An upgrade of any of them, or an edit of any module,
changes the fingerprint, so a cache can never serve something older code produced.
No hand-kept list of files: a module added tomorrow is covered too.
"""

from __future__ import annotations

import functools
import hashlib
from importlib import metadata
from pathlib import Path

from pipeline import __version__

# Distributions whose version changes what we read or write.
LIBRARIES = (
    "pandas",
    "pandera",
    "numpy",
    "openpyxl",
    "xlsxwriter",
    "python-calamine",
    "Jinja2",
    "defusedxml",
)
PACKAGE = Path(__file__).resolve().parent.parent


def library_versions() -> dict[str, str]:
    out = {}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "-"
    return out


def _sources() -> list[Path]:
    from pipeline.outputs.jinja import templates_dir
    from pipeline.schemas import __file__ as schemas_init

    roots = [PACKAGE, Path(schemas_init).resolve().parent]
    files = {p for root in roots for p in root.rglob("*.py")}
    files |= set(templates_dir().glob("*.j2"))
    return sorted(files)


@functools.cache
def code_fingerprint() -> str:
    """Hex SHA-256 over the package's code, its templates and the library versions."""
    h = hashlib.sha256(f"pledge {__version__}\n".encode())
    for name, version in library_versions().items():
        h.update(f"{name}={version}\n".encode())
    for p in _sources():
        try:
            data = p.read_bytes()
        except OSError:
            continue
        h.update(f"{p.name}:{len(data)}\n".encode())
        h.update(data)
    return h.hexdigest()
