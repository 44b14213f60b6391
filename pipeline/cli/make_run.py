"""The Makefile's entry: ``python -m pipeline.cli.make_run ARGS...`` is ``pledge ARGS...``
that, when it fails, also prints its exit code and the Chinese meaning of it.

GNU make always exits 2 when a recipe fails, whatever the command's own code (3 for the
lock, 1 for ``--strict``): make cannot pass it through, so the code is said here before
make's own "Error N" line. Scripts that need the exact code call ``pledge`` directly.
"""

from __future__ import annotations

import sys

from pipeline.cli import DEV_ONLY_IMPORTS
from pipeline.cli import main as pledge
from pipeline.cli.exit_codes import INTERRUPTED, OK, explain


def main(argv: list[str] | None = None) -> int:
    code = pledge(sys.argv[1:] if argv is None else argv)
    if code not in (OK, INTERRUPTED):
        explain(code)
    return code


if __name__ == "__main__":
    for name in DEV_ONLY_IMPORTS:  # as `pledge` itself (pipeline.cli.entry)
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
    raise SystemExit(main())
