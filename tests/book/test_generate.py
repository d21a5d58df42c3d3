"""The living demo book: every state the playbook names, in every region, always alive."""

from __future__ import annotations

import pytest

from tests.conftest import NOW
from wtui.book.generate import make_book
from wtui.core.phone import normalize
from wtui.core.prefs import format_note, parse_note
from wtui.errors import BadInput

REGIONS = {"AE", "IN", "BR", "TW", "SA", "MX", "DE", "US", "HK", "IT", "RU", "CN"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from wtui.core import config

    cfg = config.load(layers=[])
    book = make_book(tmp_path_factory.mktemp("demo") / "demo.db", cfg, customers=cfg.demo.customers,
                     seed=cfg.demo.seed, now=NOW)
    yield book
    book.close()


def values(book, column):
    return {r[0] for r in book.conn.execute(f"SELECT DISTINCT {column} FROM customers")}  # column: test constant


def test_the_demo_has_300_customers_across_the_playbook_regions(demo):
    assert demo.conn.execute("SELECT count(*) FROM customers").fetchone()[0] >= 300
    assert values(demo, "region") == REGIONS


def test_every_colour_intent_and_lifecycle_is_represented(demo):
    assert values(demo, "color") == {"red", "orange", "yellow", "green", "gray"}
    assert values(demo, "intent") == {"high", "medium", "potential", "none"}
    assert values(demo, "lifecycle") >= {"lead", "new", "growth-high", "growth-low", "pre-churn", "repeat"}
    assert values(demo, "activity") >= {"high", "medium", "low", "dormant"}
    assert demo.conn.execute("SELECT count(*) FROM customers WHERE fatigue = 1").fetchone()[0] > 0


def test_every_number_is_valid_e164_with_a_zone(demo):
    for phone, region, tz in demo.conn.execute("SELECT phone, region, tz FROM customers"):
        p = normalize(phone)
        assert (p.e164, p.region) == (phone, region)
        assert tz in p.zones


def test_names_are_written_in_their_own_scripts(demo):
    names = " ".join(r[0] for r in demo.conn.execute("SELECT name FROM customers"))
    for sample in ("ال", "陳", "Иван", "ã"):
        assert sample in names


def test_about_twenty_tags_across_dimensions(demo):
    tags = demo.tags()
    assert 18 <= len(tags) <= 25
    assert len({t["dimension"] for t in tags}) >= 8
    assert all(len(t["name"]) <= 20 for t in tags)


def test_preference_notes_are_canonical(demo):
    notes = [r[0] for r in demo.conn.execute("SELECT note FROM preferences")]
    assert len(notes) > 100
    assert all(format_note(parse_note(n)) == n for n in notes)


def test_the_same_seed_makes_the_same_book(tmp_path, cfg):
    a = make_book(tmp_path / "a.db", cfg, customers=40, seed=3, now=NOW)
    b = make_book(tmp_path / "b.db", cfg, customers=40, seed=3, now=NOW)
    q = "SELECT uid, name, phone, color, due_at FROM customers ORDER BY id"
    assert a.conn.execute(q).fetchall() == b.conn.execute(q).fetchall()


def test_an_existing_file_is_never_overwritten(tmp_path, cfg):
    target = tmp_path / "mine.db"
    target.write_text("my data")
    with pytest.raises(BadInput, match="already exists"):
        make_book(target, cfg, customers=5, seed=1, now=NOW)
    assert target.read_text() == "my data"


def test_the_seed_is_in_the_change_log(demo):
    entry = demo.change_log()[-1]
    assert entry.kind == "book.seed" and entry.payload["customers"] == 300


def test_an_edit_at_the_same_instant_as_the_seed_wins(tmp_path, cfg):
    book = make_book(tmp_path / "s.db", cfg, customers=5, seed=2, now=NOW, admins=["wtui make-book"])
    uid, = book.conn.execute("SELECT uid FROM customers LIMIT 1").fetchone()
    tag = book.tags_of(uid)[0]
    book.remove_tag(uid, tag)  # the book's clock is pinned at the seed's instant
    assert tag not in book.tags_of(uid)
