"""WhatsApp Cloud API webhook payloads to interactions.

The documented shape: ``entry[].changes[].value`` with ``messages`` (from, id,
timestamp, type, text.body) and ``statuses`` (id, status, timestamp,
recipient_id); ``contacts`` may name the sender. Inbound messages become
``in`` interactions (keyword detection runs on them), ``read`` statuses
become read receipts (which drive the orange rule), ``sent`` statuses
outbound messages. Each event's id keys its interaction, so a redelivered
payload changes nothing. With an app secret configured, the raw body must
carry a valid ``X-Hub-Signature-256``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from wtui.core import money
from wtui.core.config import Limits
from wtui.errors import BadInput
from wtui.io.files import size_text

FIRST_MESSAGE = datetime(2009, 1, 1, tzinfo=timezone.utc)  # a sanity limit: WhatsApp began in 2009


def untimely(at: datetime, latest: datetime) -> str:
    """Why a message's time is no message's (after ``latest``: the clock and the skew a sync allows; or before
    WhatsApp), or "" for a time a message may have."""
    if at > latest:
        return "ahead of this machine's clock"
    return "before WhatsApp existed" if at < FIRST_MESSAGE else ""


@dataclass(frozen=True)
class Event:
    kind: str  # in, out, read, played, delivered, failed, system, purchase, consent
    phone: str  # digits as WhatsApp sends them (wa_id), no +
    at: datetime
    ext_id: str
    text: str = ""  # what is stored: the customer's words, with what came with them ([a place], [from an ad])
    name: str = ""
    words: str | None = None  # what is read for keywords, when not all of text
    amount: float = 0.0  # a purchase, in ``currency``
    currency: str = ""
    consent: bool = False  # a marketing preference: resume (True) or stop
    product: str = ""  # an order's first item (its catalog id): what event rules' templates name


@dataclass
class IngestReport:
    events: int = 0
    recorded: int = 0
    already: int = 0
    created: int = 0
    ignored: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # messages and statuses not recorded, with why

    def lines(self) -> list[str]:
        out = [f"{self.events} event(s): {self.recorded} recorded, {self.already} already in the book, "
               f"{self.created} new customer(s)" + (f", {len(self.rejected)} rejected" if self.rejected else "")]
        out += [f"  ignored {i}" for i in self.ignored]
        return out


def verify(raw: bytes, signature: str | None, secret: str) -> None:
    """Refuse a payload whose X-Hub-Signature-256 does not match (only when a secret is configured)."""
    if not secret:
        return
    if not signature:
        raise BadInput("a signature is required (X-Hub-Signature-256): the app secret is configured")
    expected = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.strip()):
        raise BadInput("the X-Hub-Signature-256 does not match this payload: not from WhatsApp, or altered")


def _when(value, where: str) -> datetime:
    try:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise TypeError
        return datetime.fromtimestamp(int(value), timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        raise BadInput(f"{where}.timestamp: {_show(value)} is not a Unix time") from None


def _show(value: Any) -> str:
    """A value from the payload, short, for an error message (the CLI makes its controls visible)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}.get(
        type(value), "a number")


def _object(value: Any, where: str, *, optional: bool = True) -> dict:
    if value is None and optional:
        return {}
    if not isinstance(value, dict):
        raise BadInput(f"{where}: expected an object, got {_kind(value)} {_show(value)}")
    return value


def _items(value: Any, where: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadInput(f"{where}: expected a list, got {_kind(value)} {_show(value)}")
    return value


def _text(value: Any, where: str, *, digits: bool = False) -> str:
    """A string field (WhatsApp's ids and numbers are strings; a number is taken as its digits)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value:
        raise BadInput(f"{where}: expected text, got {_kind(value)} {_show(value)}")
    if digits and not value.lstrip("+").isdigit():
        raise BadInput(f"{where}: {_show(value)} is not a WhatsApp number (digits with the country code)")
    return value


def _depth(data: Any) -> int:
    """How deep lists and objects nest (without recursing: the payload decides how deep that is)."""
    deepest, todo = 0, [(data, 1)]
    while todo:
        node, d = todo.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, d)
            todo += [(v, d + 1) for v in (node.values() if isinstance(node, dict) else node)]
    return deepest


def _load(raw: bytes, limits: Limits) -> Any:
    cap = int(limits.webhook_body_kb * 1024)
    if len(raw) > cap:
        raise BadInput(f"a payload of {size_text(len(raw))}: the limit is {size_text(cap)} (limits.webhook_body_kb)")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(f"not a JSON payload: {exc}") from None
    except RecursionError:  # nested past Python's own limit, far past ours
        data = None
    if data is None or _depth(data) > limits.json_depth:
        raise BadInput(f"not a WhatsApp webhook payload: nested more than {limits.json_depth} deep "
                       "(limits.json_depth)")
    return data


def parse(raw: bytes, limits: Limits | None = None) -> tuple[list[Event], list[str], list[str]]:
    """Events in the payload, what was ignored (delivered/failed statuses, types without text), and the
    messages and statuses rejected, each with its path and reason.

    A payload not of the documented shape is refused with the path to it (``entry[0].changes``);
    a message or status that is not, is rejected alone: the rest of the delivery is recorded;
    ``limits`` (config ``[limits]``, the shipped ones by default) bound the body, its depth and each text.
    """
    if limits is None:
        from wtui.core.config import shipped

        limits = shipped().limits
    data = _load(raw, limits)
    if not isinstance(data, dict) or not isinstance(data.get("entry"), list):
        raise BadInput("not a WhatsApp webhook payload: no entry list")
    events: list[Event] = []
    ignored: list[str] = []
    rejected: list[str] = []
    for i, entry in enumerate(data["entry"]):
        entry = _object(entry, f"entry[{i}]")
        for j, change in enumerate(_items(entry.get("changes"), f"entry[{i}].changes")):
            where = f"entry[{i}].changes[{j}].value"
            value = _object(_object(change, f"entry[{i}].changes[{j}]").get("value"), where)
            names = {}
            for k, c in enumerate(_items(value.get("contacts"), f"{where}.contacts")):
                c = _object(c, f"{where}.contacts[{k}]")
                if c.get("wa_id") is None:
                    continue
                name = _object(c.get("profile"), f"{where}.contacts[{k}].profile").get("name", "")
                names[_text(c["wa_id"], f"{where}.contacts[{k}].wa_id")] = name if isinstance(name, str) else ""
            # One bad message or status is reported with its path and reason; it never sinks the others.
            for k, m in enumerate(_items(value.get("messages"), f"{where}.messages")):
                try:
                    events += _message(m, f"{where}.messages[{k}]", names, limits, ignored)
                except BadInput as exc:
                    rejected.append(str(exc))
            for key, read in (("statuses", _status), ("user_preferences", _preference)):
                for k, item in enumerate(_items(value.get(key), f"{where}.{key}")):
                    try:
                        event = read(item, f"{where}.{key}[{k}]", ignored)
                    except BadInput as exc:
                        rejected.append(str(exc))
                        continue
                    if event:
                        events.append(event)
            if value.get("errors"):
                try:
                    ignored.append(f"{where}: WhatsApp reports {_errors(value, where) or 'an error'}")
                except BadInput as exc:
                    ignored.append(f"{where}: WhatsApp reports an error wtui cannot read ({exc})")
    return events, ignored, rejected


# What a message of each type carries as text a customer wrote (captions, a reply's title, a reaction),
# read for keywords. What it carries that the customer did not write (a place, a shared contact, the ad
# they came from) is kept beside it (_CONTEXT), never read for keywords.
_TEXT_OF = {
    "text": (("text", "body"),),
    "image": (("image", "caption"),), "video": (("video", "caption"),), "document": (("document", "caption"),),
    "interactive": (("interactive", "button_reply", "title"), ("interactive", "list_reply", "title"),
                    ("interactive", "list_reply", "description"), ("interactive", "nfm_reply", "body")),
    "button": (("button", "text"),),
    "reaction": (("reaction", "emoji"),),
    "order": (("order", "text"),),
}
_CONTEXT = {
    "location": (("location", "name"), ("location", "address")),
    "document": (("document", "filename"),),
    "system": (("system", "body"),),
}
# Status names to interaction kinds: read receipts drive the orange rule; the rest feed broadcast results.
_STATUS = {"sent": "out", "delivered": "delivered", "read": "read", "played": "played", "failed": "failed"}


def _dig(m: dict, path: tuple[str, ...]) -> str:
    node: Any = m
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, str) else ""


def _errors(node: dict, w: str) -> str:
    """A status's or message's errors in words: '131026 Message undeliverable (the number is not on WhatsApp)'."""
    out = []
    for k, e in enumerate(_items(node.get("errors"), f"{w}.errors")):
        e = _object(e, f"{w}.errors[{k}]")
        details = _object(e.get("error_data"), f"{w}.errors[{k}].error_data").get("details")
        words = " ".join(str(x) for x in (e.get("code"), e.get("title") or e.get("message")) if x)
        out.append(words + (f" ({details})" if isinstance(details, str) and details else ""))
    return "; ".join(out)


def _message(m: Any, w: str, names: dict[str, str], limits: Limits, ignored: list[str]) -> list[Event]:
    if not isinstance(m, dict) or not m.get("from") or not m.get("id"):
        raise BadInput(f"{w}: a message needs from and id")
    sender, mid = _text(m["from"], f"{w}.from", digits=True), _text(m["id"], f"{w}.id")
    kind = _text(m.get("type", "text"), f"{w}.type")
    at = _when(m.get("timestamp"), w)
    if kind == "text":
        body = _object(m.get("text"), f"{w}.text").get("body", "")
        if not isinstance(body, str):
            raise BadInput(f"{w}.text.body: expected text, got {_kind(body)} {_show(body)}")
    words = "\n".join(t for t in (_dig(m, path) for path in _TEXT_OF.get(kind, ())) if t)
    context = [t for t in (_dig(m, path) for path in _CONTEXT.get(kind, ())) if t]
    if kind == "contacts":
        context += [_dig(c, ("name", "formatted_name")) for c in _items(m.get("contacts"), f"{w}.contacts")
                    if isinstance(c, dict)]
    referral = _object(m.get("referral"), f"{w}.referral")
    if referral.get("headline") or referral.get("source_url"):
        context.append("from an ad: " + " ".join(
            str(referral[k]) for k in ("headline", "source_url") if isinstance(referral.get(k), str)))
    events = []
    if kind == "order":
        events.append(_order(m, w, sender, mid, at))
    if kind == "system":
        event = Event("system", sender, at, f"wa:{mid}", "\n".join(context) or "[system]")
        system = _object(m.get("system"), f"{w}.system")
        new_id = system.get("wa_id") or system.get("new_wa_id")
        ignored.append(f"{w}: a WhatsApp notice for {sender}" + (
            f": the customer's new number is +{new_id}; the book keeps the old one until a rep changes it"
            if isinstance(new_id, str) and new_id else " (recorded)"))
        return [event]
    problem = _errors(m, w)
    if kind == "unsupported" or problem:
        ignored.append(f"{w}: a {kind} message WhatsApp could not pass on"
                       + (f": {problem}" if problem else "") + " (recorded, no text to read)")
    elif not words and kind not in ("text", "order"):
        ignored.append(f"{w}: a {kind} message (recorded, no text to read)")
    shown = [words or f"[{kind}]"] + [f"[{c}]" for c in context]
    text = "\n".join(shown)
    if len(text) > limits.message_chars:
        raise BadInput(f"{w}: a message of {len(text):,} characters: the limit is "
                       f"{limits.message_chars:,} (limits.message_chars)")
    return [Event("in", sender, at, f"wa:{mid}", text, names.get(sender, ""), words=words)] + events


def _order(m: dict, w: str, sender: str, mid: str, at: datetime) -> Event:
    """A catalog order: a purchase of the items' total, in the order's currency (ingest converts it)."""
    order = _object(m.get("order"), f"{w}.order", optional=False)
    items = _items(order.get("product_items"), f"{w}.order.product_items")
    if not items:
        raise BadInput(f"{w}.order.product_items: an order with no items")
    total, currencies, lines = 0.0, set(), []
    for k, item in enumerate(items):
        where = f"{w}.order.product_items[{k}]"
        item = _object(item, where, optional=False)
        qty, price, currency = item.get("quantity"), item.get("item_price"), item.get("currency")
        for name, value in (("quantity", qty), ("item_price", price)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1e12:
                raise BadInput(f"{where}.{name}: expected a number from 0, got {_kind(value)} {_show(value)}")
        currency = _text(currency, f"{where}.currency").upper()
        total += qty * price
        currencies.add(currency)
        lines.append(f"{qty:g} x {_show(item.get('product_retailer_id', '?'))} at {price:g} {currency}")
    if len(currencies) > 1:
        raise BadInput(f"{w}.order: items in {', '.join(sorted(currencies))}: one order, one currency")
    first = items[0].get("product_retailer_id")
    return Event("purchase", sender, at, f"wa:{mid}:order", "order: " + ", ".join(lines), amount=total,
                 currency=currencies.pop(), product=first if isinstance(first, str) else "")


def _status(st: Any, w: str, ignored: list[str]) -> Event | None:
    if not isinstance(st, dict) or not st.get("id") or not st.get("recipient_id"):
        raise BadInput(f"{w}: a status needs id and recipient_id")
    sid = _text(st["id"], f"{w}.id")
    recipient = _text(st["recipient_id"], f"{w}.recipient_id", digits=True)
    status = _text(st.get("status"), f"{w}.status")
    kind = _STATUS.get(status)
    if kind is None:
        ignored.append(f"{w}: status {_show(status)} (not one wtui records)")
        return None
    text = _errors(st, w) if kind == "failed" else ""
    return Event(kind, recipient, _when(st.get("timestamp"), w), f"wa:{sid}:{status}", text or "")


def _preference(p: Any, w: str, ignored: list[str]) -> Event | None:
    """A customer stopping or resuming marketing messages."""
    p = _object(p, w, optional=False)
    who = _text(p.get("wa_id"), f"{w}.wa_id", digits=True)
    category, value = p.get("category"), p.get("value")
    if category != "marketing_messages":
        ignored.append(f"{w}: a preference of category {_show(category)} (only marketing_messages sets consent)")
        return None
    if value not in ("stop", "resume"):
        raise BadInput(f"{w}.value: expected stop or resume, got {_show(value)}")
    at = _when(p.get("timestamp"), w)
    return Event("consent", who, at, f"wa:pref:{who}:{int(at.timestamp())}:{value}", value,
                 consent=value == "resume")


def ingest(book, raw: bytes, signature: str | None = None) -> IngestReport:
    """Check, parse and record a payload in one batch; a message that cannot be recorded is reported with
    its reason and the rest are recorded (one bad message never sinks a delivery)."""
    verify(raw, signature, book.cfg.whatsapp.app_secret)
    return record_payload(book, raw)


def record_payload(book, raw: bytes) -> IngestReport:
    """``ingest`` of a payload whose signature was checked when it came in (the server's inbox)."""
    events, ignored, rejected = parse(raw, book.cfg.limits)
    report = IngestReport(events=len(events) + len(rejected), ignored=ignored, rejected=rejected)
    now = book.now()
    ahead = now + timedelta(minutes=book.cfg.sync.max_clock_ahead_minutes)  # the clocks' skew, as a sync allows
    with book.batch("whatsapp webhook"):
        for e in events:
            when = untimely(e.at, ahead)
            if when:  # year 5138 was a red "asked price 0 m ago" forever
                report.rejected.append(f"{e.ext_id} from {e.phone}: its time {e.at:%Y-%m-%d %H:%M} UTC is {when}")
                continue
            if e.kind != "consent" and book.has_interaction(e.ext_id):
                report.already += 1
                continue
            try:
                uid, created = book.customer_for_wa_id(e.phone, e.name, reason="first message through WhatsApp")
            except BadInput as exc:
                report.rejected.append(f"{e.ext_id} from {e.phone}: {exc}")
                continue
            report.created += created
            if e.kind == "consent":
                what = "resumed" if e.consent else "stopped"
                taken = book.set_consent(uid, e.consent, e.at, f"WhatsApp: {what} marketing messages",
                                         reason="whatsapp webhook")
                report.recorded += taken
                report.already += not taken
                continue
            amount = 0.0
            if e.kind == "purchase":
                amount = _in_book_currency(book.cfg.spend, e, report)
            book.record(uid, e.kind, e.at, text=e.text, words=e.words, amount=amount, ext_id=e.ext_id,
                        reason="whatsapp webhook", product=e.product)
            report.recorded += 1
        if report.recorded:
            book.mark_refreshed()
    return report


def _in_book_currency(spend, e: Event, report: IngestReport) -> float:
    try:
        return money.in_book_currency(e.amount, e.currency, spend)
    except BadInput:  # one order's currency never sinks the delivery: recorded, without an amount
        report.ignored.append(f"{e.ext_id}: an order in {e.currency}, which spend.rates has no rate for: "
                              f"recorded without an amount (add spend.rates.{e.currency} to count it)")
        return 0.0
