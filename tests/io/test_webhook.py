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
from wtui.core.keywords import Signals
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
    assert (report.events, report.recorded, report.created) == (5, 5, 1)
    assert any("image" in i for i in report.ignored)
    new = book.find("+5511961234567")
    card = book.card(new)
    name, color, intent = card.name, card.color, card.intent
    assert (name, color, intent) == ("Invented Person", "red", "high")  # price words and a comparison, in Portuguese
    kinds = [k for k, in book.conn.execute(
        "SELECT i.kind FROM interactions i JOIN customers c ON c.id = i.customer_id WHERE c.phone = '+4915123456789' "
        "ORDER BY i.at")]
    assert kinds == ["out", "delivered", "read"]


def test_a_redelivered_payload_changes_nothing(book):
    ingest(book, PAYLOAD)
    before = book.conn.execute("SELECT count(*) FROM ops").fetchone()[0]
    again = ingest(book, PAYLOAD)
    assert (again.recorded, again.already) == (0, 5)
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
        assert ingest(book, PAYLOAD, good).recorded == 5


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
    # Stored as year 5138 (red "asked price 0 m ago" forever) and 1969; a day ahead hid a red customer.
    ({**_text("5511961234567", "5"), "timestamp": "99999999999"}, "is ahead of this machine's clock"),
    ({**_text("5511961234567", "6"), "timestamp": str(1795348800 + 86400)}, "2026-11-23 12:00 UTC is ahead"),
    ({**_text("5511961234567", "7"), "timestamp": "-5"}, "1969-12-31 23:59 UTC is before WhatsApp existed"),
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


CLOUD = Path(__file__).parents[2] / "fixtures" / "webhooks" / "cloud_api"
# Each documented message and status type: what is stored (kind, text) and what keyword detection made of it.
EVERY_TYPE = {
    "text.json": [("in", "Hola! cuánto cuesta el set de 3? y el envío a Monterrey?", "high")],
    "image_caption.json": [("in", "¿tienen este en azul? precio?", "high")],
    "video_caption.json": [("in", "así se ve el que me llegó, está roto", None)],
    "audio_voice.json": [("in", "[audio]", None)],
    "document_caption.json": [("in", "esta es la cotización de la otra tienda\n[cotizacion.pdf]", None)],
    "sticker.json": [("in", "[sticker]", None)],
    "location.json": [("in", "[location]\n[Oficina Centro]\n[Av. Constitución 100, Monterrey]", None)],
    "contacts.json": [("in", "[contacts]\n[Rosa Inventada]", None)],
    "reaction.json": [("in", "👍", None)],
    "reaction_removed.json": [("in", "[reaction]", None)],
    "order.json": [("in", "gracias! me lo mandan hoy?", None),
                   ("purchase", "order: 2 x 'SET-3' at 450 MXN, 1 x 'ENVIO' at 99.5 MXN", None)],
    "interactive_button_reply.json": [("in", "Quiero el precio", "high")],
    "interactive_list_reply.json": [("in", "Kit Pro\n¿Hay descuento por volumen?", "high")],
    "interactive_nfm_reply.json": [("in", "Sent", None)],
    "button.json": [("in", "No me interesa", "none")],
    "referral.json": [("in", "Hola, vi el anuncio. ¿sigue disponible?\n[from an ad: Descuento 30% hoy "
                             "https://fb.me/anuncio]", "high")],
    "system.json": [("system", "Lupita Inventada changed their phone number to a new number +52 1 55 9876 5432",
                     None)],
    "unsupported.json": [("in", "[unsupported]", None)],
    "statuses.json": [("out", "", None), ("delivered", "", None), ("read", "", None), ("played", "", None),
                      ("failed", "131026 Message undeliverable (Message failed to send because the recipient is "
                                 "not on WhatsApp.)", None)],
    "user_preferences.json": [],
}


def test_every_documented_type_has_a_fixture():
    assert sorted(p.name for p in CLOUD.glob("*.json")) == sorted(EVERY_TYPE)


@pytest.mark.parametrize("name", sorted(EVERY_TYPE))
def test_every_documented_message_and_status_type_is_stored_read_or_reported(book, name):
    report = ingest(book, (CLOUD / name).read_bytes())
    assert not report.rejected
    got = book.conn.execute("SELECT kind, COALESCE(text, ''), signals FROM interactions ORDER BY at, id").fetchall()
    assert [(k, t) for k, t, _ in got] == [(k, t) for k, t, _ in EVERY_TYPE[name]]
    for (_, _, signals), (_, _, intent) in zip(got, EVERY_TYPE[name], strict=True):
        if intent:
            assert intent in Signals.decode(signals).intents
    # what carries no text of the customer's says so, and a redelivery records nothing twice
    again = ingest(book, (CLOUD / name).read_bytes())
    assert again.recorded == 0 and again.already == report.recorded


def test_what_came_with_a_message_is_kept_but_not_read_as_the_customers_words(book):
    """The ad's headline says "Descuento 30%": the customer did not ask for a discount."""
    ingest(book, (CLOUD / "referral.json").read_bytes())
    (signals,) = book.conn.execute("SELECT signals FROM interactions").fetchone()
    assert not Signals.decode(signals).interests


def test_a_catalog_order_is_a_purchase_in_the_books_currency(book):
    report = ingest(book, (CLOUD / "order.json").read_bytes())
    (amount,) = book.conn.execute("SELECT amount FROM interactions WHERE kind = 'purchase'").fetchone()
    assert amount == round((2 * 450 + 99.5) * book.cfg.spend.rates["MXN"], 2)
    row = book.rows([book.conn.execute("SELECT id FROM customers WHERE phone = '+525512345678'").fetchone()[0]])[0]
    assert row["purchase_count"] == 1 and row["purchase_total"] == amount and report.created == 1


def test_an_order_in_a_currency_without_a_rate_is_kept_without_an_amount_and_said(tmp_path):
    """XOF (West African franc) is in no shipped rate table."""
    b = Book.create(tmp_path / "b.db", config.load(layers=[]), clock=lambda: AT + timedelta(hours=1), actor="ana")
    raw = (CLOUD / "order.json").read_text().replace('"MXN"', '"XOF"').encode()
    report = ingest(b, raw)
    assert b.conn.execute("SELECT count(*), sum(amount) FROM interactions WHERE kind = 'purchase'").fetchone() == (
        1, None)
    assert any("XOF" in i and "spend.rates.XOF" in i for i in report.ignored)
    b.close()


def test_an_order_in_the_books_own_currency_is_taken_as_it_is(book):
    raw = (CLOUD / "order.json").read_text().replace('"MXN"', '"USD"').encode()
    ingest(book, raw)
    assert book.conn.execute("SELECT amount FROM interactions WHERE kind = 'purchase'").fetchone()[0] == 999.5


@pytest.mark.parametrize("items, words", [
    ([], "no items"),
    ([{"product_retailer_id": "a", "quantity": "2", "item_price": 1, "currency": "MXN"}], "quantity"),
    ([{"product_retailer_id": "a", "quantity": 1, "item_price": -5, "currency": "MXN"}], "item_price"),
    ([{"product_retailer_id": "a", "quantity": 1, "item_price": 5, "currency": "MXN"},
      {"product_retailer_id": "b", "quantity": 1, "item_price": 5, "currency": "EUR"}], "one currency"),
])
def test_a_malformed_order_is_rejected_alone(book, items, words):
    bad = {"from": "5511961234567", "id": "o1", "timestamp": "1795348800", "type": "order",
           "order": {"catalog_id": "c", "product_items": items}}
    report = ingest(book, _delivery(bad, _text("4915123456789", "ok")))
    assert report.recorded == 1 and len(report.rejected) == 1 and words in report.rejected[0]
    assert book.conn.execute("SELECT count(*) FROM interactions").fetchone()[0] == 1


def test_the_mexican_wa_id_is_kept_for_sending(book):
    ingest(book, (CLOUD / "text.json").read_bytes())
    assert book.conn.execute("SELECT phone, wa_id FROM customers WHERE phone = '+525512345678'").fetchone() == (
        "+525512345678", "5215512345678")
    # an id that is the number's own digits is not kept twice
    assert book.conn.execute("SELECT wa_id FROM customers WHERE phone = '+4915123456789'").fetchone() == (None,)


def _preference(value: str, at: int, wa_id: str = "4915123456789") -> bytes:
    return json.dumps({"entry": [{"changes": [{"field": "user_preferences", "value": {"user_preferences": [
        {"wa_id": wa_id, "detail": "d", "category": "marketing_messages", "value": value, "timestamp": at}]}}]}]}
    ).encode()


def test_a_marketing_stop_and_resume_set_consent_with_when_and_where(book):
    lea = book.find("+4915123456789")
    book.set_field(lea, "consent", True)  # at the book's clock, AT + 1 h
    assert "ana" in book.card(lea).consent_source
    stale = ingest(book, _preference("stop", 1795348800 + 600))
    assert stale.recorded == 0 and book.card(lea).consent  # older than what the rep set
    report = ingest(book, _preference("stop", 1795348800 + 4000))
    card = book.card(lea)
    assert report.recorded == 1 and not card.consent
    assert card.consent_at == AT + timedelta(seconds=4000) and "stopped marketing" in card.consent_source
    ingest(book, _preference("resume", 1795348800 + 5000))
    assert book.card(lea).consent


def test_a_late_redelivered_stop_never_undoes_a_newer_resume(book):
    lea = book.find("+4915123456789")
    ingest(book, _preference("resume", 1795348800 + 1200))
    late = ingest(book, _preference("stop", 1795348800 + 600))
    assert (late.recorded, late.already) == (0, 1) and book.card(lea).consent
    again = ingest(book, _preference("resume", 1795348800 + 1200))
    assert again.recorded == 0


def test_a_preference_of_another_category_is_said_and_changes_nothing(book):
    raw = _preference("stop", 1795348800).replace(b"marketing_messages", b"utility")
    report = ingest(book, raw)
    assert report.recorded == 0 and any("utility" in i for i in report.ignored)
    bad = ingest(book, _preference("pause", 1795348800))
    assert bad.rejected and "stop or resume" in bad.rejected[0]


def test_a_played_voice_message_is_read_and_delivered_or_failed_is_no_contact(book):
    ingest(book, (CLOUD / "statuses.json").read_bytes())
    raimundo = book.conn.execute("SELECT last_read, last_interaction FROM customers WHERE phone = '+5592981723241'"
                                 ).fetchone()
    assert raimundo[0] == raimundo[1]  # played at +4 min is the last read and the last contact
    lea = book.conn.execute("SELECT last_interaction FROM customers WHERE phone = '+4915123456789'").fetchone()
    assert lea == (None,)  # the send to her failed: nothing happened between us


def test_a_changed_number_notice_is_said_not_applied(book):
    report = ingest(book, (CLOUD / "system.json").read_bytes())
    assert any("+5215598765432" in i and "keeps the old one" in i for i in report.ignored)
    assert book.conn.execute("SELECT count(*) FROM customers WHERE phone = '+525512345678'").fetchone()[0] == 1
