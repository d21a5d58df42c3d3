"""WhatsApp Cloud API webhooks: read receipts and inbound words drive the queue; redelivery changes nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
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
    (b'{"entry": [{"changes": "abc"}]}', "entry[0].changes: expected a list"),
])
def test_a_payload_not_of_the_documented_shape_is_refused_whole_with_the_place(book, raw, words):
    with pytest.raises(BadInput, match=words.replace("[", r"\[").replace("]", r"\]")):
        ingest(book, raw)
    assert book.conn.execute("SELECT count(*) FROM interactions").fetchone()[0] == 0


def _delivery(*messages) -> bytes:
    return json.dumps({"entry": [{"changes": [{"value": {"messages": list(messages)}}]}]}).encode()


def _text(wa_id: str, mid: str, body: str = "hi") -> dict:
    return {"from": wa_id, "id": mid, "timestamp": "1795348800", "type": "text", "text": {"body": body}}


@pytest.mark.parametrize("bad, words", [
    ({"id": "1"}, "messages[1]: a message needs from and id"),
    ({"id": "2", "from": "49151", "timestamp": "soon"}, "messages[1].timestamp: 'soon' is not a Unix time"),
    (_text("12345", "3"), "not a WhatsApp id"),
    ({**_text("5511961234567", "4"), "text": "hi"}, "messages[1].text: expected an object"),
])
def test_one_bad_message_is_reported_with_its_reason_and_never_sinks_the_delivery(book, bad, words):
    report = ingest(book, _delivery(_text("5511961234567", "ok1"), bad, _text("4915123456789", "ok2")))
    assert report.recorded == 2 and len(report.rejected) == 1 and words in report.rejected[0]
    assert book.conn.execute("SELECT count(*) FROM interactions").fetchone()[0] == 2


def test_whatsapp_ids_that_are_not_e164_find_the_right_customer(book):
    """Mexican ids keep the old 1 after 52; Brazilian ones outside some areas lack the ninth digit."""
    mx = book.add_customer("+525512345678", "Lupita")
    br = book.add_customer("+5592981723241", "Raimundo")
    report = ingest(book, _delivery(_text("5215512345678", "m1", "cuanto cuesta?"),
                                    _text("559281723241", "m2", "quanto custa?"),
                                    _text("4915123456789", "m3", "wie viel kostet das?")))
    assert (report.recorded, report.created, report.rejected) == (3, 0, [])
    for uid in (mx, br, book.find("+4915123456789")):
        assert len(book.conn.execute("SELECT 1 FROM interactions i JOIN customers c ON c.id = i.customer_id "
                                     "WHERE c.uid = ?", (uid,)).fetchall()) == 1


def test_a_whatsapp_id_in_a_range_phonenumbers_does_not_know_is_kept_unverified(book):
    report = ingest(book, _delivery(_text("2349990000000", "n1", "how much?")))
    assert (report.recorded, report.created) == (1, 1)
    row = book.conn.execute("SELECT phone, source FROM customers WHERE phone = '+2349990000000'").fetchone()
    assert row[0] == "+2349990000000" and "unverified" in row[1]


@pytest.mark.parametrize("message, text", [
    ({"type": "image", "image": {"id": "i", "caption": "how much is this one?"}}, "how much is this one?"),
    ({"type": "interactive", "interactive": {"type": "button_reply", "button_reply": {"id": "b", "title": "Price"}}},
     "Price"),
    ({"type": "button", "button": {"text": "Yes, send the price", "payload": "p"}}, "Yes, send the price"),
    ({"type": "reaction", "reaction": {"message_id": "x", "emoji": "👍"}}, "👍"),
    ({"type": "sticker", "sticker": {"id": "s"}}, "[sticker]"),
    ({"type": "location", "location": {"latitude": 1, "longitude": 2}}, "[location]"),
    ({"type": "unsupported", "errors": [{"code": 131051}]}, "[unsupported]"),
])
def test_every_message_type_is_recorded_and_read_for_text_where_it_carries_text(book, message, text):
    m = {"from": "5511961234567", "id": "t1", "timestamp": "1795348800", **message}
    report = ingest(book, _delivery(m))
    assert report.recorded == 1 and not report.rejected
    assert book.conn.execute("SELECT text FROM interactions").fetchone()[0] == text
