"""Orders import speed (wtui import-orders): 100k orders into the 100k book.

    python -m bench.orders                 # 100k orders into a copy of the 100k book, 3 runs
    python -m bench.orders --size 10000

The orders name customers by number, a third of them as people type them (spaces, a national
form), in three currencies, a few with several item lines. Each run imports the file into a fresh
copy of the book (every order new), then again (every order already there). The floor, measured in
the same run: Python's csv module reading the file plus one executemany of its rows into a bare
SQLite table: what any import of this file costs before it checks or decides anything.

    python -m bench.orders --fresh         # into a book of the same customers with no history yet

Every customer an order names gets their verdict recomputed from their whole history (tiers,
lifecycle, RFM, the colour): in the synthetic book that is ~17 interactions each, and it is most of
the time; --fresh is a shop's first import, right after its contacts.
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.run import sized_book
from wtui.book.book import Book
from wtui.book.engine import sqlite3
from wtui.io import orders_import

PRODUCTS = ["Serum", "Night cream", "Lipstick Rosa", "Perfume 50ml", "Kit presente", "Scarf", "Sunscreen SPF50"]


def write_orders(path: Path, phones: list[str], n: int, seed: int = 7) -> int:
    """``n`` orders (some with a second item line) for random customers of ``phones``: the lines written."""
    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    lines = 0
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Order ID", "Phone", "Total", "Currency", "Product", "Created at"])
        for i in range(n):
            phone = rng.choice(phones)
            if rng.random() < 0.33:  # as typed: spaced out
                phone = f"{phone[:3]} {phone[3:6]} {phone[6:]}"
            currency = rng.choices(["", "EUR", "BRL"], [6, 2, 2])[0]
            at = now - timedelta(days=rng.uniform(1, 700))
            w.writerow([f"#{100000 + i}", phone, f"{rng.uniform(5, 900):.2f}", currency, rng.choice(PRODUCTS),
                        at.strftime("%Y-%m-%d %H:%M:%S %z")])
            lines += 1
            if rng.random() < 0.05:
                w.writerow([f"#{100000 + i}", phone, "", currency, rng.choice(PRODUCTS), ""])
                lines += 1
    return lines


def floor(path: Path, db: Path) -> float:
    t = time.perf_counter()
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE o (a, b, c, d, e, f)")
    with conn:
        conn.executemany("INSERT INTO o VALUES (?,?,?,?,?,?)", rows)
    conn.close()
    return time.perf_counter() - t


def contacts_only(source: Path, target: Path, cfg) -> None:
    """A book of ``source``'s customers (number, name, region, zone) and nothing else: a contacts import."""
    from wtui.io.csv_import import Row

    with Book.open(source, cfg) as book:
        rows = [Row(0, phone, region, tz, (), name, "", "", "", None) for phone, region, tz, name in
                book.conn.execute("SELECT phone, region, tz, name FROM customers")]
    with Book.create(target, cfg, actor="bench") as book:
        for start in range(0, len(rows), cfg.imports.batch_rows):
            book.import_rows(rows[start:start + cfg.imports.batch_rows])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fresh", action="store_true", help="into the same customers with no history")
    args, cfg, source = sized_book(ap)
    fresh, again, floors = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        orders = Path(tmp) / "orders.csv"
        if args.fresh:
            contacts_only(source, Path(tmp) / "contacts.db", cfg)
            source = Path(tmp) / "contacts.db"
        with Book.open(source, cfg) as book:
            phones = [r[0] for r in book.conn.execute("SELECT phone FROM customers")]
        lines = write_orders(orders, phones, args.size)
        for i in range(args.runs):
            floors.append(floor(orders, Path(tmp) / f"floor{i}.db"))
            target = Path(tmp) / f"book{i}.db"
            shutil.copyfile(source, target)
            with Book.open(target, cfg, actor="bench") as book:
                t = time.perf_counter()
                checked = orders_import.read_and_check(book, orders)
                report = orders_import.apply(book, checked)
                fresh.append(time.perf_counter() - t)
                assert report.new == args.size and not report.failed, report.lines()
                t = time.perf_counter()
                report = orders_import.apply(book, orders_import.read_and_check(book, orders))
                again.append(time.perf_counter() - t)
                assert report.skipped == args.size, report.lines()
            target.unlink()
    kind = "customers with no history" if args.fresh else "customers (~17 interactions each)"
    print(f"{lines:,} lines, {args.size:,} orders into a book of {args.size:,} {kind}; median of {args.runs} runs")
    for label, took in (("floor: csv read + executemany, bare table", floors),
                        ("import-orders, every order new", fresh),
                        ("import-orders again, every order there", again)):
        med = statistics.median(took)
        print(f"{label:<44} {med:.2f} s ({lines / med:,.0f} rows/s)")


if __name__ == "__main__":
    main()
