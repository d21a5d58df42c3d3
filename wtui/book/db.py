"""Opening a book file safely, and the one way to write to it.

Journal mode. SQLite 3.7.0 to 3.51.2 has the WAL-reset bug: a race between a
checkpoint that resets the WAL and a concurrent writer can corrupt the
database. Fixed in 3.51.3, with backports in 3.44.6 and 3.50.7. No DB-API
SQLite wheel that sqlite-utils can use ships a fixed build yet (pysqlite3-binary
links 3.51.1, sqlean.py 3.50.4), so wtui checks the linked version at open and
uses WAL only on a fixed SQLite; otherwise it uses the rollback journal
(``TRUNCATE``), which has no WAL and so no race. Several rep processes still
share one file: writers take ``BEGIN IMMEDIATE`` (a deferred read-then-write
transaction cannot be rescued by the busy timeout, see MEASURED.md) and wait
up to ``BUSY_TIMEOUT_MS`` for each other.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

from wtui.core.text import contains
from wtui.errors import BookError

BUSY_TIMEOUT_MS = 5000
WAL_SAFE_RANGES = (((3, 44, 6), (3, 45, 0)), ((3, 50, 7), (3, 51, 0)), ((3, 51, 3), (99, 0, 0)))
SCHEMA_VERSION = 4
APPLICATION_ID = 0x77747569  # "wtui": marks the file as a wtui book


def wal_is_safe(version: tuple[int, int, int] = sqlite3.sqlite_version_info) -> bool:
    """True when the linked SQLite has the WAL-reset fix."""
    return any(lo <= version < hi for lo, hi in WAL_SAFE_RANGES)


def journal_mode(version: tuple[int, int, int] = sqlite3.sqlite_version_info) -> str:
    return "wal" if wal_is_safe(version) else "truncate"


def connect(path: str | Path, *, create: bool = False, readonly: bool = False) -> sqlite3.Connection:
    """A connection with wtui's pragmas. Refuses files that are not wtui books."""
    p = Path(path)
    if not create and not p.exists():
        raise BookError(f"{p}: no such book (make one with `wtui make-book -o {p}`)")
    try:
        if readonly:  # SQLite itself refuses every write on this connection
            uri = "file:" + quote(str(p.absolute()), safe="/") + "?mode=ro"
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        else:
            conn = sqlite3.connect(p, isolation_level=None, check_same_thread=False)
    except sqlite3.OperationalError as exc:
        raise BookError(f"{p}: cannot open ({exc})") from None
    try:
        conn.execute("PRAGMA busy_timeout = %d" % BUSY_TIMEOUT_MS)  # PRAGMA takes no parameters
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise BookError(f"{p}: not a wtui book ({exc})") from None
    if tables and app_id != APPLICATION_ID:
        conn.close()
        raise BookError(f"{p}: this SQLite file is not a wtui book")
    if not readonly:
        mode = journal_mode()
        current = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if current != mode:
            conn.execute("PRAGMA journal_mode = " + mode)  # one of two fixed words
        conn.execute("PRAGMA synchronous = NORMAL" if mode == "wal" else "PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    # Unicode-aware "contains" for queries (SQLite's LIKE folds ASCII only).
    conn.create_function("wtui_contains", 2, _contains, deterministic=True)
    return conn


def _contains(text: str | None, needle: str | None) -> int:
    return int(contains(text, needle))


@contextmanager
def write(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: BEGIN IMMEDIATE, commit on success, roll back on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextmanager
def read(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A consistent snapshot for several SELECTs (a deferred read-only transaction)."""
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        conn.execute("COMMIT")


IN_CHUNK = 500  # values per IN (...) list: well under SQLite's parameter limit, and a fast plan


def chunks(values: Sequence, size: int = IN_CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def select_in(conn: sqlite3.Connection, sql: str, values: Sequence, params: Sequence = ()) -> Iterator[tuple]:
    """The rows of ``sql``, whose one ``IN (%s)`` takes ``values``, ``IN_CHUNK`` at a time.

    ``sql`` is our own fixed text; ``%s`` becomes the placeholders only. ``params``
    bind before the values. Rows come chunk by chunk (an ORDER BY orders each chunk).
    """
    for chunk in chunks(values):
        yield from conn.execute(sql % ",".join("?" * len(chunk)), (*params, *chunk))


def iso(t: datetime | None) -> str | None:
    """Instants are stored as UTC text that sorts as it reads: 2026-11-22T08:00:00Z."""
    if t is None:
        return None
    return t.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def parse_iso(s: str | None) -> datetime | None:
    if not s:
        return None
    return datetime.fromisoformat(s)
