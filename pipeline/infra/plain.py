"""Plain data for the caches: our objects as JSON, never serialised Python objects (issue 17).

Python's own object serialisation runs code when it is loaded, so a cache folder anyone
can write (often a shared drive) must not hold any. :func:`to_plain` turns the values the caches keep (dataclasses,
dicts, lists, tuples, text, numbers, dates, DataFrames and paths; others for keys only) into
JSON-native data with small tags; :func:`from_plain` rebuilds them (frames of the
dtypes in :data:`FRAME_DTYPES` and paths too, for snapshots: :mod:`pipeline.jobs.snapshot`) for a given dataclass
type, creating only instances of the dataclasses that type refers to: a foreign or
hand-edited entry can name nothing else, and anything that does not fit is an error the
caller treats as a miss.

Long columns of repeated values (ids, names, kinds, dates on every row of a member) are
stored once per distinct value plus an index per row (``$col``): entries stay small, a
warm run loads them fast, and the rebuilt rows share one object per value as the parser
made them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import types
import typing
from collections.abc import Callable, Iterator
from pathlib import Path, PurePath
from typing import Any

_COLUMN_MIN = 16  # lists at least this long of hashable scalars are stored as $col
_SCALARS = (str, int, float, bool, type(None), dt.date, dt.datetime)


class PlainError(TypeError):
    """A value the plain format cannot hold (the caller does not cache it)."""


_NATIVE = frozenset((str, int, float, bool, type(None)))


def _dates(values: Any) -> list[str | None] | None:
    """ISO text of a list of dates (``None`` kept), or None when it holds anything else."""
    out: list[str | None] = []
    for v in values:
        if v is None:
            out.append(None)
        elif v.__class__ is dt.date:
            out.append(v.isoformat())
        else:
            return None
    return out


_POOLABLE = (frozenset((str, type(None))), frozenset((dt.date, type(None))))


def _pooled(values: list[Any], kinds: set[type]) -> Any:
    """:func:`_list` of a long list whose values are all of one type (or None)."""
    distinct = list(dict.fromkeys(values))
    if kinds <= _NATIVE:
        if len(distinct) * 2 > len(values):  # mostly distinct (row numbers): as they are
            return list(values)
        tag = "$col"
        encoded: list[Any] = distinct
    else:  # dates
        tag = "$dcol"
        encoded = [v if v is None else v.isoformat() for v in distinct]
    position = {v: i for i, v in enumerate(distinct)}
    return {tag: [encoded, list(map(position.__getitem__, values))]}


def frame_columns(df: Any) -> list[list[Any]]:
    """The cells of a DataFrame as Python objects, one list per column: what
    ``df.to_numpy(dtype=object).T.tolist()`` gives, column by column (a frame of mixed
    dtypes is not interleaved into one object block first: issue 16)."""
    return list(iter_frame_columns(df))


def iter_frame_columns(df: Any) -> Iterator[list[Any]]:
    """:func:`frame_columns` one column at a time."""
    import numpy as np

    if not df.shape[0]:
        yield from ([] for _ in df.columns)
        return
    for i in range(df.shape[1]):
        values = df._mgr.iget_values(i)
        if isinstance(values, np.ndarray) and values.dtype.kind in "biufO":
            yield values.tolist()  # Python ints, floats, bools; objects as they are
        elif isinstance(values, np.ndarray):  # datetimes, timedeltas: as pandas' scalars
            yield df.iloc[:, i].to_numpy(dtype=object).tolist()
        else:  # extension arrays (text): their own conversion
            yield values.to_numpy(dtype=object).tolist()


def frame_dtypes(df: Any) -> list[str]:
    """``[str(d) for d in df.dtypes]`` without building the ``dtypes`` Series."""
    values = df._mgr.iget_values
    return [str(values(i).dtype) for i in range(df.shape[1])]


def _list(values: list[Any]) -> Any:
    """A list as it is when every element is a JSON scalar (read back without a walk);
    a list of dates as ISO text (``$dl``); long columns of repeated values as distinct
    values + an index per row (``$col``, ``$dcol`` for dates, ``$colw`` for others);
    anything else as ``$w`` (each element encoded, and decoded, on its own)."""
    native = _NATIVE
    if len(values) >= _COLUMN_MIN:
        kinds = set(map(type, values))
        if kinds <= _POOLABLE[0] or kinds <= _POOLABLE[1] or (len(kinds) == 1 and kinds <= _NATIVE):
            # values of one type (and None): equal exactly when ==, so a plain dict pools
            # them at C speed (1 == 1.0 == True never meet here)
            return _pooled(values, kinds)
        pool: dict[tuple[type, Any], int] = {}
        try:
            index = [pool.setdefault((v.__class__, v), len(pool)) for v in values]
        except TypeError:  # an unhashable element
            return {"$w": [to_plain(v) for v in values]}
        distinct = [v for _, v in pool]
        if all(k[0] in native for k in pool):
            if len(pool) * 2 > len(values):  # mostly distinct (row numbers): as they are
                return list(values)
            return {"$col": [distinct, index]}
        isos = _dates(distinct)
        if isos is not None:
            return {"$dcol": [isos, index]}
        return {"$colw": [[to_plain(v) for v in distinct], index]}
    if all(v.__class__ in native for v in values):
        return list(values)
    isos = _dates(values)
    if isos is not None:
        return {"$dl": isos}
    return {"$w": [to_plain(v) for v in values]}


def to_plain(obj: Any) -> Any:
    """JSON-native data for ``obj`` (see the module doc); :class:`PlainError` when it
    holds something else."""
    t = obj.__class__
    if t is str or t is int or t is bool or obj is None:
        return obj
    if t is float:
        return obj
    if t is dt.date:
        return {"$d": obj.isoformat()}
    if t is dt.datetime:
        return {"$dt": obj.isoformat()}
    if t is dt.timezone:
        return {"$tz": obj.utcoffset(None).total_seconds()}
    if t is list:
        return _list(obj)
    if t is tuple:
        return {"$t": [to_plain(v) for v in obj]}
    if t is dict:
        if all(k.__class__ is str and not k.startswith("$") for k in obj):
            return {k: to_plain(v) for k, v in obj.items()}
        return {"$m": [[to_plain(k), to_plain(v)] for k, v in obj.items()]}
    names = _init_names(t)
    if names is not None:
        return {"$c": t.__qualname__, "v": {n: to_plain(getattr(obj, n)) for n in names}}
    return _other(obj)


_NAMES: dict[type, tuple[str, ...] | None] = {}  # class -> its dataclass init fields, None: not one


def _init_names(t: type) -> tuple[str, ...] | None:
    """The init fields of the dataclass ``t`` (None when ``t`` is not a dataclass), looked
    up once per class: ``dataclasses.fields`` builds its tuple on every call, a sixth of
    the time a county's snapshot took to encode (issue 16)."""
    try:
        return _NAMES[t]
    except KeyError:
        pass
    names = tuple(f.name for f in dataclasses.fields(t) if f.init) if dataclasses.is_dataclass(t) else None
    _NAMES[t] = names
    return names


def _other(obj: Any) -> Any:
    """Values that only ever go into a key (written-cache jobs): frames, paths, pandas'
    missing values, numpy scalars."""
    module = obj.__class__.__module__.split(".")[0]
    if isinstance(obj, PurePath):
        return {"$p": obj.as_posix()}
    if module in ("pandas", "numpy"):
        import numpy as np
        import pandas as pd

        if isinstance(obj, pd.DataFrame):
            # all columns at once as Python objects: one conversion per block of the
            # frame, not a Series per column (issue 16: thousands of small frames a run)
            columns = frame_columns(obj)
            return {
                "$df": [
                    [to_plain(c) for c in obj.columns],
                    frame_dtypes(obj),
                    to_plain(obj.index.tolist()),
                    [to_plain(col) for col in columns],
                ]
            }
        if isinstance(obj, pd.Series):
            return {
                "$se": [
                    to_plain(obj.name),
                    str(obj.dtype),
                    to_plain(obj.index.tolist()),
                    to_plain(obj.tolist()),
                ]
            }
        if obj is pd.NA:
            return {"$na": 0}
        if obj is pd.NaT:
            return {"$nat": 0}
        if isinstance(obj, pd.Timestamp):
            return {"$ts": obj.isoformat()}
        if isinstance(obj, np.generic):
            return {"$np": [str(obj.dtype), to_plain(obj.item())]}
    if isinstance(obj, _SCALARS):  # subclasses of str, int, date...: keys only
        return {"$sub": [f"{obj.__class__.__module__}.{obj.__class__.__qualname__}", repr(obj)]}
    raise PlainError(f"cannot store {obj.__class__.__qualname__} as plain data")


def dumps(obj: Any) -> bytes:
    """``obj`` as compact UTF-8 JSON (:class:`PlainError` when it cannot be)."""
    return json.dumps(to_plain(obj), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class Encoded:
    """Values whose :func:`dumps` bytes are known because they were decoded from them
    (a parsed workbook from its parse-cache entry): :func:`dump_chunks` writes those
    bytes instead of encoding the value again. A county's snapshot holds 2,000 parsed
    workbooks, 47 MB of JSON that took 3.5 s to encode (issue 16). Each value is held
    with its bytes (so its id is not reused) and must not change after it is added."""

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[Any, bytes]] = {}

    def get(self, value: Any) -> bytes | None:
        kept = self._by_id.get(id(value))
        return kept[1] if kept is not None and kept[0] is value else None

    def add_member(self, outer: Any, name: str, data: bytes | memoryview) -> None:
        """Keep the bytes of the dataclass field ``outer.<name>``, found inside ``data``
        (the :func:`dumps` bytes ``outer`` was decoded from): ``outer`` encoded with that
        field None gives the bytes before and after it, which must frame ``data``
        exactly; anything else keeps nothing."""
        inner = getattr(outer, name)
        if inner is None:
            return
        around = dumps(dataclasses.replace(outer, **{name: None}))
        marker = _json(name) + b":null"  # a key: JSON text never holds a bare quote
        at = around.find(marker)
        if at < 0 or around.find(marker, at + 1) >= 0:
            return
        pre, post = around[: at + len(marker) - 4], around[at + len(marker) :]
        view = memoryview(data)
        n = len(view)
        if n <= len(pre) + len(post) or view[: len(pre)] != pre or view[n - len(post) :] != post:
            return
        self._by_id[id(inner)] = (inner, bytes(view[len(pre) : n - len(post)]))


def dump_chunks(obj: Any, depth: int = 3, known: Encoded | None = None) -> Iterator[bytes]:
    """:func:`dumps` in pieces: their concatenation is the same bytes. Dataclasses, dicts
    of plain keys and frames down to ``depth`` levels are written member by member, so
    a large value (a county's consolidation snapshot) never exists as one JSON text, its
    UTF-8 bytes and their copy at once (issue 16: a forked writer's memory). Values in
    ``known`` are written from their kept bytes."""
    if known is not None:
        kept = known.get(obj)
        if kept is not None:
            yield kept
            return
    t = obj.__class__
    if depth <= 0:
        yield dumps(obj)
    elif (names := _init_names(t)) is not None:
        yield b'{"$c":' + _json(t.__qualname__) + b',"v":'
        yield from _members([(n, getattr(obj, n)) for n in names], depth, known)
        yield b"}"
    elif t is dict and all(k.__class__ is str and not k.startswith("$") for k in obj):
        yield from _members(list(obj.items()), depth, known)
    elif t.__module__.split(".")[0] == "pandas" and t.__name__ == "DataFrame":
        yield b'{"$df":[' + _json([to_plain(c) for c in obj.columns]) + b","
        yield _json(frame_dtypes(obj)) + b"," + _json(to_plain(obj.index.tolist())) + b",["
        for i, col in enumerate(iter_frame_columns(obj)):
            yield (b"," if i else b"") + _json(to_plain(col))
        yield b"]]}"
    else:
        yield dumps(obj)


def _members(items: list[tuple[str, Any]], depth: int, known: Encoded | None) -> Iterator[bytes]:
    yield b"{"
    for i, (k, v) in enumerate(items):
        yield (b"," if i else b"") + _json(k) + b":"
        yield from dump_chunks(v, depth - 1, known)
    yield b"}"


def _json(plain_value: Any) -> bytes:
    return json.dumps(plain_value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --------------------------------------------------------------------------- reading


def _dataclasses_of(tp: Any, seen: dict[str, type]) -> None:
    """Every dataclass ``tp`` refers to through its fields' annotations."""
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if seen.get(tp.__qualname__) is tp:
            return
        seen[tp.__qualname__] = tp
        for hint in typing.get_type_hints(tp).values():
            _dataclasses_of(hint, seen)
        return
    for arg in typing.get_args(tp):
        _dataclasses_of(arg, seen)
    origin = typing.get_origin(tp)
    if origin is not None and origin is not types.UnionType:
        _dataclasses_of(origin, seen)


@functools.cache
def known_types(root: type) -> dict[str, type]:
    seen: dict[str, type] = {}
    _dataclasses_of(root, seen)
    return seen


def _same(value: Any) -> Any:
    return value


class _Decoding:
    """What rebuilding one entry needs: the classes it may name and each date made once.
    :meth:`decode` walks data :func:`json.loads` gave; :meth:`hook` is that loader's
    ``object_hook``, which meets every object once its contents are rebuilt (one pass, in
    C, instead of a second walk over the parsed data: a warm county run loads 2,100 parse
    cache entries and the snapshot)."""

    def __init__(self, classes: dict[str, type]) -> None:
        self.classes = classes
        self.dates: dict[str, dt.date] = {}

    def date(self, s: str) -> dt.date:
        d = self.dates.get(s)
        if d is None:
            d = self.dates[s] = dt.date.fromisoformat(s)
        return d

    def instance(self, name: str, fields: dict[str, Any]) -> Any:
        cls = self.classes[name]  # KeyError: a class this entry may not name
        return cls(**fields)

    def untag(self, tag: str, v: Any, decode: Callable[[Any], Any]) -> Any:
        """The value of a tagged object ``{tag: v}``; ``decode`` rebuilds what ``v`` holds
        (:func:`_same` where that is done already)."""
        if tag == "$col":
            values, index = v
            return [values[i] for i in index]
        if tag == "$dcol":
            values, index = v
            known, date = self.dates.get, self.date
            vals = [x if x is None else (known(x) or date(x)) for x in values]
            return [vals[i] for i in index]
        if tag == "$dl":
            known, date = self.dates.get, self.date
            return [x if x is None else (known(x) or date(x)) for x in v]
        if tag == "$colw":
            values, index = v
            vals = [decode(x) for x in values]
            return [vals[i] for i in index]
        if tag == "$w":
            return [decode(x) for x in v]
        if tag == "$d":
            return self.date(v)
        if tag == "$dt":
            return dt.datetime.fromisoformat(v)
        if tag == "$t":
            return tuple(decode(x) for x in v)
        if tag == "$m":
            return {decode(k): decode(x) for k, x in v}
        if tag == "$tz":
            return dt.timezone(dt.timedelta(seconds=v))
        if tag == "$p":
            return Path(v)
        if tag == "$df":
            return _frame(v, decode)
        raise PlainError(f"unknown tag {tag!r}")

    def decode(self, obj: Any) -> Any:
        t = obj.__class__
        if t is str or t is int or t is float or t is bool or obj is None:
            return obj
        if t is list:
            # a bare list holds only JSON scalars (see _list)
            return obj
        if t is not dict:
            raise PlainError(f"unexpected {t.__name__}")
        if len(obj) == 1:
            ((tag, v),) = obj.items()
            if tag[:1] == "$":
                return self.untag(tag, v, self.decode)
        if "$c" in obj:
            return self.instance(obj["$c"], {k: self.decode(x) for k, x in obj["v"].items()})
        return {k: self.decode(x) for k, x in obj.items()}  # "$" keys are tags only alone or with "$c"

    def hook(self, obj: dict[str, Any]) -> Any:
        if len(obj) == 1:
            ((tag, v),) = obj.items()
            return self.untag(tag, v, _same) if tag[:1] == "$" else obj
        if "$c" in obj:
            return self.instance(obj["$c"], obj["v"])
        return obj


# Frame dtypes rebuilt from ``$df`` (what the ledger frames hold); anything else is refused.
FRAME_DTYPES = frozenset({"str", "object", "int64", "float64", "bool"})


def _frame(v: Any, decode: Callable[[Any], Any]) -> Any:
    """A DataFrame from ``$df`` data: columns, dtypes, index, one value list per column."""
    import pandas as pd

    columns, dtypes, index, data = v
    columns = [decode(c) for c in columns]
    idx = decode(index)
    if len(set(columns)) != len(columns) or len(dtypes) != len(columns) or len(data) != len(columns):
        raise PlainError("malformed frame")
    if any(d not in FRAME_DTYPES for d in dtypes):
        raise PlainError("frame dtype the plain format does not rebuild")
    n = len(idx)
    frame_index = pd.RangeIndex(n) if idx == list(range(n)) else pd.Index(idx)
    cols = {}
    for c, d, values in zip(columns, dtypes, data, strict=True):
        values = decode(values)
        if len(values) != n:
            raise PlainError("frame column of another length")
        cols[c] = pd.Series(values, dtype=d, index=frame_index)
    return pd.DataFrame(cols, index=frame_index)


def from_plain(data: Any, expect: type) -> Any:
    """Rebuild an ``expect`` instance from :func:`to_plain` data. Raises (``PlainError``,
    ``KeyError``, ``TypeError``, ``ValueError``) when the data is anything else."""
    return _expected(_Decoding(known_types(expect)).decode(data), expect)


def _expected(value: Any, expect: type) -> Any:
    if not isinstance(value, expect):
        raise PlainError(f"expected {expect.__qualname__}, got {value.__class__.__qualname__}")
    return value


def loads(raw: bytes | memoryview, expect: type) -> Any:
    """:func:`from_plain` of JSON text, rebuilt while it is parsed (:meth:`_Decoding.hook`)."""
    return _expected(json.loads(bytes(raw), object_hook=_Decoding(known_types(expect)).hook), expect)


def canonical(obj: Any) -> bytes:
    """Bytes equal exactly when the values are equal (as far as the caches can tell): the
    key of a written-cache job. Dict order counts (it changes what is written)."""
    return json.dumps(to_plain(obj), ensure_ascii=False, separators=(",", ":"), allow_nan=True).encode()


_SIMPLE = frozenset((str, int, float, bool, type(None), dt.date, dt.datetime))


def key_bytes(obj: Any) -> bytes:
    """A cheaper :func:`canonical` for keys only (never read back): the ``repr`` of a
    tagged walk of ``obj``. Scalars keep their type in their repr (``1``, ``1.0``,
    ``True``, ``'1'``, ``datetime.date(...)``); containers, dataclasses, paths and
    frames are tagged; a frame's cells are taken column by column in one conversion and
    written by ``repr`` without a walk per cell (frames hold text, numbers, dates and
    pandas' missing values, whose reprs tell them apart), and that text goes into the
    key as it is (:class:`_Raw`), not repr'd again. Anything else is a
    :class:`PlainError` (no key: written every time, never kept)."""
    return repr(_key_walk(obj)).encode("utf-8", "surrogatepass")


class _Raw:
    """Text that goes into a key's ``repr`` as it is, being a ``repr`` already (a frame's
    cells): not quoted and escaped a second time, which doubled the cost of a county's
    branch-ledger keys (issue 16). A raw text is a list's repr, so it starts with ``[``
    where a text value's repr starts with a quote: the two never meet."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


_DATE_CELLS = frozenset((dt.date, type(None)))
_TEXT_CELLS = frozenset((str, type(None)))


class FrameCells:
    """A frame whose cells are converted once (:func:`frame_columns`, on first use) for
    many :class:`FrameRows` of it: a county's branch ledgers are 2,000 row ranges of six
    frames, keyed without converting or building 12,000 small frames (issue 16)."""

    __slots__ = ("_cells", "_reprs", "columns", "df", "dtypes")

    def __init__(self, df: Any) -> None:
        self.df = df
        self.dtypes = frame_dtypes(df)
        self.columns = [_key_walk(c) for c in df.columns]
        self._cells: list[list[Any]] | None = None
        self._reprs: ColumnsRepr | None = None

    @property
    def cells(self) -> list[list[Any]]:
        if self._cells is None:
            self._cells = frame_columns(self.df)
        return self._cells

    def rows(self, start: int, stop: int) -> FrameRows:
        return FrameRows(self, start, stop)

    def cells_repr(self, start: int, stop: int) -> str:
        """``repr([col[start:stop] for col in self.cells])`` (:class:`ColumnsRepr`)."""
        if self._reprs is None:
            self._reprs = ColumnsRepr(self.cells)
        return self._reprs(start, stop)


class ColumnsRepr:
    """``repr([col[start:stop] for col in columns])`` for many row ranges of the same
    columns, the same text made faster: a column of dates (and None), or of texts that
    repeat, is written from each distinct value's repr, made once (``repr`` of a date
    costs a microsecond, and a county's member rows hold 500,000 of them)."""

    __slots__ = ("columns", "reprs")

    def __init__(self, columns: list[list[Any]]) -> None:
        self.columns = columns
        self.reprs = [_row_reprs(col) for col in columns]

    def __call__(self, start: int, stop: int) -> str:
        parts = [
            repr(col[start:stop]) if reprs is None else "[" + ", ".join(reprs[start:stop]) + "]"
            for col, reprs in zip(self.columns, self.reprs, strict=True)
        ]
        return "[" + ", ".join(parts) + "]"


def _row_reprs(col: list[Any]) -> list[str] | None:
    """Each cell's repr, made once per distinct value, for a long column of dates, or of
    texts that repeat (kinds, statuses, names), with None (else None: the slices are
    repr'd as they are). Only types whose equal values have equal reprs are pooled
    (never numbers: ``1 == 1.0 == True``)."""
    if len(col) < _COLUMN_MIN:
        return None
    kinds = set(map(type, col))
    if not (kinds <= _DATE_CELLS or kinds <= _TEXT_CELLS):
        return None
    distinct = set(col)
    if kinds <= _TEXT_CELLS and len(distinct) * 4 > len(col):  # mostly distinct texts
        return None
    text = {v: repr(v) for v in distinct}
    return list(map(text.__getitem__, col))


class FrameRows:
    """Rows ``start:stop`` of a :class:`FrameCells` frame as a frame of their own (index
    reset). :func:`key_bytes` keys it exactly as the frame :meth:`frame` builds, from the
    cells converted once; :meth:`frame` builds it only when it is needed."""

    __slots__ = ("of", "start", "stop")

    def __init__(self, of: FrameCells, start: int, stop: int) -> None:
        self.of, self.start, self.stop = of, start, stop

    def frame(self) -> Any:
        import pandas as pd

        part = self.of.df.iloc[self.start : self.stop]
        part.index = pd.RangeIndex(self.stop - self.start)
        return part

    def _key(self) -> Any:
        a, b = self.start, self.stop
        df = self.of.df
        cells = self.of.cells_repr(a, b) if b > a else repr([[] for _ in range(df.shape[1])])
        return _frame_key(self.of.columns, self.of.dtypes, repr(list(range(b - a))), cells)


def _frame_key(columns: list[Any], dtypes: list[str], index: str, cells: str) -> Any:
    """The key walk of a frame (built or row ranges: the same bytes for the same cells),
    from its column keys, dtypes and the reprs of its index and of its cells' columns."""
    return ("F", columns, dtypes, _Raw(index), _Raw(cells))


def built(obj: Any) -> Any:
    """A dataclass with every :class:`FrameRows` field replaced by its frame."""
    frames = {
        f.name: v.frame()
        for f in dataclasses.fields(obj)
        if f.init and isinstance(v := getattr(obj, f.name), FrameRows)
    }
    return dataclasses.replace(obj, **frames) if frames else obj


_INIT_FIELDS: dict[type, tuple[str, tuple[str, ...]]] = {}  # dataclass -> (qualified name, init fields)


def _key_walk(obj: Any) -> Any:
    t = obj.__class__
    if t in _SIMPLE:
        return obj
    if t is list:
        if all(v.__class__ in _SIMPLE for v in obj):
            return ("L", obj)
        return ("L", [_key_walk(v) for v in obj])
    if t is tuple:
        # a tuple of scalars walks to itself: the same repr without a walk per item
        if all(v.__class__ in _SIMPLE for v in obj):
            return ("T", obj)
        return ("T", tuple(_key_walk(v) for v in obj))
    if t is dict:
        return ("D", [(_key_walk(k), _key_walk(v)) for k, v in obj.items()])
    if t is dt.timezone:
        return ("Z", repr(obj))
    names = _INIT_FIELDS.get(t)
    if names is None and dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        names = _INIT_FIELDS[t] = (
            f"{t.__module__}.{t.__qualname__}",
            tuple(f.name for f in dataclasses.fields(obj) if f.init),
        )
    if names is not None:
        return ("C", names[0], [(n, _key_walk(getattr(obj, n))) for n in names[1]])
    if isinstance(obj, PurePath):
        return ("P", obj.as_posix())
    if t is FrameRows:
        return obj._key()
    module = t.__module__.split(".")[0]
    if module in ("pandas", "numpy"):
        import numpy as np
        import pandas as pd

        if isinstance(obj, pd.DataFrame):
            cells = frame_columns(obj)
            return _frame_key(
                [_key_walk(c) for c in obj.columns], frame_dtypes(obj), repr(obj.index.tolist()), repr(cells)
            )
        if isinstance(obj, pd.Series):
            return (
                "S",
                _key_walk(obj.name),
                str(obj.dtype),
                _Raw(repr(obj.index.tolist())),
                _Raw(repr(obj.tolist())),
            )
        if obj is pd.NA or obj is pd.NaT or isinstance(obj, pd.Timestamp | np.generic):
            return ("N", repr(obj))
    if isinstance(obj, _SCALARS):  # subclasses of str, int, date...
        return ("U", f"{t.__module__}.{t.__qualname__}", repr(obj))
    raise PlainError(f"no key for {t.__qualname__}")
