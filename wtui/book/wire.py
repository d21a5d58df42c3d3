"""Ops as they travel between replicas (JSON), checked field by field on the way in.

An op from the network is untrusted: a payload of the wrong shape would fail half-way through an
apply, and a value of the wrong kind (a time zone that is not one, a date that is not a date) would
be stored and break every replica that computes a verdict from it. ``from_wire`` refuses such an op
with the path of what is wrong, before anything is applied.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from wtui.book import ops
from wtui.core import links
from wtui.core.config import COLORS, INTENTS
from wtui.core.facts import KINDS
from wtui.errors import BadInput

MAX_TEXT = 65_536  # WhatsApp's own longest message; every text of an op fits in it
_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
REPLICA_ID = _ID  # a replica's id, as ops carry it in ``origin``
# An interaction's id may be the one it came with (a WhatsApp message id, a chat line's key: sender
# names in any script, times, colons): any text without controls, bounded.
_EXT_ID = re.compile(r"^[^\x00-\x1f\x7f-\x9f]{1,300}\Z")
_E164 = re.compile(r"^\+[1-9][0-9]{5,15}$")
_STAMP = re.compile(r"^[0-9]{13}\.[0-9]{5}\.[0-9A-Za-z_-]{1,64}$")
_UNDO_STAMP = re.compile(r"^[0-9]{13}\.[0-9]{5}\.[0-9A-Za-z_-]{1,64}(\+[0-9]{13}\.[0-9]{5}\.[0-9A-Za-z_-]{1,64})*$")
_FIELDS_OF_WIRE = ("op_id", "hlc", "actor", "entity", "kind", "payload", "reason", "batch", "origin", "oseq")
# Kinds a replica makes and sends; a generated book's marker op never travels.
WIRE_KINDS = frozenset(ops.KINDS) - {"book.seed"}


def to_wire(op: ops.Op) -> dict[str, Any]:
    return {"op_id": op.op_id, "hlc": op.hlc, "actor": op.actor, "entity": op.entity, "kind": op.kind,
            "payload": op.payload, "reason": op.reason, "batch": op.batch, "origin": op.origin, "oseq": op.oseq}


def from_wire(obj: Any, where: str = "op") -> ops.Op:
    """An op from JSON, or ``BadInput`` naming what is wrong (``where`` says which op of a batch)."""
    if not isinstance(obj, dict):
        raise BadInput(f"{where}: an op is an object")
    extra = set(obj) - set(_FIELDS_OF_WIRE)
    if extra:
        raise BadInput(f"{where}: unknown fields {sorted(extra)}")
    op_id = _match(obj.get("op_id"), _ID, f"{where}.op_id")
    _match(obj.get("hlc"), _STAMP, f"{where}.hlc")
    kind = obj.get("kind")
    if not isinstance(kind, str) or kind not in WIRE_KINDS:
        raise BadInput(f"{where}.kind: {kind!r} is not an op kind a replica sends")
    origin = _match(obj.get("origin"), _ID, f"{where}.origin")
    oseq = obj.get("oseq")
    if type(oseq) is not int or not 0 < oseq < 2**62:
        raise BadInput(f"{where}.oseq: a whole number from 1")
    payload = obj.get("payload")
    if not isinstance(payload, dict):
        raise BadInput(f"{where}.payload: an object")
    _check_payload(kind, payload, f"{where}.payload")
    batch = obj.get("batch")
    if batch is not None:
        _match(batch, _ID, f"{where}.batch")
    return ops.Op(op_id, obj["hlc"], _text(obj.get("actor"), f"{where}.actor", 200),
                  _text(obj.get("entity"), f"{where}.entity", 300), kind, payload,
                  _text(obj.get("reason") or "", f"{where}.reason"), batch, origin, oseq)


def _match(value: Any, pattern: re.Pattern, where: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise BadInput(f"{where}: {value!r:.80} is not of the form {pattern.pattern}")
    return value


def _text(value: Any, where: str, most: int = MAX_TEXT) -> str:
    if not isinstance(value, str) or len(value) > most:
        raise BadInput(f"{where}: a text of at most {most:,} characters")
    return value


def _maybe_text(value: Any, where: str) -> None:
    if value is not None:
        _text(value, where)


def _when(value: Any, where: str) -> None:
    """An ISO 8601 instant with its offset, as every op's ``at`` is written."""
    if not isinstance(value, str):
        raise BadInput(f"{where}: an ISO 8601 date and time")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise BadInput(f"{where}: {value!r:.80} is not an ISO 8601 date and time") from None
    if at.tzinfo is None:
        raise BadInput(f"{where}: {value!r:.80} has no UTC offset")


def _zone(value: Any, where: str) -> None:
    if value in (None, ""):
        return
    from wtui.core.windows import zone

    if not isinstance(value, str) or len(value) > 64 or zone(value).key != value:
        raise BadInput(f"{where}: {value!r:.80} is not a time zone")


def _one_of(value: Any, allowed: tuple[str, ...], where: str) -> None:
    if value not in (None, "") and value not in allowed:
        raise BadInput(f"{where}: {value!r:.80} is not one of {', '.join(allowed)}")


def _customer_fields(fields: Any, where: str) -> None:
    if not isinstance(fields, dict) or not fields:
        raise BadInput(f"{where}: an object of fields")
    for name, value in fields.items():
        at = f"{where}.{name}"
        if name not in ops.CUSTOMER_FIELDS:
            raise BadInput(f"{at}: not a customer field")
        if name == "phone":
            _match(value, _E164, at)
        elif name in ("tz", "tz_override"):
            _zone(value, at)
        elif name == "consent":
            if not isinstance(value, bool) and value not in (0, 1):
                raise BadInput(f"{at}: true or false")
        elif name == "override_color":
            _one_of(value, COLORS, at)
        elif name == "override_intent":
            _one_of(value, INTENTS, at)
        elif name == "preference":  # the note as typed and what was read from it, all texts
            if not isinstance(value, dict) or not all(isinstance(v, str) and len(v) <= MAX_TEXT
                                                      for v in value.values()) or "note" not in value:
                raise BadInput(f"{at}: an object of texts with the note")
        elif name in ("override_until", "override_set_at", "consent_at"):
            if value not in (None, ""):
                _when(value, at)
        else:
            _maybe_text(value, at)


def _creation(row: dict[str, Any], where: str) -> None:
    _match(row.get("uid"), _ID, f"{where}.uid")
    _match(row.get("phone"), _E164, f"{where}.phone")
    for name in ("name", "region", "language", "source", "owner"):
        _maybe_text(row.get(name), f"{where}.{name}")
    _zone(row.get("tz"), f"{where}.tz")
    if row.get("created_at") is not None:
        _when(row["created_at"], f"{where}.created_at")
    tags = row.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and 0 < len(t) <= 200 for t in tags):
        raise BadInput(f"{where}.tags: a list of tag names")
    note = row.get("note")
    if note is not None and not (isinstance(note, list) and len(note) == 2 and _ID.match(str(note[0]))
                                 and isinstance(note[1], str) and len(note[1]) <= MAX_TEXT):
        raise BadInput(f"{where}.note: [id, text] or null")


# Settings each file keeps for itself: the verdict cache's marks, where its event rules stopped.
LOCAL_SETTINGS = ("derived.", "rules.", "uses.", "data.")


def _tag_fields(fields: Any, where: str) -> None:
    if not isinstance(fields, dict) or not set(fields) <= ops.TAG_FIELDS:
        raise BadInput(f"{where}: an object of {', '.join(sorted(ops.TAG_FIELDS))}")
    for name in ("dimension", "color", "description"):
        _maybe_text(fields.get(name), f"{where}.{name}")
    if not isinstance(fields.get("archived", False), (bool, int)):
        raise BadInput(f"{where}.archived: true or false")


def _check_payload(kind: str, p: dict[str, Any], where: str) -> None:
    if p.get("reverts") is not None:
        _match(p["reverts"], _UNDO_STAMP, f"{where}.reverts")
    if kind == "customer.create":
        _creation(p, where)
    elif kind == "customers.import":
        if p.get("fields") != list(ops.IMPORT_FIELDS) or not isinstance(p.get("rows"), list):
            raise BadInput(f"{where}: fields {list(ops.IMPORT_FIELDS)} and a list of rows")
        for i, row in enumerate(p["rows"]):
            if not isinstance(row, list) or len(row) != len(ops.IMPORT_FIELDS):
                raise BadInput(f"{where}.rows[{i}]: a list of {len(ops.IMPORT_FIELDS)} values")
            _creation(dict(zip(ops.IMPORT_FIELDS, row, strict=True)), f"{where}.rows[{i}]")
    elif kind == "customer.set":
        _match(p.get("uid"), _ID, f"{where}.uid")
        _customer_fields(p.get("fields"), f"{where}.fields")
    elif kind == "customer.merge":
        uids = p.get("uids")
        if not isinstance(uids, list) or len(uids) != 2 or uids[0] == uids[1]:
            raise BadInput(f"{where}.uids: two different customer uids")
        for i, u in enumerate(uids):
            _match(u, _ID, f"{where}.uids[{i}]")
    elif kind in ("tag.add", "tag.remove"):
        _match(p.get("uid"), _ID, f"{where}.uid")
        _text(p.get("tag"), f"{where}.tag", 200)
    elif kind in ("tag.create", "tag.set"):
        _text(p.get("name"), f"{where}.name", 200)
        fields = p.get("fields") if kind == "tag.set" else p
        if not isinstance(fields, dict):
            raise BadInput(f"{where}.fields: an object")
        if kind == "tag.set" and not set(fields) <= ops.TAG_FIELDS:
            raise BadInput(f"{where}.fields: only {', '.join(sorted(ops.TAG_FIELDS))}")
        for name in ("dimension", "color", "description"):
            _maybe_text(fields.get(name), f"{where}.{name}")
        if kind == "tag.set" and not isinstance(fields.get("archived", False), (bool, int)):
            raise BadInput(f"{where}.fields.archived: true or false")
        if kind == "tag.set" and "old" in p:  # what it was, for an undo: the same shape as fields
            _tag_fields(p["old"], f"{where}.old")
    elif kind in ("interaction.add", "note.add"):
        _match(p.get("uid"), _EXT_ID if kind == "interaction.add" else _ID, f"{where}.uid")
        _match(p.get("customer"), _ID, f"{where}.customer")
        _when(p.get("at"), f"{where}.at")
        if kind == "note.add":
            _text(p.get("text"), f"{where}.text")
            return
        if p.get("kind") not in KINDS:
            raise BadInput(f"{where}.kind: one of {', '.join(KINDS)}")
        for name in ("text", "signals", "product"):
            _maybe_text(p.get(name), f"{where}.{name}")
        _one_of(p.get("color_at"), COLORS, f"{where}.color_at")
        for name in ("amount", "minutes"):
            value = p.get(name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                      or value != value or abs(value) > 1e15):
                raise BadInput(f"{where}.{name}: a number")
    elif kind in ("interaction.retract", "note.retract"):
        _match(p.get("uid"), _EXT_ID if kind == "interaction.retract" else _ID, f"{where}.uid")
    elif kind == "settings.set":
        _text(p.get("key"), f"{where}.key", 200)
        if p["key"].startswith(LOCAL_SETTINGS):
            raise BadInput(f"{where}.key: {p['key']!r} is this book file's own (derived state, the rules' mark), "
                           "never set from elsewhere")
        if p["key"] == "admins" and not (isinstance(p.get("value"), list)
                                         and all(isinstance(n, str) for n in p["value"])):
            raise BadInput(f"{where}.value: a list of names")
    elif kind == "segment.set":
        _text(p.get("name"), f"{where}.name", 200)
        _maybe_text(p.get("expr"), f"{where}.expr")
    elif kind == "link.create":
        _match(p.get("token"), links.TOKEN, f"{where}.token")
        _match(p.get("customer"), _ID, f"{where}.customer")
        _when(p.get("at"), f"{where}.at")
        if p.get("kind") not in links.KINDS:
            raise BadInput(f"{where}.kind: one of {', '.join(links.KINDS)}")
        try:
            links.check_url(_text(p.get("url"), f"{where}.url", links.MAX_URL))
        except BadInput as exc:
            raise BadInput(f"{where}.url: {exc}") from None
