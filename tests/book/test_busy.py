"""A busy book: long writes commit in short parts under one batch, and a writer that must wait says why.

Several reps' processes share one file; a write that holds it for seconds (a
rules run, a bulk action, an undo) used to lock everyone else out after the
5 s busy timeout.
"""

from __future__ import annotations

import threading

import pytest

from tests.conftest import NOW
from wtui.book.book import Book
from wtui.book.engine import sqlite3
from wtui.book.generate import make_book
from wtui.core import config
from wtui.errors import BookBusy


def cfg_with(**book) -> config.Config:
    return config.with_overrides({"rep": {"timezone": "UTC"}, "book": book})


@pytest.fixture
def path(tmp_path):
    p = tmp_path / "b.db"
    make_book(p, cfg_with(), customers=1200, seed=5, now=NOW, admins=["ana"]).close()
    return p


def tagged(path, tag: str) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("""SELECT count(*) FROM customer_tags ct JOIN tags t ON t.id = ct.tag_id
                               WHERE t.name = ? AND ct.present = 1""", (tag,)).fetchone()[0]


def test_a_long_bulk_commits_part_by_part_and_stays_one_batch(path):
    seen = []  # what another connection sees of the bulk as it goes
    with Book.open(path, cfg_with(transaction_seconds=0), clock=lambda: NOW, actor="ana") as book:
        ids = book.all_ids()
        before = tagged(path, "Urgent")

        def progress(done, total):
            seen.append(tagged(path, "Urgent"))

        batch, written = book.bulk(ids, add=("Urgent",), reason="test", progress=progress)
        assert written == len(ids) - before
        # Each chunk was committed before the next began: another reader saw it grow, not jump.
        assert seen[0] == before and seen[-1] > before and seen == sorted(seen)
        assert {r[0] for r in book.conn.execute("SELECT DISTINCT batch FROM ops WHERE reason = 'test'")} == {batch}
        reverted, _ = book.undo(batch)
        assert reverted == written and tagged(path, "Urgent") == before


def test_a_long_batch_that_fails_after_a_commit_takes_back_what_it_committed(path):
    with Book.open(path, cfg_with(transaction_seconds=0), clock=lambda: NOW, actor="ana") as book:
        ids = book.all_ids()
        before = tagged(path, "Urgent")

        def progress(done, total):
            if done > 600:
                raise KeyboardInterrupt  # the rep's esc, a crash in the caller: anything

        with pytest.raises(KeyboardInterrupt):
            book.bulk(ids, add=("Urgent",), reason="stopped", progress=progress)
        assert tagged(path, "Urgent") == before
        assert book.conn.execute("SELECT count(*) FROM ops WHERE reason LIKE 'taken back:%'").fetchone()[0] > 0


def test_a_writer_that_gives_up_on_a_long_write_names_who_holds_the_book(path):
    with Book.open(path, cfg_with(transaction_seconds=0, busy_wait_seconds=0.3), clock=lambda: NOW,
                   actor="ana") as holder, \
            Book.open(path, cfg_with(busy_wait_seconds=0.3), clock=lambda: NOW, actor="bia") as other:
        other.conn.execute("PRAGMA busy_timeout = 50")  # SQLite's own wait, shortened for the test
        uid = other.conn.execute("SELECT uid FROM customers LIMIT 1").fetchone()[0]
        errors = []

        def progress(done, total):
            # The holder is between its parts' transactions here only after a commit point; inside one,
            # the other rep's write must give up with a message naming who holds the book.
            try:
                other.add_tag(uid, "Spend-VIP", reason="meanwhile")
            except BookBusy as exc:
                errors.append(str(exc))

        holder.bulk(holder.all_ids(), add=("Urgent",), reason="long", progress=progress)
        assert errors, "the other rep's write never met the long one"
        assert "ana (pid" in errors[-1] and "long" in errors[-1]


def test_a_writer_retries_past_sqlites_own_busy_wait_until_the_book_is_free(path):
    with Book.open(path, cfg_with(busy_wait_seconds=30), clock=lambda: NOW, actor="bia") as book:
        book.conn.execute("PRAGMA busy_timeout = 20")  # SQLite alone would give up after 20 ms
        uid = book.conn.execute("SELECT uid FROM customers LIMIT 1").fetchone()[0]
        hold = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        hold.execute("BEGIN IMMEDIATE")
        released = threading.Event()

        def release():
            released.wait(0.4)
            hold.execute("COMMIT")

        t = threading.Thread(target=release)
        t.start()
        try:
            book.add_tag(uid, "Spend-VIP", reason="after the hold")
        finally:
            released.set()
            t.join()
            hold.close()
        assert "Spend-VIP" in book.tags_of(uid)


# -- no write reports a change it did not make (issue #11, item 2) ---------------------------------


def test_a_change_after_one_stamped_in_the_future_still_applies(path):
    """A write stamped ahead (``--now 2099-...``, a clock that ran fast) must not swallow the next one."""
    from datetime import datetime, timezone

    ahead = datetime(2099, 1, 1, tzinfo=timezone.utc)
    with Book.open(path, cfg_with(), clock=lambda: ahead, actor="ana") as book:
        uid = book.conn.execute("SELECT uid FROM customers LIMIT 1").fetchone()[0]
        book.add_tag(uid, "Stage-Lead", reason="from the future")
    with Book.open(path, cfg_with(), clock=lambda: NOW, actor="ana") as book:  # another process, today
        book.remove_tag(uid, "Stage-Lead", reason="today")
        assert "Stage-Lead" not in book.tags_of(uid)
        book.add_tag(uid, "Stage-Lead", reason="and back")
        assert "Stage-Lead" in book.tags_of(uid)


def test_a_clock_stepped_back_inside_one_process_loses_no_change(path):
    times = [NOW]
    with Book.open(path, cfg_with(), clock=lambda: times[-1], actor="ana") as book:
        uid = book.conn.execute("SELECT uid FROM customers LIMIT 1").fetchone()[0]
        book.set_field(uid, "owner", "ana", reason="first")
        times.append(NOW.replace(year=2020))  # NTP stepped the clock back years
        book.set_field(uid, "owner", "bia", reason="second")
        assert book.card(uid).owner == "bia"
