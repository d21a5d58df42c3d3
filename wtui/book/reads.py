"""Reads for the daily queue: one index range, then per-row work only for the rows shown.

The stored verdict gives colour, due and reason; the contact window depends on
the minute, so it is computed here for the page being shown, never for the
whole book.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo

from wtui.book.db import iso, parse_iso, select_in
from wtui.book.engine import sqlite3
from wtui.core import windows
from wtui.core.config import Config
from wtui.core.prefs import safe_pref
from wtui.core.queue import Line, breakdown, end_of_day
from wtui.core.text import like_contains

_PAGE = """SELECT c.id, c.uid, c.name, c.phone, c.color, c.due_at, c.reason, COALESCE(c.tz_override, c.tz), c.region,
       c.intent, c.fatigue, c.queue_rank, p.note, c.golden_hour
    FROM customers c INDEXED BY customers_queue LEFT JOIN preferences p ON p.customer_id = c.id
    WHERE %s%s ORDER BY c.queue_rank, c.due_at, c.color, c.id LIMIT ? OFFSET ?"""
_UIDS = """SELECT c.uid FROM customers c INDEXED BY customers_queue
    WHERE %s%s ORDER BY c.queue_rank, c.due_at, c.color, c.id"""
# One index range per rank (queue_rank IN ...) instead of a scan of the whole index.
_COUNTS = "SELECT color, count(*) FROM customers c WHERE queue_rank IN (%s) AND %s%s GROUP BY color"
# Who a read takes, the end of the rep's day bound to it: today's queue, or every customer, due or not
# (the whole book: to open one who is not due). The bound end goes unused there, so the two read alike.
_TODAY, _EVERYONE = "c.due_at < ?", "? IS NOT NULL"
_POSITION = """SELECT count(*) FROM customers c INDEXED BY customers_queue
    WHERE c.due_at < ?%s AND (c.queue_rank, c.due_at, c.color, c.id) < (?, ?, ?, ?)"""
# Narrowing by text (`/`): name, any run of the number's digits, or a tag name. The tags whose name
# matches are found first (a few hundred names), so most keystrokes need no tag lookup per customer.
_SEARCH = " AND (c.name LIKE ? ESCAPE '\\' OR c.phone LIKE ? ESCAPE '\\'%s)"
_SEARCH_TAGS = " OR c.id IN (SELECT customer_id FROM customer_tags WHERE present = 1 AND tag_id IN (%s))"
_TAG_IDS = "SELECT id FROM tags WHERE name LIKE ? ESCAPE '\\'"


# "My queue": the rep's own customers and the unassigned ones (``queue.scope = "mine"``).
_MINE = " AND (c.owner = ? OR c.owner IS NULL OR c.owner = '')"


def narrow(conn: sqlite3.Connection, search: str, within: tuple[str, list] | None,
           mine: str | None = None) -> tuple[str, tuple]:
    where, params = _search(conn, search)
    if mine is not None:
        where += _MINE
        params = (*params, mine)
    if within:
        where += " AND c.id IN (" + within[0] + ")"  # compiled by core.query: fixed fragments, values as params
        params = (*params, *within[1])
    return where, params


def _search(conn: sqlite3.Connection, text: str) -> tuple[str, tuple]:
    """The SQL fragment and parameters that narrow the queue to ``text``; none for ''."""
    text = text.strip().lstrip("#")  # '#Spend-VIP' as the filter writes a tag: the tag's name
    if not text:
        return "", ()
    like = like_contains(text)
    digits = "".join(ch for ch in text if ch.isdigit())
    tags = [r[0] for r in conn.execute(_TAG_IDS, (like,))]
    by_tag = _SEARCH_TAGS % ",".join("?" * len(tags)) if tags else ""
    return _SEARCH % by_tag, (like, f"%{digits}%" if digits else like, *tags)
_TAGS = """SELECT ct.customer_id, t.name FROM customer_tags ct JOIN tags t ON t.id = ct.tag_id
    WHERE ct.present = 1 AND ct.customer_id IN (%s) ORDER BY t.dimension, t.name"""


@dataclass(frozen=True)
class QueueEntry:
    """A customer as one row of the queue shows them."""

    id: int
    uid: str
    name: str
    phone: str
    color: str
    due: datetime | None  # None: not due (the whole book's gray, a pursuit stopped)
    overdue: bool
    reason: str
    tz: str
    region: str
    intent: str
    fatigue: bool
    priority: bool
    preference: str
    tags: tuple[str, ...]
    locate: Callable[[], windows.WindowState] = field(repr=False, compare=False)
    golden_hour: int | None = None  # their golden hour (local), learned from their answers
    breakdown: tuple[Line, ...] = ()  # filled when the caller asks for explanations

    @cached_property
    def window(self) -> windows.WindowState:
        """Computed when first shown: a page of 100 rows draws only the ~30 on screen."""
        return self.locate()

    def as_json(self, now: datetime) -> dict:
        return {
            "breakdown": [{"factor": line.label, "value": line.value} for line in self.breakdown],
            "uid": self.uid, "name": self.name, "phone": self.phone, "color": self.color,
            "due": iso(self.due), "overdue": self.overdue,
            "local_time": self.window.local.isoformat(timespec="minutes"),
            "timezone": self.tz, "in_window": self.window.in_window, "window": self.window.state,
            "window_label": self.window.label(now),
            "next_open": iso(self.window.next_open), "reason": self.reason, "intent": self.intent,
            "priority": self.priority, "fatigue": self.fatigue, "preference": self.preference, "tags": list(self.tags),
            "golden_hour": self.golden_hour,
        }


@dataclass(frozen=True)
class Queue:
    """One read of today's queue: its counts and a page of entries."""

    now: datetime
    ends: datetime  # the end of the rep's today
    counts: dict[str, int]  # due today (every customer, in the whole book), per colour
    entries: list[QueueEntry]
    offset: int

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def rep_zone(cfg: Config) -> ZoneInfo:
    """The rep's zone, which decides where "today" ends: config, then $TZ, then the system's."""
    for name in (cfg.rep.timezone, os.environ.get("TZ", "").lstrip(":"), _system_zone_name()):
        if name:
            return windows.zone(name)
    return windows.zone("UTC")


@lru_cache(maxsize=1)
def _system_zone_name() -> str:
    try:
        with open("/etc/timezone", encoding="utf-8") as fh:
            return fh.read().strip()
    except OSError:
        pass
    try:  # /etc/localtime -> /usr/share/zoneinfo/Europe/Rome
        target = os.path.realpath("/etc/localtime")
        return target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else ""
    except OSError:
        return ""


def tags_for(conn: sqlite3.Connection, ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {i: [] for i in ids}
    for cid, name in select_in(conn, _TAGS, ids):
        out[cid].append(name)
    return out


def explain(conn: sqlite3.Connection, cfg: Config, now: datetime, ids: list[int],
            states: dict[int, windows.WindowState], zone: ZoneInfo) -> dict[int, tuple[Line, ...]]:
    """The score breakdown of each customer: why they sit where they sit."""
    from wtui.book.derive import load_facts
    from wtui.core import follow_up

    out = {}
    for cid, facts, pref, _ in load_facts(conn, ids, cfg):
        verdict = follow_up.assess(facts, now, cfg, pref)
        out[cid] = tuple(breakdown(verdict, states[cid], now, zone, cfg))
    return out


def queue(conn: sqlite3.Connection, cfg: Config, now: datetime, *, limit: int = 50, offset: int = 0,
          zone: ZoneInfo | None = None, explained: bool = False, search: str = "", counts: bool = True,
          windows_memo: dict | None = None, within: tuple[str, list] | None = None, mine: str | None = None,
          whole: bool = False) -> Queue:
    """Today's queue: counts per colour and one page of entries (with their breakdowns if ``explained``).

    ``search`` narrows it to customers whose name, number or a tag contains the text;
    ``within`` to a compiled query (SQL selecting ids, and its parameters); ``mine``
    to the customers this rep owns plus the unassigned; ``whole``: every customer, due
    or not, in the queue's order.
    """
    zone = zone or rep_zone(cfg)
    ends = end_of_day(now, zone)
    cutoff = iso(ends)
    where, params = narrow(conn, search, within, mine)
    who = _EVERYONE if whole else _TODAY
    per_color = {c: 0 for c in cfg.colors.order}
    if counts:
        ranks = range(len(cfg.colors.order) + 1)
        for color, n in conn.execute(_COUNTS % (",".join("?" * len(ranks)), who, where), (*ranks, cutoff, *params)):
            per_color[color] = n
    rows = conn.execute(_PAGE % (who, where), (cutoff, *params, limit, offset)).fetchall()
    tags = tags_for(conn, [r[0] for r in rows])
    entries = []
    locator = _Windows(now, cfg, windows_memo)
    for cid, uid, name, phone, color, due_at, reason, tz, region, intent, fatigue, qrank, note, golden in rows:
        due = parse_iso(due_at)
        entries.append(QueueEntry(
            id=cid, uid=uid, name=name, phone=phone, color=color, due=due, overdue=due is not None and due <= now,
            reason=reason or "",
            tz=tz or "UTC", region=region or "", intent=intent or "", fatigue=bool(fatigue), priority=qrank == 0,
            preference=note or "", tags=tuple(tags[cid]), golden_hour=golden,
            locate=locator.of(tz or "UTC", note, region or "", golden),
        ))
    if explained and entries:
        why = explain(conn, cfg, now, [e.id for e in entries], {e.id: e.window for e in entries}, zone)
        entries = [replace(e, breakdown=why[e.id]) for e in entries]
    return Queue(now=now, ends=ends, counts=per_color, entries=entries, offset=offset)


class _Windows:
    """Contact windows for one page at one instant; customers sharing zone, note and region share one."""

    def __init__(self, now: datetime, cfg: Config, memo: dict | None = None) -> None:
        self.now, self.cfg = now, cfg
        # A caller may keep the memo across reads at the same instant (the app, between keys).
        self.memo: dict[tuple, windows.WindowState] = {} if memo is None else memo

    def of(self, tz: str, note: str | None, region: str,
           golden: int | None = None) -> Callable[[], windows.WindowState]:
        def locate() -> windows.WindowState:
            key = (self.now, tz, note, region, golden)
            if key not in self.memo:
                cfg = self.cfg
                self.memo[key] = windows.state(self.now, tz, safe_pref(note), region, cfg.windows, cfg.regions,
                                               golden)
            return self.memo[key]

        return locate


def position(conn: sqlite3.Connection, cfg: Config, now: datetime, uid: str, *, search: str = "",
             zone: ZoneInfo | None = None, within: tuple[str, list] | None = None,
             mine: str | None = None, whole: bool = False) -> int | None:
    """Where ``uid`` stands in today's queue (0 = first), or None when they are not in it."""
    if whole:  # not due sorts first in a rank (NULL), where a comparison of rows cannot count it: counted here
        uids = queue_uids(conn, cfg, now, search=search, within=within, mine=mine, whole=True)
        return uids.index(uid) if uid in uids else None
    row = conn.execute("SELECT queue_rank, due_at, color, id FROM customers WHERE uid = ?", (uid,)).fetchone()
    cutoff = iso(end_of_day(now, zone or rep_zone(cfg)))
    if row is None or row[1] is None or row[1] >= cutoff:
        return None
    where, params = narrow(conn, search, within, mine)
    if where and not conn.execute(
            "SELECT 1 FROM customers c WHERE c.uid = ?" + where, (uid, *params)).fetchone():
        return None
    return conn.execute(_POSITION % where, (cutoff, *params, *row)).fetchone()[0]


def queue_uids(conn: sqlite3.Connection, cfg: Config, now: datetime, *, search: str = "",
               within: tuple[str, list] | None = None, mine: str | None = None, whole: bool = False) -> list[str]:
    """Every uid in today's (narrowed) queue, or the whole book, in queue order: marking all without
    building rows."""
    where, params = narrow(conn, search, within, mine)
    cutoff = iso(end_of_day(now, rep_zone(cfg)))
    return [r[0] for r in conn.execute(_UIDS % (_EVERYONE if whole else _TODAY, where), (cutoff, *params))]


def queue_zones(conn: sqlite3.Connection, cfg: Config, ends: datetime) -> list[str]:
    """The time zones of everyone due today, most customers first."""
    ranks = range(len(cfg.colors.order) + 1)
    rows = conn.execute(
        "SELECT COALESCE(tz_override, tz) AS z, count(*) AS n FROM customers WHERE queue_rank IN (%s) AND due_at < ? "
        "GROUP BY z ORDER BY n DESC, z" % ",".join("?" * len(ranks)),
        (*ranks, iso(ends)),
    ).fetchall()
    return [z for z, _ in rows if z]
