"""WhatsApp chat exports ("Export chat", with or without media) to interactions.

The text export of one chat, in the formats phones write:

    Android  31/12/2025, 21:41 - Ana: hello            12/31/25, 9:41 PM - Ana: hello
    iOS      [31/12/2025, 21:41:05] Ana: hello        [12/31/25, 9:41:05 PM] Ana: hello
    others   31.12.25, 21:41 - …                       2025-12-31 21:41 - …
             13/11/2026 à 20:30 - …                    2026/11/13 下午8:31 - …    13/11/26, 8:31 अपराह्न - …

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
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from wtui.core.config import Limits
from wtui.errors import BadInput
from wtui.io.files import read_capped, read_stream, size_text

_MARKS = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"))
_SPACES = {ord("\u202f"): " ", ord("\u00a0"): " "}
# Morning and afternoon as phones write them in their languages, before the time (上午8:31, 오후 8:31)
# or after it (8:31 pm, 8:31 p. m., 8:31 अपराह्न, 8:31 م).
_AM = ("am", "a. m.", "a.m.", "a.m", "पूर्वाह्न", "上午", "早上", "凌晨", "午前", "오전", "ص", "sa", "öö", "ก่อนเที่ยง")
_PM = ("pm", "p. m.", "p.m.", "p.m", "अपराह्न", "下午", "晚上", "中午", "午後", "오후", "م", "ch", "ös", "หลังเที่ยง")
_HALF = "|".join(re.escape(w) for w in sorted(_AM + _PM, key=len, reverse=True))
_STAMP = re.compile(
    # between the date and the time some locales write a word: "13/11/2026 à 20:30", "13.11.26 um 20:30"
    r"^\[?(?P<date>\d{1,4}[./-]\d{1,2}[./-]\d{1,4}),?\s+(?:(?:à|a las|um|alle|saat|в|lúc|om)\s+)?"
    rf"(?:(?P<before>{_HALF})\s*)?(?P<time>\d{{1,2}}[:.]\d{{2}}(?:[:.]\d{{2}})?)\s*(?:(?P<ampm>{_HALF})(?![^\W\d_]))?"
    r"\]?\s*(?:-\s*)?(?P<rest>.*)$",
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


def read_chat_text(path: str | Path, limits: Limits | None = None) -> str:
    """The chat's text, from the .txt or from the .txt inside an export .zip.

    The text may be at most ``limits.chat_text_mb``: a .txt larger is refused unread; a zip member
    is refused by its declared size, by its compression ratio (``limits.zip_ratio``: a zip bomb
    declares its size honestly and packs a thousand to one), and, should the declared size lie, as
    soon as more than the limit comes out of it.
    """
    if limits is None:
        from wtui.core.config import shipped

        limits = shipped().limits
    p = Path(path)
    cap = int(limits.chat_text_mb * (1 << 20))
    try:
        if p.is_file() and zipfile.is_zipfile(p):
            raw = _zip_member(p, cap, limits.zip_ratio)
        else:
            raw = read_capped(p, cap, "limits.chat_text_mb")
    except OSError as exc:
        raise BadInput(f"{p}: cannot read ({exc.strerror})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput(f"{p}: not UTF-8 text (WhatsApp writes UTF-8: is this a chat export?)") from None


def _zip_member(p: Path, cap: int, ratio: float) -> bytes:
    try:
        with zipfile.ZipFile(p) as z:
            infos = [i for i in z.infolist() if i.filename.lower().endswith(".txt") and not i.is_dir()]
            if not infos:
                raise BadInput(f"{p}: no chat text (.txt) inside the zip")
            info = sorted(infos, key=lambda i: ("chat" not in i.filename.lower(), i.filename))[0]
            where = f"{p}: {info.filename}"
            if info.flag_bits & 0x1:
                raise BadInput(f"{where} is encrypted: export the chat again without a password")
            if info.file_size > cap:
                raise BadInput(f"{where} unpacks to {size_text(info.file_size)}, more than {size_text(cap)}, "
                               "the limit (limits.chat_text_mb)")
            if info.file_size > ratio * max(info.compress_size, 1):
                raise BadInput(f"{where} unpacks to {info.file_size / max(info.compress_size, 1):,.0f} times its "
                               f"packed size (the limit is {ratio:g}, limits.zip_ratio): not a chat export")
            with z.open(info) as fh:
                return read_stream(fh, cap, where, "limits.chat_text_mb")
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        # A damaged member (a bad CRC, a cut stream) or one packed a way zipfile cannot unpack.
        raise BadInput(f"{p}: a damaged or unsupported zip ({exc})") from None
    except RuntimeError as exc:  # zipfile's word for "encrypted, password required"
        raise BadInput(f"{p}: cannot unpack ({exc}): export the chat again without a password") from None


def _date_order(dates: list[tuple[int, int, int]]) -> str:
    """'ymd', 'dmy' or 'mdy' from every date in the file."""
    if any(a > 31 for a, _, _ in dates):
        return "ymd"
    if any(a > 12 for a, _, _ in dates):
        return "dmy"
    if any(b > 12 for _, b, _ in dates):
        return "mdy"
    return "dmy"  # ambiguous all through: the order most of the world writes


def parse_chat(text: str, zone: ZoneInfo, order: str = "") -> list[ChatMessage]:
    """Messages with their senders; times are the phone's local time (``zone``), returned in UTC. ``order``
    ('dmy', 'mdy') reads the dates so; by default the file's own dates tell, day first when none does."""
    raw_lines = text.splitlines()
    lines = [line.translate(_MARKS).translate(_SPACES) for line in raw_lines]
    heads = []
    for n, line in enumerate(lines, 1):
        m = _STAMP.match(line.strip())
        if m:
            a, b, c = (int(x) for x in re.split(r"[./-]", m.group("date")))
            heads.append((n, m, (a, b, c)))
    if not heads:
        raise BadInput("no WhatsApp messages found (expected lines like '31/12/2025, 21:41 - Name: text')")
    order = order or _date_order([d for _, _, d in heads])
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
            if not sep:  # a system line (Android: no sender)
                continue
            if _ios_system(raw_lines[n - 1], body):
                continue
            year, month, day = (a, b, c) if order == "ymd" else (c, b, a) if order == "dmy" else (c, a, b)
            year += 2000 if year < 100 else 0
            hh, mm, *ss = (int(x) for x in re.split(r"[:.]", m.group("time")))
            half = (m.group("ampm") or m.group("before") or "").lower()
            if half in _PM and hh < 12:
                hh += 12
            if half in _AM and hh == 12:
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


# What an iOS export's system notices say, in the languages exports come in: the encryption notice, a
# changed security code, disappearing messages. (Android writes them without a sender: skipped already.)
_SYSTEM = re.compile(
    r"end-to-end|ende-zu-ende|de bout en bout|uçtan uca|एंड-टू-एंड|сквозн\w* шифр|ponta a ponta|extremo a extremo"
    r"|crittografia end|端到端|端對端|طرف(?:ين|ي) |ujung ke ujung|エンドツーエンド|đầu cuối|security code"
    r"|sicherheitsnummer|code de sécurité|güvenlik kodu|disappearing messages|selbstlöschende"
    r"|messages éphémères|kaybolan mesajlar",
    re.IGNORECASE)


def _ios_system(raw: str, body: str) -> bool:
    """An iOS export writes its system notices under the chat's name, the text opened by a left-to-right
    mark (U+200E), in the export's language. It marks attachments so too, and those are the customer's:
    only a marked line that says what a notice says is skipped."""
    head, sep, _ = raw.partition(": ")
    text = raw[len(head) + len(sep):] if sep else ""
    return text.startswith("\u200e") and not _MEDIA.match(body.strip()) and bool(_SYSTEM.search(body))


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
    limits = book.cfg.limits
    text = read_chat_text(path, limits)
    messages = parse_chat(text, zone)
    latest = book.now() + timedelta(minutes=book.cfg.sync.max_clock_ahead_minutes)
    if any(m.at > latest for m in messages):  # dates no line tells the order of, read day first: a US export
        try:  # read month first puts them all in the past (11/12 read as 11 Dec, before it was 12 Nov)
            other = parse_chat(text, zone, "mdy")
        except BadInput:
            other = messages
        messages = other if not any(m.at > latest for m in other) else messages
    long = next((m for m in messages if len(m.text) > limits.message_chars), None)
    if long is not None:
        raise BadInput(f"line {long.line}: a message of {len(long.text):,} characters: the limit is "
                       f"{limits.message_chars:,} (limits.message_chars)")
    _check_times(messages, latest)
    mine = {n.casefold() for n in (me or []) + [book.cfg.rep.name, book.actor, *book.cfg.whatsapp.rep_names] if n}
    senders = {m.sender for m in messages}
    theirs = [s for s in senders if s.casefold() not in mine]
    if len(senders) > 1 and not any(s.casefold() in mine for s in senders):
        shown = sorted(senders)
        listed = ", ".join(s if len(s) <= 40 else s[:37] + "..." for s in shown[:10])
        more = f" and {len(shown) - 10} more" if len(shown) > 10 else ""
        raise BadInput(f"which of {listed}{more} is you? "
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
        keys = [f"chat:{uid}:{m.at.isoformat()}:{m.sender}:{hash_text(m.text)}" for m in messages]
        ids = book.ids_to_write(keys)  # a line an undone import took back is recorded again
        for m, key in zip(messages, keys, strict=True):
            kind = "out" if m.sender.casefold() in mine else "in"
            inbound += kind == "in"
            if ids[key] is None:
                continue
            book.record(uid, kind, m.at, text=m.text, ext_id=ids[key], reason="chat import")
            ids[key] = None  # the same line twice in one export: once
            recorded += 1
        if recorded:
            book.mark_refreshed()
    return ChatReport(len(messages), inbound, len(messages) - inbound, recorded, uid, created)


def _check_times(messages: list, latest: datetime) -> None:
    """A line timed after ``latest`` (this machine's clock and the skew a sync allows) or before WhatsApp
    existed is no chat's: most often the export's dates were read in the wrong order. A red "asked price
    0 m ago" dated next year left the queue for a year (a tryout)."""
    from wtui.io.webhook import untimely

    for m in messages:
        when = untimely(m.at, latest)
        if when:
            raise BadInput(f"line {m.line}: {m.at:%Y-%m-%d %H:%M} UTC is {when}: are the export's dates day first "
                           "or month first as read? nothing was written")


def hash_text(text: str) -> str:
    """A short fingerprint of a message: with time and sender it keys the interaction (re-import is a no-op)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
