"""Rules with events (issue #15, playbook §8): `on = "purchase"` acts on what just happened, tag
templates are filled from the event, `remove = ["Activity-*"]` names a family; the dry run equals the
run, and a second run has nothing left to do."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import NOW, UTC, H, copy_book
from wtui.book.book import Book
from wtui.core.rules import fill, parse_rules, tag_word
from wtui.errors import PermissionDenied

ORDER = '''
[[rule]]
name = "order placed"
on = "purchase"
remove = ["Cart-Abandoned"]
add = ["Bought-<yyyy-mm>-<product>"]
'''
COMPLAINTS = '''
[[rule]]
name = "complaint opened"
on = "complaint"
remove = ["Complaint-Resolved"]
add = ["Complaint-Open"]

[[rule]]
name = "complaint resolved"
on = "resolved"
remove = ["Complaint-Open"]
add = ["Complaint-Resolved"]
'''


@pytest.fixture
def path(tmp_path, empty_file, cfg, monkeypatch):
    monkeypatch.setenv("TZ", "UTC")  # templates' dates are the team's
    p = copy_book(empty_file, tmp_path / "b.db")
    with Book.open(p, cfg, clock=lambda: NOW, actor="ana") as b:
        b.set_admins(["ana"])
        b.create_tag("Cart-Abandoned")
        for i in range(3):
            b.add_customer(f"+4915123456{780 + i}", f"Kunde {i}")
    return p


@pytest.fixture
def book(path, cfg):
    with Book.open(path, cfg, clock=lambda: NOW, actor="ana") as b:
        yield b


def rules(book, text):
    return parse_rules(text, "team.toml", book.query_fields, book.tag_names(archived=True),
                       tag_limit=book.cfg.tags.max_length)


def uids(book):
    return [r[0] for r in book.conn.execute("SELECT uid FROM customers ORDER BY id")]


def test_an_order_removes_cart_abandoned_and_adds_the_month_and_product_tag(book):
    a, b, _ = uids(book)
    book.add_tag(a, "Cart-Abandoned")
    book.add_tag(b, "Cart-Abandoned")
    book.record(a, "purchase", NOW - 2 * H, amount=40, text="order 7", product="blue scarf")
    report = book.run_rules(rules(book, ORDER))
    assert report.new_tags == ["Bought-2026-11-BlueS"]
    assert book.tags_of(a) == ["Bought-2026-11-BlueS"] and book.tags_of(b) == ["Cart-Abandoned"]
    assert report.results[0].matched == 1
    assert book.run_rules(rules(book, ORDER)).changed == 0  # nothing new happened


def test_an_undone_run_gives_its_events_back_to_the_next_run(book):
    # A tryout: after `undo` of a rules run, the purchases it had tagged were never tagged again.
    a, _, _ = uids(book)
    book.record(a, "purchase", NOW - 2 * H, amount=40, product="blue scarf")
    run = book.run_rules(rules(book, ORDER))
    assert book.tags_of(a) == ["Bought-2026-11-BlueS"]
    book.undo(run.batch)
    assert book.tags_of(a) == []
    again = book.run_rules(rules(book, ORDER))
    assert again.results[0].matched == 1 and book.tags_of(a) == ["Bought-2026-11-BlueS"]
    assert book.run_rules(rules(book, ORDER)).changed == 0  # and then, as always, not a third time


def test_the_dry_run_equals_the_run_and_writes_nothing(book):
    a, b, c = uids(book)
    book.record(a, "purchase", NOW - H, amount=10, product="Serum")
    book.record(c, "purchase", NOW - 3 * H, amount=10, product="Lipstick Rosa")
    before = book.conn.execute("SELECT count(*) FROM ops").fetchone()[0]
    dry = book.run_rules(rules(book, ORDER), dry_run=True)
    assert book.conn.execute("SELECT count(*) FROM ops").fetchone()[0] == before
    assert book.event_span()[0] == 0  # the mark moved in the rehearsal only
    real = book.run_rules(rules(book, ORDER))
    assert [r.changes for r in dry.results] == [r.changes for r in real.results] and real.changed == 2
    assert dry.new_tags == real.new_tags == ["Bought-2026-11-Lipst", "Bought-2026-11-Serum"]


def test_an_event_older_than_the_window_is_history_not_news(book, cfg):
    a, _, _ = uids(book)
    book.record(a, "purchase", NOW - (cfg.rules.event_window_hours + 1) * H, amount=10, product="Serum")
    assert book.run_rules(rules(book, ORDER)).changed == 0


def test_events_recorded_after_a_run_are_the_next_runs(book):
    a, b, _ = uids(book)
    book.record(a, "complaint", NOW - H, text="torn")
    assert book.run_rules(rules(book, COMPLAINTS)).changed == 1
    book.record(a, "resolved", NOW, text="sent a new one")
    book.record(b, "complaint", NOW, text="late")
    report = book.run_rules(rules(book, COMPLAINTS))
    assert book.tags_of(a) == ["Complaint-Resolved"] and book.tags_of(b) == ["Complaint-Open"]
    assert [r.matched for r in report.results] == [1, 1]


def test_the_latest_event_decides_a_tag_two_rules_speak_of(book):
    a, _, _ = uids(book)
    for kind in ("complaint", "resolved", "complaint"):
        book.record(a, kind, NOW - H, text="x")
    book.run_rules(rules(book, COMPLAINTS))
    assert book.tags_of(a) == ["Complaint-Open"]
    book.record(a, "resolved", NOW, text="y")
    book.run_rules(rules(book, COMPLAINTS))
    assert book.tags_of(a) == ["Complaint-Resolved"]


def test_when_narrows_an_event_rule(book):
    a, b, _ = uids(book)
    book.add_tag(b, "Cart-Abandoned")
    for uid in (a, b):
        book.record(uid, "purchase", NOW - H, amount=10, product="X")
    text = ORDER.replace('on = "purchase"', 'on = "purchase"\nwhen = "#Cart-Abandoned"')
    report = book.run_rules(rules(book, text))
    assert report.results[0].matched == 1 and book.tags_of(a) == [] and book.tags_of(b) == ["Bought-2026-11-X"]


def test_a_family_of_tags_is_removed(book):
    a, _, _ = uids(book)
    for tag in ("Activity-High", "Activity-Watch", "Active-WedEvening"):
        book.create_tag(tag)
        book.add_tag(a, tag)
    text = ('[[rule]]\nname = "cooled"\nwhen = "#Activity-High"\nremove = ["Activity-*", "Active-*"]\n'
            'add = ["Lifecycle-PreChurn"]\n')
    book.run_rules(rules(book, text))
    assert book.tags_of(a) == ["Lifecycle-PreChurn"]


def test_a_reps_run_that_needs_new_tags_is_refused_and_writes_nothing_but_a_dry_run_shows_them(path, cfg):
    with Book.open(path, cfg, clock=lambda: NOW, actor="bo") as rep:
        a = uids(rep)[0]
        rep.record(a, "purchase", NOW - H, amount=10, product="Serum")
        before = rep.conn.execute("SELECT count(*) FROM ops").fetchone()[0]
        with pytest.raises(PermissionDenied, match="Bought-2026-11-Serum.*ask ana"):
            rep.run_rules(rules(rep, ORDER))
        assert rep.conn.execute("SELECT count(*) FROM ops").fetchone()[0] == before
        assert rep.run_rules(rules(rep, ORDER), dry_run=True).new_tags == ["Bought-2026-11-Serum"]
        # The team server's scheduled run creates them as the admins' rules.
        assert rep.run_rules(rules(rep, ORDER), as_team=True).changed == 1


def test_the_shipped_rules_run_on_a_fresh_book_for_an_admin(path, cfg):
    with Book.open(path, cfg, clock=lambda: NOW, actor="ana") as b:
        report = b.run_rules()
        assert {"Complaint-Open", "Complaint-Resolved", "Lifecycle-Dormant"} <= set(report.new_tags)
        assert b.run_rules().changed == 0


@given(st.text(max_size=40), st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)),
       st.integers(min_value=15, max_value=40))
def test_a_filled_template_is_always_a_valid_tag_name(product, at, limit):
    name = fill("Bought-<yyyy-mm>-<product>", at, product, limit)
    assert name.startswith(f"Bought-{at:%Y-%m}") and len(name) <= limit
    assert name and not any(c.isspace() or not c.isprintable() for c in name) and "--" not in name
    assert name.endswith(tag_word(product)[:limit - len(f"Bought-{at:%Y-%m}-")]) if tag_word(product) else True


EVENT_KINDS = ("purchase", "complaint", "resolved", "read")


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.sampled_from(EVENT_KINDS), st.integers(0, 60),
                          st.sampled_from(["Serum", "blue scarf", "", "精华液"])), max_size=12),
       st.lists(st.integers(0, 2), max_size=3))
def test_event_rules_dry_run_equals_run_and_a_second_run_does_nothing(tmp_path_factory, empty_file, cfg, events,
                                                                      carts):
    path = copy_book(empty_file, tmp_path_factory.mktemp("ev") / "b.db")
    with Book.open(path, cfg, clock=lambda: NOW, actor="ana") as book:
        book.set_admins(["ana"])
        book.create_tag("Cart-Abandoned")
        ids = [book.add_customer(f"+4915123456{780 + i}", f"K{i}") for i in range(3)]
        for i in carts:
            book.add_tag(ids[i], "Cart-Abandoned")
        for who, kind, hours, product in events:
            book.record(ids[who], kind, NOW - timedelta(hours=hours), amount=5 if kind == "purchase" else 0,
                        product=product)
        text = ORDER + COMPLAINTS
        dry = book.run_rules(rules(book, text), dry_run=True)
        real = book.run_rules(rules(book, text))
        assert [r.changes for r in dry.results] == [r.changes for r in real.results]
        assert dry.new_tags == real.new_tags
        assert book.run_rules(rules(book, text)).changed == 0
        # Each customer's complaint tag is what their latest complaint event says, whatever the order.
        for i, uid in enumerate(ids):
            said = [kind for who, kind, hours, _ in events if who == i and kind in ("complaint", "resolved")
                    and hours <= cfg.rules.event_window_hours]  # older ones are history, not news
            tags = set(book.tags_of(uid))
            if said:
                assert tags & {"Complaint-Open", "Complaint-Resolved"} == \
                    {"Complaint-Open" if said[-1] == "complaint" else "Complaint-Resolved"}


def test_template_dates_are_the_teams(book, monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Tokyo")  # 30 Nov 20:00 UTC is 1 Dec in Tokyo
    a, _, _ = uids(book)
    book.clock = lambda: datetime(2026, 11, 30, 21, tzinfo=UTC)
    book.record(a, "purchase", datetime(2026, 11, 30, 20, tzinfo=UTC), amount=5, product="Tea")
    book.run_rules(rules(book, ORDER))
    assert book.tags_of(a) == ["Bought-2026-12-Tea"]


def test_a_wednesday_evening_reader_is_found_by_habit_and_tagged_by_the_shipped_rules(book):
    from zoneinfo import ZoneInfo

    a, b, _ = uids(book)
    book.set_field(a, "tz_override", "Europe/Berlin")
    wednesday = datetime(2026, 11, 18, 21, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    for week in range(book.cfg.activity.habit_reads):
        book.record(a, "read", (wednesday - timedelta(weeks=week)).astimezone(UTC))
        book.record(b, "read", (wednesday - timedelta(weeks=week, hours=5)).astimezone(UTC))  # afternoons
    assert book.card(a).habit == "wed-evening" and book.card(b).habit == ""
    assert book.uids_of(book.select("habit = wed-evening")) == [a]
    book.run_rules()
    assert "Active-WedEvening" in book.tags_of(a) and "Active-WedEvening" not in book.tags_of(b)
    book.set_field(a, "tz_override", "Asia/Tokyo")  # the same reads are Thursday mornings there
    assert book.card(a).habit == ""
