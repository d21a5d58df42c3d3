"""The team server's users: a name, a role, and the hash of a token shown once.

Tokens are 256 random bits, so a plain SHA-256 is enough to keep the stored hash useless to whoever
reads the file (no password to guess). Users are local to the server's book: never in an op, never
in a clone or a snapshot.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from wtui.book.engine import sqlite3
from wtui.errors import BadInput

ROLES = ("admin", "rep")
_NAME = re.compile(r"^[\w.@-]{1,64}$")
TOKEN_PREFIX = "wtui_"


@dataclass(frozen=True)
class User:
    name: str
    role: str
    created_at: str
    revoked_at: str | None = None

    @property
    def admin(self) -> bool:
        return self.role == "admin"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise BadInput(f"user name {name!r}: 1 to 64 letters, digits, '.', '_', '@' or '-'")
    return name


def add(conn: sqlite3.Connection, name: str, role: str, at: str) -> str:
    """A new user (or a revoked one again) with a fresh token, which is returned and never stored."""
    check_name(name)
    if role not in ROLES:
        raise BadInput(f"role {role!r}: one of {', '.join(ROLES)}")
    row = conn.execute("SELECT revoked_at FROM users WHERE name = ?", (name,)).fetchone()
    if row is not None and row[0] is None:
        raise BadInput(f"user {name} exists: revoke them first to issue a new token")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    conn.execute("INSERT OR REPLACE INTO users (name, role, token_hash, created_at, revoked_at) VALUES (?,?,?,?,NULL)",
                 (name, role, digest(token), at))
    return token


def revoke(conn: sqlite3.Connection, name: str, at: str) -> None:
    if conn.execute("UPDATE users SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL", (at, name)).rowcount == 0:
        raise BadInput(f"no active user {name!r}")


def all_users(conn: sqlite3.Connection) -> list[User]:
    return [User(*r) for r in conn.execute("SELECT name, role, created_at, revoked_at FROM users ORDER BY name")]


def by_token(conn: sqlite3.Connection, token: str) -> User | None:
    """The active user a token belongs to (None for an unknown, tampered or revoked token)."""
    row = conn.execute("SELECT name, role, created_at, revoked_at FROM users WHERE token_hash = ?",
                       (digest(token),)).fetchone()
    return User(*row) if row and row[3] is None else None


def claim(conn: sqlite3.Connection, origins: set[str], user: str, at: str) -> dict[str, str]:
    """Bind each replica id a user pushes to that user at first sight; returns those already bound to
    someone else (their ops are refused: one user's client cannot push as another's replica)."""
    taken: dict[str, str] = {}
    for origin in sorted(origins):
        conn.execute("INSERT OR IGNORE INTO replica_owners (origin, user, since) VALUES (?, ?, ?)", (origin, user, at))
        owner = conn.execute("SELECT user FROM replica_owners WHERE origin = ?", (origin,)).fetchone()[0]
        if owner != user:
            taken[origin] = owner
    return taken


def owner(conn: sqlite3.Connection, origin: str) -> str | None:
    """The user a replica id is bound to (None: not yet)."""
    row = conn.execute("SELECT user FROM replica_owners WHERE origin = ?", (origin,)).fetchone()
    return row[0] if row else None
