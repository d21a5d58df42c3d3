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
from datetime import datetime, timezone

from wtui.errors import BadInput


@dataclass(frozen=True)
class Event:
    kind: str  # in, read, out
    phone: str  # digits as WhatsApp sends them (wa_id), no +
    at: datetime
    ext_id: str
    text: str = ""
    name: str = ""


@dataclass
class IngestReport:
    events: int = 0
    recorded: int = 0
    already: int = 0
    created: int = 0
    ignored: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{self.events} event(s): {self.recorded} recorded, {self.already} already in the book, "
               f"{self.created} new customer(s)"]
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
        return datetime.fromtimestamp(int(value), timezone.utc)
    except (TypeError, ValueError, OverflowError):
        raise BadInput(f"{where}.timestamp: {value!r} is not a Unix time") from None


def parse(raw: bytes) -> tuple[list[Event], list[str]]:
    """Events in the payload, and what was ignored (other message types, delivered/failed statuses)."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(f"not a JSON payload: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("entry"), list):
        raise BadInput("not a WhatsApp webhook payload: no entry list")
    events: list[Event] = []
    ignored: list[str] = []
    for i, entry in enumerate(data["entry"]):
        for j, change in enumerate((entry or {}).get("changes") or []):
            value = (change or {}).get("value") or {}
            where = f"entry[{i}].changes[{j}].value"
            names = {c.get("wa_id"): (c.get("profile") or {}).get("name", "") for c in value.get("contacts") or []
                     if isinstance(c, dict)}
            for k, m in enumerate(value.get("messages") or []):
                w = f"{where}.messages[{k}]"
                if not isinstance(m, dict) or not m.get("from") or not m.get("id"):
                    raise BadInput(f"{w}: a message needs from and id")
                if m.get("type", "text") != "text":
                    ignored.append(f"{w}: a {m.get('type')} message (only text is read)")
                    text = f"[{m.get('type')}]"
                else:
                    text = str((m.get("text") or {}).get("body", ""))
                events.append(Event("in", str(m["from"]), _when(m.get("timestamp"), w), f"wa:{m['id']}", text,
                                    names.get(m["from"], "")))
            for k, st in enumerate(value.get("statuses") or []):
                w = f"{where}.statuses[{k}]"
                if not isinstance(st, dict) or not st.get("id") or not st.get("recipient_id"):
                    raise BadInput(f"{w}: a status needs id and recipient_id")
                kind = {"read": "read", "sent": "out"}.get(st.get("status"))
                if kind is None:
                    ignored.append(f"{w}: status {st.get('status')!r}")
                    continue
                events.append(Event(kind, str(st["recipient_id"]), _when(st.get("timestamp"), w),
                                    f"wa:{st['id']}:{st['status']}"))
    return events, ignored


def ingest(book, raw: bytes, signature: str | None = None) -> IngestReport:
    """Check, parse and record a payload, all of it in one batch or none of it."""
    verify(raw, signature, book.cfg.whatsapp.app_secret)
    events, ignored = parse(raw)
    report = IngestReport(events=len(events), ignored=ignored)
    with book.batch("whatsapp webhook"):
        for e in events:
            if book.has_interaction(e.ext_id):
                report.already += 1
                continue
            try:
                uid = book.find("+" + e.phone.lstrip("+"))
            except BadInput:
                uid = book.add_customer("+" + e.phone.lstrip("+"), e.name, source="whatsapp",
                                        reason="first message through WhatsApp")
                report.created += 1
            book.record(uid, e.kind, e.at, text=e.text, ext_id=e.ext_id, reason="whatsapp webhook")
            report.recorded += 1
    return report
