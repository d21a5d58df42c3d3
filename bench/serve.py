"""The team server over loopback: push and pull of 10k ops, requests per second with 8 syncing
clients, and how long a tag added on one replica takes to show on another.

    python -m bench.serve                  # on a 10k-customer book, 3 runs
    python -m bench.serve --size 100000

A real ``wtui serve`` process on 127.0.0.1; clients are ``io.remote.Remote`` (httpx). The floor is
the server's own ``/health`` answered in the same run (HTTP and the event loop, no book work).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx

from bench.run import sized_book
from bench.sync import _edits
from wtui.book.book import Book
from wtui.io import remote as rem
from wtui.io.sync_loop import Syncer


def _utc_now():
    return datetime.now(timezone.utc)


def _port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--edits", type=int, default=10_000)
    args, cfg, source = sized_book(ap)
    push, pull, health, rps, latency, live = [], [], [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for run in range(args.runs):
            team = tmp / f"team{run}.db"
            shutil.copy(source, team)
            with Book.open(team, cfg, actor="admin") as book:
                tokens = [book.add_user(f"rep{i}", "rep") for i in range(9)]
            conf = tmp / "server.toml"
            conf.write_text("[server]\nrequests_per_minute = 1000000\n")
            port = _port()
            url = f"http://127.0.0.1:{port}"
            log = open(tmp / f"serve{run}.log", "wb")
            proc = subprocess.Popen([sys.executable, "-m", "wtui", "--config", str(conf), "--db", str(team), "serve",
                                     "--port", str(port)], stdout=log, stderr=log,
                                    env={**os.environ, "HOME": str(tmp)})
            try:
                while True:
                    try:
                        httpx.get(url + "/health", timeout=1)
                        break
                    except httpx.TransportError:
                        time.sleep(0.05)
                with httpx.Client() as c:
                    t0 = time.perf_counter()
                    for _ in range(200):
                        c.get(url + "/health")
                    health.append((time.perf_counter() - t0) / 200)
                # push: one replica's 10k edits
                a, b = tmp / f"a{run}.db", tmp / f"b{run}.db"
                ra, rb = rem.Remote(url, tokens[0]), rem.Remote(url, tokens[1])
                ra.snapshot(a)
                rb.snapshot(b)
                with Book.open(a, cfg, actor="rep0") as book:
                    _edits(book, args.edits, run)
                    t0 = time.perf_counter()
                    rem.sync(book, ra, batch=cfg.sync.batch_ops)
                    push.append(time.perf_counter() - t0)
                with Book.open(b, cfg, actor="rep1") as book:
                    t0 = time.perf_counter()
                    rem.sync(book, rb, batch=cfg.sync.batch_ops)
                    pull.append(time.perf_counter() - t0)
                # 8 clients syncing (nothing new: the steady state of a team) for 3 s
                done = [0] * 8
                stop = time.monotonic() + 3

                def client(i: int, url: str = url, tokens: list = tokens, stop: float = stop,
                           done: list = done) -> None:
                    with rem.Remote(url, tokens[i + 1]) as r:
                        vector = {}
                        while time.monotonic() < stop:
                            _ops, vector, _more = r.pull(vector, 500)
                            done[i] += 1

                threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                rps.append(sum(done) / 3)
                # a tag on one replica, seen on another that waits on a long poll
                with Book.open(a, cfg, actor="rep0") as pa, Book.open(b, cfg, actor="rep1") as pb:
                    uid = pa.uids_of(pa.all_ids()[:1])[0]
                    tag = next(t for t in pa.tag_names() if t not in pa.tags_of(uid))
                    seen = threading.Event()

                    def waiter(rb: rem.Remote = rb, pb: Book = pb, seen: threading.Event = seen) -> None:
                        got, _v, _m = rb.pull(pb.vector(), 500, wait=10)
                        if got:
                            pb.apply_remote(got)
                            seen.set()

                    w = threading.Thread(target=waiter)
                    w.start()
                    time.sleep(0.3)  # the pull is waiting
                    t0 = time.perf_counter()
                    pa.add_tag(uid, tag)
                    rem.sync(pa, ra)
                    w.join()
                    latency.append(time.perf_counter() - t0 if seen.is_set() and tag in pb.tags_of(uid) else
                                   float("inf"))
                # the same through the app's background sync (io/sync_loop.py): the rep's key commits and
                # nudges the pusher, the teammate's puller waits on a long poll and applies
                syncers = [Syncer(p, cfg, url, tok, actor=who, clock=_utc_now) for p, tok, who in
                           ((a, tokens[0], "rep0"), (b, tokens[1], "rep1"))]
                for s in syncers:
                    s.start()
                with Book.open(a, cfg, actor="rep0") as pa, Book.open(b, cfg, actor="rep1", readonly=True) as pb:
                    while not all(s.state.heard for s in syncers):
                        time.sleep(0.01)
                    time.sleep(0.3)  # the puller is inside its long poll
                    uid = pa.uids_of(pa.all_ids()[:1])[0]
                    tag = next(t for t in pa.tag_names() if t not in pa.tags_of(uid))
                    t0 = time.perf_counter()
                    pa.add_tag(uid, tag)
                    syncers[0].nudge()
                    while tag not in pb.tags_of(uid) and time.perf_counter() - t0 < 30:
                        time.sleep(0.005)
                    live.append(time.perf_counter() - t0)
                for s in syncers:
                    s.stop(5)
                ra.close()
                rb.close()
            finally:
                proc.terminate()
                proc.wait()
                log.close()
    med = statistics.median
    n = args.edits
    print(f"{args.size:,}-customer book, {n:,} edits, {args.runs} runs (medians), wtui serve on loopback")
    print(f"  push of {n:,} ops (batches of {cfg.sync.batch_ops}): {med(push):.2f} s = {n / med(push):,.0f} ops/s")
    print(f"  pull of {n:,} ops by another replica: {med(pull):.2f} s = {n / med(pull):,.0f} ops/s")
    print(f"  8 clients syncing (a pull each, nothing new): {med(rps):,.0f} requests/s "
          f"(floor: GET /health from one client {1 / med(health):,.0f}/s)")
    print(f"  a tag added on one replica, shown on another (long poll): {med(latency) * 1000:.0f} ms")
    print(f"  the same through the app's background sync (Syncer): {med(live) * 1000:.0f} ms "
          f"(+ at most the app's repaint)")


if __name__ == "__main__":
    main()
