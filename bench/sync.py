"""Replication speed: applying another replica's ops, and exchanging two book files.

    python -m bench.sync                       # 10k edits on a 100k book, 3 runs
    python -m bench.sync --size 10000 --edits 5000

A replica of a synthetic book (``wtui clone``) makes ``--edits`` edits (tag adds and removes, owner
changes, notes: the mix of a morning); the original then applies them as a peer would receive them,
500 to a batch (``Book.apply_remote``), on disk. The floor is SQLite itself: the same ops inserted
into the ops table alone, in the same batches. Also printed: the log's bytes per edit, and
``Book.sync_with`` (finding what each side lacks, then applying) end to end, and a new replica's
start: a snapshot of the book (``wtui clone``) plus catching up with the peer.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench.run import sized_book
from wtui.book import ops
from wtui.book.book import Book


def _edits(book: Book, n: int, seed: int) -> list[ops.Op]:
    rnd = random.Random(seed)
    uids = [u for (u,) in book.conn.execute("SELECT uid FROM customers ORDER BY random() LIMIT ?", (n,))]
    tags = [t for (t,) in book.conn.execute("SELECT name FROM tags WHERE archived = 0 LIMIT 5")]
    start = book.conn.execute("SELECT max(seq) FROM ops").fetchone()[0]
    with book.batch("bench edits"):
        for i in range(n):
            uid = uids[i % len(uids)]
            pick = rnd.random()
            if pick < 0.4:
                book.add_tag(uid, rnd.choice(tags))
            elif pick < 0.6:
                book.remove_tag(uid, rnd.choice(tags))
            elif pick < 0.85:
                book.set_field(uid, "owner", rnd.choice(["ana", "omar", "li"]))
            else:
                book.add_note(uid, f"called, no answer {i}")
    return [ops.Op.from_row(r) for r in book.conn.execute(ops.SELECT + " WHERE seq > ? ORDER BY seq", (start,))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--edits", type=int, default=10_000)
    args, cfg, source = sized_book(ap)
    applied, floor, exchange, per_edit, bootstrap, compacted, logs = [], [], [], [], [], [], []
    eager = replace(cfg, sync=replace(cfg.sync, log_keep_days=0))  # compaction keeps nothing for its age
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            peer, me = Path(tmp) / f"peer{run}.db", Path(tmp) / f"me{run}.db"
            shutil.copy(source, me)
            with Book.open(me, cfg, actor="ana") as book:
                book.clone(peer)
            with Book.open(peer, cfg, actor="omar") as other:
                batch = _edits(other, args.edits, run)
                per_edit.append(sum(len(op.row()[5]) for op in batch) / len(batch))
            copy = Path(tmp) / f"floor{run}.db"
            shutil.copy(me, copy)
            os.sync()  # the copies' pages flushed now: not by the kernel in the middle of a timed commit
            with Book.open(copy, cfg) as book:
                t0 = time.perf_counter()
                for i in range(0, len(batch), 500):
                    with book.batch("floor"):  # one transaction a batch, as apply_remote
                        book.conn.executemany(
                            "INSERT OR IGNORE INTO ops (op_id, hlc, actor, entity, kind, payload, reason, batch, "
                            "origin, oseq) VALUES (?,?,?,?,?,?,?,?,?,?)", [op.row() for op in batch[i:i + 500]])
                floor.append(time.perf_counter() - t0)
            shutil.copy(me, copy)
            os.sync()
            with Book.open(me, cfg, actor="ana") as book:
                t0 = time.perf_counter()
                for i in range(0, len(batch), 500):
                    book.apply_remote(batch[i:i + 500])
                applied.append(time.perf_counter() - t0)
            with Book.open(copy, cfg, actor="ana") as book, Book.open(peer, cfg, actor="omar") as other:
                t0 = time.perf_counter()
                book.sync_with(other)
                exchange.append(time.perf_counter() - t0)
            with Book.open(copy, eager, actor="ana") as book:  # the peer heard from: what it holds goes
                before = book.ops_count()
                t0 = time.perf_counter()
                done = book.compact()
                compacted.append(time.perf_counter() - t0)
                logs.append((before, done.left))
            # A new replica: a snapshot of the book (wtui clone), then the ops it lacks from a peer.
            snap = Path(tmp) / f"snap{run}.db"
            t0 = time.perf_counter()
            with Book.open(source, cfg) as book:  # the book as it was before the edits (migrated once)
                book.clone(snap)
            with Book.open(snap, cfg, actor="li") as new, Book.open(peer, cfg, actor="omar") as other:
                new.sync_with(other)
            bootstrap.append(time.perf_counter() - t0)
    n = args.edits
    med = statistics.median
    print(f"{args.size:,}-customer book, {n:,} edits from a peer, {args.runs} runs (medians)")
    print(f"  apply_remote, batches of 500: {med(applied):.2f} s = {n / med(applied):,.0f} ops/s "
          f"(floor: the ops table alone {med(floor):.2f} s = {n / med(floor):,.0f} ops/s)")
    print(f"  sync_with (find what each lacks + apply): {med(exchange):.2f} s")
    print(f"  a new replica: snapshot (wtui clone) + catch-up from a peer: {med(bootstrap):.2f} s")
    print(f"  op payload per edit: {med(per_edit):.0f} bytes")
    print(f"  compaction of what both hold: {med(compacted):.2f} s, the log {logs[0][0]:,} -> {logs[0][1]:,} ops")


if __name__ == "__main__":
    main()
