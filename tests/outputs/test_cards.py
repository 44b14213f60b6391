"""Pledge desk cards (先锋岗承诺卡.html): escaping, approved pledges only, print layout."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.read import layout as L
from tests.builders import ROSTER_ROWS, form_of, good_fill, load, make_inputs, write_return

AS_OF = "2026-10-20"
HOSTILE = "<script>alert(1)</script>"
HOSTILE_POST = '"><img src=x onerror=alert(1)>'
VOID = {"meta", "br", "img", "hr", "input", "link"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    content: list[Node | str] = field(default_factory=list)  # text and elements, in document order

    @property
    def children(self) -> list[Node]:
        return [c for c in self.content if isinstance(c, Node)]

    def find_all(self, cls: str) -> list[Node]:
        out = [self] if cls in self.attrs.get("class", "").split() else []
        for ch in self.children:
            out += ch.find_all(cls)
        return out

    def all_text(self) -> str:
        return "".join(c if isinstance(c, str) else c.all_text() for c in self.content)


class Tree(HTMLParser):
    """A strict little tree builder: fails on unbalanced tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.tags.append((tag, node.attrs))
        self.stack[-1].content.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].content.append(data)


def parse(html: str) -> Tree:
    t = Tree()
    t.feed(html)
    t.close()
    assert [n.tag for n in t.stack] == ["#root"], "unclosed tags"
    return t


def _cards(outputs: Path, inputs: Path, *extra: str) -> str:
    assert (
        main(
            ["--inputs", str(inputs), "--outputs", str(outputs), "--quiet", "cards", "--as-of", AS_OF, *extra]
        )
        == 0
    )
    return (outputs / AS_OF / "先锋岗承诺卡.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("cards")
    rows = [
        *ROSTER_ROWS,
        ("D02", "第二党支部", "党支部", "020003", HOSTILE, "男", HOSTILE_POST, "预备党员", ""),
    ]
    inputs = make_inputs(tmp, rows)
    s, roster = load(inputs)
    fill = good_fill(form_of(roster, "D01"))
    fill.member_rows = [r for r in fill.member_rows if r["member_id"] != "010003"]  # 张伟: nothing
    for r in fill.member_rows:
        if r["member_id"] == "010002":
            r["review"] = L.REVIEW_PENDING  # 李秀英: pending, not on the card
    fill.member_rows[0]["content"] = "为社区老人 <b>免费</b> 量血压 & 讲健康"
    write_return(inputs, s, roster, "D01", fill)
    old = good_fill(form_of(roster, "D02"))  # on template v1, with the hostile member approved
    old.version = 1
    write_return(inputs, s, roster, "D02", old)
    return inputs, tmp / "outputs"


@pytest.fixture(scope="module")
def html(campaign: tuple[Path, Path]) -> str:
    inputs, outputs = campaign
    return _cards(outputs, inputs)


def _by_name(tree: Tree) -> dict[str, Node]:
    out = {}
    for card in tree.root.find_all("card"):
        name = card.find_all("name")[0].all_text()
        out[name] = card
    return out


def test_html_parses_with_one_card_per_member(html: str) -> None:
    tree = parse(html)
    cards = _by_name(tree)
    assert list(cards) == ["王建国", "李秀英", "张伟", "刘芳", "陈磊", HOSTILE]
    for card in cards.values():
        faces = card.find_all("face")
        assert len(faces) == 2 and "top" in faces[0].attrs["class"].split()
        assert [f.find_all("sign")[0].all_text() for f in faces] == ["共产党员先锋岗"] * 2
    assert len(tree.root.find_all("page")) == 6


def test_hostile_names_are_escaped(html: str) -> None:
    assert "<script" not in html.lower() and "<img" not in html.lower() and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;免费&lt;/b&gt; 量血压 &amp; 讲健康" in html
    tree = parse(html)
    assert {t for t, _ in tree.tags} <= {
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "div",
        "strong",
        "br",
        "section",
        "ol",
        "li",
        "span",
    }
    hostile = _by_name(tree)[HOSTILE]
    assert HOSTILE_POST in hostile.find_all("meta")[0].all_text()


def test_pledges_only_once_approved(html: str) -> None:
    cards = _by_name(parse(html))
    wang = cards["王建国"].find_all("bottom")[0]
    items = [li.all_text() for li in wang.find_all("pledges")[0].children]
    assert items == [
        "办实事为社区老人 <b>免费</b> 量血压 & 讲健康（2026年10月31日前）",
        "办实事王建国的实事二（2026年10月31日前）",
        "改缺点王建国的缺点（2026年11月10日前）",
    ]
    assert cards["王建国"].find_all("meta")[0].all_text() == "第一党支部 · 教师"
    for name in ("李秀英", "张伟"):  # pending review / nothing returned: the sign alone
        assert cards[name].find_all("pledges") == []
        assert cards[name].find_all("name")[0].all_text() == name
    assert "李秀英的实事一" not in html
    assert len(cards[HOSTILE].find_all("bottom")[0].find_all("pledges")[0].children) == 3


def test_print_css_and_no_network(html: str) -> None:
    assert re.search(r"@page\s*\{[^}]*size:\s*A4", html)
    assert "rotate(180deg)" in html and "break-after: page" in html and "page-break-after: always" in html
    for banned in ("http://", "https://", "<link", "@import", "url(", "<script"):
        assert banned not in html
    assert all("src" not in attrs and "href" not in attrs for _, attrs in parse(html).tags)


def test_two_cards_per_page(campaign: tuple[Path, Path]) -> None:
    inputs, outputs = campaign
    tree = parse(_cards(outputs, inputs, "--per-page", "2"))
    pages = tree.root.find_all("page")
    assert [len(p.find_all("card")) for p in pages] == [2, 2, 2]
    assert "per2" in tree.root.find_all("per2")[0].attrs["class"]


def test_cards_without_any_return(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path)
    html = _cards(tmp_path / "outputs", inputs)
    tree = parse(html)
    assert len(tree.root.find_all("card")) == 5 and tree.root.find_all("pledges") == []
