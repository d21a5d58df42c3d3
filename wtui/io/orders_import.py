"""Importing orders from a CSV file (``wtui import-orders``): the purchases a shop recorded, as purchase
interactions, so spend tiers, VIP, lifecycle and RFM work on a real book (playbook §3).

The same three steps as the customer import (``io.csv_import``): read the file (``io.table``), check
every row without writing, then write the good rows as one batch (one undo), all or nothing unless
``partial``. A row names the customer (their number in any written form, or their wtui uid), the
amount and when; the currency, the product and the order's id when the file has them.

Idempotent: an order's id becomes its purchase's id, so an order already in the book is skipped; a
file without ids is keyed by customer, time, amount and product. A shop export that writes each item
of an order on a line of its own, the total on the first, is read as one order: a line repeating an
order id with no amount (or the same total again) adds its product to the order.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from wtui.core import money
from wtui.errors import BadInput, PhoneError
from wtui.io import csv_import
from wtui.io.csv_import import Failure, Progress, Report, cell_text, gc_paused, map_columns, normalizer
from wtui.io.table import Table, parse_table, read_text

FIELDS = ("order", "customer", "phone", "amount", "currency", "product", "date")
DATE_ORDERS = ("ymd", "dmy", "mdy")
EARLIEST_YEAR = 1970  # a sanity limit, not a threshold: an earlier "order" is a typo or a spreadsheet's zero date
MONTH_FIRST_REGIONS = frozenset({"US", "PH", "FM", "MH", "PW"})  # where 03/04 is March 4
_UID = re.compile(r"[0-9a-f]{32}")
_YMD = re.compile(r"\d{4}-\d{2}-\d{2}")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_SPACING = re.compile(r"[\s()./-]+")  # how people space a number out: +55 (11) 96100-4500
_SPACED_ZONE = re.compile(r"(?P<at>.*\d)\s*(?:(?P<utc>Z|UTC|GMT)|(?P<sign>[+-])(?P<h>\d{2}):?(?P<m>\d{2}))",
                          re.IGNORECASE)
_NUMERIC = re.compile(r"(?P<a>\d{1,4})[./-](?P<b>\d{1,2})[./-](?P<c>\d{1,4})"
                      r"(?:[ T,]+(?P<hh>\d{1,2}):(?P<mm>\d{2})(?::(?P<ss>\d{2}))?(?:\.\d+)?"
                      r"\s*(?P<half>[AaPp]\.?[Mm]\.?)?)?")


@dataclass(slots=True)  # one per order to record
class Order:
    line: int
    customer: str  # uid
    at: datetime  # UTC
    amount: float  # in the book's currency
    text: str  # what the purchase record says: the order, its products, the amount as paid
    key: str  # the purchase's id: from the order id, else from the row's content
    product: str = ""  # what was bought (the first item of an order of several)


@dataclass
class Checked(csv_import.Checked):
    good: list[Order] = field(default_factory=list)
    items: int = 0  # further lines of an order above (its other items): part of that order
    date_order: str = ""  # how d/m/y dates were read, when the file has them
    date_guessed: bool = False  # no date in the file told the order: it was assumed

    @property
    def read(self) -> int:
        return len(self.good) + len(self.failed) + self.items


@dataclass
class OrdersReport(Report):
    items: int = 0
    note: str = ""
    batch: str = ""

    def counts(self) -> str:
        items = f" (and {self.items:,} more item line(s) of those orders)" if self.items else ""
        return f"new orders {self.new:,}{items}, already in the book {self.skipped:,}"

    def as_json(self) -> dict:
        return {**super().as_json(), "items": self.items, "note": self.note, "batch": self.batch}

    def lines(self) -> list[str]:
        done = [f"one batch: wtui undo {self.batch}"] if self.batch else []
        return super().lines() + ([self.note] if self.note else []) + done


def order_key(order_id: str) -> str:
    """The purchase id an order id gives: the same order, imported again, is the same purchase."""
    return "order-" + hashlib.sha256(order_id.strip().encode("utf-8", "surrogateescape")).hexdigest()[:32]


def _content_key(uid: str, at: datetime, amount: float, text: str) -> str:
    blob = f"{uid}|{at.isoformat()}|{amount:.2f}|{text}".encode("utf-8", "surrogateescape")
    return "order-" + hashlib.sha256(blob).hexdigest()[:32]


def date_order(cells: list[str], region: str, wanted: str = "") -> tuple[str, bool]:
    """How the file writes d/m/y dates ('dmy', 'mdy'; 'ymd' when all start with the year), from every
    date in it: (order, guessed). ``wanted`` (--dates) wins; a file whose d/m/y dates never tell is read
    the way the book's region writes dates (guessed: the report says so)."""
    if wanted:
        return wanted, False
    day_first = month_first = numeric = False
    for cell in cells:
        m = _NUMERIC.fullmatch(cell.strip())
        if m and len(m["a"]) <= 2:
            numeric = True
            a, b = int(m["a"]), int(m["b"])
            day_first |= a > 12 >= b
            month_first |= b > 12 >= a
    if day_first and month_first:
        raise BadInput("the dates are written both day first (like 20/11) and month first (like 11/20): "
                       "say which with --dates dmy or --dates mdy")
    if day_first or month_first:
        return ("dmy" if day_first else "mdy"), False
    return ("mdy" if region.upper() in MONTH_FIRST_REGIONS else "dmy"), numeric


def parse_when(text: str, order: str, zone: ZoneInfo, now: datetime) -> datetime:
    """An order's time in UTC: ISO 8601 (with or without a zone), or a d/m/y (as ``order``) date with
    an optional time and AM/PM. Times without a zone are in ``zone`` (the team's); a date alone is noon
    there (or now, for today's orders). A time ahead of ``now`` by more than an hour is refused."""
    raw = " ".join(text.split())
    if not raw:
        raise BadInput("no date: say when the order was placed")
    try:
        at = _iso(raw, zone) or _numeric(raw, order, zone)
        if at is not None:
            at = at.astimezone(timezone.utc)
    except (OverflowError, ValueError):  # a year at the calendar's edge, shifted past it by its zone
        at = None
    if at is None:
        raise BadInput(f"date {text!r}: write it like 2026-11-20, 2026-11-20 15:30 or 20/11/2026")
    if at.year < EARLIEST_YEAR:
        raise BadInput(f"date {text!r}: before {EARLIEST_YEAR}, not an order's date")
    if at > now and at.astimezone(zone).date() == now.astimezone(zone).date() and _date_only(raw):
        at = now  # today's date alone: noon may still be ahead
    if at > now + timedelta(hours=1):
        raise BadInput(f"date {text!r} is in the future")
    return at


def _date_only(raw: str) -> bool:
    m = _NUMERIC.fullmatch(raw)
    return bool(_YMD.fullmatch(raw) or (m and m["hh"] is None))


def _iso(raw: str, zone: ZoneInfo) -> datetime | None:
    if not _YMD.match(raw):
        return None
    text, tz = raw, None
    m = _SPACED_ZONE.fullmatch(raw)
    if m and len(m["at"]) > 10:  # a time, then its zone: "2026-11-20 15:30:00 -0300", "... UTC"
        text = m["at"]
        tz = timezone.utc if m["utc"] else _offset(m["sign"], m["h"], m["m"])
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    if len(text) == 10:
        return _noon(at.date(), zone)
    if tz is not None and at.tzinfo is None:
        at = at.replace(tzinfo=tz)
    return at if at.tzinfo else at.replace(tzinfo=zone)


@lru_cache(maxsize=256)
def _offset(sign: str, hours: str, minutes: str) -> timezone:
    return timezone((1 if sign == "+" else -1) * timedelta(hours=int(hours), minutes=int(minutes)))


def _numeric(raw: str, order: str, zone: ZoneInfo) -> datetime | None:
    m = _NUMERIC.fullmatch(raw)
    if not m:
        return None
    a, b, c = int(m["a"]), int(m["b"]), int(m["c"])
    year, month, day = (a, b, c) if len(m["a"]) == 4 or order == "ymd" else (c, b, a) if order == "dmy" \
        else (c, a, b)
    year += 2000 if year < 100 else 0
    try:
        if m["hh"] is None:
            return _noon(date(year, month, day), zone)
        hh = int(m["hh"])
        half = (m["half"] or "").replace(".", "").lower()
        if half and not 1 <= hh <= 12:
            return None
        hh = hh % 12 + 12 if half == "pm" else hh % 12 if half == "am" else hh
        return datetime(year, month, day, hh, int(m["mm"]), int(m["ss"] or 0), tzinfo=zone)
    except ValueError:
        return None


def _noon(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(12), zone)


class _Customers:
    """Who each row names: a uid (or one merged into another), else a number in any written form, found
    in the book by the number they have or were created with. Numbers with their country code whose
    digits the book knows skip phonenumbers; the rest are checked once each, on every core for a long file."""

    def __init__(self, book, table: Table, columns: dict[str, list[int]], numbers) -> None:
        self.book = book
        i_uid = (columns.get("customer") or [None])[0]
        i_phones = columns.get("phone", [])
        self.i_uid, self.i_phones = i_uid, i_phones
        rows = [r.cells for r in table.records if not r.problem]
        uids = {cell_text(cells, i_uid).lower() for cells in rows} if i_uid is not None else set()
        self.uids = book.current_uids(sorted(u for u in uids if _UID.fullmatch(u)))
        raws = {cell_text(cells, i).strip() for cells in rows for i in i_phones} - {""}
        # A number written with its country code names the customer who has exactly those digits,
        # however it is spaced out: only the other forms need phonenumbers (~50 µs a number).
        plain = {raw: _SPACING.sub("", raw) for raw in raws}
        by_number = book.uids_by_phone(sorted({p for p in plain.values() if _E164.fullmatch(p)}))
        self.numbers: dict[str, str | PhoneError] = {raw: by_number[p] for raw, p in plain.items() if p in by_number}
        rest = sorted(r for r in raws if r not in self.numbers)
        checked = dict(zip(rest, numbers.normalize(rest), strict=True))
        found = book.uids_by_phone(sorted({p.e164 for p in checked.values() if not isinstance(p, PhoneError)}))
        for raw, p in checked.items():
            if isinstance(p, PhoneError):
                self.numbers[raw] = p
            elif p.e164 in found:
                self.numbers[raw] = found[p.e164]
            else:
                self.numbers[raw] = PhoneError(raw, f"no customer with number {p.e164} in the book: import them "
                                                    "first (wtui import)")

    def names(self, cells: list[str]) -> bool:
        """Does the row name a customer at all?"""
        return any(cell_text(cells, i) for i in (*self.i_phones, self.i_uid) if i is not None)

    def of(self, cells: list[str]) -> str:
        """The uid a row names, or BadInput saying why none."""
        uid = cell_text(cells, self.i_uid).lower() if self.i_uid is not None else ""
        if uid and uid in self.uids:
            return self.uids[uid]
        raws = [cell_text(cells, i).strip() for i in self.i_phones]
        raws = [r for r in raws if r]
        for raw in raws:
            found = self.numbers[raw]
            if not isinstance(found, PhoneError):
                return found
        if raws:
            problem = self.numbers[raws[0]]
            raise BadInput(f"{problem.raw!r}: {problem.reason}" if problem.raw else problem.reason)
        if uid:
            raise BadInput(f"no customer with uid {uid!r} in the book")
        raise BadInput("no customer: the row has neither a number nor a uid")


def check(book, table: Table, *, mapping: dict[str, str] | None = None, dates: str = "", default_region: str = "",
          numbers=None, progress: Progress | None = None) -> Checked:
    """Validate every row against the book; nothing is written."""
    region = default_region or book.cfg.book.default_region
    if numbers is None:
        with normalizer(book, region, len(table.records)) as own:
            return check(book, table, mapping=mapping, dates=dates, default_region=region, numbers=own,
                         progress=progress)
    if dates and dates not in DATE_ORDERS:
        raise BadInput(f"--dates {dates}: one of {', '.join(DATE_ORDERS)}")
    columns = map_columns(table.header, mapping or {}, book.cfg.imports.order_columns, FIELDS, need_phone=False)
    if "phone" not in columns and "customer" not in columns:
        raise BadInput(f"no phone or customer column (columns: {', '.join(table.header) or 'none'}); name one with "
                       "--map phone=COLUMN or --map customer=COLUMN (a wtui uid)")
    for need in ("amount", "date"):
        if need not in columns:
            raise BadInput(f"no {need} column (columns: {', '.join(table.header)}); name it with --map {need}=COLUMN")
    i_order, _, _, i_amount, i_currency, i_product, i_date = ((columns.get(f) or [None])[0] for f in FIELDS)
    readable = [rec for rec in table.records if not rec.problem]
    out = Checked(table, columns)
    out.failed += [Failure(rec.line, rec.problem, rec.cells) for rec in table.records if rec.problem]
    out.date_order, out.date_guessed = date_order([cell_text(r.cells, i_date) for r in readable], region, dates)
    who = _Customers(book, table, columns, numbers)
    zone, now, spend = _zone(book), book.now(), book.cfg.spend
    # Shops repeat prices and dates (a day's orders, a product's price): each distinct cell is read once.
    amount_of = lru_cache(maxsize=None)(
        lambda cell, currency: money.amount_paid(cell, currency, spend, "the currency column"))
    when = lru_cache(maxsize=None)(lambda cell: parse_when(cell, out.date_order, zone, now))
    # An order seen on an earlier line: (its Order, its products, its amount as paid, currency, id).
    seen: dict[str, tuple[Order, list[str], float, str, str]] = {}
    keyed: dict[str, int] = {}
    for n, rec in enumerate(readable, 1):
        if progress and n % 5000 == 0:
            progress(n, len(readable))
        cells = rec.cells
        order_id, product = cell_text(cells, i_order), cell_text(cells, i_product)
        try:
            amount_cell = cell_text(cells, i_amount)
            if order_id and order_id in seen:  # another item of an order above (its customer may go unsaid)
                first, products, paid, currency, _ = seen[order_id]
                _more_of(first, who.of(cells) if who.names(cells) else first.customer, amount_cell,
                         cell_text(cells, i_currency), paid, currency, order_id, spend)
                if product:
                    products.append(product)
                out.items += 1
                continue
            uid = who.of(cells)
            booked, paid, currency = amount_of(amount_cell, cell_text(cells, i_currency))
            at = when(cell_text(cells, i_date))
        except BadInput as exc:
            out.failed.append(Failure(rec.line, str(exc), cells))
            continue
        order = Order(rec.line, uid, at, booked, "", "", product)
        if order_id:
            order.key = order_key(order_id)
            seen[order_id] = (order, [product] if product else [], paid, currency, order_id)
        else:
            order.key = _content_key(uid, at, paid, product + "|" + currency)
            if order.key in keyed:
                out.failed.append(Failure(rec.line, f"the same order as line {keyed[order.key]} (customer, time, "
                                                    "amount and product): give orders an id column to keep both",
                                          cells))
                continue
            keyed[order.key] = rec.line
            order.text = money.paid(product, paid, currency, spend)
        out.good.append(order)
    for order, products, paid, currency, order_id in seen.values():
        what = f"order {order_id}" + (": " + ", ".join(dict.fromkeys(products)) if products else "")
        order.text = money.paid(what, paid, currency, spend)
    out.failed.sort(key=lambda f: f.line)
    if progress:
        progress(len(readable), len(readable))
    return out


def _more_of(first: Order, uid: str, amount_cell: str, currency_cell: str, paid: float, currency: str,
             order_id: str, spend) -> None:
    """A further line of an order already read: another of its items, or a contradiction."""
    if uid != first.customer:
        raise BadInput(f"order {order_id} is on line {first.line} for another customer")
    if amount_cell.strip():
        again, again_paid, again_currency = money.amount_paid(amount_cell, currency_cell, spend, "the currency column")
        if (again_paid, again_currency) != (paid, currency):
            raise BadInput(f"order {order_id} is on line {first.line} with another amount ({paid:,.2f} {currency}): "
                           "one row an order, or leave the amount empty on its further items")


def _zone(book) -> ZoneInfo:
    from wtui.book.reads import rep_zone

    return rep_zone(book.cfg)


def will_rehearse(checked: Checked, *, partial: bool = False, dry_run: bool = False) -> bool:
    return dry_run or bool(checked.failed and not partial) or not checked.good


def apply(book, checked: Checked, *, partial: bool = False, dry_run: bool = False,
          progress: Progress | None = None) -> OrdersReport:
    """Record the good orders as purchases, one batch (or count them only: see the module doc)."""
    rehearse = will_rehearse(checked, partial=partial, dry_run=dry_run)
    with gc_paused():
        new, already, batch = book.record_orders(checked.good, reason=f"import-orders {Path(checked.table.path).name}",
                                          dry_run=rehearse, progress=progress)
    note = ""
    if checked.date_guessed:
        first, other = ("month", "dmy") if checked.date_order == "mdy" else ("day", "mdy")
        fix = "import again" if rehearse else "undo and import again"  # nothing written: nothing to undo
        note = (f"dates like 03/04/2026 were read {first} first (no date in the file tells): "
                f"if that is wrong, {fix} with --dates {other}")
    return OrdersReport(checked.read, new, 0, already, checked.failed, not rehearse,
                        book.cfg.imports.warn_failure_share, dry_run, checked.items, note, batch)


def read_and_check(book, path: str | Path, *, mapping: dict[str, str] | None = None, dates: str = "",
                   default_region: str = "", progress: Progress | None = None, encoding: str = "") -> Checked:
    """Read and check a file (in ``encoding`` when given); nothing is written. A long file's number workers
    start while it is parsed."""
    with gc_paused():
        limits = book.cfg.limits
        text, encoding = read_text(path, int(limits.import_file_mb * (1 << 20)), encoding)
        with normalizer(book, default_region, text.count("\n")) as numbers:
            table = parse_table(path, text, encoding, int(limits.csv_cell_kb * 1024))
            return check(book, table, mapping=mapping, dates=dates, default_region=default_region, numbers=numbers,
                         progress=progress)
