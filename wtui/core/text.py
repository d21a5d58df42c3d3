"""Untrusted text (names, notes, messages, files, network) made safe to show.

``visible`` keeps every letter of every script and makes the characters that
could act on a terminal or reorder a line visible instead: C0/C1 controls and
ESC become Control Pictures or ``<U+009B>``, bidi overrides and isolates become
``<RLO>``-style marks. Markup is not touched here: the TUI shows the result
with markup off, and the CLI never interprets it.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

_BIDI = {
    "\u202a": "LRE", "\u202b": "RLE", "\u202c": "PDF", "\u202d": "LRO", "\u202e": "RLO",
    "\u2066": "LRI", "\u2067": "RLI", "\u2068": "FSI", "\u2069": "PDI",
    "\u200e": "LRM", "\u200f": "RLM", "\u061c": "ALM",
}


def _mark(ch: str) -> str:
    code = ord(ch)
    if ch in _BIDI:
        return f"<{_BIDI[ch]}>"
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ .. ␟, ESC is ␛
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"<U+{code:04X}>"


def _unsafe(ch: str) -> bool:
    if ch in _BIDI:
        return True
    cat = unicodedata.category(ch)
    return cat == "Cc" or (cat == "Cf" and ch not in "\u200c\u200d")  # keep ZWNJ/ZWJ: scripts and emoji need them


def visible(text: str | None) -> str:
    """The text with every control and bidi character replaced by a visible mark."""
    if not text:
        return ""
    if text.isprintable() and not any(ch in _BIDI for ch in text):
        return text
    return "".join(_mark(ch) if _unsafe(ch) else ch for ch in text)


def contains(text: str | None, needle: str | None) -> bool:
    """Case-insensitive, Unicode-aware 'contains' (SQLite's LIKE folds ASCII only): queries use it."""
    if text is None or needle is None:
        return False
    return needle.casefold() in text.casefold()


def _cells(ch: str) -> int:
    # As terminals count (glibc's wcwidth): non-spacing and enclosing marks and format characters take
    # none, spacing marks (Devanagari's vowel signs) one, East Asian wide and full-width characters two.
    # Rich counts spacing marks as none, which pushed a Hindi name's later columns right.
    if unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def width(text: str) -> int:
    """Terminal cells, as the terminal counts them."""
    if text.isascii():
        return len(text)
    return sum(map(_cells, text))


def fit(text: str, cells: int) -> str:
    """Cut or pad to exactly ``cells`` terminal cells, marking a cut with '…'."""
    if width(text) <= cells:
        return text + " " * (cells - width(text))
    out, used = [], 0
    for ch in text:
        w = width(ch)
        if used + w > cells - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…" + " " * (cells - used - 1)


def like_contains(text: str) -> str:
    """A LIKE pattern (with ``ESCAPE '\\'``) for any text that contains ``text`` literally: its own
    ``%``, ``_`` and backslashes match only themselves."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# Characters JSON leaves raw (it escapes only C0, quotes and backslashes) that still act on a terminal
# showing the output: DEL, the C1 controls (U+009B is a one-byte CSI), the bidi controls, and the
# line and paragraph separators (which also end a line in JavaScript).
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def json_text(obj: Any, *, indent: int | None = 1) -> str:
    """``obj`` as JSON for a terminal or a pipe: letters of every script stay readable, and every control
    character, C0 or C1, and every bidi control is written as a ``\\uXXXX`` escape, never raw."""
    import json

    text = json.dumps(obj, ensure_ascii=False, indent=indent)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def hex_colour(value: object) -> bool:
    """A tag's colour as the book keeps it: '#3d85c6' (a style made from anything else crashed the tag picker)."""
    return isinstance(value, str) and bool(_HEX_COLOUR.fullmatch(value))


def counted(n: int, one: str, many: str | None = None) -> str:
    """'1 match', '2 matches', '12,000 customers': the number with thousands separators and the word
    in the number it takes (``many`` defaults to ``one`` + 's')."""
    return f"{n:,} {one if n == 1 else many or one + 's'}"
