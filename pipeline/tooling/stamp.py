"""Give a generated workbook the saved time a real program would have written.

Excel, WPS and LibreOffice write the moment of saving into the workbook
(``docProps/core.xml`` ``dcterms:modified``); the consolidation dates a version by it
when no mail arrival is known (:mod:`pipeline.intake.received`). The demo campaign and
the tests write their workbooks with xlsxwriter (a fixed creation date) or re-save them
with openpyxl ("now", and zip entries dated now), so :func:`stamp_saved_time` rewrites
the package: every zip entry gets one fixed date (byte-reproducible output, a
regenerated demo does not change in git) and ``dcterms:modified`` becomes the time the
file is meant to have been saved. The file's modification time is set to it as well.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import zipfile
from pathlib import Path

from pipeline.infra.atomic import atomic_path

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
CORE = "docProps/core.xml"
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
_CREATED = re.compile(rb"(<dcterms:created[^>]*>)[^<]*(</dcterms:created>)")


def _w3c(at: dt.datetime) -> bytes:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ").encode()


def stamp_saved_time(path: Path, saved: dt.datetime, created: dt.datetime | None = None) -> None:
    """Rewrite the xlsx at ``path``: fixed zip entry dates, ``dcterms:modified`` =
    ``saved`` (timezone-aware; naive means local time) and, when given,
    ``dcterms:created``; then set the file's modification time to ``saved``."""
    with zipfile.ZipFile(path) as zin:
        entries = [(info, zin.read(info)) for info in zin.infolist()]
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w") as zout:
        for info, data in entries:
            if info.filename == CORE:
                data = _MODIFIED.sub(lambda m: m.group(1) + _w3c(saved) + m.group(2), data)
                if created is not None:
                    data = _CREATED.sub(lambda m: m.group(1) + _w3c(created) + m.group(2), data)
            out = zipfile.ZipInfo(info.filename, ZIP_DATE)
            out.compress_type = zipfile.ZIP_DEFLATED
            out.create_system = 0
            out.external_attr = 0
            zout.writestr(out, data)
    ts = saved.timestamp()
    os.utime(path, (ts, ts))
