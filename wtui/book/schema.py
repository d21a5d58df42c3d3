"""The book's schema and its migrations, keyed on ``PRAGMA user_version``.

Migrations run through sqlite-utils, imported only when a migration is due:
opening an up-to-date book (every ``wtui queue``) never pays its ~150 ms
import. A book whose version is newer than this wtui knows is refused before
anything is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone

from wtui.book.db import APPLICATION_ID, SCHEMA_VERSION, write
from wtui.book.engine import sqlite3
from wtui.errors import BookError

TEXT, INT, REAL = str, int, float


def _v1(conn: sqlite3.Connection) -> None:
    import sqlite_utils

    db = sqlite_utils.Database(conn)
    db["settings"].create({"key": TEXT, "value": TEXT}, pk="key")
    db["customers"].create(
        {
            "id": INT, "uid": TEXT, "name": TEXT, "phone": TEXT, "region": TEXT, "tz": TEXT, "tz_override": TEXT,
            "language": TEXT, "source": TEXT, "owner": TEXT, "consent": INT, "created_at": TEXT,
            # manual overrides (single-valued fields, last writer wins by clock)
            "override_color": TEXT, "override_until": TEXT, "override_set_at": TEXT, "override_intent": TEXT,
            # facts folded from interactions
            "first_contact": TEXT, "last_inbound": TEXT, "last_outbound": TEXT, "last_read": TEXT,
            "last_link": TEXT, "last_interaction": TEXT, "purchase_count": INT, "purchase_total": REAL,
            "last_purchase": TEXT,
            # the verdict, kept until next_change_at (or a write) makes it stale
            "color": TEXT, "queue_rank": INT, "due_at": TEXT, "reason": TEXT, "next_change_at": TEXT,
            "intent": TEXT, "interest": TEXT, "activity": TEXT, "lifecycle": TEXT, "spend_tier": TEXT,
            "rfm": TEXT, "red_streak": INT, "fatigue": INT,
        },
        pk="id",
        not_null={"uid", "phone", "name"},
        defaults={"consent": 0, "purchase_count": 0, "purchase_total": 0.0, "red_streak": 0, "fatigue": 0, "name": ""},
    )
    db["customers"].create_index(["uid"], unique=True)
    db["customers"].create_index(["phone"], unique=True)
    db["customers"].create_index(["queue_rank", "due_at", "color"], index_name="customers_queue")
    db["customers"].create_index(["next_change_at"], index_name="customers_next_change")
    db["preferences"].create(
        {"customer_id": INT, "note": TEXT, "format": TEXT, "time": TEXT, "frequency": TEXT},
        pk="customer_id",
        foreign_keys=[("customer_id", "customers", "id")],
        not_null={"note"},
    )
    db["tags"].create(
        {"id": INT, "name": TEXT, "dimension": TEXT, "color": TEXT, "description": TEXT, "archived": INT,
         "created_by": TEXT, "created_at": TEXT},
        pk="id",
        not_null={"name"},
        defaults={"archived": 0, "description": "", "dimension": ""},
    )
    conn.execute("CREATE UNIQUE INDEX tags_name ON tags (name COLLATE NOCASE)")
    # Tag presence is last-writer-wins per (customer, tag): a remove keeps the
    # row with present = 0 and its clock, so an older add cannot resurrect it.
    conn.execute(
        """CREATE TABLE customer_tags (
            customer_id INTEGER NOT NULL REFERENCES customers(id),
            tag_id INTEGER NOT NULL REFERENCES tags(id),
            present INTEGER NOT NULL,
            hlc TEXT NOT NULL,
            PRIMARY KEY (customer_id, tag_id)
        ) WITHOUT ROWID"""
    )
    # Covering for "who has tag X": the query language drives from this range.
    conn.execute("CREATE INDEX customer_tags_by_tag ON customer_tags (tag_id, present, customer_id)")
    db["interactions"].create(
        {"id": INT, "uid": TEXT, "customer_id": INT, "kind": TEXT, "at": TEXT, "text": TEXT, "signals": TEXT,
         "amount": REAL, "minutes": REAL, "color_at": TEXT, "actor": TEXT, "retracted": INT},
        pk="id",
        foreign_keys=[("customer_id", "customers", "id")],
        not_null={"uid", "customer_id", "kind", "at"},
        defaults={"retracted": 0},
    )
    db["interactions"].create_index(["uid"], unique=True)
    db["interactions"].create_index(["customer_id", "at"])
    db["notes"].create(
        {"id": INT, "uid": TEXT, "customer_id": INT, "at": TEXT, "author": TEXT, "text": TEXT, "retracted": INT},
        pk="id",
        defaults={"retracted": 0},
        foreign_keys=[("customer_id", "customers", "id")],
        not_null={"uid", "customer_id", "text"},
    )
    db["notes"].create_index(["uid"], unique=True)
    db["notes"].create_index(["customer_id", "at"])
    db["segments"].create({"name": TEXT, "expr": TEXT, "created_by": TEXT, "created_at": TEXT}, pk="name")
    # The clock of every single-valued field, for last-writer-wins merges.
    conn.execute(
        """CREATE TABLE field_clocks (
            entity TEXT NOT NULL, field TEXT NOT NULL, hlc TEXT NOT NULL,
            PRIMARY KEY (entity, field)
        ) WITHOUT ROWID"""
    )
    # The operation log: the playbook's change log (who, when, what, why) and
    # what team sync replicates.
    db["ops"].create(
        {"seq": INT, "op_id": TEXT, "hlc": TEXT, "actor": TEXT, "entity": TEXT, "kind": TEXT,
         "payload": TEXT, "reason": TEXT, "batch": TEXT},
        pk="seq",
        not_null={"op_id", "hlc", "actor", "entity", "kind", "payload"},
    )
    db["ops"].create_index(["op_id"], unique=True)
    db["ops"].create_index(["entity", "hlc"])
    db["ops"].create_index(["batch"])


def _v2(conn: sqlite3.Connection) -> None:
    # Customers an import created share one op; this names it, for their change log.
    conn.execute("ALTER TABLE customers ADD COLUMN created_op TEXT")


def _v3(conn: sqlite3.Connection) -> None:
    # Every write transaction starts its clock past the newest stamp in the book (Book.batch):
    # two writers on one file (the app and its workers, two reps) never issue a stamp that sorts
    # before one already written, even on the same millisecond or a pinned clock.
    conn.execute("CREATE INDEX IF NOT EXISTS ops_by_hlc ON ops (hlc)")


def _v4(conn: sqlite3.Connection) -> None:
    # "My queue" and narrowing by text count today's queue by owner, name and number: this index holds
    # them beside the queue order, so those counts never read the (wide) customer rows.
    conn.execute("CREATE INDEX IF NOT EXISTS customers_queue_who ON customers (queue_rank, due_at, color, owner, name, "
                 "phone)")


def _v5(conn: sqlite3.Connection) -> None:
    # One queue index instead of two: the queue order with id (so a page needs no sort) and the columns
    # "my queue" and narrowing read. Every write to queue_rank, due_at or colour moved two index entries;
    # a bulk of a priority tag on 11k customers took 1.5 s, 0.9 s with one.
    conn.execute("DROP INDEX IF EXISTS customers_queue_who")
    conn.execute("DROP INDEX IF EXISTS customers_queue")
    conn.execute("CREATE INDEX customers_queue ON customers (queue_rank, due_at, color, id, owner, name, phone)")


def _v6(conn: sqlite3.Connection) -> None:
    # WhatsApp's own id for a customer when it is not their E.164 digits (Mexico's 521..., Brazil's
    # 8-digit ids): what a send must use. Marketing consent says when and from where it last changed,
    # so a stop or resume redelivered late never overrides a newer one.
    conn.execute("ALTER TABLE customers ADD COLUMN wa_id TEXT")
    conn.execute("ALTER TABLE customers ADD COLUMN consent_at TEXT")
    conn.execute("ALTER TABLE customers ADD COLUMN consent_source TEXT")


def _v7(conn: sqlite3.Connection) -> None:
    # An op from another replica that arrives before what it refers to (a customer, a tag, the contact a
    # retract takes back) waits here, recorded in the log, until that arrives: never marked seen for nothing.
    conn.execute("CREATE TABLE parked (op_id TEXT NOT NULL PRIMARY KEY, waits_for TEXT NOT NULL) WITHOUT ROWID")
    conn.execute("CREATE INDEX parked_by_what ON parked (waits_for)")
    # What this file is as a replica: its id (the clock's node) and the file it was given to. Never
    # replicated; a copy made by hand is a new file, so it takes a new id at its first write.
    conn.execute("CREATE TABLE replica (key TEXT NOT NULL PRIMARY KEY, value TEXT) WITHOUT ROWID")
    # Two replicas that each create a customer with one number hold one customer once they meet: the
    # creation with the lowest (clock, uid) survives, the other's uid becomes an alias of it (its ops
    # follow). The number a customer was created with is the key, so a later change of number on one
    # replica does not hide the match.
    conn.execute("ALTER TABLE customers ADD COLUMN created_hlc TEXT")
    conn.execute("ALTER TABLE customers ADD COLUMN created_phone TEXT")
    conn.execute("UPDATE customers SET created_phone = phone")
    conn.execute("CREATE INDEX customers_created_phone ON customers (created_phone)")
    conn.execute("CREATE TABLE aliases (uid TEXT NOT NULL PRIMARY KEY, into_uid TEXT NOT NULL) WITHOUT ROWID")


def _v8(conn: sqlite3.Connection) -> None:
    # Every op carries the replica that made it and its number there, without gaps: a peer says what it
    # holds as one number per replica (a version vector) and gets exactly the ops it lacks. Older ops
    # keep neither (their replicas had no stable identity); a sync finds those by id.
    conn.execute("ALTER TABLE ops ADD COLUMN origin TEXT NOT NULL DEFAULT ''")
    conn.execute("ALTER TABLE ops ADD COLUMN oseq INTEGER")
    conn.execute("CREATE UNIQUE INDEX ops_by_origin ON ops (origin, oseq) WHERE oseq IS NOT NULL")
    # What each peer has said it holds (its vector), for compaction and for telling a replica that
    # came back after too long to start again from a snapshot.
    conn.execute("CREATE TABLE peers (peer TEXT NOT NULL PRIMARY KEY, vector TEXT NOT NULL, seen_at TEXT NOT NULL)"
                 " WITHOUT ROWID")


def _v9(conn: sqlite3.Connection) -> None:
    # The team server's users (``wtui serve add-user``): a role and the hash of a token shown once. Which
    # user each replica id belongs to, so a client can push only its own replicas' ops. Neither is
    # replicated; a clone or a snapshot leaves both behind.
    conn.execute("""CREATE TABLE users (name TEXT NOT NULL PRIMARY KEY, role TEXT NOT NULL, token_hash TEXT NOT NULL
                    UNIQUE, created_at TEXT NOT NULL, revoked_at TEXT) WITHOUT ROWID""")
    conn.execute("CREATE TABLE replica_owners (origin TEXT NOT NULL PRIMARY KEY, user TEXT NOT NULL, "
                 "since TEXT NOT NULL) WITHOUT ROWID")


def _v10(conn: sqlite3.Connection) -> None:
    # Tracked links (``wtui link``): a token the team server answers at /l/<token>, the customer it was
    # made for and where it leads. Replicated (``link.create``), so a link made offline works once pushed.
    conn.execute("""CREATE TABLE links (token TEXT NOT NULL PRIMARY KEY, customer TEXT NOT NULL, url TEXT NOT NULL,
                    kind TEXT NOT NULL, created_at TEXT NOT NULL, created_by TEXT NOT NULL) WITHOUT ROWID""")
    conn.execute("CREATE INDEX links_by_customer ON links (customer)")


def _v11(conn: sqlite3.Connection) -> None:
    # What a purchase was of, apart from its text (event rules' tag templates: Bought-<yyyy-mm>-<product>);
    # and a derived column: the weekday evening a customer reads on (Active-WedEvening).
    conn.execute("ALTER TABLE interactions ADD COLUMN product TEXT")
    conn.execute("ALTER TABLE customers ADD COLUMN habit TEXT NOT NULL DEFAULT ''")


def _v12(conn: sqlite3.Connection) -> None:
    # Tag usage for tag health (issue #16): how often each tag was named by a query, a bulk action, a
    # rule or a send, a day a row. This file's own (like the verdict cache): never an op. Since when it
    # is counted is kept, so a book upgraded today does not call every tag silent tomorrow.
    conn.execute("CREATE TABLE tag_uses (tag TEXT NOT NULL COLLATE NOCASE, day TEXT NOT NULL, uses INTEGER NOT NULL, "
                 "PRIMARY KEY (tag, day)) WITHOUT ROWID")
    conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('uses.since', ?)",
                 (json.dumps(datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")),))


def _v13(conn: sqlite3.Connection) -> None:
    # The weekly routine (issue #16), this file's own like tag_uses (never ops): a daily snapshot of the
    # colour, intent and activity distribution and each rep's workload, written by the first process of
    # the day; accuracy audits and each reviewed customer's verdict. And a derived column: the customer's
    # golden hour (local hour of our messages they answer fastest; NULL until learned).
    conn.execute("CREATE TABLE snapshots (day TEXT NOT NULL PRIMARY KEY, at TEXT NOT NULL, figures TEXT NOT NULL) "
                 "WITHOUT ROWID")
    conn.execute("""CREATE TABLE audits (id TEXT NOT NULL PRIMARY KEY, started TEXT NOT NULL, actor TEXT NOT NULL,
                    seed INTEGER NOT NULL, size INTEGER NOT NULL, population INTEGER NOT NULL) WITHOUT ROWID""")
    conn.execute("""CREATE TABLE audit_items (audit TEXT NOT NULL REFERENCES audits(id), pos INTEGER NOT NULL,
                    customer TEXT NOT NULL, reviewed_at TEXT, tags_ok INTEGER, intent_ok INTEGER, color_ok INTEGER,
                    fixed TEXT NOT NULL DEFAULT '', PRIMARY KEY (audit, pos)) WITHOUT ROWID""")
    conn.execute("ALTER TABLE customers ADD COLUMN golden_hour INTEGER")
    # The daily snapshot counts intents, activity and who was contacted today per rep: with those three in
    # the queue's index (rewritten by every verdict write anyway) it reads no customer row (145 ms against
    # 270 ms on 100k customers).
    conn.execute("DROP INDEX IF EXISTS customers_queue")
    conn.execute("CREATE INDEX customers_queue ON customers (queue_rank, due_at, color, id, owner, name, phone, "
                 "intent, activity, last_outbound)")
    # Colour accuracy reads the won and lost deals of the last weeks: a few rows among millions.
    conn.execute("CREATE INDEX interactions_outcomes ON interactions (at) WHERE kind IN ('won', 'lost')")
    # Broadcasts: an export for broadcast is a send batch (who, in which A/B group, from when), so the
    # statuses and replies that come back can be counted against it.
    conn.execute("""CREATE TABLE broadcasts (id TEXT NOT NULL PRIMARY KEY, name TEXT NOT NULL, at TEXT NOT NULL,
                    actor TEXT NOT NULL, size INTEGER NOT NULL) WITHOUT ROWID""")
    conn.execute("""CREATE TABLE broadcast_members (broadcast TEXT NOT NULL REFERENCES broadcasts(id),
                    customer TEXT NOT NULL, grp TEXT NOT NULL, PRIMARY KEY (broadcast, customer)) WITHOUT ROWID""")


def _v14(conn: sqlite3.Connection) -> None:
    # A merged-away customer keeps the number and clock they were created with (issue #13): a later
    # creation of that number on another replica is theirs, so it joins their survivor, whichever way the
    # merges happened here. The aliases so far came from twin creations: their number is the survivor's.
    conn.execute("ALTER TABLE aliases ADD COLUMN created_phone TEXT")
    conn.execute("ALTER TABLE aliases ADD COLUMN created_hlc TEXT")
    conn.execute("UPDATE aliases SET created_phone = (SELECT c.created_phone FROM customers c "
                 "WHERE c.uid = aliases.into_uid)")
    conn.execute("CREATE INDEX aliases_created_phone ON aliases (created_phone)")


def _v15(conn: sqlite3.Connection) -> None:
    # Log compaction (issue #13): per replica, the number up to which its ops were dropped from this log
    # (their effects are in the tables; every known peer held them). The vector counts from there.
    conn.execute("""CREATE TABLE log_horizon (origin TEXT NOT NULL PRIMARY KEY, oseq INTEGER NOT NULL,
                    hlc TEXT NOT NULL) WITHOUT ROWID""")


MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _v1, 2: _v2, 3: _v3, 4: _v4, 5: _v5, 6: _v6,
                                                               7: _v7, 8: _v8, 9: _v9, 10: _v10, 11: _v11,
                                                               12: _v12, 13: _v13, 14: _v14, 15: _v15}


def version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def check(conn: sqlite3.Connection, where: str) -> int:
    v = version(conn)
    if v > SCHEMA_VERSION:
        raise BookError(
            f"{where} was written by a newer wtui (book version {v}, this wtui knows up to {SCHEMA_VERSION}): "
            "upgrade wtui to open it; the book was not changed"
        )
    return v


def require_current(conn: sqlite3.Connection, where: str) -> None:
    """For a read-only open: the book must need no migration (a migration writes)."""
    v = check(conn, where)
    if v < SCHEMA_VERSION:
        raise BookError(
            f"{where} needs an upgrade to book version {SCHEMA_VERSION} (it is at {v}), and the book is read-only "
            "for you: ask someone who may write it to open it once with this wtui"
        )


def migrate(conn: sqlite3.Connection, where: str) -> bool:
    """Bring the book to SCHEMA_VERSION; True when anything ran."""
    v = check(conn, where)
    if v == SCHEMA_VERSION:
        return False
    try:
        with write(conn):
            v = check(conn, where)  # another process may have migrated meanwhile
            for target in range(v + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[target](conn)
                conn.execute("PRAGMA user_version = %d" % target)  # PRAGMA takes no parameters; an int only
            conn.execute("PRAGMA application_id = %d" % APPLICATION_ID)
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise
        # The tables are not those of the version the file states (its user_version was changed, or
        # the file was assembled by hand): upgrading it would fail half-way, so it is left as it was.
        raise BookError(f"{where} says it is book version {v}, but its tables do not match that version "
                        f"({exc}): it was altered outside wtui; the book was not changed") from None
    return v != SCHEMA_VERSION
