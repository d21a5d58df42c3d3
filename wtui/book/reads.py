"""Reads for the daily queue: one index range, then per-row work only for the rows shown.

The stored verdict gives colour, due and reason; the contact window depends on
the minute, so it is computed here for the page being shown, never for the
whole book.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from wtui.book.db import iso, parse_iso
from wtui.book.derive import safe_pref
from wtui.core import windows
from wtui.core.config import Config
from wtui.core import follow_up
from wtui.core.queue import Line, breakdown, end_of_day

_PAGE = """SELECT c.id, c.uid, c.name, c.phone, c.color, c.due_at, c.reason, COALESCE(c.tz_override, c.tz), c.region,
       c.intent, c.fatigue, c.queue_rank, p.note
    FROM customers c INDEXED BY customers_queue LEFT JOIN preferences p ON p.customer_id = c.id
    WHERE c.due_at < ? ORDER BY c.queue_rank, c.due_at LIMIT ? OFFSET ?"""
# One index range per rank (queue_rank IN ...) instead of a scan of the whole index.
_COUNTS = "SELECT color, count(*) FROM customers WHERE queue_rank IN (%s) AND due_at < ? GROUP BY color"
_TAGS = """SELECT ct.customer_id, t.name FROM customer_tags ct JOIN tags t ON t.id = ct.tag_id
    WHERE ct.present = 1 AND ct.customer_id IN (%s) ORDER BY t.dimension, t.name"""


@dataclass(frozen=True)
class QueueEntry:
    id: int
    uid: str
    name: str
    phone: str
    color: str
    due: datetime
    overdue: bool
    reason: str
    tz: str
    region: str
    intent: str
    fatigue: bool
    priority: bool
    preference: str
    tags: tuple[str, ...]
    window: windows.WindowState
    breakdown: tuple[Line, ...] = ()  # filled when the caller asks for explanations

    def as_json(self, now: datetime) -> dict:
        return {
            "breakdown": [{"factor": line.label, "value": line.value} for line in self.breakdown],
            "uid": self.uid, "name": self.name, "phone": self.phone, "color": self.color,
            "due": iso(self.due), "overdue": self.overdue, "local_time": self.window.local.isoformat(timespec="minutes"),
            "timezone": self.tz, "in_window": self.window.in_window, "window": self.window.state,
            "window_label": self.window.label(now),
            "next_open": iso(self.window.next_open), "reason": self.reason, "intent": self.intent,
            "priority": self.priority, "fatigue": self.fatigue, "preference": self.preference, "tags": list(self.tags),
        }


@dataclass(frozen=True)
class Queue:
    now: datetime
    ends: datetime  # the end of the rep's today
    counts: dict[str, int]  # due today, per colour
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
    if ids:
        for cid, name in conn.execute(_TAGS % ",".join("?" * len(ids)), ids):
            out[cid].append(name)
    return out


def explain(conn: sqlite3.Connection, cfg: Config, now: datetime, ids: list[int], states: dict[int, windows.WindowState],
            zone: ZoneInfo) -> dict[int, tuple[Line, ...]]:
    """The score breakdown of each customer: why they sit where they sit."""
    from wtui.book.derive import load_facts

    out = {}
    for cid, facts, pref in load_facts(conn, ids, cfg):
        verdict = follow_up.assess(facts, now, cfg, pref)
        out[cid] = tuple(breakdown(verdict, states[cid], now, zone, cfg))
    return out


def queue(conn: sqlite3.Connection, cfg: Config, now: datetime, *, limit: int = 50, offset: int = 0,
          zone: ZoneInfo | None = None, explained: bool = False) -> Queue:
    """Today's queue: counts per colour and one page of entries (with their breakdowns if ``explained``)."""
    zone = zone or rep_zone(cfg)
    ends = end_of_day(now, zone)
    cutoff = iso(ends)
    counts = {c: 0 for c in cfg.colors.order}
    ranks = range(len(cfg.colors.order) + 1)
    for color, n in conn.execute(_COUNTS % ",".join("?" * len(ranks)), (*ranks, cutoff)):
        counts[color] = n
    rows = conn.execute(_PAGE, (cutoff, limit, offset)).fetchall()
    tags = tags_for(conn, [r[0] for r in rows])
    entries = []
    for cid, uid, name, phone, color, due_at, reason, tz, region, intent, fatigue, qrank, note in rows:
        due = parse_iso(due_at)
        pref = safe_pref(note)
        state = windows.state(now, tz or "UTC", pref, region or "", cfg.windows, cfg.regions)
        entries.append(QueueEntry(
            id=cid, uid=uid, name=name, phone=phone, color=color, due=due, overdue=due <= now, reason=reason or "",
            tz=tz or "UTC", region=region or "", intent=intent or "", fatigue=bool(fatigue), priority=qrank == 0,
            preference=note or "", tags=tuple(tags[cid]), window=state,
        ))
    if explained and entries:
        why = explain(conn, cfg, now, [e.id for e in entries], {e.id: e.window for e in entries}, zone)
        entries = [replace(e, breakdown=why[e.id]) for e in entries]
    return Queue(now=now, ends=ends, counts=counts, entries=entries, offset=offset)
