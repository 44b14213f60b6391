"""pipeline.rules.by_unit: the rules run unit by unit find what they find over every row,
in the same order; a unit's kept findings come back while its key is unchanged, and a run
that reuses them gives the findings of a run that reuses nothing."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest

from pipeline.core.findings import Finding
from pipeline.infra import plain
from pipeline.infra.cache import ParseCache
from pipeline.jobs import consolidation as C
from pipeline.rules import by_unit as B
from pipeline.rules import pledges as P
from pipeline.rules.logs import log_rules
from pipeline.rules.plans import plan_rules
from pipeline.tooling.synth import ensure_campaign
from tests.builders import DEMO_SETTINGS, load, resend_first_pledge
from tests.demo_project import DemoProject

AS_OF = dt.date(2026, 11, 20)


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic campaign of 20 units (seeded mistakes in every sheet)."""
    folder = tmp_path_factory.mktemp("by-unit") / "school"
    ensure_campaign("school", folder, DEMO_SETTINGS, workers=1)
    return folder


@pytest.fixture(params=["demo", "school"])
def inputs(request: pytest.FixtureRequest, demo_build: DemoProject, school: Path) -> Path:
    return demo_build.inputs if request.param == "demo" else school


def _run(
    inputs: Path, cache: ParseCache, monkeypatch: pytest.MonkeyPatch
) -> tuple[C.Consolidation, list[Any]]:
    """Consolidate; returns the consolidation and the arguments of every rules_by_unit call."""
    calls: list[Any] = []
    real = B.rules_by_unit

    def spy(*args: Any) -> Any:
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(C, "rules_by_unit", spy)
    settings, roster = load(inputs)
    return C.consolidate(inputs, settings, roster, AS_OF, cache=cache), calls


def _every_row(
    members: Any, orgs: Any, plans: Any, logs: Any, ctx: P.RuleContext, used: Any
) -> list[Finding]:
    """The rules over every row at once, as the consolidation ran them before issue 16."""
    submitted = {code: ur.file.rel for code, ur in used.items()}
    sheets = {code: ur.parsed.sheet_names.get("组织承诺", "组织承诺") for code, ur in used.items()}
    m = P.member_sheet(members, ctx)
    return (
        P.run_rules(P.MEMBER_RULES, m, ctx)
        + P.p104_member_without_items(m, ctx, submitted)
        + P.org_rules(orgs, ctx, submitted, sheets)
        + plan_rules(plans, members, orgs, ctx, used)
        + log_rules(logs, members, orgs, ctx)
    )


def test_unit_by_unit_finds_what_every_row_at_once_finds(
    inputs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, calls = _run(inputs, ParseCache(None, "x"), monkeypatch)
    (members, orgs, plans, logs, ctx, used) = calls[0]  # nothing kept: every unit, every row
    everything = _every_row(members, orgs, plans, logs, ctx, used)
    assert len(everything) >= 8  # the data breaks rules of every sheet
    by_unit = B.rules_by_unit(members, orgs, plans, logs, ctx, used)
    assert B.merged(by_unit, used) == everything
    for code in used:
        frames = [B.rows_of(df, [code]) for df in (members, orgs, plans, logs)]
        alone = B.rules_by_unit(*frames, ctx, {code: used[code]})
        assert alone == {code: by_unit[code]}, code
    # any subset of units, in roster order, lists its findings as the whole run does
    some = list(used)[1::2]
    frames = [B.rows_of(df, some) for df in (members, orgs, plans, logs)]
    subset = B.rules_by_unit(*frames, ctx, {code: used[code] for code in some})
    assert B.merged(subset, used) == [f for f in everything if f.unit_code in some]


def test_the_memo_keeps_each_units_findings_under_its_key(
    monkeypatch: pytest.MonkeyPatch, school: Path
) -> None:
    _, calls = _run(school, ParseCache(None, "x"), monkeypatch)
    (members, orgs, plans, logs, ctx, used) = calls[0]
    by_unit = B.rules_by_unit(members, orgs, plans, logs, ctx, used)
    keys = {code: B.unit_key(code, ur, ctx) for code, ur in used.items()}
    assert len(set(keys.values())) == len(keys)
    memo = plain.loads(plain.dumps(B.RulesMemo.of(by_unit, keys)), B.RulesMemo)
    assert memo.reusable(keys) == by_unit
    changed = next(iter(keys))
    assert memo.reusable({**keys, changed: "another"}) == {c: v for c, v in by_unit.items() if c != changed}
    memo.fields = memo.fields[::-1]  # written by other code: nothing is reused
    assert memo.reusable(keys) == {}


def test_the_key_names_the_file_its_day_and_the_roster(monkeypatch: pytest.MonkeyPatch, school: Path) -> None:
    _, calls = _run(school, ParseCache(None, "x"), monkeypatch)
    ctx, used = calls[0][4], calls[0][5]
    code, ur = next(iter(used.items()))
    key = B.unit_key(code, ur, ctx)
    later = (
        dt.date(2026, 1, 1) if ctx.received_by(ur.file.rel) != dt.date(2026, 1, 1) else dt.date(2026, 1, 2)
    )
    other_day = P.RuleContext(
        ctx.settings, ctx.roster, ctx.as_of, ctx.field_cols, ctx.bad_cells, {ur.file.rel: later}
    )
    assert B.unit_key(code, ur, other_day) != key
    renamed = type(ur)(
        ur.unit_code, ur.unit_name, type(ur.file)(**{**vars(ur.file), "rel": "x.xlsx"}), ur.parsed
    )
    assert B.unit_key(code, renamed, ctx) != key
    roster = type(ctx.roster)(
        ctx.roster.units, ctx.roster.members.assign(name=ctx.roster.members["name"] + "甲")
    )
    other_roster = P.RuleContext(ctx.settings, roster, ctx.as_of, ctx.field_cols, ctx.bad_cells, ctx.received)
    assert B.unit_key(code, ur, other_roster) != key


def test_a_warm_run_reruns_the_rules_of_the_changed_unit_only(
    demo_build: DemoProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs = tmp_path / "inputs"
    shutil.copytree(demo_build.inputs, inputs)
    settings, _ = load(inputs)
    cache_dir = tmp_path / ".cache"
    first, calls = _run(inputs, ParseCache(cache_dir, settings.fingerprint()), monkeypatch)
    assert len(calls) == 1 and set(calls[0][5]) == set(first.used)
    again, calls = _run(inputs, ParseCache(cache_dir, settings.fingerprint()), monkeypatch)
    assert calls == [] and again.findings == first.findings  # every unit's findings kept
    code = "D01"
    resend_first_pledge(inputs, None, code)  # a row without its 承诺事项
    warm, calls = _run(inputs, ParseCache(cache_dir, settings.fingerprint()), monkeypatch)
    assert [set(c[5]) for c in calls] == [{code}]
    assert set(calls[0][0]["unit_code"]) == {code}  # the rules saw that unit's rows only
    cold, _ = _run(inputs, ParseCache(None, settings.fingerprint()), monkeypatch)
    assert warm.findings == cold.findings
    of = lambda c, unit: [f for f in c.findings if f.unit_code == unit]  # noqa: E731
    assert of(warm, code) != of(first, code)  # the blanked 承诺事项 is found
    assert all(of(warm, u) == of(first, u) for u in first.used if u != code)


def test_a_damaged_memo_is_a_miss(
    demo_build: DemoProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, _ = load(demo_build.inputs)
    cache_dir = tmp_path / ".cache"
    cache = ParseCache(cache_dir, settings.fingerprint())
    first, _ = _run(demo_build.inputs, cache, monkeypatch)
    entry = cache.root / f"{cache.key('rules', 'by-unit')}.json"  # type: ignore[operator]
    entry.write_bytes(entry.read_bytes()[:-40])
    again, calls = _run(demo_build.inputs, ParseCache(cache_dir, settings.fingerprint()), monkeypatch)
    assert len(calls) == 1 and again.findings == first.findings
    assert (again.cache_hits, again.cache_misses) == (first.cache_misses, 0)  # the memo is not counted
