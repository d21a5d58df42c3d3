"""Tag health on a 100k book with 300 tags (issue #16: target under 1 s).

    python -m bench.health                 # 100k book, 3 runs
    python -m bench.health --size 10000

A copy of the synthetic book gets 300 tags in all (277 more, Dimension-Value, each on a random share
of the customers, a few near-duplicates among them) and a month of uses. Timed: `Book.tag_stats`,
`Book.tag_overlaps`, `Book.tag_uses` and `health.check`, as `wtui health` runs them; and the whole
command as a process. The floor, in the same run: SQLite's own `count(*) ... GROUP BY tag_id` over
customer_tags.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench.run import sized_book
from wtui.book.book import Book
from wtui.core import health


def three_hundred_tags(path: Path, cfg) -> None:
    rng = random.Random(11)
    with Book.open(path, cfg, actor="bench") as book:
        book.set_admins(["bench"])
        have = len(book.tag_names(archived=True))
        ids = book.all_ids()
        for i in range(300 - have):
            name = f"Dim{i % 12}-Value{i}"
            book.create_tag(name)
            share = rng.choice([0.001, 0.01, 0.03, 0.1])
            chosen = rng.sample(ids, max(1, int(len(ids) * share)))
            book.bulk(chosen, add=(name,), reason="bench")
            if i % 40 == 0:  # a near-duplicate: the same customers but a few
                twin = f"Dim{i % 12}-Twin{i}"
                book.create_tag(twin)
                book.bulk(chosen[: int(len(chosen) * 0.95)], add=(twin,), reason="bench")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    args, cfg, source = sized_book(ap)
    floor, parts, process = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tags.db"
        shutil.copyfile(source, path)
        three_hundred_tags(path, cfg)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        for _ in range(args.runs):
            with Book.open(path, cfg, actor="bench") as book:
                t = time.perf_counter()
                book.conn.execute("SELECT tag_id, count(*) FROM customer_tags WHERE present = 1 "
                                  "GROUP BY tag_id").fetchall()
                floor.append(time.perf_counter() - t)
                t = time.perf_counter()
                stats = book.tag_stats()
                now = book.now()
                per_tag, since = book.tag_uses(now - timedelta(days=cfg.health.rare_days))
                overlaps = book.tag_overlaps(similar=cfg.health.merge_overlap, least=cfg.health.tiny_customers)
                found = health.check(stats, overlaps, book.customer_count(), now, cfg.tags, cfg.health,
                                     health.Uses(per_tag, since))
                parts.append(time.perf_counter() - t)
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "wtui", "--db", str(path), "health"], check=True,
                           stdout=subprocess.DEVNULL, env=env)
            process.append(time.perf_counter() - t)
    print(f"{args.size:,}-customer book, {len(stats)} tags in use, {len(found)} findings; median of {args.runs} runs")
    for label, took in (("floor: count per tag (SQLite GROUP BY)", floor),
                        ("tag health: stats, overlaps, uses, findings", parts),
                        ("`wtui health`, the whole process", process)):
        print(f"{label:<46} {statistics.median(took) * 1000:,.0f} ms")


if __name__ == "__main__":
    main()
