"""wtui benchmarks: medians over several runs, printed as a table.

    python bench/run.py                 # 10k and 100k books, 7 runs each
    python bench/run.py --sizes 10000 --runs 5 --books /tmp/wtui-bench

Synthetic books come from the same generator as the demo (`wtui make-book`),
about 3 tags and 20 interactions per customer. Books are kept in --books and
reused when they exist, since a 100k book takes a while to make.

Measures (see bench/README.md for the latest figures):
- generation rate: customers written per second by make-book (10k books);
- queue: today's queue (stale sweep + counts + first page of 50) on an open book;
- tag add: one tag add or remove with its op-log entry, committed;
- process: `wtui --db BOOK queue --limit 50` as a whole process, start to exit.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from wtui.book.book import Book
from wtui.book.generate import make_book
from wtui.core import config


def median_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:.2f} ms"


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def sized_book(ap: argparse.ArgumentParser) -> tuple[argparse.Namespace, config.Config, Path]:
    """The options a one-book benchmark shares (--size, --runs, --books): its arguments, the shipped config
    and the synthetic book of that size (made once, kept in --books)."""
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--books", type=Path, default=Path(tempfile.gettempdir()) / "wtui-bench")
    args = ap.parse_args()
    args.books.mkdir(parents=True, exist_ok=True)
    cfg = config.load(layers=[])
    return args, cfg, book_for(args.size, args.books, cfg)


def book_for(size: int, books: Path, cfg: config.Config) -> Path:
    path = books / f"book-{size}.db"
    if not path.exists():
        print(f"making a {size:,}-customer book in {path} ...", file=sys.stderr)
        make_book(path, cfg, customers=size, seed=1, now=datetime.now(timezone.utc)).close()
    return path


def bench_generation(cfg: config.Config, runs: int, size: int) -> str:
    rates = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):
            path = Path(tmp) / f"g{i}.db"
            now = datetime.now(timezone.utc)
            took = timed(lambda p=path, i=i, now=now: make_book(p, cfg, customers=size, seed=i, now=now).close())
            rates.append(size / took)
    return f"{statistics.median(rates):,.0f} customers/s"


def bench_queue(path: Path, cfg: config.Config, runs: int) -> str:
    now = [datetime.now(timezone.utc)]
    with Book.open(path, cfg, clock=lambda: now[0]) as book:
        samples = []
        for _ in range(runs):
            now[0] += timedelta(minutes=5)  # time moves on: the sweep has real work each run
            samples.append(timed(lambda: (book.refresh_stale(), book.queue(limit=50))))
    return median_ms(samples)


def bench_tag_add(path: Path, cfg: config.Config, runs: int) -> str:
    with Book.open(path, cfg, actor="bench") as book:
        uids = [r[0] for r in book.conn.execute("SELECT uid FROM customers ORDER BY random() LIMIT ?", (runs * 4,))]
        samples = []
        for uid in uids:
            has = "Interest-Beauty" in book.tags_of(uid)
            act = book.remove_tag if has else book.add_tag
            samples.append(timed(lambda act=act, uid=uid: act(uid, "Interest-Beauty", reason="bench")))
    return median_ms(samples)


def bench_query(path: Path, cfg: config.Config, runs: int) -> str:
    expr = "#Interest-Beauty AND #Stage-Purchased EXCLUDE #Product-Lipstick"
    with Book.open(path, cfg) as book:
        node = book.parse_query(expr)
        return median_ms([timed(lambda: book.count(node)) for _ in range(runs)])


def bench_bulk(path: Path, cfg: config.Config, runs: int) -> str:
    """Tag 10k customers (and their op-log entries), on a throwaway copy of the book."""
    samples = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(max(3, runs // 2)):
            copy = Path(tmp) / f"bulk{i}.db"
            shutil.copy(path, copy)
            with Book.open(copy, cfg, actor="bench") as book:
                ids = book.select("NOT #Activity-Watch")[:10_000]
                samples.append(timed(lambda b=book, ids=ids: b.bulk(ids, add=("Activity-Watch",), reason="bench")))
            copy.unlink()
    return median_ms(samples)


def bench_rules(path: Path, cfg: config.Config, runs: int) -> str:
    """The shipped rules over the whole book, as a dry run (the run itself, rolled back)."""
    with Book.open(path, cfg, actor="bench") as book:
        return median_ms([timed(lambda: book.run_rules(dry_run=True)) for _ in range(max(3, runs // 2))])


def installed_env() -> dict[str, str]:
    """The environment of an installed wtui: bytecode cached (some shells set PYTHONDONTWRITEBYTECODE,
    which makes every start compile wtui from source and is not how reps run it)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def bench_process(path: Path, runs: int) -> str:
    cmd = [sys.executable, "-m", "wtui", "--db", str(path), "queue", "--limit", "50"]
    run = lambda: subprocess.run(cmd, capture_output=True, check=True, env=installed_env())  # noqa: E731
    run()  # warm the page cache and the bytecode cache once
    return median_ms([timed(run) for _ in range(runs)])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--books", type=Path, default=Path(tempfile.gettempdir()) / "wtui-bench")
    ap.add_argument("--skip-generation", action="store_true")
    args = ap.parse_args()
    args.books.mkdir(parents=True, exist_ok=True)
    cfg = config.load(layers=[])
    rows = []
    if not args.skip_generation:
        rows.append(("generation rate (10k book)", "-", bench_generation(cfg, max(5, args.runs // 2), 10_000)))
    for size in args.sizes:
        path = book_for(size, args.books, cfg)
        label = f"{size // 1000}k"
        rows.append(("queue: sweep + counts + 50 rows", label, bench_queue(path, cfg, args.runs)))
        rows.append(("tag add/remove + op log, committed", label, bench_tag_add(path, cfg, args.runs)))
        rows.append(("`wtui queue --limit 50` process", label, bench_process(path, args.runs)))
        rows.append(("audience count: 3-tag AND/EXCLUDE", label, bench_query(path, cfg, args.runs)))
        if size >= 10_000:
            rows.append(("bulk-tag 10k customers + op log", label, bench_bulk(path, cfg, args.runs)))
        rows.append(("rules: full dry run, shipped rules", label, bench_rules(path, cfg, args.runs)))
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  book  median ({args.runs} runs)")
    for name, size, value in rows:
        print(f"{name:<{width}}  {size:<4}  {value}")


if __name__ == "__main__":
    main()
