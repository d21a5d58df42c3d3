"""A priority tag moves a customer before every colour and changes nothing else in their verdict, so it
only re-ranks them; what is stored must equal a full recompute, in whatever way the tag arrives."""

from __future__ import annotations

import pytest

from tests.conftest import NOW
from wtui.book import derive
from wtui.book.generate import make_book


def verdicts(book) -> list[tuple]:
    return book.conn.execute(f"SELECT id, {', '.join(derive.COLUMNS)} FROM customers ORDER BY id").fetchall()


def recomputed(book) -> list[tuple]:
    with book.rehearsal():
        derive.refresh_all(book.conn, book.now(), book.cfg)
        return verdicts(book)


@pytest.fixture
def book(tmp_path, cfg):
    b = make_book(tmp_path / "b.db", cfg, customers=120, seed=11, now=NOW, admins=["ana"])
    b.actor = "ana"
    yield b
    b.close()


def test_a_bulk_priority_tag_and_its_undo_store_what_a_full_recompute_would(book):
    ids = book.select("color = red OR color = orange OR color = gray")
    assert ids
    batch, written = book.bulk(ids, add=("Urgent",), reason="test")
    assert written and verdicts(book) == recomputed(book)
    assert {r[0] for r in book.conn.execute("SELECT queue_rank FROM customers WHERE id IN (%s)"
                                            % ",".join("?" * len(ids)), ids)} == {0}
    book.undo(batch)
    assert verdicts(book) == recomputed(book)


def test_one_priority_tag_added_and_removed_by_hand_stores_what_a_full_recompute_would(book):
    uid = book.queue(limit=1).entries[0].uid
    for step in (book.add_tag, book.remove_tag, book.add_tag):
        step(uid, "Complaint-Open", reason="test")
        assert verdicts(book) == recomputed(book)
