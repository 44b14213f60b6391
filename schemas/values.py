"""The allowed values of roster columns, without pandera: :mod:`pipeline.rules.roster`
reads them when it is imported, and a command that validates no roster (a snapshot hit,
``--help``) then loads no pandera (issue 16)."""

from __future__ import annotations

UNIT_TYPES = ("党委", "党支部")
CATEGORIES = ("正式党员", "预备党员")
