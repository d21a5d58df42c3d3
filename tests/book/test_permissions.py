"""Customer data on a shared server: a new book is the rep's alone (0600), or the team's group's (0660)."""

from __future__ import annotations

import os
import stat

import pytest

from tests.conftest import NOW
from wtui.book.book import Book
from wtui.core import config


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def loose_umask():
    old = os.umask(0o002)  # a shared server's common umask: would leave files 0664
    yield
    os.umask(old)


def test_a_new_book_and_its_journal_are_the_reps_alone(tmp_path, loose_umask):
    path = tmp_path / "mine.db"
    with Book.create(path, config.with_overrides({}), clock=lambda: NOW, actor="ana") as book:
        assert mode(path) == 0o600
        book.conn.execute("PRAGMA journal_mode = DELETE")  # keep the journal file on disk while we look
        book.conn.execute("BEGIN IMMEDIATE")
        book.conn.execute("INSERT INTO settings VALUES ('probe', '1')")
        journal = tmp_path / "mine.db-journal"
        assert journal.exists() and not mode(journal) & 0o077
        book.conn.execute("ROLLBACK")


def test_a_book_in_a_shared_directory_is_the_groups(tmp_path, loose_umask):
    team = tmp_path / "team"
    team.mkdir()
    os.chmod(team, 0o2770)  # setgid: the team's directory
    path = team / "book.db"
    with Book.create(path, config.with_overrides({}), clock=lambda: NOW, actor="ana"):
        assert mode(path) == 0o660 and os.stat(path).st_gid == os.stat(team).st_gid


def test_shared_in_config_makes_a_group_book_anywhere(tmp_path, loose_umask):
    path = tmp_path / "book.db"
    with Book.create(path, config.with_overrides({"book": {"shared": True}}), clock=lambda: NOW, actor="ana"):
        assert mode(path) == 0o660


def test_locate_warns_about_a_world_readable_book(tmp_path, capsys):
    from wtui import cli

    path = tmp_path / "open.db"
    Book.create(path, config.with_overrides({}), clock=lambda: NOW, actor="ana").close()
    os.chmod(path, 0o644)
    assert cli.main(["--db", str(path), "locate"]) == 0
    assert "readable by every user" in capsys.readouterr().err


@pytest.mark.parametrize("file_mode, dir_mode, wal", [
    (0o600, 0o700, True),  # the rep's own book
    (0o660, 0o2770, True),  # the team's, in its shared directory
    (0o644, 0o755, False),  # others may read, not write: a WAL reader must write the -shm beside it
    (0o640, 0o750, False),  # the group reads only
    (0o660, 0o755, False),  # the group writes the book but cannot make files beside it
    (0o660, 0o770, False),  # ...or can, but not setgid: a rep's -wal would take their own primary group
])
def test_wal_only_for_a_book_everyone_who_reads_it_may_write(tmp_path, file_mode, dir_mode, wal):
    # Found in review: a read-only rep could not open a WAL book (no -shm yet), or left -wal and -shm files
    # the owner could not write, and the owner's next write failed as "busy".
    from wtui.book import db

    where = tmp_path / "team"
    where.mkdir()
    path = where / "book.db"
    Book.create(path, config.load(layers=[])).close()
    os.chmod(path, file_mode)
    os.chmod(where, dir_mode)
    assert db.wal_fits(path) is wal
    if db.wal_is_safe():
        with Book.open(path, config.load(layers=[])) as book:
            assert book.conn.execute("PRAGMA journal_mode").fetchone()[0] == ("wal" if wal else "truncate")


def test_a_sqlite_with_the_wal_reset_bug_refuses_a_book_another_process_holds_in_wal(tmp_path, monkeypatch):
    # Found in review: a wtui on Python's own SQLite (3.40.1) beside one on pysqlite3 got "database is locked"
    # from its journal-mode switch; swallowed, it would have written in WAL with the bug.
    from wtui.book import db
    from wtui.errors import BookBusy

    if not db.wal_is_safe():
        pytest.skip(f"this SQLite ({db.sqlite3.sqlite_version}) never puts a book in WAL")
    path = tmp_path / "book.db"
    cfg = config.load(layers=[])
    Book.create(path, cfg).close()
    with Book.open(path, cfg) as holder:
        holder.conn.execute("SELECT count(*) FROM customers").fetchone()
        monkeypatch.setattr(db, "wal_is_safe", lambda *a: False)
        monkeypatch.setattr(db, "journal_mode", lambda *a: "truncate")
        with pytest.raises(BookBusy, match="WAL-reset bug"):
            Book.open(path, cfg)
