"""The shipped rules with their event rules on the 100k book (issue #15).

    python -m bench.rules                 # 100k book, 3 runs
    python -m bench.rules --size 10000

A copy of the synthetic book gets a morning's news: --events purchases (each with a product) and a
tenth as many complaints, recorded now through the orders path. Then, each run on a fresh copy:
the shipped rules as a dry run and as the run, and the run again (nothing left to do). The floor, in
the same run: the same rules without the event rules (a dry run), so the figure the events add is
the difference.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.run import sized_book
from wtui.book import automation
from wtui.book.book import Book
from wtui.io.orders_import import Order


def news(path: Path, cfg, events: int) -> None:
    with Book.open(path, cfg, actor="bench") as book:
        book.set_admins(["bench"])
        uids = [r[0] for r in book.conn.execute("SELECT uid FROM customers")]
        rng = random.Random(5)
        now = book.now()
        orders = [Order(0, rng.choice(uids), now, 50.0, "order", f"bench-{i}", rng.choice(["Serum", "Scarf", "Tea"]))
                  for i in range(events)]
        book.record_orders(orders, reason="bench")
        with book.batch("bench complaints"):
            for uid in rng.sample(uids, events // 10):
                book.record(uid, "complaint", now, text="late")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=10_000)
    args, cfg, source = sized_book(ap)
    floor, dry, run, again = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "news.db"
        shutil.copyfile(source, base)
        news(base, cfg, args.events)
        for i in range(args.runs):
            target = Path(tmp) / f"run{i}.db"
            shutil.copyfile(base, target)
            with Book.open(target, cfg, actor="bench") as book:
                rules = automation.load(book)
                plain = [r for r in rules if not r.on]
                t = time.perf_counter()
                book.run_rules(plain, dry_run=True)
                floor.append(time.perf_counter() - t)
                t = time.perf_counter()
                book.run_rules(rules, dry_run=True)
                dry.append(time.perf_counter() - t)
                t = time.perf_counter()
                report = book.run_rules(rules)
                run.append(time.perf_counter() - t)
                acted = sum(len(r.changes) for r in report.results if r.rule.on)
                t = time.perf_counter()
                assert book.run_rules(rules).changed == 0
                again.append(time.perf_counter() - t)
            target.unlink()
    print(f"{args.size:,}-customer book, {args.events:,} purchases and {args.events // 10:,} complaints new; "
          f"event rules changed {acted:,} customers; median of {args.runs} runs")
    for label, took in (("floor: the rules without event rules, dry run", floor),
                        ("shipped rules with event rules, dry run", dry), ("shipped rules, the run", run),
                        ("the run again (nothing left)", again)):
        print(f"{label:<48} {statistics.median(took):.2f} s")


if __name__ == "__main__":
    main()
