"""The weekly routine on a 100k book (issue #16): the daily snapshot (target under 200 ms), colour accuracy,
and opening the routine screen to its chart.

    python -m bench.routine                 # 100k book, 3 runs
    python -m bench.routine --size 10000

On a copy of the synthetic book: 28 days of snapshots and 5,000 won or lost deals. Timed: `Book.figures`
(live: the distribution and each rep's workload) and `Book.snapshot` (the distribution + write,
today's row removed between runs), against SQLite's own `count(*) ... GROUP BY color` in the same run;
`Book.outcomes` + `accuracy.report`; and in the app (headless, 120x40): from H until the routine's
figures are shown (tag health, snapshots, accuracy read on a worker), then from 2 until the chart is
built (its first render; the tab's underline animates on).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.run import sized_book
from wtui.book import db
from wtui.book.book import Book
from wtui.book.reads import rep_zone
from wtui.core import accuracy


def prepare(path: Path, cfg, now: datetime) -> None:
    rng = random.Random(5)
    for days in range(28, 0, -1):
        with Book.open(path, cfg, clock=lambda d=days: now - timedelta(days=d), actor="bench") as book:
            book.snapshot()
    with Book.open(path, cfg, clock=lambda: now - timedelta(days=3), actor="bench") as book:
        uids = [u for (u,) in book.conn.execute("SELECT uid FROM customers ORDER BY random() LIMIT 5000")]
        with book.batch("bench: deals"):
            for uid in uids:
                if rng.random() < 0.3:
                    book.record(uid, "won", reason="bench")
                else:
                    book.record(uid, "lost", text="bench", reason="bench")


async def open_routine(path: Path, cfg, now: datetime) -> tuple[float, float]:
    from wtui.tui.app import WtuiApp

    with Book.open(path, cfg, clock=lambda: now, actor="bench", recompute=False) as book:
        app = WtuiApp(book)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            t = time.perf_counter()
            await pilot.press("H")
            while type(app.screen).__name__ != "RoutineScreen" or app.screen.data is None:
                await asyncio.sleep(0.005)
            shown = time.perf_counter() - t
            plot = app.screen.query_one("#trend")
            drawn: list[float] = []
            build = plot.render

            def timed():  # plotext builds the chart in render: the first one after the key is the chart shown
                out = build()
                drawn.append(time.perf_counter())
                return out

            plot.render = timed
            t = time.perf_counter()
            await pilot.press("2")
            while not drawn:
                await asyncio.sleep(0.002)
            chart = drawn[0] - t
            await pilot.press("escape")
            await pilot.pause()
    return shown, chart


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    args, cfg, source = sized_book(ap)
    now = datetime.now(timezone.utc)
    floor, figures, snapshot, report, shown, chart = [], [], [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "routine.db"
        shutil.copyfile(source, path)
        prepare(path, cfg, now)
        for _ in range(args.runs):
            with Book.open(path, cfg, clock=lambda: now, actor="bench") as book:
                t = time.perf_counter()
                book.conn.execute("SELECT color, count(*) FROM customers GROUP BY color").fetchall()
                floor.append(time.perf_counter() - t)
                t = time.perf_counter()
                book.figures()
                figures.append(time.perf_counter() - t)
                with db.write(book.conn):  # today's row goes: the snapshot below is the day's first
                    book.conn.execute("DELETE FROM snapshots WHERE day = (SELECT max(day) FROM snapshots)")
                t = time.perf_counter()
                assert book.snapshot()
                snapshot.append(time.perf_counter() - t)
                t = time.perf_counter()
                accuracy.report(book.outcomes(now - timedelta(weeks=cfg.review.weeks)), now, rep_zone(cfg), cfg)
                report.append(time.perf_counter() - t)
            s, c = asyncio.run(open_routine(path, cfg, now))
            shown.append(s)
            chart.append(c)
    print(f"{args.size:,}-customer book, 28 days of snapshots, 5,000 outcomes; median of {args.runs} runs")
    for label, took in (("floor: count per colour (SQLite GROUP BY)", floor),
                        ("the day's figures, live (distribution + each rep's workload)", figures),
                        ("the daily snapshot: distribution + write (target under 200 ms)", snapshot),
                        ("colour accuracy: outcomes (streak then) + report", report),
                        ("app: H until the routine's figures are shown", shown),
                        ("app: 2 until the chart is drawn", chart)):
        print(f"  {label:<70} {statistics.median(took) * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
