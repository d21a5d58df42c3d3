"""The inverse of each op, for undo.

An op is reverted only while what it changed is still as it left it: a field
or tag whose clock still carries the op's stamp. If a teammate changed it
since, their change stands and the revert of that piece is skipped.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from wtui.book.ops import CUSTOMER_FIELDS, Op, customer_id, tag_id

_READ_FIELD = {f: "SELECT %s FROM customers WHERE id = ?" % f for f in CUSTOMER_FIELDS - {"preference"}}


def current_fields(conn: sqlite3.Connection, cid: int, fields: dict[str, Any]) -> dict[str, Any]:
    """The values ``fields`` are about to replace (stored in the op, so it can be undone)."""
    old: dict[str, Any] = {}
    for field in fields:
        if field == "preference":
            row = conn.execute("SELECT note, format, time, frequency FROM preferences WHERE customer_id = ?", (cid,)).fetchone()
            old[field] = dict(zip(("note", "format", "time", "frequency"), row)) if row else None
        elif field in _READ_FIELD:
            old[field] = conn.execute(_READ_FIELD[field], (cid,)).fetchone()[0]
    return old


def tag_present(conn: sqlite3.Connection, cid: int, name: str) -> bool:
    tid = tag_id(conn, name)
    row = conn.execute("SELECT present FROM customer_tags WHERE customer_id = ? AND tag_id = ?", (cid, tid)).fetchone()
    return bool(row and row[0])


def inverse(conn: sqlite3.Connection, op: Op) -> tuple[str, str, dict[str, Any]] | None:
    """(kind, entity, payload) of the op that takes ``op`` back, or None when it cannot."""
    p = op.payload
    if op.kind in ("tag.add", "tag.remove"):
        cid = customer_id(conn, p["uid"])
        tid = tag_id(conn, p["tag"])
        row = conn.execute("SELECT hlc FROM customer_tags WHERE customer_id = ? AND tag_id = ?", (cid, tid)).fetchone()
        if not row or row[0] != op.hlc:
            return None
        kind = "tag.add" if p.get("was") else "tag.remove"
        return kind, op.entity, {"uid": p["uid"], "tag": p["tag"], "was": op.kind == "tag.add"}
    if op.kind == "customer.set":
        fields = {
            f: v for f, v in p.get("old", {}).items()
            if conn.execute("SELECT hlc FROM field_clocks WHERE entity = ? AND field = ?", (op.entity, f)).fetchone()
            == (op.hlc,)
        }
        if not fields:
            return None
        return "customer.set", op.entity, {"uid": p["uid"], "fields": fields, "old": {f: p["fields"][f] for f in fields}}
    if op.kind == "interaction.add":
        return "interaction.retract", op.entity, {"uid": p["uid"], "customer": p["customer"]}
    if op.kind == "note.add":
        return "note.retract", op.entity, {"uid": p["uid"], "customer": p["customer"]}
    return None
