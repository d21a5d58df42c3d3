"""Customers to CSV, safe to open in a spreadsheet.

A cell that starts with = + - @ (or a tab or carriage return) would run as a
formula in Excel or LibreOffice: it is written with a leading apostrophe, the
spreadsheets' own "this is text" mark.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from datetime import timedelta
from pathlib import Path

from wtui.errors import BadInput
from wtui.io.files import open_for_writing

COLUMNS = ("name", "phone", "color", "intent", "interest", "activity", "lifecycle", "spend_tier", "rfm", "region",
           "tz", "language", "source", "owner", "consent", "tags", "preference", "last_inbound", "last_purchase",
           "wa_id", "consent_at", "consent_source")  # wa_id: the id WhatsApp sends to (Mexico's 521...)
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    text = "" if value is None else "yes" if value is True else "no" if value is False else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def parse_split(text: str) -> tuple[int, ...]:
    """'50' (A 50 %, B the rest) or '10,10' (A 10 %, B 10 %, the rest): 1-99 each, 100 at most."""
    try:
        parts = tuple(int(p) for p in text.split(","))
    except ValueError:
        raise BadInput(f"{text!r}: percentages like 50 or 10,10") from None
    if not all(1 <= p <= 99 for p in parts) or sum(parts) > 100 or len(parts) > 26:
        raise BadInput(f"{text!r}: each group 1 to 99 percent, 100 in all at most")
    return parts


def group_names(split: tuple[int, ...]) -> list[str]:
    """The groups a split makes, the rest last: one percentage leaves the rest as B, several as "rest"."""
    return [chr(ord("A") + i) for i in range(len(split))] + ["B" if len(split) == 1 else "rest"]


def group_sizes(n: int, split: tuple[int, ...], seed: int) -> list[tuple[str, int]]:
    """(group, how many) of ``split_groups``, in ``group_names`` order, empty groups included."""
    counts = Counter(split_groups(n, split, seed))
    return [(g, counts.get(g, 0)) for g in group_names(split)]


def split_groups(n: int, split: tuple[int, ...], seed: int) -> list[str]:
    """Test groups for ``n`` rows: A, B, ... of ``split`` percent each, in a seeded random order (the same
    seed, the same groups), the rest as ``group_names`` says."""
    order = list(range(n))
    random.Random(seed).shuffle(order)
    *names, rest = group_names(split)
    groups = [rest] * n
    done, start = 0, 0
    for name, pct in zip(names, split, strict=True):
        done += pct
        end = round(n * done / 100)  # cumulative: rounding never drifts over the groups
        for i in order[start:end]:
            groups[i] = name
        start = end
    return groups


def write_csv(book, ids: list[int], path: str | Path, *, split: tuple[int, ...] | None = None, seed: int = 0,
              columns: tuple[str, ...] = COLUMNS, broadcast: bool = False,
              sent: list[tuple[str, str]] | None = None) -> tuple[int, int]:
    """Write the customers; with ``split`` add a ``group`` column (``split_groups``).
    A ``broadcast`` (a marketing send list) holds only those who consent to marketing messages (playbook §10).
    Returns (written, left out for want of consent); ``sent``, when given, gets each written customer's
    (uid, group): what a broadcast records for its results."""
    rows = book.rows(ids)
    everyone = len(rows)
    if broadcast:
        rows = [r for r in rows if r["consent"]]
    groups = split_groups(len(rows), split, seed) if split else []
    header = columns + (("group",) if split else ())
    with open_for_writing(path, "-o", newline="", encoding="utf-8-sig") as fh:  # the BOM makes Excel read UTF-8
        w = csv.writer(fh)
        w.writerow(header)
        for i, r in enumerate(rows):
            r = dict(r, tags=",".join(r["tags"]))
            values = [r.get(c) for c in columns] + ([groups[i]] if split else [])
            w.writerow([cell(v) for v in values])
            if sent is not None:
                sent.append((r["uid"], groups[i] if split else ""))
    return len(rows), everyone - len(rows)


def send_list(book, ids: list[int], path: str | Path, name: str, *, split: tuple[int, ...] | None = None,
              seed: int = 0, include_no_consent: bool = False,
              columns: tuple[str, ...] = COLUMNS) -> tuple[int, int, str | None]:
    """A broadcast's send list: the consenting customers (all, with ``include_no_consent``) written, and the
    send recorded as a batch whose statuses and replies are counted (wtui broadcast, the routine's
    Broadcasts tab). Returns (written, left out for want of consent, the broadcast's id or None when the
    book is read-only for this user, or no one is in it: a send to no one is no broadcast)."""
    sent: list[tuple[str, str]] = []
    n, left_out = write_csv(book, ids, path, split=split, seed=seed, columns=columns,
                            broadcast=not include_no_consent, sent=sent)
    return n, left_out, None if book.readonly or not sent else book.record_broadcast(name or Path(path).name, sent)


def recontact_ready(book, bid: str):
    """When the non-responders of ``bid`` may be sent again (UTC, after ``broadcast.recontact_days``)."""
    at = next((b[2] for b in book.broadcasts() if b[0] == bid), None)
    if at is None:
        raise BadInput(f"{bid}: no such broadcast (see `wtui broadcast list`)")
    return at + timedelta(days=book.cfg.broadcast.recontact_days)


def recontact(book, bid: str, path: str | Path, *, force: bool = False) -> tuple[int, int, str]:
    """The non-responders of broadcast ``bid`` (no message since it went out) as a new send list, recorded as
    "recontact of <bid>". Refused before ``recontact_ready`` unless ``force``. Returns what send_list does."""
    ready = recontact_ready(book, bid)
    if book.now() < ready and not force:
        raise BadInput(f"{bid}: its non-responders may be sent again from {ready:%Y-%m-%d %H:%M} UTC ([broadcast] "
                       f"recontact_days = {book.cfg.broadcast.recontact_days:g}); --force to send now")
    if book.readonly:
        raise BadInput("the book is read-only for you: a re-contact is recorded as a broadcast")
    n, left_out, new = send_list(book, book.ids_of(book.non_responders(bid)), path, f"recontact of {bid}")
    return n, left_out, new or ""
