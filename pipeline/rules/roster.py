"""The roster (花名册): ``inputs/roster.xlsx``, one row per member.

Units come from the roster: the Party committee is a unit with its own code (a row with
unit columns filled and member columns blank declares a unit without members of its
own). Cells are normalised first (trim, full-width to half-width in codes), then the
frame is validated with ``schemas.roster``; every problem names its cell
(``roster.xlsx!D7``). Any error makes the roster unusable: :class:`RosterError`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import pandas as pd

from pipeline.core.errors import RosterError
from pipeline.core.findings import ERROR, Finding
from pipeline.core.settings import EMAIL_RE  # a unit's addresses: several per cell, any separator
from pipeline.read.reader import find_header, read_workbook
from pipeline.read.textnorm import norm_choice, norm_code, norm_text
from pipeline.read.validate import schema_findings
from pipeline.schemas.roster import is_clean, roster_schema
from pipeline.schemas.values import CATEGORIES, UNIT_TYPES

COMMITTEE_TYPE = UNIT_TYPES[0]  # 党委

T = TypeVar("T")

ROSTER_FILE = "roster.xlsx"

COLUMNS: dict[str, list[str]] = {
    "unit_code": ["单位编码", "支部编码", "单位代码"],
    "unit_name": ["单位名称", "支部名称", "单位"],
    "unit_type": ["单位类型", "组织类型"],
    "member_id": ["党员编号", "编号"],
    "name": ["姓名", "党员姓名"],
    "gender": ["性别"],
    "post": ["岗位", "工作岗位", "职务"],
    "category": ["党员类别", "类别"],
    "party_role": ["党内职务"],
    "email": ["单位邮箱", "邮箱", "电子邮箱", "E-mail", "Email"],  # optional (issue 14)
}
REQUIRED = ("unit_code", "unit_name", "unit_type", "member_id", "name", "category")
HEADERS = [v[0] for v in COLUMNS.values()]

_MESSAGES: dict[object, tuple[str, str]] = {
    ("unit_code", "required"): ("R101", "单位编码为空。请填写该党员所在单位的编码。"),
    ("unit_name", "required"): ("R102", "单位名称为空。请填写单位名称。"),
    "unit_type": ("R103", "单位类型“{value}”不正确，应为{allowed}。请改正。"),
    "gender": ("R104", "性别“{value}”不正确，应为{allowed}。请改正。"),
    "one_name_per_unit": ("R105", "同一单位编码对应了不同的单位名称（“{value}”）。请统一该单位的名称。"),
    "one_type_per_unit": ("R106", "同一单位编码对应了不同的单位类型（“{value}”）。请统一。"),
    "unique_member_id": ("R107", "党员编号“{value}”重复。每名党员的编号必须唯一，请核对后修改。"),
    "member_name": ("R108", "党员姓名为空。请填写姓名。"),
    "member_category": ("R109", "党员类别“{value}”不正确，应为“正式党员”或“预备党员”。"),
}
_FOCUS = {
    "one_name_per_unit": "unit_name",
    "one_type_per_unit": "unit_type",
    "unique_member_id": "member_id",
    "member_name": "name",
    "member_category": "category",
}


@dataclass(frozen=True)
class Roster:
    units: pd.DataFrame  # unit_code, unit_name, unit_type, order (roster order)
    members: pd.DataFrame  # member_id, name, gender, post, category, party_role, unit_code, unit_name

    def memo(self, key: str, build: Callable[[], T]) -> T:
        """A value derived from this (frozen) roster, built once: a county's roster has
        thousands of units and is asked about for every returned file (issue 6)."""
        if key not in self.__dict__:
            object.__setattr__(self, key, build())
        return cast(T, self.__dict__[key])

    @property
    def names(self) -> dict[str, str]:
        """unit code -> unit name, in roster order."""
        return self.memo(
            "_names",
            lambda: dict(
                zip(self.units["unit_code"].tolist(), self.units["unit_name"].tolist(), strict=True)
            ),
        )

    def unit_name(self, code: str) -> str:
        return self.names.get(code, "")

    def members_of(self, code: str) -> pd.DataFrame:
        # Grouped once per roster: a county has thousands of units (issue 6). A shallow copy
        # (copy-on-write) so no caller can change the cached frame.
        groups = self.__dict__.get("_by_unit")
        if groups is None:
            groups = {str(k): g for k, g in self.members.groupby("unit_code", sort=False)}
            object.__setattr__(self, "_by_unit", groups)
        hit = groups.get(code)
        return (hit if hit is not None else self.members.iloc[0:0]).copy(deep=False)

    @property
    def secretaries(self) -> dict[str, str]:
        """unit code -> its secretary: the first member whose 党内职务 contains 书记 but not 副."""

        def build() -> dict[str, str]:
            out: dict[str, str] = {}
            m = self.members
            for code, name, role in zip(
                m["unit_code"].tolist(), m["name"].tolist(), m["party_role"].tolist(), strict=True
            ):
                if code not in out and isinstance(role, str) and "书记" in role and "副" not in role:
                    out[code] = str(name)
            return out

        return self.memo("_secretaries", build)

    @property
    def digest(self) -> str:
        """A hash of everything the roster holds (both frames: columns, values, order): the
        rule findings kept per unit (:mod:`pipeline.rules.by_unit`) are keyed by it."""

        def build() -> str:
            import hashlib

            h = hashlib.sha256()
            for df in (self.units, self.members):
                h.update(repr([str(c) for c in df.columns]).encode())
                h.update(pd.util.hash_pandas_object(df, index=True).to_numpy().tobytes())
            return h.hexdigest()

        return self.memo("_digest", build)

    def secretary_of(self, code: str) -> str:
        return self.secretaries.get(code, "")

    @property
    def emails(self) -> dict[str, list[str]]:
        """unit code -> its e-mail addresses (lower case, roster order); from the optional
        单位邮箱 column, on the unit's own row or any member row of the unit."""

        def build() -> dict[str, list[str]]:
            out: dict[str, list[str]] = {}
            if "email" not in self.units:
                return out
            for code, text in zip(
                self.units["unit_code"].tolist(), self.units["email"].tolist(), strict=True
            ):
                found = [a.lower() for a in EMAIL_RE.findall(str(text))]
                if found:
                    out[code] = list(dict.fromkeys(found))
            return out

        return self.memo("_emails", build)

    def with_addresses(self, extra: dict[str, list[str]]) -> dict[str, list[str]]:
        """The roster's addresses, completed by ``[mail.addresses]`` of the settings for
        units the roster gives none (codes not in the roster are ignored)."""
        out = dict(self.emails)
        for code, addrs in extra.items():
            if code in self.names and code not in out:
                out[code] = list(addrs)
        return out

    @property
    def codes(self) -> list[str]:
        return list(self.names)

    @property
    def committee_codes(self) -> list[str]:
        """Units of type 党委 (the Party committee): it leads the branches and its own
        pledges and results are reviewed by the level above, so it is reported apart."""
        return [
            str(c)
            for c, t in zip(self.units["unit_code"].tolist(), self.units["unit_type"].tolist(), strict=True)
            if t == COMMITTEE_TYPE
        ]

    @property
    def branch_codes(self) -> list[str]:
        """Every other unit (党支部), in roster order."""
        committee = set(self.committee_codes)
        return [c for c in self.codes if c not in committee]


def address_index(emails: dict[str, list[str]]) -> dict[str, str]:
    """address -> unit code, for addresses that belong to exactly one unit."""
    owners: dict[str, set[str]] = {}
    for code, addrs in emails.items():
        for a in addrs:
            owners.setdefault(a, set()).add(code)
    return {a: next(iter(c)) for a, c in owners.items() if len(c) == 1}


def roster_from_frame(
    raw: pd.DataFrame,
    file: str = ROSTER_FILE,
    sheet: str = "",
    rows: list[int] | None = None,
    cols: dict[str, int] | None = None,
) -> tuple[Roster | None, list[Finding]]:
    """Normalise and validate a raw roster frame (columns as in COLUMNS' keys).

    ``rows`` gives each frame row's 0-based Excel row and ``cols`` each field's 0-based
    column, so findings carry cells. Returns (roster or None, findings).
    """
    excel_rows: list[int] = list(rows) if rows is not None else list(range(1, len(raw) + 1))
    cols = cols or {f: i for i, f in enumerate(COLUMNS)}
    findings: list[Finding] = []

    def where(index: object, field: str) -> dict[str, Any]:
        i = int(index)  # type: ignore[call-overload]
        return {
            "file": file,
            "sheet": sheet,
            "row": excel_rows[i] + 1 if field in cols else 0,
            "column": cols[field] + 1 if field in cols else 0,
            "member_id": str(df.at[i, "member_id"]) if "member_id" in df else "",
            "member_name": str(df.at[i, "name"]) if "name" in df else "",
        }

    df = pd.DataFrame(index=range(len(raw)))
    for f in COLUMNS:
        values = raw[f] if f in raw else pd.Series([""] * len(raw))
        if f in ("unit_code", "member_id"):
            df[f] = [norm_code(v) for v in values]
        else:
            df[f] = [norm_text(v) for v in values]
    df = df.astype(str)
    # Dropdown-like columns: tolerate stray spaces and full-width forms, record the rest.
    for f, choices, aliases in (
        ("unit_type", UNIT_TYPES, {"校党委": "党委", "党总支": "党支部", "支部": "党支部"}),
        ("category", CATEGORIES, {"正式": "正式党员", "预备": "预备党员"}),
    ):
        df[f] = [norm_choice(v, choices, aliases) or v for v in df[f]]
    df["gender"] = [norm_choice(v, ["男", "女"]) or v for v in df["gender"]]
    # Drop rows that are entirely blank (trailing rows, spacer rows).
    keep = (df != "").any(axis=1)
    df, excel_rows = df[keep].reset_index(drop=True), [r for r, k in zip(excel_rows, keep, strict=True) if k]
    if not is_clean(df):  # pandera (~0.35 s to load) only for a roster that fails a check
        findings += schema_findings(
            roster_schema(),
            df,
            where,
            _MESSAGES,
            focus=_FOCUS,
            headers={f: names[0] for f, names in COLUMNS.items()},
            fallback_rule="R110",
        )
    if any(f.severity == ERROR for f in findings):
        return None, findings
    units = (
        df.drop_duplicates("unit_code")[["unit_code", "unit_name", "unit_type"]]
        .reset_index(drop=True)
        .assign(order=lambda d: d.index)
    )
    mail: dict[str, list[str]] = {}
    for code, text in zip(df["unit_code"].tolist(), df["email"].tolist(), strict=True):
        if text:
            mail.setdefault(code, []).append(text)
    units["email"] = ["; ".join(dict.fromkeys(mail.get(c, []))) for c in units["unit_code"].tolist()]
    members = df[df["member_id"] != ""][
        ["member_id", "name", "gender", "post", "category", "party_role", "unit_code", "unit_name"]
    ]
    return Roster(units=units, members=members.reset_index(drop=True)), findings


def load_roster(inputs: Path) -> Roster:
    """Read and validate ``inputs/roster.xlsx``; raise RosterError listing every cell."""
    path = inputs / ROSTER_FILE
    if not path.is_file():
        raise RosterError(
            f"找不到花名册 {path}。请按 README 的格式准备 roster.xlsx（列：{'、'.join(HEADERS)}）。"
        )
    wb = read_workbook(path)
    if wb.error:
        raise RosterError(f"{path.name}: {wb.error}")
    for sheet_name, grid in wb.sheets.items():
        match = find_header(grid, COLUMNS, REQUIRED)
        if match is None:
            continue
        if match.missing:
            names = "、".join(COLUMNS[f][0] for f in match.missing)
            raise RosterError(
                f"{path.name}!{sheet_name}: 缺少列 {names}。请按 README 的格式补齐表头（第 {match.row + 1} 行）。"
            )
        body = grid.rows[match.row + 1 :]
        raw = pd.DataFrame({f: [r[c] if c < len(r) else None for r in body] for f, c in match.colmap.items()})
        excel_rows = list(range(match.row + 1, match.row + 1 + len(body)))
        roster, findings = roster_from_frame(raw, path.name, sheet_name, excel_rows, match.colmap)
        if roster is None:
            errors = [f for f in findings if f.severity == ERROR]
            lines = "\n".join(f"  {f.where}: {f.message}" for f in errors[:30])
            more = f"\n  ……另有 {len(errors) - 30} 处" if len(errors) > 30 else ""
            raise RosterError(f"花名册有 {len(errors)} 处错误，请修改后重新运行：\n{lines}{more}", findings)
        if roster.units.empty:
            raise RosterError(f"{path.name}!{sheet_name}: 花名册没有任何单位。")
        return roster
    raise RosterError(
        f"{path.name}: 找不到表头行（应包含 {'、'.join(HEADERS)}）。请按 README 的格式准备花名册。"
    )
