"""A synthetic campaign at any scale, for the benchmark (``pledge bench``).

Every workbook is written by the real template writer (:class:`pipeline.outputs.template.Fill`),
so the benchmark reads exactly what units send. The campaign is deterministic: each unit
draws from its own ``random.Random(f"{seed}:{unit_code}")``, so the cell values do not
depend on how units are spread over worker processes, and file modification times are
fixed. Generation runs on every core (``ProcessPoolExecutor``) and is cached in a folder
stamped with :data:`GENERATOR_VERSION` and a hash of the template writer, the layout and
the settings: a second run with the same key only checks the stamp.

A folder holds ``campaign.toml`` (a copy of ``inputs/campaign.toml``), ``roster.xlsx`` and
``returns/<year>-09/`` (first versions of the ~5% of units that sent twice) and
``returns/<year>-11/`` (every unit's current version). About 2% of data rows carry one
realistic mistake: a date typed as text (``10月15日``, ``2月30日``), a missing field
(预期效果, 措施, 支部审核), a wrong member id (unknown, or a number that lost its leading
zero) or a value outside the dropdown (``其他``, ``实事``, ``完成``).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import random
import shutil
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from pipeline.core.settings import SETTINGS_FILE, Settings, load_settings
from pipeline.infra.atomic import atomic_path, write_text_atomic
from pipeline.outputs.template import Fill, UnitForm, write_template
from pipeline.outputs.xlsx import formats, new_workbook
from pipeline.read import layout as L
from pipeline.rules.roster import HEADERS as ROSTER_HEADERS
from pipeline.rules.roster import ROSTER_FILE
from pipeline.tooling.demo import (
    DEED_MEASURES,
    DEED_STEPS,
    DEEDS_COMMON,
    EVIDENCE,
    FAULT_STEPS,
    FAULTS,
    FEMALE_GIVEN,
    LOG_DONE,
    LOG_PROGRESS,
    MALE_GIVEN,
    ORG_COMMON,
    ORG_STEPS,
    SURNAMES,
)

GENERATOR_VERSION = 1
DEFAULT_SEED = 23625  # members of the 2010 district that made 25,638 pledges
STAMP = "generator.json"
RETURNS = "returns"
MISTAKE_RATE = 0.02
RESEND_RATE = 0.05
LOGS_PER_MEMBER = 2  # ~100,000 履诺记实 rows for 50,000 members
PLANNED_PLEDGES = 3  # pledges per unit with a two-step 履诺计划


@dataclass(frozen=True)
class Scale:
    units: int
    members: int


SCALES: dict[str, Scale] = {
    "tiny": Scale(6, 60),
    "school": Scale(20, 300),
    "city": Scale(400, 10_000),
    "county": Scale(2_000, 50_000),
}

TOWNS = (
    "城关镇",
    "东关街道",
    "西城街道",
    "南湖乡",
    "北山镇",
    "河口镇",
    "李家庄乡",
    "王村镇",
    "新华街道",
    "红旗乡",
    "石桥镇",
    "柳河乡",
    "青龙镇",
    "白马乡",
    "大营镇",
    "小店乡",
)
KINDS_OF_UNIT = ("村", "社区", "学校", "卫生院", "机关", "企业", "供电所", "派出所")
POSTS = ("村民", "教师", "医生", "护士", "干部", "职工", "个体经营者", "退休人员", "农民", "技术员")
TEXT_DATES = ("10月15日", "10月底", "11月上旬", "2026.10.20")  # read with a notice (V102) or silently
BAD_DATES = ("2月30日", "年底前后", "下个月")  # unreadable (V101)
BAD_KINDS = ("其他", "实事", "缺点不足", "好事")  # V103 / V104
BAD_REVIEWS = ("同意", "已通过", "审核中")
BAD_PROGRESS = ("完成", "正在进行", "差不多了")


@dataclass(frozen=True)
class UnitPlan:
    """What one unit's workbook(s) contain (picklable, for worker processes)."""

    index: int
    code: str
    name: str
    type: str
    members: tuple[tuple[str, str], ...]  # (member_id, name)
    resend: bool


@dataclass
class DataInfo:
    scale: str
    seed: int
    key: str
    units: int
    members: int
    files: int
    member_rows: int
    org_rows: int
    log_rows: int
    plan_rows: int
    mistakes: int
    resends: int
    generated_seconds: float = 0.0
    cached: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def unit_code(i: int) -> str:
    return f"B{i:04d}"


def member_id(i: int, j: int) -> str:
    # Unit 0 is the committee: its ids start with zeros, so "lost zeros" happen there too.
    return f"{i:04d}{j:03d}"


def data_key(settings_text: str) -> str:
    """Generator version plus everything that shapes the workbooks."""
    package = Path(__file__).resolve().parent.parent
    h = hashlib.sha256(f"v{GENERATOR_VERSION}".encode())
    for name in ("tooling/synth.py", "outputs/template.py", "read/layout.py", "outputs/xlsx.py"):
        h.update((package / name).read_bytes())
    h.update(settings_text.encode())
    return h.hexdigest()[:16]


def _roster_plans(scale: Scale, seed: int, prefix: str = "") -> list[UnitPlan]:
    rng = random.Random(f"{seed}:roster")
    mean = scale.members / scale.units
    lo, hi = max(1, round(mean * 0.4)), max(1, round(mean * 1.6))
    sizes = [rng.randint(lo, hi) for _ in range(scale.units)]
    # Nudge sizes so the total is the scale's member count exactly.
    diff = scale.members - sum(sizes)
    k = 0
    while diff:
        i = k % scale.units
        if diff > 0:
            sizes[i] += 1
            diff -= 1
        elif sizes[i] > 1:
            sizes[i] -= 1
            diff += 1
        k += 1
    plans = []
    resend = set(rng.sample(range(scale.units), max(1, round(scale.units * RESEND_RATE))))
    for i, size in enumerate(sizes):
        if i == 0:
            name, typ = "中共某县委直属机关委员会", "党委"
        else:
            name = f"{TOWNS[i % len(TOWNS)]}第{i:04d}{KINDS_OF_UNIT[i % len(KINDS_OF_UNIT)]}党支部"
            typ = "党支部"
        members = []
        used: set[str] = set()  # unique within a unit; a county has namesakes, as real ones do
        for j in range(1, size + 1):
            for _ in range(50):
                female = rng.random() < 0.45
                n = rng.choice(SURNAMES) + rng.choice(FEMALE_GIVEN if female else MALE_GIVEN)
                if n not in used:
                    break
            used.add(n)
            members.append((prefix + member_id(i, j), n))
        plans.append(UnitPlan(i, prefix + unit_code(i), name, typ, tuple(members), i in resend))
    return plans


def _write_roster(plans: list[UnitPlan], path: Path, seed: int) -> None:
    rng = random.Random(f"{seed}:roster-cells")
    with atomic_path(path) as tmp:
        wb = new_workbook(tmp, large=True)
        fmt = formats(wb)
        ws = wb.add_worksheet("花名册")
        for j, h in enumerate(ROSTER_HEADERS):
            ws.write_string(0, j, h, fmt["header"])
        r = 1
        for u in plans:
            for k, (mid, name) in enumerate(u.members):
                role = "支部书记" if k == 0 else ("支部委员" if k < 3 else "")
                category = "预备党员" if rng.random() < 0.05 and not role else "正式党员"
                row = (
                    u.code,
                    u.name,
                    u.type,
                    mid,
                    name,
                    rng.choice(("男", "女")),
                    rng.choice(POSTS),
                    category,
                    role,
                )
                for j, v in enumerate(row):
                    if v:
                        ws.write_string(r, j, v, fmt["cell"])
                r += 1
        wb.close()


# ------------------------------------------------------------------------- one unit


class _Unit:
    """Rows of one unit's workbook, drawn from the unit's own random stream."""

    def __init__(self, u: UnitPlan, s: Settings, seed: int, variant: int = 0) -> None:
        self.u, self.s = u, s
        self.rng = random.Random(f"{seed}:{u.code}")
        self.lo, self.hi = s.deadline_window
        self.mistakes = 0
        self.variant = variant

    def day(self, lo: dt.date, hi: dt.date) -> dt.date:
        return lo + dt.timedelta(days=self.rng.randint(0, max((hi - lo).days, 0)))

    def due(self) -> dt.date:
        return self.day(max(self.lo, self.s.fulfil.start + dt.timedelta(days=10)), self.hi)

    def fill(self, template: str) -> str:
        n = self.rng.randint(2, 6)
        return template.format(n=n, p=n * self.rng.randint(8, 20))

    def progress(self, due: dt.date) -> tuple[str, dt.date | None]:
        r = self.rng.random()
        if r < 0.55:
            done = max(
                min(due - dt.timedelta(days=self.rng.randint(0, 8)), self.s.fulfil.end), self.s.fulfil.start
            )
            return L.PROGRESS_DONE, done
        return (L.PROGRESS_ONGOING, None) if r < 0.9 else (L.PROGRESS_NOT_STARTED, None)

    def mistake(self, row: dict[str, Any], member: bool) -> None:
        """Maybe (2%) spoil one cell of ``row`` the way clerks do."""
        rng = self.rng
        if rng.random() >= MISTAKE_RATE:
            return
        self.mistakes += 1
        what = rng.choice(
            ("text_date", "bad_date", "missing", "kind", "review", "progress", "id")
            if member
            else ("text_date", "bad_date", "missing", "review", "progress")
        )
        if what == "text_date":
            row["deadline"] = rng.choice(TEXT_DATES)
        elif what == "bad_date":
            row["deadline"] = rng.choice(BAD_DATES)
        elif what == "missing":
            f = (
                "measures"
                if row.get("kind") == L.KIND_FAULT
                else rng.choice(("effect", "review", "deadline"))
            )
            row[f] = ""
        elif what == "kind":
            row["kind"] = rng.choice(BAD_KINDS)
        elif what == "review":
            row["review"] = rng.choice(BAD_REVIEWS)
        elif what == "progress":
            row["progress"] = rng.choice(BAD_PROGRESS)
        elif what == "id":
            mid = row["member_id"]
            row["member_id"] = int(mid) if mid.startswith("0") and rng.random() < 0.5 else f"9{mid[1:]}"

    def rows(self, first_version: bool) -> Fill:
        rng, u = self.rng, self.u
        members: list[dict[str, Any]] = []
        refs: list[tuple[str, dict[str, Any], str, str]] = []  # (ref, row, member id, name)
        for mid, name in u.members:
            n_deeds, n_faults = (3, 2) if rng.random() < 0.95 else (2, 1)
            texts: set[str] = set()
            for kind, n in ((L.KIND_DEED, n_deeds), (L.KIND_FAULT, n_faults)):
                for _ in range(n):
                    while True:
                        if kind == L.KIND_DEED:
                            tpl, eff = rng.choice(DEEDS_COMMON)
                            content, measures, effect = (
                                self.fill(tpl),
                                rng.choice(DEED_MEASURES),
                                self.fill(eff),
                            )
                        else:
                            content, measures, effect = rng.choice(FAULTS)
                        if content not in texts:
                            texts.add(content)
                            break
                    due = self.due()
                    progress, done = self.progress(due)
                    review = L.REVIEW_APPROVED if rng.random() < 0.97 else L.REVIEW_PENDING
                    row = {
                        "seq": len(members) + 1,
                        "member_id": mid,
                        "name": name,
                        "kind": kind,
                        "content": content,
                        "measures": measures,
                        "deadline": due,
                        "effect": effect,
                        "review": review,
                    }
                    if not first_version:
                        row.update(progress=progress, done_on=done)
                    self.mistake(row, member=True)
                    members.append(row)
                    if review == L.REVIEW_APPROVED:
                        refs.append((f"{L.REF_MEMBER}-{row['seq']}", row, mid, name))
        if self.variant:  # the "changed since the last run" edit of the warm benchmark
            members[0]["remark"] = f"第 {self.variant} 次修改"
        orgs: list[dict[str, Any]] = []
        owner = u.members[0][1] if u.members else "书记"
        for i, (tpl, measures, effect) in enumerate(rng.sample(ORG_COMMON, 5), start=1):
            due = self.due()
            progress, done = self.progress(due)
            row = {
                "seq": i,
                "content": self.fill(tpl),
                "measures": measures,
                "deadline": due,
                "effect": self.fill(effect),
                "owner": owner,
                "review": L.REVIEW_APPROVED,
            }
            if not first_version:
                row.update(progress=progress, done_on=done)
            self.mistake(row, member=False)
            orgs.append(row)
            refs.append((f"{L.REF_ORG}-{i}", row, "", owner))
        if first_version:
            return Fill(member_rows=members, org_rows=orgs)
        logs = self.logs(refs, round(len(u.members) * LOGS_PER_MEMBER))
        plans = self.plans(refs)
        return Fill(member_rows=members, org_rows=orgs, log_rows=logs, plan_rows=plans)

    def logs(self, refs: list[tuple[str, dict[str, Any], str, str]], n: int) -> list[dict[str, Any]]:
        rng, out = self.rng, []
        start = self.s.fulfil.start
        member_refs = [r for r in refs if r[2]] or refs
        for _ in range(n if member_refs else 0):
            ref, row, mid, name = rng.choice(member_refs)
            c = row["content"][:20]
            done = row.get("done_on")
            if done:
                day, note = done, rng.choice(LOG_DONE).format(c=c)
            else:
                day, note = self.day(start, self.s.fulfil.end), rng.choice(LOG_PROGRESS).format(c=c)
            log = {
                "date": day,
                "member_id": mid,
                "name": name,
                "pledge_ref": ref,
                "note": note,
                "evidence": rng.choice(EVIDENCE),
            }
            if rng.random() < MISTAKE_RATE:
                self.mistakes += 1
                log["date"] = rng.choice(TEXT_DATES + BAD_DATES)
            out.append(log)
        out.sort(key=lambda r: (str(r["date"]), r["pledge_ref"]))
        return out

    def plans(self, refs: list[tuple[str, dict[str, Any], str, str]]) -> list[dict[str, Any]]:
        rng, out = self.rng, []
        start = self.s.fulfil.start
        for ref, row, _mid, name in rng.sample(refs, min(len(refs), PLANNED_PLEDGES)):
            due = row["deadline"] if isinstance(row["deadline"], dt.date) else self.hi
            pool = (
                ORG_STEPS
                if ref.startswith(L.REF_ORG)
                else FAULT_STEPS
                if row.get("kind") == L.KIND_FAULT
                else DEED_STEPS
            )
            for k, step in enumerate(pool[:2], start=1):
                planned = min(due, max(start, due - dt.timedelta(days=10 * (2 - k))))
                actual = planned if row.get("progress") == L.PROGRESS_DONE else None
                out.append(
                    {
                        "pledge_ref": ref,
                        "step": step,
                        "planned_on": planned,
                        "actual_on": actual,
                        "owner": name,
                    }
                )
        return out


@dataclass(frozen=True)
class _Job:
    plan: UnitPlan
    settings_dir: str
    root: str
    seed: int
    year: int
    variant: int = 0
    target: str = ""  # when set: write only the current version to this path (warm benchmark)


def _mtime(year: int, month: int, i: int) -> float:
    return dt.datetime(year, month, 8 if month == 9 else 18, 8, 0).timestamp() + i * 7


def _at(ts: float) -> dt.datetime:
    """The saved time a workbook records (the same moment as its modification time)."""
    return dt.datetime.fromtimestamp(ts, dt.UTC)


_SETTINGS_CACHE: dict[str, Settings] = {}


def _settings(folder: str) -> Settings:
    if folder not in _SETTINGS_CACHE:
        _SETTINGS_CACHE[folder] = load_settings(Path(folder))
    return _SETTINGS_CACHE[folder]


def _write_unit(job: _Job) -> dict[str, int]:
    s = _settings(job.settings_dir)
    u = job.plan
    form = UnitForm(u.code, u.name, u.type, u.members)
    returns = Path(job.root) / RETURNS
    counts = {"files": 0, "member_rows": 0, "org_rows": 0, "log_rows": 0, "plan_rows": 0, "mistakes": 0}
    gen = _Unit(u, s, job.seed, job.variant)
    if job.target:
        ts = _mtime(job.year, 11, u.index) + 3600 * job.variant
        fill = replace(gen.rows(first_version=False), saved=_at(ts))
        write_template(form, s, Path(job.target), fill, bulk=False)  # saved as Excel saves
        os.utime(job.target, (ts,) * 2)
        return counts
    if u.resend:
        fill = _Unit(u, s, job.seed).rows(first_version=True)  # same pledges, before any progress
        fill = replace(fill, saved=_at(_mtime(job.year, 9, u.index)))
        path = returns / f"{job.year}-09" / L.template_filename(u.code, u.name)
        write_template(form, s, path, fill, bulk=False)
        os.utime(path, (_mtime(job.year, 9, u.index),) * 2)
        counts["files"] += 1
    fill = replace(gen.rows(first_version=False), saved=_at(_mtime(job.year, 11, u.index)))
    path = returns / f"{job.year}-11" / L.template_filename(u.code, u.name)
    write_template(form, s, path, fill, bulk=False)
    os.utime(path, (_mtime(job.year, 11, u.index),) * 2)
    counts["files"] += 1
    counts["member_rows"] += len(fill.member_rows)
    counts["org_rows"] += len(fill.org_rows)
    counts["log_rows"] += len(fill.log_rows)
    counts["plan_rows"] += len(fill.plan_rows)
    counts["mistakes"] += gen.mistakes
    return counts


def _stamp(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def ensure_campaign(
    scale: str | Scale,
    folder: Path,
    settings_source: Path,
    seed: int = DEFAULT_SEED,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    prefix: str = "",
) -> DataInfo:
    """The synthetic campaign of ``scale`` (a name in :data:`SCALES` or a :class:`Scale`)
    in ``folder``, generated unless the stamp matches. ``prefix`` starts every unit code
    and member id (campaigns of several schools with codes unique across them: the
    roll-up's test and benchmark, :mod:`pipeline.tooling.rollup_synth`)."""
    import time

    sc = SCALES[scale] if isinstance(scale, str) else scale
    name = scale if isinstance(scale, str) else f"{sc.units}x{sc.members}"
    settings_text = settings_source.read_text(encoding="utf-8")
    key = data_key(settings_text) + f"-{name}-{seed}" + (f"-{prefix}" if prefix else "")
    old = _stamp(folder)
    if old and old.get("key") == key and (folder / ROSTER_FILE).is_file():
        info = DataInfo(**{k: v for k, v in old.items() if k in DataInfo.__dataclass_fields__})
        info.cached = True
        return info
    t0 = time.perf_counter()
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / SETTINGS_FILE).write_text(settings_text, encoding="utf-8")
    s = load_settings(folder)
    plans = _roster_plans(sc, seed, prefix)
    _write_roster(plans, folder / ROSTER_FILE, seed)
    os.utime(folder / ROSTER_FILE, (dt.datetime(s.year, 7, 10, 9, 0).timestamp(),) * 2)
    for month in ("09", "11"):
        (folder / RETURNS / f"{s.year}-{month}").mkdir(parents=True, exist_ok=True)
    jobs = [_Job(p, str(folder), str(folder), seed, s.year) for p in plans]
    totals: dict[str, Any] = {
        "files": 0,
        "member_rows": 0,
        "org_rows": 0,
        "log_rows": 0,
        "plan_rows": 0,
        "mistakes": 0,
    }
    workers = workers or min(os.cpu_count() or 1, 8)
    done = 0
    if workers <= 1 or len(jobs) < 16:
        results = map(_write_unit, jobs)
        for r in results:
            for k, v in r.items():
                totals[k] += v
            done += 1
            if progress:
                progress(done, len(jobs))
    else:
        with ProcessPoolExecutor(workers) as pool:
            for r in pool.map(_write_unit, jobs, chunksize=8):
                for k, v in r.items():
                    totals[k] += v
                done += 1
                if progress:
                    progress(done, len(jobs))
    info = DataInfo(
        scale=name,
        seed=seed,
        key=key,
        units=sc.units,
        members=sc.members,
        resends=sum(p.resend for p in plans),
        generated_seconds=round(time.perf_counter() - t0, 2),
        **totals,
    )
    write_text_atomic(folder / STAMP, json.dumps(info.to_dict(), ensure_ascii=False, indent=1))
    return info


@functools.lru_cache(maxsize=4)
def _plans_of(scale: Scale, seed: int) -> list[UnitPlan]:
    """The roster's unit plans, made once per process (the bench rewrites hundreds of units)."""
    return _roster_plans(scale, seed)


def rewrite_unit(
    folder: Path, target: Path, unit_index: int, variant: int, seed: int = DEFAULT_SEED, scale: str = "city"
) -> None:
    """Write unit ``unit_index``'s current workbook with edit number ``variant`` to ``target``
    (the warm benchmark's "one workbook changed since the last run")."""
    s = load_settings(folder)
    plan = _plans_of(SCALES[scale], seed)[unit_index]
    _write_unit(_Job(plan, str(folder), str(folder), seed, s.year, variant=variant, target=str(target)))
