"""Keeping each customer's stored verdict true as facts change and time passes.

The verdict (colour, due, reason, traits) lives in indexed columns so the queue
is one index range. It goes stale in two ways, and each has its own cheap fix:
- a write touches the customer: ``refresh`` recomputes them in the same
  transaction;
- time passes a threshold ("read 48 h ago"): every verdict names its
  ``next_change_at``, and ``sweep`` recomputes only customers past theirs.
A config change (fingerprint in settings) or a new book recomputes all in bulk.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from wtui.book.db import chunks, iso, parse_iso
from wtui.book.engine import sqlite3
from wtui.core.config import Config
from wtui.core.durations import DAY
from wtui.core.facts import Event, Facts, Overrides, summarize
from wtui.core.prefs import Preference, safe_pref
from wtui.core.queue import rank
from wtui.core.windows import zone

if TYPE_CHECKING:  # the functions that assess import these: opening a book and reading its queue need neither
    from wtui.core import follow_up, traits

# The stored verdict, column by column, in the order ``_row`` gives the values.
COLUMNS = (
    "first_contact", "last_inbound", "last_outbound", "last_read", "last_link", "last_interaction",
    "purchase_count", "purchase_total", "last_purchase",
    "color", "queue_rank", "due_at", "reason", "next_change_at",
    "intent", "interest", "activity", "lifecycle", "spend_tier", "rfm", "red_streak", "fatigue", "habit",
    "golden_hour",
)
_UPDATE = "UPDATE customers SET %s WHERE id = ?" % ", ".join(f"{c} = ?" for c in COLUMNS)

# The customer fields a verdict reads (besides interactions and priority tags): changing
# any other field (name, owner, consent...) leaves the stored verdict true.
VERDICT_FIELDS = frozenset({"override_color", "override_until", "override_set_at", "override_intent", "preference",
                            "tz", "tz_override"})  # the zone: the reading habit is read in it
_CUSTOMER = """SELECT c.id, c.override_color, c.override_until, c.override_set_at, c.override_intent, p.note,
    coalesce(c.tz_override, c.tz, 'UTC'), c.created_at FROM customers c LEFT JOIN preferences p ON p.customer_id = c.id
    WHERE c.id IN (%s)"""
Loaded = tuple[int, Facts, Preference | None, str]  # a customer's id, facts, preference note and time zone
_EVENTS = """SELECT customer_id, kind, at, signals, amount, minutes, color_at FROM interactions
    WHERE retracted = 0 AND customer_id IN (%s)"""
# Of a customer's tags only the priority ones weigh in a verdict (``assess``): the rest are not read.
_TAGS = """SELECT ct.customer_id, t.name FROM customer_tags ct JOIN tags t ON t.id = ct.tag_id
    WHERE ct.present = 1 AND t.name IN (%s) AND ct.customer_id IN (%s)"""


def _histories(rows: Iterable[tuple], out: dict[int, list[Event]]) -> dict[int, list[Event]]:
    """``_EVENTS`` rows into ``out``, a list per customer id (every id there already). Inline, not a
    call per row: a verdict reads a customer's whole history (~17 rows at 100k), and the calls were
    a third of loading it."""
    parse, event = datetime.fromisoformat, Event._make
    for cid, kind, at, signals, amount, minutes, color_at in rows:
        out[cid].append(event((kind, parse(at) if at else None, signals or "", amount or 0.0, minutes or 0.0,
                               color_at or "")))
    return out


def events_of(conn: sqlite3.Connection, ids: list[int]) -> dict[int, list[Event]]:
    """Each customer's history (not in time order: ``summarize`` takes any)."""
    out: dict[int, list[Event]] = {i: [] for i in ids}
    for chunk in chunks(ids):
        _histories(conn.execute(_EVENTS % ",".join("?" * len(chunk)), chunk), out)
    return out


def load_facts(conn: sqlite3.Connection, ids: list[int], cfg: Config) -> Iterator[Loaded]:
    """Facts for the given customers (with their note and zone), loaded in chunks."""
    prio = cfg.colors.rules.priority_tags
    for chunk in chunks(ids):
        marks = ",".join("?" * len(chunk))
        events = _histories(conn.execute(_EVENTS % marks, chunk), {i: [] for i in chunk})
        tags: dict[int, set[str]] = {i: set() for i in chunk}
        for cid, name in conn.execute(_TAGS % (",".join("?" * len(prio)), marks), (*prio, *chunk)) if prio else ():
            tags[cid].add(name)
        for cid, o_color, o_until, o_set, o_intent, note, tz, added in conn.execute(_CUSTOMER % marks, chunk):
            over = Overrides(o_color or "", parse_iso(o_until), parse_iso(o_set), o_intent or "")
            facts = summarize(events[cid], cfg.colors.rules.long_visit_minutes, over, frozenset(tags[cid]),
                              parse_iso(added))
            yield cid, facts, safe_pref(note), tz


def rfm_breaks(conn: sqlite3.Connection) -> traits.RfmBreaks | None:
    from wtui.core.traits import RfmBreaks

    row = conn.execute("SELECT value FROM settings WHERE key = 'derived.rfm_breaks'").fetchone()
    if not row:
        return None
    r, f, m = json.loads(row[0])
    return RfmBreaks(tuple(r), tuple(f), tuple(m))


def _row(cid: int, f: Facts, v: follow_up.Verdict, rfm: str, tz: str, cfg: Config) -> tuple:
    # Here, not at the top: opening a book and reading its queue do not load the verdict rules (~1 µs a row).
    from wtui.core.traits import golden_hour, reading_habit

    return (
        iso(f.first_contact), iso(f.last_inbound), iso(f.last_outbound), iso(f.last_read), iso(f.last_link),
        iso(f.last_interaction), f.purchase_count, f.purchase_total, iso(f.last_purchase),
        v.color, rank(v.color, bool(v.priority_tags), cfg), iso(v.due), v.reason, iso(v.changes_at),
        v.intent.value, v.interest.value, v.activity.value, v.lifecycle.value, v.spend.value, rfm,
        f.red_streak, int(v.fatigue), reading_habit(f.reads, zone(tz), cfg) if f.reads else "",
        golden_hour(f.replies, zone(tz), cfg.activity.golden_min_replies) if f.replies else None, cid,
    )


def refresh(conn: sqlite3.Connection, ids: Iterable[int], now: datetime, cfg: Config) -> int:
    """Recompute and store the verdict of these customers; returns how many."""
    from wtui.core import follow_up, traits

    ids = sorted(set(ids))
    if not ids:
        return 0
    breaks = rfm_breaks(conn)
    rows = []
    for cid, facts, pref, tz in load_facts(conn, ids, cfg):
        v = follow_up.assess(facts, now, cfg, pref)
        rfm = traits.rfm(facts, now, breaks, cfg).value if breaks else ""
        rows.append(_row(cid, facts, v, rfm, tz, cfg))
    conn.executemany(_UPDATE, rows)
    conn.execute(_ASOF, (iso(now),))
    return len(rows)


_RERANK = """UPDATE customers SET queue_rank = CASE WHEN EXISTS (
        SELECT 1 FROM customer_tags ct JOIN tags t ON t.id = ct.tag_id
        WHERE ct.customer_id = customers.id AND ct.present = 1 AND t.name IN (%s)) THEN 0
    ELSE 1 + (CASE color %s END) END WHERE id IN (%s)"""


def rerank(conn: sqlite3.Connection, ids: Iterable[int], cfg: Config) -> int:
    """Only the queue rank, for customers whose priority tags changed and nothing else: a priority tag
    weighs in a verdict only as the rank (``queue.rank``), so no history is read (a 10k bulk of Urgent
    recomputed every verdict in ~5 s)."""
    ids = sorted(set(ids))
    prio = list(cfg.colors.rules.priority_tags)
    order = list(cfg.colors.order)
    cases = " ".join("WHEN ? THEN ?" for _ in order)
    by_colour = [v for i, c in enumerate(order) for v in (c, i)]
    for chunk in chunks(ids):
        sql = _RERANK % (",".join("?" * len(prio)) or "NULL", cases, ",".join("?" * len(chunk)))
        conn.execute(sql, (*prio, *by_colour, *chunk))
    return len(ids)


def blank(now: datetime, cfg: Config) -> Callable[[Iterable[str]], tuple]:
    """The stored verdict of a customer with no history yet (an import's new rows), by tags.

    It is the same for all but their priority tags, so it is computed once per
    combination of those that occurs; the values line up with ``COLUMNS``.
    """
    from wtui.core import follow_up

    memo: dict[frozenset[str], tuple] = {}
    prio = frozenset(cfg.colors.rules.priority_tags)

    def verdict(tags: Iterable[str]) -> tuple:
        key = prio.intersection(tags)
        if key not in memo:
            facts = Facts(tags=key, added=now)  # they come into the book now
            memo[key] = _row(0, facts, follow_up.assess(facts, now, cfg), "", "UTC", cfg)[:-1]
        return memo[key]

    return verdict


def stale(conn: sqlite3.Connection, now: datetime) -> list[int]:
    return [r[0] for r in conn.execute(
        "SELECT id FROM customers WHERE next_change_at <= ?", (iso(now),))]


ALL_CHUNK = 5000  # customers a transaction when a whole book is recomputed
_BUYERS = """SELECT max(at), count(*), sum(coalesce(amount, 0)) FROM interactions
    WHERE kind = 'purchase' AND retracted = 0 GROUP BY customer_id"""


def refresh_all(conn: sqlite3.Connection, now: datetime, cfg: Config, *, write: Callable | None = None,
                progress: Callable[[int, int], None] | None = None) -> int:
    """Recompute every verdict, RFM quintiles included (new book, new config).

    The quintiles come first, from the purchases alone (one GROUP BY); then the customers go
    ``ALL_CHUNK`` at a time, each chunk in a transaction of its own when ``write`` (a context
    manager) is given, its place kept in ``derived.partial``: a 100k book takes ~30 s, and an
    interrupted recompute goes on where it stopped. ``progress(done, total)`` after each chunk."""
    from wtui.core import follow_up, traits

    write = write or contextlib.nullcontext
    mark = json.dumps(cfg.fingerprint())
    row = conn.execute("SELECT value FROM settings WHERE key = 'derived.partial'").fetchone()
    done_upto = json.loads(row[0])[1] if row and json.loads(row[0])[0] == mark else 0
    ids = [r[0] for r in conn.execute("SELECT id FROM customers WHERE id > ? ORDER BY id", (done_upto,))]
    total = conn.execute("SELECT count(*) FROM customers").fetchone()[0]
    with write():
        if not done_upto:
            buyers = [((now - parse_iso(last)) / DAY, n, spent) for last, n, spent in conn.execute(_BUYERS)]
            _store_breaks(conn, traits.rfm_breaks(buyers))
    breaks = rfm_breaks(conn)
    for start in range(0, len(ids), ALL_CHUNK):
        chunk = ids[start:start + ALL_CHUNK]
        with write():
            conn.executemany(_UPDATE, [
                _row(cid, f, follow_up.assess(f, now, cfg, pref), traits.rfm(f, now, breaks, cfg).value, tz, cfg)
                for cid, f, pref, tz in load_facts(conn, chunk, cfg)])
            conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('derived.partial', ?)",
                         (json.dumps([mark, chunk[-1]]),))
        if progress:
            progress(total - len(ids) + start + len(chunk), total)
    with write():
        conn.execute("DELETE FROM settings WHERE key = 'derived.partial'")
        conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('derived.with', ?)", (mark,))
        conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('derived.asof', ?)", (iso(now),))
    return len(ids)


def _store_breaks(conn: sqlite3.Connection, breaks: traits.RfmBreaks) -> None:
    conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('derived.rfm_breaks', ?)",
                 (json.dumps([breaks.recency_days, breaks.frequency, breaks.monetary]),))


def store_all(conn: sqlite3.Connection, items: Iterable[Loaded], now: datetime, cfg: Config) -> int:
    """Assess every customer given, set the book's RFM quintiles from them, store it all."""
    from wtui.core import follow_up, traits

    assessed = []
    buyers = []
    for cid, facts, pref, tz in items:
        assessed.append((cid, facts, follow_up.assess(facts, now, cfg, pref), tz))
        if facts.last_purchase:
            buyers.append(((now - facts.last_purchase) / DAY, facts.purchase_count, facts.purchase_total))
    breaks = traits.rfm_breaks(buyers)
    _store_breaks(conn, breaks)
    conn.executemany(_UPDATE, [_row(cid, f, v, traits.rfm(f, now, breaks, cfg).value, tz, cfg)
                               for cid, f, v, tz in assessed])
    conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('derived.with', ?)",
                 (json.dumps(cfg.fingerprint()),))
    conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('derived.asof', ?)", (iso(now),))
    return len(assessed)


# The latest instant a verdict was computed for: `wtui --now` a year ahead ("trying rules") stores
# verdicts that stay unchanged until then. Back at the real time they are all redone (``ahead``).
_ASOF = """INSERT INTO settings (key, value) VALUES ('derived.asof', ?1)
    ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)"""
AHEAD_SLACK = timedelta(minutes=5)  # two processes' clocks on one machine agree closer than this


def ahead(conn: sqlite3.Connection, now: datetime) -> bool:
    """Were verdicts stored for a later time than ``now`` (a pretend clock ran ahead)?"""
    row = conn.execute("SELECT value FROM settings WHERE key = 'derived.asof'").fetchone()
    return bool(row) and row[0] > iso(now + AHEAD_SLACK)


def derived_with(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT value FROM settings WHERE key = 'derived.with'").fetchone()
    return json.loads(row[0]) if row else None
