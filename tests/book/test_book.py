"""The book: writes and their op-log entries, one transaction each, shared safely."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest

from tests.conftest import NOW, D, H
from wtui.book import db, derive, ops, reads
from wtui.book.book import Book
from wtui.book.engine import sqlite3
from wtui.core import config, hlc
from wtui.errors import BadInput, BookError, NotFound, PermissionDenied, PreferenceError


def op_count(book, kind=None):
    if kind:
        return book.conn.execute("SELECT count(*) FROM ops WHERE kind = ?", (kind,)).fetchone()[0]
    return book.conn.execute("SELECT count(*) FROM ops").fetchone()[0]


def test_adding_a_tag_writes_the_change_and_its_log_entry(book):
    uid = book.add_customer("+55 11 96123-4567", "João Silva")
    book.add_tag(uid, "interest-beauty", reason="asked about lipstick")
    assert book.tags_of(uid) == ["Interest-Beauty"]
    entry = book.change_log(uid)[0]
    assert (entry.actor, entry.kind, entry.payload["tag"], entry.reason) == (
        "ana", "tag.add", "Interest-Beauty", "asked about lipstick")
    assert entry.at == NOW


def test_a_failed_write_leaves_neither_the_change_nor_its_log_entry(book, monkeypatch):
    uid = book.add_customer("+4915123456789", "Lea Weber")
    before = op_count(book)

    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(derive, "refresh", boom)
    with pytest.raises(RuntimeError):
        book.add_tag(uid, "Interest-Beauty")
    assert op_count(book) == before
    assert book.tags_of(uid) == []
    assert not book.conn.in_transaction


def test_a_batch_applies_whole_or_not_at_all(book):
    a = book.add_customer("+4915123456781")
    b = book.add_customer("+4915123456782")
    before = op_count(book)
    with pytest.raises(NotFound):
        with book.batch("bulk"):
            book.add_tag(a, "Interest-Beauty")
            book.add_tag(b, "No-Such-Tag")
    assert op_count(book) == before and book.tags_of(a) == []
    with book.batch("bulk") as batch_id:
        book.add_tag(a, "Interest-Beauty")
        book.add_tag(b, "Interest-Beauty")
    batches = {r[0] for r in book.conn.execute("SELECT batch FROM ops WHERE kind = 'tag.add'")}
    assert batches == {batch_id}


def test_applying_the_same_op_twice_changes_nothing(book):
    uid = book.add_customer("+4915123456789")
    book.add_tag(uid, "Interest-Beauty")
    op = ops.Op.from_row(book.conn.execute(ops.SELECT + " WHERE kind = 'tag.add'").fetchone())
    assert book.apply_remote([op]) == 0
    assert op_count(book, "tag.add") == 1


def test_an_older_add_cannot_undo_a_newer_remove(book, clock):
    uid = book.add_customer("+4915123456789")
    book.add_tag(uid, "Interest-Beauty")
    add = ops.Op.from_row(book.conn.execute(ops.SELECT + " WHERE kind = 'tag.add'").fetchone())
    clock.now += H
    book.remove_tag(uid, "Interest-Beauty")
    replay = ops.Op("replayed", add.hlc, "omar", add.entity, "tag.add", add.payload)
    book.apply_remote([replay])
    assert book.tags_of(uid) == []


def test_fields_merge_last_writer_wins_whatever_the_arrival_order(book):
    uid = book.add_customer("+4915123456789", "Lea")
    soon = hlc.stamp(int((book.now() + timedelta(minutes=5)).timestamp() * 1000), 0, "z")
    newer = ops.Op("n", soon, "omar", f"customer:{uid}", "customer.set",
                   {"uid": uid, "fields": {"name": "Lea W."}})
    older = ops.Op("o", "0000000000001.00000.z", "li", f"customer:{uid}", "customer.set",
                   {"uid": uid, "fields": {"name": "Old"}})
    book.apply_remote([newer, older])
    assert book.conn.execute("SELECT name FROM customers WHERE uid = ?", (uid,)).fetchone()[0] == "Lea W."


def test_only_admins_create_tags(book):
    book.actor = "omar"
    with pytest.raises(PermissionDenied, match="only admins"):
        book.create_tag("Interest-Home")
    book.actor = "ana"
    book.create_tag("Interest-Home")


@pytest.mark.parametrize("name", ["Interest-VeryLongTagName", "Has Space", "", "Bad\x1bName"])
def test_tag_names_follow_the_naming_rules(book, name):
    with pytest.raises(BadInput):
        book.create_tag(name)


def test_an_unknown_tag_is_not_created_by_a_rep(book):
    uid = book.add_customer("+4915123456789")
    assert book.is_admin()  # an admin is not told that only admins create tags
    with pytest.raises(NotFound, match=r"unknown tag 'Interest-Cars' \(wtui tags list shows them\)$"):
        book.add_tag(uid, "Interest-Cars")
    book.set_admins(["li"])
    with pytest.raises(NotFound, match="only admins create tags"):
        book.add_tag(uid, "Interest-Cars")


def test_a_duplicate_number_is_refused_in_any_form(book):
    book.add_customer("+55 11 96123-4567")
    with pytest.raises(BadInput, match="already in the book"):
        book.add_customer("0055 (11) 96123 4567")


def test_preference_notes_are_stored_in_canonical_form(book):
    uid = book.add_customer("+4915123456789")
    assert book.set_preference(uid, "mr. weber | prefers text | mon-fri 09:00-18:00 | max 2/week") == \
        "mr. weber | Prefers text | Mon-Fri 9-18 | Max 2/week"
    with pytest.raises(PreferenceError):
        book.set_preference(uid, "Mon-Fri 9-25")
    note = book.conn.execute("SELECT note FROM preferences").fetchone()[0]
    assert note == "mr. weber | Prefers text | Mon-Fri 9-18 | Max 2/week"


def test_logging_a_contact_moves_the_due_time_by_the_cadence(book, clock):
    uid = book.add_customer("+4915123456789")
    book.record(uid, "in", NOW - 3 * H, text="How much is the set?")
    row = book.conn.execute("SELECT color, due_at FROM customers WHERE uid = ?", (uid,)).fetchone()
    assert row == ("red", db.iso(NOW - 2 * H))  # §2: the price within 1 h of the question
    book.log_contact(uid, "sent the price")
    color, due, streak = book.conn.execute(
        "SELECT color, due_at, red_streak FROM customers WHERE uid = ?", (uid,)).fetchone()
    assert (color, due, streak) == ("red", db.iso(NOW + 12 * H), 1)  # the first follow-up within 12 h
    assert book.conn.execute("SELECT color_at FROM interactions WHERE kind = 'out'").fetchone()[0] == "red"


def test_time_passing_turns_a_silent_reader_orange(book, clock):
    uid = book.add_customer("+4915123456789")
    book.record(uid, "in", NOW - 2 * D, text="hello")
    book.record(uid, "out", NOW - 47 * H)
    book.record(uid, "read", NOW - 47 * H)
    assert book.conn.execute("SELECT color FROM customers").fetchone()[0] == "yellow"
    clock.now = NOW + 2 * H
    assert book.refresh_stale() == 1
    assert book.conn.execute("SELECT color, reason FROM customers").fetchone() == (
        "orange", "read 2 d 1 h ago, no reply")


def test_a_config_change_recomputes_every_customer(tmp_path, cfg, clock):
    path = tmp_path / "b.db"
    with Book.create(path, cfg, clock=clock) as b:
        uid = b.add_customer("+4915123456789")
        b.record(uid, "in", NOW - 2 * D)
        b.record(uid, "out", NOW - 30 * H)
        b.record(uid, "read", NOW - 30 * H)
        assert b.conn.execute("SELECT color FROM customers").fetchone()[0] == "yellow"
    tight = config.with_overrides({"colors": {"rules": {"read_no_reply_hours": 24}}})
    with Book.open(path, tight, clock=clock) as b:
        assert b.conn.execute("SELECT color FROM customers").fetchone()[0] == "orange"


def test_the_queue_puts_priority_then_red_orange_yellow_each_by_due(book, clock):
    def customer(phone, *events, tags=()):
        uid = book.add_customer(phone)
        for kind, at, text in events:
            book.record(uid, kind, at, text=text)
        for t in tags:
            book.add_tag(uid, t)
        return uid

    y = customer("+4915123456781", ("in", NOW - 2 * D, "hello"))
    r_late = customer("+4915123456782", ("in", NOW - H / 2, "price?"))
    r_early = customer("+4915123456783", ("in", NOW - 5 * H, "price?"))
    o = customer("+4915123456784", ("in", NOW - 6 * D, "hi"), ("out", NOW - 3 * D, ""), ("read", NOW - 3 * D, ""))
    p = customer("+4915123456785", ("in", NOW - 2 * D, "hello"), tags=["Complaint-Open"])
    q = book.queue(limit=10)
    assert [e.uid for e in q.entries] == [p, r_early, r_late, o, y]
    assert q.counts["red"] == 2 and q.counts["orange"] == 1 and q.counts["yellow"] == 2
    assert q.entries[1].overdue and not q.entries[2].overdue


def test_a_book_from_a_newer_wtui_is_refused_untouched(tmp_path, cfg):
    path = tmp_path / "future.db"
    Book.create(path, cfg).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {db.SCHEMA_VERSION + 1}")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(BookError, match="newer wtui"):
        Book.open(path, cfg)
    assert path.read_bytes() == before


def test_a_sqlite_file_that_is_not_a_book_is_refused(tmp_path, cfg):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE x (y)")
    conn.close()
    with pytest.raises(BookError, match="not a wtui book"):
        Book.open(path, cfg)


def test_a_missing_book_is_named(tmp_path, cfg):
    with pytest.raises(BookError, match="no such book"):
        Book.open(tmp_path / "nope.db", cfg)


@pytest.mark.parametrize("version, safe", [
    ((3, 40, 1), False), ((3, 44, 5), False), ((3, 44, 6), True), ((3, 45, 0), False),
    ((3, 50, 6), False), ((3, 50, 7), True), ((3, 51, 2), False), ((3, 51, 3), True), ((3, 54, 1), True),
])
def test_wal_is_used_only_on_a_sqlite_with_the_wal_reset_fix(version, safe):
    assert db.wal_is_safe(version) is safe
    assert db.journal_mode(version) == ("wal" if safe else "truncate")


def test_the_book_uses_the_journal_mode_the_linked_sqlite_and_its_permissions_allow(book):
    wanted = db.journal_mode() if db.wal_fits(book.path) else "truncate"
    assert book.conn.execute("PRAGMA journal_mode").fetchone()[0] == wanted


def test_two_rep_processes_write_one_book_without_locking_errors(tmp_path, cfg):
    path = tmp_path / "shared.db"
    with Book.create(path, cfg, actor="ana") as b:
        b.set_admins(["ana"])
        b.create_tag("Interest-Beauty")
        uids = [b.add_customer(f"+49151234567{i:02d}") for i in range(10)]
    script = textwrap.dedent("""
        import sys
        from wtui.book.book import Book
        from wtui.core import config
        path, me, uids = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
        with Book.open(path, config.load(layers=[]), actor=me) as b:
            for i in range(60):
                uid = uids[i % len(uids)]
                (b.add_tag if i % 2 == 0 else b.remove_tag)(uid, "Interest-Beauty")
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script, str(path), who, ",".join(uids)], stderr=subprocess.PIPE)
             for who in ("ana", "omar")]
    errors = [p.communicate(timeout=120)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    with Book.open(path, cfg) as b:
        assert op_count(b, "tag.add") + op_count(b, "tag.remove") == 120


def test_explain_gives_a_breakdown_of_the_position(book, clock):
    uid = book.add_customer("+4915123456789")
    book.add_tag(uid, "Complaint-Open")
    book.record(uid, "in", NOW - 3 * H, text="Was kostet das? how much?")
    lines = {line.label: line.value for line in book.explain(uid)}
    assert lines["priority"] == "tagged Complaint-Open: before every colour"
    assert lines["colour"].startswith("red")
    assert lines["due"] == "overdue 2 h; price within 1 h"
    assert lines["intent"].startswith("high")
    assert lines["window"].startswith("in window until 22:00")  # 13:00 in Berlin, no preference


def test_a_changed_number_is_normalised_and_kept_unique(book):
    a = book.add_customer("+4915123456781")
    b = book.add_customer("+4915123456782")
    book.set_field(a, "phone", "0049 151 2345 6783")
    assert book.conn.execute("SELECT phone FROM customers WHERE uid = ?", (a,)).fetchone()[0] == "+4915123456783"
    with pytest.raises(BadInput, match="another customer"):
        book.set_field(a, "phone", "+4915123456782")
    with pytest.raises(BadInput):
        book.set_field(b, "phone", "12")


def test_an_import_op_from_another_replica_creates_the_customers_it_does_not_have(tmp_path, cfg):
    from tests.conftest import NOW as at
    from wtui.io.csv_import import import_file

    src = tmp_path / "a.csv"
    src.write_text("phone,name,tags\n+4915123456781,Ana,Stage-Lead\n+4915123456782,Bo,\n", "utf-8")
    books = []
    for name in ("one", "two"):
        b = Book.create(tmp_path / f"{name}.db", cfg, clock=lambda: at, actor=name)
        b.set_admins([name])
        b.create_tag("Stage-Lead")
        books.append(b)
    one, two = books
    import_file(one, src)
    two.add_customer("+4915123456782", "Bo (typed by hand)")
    op = [ops.Op.from_row(r) for r in one.conn.execute(ops.SELECT + " WHERE kind = 'customers.import'")]
    assert two.apply_remote(op) == 1
    assert two.apply_remote(op) == 0  # idempotent
    ana = two.find("+4915123456781")
    assert ana == one.find("+4915123456781") and two.tags_of(ana) == ["Stage-Lead"]
    # The number two already had: the two creations are one customer (the lowest creation clock's values).
    kept = two.conn.execute("SELECT count(*) FROM customers WHERE phone = '+4915123456782'").fetchone()
    assert kept == (1,)
    two.sync_with(one)
    assert one.conn.execute("SELECT uid, name FROM customers WHERE phone = '+4915123456782'").fetchall() == \
        two.conn.execute("SELECT uid, name FROM customers WHERE phone = '+4915123456782'").fetchall()
    assert two.conn.execute("SELECT color FROM customers WHERE uid = ?", (ana,)).fetchone()[0]  # verdict computed
    for b in books:
        b.close()


def test_a_book_of_the_first_version_is_migrated_when_opened(tmp_path, cfg):
    from wtui.book import schema

    path = tmp_path / "v1.db"
    conn = db.connect(path, create=True)
    with db.write(conn):
        schema.MIGRATIONS[1](conn)
        conn.execute("PRAGMA user_version = 1")
        conn.execute(f"PRAGMA application_id = {db.APPLICATION_ID}")
    conn.close()
    with Book.open(path, cfg, clock=lambda: NOW) as b:
        assert schema.version(b.conn) == db.SCHEMA_VERSION == 15
        uid = b.add_customer("+4915123456789", "Lea")
        assert [e.kind for e in b.change_log(uid)] == ["customer.create"]
        indexes = {r[0] for r in b.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"ops_by_hlc", "customers_queue"} <= indexes and "customers_queue_who" not in indexes
        # A page of the queue, narrowed or not, is read in index order: no sort of the day's queue.
        for who in (reads._TODAY, reads._EVERYONE):  # the whole book too
            plan = " ".join(r[3] for r in b.conn.execute("EXPLAIN QUERY PLAN " + reads._PAGE % (who, reads._MINE),
                                                         ("2026-11-24", "ana", 50, 0)))
            assert "customers_queue" in plan and "TEMP B-TREE" not in plan


def test_a_second_writer_on_the_same_file_and_instant_stamps_after_the_first(tmp_path, cfg):
    # Two Books on one file (the app and its worker; two reps) with the same clock: the later
    # write must win, so an undo made through the second one really takes the tag back.
    path = tmp_path / "b.db"
    with Book.create(path, cfg, clock=lambda: NOW, actor="ana") as one:
        uid = one.add_customer("+4915123456789", "Lea")
        one.set_admins(["ana"])
        one.create_tag("Urgent")
        one.add_tag(uid, "Urgent")
        with Book.open(path, cfg, clock=lambda: NOW, actor="ana") as two:
            two.remove_tag(uid, "Urgent")
        assert "Urgent" not in one.tags_of(uid)
        one.add_tag(uid, "Urgent")
        assert "Urgent" in one.tags_of(uid)


def test_verdicts_stored_for_a_pretend_future_are_redone_at_the_real_time(tmp_path, demo_file, cfg):
    from tests.conftest import NOW, copy_book

    path = copy_book(demo_file, tmp_path / "b.db")
    with Book.open(path, cfg, clock=lambda: NOW, actor="ana") as book:
        before = book.queue().counts
    with Book.open(path, cfg, clock=lambda: NOW + timedelta(days=400), actor="ana"):
        pass  # `wtui --now` a year ahead, "for trying rules": its verdicts are stored
    with Book.open(path, cfg, clock=lambda: NOW, actor="ana") as book:
        assert book.queue().counts == before


def test_the_panel_and_the_queue_agree_on_a_new_leads_due_time_hours_later(empty_book, cfg):
    # The explanation recomputed the due time from now (now + 24 h) while the row kept the stored one:
    # "due Thu 12:00" beside "late 6h31". Both are the time they came in plus the colour's handling.
    from wtui.core.queue import due_text

    when = [NOW]
    with Book.open(empty_book, cfg, clock=lambda: when[0], actor="ana") as book:
        uid = book.add_customer("+4915123456789", "Lea Weber")
        color, stored = book.conn.execute("SELECT color, due_at FROM customers WHERE uid = ?", (uid,)).fetchone()
        when[0] = NOW + timedelta(hours=6, minutes=31)
        due = {line.label: line.value for line in book.explain(uid)}["due"]
    assert stored == db.iso(NOW + cfg.colors.handle_within_hours[color] * H)
    assert due.startswith(due_text(db.parse_iso(stored), when[0], reads.rep_zone(cfg)))


def test_a_number_typed_without_its_country_code_finds_the_one_customer_it_ends(empty_book, cfg):
    # `wtui contact 11961004500` said "no customer named '11961004500'" on a book imported with --default-region BR.
    with Book.open(empty_book, cfg, clock=lambda: NOW, actor="ana") as book:
        maria = book.add_customer("+5511961004500", "Maria")
        book.add_customer("+5521961004501", "Joana")
        assert book.find("11961004500") == maria
        assert book.find("(11) 96100-4500") == maria
        assert book.find("011 96100 4500") == maria  # the national trunk 0
        with pytest.raises(NotFound, match="without its country code"):
            book.find("61004500")  # the end of Maria's number, not all of it: a write must not guess
        book.add_customer("+351912345678", "Rui")
        book.add_customer("+34912345678", "Pilar")  # the same digits after another country's code
        with pytest.raises(BadInput, match="fits 2 customers' numbers in several countries"):
            book.find("912 345 678")
        book.add_customer("+14155550100", "Sam")
        with pytest.raises(NotFound, match="without its country code"):
            book.find("55550100")  # a tail of Sam's national number (415 555 0100), not all of it
        named = book.add_customer("+4915123456700", "123456")  # a name of digits is still a name
        assert book.find("123456") == named
        book.add_customer("+4915123456701", "Agent 007")
        for part in ("0", "007", "23"):  # `wtui note 0 y` wrote to the one customer whose name held a 0
            with pytest.raises(NotFound):
                book.find(part)
        assert book.find("agent 0") == book.find("+4915123456701")  # a name's part with a letter still finds


def test_a_commit_past_the_wal_limit_leaves_the_checkpoint_to_a_thread(empty_book, cfg, monkeypatch):
    # Found in review: a small write on the app's UI thread copied 40 MB of another process's WAL (0.2 s).
    monkeypatch.setattr(db, "WAL_CHECKPOINT_PAGES", 1)  # every commit is past it
    with Book.open(empty_book, cfg, clock=lambda: NOW, actor="ana") as book:
        if book.conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            pytest.skip("the rollback journal has no checkpoints")
        assert book.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 2  # SQLite's own: the backstop
        copies = []
        real = db.connect
        monkeypatch.setattr(db, "connect", lambda *a, **k: copies.append(a[0]) or real(*a, **k))
        book.add_customer("+4915123456789", "Lea")
        book._checkpoints.close()  # the thread the commit started is done
        assert copies == [book.path]  # a connection of its own copied the WAL, beside this one's commit
