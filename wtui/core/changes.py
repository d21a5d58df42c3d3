"""A change-log entry in a rep's words (the panel's change log, `wtui log`)."""

from __future__ import annotations

_FIELD_WORDS = {"tz_override": "time zone", "tz": "time zone", "wa_id": "WhatsApp id"}


def describe(kind: str, payload: dict) -> str:
    """A change-log entry in words: 'added tag Interest-Beauty'."""
    if kind == "tag.add":
        return f"added tag {payload.get('tag')}"
    if kind == "tag.remove":
        return f"removed tag {payload.get('tag')}"
    if kind == "customer.merge":
        return "merged with " + " and ".join(str(u) for u in payload.get("uids", [])) + " (one number)"
    if kind == "customer.set":
        parts = []
        for field, value in payload.get("fields", {}).items():
            if field == "preference":
                parts.append(f"preference: {value['note'] if value else '(cleared)'}")
            elif field == "override_color":
                parts.append(f"colour set to {value}" if value else "colour back to automatic")
            elif field == "override_intent":
                parts.append(f"intent set to {value}" if value else "intent back to automatic")
            elif not field.startswith("override_"):
                parts.append(f"{_FIELD_WORDS.get(field, field)} = {value}")
        return "; ".join(parts) or "changed"
    if kind == "interaction.add":
        what = payload.get("kind")
        if what == "out":
            return "logged contact" + (f": {payload['text']}" if payload.get("text") else "")
        if what in ("won", "lost"):
            return f"deal {what}" + (f": {payload['text']}" if payload.get("text") else "")
        if what == "purchase":
            amount = payload.get("amount") or 0
            text = payload.get("text") or ""
            return (f"purchase of {amount:,.2f}" if amount else "purchase (amount not given)") + (
                f" {text}" if text.startswith("(") else f": {text}" if text else "")
        if what in ("complaint", "resolved"):
            said = f": {payload['text']}" if payload.get("text") else ""
            return ("complaint opened" if what == "complaint" else "complaint resolved") + said
        return f"recorded {what}"
    if kind in ("interaction.retract", "note.retract"):
        return "took back " + ("a contact or record" if kind.startswith("interaction") else "a note")
    if kind == "note.add":
        return "note: " + payload.get("text", "")
    if kind == "customer.create":
        return "added to the book"
    if kind == "customers.import":  # one customer's row of it (``Book.change_log``), or the whole op
        if "rows" in payload:
            return f"imported {len(payload['rows'])} customers"
        return "imported" + (f" with tags {', '.join(payload['tags'])}" if payload.get("tags") else "")
    if kind == "link.create":
        return f"made a tracked {payload.get('kind')} link to {payload.get('url')}"
    if kind in ("tag.create", "tag.set"):
        return f"{'created' if kind == 'tag.create' else 'changed'} tag {payload.get('name')}"
    if kind == "segment.set":
        return f"segment {payload.get('name')}: {payload.get('expr') or '(deleted)'}"
    if kind == "settings.set":
        return f"setting {payload.get('key')} = {payload.get('value')}"
    return kind
