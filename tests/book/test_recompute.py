"""After a change of wtui or of the team's verdict settings, the first open recomputes every customer
(issue #10, never frozen): a transaction per chunk, said as it goes, resumed where an interrupted
one stopped, and ending where a recompute in one piece would."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.conftest import NOW, copy_book
from wtui.book import derive
from wtui.book.book import Book
from wtui.book.engine import sqlite3

VERDICT = ", ".join(derive.COLUMNS)


def verdicts(path) -> list[tuple]:
    with sqlite3.connect(path) as c:
        return c.execute(f"SELECT id, {VERDICT} FROM customers ORDER BY id").fetchall()


def settings(path, key):
    with sqlite3.connect(path) as c:
        row = c.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


@pytest.fixture
def changed(tmp_path, demo_file, cfg):
    """The demo book and a config whose verdicts differ (a shorter read-no-reply wait)."""
    path = copy_book(demo_file, tmp_path / "demo.db")
    rules = replace(cfg.colors.rules, read_no_reply_hours=cfg.colors.rules.read_no_reply_hours / 2)
    return path, replace(cfg, colors=replace(cfg.colors, rules=rules))


def test_a_changed_config_recomputes_every_customer_in_chunks_and_says_so(changed, monkeypatch, tmp_path, demo_file):
    path, new = changed
    monkeypatch.setattr(derive, "ALL_CHUNK", 70)
    heard = []
    Book.open(path, new, clock=lambda: NOW, actor="ana", recomputing=lambda d, t: heard.append((d, t))).close()
    assert heard == [(70, 300), (140, 300), (210, 300), (280, 300), (300, 300)]
    assert settings(path, "derived.partial") is None and settings(path, "derived.with") is not None
    # The same as a recompute in one piece (store_all: the generator's and the old way).
    whole = copy_book(demo_file, tmp_path / "whole.db")
    with sqlite3.connect(whole) as c:
        facts = list(derive.load_facts(c, [r[0] for r in c.execute("SELECT id FROM customers")], new))
        derive.store_all(c, facts, NOW, new)
    assert verdicts(path) == verdicts(whole)
    assert settings(path, "derived.rfm_breaks") == settings(whole, "derived.rfm_breaks")


def test_an_interrupted_recompute_keeps_its_chunks_and_the_next_open_goes_on(changed, monkeypatch, cfg):
    path, new = changed
    monkeypatch.setattr(derive, "ALL_CHUNK", 100)

    class Stop(Exception):
        pass

    def stop_after_the_first(done, total):
        if done == 100:
            raise Stop

    with pytest.raises(Stop):
        Book.open(path, new, clock=lambda: NOW, actor="ana", recomputing=stop_after_the_first)
    assert settings(path, "derived.partial") is not None  # the first chunk is kept
    heard = []
    Book.open(path, new, clock=lambda: NOW, actor="ana", recomputing=lambda d, t: heard.append(d)).close()
    assert heard == [200, 300] and settings(path, "derived.partial") is None
    # And a book back on the old config is recomputed again, whole.
    heard.clear()
    Book.open(path, cfg, clock=lambda: NOW, actor="ana", recomputing=lambda d, t: heard.append(d)).close()
    assert heard == [100, 200, 300]
