"""审核备案 (notice 二(二)): the office files the branches' items, the level above files
the committee's own items. Frames in, frames and findings out (no disk).

Every item the unit itself approved (审核 = 通过) is submitted for filing. Its filing
state (``filing``) is:

- 已备案: the reviewer's decision 已备案 on this very content (the 内容标识 of the
  decisions workbook equals the item's current one); member pledges are filed on receipt
  unless ``[filing] member_review`` asks the office to review them too;
- 退回修改: the decision 退回修改 with a reason, on this content; the reason goes to the
  unit as an error at the item's cell (P121), so it is in the unit's next feedback;
- 待备案: no decision yet, a blank one, or the item was changed after the decision
  (then re-reviewed; a filed item changed afterwards is notice P122 to the unit).

Items the unit has not approved have no filing state (""): they are the unit's own
business until it approves them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pipeline.core.findings import ERROR, NOTICE, Finding
from pipeline.core.settings import Settings
from pipeline.office import forms as O
from pipeline.read import layout as L
from pipeline.rules.tracking import as_date, seq_int

COMMITTEE_TYPE = "党委"
SECTION = "filing"


@dataclass(frozen=True)
class FilingPolicy:
    member_review: bool  # the office also reviews member pledges after the branch
    notice_filed_only: bool  # the 公示 posts filed items only (else every approved item)

    def lines(self) -> list[tuple[str, str]]:
        """The deciding rules, in plain Chinese (shown in the workbooks and 评定办法)."""
        return [
            (
                "组织承诺备案",
                "各党支部的组织承诺报学校活动办公室审核备案，校党委的组织承诺报上一级党组织审核备案；"
                "备案意见为“退回修改”的须写明理由，理由反馈给本单位",
            ),
            (
                "党员承诺备案",
                "支部审核通过后还须经学校活动办公室逐条审核备案（filing.member_review = true）"
                if self.member_review
                else "支部审核通过即报学校活动办公室备案，办公室不再逐条审核（filing.member_review = false）",
            ),
            (
                "公示范围",
                "只公示已备案的承诺（filing.notice_filed_only = true）"
                if self.notice_filed_only
                else "公示本单位审核通过的承诺，不论是否已备案（filing.notice_filed_only = false）",
            ),
        ]


def load_filing_policy(settings: Settings) -> FilingPolicy:
    """``[filing]`` of campaign.toml; both switches default to false (an older campaign.toml works)."""
    r = settings.reader
    if r.raw(SECTION, None) is not None:
        r.table(SECTION)
    return FilingPolicy(
        member_review=r.boolean(f"{SECTION}.member_review", False),
        notice_filed_only=r.boolean(f"{SECTION}.notice_filed_only", False),
    )


def item_stamp(content: object, deadline: object, effect: object, measures: object) -> str:
    """A short fingerprint of an item's text: a decision holds for the content it was made on."""
    d = as_date(deadline)
    text = "\x1f".join(
        [str(content or ""), d.isoformat() if d else "", str(effect or ""), str(measures or "")]
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8].upper()


def _effect(row: Mapping[str, Any]) -> str:
    if row.get("kind") == L.KIND_FAULT:
        return str(row.get("measures") or row.get("effect") or "")
    return str(row.get("effect") or row.get("measures") or "")


def is_committee(unit_types: Mapping[str, str], code: str) -> bool:
    return unit_types.get(code, "") == COMMITTEE_TYPE


def review_rows(
    members: pd.DataFrame,
    orgs: pd.DataFrame,
    unit_types: Mapping[str, str],
    policy: FilingPolicy,
    upper: bool,
    previous: pd.DataFrame | None = None,
) -> list[dict[str, Any]]:
    """Rows of the 备案审核表 (``upper`` False: the branches' items) or the 上报备案表
    (``upper`` True: the committee's items), in ledger order. ``previous``: decisions
    read back (:func:`decisions_frame`), carried in where the content is unchanged."""
    carried: dict[tuple[str, str, int, str], dict[str, Any]] = {}
    if previous is not None:
        for rec in previous.to_dict("records"):
            seq = seq_int(rec["seq"])
            if seq is not None:
                carried[(rec["unit_code"], rec["item_kind"], seq, rec["stamp"])] = rec
    rows: list[dict[str, Any]] = []
    frames: list[tuple[str, pd.DataFrame]] = [(O.KIND_ORG, orgs)]
    if policy.member_review and not upper:
        frames.append((O.KIND_MEMBER, members))
    for kind, df in frames:
        for rec in df.to_dict("records"):
            if rec.get("review") != L.REVIEW_APPROVED or is_committee(unit_types, rec["unit_code"]) != upper:
                continue
            seq = seq_int(rec.get("seq"))
            if seq is None:
                continue
            stamp = item_stamp(
                rec.get("content"), rec.get("deadline"), rec.get("effect"), rec.get("measures")
            )
            row = {
                "unit_code": rec["unit_code"],
                "unit_name": rec["unit_name"],
                "item_kind": kind,
                "seq": seq,
                "member_id": rec.get("member_id", "") if kind == O.KIND_MEMBER else "",
                "name": rec.get("name", "") if kind == O.KIND_MEMBER else "",
                "content": rec.get("content", ""),
                "deadline": as_date(rec.get("deadline")),
                "effect": _effect(rec),
                "unit_review": rec.get("review", ""),
                "stamp": stamp,
            }
            old = carried.get((rec["unit_code"], kind, seq, stamp))
            if old:
                row.update({k: old.get(k) for k in ("decision", "reason", "decided_on", "reviewer")})
            rows.append(row)
    return rows


@dataclass
class FilingResult:
    members: pd.DataFrame  # with ``filing``
    orgs: pd.DataFrame  # with ``filing``
    findings: list[Finding]


def _item_index(members: pd.DataFrame, orgs: pd.DataFrame) -> dict[tuple[str, str, int], tuple[str, int]]:
    """(unit code, item kind, 序号) -> (kind, row position) of the first item with content."""
    index: dict[tuple[str, str, int], tuple[str, int]] = {}
    seqs: dict[tuple[type, object], int | None] = {}  # few distinct 序号 values in a county
    for kind, df in ((O.KIND_ORG, orgs), (O.KIND_MEMBER, members)):
        for i, (code, seq, content) in enumerate(
            zip(df["unit_code"].tolist(), df["seq"].tolist(), df["content"].tolist(), strict=True)
        ):
            if not content:
                continue
            key = (type(seq), seq)  # 1 and True are equal keys, but not the same 序号
            try:
                s = seqs[key] if key in seqs else seqs.setdefault(key, seq_int(seq))
            except TypeError:  # not hashable
                s = seq_int(seq)
            if s is not None:
                index.setdefault((str(code), kind, s), (kind, i))
    return index


def apply_filing(
    members: pd.DataFrame,
    orgs: pd.DataFrame,
    office: pd.DataFrame,
    upper: pd.DataFrame,
    field_cols: Mapping[tuple[str, str], Mapping[str, int]],
    unit_types: Mapping[str, str],
    policy: FilingPolicy,
    office_name: str,
) -> FilingResult:
    """Filing states of every item and the findings of the decisions.

    ``office`` / ``upper``: the decision rows read from the 备案审核表 / 上报备案表
    (:meth:`pipeline.office.reader.OfficeInbox.frame`), with ``file``, ``sheet`` and the
    workbook's columns in ``office.attrs``/``upper.attrs`` ("field_cols"); ``field_cols``:
    the pledge workbooks' (file, layout sheet) -> field -> 1-based column."""
    findings: list[Finding] = []
    # (unit, kind, 序号) -> row: only needed when there are decisions to apply
    index = _item_index(members, orgs) if len(office) or len(upper) else {}
    states = {
        O.KIND_ORG: [""] * len(orgs),
        O.KIND_MEMBER: [""] * len(members),
    }
    frames = {O.KIND_ORG: orgs, O.KIND_MEMBER: members}
    sheets = {O.KIND_ORG: L.SHEET_ORG, O.KIND_MEMBER: L.SHEET_MEMBER}
    for kind, df in frames.items():
        for i, review in enumerate(df["review"].tolist()):
            if review == L.REVIEW_APPROVED:
                auto = kind == O.KIND_MEMBER and not policy.member_review
                states[kind][i] = O.FILING_FILED if auto else O.FILING_PENDING

    def item_finding(kind: str, i: int, severity: str, rule: str, message: str) -> Finding:
        row = frames[kind].iloc[i]
        column = field_cols.get((row["file"], sheets[kind]), {}).get("content", 0)
        return Finding(
            severity,
            rule,
            message,
            unit_code=str(row["unit_code"]),
            unit_name=str(row["unit_name"]),
            file=str(row["file"]),
            sheet=str(row["sheet"]),
            row=int(row["excel_row"]),
            column=column,
            member_id=str(row.get("member_id", "") or "") if kind == O.KIND_MEMBER else "",
            member_name=str(row.get("name", "") or "") if kind == O.KIND_MEMBER else "",
        )

    for source, df, form in ((O.FILING, office, O.FILING), (O.UPPER_FILING, upper, O.UPPER_FILING)):
        cells: Mapping[str, Mapping[str, int]] = df.attrs.get("field_cols", {})
        reviewer_body = office_name if form is O.FILING else "上一级党组织"
        for rec in df.to_dict("records"):
            file_letters = cells.get(rec["file"], {})

            def at(
                f: str, rec: dict[str, Any] = rec, file_letters: Mapping[str, int] = file_letters
            ) -> dict[str, Any]:
                return {
                    "file": rec["file"],
                    "sheet": rec["sheet"],
                    "row": int(rec["excel_row"]),
                    "column": file_letters.get(f, 0),
                    "unit_code": rec["unit_code"],
                    "unit_name": rec.get("unit_name", ""),
                    "member_id": rec.get("member_id", ""),
                    "member_name": rec.get("name", ""),
                }

            seq = seq_int(rec["seq"])
            kind = rec["item_kind"] or O.KIND_ORG
            hit = index.get((rec["unit_code"], kind, seq)) if seq is not None else None
            decision = rec["decision"]
            if hit is None:
                findings.append(
                    Finding(
                        ERROR,
                        "Q105",
                        f"{source.name}中的{kind}（单位 {rec['unit_code']}，序号 {rec['seq']}）在本次台账中没有，这条备案意见未采用。"
                        "请重新生成备案审核表（make filing），不要手工增删行。",
                        **at("seq"),
                    )
                )
                continue
            _, i = hit
            row = frames[kind].iloc[i]
            committee = is_committee(unit_types, str(row["unit_code"]))
            if committee != (form is O.UPPER_FILING):
                findings.append(
                    Finding(
                        NOTICE,
                        "Q110",
                        (
                            "校党委的组织承诺由上一级党组织审核备案，请在上报备案表中填写，这条意见未采用。"
                            if committee
                            else "党支部的承诺由学校活动办公室审核备案，请在备案审核表中填写，这条意见未采用。"
                        ),
                        **at("decision"),
                    )
                )
                continue
            if kind == O.KIND_MEMBER and not policy.member_review:
                continue  # filed on receipt (setting filing.member_review = false)
            if not decision or decision == O.FILING_PENDING:
                continue
            current = item_stamp(row["content"], row["deadline"], row.get("effect"), row.get("measures"))
            when = rec["decided_on"].isoformat() if rec.get("decided_on") else ""
            by = "，".join(x for x in (when, rec.get("reviewer", "")) if x)
            if current != rec["stamp"]:
                if decision == O.FILING_FILED:
                    findings.append(
                        item_finding(
                            kind,
                            i,
                            NOTICE,
                            "P122",
                            f"本条承诺已由{reviewer_body}备案（{by or '见备案审核表'}），之后内容又被修改，需重新审核备案。如非有意修改，请恢复原内容。",
                        )
                    )
                continue  # 待备案: changed after the decision, to be reviewed again
            if row["review"] != L.REVIEW_APPROVED:
                findings.append(
                    Finding(
                        NOTICE,
                        "Q107",
                        f"本单位对这条承诺的审核是“{row['review'] or '未填写'}”，尚未审核通过，备案意见暂不采用。",
                        **at("decision"),
                    )
                )
                continue
            if decision == O.FILING_RETURNED:
                if not rec["reason"]:
                    findings.append(
                        Finding(
                            ERROR,
                            "Q104",
                            "备案意见为“退回修改”，但没有写理由，本条仍按待备案。请在“意见说明”列写明退回的理由（会反馈给该单位）。",
                            **at("reason"),
                        )
                    )
                    continue
                states[kind][i] = O.FILING_RETURNED
                findings.append(
                    item_finding(
                        kind,
                        i,
                        ERROR,
                        "P121",
                        f"{reviewer_body}审核意见：退回修改（{by or '未写日期'}）。理由：{rec['reason']}。请按意见修改本条承诺后重新报送。",
                    )
                )
            elif decision == O.FILING_FILED:
                states[kind][i] = O.FILING_FILED
    return FilingResult(
        members.assign(filing=states[O.KIND_MEMBER]),
        orgs.assign(filing=states[O.KIND_ORG]),
        findings,
    )


def filing_counts(orgs: pd.DataFrame, members: pd.DataFrame) -> dict[str, int]:
    out = {s: 0 for s in O.FILING_STATES}
    for df in (orgs, members):
        if "filing" in df:
            for s in df["filing"].tolist():
                if s in out:
                    out[s] += 1
    return out


def check_settings(settings: Settings) -> None:
    """Run by ``load_settings`` at every start (``FEATURE_CHECKS``)."""
    load_filing_policy(settings)
