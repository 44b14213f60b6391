"""pipeline.infra.written_cache: per-unit workbooks are reused only when their job is unchanged."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.infra.written_cache import WRITTEN_DIR, WrittenCache, run_kept
from pipeline.tooling.bench import compare_outputs
from tests.builders import REPO

AS_OF = "2026-11-20"

CALLS: list[tuple[Path, str]] = []


def write_text(path: Path, text: str, *_: object) -> None:
    CALLS.append((path, text))
    path.write_text(text, encoding="utf-8")


def _run(cache: WrittenCache, path: Path, *args: object) -> None:
    keep = cache.job(write_text, path, *args)
    if keep is not True:
        run_kept(write_text, path, args, keep or None)


def test_same_job_is_copied_changed_job_is_written(tmp_path: Path) -> None:
    CALLS.clear()
    first = WrittenCache(tmp_path / "cache")
    _run(first, tmp_path / "a" / "x.txt", "甲")
    _run(first, tmp_path / "a" / "y.txt", "乙")
    first.prune()
    assert (first.hits, first.misses) == (0, 2) and len(CALLS) == 2

    second = WrittenCache(tmp_path / "cache")
    _run(second, tmp_path / "b" / "x.txt", "甲")  # unchanged: copied
    _run(second, tmp_path / "b" / "y.txt", "乙改")  # changed: written again
    second.prune()
    assert (second.hits, second.misses) == (1, 1)
    assert CALLS[2:] == [(tmp_path / "b" / "y.txt", "乙改")]
    assert (tmp_path / "b" / "x.txt").read_text(encoding="utf-8") == "甲"
    # the old "乙" is gone from the store: it holds one run's files
    assert len(list((tmp_path / "cache" / WRITTEN_DIR).iterdir())) == 2


def test_keys_tell_values_apart(tmp_path: Path) -> None:
    """The canonical form behind a key: equal arguments, equal keys; any difference of
    value or type, a different key."""
    import datetime as dt

    import pandas as pd

    c = WrittenCache(tmp_path / "cache")
    key = lambda *a: c.key(write_text, ".xlsx", a)  # noqa: E731
    frame = pd.DataFrame({"a": pd.array(["x", None], dtype=str), "d": [dt.date(2026, 9, 1), None]})
    assert key(frame, [1]) == key(frame.copy(), [1])
    variants = [
        (1,),
        (1.0,),
        (True,),
        ("1",),
        ([1],),
        ((1,),),
        ({"a": 1},),
        ({"a": 1.0},),
        (dt.date(2026, 9, 1),),
        ("2026-09-01",),
        (dt.datetime(2026, 9, 1),),
        (frame,),
        (frame.astype(object),),
        (frame.iloc[:1],),
        (frame.rename(columns={"a": "b"}),),
        (None,),
        ("",),
        (Path("a"),),
        ("a",),
    ]
    keys = [key(*v) for v in variants]
    assert None not in keys and len(set(keys)) == len(keys)
    assert key(object()) is None  # no canonical form: written every time, never kept
    # each argument on its own: where one ends and the next begins is part of the key
    assert len({key("ab", "c"), key("a", "bc"), key("abc"), key(("ab", "c"))}) == 4
    nan_frame = pd.DataFrame({"a": pd.array(["x", None], dtype=str), "n": [1.5, float("nan")]})
    assert key(nan_frame) != key(nan_frame.fillna({"a": "nan"}))  # missing is not the text "nan"


def test_frozen_arguments_walked_once_still_tell_values_apart(tmp_path: Path) -> None:
    """A frozen dataclass argument (the settings of every feedback job) is walked once
    and its bytes reused: equal values, equal keys; another value, another key, also for
    an object created where a former one lived."""
    from dataclasses import dataclass, replace

    @dataclass(frozen=True)
    class Conf:
        name: str
        limits: tuple[int, ...]

    c = WrittenCache(tmp_path / "cache")
    key = lambda *a: c.key(write_text, ".xlsx", a)  # noqa: E731
    a = Conf("x", (1, 2))
    first = key("unit", a)
    assert key("unit", a) == first == key("unit", Conf("x", (1, 2)))
    assert key("unit", replace(a, limits=(1, 3))) != first
    assert key("other", a) != first
    keys = set()
    for i in range(50):  # short-lived objects: ids are reused by the allocator
        keys.add(key("unit", Conf("x", (i,))))
    assert len(keys) == 50


def test_uncacheable_job_is_written_and_not_kept(tmp_path: Path) -> None:
    CALLS.clear()
    for _ in range(2):
        cache = WrittenCache(tmp_path / "cache")
        _run(cache, tmp_path / "x.txt", "甲", object())
        assert (cache.hits, cache.misses) == (0, 1)
    assert len(CALLS) == 2 and not (tmp_path / "cache" / WRITTEN_DIR).exists()


def test_output_edited_in_place_does_not_change_the_kept_copy(tmp_path: Path) -> None:
    first = WrittenCache(tmp_path / "cache")
    _run(first, tmp_path / "a" / "x.txt", "甲")
    (tmp_path / "a" / "x.txt").write_text("被人改过", encoding="utf-8")
    second = WrittenCache(tmp_path / "cache")
    _run(second, tmp_path / "b" / "x.txt", "甲")
    assert second.hits == 1
    assert (tmp_path / "b" / "x.txt").read_text(encoding="utf-8") == "甲"


def test_an_unchanged_previous_output_is_linked_an_edited_one_is_not(tmp_path: Path) -> None:
    """Where the last run's output still holds the kept bytes it is hard-linked (no new file
    written); an output edited in place, or missing, gives a copy of the kept file."""
    a, b = tmp_path / "a", tmp_path / "b"
    first = WrittenCache(tmp_path / "cache")
    _run(first, a / "x.txt", "甲")
    _run(first, a / "y.txt", "乙")
    (a / "y.txt").write_text("被人改过", encoding="utf-8")  # the last run's output, edited in place
    second = WrittenCache(tmp_path / "cache")
    assert second.job(write_text, b / "x.txt", "甲", previous=a / "x.txt") is True
    assert second.job(write_text, b / "y.txt", "乙", previous=a / "y.txt") is True
    assert second.job(write_text, b / "z.txt", "甲", previous=a / "z.txt") is True  # no such output
    assert second.hits == 3
    assert (b / "x.txt").stat().st_ino == (a / "x.txt").stat().st_ino  # linked
    assert (b / "y.txt").read_text(encoding="utf-8") == "乙"  # the kept bytes, not the edit
    assert (b / "y.txt").stat().st_ino != (a / "y.txt").stat().st_ino
    assert (b / "z.txt").read_text(encoding="utf-8") == "甲"


def test_code_change_or_no_cache_means_writing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = WrittenCache(tmp_path / "cache")
    _run(first, tmp_path / "a" / "x.txt", "甲")
    monkeypatch.setattr("pipeline.infra.written_cache.code_fingerprint", lambda: "another version")
    upgraded = WrittenCache(tmp_path / "cache")
    _run(upgraded, tmp_path / "b" / "x.txt", "甲")
    assert (upgraded.hits, upgraded.misses) == (0, 1)
    off = WrittenCache(None)
    _run(off, tmp_path / "c" / "x.txt", "甲")
    assert (off.hits, off.misses) == (0, 0) and (tmp_path / "c" / "x.txt").is_file()
    off.prune()


def test_second_consolidation_reuses_every_unit_file_and_gives_the_same_outputs(tmp_path: Path) -> None:
    from pipeline.cli import main

    inputs = tmp_path / "inputs"
    shutil.copytree(REPO / "inputs", inputs)
    out = tmp_path / "outputs"
    args = ["--inputs", str(inputs), "--outputs", str(out), "--quiet", "consolidate", "--as-of", AS_OF]
    assert main(args) == 0
    first = tmp_path / "first"
    shutil.copytree(out / AS_OF, first)
    kept = sorted(p.name for p in (out / ".cache" / WRITTEN_DIR).iterdir())
    n_unit_files = len(list((first / "反馈").iterdir())) + len(list((first / "支部台账").iterdir()))
    assert len(kept) == n_unit_files > 0
    assert main(args) == 0
    assert compare_outputs(out / AS_OF, first) == []
    assert sorted(p.name for p in (out / ".cache" / WRITTEN_DIR).iterdir()) == kept
    # placed as links to the replaced outputs (waiting in .cache/discarded), not written again
    placed = [p for d in ("反馈", "支部台账") for p in (out / AS_OF / d).iterdir()]
    assert len(placed) == n_unit_files and all(p.stat().st_nlink == 2 for p in placed)
    assert main([*args, "--no-cache"]) == 0
    assert compare_outputs(out / AS_OF, first) == []


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.write_bytes(p.read_bytes()[:1]),  # truncated
        lambda p: p.write_text("被人改过", encoding="utf-8"),  # edited in the store
        lambda p: p.unlink(),  # gone
    ],
)
def test_damaged_kept_file_is_a_miss_and_rewritten(tmp_path: Path, damage: object) -> None:
    CALLS.clear()
    first = WrittenCache(tmp_path / "cache")
    _run(first, tmp_path / "a" / "x.txt", "甲")
    (kept,) = (tmp_path / "cache" / WRITTEN_DIR).iterdir()
    damage(kept)  # type: ignore[operator]
    second = WrittenCache(tmp_path / "cache")
    _run(second, tmp_path / "b" / "x.txt", "甲")
    assert (second.hits, second.misses) == (0, 1) and len(CALLS) == 2
    assert (tmp_path / "b" / "x.txt").read_text(encoding="utf-8") == "甲"
    second.prune()
    third = WrittenCache(tmp_path / "cache")
    _run(third, tmp_path / "c" / "x.txt", "甲")
    assert third.hits == 1  # kept again, whole


def test_foreign_files_in_the_store_are_ignored_and_removed(tmp_path: Path) -> None:
    store = tmp_path / "cache" / WRITTEN_DIR
    store.mkdir(parents=True)
    (store / "evil.xlsx").write_bytes(b"x")
    (store / f"{'a' * 64}.xlsx").write_bytes(b"an entry of the format before hashes")
    cache = WrittenCache(tmp_path / "cache")
    _run(cache, tmp_path / "x.txt", "甲")
    assert cache.hits == 0
    cache.prune()
    assert [p.name.split("-")[0] for p in store.iterdir()] == list(cache.used)
