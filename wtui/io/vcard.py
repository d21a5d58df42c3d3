"""vCard files (.vcf) as a phone exports its contacts (2.1 from Android, 3.0 from iOS, 4.0), read into
the same table a CSV import checks: a row per card with its name, its numbers (mobile ones first,
joined as Google joins them, so the import keeps the mobile and notes the others) and its note."""

from __future__ import annotations

import quopri
import re

from wtui.io.csv_import import MORE_NUMBERS
from wtui.io.table import Record, Table

HEADER = ["name", "phone", "notes"]
_MOBILE = {"cell", "mobile", "iphone", "whatsapp"}


def is_vcard(path: str, text: str) -> bool:
    return str(path).lower().endswith((".vcf", ".vcard")) or text.lstrip("\ufeff \r\n").upper().startswith(
        "BEGIN:VCARD")


def parse(path: str, text: str, max_cell_bytes: int) -> Table:
    records: list[Record] = []
    card: dict | None = None
    for line_no, line in _unfolded(text.lstrip("\ufeff")):
        name, params, value = _property(line)
        if name == "BEGIN" and value.upper() == "VCARD":
            if card is not None:  # the card before never ended: said, not merged into this one
                records.append(Record(card["line"], ["", "", ""], "a card that never ends (no END:VCARD)"))
            card = {"line": line_no, "fn": "", "n": "", "tels": [], "notes": []}
        elif card is None:
            continue  # text outside a card: not ours to read
        elif name == "END":
            records.append(_record(card, max_cell_bytes))
            card = None
        elif name in ("FN", "N", "TEL", "NOTE"):
            value = _decoded(value, params)
            if name == "FN":
                card["fn"] = _unescape(value)
            elif name == "N":
                card["n"] = value
            elif name == "TEL":
                types = {t.strip().lower() for p in params for t in re.split(r"[,=]", p.replace('"', ""))}
                card["tels"].append((bool(types & _MOBILE), re.sub(r"^tel:", "", value.strip(), flags=re.I)))
            else:
                card["notes"].append(_unescape(value))
    if card is not None:
        records.append(Record(card["line"], ["", "", ""], "a card that never ends (no END:VCARD): the file is cut"))
    return Table(str(path), "utf-8", "vcard", HEADER, records)


def _record(card: dict, cap: int) -> Record:
    name = card["fn"]
    if not name and card["n"]:
        parts = [_unescape(p) for p in re.split(r"(?<!\\);", card["n"])] + ["", ""]
        name = " ".join(p for p in (parts[3], parts[1], parts[2], parts[0]) if p).strip()
    tels = [t for mobile, t in card["tels"] if mobile] + [t for mobile, t in card["tels"] if not mobile]
    cells = [name.strip(), f" {MORE_NUMBERS} ".join(tels), "\n".join(card["notes"])]
    if any(len(c.encode()) > cap for c in cells):
        return Record(card["line"], ["", "", ""], f"a value longer than {cap // 1024} KB: not a contact")
    return Record(card["line"], cells)


def _unfolded(text: str):
    """(line number, logical line): folded lines (a leading space or tab) joined, and 2.1's quoted-
    printable soft breaks (a line ending in '=')."""
    current, start = None, 0
    for n, raw in enumerate(text.splitlines(), 1):
        if current is not None and raw[:1] in (" ", "\t"):
            current += raw[1:]
            continue
        if current is not None and current.endswith("=") and "QUOTED-PRINTABLE" in current.split(":", 1)[0].upper():
            current = current[:-1] + raw
            continue
        if current is not None:
            yield start, current
        current, start = raw, n
    if current is not None:
        yield start, current


def _property(line: str) -> tuple[str, list[str], str]:
    head, _, value = line.partition(":")
    bits = head.split(";")
    name = bits[0].rsplit(".", 1)[-1].strip().upper()  # item1.TEL -> TEL
    return name, bits[1:], value


def _decoded(value: str, params: list[str]) -> str:
    upper = [p.upper() for p in params]
    if "ENCODING=QUOTED-PRINTABLE" in upper or "QUOTED-PRINTABLE" in upper:
        charset = next((p.split("=", 1)[1] for p in params if p.upper().startswith("CHARSET=")), "utf-8")
        raw = quopri.decodestring(value.encode("ascii", "replace"))
        try:
            return raw.decode(charset)
        except (LookupError, UnicodeDecodeError):
            return raw.decode("utf-8", "replace")
    return value


def _unescape(value: str) -> str:
    return re.sub(r"\\([nN,;\\])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)
