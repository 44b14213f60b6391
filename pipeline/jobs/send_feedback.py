"""The feedback-mail job: ``outputs/<AS_OF>/反馈/`` -> one e-mail per unit.

Each unit with a feedback workbook from that day's consolidation gets one message in
Chinese (subject with the unit and the date; body with the counts of errors and notices,
the first problems, what to do and the deadline ``AS_OF + [mail] resubmit_days``), the
workbook attached under its Chinese name (and, with ``attach_branch_ledger``, the unit's
branch ledger). Recipients are the unit's addresses in the roster's 单位邮箱 column.

- default: drafts ``outputs/<AS_OF>/邮件/<单位编码>_<单位名称>_问题反馈.eml``;
- ``send``: also sent over SMTP; ``dry_run``: only lists what would go where.

The sent log ``outputs/邮件发送记录.csv`` has one row per attempt and recipient; a
(feedback SHA-256, recipient) already 已发送 is never sent again, a failed one is sent
next time. Each row is appended (and flushed) right after its attempt.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core.errors import MailError, PipelineError
from pipeline.core.findings import ERROR, NOTICE, Finding, Findings
from pipeline.core.settings import Settings
from pipeline.infra.atomic import OutputStage
from pipeline.outputs.branch_ledger import branch_filename
from pipeline.outputs.mail import Outgoing, SmtpSender, new_message_id
from pipeline.read.reader import read_workbook
from pipeline.read.textnorm import safe_filename
from pipeline.rules.roster import Roster

FEEDBACK_DIR = "反馈"
BRANCH_DIR = "支部台账"
DRAFTS_DIR = "邮件"
SENT_LOG = "邮件发送记录.csv"
SENT, FAILED = "已发送", "失败"
LOG_FIELDS = [
    "时间",
    "统计日期",
    "单位编码",
    "单位",
    "收件人",
    "反馈文件",
    "sha256",
    "结果",
    "Message-ID",
    "说明",
]


@dataclass(frozen=True)
class Planned:
    message: Outgoing
    feedback: Path
    sha256: str
    errors: int
    notices: int
    pending: list[str]  # recipients not yet sent this feedback
    already: list[str]  # recipients sent before


@dataclass
class SendResult:
    planned: list[Planned] = field(default_factory=list)
    sent: list[tuple[Planned, str]] = field(default_factory=list)
    failed: list[tuple[Planned, str, str]] = field(default_factory=list)
    drafts: list[Path] = field(default_factory=list)
    findings: Findings = field(default_factory=lambda: Findings(cap_per_rule=0))


def unit_of_feedback(name: str, roster: Roster) -> str:
    """The unit code of ``<code>_<name>_问题反馈.xlsx`` (longest matching code prefix)."""
    best = ""
    for code in roster.codes:
        prefix = f"{safe_filename(code, 20)}_"
        if name.startswith(prefix) and len(code) > len(best):
            best = code
    return best


def count_problems(path: Path) -> tuple[int, int, list[str]]:
    """(errors, notices, first problem lines) from a feedback workbook's 问题清单."""
    wb = read_workbook(path)
    grid = wb.sheets.get("问题清单")
    if grid is None:
        return 0, 0, []
    header_row = next(
        (i for i, row in enumerate(grid.rows[:5]) if row and str(row[0] or "").strip() == "级别"), None
    )
    if header_row is None:
        return 0, 0, []
    head = [str(v or "").strip() for v in grid.rows[header_row]]
    col = {h: j for j, h in enumerate(head)}
    errors = notices = 0
    lines: list[str] = []
    for row in grid.rows[header_row + 1 :]:
        level = str(row[0] or "").strip() if row else ""
        if level == ERROR:
            errors += 1
        elif level == NOTICE:
            notices += 1
        else:
            continue

        def cell(h: str, r: list[object] = row) -> str:
            j = col.get(h)
            return str(r[j] or "").strip() if j is not None and j < len(r) else ""

        where = "!".join(x for x in (cell("工作表"), cell("单元格")) if x)
        who = cell("姓名")
        if level == ERROR and len(lines) < 10:
            lines.append(f"{where + ' ' if where else ''}{who + '：' if who else ''}{cell('说明')}")
    return errors, notices, lines


def _body(
    s: Settings, unit_name: str, feedback: str, as_of: dt.date, counts: tuple[int, int, list[str]]
) -> str:
    errors, notices, first = counts
    deadline = as_of + dt.timedelta(days=s.mail.resubmit_days)
    out = [
        f"{unit_name}：",
        "",
        f"    你单位报送的{s.name}填报表已由{s.office}汇总审核（统计截止 {as_of:%Y年%m月%d日}），"
        f"发现错误 {errors} 处、提醒 {notices} 处，详见附件“{feedback}”。",
        "",
    ]
    if first:
        out.append("主要错误：")
        out += [f"  {i}. {line}" for i, line in enumerate(first, 1)]
        if errors > len(first):
            out.append(f"  ……另有 {errors - len(first)} 处，见附件的“问题清单”表。")
        out.append("")
    out += [
        "请按以下方法处理：",
        "  1. 打开附件，先看“问题清单”表：红色单元格是错误，必须修改；黄色是提醒，请核对。",
        "  2. 直接在附件这个文件里修改（不要改动工作表名称和表头，不要另建新表），保存。",
        f"  3. 请于 {deadline:%Y年%m月%d日} 前把改好的文件作为附件回复本邮件。",
        "",
        f"如有疑问，请与{s.office}联系。",
        "",
        f"{s.office}",
        f"{as_of:%Y年%m月%d日}",
    ]
    return "\n".join(out)


def load_sent(outputs: Path) -> dict[tuple[str, str], str]:
    """(sha256, recipient) -> the last result (已发送 / 失败)."""
    path = outputs / SENT_LOG
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return {}
    out: dict[tuple[str, str], str] = {}
    for row in csv.DictReader(io.StringIO(text)):
        key = ((row.get("sha256") or "").strip(), (row.get("收件人") or "").strip().lower())
        if out.get(key) != SENT:
            out[key] = (row.get("结果") or "").strip()
    return out


def append_sent(outputs: Path, rows: list[dict[str, str]]) -> None:
    path = outputs / SENT_LOG
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists() or path.stat().st_size == 0
    buf = io.StringIO()
    w = csv.DictWriter(buf, LOG_FIELDS, lineterminator="\r\n")
    if new:
        w.writeheader()
    w.writerows(rows)
    with open(path, "a", encoding="utf-8-sig" if new else "utf-8", newline="") as fh:
        fh.write(buf.getvalue())
        fh.flush()
        os.fsync(fh.fileno())


def plan(outputs: Path, settings: Settings, roster: Roster, as_of: dt.date, now: dt.datetime) -> SendResult:
    day_dir = outputs / as_of.isoformat()
    fb_dir = day_dir / FEEDBACK_DIR
    if not fb_dir.is_dir():
        raise PipelineError(
            f"找不到 {fb_dir}：统计日期 {as_of} 还没有汇总。请先运行 make consolidate AS_OF={as_of}，再发送反馈。"
        )
    sent = load_sent(outputs)
    emails = roster.with_addresses(settings.mail.addresses)
    result = SendResult()
    ms = settings.mail
    for path in sorted(fb_dir.glob("*.xlsx")):
        if path.name.startswith(("~$", ".")):
            continue
        code = unit_of_feedback(path.name, roster)
        if not code:
            result.findings.add(
                Finding(
                    NOTICE,
                    "F143",
                    f"反馈表“{path.name}”对应的单位不在花名册中（花名册可能在汇总后改过），未生成邮件。"
                    "请重新汇总后再发送。",
                    file=path.name,
                )
            )
            continue
        unit_name = roster.unit_name(code)
        data = path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        attachments = [(path.name, data)]
        if ms.attach_branch_ledger:
            ledger = day_dir / BRANCH_DIR / branch_filename(code, unit_name)
            if ledger.is_file():
                attachments.append((ledger.name, ledger.read_bytes()))
        counts = count_problems(path)
        to = emails.get(code, [])
        if not to:
            result.findings.add(
                Finding(
                    NOTICE,
                    "F141",
                    f"花名册中没有“{unit_name}”的单位邮箱，反馈邮件只生成了草稿（没有收件人）。"
                    "请在花名册的“单位邮箱”列（或 campaign.toml [mail.addresses]）补上，或打开草稿填上收件人后发送。",
                    unit_code=code,
                    unit_name=unit_name,
                    file=path.name,
                )
            )
        msg = Outgoing(
            unit_code=code,
            unit_name=unit_name,
            sender=ms.from_address,
            sender_name=settings.office,
            to=to,
            subject=f"【问题反馈】{unit_name} {settings.name}填报表（统计截止 {as_of:%Y-%m-%d}）",
            body=_body(settings, unit_name, path.name, as_of, counts),
            attachments=attachments,
            date=now,
            message_id=new_message_id(ms.from_address or "office@localhost"),
        )
        already = [a for a in to if sent.get((sha, a)) == SENT]
        pending = [a for a in to if a not in already]
        result.planned.append(Planned(msg, path, sha, counts[0], counts[1], pending, already))
    return result


def write_drafts(result: SendResult, outputs: Path, as_of: dt.date) -> None:
    """One .eml per unit under outputs/<AS_OF>/邮件/ (the folder replaced as a whole)."""
    with OutputStage(outputs / as_of.isoformat(), owned={DRAFTS_DIR}) as stage:
        for p in result.planned:
            name = (
                f"{safe_filename(p.message.unit_code, 20)}_{safe_filename(p.message.unit_name)}_问题反馈.eml"
            )
            target = stage.path(f"{DRAFTS_DIR}/{name}")
            target.write_bytes(p.message.as_bytes(draft=True))
            result.drafts.append(outputs / as_of.isoformat() / DRAFTS_DIR / name)


def send_all(result: SendResult, sender: SmtpSender, outputs: Path, as_of: dt.date) -> None:
    """Send every planned message to its pending recipients; log each attempt at once.
    A connection fault logs the message in hand as failed, then raises MailError."""
    for p in result.planned:
        if not p.pending:
            continue
        rows: list[dict[str, str]] = []
        try:
            refused = sender.send(p.message, p.pending)
        except MailError as exc:
            rows = [_row(p, a, as_of, FAILED, str(exc)) for a in p.pending]
            append_sent(outputs, rows)
            for a in p.pending:
                result.failed.append((p, a, str(exc)))
            raise
        for a in p.pending:
            if a in refused:
                rows.append(_row(p, a, as_of, FAILED, refused[a]))
                result.failed.append((p, a, refused[a]))
                result.findings.add(
                    Finding(
                        ERROR,
                        "F142",
                        f"发给 {a} 的反馈邮件被服务器拒收（{refused[a]}），下次运行时会再发。请核对花名册中的邮箱地址。",
                        unit_code=p.message.unit_code,
                        unit_name=p.message.unit_name,
                        file=p.feedback.name,
                    )
                )
            else:
                rows.append(_row(p, a, as_of, SENT, ""))
                result.sent.append((p, a))
        append_sent(outputs, rows)


def _row(p: Planned, rcpt: str, as_of: dt.date, status: str, note: str) -> dict[str, str]:
    return {
        "时间": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "统计日期": as_of.isoformat(),
        "单位编码": p.message.unit_code,
        "单位": p.message.unit_name,
        "收件人": rcpt,
        "反馈文件": p.feedback.name,
        "sha256": p.sha256,
        "结果": status,
        "Message-ID": p.message.message_id,
        "说明": note,
    }


def summary_lines(result: SendResult, outputs: Path, as_of: dt.date, mode: str) -> list[str]:
    lines: list[str] = []
    label = {"dry": "将要发送（试运行，未写任何文件）", "draft": "已生成邮件草稿", "send": "发送"}[mode]
    lines.append(f"统计截止 {as_of}：{len(result.planned)} 个单位有问题反馈表。{label}：")
    for p in result.planned:
        to = "、".join(p.message.to) or "（无收件人）"
        state = ""
        if p.already and not p.pending:
            state = "（此反馈之前已发送，不再重发）"
        elif p.already:
            state = f"（已发过：{'、'.join(p.already)}）"
        lines.append(
            f"  {p.message.unit_code} {p.message.unit_name} → {to}：错误 {p.errors} 处、提醒 {p.notices} 处，"
            f"附件 {'、'.join(n for n, _ in p.message.attachments)}{state}"
        )
    if mode == "send":
        lines.append(
            f"已发送 {len(result.sent)} 封（按收件人计），失败 {len(result.failed)} 封（下次运行时重发）。"
        )
        lines.append(f"发送记录：{outputs / SENT_LOG}")
    if result.drafts:
        lines.append(f"邮件草稿：{outputs / as_of.isoformat() / DRAFTS_DIR}/（双击可用邮件客户端打开、发送）")
    for f in result.findings:
        lines.append(f"  {f.one_line()}")
    return lines
