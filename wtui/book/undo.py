"""The inverse of each op, for undo.

An op is reverted only while what it changed is still as it left it: a field
or tag whose clock still carries the op's stamp. If a teammate changed it
since, their change stands and the revert of that piece is skipped. The
inverse carries ``reverts`` (the clock of the op it takes back) and is judged
just after it (``ops.clock``): a teammate's later edit this replica had not
seen yet still wins on every replica when it arrives.
"""

from __future__ import annotations

from typing import Any

from wtui.book.db import select_in
from wtui.book.engine import sqlite3
from wtui.book.ops import CUSTOMER_FIELDS, SELECT, Op, clock, resolve, tag_id

_PREFERENCE = "SELECT note, format, time, frequency FROM preferences WHERE customer_id = ?"
_READ_FIELD = {f: "SELECT %s FROM customers WHERE id = ?" % f for f in CUSTOMER_FIELDS - {"preference"}}


def current_fields(conn: sqlite3.Connection, cid: int, fields: dict[str, Any]) -> dict[str, Any]:
    """The values ``fields`` are about to replace (stored in the op, so it can be undone)."""
    old: dict[str, Any] = {}
    for field in fields:
        if field == "preference":
            row = conn.execute(_PREFERENCE, (cid,)).fetchone()
            old[field] = dict(zip(("note", "format", "time", "frequency"), row, strict=True)) if row else None
        elif field in _READ_FIELD:
            old[field] = conn.execute(_READ_FIELD[field], (cid,)).fetchone()[0]
    return old


def tag_present(conn: sqlite3.Connection, cid: int, name: str) -> bool:
    tid = tag_id(conn, name)
    row = conn.execute("SELECT present FROM customer_tags WHERE customer_id = ? AND tag_id = ?", (cid, tid)).fetchone()
    return bool(row and row[0])


# What an undo leaves as it is: creations (a customer, a tag, a link) and the team's settings.
KEPT = frozenset({"customer.create", "customers.import", "customer.merge", "tag.create", "link.create",
                  "settings.set", "segment.set", "book.seed"})


_RETRACTED = {"interaction.add": "SELECT retracted FROM interactions WHERE uid = ?",
              "note.add": "SELECT retracted FROM notes WHERE uid = ?"}


def taken_back(conn: sqlite3.Connection, op: Op) -> bool:
    """Is ``op`` undone as things stand (its interaction or note retracted; its tag or field holding the
    clock of an op that reverts it)? An undo of such a batch writes nothing: nothing is taken back twice.
    Once that undo was itself undone, the piece holds another clock: the op is not taken back any more."""
    p = op.payload
    if op.kind in _RETRACTED:
        row = conn.execute(_RETRACTED[op.kind], (p["uid"],)).fetchone()
        return bool(row and row[0])
    if op.kind not in ("tag.add", "tag.remove", "customer.set", "tag.set"):
        return False
    entity = "tag:" + p["name"].lower() if op.kind == "tag.set" else f"customer:{resolve(conn, p['uid'])}"
    reverting = [Op.from_row(r) for r in conn.execute(
        SELECT + " WHERE entity IN (?, ?) AND json_extract(payload, '$.reverts') = ?", (op.entity, entity, clock(op)))]
    if op.kind in ("customer.set", "tag.set"):
        held = dict(conn.execute("SELECT field, hlc FROM field_clocks WHERE entity = ?", (entity,)))
        return any(held.get(f) == clock(r) for r in reverting for f in r.payload.get("fields", {}))
    who = entity.split(":", 1)[1]
    cid = conn.execute("SELECT id FROM customers WHERE uid = ?", (who,)).fetchone()
    tid = tag_id(conn, p["tag"])
    row = conn.execute("SELECT hlc FROM customer_tags WHERE customer_id = ? AND tag_id = ?",
                       (cid[0], tid)).fetchone() if cid and tid is not None else None
    return bool(row) and any(row[0] == clock(r) for r in reverting)


def inverse(conn: sqlite3.Connection, op: Op) -> tuple[str, str, dict[str, Any]] | None:
    """(kind, entity, payload) of the op that takes ``op`` back, or None when it cannot."""
    return inverses(conn, [op])[0]


_CUSTOMER_IDS = "SELECT uid, id FROM customers WHERE uid IN (%s)"
_TAG_CLOCKS = "SELECT customer_id, hlc FROM customer_tags WHERE tag_id = ? AND customer_id IN (%s)"
_FIELD_CLOCKS = "SELECT entity, field, hlc FROM field_clocks WHERE entity IN (%s)"


def inverses(conn: sqlite3.Connection, batch: list[Op]) -> list[tuple[str, str, dict[str, Any]] | None]:
    """The inverse of each op (None where there is none), judged on the book as it is now.

    The clocks they are checked against are read a chunk of customers at a time, by
    primary key, not op by op: undoing a 10k-customer batch reads a few dozen times.
    """
    # A customer merged into another since (one number, one customer): their tags and field clocks are the
    # survivor's now, so the undo reads those.
    uids = sorted({op.payload["uid"] for op in batch if op.kind in ("tag.add", "tag.remove", "customer.set")})
    into = dict(select_in(conn, "SELECT uid, into_uid FROM aliases WHERE uid IN (%s)", uids))

    def now_as(uid: str) -> str:
        return into.get(uid, uid)

    tag_ops = [op for op in batch if op.kind in ("tag.add", "tag.remove")]
    by_uid = dict(select_in(conn, _CUSTOMER_IDS, sorted({now_as(op.payload["uid"]) for op in tag_ops})))
    ids = {op.payload["uid"]: by_uid.get(now_as(op.payload["uid"])) for op in tag_ops}
    tag_ids = {name.lower(): tid for tid, name in conn.execute("SELECT id, name FROM tags")}
    wanted: dict[int, set[int]] = {}
    for op in tag_ops:
        cid, tid = ids.get(op.payload["uid"]), tag_ids.get(op.payload["tag"].lower())
        if cid is not None and tid is not None:
            wanted.setdefault(tid, set()).add(cid)
    tag_clock = {(cid, tid): hlc for tid, cids in wanted.items()
                 for cid, hlc in select_in(conn, _TAG_CLOCKS, sorted(cids), (tid,))}
    entities = sorted({f"customer:{now_as(op.payload['uid'])}" for op in batch if op.kind == "customer.set"})
    field_clock = {(entity, f): hlc for entity, f, hlc in select_in(conn, _FIELD_CLOCKS, entities)}

    def one(op: Op) -> tuple[str, str, dict[str, Any]] | None:
        p = op.payload
        if op.kind in ("tag.add", "tag.remove"):
            key = (ids.get(p["uid"]), tag_ids.get(p["tag"].lower()))
            if tag_clock.get(key) != clock(op):  # gone, or changed since by someone else
                return None
            kind = "tag.add" if p.get("was") else "tag.remove"
            who = now_as(p["uid"])  # the survivor, when they were merged since
            return kind, f"customer:{who}", {"uid": who, "tag": p["tag"], "was": op.kind == "tag.add",
                                             "reverts": clock(op)}
        if op.kind == "customer.set":
            entity = f"customer:{now_as(p['uid'])}"
            fields = {f: v for f, v in p.get("old", {}).items() if field_clock.get((entity, f)) == clock(op)}
            if not fields:
                return None
            return "customer.set", entity, {"uid": now_as(p["uid"]), "fields": fields,
                                            "old": {f: p["fields"][f] for f in fields}, "reverts": clock(op)}
        if op.kind == "tag.set" and p.get("old"):  # a tag's look or archiving (older ops kept no "old")
            entity = "tag:" + p["name"].lower()
            fields = {f: v for f, v in p["old"].items() if conn.execute(
                "SELECT hlc FROM field_clocks WHERE entity = ? AND field = ?", (entity, f)).fetchone() == (clock(op),)}
            if not fields:
                return None
            return "tag.set", op.entity, {"name": p["name"], "fields": fields,
                                          "old": {f: p["fields"][f] for f in fields}, "reverts": clock(op)}
        if op.kind in ("interaction.add", "note.add"):
            if taken_back(conn, op):  # retracted already: an undo of an undone batch
                return None
            kind = "interaction.retract" if op.kind == "interaction.add" else "note.retract"
            return kind, op.entity, {"uid": p["uid"], "customer": p["customer"]}
        return None

    return [one(op) for op in batch]
