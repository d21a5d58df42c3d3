"""The app's speed as a rep feels it: process start to first painted queue, and key to repaint.

    python bench/tui.py                  # 10k and 100k books, 5 runs each
    python bench/tui.py --sizes 10000 --runs 3

First paint: `wtui --db BOOK` starts in a detached tmux session (100x30) and
the pane is read every few milliseconds until the first queue row (its colour
block) is on screen. Key to repaint: inside one process (Textual's headless
driver), the time from pressing `4` (toggle a quick tag on the current
customer: a write, its op-log entry, a reload of the page) until the app is
idle again with the row redrawn.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.run import book_for, installed_env
from wtui.book.book import Book
from wtui.core import config


def first_paint(path: Path, runs: int) -> float:
    samples = []
    # A session that outlives the measured ones keeps one tmux server up between runs.
    subprocess.run(["tmux", "new-session", "-d", "-s", "wtui-bench-holder", "sleep 600"], env=installed_env())
    try:
        for i in range(runs):
            samples.append(_paint_once(path, f"wtui-bench-{i}"))
    finally:
        subprocess.run(["tmux", "kill-session", "-t", "wtui-bench-holder"], capture_output=True)
    return statistics.median(samples)


def _paint_once(path: Path, name: str) -> float:
    cmd = f"{sys.executable} -m wtui --db {path}"
    start = time.perf_counter()
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "100", "-y", "30", cmd], check=True,
                   env=installed_env())
    try:
        while True:
            screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True).stdout
            if "▌" in screen:
                return time.perf_counter() - start
            if time.perf_counter() - start > 30:
                raise RuntimeError("no queue row after 30 s")
            time.sleep(0.005)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


def key_to_repaint(path: Path, runs: int) -> tuple[float, float]:
    """(handler + table redraw, Pilot round trip) medians.

    The first is the work a key costs: the action (write, op log, verdict,
    re-read of the page) plus drawing every visible row again. The second is
    press-to-idle through Textual's test driver, which adds the harness's own
    waits for timers and frames; it is an upper bound, not what a rep sees.
    """
    from wtui.tui.app import WtuiApp

    direct: list[float] = []
    pilot_rt: list[float] = []

    async def drive() -> None:
        with Book.open(path, config.load(layers=[]), actor="bench") as book:
            app = WtuiApp(book)
            async with app.run_test(size=(120, 36)) as pilot:
                await pilot.pause()
                await app.workers.wait_for_complete()
                screen = app.screen
                table = screen.table
                for _ in range(runs * 2):
                    t = time.perf_counter()
                    screen.action_quick_tag("4")
                    for y in range(table.scrollable_content_region.height):
                        table.render_line(y)
                    direct.append(time.perf_counter() - t)
                    await app.workers.wait_for_complete()
                    await pilot.pause(0.1)
                    t = time.perf_counter()
                    await pilot.press("4")
                    await pilot.pause()
                    pilot_rt.append(time.perf_counter() - t)
                    await app.workers.wait_for_complete()
                    await pilot.pause(0.1)

    asyncio.run(drive())
    return statistics.median(direct), statistics.median(pilot_rt)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--books", type=Path, default=Path(tempfile.gettempdir()) / "wtui-bench")
    args = ap.parse_args()
    if not shutil.which("tmux"):
        sys.exit("bench/tui.py needs tmux")
    args.books.mkdir(parents=True, exist_ok=True)
    cfg = config.load(layers=[])
    print(f"{'measure':<40}  book  median ({args.runs} runs)")
    for size in args.sizes:
        path = book_for(size, args.books, cfg)
        label = f"{size // 1000}k"
        print(f"{'start to first painted queue (tmux)':<40}  {label:<4}  {first_paint(path, args.runs) * 1000:.0f} ms")
        direct, round_trip = key_to_repaint(path, args.runs)
        print(f"{'key to repaint: quick-tag toggle':<40}  {label:<4}  {direct * 1000:.1f} ms")
        print(f"{'  same key, Pilot press-to-idle':<40}  {label:<4}  {round_trip * 1000:.1f} ms")


if __name__ == "__main__":
    main()
