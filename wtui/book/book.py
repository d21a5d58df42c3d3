"""The book: one SQLite file of customers, and the only API that writes to it.

Every write method builds an operation (ops.Op), applies it and appends it to
the op log in one ``BEGIN IMMEDIATE`` transaction, then recomputes the verdict
of the customers it touched, still inside that transaction: a failure leaves
neither the change nor its log entry. ``batch`` groups many writes under one
transaction and one batch id (one undo, later).

The clock is injected (``clock``), so tests pin any instant.
"""

from __future__ import annotations

import functools
import getpass
import json
import os
import re
import secrets
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wtui.book import db, derive, ops, reads, schema
from wtui.book import undo as undo_ops
from wtui.book.engine import sqlite3
from wtui.core import hlc, links, windows
from wtui.core.config import COLORS, INTENTS, Config
from wtui.core.facts import KINDS, LOST, OUT, PURCHASE, WON
from wtui.core.prefs import format_frequency, format_note, format_time, parse_note, safe_pref
from wtui.core.queue import Line, end_of_day
from wtui.core.text import hex_colour, like_contains, visible
from wtui.errors import BadInput, BookBusy, BookError, NotFound, PermissionDenied, ReadOnlyBook

if TYPE_CHECKING:
    from wtui.book import around, automation, users
    from wtui.book.checkpoints import Checkpointer
    from wtui.book.records import ChangeEntry, Compaction, Link
    from wtui.core import accuracy, broadcast, health, query, spend_curve, templates
    from wtui.core import phone as phones
    from wtui.core.keywords import Detector

Clock = Callable[[], datetime]


# A tag an admin creates (playbook §7): Dimension-Value, or one word (a priority tag such as Urgent);
# letters and digits of any script, parts joined by single hyphens: what a query's #Tag names as typed.
_TAG_NAME = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
# Seconds a best-effort write (tag usage, the day's signals snapshot) waits for another process's write
# before it gives up: the next process of the day writes it, and no key waits on it.
BEST_EFFORT_WAIT = 1.0
# Each replica's ops: the highest number and how many there are (equal when none is missing).
_ORIGINS = "SELECT origin, max(oseq), count(*) FROM ops WHERE oseq IS NOT NULL GROUP BY origin"
# One replica's ops above its compaction horizon (``log_horizon``; 0 when none was dropped).
_ABOVE = "SELECT max(oseq), count(*) FROM ops WHERE origin = ? AND oseq > ?"
# The last number before the first one missing above the horizon ?2 (an op that arrived out of order leaves
# a gap); the horizon itself when the number after it is missing.
_FIRST_GAP = """SELECT coalesce(min(o.oseq), ?2) FROM ops o WHERE o.origin = ?1 AND o.oseq > ?2
                AND NOT EXISTS (SELECT 1 FROM ops p WHERE p.origin = o.origin AND p.oseq = o.oseq + 1)
                AND EXISTS (SELECT 1 FROM ops f WHERE f.origin = ?1 AND f.oseq = ?2 + 1)"""
_SINCE = ops.SELECT + " WHERE origin = ? AND oseq > ?"
# Compaction (``Book.compact``), one replica's numbers in (?2, ?3]: the first op stamped at or after the
# cutoff ?4, the newest stamp, and the drop (parked ops stay: they have not taken effect yet).
_YOUNG = "SELECT min(oseq) FROM ops WHERE origin = ?1 AND oseq > ?2 AND oseq <= ?3 AND hlc >= ?4"
_NEWEST = "SELECT max(hlc) FROM ops WHERE origin = ? AND oseq > ? AND oseq <= ?"
_HORIZON = """INSERT INTO log_horizon (origin, oseq, hlc) VALUES (?, ?, ?)
    ON CONFLICT (origin) DO UPDATE SET oseq = excluded.oseq, hlc = max(hlc, excluded.hlc)"""
_DROP = "DELETE FROM ops WHERE origin = ? AND oseq > ? AND oseq <= ? AND op_id NOT IN (SELECT op_id FROM parked)"


RUN_MARKS_KEPT = 50  # rules runs whose undo gives their events back to the next run (the latest ones)
_TYPED_NUMBER = re.compile(r"[\d\s().\-/]+")  # a number as people type one: digits, spaces, ( ) . - /


def system_clock() -> datetime:
    return datetime.now(timezone.utc)


def _writes(method: Callable) -> Callable:
    """Marks a write method: on a read-only book it raises ``ReadOnlyBook`` before anything else."""

    @functools.wraps(method)
    def checked(self: "Book", *args: Any, **kwargs: Any) -> Any:
        self._check_writable()
        return method(self, *args, **kwargs)

    return checked


def writable(path: Path) -> bool:
    """May this process write the book: the file, and its directory (where SQLite keeps the journal)?"""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def default_actor(cfg: Config) -> str:
    if cfg.rep.name:
        return cfg.rep.name
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER", "rep")


# The plain record of a customer (``Book.rows``), by id.
_ROW_COLUMNS = ("id", "uid", "name", "phone", "wa_id", "region", "tz", "language", "source", "owner", "consent",
                "consent_at", "consent_source", "color",
                "intent", "interest", "activity", "lifecycle", "spend_tier", "rfm", "purchase_count", "purchase_total",
                "last_inbound", "last_outbound", "last_purchase", "due_at", "preference")
_ROWS = """SELECT c.id, c.uid, c.name, c.phone, COALESCE(c.wa_id, substr(c.phone, 2)), c.region,
       COALESCE(c.tz_override, c.tz), c.language, c.source, c.owner, c.consent, c.consent_at, c.consent_source,
       c.color, c.intent, c.interest, c.activity, c.lifecycle, c.spend_tier, c.rfm, c.purchase_count,
       c.purchase_total, c.last_inbound, c.last_outbound, c.last_purchase, c.due_at, p.note
    FROM customers c LEFT JOIN preferences p ON p.customer_id = c.id WHERE c.id IN (%s) ORDER BY c.id"""

_CONTACTS = "SELECT uid, name, phone FROM customers WHERE uid IN (%s)"
# An import row's customer, by the number they were created with, then (winning) by their number now.
# A customer merged into another (an alias keeps the number it was created with) is their survivor; read
# first, so a customer's own numbers win.
_EXISTING = ("SELECT a.created_phone, c.id, c.uid, c.name, c.source, c.owner, c.consent, c.consent_at, "
             "c.consent_source FROM aliases a JOIN customers c ON c.uid = a.into_uid WHERE a.created_phone IN (%s)",
             ) + tuple("SELECT %s, id, uid, name, source, owner, consent, consent_at, consent_source FROM customers "
                       "WHERE %s IN (%%s)" % (col, col) for col in ("created_phone", "phone"))
# What a bulk action may set, as the customer has it now (the op keeps the old value, for undo).
_BULK_FIELD_NAMES = ("override_color", "override_until", "override_set_at", "override_intent", "owner")
_BULK_FIELDS = "SELECT id, uid, %s FROM customers WHERE id IN (%%s) ORDER BY id" % ", ".join(_BULK_FIELD_NAMES)
Progress = Callable[[int, int], None]  # (done, total); raising cancels the call, which then writes nothing
_TAG_NAMES = "SELECT name FROM tags ORDER BY name"
_TAGS = "SELECT name, dimension, color, description, archived FROM tags ORDER BY dimension, name"
_TAGS_OF = """SELECT t.name FROM customer_tags ct JOIN tags t ON t.id = ct.tag_id
    JOIN customers c ON c.id = ct.customer_id WHERE c.uid = ? AND ct.present = 1 ORDER BY t.dimension, t.name"""
_TAG_NAMES_IN_USE = "SELECT name FROM tags WHERE archived = 0 ORDER BY name"

# A customer's ops: those about them, and the import op they arrived by (if any).
_CUSTOMER_LOG = (ops.SELECT + " WHERE entity IN (%s) AND hlc >= ? UNION ALL " + ops.SELECT
                 + " WHERE op_id IN (SELECT created_op FROM customers WHERE uid IN (%s)) AND hlc >= ?"
                 + " ORDER BY hlc DESC LIMIT ?")


class Book:
    """An open book file. Create with ``Book.open`` (or ``Book.create``)."""

    def __init__(self, conn: sqlite3.Connection, path: Path, cfg: Config, clock: Clock, actor: str,
                 readonly: bool = False) -> None:
        self.conn = conn
        self.path = path
        self.cfg = cfg
        self.clock = clock
        self.actor = actor
        self.readonly = readonly
        self._checkpoints: "Checkpointer | None" = None  # WAL's checkpoints, on a thread (``_checkpointed_apart``)
        self._hlc = hlc.Clock(secrets.token_hex(4))  # its node becomes the replica id at the first write
        self._replica: str | None = None
        self._oseq: int | None = None  # the number of this replica's last op (read inside the write lock)
        self._held: tuple[int, dict[str, int]] | None = None  # (data_version, vector) until the next write
        self._detector: Detector | None = None
        self.busy_wait = cfg.book.busy_wait_seconds  # how long a write waits for another process's
        self._batch: str | None = None
        self._rehearsing = False
        self._committed = False  # the batch under way has committed a part (see _commit_point)
        self._began = 0.0  # when the batch's current transaction began (time.monotonic)
        self._why = ""
        self._note: Path | None = None  # the writer note of a long batch (db.leave_note)
        self._touched: set[int] = set()  # customers whose verdict must be recomputed
        self._reranked: set[int] = set()  # customers whose priority tags alone changed: the rank only
        self._fields: dict | None = None
        self.recompute_due = False  # every verdict is to be recomputed (a config change), left for later

    # -- opening ---------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path, cfg: Config, *, clock: Clock = system_clock, actor: str | None = None,
             create: bool = False, readonly: bool | None = None,
             recomputing: Progress | None = None, recompute: bool = True) -> "Book":
        """Open a book file (``create``: start one if there is none).

        ``readonly``: None decides by permissions (a rep who may not write the file or its
        directory reads it); True opens read-only whatever they are (the app's worker threads).
        A read-only book runs no migration (one that is due is refused) and no stale sweep
        (the stored verdicts are shown as they are), and every write raises ``ReadOnlyBook``.
        Opening for writing may recompute stored verdicts; it changes nothing else. After a
        change of wtui or of the team's verdict settings that is every customer (~30 s at 100k,
        a transaction per 5,000, resumed where it stopped): ``recomputing(done, total)`` hears.
        ``recompute=False`` leaves all verdict work to the caller, which paints first (the app): a
        whole recompute that is due (``recompute_due``) and the customers time made stale (``refresh_stale``:
        after a night, thousands on a 100k book, ~1 s) are its workers'.
        """
        p = Path(path)
        made = create and not p.exists()
        if readonly is None:
            readonly = p.exists() and not writable(p)
        conn = db.connect(p, create=create and not readonly, readonly=readonly, shared=cfg.book.shared)
        try:
            if readonly:
                schema.require_current(conn, str(p))
            else:
                schema.migrate(conn, str(p))
        except BaseException:
            conn.close()
            raise
        book = cls(conn, p, cfg, clock, actor or default_actor(cfg), readonly=readonly)
        book._checkpointed_apart()
        if made:  # a new book counts money in one currency from its first day: the config's now. A row, not
            # an op: it never changes, and every replica starts from a copy of the book (wtui clone, a snapshot).
            with db.write(conn):
                conn.execute("INSERT OR IGNORE INTO settings (key, value) VALUES ('currency', ?)",
                             (json.dumps(cfg.spend.currency),))
        if recompute:
            book.refresh_stale(recomputing)
        else:
            book.recompute_due = not readonly and (derive.derived_with(conn) != cfg.fingerprint()
                                                   or derive.ahead(conn, book.now()))
        return book

    @classmethod
    def create(cls, path: str | Path, cfg: Config, **kw: Any) -> "Book":
        return cls.open(path, cfg, create=True, **kw)

    def close(self) -> None:
        if self._checkpoints is not None:
            self._checkpoints.close()
        self.conn.close()

    def _checkpointed_apart(self) -> None:
        """In WAL, this connection's commits leave copying the WAL into the book to a thread (``checkpoints``)."""
        if self.readonly or self.conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            return
        from wtui.book.checkpoints import Checkpointer

        self.conn.execute("PRAGMA wal_autocheckpoint = %d" % (2 * db.WAL_CHECKPOINT_PAGES))  # the backstop
        page = self.conn.execute("PRAGMA page_size").fetchone()[0]
        self._checkpoints = Checkpointer(self.path, db.WAL_CHECKPOINT_PAGES * page)

    def __enter__(self) -> "Book":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- time, clocks, transactions ---------------------------------------------

    def now(self) -> datetime:
        return self.clock()

    @property
    def pretending(self) -> bool:
        """Is the clock a pretend one (``wtui --now``, trying rules)? Then no day's record is stored
        (the signals snapshot): a pretend day's figures would stand in the real trend."""
        return bool(getattr(self.clock, "pretend", False))

    def _ms(self) -> int:
        return int(self.now().timestamp() * 1000)

    def _stamp(self, ms: int | None = None) -> str:
        if self.pretending and not self._rehearsing:
            self._refuse_a_stamp_ahead()
        if self._replica is None and not self._rehearsing:
            self._hlc.node = self.replica_id()
        return self._hlc.tick(self._ms() if ms is None else ms)

    def _refuse_a_stamp_ahead(self) -> None:
        """A change made under ``wtui --now`` later than this machine's clock allows a sync, on a book that
        syncs (it has heard from a peer, or was cloned to be a replica): every other replica would refuse
        it, and so everything this one wrote after it (a tryout's laptop never synced again). Trying a
        future day there is a dry run's; a book of one's own (the demo, a copy) may script any day."""
        ahead = self.now() - datetime.now(timezone.utc)
        bound = self.cfg.sync.max_clock_ahead_minutes
        if ahead > timedelta(minutes=bound) and self.conn.execute(
                "SELECT 1 FROM peers UNION ALL SELECT 1 FROM replica WHERE key = 'cloned_from' LIMIT 1").fetchone():
            raise BadInput(f"--now is {ahead / timedelta(hours=1):,.0f} h ahead of this machine's clock: on a "
                           "replica a change stamped then would be refused by every other one "
                           f"(sync.max_clock_ahead_minutes = {bound:g}), and all it wrote after. Nothing was written; "
                           "--dry-run tries it")

    def _op_id(self, ms: int | None = None) -> str:
        """Unique like a UUID, but time-ordered: new ids append to the index instead of
        landing on random pages, which keeps a 10k-row batch's commit small."""
        return f"{self._ms() if ms is None else ms:012x}{secrets.token_hex(10)}"

    def wait_at_most(self, seconds: float) -> None:
        """Writes on this Book give up (``BookBusy``) after ``seconds`` of another process's write: the app's
        UI thread, which must not freeze, says so instead and the rep tries again."""
        self.busy_wait = seconds
        self.conn.execute("PRAGMA busy_timeout = %d" % int(seconds * 1000))  # PRAGMA takes no parameters

    def _check_writable(self) -> None:
        if self.readonly:
            raise ReadOnlyBook(self.path)

    @contextmanager
    def batch(self, reason: str = "") -> Iterator[str]:
        """Many writes under one batch id: one undo, one report, all or nothing.

        A long batch (bulk, undo, rules) commits what it has done every
        ``book.transaction_seconds`` (``_commit_point``), so another rep's write
        waits a moment, not the whole run. If it fails after such a commit, the
        committed part is taken back (an undo of the batch), so it still applies
        whole or not at all; only a killed process leaves whole parts behind.
        """
        self._check_writable()
        if self._batch is not None:
            yield self._batch
            return
        batch_id = self._batch = uuid.uuid4().hex
        self._touched, self._reranked = set(), set()
        self._committed, self._why = False, reason or "a write"
        try:
            db.begin(self.conn, self.busy_wait)
            self._began = time.monotonic()
            try:
                self._observe_newest()
                yield batch_id
                self._settle()
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            db.commit(self.conn, self.busy_wait)
            if self._checkpoints is not None:
                self._checkpoints.nudge()
        except BaseException:
            committed = self._committed
            self._end_batch()
            if committed:
                self.undo(batch_id, reason=f"taken back: {self._why} did not finish")
            raise
        finally:
            self._end_batch()

    def _end_batch(self) -> None:
        self._batch = None
        self._held = None
        self._rehearsing = False
        self._touched, self._reranked = set(), set()
        db.clear_note(self._note)
        self._note = None

    def _commit_point(self) -> None:
        """Between chunks of a long batch: once its transaction has run ``book.transaction_seconds``, commit
        what is done (verdicts settled) and go on in a new transaction under the same batch id."""
        if self._batch is None or self._rehearsing:
            return
        if time.monotonic() - self._began < self.cfg.book.transaction_seconds:
            return
        wait = self.busy_wait
        self._settle()
        self._touched, self._reranked = set(), set()
        db.commit(self.conn, wait)
        if self._checkpoints is not None:
            self._checkpoints.nudge()
        self._committed = True
        if self._note is None:  # a long write: say who holds the book, for a writer that gives up waiting
            self._note = db.leave_note(self.conn, self.actor, self._why)
        db.begin(self.conn, wait)
        self._began = time.monotonic()
        self._observe_newest()

    def _observe_newest(self) -> None:
        """Inside the write lock: stamps from here on sort after every op already in the book,
        whoever wrote it (another process, the app's worker, a clock that ran ahead), under this
        file's replica id (taken at the first stamp: a batch that writes nothing writes no identity)."""
        self._oseq = None  # another process on this file may have written since
        self._replica = None  # or taken a new id (a sync renumbering a fork, a restore found): read again
        newest = self.conn.execute("SELECT max(hlc) FROM ops").fetchone()[0]
        if newest:
            self._hlc.observe(newest, self._ms())

    def replica_id(self) -> str:
        """This file's id as a replica: the node of every stamp it issues. Kept in the book with the file
        it was given to (device and inode); a copy made by hand (cp, a restored backup, a file sent by
        mail) is another file, so at its first write it takes an id of its own instead of issuing
        stamps under the original's. Written inside a write transaction only (never by opening)."""
        if self._replica is not None:
            return self._replica
        st = os.stat(self.path)
        here = f"{st.st_dev}:{st.st_ino}"
        got = dict(self.conn.execute("SELECT key, value FROM replica"))
        if got.get("file") == here and got.get("id"):
            self._replica = got["id"]
        else:  # a new file: the ids the original had are the original's, not this file's
            self._take_id(got.get("id"), set())
        return self._replica

    def _take_id(self, previous: str | None, ids: set[str]) -> None:
        """A new replica id for this file, kept with the file it belongs to; ``ids``: this file's earlier ones."""
        self._replica = secrets.token_hex(6)
        st = os.stat(self.path)
        self.conn.executemany("INSERT OR REPLACE INTO replica (key, value) VALUES (?, ?)",
                              [("id", self._replica), ("file", f"{st.st_dev}:{st.st_ino}"),
                               ("previous", previous or ""), ("ids", json.dumps(sorted(ids | {self._replica})))])
        self._hlc.node, self._oseq = self._replica, None

    def own_origins(self) -> set[str]:
        """Every replica id this file has issued ops under (a new one after it was put back from an older
        copy of itself): the ops this replica pushes to a team server as its own."""
        got = dict(self.conn.execute("SELECT key, value FROM replica"))
        return set(json.loads(got.get("ids") or "[]")) | ({self._replica} if self._replica else set())

    @contextmanager
    def rehearsal(self) -> Iterator[str]:
        """Writes inside run for real, then are rolled back: a dry run that cannot differ from the run."""
        self._check_writable()
        if self._batch is not None:
            raise BookError("a rehearsal cannot start inside a batch")
        self._batch = uuid.uuid4().hex
        self._touched, self._reranked = set(), set()
        self._rehearsing = True
        self._note = db.leave_note(self.conn, self.actor, "a dry run")  # held whole: say so to who waits
        try:
            db.begin(self.conn, self.busy_wait)
            try:
                yield self._batch
                self._settle()
            finally:
                self.conn.execute("ROLLBACK")
        finally:
            self._end_batch()

    def _settle(self) -> None:
        """The end of a batch: recompute the verdicts its writes made stale, and the rank of those whose
        priority tags alone changed."""
        derive.refresh(self.conn, self._touched, self.now(), self.cfg)
        derive.rerank(self.conn, self._reranked - self._touched, self.cfg)

    @_writes
    def run_rules(self, rules: list | None = None, *, dry_run: bool = False,
                  progress: Progress | None = None, as_team: bool = False) -> "automation.RulesReport":
        """Apply the automation rules (the configured file by default); see ``automation``.

        ``progress(rules done, rules)`` is called after each rule and between chunks of a
        big one; if it raises, nothing is written. ``as_team``: the team server's scheduled
        run, which creates the tags the rules need as an admin's run does.
        """
        from wtui.book import automation

        return automation.run(self, automation.load(self) if rules is None else rules, dry_run=dry_run,
                              progress=progress, as_team=as_team)

    def create_rule_tags(self, names: list[str], *, trusted: bool) -> list[str]:
        """Create the tags rules name that the book lacks (inside the rules' batch): for an admin's
        run, the team server's, or a dry run (``trusted``); a rep's run is refused, naming them."""
        missing = [n for n in dict.fromkeys(names) if ops.tag_id(self.conn, n) is None]
        if missing and not (trusted or self.is_admin()):
            raise PermissionDenied(f"the rules need tags this book does not have yet ({', '.join(missing)}); only "
                                   f"admins create tags: {self._ask_admin()}")
        for name in missing:
            self._new_tag(name, reason="rules: a tag the rules name")
        return missing

    def event_span(self) -> tuple[int, int]:
        """The interactions event rules have not acted on here yet: (after this row, up to that one)."""
        row = self.conn.execute("SELECT value FROM settings WHERE key = 'rules.events_through'").fetchone()
        top = self.conn.execute("SELECT coalesce(max(id), 0) FROM interactions").fetchone()[0]
        return (int(row[0]) if row else 0), top

    def rule_events(self, kinds: list[str], after: int, upto: int) -> list[tuple[int, str, datetime, str]]:
        """Events of these ``kinds`` recorded after row ``after`` up to ``upto``, at most
        ``rules.event_window_hours`` old (an imported history is not news), in the order they were
        recorded: (customer id, kind, when in the team's zone, product)."""
        since = db.iso(self.now() - timedelta(hours=self.cfg.rules.event_window_hours))
        zone = reads.rep_zone(self.cfg)
        return [(cid, kind, datetime.fromisoformat(at).astimezone(zone), product or "")
                for cid, kind, at, product in db.select_in(
                    self.conn, "SELECT customer_id, kind, at, product FROM interactions WHERE id > ? AND id <= ? "
                    "AND retracted = 0 AND at >= ? AND kind IN (%s) ORDER BY id", sorted(set(kinds)),
                    (after, upto, since))]

    def mark_refreshed(self) -> None:
        """The book just took in data from outside (an import, a sync, WhatsApp): tag health's
        staleness reads when (this file's own mark, inside the caller's batch)."""
        if self._batch is not None:
            self.conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('data.refreshed_at', ?)",
                              (json.dumps(db.iso(self.now())),))

    def refreshed_at(self) -> datetime | None:
        at = self.setting("data.refreshed_at")
        return datetime.fromisoformat(at.replace("Z", "+00:00")) if at else None

    def mark_events_seen(self, upto: int) -> None:
        """Where the next run's event rules start (this file's own mark, like the derived settings); where
        this run found it is kept by its batch, for an undo of the run (``_events_unseen``)."""
        self._check_writable()
        if self._batch is not None:
            self.conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
                              (f"rules.events_before.{self._batch}", str(self.event_span()[0])))
            # The team server runs the rules every few minutes: only the latest runs' marks are kept.
            self.conn.execute("DELETE FROM settings WHERE key LIKE 'rules.events_before.%' AND rowid NOT IN "
                              "(SELECT rowid FROM settings WHERE key LIKE 'rules.events_before.%' "
                              "ORDER BY rowid DESC LIMIT ?)", (RUN_MARKS_KEPT,))
        self.conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('rules.events_through', ?)",
                          (str(upto),))

    def _write(self, kind: str, entity: str, payload: dict[str, Any], reason: str = "") -> ops.Op:
        with self.batch():  # a lone write is a batch of one: every op has a batch id to undo by
            op = self._op(kind, entity, payload, reason)
            self._mark(op, ops.apply(self.conn, op))
        return op

    def _mark(self, op: ops.Op, touched: set[int]) -> None:
        """Which verdicts an applied op made stale. Tags weigh in a verdict only as priority tags, and
        those only as the queue rank; of a customer's fields only ``derive.VERDICT_FIELDS`` count (an
        owner or a name changes no colour). A customer created or merged is recomputed whole."""
        if op.kind in ("tag.add", "tag.remove"):
            if op.payload["tag"] in self.cfg.colors.rules.priority_tags:
                self._reranked |= touched
        elif op.kind != "customer.set" or not derive.VERDICT_FIELDS.isdisjoint(op.payload["fields"]):
            self._touched |= touched

    @_writes
    def undo(self, batch_id: str, reason: str = "", *, progress: Progress | None = None) -> tuple[int, int]:
        """Take back a batch: (ops reverted, ops skipped because someone changed that thing since).

        Reverting writes new, inverse ops (the log keeps both), so undo replicates
        like any other change. Creating customers or tags is not undone here. The
        ops are taken back ``db.IN_CHUNK`` at a time (``ops.apply_fresh``), with
        ``progress(done, total)`` between chunks; if it raises, nothing is written.
        """
        rows = self.conn.execute(ops.SELECT + " WHERE batch = ? ORDER BY hlc DESC", (batch_id,)).fetchall()
        if not rows:
            raise NotFound("nothing to undo" + (f" (the log was compacted up to {self._compacted_text()}: a batch "
                                                "from before then can no longer be undone)"
                                                if self.compacted_through() else ""))
        done = skipped = seen = already = 0
        with self.batch():
            for chunk in db.chunks(rows):
                batch = [ops.Op.from_row(r) for r in chunk]
                ms = self._ms()
                fresh = []
                for op, inverse in zip(batch, undo_ops.inverses(self.conn, batch), strict=True):
                    if inverse is None:
                        if op.kind in undo_ops.KEPT:  # a creation stays: not "changed since"
                            continue
                        if undo_ops.taken_back(self.conn, op):
                            already += 1
                        else:
                            skipped += 1
                        continue
                    kind, entity, payload = inverse
                    number = payload.get("fields", {}).get("phone") if kind == "customer.set" else None
                    if number and self.conn.execute("SELECT 1 FROM customers WHERE phone = ? AND uid != ?",
                                                    (number, ops.resolve(self.conn, payload["uid"]))).fetchone():
                        raise BadInput(f"this undo would give back {number}, which another customer has now: "
                                       "nothing was taken back")
                    why = reason or f"undo: {op.reason or op.kind}"
                    if ops.fresh_ok(kind, payload):
                        fresh.append(self._op(kind, entity, payload, why, ms))
                    else:
                        self._write(kind, entity, payload, why)
                    done += 1
                self._apply_fresh(fresh)
                seen += len(chunk)
                if progress:
                    progress(seen, len(rows))
                self._commit_point()
            if already and not done and not skipped:
                raise NotFound(f"batch {batch_id} is undone already: nothing was taken back again")
            self._events_unseen(batch_id)
        return done, skipped

    def _events_unseen(self, batch_id: str) -> None:
        """An undone rules run's events are news again: the event rules' mark goes back to where that run
        found it (a tryout: after the undo, the purchases it had tagged were never tagged again)."""
        key = f"rules.events_before.{batch_id}"
        row = self.conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        if row:
            self.conn.execute("UPDATE settings SET value = min(CAST(value AS INTEGER), ?) "
                              "WHERE key = 'rules.events_through'", (int(row[0]),))
            self.conn.execute("DELETE FROM settings WHERE key = ?", (key,))

    def _apply_fresh(self, batch: list[ops.Op], *, recorded: bool = False) -> None:
        """``ops.apply_fresh``, and mark for recompute the customers whose verdict these ops may change:
        priority tags, the fields a verdict reads, interactions."""
        self._touched |= ops.apply_fresh(self.conn, batch, recorded=recorded)
        priority = self.cfg.colors.rules.priority_tags
        uids = {op.payload["uid"] for op in batch
                if op.kind == "customer.set" and not derive.VERDICT_FIELDS.isdisjoint(op.payload["fields"])}
        uids |= {op.payload["customer"] for op in batch if op.kind == "interaction.add"}
        # A retracted contact's customer as the row has it (its uid may have been merged into another since).
        self._touched.update(cid for (cid,) in db.select_in(
            self.conn, "SELECT customer_id FROM interactions WHERE uid IN (%s)",
            sorted(op.payload["uid"] for op in batch if op.kind == "interaction.retract")))
        ranked = {op.payload["uid"] for op in batch if op.kind in ("tag.add", "tag.remove")
                  and op.payload["tag"] in priority}
        for wanted, into in ((uids, self._touched), (ranked, self._reranked)):
            into.update(cid for (cid,) in db.select_in(self.conn, "SELECT id FROM customers WHERE uid IN (%s)",
                                                       sorted(wanted)))

    @_writes
    def apply_remote(self, batch: list[ops.Op]) -> int:
        """Apply ops from another replica (sync), whole or not at all; returns how many were new.

        An op that refers to what has not arrived yet waits (``ops._park``) and takes effect when it
        does. A batch holding an op stamped more than ``sync.max_clock_ahead_minutes`` ahead of this
        machine's clock is refused, naming the replica whose clock runs ahead."""
        if not batch:
            return 0
        bound = self.cfg.sync.max_clock_ahead_minutes * 60_000
        now = self._ms()
        newest = max(op.hlc for op in batch)  # the stamp furthest ahead: the one to check and to observe
        ahead = hlc.ahead_ms(newest, now)
        if ahead > bound:
            op = next(op for op in batch if op.hlc == newest)
            raise BadInput(
                f"an op by {op.actor} from replica {hlc.parse(op.hlc)[2]} is stamped {ahead / 60_000:,.0f} "
                f"minutes ahead of this machine's clock (the limit is sync.max_clock_ahead_minutes = "
                f"{self.cfg.sync.max_clock_ahead_minutes:g}): nothing was applied; set that machine's clock "
                "right (or this one's), then sync again")
        with self.batch():
            self._hlc.observe(newest, now)
            new = ops.record_many(self.conn, batch)
            # Merges do not depend on the order ops are applied in (the replication tests deliver in
            # every order): the ones that may create, merge or park go first, one by one, then the
            # plain tag, field and note ops whose customer and tag are here, a statement per kind.
            fast, _ = ops.ready_fresh(self.conn, [op for op in new if ops.fresh_ok(op.kind, op.payload)])
            taken = {op.op_id for op in fast}
            # Number changes last and newest first: a change its customer's later one overtook loses (and
            # merges no one) rather than meeting a number it held only for a moment.
            moving = sorted((op for op in new if op.kind == "customer.set" and "phone" in op.payload["fields"]),
                            key=lambda op: op.hlc, reverse=True)
            for op in [op for op in new if op not in moving] + moving:
                if op.op_id not in taken:
                    self._mark(op, ops.effect(self.conn, op))
            fast, late = ops.ready_fresh(self.conn, fast)  # the first ones may have merged a customer away
            self._apply_fresh(fast, recorded=True)
            for op in late:
                self._mark(op, ops.effect(self.conn, op))
            self._touched |= ops.retry_numbers(self.conn)
            for a, b in ops.merge_asks(self.conn):  # numbers that met here: every replica merges the two
                self._write("customer.merge", f"customer:{ops.resolve(self.conn, a)}", {"uids": [a, b]},
                            "one number, one customer: a phone change met a customer another replica made")
                self._touched.add(ops.customer_id(self.conn, a))
            if new:
                self.mark_refreshed()
        return len(new)

    def groundless_merges(self, batch: list[ops.Op]) -> list[ops.Op]:
        """The ``customer.merge`` ops of ``batch`` whose two customers never had a number in common, as this
        book and the batch itself tell (a replica asks for one only where two numbers met): a team server
        refuses them, so a rep's token cannot fold one customer into another at will."""
        merges = [op for op in batch if op.kind == "customer.merge"]
        if not merges:
            return []
        told: dict[str, set[str]] = {}
        for op in batch:
            p = op.payload
            if op.kind == "customer.create":
                told.setdefault(p["uid"], set()).add(p["phone"])
            elif op.kind == "customer.set" and p["fields"].get("phone"):
                told.setdefault(p["uid"], set()).add(p["fields"]["phone"])
            elif op.kind == "customers.import":
                for r in ops.import_rows(p):
                    told.setdefault(r["uid"], set()).add(r["phone"])

        def numbers(uid: str) -> set[str]:
            who = ops.resolve(self.conn, uid)
            group = {who, uid} | {u for (u,) in self.conn.execute("SELECT uid FROM aliases WHERE into_uid = ?", (who,))}
            out = {n for u in group for n in told.get(u, ())}
            out |= {n for row in self.conn.execute("SELECT phone, created_phone FROM customers WHERE uid = ?", (who,))
                    for n in row if n}
            out |= {n for (n,) in db.select_in(self.conn, "SELECT created_phone FROM aliases WHERE uid IN (%s)",
                                                sorted(group)) if n}
            for (payload,) in db.select_in(self.conn, "SELECT payload FROM ops WHERE kind = 'customer.set' AND "
                                           "entity IN (%s)", [f"customer:{u}" for u in sorted(group)]):
                out.add(json.loads(payload)["fields"].get("phone") or "")
            return out - {""}

        return [op for op in merges if not numbers(op.payload["uids"][0]) & numbers(op.payload["uids"][1])]

    def waiting(self) -> int:
        """How many ops from other replicas wait for what they refer to (``ops._park``)."""
        return ops.parked(self.conn)

    def vector(self) -> dict[str, int]:
        """What this book holds, as one number per replica: it holds every op that replica made up to that
        number. A peer given this vector returns exactly the ops this book lacks (``ops_since``)."""
        # Kept until a write here (``_end_batch``) or another connection's (``data_version``): a server
        # answers every pull with it, and counting it is a pass over the log's index.
        seen = self.data_version()
        if self._batch is None and self._held is not None and self._held[0] == seen:
            return dict(self._held[1])
        held: dict[str, int] = {}
        dropped = ops.horizon(self.conn)  # what compaction took out of the log counts as held
        for origin, top, count in self.conn.execute(_ORIGINS).fetchall():
            low = dropped.get(origin, 0)
            if low:
                top, count = self.conn.execute(_ABOVE, (origin, low)).fetchone()
                top = top or low
            if top - low == count:  # numbered from the horizon with no gap: the usual case, no further read
                held[origin] = top
            else:
                held[origin] = self.conn.execute(_FIRST_GAP, (origin, low)).fetchone()[0]
        for origin, low in dropped.items():
            held.setdefault(origin, low)
        if self._batch is None:
            self._held = (seen, dict(held))
        return held

    def ops_since(self, vector: dict[str, int], limit: int | None = None,
                  origins: set[str] | None = None) -> list[ops.Op]:
        """The numbered ops a peer whose ``vector`` this is lacks, in clock order (so each replica's ops
        arrive in the order it made them, and what an op refers to mostly comes before it); at most
        ``limit`` (the first by clock: of each replica, a run without gaps), of ``origins`` only if given."""
        dropped = ops.horizon(self.conn)
        behind = sorted(o for o, low in dropped.items() if vector.get(o, 0) < low and (origins is None or o in origins))
        if behind:
            raise ops.Behind(behind, self._compacted_text())
        rows: list = []
        for origin, top, _count in self.conn.execute(_ORIGINS).fetchall():
            if top > vector.get(origin, 0) and (origins is None or origin in origins):
                rows += self.conn.execute(_SINCE + " ORDER BY oseq LIMIT ?",
                                          (origin, vector.get(origin, 0), -1 if limit is None else limit)).fetchall()
        return sorted((ops.Op.from_row(r) for r in rows), key=lambda op: op.hlc)[:limit]

    def missing_from(self, other: "Book") -> list[ops.Op]:
        """The ops this book holds that ``other`` does not, oldest first: the numbered ones by ``other``'s
        vector, those written before numbering (book version 8) by id."""
        theirs = {r[0] for r in other.conn.execute("SELECT op_id FROM ops WHERE oseq IS NULL")}
        unnumbered = [r[0] for r in self.conn.execute("SELECT op_id FROM ops WHERE oseq IS NULL") if r[0] not in theirs]
        old = [ops.Op.from_row(r) for r in db.select_in(self.conn, ops.SELECT + " WHERE op_id IN (%s)", unnumbered)]
        return sorted(old + self.ops_since(other.vector()), key=lambda op: op.hlc)

    @_writes
    def heard_from(self, peer: str, vector: dict[str, int]) -> None:
        """Note what a peer said it holds. If it holds more of this replica's ops than this book does, this
        book was put back from an older copy of itself: it takes a new replica id before it numbers another
        op, so it never issues a number twice (the peer sends the lost ops back as that old replica's)."""
        with self.batch("a sync"):
            mine = self.replica_id()
            if vector.get(mine, 0) > self._own_top(mine):
                self._take_id(mine, self.own_origins())
            self.acknowledged(peer, vector)

    @_writes
    def acknowledged(self, peer: str, vector: dict[str, int]) -> None:
        """Keep what a peer said it holds, and when: compaction (``compact``) waits for it."""
        with self.batch("a sync"):
            self.conn.execute("INSERT OR REPLACE INTO peers (peer, vector, seen_at) VALUES (?, ?, ?)",
                              (peer, json.dumps(vector, sort_keys=True), db.iso(self.now())))

    def _forked_from(self, other: "Book") -> None:
        """This book was put back from an older copy of itself and numbered new ops again: both books hold
        one of its ids' number n as different ops (when as many were written as the restore lost, the
        counts agree: a sync moved nothing and the two differed for good). Compared at the lower of the two
        tops, for every id this file has issued under: from the first differing number on, this book's ops
        are renumbered under a fresh id (``renumber_from``), so the peer's originals come back and nothing
        is lost either side."""
        for origin in sorted(self.own_origins()):
            top = min(self._own_top(origin), other._own_top(origin))
            here, there = self.op_at(origin, top), other.op_at(origin, top)
            if not top or here == there or here is None or there is None:  # None: compacted, nothing to compare
                continue
            sql = "SELECT oseq, op_id FROM ops WHERE origin = ? AND oseq <= ?"
            theirs = dict(other.conn.execute(sql, (origin, top)))
            self.renumber_from(origin, min(n for n, op_id in self.conn.execute(sql, (origin, top))
                                           if theirs.get(n, op_id) != op_id))

    def fork_probe(self, origins_tops: dict[str, int]) -> dict[str, tuple[int, int]]:
        """For each of this file's own ids, the numbers a peer (holding up to ``origins_tops``) may be asked
        about: (the first this log still holds, the lower of the two tops). A team server's client compares
        the ops there with the server's (``io.remote.heal_fork``)."""
        dropped = ops.horizon(self.conn)
        out = {}
        for origin in sorted(self.own_origins()):
            top = min(self._own_top(origin), origins_tops.get(origin, 0))
            if top > dropped.get(origin, 0) and self.op_at(origin, top) is not None:
                out[origin] = (dropped.get(origin, 0) + 1, top)
        return out

    @_writes
    def renumber_from(self, origin: str, fork: int) -> None:
        """This book's ops of ``origin`` from number ``fork`` on are not the peer's under those numbers (the
        book was put back from an older copy of itself): they take a fresh id's next numbers, so the peer's
        originals come back under the old numbers and these go out as new."""
        with self.batch("a sync: this book was put back from an older copy of itself"):
            if self.replica_id() == origin:
                self._take_id(origin, self.own_origins())
            start = self._own_top(self._replica)
            redo = [op_id for (op_id,) in self.conn.execute(
                "SELECT op_id FROM ops WHERE origin = ? AND oseq >= ? ORDER BY oseq", (origin, fork))]
            self.conn.execute("UPDATE ops SET oseq = NULL WHERE origin = ? AND oseq >= ?", (origin, fork))
            self.conn.executemany("UPDATE ops SET origin = ?, oseq = ? WHERE op_id = ?",
                                  [(self._replica, start + n, op_id) for n, op_id in enumerate(redo, 1)])
            self._oseq = None

    def op_at(self, origin: str, oseq: int) -> str | None:
        """The id of ``origin``'s op number ``oseq`` in this log (None: never here, or compacted)."""
        row = self.conn.execute("SELECT op_id FROM ops WHERE origin = ? AND oseq = ?", (origin, oseq)).fetchone()
        return row[0] if row else None

    def peer_vector(self, peer: str) -> dict[str, int]:
        """What ``peer`` last said it holds ({} if never heard from): a replica offline since knows from it
        how many of its own ops wait to go up."""
        row = self.conn.execute("SELECT vector FROM peers WHERE peer = ?", (peer,)).fetchone()
        return json.loads(row[0]) if row else {}

    def _own_top(self, origin: str) -> int:
        """The highest number of ``origin``'s ops this book has held, compacted ones included."""
        top = self.conn.execute("SELECT max(oseq) FROM ops WHERE origin = ?", (origin,)).fetchone()[0] or 0
        return max(top, ops.horizon(self.conn).get(origin, 0))

    def sync_with(self, other: "Book", *, chunk: int = 500) -> tuple[int, int]:
        """Exchange ops with another book both ways (a laptop copy and the team file): (sent, received).
        Each direction applies whole or not at all; running it again moves nothing."""
        self._forked_from(other)
        other._forked_from(self)
        self.heard_from(other.replica_id_or_new(), other.vector())
        other.heard_from(self.replica_id_or_new(), self.vector())
        try:
            received = other.missing_from(self)
        except ops.Behind as exc:
            self._rejoin(other, exc, chunk)
        try:
            sent = self.missing_from(other)
        except ops.Behind as exc:
            other._rejoin(self, exc, chunk)
        for part in db.chunks(received, chunk):
            self.apply_remote(part)
        for part in db.chunks(sent, chunk):
            other.apply_remote(part)
        return len(sent), len(received)

    def _rejoin(self, ahead: "Book", exc: "ops.Behind", chunk: int) -> None:
        """This book was away longer than ``ahead`` keeps its log: its changes go there, then it is told to
        start again from it (raises)."""
        taken = self.missing_from(ahead)
        for part in db.chunks(taken, chunk):
            ahead.apply_remote(part)
        raise ops.Behind(exc.origins, exc.through,
                         f"{self.path} was away longer than {ahead.path} keeps its log (it lacks changes compacted "
                         f"there, up to {exc.through}): its {len(taken):,} change(s) were taken into {ahead.path}; "
                         f"start it again from there: wtui clone {ahead.path} NEW.db") from None

    @_writes
    def compact(self) -> Compaction:
        """Drop from the log the ops that every peer heard from in ``sync.peer_wait_days`` holds (their
        effects are in the tables) and that are older than ``sync.log_keep_days`` (the change log and undo
        read them until then). A duplicate of a dropped op is known by its number (``log_horizon``); a peer
        away longer that lacks one is told to start again from a snapshot (``ops.Behind``). Parked ops stay
        (they have not taken effect). Not an op: each file compacts its own log. ``rehearsal`` for a dry run."""
        cfg = self.cfg.sync
        now = self.now()
        cutoff = hlc.stamp(int((now - timedelta(days=cfg.log_keep_days)).timestamp() * 1000), 0, "")
        waited = db.iso(now - timedelta(days=cfg.peer_wait_days))
        with self.batch("log compaction"):
            peers = self.conn.execute("SELECT peer, vector, seen_at FROM peers ORDER BY peer").fetchall()
            counted = [json.loads(v) for _, v, seen in peers if seen >= waited]
            # This file's own ops go only once some peer, however long ago, said it holds them: nowhere
            # else has them before (a laptop offline for months keeps its edits).
            sent = [json.loads(v) for _, v, _ in peers]
            mine = self.own_origins()
            dropped, before = 0, ops.horizon(self.conn)
            for origin, top in sorted(self.vector().items()):
                low = before.get(origin, 0)
                upto = min([top] + [v.get(origin, 0) for v in counted])
                if origin in mine:
                    upto = min(upto, max([v.get(origin, 0) for v in sent], default=0))
                # Never past an op young enough to keep (a replica numbers its ops in the order it stamps them).
                young = self.conn.execute(_YOUNG, (origin, low, upto, cutoff)).fetchone()[0]
                upto = young - 1 if young is not None else upto
                if upto <= low:
                    continue
                newest = self.conn.execute(_NEWEST, (origin, low, upto)).fetchone()[0] or ""
                dropped += self.conn.execute(_DROP, (origin, low, upto)).rowcount
                self.conn.execute(_HORIZON, (origin, upto, newest))
        from wtui.book.records import Compaction

        return Compaction(dropped, self.ops_count(), self.compacted_through(),
                          sorted(p for p, _, seen in peers if seen >= waited),
                          sorted(p for p, _, seen in peers if seen < waited))

    def ops_count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM ops").fetchone()[0]

    def compacted_through(self) -> datetime | None:
        """The newest change compaction dropped from this log (None: nothing was): the change log and undo
        reach back to just after it."""
        top = self.conn.execute("SELECT max(hlc) FROM log_horizon").fetchone()[0]
        return datetime.fromtimestamp(hlc.parse(top)[0] / 1000, timezone.utc) if top else None

    def _compacted_text(self) -> str:
        through = self.compacted_through()
        return through.strftime("%Y-%m-%d %H:%M UTC") if through else "the start"

    def replica_id_or_new(self) -> str:
        """This replica's id, taking one (a write) if it has none yet."""
        if self._replica is None:
            with self.batch("a sync"):
                return self.replica_id()
        return self._replica

    def clone(self, target: str | Path) -> Path:
        """A consistent copy of this book (SQLite's backup, safe while others write), to start a replica
        from: it takes a replica id of its own at its first write."""
        target = Path(target)
        if not target.parent.is_dir():
            raise BadInput(f"{target}: no directory {target.parent}")
        if target.exists():
            raise BadInput(f"{target} exists: a clone never overwrites a file")
        db.create_file(target, self.cfg.book.shared)
        dest = sqlite3.connect(target)
        try:
            self.conn.backup(dest)
            for table in ("replica", "peers", "users", "replica_owners"):  # fixed names: this file's own, not shared
                dest.execute("DELETE FROM %s" % table)
            dest.execute("INSERT INTO replica (key, value) VALUES ('cloned_from', ?)", (str(self.path),))  # to sync
            dest.commit()
        finally:
            dest.close()
        return target

    # -- the team server's users (wtui serve; never replicated) ---------------------
    # Each method imports book.users: only the server calls them, and the app's start does not load it.

    @_writes
    def add_user(self, name: str, role: str) -> str:
        """A user of the team server; returns their token (shown once, only its hash is kept). An admin
        is also made an admin of the book (a replicated setting), so every replica's own check agrees
        with the server's. Whoever may write the server's book file manages its users."""
        from wtui.book import users

        with self.batch(f"add user {name}"):
            token = users.add(self.conn, name, role, db.iso(self.now()))
            if role == "admin" and name not in self.admins():
                self._write("settings.set", "settings", {"key": "admins", "value": sorted({*self.admins(), name})},
                            f"{name} is an admin of the team server")
        return token

    @_writes
    def revoke_user(self, name: str) -> None:
        """Their token stops working at once; an admin stops being one."""
        from wtui.book import users

        with self.batch(f"revoke user {name}"):
            users.revoke(self.conn, name, db.iso(self.now()))
            if name in self.admins():
                self._write("settings.set", "settings", {"key": "admins",
                                                         "value": sorted(set(self.admins()) - {name})},
                            f"{name}'s server access was revoked")

    def list_users(self) -> list["users.User"]:
        from wtui.book import users

        return users.all_users(self.conn)

    def user_for_token(self, token: str) -> "users.User | None":
        from wtui.book import users

        return users.by_token(self.conn, token)

    def reps(self) -> set[str]:
        """Every rep this book knows: owners of its customers, its admins and team-server users, and
        whoever is writing now (so a new rep may take a customer)."""
        known = {o for (o,) in self.conn.execute("SELECT DISTINCT owner FROM customers WHERE owner != ''")}
        known |= {n for (n,) in self.conn.execute("SELECT name FROM users WHERE revoked_at IS NULL")}
        return known | set(self.admins()) | {self.actor}

    def replica_owner(self, origin: str) -> str | None:
        """The user a replica id is bound to on a team server (None: not bound yet)."""
        from wtui.book import users

        return users.owner(self.conn, origin)

    def origins_of_others(self, origins: set[str], user: str) -> dict[str, str]:
        """Of these replica ids, those bound to another user (see ``users.claim``; binds the new ones to
        ``user``, inside the caller's batch). The server's own ids are its own, never a user's."""
        from wtui.book import users

        own = {o: "the team server" for o in origins & self.own_origins()}
        return own | users.claim(self.conn, origins - set(own), user, db.iso(self.now()))

    # -- derived state ------------------------------------------------------------

    def refresh_stale(self, recomputing: Progress | None = None, *, whole: bool = True) -> int:
        """Recompute verdicts that time or a config change made stale (none on a read-only book).
        A whole-book recompute (a config change) happens only when ``whole``; otherwise it is left
        due (``recompute_due``) and the stored verdicts stand until someone does it."""
        if self.readonly:
            return 0
        now = self.now()
        self.recompute_due = (derive.derived_with(self.conn) != self.cfg.fingerprint()
                              or derive.ahead(self.conn, now))
        if self.recompute_due:
            if not whole:
                return 0
            done = derive.refresh_all(self.conn, now, self.cfg, write=lambda: db.write(self.conn, self.busy_wait),
                                      progress=recomputing)
            self.recompute_due = False
            return done
        try:
            if not derive.stale(self.conn, now):  # a plain read first: most opens need no write lock
                return 0
            with db.write(self.conn, self.busy_wait):
                return derive.refresh(self.conn, derive.stale(self.conn, now), now, self.cfg)
        except sqlite3.OperationalError as exc:
            raise BookBusy(f"{self.path} is busy ({exc}): another process is writing to it") from None

    def queue(self, limit: int | None = None, offset: int = 0, *, explained: bool = False, search: str = "",
              counts: bool = True, now: datetime | None = None, windows_memo: dict | None = None,
              within: "str | query.Node | None" = None, mine: bool = False, whole: bool = False) -> "reads.Queue":
        """Today's queue at this moment, or at ``now``, optionally only customers matching a query;
        ``mine``: only this rep's customers and the unassigned; ``whole``: every customer, due or not."""
        return reads.queue(self.conn, self.cfg, now or self.now(), limit=limit or self.cfg.queue.limit, offset=offset,
                           explained=explained, search=search, counts=counts, windows_memo=windows_memo,
                           within=self.compile(within) if within else None, mine=self.actor if mine else None,
                           whole=whole)

    def queue_uids(self, search: str = "", within: "str | query.Node | None" = None, mine: bool = False,
                   now: datetime | None = None, whole: bool = False) -> list[str]:
        """Every uid in today's (narrowed) queue, or the whole book, in order."""
        return reads.queue_uids(self.conn, self.cfg, now or self.now(), search=search,
                                within=self.compile(within) if within else None, mine=self.actor if mine else None,
                                whole=whole)

    def compile(self, q: "str | query.Node") -> tuple[str, list]:
        """A query as SQL selecting customer ids, planned for this book."""
        from wtui.book import segments  # the query language loads only when a query runs

        return segments.plan(self.conn, self._node(q), self.query_fields, self.now(), self.actor)

    def position(self, uid: str, search: str = "", within: "str | query.Node | None" = None,
                 mine: bool = False, whole: bool = False) -> int | None:
        return reads.position(self.conn, self.cfg, self.now(), uid, search=search,
                              within=self.compile(within) if within else None, mine=self.actor if mine else None,
                              whole=whole)

    def card(self, uid: str) -> "around.Card":
        from wtui.book import around

        found = around.card(self.conn, uid)
        if found is None:
            raise NotFound(f"no customer {uid!r}")
        return found

    def progress(self, due: int, mine: bool = False) -> "around.Progress":
        from wtui.book import around

        return around.progress(self.conn, self.cfg, self.now(), due, mine=self.actor if mine else None)

    def team_signals(self) -> "around.TeamSignals":
        from wtui.book import around

        return around.team_signals(self.conn, self.cfg)

    def queue_zones(self) -> list[str]:
        return reads.queue_zones(self.conn, self.cfg, end_of_day(self.now(), reads.rep_zone(self.cfg)))

    def explain(self, uid: str) -> list["Line"]:
        """Why this customer sits where they sit in the queue, one line per factor."""
        cid = self._require(uid)
        row = self.conn.execute(
            """SELECT COALESCE(c.tz_override, c.tz), c.region, p.note, c.golden_hour FROM customers c
               LEFT JOIN preferences p ON p.customer_id = c.id WHERE c.id = ?""", (cid,)).fetchone()
        now = self.now()
        zone = reads.rep_zone(self.cfg)
        state = windows.state(now, row[0] or "UTC", safe_pref(row[2]), row[1] or "", self.cfg.windows,
                              self.cfg.regions, row[3])
        return list(reads.explain(self.conn, self.cfg, now, [cid], {cid: state}, zone)[cid])

    def batch_changed(self, batch_id: str) -> bool:
        """Did this batch write anything (an action that changed nothing leaves nothing to undo)?"""
        return self.conn.execute("SELECT 1 FROM ops WHERE batch = ? LIMIT 1", (batch_id,)).fetchone() is not None

    def data_version(self) -> int:
        """Changes whenever another connection commits to the file; BookBusy while one holds it."""
        try:
            return self.conn.execute("PRAGMA data_version").fetchone()[0]
        except sqlite3.OperationalError as exc:
            raise BookBusy(f"{self.path} is busy ({exc}): another process is writing to it") from None

    # -- settings -----------------------------------------------------------------

    def _same_currency(self) -> None:
        """Money goes in in the book's currency (``settings`` 'currency', set when the book was made): a
        config that says another is refused before anything is written, or amounts in two currencies
        would add up unlabelled. A book made before it was kept counts in the config's."""
        book = self.setting("currency")
        if book and book != self.cfg.spend.currency:
            raise BadInput(f"this book counts money in {book}, and the config says spend.currency = "
                           f"{self.cfg.spend.currency}: set it to {book} (with that currency's tiers and "
                           f"spend.rates), or keep {self.cfg.spend.currency} amounts in a book of their own")

    def setting(self, key: str, default: Any = None) -> Any:
        row = self.conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def admins(self) -> list[str]:
        return list(self.setting("admins", None) or self.cfg.book.admins)

    def is_admin(self, who: str | None = None) -> bool:
        return (who or self.actor) in self.admins()

    def require_admin(self, what: str) -> None:
        """Refuse, naming who to ask, unless this rep is an admin: ``what`` completes "only admins ..."."""
        if not self.is_admin():
            raise PermissionDenied(f"only admins {what}; {self._ask_admin()}")

    def _ask_admin(self) -> str:
        """Who to ask; on a book with none (one an import started), how to name one, not "ask an admin"."""
        admins = self.admins()
        if admins:
            return f"ask {', '.join(admins)}"
        return (f"this book has none yet: name them in the team config ([book] admins = [\"{self.actor}\"]; "
                "`wtui locate` shows where it is) or make one with `wtui serve add-user NAME --role admin`")

    @_writes
    def set_admins(self, names: list[str], reason: str = "") -> None:
        current = self.admins()
        if current and not self.is_admin():
            raise PermissionDenied(f"only an admin ({', '.join(current)}) may change who the admins are")
        self._write("settings.set", "settings", {"key": "admins", "value": sorted(set(names))}, reason)

    # -- customers ----------------------------------------------------------------

    @property
    def detector(self) -> Detector:
        if self._detector is None:
            from wtui.core.keywords import Detector  # loaded with the first message read, not at every open

            self._detector = Detector(self.cfg.keywords)
        return self._detector

    @_writes
    def add_customer(self, phone: "str | phones.Phone", name: str = "", *, region: str | None = None,
                     tz: str | None = None, language: str = "", source: str = "", owner: str = "",
                     consent: bool = False, reason: str = "") -> str:
        """Add a customer by phone (any typed form, or a number already checked); returns their uid."""
        from wtui.core import phone as phones  # phonenumbers costs ~25 ms: only writers pay it

        p = phone if isinstance(phone, phones.Phone) else phones.normalize(
            phone, self.cfg.book.default_region, {k: r.name for k, r in self.cfg.regions.items()})
        held = self.conn.execute("SELECT phone FROM customers WHERE phone = ? OR created_phone = ? UNION ALL "
                                 "SELECT c.phone FROM aliases a JOIN customers c ON c.uid = a.into_uid "
                                 "WHERE a.created_phone = ?", (p.e164, p.e164, p.e164)).fetchone()
        if held:  # a customer created with the number and since moved to another is that customer too
            raise BadInput(f"{p.e164} is already in the book" + (f" (as {held[0]}, the number they changed to)"
                                                                  if held[0] != p.e164 else ""))
        uid = uuid.uuid4().hex
        payload = {
            "uid": uid, "phone": p.e164, "name": name, "region": region or p.region,
            "tz": tz or phones.home_zone(p.zones, p.region, self.cfg.zones), "language": language, "source": source,
            "owner": owner, "consent": bool(consent), "created_at": db.iso(self.now()),
        }
        self._write("customer.create", f"customer:{uid}", payload, reason)
        return uid

    @_writes
    def customer_for_wa_id(self, wa_id: str, name: str = "", *, reason: str = "") -> tuple[str, bool]:
        """The customer a WhatsApp id belongs to, added when new: (uid, created). Mexican ``521...`` and
        Brazilian 8-digit ids find the customer under the canonical number (``phone.from_wa_id``); an id
        phonenumbers does not know yet is kept as +digits, its source saying the number is unverified."""
        from wtui.core import phone as phones

        p, verified = phones.from_wa_id(wa_id, {k: r.name for k, r in self.cfg.regions.items()})
        row = self.conn.execute("SELECT uid, wa_id FROM customers WHERE phone = ?", (p.e164,)).fetchone()
        if row:
            uid, created, held = row[0], False, row[1]
        else:
            source = "whatsapp" if verified else "whatsapp (number unverified: not in phonenumbers' data yet)"
            uid, created, held = self.add_customer(p, name, source=source, reason=reason), True, None
        # Sends go to the id WhatsApp knows; it is kept only where it is not the number's own digits.
        wanted = wa_id.lstrip("+") if wa_id.lstrip("+") != p.e164[1:] else None
        if wanted != held and (wanted or held):
            self._set(uid, {"wa_id": wanted}, reason)
        return uid, created

    def find(self, key: str) -> str:
        """A customer's uid from their uid, any form of their phone number, or a name only one customer
        has (exactly, else as a part of it; any case). An ambiguous name is refused, naming who it fits."""
        key = key.strip()
        if self.conn.execute("SELECT 1 FROM customers WHERE uid = ?", (key,)).fetchone():
            return key
        from wtui.core import phone as phones

        try:
            e164 = phones.normalize(key, self.cfg.book.default_region).e164
        except BadInput:
            digits = re.sub(r"\D", "", key).lstrip("0")  # a national trunk 0 is not part of the E.164 number
            if _TYPED_NUMBER.fullmatch(key) and len(digits) >= 6:
                found = self._by_national_number(key, digits)
                if found:
                    return found
            return self._named(key)
        row = self.conn.execute("SELECT uid FROM customers WHERE phone = ?", (e164,)).fetchone()
        if not row:
            raise NotFound(f"no customer with number {e164}")
        return row[0]

    def _by_national_number(self, key: str, digits: str) -> str | None:
        """A number typed without its country code (and no book.default_region to read it by): the one
        customer whose number is a country code and then exactly these digits; None when no one's is."""
        from wtui.core import phone as phones

        found = [row for row in self.conn.execute(
            "SELECT uid, name, phone FROM customers WHERE phone LIKE ? ORDER BY id", ("%" + digits,))
            if phones.national_digits(row[2]) == digits]  # all of the number after its country code, not a tail
        if len(found) == 1:
            return found[0][0]
        if found:
            listed = "; ".join(f"{n} {p}" for _, n, p in found[:10]) + ("; ..." if len(found) > 10 else "")
            raise BadInput(f"{key!r} fits {len(found)} customers' numbers in several countries: {listed}. "
                           "Give it with + and the country code")
        return None

    def _named(self, name: str) -> str:
        if not name:
            raise BadInput("which customer? give a number, a uid or a name")
        # A number-like key names a customer only by their whole name: "0" wrote to a name holding a 0.
        partly = () if _TYPED_NUMBER.fullmatch(name) else (
            ("SELECT uid, name, phone FROM customers WHERE name LIKE ? ESCAPE '\\' ORDER BY id LIMIT 11",
             like_contains(name)),)
        for sql, arg in (("SELECT uid, name, phone FROM customers WHERE name = ? COLLATE NOCASE ORDER BY id LIMIT 11",
                          name), *partly):
            found = self.conn.execute(sql, (arg,)).fetchall()
            if len(found) == 1:
                return found[0][0]
            if found:
                listed = "; ".join(f"{n} {p}" for _, n, p in found[:10]) + ("; ..." if len(found) > 10 else "")
                raise BadInput(f"{name!r} fits {'more than 10' if len(found) > 10 else len(found)} customers: "
                               f"{listed}. Give the number instead")
        if _TYPED_NUMBER.fullmatch(name):
            raise NotFound(f"no customer with the number {name!r}: a number without its country code is read "
                           "by book.default_region (unset here); write it with + and the country code")
        raise NotFound(f"no customer named {name!r} (nor a number or uid)")

    def last_batch(self, actor: str | None = None, skip: Sequence[str] = (), *, undoable: bool = False) -> str | None:
        """The newest batch ``actor`` (this book's by default) made that is not itself an undo, nor undone,
        nor one of ``skip``; ``undoable``: one holding more than what an undo leaves (new tags, segments)."""
        kept = sorted(undo_ops.KEPT) if undoable else ["book.seed"]
        skip = list(skip)
        row = self.conn.execute(
            "SELECT batch FROM ops WHERE actor = ? AND batch IS NOT NULL AND kind NOT IN (%s) "
            "AND coalesce(reason, '') NOT LIKE 'undo%%' AND batch NOT IN "
            "(SELECT substr(reason, 13) FROM ops WHERE actor = ? AND reason LIKE 'undo: batch %%') "
            "AND batch NOT IN (%s) ORDER BY seq DESC LIMIT 1" % (",".join("?" * len(kept)), ",".join("?" * len(skip))),
            (actor or self.actor, *kept, actor or self.actor, *skip)).fetchone()
        return row[0] if row else None

    def batch_said(self, batch_id: str) -> str:
        """What a batch did, in words: its reason when it has one ("import-orders x.csv"), else its first change
        ("note: call after 5"), with how many more."""
        from wtui.core.changes import describe

        rows = self.conn.execute("SELECT kind, payload, reason FROM ops WHERE batch = ? ORDER BY seq LIMIT 2",
                                 (batch_id,)).fetchall()
        if not rows:
            return ""
        kind, payload, reason = rows[0]
        more = self.conn.execute("SELECT count(*) FROM ops WHERE batch = ?", (batch_id,)).fetchone()[0] - 1
        return (reason or describe(kind, json.loads(payload))) + (f" and {more:,} more" if more else "")

    def has_batch(self, batch_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM ops WHERE batch = ? LIMIT 1", (batch_id,)).fetchone() is not None

    def _require(self, uid: str) -> int:
        cid = ops.customer_id(self.conn, uid)
        if cid is None:
            raise NotFound(f"no customer {uid!r}")
        return cid

    def _set(self, uid: str, fields: dict[str, Any], reason: str, skip_same: bool = False) -> ops.Op | None:
        cid = self._require(uid)
        old = undo_ops.current_fields(self.conn, cid, fields)
        if skip_same:
            fields = {f: v for f, v in fields.items() if old.get(f) != v}
            if not fields:
                return None
            old = {f: old[f] for f in fields}
        return self._write("customer.set", f"customer:{uid}", {"uid": uid, "fields": fields, "old": old}, reason)

    @_writes
    def set_field(self, uid: str, field: str, value: Any, reason: str = "") -> None:
        if field not in ops.CUSTOMER_FIELDS or field.startswith(("override_", "consent_")) or field == "preference":
            raise BadInput(f"{field!r} cannot be set directly")
        if field == "consent":
            self.set_consent(uid, bool(value), self.now(), f"set by {self.actor}", reason)
            return
        if field == "phone":
            from wtui.core import phone as phones

            value = phones.normalize(str(value), self.cfg.book.default_region).e164
            other = self.conn.execute("SELECT uid FROM customers WHERE phone = ?", (value,)).fetchone()
            if other and other[0] != uid:
                raise BadInput(f"{value} belongs to another customer")
        if field == "tz_override" and value:
            from wtui.core.windows import zone

            if zone(value).key != value:
                raise BadInput(f"{value!r} is not a time zone (e.g. America/Sao_Paulo)")
        self._set(uid, {field: value}, reason)

    @_writes
    def rezone(self, reason: str = "zones by country ([zones])") -> list[tuple[str, str, str, str]]:
        """Give each customer the zone their number gives now (``phone.home_zone``: a country's main zone of
        several, the tz database's current names), where the zone they have came from their number by an
        older rule (one of its candidates, or a retired spelling of one): (uid, name, was, now) of each,
        as one batch (one undo). A zone a rep set by hand (tz=, ``tz_override``) is never touched."""
        from wtui.core import phone as phones

        old_names = {new: old for old, new in phones.RENAMED.items()}
        changes = []
        for uid, name, e164, region, tz in self.conn.execute(
                "SELECT uid, name, phone, region, tz FROM customers ORDER BY id").fetchall():
            candidates = phones.zones_for(e164)
            now = phones.home_zone(candidates, region or "", self.cfg.zones)
            derived = {*candidates, *(old_names[z] for z in candidates if z in old_names)}
            if tz != now and tz in derived:
                changes.append((uid, name or "", tz, now))
        for uid, _, _, now in changes:
            self._set(uid, {"tz": now}, reason)
        return changes

    @_writes
    def set_consent(self, uid: str, consent: bool, at: datetime, source: str, reason: str = "") -> bool:
        """Marketing consent as of ``at``, saying where it came from (a WhatsApp stop, an import, a rep).
        News older than what the book holds changes nothing (a redelivered stop never undoes a later
        resume): returns whether it was taken."""
        cid = self._require(uid)
        (held,) = self.conn.execute("SELECT consent_at FROM customers WHERE id = ?", (cid,)).fetchone()
        if held and db.parse_iso(held) >= at:
            return False
        self._set(uid, {"consent": int(consent), "consent_at": db.iso(at), "consent_source": source}, reason)
        return True

    @_writes
    def set_preference(self, uid: str, note: str, reason: str = "") -> str:
        """Store a preference note; returns its canonical form."""
        pref = parse_note(note)
        canonical = format_note(pref)
        value = {
            "note": canonical, "format": pref.format,
            "time": format_time(pref) if (pref.preset or pref.windows) else "",
            "frequency": format_frequency(pref.frequency) if pref.frequency else "",
        } if canonical else None
        self._set(uid, {"preference": value}, reason)
        return canonical

    @_writes
    def set_color(self, uid: str, color: str, until: datetime | None = None, reason: str = "") -> None:
        """A manual colour, until ``until`` (or for good); '' clears it."""
        if color and color not in COLORS:
            raise BadInput(f"colour must be one of {', '.join(COLORS)}")
        self._set(uid, {"override_color": color or None, "override_until": db.iso(until) if color else None,
                        "override_set_at": db.iso(self.now()) if color else None}, reason)

    @_writes
    def set_intent(self, uid: str, intent: str, reason: str = "") -> None:
        if intent and intent not in INTENTS:
            raise BadInput(f"intent must be one of {', '.join(INTENTS)}")
        self._set(uid, {"override_intent": intent or None}, reason)

    # -- tags -------------------------------------------------------------------------

    @_writes
    def create_tag(self, name: str, dimension: str = "", color: str = "", description: str = "",
                   reason: str = "") -> None:
        """A new tag, named as the playbook names them (§7): Dimension-Value, both parts there. Tags an
        import or the rules bring are taken as their files name them (``_new_tag``)."""
        self.require_admin("create tags")
        _check_colour(color)  # one typed now; a rename keeps the old tag's, whatever an older book held
        self._named_tag(name, dimension, color, description, reason)

    def _named_tag(self, name: str, dimension: str = "", color: str = "", description: str = "",
                   reason: str = "") -> None:
        if not _TAG_NAME.fullmatch(name):
            raise BadInput(f"tag {name!r}: name it Dimension-Value, like Interest-Beauty or Stage-Purchased "
                           "(letters and digits, the parts joined by hyphens)")
        self._new_tag(name, dimension, color, description, reason)

    def _new_tag(self, name: str, dimension: str = "", color: str = "", description: str = "",
                 reason: str = "") -> None:
        limit = self.cfg.tags.max_length
        if not name or len(name) > limit or any(ch.isspace() or not ch.isprintable() for ch in name):
            raise BadInput(f"tag {name!r}: 1-{limit} printable characters, no spaces (Dimension-Value)")
        if ops.tag_id(self.conn, name) is not None:
            raise BadInput(f"tag {name!r} already exists")
        dim = dimension or name.split("-", 1)[0]
        payload = {"name": name, "dimension": dim, "color": color or self.cfg.dimensions.get(dim, ""),
                   "description": description, "at": db.iso(self.now())}
        self._write("tag.create", f"tag:{name}", payload, reason)

    @_writes
    def set_tag(self, name: str, reason: str = "", **fields: Any) -> None:
        """Change a tag's dimension, colour, description or archived flag (admins; last writer wins)."""
        self.require_admin("change tags")
        unknown = set(fields) - ops.TAG_FIELDS
        if unknown:
            raise BadInput(f"a tag has no {', '.join(sorted(unknown))} (only {', '.join(sorted(ops.TAG_FIELDS))})")
        if "color" in fields:
            _check_colour(fields["color"])
        tag = self._tag(name)
        row = self.conn.execute("SELECT dimension, color, description, archived FROM tags WHERE name = ?",
                                (tag,)).fetchone()
        was = dict(zip(("dimension", "color", "description", "archived"), row, strict=True))
        was["archived"] = bool(was["archived"])
        # What it was, so an undo (of a merge, an archive) can put it back.
        self._write("tag.set", f"tag:{tag}", {"name": tag, "fields": fields, "old": {f: was[f] for f in fields}},
                    reason)

    @_writes
    def delete_tag(self, name: str, reason: str = "", progress: Progress | None = None) -> int:
        """Take a tag off every customer who has it and archive it: one batch (one undo). The tag stays in
        the log, archived, so the change log still reads and an undo brings everything back. Returns
        how many customers lost it."""
        self.require_admin("delete tags")
        tag = self._tag(name)
        with self.batch(reason or f"tag {tag} deleted"):
            ids = [cid for (cid,) in self.conn.execute(
                "SELECT customer_id FROM customer_tags WHERE tag_id = ? AND present = 1 ORDER BY customer_id",
                (ops.tag_id(self.conn, tag),))]
            self.bulk(ids, remove=(tag,), reason=reason or f"tag {tag} deleted", progress=progress)
            self.set_tag(tag, reason or "deleted", archived=True)
        return len(ids)

    def merge_preview(self, source: str, into: str) -> tuple[int, int]:
        """What merging ``source`` into ``into`` would do: (customers who gain ``into``, customers who
        lose ``source``). Reads only."""
        old = self._tag(source)
        lose = self.conn.execute("SELECT count(*) FROM customer_tags WHERE tag_id = ? AND present = 1",
                                 (ops.tag_id(self.conn, old),)).fetchone()[0]
        target = ops.tag_id(self.conn, into)
        has = 0 if target is None else self.conn.execute(
            "SELECT count(*) FROM customer_tags a JOIN customer_tags b ON b.customer_id = a.customer_id "
            "WHERE a.tag_id = ? AND a.present = 1 AND b.tag_id = ? AND b.present = 1",
            (ops.tag_id(self.conn, old), target)).fetchone()[0]
        return lose - has, lose

    @_writes
    def merge_tag(self, source: str, into: str, reason: str = "", progress: Progress | None = None) -> int:
        """Everyone tagged ``source`` gets ``into`` instead, and ``source`` is archived: one batch (one
        undo). ``into`` is created like ``source`` when it does not exist (a rename). Returns how many
        customers moved."""
        self.require_admin("merge tags")
        old = self._tag(source)
        if old.lower() == into.lower():
            raise BadInput(f"{old} into itself: nothing to merge")
        with self.batch(reason or f"tag {old} merged into {into}"):
            if ops.tag_id(self.conn, into) is None:
                row = self.conn.execute("SELECT dimension, color, description FROM tags WHERE name = ?",
                                        (old,)).fetchone()
                self._named_tag(into, dimension=row[0] if into.split("-", 1)[0] == old.split("-", 1)[0] else "",
                                color=row[1], description=row[2], reason=reason)
            ids = [cid for (cid,) in self.conn.execute(
                "SELECT customer_id FROM customer_tags WHERE tag_id = ? AND present = 1 ORDER BY customer_id",
                (ops.tag_id(self.conn, old),))]
            self.bulk(ids, add=(self._tag(into),), remove=(old,), reason=reason or f"merged into {into}",
                      progress=progress)
            self.set_tag(old, reason, archived=True)
        return len(ids)

    def _tag(self, name: str) -> str:
        row = self.conn.execute("SELECT name, archived FROM tags WHERE name = ? COLLATE NOCASE", (name,)).fetchone()
        if not row:
            who = "" if self.is_admin() else "; only admins create tags"  # an admin was told that too
            raise NotFound(f"unknown tag {name!r} (wtui tags list shows them{who})")
        return row[0]

    @_writes
    def add_tag(self, uid: str, tag: str, reason: str = "") -> None:
        self._tag_op("tag.add", uid, tag, reason)

    @_writes
    def remove_tag(self, uid: str, tag: str, reason: str = "") -> None:
        self._tag_op("tag.remove", uid, tag, reason)

    @_writes
    def toggle_tag(self, uid: str, tag: str, reason: str = "") -> bool:
        """Add the tag if missing, remove it if present; True when it is now present."""
        name = self._tag(tag)
        present = name in self.tags_of(uid)
        self._tag_op("tag.remove" if present else "tag.add", uid, name, reason)
        return not present

    def _tag_op(self, kind: str, uid: str, tag: str, reason: str) -> None:
        cid = self._require(uid)
        name = self._tag(tag)
        was = undo_ops.tag_present(self.conn, cid, name)
        with self.batch(reason):
            self._write(kind, f"customer:{uid}", {"uid": uid, "tag": name, "was": was}, reason)
            self.note_use([name])  # in the same transaction: a tag put on or taken off is in use

    def tags_of(self, uid: str) -> list[str]:
        return [r[0] for r in self.conn.execute(_TAGS_OF, (uid,))]

    def tags(self) -> list[dict[str, Any]]:
        cur = self.conn.execute(_TAGS)
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur]

    def tag_counts(self) -> dict[str, int]:
        """How many customers have each tag (tags nobody has are left out)."""
        return dict(self.conn.execute("SELECT t.name, count(*) FROM customer_tags ct JOIN tags t ON t.id = ct.tag_id "
                                      "WHERE ct.present = 1 GROUP BY t.name"))

    def tag_stats(self) -> list["health.TagStat"]:
        """Each tag in use (not archived): how many customers have it, and when it was made (counted
        from the index of who has which tag: no customer row is read)."""
        from wtui.core.health import TagStat

        counts = dict(self.conn.execute("SELECT tag_id, count(*) FROM customer_tags WHERE present = 1 "
                                        "GROUP BY tag_id"))
        campaign = self.cfg.health.campaign_dimension.lower() + "-"
        out = []
        for tid, name, made in self.conn.execute("SELECT id, name, created_at FROM tags WHERE archived = 0"):
            added = None
            if campaign != "-" and name.lower().startswith(campaign):  # its campaign: the last time it was put on
                stamp = self.conn.execute("SELECT max(hlc) FROM customer_tags WHERE tag_id = ? AND present = 1",
                                          (tid,)).fetchone()[0]
                added = datetime.fromtimestamp(hlc.parse(stamp)[0] / 1000, timezone.utc) if stamp else None
            out.append(TagStat(name, counts.get(tid, 0),
                               datetime.fromisoformat(made.replace("Z", "+00:00")) if made else None, added))
        return out

    def note_use(self, tags: Iterable[str]) -> None:
        """These tags were just used: named by a query, a bulk action, a rule or a send (tag health's
        silent, zombie and rarely used tags). This file's own counts, a day a row; best effort: a
        read-only book, or one busy past a moment, counts nothing (no rep's input is at stake)."""
        names = sorted({t for t in tags if t})
        if self.readonly or not names:
            return
        day = self.now().astimezone(timezone.utc).strftime("%Y-%m-%d")
        rows = [(name, day) for name in names]
        sql = ("INSERT INTO tag_uses (tag, day, uses) VALUES (?, ?, 1) "
               "ON CONFLICT (tag, day) DO UPDATE SET uses = uses + 1")
        if self._batch is not None:
            self.conn.executemany(sql, rows)
            return
        try:
            with db.write(self.conn, min(self.busy_wait, BEST_EFFORT_WAIT)):
                self.conn.executemany(sql, rows)
        except BookBusy:
            pass

    def tag_uses(self, since: datetime) -> tuple[dict[str, tuple[int, datetime]], datetime | None]:
        """Each tag's uses since ``since`` and the last day it was used (any time), and since when uses
        are counted in this file (None: not counted here)."""
        counted = self.setting("uses.since")
        rows = self.conn.execute("SELECT tag, sum(uses) FILTER (WHERE day >= ?), max(day) FROM tag_uses GROUP BY tag "
                                 "COLLATE NOCASE", (since.strftime("%Y-%m-%d"),))
        out = {tag.lower(): (n or 0, datetime.fromisoformat(last).replace(tzinfo=timezone.utc))
               for tag, n, last in rows}
        return out, (datetime.fromisoformat(counted.replace("Z", "+00:00")) if counted else None)

    # -- the weekly routine (book/review.py; issue #16) ---------------------------------------------------

    def tag_health(self) -> tuple[int, list["health.Finding"]]:
        """The tags in use and tag health's findings (core/health.py judges what the book counts): what
        `wtui health` and the app's weekly routine show."""
        from wtui.core import health

        h = self.cfg.health
        stats = self.tag_stats()
        now = self.now()
        per_tag, since = self.tag_uses(now - timedelta(days=h.rare_days))
        overlaps = self.tag_overlaps(similar=h.merge_overlap, least=h.tiny_customers)
        return len(stats), health.check(stats, overlaps, self.customer_count(), now, self.cfg.tags, h,
                                        health.Uses(per_tag, since), self.refreshed_at())

    def outcomes(self, since: datetime) -> list["accuracy.Outcome"]:
        """Deals won and lost since ``since``, with the colour and red streak each customer had then."""
        from wtui.book import review

        return review.outcomes(self.conn, since, self.cfg)

    def figures(self) -> dict:
        """Today's distribution (what a snapshot stores) and each rep's workload as of now (``reps``)."""
        from wtui.book import review

        zone = reads.rep_zone(self.cfg)
        return {**review.distribution(self.conn, tuple(self.cfg.colors.order)),
                "reps": review.workload(self.conn, self.now(), zone)}

    def snapshot(self) -> bool:
        """Store today's snapshot unless this file has one (the first process of the day that writes
        stores it: the server, a rules run, an app after its first write). True when this call wrote it.
        Best effort like tag usage: a read-only book, a pretend clock, or a book busy past a moment skips
        it (the next process of the day writes it)."""
        from wtui.book import review

        now, zone = self.now(), reads.rep_zone(self.cfg)
        day = review.snapshot_day(now, zone)
        if self.readonly or self.pretending or review.has_snapshot(self.conn, day):
            return False
        try:
            with db.write(self.conn, min(self.busy_wait, BEST_EFFORT_WAIT)):
                figs = review.distribution(self.conn, tuple(self.cfg.colors.order))
                return review.store_snapshot(self.conn, day, now, figs, self.cfg.review.snapshot_days)
        except BookBusy:
            return False

    def snapshots(self, days: float) -> list[tuple[str, dict]]:
        """The daily snapshots of the last ``days`` days, oldest first."""
        from wtui.book import review

        since = (self.now() - timedelta(days=days)).astimezone(reads.rep_zone(self.cfg)).date().isoformat()
        return review.snapshots(self.conn, since)

    @_writes
    def start_audit(self, seed: int | None = None, size: int | None = None) -> str:
        """Draw the accuracy audit's sample: ``size`` (default ``review.audit_share`` of them, at least
        one) of the customers with an interaction in ``review.audit_active_days``, by ``seed`` (default the
        draw's instant; kept: the same seed on the same book draws the same customers). Returns its id."""
        from wtui.book import review

        r = self.cfg.review
        now = self.now()
        population = review.audit_population(self.conn, now, r.audit_active_days)
        if not population:
            raise BadInput(f"no customer had an interaction in the last {r.audit_active_days:g} days: nothing to "
                           "audit")
        if size is not None and size < 1:
            raise BadInput("an audit needs at least one customer")
        # By default the draw's instant seeds it: each draw differs, and one with the book's clock pinned
        # (a test, --now) draws the same customers again.
        seed = int(now.timestamp()) % 2**31 if seed is None else seed
        want = size if size is not None else max(1, round(len(population) * r.audit_share))
        picked = review.sample(population, seed, want)
        audit = f"audit-{now:%Y%m%d}-{secrets.token_hex(3)}"  # a redraw with the same seed is another audit
        with db.write(self.conn, self.busy_wait):
            review.start_audit(self.conn, audit, now, self.actor, seed, picked, len(population))
        return audit

    def audit_items(self, audit: str) -> list[tuple[int, str, str | None, dict[str, bool] | None]]:
        from wtui.book import review

        return review.audit_items(self.conn, audit)

    def audits(self) -> list[tuple[str, datetime, str, int, int, int]]:
        from wtui.book import review

        return review.audits(self.conn)

    def audit_words(self, audit: str) -> list[dict[str, str]]:
        """For the keyword lists' review: each customer whose intent an audit's review fixed, their
        inbound messages labelled with the intent the reviewer gave ({"text", "intent", "customer"})."""
        from wtui.book import review

        return review.audit_words(self.conn, audit)

    def templates(self) -> "templates.Templates":
        """The team's message templates (``templates.path``, else the shipped file)."""
        from wtui.core import templates

        path = Path(self.cfg.templates.path).expanduser() if self.cfg.templates.path else \
            Path(__file__).resolve().parent.parent / "templates.toml"
        try:
            text = path.read_text("utf-8")
        except OSError as exc:
            raise BadInput(f"{path}: cannot read the templates file ({exc.strerror})") from None
        except UnicodeDecodeError:
            raise BadInput(f"{path}: the templates file is not UTF-8 text") from None
        from wtui.core import query

        found = templates.parse(text, str(path))
        for t in found.items:  # every query must parse, or the file is refused whole (a tag this book lacks
            try:               # is not an error: no customer has it, so the template matches no one)
                if t.match != "*":
                    query.parse(t.match, self.query_fields, limits=query.Limits.of(self.cfg))
            except BadInput as exc:
                raise BadInput(f"{path}: template {t.name!r}: {exc}") from None
        return found

    def fill_template(self, uid: str, name: str | None = None) -> "templates.Filled":
        """The customer's template (``name``, else the first whose query matches them) filled for them, with
        what stands against sending it now (their cap, their window) and the warnings (too many a week)."""
        from wtui.book import segments
        from wtui.core import query, templates

        found = self.templates()
        cid = self._require(uid)
        if name is not None:
            chosen = next((t for t in found.items if t.name.lower() == name.lower()), None)
            if chosen is None:
                raise NotFound(f"no template named {name!r} (see `wtui template list`)")
        else:
            known = {n.lower() for n in self.tag_names(archived=True)}

            def matches(t: templates.Template) -> bool:
                if t.match == "*":  # everyone: the last resort of a templates file
                    return True
                node = query.parse(t.match, self.query_fields, limits=query.Limits.of(self.cfg))
                return {x.lower() for x in query.tags_in(node)} <= known and segments.matches(
                    self.conn, self._node(t.match), self.query_fields, self.now(), self.actor, cid)

            chosen = next((t for t in found.items if matches(t)), None)
            if chosen is None:
                raise NotFound("no template's `for` matches this customer: name one, or add a template for them")
        now = self.now()
        card = self.card(uid)
        pref = safe_pref(card.preference or None)
        language = self.conn.execute("SELECT language FROM customers WHERE id = ?", (cid,)).fetchone()[0] or \
            (pref.language if pref else "en")
        state = windows.state(now, card.tz, pref, card.region, self.cfg.windows, self.cfg.regions, card.golden_hour)
        product = self.conn.execute(
            "SELECT product FROM interactions WHERE customer_id = ? AND kind = ? AND retracted = 0 AND "
            "coalesce(product, '') != '' ORDER BY at DESC LIMIT 1", (cid, PURCHASE)).fetchone()
        fields = {"name": card.name, "first_name": templates.first_name(card.name), "product": product[0] if product
                  else "", "greeting": templates.greeting(found, language, state.local.hour, self.cfg.templates)}
        fmt, text = templates.fill(chosen, fields, pref.format if pref else "")
        def sent(days: float) -> int:
            return self.conn.execute("SELECT count(*) FROM interactions WHERE customer_id = ? AND kind = ? AND "
                                     "retracted = 0 AND at >= ?", (cid, OUT, db.iso(now - timedelta(days=days))))\
                .fetchone()[0]

        freq = pref.frequency if pref else None
        cap, days = (None, 0.0) if freq is None else (1, 30.0) if freq.passive else \
            (freq.count, {"day": 1.0, "week": 7.0, "month": 30.0}[freq.period])
        refusals, warnings = templates.judge(sent(days) if cap else 0, sent(7), cap, days, state.in_window,
                                             state.label(now), self.cfg.templates)
        return templates.Filled(chosen.name, fmt, text, refusals, warnings)

    def spend_curve(self) -> "spend_curve.Curve":
        """Purchase frequency by average order, and the tier cuts it suggests (core/spend_curve.py)."""
        from wtui.core import spend_curve

        r = self.cfg.review
        buyers = [(total / n, n) for n, total in self.conn.execute(
            "SELECT purchase_count, purchase_total FROM customers WHERE purchase_count > 0")]
        return spend_curve.curve(buyers, r.spend_buckets, r.spend_drop)

    @_writes
    def record_broadcast(self, name: str, members: list[tuple[str, str]]) -> str:
        """An export for broadcast, as a send batch: its customers (uid, A/B group) from now. Returns its id."""
        from wtui.book import review

        now = self.now()
        bid = f"bc-{now:%Y%m%d-%H%M}-{secrets.token_hex(3)}"
        with db.write(self.conn, self.busy_wait):
            review.record_broadcast(self.conn, bid, name, now, self.actor, members)
        return bid

    def broadcasts(self) -> list[tuple[str, str, datetime, str, int]]:
        from wtui.book import review

        return review.broadcasts(self.conn)

    def broadcast_results(self, bid: str) -> "broadcast.Results":
        """Delivered, read and replied per A/B group, from what the webhook recorded within
        ``broadcast.results_hours`` of the send."""
        from wtui.book import review
        from wtui.core import broadcast

        sent = next((b for b in review.broadcasts(self.conn) if b[0] == bid), None)
        if sent is None:
            raise NotFound(f"{bid}: no such broadcast (see `wtui broadcast list`)")
        at, cfg = sent[2], self.cfg.broadcast
        events = review.broadcast_events(self.conn, bid, at, at + timedelta(hours=cfg.results_hours))
        return broadcast.results(review.broadcast_members(self.conn, bid), events, at, self.now(), cfg)

    def non_responders(self, bid: str) -> list[str]:
        """The customers of a broadcast who have not written since it went out (uids)."""
        from wtui.book import review

        sent = next((b for b in review.broadcasts(self.conn) if b[0] == bid), None)
        if sent is None:
            raise NotFound(f"{bid}: no such broadcast (see `wtui broadcast list`)")
        answered = {uid for uid, kind in review.broadcast_events(self.conn, bid, sent[2], self.now() +
                                                                 timedelta(seconds=1)) if kind == "in"}
        return [uid for uid, _ in review.broadcast_members(self.conn, bid) if uid not in answered]

    @_writes
    def review_audited(self, audit: str, pos: int, ok: dict[str, bool], fixed: str = "") -> None:
        """A reviewed customer of an audit: which dimensions were right (tags, intent, colour); ``fixed``
        says what the reviewer changed (the fixes themselves are ordinary writes, in the change log)."""
        from wtui.book import review

        if set(ok) != {"tags", "intent", "color"}:
            raise BadInput("a review says whether tags, intent and colour were right")
        with db.write(self.conn, self.busy_wait):
            review.review(self.conn, audit, pos, self.now(), ok, fixed)

    def tag_overlaps(self, similar: float = 0.0, least: int = 1) -> dict[tuple[str, str], int]:
        """How many customers pairs of tags in use share (pairs that share none are left out): of the
        pairs whose sizes are within ``similar`` of each other (the smaller at least that share of the
        bigger: only those can be that much the same customers) and of at least ``least`` customers."""
        sizes = dict(self.conn.execute(
            "SELECT t.name, count(*) FROM customer_tags ct JOIN tags t ON t.id = ct.tag_id "
            "WHERE ct.present = 1 AND t.archived = 0 GROUP BY t.id"))
        ranked = sorted((n, name) for name, n in sizes.items() if n >= least)
        pairs = []
        for k, (n, a) in enumerate(ranked):  # by size: a tag's candidates are the next ones, while similar
            for m, b in ranked[k + 1:]:
                if n < similar * m:
                    break
                pairs.append((a, b))
        # A first look on a sample (an eighth of the customers, picked by a hash of their id, not its
        # order): a pair far apart there is not read in full. Only with ``similar``: its caller wants
        # the near-identical pairs, which a sample of a few dozen cannot miss.
        sample = self._tag_members(sorted({t for pair in pairs for t in pair}), sampled=bool(similar))
        if similar:
            pairs = [(a, b) for a, b in pairs if min(len(sample[a]), len(sample[b])) < 40
                     or len(sample[a] & sample[b]) >= 0.7 * min(len(sample[a]), len(sample[b]))]
            members = self._tag_members(sorted({t for pair in pairs for t in pair}))
        else:
            members = sample
        out = {}
        for a, b in pairs:
            both = len(members[a] & members[b])
            if both:
                out[tuple(sorted((a, b)))] = both
        return out

    def _tag_members(self, names: list[str], sampled: bool = False) -> dict[str, set[int]]:
        """Who has each of these tags (every customer, or an eighth of them picked by a hash of the id)."""
        where = " AND (ct.customer_id * 2654435761) %% 4294967296 < 536870912" if sampled else ""  # %%: select_in
        out: dict[str, set[int]] = {name: set() for name in names}
        for name, ids in db.select_in(self.conn, "SELECT t.name, group_concat(ct.customer_id) FROM customer_tags ct "
                                      "JOIN tags t ON t.id = ct.tag_id WHERE ct.present = 1" + where +
                                      " AND t.name IN (%s) GROUP BY t.id", names):
            out[name] = set(map(int, ids.split(",")))
        return out

    def tag_names(self, *, archived: bool = False) -> list[str]:
        """Every tag's name, sorted; archived tags only when asked (a query may still name them)."""
        return [r[0] for r in self.conn.execute(_TAG_NAMES if archived else _TAG_NAMES_IN_USE)]

    # -- interactions and notes ----------------------------------------------------

    @_writes
    def record(self, uid: str, kind: str, at: datetime | None = None, *, text: str = "", amount: float = 0.0,
               minutes: float = 0.0, reason: str = "", ext_id: str | None = None, words: str | None = None,
               product: str = "") -> None:
        """Record something that happened: a message, a read receipt, a purchase... An inbound message's
        ``words`` (what the customer wrote, when ``text`` holds more: a place, the ad they came from)
        are what keyword detection reads; by default all of ``text``. A purchase's ``product`` is what
        was bought (event rules' tag templates name it)."""
        if kind not in KINDS:
            raise BadInput(f"kind must be one of {', '.join(KINDS)}")
        if amount:
            self._same_currency()
        cid = self._require(uid)
        payload: dict[str, Any] = {"uid": ext_id or uuid.uuid4().hex, "customer": uid, "kind": kind,
                                   "at": db.iso(at or self.now())}
        if text:
            payload["text"] = text
        if kind == "in":
            payload["signals"] = self.detector.detect(text if words is None else words).encode()
        if kind in (OUT, WON, LOST):  # the colour then: red fatigue, and colour accuracy from outcomes
            payload["color_at"] = self.conn.execute("SELECT color FROM customers WHERE id = ?", (cid,)).fetchone()[0]
        if amount:
            payload["amount"] = amount
        if minutes:
            payload["minutes"] = minutes
        if product.strip():
            payload["product"] = product.strip()
        self._write("interaction.add", f"customer:{uid}", payload, reason)

    @_writes
    def deal_won(self, uid: str, amount: float = 0.0, what: str = "", text: str = "") -> None:
        """A deal won: the outcome (with the colour the customer had: colour accuracy) and its purchase,
        of ``amount`` in the book's currency when known (a won deal is a purchase either way) of ``what``
        (the product); ``text``: what the purchase record says, when more than the product."""
        self.record(uid, WON, text=f"{amount:,.2f} {self.cfg.spend.currency}" if amount else "", reason="a deal won")
        self.record(uid, PURCHASE, text=text or what or "deal won", amount=amount, reason="a deal won", product=what)

    @_writes
    def deal_lost(self, uid: str, why: str) -> None:
        if not why.strip():
            raise BadInput("say why the deal was lost, in a few words")
        self.record(uid, LOST, text=why.strip(), reason="a deal lost")

    @_writes
    def log_contact(self, uid: str, text: str = "", reason: str = "contacted") -> None:
        """The rep reached out: an outbound interaction, which moves the due time by the cadence."""
        self.record(uid, OUT, text=text, reason=reason)

    # -- tracked links (core/links.py; the team server answers /l/<token>) -----------------

    @_writes
    def create_link(self, uid: str, url: str, kind: str = "page") -> str:
        """A tracked link for this customer to ``url``: its token (the server's /l/<token>)."""
        self._require(uid)
        token = links.new_token()
        self._write("link.create", f"link:{token}", {"token": token, "customer": uid, "url": links.check_url(url),
                                                     "kind": links.check_kind(kind), "at": db.iso(self.now())},
                    f"a {kind} link")
        return token

    def link(self, token: str) -> Link | None:
        if not links.TOKEN.match(token):
            return None
        row = self.conn.execute("SELECT token, customer, url, kind, created_at, created_by FROM links "
                                "WHERE token = ?", (token,)).fetchone()
        from wtui.book.records import Link

        return Link(*row[:4], datetime.fromisoformat(row[4]), row[5]) if row else None

    def links_of(self, uid: str) -> list[Link]:
        """A customer's tracked links, newest first."""
        cid = self._require(uid)  # links made under a uid merged into this customer since are its too
        rows = self.conn.execute(
            "SELECT token, customer, url, kind, created_at, created_by FROM links WHERE customer IN "
            "(SELECT uid FROM customers WHERE id = ?1 UNION SELECT a.uid FROM aliases a JOIN customers c "
            "ON c.uid = a.into_uid WHERE c.id = ?1) ORDER BY created_at DESC", (cid,))
        from wtui.book.records import Link

        return [Link(*r[:4], datetime.fromisoformat(r[4]), r[5]) for r in rows]

    @_writes
    def link_opened(self, token: str) -> str | None:
        """Someone opened a tracked link: an interaction for its customer (a quote's counts as a quote
        open). Returns where the link leads, or None for a token this book does not know."""
        found = self.link(token)
        if found is None:
            return None
        self.record(found.customer, links.opened_as(found.kind), text=found.url, reason=f"opened a {found.kind} link")
        return found.url

    def notes(self, uid: str) -> list[tuple[datetime, str, str]]:
        """All of a customer's notes, newest first, as (at, author, text)."""
        from wtui.book import around

        return list(around.notes(self.conn, self._require(uid)))

    def current_uids(self, uids: list[str]) -> dict[str, str]:
        """Of these uids, the ones the book knows: each to the uid the customer goes by now (a customer
        merged into another goes by the survivor's)."""
        out = {u: u for (u,) in db.select_in(self.conn, "SELECT uid FROM customers WHERE uid IN (%s)", uids)}
        out.update(db.select_in(self.conn, "SELECT a.uid, a.into_uid FROM aliases a JOIN customers c "
                                           "ON c.uid = a.into_uid WHERE a.uid IN (%s)", uids))
        return out

    def uids_by_phone(self, numbers: list[str]) -> dict[str, str]:
        """Of these E.164 numbers, the ones the book knows: each to its customer's uid (found by the
        number they have now, or the one they were created with)."""
        out: dict[str, str] = {}
        for sql in _EXISTING:  # the number they have now is read last: it wins
            out.update((row[0], row[2]) for row in db.select_in(self.conn, sql, numbers))
        return out

    @_writes
    def record_orders(self, orders: list, *, reason: str, dry_run: bool = False,
                      progress: Progress | None = None) -> tuple[int, int, str]:
        """Purchases from an orders import (``io.orders_import.Order``) as one batch, one undo:
        (recorded, already in the book, the batch id or ""). An order whose key a purchase has is
        skipped; with ``dry_run`` they are only counted. Written ``imports.batch_rows`` at a time
        (``_commit_point``)."""
        self._same_currency()
        ids = self.ids_to_write([o.key for o in orders])
        fresh = [o for o in orders if ids[o.key] is not None]
        if dry_run or not fresh:
            return len(fresh), len(orders) - len(fresh), ""
        # In the customers' row order: each customer's orders land in one chunk (their verdict is
        # recomputed once, not at every commit point), and the pages written are near one another.
        row = dict(db.select_in(self.conn, "SELECT uid, id FROM customers WHERE uid IN (%s)",
                                sorted({o.customer for o in fresh})))
        fresh.sort(key=lambda o: row.get(o.customer, 0))
        size = self.cfg.imports.batch_rows
        with self.batch(reason) as batch_id:
            for start in range(0, len(fresh), size):
                ms = self._ms()
                made = [self._op("interaction.add", f"customer:{o.customer}",
                                 {"uid": ids[o.key], "customer": o.customer, "kind": PURCHASE, "at": db.iso(o.at),
                                  "text": o.text, "amount": o.amount, **({"product": o.product} if o.product else {})},
                                 reason, ms) for o in fresh[start:start + size]]
                fast, late = ops.ready_fresh(self.conn, made)
                self._apply_fresh(fast)
                for op in late:  # a customer merged into another since the file was checked
                    self._mark(op, ops.apply(self.conn, op))
                if progress:
                    progress(min(start + size, len(fresh)), len(fresh))
                self._commit_point()
            self.mark_refreshed()
        return len(fresh), len(orders) - len(fresh), batch_id

    def ids_to_write(self, keys: list[str]) -> dict[str, str | None]:
        """The id each keyed interaction (an order, a chat line) is written under, None for one the book
        holds. One taken back (an undone import) is not held: importing it again writes it anew, under
        the key and the next free number (``<key>-2``), since the taken-back row keeps its own id."""
        found = dict(db.select_in(self.conn, "SELECT uid, retracted FROM interactions WHERE uid IN (%s)", keys))
        out: dict[str, str | None] = {k: k for k in keys if k not in found}
        out.update((k, None) for k in keys if k in found and not found[k])  # held as it is: no family to read
        for key in (k for k in keys if found.get(k)):  # taken back: written again unless a later copy is held
            again = re.compile(re.escape(key) + r"-\d+")
            family = [found[key], *(gone for uid, gone in self.conn.execute(
                "SELECT uid, retracted FROM interactions WHERE uid > ? AND uid < ?", (key + "-", key + "-:"))
                if again.fullmatch(uid))]
            out[key] = None if not all(family) else f"{key}-{len(family) + 1}"
        return out

    def complaint_open(self, uid: str) -> bool:
        """Has the customer a complaint recorded and not yet resolved (the newer of the two is a complaint)?"""
        row = self.conn.execute(
            "SELECT kind FROM interactions WHERE customer_id = ? AND kind IN ('complaint', 'resolved') "
            "AND retracted = 0 ORDER BY at DESC, id DESC LIMIT 1", (self._require(uid),)).fetchone()
        return bool(row) and row[0] == "complaint"

    def has_interaction(self, ext_id: str) -> bool:
        """Is an interaction with this id (a WhatsApp message id, a chat line's key) in the book?"""
        return self.conn.execute("SELECT 1 FROM interactions WHERE uid = ?", (ext_id,)).fetchone() is not None

    @_writes
    def add_note(self, uid: str, text: str, reason: str = "") -> None:
        self._require(uid)
        if not text.strip():
            raise BadInput("a note needs some text")
        payload = {"uid": uuid.uuid4().hex, "customer": uid, "text": text, "at": db.iso(self.now())}
        self._write("note.add", f"customer:{uid}", payload, reason)

    # -- finding and acting on groups ------------------------------------------------------

    @property
    def query_fields(self) -> dict[str, "query.Field"]:
        if self._fields is None:
            from wtui.core import query

            self._fields = query.fields_for(self.cfg)
        return self._fields

    def parse_query(self, text: str, *, saving: str = "", segments: dict[str, str] | None = None) -> "query.Node":
        """Parse against this book's tags and segments (@name): an unknown one is an error with a
        suggestion. ``saving``: the segment this text is about to become (it may not use itself);
        ``segments``: these saved ones instead of the book's."""
        from wtui.core import query

        segments = (dict(self.segments()) if segments is None else segments) | ({saving: text} if saving else {})
        return query.parse(text, self.query_fields, self.tag_names(archived=True), query.Limits.of(self.cfg),
                           segments, (saving,) if saving else ())

    def _node(self, q: "str | query.Node") -> "query.Node":
        return self.parse_query(q) if isinstance(q, str) else q

    def select(self, q: "str | query.Node") -> list[int]:
        """Ids of every customer the query matches (the whole book, not just today's queue)."""
        from wtui.book import segments

        return segments.select_ids(self.conn, self._node(q), self.query_fields, self.now(), self.actor)

    def count(self, q: "str | query.Node") -> int:
        from wtui.book import segments

        return segments.count(self.conn, self._node(q), self.query_fields, self.now(), self.actor)

    def ids_of(self, uids: list[str]) -> list[int]:
        """Row ids of these customers (those the book holds), for ``bulk``."""
        return sorted(cid for (cid,) in db.select_in(self.conn, "SELECT id FROM customers WHERE uid IN (%s)", uids))

    def has_customers(self) -> bool:
        return self.conn.execute("SELECT 1 FROM customers LIMIT 1").fetchone() is not None

    def customer_count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM customers").fetchone()[0]

    def all_ids(self) -> list[int]:
        """Every customer's id, in order (``rows``, ``bulk`` and export take ids)."""
        return [r[0] for r in self.conn.execute("SELECT id FROM customers ORDER BY id")]

    def contacts(self, uids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """(name, phone) of those of these customers the book holds, by uid."""
        return {uid: (name, phone) for uid, name, phone in db.select_in(self.conn, _CONTACTS, list(uids))}

    def names(self, uids: Iterable[str]) -> dict[str, str]:
        """The names of those of these customers the book holds, by uid."""
        return {uid: name for uid, (name, _) in self.contacts(uids).items()}

    def uids_named(self, name: str) -> list[str]:
        """Customers whose name is exactly ``name``."""
        return [r[0] for r in self.conn.execute("SELECT uid FROM customers WHERE name = ? ORDER BY id", (name,))]

    def uids_of(self, ids: list[int]) -> list[str]:
        return [r[0] for r in db.select_in(self.conn, "SELECT uid FROM customers WHERE id IN (%s) ORDER BY id", ids)]

    @_writes
    def bulk(self, ids: list[int], *, add: tuple[str, ...] = (), remove: tuple[str, ...] = (), color: str | None = None,
             until: datetime | None = None, intent: str | None = None, owner: str | None = None,
             reason: str = "bulk", progress: Progress | None = None) -> tuple[str, int]:
        """Apply changes to every customer in ``ids`` as one batch; returns (batch id, ops written).

        Only real changes are written: adding a tag a customer has, or setting a
        value they already hold, writes nothing (so a second run is a no-op). The
        customers go ``db.IN_CHUNK`` at a time (``ops.apply_fresh``), with
        ``progress(done, total)`` between chunks; if it raises, nothing is written.
        """
        from wtui.core.query import Tag

        added = [self._tag(t) for t in add]
        removed = [self._tag(t) for t in remove]
        fields: dict[str, Any] = {}
        if color is not None:
            fields.update(override_color=color or None, override_until=db.iso(until) if color else None,
                          override_set_at=db.iso(self.now()) if color else None)
        if intent is not None:
            fields["override_intent"] = intent or None
        if owner is not None:
            fields["owner"] = owner
        ids = sorted(set(ids))
        written = done = 0
        with self.batch(reason) as batch_id:
            self.note_use(added + removed)
            present = {name: set(self.select(Tag(name))) for name in added + removed}
            for chunk in db.chunks(ids):
                ms = self._ms()
                batch = []
                for cid, uid, *values in db.select_in(self.conn, _BULK_FIELDS, chunk):
                    for name in added + removed:
                        want = name in added
                        if (cid in present[name]) != want:
                            batch.append(self._op("tag.add" if want else "tag.remove", f"customer:{uid}",
                                                  {"uid": uid, "tag": name, "was": not want}, reason, ms))
                    old = dict(zip(_BULK_FIELD_NAMES, values, strict=True))
                    changed = {f: v for f, v in fields.items() if old[f] != v}
                    if changed:
                        batch.append(self._op("customer.set", f"customer:{uid}",
                                              {"uid": uid, "fields": changed, "old": {f: old[f] for f in changed}},
                                              reason, ms))
                self._apply_fresh(batch)
                written += len(batch)
                done += len(chunk)
                if progress:
                    progress(done, len(ids))
                self._commit_point()
        return batch_id, written

    def rows(self, ids: list[int]) -> list[dict[str, Any]]:
        """Plain records of these customers (for find, export and scripts), in id order."""
        out: list[dict[str, Any]] = []
        for chunk in db.chunks(ids):
            batch = [dict(zip(_ROW_COLUMNS, r, strict=True)) for r in db.select_in(self.conn, _ROWS, chunk)]
            tags = reads.tags_for(self.conn, [r["id"] for r in batch])
            for r in batch:
                r["tags"] = tags[r.pop("id")]
                r["consent"] = bool(r["consent"])
            out += batch
        return out

    @_writes
    def import_rows(self, rows: list, *, replace_tags: bool = False, new_tags: set[str] = frozenset(),
                    reason: str = "import", dry_run: bool = False) -> tuple[int, int, int]:
        """Write checked import rows (``io.csv_import.Row``) as one batch: (new, updated, skipped).

        New customers go in as ``customers.import`` ops of ``ops.IMPORT_ROWS_PER_OP``
        rows, their verdicts stored with them; changes to existing customers are
        ordinary ops, applied a kind at a time (``ops.apply_fresh``); a row that
        says nothing new about a customer writes nothing.
        """
        with (self.rehearsal() if dry_run else self.batch(reason)) as batch_id:
            for tag in sorted(new_tags):
                if ops.tag_id(self.conn, tag) is None:
                    self.require_admin("create tags")
                    self._new_tag(tag, reason=reason)  # as the file names it: the tag health review renames
            # Who changed number is still who they were: found by the number they were created with too.
            existing = {row[0]: row[1:] for sql in _EXISTING for row in db.select_in(
                self.conn, sql, [r.phone for r in rows])}
            current_tags = reads.tags_for(self.conn, [e[0] for e in existing.values()])
            fresh = [r for r in rows if r.phone not in existing]
            changes: list[ops.Op] = []
            priority = set(self.cfg.colors.rules.priority_tags)
            instant = self.now()
            at, ms = db.iso(instant), int(instant.timestamp() * 1000)
            updated = skipped = 0
            for r in rows:
                if r.phone not in existing:
                    continue
                cid, uid, name, source, owner, consent, consent_at, consent_source = existing[r.phone]
                before = len(changes)
                old = {"name": name, "source": source, "owner": owner, "consent": consent, "consent_at": consent_at,
                       "consent_source": consent_source}
                given = {"name": r.name, "source": r.source, "owner": r.owner}
                fields = {k: v for k, v in given.items() if v and v != old[k]}
                if r.consent is not None and int(r.consent) != consent:
                    fields.update(consent=int(r.consent), consent_at=at, consent_source=reason)
                if fields:
                    changes.append(self._op("customer.set", f"customer:{uid}",
                                            {"uid": uid, "fields": fields, "old": {k: old[k] for k in fields}}, reason,
                                            ms))
                have = set(current_tags.get(cid, []))
                adds = [t for t in r.tags if t not in have]
                drops = sorted(have - set(r.tags)) if replace_tags else []
                changes += [self._op("tag.add", f"customer:{uid}", {"uid": uid, "tag": t, "was": False}, reason, ms)
                            for t in adds]
                changes += [self._op("tag.remove", f"customer:{uid}", {"uid": uid, "tag": t, "was": True}, reason, ms)
                            for t in drops]
                if priority.intersection(adds) or priority.intersection(drops):
                    self._reranked.add(cid)  # priority tags weigh in a verdict only as the rank
                if r.notes and not self.conn.execute(
                        "SELECT 1 FROM notes WHERE customer_id = ? AND text = ? AND retracted = 0", (cid, r.notes)
                ).fetchone():
                    note = {"uid": uuid.uuid4().hex, "customer": uid, "text": r.notes, "at": at}
                    changes.append(self._op("note.add", f"customer:{uid}", note, reason, ms))
                updated += len(changes) > before
                skipped += len(changes) == before
            ops.apply_fresh(self.conn, changes)
            self._create_imported(fresh, reason, batch_id)
            if fresh or changes:
                self.mark_refreshed()
        return len(fresh), updated, skipped

    def _create_imported(self, rows: list, reason: str, batch_id: str) -> None:
        """New customers from import rows, ``ops.IMPORT_ROWS_PER_OP`` to an op."""
        instant = self.now()
        now, ms = db.iso(instant), int(instant.timestamp() * 1000)
        verdict = derive.blank(instant, self.cfg)
        # Time-ordered uids (like op ids) append to the uid index instead of landing on random pages.
        noise = secrets.token_hex(10 * len(rows))
        size = ops.IMPORT_ROWS_PER_OP
        for start in range(0, len(rows), size):
            # In the order of ops.IMPORT_FIELDS: uid, phone, name, region, tz, language, source, owner,
            # consent, created_at, tags, note.
            table = [[f"{ms:012x}{noise[20 * i:20 * i + 20]}", r.phone, r.name, r.region, r.tz, "", r.source, r.owner,
                      bool(r.consent), now, list(r.tags), [uuid.uuid4().hex, r.notes] if r.notes else None]
                     for i, r in enumerate(rows[start:start + size], start)]
            op = self._op("customers.import", "customers", {"fields": ops.IMPORT_FIELDS, "rows": table}, reason)
            ops.record(self.conn, op)
            ops.insert_customers(self.conn, op, derive.COLUMNS, verdict, fresh=True)

    def _op(self, kind: str, entity: str, payload: dict[str, Any], reason: str, ms: int | None = None) -> ops.Op:
        """An op of the current batch, stamped now, or at ``ms`` when a bulk path read the clock once, and
        numbered as this replica's next (a rehearsal, rolled back, takes no identity and no number)."""
        stamp = self._stamp(ms)
        if self._rehearsing:
            return ops.Op(self._op_id(ms), stamp, self.actor, entity, kind, payload, reason, self._batch)
        if self._oseq is None:
            self._oseq = self._own_top(self._replica)
        self._oseq += 1
        return ops.Op(self._op_id(ms), stamp, self.actor, entity, kind, payload, reason, self._batch, self._replica,
                      self._oseq)

    def segments(self) -> list[tuple[str, str]]:
        return [tuple(r) for r in self.conn.execute("SELECT name, expr FROM segments ORDER BY name")]

    @_writes
    def save_segment(self, name: str, expr: str, reason: str = "") -> None:
        """Name a query for later; an empty ``expr`` deletes the segment."""
        if not name.strip():
            raise BadInput("a segment needs a name")
        if expr:
            self.parse_query(expr, saving=name)  # refuse what does not parse, with its position
        else:
            users = self._segments_using(name)
            if users:
                raise BadInput(f"segment @{name} is used by {', '.join('@' + u for u in users)}: change or delete "
                               "those first")
        self._write("segment.set", f"segment:{name}", {"name": name, "expr": expr, "at": db.iso(self.now())}, reason)

    def _segments_using(self, name: str) -> list[str]:
        """The saved segments that read ``name`` (@name): each parses with it and not without it."""
        from wtui.core import query

        saved = dict(self.segments())
        rest = {n: e for n, e in saved.items() if n != name}

        def parses(text: str, segments: dict[str, str]) -> bool:
            try:
                self.parse_query(text, segments=segments)
            except query.QueryError:
                return False
            return True

        return [n for n, e in rest.items() if parses(e, saved) and not parses(e, rest)]

    # -- reading the change log ---------------------------------------------------------

    def change_log(self, uid: str | None = None, limit: int = 50, since: datetime | None = None) -> list[ChangeEntry]:
        """The latest ops, newest first: all of them, or one customer's (the op that imported them included);
        ``since``: only those stamped then or later."""
        from wtui.book.records import ChangeEntry

        low = hlc.stamp(int(since.timestamp() * 1000), 0, "") if since else ""
        if uid:
            # A merged customer's log holds the history of every uid merged into them.
            uids = [uid] + [u for (u,) in self.conn.execute("SELECT uid FROM aliases WHERE into_uid = ?", (uid,))]
            cur = self.conn.execute(_CUSTOMER_LOG % (",".join("?" * len(uids)), ",".join("?" * len(uids))),
                                    (*(f"customer:{u}" for u in uids), low, *uids, low, limit))
        else:
            cur = self.conn.execute(ops.SELECT + " WHERE hlc >= ? ORDER BY hlc DESC LIMIT ?", (low, limit))
        out = []
        for row in cur:
            op = ops.Op.from_row(row)
            payload = op.payload
            if uid and op.kind == "customers.import":  # of an import's rows, only this customer's
                payload = next((r for r in ops.import_rows(payload) if r["uid"] == uid), {})
            ms = hlc.parse(op.hlc)[0]
            out.append(ChangeEntry(op.hlc, datetime.fromtimestamp(ms / 1000, timezone.utc), op.actor, op.kind,
                                   payload, op.reason, op.batch))
        return out


def _check_colour(color: str) -> None:
    if color and not hex_colour(color):
        raise BadInput(f"colour {visible(color)!r}: a colour like #3d85c6 (or none)")
