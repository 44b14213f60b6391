"""Campaign settings: ``inputs/campaign.toml``, edited by the office each year.

Every number a rule uses (quotas, phase dates, windows, weights, thresholds) comes from
here. A missing or wrong key raises :class:`SettingsError` with one Chinese line naming
the key and the form expected; the CLI turns that into exit code 2.

Feature modules read their own sections through :class:`TomlReader`, so every key in
the file is checked the same way and reported the same way.

The file is validated whole when it is loaded (:func:`load_settings`), not when a
command first needs a section: the core sections, then every feature section in
:data:`FEATURE_CHECKS` (``[assessment]`` is checked by ``make consolidate`` in September,
not first by ``make ratings`` in December). Every key a check looks up is recorded; a key
in the file that nothing looked up is a typo, reported with the nearest known key.
Errors are one Chinese line naming the file, the line and the key (codes S101–S104).
"""

from __future__ import annotations

import calendar
import datetime as dt
import difflib
import importlib
import re
import tomllib
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pipeline.core.errors import SettingsError

SETTINGS_FILE = "campaign.toml"
_MISSING = object()

#: Checks of the feature settings, run by :func:`load_settings` on every load: (section,
#: ``"module:function"`` taking the :class:`Settings` and raising SettingsError). A check
#: runs when its section is in the file (an older campaign.toml without it still loads).
#: A feature that reads settings of its own (``settings.reader``) registers its check
#: here, or its keys are reported as unknown. Imported by name: core imports no other layer.
FEATURE_CHECKS: list[tuple[str, str]] = [
    ("assessment", "pipeline.assessment.policy:check_settings"),
    ("tracking", "pipeline.outputs.bulletin:check_settings"),
    ("tracking", "pipeline.rules.calendar:after_campaign_days"),
    ("documents", "pipeline.outputs.documents:check_settings"),
    ("intake", "pipeline.intake.received:check_settings"),
    ("assessment", "pipeline.assessment.evidence:check_settings"),
    ("assessment", "pipeline.assessment.targets:check_settings"),
    ("filing", "pipeline.office.filing:check_settings"),
    ("rollup", "pipeline.jobs.rollup:check_settings"),
]


@dataclass
class _Lookups:
    """Every key looked up while one file is being checked (known keys)."""

    keys: set[str] = field(default_factory=set)


_LOOKUPS: ContextVar[_Lookups | None] = ContextVar("settings_lookups", default=None)


class TomlReader:
    """Typed access to a parsed TOML document with Chinese errors naming the key (and
    its line in the file when ``lines`` maps keys to line numbers)."""

    def __init__(
        self, data: dict[str, Any], source: str = SETTINGS_FILE, lines: Mapping[str, int] | None = None
    ) -> None:
        self.data = data
        self.source = source
        self.lines = lines or {}

    def where(self, key: str) -> str:
        """``campaign.toml 第 44 行`` for a key in the file; for a missing key the line of
        its nearest enclosing section; just the file when neither is known."""
        probe = key
        while probe:
            if probe in self.lines:
                return f"{self.source} 第 {self.lines[probe]} 行"
            probe = probe.rpartition(".")[0]
        return self.source

    def _fail(self, key: str, expected: str, got: object = _MISSING) -> SettingsError:
        if got is _MISSING:
            return SettingsError(
                f"{self.where(key)}: 缺少设置项 {key}，应为{expected}。请在文件中补上这一项。"
            )
        return SettingsError(f"{self.where(key)}: 设置项 {key} 的值 {_show(got)} 不正确，应为{expected}。")

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        lookups = _LOOKUPS.get()
        if lookups is not None:
            lookups.keys.add(key)
        node: Any = self.data
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                if default is not _MISSING:
                    return default
                raise self._fail(key, "（见示例 campaign.toml 里的中文注释）")
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
    source: str = field(default=SETTINGS_FILE, compare=False, repr=False)
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)  # key -> line in the file

    @property
    def deadline_window(self) -> tuple[dt.date, dt.date]:
        """Deadlines must fall inside [pledge start, fulfil end] (二(二), 二(三))."""
        return self.pledge.start, self.fulfil.end

    @property
    def reader(self) -> TomlReader:
        return TomlReader(self.raw, self.source, self.lines)

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
            f"{r.where(f'phases.{name}.end')}: 设置项 phases.{name}.end（{end}）早于 phases.{name}.start（{start}），请改为不早于开始日期的日期。"
        )
    return Phase(name, start, end)


def parse_settings(
    data: dict[str, Any], source: str = SETTINGS_FILE, lines: Mapping[str, int] | None = None
) -> Settings:
    """The core sections of a parsed file (see :func:`load_settings` for the whole check)."""
    r = TomlReader(data, source, lines)
    year = r.integer("campaign.year", minimum=1921)
    phases = {n: _phase(r, n) for n in ("mobilise", "pledge", "fulfil", "assess")}
    for n, p in phases.items():
        if p.start.year != year and p.end.year != year:
            raise SettingsError(
                f"{r.where(f'phases.{n}')}: 设置项 phases.{n} 的日期（{p.start}—{p.end}）不在活动年度 campaign.year = {year} 内，请核对年份。"
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
        source=source,
        lines=dict(lines or {}),
    )


def load_settings(inputs: Path) -> Settings:
    """Read ``inputs/campaign.toml`` and check all of it: syntax, the core sections, every
    feature section in :data:`FEATURE_CHECKS` and unknown keys. Raises SettingsError."""
    path = inputs / SETTINGS_FILE
    if not path.is_file():
        raise SettingsError(
            f"找不到设置文件 {path}。请从 README 复制示例 campaign.toml 到 {inputs}/ 并按本年度修改。"
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise SettingsError(f"{path}: 文件不是 UTF-8 编码。请用记事本“另存为”UTF-8 编码后再运行。") from None
    kept = _LOADED.get((str(path), text))
    if kept is not None:  # the same text checked before in this process (Settings is frozen)
        return kept
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise toml_error(str(path), text, exc) from None
    settings = check_settings(data, str(path), key_lines(text))
    _LOADED.clear()  # one file's settings at a time
    _LOADED[(str(path), text)] = settings
    return settings


# (path, text) -> its checked settings: a command that reads the file twice (the bulletin
# checks [documents] before consolidating) checks it once; a changed text is checked anew.
_LOADED: dict[tuple[str, str], Settings] = {}


def check_settings(
    data: dict[str, Any],
    source: str = SETTINGS_FILE,
    lines: Mapping[str, int] | None = None,
    checks: list[tuple[str, str]] | None = None,
) -> Settings:
    """Validate a parsed file whole (core sections, feature sections, unknown keys)."""
    checks = FEATURE_CHECKS if checks is None else checks
    lookups = _Lookups()
    token = _LOOKUPS.set(lookups)
    first: SettingsError | None = None
    settings: Settings | None = None
    try:
        try:
            settings = parse_settings(data, source, lines)
        except SettingsError as exc:
            first = exc
        for section, target in checks:
            if settings is not None and section in data:
                try:
                    _feature_check(target)(settings)
                except SettingsError as exc:
                    first = first or exc
    finally:
        _LOOKUPS.reset(token)
    known = lookups.keys | {section for section, _ in checks} | set(CORE_SECTIONS)
    unknown = unknown_keys(data, known)
    if first is not None:
        # A check stopped early, so some valid keys were never looked up: report only
        # what is surely a typo (an unknown section, or a key whose nearest known key
        # is missing from the file); a typo explains the "missing" key, so it goes first.
        unknown = [
            k
            for k in unknown
            if "." not in k or ((near := nearest_key(k, known)) and not _present(data, near))
        ]
    if unknown:
        raise _unknown_error(unknown[0], known, source, lines or {})
    if first is not None:
        raise first
    assert settings is not None
    return settings


#: Sections read by :func:`parse_settings` (always known, even when a check stops early).
CORE_SECTIONS = ("campaign", "phases", "quotas", "tracking", "findings", "leaders", "mail")


def _present(data: Mapping[str, Any], key: str) -> bool:
    node: Any = data
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _feature_check(target: str) -> Callable[[Settings], object]:
    module, _, name = target.partition(":")
    fn: Callable[[Settings], object] = getattr(importlib.import_module(module), name)
    return fn


def unknown_keys(data: Mapping[str, Any], known: set[str], prefix: str = "") -> list[str]:
    """Keys of ``data`` (dotted, in file order) that no check looked up. A table is known
    as a whole when it was looked up and none of its keys were (read as one value)."""
    out: list[str] = []
    for k, v in data.items():
        key = f"{prefix}{k}"
        inner = any(x.startswith(key + ".") for x in known)
        if isinstance(v, dict) and inner:
            out += unknown_keys(v, known, key + ".")
        elif key not in known and not inner:
            out.append(key)
    return out


def nearest_key(key: str, known: set[str]) -> str:
    """The known key closest to a misspelt one: among its siblings first, then anywhere."""
    parent, _, leaf = key.rpartition(".")
    siblings = {k.rpartition(".")[2]: k for k in known if k.rpartition(".")[0] == parent}
    hit = difflib.get_close_matches(leaf, list(siblings), n=1, cutoff=0.6)
    if hit:
        return siblings[hit[0]]
    full = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.75)
    return full[0] if full else ""


def _unknown_error(key: str, known: set[str], source: str, lines: Mapping[str, int]) -> SettingsError:
    where = TomlReader({}, source, lines).where(key)
    near = nearest_key(key, known)
    section = "." not in key
    name = f"[{key}]" if section else key
    hint = (
        f"您是否想写 {f'[{near}]' if '.' not in near else near}？请改正名称。"
        if near
        else "请删除这一项或改正名称（可用的设置项见示例 campaign.toml 里的中文注释）。"
    )
    what = "设置节" if section else "设置项"
    return SettingsError(f"{where}: 没有名为 {name} 的{what}，{hint}", code="S102")


# ------------------------------------------------------------------ the file's own text

_HEADER_RE = re.compile(r"^\s*\[\[?\s*([^\[\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY_RE = re.compile(
    r"^\s*((?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'))*)\s*="
)
_PART_RE = re.compile(r"\"([^\"]*)\"|'([^']*)'|([A-Za-z0-9_-]+)")


def _dotted(text: str) -> str:
    return ".".join(a or b or c for a, b, c in _PART_RE.findall(text))


def key_lines(text: str) -> dict[str, int]:
    """Dotted key (and table) -> the line (1-based) where the file writes it."""
    out: dict[str, int] = {}
    table = ""
    for n, line in enumerate(text.splitlines(), start=1):
        m = _HEADER_RE.match(line)
        if m:
            table = _dotted(m.group(1))
            out.setdefault(table, n)
            continue
        m = _KEY_RE.match(line)
        if m:
            key = _dotted(m.group(1))
            out.setdefault(f"{table}.{key}" if table else key, n)
    return out


_TOML_REASONS = {
    "Invalid value": "等号后面的值写法不对",
    "Invalid date or datetime": "日期写法不对",
    "Invalid statement": "这一行不是“名称 = 值”的写法",
    "Expected '=' after a key in a key/value pair": "名称后面缺少等号",
    "Invalid initial character for a key part": "设置项名称的写法不对",
    "Invalid key": "设置项名称的写法不对",
    "Unterminated string": "引号没有配对（缺少结尾的英文双引号）",
    "Illegal character in string": "引号里有不能直接写的字符",
    "Unclosed array": "方括号没有配对（列表缺少结尾的 ]）",
    "Unclosed inline table": "花括号没有配对（缺少结尾的 }）",
    "Expected ']' at the end of a table declaration": "节名缺少结尾的 ]",
    "Expected newline or end of document after a statement": "一行只能写一个设置项（值后面多了内容）",
    "Cannot overwrite a value": "同一个设置项写了两次",
    "Cannot declare": "同一个设置节写了两次",
    "Cannot mutate immutable namespace": "同一个设置项写了两次",
}
_TOML_POS_RE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$|\s*\(at end of document\)\s*$")
_DATE_RE = re.compile(r"(?<![\d-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\d])")


def _show(value: object) -> str:
    """A value as the clerk wrote it (strings in quotes, dates as 2026-09-15)."""
    if isinstance(value, str):
        return f"“{value}”"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date | int | float):
        return str(value)
    return "（一组值）"


def _date_problem(line: str) -> str:
    """「2026 年 11 月没有 31 日」 for a non-existent date written on ``line``; "" if none."""
    for y, m, d in _DATE_RE.findall(line):
        year, month, day = int(y), int(m), int(d)
        if not 1 <= month <= 12:
            return f"{year} 年没有 {month} 月"
        last = calendar.monthrange(year, month)[1]
        if not 1 <= day <= last:
            return f"{year} 年 {month} 月没有 {day} 日" + (f"（只有 {last} 天）" if day > last else "")
        if len(m) != 2 or len(d) != 2:
            return f"日期 {y}-{m}-{d} 的月和日要写成两位数，如 {year}-{month:02d}-{day:02d}"
    return ""


def toml_error(source: str, text: str, exc: tomllib.TOMLDecodeError) -> SettingsError:
    """A TOML syntax error as one Chinese line with the line number and key."""
    message = str(exc)
    m = _TOML_POS_RE.search(message)
    reason_en = message[: m.start()] if m else message
    line_no = int(m.group(1)) if m and m.group(1) else 0
    lines = text.splitlines()
    if line_no == 0:
        line_no = len(lines)
    line = lines[line_no - 1] if 0 < line_no <= len(lines) else ""
    key = ""
    km = _KEY_RE.match(line)
    if km:
        table = ""
        for prev in reversed(lines[: line_no - 1]):
            hm = _HEADER_RE.match(prev)
            if hm:
                table = _dotted(hm.group(1))
                break
        key = f"{table}.{_dotted(km.group(1))}" if table else _dotted(km.group(1))
    at = f"{source} 第 {line_no} 行" + (f"（设置项 {key}）" if key else "")
    problem = _date_problem(line)
    if problem:
        return SettingsError(
            f"{at}: {problem}。请改为实际存在的日期（写法如 2026-09-15，不加引号）。", code="S104"
        )
    reason = next((zh for en, zh in _TOML_REASONS.items() if reason_en.startswith(en)), "写法不对")
    return SettingsError(
        f'{at}: 格式错误，{reason}。数字直接写（如 14），文字加英文双引号（如 "学校活动办公室"），'
        "日期写成 2026-09-15（不加引号）。",
        code="S103",
    )
