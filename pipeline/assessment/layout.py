"""The evaluation workbook (考核评价表) and the result sheets: one source of truth.

The template writer, the reader, the demo and the tests take sheet names, headers and
dropdown values from here. Columns reuse :class:`pipeline.read.layout.Column`; the kind
``count`` is a whole number of votes (whole-number validation in the template).
"""

from __future__ import annotations

from pipeline.read.layout import Column, SheetLayout
from pipeline.read.textnorm import safe_filename

FORM_EVAL = "考核评价表"
EVAL_TEMPLATE_VERSION = 1
INBOX = "evaluation"  # under inputs/
OVERRIDES_STEM = "领导小组意见"  # inputs/evaluation/领导小组意见.xlsx

SHEET_GUIDE = "填报说明"
SHEET_MEMBERS = "党员评议"
SHEET_UNIT = "单位测评"
SHEET_META = "_meta"
META_KEYS = ("template_version", "campaign_year", "unit_code", "unit_name", "unit_type", "form")

YES, NO = "是", "否"
DUTY_CHOICES = (YES, NO)
DUTY_ALIASES = {
    "已述职": YES,
    "述职": YES,
    "有": YES,
    "√": YES,
    "Y": YES,
    "YES": YES,
    "未述职": NO,
    "没有": NO,
    "无": NO,
    "×": NO,
    "N": NO,
    "NO": NO,
}

# vote fields: grade -> field; satisfaction fields: option -> field
VOTE_FIELDS = {"好": "vote_good", "较好": "vote_fair", "一般": "vote_average", "差": "vote_poor"}
SAT_FIELDS = {
    "满意": "sat_satisfied",
    "比较满意": "sat_fairly",
    "基本满意": "sat_basic",
    "不满意": "sat_unsatisfied",
}
COUNT_FIELDS = ("voters", *VOTE_FIELDS.values(), *SAT_FIELDS.values())


def _votes() -> tuple[Column, ...]:
    return tuple(
        Column(f, f"评议{g}票", 9, (f"{g}票", f"评议{g}", f"民主评议{g}"), "count")
        for g, f in VOTE_FIELDS.items()
    )


def _sats() -> tuple[Column, ...]:
    return tuple(
        Column(f, f"{o}票", 10, (o, f"满意度{o}", f"测评{o}"), "count") for o, f in SAT_FIELDS.items()
    )


MEMBER_EVAL_SHEET = SheetLayout(
    SHEET_MEMBERS,
    (
        Column("seq", "序号", 6, ("编号序号",), "int"),
        Column("member_id", "党员编号", 11, ("党员号", "编号"), "code"),
        Column("name", "姓名", 9, ("党员姓名",)),
        Column("category", "党员类别", 10, ("类别",)),
        Column("duty", "述职", 7, ("是否述职", "述职情况", "个人述职"), "choice"),
        Column("voters", "参评人数", 9, ("参加评议人数", "评议人数", "参评党员人数"), "count"),
        *_votes(),
        *_sats(),
        Column("remark", "备注", 18, ("说明",)),
    ),
    required=("member_id", "name", "duty", "voters", *VOTE_FIELDS.values(), *SAT_FIELDS.values()),
)

UNIT_EVAL_SHEET = SheetLayout(
    SHEET_UNIT,
    (
        Column("unit_code", "单位编码", 10, ("支部编码", "单位代码"), "code"),
        Column("unit_name", "单位名称", 26, ("支部名称", "单位")),
        Column("secretary", "书记姓名", 10, ("支部书记", "书记")),
        Column("duty", "书记述职", 9, ("述职", "是否述职", "书记是否述职"), "choice"),
        *_sats(),
        Column("remark", "备注", 18, ("说明",)),
    ),
    required=("duty", *SAT_FIELDS.values()),
)

EVAL_SHEETS = (MEMBER_EVAL_SHEET, UNIT_EVAL_SHEET)
# Fields a unit fills itself: a row counts as filled when any is filled.
USER_FIELDS = {
    SHEET_MEMBERS: ("duty", *COUNT_FIELDS, "remark"),
    SHEET_UNIT: ("duty", *SAT_FIELDS.values(), "remark"),
}
MEMBER_ROWS_EXTRA = 10  # unlocked blank rows below the roster members

# ------------------------------------------------------------------ result workbook
RESULTS_FILE = "评价结果.xlsx"
NOTICE_FILE = "公示_考核结果.html"
SHEET_MEMBER_RESULTS = "党员评价"
SHEET_UNIT_RESULTS = "单位评价"
SHEET_SECRETARIES = "支部书记述职考核"
SHEET_COMMENDED = "表彰名单"
SHEET_RECTIFY = "整改名单"
SHEET_PROBLEMS = "问题清单"
COL_OPINION = "领导小组意见"
COL_REASON = "调整理由"
COL_PROPOSED = "拟定等次"
COL_FINAL = "最终等次"
KEEP = "同意"  # an opinion that confirms the proposed grade
KEEP_ALIASES = ("同意", "同意拟定等次", "同意拟定", "维持", "维持原等次", "无异议", "无意见")


def eval_filename(unit_code: str, unit_name: str) -> str:
    return f"{safe_filename(unit_code, 20)}_{safe_filename(unit_name)}_{FORM_EVAL}.xlsx"
