"""Log compaction (issue #13): the op log drops what every peer heard from lately holds once it is older
than the change log keeps; the state, the vectors and the exchange are as before, a duplicate of a
dropped op is a no-op, and a replica away past the horizon sends its changes and starts again."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from tests.book.conftest import Clock
from tests.book.test_replication import _ops, _replica, _state
from tests.conftest import NOW
from wtui.book import ops
from wtui.book.book import Book
from wtui.errors import NotFound

DAY = timedelta(days=1)


@pytest.fixture
def short(cfg):
    """Keep 30 days of log; wait 10 days for a silent peer."""
    return replace(cfg, sync=replace(cfg.sync, log_keep_days=30, peer_wait_days=10))


@pytest.fixture
def trio(tmp_path, short):
    """``one`` made the book, ``two`` and ``three`` are its clones; each clock can move."""
    clocks = [Clock(NOW) for _ in range(3)]
    one = _replica(tmp_path / "one.db", short, clocks[0], "ana")
    one.create_tag("Interest-Beauty")
    one.clone(tmp_path / "two.db")
    one.clone(tmp_path / "three.db")
    books = [one] + [Book.open(tmp_path / f"{n}.db", short, clock=clocks[i + 1], actor=a)
                     for i, (n, a) in enumerate((("two", "omar"), ("three", "li")))]
    yield books, clocks
    for b in books:
        b.close()


def _edits(book, n: int = 5) -> list[str]:
    uids = [book.add_customer(f"+491512{(0 if book.actor == 'ana' else 5000) + i:07d}",
                              f"{book.actor} {i}") for i in range(n)]
    for uid in uids:
        book.add_tag(uid, "Interest-Beauty")
        book.add_note(uid, "called")
    return uids


def _synced(book, *peers) -> None:
    for peer in peers:
        book.sync_with(peer)


def _later(clocks, days: float) -> None:
    for c in clocks:
        c.now += timedelta(days=days)


def test_what_every_peer_holds_and_is_old_enough_leaves_the_log_and_nothing_else_changes(trio):
    (one, two, three), clocks = trio
    _edits(one)
    _edits(two)
    _synced(one, two, three)
    two.sync_with(three)
    before, vector, held = _state(one), one.vector(), _ops(two)
    _later(clocks, 31)
    _synced(one, two, three)  # heard from lately: waited for
    done = one.compact()
    assert done.dropped > 0 and sorted(done.waited_for) == sorted([two.replica_id(), three.replica_id()])
    assert _state(one) == before and one.vector() == vector  # the vector counts what was dropped
    assert one.sync_with(two) == (0, 0)
    # Every dropped op sent again (a peer's retry, a lossy delivery): known by its number, applied never.
    assert one.apply_remote(held) == 0 and _state(one) == before
    assert one.ops_count() < len(_ops(two))


def test_ops_younger_than_the_log_keeps_stay_and_go_once_they_are_old(trio):
    (one, two, three), clocks = trio
    _edits(one)
    _synced(one, two, three)
    _later(clocks, 29)
    assert one.compact().dropped == 0  # the change log and undo still reach them
    _later(clocks, 2)
    _synced(one, two, three)  # heard from again: not silent
    assert one.compact().dropped > 0 and one.compacted_through() is not None


def test_compaction_waits_for_a_peer_heard_from_lately_that_lacks_the_ops(trio):
    (one, two, three), clocks = trio
    _synced(one, two, three)
    _edits(one)
    one.sync_with(two)  # three has not these yet, and was heard from a moment ago
    _later(clocks, 5)
    assert [o for o in one.ops_since(three.vector()) if o.kind == "customer.create"]
    _later(clocks, 26)  # old enough; three heard from 31 days ago: past the 10-day wait, not waited for
    one.sync_with(two)
    done = one.compact()
    assert three.replica_id() in done.not_waited_for and done.dropped > 0


def test_a_peer_heard_from_lately_keeps_its_missing_ops_in_the_log(trio):
    (one, two, three), clocks = trio
    one.sync_with(three)
    _edits(one)
    one.sync_with(two)
    _later(clocks, 31)
    one.acknowledged(three.replica_id(), three.vector())  # three just said what it holds (a pull)
    one.sync_with(two)
    one.compact()
    lacking = one.ops_since(three.vector())  # still there for three
    assert sum(o.kind == "customer.create" for o in lacking) == 5
    three.apply_remote(lacking)
    assert _state(three) == _state(one)


def test_a_replica_away_past_the_horizon_sends_its_changes_then_is_told_to_start_again(trio, tmp_path, short):
    (one, two, three), clocks = trio
    _synced(one, two, three)
    _edits(one)
    one.sync_with(three)
    mine = _edits(two)  # made offline, never sent
    _later(clocks, 31)
    one.sync_with(three)
    assert one.compact().dropped > 0  # two: silent for 31 days, not waited for
    with pytest.raises(ops.Behind, match="wtui clone"):
        two.sync_with(one)
    assert all(ops.customer_id(one.conn, u) is not None for u in mine)  # its changes went up first
    one.clone(tmp_path / "two-again.db")
    with Book.open(tmp_path / "two-again.db", short, clock=clocks[1], actor="omar") as fresh:
        assert _state(fresh) == _state(one)
        assert fresh.sync_with(one) == (0, 0)


def test_a_book_that_dropped_its_own_ops_numbers_on_from_where_it_was(trio, tmp_path, short):
    (one, two, three), clocks = trio
    _edits(one)
    _synced(one, two, three)
    top = one.vector()[one.replica_id()]
    _later(clocks, 31)
    _synced(one, two, three)
    one.compact()
    assert one.conn.execute("SELECT count(*) FROM ops WHERE origin = ?", (one.replica_id(),)).fetchone()[0] == 0
    one.close()
    with Book.open(tmp_path / "one.db", short, clock=clocks[0], actor="ana") as again:
        again.add_note(again.uids_named("ana 0")[0], "after")
        assert again.conn.execute("SELECT max(oseq) FROM ops WHERE origin = ?",
                                  (again.replica_id(),)).fetchone()[0] == top + 1
        assert two.sync_with(again) == (0, 1)  # a number taken twice would be refused (ReusedNumber)


def test_an_undo_of_a_batch_compaction_dropped_says_why(trio):
    (one, two, three), clocks = trio
    uid = one.add_customer("+4915120009999", "Ana")
    with one.batch("tagging") as batch:
        one.add_tag(uid, "Interest-Beauty")
    _synced(one, two, three)
    _later(clocks, 31)
    _synced(one, two, three)
    one.compact()
    with pytest.raises(NotFound, match="compacted"):
        one.undo(batch)


def test_an_op_still_waiting_for_what_it_refers_to_is_never_dropped(trio):
    (one, two, three), clocks = trio
    uid = two.add_customer("+4915120007777", "Bo")
    note = [o for o in _ops(two) if o.kind == "customer.create"]
    two.add_note(uid, "early")
    early = [o for o in _ops(two) if o.kind == "note.add"]
    one.apply_remote(early)  # the note before its customer: it waits
    assert one.waiting() == 1
    _later(clocks, 31)
    one.acknowledged(two.replica_id(), two.vector())
    one.acknowledged(three.replica_id(), one.vector())
    one.compact()
    assert one.waiting() == 1
    one.apply_remote(note)  # the customer comes: the note that waited takes effect
    assert one.waiting() == 0 and "early" in one.notes(uid)[0]


def test_a_dry_run_of_compaction_drops_nothing(trio):
    (one, two, three), clocks = trio
    _edits(one)
    _synced(one, two, three)
    _later(clocks, 31)
    _synced(one, two, three)
    count = one.ops_count()
    with one.rehearsal():
        assert one.compact().dropped > 0
    assert one.ops_count() == count and one.compacted_through() is None


def test_a_books_own_ops_no_peer_has_acknowledged_are_never_dropped(trio):
    (one, two, three), clocks = trio
    for b in (one, three):
        two.sync_with(b)
    _later(clocks, 11)  # the peers fall silent (past peer_wait_days)
    made = _edits(two)  # offline edits nobody else holds
    _later(clocks, 31)  # and older than log_keep_days
    two.compact()
    assert sum(o.kind == "customer.create" for o in two.ops_since(one.vector())) == len(made)
    two.sync_with(one)
    assert all(ops.customer_id(one.conn, u) is not None for u in made)


def test_a_second_connection_writes_under_the_id_another_one_took(trio, tmp_path, short):
    (one, two, three), clocks = trio
    two.add_note(two.uids_of(two.all_ids()[:1])[0] if two.all_ids() else two.add_customer("+4915120001111"),
                 "first")
    with Book.open(tmp_path / "two.db", short, clock=clocks[1], actor="omar") as other:
        old = other.replica_id_or_new()
        other.renumber_from(old, 1)  # as a sync does when it finds a fork
        new = other.replica_id()
    assert new != old
    uid = two.add_customer("+4915120002222", "After")
    row = two.conn.execute("SELECT origin FROM ops WHERE entity = ? AND kind = 'customer.create'",
                           (f"customer:{uid}",)).fetchone()
    assert row[0] == new  # never under the old id, whose numbers the peer holds as other ops
