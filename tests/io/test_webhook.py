"""WhatsApp Cloud API webhooks: read receipts and inbound words drive the queue; redelivery changes nothing."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from wtui.book.book import Book
from wtui.core import config
from wtui.errors import BadInput
from wtui.io.webhook import ingest

PAYLOAD = (Path(__file__).parents[2] / "fixtures" / "webhooks" / "messages_and_statuses.json").read_bytes()
AT = datetime.fromtimestamp(1795348800, timezone.utc)


@pytest.fixture
def book(tmp_path):
    b = Book.create(tmp_path / "b.db", config.load(layers=[]), clock=lambda: AT + timedelta(hours=1), actor="ana")
    b.add_customer("+4915123456789", "Lea")
    yield b
    b.close()


def test_messages_and_statuses_become_interactions(book):
    report = ingest(book, PAYLOAD)
    assert (report.events, report.recorded, report.created) == (4, 4, 1)
    assert any("'delivered'" in i for i in report.ignored) and any("image" in i for i in report.ignored)
    new = book.find("+5511961234567")
    card = book.card(new)
    name, color, intent = card.name, card.color, card.intent
    assert (name, color, intent) == ("Invented Person", "red", "high")  # price words and a comparison, in Portuguese
    kinds = [k for k, in book.conn.execute(
        "SELECT i.kind FROM interactions i JOIN customers c ON c.id = i.customer_id WHERE c.phone = '+4915123456789' "
        "ORDER BY i.at")]
    assert kinds == ["out", "read"]


def test_a_redelivered_payload_changes_nothing(book):
    ingest(book, PAYLOAD)
    before = book.conn.execute("SELECT count(*) FROM ops").fetchone()[0]
    again = ingest(book, PAYLOAD)
    assert (again.recorded, again.already) == (0, 4)
    assert book.conn.execute("SELECT count(*) FROM ops").fetchone()[0] == before


def test_the_read_receipt_drives_the_orange_rule(book):
    ingest(book, PAYLOAD)
    book.clock = lambda: AT + timedelta(hours=50)
    book.refresh_stale()
    assert book.conn.execute("SELECT color FROM customers WHERE phone = '+4915123456789'").fetchone()[0] == "orange"


def test_with_an_app_secret_the_signature_is_checked(tmp_path):
    cfg = config.with_overrides({"whatsapp": {"app_secret": "s3cret"}})
    with Book.create(tmp_path / "s.db", cfg, clock=lambda: AT) as book:
        good = "sha256=" + hmac.new(b"s3cret", PAYLOAD, hashlib.sha256).hexdigest()
        with pytest.raises(BadInput, match="signature is required"):
            ingest(book, PAYLOAD)
        with pytest.raises(BadInput, match="does not match"):
            ingest(book, PAYLOAD + b" ", good)
        assert book.conn.execute("SELECT count(*) FROM interactions").fetchone()[0] == 0
        assert ingest(book, PAYLOAD, good).recorded == 4


@pytest.mark.parametrize("raw, words", [
    (b"not json", "not a JSON payload"),
    (b'{"object": "x"}', "no entry list"),
    (b'{"entry": [{"changes": [{"value": {"messages": [{"id": "1"}]}}]}]}', "entry[0].changes[0].value.messages[0]"),
    (b'{"entry": [{"changes": [{"value": {"messages": [{"id": "1", "from": "49151", "timestamp": "soon"}]}}]}]}',
     "is not a Unix time"),
])
def test_a_malformed_payload_is_refused_whole_with_the_place(book, raw, words):
    with pytest.raises(BadInput, match=words.replace("[", r"\[").replace("]", r"\]")):
        ingest(book, raw)
    assert book.conn.execute("SELECT count(*) FROM interactions").fetchone()[0] == 0
