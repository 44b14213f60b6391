"""Real mail servers on 127.0.0.1 for the mail tests, and campaign settings pointing at them.

- :func:`imap_server`: pymap (an IMAP4rev1 server from PyPI, in-memory backend) in a
  subprocess; messages are loaded with APPEND, as a mail client would.
- :func:`smtp_server`: aiosmtpd in a thread, capturing every message it accepts.
- :func:`silent_server`: accepts connections and never answers (timeouts).
Every socket the tests open has a timeout.
"""

from __future__ import annotations

import contextlib
import imaplib
import json
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

USER = "hdb@example.edu.cn"
PASSWORD = "imap-secret"
TIMEOUT = 5


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pymap() -> list[str]:
    exe = Path(sys.executable).with_name("pymap")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("pymap")
    if found:
        return [found]
    return [sys.executable, "-c", "import sys; from pymap.main import main; sys.exit(main())"]


@contextlib.contextmanager
def imap_server(user: str = USER, password: str = PASSWORD) -> Iterator[int]:
    port = free_port()
    proc = subprocess.Popen(
        [
            *_pymap(),
            *("--host", "127.0.0.1", "--port", str(port), "--no-tls", "dict"),
            *("--demo-user", user, "--demo-password", password),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                    raise RuntimeError(f"pymap did not start: {err[-2000:]}") from None
                time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def imap_client(port: int, user: str = USER, password: str = PASSWORD) -> imaplib.IMAP4:
    c = imaplib.IMAP4("127.0.0.1", port, timeout=TIMEOUT)
    c.login(user, password)
    return c


def append(port: int, raw: bytes, when: float, flags: str = "", folder: str = "INBOX") -> None:
    c = imap_client(port)
    try:
        typ, data = c.append(folder, flags or None, imaplib.Time2Internaldate(when), raw)
        assert typ == "OK", data
    finally:
        c.logout()


def snapshot(port: int, folder: str = "INBOX") -> dict[int, tuple[str, int]]:
    """uid -> (sorted flags, size) of every message, read-only."""
    c = imap_client(port)
    try:
        typ, data = c.select(folder, readonly=True)
        assert typ == "OK"
        count = int(data[0] or 0)
        out: dict[int, tuple[str, int]] = {}
        if count:
            typ, items = c.uid("FETCH", "1:*", "(UID FLAGS RFC822.SIZE)")
            for it in items:
                text = it.decode() if isinstance(it, bytes) else ""
                m = re.search(r"UID (\d+)", text)
                f = re.search(r"FLAGS \(([^)]*)\)", text)
                z = re.search(r"RFC822\.SIZE (\d+)", text)
                if m and f and z:
                    out[int(m.group(1))] = (" ".join(sorted(f.group(1).split())), int(z.group(1)))
        assert len(out) == count
        return out
    finally:
        c.logout()


@dataclass
class Captured:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class SmtpCapture:
    messages: list[Captured] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # recipients answered 550

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address.lower() in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            Captured(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content))
        )
        return "250 Message accepted"


@contextlib.contextmanager
def smtp_server(password: str | None = None) -> Iterator[tuple[int, SmtpCapture]]:
    """aiosmtpd on 127.0.0.1; with ``password``, AUTH is offered (and required)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    handler = SmtpCapture()
    kw: dict[str, Any] = {}
    if password is not None:

        def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
            ok = getattr(data, "password", b"") in (password.encode(), password)
            return AuthResult(success=ok, handled=False)

        kw = {"authenticator": check, "auth_required": True, "auth_require_tls": False}
    port = free_port()
    ctl = Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=TIMEOUT, **kw)
    ctl.start()
    try:
        yield port, handler
    finally:
        ctl.stop()


@contextlib.contextmanager
def silent_server() -> Iterator[int]:
    """Accepts TCP connections and never sends a byte (a hung server)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
                held.append(conn)
            except OSError:
                continue

    t = threading.Thread(target=loop, daemon=True)
    t.start()
    try:
        yield int(srv.getsockname()[1])
    finally:
        stop.set()
        t.join(2)
        for c in held:
            c.close()
        srv.close()


def set_mail(inputs: Path, **values: object) -> None:
    """Set keys of the [mail] section of inputs/campaign.toml (the demo file has them all)."""
    path = inputs / "campaign.toml"
    lines = path.read_text(encoding="utf-8").splitlines()
    in_mail = False
    done: set[str] = set()
    for i, line in enumerate(lines):
        if line.startswith("["):
            in_mail = line.strip() == "[mail]"
            continue
        if not in_mail:
            continue
        key = line.split("=", 1)[0].strip()
        if key in values:
            v = values[key]
            text = (
                ("true" if v else "false")
                if isinstance(v, bool)
                else (str(v) if isinstance(v, int) else json.dumps(v))
            )
            lines[i] = f"{key} = {text}"
            done.add(key)
    missing = set(values) - done
    assert not missing, f"no such [mail] keys in campaign.toml: {missing}"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
