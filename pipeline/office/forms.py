"""Layouts of the office's and the leaders' workbooks: one source of truth.

The writer (:mod:`pipeline.office.workbook`), the reader (:mod:`pipeline.office.reader`),
the demo and the tests take sheet names, headers, dropdown values and ``_meta`` keys
from here. Columns reuse :class:`pipeline.read.layout.Column` (kinds ``text``, ``code``,
``date``, ``choice``, ``int``; ``score`` is a number 0–100).

Scopes say what one workbook stands for, i.e. what its newest version replaces:
``office`` (one workbook for the whole campaign), ``unit`` (one per unit, identified like
the pledge workbooks) and ``leader`` (one per leader of ``[leaders]``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.read.layout import Column, SheetLayout

OFFICE_INBOX = "office"  # inputs/office/: filing decisions, leaders' workbooks, work targets
RECTIFY_INBOX = "rectification"  # inputs/rectification/: units' rectification returns
FORM_VERSION = 1
SHEET_GUIDE = "填报说明"
SHEET_META = "_meta"

SCOPE_OFFICE, SCOPE_UNIT, SCOPE_LEADER = "office", "unit", "leader"


@dataclass(frozen=True)
class OfficeForm:
    """One kind of office workbook.

    ``prefilled``: fields the pipeline fills and locks; the others are unlocked inputs.
    ``choices``: field -> (allowed values, aliases) for dropdowns and the reader.
    ``filled_by``: fields whose content makes a row count as filled in."""

    name: str  # the form's Chinese name, written to _meta "form" and used in file names
    inbox: str
    scope: str
    sheet: SheetLayout
    prefilled: tuple[str, ...]
    filled_by: tuple[str, ...]
    choices: dict[str, tuple[tuple[str, ...], dict[str, str]]] = field(default_factory=dict)

    def choice(self, f: str) -> tuple[tuple[str, ...], dict[str, str]]:
        return self.choices[f]


# ------------------------------------------------------------------ 审核备案 (二(二))
KIND_ORG = "组织承诺"
KIND_MEMBER = "党员承诺"

FILING_PENDING = "待备案"
FILING_FILED = "已备案"
FILING_RETURNED = "退回修改"
FILING_STATES = (FILING_PENDING, FILING_FILED, FILING_RETURNED)
FILING_ALIASES = {
    "备案": FILING_FILED,
    "同意备案": FILING_FILED,
    "通过": FILING_FILED,
    "同意": FILING_FILED,
    "予以备案": FILING_FILED,
    "退回": FILING_RETURNED,
    "退回修改": FILING_RETURNED,
    "不予备案": FILING_RETURNED,
    "不通过": FILING_RETURNED,
    "修改": FILING_RETURNED,
    "未审核": FILING_PENDING,
    "待审核": FILING_PENDING,
}

_FILING_SHEET = SheetLayout(
    "备案审核",
    (
        Column("unit_code", "单位编码", 9, ("支部编码",), "code"),
        Column("unit_name", "单位名称", 20, ("单位", "支部名称")),
        Column("item_kind", "承诺类别", 10, ("类别",), "choice"),
        Column("seq", "序号", 6, ("承诺序号",), "int"),
        Column("member_id", "党员编号", 10, ("党员号",), "code"),
        Column("name", "姓名", 8, ("党员姓名",)),
        Column("content", "承诺事项", 34, ("承诺内容", "所办事项")),
        Column("deadline", "完成期限", 12.5, ("期限",), "date"),
        Column("effect", "预期效果（措施）", 26, ("预期效果", "措施")),
        Column("unit_review", "本单位审核", 9, ("支部审核", "审核")),
        Column("stamp", "内容标识", 10.5, ("标识",), "code"),
        Column("decision", "备案意见", 10, ("审核意见", "备案情况"), "choice"),
        Column("reason", "意见说明", 30, ("退回理由", "理由", "说明")),
        Column("decided_on", "审核日期", 12.5, ("日期",), "date"),
        Column("reviewer", "审核人", 8, ("经办人",)),
    ),
    required=("unit_code", "item_kind", "seq", "stamp", "decision", "reason"),
)
_FILING_CHOICES = {
    "decision": (FILING_STATES, FILING_ALIASES),
    "item_kind": ((KIND_ORG, KIND_MEMBER), {"组织": KIND_ORG, "党员": KIND_MEMBER}),
}
_FILING_PREFILLED = (
    "unit_code",
    "unit_name",
    "item_kind",
    "seq",
    "member_id",
    "name",
    "content",
    "deadline",
    "effect",
    "unit_review",
    "stamp",
)

# The office reviews the branches' items (报学校活动办公室备案).
FILING = OfficeForm(
    "备案审核表",
    OFFICE_INBOX,
    SCOPE_OFFICE,
    _FILING_SHEET,
    _FILING_PREFILLED,
    ("decision", "reason", "decided_on", "reviewer"),
    _FILING_CHOICES,
)
# The committee's own items go to the level above (报上一级党组织审核备案).
UPPER_FILING = OfficeForm(
    "上报备案表",
    OFFICE_INBOX,
    SCOPE_OFFICE,
    _FILING_SHEET,
    _FILING_PREFILLED,
    ("decision", "reason", "decided_on", "reviewer"),
    _FILING_CHOICES,
)

# ------------------------------------------------------------------ 年度工作目标 (二(四))
TARGET_DONE, TARGET_MOSTLY, TARGET_NOT_DONE = "完成", "基本完成", "未完成"
TARGET_RESULTS = (TARGET_DONE, TARGET_MOSTLY, TARGET_NOT_DONE)
TARGETS = OfficeForm(
    "年度工作目标表",
    OFFICE_INBOX,
    SCOPE_OFFICE,
    SheetLayout(
        "工作目标",
        (
            Column("unit_code", "单位编码", 9, ("支部编码",), "code"),
            Column("unit_name", "单位名称", 22, ("单位",)),
            Column("member_id", "党员编号", 10, ("党员号",), "code"),
            Column("name", "姓名", 8, ("党员姓名",)),
            Column("target", "年度工作任务目标", 40, ("工作目标", "年度工作目标", "任务目标")),
            Column("result", "完成情况", 10, ("完成程度",), "choice"),
            Column("score", "得分", 8, ("分数", "工作目标得分"), "score"),
            Column("remark", "备注", 20, ("说明",)),
        ),
        required=("unit_code", "member_id", "result", "score"),
    ),
    ("unit_code", "unit_name", "member_id", "name"),
    ("target", "result", "score"),
    {
        "result": (
            TARGET_RESULTS,
            {
                "已完成": TARGET_DONE,
                "全部完成": TARGET_DONE,
                "基本": TARGET_MOSTLY,
                "没有完成": TARGET_NOT_DONE,
            },
        )
    },
)

# ------------------------------------------------------------------ 整改 (二(四))
RECTIFY_RESULTS = ("已整改", "部分整改", "未整改")
RECTIFY = OfficeForm(
    "整改情况表",
    RECTIFY_INBOX,
    SCOPE_UNIT,
    SheetLayout(
        "整改情况",
        (
            Column("category", "类别", 6, (), "text"),
            Column("member_id", "党员编号", 10, ("党员号",), "code"),
            Column("name", "姓名", 8, ("党员姓名",)),
            Column("grade", "考核等次", 8, ("等次",)),
            Column("basis", "评定依据", 36, ("依据",)),
            Column("deadline", "整改期限", 12.5, ("期限",), "date"),
            Column("measures", "整改措施", 30, ("措施",)),
            Column("situation", "整改情况", 30, ("整改进展", "情况")),
            Column("done_on", "完成日期", 12.5, ("整改完成日期",), "date"),
            Column("result", "整改结果", 10, ("是否整改", "结果"), "choice"),
        ),
        required=("category", "deadline", "measures", "situation", "result"),
    ),
    ("category", "member_id", "name", "grade", "basis", "deadline"),
    ("measures", "situation", "done_on", "result"),
    {
        "result": (
            RECTIFY_RESULTS,
            {
                "整改完成": "已整改",
                "完成": "已整改",
                "基本整改": "部分整改",
                "正在整改": "部分整改",
                "没有整改": "未整改",
            },
        )
    },
)

# ------------------------------------------------------------------ 包靠领导 (三(一))
VISIT, COMMENT = "走访调研", "点评"
LEADER_KINDS = (VISIT, COMMENT)
LEADER_ROWS = 60  # blank rows of a leader's workbook
LEADERS = OfficeForm(
    "包靠领导记实表",
    OFFICE_INBOX,
    SCOPE_LEADER,
    SheetLayout(
        "走访点评",
        (
            Column("date", "日期", 12.5, ("时间", "走访日期"), "date"),
            Column("unit_code", "单位编码", 9, ("支部编码",), "code"),
            Column("unit_name", "单位名称", 20, ("单位", "支部")),
            Column("kind", "类型", 9, ("形式",), "choice"),
            Column("found", "发现的问题", 30, ("存在问题", "问题")),
            Column("help", "帮助解决的事项", 30, ("帮助解决", "解决情况")),
            Column("comment", "点评意见", 36, ("点评", "意见")),
        ),
        required=("date", "unit_code", "kind", "comment"),
    ),
    (),
    ("date", "unit_code", "kind", "found", "help", "comment"),
    {
        "kind": (
            LEADER_KINDS,
            {"走访": VISIT, "调研": VISIT, "座谈": VISIT, "点评意见": COMMENT, "评价": COMMENT},
        )
    },
)

FORMS_BY_NAME: dict[str, OfficeForm] = {f.name: f for f in (FILING, UPPER_FILING, TARGETS, RECTIFY, LEADERS)}


def register(form: OfficeForm) -> OfficeForm:
    FORMS_BY_NAME[form.name] = form
    return form


def forms_in(inbox: str) -> list[OfficeForm]:
    return [f for f in FORMS_BY_NAME.values() if f.inbox == inbox]
