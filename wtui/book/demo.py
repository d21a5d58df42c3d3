"""The throwaway demo book (``wtui --demo``), copied from a template made once a day.

Generating the 300-customer demo takes most of a --demo start (the generator,
phonenumbers, sqlite-utils for the new schema). Its times are relative to the
instant it is made, so a template made today serves every run today: it is
kept in the user cache dir, keyed by everything that shapes it (wtui version,
schema, the config's fingerprint, demo size and seed, the admins, the UTC
date, and the generator's own files), and each run gets a copy. The template
is built under a temporary name and renamed into place, so two reps starting
at once each see a whole file. The rep's own book is never touched.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

from wtui import __version__
from wtui.book.db import SCHEMA_VERSION, create_file, with_sidecars
from wtui.book.engine import sqlite3
from wtui.core.config import Config

ACTOR = "wtui --demo"
_HERE = Path(__file__).resolve().parent
# An edited generator, demo data or keyword list makes a new key.
_SOURCES = (_HERE / "generate.py", _HERE.parent / "data" / "demo.toml", _HERE.parent / "data" / "keywords.toml")


def template_key(cfg: Config, now: datetime, admins: list[str]) -> str:
    parts = [__version__, SCHEMA_VERSION, cfg.fingerprint(), repr(cfg.keywords), cfg.demo.customers, cfg.demo.seed,
             sorted(admins), now.astimezone(timezone.utc).date().isoformat(), *(p.stat().st_mtime_ns for p in _SOURCES)]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:20]


def make_demo(path: Path, cfg: Config, *, now: datetime, admins: list[str], cache: Path | None) -> None:
    """Write the demo book at ``path`` (which must not exist): a copy of today's template in ``cache``,
    made first if need be; made in place when there is no usable cache."""
    if cache is not None:
        template = cache / f"demo-{template_key(cfg, now, admins)}.db"
        try:
            if not template.exists():
                _build(template, cfg, now, admins)
            if _made_at(template) <= now:  # a --now before the template's own instant gets a fresh book
                _copy(template, path)
                return
        except (OSError, sqlite3.Error):
            pass  # no cache to be had (a read-only home, a full disk): make the book in place
    _generate(path, cfg, now, admins)


def _generate(path: Path, cfg: Config, now: datetime, admins: list[str]) -> None:
    from wtui.book.generate import add_routine_history, make_book  # loaded only when a book is made

    with make_book(path, cfg, customers=cfg.demo.customers, seed=cfg.demo.seed, now=now, actor=ACTOR,
                   admins=admins) as book:
        add_routine_history(book, cfg.demo.seed)  # so H shows a month's trend and colour accuracy


def _build(template: Path, cfg: Config, now: datetime, admins: list[str]) -> None:
    """Make the template under a name of its own, then rename it into place (atomic)."""
    template.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    part = template.with_name(f".{template.stem}-{os.getpid()}-{secrets.token_hex(4)}.part")
    try:
        _generate(part, cfg, now, admins)
        with closing(sqlite3.connect(part)) as conn:  # kept as a plain file: reading it (mode=ro) leaves no -wal
            conn.execute("PRAGMA journal_mode = DELETE")
        os.replace(part, template)
    finally:
        for leftover in with_sidecars(part):
            leftover.unlink(missing_ok=True)  # SQLite's TRUNCATE mode leaves an empty journal behind
    for old in template.parent.glob("demo-*.db"):  # yesterday's, another config's
        if old != template:
            old.unlink(missing_ok=True)


def _made_at(template: Path) -> datetime:
    with _readonly(template) as conn:
        row = conn.execute("SELECT json_extract(payload, '$.at') FROM ops WHERE kind = 'book.seed'").fetchone()
    return datetime.fromisoformat(row[0])


def _copy(template: Path, path: Path) -> None:
    create_file(path)
    with _readonly(template) as src:
        dst = sqlite3.connect(path)
        try:
            src.backup(dst)
        finally:
            dst.close()


def _readonly(path: Path) -> closing[sqlite3.Connection]:
    return closing(sqlite3.connect("file:" + quote(str(path.absolute()), safe="/") + "?mode=ro", uri=True))
