"""Put the demo campaign into a folder without ever overwriting real data.

``pledge demo`` may be run in an office's real folder by mistake. :func:`install_demo`
builds the demo in a temporary folder first, then looks at what it would replace:

- a file whose content is the same as the demo's (:func:`content_hash`) is not a loss;
- a file listed in the demo's own marker (:data:`MARKER`, written beside the demo with
  the SHA-256 of every file it wrote) and unchanged since is the demo's own;
- anything else it would overwrite, and, when the folder has no marker, any roster,
  returned or assessment workbook already there, is someone's data: nothing is written
  and :class:`DemoRefused` (exit 2) names the files.

Otherwise the demo's files are copied in (each atomically, with the demo's fixed
modification times), the demo's files of an earlier run that this one no longer makes
are removed when unchanged, and the marker is written last. ``campaign.toml`` is never
replaced: the demo uses the folder's settings, or writes the shipped sample settings
when the folder has none.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import zipfile
from importlib import resources
from pathlib import Path

from pipeline.core.errors import PipelineError
from pipeline.core.settings import SETTINGS_FILE
from pipeline.office.forms import OFFICE_INBOX, RECTIFY_INBOX
from pipeline.rules.roster import ROSTER_FILE
from pipeline.tooling.demo import RETURNS, DemoManifest, build_demo

MARKER = "演示数据说明.txt"
EVALUATION = "evaluation"
_ENTRY = re.compile(r"([0-9a-z]{64})  (.+)")
_LIST_HEAD = "[演示文件]"


class DemoRefused(PipelineError):
    """The folder holds data that is not the demo's: nothing was written."""


def sample_settings() -> bytes:
    """The sample ``campaign.toml`` shipped with the package (the wheel's ``pipeline/sample/``
    is the repo's ``inputs/campaign.toml``, see pyproject.toml)."""
    try:
        return resources.files("pipeline.sample").joinpath(SETTINGS_FILE).read_bytes()
    except ModuleNotFoundError:  # an editable install: setuptools maps no data-only folder
        return (Path(__file__).resolve().parents[2] / "inputs" / SETTINGS_FILE).read_bytes()


# Saved times a workbook writer puts into the package: not part of what a file says.
_VOLATILE = {"docProps/core.xml"}


def content_hash(path: Path) -> str:
    """SHA-256 of what a file holds: for a zip package (xlsx, docx) its members' names,
    sizes and CRCs except the saved-time part, so that the same demo written again (with
    another "modified" time inside and other zip dates) has the same hash; for anything
    else, its bytes."""
    h = hashlib.sha256()
    try:
        with zipfile.ZipFile(path) as z:
            for info in sorted(z.infolist(), key=lambda i: i.filename):
                if info.filename not in _VOLATILE:
                    h.update(f"{info.filename}\0{info.file_size}\0{info.CRC}\n".encode())
        return "z" + h.hexdigest()[1:]
    except (zipfile.BadZipFile, OSError, ValueError):
        pass
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_marker(folder: Path) -> dict[str, str] | None:
    """relative path -> SHA-256 of the demo's files, from the marker; None without one."""
    try:
        text = (folder / MARKER).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if _LIST_HEAD not in text:
        return None
    out = {}
    for line in text.split(_LIST_HEAD, 1)[1].splitlines():
        m = _ENTRY.fullmatch(line.strip())
        if m:
            out[m[2]] = m[1]
    return out


def marker_text(seed: int, files: dict[str, str]) -> str:
    lines = [
        f"本文件夹中的花名册（{ROSTER_FILE}）、报回文件（{RETURNS}/）、考核评价表（{EVALUATION}/）"
        f"和办公室工作表（{OFFICE_INBOX}/、{RECTIFY_INBOX}/）是演示数据，",
        f"由 pledge demo 按随机种子 {seed} 生成，不是真实数据。",
        "",
        "开始真实工作时，请另建一个文件夹存放真实的花名册和报回文件（运行时用 -C 文件夹 或 --inputs 指定），",
        "或者先删除本说明和下列演示文件，再放入真实数据。",
        "再次运行 pledge demo 时，只会覆盖下列内容未改动过的演示文件，其他文件一律不动；",
        "有人改动过的文件或不是演示生成的文件，程序会拒绝覆盖并列出文件名。",
        "下面的清单供程序核对，请不要修改。",
        "",
        _LIST_HEAD,
        *(f"{sha}  {rel}" for rel, sha in sorted(files.items())),
        "",
    ]
    return "\n".join(lines)


def _existing_data(folder: Path) -> list[str]:
    """The roster, returned and assessment workbooks already in ``folder`` (relative paths)."""
    found = [ROSTER_FILE] if (folder / ROSTER_FILE).is_file() else []
    for sub in (RETURNS, EVALUATION, OFFICE_INBOX, RECTIFY_INBOX):
        if (folder / sub).is_dir():
            found += sorted(
                p.relative_to(folder).as_posix() for p in (folder / sub).rglob("*") if p.is_file()
            )
    return found


def _refuse(files: list[str], folder: Path, why: str) -> DemoRefused:
    shown = "、".join(files[:8]) + (f" 等 {len(files)} 个文件" if len(files) > 8 else "")
    return DemoRefused(
        f"没有生成演示数据：{folder}/ 中已有{why}（{shown}），生成演示数据会覆盖或混入这些文件。"
        f"请换一个空文件夹运行（例如 pledge -C 演示 demo），或确认这些文件不再需要后自行删除再运行。"
    )


def _copy_atomic(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
    try:
        shutil.copy2(src, tmp)
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)


def install_demo(folder: Path, seed: int) -> DemoManifest:
    """Write the demo campaign into ``folder`` (an inputs folder), or refuse (see module doc)."""
    folder.mkdir(parents=True, exist_ok=True)
    settings = folder / SETTINGS_FILE
    with tempfile.TemporaryDirectory(prefix="pledge-demo-") as tmp:
        staging = Path(tmp)
        (staging / SETTINGS_FILE).write_bytes(
            settings.read_bytes() if settings.is_file() else sample_settings()
        )
        manifest = build_demo(staging, seed)
        made = {
            p.relative_to(staging).as_posix(): p
            for p in sorted(staging.rglob("*"))
            if p.is_file() and p.name != SETTINGS_FILE
        }
        hashes = {rel: content_hash(p) for rel, p in made.items()}
        marker = read_marker(folder)
        if marker is None:
            foreign = [rel for rel in _existing_data(folder) if hashes.get(rel) != content_hash(folder / rel)]
            if foreign:
                raise _refuse(foreign, folder, "不是演示程序生成的花名册或报回文件")
        else:
            changed = [
                rel
                for rel in made
                if (folder / rel).is_file()
                and (cur := content_hash(folder / rel)) != hashes[rel]
                and marker.get(rel) != cur
            ]
            if changed:
                raise _refuse(changed, folder, "被改动过或不是演示程序生成的文件")
        if not settings.is_file():
            _copy_atomic(staging / SETTINGS_FILE, settings)
        for rel, src in made.items():
            _copy_atomic(src, folder / rel)
        for rel, sha in (marker or {}).items():  # the demo's files of an earlier run it no longer makes
            old = folder / rel
            if rel not in made and old.is_file() and content_hash(old) == sha:
                old.unlink()
        tmp_marker = folder / f".{MARKER}.tmp"
        tmp_marker.write_text(marker_text(seed, hashes), encoding="utf-8")
        os.replace(tmp_marker, folder / MARKER)
    return manifest
