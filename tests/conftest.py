"""Shared fixtures: the shipped config with no user layers, a pinned instant, fact builders."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from wtui.book.engine import sqlite3
from wtui.core import config
from wtui.core.facts import Event, Overrides, summarize

UTC = timezone.utc
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # a Monday
H = timedelta(hours=1)
D = timedelta(days=1)


@pytest.fixture(scope="session")
def cfg() -> config.Config:
    return config.load(layers=[])


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory, cfg) -> Path:
    """The 300-customer demo book made at NOW (seed 7, admin ana), once per session: copy it, never open it."""
    from wtui.book.generate import make_book

    path = tmp_path_factory.mktemp("template") / "demo.db"
    make_book(path, cfg, customers=300, seed=7, now=NOW, admins=["ana"]).close()
    return path


@pytest.fixture(scope="session")
def empty_file(tmp_path_factory, cfg) -> Path:
    """A new book, migrated and empty, made once per session: copy it, never open it."""
    from wtui.book.book import Book

    path = tmp_path_factory.mktemp("template") / "empty.db"
    Book.create(path, cfg).close()
    return path


@pytest.fixture
def empty_book(tmp_path, empty_file) -> Path:
    """The path of a fresh empty book for this test (a copy: ~5 ms, where creating one takes 10-50)."""
    return copy_book(empty_file, tmp_path / "book.db")


def copy_book(src: Path, dst: Path) -> Path:
    """A page-by-page copy of a book file (sqlite3's backup: consistent, and faster than building one)."""
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    a.close()
    b.close()
    dst.chmod(0o600)  # the rep's alone, as wtui makes books: so the tests run in WAL, as books do (db.wal_fits)
    return dst


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """No test reads or writes the real user's config or book."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.delenv("WTUI_CONFIG", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)


NO_OVERRIDES = Overrides()


def facts(*events: tuple, cfg: config.Config | None = None, overrides: Overrides = NO_OVERRIDES, tags=()):
    """Facts from (kind, at, extra...) tuples: ("in", t, "signals"), ("purchase", t, amount)..."""
    evs = []
    for kind, at, *rest in events:
        if kind == "in":
            evs.append(Event(kind, at, signals=rest[0] if rest else ""))
        elif kind == "purchase":
            evs.append(Event(kind, at, amount=rest[0] if rest else 100.0))
        elif kind == "visit":
            evs.append(Event(kind, at, minutes=rest[0]))
        elif kind == "out":
            evs.append(Event(kind, at, color_at=rest[0] if rest else ""))
        else:
            evs.append(Event(kind, at))
    long_visit = (cfg or config.load(layers=[])).colors.rules.long_visit_minutes
    return summarize(evs, long_visit, overrides, frozenset(tags))
