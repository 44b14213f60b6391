"""Stable rule codes with a one-line Chinese title each.

Codes never change meaning once released: clerks and branch secretaries learn them, and
earlier problem lists refer to them. The README's code table is generated from here.
"""

from __future__ import annotations

CODES: dict[str, str] = {
    # settings and roster
    "S101": "设置文件有误",
    "R101": "花名册单位编码为空",
    "R102": "花名册单位名称为空",
    "R103": "花名册单位类型不正确",
    "R104": "花名册性别不正确",
    "R105": "同一单位编码有多个名称",
    "R106": "同一单位编码有多个类型",
    "R107": "党员编号重复",
    "R108": "党员姓名为空",
    "R109": "党员类别不正确",
    # files and intake
    "F101": "文件无法读取",
    "F102": "无法识别文件所属单位",
    "F103": "同一单位有更新的版本，本文件未采用",
    "F104": "文件中的单位编码不在花名册中",
    "F105": "与另一文件内容完全相同",
    "F106": "旧版 Excel 格式",
    "F107": "缺少 _meta 表，按文件名识别单位",
    "F108": "活动年度与设置不符",
    "F109": "使用的是旧版模板",
    "F110": "文件名与表内单位不一致",
    "F111": "不是公开承诺事项表",
    # layout
    "L101": "缺少工作表",
    "L102": "找不到表头行",
    "L103": "缺少必需的列",
    "L104": "多出的列（已忽略）",
    "L105": "工作表被隐藏",
    "L106": "行数过多，超出部分未读取",
    "L107": "工作表被改名，已按表头识别",
    # cell values
    "V101": "日期无法识别",
    "V102": "日期按推断理解",
    "V103": "下拉选项的值不正确",
    "V104": "下拉选项按近似值理解",
    "V105": "合并单元格，已按合并值填充",
    "V106": "公式没有计算结果",
    "V107": "含有非法字符，已删除",
    "V108": "内容以公式符号开头，已按文字处理",
    "V109": "编号被存成数字",
    "V110": "内容过长，已截断",
    # pledge rules
    "P101": "实事好事件数不符合要求",
    "P102": "改正缺点个数不符合要求",
    "P103": "组织承诺件数不符合要求",
    "P104": "党员没有任何承诺",
    "P105": "缺少承诺事项",
    "P106": "缺少完成期限",
    "P107": "完成期限不在活动期间内",
    "P108": "缺少预期效果",
    "P109": "缺少改正措施",
    "P110": "未填写审核结果",
    "P111": "承诺待审核",
    "P112": "党员编号不在花名册中",
    "P113": "党员不属于本单位",
    "P114": "姓名与花名册不一致",
    "P115": "重复的承诺",
    "P116": "已完成但缺少完成日期",
    "P117": "完成日期晚于统计日期",
    "P118": "缺少承诺类型",
    "P119": "缺少党员编号",
    "P120": "有完成日期但完成情况不是已完成",
    # fulfilment tracking
    "T101": "已审核通过的承诺内容被修改",
    "T102": "履诺记实对应的承诺不存在",
    "T103": "履诺记实的党员不属于本单位",
    "T110": "统计日期不在活动期间内",
    # fulfilment plans
    "M101": "履诺计划对应的承诺不存在",
    "M102": "计划完成时间晚于承诺完成期限",
    "M103": "承诺已完成但仍有未完成的计划步骤",
    "M104": "缺少履诺计划表（旧版模板）",
    "M105": "履诺计划步骤缺少计划完成时间",
    # assessment
    "E101": "考核评价表无法识别单位",
    "E102": "票数不是非负整数",
    "E103": "票数超过参评人数",
    "E104": "党员不在花名册或不属于本单位",
    "E105": "述职情况不正确",
    "E106": "领导小组调整等次但未写理由",
    "E107": "领导小组意见中的等次不正确",
    "E108": "参评人数未填写，按评议票数之和计算",
    "E109": "同一党员在考核评价表中有多行",
    "E110": "单位没有报回考核评价表",
    "E111": "不是考核评价表",
    "E112": "领导小组意见中的党员或单位不在评价结果中",
    "E113": "党员没有填写述职和评议票数",
    "E114": "好等次比例上限处得分并列",
    "E115": "考核评价表中的姓名与花名册不一致",
    "E116": "单位测评表没有填写",
    "E117": "承诺表进度早于履诺阶段结束，未更新",
    "E118": "统计日期早于考核评价阶段，结果只是试算",
    "E119": "单位未报送承诺表，暂不评定",
}


def title(code: str) -> str:
    return CODES.get(code, "")


def readme_table() -> str:
    rows = ["| code | 说明 |", "| --- | --- |"] + [f"| `{c}` | {t} |" for c, t in CODES.items()]
    return "\n".join(rows)


def update_readme(path: str = "README.md") -> None:
    """Rewrite the code table between the README's ``codes:start``/``codes:end`` markers."""
    import re
    from pathlib import Path

    p = Path(path)
    text = p.read_text(encoding="utf-8")
    block = f"<!-- codes:start -->\n{readme_table()}\n<!-- codes:end -->"
    p.write_text(
        re.sub(r"<!-- codes:start -->.*<!-- codes:end -->", lambda _: block, text, flags=re.S),
        encoding="utf-8",
    )


if __name__ == "__main__":
    import sys

    if "--readme" in sys.argv:
        update_readme()
    else:
        print(readme_table())
