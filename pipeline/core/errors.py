"""Domain errors that stop a run, each mapped by the CLI to an exit code.

Problems inside returned workbooks are never exceptions: they are findings. These are
for things that make a whole run impossible (unusable settings or roster, a second run
holding the lock).
"""

from __future__ import annotations


class PipelineError(Exception):
    """A run cannot go on; ``str(err)`` is a Chinese one-line message for the clerk."""

    exit_code = 2


class SettingsError(PipelineError):
    """inputs/campaign.toml is missing, unreadable or has a wrong key.

    ``code`` is the rule code shown after the message: S101 a missing or wrong value,
    S102 an unknown key (a typo), S103 a file that is not valid TOML, S104 a date that
    does not exist."""

    def __init__(self, message: str, code: str = "S101") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return f"{self.message}（{self.code}）"


class RosterError(PipelineError):
    """inputs/roster.xlsx is missing or has errors; ``findings`` lists each cell."""

    def __init__(self, message: str, findings: list | None = None) -> None:
        super().__init__(message)
        self.findings = findings or []


class LockedError(PipelineError):
    """Another run holds the outputs lock."""

    exit_code = 3


class MailError(PipelineError):
    """The mail server cannot be used (wrong password, unreachable, TLS, timeout) or the
    ``[mail]`` settings are incomplete; nothing was half-saved."""
