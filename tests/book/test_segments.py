"""Finding groups (playbook §9) and acting on all of them at once, with one undo."""

from __future__ import annotations

import pytest

from tests.conftest import NOW
from wtui.book.book import Book
from wtui.core.query import QueryError


def bulk_book(path, cfg, n, tag_members: dict[str, range]):
    """A book of ``n`` bare customers, tagged as given (fast: straight into the tables)."""
    book = Book.create(path, cfg, clock=lambda: NOW, actor="ana")
    conn = book.conn
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO customers (id, uid, phone, name, last_interaction) VALUES (?,?,?,?,?)",
                     [(i, f"u{i}", f"+4915100{i:06d}", f"c{i}", "2026-11-01T00:00:00Z") for i in range(1, n + 1)])
    for name, members in tag_members.items():
        tid = conn.execute("INSERT INTO tags (name, dimension) VALUES (?, ?) RETURNING id",
                           (name, name.split("-")[0])).fetchone()[0]
        conn.executemany("INSERT INTO customer_tags VALUES (?,?,1,'0')", [(i, tid) for i in members])
    conn.execute("INSERT OR REPLACE INTO settings VALUES ('admins', ?)", ('["ana"]',))
    conn.execute("COMMIT")
    return book


@pytest.fixture(scope="module")
def section9(tmp_path_factory):
    """Playbook §9's worked example: 10,000 customers; Interest-Beauty 2,500 and Stage-Purchased 4,000
    overlap in 1,200; 800 of those bought lipstick; 400 are left to contact."""
    from wtui.core import config

    path = tmp_path_factory.mktemp("s9") / "book.db"
    beauty = range(1, 2501)                                  # 2,500
    purchased = list(range(1301, 2501)) + list(range(5001, 7801))  # 4,000, of which 1,200 are beauty
    lipstick = list(range(1301, 2101)) + list(range(9001, 9101))   # 800 of the overlap, 100 elsewhere
    book = bulk_book(path, config.load(layers=[]), 10_000,
                     {"Interest-Beauty": beauty, "Stage-Purchased": purchased, "Product-Lipstick": lipstick})
    yield book
    book.close()


def test_the_playbook_worked_example_finds_exactly_the_400(section9):
    ids = section9.select("#Interest-Beauty AND #Stage-Purchased EXCLUDE #Product-Lipstick")
    assert ids == list(range(2101, 2501))
    assert section9.count("#Interest-Beauty AND #Stage-Purchased") == 1200
    assert section9.count("#Interest-Beauty OR #Stage-Purchased") == 5300


def test_an_unknown_tag_is_an_error_with_a_suggestion(section9):
    with pytest.raises(QueryError, match="did you mean #Interest-Beauty"):
        section9.select("#Interest-Beuty")


def test_one_undo_restores_every_customer_of_a_10k_batch(tmp_path, cfg):
    book = bulk_book(tmp_path / "b.db", cfg, 10_000, {"Activity-Watch": range(1, 5001), "Silent": range(1, 10_001)})
    everyone = book.select("#Silent")
    batch, written = book.bulk(everyone, add=("Activity-Watch",), remove=("Silent",), reason="wake them up")
    assert written == 5_000 + 10_000  # only real changes: half had Activity-Watch already
    assert book.count("#Activity-Watch") == 10_000 and book.count("#Silent") == 0
    assert book.undo(batch) == (15_000, 0)
    assert book.count("#Activity-Watch") == 5_000 and book.count("#Silent") == 10_000
    assert book.select("#Activity-Watch") == list(range(1, 5001))
    book.close()


def test_bulk_writes_nothing_the_second_time(tmp_path, cfg):
    book = bulk_book(tmp_path / "b.db", cfg, 50, {"Silent": range(1, 51), "Urgent": range(1, 11)})
    ids = book.select("#Silent")
    _, first = book.bulk(ids, add=("Urgent",), color="orange", reason="x")
    _, second = book.bulk(ids, add=("Urgent",), color="orange", reason="x")
    assert (first, second) == (40 + 50, 0)
    book.close()


def test_bulk_sets_colour_intent_and_owner_with_one_batch_id(tmp_path, cfg):
    book = bulk_book(tmp_path / "b.db", cfg, 20, {"Silent": range(1, 21)})
    batch, written = book.bulk(book.select("#Silent"), intent="high", owner="omar", reason="handover")
    assert written == 20
    assert {r[0] for r in book.conn.execute("SELECT batch FROM ops WHERE reason = 'handover'")} == {batch}
    assert book.count("owner = omar AND intent = high") == 20
    book.close()


def test_saved_segments_are_named_queries(section9):
    section9.save_segment("to contact", "#Interest-Beauty AND #Stage-Purchased EXCLUDE #Product-Lipstick")
    assert section9.segments() == [("to contact", "#Interest-Beauty AND #Stage-Purchased EXCLUDE #Product-Lipstick")]
    # A name with spaces is named in quotes (it was saved but could not be used in a query).
    assert section9.count('@"to contact"') == 400
    assert section9.count('@"to contact" AND NOT #Interest-Beauty') == 0
    with pytest.raises(QueryError, match="an empty segment name"):
        section9.count('@""')
    with pytest.raises(QueryError):
        section9.save_segment("broken", "#Interest-Beauty AND")
    section9.save_segment("to contact", "")
    assert section9.segments() == []


class Cancel(Exception):
    pass


def test_bulk_reports_progress_by_chunks_and_a_cancel_writes_nothing(tmp_path, cfg):
    book = bulk_book(tmp_path / "b.db", cfg, 1_200, {"Silent": range(1, 1_201), "Urgent": ()})
    ids = book.select("#Silent")
    before = book.conn.execute("SELECT count(*) FROM ops").fetchone()[0]

    def cancel(done, total):
        raise Cancel

    with pytest.raises(Cancel):
        book.bulk(ids, add=("Urgent",), remove=("Silent",), color="red", reason="x", progress=cancel)
    assert book.conn.execute("SELECT count(*) FROM ops").fetchone()[0] == before
    assert book.count("#Urgent") == 0 and book.count("#Silent") == 1_200 and book.count("color = red") == 0
    assert not book.conn.in_transaction
    seen = []
    _, written = book.bulk(ids, add=("Urgent",), remove=("Silent",), reason="x", progress=lambda *a: seen.append(a))
    assert seen == [(500, 1_200), (1_000, 1_200), (1_200, 1_200)] and written == 2_400
    book.close()
