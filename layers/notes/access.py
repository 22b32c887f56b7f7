"""Who may write annotations: viewers read, editors write their own, admins write any.

Three modes, chosen by configuration (Streamlit secrets, or a TOML file named by the
environment variable ``PLANMAP_USERS_FILE``, same layout):

* ``password``: a ``[planmap_users.<name>]`` table per user with ``password_hash`` (made by
  ``python -m layers.notes.access hash``) and ``role`` (viewer | editor | admin);
* ``oidc``: Streamlit's ``st.login`` is configured (an ``[auth]`` section); roles come from
  ``[planmap_roles]`` (``"email" = "role"``), anyone else signed in is a viewer;
* ``single`` (nothing configured): one planner on their own machine, asked for a name once,
  who may change everything in the local store.

Passwords are stored only as PBKDF2-SHA256 hashes with a random salt; checks take constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROLES = ("viewer", "editor", "admin")
PBKDF2_ITERATIONS = 240_000
_SCHEME = "pbkdf2_sha256"


class AccessError(ValueError):
    """A configuration that cannot be used; the message says what to fix."""


def hash_password(password: str, iterations: int = PBKDF2_ITERATIONS) -> str:
    if not password:
        raise AccessError("密码不能为空")
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return "$".join([_SCHEME, str(iterations), base64.b64encode(salt).decode(),
                     base64.b64encode(digest).decode()])


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, iterations, salt, digest = stored.split("$")
        if scheme != _SCHEME:
            return False
        got = hashlib.pbkdf2_hmac("sha256", (password or "").encode(), base64.b64decode(salt),
                                  int(iterations))
        return hmac.compare_digest(got, base64.b64decode(digest))
    except (ValueError, TypeError):
        return False


@dataclass(frozen=True)
class User:
    name: str
    role: str

    @property
    def can_write(self) -> bool:
        return self.role in ("editor", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def may_change(self, owner: str) -> bool:
        """May this user edit, delete or restore an annotation written by ``owner``?"""
        return self.is_admin or (self.role == "editor" and owner == self.name)


def _role(value, where: str) -> str:
    if value not in ROLES:
        raise AccessError(f"{where} 的角色 {value!r} 无效，可选：{'、'.join(ROLES)}")
    return value


@dataclass
class Access:
    mode: str  # single | password | oidc
    password_hashes: dict[str, str] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config=None, environ=os.environ) -> Access:
        """From the app's secrets (a mapping) or, when they configure nothing, the TOML file
        named by ``PLANMAP_USERS_FILE``."""
        config = dict(config or {})
        if not config.get("planmap_users") and not config.get("auth") \
                and environ.get("PLANMAP_USERS_FILE"):
            path = Path(environ["PLANMAP_USERS_FILE"])
            try:
                config = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
                raise AccessError(f"无法读取用户文件 {path}：{e}") from e
        users = config.get("planmap_users") or {}
        if users:
            hashes, roles = {}, {}
            for name, entry in users.items():
                if not isinstance(entry, dict) or not entry.get("password_hash"):
                    raise AccessError(f"用户 {name} 缺少 password_hash"
                                      "（用 python -m layers.notes.access hash 生成）")
                hashes[str(name)] = str(entry["password_hash"])
                roles[str(name)] = _role(entry.get("role", "viewer"), f"用户 {name}")
            return cls("password", hashes, roles)
        if config.get("auth"):
            roles = {str(k).lower(): _role(v, f"planmap_roles 中 {k}")
                     for k, v in (config.get("planmap_roles") or {}).items()}
            return cls("oidc", roles=roles)
        return cls("single")

    def sign_in(self, name: str, password: str) -> User | None:
        """The user, when the password matches; None otherwise (which of the two was
        wrong is not said)."""
        stored = self.password_hashes.get(name)
        if stored is None:
            verify_password(password, hash_password("x"))  # same time whether or not known
            return None
        return User(name, self.roles[name]) if verify_password(password, stored) else None

    def oidc_user(self, email: str, display_name: str = "") -> User:
        return User(display_name or email, self.roles.get(email.lower(), "viewer"))

    @staticmethod
    def single_user(name: str) -> User:
        return User(name, "admin")


def main(argv: list[str]) -> int:
    if argv[:1] != ["hash"]:
        print("用法：python -m layers.notes.access hash   （输入密码，打印可写入 secrets 的哈希）")
        return 2
    import getpass

    password = getpass.getpass("密码：")
    if password != getpass.getpass("再输一次："):
        print("两次输入不一致", file=sys.stderr)
        return 1
    print(hash_password(password))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
