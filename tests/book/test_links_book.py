"""Tracked links in the book: made on any replica, opened on the server, counted by the colour rules."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import copy_book
from wtui.book import wire
from wtui.book.book import Book
from wtui.errors import BadInput


@pytest.fixture
def book(tmp_path, empty_file, cfg):
    with Book.open(copy_book(empty_file, tmp_path / "b.db"), cfg, actor="ana") as b:
        yield b


def _lead(book) -> str:
    uid = book.add_customer("+5511961676402", "João Rodrigues")
    book.record(uid, "in", book.now() - timedelta(days=2), text="oi, tudo bem?")
    return uid


def test_a_quote_link_opened_four_times_turns_the_customer_orange(book, cfg):
    uid = _lead(book)
    assert book.card(uid).color == "yellow"
    token = book.create_link(uid, "https://shop.example/quote/42", "quote")
    found = book.link(token)
    assert (found.customer, found.url, found.kind, found.created_by) == (uid, "https://shop.example/quote/42",
                                                                        "quote", "ana")
    for _ in range(cfg.colors.rules.quote_opens_for_orange):
        assert book.link_opened(token) == "https://shop.example/quote/42"
    assert book.card(uid).color == "yellow"  # "more than 3 times"
    book.link_opened(token)
    assert book.card(uid).color == "orange"
    assert [k for _, k, _ in book.card(uid).interactions].count("quote_open") == 4


def test_a_page_link_open_is_a_link_interaction_and_an_unknown_token_records_nothing(book):
    uid = _lead(book)
    token = book.create_link(uid, "https://shop.example/catalog", "catalog")
    before = len(book.card(uid).interactions)
    assert book.link_opened("nosuchtoken00") is None and book.link_opened("../../etc") is None
    assert len(book.card(uid).interactions) == before
    book.link_opened(token)
    assert book.card(uid).interactions[0][1] == "link"
    assert [link.token for link in book.links_of(uid)] == [token]


def test_a_bad_address_or_kind_is_refused_and_nothing_written(book):
    uid = _lead(book)
    ops_before = book.conn.execute("SELECT count(*) FROM ops").fetchone()[0]
    for url, kind in (("javascript:alert(1)", "page"), ("https://ok.example", "brochure")):
        with pytest.raises(BadInput):
            book.create_link(uid, url, kind)
    assert book.conn.execute("SELECT count(*) FROM ops").fetchone()[0] == ops_before


def test_a_link_made_on_a_replica_works_on_the_book_it_syncs_with(book, tmp_path, cfg):
    uid = _lead(book)
    other = book.clone(tmp_path / "laptop.db")
    with Book.open(other, cfg, actor="omar") as laptop:
        token = laptop.create_link(uid, "https://shop.example/q/7", "quote")
        op = laptop.conn.execute("SELECT kind FROM ops ORDER BY rowid DESC LIMIT 1").fetchone()[0]
        assert op == "link.create"
        laptop.sync_with(book)
    assert book.link(token).created_by == "omar"
    assert book.link_opened(token) == "https://shop.example/q/7"


@pytest.mark.parametrize("payload, where", [
    ({"url": "javascript:alert(1)"}, "url"), ({"token": "a b"}, "token"), ({"kind": "x"}, "kind"),
    ({"kind": None}, "kind"), ({"url": "https://e.example/" + "x" * 3000}, "url")])
def test_the_wire_refuses_a_bad_link(book, payload, where):
    uid = _lead(book)
    book.create_link(uid, "https://shop.example/q/1", "quote")
    op = [o for o in book.ops_since({}) if o.kind == "link.create"][0]
    item = wire.to_wire(op)
    item["payload"] = {**item["payload"], **payload}
    with pytest.raises(BadInput, match=where):
        wire.from_wire(item, "ops[0]")
