"""The demo mailbox (``pledge demo-mail``): the demo returns as the branches would e-mail them.

Every workbook of the demo campaign (``inputs/returns/<year>-09`` and ``-11``, see
:mod:`pipeline.tooling.demo`) becomes a message from its unit's address (the roster's
单位邮箱, else ``[mail.addresses]``), dated in September or November, in the shape of
a common client (:mod:`pipeline.tooling.mail_shapes`). On top:

- D01's November file is sent again, forwarded inside another message (the same bytes:
  kept once);
- D02's November file and the Word file named .xlsx come in one ``.zip`` with GBK names;
- D05's November file is renamed by its secretary (``承诺表（修改稿）.xlsx``) and comes
  with a photo (listed, not saved);
- a stranger's reply without attachment (a notice naming the sender).

The messages are written newest first (as some exports are), so nothing but their dates
orders the versions. The result is one ``.mbox`` file, for ``fetch-mail --from`` or to
load into an IMAP server (the tests do).
"""

from __future__ import annotations

import datetime as dt
import mailbox
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.settings import load_settings
from pipeline.infra.atomic import atomic_path
from pipeline.rules.roster import load_roster
from pipeline.tooling import mail_shapes as S

CST = dt.timezone(dt.timedelta(hours=8), "CST")
OFFICE = "hdb@example.edu.cn"
STRANGER = "zhangsan1987@qq.com"
MBOX_NAME = "演示邮箱.mbox"


@dataclass(frozen=True)
class DemoMessage:
    raw: bytes
    when: dt.datetime
    sender: str
    client: str
    files: tuple[str, ...]  # returns-relative paths of the demo files it carries


def _when(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=CST)


def demo_messages(inputs: Path) -> list[DemoMessage]:
    s = load_settings(inputs)
    roster = load_roster(inputs)
    emails = roster.with_addresses(s.mail.addresses)
    y = s.year
    returns = inputs / "returns"

    def addr(code: str) -> str:
        got = emails.get(code)
        return got[0] if got else f"{code.lower()}@example.edu.cn"

    def secretary(code: str) -> str:
        return roster.secretary_of(code) or roster.unit_name(code)

    def one(rel: str) -> tuple[str, bytes]:
        path = returns / rel
        return path.name, path.read_bytes()

    out: list[DemoMessage] = []
    sept = sorted(p.relative_to(returns).as_posix() for p in (returns / f"{y}-09").glob("*.xlsx"))
    clients = ["foxmail", "qq", "netease", "outlook", "raw_gbk"]
    for i, rel in enumerate(sept):
        code = rel.split("/")[-1].split("_")[0]
        when = _when(y, 9, 5 + i // 2, 9 + i, 12 + i)
        client = clients[i % len(clients)]
        raw = S.CLIENTS[client](
            addr(code), secretary(code), OFFICE, f"{roster.unit_name(code)}公开承诺事项表", when, [one(rel)]
        )
        out.append(DemoMessage(raw, when, addr(code), client, (rel,)))
    nov = f"{y}-11"
    by_code = {
        p.name.split("_")[0]: f"{nov}/{p.name}" for p in (returns / nov).glob("D*.xlsx") if p.name[:1] == "D"
    }
    plan = [("D00", "outlook", 16, 10), ("D01", "qq", 17, 9), ("D03", "netease", 18, 15)]
    for code, client, day, hour in plan:
        if code in by_code:
            when = _when(y, 11, day, hour, 5)
            raw = S.CLIENTS[client](
                addr(code),
                secretary(code),
                OFFICE,
                f"{roster.unit_name(code)}承诺表（11月更新）",
                when,
                [one(by_code[code])],
            )
            out.append(DemoMessage(raw, when, addr(code), client, (by_code[code],)))
    copy = f"{nov}/回复：第一支部承诺表.xlsx"
    if (returns / copy).is_file():
        inner_when = _when(y, 11, 18, 8, 40)
        inner = S.qq(addr("D01"), secretary("D01"), OFFICE, "回复：第一支部承诺表", inner_when, [one(copy)])
        when = _when(y, 11, 18, 16, 20)
        raw = S.forward(addr("D01"), secretary("D01"), OFFICE, "转发：回复：第一支部承诺表", when, inner)
        out.append(DemoMessage(raw, when, addr("D01"), "forward", (copy,)))
    word = f"{nov}/第二支部承诺事项说明.xlsx"
    if "D02" in by_code:
        members = [one(by_code["D02"])] + ([one(word)] if (returns / word).is_file() else [])
        zipped = S.gbk_zip([(f"第二支部/{n}", d) for n, d in members])
        when = _when(y, 11, 17, 11, 30)
        raw = S.foxmail(
            addr("D02"),
            secretary("D02"),
            OFFICE,
            "第二支部11月承诺表（压缩包）",
            when,
            [("第二支部报送材料.zip", zipped)],
        )
        out.append(DemoMessage(raw, when, addr("D02"), "foxmail+zip", (by_code["D02"], word)))
    if "D05" in by_code:
        _, data = one(by_code["D05"])
        when = _when(y, 11, 18, 17, 45)
        raw = S.foxmail(
            addr("D05"),
            secretary("D05"),
            OFFICE,
            "承诺表修改稿",
            when,
            [("承诺表（修改稿）.xlsx", data), ("活动照片.jpg", S.PNG)],
        )
        out.append(DemoMessage(raw, when, addr("D05"), "foxmail", (by_code["D05"],)))
    when = _when(y, 11, 19, 8, 0)
    out.append(
        DemoMessage(S.netease(STRANGER, "张三", OFFICE, "收到", when, []), when, STRANGER, "netease", ())
    )
    return sorted(out, key=lambda m: m.when, reverse=True)


def write_mbox(messages: list[DemoMessage], path: Path) -> Path:
    """All messages in one mbox file (written whole through a temporary file)."""
    with atomic_path(path) as tmp:
        box = mailbox.mbox(tmp, create=True)
        try:
            for m in messages:
                box.add(m.raw)
            box.flush()
        finally:
            box.close()
    return path


def build_demo_mailbox(inputs: Path, folder: Path) -> Path:
    return write_mbox(demo_messages(inputs), folder / MBOX_NAME)
