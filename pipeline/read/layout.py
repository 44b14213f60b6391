"""The standard pledge workbook (公开承诺事项表): one source of truth for its layout.

The template writer, the reader, the feedback writer and the tests all take sheet names,
headers, dropdown values and the template version from here.

Template versions:
- 1: 填报说明, 党员承诺, 组织承诺, 履诺记实, _meta.
- 2: adds 履诺计划 (fulfilment plan steps). Version-1 workbooks still consolidate; their
  missing plan sheet is read as empty, with a notice asking the unit to use the new form.
"""

from __future__ import annotations

from dataclasses import dataclass

TEMPLATE_VERSION = 2
SUPPORTED_VERSIONS = (1, 2)

SHEET_GUIDE = "填报说明"
SHEET_MEMBER = "党员承诺"
SHEET_ORG = "组织承诺"
SHEET_LOG = "履诺记实"
SHEET_PLAN = "履诺计划"
SHEET_META = "_meta"

KIND_DEED = "实事好事"
KIND_FAULT = "改正缺点"
KINDS = (KIND_DEED, KIND_FAULT)

REVIEW_PENDING = "待审核"
REVIEW_APPROVED = "通过"
REVIEW_RETURNED = "退回"
REVIEWS = (REVIEW_PENDING, REVIEW_APPROVED, REVIEW_RETURNED)

PROGRESS_NOT_STARTED = "未开始"
PROGRESS_ONGOING = "进行中"
PROGRESS_DONE = "已完成"
PROGRESSES = (PROGRESS_NOT_STARTED, PROGRESS_ONGOING, PROGRESS_DONE)

# Values clerks type instead of the dropdown entries, mapped to the canonical value.
REVIEW_ALIASES = {
    "已通过": "通过",
    "同意": "通过",
    "审核通过": "通过",
    "不通过": "退回",
    "未通过": "退回",
    "未审核": "待审核",
}
PROGRESS_ALIASES = {
    "完成": "已完成",
    "已办结": "已完成",
    "办结": "已完成",
    "正在进行": "进行中",
    "未完成": "进行中",
    "没开始": "未开始",
}
KIND_ALIASES = {
    "实事": "实事好事",
    "好事": "实事好事",
    "办实事": "实事好事",
    "缺点": "改正缺点",
    "改正": "改正缺点",
    "缺点不足": "改正缺点",
}


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    width: float
    aliases: tuple[str, ...] = ()
    kind: str = "text"  # text | code | date | choice | int

    @property
    def accepted(self) -> list[str]:
        return [self.header, *self.aliases]


@dataclass(frozen=True)
class SheetLayout:
    name: str
    columns: tuple[Column, ...]
    required: tuple[str, ...]
    since_version: int = 1

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    def column(self, field: str) -> Column:
        for c in self.columns:
            if c.field == field:
                return c
        raise KeyError(field)

    def index(self, field: str) -> int:
        return [c.field for c in self.columns].index(field)

    def header_spec(self) -> dict[str, list[str]]:
        return {c.field: c.accepted for c in self.columns}


MEMBER_SHEET = SheetLayout(
    SHEET_MEMBER,
    (
        Column("seq", "序号", 6, ("编号序号",), "int"),
        Column("member_id", "党员编号", 11, ("党员号", "编号"), "code"),
        Column("name", "姓名", 9, ("党员姓名",)),
        Column("kind", "承诺类型", 11, ("类型", "承诺类别"), "choice"),
        Column("content", "承诺事项", 32, ("承诺内容", "所办事项", "事项", "缺点不足")),
        Column("measures", "措施", 24, ("改正措施", "推进措施", "具体措施")),
        Column("deadline", "完成期限", 13, ("期限", "完成时限", "完成时间"), "date"),
        Column("effect", "预期效果", 24, ("预期目标", "效果")),
        Column("review", "支部审核", 10, ("审核", "审核意见", "支部审核意见"), "choice"),
        Column("progress", "完成情况", 10, ("进展情况", "履诺情况"), "choice"),
        Column("done_on", "完成日期", 13, ("实际完成日期", "实际完成时间"), "date"),
        Column("remark", "备注", 18, ("说明",)),
    ),
    required=("member_id", "name", "kind", "content", "deadline", "review"),
)

ORG_SHEET = SheetLayout(
    SHEET_ORG,
    (
        Column("seq", "序号", 6, (), "int"),
        Column("content", "承诺事项", 40, ("承诺内容", "所办事项", "事项")),
        Column("measures", "措施", 30, ("推进措施", "具体措施")),
        Column("deadline", "完成期限", 13, ("期限", "完成时限", "完成时间"), "date"),
        Column("effect", "预期效果", 28, ("预期目标", "效果")),
        Column("owner", "责任人", 10, ("负责人",)),
        Column("review", "审核", 10, ("上级审核", "审核意见"), "choice"),
        Column("progress", "完成情况", 10, ("进展情况", "履诺情况"), "choice"),
        Column("done_on", "完成日期", 13, ("实际完成日期", "实际完成时间"), "date"),
        Column("remark", "备注", 18, ("说明",)),
    ),
    required=("content", "deadline", "review"),
)

LOG_SHEET = SheetLayout(
    SHEET_LOG,
    (
        Column("date", "日期", 13, ("记实日期", "时间"), "date"),
        Column("member_id", "党员编号", 11, ("党员号", "编号"), "code"),
        Column("name", "姓名", 9, ("党员姓名",)),
        Column("pledge_ref", "承诺序号", 10, ("序号", "对应承诺"), "code"),
        Column("note", "履诺情况", 48, ("记实内容", "情况")),
        Column("evidence", "佐证材料", 28, ("佐证", "证明材料")),
    ),
    required=("date", "note"),
)

PLAN_SHEET = SheetLayout(
    SHEET_PLAN,
    (
        Column("pledge_ref", "承诺序号", 12, ("对应承诺", "序号"), "code"),
        Column("step", "步骤", 40, ("具体步骤", "推进步骤")),
        Column("planned_on", "计划完成时间", 14, ("计划时间", "计划完成日期"), "date"),
        Column("actual_on", "实际完成时间", 14, ("实际时间", "实际完成日期"), "date"),
        Column("owner", "责任人", 10, ("负责人",)),
        Column("remark", "备注", 20, ("说明",)),
    ),
    required=("pledge_ref", "step", "planned_on"),
    since_version=2,
)

DATA_SHEETS = (MEMBER_SHEET, ORG_SHEET, LOG_SHEET, PLAN_SHEET)

# Rows per member prefilled in 党员承诺: 3 deeds and 2 shortcomings (the quota maxima).
ORG_ROWS = 5
LOG_ROWS = 200
PLAN_ROWS = 150

# Pledge references used by 履诺记实 and 履诺计划: "党员-12" is 序号 12 of 党员承诺,
# "组织-3" is 序号 3 of 组织承诺.
REF_MEMBER = "党员"
REF_ORG = "组织"


def sheets_for_version(version: int) -> tuple[SheetLayout, ...]:
    return tuple(s for s in DATA_SHEETS if s.since_version <= version)


def template_filename(unit_code: str, unit_name: str, suffix: str = "公开承诺事项表") -> str:
    from pipeline.read.textnorm import safe_filename

    return f"{safe_filename(unit_code, 20)}_{safe_filename(unit_name)}_{suffix}.xlsx"
