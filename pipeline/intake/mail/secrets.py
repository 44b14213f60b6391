"""The mailbox password: never in a file of the repository.

Looked up in the environment variable ``PLEDGE_MAIL_PASSWORD`` (``PLEDGE_SMTP_PASSWORD``
for the outgoing server when it differs), then in the system keyring (Windows
Credential Manager, macOS Keychain, Secret Service) when the optional ``keyring``
package is installed: service ``pledge-pipeline``, user name = the mailbox login.
"""

from __future__ import annotations

import os

from pipeline.core.errors import MailError

ENV_PASSWORD = "PLEDGE_MAIL_PASSWORD"
ENV_SMTP_PASSWORD = "PLEDGE_SMTP_PASSWORD"
KEYRING_SERVICE = "pledge-pipeline"


def _keyring(user: str) -> str:
    try:
        import keyring  # optional: pip install keyring
    except ImportError:
        return ""
    try:
        return keyring.get_password(KEYRING_SERVICE, user) or ""
    except Exception:  # no usable backend on this machine
        return ""


def find_password(user: str, smtp: bool = False) -> str:
    """The password or "" when none is configured."""
    if smtp and os.environ.get(ENV_SMTP_PASSWORD):
        return os.environ[ENV_SMTP_PASSWORD]
    return os.environ.get(ENV_PASSWORD, "") or _keyring(user)


def require_password(user: str, smtp: bool = False) -> str:
    got = find_password(user, smtp)
    if not got:
        raise MailError(
            f"没有找到邮箱 {user} 的密码（授权码）。请在运行前设置环境变量 {ENV_PASSWORD}，"
            f"或用 keyring 存入系统钥匙串（服务名 {KEYRING_SERVICE}，用户名 {user}）。不要把密码写进 campaign.toml。"
        )
    return got
