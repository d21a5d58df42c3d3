"""Undo: one batch taken back whole, without trampling a teammate's later change."""

from __future__ import annotations

import pytest

from tests.conftest import NOW, D, H
from wtui.book import db
from wtui.errors import BadInput


def last_batch(book):
    return book.conn.execute("SELECT batch FROM ops ORDER BY seq DESC LIMIT 1").fetchone()[0]


def test_undo_takes_back_a_tag_add(book):
    uid = book.add_customer("+4915123456789")
    book.add_tag(uid, "Interest-Beauty")
    assert book.undo(last_batch(book)) == (1, 0)
    assert book.tags_of(uid) == []
    assert book.change_log(uid)[0].reason == "undo: tag.add"


def test_undo_of_adding_a_tag_already_there_keeps_it(book):
    uid = book.add_customer("+4915123456789")
    book.add_tag(uid, "Interest-Beauty")
    book.add_tag(uid, "Interest-Beauty")
    book.undo(last_batch(book))
    assert book.tags_of(uid) == ["Interest-Beauty"]


def test_one_undo_restores_every_row_of_a_batch(book):
    uids = [book.add_customer(f"+49151234567{i:02d}") for i in range(5)]
    book.add_tag(uids[0], "Interest-Beauty")
    with book.batch("tag the group") as batch:
        for uid in uids:
            book.toggle_tag(uid, "Interest-Beauty")
    assert book.tags_of(uids[0]) == [] and book.tags_of(uids[1]) == ["Interest-Beauty"]
    assert book.undo(batch) == (5, 0)
    assert [book.tags_of(u) for u in uids] == [["Interest-Beauty"], [], [], [], []]


def test_undo_of_a_logged_contact_restores_the_due_time(book):
    uid = book.add_customer("+4915123456789")
    book.record(uid, "in", NOW - 3 * H, text="how much?")
    before = book.conn.execute("SELECT due_at, red_streak FROM customers").fetchone()
    book.log_contact(uid)
    assert book.conn.execute("SELECT due_at FROM customers").fetchone()[0] == db.iso(NOW + 12 * H)
    book.undo(last_batch(book))
    assert book.conn.execute("SELECT due_at, red_streak FROM customers").fetchone() == before


def test_undo_of_a_preference_and_a_colour_restores_the_old_values(book):
    uid = book.add_customer("+4915123456789")
    book.set_preference(uid, "Prefers text | Mon-Fri 9-18")
    book.set_preference(uid, "Prefers voice | Night owl")
    book.undo(last_batch(book))
    assert book.conn.execute("SELECT note FROM preferences").fetchone()[0] == "Prefers text | Mon-Fri 9-18"
    book.set_color(uid, "green", NOW + D)
    book.undo(last_batch(book))
    assert book.conn.execute("SELECT override_color FROM customers").fetchone()[0] is None


def test_undo_skips_what_a_teammate_changed_since(book, clock):
    uid = book.add_customer("+4915123456789")
    book.add_tag(uid, "Interest-Beauty")
    mine = last_batch(book)
    clock.now += H
    book.actor = "omar"
    book.remove_tag(uid, "Interest-Beauty")
    book.add_tag(uid, "Interest-Beauty")
    book.actor = "ana"
    assert book.undo(mine) == (0, 1)
    assert book.tags_of(uid) == ["Interest-Beauty"]


def test_one_undo_takes_back_tags_colours_contacts_and_preferences_of_many_customers(book):
    uids = [book.add_customer(f"+49151234567{i:02d}") for i in range(3)]
    for uid in uids:
        book.record(uid, "in", NOW - 3 * H, text="how much?")
    state = "SELECT uid, color, due_at, override_color FROM customers ORDER BY id"
    before = book.conn.execute(state).fetchall()
    with book.batch("marked rows") as batch:
        for uid in uids:
            book.add_tag(uid, "Complaint-Open")  # a priority tag: the verdict changes
            book.set_color(uid, "green", NOW + D)
            book.log_contact(uid)
            book.set_preference(uid, "Prefers voice | Night owl")
    assert book.undo(batch) == (12, 0)
    assert book.conn.execute(state).fetchall() == before
    assert [book.tags_of(u) for u in uids] == [[], [], []]
    assert book.conn.execute("SELECT count(*) FROM preferences").fetchone()[0] == 0


def test_undo_reports_progress_and_a_cancel_writes_nothing(tmp_path, cfg):
    from tests.book.test_segments import Cancel, bulk_book

    book = bulk_book(tmp_path / "b.db", cfg, 1_200, {"Silent": range(1, 1_201)})
    batch, _ = book.bulk(book.select("#Silent"), remove=("Silent",), reason="x")
    before = book.conn.execute("SELECT count(*) FROM ops").fetchone()[0]

    def cancel(done, total):
        if done > 500:
            raise Cancel

    with pytest.raises(Cancel):
        book.undo(batch, progress=cancel)
    assert book.conn.execute("SELECT count(*) FROM ops").fetchone()[0] == before and book.count("#Silent") == 0
    seen = []
    assert book.undo(batch, progress=lambda *a: seen.append(a)) == (1_200, 0)
    assert seen == [(500, 1_200), (1_000, 1_200), (1_200, 1_200)] and book.count("#Silent") == 1_200
    book.close()


def test_an_undo_that_would_give_back_a_number_someone_else_has_now_is_refused_whole(book):
    """Found in review: the undo's inverse went to the table and raised a raw IntegrityError."""
    lea = book.add_customer("+4915120000001", "Lea")
    book.set_field(lea, "phone", "+4915120000002")
    moved = book.conn.execute("SELECT batch FROM ops ORDER BY seq DESC LIMIT 1").fetchone()[0]
    dan = book.add_customer("+4915120000003", "Dan")
    book.set_field(dan, "phone", "+4915120000001")  # Lea's old number, free since she moved
    before = book.conn.execute("SELECT count(*) FROM ops").fetchone()[0]
    with pytest.raises(BadInput, match=r"\+4915120000001, which another customer has now"):
        book.undo(moved)
    assert book.conn.execute("SELECT count(*) FROM ops").fetchone()[0] == before
    assert book.card(lea).phone == "+4915120000002" and book.card(dan).phone == "+4915120000001"


@pytest.mark.parametrize("write", ["contact", "note", "tag", "colour", "recolour"])
def test_undoing_a_batch_undone_already_writes_nothing_and_says_so(book, write):
    # A second `wtui undo BATCH` retracted the contact again and said "took back 2 change(s)", rc 0.
    from wtui.errors import NotFound

    uid = book.add_customer("+4915123456789")
    {"contact": lambda: book.log_contact(uid, "called"), "note": lambda: book.add_note(uid, "likes red"),
     "tag": lambda: book.add_tag(uid, "Interest-Beauty"), "colour": lambda: book.set_color(uid, "red"),
     "recolour": lambda: book.set_tag("Interest-Beauty", color="#aa00aa")}[write]()
    batch = last_batch(book)
    done, _ = book.undo(batch)
    assert done >= 1
    ops_before = book.conn.execute("SELECT count(*) FROM ops").fetchone()[0]
    with pytest.raises(NotFound, match="undone already"):
        book.undo(batch)
    assert book.conn.execute("SELECT count(*) FROM ops").fetchone()[0] == ops_before


def test_undoing_again_after_the_undo_was_undone_says_changed_since_not_undone_already(book):
    # add (X), undo X, undo the undo: the tag is back, by the redo; X undone "again" is not "undone already".
    uid = book.add_customer("+4915123456789")
    book.add_tag(uid, "Interest-Beauty")
    x = last_batch(book)
    book.undo(x)
    book.undo(last_batch(book))
    assert book.tags_of(uid) == ["Interest-Beauty"]
    assert book.undo(x) == (0, 1)  # the tag is the redo's now: X's piece changed since
    assert book.tags_of(uid) == ["Interest-Beauty"]
