"""A rep who may only read the book still reads it; opening a book changes nothing but stored verdicts."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from tests.conftest import NOW, D, copy_book
from wtui.book import db, derive, ops, schema
from wtui.book.book import Book
from wtui.book.engine import sqlite3
from wtui.core import config
from wtui.errors import BookError, ReadOnlyBook

DERIVED = set(derive.COLUMNS)


@pytest.fixture
def path(tmp_path, demo_file):
    return copy_book(demo_file, tmp_path / "book.db")


def snapshot(p: Path) -> dict[str, list]:
    """Every row of every table, but for the stored verdicts (customers' derived columns, derived.* settings)."""
    conn = sqlite3.connect(p)
    out = {}
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"):
        cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]  # names from the schema itself
        keep = [c for c in cols if not (table == "customers" and c in DERIVED)]
        where = " WHERE key NOT LIKE 'derived.%'" if table == "settings" else ""
        out[table] = sorted(map(repr, conn.execute(f"SELECT {', '.join(keep)} FROM {table}{where}")))
    conn.close()
    return out


def digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def reads(book: Book) -> None:
    q = book.queue(limit=20, explained=True)
    uid = q.entries[0].uid
    book.card(uid), book.change_log(uid), book.change_log(), book.explain(uid), book.tags(), book.segments()
    book.select("#Stage-Lead AND last_inbound > 7d"), book.count("color = red"), book.rows(book.select("#Urgent"))
    book.progress(q.total), book.team_signals(), book.queue_zones(), book.data_version()
    book.tag_names(), book.names([uid]), book.notes(uid), book.batch_changed("x"), book.all_ids()


def test_opening_a_book_and_reading_it_changes_nothing_but_stored_verdicts(path, cfg):
    before = snapshot(path)
    other = config.with_overrides({"colors": {"rules": {"read_no_reply_hours": 30}}})  # a new fingerprint: all redone
    with Book.open(path, other, clock=lambda: NOW + 3 * D, actor="omar") as book:
        assert book.conn.execute("SELECT value FROM settings WHERE key = 'derived.with'").fetchone()[0].strip('"') \
            == other.fingerprint()  # the sweep did run: this is what it may change
        reads(book)
    assert snapshot(path) == before


def test_a_read_only_book_reads_everything_and_leaves_the_file_byte_for_byte(path, cfg):
    before = digest(path)
    with Book.open(path, cfg, clock=lambda: NOW + 3 * D, actor="omar", readonly=True) as book:
        assert book.readonly
        assert book.refresh_stale() == 0  # time passed, but the stored verdicts are shown as they are
        stored = book.conn.execute("SELECT count(*) FROM customers WHERE next_change_at <= ?",
                                   (db.iso(NOW + 3 * D),)).fetchone()[0]
        assert stored > 0
        reads(book)
    assert digest(path) == before


WRITES = {
    "add_tag": lambda b, uid: b.add_tag(uid, "Urgent"),
    "add_note": lambda b, uid: b.add_note(uid, "call back"),
    "log_contact": lambda b, uid: b.log_contact(uid),
    "set_preference": lambda b, uid: b.set_preference(uid, "Office hours"),
    "create_tag": lambda b, uid: b.create_tag("Interest-Cars"),
    "set_admins": lambda b, uid: b.set_admins(["ana", "omar"]),
    "bulk": lambda b, uid: b.bulk(b.select("color = red"), add=("Urgent",)),
    "run_rules": lambda b, uid: b.run_rules(),
    "rules dry run": lambda b, uid: b.run_rules(dry_run=True),
    "undo": lambda b, uid: b.undo("no-such-batch"),
    "apply_remote": lambda b, uid: b.apply_remote([ops.Op("x", "0", "omar", "settings", "settings.set",
                                                          {"key": "k", "value": 1})]),
    "save_segment": lambda b, uid: b.save_segment("reds", "color = red"),
}


@pytest.mark.parametrize("write", list(WRITES), ids=list(WRITES))
def test_every_write_to_a_read_only_book_says_so_with_the_path(path, cfg, write):
    with Book.open(path, cfg, clock=lambda: NOW, actor="ana", readonly=True) as book:
        uid = book.queue(limit=1).entries[0].uid
        with pytest.raises(ReadOnlyBook, match=f"the book is read-only for you: {path}"):
            WRITES[write](book, uid)
        assert not book.conn.in_transaction


def test_the_connection_itself_is_read_only(path, cfg):
    with Book.open(path, cfg, readonly=True) as book:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            book.conn.execute("DELETE FROM ops")


def test_a_file_the_rep_may_not_write_opens_read_only_by_itself(path, cfg, monkeypatch):
    real = os.access

    def access(p, mode, *a, **k):  # as a rep without write permission sees it (root passes any chmod)
        return False if mode & os.W_OK and Path(p) in (path, path.parent) else real(p, mode, *a, **k)

    monkeypatch.setattr(os, "access", access)
    with Book.open(path, cfg) as book:
        assert book.readonly and book.queue(limit=5).entries
        with pytest.raises(ReadOnlyBook):
            book.add_tag(book.queue(limit=1).entries[0].uid, "Urgent")
    monkeypatch.setattr(os, "access", real)
    with Book.open(path, cfg) as book:
        assert not book.readonly


def test_a_read_only_book_that_needs_a_migration_is_refused_unchanged(tmp_path, cfg):
    old = tmp_path / "v1.db"
    conn = db.connect(old, create=True)
    with db.write(conn):
        schema.MIGRATIONS[1](conn)
        conn.execute("PRAGMA user_version = 1")
        conn.execute(f"PRAGMA application_id = {db.APPLICATION_ID}")
    conn.close()
    before = digest(old)
    with pytest.raises(BookError, match="needs an upgrade .* read-only for you"):
        Book.open(old, cfg, readonly=True)
    assert digest(old) == before


def test_a_path_with_uri_characters_opens_read_only(tmp_path, demo_file, cfg):
    odd = copy_book(demo_file, tmp_path / "team #1 ?%.db")
    with Book.open(odd, cfg, readonly=True) as book:
        assert book.count("color = red") > 0


def test_a_rep_who_may_not_write_the_book_runs_the_read_commands(path, tmp_path, monkeypatch, capsys):
    """The CLI's read commands on a book this process may not write: os.access says so (root passes any
    chmod, and here nobody cannot run root's Python, so the permission is played by os.access)."""
    from wtui import cli

    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, *a, **k: False if mode & os.W_OK and Path(p) in (
        path, path.parent) else real(p, mode, *a, **k))
    before = digest(path)

    def wtui(*args):
        code = cli.main(["--db", str(path), "--now", "2026-11-26T12:00:00Z", *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    for args in (["queue", "--limit", "3"], ["find", "color = red", "--count"],
                 ["export", "#Urgent", "-o", str(tmp_path / "urgent.csv")], ["locate"]):
        code, _, err = wtui(*args)
        assert code == 0, (args, err)
    phone = wtui("queue", "--limit", "1", "--json")[1].split('"phone": "')[1].split('"')[0]
    code, out, _ = wtui("explain", phone)
    assert code == 0 and phone in out
    code, _, err = wtui("tag", "color = red", "--add", "Urgent")
    assert code == 2 and f"the book is read-only for you: {path}" in err
    assert digest(path) == before
