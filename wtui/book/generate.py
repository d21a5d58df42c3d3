"""Synthetic books: the living demo and the benchmark books, from one seeded generator.

Times are relative to ``now``, so a book made today looks alive today: some
customers asked for a price an hour ago, some read our message three days ago
and went quiet, some have not written for seven months. Every colour, intent
and lifecycle state is represented. The same seed and ``now`` give the same book.

Rows are written in bulk with ``executemany`` (sqlite-utils' insert_all is 10x
slower here, see MEASURED.md) and the verdicts are computed from the events in
memory; the op log gets one ``book.seed`` entry naming the generator, since a
generated book is a starting snapshot, not a history of edits.
"""

from __future__ import annotations

import json
import random
import tomllib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import phonenumbers

from wtui.book import db, derive, ops
from wtui.book.book import Book
from wtui.core import hlc
from wtui.core import phone as phones
from wtui.core.config import Config
from wtui.core.facts import IN, LINK, OUT, PURCHASE, QUOTE_OPEN, READ, VISIT, Event, summarize
from wtui.core.keywords import Detector
from wtui.core.prefs import format_frequency, format_note, format_time, parse_note

H = timedelta(hours=1)
D = timedelta(days=1)
OWNERS = ("ana", "omar", "li", "")

# Profile -> weight. Each profile writes the recent events that put a customer
# in one state; older small talk fills the rest of their history.
PROFILES = {
    "red_price": 6, "red_compare": 3, "red_visit": 2, "red_fatigue": 1, "orange_read": 9, "orange_quote": 4,
    "orange_opens": 3, "yellow_new": 12, "lead": 15, "green": 13, "green_dark": 3, "gray_nolink": 9,
    "gray_silent": 10, "priority": 2, "not_needed": 3,
}


def material() -> dict:
    return tomllib.loads((Path(__file__).parent.parent / "data" / "demo.toml").read_text("utf-8"))


@dataclass
class _Customer:
    id: int
    uid: str
    name: str
    phone: str
    region: str
    tz: str
    language: str
    profile: str
    events: list[tuple[str, datetime, str, float, float, str]]  # kind, at, text, amount, minutes, color_at
    tags: list[str]
    note: str


class _Maker:
    def __init__(self, seed: int, now: datetime, interactions: int, zones: dict[str, str]) -> None:
        self.rng = random.Random(seed)
        self.zones = zones  # each country's main zone (config [zones]), for numbers that do not tell
        self.now = now
        self.per_customer = interactions
        self.m = material()
        self.regions = list(self.m["regions"])
        self.weights = [self.m["regions"][r]["weight"] for r in self.regions]
        self.profiles = list(PROFILES)
        self.pweights = list(PROFILES.values())
        self.seen: set[str] = set()
        mobile = phonenumbers.PhoneNumberType.MOBILE
        self.examples = {r: phonenumbers.example_number_for_type(r, mobile) for r in self.regions}

    def phone(self, region: str) -> str:
        ex = self.examples[region]
        national = str(ex.national_number)
        for _ in range(50):
            keep = max(2, len(national) - 6)
            digits = national[:keep] + "".join(str(self.rng.randrange(10)) for _ in range(len(national) - keep))
            num = phonenumbers.PhoneNumber(country_code=ex.country_code, national_number=int(digits))
            e164 = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
            if e164 not in self.seen and phonenumbers.is_valid_number(num):
                self.seen.add(e164)
                return e164
        raise RuntimeError(f"could not make a valid {region} number")  # pragma: no cover

    def name(self, region: str) -> str:
        r = self.m["regions"][region]
        g, f = self.rng.choice(r["given"]), self.rng.choice(r["family"])
        if r["order"] == "family+given":
            return f + g
        return f"{g} {f}"

    def msg(self, lang: str, key: str) -> str:
        bank = self.m["messages"].get(lang) or self.m["messages"]["en"]
        return self.rng.choice(bank[key])

    def ago(self, lo: timedelta, hi: timedelta) -> datetime:
        span = (hi - lo).total_seconds()
        return (self.now - lo - timedelta(seconds=self.rng.random() * span)).replace(microsecond=0)

    def small_talk(self, lang: str, start: datetime, end: datetime, n: int) -> list:
        """Older back-and-forth that ends with the customer's reply (no state of its own)."""
        out = []
        if n <= 0 or end <= start:
            return out
        step = (end - start) / max(1, n)
        t = start
        talk = ("potential", "medium", "discount", "novelty", "function", "learning", "brand")
        while len(out) < n - 2:
            out.append((OUT, t, self.msg(lang, "out"), 0.0, 0.0, ""))
            out.append((READ, t + step * 0.2, "", 0.0, 0.0, ""))
            out.append((IN, t + step * 0.5, self.msg(lang, self.rng.choice(talk)), 0.0, 0.0, ""))
            t += step
        return out[:n]

    def customer(self, cid: int) -> _Customer:
        rng = self.rng
        region = rng.choices(self.regions, self.weights)[0]
        lang = self.m["regions"][region]["language"]
        profile = rng.choices(self.profiles, self.pweights)[0]
        e164 = self.phone(region)
        name = self.name(region)
        ev: list = []
        now = self.now
        fill = max(0, self.per_customer - 4)
        tags = [rng.choice(["Source-Website", "Source-Instagram", "Source-Referral"]),
                rng.choice(["Interest-Beauty", "Interest-Tech", "Interest-Home"])]

        def history(first: datetime, until: datetime) -> None:
            ev.extend(self.small_talk(lang, first, until, fill))

        if profile.startswith("red") or profile == "priority":
            first = self.ago(10 * D, 60 * D)
            history(first, now - 5 * D)
            if profile == "red_fatigue":
                for k in (4, 3, 2):
                    ev.append((IN, now - k * D - 2 * H, self.msg(lang, "high"), 0.0, 0.0, ""))
                    ev.append((OUT, now - k * D - H, self.msg(lang, "out"), 0.0, 0.0, "red"))
            hot = self.ago(timedelta(minutes=10), 40 * H)
            if profile == "red_visit":
                ev.append((VISIT, hot, "", 0.0, float(rng.randint(9, 25)), ""))
            else:
                ev.append((IN, hot, self.msg(lang, "compare" if profile == "red_compare" else "high"), 0.0, 0.0, ""))
            tags.append("Stage-Quoted" if profile != "priority" else "Stage-Purchased")
            if profile == "priority":
                tags.append("Complaint-Open")
        elif profile == "orange_read":
            first = self.ago(12 * D, 90 * D)
            history(first, now - 12 * D)
            sent = self.ago(50 * H, 10 * D)
            ev.append((OUT, sent, self.msg(lang, "out"), 0.0, 0.0, ""))
            ev.append((READ, sent + H, "", 0.0, 0.0, ""))
            tags.append("Stage-Lead")
        elif profile == "orange_quote":
            first = self.ago(8 * D, 40 * D)
            history(first, now - 4 * D)
            ev.append((IN, self.ago(H, 60 * H), self.msg(lang, "quote"), 0.0, 0.0, ""))
            tags.append("Stage-Lead")
        elif profile == "orange_opens":
            first = self.ago(8 * D, 40 * D)
            history(first, now - 5 * D)
            sent = now - 4 * D
            ev.append((OUT, sent, self.msg(lang, "out"), 0.0, 0.0, ""))
            ev.append((IN, sent + 2 * H, self.msg(lang, "potential"), 0.0, 0.0, ""))
            for k in range(rng.randint(4, 6)):
                ev.append((QUOTE_OPEN, sent + (k + 3) * H, "", 0.0, 0.0, ""))
            tags.append("Stage-Quoted")
        elif profile == "yellow_new":
            first = self.ago(H, 6 * D)
            ev.append((IN, first, self.msg(lang, rng.choice(["potential", "medium", "novelty"])), 0.0, 0.0, ""))
            if rng.random() < 0.5:
                ev.append((OUT, first + H, self.msg(lang, "out"), 0.0, 0.0, ""))
                ev.append((IN, first + 2 * H, self.msg(lang, "potential"), 0.0, 0.0, ""))
            tags.append("Stage-Lead")
        elif profile in ("lead", "not_needed"):
            first = self.ago(9 * D, 150 * D)
            last = self.ago(D, 60 * D)
            history(first, max(first + D, last - D))
            ev.append((IN, last, self.msg(lang, "none" if profile == "not_needed" else "potential"), 0.0, 0.0, ""))
            tags.append("Stage-Lead")
        elif profile in ("green", "green_dark", "gray_nolink"):
            first = self.ago(160 * D, 300 * D)
            history(first, now - 155 * D)
            buys = rng.randint(3, 6) if profile == "green_dark" else rng.choice([1, 1, 1, 2, 3])
            oldest = self.ago(3 * D, 150 * D) if profile != "gray_nolink" else self.ago(20 * D, 250 * D)
            for k in range(buys):
                at = oldest if k == 0 else self.ago(2 * D, max(3 * D, now - oldest))
                amount = rng.choice([3000.0, 4200.0, 4800.0]) if profile == "green_dark" else \
                    rng.choice([30.0, 80.0, 150.0, 260.0, 600.0])  # USD: low to high tiers (§7)
                ev.append((PURCHASE, at, "", amount, 0.0, ""))
            if profile == "gray_nolink":
                ev.append((LINK, self.ago(9 * D, 20 * D), "", 0.0, 0.0, ""))
                ev.append((OUT, now - 9 * D, self.msg(lang, "out"), 0.0, 0.0, ""))
                ev.append((IN, now - 9 * D + H, self.msg(lang, "potential"), 0.0, 0.0, ""))
            else:
                sent = self.ago(D, 5 * D)
                ev.append((OUT, sent, self.msg(lang, "out"), 0.0, 0.0, ""))
                if rng.random() < 0.6:
                    ev.append((READ, sent + H / 2, "", 0.0, 0.0, ""))
                ev.append((LINK, sent + H, "", 0.0, 0.0, ""))
                ev.append((IN, sent + 2 * H, self.msg(lang, "brand"), 0.0, 0.0, ""))
            tags.append("Stage-Purchased")
            if profile == "green_dark":
                tags.append("Spend-VIP")
            if "Interest-Beauty" in tags and rng.random() < 0.3:
                tags.append("Product-Lipstick")
        else:  # gray_silent
            first = self.ago(200 * D, 500 * D)
            history(first, now - 190 * D)
            if not ev:
                ev.append((IN, now - 190 * D, self.msg(lang, "potential"), 0.0, 0.0, ""))
            tags.append(rng.choice(["Stage-Lead", "Stage-Purchased"]))
        if region in ("AE", "SA"):
            tags.append("Region-MENA")
        if profile.startswith("red") and rng.random() < 0.05:
            tags.append("Urgent")
        ev.sort(key=lambda e: e[1])
        note = ""
        if rng.random() < 0.6:
            note = rng.choice(self.m["preferences"]["notes"])
            if rng.random() < 0.4 and region not in ("TW", "HK", "CN"):
                note = f"{rng.choice(self.m['preferences']['salutations'])} {name.split()[-1]} | {note}"
        return _Customer(cid, uuid.UUID(int=rng.getrandbits(128)).hex, name, e164, region,
                         phones.home_zone(phones.zones_for(e164), region, self.zones), lang, profile, ev, tags,
                         note)


def make_book(path: str | Path, cfg: Config, *, customers: int, seed: int, now: datetime,
              interactions: int = 20, actor: str = "wtui make-book", admins: list[str] | None = None) -> Book:
    """Write a new synthetic book at ``path`` (which must not exist yet) and return it open."""
    p = Path(path)
    if p.exists():
        from wtui.errors import BadInput

        raise BadInput(f"{p} already exists: choose a new path")
    book = Book.create(p, cfg, clock=lambda: now, actor=actor)
    maker = _Maker(seed, now, interactions, cfg.zones)
    detector = Detector(cfg.keywords)
    conn = book.conn
    made = [maker.customer(i + 1) for i in range(customers)]
    with db.write(conn):
        created = db.iso(now)
        for name, desc in maker.m["tags"].items():
            dim = name.split("-", 1)[0]
            conn.execute(
                "INSERT INTO tags (name, dimension, color, description, created_by, created_at) VALUES (?,?,?,?,?,?)",
                (name, dim, cfg.dimensions.get(dim, ""), desc, actor, created),
            )
        tag_ids = dict(conn.execute("SELECT name, id FROM tags"))
        conn.executemany(
            """INSERT INTO customers (id, uid, name, phone, created_phone, region, tz, language, source, owner, consent,
                                     created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)""",
            [(c.id, c.uid, c.name, c.phone, c.phone, c.region, c.tz, c.language, c.tags[0].split("-", 1)[1].lower(),
              maker.rng.choice(OWNERS), int(maker.rng.random() < 0.85), db.iso(c.events[0][1] if c.events else now))
             for c in made],
        )
        # The empty node sorts before every real one: any edit made at the same millisecond wins.
        stamp = hlc.stamp(int(now.timestamp() * 1000), 0, "")
        conn.executemany(
            "INSERT INTO customer_tags (customer_id, tag_id, present, hlc) VALUES (?,?,1,?)",
            [(c.id, tag_ids[t], stamp) for c in made for t in dict.fromkeys(c.tags)],
        )
        rows = []
        facts = []
        serial = 0
        for c in made:
            events = []
            for kind, at, text, amount, minutes, color_at in c.events:
                serial += 1
                signals = detector.detect(text).encode() if kind == IN else ""
                rows.append((f"seed-{seed}-{serial}", c.id, kind, db.iso(at), text or None, signals or None,
                             amount or None, minutes or None, color_at or None))
                events.append(Event(kind, at.replace(microsecond=0), signals, amount, minutes, color_at))
            pref = parse_note(c.note) if c.note else None
            if pref:
                conn.execute(
                    "INSERT INTO preferences (customer_id, note, format, time, frequency) VALUES (?,?,?,?,?)",
                    (c.id, format_note(pref), pref.format, format_time(pref) if (pref.preset or pref.windows) else "",
                     format_frequency(pref.frequency) if pref.frequency else ""),
                )
            added = db.parse_iso(db.iso(c.events[0][1] if c.events else now))  # as created_at stores it
            facts.append((c.id, summarize(events, cfg.colors.rules.long_visit_minutes, tags=frozenset(c.tags),
                                          added=added), pref, c.tz))
        conn.executemany(
            """INSERT INTO interactions (uid, customer_id, kind, at, text, signals, amount, minutes, color_at, actor)
               VALUES (?,?,?,?,?,?,?,?,?,'seed')""",
            rows,
        )
        derive.store_all(conn, facts, now, cfg)
        conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('admins', ?), ('currency', ?)",
                     (json.dumps(admins or []), json.dumps(cfg.spend.currency)))
        ops.record(conn, ops.Op(uuid.uuid4().hex, stamp, actor, "book", "book.seed",
                                {"customers": customers, "seed": seed, "interactions": interactions,
                                 "at": db.iso(now)}, "synthetic book"))
    return book


def add_routine_history(book: Book, seed: int, days: int = 28, outcomes: int = 60) -> None:
    """Demo only: what a team using wtui for a month would have for the weekly routine: a daily snapshot
    for each of the last ``days`` days (today's figures walked back at random, seeded, so the trend moves)
    and ``outcomes`` won or lost deals over those weeks, won more often the warmer the colour (the
    playbook's close rates). Synthetic: make-book's books leave it out."""
    from wtui.book import review
    from wtui.book.reads import rep_zone

    rng = random.Random(seed)
    now, zone, cfg = book.now(), rep_zone(book.cfg), book.cfg
    today = review.distribution(book.conn, tuple(cfg.colors.order))
    figs = json.loads(json.dumps(today))
    with db.write(book.conn):
        for back in range(1, days + 1):
            for group in ("colors", "intents", "activity"):  # a day's drift: a few customers change place
                keys = list(figs[group])
                for _ in range(max(1, today["customers"] // 60)):
                    a, b = rng.sample(keys, 2)
                    if figs[group][a] > 0:
                        figs[group][a] -= 1
                        figs[group][b] += 1
            at = now - timedelta(days=back)
            review.store_snapshot(book.conn, review.snapshot_day(at, zone), at, json.loads(json.dumps(figs)),
                                  cfg.review.snapshot_days)
    owners = dict(book.conn.execute("SELECT uid, coalesce(owner, '') FROM customers ORDER BY id"))
    picked = rng.sample(sorted(owners), min(outcomes, len(owners)))
    maker = book.actor
    try:
        for owner in sorted({owners[u] for u in picked}):
            # Each rep records their own customers' deals (accuracy per rep); an unassigned customer's, the
            # first rep (not the demo's maker, which showed as a rep called 'wtui --demo').
            book.actor = owner or OWNERS[0]
            with book.batch("demo: a month of won and lost deals"):
                for uid in (u for u in picked if owners[u] == owner):
                    won = rng.random() < cfg.colors.close_rate.get(book.card(uid).color, 0.1)
                    at = now - timedelta(days=rng.uniform(1, days), hours=rng.uniform(0, 8))
                    if won:
                        book.record(uid, "won", at, reason="demo")
                    else:
                        book.record(uid, "lost", at, text=rng.choice(["price", "went elsewhere", "not now"]),
                                    reason="demo")
    finally:
        book.actor = maker
