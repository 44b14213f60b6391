"""Inserted rows get the next free 序号 (issue 15, item 8).

The guide lets a unit insert a row in 党员承诺 or 组织承诺; such a row has no 序号, so
履诺记实 and 履诺计划 could not refer to it (``党员-12`` / ``组织-3``). Each row with a
pledge but no 序号 gets the unit's next free number on that sheet (after the largest
one used, in row order), with a notice (P123) telling the unit the number, so that
references to it work from this run on. Frames in, frames and findings out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

import pandas as pd

from pipeline.core.findings import NOTICE, Finding
from pipeline.read import layout as L
from pipeline.rules.tracking import seq_int


def number_inserted_rows(
    df: pd.DataFrame,
    layout: L.SheetLayout,
    field_cols: Mapping[tuple[str, str], Mapping[str, int]],
    prefix: str,
    reserved: int = 0,
) -> tuple[pd.DataFrame, list[Finding]]:
    """``df``: the 党员承诺 or 组织承诺 frame of every unit (``seq`` as text).
    ``reserved``: numbers the template wrote on rows a unit may still fill (组织承诺 is
    numbered up to the quota maximum), never given to an inserted row."""
    if df.empty:
        return df, []
    seqs = df["seq"].tolist()
    contents = df["content"].tolist()
    todo = [i for i, (s, c) in enumerate(zip(seqs, contents, strict=True)) if c and not str(s or "").strip()]
    if not todo:
        return df, []
    units = df["unit_code"].tolist()
    files = df["file"].tolist()
    numbering = {units[i] for i in todo}  # only these units' numbers are needed (issue 16)
    highest: dict[str, int] = defaultdict(lambda: reserved)
    for code, seq in zip(units, seqs, strict=True):
        if code in numbering:
            n = seq_int(seq)
            if n is not None and n > highest[code]:
                highest[code] = n
    findings: list[Finding] = []
    new = list(seqs)
    rows = df["excel_row"].tolist()
    for i in sorted(todo, key=lambda i: (units[i], files[i], rows[i])):
        code = units[i]
        highest[code] += 1
        n = highest[code]
        new[i] = str(n)
        cols = field_cols.get((files[i], layout.name), {})
        column = cols.get("seq") or cols.get("content", 0)
        rec = df.iloc[i]
        is_member = layout.name == L.SHEET_MEMBER
        findings.append(
            Finding(
                NOTICE,
                "P123",
                f"这一行没有序号（可能是插入的行），台账中已编为 {n} 号；履诺记实和履诺计划中引用它请写“{prefix}-{n}”。"
                f"请在本行“序号”列填上 {n} 后再报送，以免下次编号不同。",
                unit_code=str(code),
                unit_name=str(rec["unit_name"]),
                file=str(files[i]),
                sheet=str(rec["sheet"]),
                row=int(rows[i]),
                column=column,
                member_id=str(rec.get("member_id", "") or "") if is_member else "",
                member_name=str(rec.get("name", "") or "") if is_member else "",
            )
        )
    out = df.copy()
    out["seq"] = pd.array(new, dtype=str)
    return out, findings
