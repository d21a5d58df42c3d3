"""Customers to CSV, safe to open in a spreadsheet.

A cell that starts with = + - @ (or a tab or carriage return) would run as a
formula in Excel or LibreOffice: it is written with a leading apostrophe, the
spreadsheets' own "this is text" mark.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from wtui.io.files import open_for_writing

COLUMNS = ("name", "phone", "color", "intent", "interest", "activity", "lifecycle", "spend_tier", "rfm", "region",
           "tz", "language", "source", "owner", "consent", "tags", "preference", "last_inbound", "last_purchase",
           "wa_id", "consent_at", "consent_source")  # wa_id: the id WhatsApp sends to (Mexico's 521...)
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    text = "" if value is None else "yes" if value is True else "no" if value is False else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def split_groups(n: int, split: tuple[int, ...], seed: int) -> list[str]:
    """Test groups for ``n`` rows: A, B, ... of ``split`` percent each, in a seeded random order (the same
    seed, the same groups); one percentage leaves the rest as B, several leave it as "rest"."""
    order = list(range(n))
    random.Random(seed).shuffle(order)
    names = [chr(ord("A") + i) for i in range(len(split))]
    rest = "B" if len(split) == 1 else "rest"
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
