"""The official documents in Word (通报.docx, 支部通报/, 公示, 表彰通报), read back with
python-docx: GB/T 9704-2012 page and fonts, 文号 from the settings and the register,
主送, 附件, 落款; their figures equal the ledger's 汇总; the register numbers bulletins in
the order issued."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import re
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from pipeline.cli import main
from pipeline.core.errors import SettingsError
from pipeline.core.settings import parse_settings
from pipeline.outputs.bulletin_docx import RANKING_HEADER
from pipeline.outputs.documents import (
    KIND_BULLETIN,
    REGISTER_DIR,
    REGISTER_FILE,
    DocumentError,
    Register,
    document_settings,
)
from pipeline.outputs.official import PPR_ORDER, TBLPR_ORDER, cn_numeral_date, cn_ordinal
from pipeline.outputs.template import Fill
from pipeline.rules.status import COMPLETED, TRACKED
from tests.builders import d, deed, fault, load, make_inputs, org, settings_dict, write_return
from tests.demo_project import DEMO_AS_OF, DemoProject, copy_project
from tests.html_check import parse

AS_OF = "2026-11-20"
EMU_TOLERANCE = Mm(0.2)


def cli(inputs: Path, outputs: Path, *args: str) -> int:
    return main(["--inputs", str(inputs), "--outputs", str(outputs), "--quiet", *args])


def east_asian(style_or_run: object) -> str | None:
    rpr = style_or_run.element.rPr  # type: ignore[attr-defined]
    fonts = rpr.find(qn("w:rFonts")) if rpr is not None else None
    return None if fonts is None else fonts.get(qn("w:eastAsia"))


def texts(doc: DocxDocument) -> list[str]:
    return [p.text for p in doc.paragraphs]


def ledger_summary(out: Path) -> dict[str, dict[str, object]]:
    ws = openpyxl.load_workbook(out / "台账.xlsx", read_only=True)["汇总"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    header = list(rows[0])
    return {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:] if r[0] and str(r[0]).startswith("D")}


def ledger_total(out: Path) -> dict[str, object]:
    ws = openpyxl.load_workbook(out / "台账.xlsx", read_only=True)["汇总"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    (total,) = [r for r in rows[1:] if r[0] == "合计"]
    return dict(zip(rows[0], total, strict=True))


def ledger_sheets(out: Path) -> dict[str, list[dict[str, object]]]:
    wb = openpyxl.load_workbook(out / "台账.xlsx", read_only=True)
    sheets = {}
    for name in ("党员承诺", "组织承诺"):
        rows = list(wb[name].iter_rows(values_only=True))
        sheets[name] = [dict(zip(rows[0], r, strict=True)) for r in rows[1:] if r[0]]
    return sheets


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, demo_documents: DemoProject) -> tuple[Path, Path]:
    """The demo after consolidate, (overdue,) bulletin and notice on AS_OF; a copy of the
    session's, for this module writes into it (ratings)."""
    assert AS_OF == DEMO_AS_OF
    project = copy_project(demo_documents, tmp_path_factory.mktemp("documents"))
    return project.inputs, project.outputs


def test_bulletin_page_and_fonts_follow_gbt_9704(demo: tuple[Path, Path]) -> None:
    _, outputs = demo
    doc = Document(str(outputs / AS_OF / "通报.docx"))
    sec = doc.sections[0]
    for got, mm in (
        (sec.page_width, 210),
        (sec.page_height, 297),
        (sec.top_margin, 37),
        (sec.bottom_margin, 35),
        (sec.left_margin, 28),
        (sec.right_margin, 26),
    ):
        assert abs(got - Mm(mm)) <= EMU_TOLERANCE, (got, mm)
    normal = doc.styles["Normal"]
    assert east_asian(normal) == "仿宋_GB2312" and normal.font.size == Pt(16)
    assert 28 <= normal.paragraph_format.line_spacing.pt <= 29  # fixed, 22 lines a page
    title = next(p for p in doc.paragraphs if p.text.startswith("关于公开承诺履诺情况的通报"))
    assert east_asian(title.style) == "方正小标宋简体" and title.style.font.size == Pt(22)
    assert title.text == "关于公开承诺履诺情况的通报（第1期）"
    h1 = [p for p in doc.paragraphs if re.match(r"[一二三四五六七八九十]+、", p.text)]
    assert h1 and all(east_asian(p.style) == "黑体" for p in h1)
    h2 = [p for p in doc.paragraphs if re.match(r"（[一二三四五六七八九十]+）", p.text)]
    assert h2 and all(east_asian(p.style) == "楷体_GB2312" for p in h2)
    # page numbers "— N —" from a PAGE field, odd and even pages
    assert doc.settings.odd_and_even_pages_header_footer
    for footer in (sec.footer, sec.even_page_footer):
        xml = footer._element.xml
        assert (
            "PAGE" in xml
            and footer.paragraphs[0].text.startswith("— ")
            and footer.paragraphs[0].text.endswith(" —")
        )


def test_bulletin_masthead_number_addressee_annexes_and_date(demo: tuple[Path, Path]) -> None:
    _, outputs = demo
    doc = Document(str(outputs / AS_OF / "通报.docx"))
    lines = texts(doc)
    assert lines[0] == "中共益都卫生学校委员会文件"  # 发文机关标志 from [documents].issuer
    masthead_run = doc.paragraphs[0].runs[0]
    assert str(masthead_run.font.color.rgb) != "000000"  # printed in red
    assert "益卫校党发〔2026〕1号" in lines  # 文号 = prefix + the register's first number
    assert "各党支部：" in lines  # 主送
    assert any(t.startswith("附件：1．各单位履诺情况统计表") for t in lines)
    annexes = [p for p in doc.paragraphs if re.fullmatch(r"附件\d", p.text)]
    assert [p.text for p in annexes] == ["附件1", "附件2", "附件3"]
    assert all(p.paragraph_format.page_break_before for p in annexes)  # each on a new page
    assert "中共益都卫生学校委员会" in lines and "二〇二六年十一月二十日" in lines  # 落款 and 成文日期
    for t in doc.tables:  # header row repeated on every page, rows never split
        first = t.rows[0]._tr.trPr
        assert first is not None and first.find(qn("w:tblHeader")) is not None
        assert all(r._tr.trPr.find(qn("w:cantSplit")) is not None for r in t.rows)


def test_every_docx_keeps_the_schema_order(demo: tuple[Path, Path]) -> None:
    """Word refuses a file whose w:pPr / w:tblPr children are out of the schema's order."""
    _, outputs = demo
    out = outputs / AS_OF
    paths = [out / "通报.docx", out / "公示_承诺事项.docx", *sorted((out / "支部通报").glob("*.docx"))]
    for path in paths:
        doc = Document(str(path))
        parts = [doc.element, doc.styles.element, doc.sections[0].footer._element]
        for part in parts:
            for tag, order in (("w:pPr", PPR_ORDER), ("w:tblPr", TBLPR_ORDER)):
                rank = {qn(t): i for i, t in enumerate(order)}
                for el in part.iter(qn(tag)):
                    seen = [rank[c.tag] for c in el if c.tag in rank]
                    assert seen == sorted(seen), (path.name, tag, [c.tag for c in el])
        layouts = [t._tbl.tblPr.findall(qn("w:tblLayout")) for t in doc.tables]
        assert all(len(x) == 1 and x[0].get(qn("w:type")) == "fixed" for x in layouts)


def test_bulletin_numbers_equal_the_ledger(demo: tuple[Path, Path]) -> None:
    _, outputs = demo
    out = outputs / AS_OF
    ledger = ledger_summary(out)
    total = ledger_total(out)
    reported = {k: v for k, v in ledger.items() if v["是否报送"] == "是"}
    doc = Document(str(out / "通报.docx"))
    body = "".join(texts(doc))
    assert (
        f"跟踪中承诺）共{total['跟踪中承诺']}项，其中按期完成{total['按期完成']}项、逾期完成{total['逾期完成']}项，"
        f"完成合计{total['完成合计']}项，完成率{float(total['完成率']) * 100:.1f}%" in body  # type: ignore[arg-type]
    )
    assert f"逾期未完成{total['逾期未完成']}项" in body
    ranking, overdue_table = doc.tables[0], doc.tables[1]
    header = [c.text.replace("\n", "") for c in ranking.rows[0].cells]  # long headers on two lines
    assert header == list(RANKING_HEADER)
    names = {v["单位名称"]: k for k, v in reported.items()}
    branch_rates = []
    seen = set()
    for row in ranking.rows[1:]:
        if len({c._tc for c in row.cells}) == 1:  # a label row (党委 apart, 全校)
            continue
        cells = dict(zip(header, (c.text for c in row.cells), strict=True))
        led = total if cells["单位"] == "合计" else reported[names[cells["单位"]]]
        for col in ("跟踪中承诺", "按期完成", "逾期完成", "完成合计", "逾期未完成"):
            assert int(cells[col]) == led[col], (cells["单位"], col)
        assert cells["完成率"] == f"{float(led['完成率']) * 100:.1f}%"  # type: ignore[arg-type]
        if cells["单位"] != "合计":
            seen.add(cells["单位"])
            assert cells["包靠领导"] == led["包靠领导"]
            if cells["名次"] != "—":
                branch_rates.append(led["完成率"])
            else:
                assert led["单位类型"] == "党委"  # the committee is never ranked among branches
    assert seen == set(names) and branch_rates == sorted(branch_rates, reverse=True)
    # one row per overdue pledge, plus one label row per unit with any
    items = [r for r in overdue_table.rows[1:] if len({c._tc for c in r.cells}) > 1]
    assert len(items) == total["逾期未完成"]
    assert [int(r.cells[0].text) for r in items] == list(range(1, len(items) + 1))


def test_branch_bulletins_equal_their_row_in_the_summary(demo: tuple[Path, Path]) -> None:
    _, outputs = demo
    out = outputs / AS_OF
    ledger = ledger_summary(out)
    ledger_pledges = ledger_sheets(out)
    folder = out / "支部通报"
    docs = sorted(folder.glob("*.docx"))
    # every reporting unit with members; the committee (no members of its own) gets none
    expected = {k for k, v in ledger.items() if v["是否报送"] == "是" and int(v["党员人数"]) > 0}  # type: ignore[call-overload]
    assert {p.name.split("_", 1)[0] for p in docs} == expected
    assert {p.with_suffix(".html").name for p in docs} == {p.name for p in folder.glob("*.html")}
    for path in docs:
        code = path.name.split("_", 1)[0]
        row = ledger[code]
        doc = Document(str(path))
        body = "".join(texts(doc))
        assert "本支部全体党员：" in texts(doc)
        assert (
            f"本支部跟踪中承诺{row['跟踪中承诺']}项，其中按期完成{row['按期完成']}项、逾期完成{row['逾期完成']}项，"
            f"完成合计{row['完成合计']}项，完成率{float(row['完成率']) * 100:.1f}%" in body  # type: ignore[arg-type]
        )
        assert f"逾期未完成{row['逾期未完成']}项" in body
        members = doc.tables[0]
        per_member = [[c.text for c in r.cells] for r in members.rows[1:]]
        assert len(per_member) == int(row["党员人数"])  # type: ignore[call-overload]
        mine = [r for r in ledger_pledges["党员承诺"] if r["单位编码"] == code and r["状态"] in TRACKED]
        assert sum(int(m[2]) for m in per_member) == len(mine)
        assert sum(int(m[5]) for m in per_member) == sum(r["状态"] in COMPLETED for r in mine)
        org_overdue = sum(
            1
            for t in doc.tables[1:]
            for r in t.rows[1:]
            if len(r.cells) == 6 and r.cells[2].text == "组织承诺"
        )
        member_overdue = sum(int(m[6]) for m in per_member)
        assert member_overdue + org_overdue == row["逾期未完成"]  # every overdue item is listed once
        html = parse((path.with_suffix(".html")).read_text(encoding="utf-8"))
        (fig,) = html.find("b", **{"data-figure": "跟踪中承诺"})
        assert int(fig.text()) == row["跟踪中承诺"]


def test_branch_member_ranking_by_hand(tmp_path: Path) -> None:
    """王建国 2 of 2 done, 李秀英 1 of 2 (one overdue), 张伟 no pledge: ranked 1, 2, —."""
    inputs = make_inputs(tmp_path)
    s, roster = load(inputs)
    rows = [
        deed("010001", "王建国", "事一", progress="已完成", done_on=d(10, 1)),
        deed("010001", "王建国", "事二", progress="已完成", done_on=d(10, 2)),
        deed("010002", "李秀英", "事三", progress="已完成", done_on=d(10, 3)),
        fault("010002", "李秀英", "缺点", deadline=d(10, 10), progress="进行中"),
    ]
    for i, r in enumerate(rows, start=1):
        r["seq"] = i
    orgs = [dict(org(f"组织{i}"), seq=i) for i in range(1, 4)]
    write_return(
        inputs, s, roster, "D01", Fill(member_rows=rows, org_rows=orgs), mtime=dt.datetime(2026, 10, 20)
    )
    outputs = tmp_path / "outputs"
    assert cli(inputs, outputs, "bulletin", "--as-of", "2026-10-20") == 0
    (path,) = (outputs / "2026-10-20" / "支部通报").glob("D01_*.docx")
    doc = Document(str(path))
    table = [[c.text for c in r.cells] for r in doc.tables[0].rows[1:]]
    assert table == [
        ["1", "王建国", "2", "2", "0", "2", "0", "100.0%"],
        ["2", "李秀英", "2", "1", "0", "1", "1", "50.0%"],
        ["—", "张伟", "0", "0", "0", "0", "0", "—"],
    ]
    body = "".join(texts(doc))
    assert "有逾期未完成承诺的党员1名：李秀英（1项）" in body
    assert "承诺全部完成的党员：王建国" in body
    assert doc.tables[1].rows[1].cells[3].text == "缺点"


def register_rows(outputs: Path) -> list[dict[str, str]]:
    text = (outputs / REGISTER_DIR / REGISTER_FILE).read_text(encoding="utf-8-sig")
    return list(csv.DictReader(text.splitlines()))


def bulletin_title(outputs: Path, as_of: str) -> tuple[str, str]:
    doc = Document(str(outputs / as_of / "通报.docx"))
    lines = texts(doc)
    number = next(t for t in lines if t.endswith("号") and "〔" in t)
    title = next(t for t in lines if t.startswith("关于公开承诺履诺情况的通报"))
    return title, number


def test_register_numbers_in_the_order_issued(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path)
    outputs = tmp_path / "outputs"
    assert cli(inputs, outputs, "bulletin", "--as-of", "2026-10-20") == 0
    assert cli(inputs, outputs, "bulletin", "--as-of", "2026-11-03") == 0
    assert bulletin_title(outputs, "2026-10-20") == (
        "关于公开承诺履诺情况的通报（第1期）",
        "益卫校党发〔2026〕1号",
    )
    assert bulletin_title(outputs, "2026-11-03") == (
        "关于公开承诺履诺情况的通报（第2期）",
        "益卫校党发〔2026〕2号",
    )
    # re-issuing the first date keeps its number
    assert cli(inputs, outputs, "bulletin", "--as-of", "2026-10-20") == 0
    assert bulletin_title(outputs, "2026-10-20")[0].endswith("（第1期）")
    # an earlier date issued later gets the next number and says why
    assert cli(inputs, outputs, "bulletin", "--as-of", "2026-10-06") == 0
    title, number = bulletin_title(outputs, "2026-10-06")
    assert title.endswith("（第3期）") and number == "益卫校党发〔2026〕3号"
    body = "".join(texts(Document(str(outputs / "2026-10-06" / "通报.docx"))))
    assert "早于已印发的第1期（统计截止2026年10月20日），系补发" in body
    html = (outputs / "2026-10-06" / "通报.html").read_text(encoding="utf-8")
    assert "系补发" in html and "益卫校党发〔2026〕3号" in html
    rows = register_rows(outputs)
    assert [(r["期号"], r["统计截止"], r["发文字号"]) for r in rows] == [
        ("1", "2026-10-20", "益卫校党发〔2026〕1号"),
        ("2", "2026-11-03", "益卫校党发〔2026〕2号"),
        ("3", "2026-10-06", "益卫校党发〔2026〕3号"),
    ]
    assert rows[0]["首次生成"] <= rows[0]["最近生成"]
    # --issue N still overrides, and is remembered for that date
    assert cli(inputs, outputs, "bulletin", "--as-of", "2026-11-10", "--issue", "9") == 0
    assert bulletin_title(outputs, "2026-11-10")[0].endswith("（第9期）")
    assert cli(inputs, outputs, "bulletin", "--as-of", "2026-11-10") == 0
    assert bulletin_title(outputs, "2026-11-10")[0].endswith("（第9期）")
    assert cli(inputs, outputs, "bulletin", "--as-of", "2026-11-17") == 0
    assert bulletin_title(outputs, "2026-11-17")[0].endswith("（第10期）")


def test_register_survives_excel_and_refuses_garbage(tmp_path: Path) -> None:
    s = parse_settings(settings_dict())
    ds = document_settings(s)
    reg = Register.open(tmp_path)
    first = reg.assign(KIND_BULLETIN, dt.date(2026, 10, 20), ds, "t1")
    reg.record(first)
    path = tmp_path / REGISTER_DIR / REGISTER_FILE
    # Excel re-saves a CSV in the local code page with dates as 2026/10/20; a hand-corrected 文号 is kept
    text = path.read_text(encoding="utf-8-sig").replace("2026-10-20", "2026/10/20").replace("1号", "15号")
    path.write_bytes(text.encode("gb18030"))
    again = Register.open(tmp_path)
    same = again.assign(KIND_BULLETIN, dt.date(2026, 10, 20), ds, "t1")
    assert not same.new and same.entry.issue == 1 and same.entry.number == "益卫校党发〔2026〕15号"
    nxt = again.assign(KIND_BULLETIN, dt.date(2026, 10, 27), ds, "t2")
    assert nxt.new and nxt.entry.issue == 2 and nxt.entry.seq == 2
    path.write_text("文种,期号\n通报,x\n", encoding="utf-8")
    with pytest.raises(DocumentError, match="缺少列"):
        Register.open(tmp_path)
    path.write_text("文种,期号,顺序号,发文字号,统计截止\n通报,一,1,x,2026-10-20\n", encoding="utf-8")
    with pytest.raises(DocumentError, match="第 2 行"):
        Register.open(tmp_path)


def test_broken_register_stops_the_bulletin_with_a_chinese_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = make_inputs(tmp_path)
    outputs = tmp_path / "outputs"
    reg = outputs / REGISTER_DIR / REGISTER_FILE
    reg.parent.mkdir(parents=True)
    reg.write_text("随便写的\n", encoding="utf-8")
    assert cli(inputs, outputs, "bulletin", "--as-of", "2026-10-20") == 2
    err = capsys.readouterr().err
    assert "发文登记表" in err and "缺少列" in err
    assert not (outputs / "2026-10-20" / "通报.docx").exists()
    assert reg.read_text(encoding="utf-8") == "随便写的\n"  # never overwritten


def test_document_settings_defaults_and_errors() -> None:
    raw = copy.deepcopy(settings_dict())
    raw.pop("documents", None)
    ds = document_settings(parse_settings(raw))  # an older campaign.toml still works
    assert ds.issuer == "中共益都卫生学校委员会文件" and ds.number_prefix == "党发〔2026〕"
    assert ds.addressee == "各党支部" and ds.signer == raw["campaign"]["organisation"] and ds.notice_days == 5
    raw["documents"] = {"number_prefix": "校发〔{year}〕", "number_start": 12}
    ds = document_settings(parse_settings(raw))
    assert ds.number_prefix == "校发〔2026〕" and ds.number_start == 12
    reg = Register(Path("/nonexistent"))
    assert reg.assign(KIND_BULLETIN, dt.date(2026, 10, 1), ds).entry.number == "校发〔2026〕12号"
    raw["documents"] = {"number_start": "十二"}
    with pytest.raises(SettingsError, match=r"documents\.number_start"):
        document_settings(parse_settings(raw))


def test_chinese_numerals() -> None:
    assert cn_numeral_date(dt.date(2026, 11, 20)) == "二〇二六年十一月二十日"
    assert cn_numeral_date(dt.date(2010, 9, 15)) == "二〇一〇年九月十五日"
    assert cn_numeral_date(dt.date(2026, 10, 1)) == "二〇二六年十月一日"
    assert cn_numeral_date(dt.date(2026, 12, 31)) == "二〇二六年十二月三十一日"
    assert [cn_ordinal(n) for n in (1, 7, 10, 11, 20, 23)] == ["一", "七", "十", "十一", "二十", "二十三"]


def test_pledge_notice_docx_lists_every_approved_pledge(demo: tuple[Path, Path]) -> None:
    _, outputs = demo
    out = outputs / AS_OF
    ws = openpyxl.load_workbook(out / "公示_承诺事项.xlsx", read_only=True)["公示"]
    rows = [r for r in ws.iter_rows(min_row=3, values_only=True) if any(r)]
    n_org = sum(1 for r in rows if "组织承诺" in r)
    doc = Document(str(out / "公示_承诺事项.docx"))
    lines = texts(doc)
    assert lines[0] == "2026年创先争优活动公开承诺事项公示"
    assert not any("〔" in t for t in lines)  # posted, not sent: no 文号
    orgs, members = doc.tables

    def items(t: object) -> int:
        return sum(1 for r in t.rows[1:] if len({c._tc for c in r.cells}) > 1)  # type: ignore[attr-defined]

    assert items(orgs) == n_org and items(members) == len(rows) - n_org
    assert "公示期为5个工作日" in "".join(lines) and "学校活动办公室" in lines
    html = (out / "公示_承诺事项.html").read_text(encoding="utf-8")
    (line,) = [t for t in lines if t.startswith("本次公示经审核通过的承诺")]  # the HTML's own line
    assert line in html and f"承诺 {len(rows)} 项" in line


def test_rating_documents_and_commendation(demo: tuple[Path, Path]) -> None:
    inputs, outputs = demo
    as_of = "2026-12-05"
    assert cli(inputs, outputs, "ratings", "--as-of", as_of) == 0
    out = outputs / as_of
    wb = openpyxl.load_workbook(out / "评价结果.xlsx", read_only=True)
    commended = [r for r in wb["表彰名单"].iter_rows(min_row=2, values_only=True) if r[0]]
    units = [r[1] for r in commended if r[0] == "先进基层党组织"]
    people = sorted(r[2] for r in commended if r[0] == "优秀共产党员")
    doc = Document(str(out / "表彰通报.docx"))
    lines = texts(doc)
    assert lines[0] == "中共益都卫生学校委员会文件" and "各党支部：" in lines
    assert "益卫校党发〔2026〕2号" in lines  # the next 顺序号 after the bulletin's 1号
    tables = {t.rows[0].cells[1].text: t for t in doc.tables}  # by their second header
    unit_rows = tables["党组织"].rows[1:] if "党组织" in tables else []
    assert [r.cells[1].text for r in unit_rows] == units
    assert sorted(n for r in tables["单位"].rows[1:] for n in r.cells[2].text.split("、")) == people
    counted = "和".join(x for x in (f"{len(units)}个党组织" if units else "", f"{len(people)}名党员") if x)
    assert f"{counted}考核评价为“好”等次" in "".join(lines)
    rows = register_rows(outputs)
    assert [(r["文种"], r["期号"]) for r in rows] == [("通报", "1"), ("表彰通报", "1")]
    # the notice in Word lists the same names and grades as the HTML notice
    notice = Document(str(out / "公示_考核结果.docx"))
    in_docx = sorted(
        (r.cells[k].text, r.cells[k + 1].text)
        for t in notice.tables
        for r in t.rows[1:]
        if len({c._tc for c in r.cells}) > 1
        for k in range(0, len(r.cells), 2)
        if r.cells[k].text and r.cells[k].text != "（无党员）"
    )
    html = parse((out / "公示_考核结果.html").read_text(encoding="utf-8"))
    in_html = sorted(
        (tds[1].text(), tds[2].text()) for tr in html.find("tr") if len(tds := tr.find("td")) == 3
    )
    assert in_docx == in_html and in_docx
    body = "".join(texts(notice))
    n = {g: sum(1 for _, x in in_html if x == g) for g in ("好", "较好", "一般", "差")}
    assert (
        f"参加考核评价的党员{len(in_html)}名，其中" + "、".join(f"“{g}”{k}名" for g, k in n.items() if k)
        in body
    )


def test_command_names_match_the_job() -> None:
    from pipeline.cli import bulletin as cmd
    from pipeline.jobs import bulletin as job

    assert (cmd.BULLETIN_FILE, cmd.BULLETIN_DOCX) == (job.BULLETIN_FILE, job.BULLETIN_DOCX)
    assert f"{REGISTER_DIR}/{REGISTER_FILE}" == cmd.REGISTER


def test_every_document_has_the_blank_documents_styles(tmp_path: Path) -> None:
    """A document is opened without its styles parts and saved with the blank's own put
    back (pipeline.outputs.official._light_blank): the saved file has the blank's parts,
    every one readable, and python-docx finds the styles by name."""
    import io
    import zipfile

    from pipeline.outputs.official import STYLE_BODY, STYLE_TABLE, OfficialDocument, _blank_document

    d = OfficialDocument()
    d.para("正文")
    d.table(["甲", "乙"], [["1", "2"]], [60, 60])
    path = tmp_path / "x.docx"
    d.save(path)
    with zipfile.ZipFile(io.BytesIO(_blank_document()[0])) as blank, zipfile.ZipFile(path) as saved:
        assert saved.testzip() is None
        assert sorted(saved.namelist()) == sorted(blank.namelist())
        for name in blank.namelist():
            if name != "word/document.xml":
                assert saved.read(name) == blank.read(name), name
    doc = Document(str(path))
    assert doc.styles[STYLE_BODY] is not None and doc.styles[STYLE_TABLE] is not None
    assert "正文" in texts(doc)


def test_the_blank_document_kept_between_runs(tmp_path: Path) -> None:
    """use_cache keeps the prepared blank in the outputs' cache: a document made from the
    kept one has the same parts; an edited or truncated entry is rebuilt, not used."""
    import zipfile

    from pipeline.outputs import official as O

    def made(name: str) -> dict[str, bytes]:
        d = O.OfficialDocument()
        d.para("正文")
        d.table(["甲", "乙"], [["1", "2"]], [60, 60])
        d.save(tmp_path / name)
        with zipfile.ZipFile(tmp_path / name) as z:
            return {n: z.read(n) for n in z.namelist()}

    try:
        O.use_cache(None)
        fresh = made("fresh.docx")
        O.use_cache(tmp_path / ".cache")
        assert made("stored.docx") == fresh
        (entry,) = (tmp_path / ".cache" / O.BLANK_DIR).glob("blank-*.json")
        O.use_cache(tmp_path / ".cache")  # a new process: loads the entry
        assert made("kept.docx") == fresh
        for broken in (
            entry.read_bytes()[:-50],
            entry.read_bytes().replace(b'"light": "', b'"light": "AAAA'),
        ):
            entry.write_bytes(broken)
            O.use_cache(tmp_path / ".cache")
            assert made("rebuilt.docx") == fresh
    finally:
        O.use_cache(None)
