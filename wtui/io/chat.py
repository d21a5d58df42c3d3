"""WhatsApp chat exports ("Export chat", with or without media) to interactions.

The text export of one chat, in the formats phones write:

    Android  31/12/2025, 21:41 - Ana: hello            12/31/25, 9:41 PM - Ana: hello
    iOS      [31/12/2025, 21:41:05] Ana: hello        [12/31/25, 9:41:05 PM] Ana: hello
    others   31.12.25, 21:41 - …                       2025-12-31 21:41 - …

A line that does not start with a timestamp continues the message above it.
Lines without a "Name:" after the timestamp are system lines (encryption
notice, "X added Y") and are skipped. Media placeholders ("<Media omitted>",
"image omitted", "<attached: …>") become an empty-text message. The invisible
direction marks WhatsApp inserts are removed before parsing. The day/month
order is decided over the whole file (a first number over 12 means day first).
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from wtui.errors import BadInput

_MARKS = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"))
_SPACES = {ord("\u202f"): " ", ord("\u00a0"): " "}
_STAMP = re.compile(
    r"^\[?(?P<date>\d{1,4}[./-]\d{1,2}[./-]\d{1,4}),?\s+"
    r"(?P<time>\d{1,2}[:.]\d{2}(?:[:.]\d{2})?)\s*(?P<ampm>[ap]\.?\s?m\.?)?\]?\s*(?:-\s*)?(?P<rest>.*)$",
    re.IGNORECASE,
)
_MEDIA = re.compile(
    r"^(<media omitted>|<mídia oculta>|<archivo omitido>|<medien ausgeschlossen>|<без медиафайлов>"
    r"|(image|video|audio|sticker|gif|document|photo) omitted|<attached: .*>|.*\(file attached\))$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ChatMessage:
    line: int
    at: datetime  # aware UTC
    sender: str
    text: str  # "" for media


def read_chat_text(path: str | Path) -> str:
    """The chat's text, from the .txt or from the .txt inside an export .zip."""
    p = Path(path)
    try:
        if zipfile.is_zipfile(p):
            with zipfile.ZipFile(p) as z:
                names = [n for n in z.namelist() if n.lower().endswith(".txt")]
                if not names:
                    raise BadInput(f"{p}: no chat text (.txt) inside the zip")
                raw = z.read(sorted(names, key=lambda n: ("chat" not in n.lower(), n))[0])
        else:
            raw = p.read_bytes()
    except OSError as exc:
        raise BadInput(f"{p}: cannot read ({exc.strerror})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput(f"{p}: not UTF-8 text (WhatsApp writes UTF-8: is this a chat export?)") from None


def _date_order(dates: list[tuple[int, int, int]]) -> str:
    """'ymd', 'dmy' or 'mdy' from every date in the file."""
    if any(a > 31 for a, _, _ in dates):
        return "ymd"
    if any(a > 12 for a, _, _ in dates):
        return "dmy"
    if any(b > 12 for _, b, _ in dates):
        return "mdy"
    return "dmy"  # ambiguous all through: the order most of the world writes


def parse_chat(text: str, zone: ZoneInfo) -> list[ChatMessage]:
    """Messages with their senders; times are the phone's local time (``zone``), returned in UTC."""
    lines = text.translate(_MARKS).translate(_SPACES).splitlines()
    heads = []
    for n, line in enumerate(lines, 1):
        m = _STAMP.match(line.strip())
        if m:
            a, b, c = (int(x) for x in re.split(r"[./-]", m.group("date")))
            heads.append((n, m, (a, b, c)))
    if not heads:
        raise BadInput("no WhatsApp messages found (expected lines like '31/12/2025, 21:41 - Name: text')")
    order = _date_order([d for _, _, d in heads])
    starts = {n: (m, d) for n, m, d in heads}
    out: list[ChatMessage] = []
    current: dict | None = None
    for n, line in enumerate(lines, 1):
        if n in starts:
            if current:
                out.append(_finish(current))
            m, (a, b, c) = starts[n]
            current = None
            rest = m.group("rest")
            sender, sep, body = rest.partition(": ")
            if not sep:  # a system line
                continue
            year, month, day = (a, b, c) if order == "ymd" else (c, b, a) if order == "dmy" else (c, a, b)
            year += 2000 if year < 100 else 0
            hh, mm, *ss = (int(x) for x in re.split(r"[:.]", m.group("time")))
            ampm = (m.group("ampm") or "").replace(".", "").replace(" ", "").lower()
            if ampm == "pm" and hh < 12:
                hh += 12
            if ampm == "am" and hh == 12:
                hh = 0
            try:
                local = datetime(year, month, day, hh, mm, ss[0] if ss else 0, tzinfo=zone)
            except ValueError as exc:
                when = f"{m.group('date')} {m.group('time')}"
                raise BadInput(f"line {n}: {when} is not a date and time ({exc})") from None
            current = {"line": n, "at": local, "sender": sender.strip(), "text": [body]}
        elif current:
            current["text"].append(line)
    if current:
        out.append(_finish(current))
    return out


def _finish(current: dict) -> ChatMessage:
    text = "\n".join(current["text"]).strip()
    if _MEDIA.match(text):
        text = ""
    return ChatMessage(current["line"], current["at"].astimezone(timezone.utc), current["sender"], text)


@dataclass
class ChatReport:
    messages: int
    inbound: int
    outbound: int
    recorded: int
    customer: str
    created: bool

    def lines(self) -> list[str]:
        verb = "new customer" if self.created else "customer"
        return [f"{self.messages} message(s): {self.inbound} from them, {self.outbound} from us; "
                f"{self.recorded} recorded ({self.messages - self.recorded} already in the book); "
                f"{verb} {self.customer}"]


def import_chat(book, path: str | Path, *, phone: str | None = None, me: list[str] | None = None,
                zone: ZoneInfo | None = None) -> ChatReport:
    """Record a chat export as interactions of one customer, in one batch."""
    from wtui.book.reads import rep_zone

    zone = zone or rep_zone(book.cfg)
    messages = parse_chat(read_chat_text(path), zone)
    mine = {n.casefold() for n in (me or []) + [book.cfg.rep.name, book.actor, *book.cfg.whatsapp.rep_names] if n}
    senders = {m.sender for m in messages}
    theirs = [s for s in senders if s.casefold() not in mine]
    if len(senders) > 1 and not any(s.casefold() in mine for s in senders):
        raise BadInput(f"which of {', '.join(sorted(senders))} is you? "
                       "set rep.name or whatsapp.rep_names, or pass --me")
    created = False
    with book.batch(f"chat import {Path(path).name}"):
        if phone:
            try:
                uid = book.find(phone)
            except BadInput:
                uid = book.add_customer(phone, theirs[0] if len(theirs) == 1 else "", source="whatsapp",
                                        reason="chat import")
                created = True
        else:
            found = book.uids_named(theirs[0]) if len(theirs) == 1 else []
            if len(found) != 1:
                raise BadInput("cannot tell whose chat this is: pass --phone +E164 (a new customer is added if needed)")
            uid = found[0]
        recorded = inbound = 0
        for m in messages:
            kind = "out" if m.sender.casefold() in mine else "in"
            inbound += kind == "in"
            ext = f"chat:{uid}:{m.at.isoformat()}:{m.sender}:{hash_text(m.text)}"
            if book.has_interaction(ext):
                continue
            book.record(uid, kind, m.at, text=m.text, ext_id=ext, reason="chat import")
            recorded += 1
    return ChatReport(len(messages), inbound, len(messages) - inbound, recorded, uid, created)


def hash_text(text: str) -> str:
    """A short fingerprint of a message: with time and sender it keys the interaction (re-import is a no-op)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
