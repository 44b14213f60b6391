"""pipeline.infra.plain: what the caches store is plain JSON that rebuilds exactly, and
that can name no class but the ones expected."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.core.findings import Finding
from pipeline.infra import plain
from pipeline.jobs.consolidation import FileResult
from tests.builders import REPO


@dataclass
class Inner:
    when: dt.date | None
    tags: tuple[str, ...] = ()


@dataclass
class Outer:
    rows: dict[str, list[object]] = field(default_factory=dict)
    inner: list[Inner] = field(default_factory=list)
    odd: dict[object, object] = field(default_factory=dict)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(),
    st.dates(),
    st.datetimes().map(lambda d: d.replace(fold=0)),  # fold is not data we keep
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=40),
        st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=5), inner, max_size=5),
    ),
    max_leaves=60,
)


@given(values)
def test_round_trip_any_plain_value(value: object) -> None:
    @dataclass
    class Box:
        v: object

    got = plain.loads(plain.dumps(Box(value)), Box)
    assert got == Box(value)
    assert repr(got) == repr(Box(value))  # types too: 1 stays int, True stays bool, tuples stay tuples
    # rebuilt while parsed (loads) or from parsed data (from_plain): the same value
    walked = plain.from_plain(json.loads(plain.dumps(Box(value))), Box)
    assert repr(walked) == repr(got)


def test_dataclasses_columns_and_escaped_keys() -> None:
    d = dt.date(2026, 9, 1)
    value = Outer(
        rows={"date": [d, None] * 20, "name": ["王建国"] * 40, "row": list(range(40))},
        inner=[Inner(d, ("a", "b")), Inner(None)],
        odd={"$c": 1, 2: "two", ("t", 1): [d]},
    )
    data = plain.dumps(value)
    assert b"$col" in data and "王建国".encode() in data  # readable JSON, repeated values once
    assert data.count("王建国".encode()) == 1
    got = plain.loads(data, Outer)
    assert got == value
    assert got.rows["date"][0] is got.rows["date"][2]  # one object per distinct value
    assert plain.from_plain(json.loads(data), Outer) == value


def test_only_expected_classes_can_be_named() -> None:
    evil = json.dumps({"$c": "Popen", "v": {"args": ["rm", "-rf", "/"]}}).encode()
    with pytest.raises(KeyError):
        plain.loads(evil, FileResult)
    with pytest.raises(KeyError):
        plain.from_plain(json.loads(evil), FileResult)
    nested = json.dumps({"$c": "FileResult", "v": {"ok": {"$c": "Popen", "v": {}}}}).encode()
    with pytest.raises(KeyError):  # not even inside an allowed class
        plain.loads(nested, FileResult)
    assert set(plain.known_types(FileResult)) == {"FileResult", "ParsedWorkbook", "Finding"}
    finding = Finding("提醒", "V102", "x", file="a.xlsx", row=5, column=2)
    with pytest.raises(plain.PlainError):  # a Finding is not a FileResult
        plain.loads(plain.dumps(finding), FileResult)


def test_unstorable_values_are_refused() -> None:
    with pytest.raises(plain.PlainError):
        plain.dumps(Outer(rows={"x": [object()]}))
    with pytest.raises(plain.PlainError):
        plain.dumps({1, 2})


def test_no_pickle_in_the_product() -> None:
    """Caches hold plain data only: the package never imports or mentions pickle."""
    out = subprocess.run(
        ["grep", "-rn", "pickle", "pipeline/", "schemas/", "templates/"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1 and out.stdout == "", out.stdout
    assert not list(Path(REPO, "pipeline").rglob("*.pkl"))


def test_frame_columns_and_dtypes_are_what_pandas_gives() -> None:
    """:func:`plain.frame_columns` / :func:`plain.frame_dtypes` (column by column) give
    the values and dtype names of ``to_numpy(dtype=object)`` / ``dtypes``, types included."""
    import numpy as np
    import pandas as pd

    d = dt.date(2026, 9, 1)
    df = pd.DataFrame(
        {
            "s": pd.array(["王", None, "x"], dtype=str),
            "i": [1, 2, 3],
            "f": [1.5, np.nan, 2.0],
            "b": [True, False, True],
            "o": [d, None, "text"],
            "t": pd.to_datetime(["2026-09-01", None, "2026-10-01"]),
            "n": pd.array([1, None, 3], dtype="Int64"),
            "c": pd.Categorical(["a", "b", "a"]),
        }
    )
    df.columns = ["s", "i", "f", "b", "o", "t", "s", "c"]  # a repeated name too
    want = df.to_numpy(dtype=object).T.tolist()
    got = plain.frame_columns(df)
    assert repr(got) == repr(want)
    assert [[type(v) for v in col] for col in got] == [[type(v) for v in col] for col in want]
    assert plain.frame_dtypes(df) == [str(t) for t in df.dtypes]
    assert plain.frame_columns(df.iloc[:0]) == [[] for _ in df.columns]


@pytest.mark.parametrize(
    "column",
    [
        [1, 1.0, True] * 8,  # equal under ==, not the same value
        ["a", None, "b"] * 8,
        [dt.date(2026, 9, 1), None, dt.date(2026, 9, 2)] * 8,
        [dt.date(2026, 9, 1), dt.datetime(2026, 9, 1)] * 12,
        [float("nan"), 1.0] * 12,
        [1, 2] * 12,
        list(range(30)),
        ["x", 1] * 12,
    ],
)
def test_long_columns_keep_every_value_and_type(column: list[object]) -> None:
    @dataclass
    class Box:
        v: object

    got = plain.loads(plain.dumps(Box(column)), Box).v
    assert repr(got) == repr(column)
    assert [type(v) for v in got] == [type(v) for v in column]


@given(values, st.integers(min_value=0, max_value=4))
def test_chunks_join_to_the_same_bytes(value: object, depth: int) -> None:
    """plain.dump_chunks writes a large value piece by piece: the same bytes as dumps."""

    @dataclass
    class Box:
        v: object
        w: dict[str, object] = field(default_factory=dict)

    box = Box(value, {"a": value, "b": [value]})
    assert b"".join(plain.dump_chunks(box, depth)) == plain.dumps(box)


def test_chunks_of_frames_and_escaped_keys_are_the_same_bytes() -> None:
    import pandas as pd

    d = dt.date(2026, 9, 1)
    frame = pd.DataFrame(
        {"姓名": ["王建国", None] * 20, "n": range(40), "x": [1.5, float("nan")] * 20, "d": [d] * 40}
    )
    value = Outer(rows={"f": [frame]}, odd={"$c": 1, 2: "two"})
    for obj in (value, {"frame": frame, "$x": 1}, {"frame": frame}, frame, frame.iloc[:0]):
        assert b"".join(plain.dump_chunks(obj)) == plain.dumps(obj)
    pieces = list(plain.dump_chunks({"frame": frame}))
    assert len(pieces) > 4 and max(map(len, pieces)) < len(plain.dumps(frame)) / 2


cells = st.one_of(
    st.none(),
    st.sampled_from(["甲", "乙", "None", "['a']", "'", ""]),  # texts that repeat, and look like reprs
    st.text(max_size=4),
    st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2026, 1, 5)),
)


@given(
    st.lists(st.tuples(st.sampled_from(["D01", "D02", "D03"]), cells, cells), min_size=0, max_size=60),
    st.sampled_from(["text", "dates", "mixed"]),
)
def test_row_ranges_key_as_the_frames_they_build(rows: list[tuple[str, object, object]], kind: str) -> None:
    """A unit's rows of a frame of all units (``FrameRows``, what a run keys its branch
    ledgers by) have the key bytes of the frame built from them, for columns of repeated
    texts, dates and None (written from each distinct value's repr, made once); two ranges
    key alike exactly when their frames hold equal cells."""
    import pandas as pd

    if kind == "text":
        rows = [(u, a if isinstance(a, str) else None, b if isinstance(b, str) else None) for u, a, b in rows]
    elif kind == "dates":
        rows = [(u, a if isinstance(a, dt.date) else None, b) for u, a, b in rows]
    rows.sort(key=lambda r: r[0])
    df = pd.DataFrame([r[1:] for r in rows], columns=["a", "b"], dtype=object)  # the unit's cells
    whole = plain.FrameCells(df)
    bounds, start = {}, 0
    for unit in ("D01", "D02", "D03"):
        n = sum(r[0] == unit for r in rows)
        bounds[unit], start = (start, start + n), start + n
    keys = {}
    for unit, (a, b) in bounds.items():
        part = whole.rows(a, b)
        assert plain.key_bytes(part) == plain.key_bytes(part.frame()), unit
        keys[unit] = plain.key_bytes(part)
        if b > a:
            assert "_Raw" not in keys[unit].decode()
    for u in keys:
        for v in keys:
            same = [r[1:] for r in rows if r[0] == u] == [r[1:] for r in rows if r[0] == v] and [
                [type(x) for x in r[1:]] for r in rows if r[0] == u
            ] == [[type(x) for x in r[1:]] for r in rows if r[0] == v]
            assert (keys[u] == keys[v]) is same, (u, v)
