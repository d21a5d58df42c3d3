"""One book file, many processes: 8 reps editing, one reading the queue in a loop, and a long rules run,
all at once. No write may fail for a busy book, none may be lost, and every op in the log must be what
the book holds.

``test_eight_writers_a_reader_and_a_long_rules_run`` runs once (CI); the same
with ten rounds runs with ``WTUI_SLOW=1``.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import traceback

import pytest

from tests.conftest import NOW
from wtui.book.book import Book
from wtui.book.engine import sqlite3
from wtui.book.generate import make_book
from wtui.core import config

WRITERS = 8
EDITS = 500
TAGS = ("Urgent", "Stage-Quoted", "Source-Website")  # tags no shipped rule touches
RULE_TAG = "Region-MENA"  # the long rules run adds it to everyone and takes it off again


def cfg() -> config.Config:
    return config.with_overrides({"rep": {"timezone": "UTC"}})


def writer(path: str, n: int, uids: list[str], out) -> None:
    """Rep ``n`` edits its own customers (every WRITERS-th): each edit one transaction, as the app does."""
    errors, expected = [], {}
    rng = random.Random(n)
    try:
        with Book.open(path, cfg(), actor=f"rep{n}") as book:
            mine = uids[n::WRITERS]
            for _ in range(EDITS):
                uid, tag = rng.choice(mine), rng.choice(TAGS)
                try:
                    if expected.get((uid, tag), tag in book.tags_of(uid)):
                        book.remove_tag(uid, tag, reason="contention")
                        expected[(uid, tag)] = False
                    else:
                        book.add_tag(uid, tag, reason="contention")
                        expected[(uid, tag)] = True
                except Exception:  # noqa: BLE001 - every failure is the test's finding
                    errors.append(traceback.format_exc(limit=3))
    except Exception:  # noqa: BLE001
        errors.append(traceback.format_exc(limit=3))
    out.put(("writer", n, errors, expected))


def reader(path: str, stop, out) -> None:
    """A rep's `wtui queue` in a loop: open, read the queue, close."""
    errors, reads = [], 0
    while not stop.is_set():
        try:
            with Book.open(path, cfg(), actor="reader") as book:
                book.queue(limit=50)
            reads += 1
        except Exception:  # noqa: BLE001
            errors.append(traceback.format_exc(limit=3))
    out.put(("reader", reads, errors, None))


RULES = "".join(f"""
[[rule]]
name = "everyone on {n}"
when = "NOT #{RULE_TAG}"
add = ["{RULE_TAG}"]

[[rule]]
name = "everyone off {n}"
when = "#{RULE_TAG}"
remove = ["{RULE_TAG}"]
""" for n in range(2))


def rules(path: str, out) -> None:
    from wtui.core.rules import parse_rules

    errors = []
    try:
        with Book.open(path, cfg(), actor="lead") as book:
            book.run_rules(parse_rules(RULES, "test", book.query_fields, book.tag_names(archived=True)))
    except Exception:  # noqa: BLE001
        errors.append(traceback.format_exc(limit=3))
    out.put(("rules", 0, errors, None))


def one_round(path) -> None:
    with sqlite3.connect(path) as conn:
        uids = [r[0] for r in conn.execute("SELECT uid FROM customers ORDER BY id")]
    ctx = multiprocessing.get_context("spawn")
    out, stop = ctx.Queue(), ctx.Event()
    procs = [ctx.Process(target=writer, args=(str(path), n, uids, out)) for n in range(WRITERS)]
    procs += [ctx.Process(target=reader, args=(str(path), stop, out)), ctx.Process(target=rules, args=(str(path), out))]
    for p in procs:
        p.start()
    results = [out.get(timeout=600) for _ in range(WRITERS + 1)]  # the writers and the rules run
    stop.set()
    results.append(out.get(timeout=600))
    for p in procs:
        p.join(60)
    errors = [e for _, _, errs, _ in results for e in errs]
    assert not errors, f"{len(errors)} failures, the first:\n{errors[0]}"
    reads = next(r[1] for r in results if r[0] == "reader")
    assert reads > 0

    expected = {k: v for kind, _, _, exp in results if kind == "writer" for k, v in exp.items()}
    with sqlite3.connect(path) as conn:
        held = {(uid, tag): bool(present) for uid, tag, present in conn.execute(
            """SELECT c.uid, t.name, ct.present FROM customer_tags ct JOIN tags t ON t.id = ct.tag_id
               JOIN customers c ON c.id = ct.customer_id""")}
        # No lost edit: what each rep last did is what the book holds.
        assert {k: held.get(k, False) for k in expected} == expected
        # Every edit is in the log, and the newest op per customer and tag is what the book holds.
        assert conn.execute("SELECT count(*) FROM ops WHERE reason = 'contention'").fetchone()[0] == WRITERS * EDITS
        last = {}
        for entity, kind, payload in conn.execute(
                "SELECT entity, kind, json_extract(payload, '$.tag') FROM ops "
                "WHERE kind IN ('tag.add', 'tag.remove') ORDER BY hlc"):
            last[(entity.split(":", 1)[1], payload)] = kind == "tag.add"
        assert {k: held.get(k, False) for k in last} == last
        assert conn.execute("""SELECT count(*) FROM customer_tags ct JOIN tags t ON t.id = ct.tag_id
                               WHERE t.name = ? AND ct.present = 1""", (RULE_TAG,)).fetchone()[0] == 0


@pytest.fixture
def path(tmp_path):
    p = tmp_path / "team.db"
    make_book(p, cfg(), customers=3000, seed=8, now=NOW, admins=["lead"]).close()
    return p


def test_eight_writers_a_reader_and_a_long_rules_run(path):
    one_round(path)


@pytest.mark.skipif(not os.environ.get("WTUI_SLOW"), reason="ten rounds take minutes: set WTUI_SLOW=1")
def test_ten_rounds_of_the_same(tmp_path):
    for i in range(10):
        p = tmp_path / f"team{i}.db"
        make_book(p, cfg(), customers=3000, seed=8 + i, now=NOW, admins=["lead"]).close()
        one_round(p)
