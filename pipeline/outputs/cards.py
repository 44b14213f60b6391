"""Pledge desk cards (先锋岗承诺卡): one fold-in-half tent card per roster member.

"组织党员摆放‘共产党员先锋岗’桌签" (亮身份) and, once pledges are approved, the card
also carries them. :func:`card_data` is pure (Consolidation in, cards out); the HTML
comes from ``templates/cards.html.j2`` (autoescaped, print CSS, no script, no network).

Each card has two identical faces; the top face is turned 180° so that, folded along
the dashed line into a tent, each side reads upright. A member's card lists the
approved (审核“通过”) pledges of his or her own unit's workbook: deeds (实事好事) first,
then shortcomings to correct (改正缺点), each with its deadline. A member without
approved pledges (not returned yet, pending review, returned) gets the sign alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.infra.atomic import write_text_atomic
from pipeline.jobs.consolidation import Consolidation
from pipeline.outputs.jinja import render
from pipeline.read import layout as L

TEMPLATE = "cards.html.j2"
SIGN = "共产党员先锋岗"
# Font-size class by the total length of a card's pledge text (the card has fixed size).
DENSITY = ((0, "none"), (70, "l"), (160, "m"), (300, "s"))


@dataclass(frozen=True)
class CardPledge:
    kind: str
    content: str
    deadline: dt.date | None


@dataclass
class Card:
    member_id: str
    name: str
    unit_name: str
    post: str
    category: str
    pledges: list[CardPledge] = field(default_factory=list)

    @property
    def deeds(self) -> list[CardPledge]:
        return [p for p in self.pledges if p.kind != L.KIND_FAULT]

    @property
    def faults(self) -> list[CardPledge]:
        return [p for p in self.pledges if p.kind == L.KIND_FAULT]

    @property
    def density(self) -> str:
        n = sum(len(p.content) for p in self.pledges)
        label = "xs"
        for limit, name in reversed(DENSITY):
            if n <= limit:
                label = name
        return label


def card_data(c: Consolidation) -> list[Card]:
    """One card per roster member, in roster order, with the approved pledges."""
    m = c.members
    approved = m[(m["review"] == L.REVIEW_APPROVED) & (m["content"] != "")] if len(m) else m
    by_key: dict[tuple[str, str], list[CardPledge]] = {}
    for r in approved.itertuples(index=False):
        by_key.setdefault((r.unit_code, r.member_id), []).append(CardPledge(r.kind, r.content, r.deadline))
    cards = []
    for mem in c.roster.members.itertuples(index=False):
        pledges = by_key.get((mem.unit_code, mem.member_id), [])
        pledges = [p for p in pledges if p.kind != L.KIND_FAULT] + [
            p for p in pledges if p.kind == L.KIND_FAULT
        ]
        cards.append(Card(mem.member_id, mem.name, mem.unit_name, mem.post, mem.category, pledges))
    return cards


def render_cards(cards: list[Card], c: Consolidation, per_page: int = 1) -> str:
    if per_page not in (1, 2):
        raise ValueError("per_page must be 1 or 2")
    pages = [cards[i : i + per_page] for i in range(0, len(cards), per_page)]
    return render(
        TEMPLATE,
        pages=pages,
        per_page=per_page,
        sign=SIGN,
        settings=c.settings,
        as_of=c.as_of,
        n_cards=len(cards),
        n_with=sum(1 for x in cards if x.pledges),
    )


def write_cards(c: Consolidation, path: Path, per_page: int = 1) -> list[Card]:
    cards = card_data(c)
    write_text_atomic(path, render_cards(cards, c, per_page))
    return cards
