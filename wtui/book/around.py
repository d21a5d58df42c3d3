"""What the app shows around the queue: a customer's card (the panel), the rep's progress today and
the team's signals (the header). Apart from ``reads``: the queue's first page needs none of it, and its
records are classes the app would otherwise build before its first paint."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from wtui.book.db import iso, parse_iso
from wtui.book.engine import sqlite3
from wtui.book.reads import narrow, rep_zone
from wtui.core.config import Config
from wtui.core.queue import end_of_day


@dataclass(frozen=True)
class Progress:
    """The rep's day so far: customers contacted and still due."""

    done: int  # customers contacted since the rep's day began
    due: int  # still due today
    again: int = 0  # of the done, those due again today (counted once in the total)

    @property
    def total(self) -> int:
        return self.done + self.due - self.again


def progress(conn: sqlite3.Connection, cfg: Config, now: datetime, due: int, zone: ZoneInfo | None = None,
             mine: str | None = None) -> Progress:
    """Contacted since the rep's day began (their own and the unassigned with ``mine``), against what is still due.
    A customer contacted today and due again tonight is one of the day's customers, not two ('done 1/80'
    after a contact in a queue of 79)."""
    ends = end_of_day(now, zone or rep_zone(cfg))
    start = ends - timedelta(days=1)
    where, params = narrow(conn, "", None, mine)
    done = conn.execute("SELECT count(*) FROM customers c WHERE last_outbound >= ?" + where,
                        (iso(start), *params)).fetchone()[0]
    ranks = range(len(cfg.colors.order) + 1)
    again = conn.execute(
        "SELECT count(*) FROM customers c WHERE queue_rank IN (%s) AND due_at < ? AND last_outbound >= ?%s"
        % (",".join("?" * len(ranks)), where), (*ranks, iso(ends), iso(start), *params)).fetchone()[0] if done else 0
    return Progress(done, due, again)


@dataclass(frozen=True)
class TeamSignals:
    """The team's figures the header alerts on (red share, high activity)."""

    customers: int
    red_share: float
    high_activity_share: float
    alerts: tuple[str, ...]


def team_signals(conn: sqlite3.Connection, cfg: Config) -> TeamSignals:
    """Playbook §1, §4: red share over 15 % (more hands), high activity under 15 %."""
    n, red, high = conn.execute(
        "SELECT count(*), total(color = 'red'), total(activity = 'high') FROM customers").fetchone()
    red_share = red / n if n else 0.0
    high_share = high / n if n else 0.0
    alerts = []
    if n and red_share > cfg.team.red_share_alert:
        alerts.append(f"{red_share:.0%} red: more hands today")
    if n and high_share < cfg.team.high_activity_floor:
        alerts.append(f"only {high_share:.0%} highly active")
    return TeamSignals(n, red_share, high_share, tuple(alerts))


@dataclass(frozen=True)
class Card:
    """Everything the customer panel shows."""

    uid: str
    name: str
    phone: str
    tz: str
    region: str
    owner: str
    consent: bool
    color: str
    reason: str
    due: datetime | None
    intent: str
    interest: str
    activity: str
    lifecycle: str
    spend_tier: str
    rfm: str
    preference: str
    tags: tuple[tuple[str, str, str], ...]  # (dimension, name, colour)
    interactions: tuple[tuple[datetime, str, str], ...]  # newest first: (at, kind, text)
    notes: tuple[tuple[datetime, str, str], ...]  # (at, author, text)
    consent_at: datetime | None = None  # when consent last changed, and where that came from
    consent_source: str = ""
    habit: str = ""  # a reading habit: "wed-evening" (traits.reading_habit)
    golden_hour: int | None = None  # the hour (their time) of our messages they answer fastest


def card(conn: sqlite3.Connection, uid: str, *, recent: int = 8) -> Card | None:
    row = conn.execute(
        """SELECT c.id, c.uid, c.name, c.phone, COALESCE(c.tz_override, c.tz), c.region, c.owner, c.consent, c.color,
                  c.reason, c.due_at, c.intent, c.interest, c.activity, c.lifecycle, c.spend_tier, c.rfm, p.note,
                  c.consent_at, c.consent_source, c.habit, c.golden_hour
           FROM customers c LEFT JOIN preferences p ON p.customer_id = c.id WHERE c.uid = ?""", (uid,)).fetchone()
    if row is None:
        return None
    cid = row[0]
    tags = tuple(conn.execute(
        """SELECT t.dimension, t.name, t.color FROM customer_tags ct JOIN tags t ON t.id = ct.tag_id
           WHERE ct.customer_id = ? AND ct.present = 1 ORDER BY t.dimension, t.name""", (cid,)))
    events = tuple(
        (parse_iso(at), kind, text or "") for at, kind, text in conn.execute(
            "SELECT at, kind, text FROM interactions WHERE customer_id = ? AND retracted = 0 ORDER BY at DESC LIMIT ?",
            (cid, recent)))
    (_, uid, name, phone, tz, region, owner, consent, color, reason, due, intent, interest, activity, lifecycle,
     spend, rfm, note, consent_at, consent_source, habit, golden) = row
    return Card(uid, name, phone, tz or "UTC", region or "", owner or "", bool(consent), color or "", reason or "",
                parse_iso(due), intent or "", interest or "", activity or "", lifecycle or "", spend or "", rfm or "",
                note or "", tags, events, notes(conn, cid, recent), parse_iso(consent_at), consent_source or "",
                habit or "", golden)


def notes(conn: sqlite3.Connection, cid: int, limit: int = -1) -> tuple[tuple[datetime, str, str], ...]:
    """A customer's notes, newest first, as (at, author, text); ``limit`` -1 is all of them."""
    return tuple((parse_iso(at), author or "", text) for at, author, text in conn.execute(
        "SELECT at, author, text FROM notes WHERE customer_id = ? AND retracted = 0 ORDER BY at DESC, id DESC LIMIT ?",
        (cid, limit)))
