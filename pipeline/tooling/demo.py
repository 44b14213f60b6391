"""The deterministic demo campaign (``pledge demo``): a roster and returned workbooks.

Everything comes from ``random.Random(seed)`` and the campaign settings; the only clock
values are file modification times, set explicitly. The demo writes:

- ``inputs/roster.xlsx``: the Party committee D00 (no members of its own) and five
  branches D01–D05 with 9–14 members each (50–65 in all), ids like ``010003``.
- ``inputs/returns/<year>-09/``: the September return of every branch (pledges only);
  D04's file has no ``_meta`` and is named ``D04_第四党支部_公开承诺事项表.xlsx`` (F107).
- ``inputs/returns/<year>-11/``: November re-sends of D01, D02, D03 (old template v1: F109),
  D05 and the committee's only file, with progress, fulfilment logs (履诺记实) and plans
  (履诺计划); a byte-identical copy of D01's file (F105) and a Word file named .xlsx (F101).

Between D01's two versions one item is added, one approved item is edited (T101) and
review/progress statuses change. D02 has an item returned (退回) in September and
rewritten and approved in November (not a finding), a review typed " 通过 " (silently
fine) and a deadline "2026.10.15" (an exact date, silently fine). Exactly one plan step
is overdue as of 20 November (D01, planned before the 20th, no actual date, pledge ongoing).

Every intended mistake is listed in :attr:`DemoManifest.planted` with its file (relative
to ``inputs/returns``), sheet, Excel cell ("" for whole-file, whole-member and whole-unit
findings) and the rule code it should produce.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl

from pipeline.core.findings import cell_text
from pipeline.core.settings import Settings, load_settings
from pipeline.infra.atomic import atomic_path
from pipeline.intake.arrivals import Arrival, append_arrivals, log_path
from pipeline.intake.received import campaign_zone
from pipeline.outputs.template import Fill, write_template
from pipeline.outputs.template import unit_forms as roster_unit_forms
from pipeline.outputs.xlsx import formats, new_workbook
from pipeline.read import layout as L
from pipeline.rules.roster import HEADERS as ROSTER_HEADERS
from pipeline.rules.roster import ROSTER_FILE, load_roster
from pipeline.tooling.demo_eval import build_eval_demo
from pipeline.tooling.demo_followup import build_leaders_demo, build_rectification_demo
from pipeline.tooling.demo_office import build_office_demo
from pipeline.tooling.stamp import stamp_saved_time

RETURNS = "returns"
DEFAULT_SEED = 2010

# ---------------------------------------------------------------------------------------
# Chinese text pools

SURNAMES = (
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "赵",
    "黄",
    "周",
    "吴",
    "徐",
    "孙",
    "胡",
    "朱",
    "高",
    "林",
    "何",
    "郭",
    "马",
    "罗",
    "梁",
    "宋",
    "郑",
    "谢",
    "韩",
    "唐",
    "冯",
    "于",
    "董",
    "萧",
    "程",
    "曹",
    "袁",
    "邓",
    "许",
    "傅",
    "沈",
    "曾",
    "彭",
    "吕",
    "苏",
    "卢",
    "蒋",
    "蔡",
    "贾",
    "丁",
    "魏",
    "薛",
    "叶",
    "阎",
)
MALE_GIVEN = (
    "建国",
    "志强",
    "海涛",
    "卫东",
    "国庆",
    "立新",
    "振华",
    "永胜",
    "明",
    "军",
    "伟",
    "磊",
    "刚",
    "勇",
    "建华",
    "学文",
    "德胜",
    "宏伟",
    "文博",
    "晓东",
    "俊杰",
    "庆丰",
    "长青",
    "守仁",
    "家兴",
    "浩",
    "鹏飞",
    "子健",
    "光明",
    "志远",
    "新民",
    "洪涛",
    "建军",
    "晨阳",
    "宇航",
    "世杰",
)
FEMALE_GIVEN = (
    "丽",
    "静",
    "敏",
    "艳",
    "芳",
    "娟",
    "霞",
    "红梅",
    "秀英",
    "桂兰",
    "玉兰",
    "晓燕",
    "雪梅",
    "春华",
    "丽娜",
    "婷婷",
    "海燕",
    "美玲",
    "慧",
    "颖",
    "淑珍",
    "凤霞",
    "文静",
    "佳琪",
    "小红",
    "晓丽",
    "秋菊",
    "彩霞",
    "雅琴",
    "玉洁",
    "冬梅",
    "晓静",
    "欣然",
    "思雨",
    "梦瑶",
    "丹",
)
# A plausible one-character typo for the last character of a given name (P114).
TYPOS = {
    "国": "囯",
    "强": "墙",
    "涛": "滔",
    "东": "冬",
    "庆": "青",
    "新": "欣",
    "华": "化",
    "胜": "生",
    "明": "名",
    "军": "君",
    "伟": "玮",
    "磊": "垒",
    "刚": "钢",
    "勇": "永",
    "文": "雯",
    "德": "得",
    "博": "波",
    "杰": "洁",
    "丰": "峰",
    "青": "清",
    "仁": "任",
    "兴": "星",
    "浩": "皓",
    "飞": "菲",
    "健": "建",
    "远": "元",
    "民": "敏",
    "阳": "洋",
    "航": "杭",
    "丽": "莉",
    "静": "晶",
    "敏": "民",
    "艳": "燕",
    "芳": "方",
    "娟": "鹃",
    "霞": "侠",
    "梅": "枚",
    "英": "瑛",
    "兰": "岚",
    "燕": "艳",
    "娜": "纳",
    "婷": "亭",
    "玲": "铃",
    "慧": "惠",
    "颖": "莹",
    "珍": "真",
    "琪": "棋",
    "红": "虹",
    "菊": "局",
    "琴": "芹",
    "洁": "杰",
    "然": "燃",
    "雨": "宇",
    "瑶": "遥",
    "丹": "单",
}

# (code, name, posts, head post, share of women, own deeds (content, effect), own org pledges)
BRANCHES = (
    (
        "D01",
        "第一党支部（基础医学教研室）",
        ("教师", "解剖学教师", "生理学教师", "病理学教师", "实验员"),
        "教研室主任",
        0.5,
        (
            ("制作解剖学教学挂图和标本说明 {n} 套", "实验课直观教学效果明显提高"),
            ("为学生开设人体结构兴趣小组，活动 {n} 次", "激发学生学习基础医学的兴趣"),
            ("编写生理学课后练习题集 1 册", "学生课后练习有资料可依"),
            ("为社区中小学开展青春期健康讲座 {n} 场", "中小学生掌握青春期卫生知识"),
        ),
        ("建设基础医学标本陈列室并向学生开放", "开放基础医学学习辅导室，每周两个晚上有党员值班"),
    ),
    (
        "D02",
        "第二党支部（临床护理教研室）",
        ("护理教师", "内科护理教师", "外科护理教师", "实训室管理员", "教师"),
        "护理教研室主任",
        0.8,
        (
            ("整理护理实训室器材并建立借用台账", "器材完好率达到 95% 以上，借用有据可查"),
            ("为实习学生开展护理技能强化训练 {n} 次", "学生技能考核合格率明显提高"),
            ("到社区卫生服务站协助开展家庭护理指导 {n} 次", "居家老人和家属掌握基本护理方法"),
            ("为患慢性病的退休教职工上门护理指导 {n} 次", "退休教职工得到及时的护理指导"),
        ),
        ("建设护理技能开放实训室，课余时间向学生开放", "组织护理技能大赛，党员教师担任指导教师"),
    ),
    (
        "D03",
        "第三党支部（药学检验教研室）",
        ("药学教师", "检验教师", "中药学教师", "实验员", "教师"),
        "教研室主任",
        0.5,
        (
            ("为社区居民开展合理用药咨询 {n} 次", "居民掌握安全用药常识，咨询 {p} 人次"),
            ("整理检验实训室试剂并建立有效期登记", "杜绝过期试剂，实验安全有保障"),
            ("为师生免费检测血糖 {n} 次", "及早发现血糖异常，提醒及时就医"),
            ("编写常用中药材识别图册 1 册", "学生能识别常用中药材 100 种"),
        ),
        ("清理药学实验室过期药品和危险化学品", "开展“家庭小药箱”进社区活动"),
    ),
    (
        "D04",
        "第四党支部（行政后勤）",
        ("会计", "出纳", "图书管理员", "后勤管理员", "宿舍管理员", "保卫干事", "档案管理员"),
        "办公室主任",
        0.5,
        (
            ("为师生开通报销业务预约服务", "师生办理报销平均等候时间缩短一半"),
            ("延长图书馆周末开放时间，每周增加 {n} 小时", "学生周末有地方读书自习"),
            ("维修教学楼漏水门窗 {p} 处", "教学环境安全整洁"),
            ("为住校生建立宿舍设施报修快速通道", "报修 24 小时内响应"),
            ("整理学校档案室近十年资料并编制目录", "档案查找方便准确"),
        ),
        ("改善学生食堂就餐环境，增加两个售饭窗口", "完成校园路灯和消防设施全面检修"),
    ),
    (
        "D05",
        "第五党支部（学生工作）",
        ("辅导员", "班主任", "心理健康教师", "学生科干事", "团委干事"),
        "学生科科长",
        0.5,
        (
            ("与家庭困难学生家长电话沟通每月一次", "家校配合，学生安心学习"),
            ("组织学生开展社区义诊志愿活动 {n} 次", "学生在服务中提高专业能力"),
            ("开展心理健康团体辅导 {n} 次", "学生心理问题早发现、早疏导"),
            ("为毕业生推荐实习就业岗位 {p} 个", "毕业生就业率保持 95% 以上"),
            ("建立学生宿舍夜间巡查记录", "宿舍安全无事故"),
        ),
        ("建立党员联系班级制度，每名党员联系一个班", "开展“诚信考试”主题教育活动"),
    ),
)
COMMITTEE = ("D00", "校党委")

DEEDS_COMMON = (
    ("为社区老人开展免费量血压服务 {n} 次", "服务社区老人 {p} 人次，建立血压监测记录"),
    ("为学困生每周义务辅导一次", "帮助 {n} 名学困生期末成绩提高一个等级"),
    ("到结对帮扶村开展健康知识讲座 {n} 场", "村民掌握常见慢性病防治知识"),
    ("为家庭困难学生联系勤工助学岗位 {n} 个", "帮助困难学生解决部分生活费用"),
    ("利用周末到敬老院开展志愿服务 {n} 次", "为老人整理内务、测量血糖，老人满意"),
    ("为新入职教师上示范课 {n} 节", "帮助青年教师尽快站稳讲台"),
    ("结对帮扶家庭困难学生 {n} 名", "学生顺利完成学业、心理状态良好"),
    ("在校园开展无偿献血宣传 {n} 次", "动员师生参加无偿献血 {p} 人次"),
    ("为学生宿舍开展卫生防疫检查 {n} 次", "宿舍卫生达标率明显提高"),
    ("收集整理常见病用药指导资料并印发 {p} 份", "方便社区居民安全用药"),
    ("在“共产党员先锋岗”窗口开展志愿服务 {n} 次", "在岗位上展示党员形象，群众满意"),
    ("为社区居民开展急救知识培训 {n} 场", "居民掌握心肺复苏基本操作，受训 {p} 人次"),
    ("为校园周边环卫工人免费体检 {n} 次", "环卫工人了解自身健康状况"),
    ("帮助留守儿童开展课外辅导 {n} 次", "留守儿童学习习惯明显改善"),
)
DEED_MEASURES = (
    "利用周末和课余时间开展",
    "与社区卫生服务站联合开展",
    "每月制定计划，按计划推进",
    "邀请学生志愿者共同参与",
)
FAULTS = (
    ("工作中有时急躁、与学生沟通方式简单", "每周与 2 名学生谈心，耐心听取学生意见", "学生评议满意度提高"),
    ("理论学习不够系统，学用结合不紧", "每月精读一本理论书籍并撰写心得体会", "理论水平和工作能力同步提高"),
    ("业务知识更新不及时", "每学期参加业务培训不少于 2 次，订阅专业期刊", "教学内容紧跟临床实际"),
    ("批评与自我批评开展得不够", "每次组织生活会前主动征求群众意见 4 条以上", ""),
    ("对后进学生关心不够", "建立后进学生帮扶档案，每两周跟踪一次", "后进学生明显进步"),
    ("工作计划性不强，有时顾此失彼", "每周制定工作清单，周五对照检查", "工作井然有序"),
    ("深入群众不够，听取意见不及时", "每月到班级或科室走访一次并记录意见", ""),
    ("课堂教学方法比较单一", "每学期学习运用两种新的教学方法，上公开课一次", "课堂气氛活跃，学生评教提高"),
    ("参加集体活动不够积极", "按时参加支部组织生活和志愿活动，不无故缺席", ""),
    ("办事效率有待提高", "实行当日事当日毕，建立个人工作台账", "群众办事等候时间缩短"),
    ("信息化办公能力较弱", "参加学校信息化培训，学会使用办公软件和网络平台", ""),
    ("对实验室安全管理重视不够", "每周检查一次实验室水电和试剂存放情况", "实验室全年无安全事故"),
    ("服务意识不强，有时态度生硬", "推行微笑服务、首问负责，接受师生监督", "师生满意度提高"),
    ("与同事交流协作不够", "主动参加教研活动，每月与同事集体备课一次", ""),
    ("工作标准不够高，满足于过得去", "对照先进党员查找差距，每月写一次工作反思", ""),
    ("对学生的批评方式欠妥", "先了解情况再批评，做到对事不对人", "师生关系更加融洽"),
)
ORG_COMMON = (
    ("组织本支部党员到结对社区开展健康服务 {n} 次", "支部书记带队，党员分组轮流参加", "服务群众 {p} 人次"),
    ("开展“一名党员一面旗帜”主题党日活动", "每月一个主题，党员轮流主讲", "党员先锋意识明显增强"),
    ("为家庭困难学生设立助学小额基金", "党员自愿捐款，支部统一管理发放", "资助困难学生 {n} 名"),
    ("建立党员联系群众制度，每名党员联系 3 名群众", "每月走访一次，记录意见建议", "群众意见及时反映和解决"),
    ("每月召开一次支部委员会研究履诺工作", "通报进度，帮助党员解决困难", "承诺按期兑现"),
)
COMMITTEE_ORG = (
    (
        "开展“共产党员先锋岗”挂牌亮身份活动",
        "各科室、窗口设立先锋岗并公示党员承诺",
        "全校党员亮明身份、接受监督",
    ),
    ("组织全校党员到社区开展大型义诊活动", "各支部轮流负责，分批次开展", "服务群众 500 人次以上"),
    ("建立校领导联系支部制度", "校领导每月参加所联系支部活动一次", "及时帮助支部解决困难"),
    ("改善教职工和学生的就餐、住宿条件", "更新宿舍设施，增加食堂窗口", "师生满意度明显提高"),
    ("开展创先争优活动中期点评", "组织各支部交流履诺情况", "推动承诺按期兑现"),
)
DEED_STEPS = (
    "制定具体实施方案，明确时间和对象",
    "联系服务对象，落实场地和物资",
    "组织实施，做好活动记录",
    "总结经验，听取群众意见",
)
FAULT_STEPS = ("查找问题根源，制定整改计划", "落实整改措施，每周自查一次", "请同事和学生评议整改效果")
ORG_STEPS = (
    "支部委员会研究部署，明确责任人",
    "组织党员分组实施",
    "检查进度，协调解决困难",
    "总结通报，资料归档",
)
LOG_PROGRESS = (
    "按计划推进“{c}”，已完成阶段任务",
    "“{c}”：本周开展一次，群众反映良好",
    "对照承诺自查“{c}”进展，及时调整安排",
)
LOG_DONE = ("“{c}”已全部完成，征求群众意见均表示满意", "完成承诺“{c}”，相关材料已交支部存档")
EVIDENCE = ("活动照片 3 张", "签到表 1 份", "服务记录本", "谈心记录", "群众反馈意见表", "")

# Planted roles per unit: each is given to a different non-secretary member.
ROLES = {
    "D01": ("P101", "P108", "P111", "P116", "T101", "added", "milestone"),
    "D02": ("P102", "P109", "date_end", "date_dots", "date_xun", "P110", "spaces", "returned"),
    "D03": ("P107", "V101", "P114", "P115", "P104"),
    "D05": ("V104", "V103", "V105", "not_started", "not_started"),
}
NOV_UNITS = ("D00", "D01", "D02", "D03", "D05")  # D04 sent only in September
UNKNOWN_ID = "999999"


@dataclass(frozen=True)
class PlantedMistake:
    file: str  # relative to inputs/returns, "/"-separated
    sheet: str
    row: int  # 1-based Excel row and column; 0 for whole-file, whole-member and whole-unit findings
    column: int
    rule: str
    member_id: str
    note: str

    @property
    def cell(self) -> str:
        """``E12`` as the problem list shows it ("" without a position)."""
        return cell_text(self.row, self.column)


@dataclass
class DemoManifest:
    seed: int
    units: list[str]
    members: int
    files: list[str]  # returned files written, relative to inputs/returns
    planted: list[PlantedMistake] = field(default_factory=list)
    overdue_milestone: tuple[str, str, str] = ("", "", "")  # (file, sheet, cell) of the one overdue plan step
    sept_mtime: float = 0.0
    nov_mtime: float = 0.0


@dataclass
class Member:
    member_id: str
    name: str
    gender: str
    post: str
    category: str
    role: str
    unit_code: str
    demo_role: str = ""


@dataclass
class Unit:
    code: str
    name: str
    type: str
    members: list[Member] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    org: list[dict[str, Any]] = field(default_factory=list)
    deeds: tuple[tuple[str, str], ...] = ()
    org_pool: tuple[tuple[str, str, str], ...] = ()


def _column(sheet: L.SheetLayout, f: str) -> int:
    """1-based column of field ``f`` in the template's ``sheet``."""
    return sheet.index(f) + 1


def _day(lo: dt.date, hi: dt.date, rng: random.Random) -> dt.date:
    return lo + dt.timedelta(days=rng.randint(0, max((hi - lo).days, 0)))


class _Gen:
    """All random draws, in one fixed order."""

    def __init__(self, s: Settings, seed: int) -> None:
        self.s, self.rng, self.y = s, random.Random(seed), s.year
        self.lo, self.hi = s.deadline_window
        self.used_names: list[str] = []

    def d(self, month: int, day: int) -> dt.date:
        return min(max(dt.date(self.y, month, day), self.lo), self.hi)

    def deadline(self, fault: bool = False) -> dt.date:
        r, rng = self.rng.random(), self.rng
        if r < (0.45 if fault else 0.25):
            return rng.choice((self.d(10, 31), self.hi))
        if r < 0.35:
            return _day(self.d(9, 20), self.d(9, 30), rng)
        if r < 0.75:
            return _day(self.d(10, 1), self.d(10, 31), rng)
        return _day(self.d(11, 1), self.hi, rng)

    def name(self, women: float) -> tuple[str, str]:
        while True:
            female = self.rng.random() < women
            n = self.rng.choice(SURNAMES) + self.rng.choice(FEMALE_GIVEN if female else MALE_GIVEN)
            if n not in self.used_names:
                self.used_names.append(n)
                return n, "女" if female else "男"

    def fill(self, template: str) -> str:
        n = self.rng.randint(2, 6)
        return template.format(n=n, p=n * self.rng.randint(8, 20))


def _roster(g: _Gen) -> list[Unit]:
    rng = g.rng
    while True:
        sizes = [rng.randint(9, 14) for _ in BRANCHES]
        if 50 <= sum(sizes) <= 65:
            break
    units = [Unit(COMMITTEE[0], COMMITTEE[1], "党委", org_pool=COMMITTEE_ORG)]
    for (code, name, posts, head, women, deeds, own_org), size in zip(BRANCHES, sizes, strict=True):
        u = Unit(
            code,
            name,
            "党支部",
            deeds=deeds + DEEDS_COMMON,
            org_pool=tuple((c, "支部书记牵头，党员分工负责", "群众得到实惠") for c in own_org) + ORG_COMMON,
        )
        secretary = rng.randrange(size)
        committee = rng.sample([i for i in range(size) if i != secretary], 2)
        for j in range(size):
            n, gender = g.name(women)
            role = "支部书记" if j == secretary else ("支部委员" if j in committee else "")
            post = head if j == secretary else rng.choice(posts)
            u.members.append(Member(f"{code[1:]}{j + 1:04d}", n, gender, post, "正式党员", role, code))
        units.append(u)
    plain = [m for u in units for m in u.members if not m.role]
    for m in rng.sample(plain, 4):
        m.category = "预备党员"
    return units


def _write_roster(units: list[Unit], path: Path) -> None:
    with atomic_path(path) as tmp:
        wb = new_workbook(tmp)
        fmt = formats(wb)
        ws = wb.add_worksheet("花名册")
        for j, h in enumerate(ROSTER_HEADERS):
            ws.write_string(0, j, h, fmt["header"])
            ws.set_column(j, j, 28 if j == 1 else 11)
        r = 1
        for u in units:
            rows = [(m.member_id, m.name, m.gender, m.post, m.category, m.role) for m in u.members] or [
                ("",) * 6
            ]
            for row in rows:
                for j, v in enumerate((u.code, u.name, u.type, *row)):
                    if v:
                        ws.write_string(r, j, v, fmt["cell"])
                r += 1
        ws.freeze_panes(1, 0)
        wb.close()


def _item(g: _Gen, u: Unit, m: Member | None, kind: str, used: list[str], mine: list[str]) -> dict[str, Any]:
    """One pledge: deeds unique in the unit, and no member with two of the same kind of text."""
    rng = g.rng
    fault = kind == L.KIND_FAULT
    while True:
        if fault:
            content, measures, effect = rng.choice(FAULTS)
            effect, tpl = (effect if rng.random() < 0.6 else ""), content
        else:
            tpl, eff = rng.choice(u.deeds)
            content, effect = g.fill(tpl), g.fill(eff)
            measures = rng.choice(DEED_MEASURES) if rng.random() < 0.35 else ""
        if tpl not in mine and (fault or content not in used):
            break
    mine.append(tpl)
    used.append(content)
    due = g.deadline(fault)
    return {
        "member_id": m.member_id if m else "",
        "name": m.name if m else "",
        "kind": kind,
        "content": content,
        "measures": measures,
        "deadline": due,
        "effect": effect,
        "remark": "",
        "_due": due,
        "_member": m,
        "_sep": True,
        "_nov": True,
        "_plant": [],
        "_sep_review": L.REVIEW_APPROVED if rng.random() < 0.85 or u.code == "D04" else L.REVIEW_PENDING,
        "_nov_review": L.REVIEW_APPROVED,
    }


def _progress(g: _Gen, it: dict[str, Any]) -> None:
    """November status: most done with a date, some ongoing (overdue by late November)."""
    rng, due = g.rng, it["_due"]
    p_done = 0.9 if due is not None and due <= g.d(10, 31) else 0.75
    if due is not None and due <= g.hi and rng.random() < p_done:
        it["progress"] = L.PROGRESS_DONE
        it["done_on"] = max(
            due - dt.timedelta(days=rng.randint(0, 8)), g.s.fulfil.start + dt.timedelta(days=1)
        )
    else:
        it["progress"], it["done_on"] = L.PROGRESS_ONGOING, None


def _plant(it: dict[str, Any], rule: str, f: str, note: str) -> None:
    it["_plant"].append((rule, f, note))


def _edited(text: str) -> str:
    m = re.search(r"\d+", text)
    if not m:
        return text + "（调整为线上开展）"
    n = int(m.group())
    return f"{text[: m.start()]}{n - 2 if n > 3 else n + 2}{text[m.end() :]}"


def _pledges(g: _Gen, units: list[Unit]) -> dict[str, list[tuple[str, str, str]]]:
    """Member and org pledges of every unit, with the planted mistakes applied.

    Returns whole-member/whole-unit plants per unit: (rule, member_id, note)."""
    rng, y = g.rng, g.y
    whole: dict[str, list[tuple[str, str, str]]] = {u.code: [] for u in units}
    by_code = {u.code: u for u in units}
    for u in units:
        used: list[str] = []
        cands = [m for m in u.members if m.role != "支部书记"]
        rng.shuffle(cands)
        roles = {r: cands.pop() for r in ROLES.get(u.code, ()) if r != "not_started"}
        starters = [cands.pop() for r in ROLES.get(u.code, ()) if r == "not_started"]
        role_of = {m.member_id: r for r, m in roles.items()}
        for m in u.members:
            role = role_of.get(m.member_id, "")
            n_deeds, n_faults = rng.choice((2, 2, 3)), rng.choice((1, 1, 2))
            n_deeds, n_faults = {
                "P101": (4, n_faults),
                "P102": (2, 0),
                "P104": (0, 0),
                "V103": (3, n_faults),
                "added": (3, n_faults),
                "P115": (2, n_faults),
                "P109": (n_deeds, max(n_faults, 1)),
            }.get(role, (n_deeds, n_faults))
            m.demo_role, mine = role, list[str]()
            its = [_item(g, u, m, L.KIND_DEED, used, mine) for _ in range(n_deeds)]
            its += [_item(g, u, m, L.KIND_FAULT, used, mine) for _ in range(n_faults)]
            for it in its:
                _progress(g, it)
            first = its[0] if its else None
            if role in ("P101", "P102", "P104"):
                what = {
                    "P101": "实事好事 4 件（上限 3 件）",
                    "P102": "只有实事好事，没有改正缺点",
                    "P104": "整行删除，表中没有他的任何承诺",
                }
                whole[u.code].append((role, m.member_id, f"{m.name}：{what[role]}"))
            elif role == "P108" and first:
                first["effect"] = ""
                _plant(first, "P108", "effect", "实事好事缺少预期效果")
            elif role == "P111" and first:
                first["_sep_review"] = first["_nov_review"] = L.REVIEW_PENDING
                first["progress"], first["done_on"] = "", None
                _plant(first, "P111", "review", "支部审核为“待审核”")
            elif role == "P116" and first:
                first["progress"], first["done_on"] = L.PROGRESS_DONE, None
                _plant(first, "P116", "done_on", "已完成但没有完成日期")
            elif role == "T101" and first:
                first["_sep_content"], first["content"] = first["content"], _edited(first["content"])
                first["_sep_review"] = L.REVIEW_APPROVED
                _plant(
                    first,
                    "T101",
                    "content",
                    f"9 月已审核通过的“{first['_sep_content']}”在 11 月版中被改为“{first['content']}”",
                )
            elif role == "added":
                its[2]["_sep"] = False
            elif role == "milestone" and first:
                first["_due"] = first["deadline"] = g.hi
                first["progress"], first["done_on"], first["_milestone"] = L.PROGRESS_ONGOING, None, True
            elif role == "P109":
                fault = next(it for it in its if it["kind"] == L.KIND_FAULT)
                fault["measures"] = ""
                _plant(fault, "P109", "measures", "改正缺点缺少措施")
            elif role in ("date_end", "date_dots", "date_xun") and first:
                text, due = {
                    "date_end": ("10月底", g.d(10, 31)),
                    "date_dots": (f"{y}.10.15", g.d(10, 15)),
                    "date_xun": ("11月上旬", g.d(11, 10)),
                }[role]
                first["deadline"], first["_due"], first["_text_date"] = text, due, True
                _progress(g, first)
                if role != "date_dots":
                    _plant(first, "V102", "deadline", f"完成期限写成文字“{text}”，按 {due:%Y-%m-%d} 理解")
            elif role == "P110" and first:
                first["_sep_review"] = first["_nov_review"] = ""
                first["progress"], first["done_on"] = "", None
                _plant(first, "P110", "review", "已填写的承诺没有审核结果")
            elif role == "spaces" and first:
                first["_nov_review"] = f" {L.REVIEW_APPROVED} "
            elif role == "returned" and first:
                first["_sep_review"], first["_sep_content"] = L.REVIEW_RETURNED, "有空帮助身边的同事和学生"
            elif role == "P107" and first:
                first["deadline"] = first["_due"] = dt.date(y + 1, 3, 1)
                first["progress"], first["done_on"] = L.PROGRESS_ONGOING, None
                _plant(first, "P107", "deadline", f"完成期限 {y + 1}-03-01 超出活动期间")
            elif role == "V101" and first:
                first["deadline"], first["_due"], first["_text_date"] = "2月30日", None, True
                first["progress"], first["done_on"] = L.PROGRESS_ONGOING, None
                _plant(first, "V101", "deadline", "完成期限“2月30日”不是有效日期")
            elif role == "P114" and first:
                given_last = m.name[-1]
                first["name"] = m.name[:-1] + TYPOS.get(given_last, "民" if given_last != "民" else "敏")
                _plant(first, "P114", "name", f"姓名写成“{first['name']}”，花名册为“{m.name}”")
            elif role == "P115" and first:
                dup = {k: (list(v) if k == "_plant" else v) for k, v in first.items()}
                dup["_plant"] = []
                its.insert(1, dup)
                _plant(dup, "P115", "content", "同一党员同一承诺填了两次")
            elif role == "V104" and first:
                first["kind"] = "实事"
                _plant(first, "V104", "kind", "承诺类型写成“实事”，按“实事好事”理解")
            elif role == "V103":
                its[2]["kind"] = "其他"
                _plant(its[2], "V103", "kind", "承诺类型“其他”不在下拉选项中")
            elif role == "V105" and first:
                its[0]["_merge_first"], its[-1]["_merge_last"] = True, True
            u.items += its
        for m in starters:
            it = next(it for it in u.items if it["_member"] is m and it["kind"] == L.KIND_DEED)
            it["_due"] = it["deadline"] = g.hi
            it["progress"], it["done_on"] = L.PROGRESS_NOT_STARTED, None
        if u.code == "D02":  # rows of people who do not belong here
            stranger = next(m for m in by_code["D01"].members if m.role != "支部书记" and not m.demo_role)
            stranger_name, _ = g.name(0.5)
            for mid, nm, rule, note in (
                (stranger.member_id, stranger.name, "P113", f"{stranger.name}是第一党支部的党员"),
                (UNKNOWN_ID, stranger_name, "P112", "党员编号 999999 不在花名册中"),
            ):
                it = _item(g, u, None, L.KIND_DEED, used, [])
                it.update(member_id=mid, name=nm, progress=L.PROGRESS_ONGOING, done_on=None, _foreign=True)
                _plant(it, rule, "member_id", note)
                u.items.append(it)
        n_org = 4 if u.type == "党委" else (2 if u.code == "D05" else rng.randint(3, 5))
        if n_org < 3:
            whole[u.code].append(("P103", "", "组织承诺只有 2 件（应为 3—5 件）"))
        owners = list(g.s.leaders) or ["校党委书记"]
        officers = [m for m in u.members if m.role] or []
        for tpl, measures, effect in rng.sample(u.org_pool, n_org):
            due = g.deadline()
            owner = rng.choice(officers) if officers else None
            it = {
                "content": g.fill(tpl),
                "measures": measures,
                "deadline": due,
                "effect": g.fill(effect),
                "owner": owner.name if owner else rng.choice(owners),
                "remark": "",
                "_due": due,
                "_member": owner,
                "_sep_review": L.REVIEW_APPROVED
                if rng.random() < 0.85 or u.code == "D04"
                else L.REVIEW_PENDING,
                "_nov_review": L.REVIEW_APPROVED,
                "_sep": True,
                "_nov": True,
                "_plant": [],
            }
            _progress(g, it)
            u.org.append(it)
    return whole


def _render(u: Unit, nov: bool) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows for the September (pledges only) or November (with progress) version."""
    members: list[dict[str, Any]] = []
    orgs: list[dict[str, Any]] = []
    for it in u.items:
        if not it["_nov" if nov else "_sep"]:
            continue
        row = {
            f: it.get(f, "")
            for f in ("member_id", "name", "kind", "measures", "deadline", "effect", "remark")
        }
        row["seq"] = len(members) + 1
        row["content"] = it["content"] if nov else it.get("_sep_content", it["content"])
        row["review"] = it["_nov_review" if nov else "_sep_review"]
        if nov:
            row.update(progress=it["progress"], done_on=it["done_on"])
            it["_seq"] = row["seq"]
        members.append(row)
    for i, it in enumerate(u.org, start=1):
        row = {f: it[f] for f in ("content", "measures", "deadline", "effect", "owner", "remark")}
        row.update(seq=i, review=it["_nov_review" if nov else "_sep_review"])
        if nov:
            row.update(progress=it["progress"], done_on=it["done_on"])
            it["_seq"] = i
        orgs.append(row)
    return members, orgs


def _tracked(u: Unit) -> list[tuple[str, dict[str, Any]]]:
    """(reference, item) of approved November items of the unit's own members, and org items."""
    own = {m.member_id for m in u.members}
    out = [
        (f"{L.REF_MEMBER}-{it['_seq']}", it)
        for it in u.items
        if it["_nov"] and it["member_id"] in own and it["_nov_review"].strip() == L.REVIEW_APPROVED
    ]
    return out + [(f"{L.REF_ORG}-{it['_seq']}", it) for it in u.org]


def _logs(g: _Gen, u: Unit) -> list[dict[str, Any]]:
    rng, start = g.rng, g.s.fulfil.start
    entries: list[tuple[dt.date, int, dict[str, Any]]] = []
    for ref, it in _tracked(u):
        if it["progress"] not in (L.PROGRESS_DONE, L.PROGRESS_ONGOING) or rng.random() > 0.6:
            continue
        m: Member | None = it["_member"]
        c = it["content"].replace("“", "").replace("”", "")
        c = c if len(c) <= 20 else c[:20] + "…"
        base = {"member_id": m.member_id if m else "", "name": m.name if m else "", "pledge_ref": ref}
        done = it["done_on"]
        if done is None or rng.random() < 0.5:
            last = done - dt.timedelta(days=1) if done else g.hi
            entries.append(
                (
                    _day(min(start + dt.timedelta(days=2), last), last, rng),
                    len(entries),
                    {**base, "note": rng.choice(LOG_PROGRESS).format(c=c), "evidence": rng.choice(EVIDENCE)},
                )
            )
        if done is not None:
            entries.append(
                (
                    done,
                    len(entries),
                    {**base, "note": rng.choice(LOG_DONE).format(c=c), "evidence": rng.choice(EVIDENCE)},
                )
            )
    entries.sort(key=lambda e: (e[0], e[1]))
    return [{"date": d, **row} for d, _, row in entries]


def _plans(g: _Gen, u: Unit) -> tuple[list[dict[str, Any]], int]:
    """Plan steps of some completed pledges (all steps done) and of the milestone pledge;
    returns the rows and the index of the overdue step (-1 if none)."""
    rng, start = g.rng, g.s.fulfil.start
    rows: list[dict[str, Any]] = []
    overdue = -1
    for ref, it in _tracked(u):
        owner = it["_member"].name if it["_member"] else it.get("owner", "")
        if it.get("_milestone"):
            rows.append(
                {
                    "pledge_ref": ref,
                    "step": DEED_STEPS[0],
                    "planned_on": g.d(10, 12),
                    "actual_on": g.d(10, 14),
                    "owner": owner,
                }
            )
            overdue = len(rows)
            rows.append(
                {
                    "pledge_ref": ref,
                    "step": DEED_STEPS[2],
                    "planned_on": g.d(11, 10),
                    "owner": owner,
                    "remark": "场地未落实，推迟",
                }
            )
            continue
        if (
            it["progress"] != L.PROGRESS_DONE
            or it["done_on"] is None
            or it.get("_text_date")
            or it["_plant"]
            or rng.random() > (0.5 if ref.startswith(L.REF_ORG) else 0.3)
        ):
            continue
        pool = (
            ORG_STEPS
            if ref.startswith(L.REF_ORG)
            else FAULT_STEPS
            if it["kind"] == L.KIND_FAULT
            else DEED_STEPS
        )
        steps = [pool[i] for i in sorted(rng.sample(range(len(pool)), rng.choice((2, 3))))]
        due, done = it["_due"], it["done_on"]
        first = max(start, due - dt.timedelta(days=40))
        for k, step in enumerate(steps, start=1):
            planned = first + (due - first) * k // len(steps)
            actual = (
                done
                if k == len(steps)
                else min(max(planned + dt.timedelta(days=rng.randint(-3, 1)), start), done)
            )
            rows.append(
                {"pledge_ref": ref, "step": step, "planned_on": planned, "actual_on": actual, "owner": owner}
            )
    return rows, overdue


def _merge_member_cells(path: Path, first: int, last: int) -> None:
    """Merge 党员编号 and 姓名 over one member's rows, value in the top cell (as clerks do)."""
    wb = openpyxl.load_workbook(path)
    ws = wb[L.SHEET_MEMBER]
    for f in ("member_id", "name"):
        col = _column(L.MEMBER_SHEET, f)
        for r in range(first + 1, last + 1):
            ws.cell(r, col).value = None
        ws.merge_cells(start_row=first, start_column=col, end_row=last, end_column=col)
    with atomic_path(path) as tmp:
        wb.save(tmp)


def _word_file(path: Path) -> None:
    """A minimal .docx saved with an .xlsx name (a wrong attachment)."""
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="word/document.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/></Relationships>',
        "word/document.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
        "<w:p><w:r><w:t>第二党支部关于公开承诺事项的说明</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>我支部党员承诺事项已经支部委员会逐人逐条审核，详见承诺事项表。</w:t></w:r></w:p>"
        "</w:body></w:document>",
    }
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(zipfile.ZipInfo(name, date_time=(2026, 11, 18, 10, 0, 0)), text)


def build_demo(inputs: Path, seed: int = DEFAULT_SEED) -> DemoManifest:
    """Write inputs/roster.xlsx and inputs/returns/… for the demo campaign (see module doc)."""
    s = load_settings(inputs)
    g = _Gen(s, seed)
    y = s.year
    sept_dir, nov_dir = f"{y}-09", f"{y}-11"
    tz = campaign_zone(s)
    # The September forms are dated by their own saved time (docProps), the November
    # round came through the mail intake (inputs/returns/邮件/到达记录.csv): a fresh clone
    # dates every version the same as the machine that generated it.
    sept_saved = dt.datetime(y, 9, 8, 10, 0, tzinfo=tz)
    nov_saved = dt.datetime(y, 11, 17, 16, 30, tzinfo=tz)
    nov_mail = dt.datetime(y, 11, 18, 10, 0, tzinfo=tz)
    sept_ts, nov_ts = sept_saved.timestamp(), nov_mail.timestamp()

    units = _roster(g)
    _write_roster(units, inputs / ROSTER_FILE)
    stamp_saved_time(inputs / ROSTER_FILE, dt.datetime(y, 7, 10, 9, 0, tzinfo=tz))
    forms = {f.unit_code: f for f in roster_unit_forms(load_roster(inputs))}
    whole = _pledges(g, units)

    names: dict[tuple[str, str], str] = {}
    for u in units:
        std = L.template_filename(u.code, u.name)
        if u.code != COMMITTEE[0]:
            names[(u.code, "sep")] = f"{sept_dir}/" + (
                f"{u.code}_第四党支部_公开承诺事项表.xlsx" if u.code == "D04" else std
            )
        if u.code in NOV_UNITS:
            suffix = "公开承诺事项表（11月更新）" if u.code == "D02" else "公开承诺事项表"
            names[(u.code, "nov")] = f"{nov_dir}/{L.template_filename(u.code, u.name, suffix)}"
    copy_name, word_name = f"{nov_dir}/回复：第一支部承诺表.xlsx", f"{nov_dir}/第二支部承诺事项说明.xlsx"
    all_files = sorted([*names.values(), copy_name, word_name])
    returns = inputs / RETURNS
    for rel in all_files:  # only the demo's own files; anything else in returns/ is left alone
        (returns / rel).unlink(missing_ok=True)

    manifest = DemoManifest(
        seed,
        [u.code for u in units],
        sum(len(u.members) for u in units),
        all_files,
        sept_mtime=sept_ts,
        nov_mtime=nov_ts,
    )
    planted = manifest.planted
    for u in units:
        form = forms[u.code]
        if (u.code, "sep") in names:
            rel = names[(u.code, "sep")]
            members, orgs = _render(u, nov=False)
            write_template(
                form,
                s,
                returns / rel,
                Fill(member_rows=members, org_rows=orgs, meta=u.code != "D04"),
                bulk=False,  # a returned workbook, saved cell by cell as Excel saves it
            )
            if u.code == "D04":
                planted.append(
                    PlantedMistake(rel, "", 0, 0, "F107", "", "没有 _meta 表，只能按文件名识别为 D04")
                )
        if (u.code, "nov") not in names:
            continue
        rel = names[(u.code, "nov")]
        members, orgs = _render(u, nov=True)
        logs = _logs(g, u)
        version = 1 if u.code == "D03" else L.TEMPLATE_VERSION
        plans, overdue = _plans(g, u) if version >= 2 else ([], -1)
        path = returns / rel
        write_template(
            form,
            s,
            path,
            Fill(member_rows=members, org_rows=orgs, log_rows=logs, plan_rows=plans, version=version),
            bulk=False,
        )
        if overdue >= 0:
            manifest.overdue_milestone = (
                rel,
                L.SHEET_PLAN,
                cell_text(overdue + 2, _column(L.PLAN_SHEET, "actual_on")),
            )
        for it in u.items:
            for rule, f, note in it["_plant"]:
                planted.append(
                    PlantedMistake(
                        rel,
                        L.SHEET_MEMBER,
                        it["_seq"] + 1,
                        _column(L.MEMBER_SHEET, f),
                        rule,
                        it["member_id"],
                        note,
                    )
                )
        merge = [it["_seq"] + 1 for it in u.items if it.get("_merge_first") or it.get("_merge_last")]
        if merge:
            _merge_member_cells(path, merge[0], merge[-1])
            first = next(it for it in u.items if it.get("_merge_first"))
            for f in ("member_id", "name"):
                planted.append(
                    PlantedMistake(
                        rel,
                        L.SHEET_MEMBER,
                        merge[0],
                        _column(L.MEMBER_SHEET, f),
                        "V105",
                        first["member_id"],
                        f"第 {merge[0]}—{merge[-1]} 行的党员编号、姓名合并了单元格",
                    )
                )
        for rule, mid, note in whole[u.code]:
            sheet = L.SHEET_ORG if rule == "P103" else L.SHEET_MEMBER
            planted.append(PlantedMistake(rel, sheet, 0, 0, rule, mid, note))
        if version == 1:
            planted.append(
                PlantedMistake(
                    rel, "", 0, 0, "F109", "", "11 月版用了旧模板 v1，没有“履诺计划”表（也可报 M104）"
                )
            )
        if u.code == "D01":
            (returns / copy_name).write_bytes(path.read_bytes())
            planted.append(PlantedMistake(copy_name, "", 0, 0, "F105", "", f"与 {rel} 字节完全相同"))
    _word_file(returns / word_name)
    planted.append(PlantedMistake(word_name, "", 0, 0, "F101", "", "Word 文档改名为 .xlsx"))
    arrivals = []
    for i, rel in enumerate(all_files):
        if rel != word_name:
            stamp_saved_time(returns / rel, sept_saved if rel.startswith(sept_dir) else nov_saved)
        if rel.startswith(nov_dir):
            sha = hashlib.sha256((returns / rel).read_bytes()).hexdigest()
            at = nov_mail + dt.timedelta(minutes=i)
            arrivals.append(
                Arrival(
                    sha,
                    at,
                    message_id=f"<demo-{i}@example.edu.cn>",
                    sender="branch@example.edu.cn",
                    date=at.strftime("%a, %d %b %Y %H:%M:%S %z"),
                    subject=f"报送：{Path(rel).stem}",
                    attachment=Path(rel).name,
                    saved_as=rel,
                    source="file:demo",
                )
            )
        ts = sept_ts if rel.startswith(sept_dir) else nov_ts
        os.utime(returns / rel, (ts, ts))
    log_path(returns).unlink(missing_ok=True)
    append_arrivals(returns, arrivals)
    planted.sort(key=lambda p: (p.file, p.sheet, p.rule, p.row, p.column))
    build_eval_demo(
        inputs, s, load_roster(inputs), seed
    )  # year-end assessment: inputs/evaluation/ (pipeline/tooling/demo_eval.py)
    # the office workflow: inputs/office/ (pipeline/tooling/demo_office.py, issue 15)
    for rel, sheet, row, column, rule, note in build_office_demo(inputs, s, load_roster(inputs)):
        planted.append(PlantedMistake(rel, sheet, row, column, rule, "", note))
    build_leaders_demo(inputs, s, load_roster(inputs))  # inputs/office/ (pipeline/tooling/demo_followup.py)
    build_rectification_demo(inputs, s, load_roster(inputs))  # inputs/rectification/
    planted.sort(key=lambda p: (p.file, p.sheet, p.rule, p.row, p.column))
    return manifest
