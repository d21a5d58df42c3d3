"""Opening a book file safely, and the one way to write to it.

Journal mode. SQLite 3.7.0 to 3.51.2 has the WAL-reset bug: a race between a
checkpoint that resets the WAL and a concurrent writer can corrupt the
database. Fixed in 3.51.3, with backports in 3.44.6 and 3.50.7. wtui runs on
pysqlite3's bundled SQLite where it installs (``engine``), checks the linked
version at open and uses WAL only on a fixed SQLite, and only for a book that
everyone who may read it may also write (``wal_fits``: WAL's readers write its
-shm); otherwise it uses the rollback journal (``TRUNCATE``), which has no WAL
and so no race. Several rep processes still
share one file: writers take ``BEGIN IMMEDIATE`` (a deferred read-then-write
transaction cannot be rescued by the busy timeout, see MEASURED.md). SQLite's
own busy handler waits up to ``BUSY_TIMEOUT_MS`` at a time; ``write`` retries
beginning and committing, with jittered backoff, until the caller's deadline,
and long writes commit in short transactions (``Book.batch``), so a writer
waits for another at most about ``transaction_seconds`` at a time. While it
writes, a process leaves a note beside the book (``<book>-writer``: who, what,
since when) so a writer that still gives up can say who held the book.
"""

from __future__ import annotations

import json
import os
import random
import stat
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

from wtui.book.engine import sqlite3
from wtui.core.text import contains, visible
from wtui.errors import BookBusy, BookError

BUSY_TIMEOUT_MS = 5000
WAL_CHECKPOINT_PAGES = 10_000  # see connect
# The WAL file is cut back to this after each reset: so its size tells how much the WAL holds now
# (``checkpoints.Checkpointer``); SQLite's own checkpoint size.
WAL_KEEP_BYTES = 4 << 20
WAL_SAFE_RANGES = (((3, 44, 6), (3, 45, 0)), ((3, 50, 7), (3, 51, 0)), ((3, 51, 3), (99, 0, 0)))
SCHEMA_VERSION = 15
APPLICATION_ID = 0x77747569  # "wtui": marks the file as a wtui book


def wal_is_safe(version: tuple[int, int, int] = sqlite3.sqlite_version_info) -> bool:
    """True when the linked SQLite has the WAL-reset fix."""
    return any(lo <= version < hi for lo, hi in WAL_SAFE_RANGES)


_WAL_SAFE = wal_is_safe()


def journal_mode(version: tuple[int, int, int] = sqlite3.sqlite_version_info) -> str:
    return "wal" if wal_is_safe(version) else "truncate"


def with_sidecars(path: Path) -> tuple[Path, ...]:
    """A book file and the files SQLite keeps beside it (a journal, a WAL and its index)."""
    return (path, *(path.with_name(path.name + end) for end in ("-journal", "-wal", "-shm")))


def wal_fits(path: Path) -> bool:
    """May this book use WAL? Only if everyone who may read it may also write it and its directory: a WAL
    reader writes the -shm beside the book (a reader who cannot could not open it, or would leave -wal and
    -shm files the writers cannot write)."""
    try:
        f, d = path.stat(), path.parent.stat()
    except OSError:
        return False
    for read, write in ((stat.S_IRGRP, stat.S_IWGRP), (stat.S_IROTH, stat.S_IWOTH)):
        if f.st_mode & read and not (f.st_mode & write and d.st_mode & write):
            return False
    # A group that reads it must get the -wal and -shm too: new files take the creator's primary group unless
    # the directory is setgid (then the directory's group, which must be the book's).
    return not (f.st_mode & stat.S_IRGRP and not (d.st_mode & stat.S_ISGID and d.st_gid == f.st_gid))


def _settle_mode(conn: sqlite3.Connection, path: Path, wanted: str) -> str:
    """Put the book in ``wanted`` mode unless another process has it open in the other one (the change
    needs the book to itself: then it stays as it is). Refuses a book in WAL on a SQLite with the
    WAL-reset bug (a process on Python's own sqlite3 beside one on pysqlite3)."""
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    if mode != wanted:
        try:
            mode = conn.execute("PRAGMA journal_mode = " + wanted).fetchone()[0]  # one of two fixed words
        except sqlite3.OperationalError as exc:
            if not is_busy(exc):
                raise
    if mode == "wal" and not wal_is_safe():
        conn.close()
        raise BookBusy(f"{path} is open in WAL mode by another wtui, and this one's SQLite "
                       f"({sqlite3.sqlite_version}) cannot share it safely (the WAL-reset bug): use the wtui the "
                       "others use (installed with pysqlite3), or wait until they close the book")
    return mode


def create_file(path: Path, shared: bool = False) -> None:
    """A new, empty book file that only its owner reads: 0600; or 0660 with the directory's group when the
    team shares it (``shared``, or a setgid directory). SQLite gives the journal the same mode."""
    shared = shared or bool(path.parent.stat().st_mode & stat.S_ISGID)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise BookError(f"{path}: cannot create the book ({exc.strerror})") from None
    try:
        os.fchmod(fd, 0o660 if shared else 0o600)  # the umask does not decide who reads customer data
        if shared:
            try:
                os.fchown(fd, -1, path.parent.stat().st_gid)
            except PermissionError:
                pass  # not in the directory's group: the file keeps the rep's group, still 0660
    finally:
        os.close(fd)


def world_readable(path: Path) -> bool:
    return path.exists() and bool(path.stat().st_mode & stat.S_IROTH)


def connect(path: str | Path, *, create: bool = False, readonly: bool = False,
            shared: bool = False) -> sqlite3.Connection:
    """A connection with wtui's pragmas. Refuses files that are not wtui books. ``create``: a new file is
    made with ``create_file`` (0600, or 0660 for the group when ``shared``)."""
    p = Path(path)
    if not create and not p.exists():
        raise BookError(f"{p}: no such book (start one there with `wtui --db {p} import contacts.csv`, or try "
                        f"`wtui --demo`)")
    if create and not p.exists():
        create_file(p, shared)
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
    except sqlite3.OperationalError as exc:
        conn.close()
        if is_busy(exc):
            raise BookBusy(f"{p} is busy: {holder(p)}") from None
        raise BookError(f"{p}: not a wtui book ({exc})") from None
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise BookError(f"{p}: not a wtui book ({exc})") from None
    if tables and app_id != APPLICATION_ID:
        conn.close()
        raise BookError(f"{p}: this SQLite file is not a wtui book")
    if not readonly:
        mode = _settle_mode(conn, p, journal_mode() if wal_fits(p) else "truncate")
        conn.execute("PRAGMA synchronous = NORMAL" if mode == "wal" else "PRAGMA synchronous = FULL")
        if mode == "wal":
            # A long write's commits (a sync's batches, an import's chunks) are copied from the WAL into the
            # book every ~40 MB, not SQLite's 4 MB: a page several commits rewrote is copied once; the file is
            # cut back to 4 MB after. A Book's own connection does it on a thread (book/checkpoints.py).
            conn.execute("PRAGMA wal_autocheckpoint = %d" % WAL_CHECKPOINT_PAGES)
            conn.execute("PRAGMA journal_size_limit = %d" % WAL_KEEP_BYTES)
        conn.execute("PRAGMA cache_size = -16384")  # 16 MiB: a batch's pages stay in memory, not spilled under
        # an exclusive lock that would shut readers out until the commit
    conn.execute("PRAGMA foreign_keys = ON")
    # Unicode-aware "contains" for queries (SQLite's LIKE folds ASCII only).
    conn.create_function("wtui_contains", 2, _contains, deterministic=True)
    return conn


def _contains(text: str | None, needle: str | None) -> int:
    return int(contains(text, needle))


def is_busy(exc: BaseException) -> bool:
    """SQLITE_BUSY / SQLITE_LOCKED: another connection holds the lock (the stdlib says so only in words)."""
    return isinstance(exc, sqlite3.OperationalError) and any(
        w in str(exc) for w in ("database is locked", "database is busy", "database table is locked"))


def retrying(conn: sqlite3.Connection, sql: str, deadline: float) -> None:
    """Run ``sql`` (BEGIN IMMEDIATE, COMMIT), retrying while the book is busy until ``deadline``
    (``time.monotonic()``), with jittered exponential backoff on top of SQLite's own waiting."""
    pause = 0.05
    while True:
        try:
            conn.execute(sql)
            return
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(min(pause, max(0.0, deadline - time.monotonic())) * random.uniform(0.5, 1.0))
        pause = min(pause * 2, 2.0)


def book_path(conn: sqlite3.Connection) -> Path | None:
    row = conn.execute("PRAGMA database_list").fetchone()
    return Path(row[2]) if row and row[2] else None


def note_path(path: Path) -> Path:
    return path.with_name(path.name + "-writer")


def holder(path: Path | None) -> str:
    """Who holds the book, from the note its writer left: 'ana (pid 4242, rules) since 08:01:02 UTC'."""
    try:
        note = json.loads(note_path(path).read_text(encoding="utf-8")) if path else {}
        since = datetime.fromtimestamp(float(note["since"]), timezone.utc)
        who = f"{note['actor']} (pid {int(note['pid'])}, {note['what']}) since {since:%H:%M:%S} UTC"
        return "another process is writing to it: " + visible(who)
    except (OSError, ValueError, KeyError, TypeError):
        return "another process is writing to it"


def leave_note(conn: sqlite3.Connection, actor: str, what: str) -> Path | None:
    """The note beside the book while this process holds it long (best effort: a read-only directory has
    none); ``clear_note`` takes it away."""
    path = book_path(conn)
    if path is None:
        return None
    note = note_path(path)
    try:
        note.write_text(json.dumps({"actor": actor, "pid": os.getpid(), "what": what, "since": time.time()}),
                        encoding="utf-8")
    except OSError:
        return None
    return note


def clear_note(note: Path | None) -> None:
    if note is not None:
        note.unlink(missing_ok=True)


@contextmanager
def write(conn: sqlite3.Connection, wait: float = BUSY_TIMEOUT_MS / 1000) -> Iterator[sqlite3.Connection]:
    """One write transaction: BEGIN IMMEDIATE, commit on success, roll back on any error. Begin and
    commit wait up to ``wait`` seconds for other writers; then ``BookBusy`` says who holds the book."""
    begin(conn, wait)
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    commit(conn, wait)


def begin(conn: sqlite3.Connection, wait: float) -> None:
    try:
        retrying(conn, "BEGIN IMMEDIATE", time.monotonic() + wait)
    except sqlite3.OperationalError as exc:
        if is_busy(exc):
            raise BookBusy(f"{book_path(conn)} is busy after {wait:g} s: {holder(book_path(conn))}") from None
        raise
    if not _WAL_SAFE and conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
        # Another wtui (on a fixed SQLite) put the book in WAL while this connection sat idle: SQLite follows
        # it silently, and this SQLite has the WAL-reset bug. Nothing is written.
        conn.execute("ROLLBACK")
        raise BookBusy(f"{book_path(conn)} was put in WAL mode by another wtui, and this one's SQLite "
                       f"({sqlite3.sqlite_version}) cannot share it safely (the WAL-reset bug): use the wtui the "
                       "others use (installed with pysqlite3)")


def commit(conn: sqlite3.Connection, wait: float) -> None:
    """COMMIT, which in the rollback journal waits for readers to finish; rolled back if it cannot."""
    try:
        retrying(conn, "COMMIT", time.monotonic() + wait)
    except sqlite3.OperationalError as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        if is_busy(exc):
            raise BookBusy(f"{book_path(conn)} is busy after {wait:g} s: {holder(book_path(conn))}; "
                           "nothing was written") from None
        raise


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
    if t.tzinfo is not timezone.utc:  # most are UTC already (read from the book): skip the conversion
        t = t.astimezone(timezone.utc)
    # isoformat(timespec="seconds") with "Z" for "+00:00", written out: formatting the offset made it
    # twice as slow, and a recompute writes nine of these a customer.
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (t.year, t.month, t.day, t.hour, t.minute, t.second)


def parse_iso(s: str | None) -> datetime | None:
    if not s:
        return None
    return datetime.fromisoformat(s)
