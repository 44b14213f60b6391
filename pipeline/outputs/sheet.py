"""Write DataFrames as readable sheets: typed cells, frozen header, autofilter, widths.

Used by every workbook the project writes (ledger, problem lists, overdue lists,
ratings). Cells are written row by row, so it works in xlsxwriter's constant_memory
mode. User text is written as a string, never as a formula or link.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from pipeline.infra.plain import ColumnsRepr
from pipeline.outputs import print_layout as P
from pipeline.outputs.fast_sheet import FastSheet, style_attrs
from pipeline.outputs.slices import Chunk, SliceStore, compress
from pipeline.read.textnorm import safe_cell_text

MAX_WIDTH = 40  # wider text wraps (row heights from print_layout)
NATURAL_MAX = 80  # a column grows up to this into free page width (print_layout.grow_to_fill)


def _width(header: str, values: list[Any], cap: float = MAX_WIDTH) -> float:
    """A column width from its header and content, at most ``cap`` (print_layout.fit_width)."""
    return P.fit_width(header, values[:500], hi=cap)


def _wraps(values: list[Any], floor: float) -> bool:
    """Whether a column holds text that may wrap (worth narrowing to fit a page)."""
    return any(type(v) is str and len(v) * 2 > floor for v in values[:500])


def write_cell(ws: Any, r: int, c: int, v: Any, fmt: Mapping[str, Any], style: str = "cell") -> None:
    if type(v) is str:  # the common case first (millions of cells at county scale, issue 6)
        ws.write_string(r, c, safe_cell_text(v), fmt[style])
    elif v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT:
        ws.write_blank(r, c, None, fmt[style])
    elif isinstance(v, bool):
        ws.write_string(r, c, "是" if v else "否", fmt[style])
    elif isinstance(v, dt.datetime | pd.Timestamp):
        ws.write_datetime(
            r,
            c,
            v.to_pydatetime() if isinstance(v, pd.Timestamp) else v,
            fmt[f"{style}_date" if style != "cell" else "date"],
        )
    elif isinstance(v, dt.date):
        ws.write_datetime(
            r, c, dt.datetime.combine(v, dt.time()), fmt[f"{style}_date" if style != "cell" else "date"]
        )
    elif isinstance(v, int | float) and not isinstance(v, bool):
        ws.write_number(r, c, v, fmt[style])
    else:
        ws.write_string(r, c, safe_cell_text(str(v)), fmt[style])


def write_frame(
    ws: Any,
    df: pd.DataFrame,
    fmt: Mapping[str, Any],
    widths: Mapping[str, float] | None = None,
    percent_cols: tuple[str, ...] = (),
    start_row: int = 0,
    print_title: bool = True,
    cell_styles: Mapping[tuple[int, int], str] | None = None,
    title: str | Sequence[str] | None = None,
    id_cols: int = 2,
    slices: SliceStore | None = None,
    group_col: str | None = None,
) -> P.PagePlan:
    """Header at ``start_row``, then one row per record; frozen, filterable and set up to
    print on A4 (``pipeline.outputs.print_layout``): widths from content, at most
    ``widths[name]`` (default MAX_WIDTH) so longer text wraps; every row as high as its
    wrapped text; orientation and scaling per sheet, the header repeated on every page.
    ``title`` (with ``start_row`` > 0) goes in row 0 across the columns; a list of lines
    fills rows 0.. (the first as the title, the others as bold notes). Returns the page plan.

    ``cell_styles`` gives single cells another style of ``fmt`` ("notice", "error"):
    (record index, column index) -> style name.

    ``slices`` with ``group_col`` (the ledger's 单位编码): the rows are written as one slice
    per run of equal ``group_col`` values, each kept compressed for the next run and
    reused while its rows, widths and styles are the same (:mod:`pipeline.outputs.slices`);
    the workbook then needs :func:`pipeline.outputs.fast_sheet.splice_workbook` after it
    is closed."""
    widths = widths or {}
    cols = list(df.columns)
    # Column lists, not itertuples: iterating pandas string arrays costs a call per cell,
    # and one object array for the whole frame is cheaper than a Series per column (issue 6).
    columns = df.to_numpy(dtype=object).T.tolist() if len(df) else [[] for _ in cols]
    unique = df.columns.is_unique
    natural = [
        _width(str(name), columns[j] if unique else df[name].tolist(), NATURAL_MAX)
        for j, name in enumerate(cols)
    ]
    col_widths = P.grow_to_fill(
        [min(w, widths.get(name) or MAX_WIDTH) for w, name in zip(natural, cols, strict=True)], natural
    )
    col_widths = P.shrink_to_fit(col_widths, [_wraps(columns[j], P.SHRINK_FLOOR) for j in range(len(cols))])
    for j, name in enumerate(cols):
        ws.write_string(start_row, j, str(name), fmt["header"])
        ws.set_column(j, j, col_widths[j])
    ws.set_row(start_row, P.row_height([str(c) for c in cols], col_widths) or P.DEFAULT_ROW_PT)
    plan = P.plan_page(col_widths, id_cols=id_cols)
    lines = [] if title is None or start_row == 0 else ([title] if isinstance(title, str) else list(title))
    lines = lines[:start_row]
    # A sheet printed in bands prints its title lines in the page header (band_texts).
    texts = P.band_texts(lines, (), plan) if lines and plan.in_bands else None
    for k, line in enumerate(lines):
        kind = "title" if k == 0 else "bold_wrap"
        write_title(
            ws, k, line, fmt, col_widths, plan, kind, within_ids=texts is not None and not texts.header
        )
    pct = {cols.index(c) for c in percent_cols if c in cols}
    n = len(cols)
    styles = (
        [fmt["cell"]] * n,
        [fmt["date"]] * n,
        [fmt["percent"] if j in pct else fmt["cell"] for j in range(n)],
    )
    chunks = (
        _slices(ws, columns, cols.index(group_col), col_widths, styles, slices)
        if slices is not None
        and slices.root is not None  # --no-cache: every row the ordinary way
        and group_col in cols
        and unique
        and not cell_styles
        and len(df)
        and isinstance(ws, FastSheet)
        else None
    )
    rows = zip(*columns, strict=True) if columns else ((),) * len(df)
    if chunks is not None:  # the rows are spliced in after the workbook is closed
        assert isinstance(ws, FastSheet)
        ws.append_spliced(start_row + 1, len(df), n, chunks)
    elif isinstance(ws, FastSheet):  # bulk rows (issue 6): the same cells, ~4x faster
        heights = P.row_heights(columns, col_widths)
        ws.append_rows(
            start_row + 1,
            rows,
            *styles,
            marked={
                (start_row + 1 + i, j): (fmt[style], fmt[f"{style}_date"])
                for (i, j), style in (cell_styles or {}).items()
            },
            heights=heights,
        )
    else:
        heights = P.row_heights(columns, col_widths)
        for i, rec in enumerate(rows, start=start_row + 1):
            if heights[i - start_row - 1]:
                ws.set_row(i, heights[i - start_row - 1])
            for j, v in enumerate(rec):
                style = (cell_styles or {}).get((i - start_row - 1, j))
                if style:
                    write_cell(ws, i, j, v, fmt, style)
                elif j in pct and isinstance(v, int | float) and math.isfinite(v):
                    ws.write_number(i, j, v, fmt["percent"])
                else:
                    write_cell(ws, i, j, v, fmt)
    ws.freeze_panes(start_row + 1, 0)
    ws.autofilter(start_row, 0, start_row + max(len(df), 1), max(len(cols) - 1, 0))
    if print_title:
        # Rows above the header (a title) print on the first page only; on a sheet printed
        # in bands, in the page header of every page instead.
        P.apply_page(
            ws,
            plan,
            header_rows=start_row + 1,
            first_header_row=start_row,
            texts=texts,
            print_rows=[(start_row, start_row + max(len(df), 1))] if texts and texts.header else (),
        )
    return plan


_SPLICE_MAX = 1 << 31  # bytes of XML a sheet splices at most (zip without zip64)


def _slices(
    ws: FastSheet,
    columns: list[list[Any]],
    group: int,
    widths: Sequence[float],
    styles: tuple[list[Any], list[Any], list[Any]],
    store: SliceStore,
) -> list[Chunk] | None:
    """One compressed slice per run of rows with the same ``columns[group]`` value: kept
    ones reused, the others rendered (row heights, XML) and kept. None when a slice cannot
    be written without cell references (the caller writes the rows the ordinary way).
    A slice is found by its layout key (widths, styles, values) through an alias, else by
    its rows key (styles, values, row heights): new column widths do not re-render the
    rows whose heights they leave alone (:mod:`pipeline.outputs.slices`)."""
    style_head = repr([style_attrs(s) for s in styles])
    head = repr(list(widths)) + style_head
    keys = columns[group]
    values_of = ColumnsRepr(columns)  # repr([col[i:j] for col in columns]), made faster
    chunks: list[Chunk] = []
    total = 0
    i, n = 0, len(keys)
    while i < n:
        j = i + 1
        while j < n and keys[j] == keys[i]:
            j += 1
        values = values_of(i, j)
        layout_key = store.key(head + values)
        chunk = store.by_alias(layout_key)
        if chunk is None:
            part = [col[i:j] for col in columns]
            heights = P.row_heights(part, widths)
            rows_key = store.key(style_head + values + repr(heights))
            chunk = store.get(rows_key)
            if chunk is None:
                xml = ws.render_rows(zip(*part, strict=True), *styles, heights=heights)
                if xml is None:
                    return None
                chunk = compress(xml.encode("utf-8", "surrogatepass"))
                store.put(rows_key, chunk)
            store.alias(layout_key, rows_key)
        chunks.append(chunk)
        total += chunk.length
        if total > _SPLICE_MAX:
            return None
        i = j
    return chunks


DEFAULT_COL_WIDTH = 8.43  # a column no one sizes (xlsxwriter's and Excel's default)


def write_title(
    ws: Any,
    row: int,
    title: str,
    fmt: Mapping[str, Any],
    col_widths: list[float],
    plan: P.PagePlan,
    style: str = "title",
    within_ids: bool = False,
) -> None:
    """``title`` across the columns of the first printed page (merged, wrapped), the row
    as high as the wrapped title. ``within_ids``: across the columns a banded sheet repeats
    on every page only (a title that must print on every band but does not fit the page
    header, :func:`pipeline.outputs.print_layout.band_texts`)."""
    span, used = 0, 0.0
    limit = P.printable_width(plan.landscape) / (plan.scale or 1.0)
    if within_ids and plan.banded:
        limit = sum(P.col_points(w) for w in col_widths[: plan.repeat_cols])
    for w in col_widths:
        if span and used + P.col_points(w) > limit:
            break
        used += P.col_points(w)
        span += 1
    width = sum(col_widths[:span]) or P.MIN_WIDTH
    if not within_ids and span == len(col_widths):
        # A table narrower than the page (one column: an empty list) would wrap its title
        # into a tall strip: the title runs on over the empty columns to its right, of the
        # default width, as far as the page.
        ratio = P.TITLE_RATIO if style == "title" else 1.0
        while P.line_count(title, width / ratio) > 1 and used + P.col_points(DEFAULT_COL_WIDTH) <= limit:
            used += P.col_points(DEFAULT_COL_WIDTH)
            width += DEFAULT_COL_WIDTH
            span += 1
    if span > 1:
        ws.merge_range(row, 0, row, span - 1, title, fmt[style])
    else:
        ws.write_string(row, 0, title, fmt[style])
    if style == "title":
        lines = P.line_count(title, width / P.TITLE_RATIO)
        ws.set_row(row, max(P.TITLE_ROW_PT, lines * P.LINE_PT * P.TITLE_RATIO + P.ROW_PAD_PT))
    else:
        ws.set_row(row, P.lines_height(P.line_count(title, width)))
