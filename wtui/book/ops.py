"""Operations: the unit of every change to a book, and how each is applied.

A local write and a replicated op from another replica go through the same
``apply``: the op is recorded in ``ops`` (ignored if its id is already there,
which makes applying idempotent) and then its effect is merged:

- ``customer.create``: insert if the customer's uid is new;
- ``customers.import``: many creates in one op (an import's rows, with their
  tags and first note), so a 100k-row import logs 200 ops, not 100k;
- ``customer.set``: each field is last-writer-wins by the op's clock
  (``field_clocks``), so two replicas converge whatever the arrival order;
- ``tag.add`` / ``tag.remove``: last-writer-wins per (customer, tag), the
  remove kept as a tombstone row so an older add cannot bring a tag back;
- ``tag.create`` / ``tag.set``: the tag set (admins only, checked by the caller);
- ``interaction.add`` / ``note.add``: append-only, keyed by their own uid;
  ``*.retract`` marks one as withdrawn (how undo takes a logged contact back);
- ``settings.set``, ``segment.set``: last-writer-wins per key / segment name.

``apply`` returns the ids of customers whose verdict must be recomputed.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wtui.book.db import chunks, select_in
from wtui.book.engine import sqlite3
from wtui.errors import BadInput

CUSTOMER_FIELDS = frozenset({
    "name", "phone", "region", "tz", "tz_override", "language", "source", "owner", "consent", "consent_at",
    "consent_source", "wa_id",
    "override_color", "override_until", "override_set_at", "override_intent", "preference",
})
TAG_FIELDS = frozenset({"dimension", "color", "description", "archived"})
# Column names come only from these fixed sets; values are always parameters.
_SET_CUSTOMER = {f: "UPDATE customers SET %s = ? WHERE id = ?" % f for f in CUSTOMER_FIELDS - {"preference"}}
_SET_TAG = {f: "UPDATE tags SET %s = ? WHERE id = ?" % f for f in TAG_FIELDS}
_CREATE_COLUMNS = ("uid", "phone", "name", "region", "tz", "language", "source", "owner", "consent", "created_at")
_CREATE_CUSTOMER = "INSERT OR IGNORE INTO customers (%s, created_hlc, created_phone) VALUES (%s, ?, ?)" % (
    ", ".join(_CREATE_COLUMNS), ", ".join("?" * len(_CREATE_COLUMNS)))
# The create-time columns a merge takes from the surviving creation where no set op has written them.
_CREATED_FIELDS = ("name", "region", "tz", "language", "source", "owner", "consent", "created_at")
_SET_CREATED = {f: "UPDATE customers SET %s = ? WHERE uid = ?" % f for f in _CREATED_FIELDS}


# One encoder for every op's payload: json.dumps given any option builds a new encoder per call, a
# third of the cost of a bulk write's ops.
_payload_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode


@dataclass(frozen=True)
class Op:
    """One operation of the op log: what a write did, stamped by its replica's clock."""

    op_id: str
    hlc: str
    actor: str
    entity: str  # "customer:<uid>", "tag:<name>", "settings"
    kind: str
    payload: dict[str, Any]
    reason: str = ""
    batch: str | None = None
    # The replica that made the op and its number there (1, 2, 3, ... with no gap): what a peer's
    # version vector counts (``Book.vector``). Ops written before book version 8 have neither.
    origin: str = ""
    oseq: int | None = None

    def row(self) -> tuple:
        blob = _payload_json(self.payload)
        return (self.op_id, self.hlc, self.actor, self.entity, self.kind, blob, self.reason, self.batch, self.origin,
                self.oseq)

    @staticmethod
    def from_row(r: sqlite3.Row | tuple) -> "Op":
        op_id, hlc, actor, entity, kind, payload, reason, batch, origin, oseq = r
        return Op(op_id, hlc, actor, entity, kind, json.loads(payload), reason or "", batch, origin or "", oseq)


SELECT = "SELECT op_id, hlc, actor, entity, kind, payload, reason, batch, origin, oseq FROM ops"
_RECORD = ("INSERT OR IGNORE INTO ops (op_id, hlc, actor, entity, kind, payload, reason, batch, origin, oseq) "
           "VALUES (?,?,?,?,?,?,?,?,?,?)")


def record(conn: sqlite3.Connection, op: Op) -> bool:
    """Append the op to the log; False when it was already there (or was, before compaction dropped it).
    An op under an (origin, number) the log already holds for another op is refused: that replica issued a
    number twice (its book was restored over itself from an older copy), and taking either silently would
    lose the other."""
    if op.oseq is not None and op.oseq <= horizon(conn).get(op.origin, 0):
        return False
    cur = conn.execute(_RECORD, op.row())
    if cur.rowcount == 1:
        return True
    if op.oseq is not None and conn.execute("SELECT 1 FROM ops WHERE op_id = ?", (op.op_id,)).fetchone() is None:
        raise ReusedNumber(op.origin, op.oseq)
    return False


class ReusedNumber(BadInput):
    """Two different ops carry one replica's (origin, number)."""

    def __init__(self, origin: str, oseq: int) -> None:
        super().__init__(f"replica {origin} issued op number {oseq} twice, for two different changes: its book "
                         "was replaced by an older copy of itself; start it again from the team book "
                         "(wtui clone) and re-enter what it lost")
        self.origin, self.oseq = origin, oseq


class Behind(BadInput):
    """A peer lacks ops this log no longer holds: compaction dropped them once every peer heard from lately
    held them, and this one was away longer. It starts again from a snapshot (``wtui clone``), its own
    changes sent first."""

    def __init__(self, origins: list[str], through: str, message: str = "") -> None:
        super().__init__(message or f"this replica was away longer than the other side keeps its log: it lacks "
                         f"ops of {len(origins)} replica(s) compacted away there (up to {through}); send your own "
                         "changes, then start this replica again from a fresh copy (wtui clone)")
        self.origins, self.through = origins, through


def horizon(conn: sqlite3.Connection) -> dict[str, int]:
    """Per replica, the number up to which its ops were compacted out of this log (``Book.compact``): their
    effects are in the tables, so one of them arriving again is one already applied."""
    return dict(conn.execute("SELECT origin, oseq FROM log_horizon"))


def apply(conn: sqlite3.Connection, op: Op) -> set[int]:
    """Record and apply one op inside the caller's transaction."""
    if not record(conn, op):
        return set()
    return effect(conn, op)


def effect(conn: sqlite3.Connection, op: Op) -> set[int]:
    """Merge a just-recorded op's effect (or park it until what it refers to arrives)."""
    handler = _HANDLERS.get(op.kind)
    if handler is None:
        raise ValueError(f"unknown operation kind {op.kind!r}")
    return handler(conn, op)


def customer_id(conn: sqlite3.Connection, uid: str) -> int | None:
    """The row of a customer, following a merge (an alias) to the customer that survived it."""
    row = conn.execute("SELECT id FROM customers WHERE uid = ?", (resolve(conn, uid),)).fetchone()
    return row[0] if row else None


def resolve(conn: sqlite3.Connection, uid: str) -> str:
    """The uid a customer goes by here: their own, or the survivor's they were merged into."""
    row = conn.execute("SELECT into_uid FROM aliases WHERE uid = ?", (uid,)).fetchone()
    return row[0] if row else uid


def clock(op: Op) -> str:
    """The clock an op's effect is judged by (last writer wins). An undo's inverse op is judged just after
    the op it takes back (``reverts``), not at its own time: so a teammate's edit made after the
    original, which the undoing replica had not seen yet, still wins everywhere; with no such edit the
    undo wins, since every later stamp sorts after ``<reverted>+...``."""
    reverts = op.payload.get("reverts")
    return f"{reverts}+{op.hlc}" if reverts else op.hlc


def _park(conn: sqlite3.Connection, op: Op, what: str) -> set[int]:
    """Keep an op whose referent has not arrived yet; ``_unpark`` applies it when it does."""
    conn.execute("INSERT OR REPLACE INTO parked (op_id, waits_for) VALUES (?, ?)", (op.op_id, what))
    return set()


def _unpark(conn: sqlite3.Connection, keys: list[str]) -> set[int]:
    """Apply the ops that were waiting for these (a customer, a tag, a contact, a note that arrived)."""
    if not keys or conn.execute("SELECT 1 FROM parked LIMIT 1").fetchone() is None:
        return set()
    waiting = [r[0] for r in select_in(conn, "SELECT op_id FROM parked WHERE waits_for IN (%s)", keys)]
    touched: set[int] = set()
    for chunk in chunks(waiting):
        conn.execute("DELETE FROM parked WHERE op_id IN (%s)" % ",".join("?" * len(chunk)), chunk)
        for row in select_in(conn, SELECT + " WHERE op_id IN (%s) ORDER BY hlc", chunk):
            op = Op.from_row(row)
            touched |= _HANDLERS[op.kind](conn, op)
    return touched


def retry_numbers(conn: sqlite3.Connection) -> set[int]:
    """Apply again the ops that wait for a number (parked by a version that did not merge customers whose
    numbers met): they merge now, so a book stuck that way heals at its next sync."""
    keys = [k for (k,) in conn.execute("SELECT DISTINCT waits_for FROM parked WHERE waits_for LIKE 'phone:%'")]
    return _unpark(conn, keys)


def parked(conn: sqlite3.Connection) -> int:
    """How many ops wait for something that has not arrived."""
    return conn.execute("SELECT count(*) FROM parked").fetchone()[0]


def _lww(conn: sqlite3.Connection, entity: str, field: str, hlc: str) -> bool:
    """True when ``hlc`` is newer than the field's clock (and records it)."""
    row = conn.execute("SELECT hlc FROM field_clocks WHERE entity = ? AND field = ?", (entity, field)).fetchone()
    if row and row[0] >= hlc:
        return False
    conn.execute("INSERT OR REPLACE INTO field_clocks (entity, field, hlc) VALUES (?,?,?)", (entity, field, hlc))
    return True


def _customer_create(conn: sqlite3.Connection, op: Op) -> set[int]:
    return create_one(conn, op.payload, op.hlc, op)


# Who was created with this number: a customer here, or one merged into a customer here (whose
# survivor it then is). The survivor row's creation clock is the lowest of all merged into it.
_TWIN = """SELECT uid, coalesce(created_hlc, '') FROM customers WHERE created_phone = ? AND uid != ?
    UNION SELECT c.uid, coalesce(c.created_hlc, '') FROM aliases a JOIN customers c ON c.uid = a.into_uid
    WHERE a.created_phone = ? LIMIT 1"""


def create_one(conn: sqlite3.Connection, p: dict[str, Any], hlc: str, op: Op) -> set[int]:
    """One customer's creation (a ``customer.create``, or an import row that met a customer here).

    No field clocks at creation: a field without a clock takes the first set op that comes. A creation
    whose number another creation here already used is merged with it (``_merge``)."""
    uid = p["uid"]
    if conn.execute("SELECT 1 FROM aliases WHERE uid = ?", (uid,)).fetchone():
        return set()  # merged into another before: nothing of its own to add
    twin = conn.execute(_TWIN, (p["phone"], uid, p["phone"])).fetchone()
    if twin:
        return _merge(conn, p, hlc, op, twin)
    if conn.execute(_CREATE_CUSTOMER, [*create_row(p), hlc, p["phone"]]).rowcount == 0:
        if conn.execute("SELECT 1 FROM customers WHERE uid = ?", (uid,)).fetchone():
            return set()
        # Another customer changed to this number here: one number, one customer. Merged now by the same
        # rule as twin creations, and a ``customer.merge`` asked for, so replicas that never saw the two
        # clash (the number moved on before this creation arrived there) merge them too.
        holder = conn.execute("SELECT uid, coalesce(created_hlc, '') FROM customers WHERE phone = ?",
                              (p["phone"],)).fetchone()
        if holder is None:  # not the number (a row the table refuses): it waits, never raises inside apply
            return _park(conn, op, f"phone:{p['phone']}")
        _ask_merge(conn, uid, holder[0])
        return _merge(conn, p, hlc, op, holder)
    return _arrived(conn, p, hlc, op, uid, [f"customer:{uid}"])


def _arrived(conn: sqlite3.Connection, p: dict[str, Any], hlc: str, op: Op, into: str, keys: list[str]) -> set[int]:
    """What a creation brings besides its row (an import row's tags, at the creation's clock, and first
    note) onto the customer ``into``; then the ops that waited for it."""
    for tag in p.get("tags", ()):
        conn.execute(_TAG_UPSERT, (1, hlc, into, tag)).fetchall()
    if p.get("note"):
        conn.execute(_NOTE_BY_UID, (p["note"][0], p.get("created_at"), op.actor, p["note"][1], into))
    cid = customer_id(conn, into)
    return ({cid} if cid is not None else set()) | _unpark(conn, keys)


def _merge(conn: sqlite3.Connection, p: dict[str, Any], hlc: str, op: Op, twin: tuple[str, str]) -> set[int]:
    """Two creations of one number (on two replicas) end as one customer everywhere, whatever the
    order they arrive in: the lowest (creation clock, uid) survives with its creation's values where no
    set op has written since; set ops of both compete by clock; tags by clock; notes and contacts of
    both are kept. The other uid becomes an alias, so its ops, early or late, land on the survivor."""
    uid, (other, other_hlc) = p["uid"], twin
    if (hlc, uid) > (other_hlc, other):  # the newcomer merges into the customer here
        conn.execute(_ALIAS, (uid, other, p["phone"], hlc))
        survivor = other
    else:  # the customer here merges into the newcomer: the row takes its uid and creation values
        entity, new_entity = f"customer:{other}", f"customer:{uid}"
        clocked = {f for (f,) in conn.execute("SELECT field FROM field_clocks WHERE entity = ?", (entity,))}
        was = conn.execute("SELECT created_phone, created_hlc FROM customers WHERE uid = ?", (other,)).fetchone()
        # The survivor's creation, number included: a twin by number met later is the survivor's, as
        # after ``merge_rows`` (the twin of a number the customer here had only changed to is not).
        conn.execute("UPDATE customers SET uid = ?, created_hlc = ?, created_phone = ?, created_op = NULL "
                     "WHERE uid = ?", (uid, hlc, p["phone"], other))
        for f in _CREATED_FIELDS:
            if f not in clocked:
                conn.execute(_SET_CREATED[f], (int(bool(p.get(f))) if f == "consent" else p.get(f), uid))
        conn.execute("UPDATE field_clocks SET entity = ? WHERE entity = ?", (new_entity, entity))
        conn.execute("UPDATE aliases SET into_uid = ? WHERE into_uid = ?", (uid, other))
        conn.execute(_ALIAS, (other, uid, *was))
        survivor = uid
    return _arrived(conn, p, hlc, op, survivor, [f"customer:{uid}", f"customer:{other}"])


def create_row(p: dict[str, Any]) -> list[Any]:
    return [p.get(c) if c != "consent" else int(bool(p.get("consent"))) for c in _CREATE_COLUMNS]


IMPORT_ROWS_PER_OP = 500  # keeps one op's payload small enough to read back for one customer's change log
# A customers.import payload is a table: {"fields": IMPORT_FIELDS, "rows": [[value, ...], ...]}
# (a third the size of a dict per row, and as quick to write as to read).
IMPORT_FIELDS = _CREATE_COLUMNS + ("tags", "note")  # note: [uid, text] or null
_IMPORT_COLUMNS = ("id",) + _CREATE_COLUMNS + ("created_op",)


def import_rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """A customers.import payload's rows as dicts, by field name."""
    return [dict(zip(payload["fields"], row, strict=True)) for row in payload["rows"]]


def insert_customers(conn: sqlite3.Connection, op: Op, derived_columns: tuple[str, ...] = (),
                     derived: Callable[[list[str]], tuple] | None = None, *, fresh: bool = False) -> list[int]:
    """Apply a ``customers.import`` op: insert each row whose uid and phone are new here.

    ``fresh`` says the caller has just checked, in this transaction, that all
    rows are new. Ids are given, not left to SQLite, so the rows' tags go in by
    plain inserts (a new customer has no tag rows to merge with). ``derived``
    fills ``derived_columns`` from a row's tags when the caller can say what a
    new customer's stored verdict is, saving an UPDATE per row. Returns the new ids.
    """
    at = {f: i for i, f in enumerate(op.payload["fields"])}
    rows = op.payload["rows"]
    uid, phone, tags, note, created = at["uid"], at["phone"], at["tags"], at["note"], at["created_at"]
    met: list[int] = []
    if not fresh:
        uids, phones = [r[uid] for r in rows], sorted({r[phone] for r in rows})
        known = {v for sql in ("SELECT uid FROM customers WHERE uid IN (%s)",
                               "SELECT uid FROM aliases WHERE uid IN (%s)") for (v,) in select_in(conn, sql, uids)}
        taken = {v for sql in ("SELECT created_phone FROM customers WHERE created_phone IN (%s)",
                               "SELECT created_phone FROM aliases WHERE created_phone IN (%s)",
                               "SELECT phone FROM customers WHERE phone IN (%s)")
                 for (v,) in select_in(conn, sql, phones)}
        # A row whose number a customer here already has is merged with them, one at a time (rare).
        rows = [r for r in rows if r[uid] not in known]
        clash = [r for r in rows if r[phone] in taken]
        rows = [r for r in rows if r[phone] not in taken]
        for r in clash:
            met += create_one(conn, dict(zip(op.payload["fields"], r, strict=True)), op.hlc, op)
    base = conn.execute("SELECT coalesce(max(id), 0) FROM customers").fetchone()[0]
    ids = range(base + 1, base + 1 + len(rows))
    values = operator.itemgetter(*(at[c] for c in _CREATE_COLUMNS))
    columns = _IMPORT_COLUMNS + ("created_hlc", "created_phone") + derived_columns
    conn.executemany(
        "INSERT INTO customers (%s) VALUES (%s)" % (", ".join(columns), ", ".join("?" * len(columns))),
        [(cid, *values(r), op.op_id, op.hlc, r[phone], *(derived(r[tags]) if derived else ()))
         for cid, r in zip(ids, rows, strict=True)])
    tag_ids = {name.lower(): tid for tid, name in conn.execute("SELECT id, name FROM tags")}
    conn.executemany(
        "INSERT OR IGNORE INTO customer_tags (customer_id, tag_id, present, hlc) VALUES (?, ?, 1, ?)",
        [(cid, tag_ids[t.lower()], op.hlc) for cid, r in zip(ids, rows, strict=True)
         for t in r[tags] if t.lower() in tag_ids])
    conn.executemany(
        "INSERT OR IGNORE INTO notes (uid, customer_id, at, author, text) VALUES (?,?,?,?,?)",
        [(r[note][0], cid, r[created], op.actor, r[note][1]) for cid, r in zip(ids, rows, strict=True) if r[note]])
    if not fresh:  # ops from elsewhere that arrived before these customers
        met += _unpark(conn, [f"customer:{r[uid]}" for r in rows])
    return list(ids) + met


def _customer_set(conn: sqlite3.Connection, op: Op) -> set[int]:
    cid = customer_id(conn, op.payload["uid"])
    if cid is None:
        return _park(conn, op, f"customer:{op.payload['uid']}")
    touched = {cid}
    phone = op.payload["fields"].get("phone")
    held = conn.execute("SELECT hlc FROM field_clocks WHERE entity = ? AND field = 'phone'",
                        (f"customer:{resolve(conn, op.payload['uid'])}",)).fetchone()
    # A change that loses to a newer one of their number never merges (Book.apply_remote applies a batch's
    # number changes newest first, so one superseded in the same batch loses here too).
    newest = not held or clock(op) > held[0]
    holder = phone and newest and conn.execute("SELECT uid FROM customers WHERE phone = ? AND id != ?",
                                               (phone, cid)).fetchone()
    if holder:
        # A number changed onto another customer's (one another replica created): one number, one
        # customer. Merged here (never an error inside apply), and a ``customer.merge`` asked for so every
        # replica merges the same two, whatever order the ops reach it in.
        me = resolve(conn, op.payload["uid"])
        _ask_merge(conn, me, holder[0])
        touched = merge_rows(conn, me, holder[0])
        cid = customer_id(conn, me)
    at, entity = clock(op), f"customer:{resolve(conn, op.payload['uid'])}"
    for field, value in op.payload["fields"].items():
        if field not in CUSTOMER_FIELDS or not _lww(conn, entity, field, at):
            continue
        if field == "preference":
            _set_preference(conn, cid, value)
        else:
            conn.execute(_SET_CUSTOMER[field], (value, cid))
    return touched | {cid}


def _customer_merge(conn: sqlite3.Connection, op: Op) -> set[int]:
    """``customer.merge``: two customers one number showed to be one person (a phone change onto a number
    another replica created). The replica that saw them clash asks for it; every replica merges the same
    two into the same survivor (``merge_rows``), whenever it arrives; a second ask is a no-op."""
    a, b = (resolve(conn, u) for u in op.payload["uids"])
    if a == b:
        return set()
    for u in (a, b):
        if customer_id(conn, u) is None:
            return _park(conn, op, f"customer:{u}")
    return merge_rows(conn, a, b)


_TAGS_INTO = """INSERT INTO customer_tags (customer_id, tag_id, present, hlc)
    SELECT ?, tag_id, present, hlc FROM customer_tags WHERE customer_id = ?
    ON CONFLICT (customer_id, tag_id) DO UPDATE SET present = excluded.present, hlc = excluded.hlc
    WHERE excluded.hlc > customer_tags.hlc"""


def merge_rows(conn: sqlite3.Connection, a: str, b: str) -> set[int]:
    """Two customers here become one: the lower (creation clock, uid) survives, as in ``_merge``. Each
    tag by its clock, each field by its clock (a field no set op wrote keeps the survivor's creation
    value), every note and interaction kept; the other uid becomes an alias, so its ops land on the
    survivor. The same two always give the same customer, whichever replica merges them when."""
    rows = {u: conn.execute("SELECT id, coalesce(created_hlc, '') FROM customers WHERE uid = ?", (u,)).fetchone()
            for u in (a, b)}
    survivor, loser = sorted((a, b), key=lambda u: (rows[u][1], u))
    sid, lid = rows[survivor][0], rows[loser][0]
    conn.execute(_TAGS_INTO, (sid, lid))
    conn.execute("DELETE FROM customer_tags WHERE customer_id = ?", (lid,))
    conn.execute("UPDATE notes SET customer_id = ? WHERE customer_id = ?", (sid, lid))
    conn.execute("UPDATE interactions SET customer_id = ? WHERE customer_id = ?", (sid, lid))
    mine, theirs = (dict(conn.execute("SELECT field, hlc FROM field_clocks WHERE entity = ?", (f"customer:{u}",)))
                    for u in (survivor, loser))
    # The loser's number is its own (numbers are unique), so it is free for the survivor once the loser goes.
    take = sorted(f for f, h in theirs.items() if f in CUSTOMER_FIELDS and h > mine.get(f, ""))
    plain = [f for f in take if f != "preference"]
    values = conn.execute("SELECT %s FROM customers WHERE id = ?" % ", ".join(plain), (lid,)).fetchone() \
        if plain else ()  # column names from CUSTOMER_FIELDS only
    pref = conn.execute("SELECT note, format, time, frequency FROM preferences WHERE customer_id = ?",
                        (lid,)).fetchone() if "preference" in take else None
    conn.execute("DELETE FROM preferences WHERE customer_id = ?", (lid,))
    phones = [r[0] for r in conn.execute("SELECT phone FROM customers WHERE id IN (?, ?)", (sid, lid))]
    created = conn.execute("SELECT created_phone, created_hlc FROM customers WHERE id = ?", (lid,)).fetchone()
    conn.execute("DELETE FROM customers WHERE id = ?", (lid,))  # first: its number is free for the survivor
    for field, value in zip(plain, values, strict=True):
        conn.execute(_SET_CUSTOMER[field], (value, sid))
    if "preference" in take:
        _set_preference(conn, sid, dict(zip(("note", "format", "time", "frequency"), pref, strict=True))
                        if pref else None)
    conn.executemany("INSERT OR REPLACE INTO field_clocks (entity, field, hlc) VALUES (?, ?, ?)",
                     [(f"customer:{survivor}", f, theirs[f]) for f in take])
    conn.execute("DELETE FROM field_clocks WHERE entity = ?", (f"customer:{loser}",))
    conn.execute("UPDATE aliases SET into_uid = ? WHERE into_uid = ?", (survivor, loser))
    conn.execute(_ALIAS, (loser, survivor, *created))
    return {sid} | _unpark(conn, [f"customer:{loser}", f"customer:{survivor}"] + [f"phone:{p}" for p in phones])


# A merged-away uid, with the number and clock it was created with (a later twin of that number joins).
_ALIAS = "INSERT OR REPLACE INTO aliases (uid, into_uid, created_phone, created_hlc) VALUES (?, ?, ?, ?)"


def _ask_merge(conn: sqlite3.Connection, a: str, b: str) -> None:
    """Ask the applying book to log a ``customer.merge`` of the two (``merge_asks``): this connection's own
    scratch table, gone with it, rolled back with the batch."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS merge_asks (a TEXT, b TEXT, PRIMARY KEY (a, b))")
    conn.execute("INSERT OR IGNORE INTO merge_asks (a, b) VALUES (?, ?)", tuple(sorted((a, b))))


def merge_asks(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """The merges this connection's applying asked for since the last call (and forgets them)."""
    if conn.execute("SELECT 1 FROM sqlite_temp_master WHERE name = 'merge_asks'").fetchone() is None:
        return []
    asks = conn.execute("SELECT a, b FROM merge_asks ORDER BY a, b").fetchall()
    conn.execute("DELETE FROM merge_asks")
    return asks


def _set_preference(conn: sqlite3.Connection, cid: int, value: dict[str, str] | None) -> None:
    if not value:
        conn.execute("DELETE FROM preferences WHERE customer_id = ?", (cid,))
        return
    conn.execute(
        "INSERT OR REPLACE INTO preferences (customer_id, note, format, time, frequency) VALUES (?,?,?,?,?)",
        (cid, value["note"], value.get("format", ""), value.get("time", ""), value.get("frequency", "")),
    )


def tag_id(conn: sqlite3.Connection, name: str) -> int | None:
    row = conn.execute("SELECT id FROM tags WHERE name = ? COLLATE NOCASE", (name,)).fetchone()
    return row[0] if row else None


# One statement per tag op: resolve customer and tag, and write only if this op
# is newer than what the row holds (last writer wins).
_TAG_UPSERT = """INSERT INTO customer_tags (customer_id, tag_id, present, hlc)
    SELECT c.id, t.id, ?, ? FROM customers c, tags t WHERE c.uid = ? AND t.name = ? COLLATE NOCASE
    ON CONFLICT (customer_id, tag_id) DO UPDATE SET present = excluded.present, hlc = excluded.hlc
    WHERE excluded.hlc > customer_tags.hlc
    RETURNING customer_id"""


_TAG_UPSERT_MANY = _TAG_UPSERT.replace("\n    RETURNING customer_id", "")


# A field's clock moves only forward; the value is written where this op's clock is the one now held.
_CLOCK = """INSERT INTO field_clocks (entity, field, hlc) VALUES (?,?,?)
    ON CONFLICT (entity, field) DO UPDATE SET hlc = excluded.hlc WHERE excluded.hlc > field_clocks.hlc"""
_SET_BY_UID = {f: "UPDATE customers SET %s = ? WHERE uid = ? AND (SELECT hlc FROM field_clocks WHERE entity = ? "
                  "AND field = '%s') = ?" % (f, f) for f in CUSTOMER_FIELDS - {"preference"}}
_NOTE_BY_UID = """INSERT OR IGNORE INTO notes (uid, customer_id, at, author, text)
    SELECT ?, id, ?, ?, ? FROM customers WHERE uid = ?"""


FRESH_KINDS = frozenset({"tag.add", "tag.remove", "customer.set", "note.add", "interaction.add", "interaction.retract",
                         "note.retract"})
_INTERACTION_BY_UID = """INSERT OR IGNORE INTO interactions
    (uid, customer_id, kind, at, text, signals, amount, minutes, color_at, product, actor)
    SELECT ?, id, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM customers WHERE uid = ?"""
_RETRACT = {"interaction.retract": "UPDATE interactions SET retracted = 1 WHERE uid = ?",
            "note.retract": "UPDATE notes SET retracted = 1 WHERE uid = ?"}
_RETRACTED_THERE = {"interaction.retract": "SELECT uid FROM interactions WHERE uid IN (%s)",
                    "note.retract": "SELECT uid FROM notes WHERE uid IN (%s)"}


def fresh_ok(kind: str, payload: dict[str, Any]) -> bool:
    """Can ``apply_fresh`` take an op of this kind and payload?"""
    return kind in FRESH_KINDS and not (kind == "customer.set" and "preference" in payload["fields"])


def record_many(conn: sqlite3.Connection, batch: list[Op]) -> list[Op]:
    """``record`` for a batch at once: the ops the log did not hold, in batch order (one of each)."""
    held = {r[0] for r in select_in(conn, "SELECT op_id FROM ops WHERE op_id IN (%s)", [op.op_id for op in batch])}
    dropped = horizon(conn)
    new: list[Op] = []
    for op in batch:
        if op.op_id not in held and (op.oseq is None or op.oseq > dropped.get(op.origin, 0)):
            held.add(op.op_id)
            new.append(op)
    before = conn.total_changes
    conn.executemany(_RECORD, [op.row() for op in new])
    if conn.total_changes - before != len(new):  # one collided on (origin, oseq): name it
        for op in new:
            row = conn.execute("SELECT op_id FROM ops WHERE origin = ? AND oseq = ?", (op.origin, op.oseq)).fetchone()
            if op.oseq is not None and row and row[0] != op.op_id:
                raise ReusedNumber(op.origin, op.oseq)
    return new


def ready_fresh(conn: sqlite3.Connection, batch: list[Op]) -> tuple[list[Op], list[Op]]:
    """Split ops from elsewhere into those ``apply_fresh`` can take as they are (what they refer to is
    here, under its own uid) and the rest, which go one by one (``effect``: parking, merges, a number
    another customer holds)."""
    wanted = [op for op in batch if fresh_ok(op.kind, op.payload)
              and not (op.kind == "customer.set" and ("phone" in op.payload["fields"]
                                                      or op.entity != f"customer:{op.payload['uid']}"))]
    uids = {op.payload["uid"] for op in wanted if op.kind in ("tag.add", "tag.remove", "customer.set")}
    uids |= {op.payload["customer"] for op in wanted if op.kind in ("note.add", "interaction.add")}
    here = {r[0] for r in select_in(conn, "SELECT uid FROM customers WHERE uid IN (%s)", sorted(uids))}
    names = sorted({op.payload["tag"] for op in wanted if op.kind in ("tag.add", "tag.remove")})
    tags = {r[0].lower() for r in select_in(conn, "SELECT name FROM tags WHERE name COLLATE NOCASE IN (%s)", names)}

    def ok(op: Op) -> bool:
        if op.kind in ("tag.add", "tag.remove"):
            return op.payload["uid"] in here and op.payload["tag"].lower() in tags
        if op.kind == "customer.set":
            return op.payload["uid"] in here
        if op.kind in ("note.add", "interaction.add"):
            return op.payload["customer"] in here
        return True  # a retraction: apply_fresh parks it when what it takes back is not here

    fast = [op for op in wanted if ok(op)]
    taken = {op.op_id for op in fast}
    return fast, [op for op in batch if op.op_id not in taken]


def apply_fresh(conn: sqlite3.Connection, batch: list[Op], *, recorded: bool = False) -> set[int]:
    """Record and apply many ops this replica just made: one executemany per kind (~10x faster
    than one by one), for tag ops, ``customer.set`` of plain columns, ``note.add``, ``interaction.add``
    and retractions (the caller marks the verdicts they make stale: ``Book._apply_fresh``).

    Fresh ops mostly carry the newest clock this replica has seen, but an undo's inverse is judged
    at the op it takes back (``clock``): so clocks are compared here as in ``apply``, and ops from
    elsewhere come here too, once ``ready_fresh`` found what they refer to (``recorded``: already in
    the log). Returns the customers of ops it let go that were waiting for these notes.
    """
    refused = sorted({op.kind for op in batch if not fresh_ok(op.kind, op.payload)})
    if refused:
        raise ValueError(f"apply_fresh takes tag ops, plain customer.set, note.add, interaction.add and "
                         f"retractions, not {refused}")
    sets = [op for op in batch if op.kind == "customer.set"]
    if not recorded:
        conn.executemany(_RECORD, [op.row() for op in batch])
    conn.executemany(_TAG_UPSERT_MANY, [(int(op.kind == "tag.add"), clock(op), op.payload["uid"], op.payload["tag"])
                                        for op in batch if op.kind in ("tag.add", "tag.remove")])
    conn.executemany(_CLOCK, [(op.entity, f, clock(op)) for op in sets for f in op.payload["fields"]])
    for field, sql in _SET_BY_UID.items():
        rows = [(op.payload["fields"][field], op.payload["uid"], op.entity, clock(op)) for op in sets
                if field in op.payload["fields"]]
        if rows:
            conn.executemany(sql, rows)
    conn.executemany(_NOTE_BY_UID, [(op.payload["uid"], op.payload["at"], op.actor, op.payload["text"],
                                     op.payload["customer"]) for op in batch if op.kind == "note.add"])
    added = [op for op in batch if op.kind == "interaction.add"]
    conn.executemany(_INTERACTION_BY_UID, [(p["uid"], p["kind"], p["at"], p.get("text"), p.get("signals"),
                                            p.get("amount"), p.get("minutes"), p.get("color_at"), p.get("product"),
                                            op.actor,
                                            p["customer"]) for op, p in ((op, op.payload) for op in added)])
    for kind, sql in _RETRACT.items():
        wanted = [op for op in batch if op.kind == kind]
        if not wanted:
            continue
        conn.executemany(sql, [(op.payload["uid"],) for op in wanted])
        # An undo of a contact or note whose add is still parked here (its customer has not arrived):
        # the retract waits for it too, or the add would come back unretracted.
        there = {u for (u,) in select_in(conn, _RETRACTED_THERE[kind], [op.payload["uid"] for op in wanted])}
        for op in wanted:
            if op.payload["uid"] not in there:
                _park(conn, op, f"{kind.split('.')[0]}:{op.payload['uid']}")
    # A retraction that came before what it takes back waits for it (``_note_add`` and
    # ``_interaction_add`` do the same).
    return _unpark(conn, [f"note:{op.payload['uid']}" for op in batch if op.kind == "note.add"]
                   + [f"interaction:{op.payload['uid']}" for op in added])


def _tag_presence(conn: sqlite3.Connection, op: Op, present: int) -> set[int]:
    uid, tag = resolve(conn, op.payload["uid"]), op.payload["tag"]
    row = conn.execute(_TAG_UPSERT, (present, clock(op), uid, tag)).fetchone()
    if row:
        return {row[0]}
    if customer_id(conn, uid) is None:
        return _park(conn, op, f"customer:{uid}")
    if tag_id(conn, tag) is None:
        return _park(conn, op, _tag_key(tag))
    return set()  # an older op than the one the row holds: last writer wins


def _tag_key(name: str) -> str:
    return "tag:" + name.lower()  # tag names are one tag whatever their case


def _tag_create(conn: sqlite3.Connection, op: Op) -> set[int]:
    """A tag definition is last-writer-wins per field with its name as key: two admins who create one
    name end with one tag, the same on every replica; its creator is whoever created it first."""
    p = op.payload
    key = _tag_key(p["name"])
    tid = tag_id(conn, p["name"])
    if tid is None:
        conn.execute("INSERT INTO tags (name, dimension, color, description, created_by, created_at) "
                     "VALUES (?,?,?,?,?,?)", (p["name"], p.get("dimension", ""), p.get("color", ""),
                                              p.get("description", ""), op.actor, p.get("at")))
        for field in ("name", "dimension", "color", "description"):
            _lww(conn, key, field, op.hlc)
        conn.execute("INSERT OR REPLACE INTO field_clocks (entity, field, hlc) VALUES (?, 'created', ?)",
                     (key, op.hlc))
        return _unpark(conn, [key])
    for field in ("name", "dimension", "color", "description"):
        if _lww(conn, key, field, op.hlc):
            conn.execute("UPDATE tags SET %s = ? WHERE id = ?" % field, (p.get(field, ""), tid))
    first = conn.execute("SELECT hlc FROM field_clocks WHERE entity = ? AND field = 'created'", (key,)).fetchone()
    if first is None or op.hlc < first[0]:  # the earliest creation names the creator
        conn.execute("INSERT OR REPLACE INTO field_clocks (entity, field, hlc) VALUES (?, 'created', ?)",
                     (key, op.hlc))
        conn.execute("UPDATE tags SET created_by = ?, created_at = ? WHERE id = ?", (op.actor, p.get("at"), tid))
    return set()


def _tag_set(conn: sqlite3.Connection, op: Op) -> set[int]:
    tid = tag_id(conn, op.payload["name"])
    if tid is None:
        return _park(conn, op, _tag_key(op.payload["name"]))
    at = clock(op)
    for field, value in op.payload["fields"].items():
        if field in TAG_FIELDS and _lww(conn, _tag_key(op.payload["name"]), field, at):
            conn.execute(_SET_TAG[field], (value, tid))
    return set()


def _interaction_add(conn: sqlite3.Connection, op: Op) -> set[int]:
    p = op.payload
    cid = customer_id(conn, p["customer"])
    if cid is None:
        return _park(conn, op, f"customer:{p['customer']}")
    conn.execute(
        """INSERT OR IGNORE INTO interactions
               (uid, customer_id, kind, at, text, signals, amount, minutes, color_at, product, actor)
           VALUES (?,?,?,?,?,?,?,?,?,?,?)""",
        (p["uid"], cid, p["kind"], p["at"], p.get("text"), p.get("signals"), p.get("amount"), p.get("minutes"),
         p.get("color_at"), p.get("product"), op.actor),
    )
    return {cid} | _unpark(conn, [f"interaction:{p['uid']}"])


def _note_add(conn: sqlite3.Connection, op: Op) -> set[int]:
    p = op.payload
    cid = customer_id(conn, p["customer"])
    if cid is None:
        return _park(conn, op, f"customer:{p['customer']}")
    conn.execute(
        "INSERT OR IGNORE INTO notes (uid, customer_id, at, author, text) VALUES (?,?,?,?,?)",
        (p["uid"], cid, p["at"], op.actor, p["text"]),
    )
    return _unpark(conn, [f"note:{p['uid']}"])


def _link_create(conn: sqlite3.Connection, op: Op) -> set[int]:
    p = op.payload
    if customer_id(conn, p["customer"]) is None:
        return _park(conn, op, f"customer:{p['customer']}")
    conn.execute("INSERT OR IGNORE INTO links (token, customer, url, kind, created_at, created_by) "
                 "VALUES (?,?,?,?,?,?)", (p["token"], p["customer"], p["url"], p["kind"], p["at"], op.actor))
    return set()  # a link changes no customer until it is opened (an interaction.add)


def _retract(table_sql: str, what: str):
    def handler(conn: sqlite3.Connection, op: Op) -> set[int]:
        row = conn.execute(table_sql, (op.payload["uid"],)).fetchone()
        if row is None:  # the contact or note it takes back has not arrived: wait for it
            return _park(conn, op, f"{what}:{op.payload['uid']}")
        return {row[0]}

    return handler


def _segment_set(conn: sqlite3.Connection, op: Op) -> set[int]:
    p = op.payload
    if _lww(conn, op.entity, "expr", op.hlc):
        if p.get("expr"):
            conn.execute("INSERT OR REPLACE INTO segments (name, expr, created_by, created_at) VALUES (?,?,?,?)",
                         (p["name"], p["expr"], op.actor, p.get("at")))
        else:
            conn.execute("DELETE FROM segments WHERE name = ?", (p["name"],))
    return set()


def _settings_set(conn: sqlite3.Connection, op: Op) -> set[int]:
    key = op.payload["key"]
    if _lww(conn, "settings", key, op.hlc):
        conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
                     (key, json.dumps(op.payload["value"])))
    return set()


_HANDLERS = {
    "customer.create": _customer_create,
    "customers.import": lambda c, o: set(insert_customers(c, o)),
    "customer.set": _customer_set,
    "customer.merge": _customer_merge,
    "tag.add": lambda c, o: _tag_presence(c, o, 1),
    "tag.remove": lambda c, o: _tag_presence(c, o, 0),
    "tag.create": _tag_create,
    "tag.set": _tag_set,
    "interaction.add": _interaction_add,
    "note.add": _note_add,
    "settings.set": _settings_set,
    "segment.set": _segment_set,  # an empty expr deletes the segment
    "link.create": _link_create,
    # Undo of an append: the row stays (sync needs its uid) but stops counting.
    "interaction.retract": _retract(_RETRACT["interaction.retract"] + " RETURNING customer_id", "interaction"),
    "note.retract": _retract(_RETRACT["note.retract"] + " RETURNING customer_id", "note"),
    "book.seed": lambda c, o: set(),  # a generated starting snapshot: a log entry, nothing to merge
}
KINDS = frozenset(_HANDLERS)
# What only an admin may do (the tag set, the team's settings): a team server refuses these from a rep.
ADMIN_KINDS = frozenset({"tag.create", "tag.set", "settings.set"})
