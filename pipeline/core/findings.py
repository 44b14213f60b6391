"""One finding type for every problem from every stage.

A finding is a record a clerk can act on: severity (错误 / 提醒), unit, file, sheet,
position (``row`` and ``column``, 1-based Excel numbering, 0 = unknown), member, a
stable rule code and a Chinese message that says how to fix it. The ``A12`` text shown
in the problem list is derived from the position (:func:`cell_text`), never stored,
and never parsed back. Stages append findings to a :class:`Findings` collector; writers turn the
collector into the 问题清单 sheet and the per-unit feedback workbooks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

ERROR = "错误"
NOTICE = "提醒"
SEVERITIES = (ERROR, NOTICE)

# Column names of the problem list, in order (问题清单).
PROBLEM_COLUMNS = [
    "级别",
    "单位编码",
    "单位",
    "文件",
    "工作表",
    "单元格",
    "党员编号",
    "姓名",
    "规则编号",
    "说明",
]
# Attributes behind PROBLEM_COLUMNS (``cell`` is the derived property).
_FIELDS = [
    "severity",
    "unit_code",
    "unit_name",
    "file",
    "sheet",
    "cell",
    "member_id",
    "member_name",
    "rule",
    "message",
]


def col_letter(column: int) -> str:
    """1-based column number to Excel letters: 1 -> A, 26 -> Z, 27 -> AA, 16384 -> XFD."""
    if column < 1:
        raise ValueError(f"column {column} is not a 1-based column number")
    out = ""
    n = column
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def cell_text(row: int, column: int) -> str:
    """The position as a clerk reads it: ``A12``; ``第12行`` when only the row is known,
    ``A列`` when only the column is, "" when neither is (0 = unknown)."""
    if row and column:
        return f"{col_letter(column)}{row}"
    if row:
        return f"第{row}行"
    if column:
        return f"{col_letter(column)}列"
    return ""


@dataclass(frozen=True, slots=True)
class Finding:
    severity: str
    rule: str
    message: str
    unit_code: str = ""
    unit_name: str = ""
    file: str = ""
    sheet: str = ""
    row: int = 0  # 1-based Excel row; 0 = not a row (whole file, sheet, member or unit)
    column: int = 0  # 1-based Excel column; 0 = not known (row-only or no position)
    member_id: str = ""
    member_name: str = ""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")
        if self.row < 0 or self.column < 0:
            raise ValueError(f"negative position row={self.row} column={self.column}")

    @property
    def cell(self) -> str:
        """``A12`` (or ``第12行`` for a row-only position, "" for none): derived text."""
        return cell_text(self.row, self.column)

    @property
    def where(self) -> str:
        """``file!sheet!cell`` as far as known, for one-line messages."""
        parts = [p for p in (self.file, self.sheet, self.cell) if p]
        return "!".join(parts)

    def one_line(self) -> str:
        where = f"{self.where}: " if self.where else ""
        return f"[{self.severity}] {where}{self.message}（{self.rule}）"


@dataclass
class Findings:
    """An ordered collector of findings with a flood guard.

    ``cap_per_rule`` bounds how many findings of one rule are kept per file: past the
    cap, one summary finding says how many more there were, so a workbook with 100,000
    broken rows still yields a usable problem list.
    """

    cap_per_rule: int = 50
    items: list[Finding] = field(default_factory=list)
    _counts: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    _suppressed: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    _templates: dict[tuple[str, str, str], Finding] = field(default_factory=dict)

    def add(self, finding: Finding) -> None:
        key = (finding.file, finding.sheet, finding.rule)
        self._counts[key] += 1
        if self.cap_per_rule and self._counts[key] > self.cap_per_rule:
            self._suppressed[key] += 1
            self._templates.setdefault(key, finding)
            return
        self.items.append(finding)

    def extend(self, findings: Iterable[Finding]) -> None:
        for f in findings:
            self.add(f)

    def error(self, rule: str, message: str, **where: Any) -> None:
        self.add(Finding(ERROR, rule, message, **where))

    def notice(self, rule: str, message: str, **where: Any) -> None:
        self.add(Finding(NOTICE, rule, message, **where))

    def finalised(self) -> list[Finding]:
        """All kept findings plus one summary line per flooded (file, sheet, rule)."""
        out = list(self.items)
        for key, n in self._suppressed.items():
            tmpl = self._templates[key]
            out.append(
                replace(
                    tmpl,
                    row=0,
                    column=0,
                    member_id="",
                    member_name="",
                    message=f"同类问题过多，以上仅列出前 {self.cap_per_rule} 处，另有 {n} 处同类问题未逐一列出，请按同样方法一并修改。",
                )
            )
        return out

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.finalised())

    def __len__(self) -> int:
        return len(self.items) + len(self._suppressed)

    def count(self, severity: str) -> int:
        return sum(1 for f in self.finalised() if f.severity == severity)

    def to_frame(self) -> pd.DataFrame:
        return findings_frame(self.finalised())


def findings_frame(findings: Iterable[Finding]) -> pd.DataFrame:
    """The problem list as a DataFrame with the Chinese column names, errors first."""
    # Plain rows sorted in Python: the same frame as building, astype(str) and sort_values
    # in pandas, without its fixed cost (called once per unit: issue 6).
    rows = [[str(getattr(f, k)) for k in _FIELDS] for f in findings]
    if not rows:
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    rank = {ERROR: 0, NOTICE: 1}
    rows.sort(
        key=lambda r: (rank.get(r[0], 2), r[1], r[3], r[4])
    )  # severity, unit_code, file, sheet (stable)
    return pd.DataFrame(rows, columns=PROBLEM_COLUMNS, dtype=str)
