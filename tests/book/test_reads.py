"""The book's reads for the app and the CLI: one door to the database, each read a method."""

from __future__ import annotations

import pytest

from tests.conftest import NOW, H, copy_book
from wtui.book import db
from wtui.book.book import Book
from wtui.errors import NotFound, PermissionDenied


@pytest.fixture
def demo(tmp_path, demo_file, cfg):
    with Book.open(copy_book(demo_file, tmp_path / "demo.db"), cfg, clock=lambda: NOW, actor="ana") as b:
        yield b


def test_tag_names_are_sorted_and_leave_out_archived_tags_unless_asked(book):
    book.create_tag("Archive-Old")
    book.conn.execute("UPDATE tags SET archived = 1 WHERE name = 'Archive-Old'")
    assert book.tag_names() == ["Complaint-Open", "Interest-Beauty"]
    assert book.tag_names(archived=True) == ["Archive-Old", "Complaint-Open", "Interest-Beauty"]


def test_batch_changed_says_whether_a_batch_wrote_anything_from_the_index(book):
    uid = book.add_customer("+4915123456789")
    with book.batch("nothing") as idle:
        pass
    with book.batch("tag") as busy:
        book.add_tag(uid, "Interest-Beauty")
    assert (book.batch_changed(idle), book.batch_changed(busy)) == (False, True)
    plan = " ".join(r[-1] for r in book.conn.execute("EXPLAIN QUERY PLAN SELECT 1 FROM ops WHERE batch = ?", ("x",)))
    assert "USING COVERING INDEX" in plan and "batch" in plan


def test_names_and_contacts_cover_any_number_of_customers_and_skip_unknown_ones(demo):
    real = demo.uids_of(demo.all_ids())
    asked = real + [f"nobody-{i}" for i in range(900)]  # well past one IN (...) list
    names = demo.names(asked)
    assert set(names) == set(real) and len(real) == 300
    uid = real[7]
    card = demo.card(uid)
    assert demo.contacts([uid])[uid] == (card.name, card.phone) and names[uid] == card.name


def test_notes_are_all_of_a_customers_notes_newest_first(book, clock):
    uid = book.add_customer("+4915123456789")
    for i in range(10):
        book.add_note(uid, f"note {i}")
        clock.now += H
    book.undo(book.change_log(uid, limit=1)[0].batch)  # the last one is taken back
    notes = book.notes(uid)
    assert [text for _, _, text in notes] == [f"note {i}" for i in range(8, -1, -1)]
    assert notes[0][:2] == (NOW + 8 * H, "ana")
    assert book.card(uid).notes == tuple(notes[:8])
    with pytest.raises(NotFound):
        book.notes("no-such-uid")


def test_interactions_are_known_by_their_outside_id(book):
    uid = book.add_customer("+4915123456789", "Lea Weber")
    book.record(uid, "in", text="hi", ext_id="wa:123")
    assert book.has_interaction("wa:123") and not book.has_interaction("wa:124")
    assert book.uids_named("Lea Weber") == [uid] and book.uids_named("Lea") == []


def test_every_id_in_order_and_a_plain_record_of_each(demo):
    ids = demo.all_ids()
    assert ids == sorted(ids) and len(ids) == 300
    rows = demo.rows(ids)
    assert [r["uid"] for r in rows] == demo.uids_of(ids)
    assert {"tags", "preference", "tz", "consent"} <= set(rows[0])


def test_only_an_admin_passes_require_admin_and_the_message_names_whom_to_ask(book):
    book.require_admin("change the rules")
    book.actor = "omar"
    with pytest.raises(PermissionDenied, match="only admins change the rules; ask ana"):
        book.require_admin("change the rules")


def test_select_in_reads_any_number_of_values_a_chunk_at_a_time(book):
    values = list(range(1, 1234))
    sql = "SELECT value FROM json_each(?) WHERE value IN (%s)"
    rows = list(db.select_in(book.conn, sql, values, ("[5, 600, 1200]",)))
    assert rows == [(5,), (600,), (1200,)]


def test_the_whole_book_holds_every_customer_due_or_not_in_the_queues_order(demo):
    today = demo.queue(limit=1000)
    whole = demo.queue(limit=1000, whole=True)
    assert whole.total == len(whole.entries) == len(demo.all_ids()) > today.total
    assert sum(whole.counts.values()) == whole.total
    not_due = [e for e in whole.entries if e.due is None]
    later = [e for e in whole.entries if e.due is not None and e.due >= today.ends]
    assert not_due and later and not any(e.overdue for e in not_due)
    keys = [(r[0], r[1] or "", r[2], r[3]) for r in demo.conn.execute(
        "SELECT queue_rank, due_at, color, id FROM customers WHERE uid IN (%s)" % ",".join("?" * whole.total),
        [e.uid for e in whole.entries])]
    order = {e.id: i for i, e in enumerate(whole.entries)}
    assert sorted(keys, key=lambda k: order[k[3]]) == sorted(keys)  # rank, then due (not due first), colour, id
    assert demo.queue_uids(whole=True) == [e.uid for e in whole.entries]
    for e in (not_due[0], later[0], whole.entries[-1]):  # where they stand, found whether due or not
        assert demo.position(e.uid, whole=True) == order[e.id]
        assert demo.position(e.uid) is None
    assert demo.queue(limit=5, offset=3, whole=True).entries == whole.entries[3:8]
    assert not_due[0].uid in [e.uid for e in demo.queue(limit=1000, whole=True, search=not_due[0].phone).entries]
