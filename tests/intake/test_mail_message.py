"""Messages as the common clients send them -> workbooks, other attachments, problems."""

from __future__ import annotations

import datetime as dt
import email.policy
import io
import zipfile
from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.intake.filecheck import Caps
from pipeline.intake.mail.message import Limits, parse_message
from pipeline.intake.mail.names import decode_header_text, safe_attachment_name
from pipeline.tooling import mail_shapes as S

WHEN = dt.datetime(2026, 9, 5, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
BOOK = b"PK\x03\x04 a workbook's bytes \x00\xff"
# 喆 and 堃 are GBK but not GB2312: Foxmail declares gb2312 and writes them anyway.
NAME = "D01_第一党支部（基础医学教研室）_公开承诺事项表_王喆堃.xlsx"


@pytest.mark.parametrize("client", ["foxmail", "qq", "netease", "outlook", "raw_gbk"])
def test_each_client_shape_gives_the_workbook_under_its_chinese_name(client: str) -> None:
    raw = S.CLIENTS[client](
        "dzb1@example.edu.cn",
        "王喆",
        "hdb@example.edu.cn",
        "报送承诺表（喆）",
        WHEN,
        [(NAME, BOOK), ("说明.docx", b"doc")],
    )
    letter = parse_message(raw)
    assert [(a.name, a.data) for a in letter.workbooks] == [(NAME, BOOK)]
    assert letter.others == ["说明.docx"]
    assert letter.problems == []
    assert letter.sender == "dzb1@example.edu.cn"
    assert letter.sender_name == "王喆"
    assert letter.subject == "报送承诺表（喆）"
    assert letter.received == dt.datetime(2026, 9, 5, 2, 30, tzinfo=dt.UTC)  # the Received header, in UTC


def test_big5_names() -> None:
    raw = S.big5(
        "a@example.tw",
        "陳明",
        "hdb@example.edu.cn",
        "報送承諾表",
        WHEN,
        [("第一黨支部承諾事項表.xlsx", BOOK)],
    )
    letter = parse_message(raw)
    assert [a.name for a in letter.workbooks] == ["第一黨支部承諾事項表.xlsx"]
    assert letter.subject == "報送承諾表"


def test_outlook_inline_image_and_signatures_are_ignored() -> None:
    raw = S.outlook(
        "a@x.cn",
        "王",
        "hdb@x.cn",
        "承诺表",
        WHEN,
        [(NAME, BOOK), ("smime.p7s", b"sig"), ("王明.vcf", b"card")],
    )
    letter = parse_message(raw)
    assert [a.name for a in letter.workbooks] == [NAME]
    assert letter.others == []  # image001.png (inline), the S/MIME signature, the vCard


def test_forwarded_message_rfc822_and_attached_eml() -> None:
    inner = S.qq("dzb2@x.cn", "刘芳", "hdb@x.cn", "第二支部承诺表", WHEN, [("第二支部承诺表.xlsx", BOOK)])
    letter = parse_message(S.forward("dzb2@x.cn", "刘芳", "hdb@x.cn", "转发：第二支部承诺表", WHEN, inner))
    assert [(a.name, a.via, a.data) for a in letter.workbooks] == [
        ("第二支部承诺表.xlsx", "转发的邮件", BOOK)
    ]
    # Some clients attach the original as an .eml file (application/octet-stream)
    letter = parse_message(S.foxmail("dzb2@x.cn", "刘芳", "hdb@x.cn", "转发", WHEN, [("原邮件.eml", inner)]))
    assert [(a.name, a.via) for a in letter.workbooks] == [("第二支部承诺表.xlsx", "转发的邮件")]


def test_zip_with_gbk_names_gives_its_workbooks_and_lists_the_rest() -> None:
    z = S.gbk_zip(
        [
            ("第三支部/第三支部承诺表.xlsx", BOOK),
            ("第三支部/活动照片.jpg", b"jpg"),
            ("__MACOSX/._x.xlsx", b"junk"),
        ]
    )
    assert zipfile.ZipInfo  # the names are GBK bytes without the UTF-8 flag:
    assert not any(i.flag_bits & 0x800 for i in zipfile.ZipFile(io.BytesIO(z)).infolist())
    letter = parse_message(S.netease("dzb3@x.cn", "高", "hdb@x.cn", "压缩包", WHEN, [("材料.zip", z)]))
    assert [(a.name, a.data, a.via) for a in letter.workbooks] == [
        ("第三支部承诺表.xlsx", BOOK, "压缩包“材料.zip”")
    ]
    assert letter.others == ["压缩包“材料.zip”中的“第三支部/活动照片.jpg”"]
    utf8 = S.gbk_zip([("承诺表.xlsx", BOOK)], utf8=True)
    assert [
        a.name for a in parse_message(S.qq("a@x.cn", "a", "b@x.cn", "z", WHEN, [("a.zip", utf8)])).workbooks
    ] == ["承诺表.xlsx"]


def test_zip_bomb_and_too_many_members_are_findings_not_crashes() -> None:
    bomb = S.gbk_zip([("炸弹.xlsx", b"\0" * 3_000_000), ("正常承诺表.xlsx", BOOK)])
    letter = parse_message(S.foxmail("a@x.cn", "a", "b@x.cn", "z", WHEN, [("a.zip", bomb)]))
    assert [p.rule for p in letter.problems] == ["F133"]
    assert "炸弹.xlsx" in letter.problems[0].message
    assert [a.name for a in letter.workbooks] == ["正常承诺表.xlsx"]  # the rest is still taken
    many = S.gbk_zip([(f"表{i:02d}.xlsx", BOOK) for i in range(5)])
    letter = parse_message(
        S.foxmail("a@x.cn", "a", "b@x.cn", "z", WHEN, [("a.zip", many)]), Limits(caps=Caps(max_members=3))
    )
    assert [p.rule for p in letter.problems] == ["F133"] and letter.workbooks == []
    letter = parse_message(S.foxmail("a@x.cn", "a", "b@x.cn", "z", WHEN, [("坏.zip", b"PK\x03\x04 broken")]))
    assert [p.rule for p in letter.problems] == ["F138"]


def test_huge_attachment_is_refused_with_the_cap_named() -> None:
    raw = S.qq("a@x.cn", "a", "b@x.cn", "大", WHEN, [("大表.xlsx", b"x" * 5000), ("小表.xlsx", BOOK)])
    letter = parse_message(raw, Limits(max_attachment_bytes=4000))
    assert [p.rule for p in letter.problems] == ["F132"]
    assert "max_attachment_mb" in letter.problems[0].message
    assert [a.name for a in letter.workbooks] == ["小表.xlsx"]


def test_malformed_and_empty_messages() -> None:
    assert [p.rule for p in parse_message(b"\x00\x01 not a message at all").problems] == ["F130"]
    cut = S.foxmail("a@x.cn", "a", "b@x.cn", "截断", WHEN, [("表.xlsx", BOOK)])
    cut = cut[: cut.rindex(b"------=_001_NextPart4_=------") - 2]  # lost its closing boundary
    letter = parse_message(cut)
    assert [a.data for a in letter.workbooks] == [BOOK]
    assert [p.rule for p in letter.problems] == ["F130"]
    letter = parse_message(S.netease("x@qq.com", "张三", "b@x.cn", "收到", WHEN, []))
    assert [p.rule for p in letter.problems] == ["F131"] and letter.workbooks == []


def test_received_time_falls_back_to_date_and_workbook_found_by_type() -> None:
    m = EmailMessage()
    m["From"] = "a@x.cn"
    m["Date"] = "Sat, 05 Sep 2026 18:00:00 +0800"
    m["Subject"] = "无扩展名"
    m.set_content("见附件")
    m.add_attachment(
        BOOK, maintype="application", subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    letter = parse_message(m.as_bytes(policy=email.policy.SMTP))
    assert letter.received == dt.datetime(2026, 9, 5, 10, 0, tzinfo=dt.UTC)
    assert [(a.name, a.data) for a in letter.workbooks] == [("附件.xlsx", BOOK)]


@pytest.mark.parametrize(
    ("sent", "saved"),
    [
        ("..\\..\\Windows\\承诺表.xlsx", "承诺表.xlsx"),
        ("/etc/passwd.xlsx", "passwd.xlsx"),
        ("CON.xlsx", "_CON.xlsx"),
        ("nul.XLSX", "_nul.xlsx"),
        ('第一支部:承诺*表?"<>|.xlsx', "第一支部承诺表.xlsx"),
        ("   .xlsx", "附件.xlsx"),
        ("表\u202e\x07.xlsx", "表.xlsx"),
        ("长" * 300 + ".xlsx", "长" * 80 + ".xlsx"),
    ],
)
def test_saved_names_are_safe_on_windows(sent: str, saved: str) -> None:
    assert safe_attachment_name(sent) == saved


CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
NAMES = st.text(st.one_of(CJK, st.sampled_from("（）_-0123456789ABCabc")), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(name=NAMES, client=st.sampled_from(["foxmail", "qq", "netease", "outlook", "raw_gbk"]))
def test_any_chinese_name_survives_every_client_encoding(name: str, client: str) -> None:
    try:
        gbk = name.encode("gbk")
    except UnicodeEncodeError:
        return  # GBK clients cannot write it
    if client == "raw_gbk" and _also_utf8(gbk):
        return  # undeclared bytes that are valid UTF-8 too: read as UTF-8 (see below)
    raw = S.CLIENTS[client]("a@x.cn", "王", "b@x.cn", name, WHEN, [(f"{name}.xlsx", BOOK)])
    letter = parse_message(raw)
    assert [a.name for a in letter.workbooks] == [f"{name}.xlsx"]
    assert letter.subject == name


def _also_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_undeclared_bytes_valid_in_both_charsets_are_read_as_utf8() -> None:
    # "锛丂" in GBK is EF BC 81 40, which is also UTF-8 for "！@": with no charset declared
    # nothing can tell them apart, and UTF-8 is tried first (real clients that send raw
    # bytes today mostly send UTF-8). Found by the property test above.
    name = "锛丂"
    assert _also_utf8(name.encode("gbk"))
    raw = S.CLIENTS["raw_gbk"]("a@x.cn", "王", "b@x.cn", name, WHEN, [(f"{name}.xlsx", BOOK)])
    assert [a.name for a in parse_message(raw).workbooks] == ["！@.xlsx"]


def test_header_text_mixes_words_and_raw_bytes() -> None:
    assert (
        decode_header_text(
            "=?gb2312?B?" + __import__("base64").b64encode("王喆".encode("gbk")).decode() + "?="
        )
        == "王喆"
    )
    assert decode_header_text("Re: =?utf-8?q?=E6=89=BF=E8=AF=BA?=") == "Re: 承诺"
