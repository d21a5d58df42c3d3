"""The weekly routine's reads and this file's own records (issue #16): outcomes for colour accuracy,
the daily snapshot of signals, the accuracy audit's sample and reviews. ``Book`` is the door: it calls
these with its connection. Snapshots and audits are never ops (like tag usage, each file keeps its own).
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from wtui.book import derive
from wtui.book.db import iso, parse_iso
from wtui.book.engine import sqlite3
from wtui.core.accuracy import Outcome
from wtui.core.config import ACTIVITY_LEVELS, INTENTS, Config
from wtui.core.facts import WON, summarize
from wtui.core.queue import end_of_day

# The kinds written out, as the partial index interactions_outcomes names them (a parameter would not use it).
_OUTCOMES = """SELECT i.customer_id, i.kind, i.at, coalesce(i.color_at, ''), coalesce(i.actor, '')
    FROM interactions i WHERE i.kind IN ('won', 'lost') AND i.retracted = 0 AND i.at >= ? ORDER BY i.at"""


def outcomes(conn: sqlite3.Connection, since: datetime, cfg: Config) -> list[Outcome]:
    """Every deal won or lost since ``since``, with the colour then and the red streak then (the
    customer's history before the outcome folded as the verdict folds it)."""
    rows = conn.execute(_OUTCOMES, (iso(since),)).fetchall()
    history = derive.events_of(conn, sorted({r[0] for r in rows if r[3] == "red"}))  # a streak is only red's
    out = []
    long_visit = cfg.colors.rules.long_visit_minutes
    for cid, kind, at, color, actor in rows:
        when = parse_iso(at)
        before = [e for e in history.get(cid, ()) if e.at < when]
        streak = summarize(before, long_visit).red_streak if color == "red" else 0
        out.append(Outcome(kind == WON, color, when, actor, streak))
    return out


# -- the daily snapshot ------------------------------------------------------------------------------

def distribution(conn: sqlite3.Connection, colors: tuple[str, ...]) -> dict:
    """Customers per colour, intent and activity: what a daily snapshot stores. One scan of the queue's
    index (it holds all three columns: no customer row is read) grouped by the three together, a few dozen
    groups (16 conditional sums per row instead took twice as long, and grouping by owner as well
    half as long again). A value outside the known ones is counted in the total only."""
    out: dict = {"customers": 0, "colors": dict.fromkeys(colors, 0), "intents": dict.fromkeys(INTENTS, 0),
                 "activity": dict.fromkeys(ACTIVITY_LEVELS, 0)}
    for color, intent, activity, n in conn.execute(
            "SELECT color, intent, activity, count(*) FROM customers INDEXED BY customers_queue GROUP BY 1, 2, 3"):
        out["customers"] += n
        for group, value in (("colors", color), ("intents", intent), ("activity", activity)):
            if value in out[group]:
                out[group][value] += n
    return out


def workload(conn: sqlite3.Connection, now: datetime, zone: ZoneInfo) -> dict[str, dict[str, int]]:
    """Per rep (owner; "" = unassigned): customers, due by the end of the day, overdue now, contacted since
    the day began. Live, never stored: it moves all day. One scan of the queue's index grouped by owner."""
    ends = end_of_day(now, zone)
    start = ends - timedelta(days=1)
    return {owner: {"customers": n, "due": int(due), "overdue": int(overdue), "done": int(done)}
            for owner, n, due, overdue, done in conn.execute(
                "SELECT coalesce(owner, ''), count(*), total(due_at < ?), total(due_at < ?), "
                "total(last_outbound >= ?) FROM customers INDEXED BY customers_queue GROUP BY 1",
                (iso(ends), iso(now), iso(start)))}


def snapshot_day(now: datetime, zone: ZoneInfo) -> str:
    return now.astimezone(zone).date().isoformat()


def has_snapshot(conn: sqlite3.Connection, day: str) -> bool:
    return conn.execute("SELECT 1 FROM snapshots WHERE day = ?", (day,)).fetchone() is not None


def store_snapshot(conn: sqlite3.Connection, day: str, now: datetime, figs: dict, keep_days: float) -> bool:
    """Today's row, unless another process wrote it first (True when this one did); old rows go."""
    cur = conn.execute("INSERT OR IGNORE INTO snapshots (day, at, figures) VALUES (?, ?, ?)",
                       (day, iso(now), json.dumps(figs, sort_keys=True)))
    oldest = (datetime.fromisoformat(day) - timedelta(days=keep_days)).date().isoformat()
    conn.execute("DELETE FROM snapshots WHERE day < ?", (oldest,))
    return cur.rowcount == 1


def snapshots(conn: sqlite3.Connection, since_day: str) -> list[tuple[str, dict]]:
    return [(day, json.loads(figs)) for day, figs in
            conn.execute("SELECT day, figures FROM snapshots WHERE day >= ? ORDER BY day", (since_day,))]


# -- the accuracy audit ------------------------------------------------------------------------------

def audit_population(conn: sqlite3.Connection, now: datetime, active_days: float) -> list[str]:
    """The active customers (an interaction within ``active_days``), in uid order: what a seed samples."""
    edge = iso(now - timedelta(days=active_days))
    return [r[0] for r in conn.execute("SELECT uid FROM customers WHERE last_interaction >= ? ORDER BY uid", (edge,))]


def sample(population: list[str], seed: int, size: int) -> list[str]:
    """``size`` of the population drawn by ``seed``: the same seed and population, the same customers."""
    return random.Random(seed).sample(population, min(size, len(population)))


def start_audit(conn: sqlite3.Connection, audit: str, now: datetime, actor: str, seed: int, picked: list[str],
                population: int) -> None:
    conn.execute("INSERT INTO audits (id, started, actor, seed, size, population) VALUES (?, ?, ?, ?, ?, ?)",
                 (audit, iso(now), actor, seed, len(picked), population))
    conn.executemany("INSERT INTO audit_items (audit, pos, customer) VALUES (?, ?, ?)",
                     [(audit, i, uid) for i, uid in enumerate(picked)])


def review(conn: sqlite3.Connection, audit: str, pos: int, now: datetime, ok: dict[str, bool], fixed: str) -> None:
    conn.execute("UPDATE audit_items SET reviewed_at = ?, tags_ok = ?, intent_ok = ?, color_ok = ?, fixed = ? "
                 "WHERE audit = ? AND pos = ?",
                 (iso(now), int(ok["tags"]), int(ok["intent"]), int(ok["color"]), fixed, audit, pos))


def audit_items(conn: sqlite3.Connection, audit: str) -> list[tuple[int, str, str | None, dict[str, bool] | None]]:
    """(position, customer uid, reviewed at, {dimension: right?} or None) in sample order."""
    out = []
    for pos, uid, at, t, i, c in conn.execute("SELECT pos, customer, reviewed_at, tags_ok, intent_ok, color_ok "
                                              "FROM audit_items WHERE audit = ? ORDER BY pos", (audit,)):
        out.append((pos, uid, at, None if at is None else {"tags": bool(t), "intent": bool(i), "color": bool(c)}))
    return out


def audits(conn: sqlite3.Connection) -> list[tuple[str, datetime, str, int, int, int]]:
    """(id, started, actor, seed, size, population), newest first."""
    return [(a, parse_iso(s), actor, seed, size, pop) for a, s, actor, seed, size, pop in
            conn.execute("SELECT id, started, actor, seed, size, population FROM audits ORDER BY started DESC, id")]


def audit_words(conn: sqlite3.Connection, audit: str) -> list[dict[str, str]]:
    out = []
    for uid, fixed in conn.execute("SELECT customer, fixed FROM audit_items WHERE audit = ? AND intent_ok = 0 "
                                   "ORDER BY pos", (audit,)):
        intent = json.loads(fixed or "{}").get("intent", ["", ""])[1]
        if not intent:
            continue
        for (text,) in conn.execute("SELECT i.text FROM interactions i JOIN customers c ON c.id = i.customer_id "
                                    "WHERE c.uid = ? AND i.kind = 'in' AND i.retracted = 0 AND i.text != '' "
                                    "ORDER BY i.at", (uid,)):
            out.append({"text": text, "intent": intent, "customer": uid})
    return out


# -- broadcasts --------------------------------------------------------------------------------------

def record_broadcast(conn: sqlite3.Connection, bid: str, name: str, now: datetime, actor: str,
                     members: list[tuple[str, str]]) -> None:
    conn.execute("INSERT INTO broadcasts (id, name, at, actor, size) VALUES (?, ?, ?, ?, ?)",
                 (bid, name, iso(now), actor, len(members)))
    conn.executemany("INSERT OR IGNORE INTO broadcast_members (broadcast, customer, grp) VALUES (?, ?, ?)",
                     [(bid, uid, grp) for uid, grp in members])


def broadcasts(conn: sqlite3.Connection) -> list[tuple[str, str, datetime, str, int]]:
    """(id, name, sent at, by, size), newest first."""
    return [(b, n, parse_iso(at), actor, size) for b, n, at, actor, size in
            conn.execute("SELECT id, name, at, actor, size FROM broadcasts ORDER BY at DESC, id")]


def broadcast_members(conn: sqlite3.Connection, bid: str) -> list[tuple[str, str]]:
    return conn.execute("SELECT customer, grp FROM broadcast_members WHERE broadcast = ? ORDER BY customer",
                        (bid,)).fetchall()


_BROADCAST_EVENTS = """SELECT m.customer, i.kind FROM broadcast_members m JOIN customers c ON c.uid = m.customer
    JOIN interactions i ON i.customer_id = c.id WHERE m.broadcast = ? AND i.retracted = 0 AND i.at >= ? AND i.at < ?
    AND i.kind IN ('delivered', 'read', 'played', 'failed', 'in')"""


def broadcast_events(conn: sqlite3.Connection, bid: str, since: datetime, until: datetime) -> list[tuple[str, str]]:
    """(customer uid, kind) of the statuses and replies of a broadcast's customers in [since, until)."""
    return conn.execute(_BROADCAST_EVENTS, (bid, iso(since), iso(until))).fetchall()
