"""The benchmark (issue 6): synthetic data, parallel helpers, and a smoke run of ``pledge bench``.

The full benchmark (``make bench``) is not part of the test suite; the smoke run here (the
smallest scale, one run per figure) checks that every figure is measured and written to
the JSON report.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from pipeline.infra.parallel import Jobs, default_workers, pool_map
from pipeline.tooling.bench import SMALL_COMMANDS, compare_outputs, measure, output_cells
from pipeline.tooling.synth import SCALES, ensure_campaign, rewrite_unit
from tests.builders import DEMO_SETTINGS
from tests.early import Early

AS_OF = dt.date(2026, 11, 20)


def _square(x: int) -> int:
    return x * x


def test_pool_map_keeps_order_and_falls_back() -> None:
    items = list(range(40))
    assert pool_map(_square, items, min_items=2, workers=2) == [x * x for x in items]
    assert pool_map(_square, items[:3], min_items=8) == [0, 1, 4]  # too few: in this process
    ticks: list[int] = []
    pool_map(_square, items, min_items=2, workers=2, on_result=lambda: ticks.append(1))
    assert len(ticks) == len(items)


def _write(path: str, text: str) -> None:
    Path(path).write_text(text, encoding="utf-8")


def _fail(_: str) -> None:
    raise ValueError("worker failed")


def test_jobs_run_here_when_few_and_on_workers_when_many(tmp_path: Path) -> None:
    with Jobs(min_jobs=3, workers=2) as few:
        few.submit(_write, str(tmp_path / "a.txt"), "a")
        assert not (tmp_path / "a.txt").exists()  # deferred to wait(), in this process
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "a"
    with Jobs(min_jobs=3, workers=2) as many:
        for i in range(6):
            many.submit(_write, str(tmp_path / f"{i}.txt"), str(i))
        assert many._pool is not None
    assert [(tmp_path / f"{i}.txt").read_text(encoding="utf-8") for i in range(6)] == [
        str(i) for i in range(6)
    ]
    with pytest.raises(ValueError, match="worker failed"), Jobs(min_jobs=2, workers=2) as bad:
        bad.submit(_fail, "x")
        bad.submit(_fail, "y")


def test_jobs_expected_start_the_workers_at_once(tmp_path: Path) -> None:
    with Jobs(min_jobs=3, workers=2, expected=4, preload=("pipeline.outputs.feedback",)) as early:
        assert early._pool is not None  # before any job: the workers import meanwhile
        early.submit(_write, str(tmp_path / "e.txt"), "e")
    assert (tmp_path / "e.txt").read_text(encoding="utf-8") == "e"
    with Jobs(min_jobs=3, workers=2, expected=2) as late:
        assert late._pool is None


def test_workers_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLEDGE_WORKERS", "1")
    assert default_workers() == 1
    assert pool_map(_square, list(range(20))) == [x * x for x in range(20)]
    with Jobs(min_jobs=1) as jobs:
        jobs.submit(_square, 3)
        assert jobs._pool is None


def test_synthetic_campaign_is_deterministic_and_cached(tmp_path: Path) -> None:
    a = ensure_campaign("tiny", tmp_path / "a", DEMO_SETTINGS, workers=1)
    b = ensure_campaign("tiny", tmp_path / "b", DEMO_SETTINGS, workers=2)
    assert not a.cached and a.units == 6 and a.members == 60
    assert (a.files, a.member_rows, a.org_rows, a.log_rows, a.mistakes) == (
        b.files,
        b.member_rows,
        b.org_rows,
        b.log_rows,
        b.mistakes,
    )
    assert a.member_rows >= 5 * 60 * 0.9 and a.org_rows == 6 * 5 and a.log_rows == 2 * 60
    assert a.resends >= 1 and a.files == a.units + a.resends
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.xlsx"))
    assert files_a == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*.xlsx"))
    assert compare_outputs(tmp_path / "a", tmp_path / "b") == []  # same cell values whatever the workers
    mtimes = {p.name: p.stat().st_mtime for p in (tmp_path / "a" / "returns").rglob("*.xlsx")}
    assert mtimes == {p.name: p.stat().st_mtime for p in (tmp_path / "b" / "returns").rglob("*.xlsx")}
    again = ensure_campaign("tiny", tmp_path / "a", DEMO_SETTINGS)
    assert again.cached and again.key == a.key
    # the warm benchmark's edit changes one workbook, deterministically
    target = tmp_path / "changed.xlsx"
    rewrite_unit(tmp_path / "a", target, 3, variant=1, scale="tiny")
    original = next((tmp_path / "a" / "returns").rglob("B0003_*.xlsx"))
    assert target.read_bytes() != original.read_bytes()


def test_measure_reports_wall_and_memory(tmp_path: Path) -> None:
    r = measure(
        [sys.executable, "-c", "x = bytearray(64 * 2**20); x[::4096] = b'a' * len(x[::4096])"],
        tmp_path / "m.log",
    )
    assert r["wall"] > 0 and r["rss_mb"] >= 64
    with pytest.raises(RuntimeError, match="failed"):
        measure([sys.executable, "-c", "raise SystemExit(3)"], tmp_path / "f.log")


def test_output_cells_counts_written_cells(tmp_path: Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(tmp_path / "o.xlsx"))
    ws = wb.add_worksheet()
    for r in range(3):
        for c in range(4):
            ws.write_string(r, c, "x")
    wb.add_worksheet().write_number(0, 0, 1)
    wb.close()
    assert output_cells(tmp_path) == [("o.xlsx", [12, 1])]


def _bench_command(folder: Path) -> list[str] | None:
    """`make bench SCALE=tiny`, once per figure, into ``folder`` (tests/early.py)."""
    if not os.path.exists("/proc/self/stat"):
        return None
    (folder / "inputs").mkdir()
    shutil.copy(DEMO_SETTINGS, folder / "inputs" / "campaign.toml")
    argv = ["--inputs", str(folder / "inputs"), "--outputs", str(folder), "bench", "--scale", "tiny"]
    return [
        sys.executable,
        "-m",
        "pipeline",
        *argv,
        "--repeat",
        "1",
        "--profile",
        "--as-of",
        AS_OF.isoformat(),
    ]


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="needs /proc (Linux)")
@pytest.mark.early("bench", _bench_command)
def test_bench_command_smoke_run(early: Early) -> None:
    """`pledge bench` end to end (as `make bench` runs it), started with the session
    (tests/early.py): every figure lands in the JSON and in the printed report. The
    smallest scale: what is checked here is that every figure is measured, written and
    compared, not how fast (that is `make bench`'s own report)."""
    run = early.result("bench")
    assert run.returncode == 0, run.output
    lines = run.output.splitlines()
    folder = run.folder
    saved = json.loads((folder / "bench" / "tiny.json").read_text(encoding="utf-8"))
    assert saved["scale"] == "tiny" and saved["data"]["units"] == SCALES["tiny"].units
    for figure in ("floor", "naive", "cold", "warm", "templates"):
        assert saved[figure]["wall"] > 0, figure
        assert saved[figure]["rss_mb"] > 0, figure
    # a ledger, a change report, one feedback workbook and one branch ledger per unit...
    assert saved["cells_written"] > 10_000 and saved["files_written"] > saved["data"]["units"]
    assert {
        "cold_over_floor",
        "naive_over_cold",
        "warm_parse_over_cold_parse",
        "warm_over_cold",
        "cold_cpu_over_floor_cpu",
    } <= set(saved["ratios"])
    # issue 16: demo-scale commands beside their baselines, measured in the same run
    small = saved["small"]
    assert {"python -c pass", 'python -c "import pandas"', "pledge --help"} <= set(small)
    assert {name for name, _ in SMALL_COMMANDS} <= set(small)
    assert all(x["wall"] > 0 and len(x["runs"]) == 1 for x in small.values())
    # each command against the baseline runs interleaved with its own (the machine's speed
    # drifts between commands); the baselines themselves have none
    assert all(len(small[name]["baseline_runs"]) == 1 for name, _ in SMALL_COMMANDS)
    assert "baseline_wall" not in small['python -c "import pandas"']
    pandas = small["notice"]["baseline_wall"]
    assert saved["ratios"]["notice / import pandas"] == round(small["notice"]["wall"] / pandas, 2)
    assert saved["targets"]["demo notice <= 2x import pandas"] == (small["notice"]["wall"] <= 2 * pandas)
    assert saved["ratios"]["pledge --help / python -c pass"] == round(
        small["pledge --help"]["wall"] / small["pledge --help"]["baseline_wall"], 2
    )
    assert "pledge --help <= 12x python -c pass" in saved["targets"]
    assert "demo bulletin --no-cache <= 2x import pandas" not in saved["targets"]
    assert any("× import pandas" in line for line in lines)
    warm = saved["warm"]
    assert warm["phases"]["cache_misses"] == 1 and warm["phases"]["cache_hits"] == saved["data"]["files"] - 1
    assert warm["identical_to_cold"], warm["differences"]
    assert saved["cold"]["phases"]["cache_misses"] == saved["data"]["files"]
    assert saved["templates"]["ms_per_workbook"] > 0
    assert {
        "read (file checks + calamine)",
        "normalise (sheets, headers, typed frames)",
        "validate (cell checks: text, dropdown, date)",
        "rules (P/M rules, status)",
        "write ledger (台账)",
        "write feedback (反馈)",
    } <= set(saved["profile"])
    assert all(v >= 0 for v in saved["profile"].values())
    # the printed report states every target as saved, in order
    printed = [line.strip() for line in lines if line.strip().startswith(("[met] ", "[MISSED] "))]
    assert printed == [f"[{'met' if ok else 'MISSED'}] {k}" for k, ok in saved["targets"].items()]
    assert "peak RSS <= 1.5 GB" in saved["targets"]
    assert any("consolidate cold" in line for line in lines)
    assert any(line.endswith("tiny.json") and "结果已写入" in line for line in lines)


def test_command_matches_the_generator() -> None:
    from pipeline.cli import bench as command
    from pipeline.tooling import synth

    assert set(command.SCALES) == set(synth.SCALES) and command.DEFAULT_SEED == synth.DEFAULT_SEED


def test_profile_phases_name_functions_that_exist() -> None:
    """Every (file, function) the profile adds up is a function of that module: a moved
    or renamed function would silently count as 0 s."""
    import re

    from pipeline.tooling.bench import PHASES

    root = Path(__file__).resolve().parents[2] / "pipeline"
    for phase, funcs in PHASES.items():
        for suffix, name in funcs:
            source = (root / suffix).read_text(encoding="utf-8")
            assert re.search(rf"^\s*def {name}\(", source, re.M), (phase, suffix, name)
