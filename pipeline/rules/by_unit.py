"""The pledge, plan and log rules run unit by unit, so that a unit's findings can be kept
and reused while its return is unchanged (issue 16; no I/O here).

Every rule of :mod:`pipeline.rules.pledges`, :mod:`pipeline.rules.plans` and
:mod:`pipeline.rules.logs` looks at one unit at a time: quotas count a unit's own rows,
duplicates are sought within a unit, a plan step or log entry names a pledge of its own
unit, and the roster is read whole but never changes a unit's verdict through another
unit's rows. A unit's findings therefore depend only on

- its own rows (the content of the file in use, its name and the unit's name),
- the day that file was received (the latest date a completion in it can bear, P117),
- the roster, the settings and the code.

:func:`unit_key` names exactly those (the settings and the code through the cache folder
the memo lives in: :class:`pipeline.infra.cache.ParseCache`), :func:`rules_by_unit` runs
the rules on the rows of some units and files the findings by unit, and :func:`merged`
lists the findings of all units in the order that one run of the rules over every row
gives: each rule group (:data:`SEGMENTS`) over all units in turn.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import pandas as pd

from pipeline.core.findings import Finding
from pipeline.read import layout as L
from pipeline.rules import pledges
from pipeline.rules.logs import log_rules
from pipeline.rules.plans import plan_rules
from pipeline.rules.pledges import (
    RuleContext,
    member_sheet,
    org_sheet,
    p103_org_quota,
    p104_member_without_items,
    run_rules,
)

# The groups of findings in the order a run lists them (each over every unit in turn):
# the 党员承诺 rules, P104 (members without items), the 组织承诺 rules, P103 (the unit's org
# quota), M104 (no 履诺计划 sheet), the plan-step rules, the log rules.
SEGMENTS = ("members", "p104", "orgs", "p103", "m104", "plans", "logs")
MEMO_VERSION = 1
_FIELDS = tuple(f.name for f in fields(Finding))


def unit_key(code: str, ur: Any, ctx: RuleContext) -> str:
    """What a unit's findings depend on (see the module doc); ``ur``: its UnitReturn."""
    parts = [
        MEMO_VERSION,
        code,
        ur.unit_name,
        ur.file.rel,
        ur.file.sha256,
        ctx.received_by(ur.file.rel).isoformat(),
        ctx.roster.digest,
    ]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


UnitFindings = tuple[list[Finding], ...]  # one list per segment


def _no_findings() -> UnitFindings:
    return tuple([] for _ in SEGMENTS)


def rules_by_unit(
    members: pd.DataFrame,
    orgs: pd.DataFrame,
    plans: pd.DataFrame,
    logs: pd.DataFrame,
    ctx: RuleContext,
    used: Mapping[str, Any],
) -> dict[str, UnitFindings]:
    """The findings of the units in ``used`` (unit code -> UnitReturn), by unit and
    segment; the frames hold those units' rows only, or more (the rows of other units
    are then looked at too, and their findings dropped). 党员编号 already repaired
    (:func:`pipeline.rules.pledges.fix_lost_zeros`)."""
    submitted = {code: ur.file.rel for code, ur in used.items()}
    org_sheets = {code: ur.parsed.sheet_names.get(L.SHEET_ORG, L.SHEET_ORG) for code, ur in used.items()}
    m, o = member_sheet(members, ctx), org_sheet(orgs)  # the rule lists as they are now (tests extend them)
    plan = plan_rules(plans, members, orgs, ctx, used)
    groups = (
        run_rules(pledges.MEMBER_RULES, m, ctx),
        p104_member_without_items(m, ctx, submitted),
        run_rules(pledges.ORG_RULES, o, ctx),
        p103_org_quota(o, ctx, submitted, org_sheets),
        [f for f in plan if f.rule == "M104"],
        [f for f in plan if f.rule != "M104"],
        log_rules(logs, members, orgs, ctx),
    )
    out: dict[str, UnitFindings] = {code: _no_findings() for code in used}
    for k, group in enumerate(groups):
        for f in group:
            lists = out.get(f.unit_code)
            if lists is not None:
                lists[k].append(f)
    return out


def merged(by_unit: Mapping[str, UnitFindings], order: Iterable[str]) -> list[Finding]:
    """Every unit's findings (units in ``order``), as one run over all rows lists them."""
    codes = [c for c in order if c in by_unit]
    return [f for k in range(len(SEGMENTS)) for code in codes for f in by_unit[code][k]]


def rows_of(df: pd.DataFrame, codes: Sequence[str]) -> pd.DataFrame:
    """The rows of the units ``codes`` (in the frame's order)."""
    return df[df["unit_code"].isin(list(codes))].reset_index(drop=True)


@dataclass
class RulesMemo:
    """The findings of every unit of a run, with the key of each unit (:func:`unit_key`),
    stored as columns (one entry in the parse cache, loaded at once by a warm run)."""

    keys: dict[str, str]  # unit code -> key
    fields: list[str]  # Finding's fields, in the order of ``columns``
    segment: list[int]  # per finding: its segment; the unit is its unit_code
    columns: list[list[Any]]

    @classmethod
    def of(cls, by_unit: Mapping[str, UnitFindings], keys: Mapping[str, str]) -> RulesMemo:
        rows = [
            (k, f) for code in keys if code in by_unit for k, group in enumerate(by_unit[code]) for f in group
        ]
        columns = [[getattr(f, name) for _, f in rows] for name in _FIELDS]
        return cls(dict(keys), list(_FIELDS), [k for k, _ in rows], columns)

    def reusable(self, keys: Mapping[str, str]) -> dict[str, UnitFindings]:
        """The kept findings of every unit whose key is ``keys``' (an unchanged unit)."""
        if tuple(self.fields) != _FIELDS or len(self.columns) != len(_FIELDS):
            return {}
        same = {code for code, key in keys.items() if self.keys.get(code) == key}
        out: dict[str, UnitFindings] = {code: _no_findings() for code in same}
        code_at = _FIELDS.index("unit_code")
        for k, values in zip(self.segment, zip(*self.columns, strict=True), strict=True):
            lists = out.get(values[code_at])
            if lists is not None:
                lists[k].append(Finding(*values))
        return out
