"""Campaign settings: ``inputs/campaign.toml``, edited by the office each year.

Every number a rule uses (quotas, phase dates, windows, weights, thresholds) comes from
here. A missing or wrong key raises :class:`SettingsError` with one Chinese line naming
the key and the form expected; the CLI turns that into exit code 2.

Feature modules read their own sections through :class:`TomlReader`, so every key in
the file is checked the same way and reported the same way.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pipeline.core.errors import SettingsError

SETTINGS_FILE = "campaign.toml"
_MISSING = object()


class TomlReader:
    """Typed access to a parsed TOML document with Chinese errors naming the key."""

    def __init__(self, data: dict[str, Any], source: str = SETTINGS_FILE) -> None:
        self.data = data
        self.source = source

    def _fail(self, key: str, expected: str, got: object = _MISSING) -> SettingsError:
        if got is _MISSING:
            return SettingsError(f"{self.source}: 缺少设置项 {key}，应为{expected}。请在文件中补上这一项。")
        return SettingsError(f"{self.source}: 设置项 {key} 的值 {got!r} 不正确，应为{expected}。")

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        node: Any = self.data
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                if default is not _MISSING:
                    return default
                raise self._fail(key, "（见 README 的设置说明）")
            node = node[part]
        return node

    def has(self, key: str) -> bool:
        return self.raw(key, None) is not None

    def string(self, key: str, default: Any = _MISSING) -> str:
        v = self.raw(key, default)
        if not isinstance(v, str) or (not v.strip() and default is _MISSING):
            raise self._fail(key, "一段文字（用英文双引号括起来）", v)
        return v.strip()

    def integer(self, key: str, default: Any = _MISSING, minimum: int | None = 0) -> int:
        v = self.raw(key, default)
        if isinstance(v, bool) or not isinstance(v, int) or (minimum is not None and v < minimum):
            lo = f"不小于 {minimum} 的" if minimum is not None else ""
            raise self._fail(key, f"{lo}整数，例如 14", v)
        return v

    def number(
        self, key: str, default: Any = _MISSING, lo: float | None = None, hi: float | None = None
    ) -> float:
        v = self.raw(key, default)
        if (
            isinstance(v, bool)
            or not isinstance(v, int | float)
            or (lo is not None and v < lo)
            or (hi is not None and v > hi)
        ):
            rng = f"{lo} 到 {hi} 之间的" if lo is not None and hi is not None else ""
            raise self._fail(key, f"{rng}数字，例如 0.5", v)
        return float(v)

    def boolean(self, key: str, default: Any = _MISSING) -> bool:
        v = self.raw(key, default)
        if not isinstance(v, bool):
            raise self._fail(key, "true 或 false（不加引号）", v)
        return v

    def date(self, key: str, default: Any = _MISSING) -> dt.date:
        v = self.raw(key, default)
        if isinstance(v, dt.datetime):
            return v.date()
        if isinstance(v, dt.date):
            return v
        if isinstance(v, str):
            try:
                return dt.date.fromisoformat(v.strip())
            except ValueError:
                pass
        raise self._fail(key, "日期，写法如 2010-09-15（不加引号）", v)

    def int_range(self, key: str) -> tuple[int, int]:
        lo = self.integer(f"{key}.min")
        hi = self.integer(f"{key}.max")
        if lo > hi:
            raise self._fail(f"{key}.max", f"不小于 {key}.min（{lo}）的整数", hi)
        return lo, hi

    def string_list(self, key: str, default: Any = _MISSING) -> list[str]:
        v = self.raw(key, default)
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise self._fail(key, '文字列表，例如 ["D01", "D02"]', v)
        return [x.strip() for x in v]

    def table(self, key: str, default: Any = _MISSING) -> dict[str, Any]:
        v = self.raw(key, default)
        if not isinstance(v, dict):
            raise self._fail(key, "一个设置表（[节名] 下的若干项）", v)
        return v


@dataclass(frozen=True)
class Phase:
    name: str
    start: dt.date
    end: dt.date

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class Quota:
    min: int
    max: int

    def __str__(self) -> str:
        return f"{self.min}—{self.max}"


SECURITY_MODES = ("ssl", "starttls", "none")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")


@dataclass(frozen=True)
class MailSettings:
    """The ``[mail]`` section: the office mailbox (IMAP, for ``fetch-mail``) and the
    outgoing server (SMTP, for ``send-feedback``). Every key has the documented default
    written here, so a campaign.toml without ``[mail]`` still loads; an empty ``host``
    means "not configured" and only ``fetch-mail --from DIR`` and drafts work."""

    host: str = ""
    port: int = 993
    security: str = "ssl"  # ssl | starttls | none (none: only for a server on this machine/LAN)
    user: str = ""
    folder: str = "INBOX"
    since: dt.date | None = None  # first day to look at; None: phases.pledge.start
    max_attachment_mb: int = 20
    timeout_seconds: int = 30
    smtp_host: str = ""
    smtp_port: int = 465
    smtp_security: str = "ssl"
    smtp_user: str = ""  # "" -> user
    sender: str = ""  # From: of feedback mail (key ``from``); "" -> smtp_user or user
    resubmit_days: int = 7  # feedback asks for the corrected workbook within this many days
    attach_branch_ledger: bool = False  # also attach the unit's 支部台账 to its feedback
    addresses: dict[str, list[str]] = field(default_factory=dict)  # [mail.addresses] unit code -> e-mails

    @property
    def from_address(self) -> str:
        return self.sender or self.smtp_user or self.user

    @property
    def smtp_login(self) -> str:
        return self.smtp_user or self.user


def parse_mail_settings(r: TomlReader, pledge_start: dt.date) -> MailSettings:
    d = MailSettings()
    if not r.has("mail"):
        return replace(d, since=pledge_start)
    r.table("mail")

    def security(key: str, default: str) -> str:
        v = r.string(f"mail.{key}", default).lower()
        if v not in SECURITY_MODES:
            raise r._fail(f"mail.{key}", "“ssl”、“starttls”或“none”之一", v)
        return v

    def port(key: str, default: int) -> int:
        v = r.integer(f"mail.{key}", default, minimum=1)
        if v > 65535:
            raise r._fail(f"mail.{key}", "1 到 65535 之间的端口号，例如 993", v)
        return v

    since = r.date("mail.since") if r.has("mail.since") else pledge_start
    addresses: dict[str, list[str]] = {}
    for code, value in r.table("mail.addresses", {}).items():
        items = value if isinstance(value, list) else [value]
        found = [a.lower() for v in items if isinstance(v, str) for a in EMAIL_RE.findall(v)]
        if not found or not all(isinstance(v, str) for v in items):
            raise r._fail(
                f"mail.addresses.{code}", '邮箱地址，例如 "dy1@example.edu.cn"（多个用英文分号隔开）', value
            )
        addresses[str(code).strip().upper()] = list(dict.fromkeys(found))
    return MailSettings(
        host=r.string("mail.host", d.host),
        port=port("port", d.port),
        security=security("security", d.security),
        user=r.string("mail.user", d.user),
        folder=r.string("mail.folder", d.folder) or d.folder,
        since=since,
        max_attachment_mb=r.integer("mail.max_attachment_mb", d.max_attachment_mb, minimum=1),
        timeout_seconds=r.integer("mail.timeout_seconds", d.timeout_seconds, minimum=1),
        smtp_host=r.string("mail.smtp_host", d.smtp_host),
        smtp_port=port("smtp_port", d.smtp_port),
        smtp_security=security("smtp_security", d.smtp_security),
        smtp_user=r.string("mail.smtp_user", d.smtp_user),
        sender=r.string("mail.from", d.sender),
        resubmit_days=r.integer("mail.resubmit_days", d.resubmit_days, minimum=1),
        attach_branch_ledger=r.boolean("mail.attach_branch_ledger", d.attach_branch_ledger),
        addresses=addresses,
    )


@dataclass(frozen=True)
class Settings:
    year: int
    name: str
    organisation: str
    office: str
    return_to: str
    submit_by: dt.date
    mobilise: Phase
    pledge: Phase
    fulfil: Phase
    assess: Phase
    member_deeds: Quota
    member_faults: Quota
    org_pledges: Quota
    due_soon_days: int
    log_silence_days: int
    findings_cap: int
    leaders: dict[str, list[str]] = field(default_factory=dict)
    mail: MailSettings = field(default_factory=MailSettings)
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def deadline_window(self) -> tuple[dt.date, dt.date]:
        """Deadlines must fall inside [pledge start, fulfil end] (二(二), 二(三))."""
        return self.pledge.start, self.fulfil.end

    @property
    def reader(self) -> TomlReader:
        return TomlReader(self.raw)

    def fingerprint(self) -> str:
        """A stable hash of the settings, used to invalidate parse caches."""
        import hashlib
        import json

        return hashlib.sha256(json.dumps(self.raw, sort_keys=True, default=str).encode()).hexdigest()[:16]

    def leader_of(self, unit_code: str) -> str:
        for leader, units in self.leaders.items():
            if unit_code in units:
                return leader
        return ""


PHASE_LABELS = {
    "mobilise": "广泛发动、亮明身份",
    "pledge": "立足实际、公开承诺",
    "fulfil": "付诸行动、履行承诺",
    "assess": "考核评价、表彰奖励",
}


def _phase(r: TomlReader, name: str) -> Phase:
    start = r.date(f"phases.{name}.start")
    end = r.date(f"phases.{name}.end")
    if end < start:
        raise SettingsError(
            f"{r.source}: 设置项 phases.{name}.end（{end}）早于 phases.{name}.start（{start}），请改为不早于开始日期的日期。"
        )
    return Phase(name, start, end)


def parse_settings(data: dict[str, Any], source: str = SETTINGS_FILE) -> Settings:
    r = TomlReader(data, source)
    year = r.integer("campaign.year", minimum=1921)
    phases = {n: _phase(r, n) for n in ("mobilise", "pledge", "fulfil", "assess")}
    for n, p in phases.items():
        if p.start.year != year and p.end.year != year:
            raise SettingsError(
                f"{source}: 设置项 phases.{n} 的日期（{p.start}—{p.end}）不在活动年度 campaign.year = {year} 内，请核对年份。"
            )
    leaders_raw = r.table("leaders", {})
    leaders: dict[str, list[str]] = {}
    for name in leaders_raw:
        leaders[str(name)] = r.string_list(f"leaders.{name}")
    return Settings(
        year=year,
        name=r.string("campaign.name"),
        organisation=r.string("campaign.organisation"),
        office=r.string("campaign.office", "学校活动办公室"),
        return_to=r.string("campaign.return_to", ""),
        submit_by=r.date("campaign.submit_by"),
        mobilise=phases["mobilise"],
        pledge=phases["pledge"],
        fulfil=phases["fulfil"],
        assess=phases["assess"],
        member_deeds=Quota(*r.int_range("quotas.member_deeds")),
        member_faults=Quota(*r.int_range("quotas.member_faults")),
        org_pledges=Quota(*r.int_range("quotas.org_pledges")),
        due_soon_days=r.integer("tracking.due_soon_days"),
        log_silence_days=r.integer("tracking.log_silence_days"),
        findings_cap=r.integer("findings.max_per_rule_per_file", 50, minimum=1),
        leaders=leaders,
        mail=parse_mail_settings(r, phases["pledge"].start),
        raw=data,
    )


def load_settings(inputs: Path) -> Settings:
    path = inputs / SETTINGS_FILE
    if not path.is_file():
        raise SettingsError(
            f"找不到设置文件 {path}。请从 README 复制示例 campaign.toml 到 {inputs}/ 并按本年度修改。"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise SettingsError(f"{path}: 文件不是 UTF-8 编码。请用记事本“另存为”UTF-8 编码后再运行。") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: 格式错误（{exc}）。请检查该行的引号、等号和方括号。") from None
    return parse_settings(data, source=str(path))
