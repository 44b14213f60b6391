"""The Jinja2 environment over ``templates/`` (autoescaped for HTML)."""

from __future__ import annotations

import datetime as dt
import os
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Jinja loads when a page is rendered, not with the filters (issue 16)
    from jinja2 import Environment


def templates_dir() -> Path:
    """Where the templates are: ``$PLEDGE_TEMPLATES_DIR``, else the ``pipeline.templates``
    package data (the repo's ``templates/`` folder in a checkout, inside the wheel when
    installed)."""
    override = os.environ.get("PLEDGE_TEMPLATES_DIR")
    if override:
        return Path(override)
    import pipeline.templates

    return Path(pipeline.templates.__file__).resolve().parent


TEMPLATES_DIR = templates_dir()


def cn_date(value: object) -> str:
    """2026-10-15 -> 2026年10月15日 (blank for missing)."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return f"{value.year}年{value.month}月{value.day}日"
    return "" if value is None else str(value)


def percent(value: object, digits: int = 1) -> str:
    try:
        return f"{float(value) * 100:.{digits}f}%"  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""


@cache
def environment() -> Environment:
    from jinja2 import (
        Environment,
        FileSystemBytecodeCache,
        FileSystemLoader,
        StrictUndefined,
        select_autoescape,
    )

    try:
        # Compiled templates kept between runs (Jinja's own cache, in a private folder of
        # this user's temporary directory; an entry is used only for the same template
        # source): a small command does not compile its pages again (issue 16).
        bytecode: FileSystemBytecodeCache | None = FileSystemBytecodeCache()
    except (OSError, RuntimeError):
        bytecode = None  # no usable temporary folder: compile every run
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        bytecode_cache=bytecode,
        autoescape=select_autoescape(["html", "htm", "html.j2"], default_for_string=True, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["cn_date"] = cn_date
    env.filters["percent"] = percent
    return env


def render(name: str, **context: object) -> str:
    return environment().get_template(name).render(**context)
