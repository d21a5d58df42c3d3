"""Today's queue as plain text for a terminal or a pipe, or as JSON for scripts.

Every string from the book passes through ``core.text.visible``: a customer
named ``\x1b[31m...`` prints its ESC as a visible mark, never as a command to
the terminal. JSON carries the stored text, every control character (C0 and
C1) and bidi control written as a ``\\uXXXX`` escape (``core.text.json_text``).
"""

from __future__ import annotations

import os
from typing import TextIO

from wtui.book.reads import Queue
from wtui.core.config import Config
from wtui.core.queue import due_text
from wtui.core.text import fit, json_text, visible

# ANSI SGR colours for a colour name, used only on a terminal without NO_COLOR.
_SGR = {"red": "31", "orange": "33", "yellow": "93", "green": "32", "gray": "90"}


def _paint(text: str, color: str, on: bool) -> str:
    return f"\x1b[{_SGR[color]}m{text}\x1b[0m" if on and color in _SGR else text


def print_queue(q: Queue, cfg: Config, *, as_json: bool, out: TextIO) -> None:
    if as_json:
        out.write(json_text([e.as_json(q.now) for e in q.entries]) + "\n")
        return
    color_on = out.isatty() and "NO_COLOR" not in os.environ
    glyph = {c: visible(g) for c, g in cfg.colors.glyph.items()}  # checked at load; shown safely all the same
    counts = " · ".join(_paint(f"{glyph[c]} {n} {c}", c, color_on) for c, n in q.counts.items())
    out.write(f"Today: {counts}  ({q.total} due)\n")
    if not q.entries:
        out.write("Nothing is due today.\n")
        return
    from wtui.book.reads import rep_zone

    rz = rep_zone(cfg)
    for e in q.entries:
        mark = glyph[e.color] + ("*" if e.priority else " ")
        local = f"{e.window.local:%a %H:%M}"
        state = e.window.label(q.now)
        if not e.window.in_window:
            state = "⚠ " + state
        line = (
            f"{_paint(f'{mark}{e.color:<6}', e.color, color_on)} {fit(visible(e.name), 22)} {e.phone:<16} "
            f"{local:<9} {fit(state, 34)} {fit(due_text(e.due, q.now, rz), 20)} {visible(e.reason)}"
        )
        out.write(line + "\n")
    if q.total > len(q.entries):
        out.write(f"… {q.total - len(q.entries)} more (use --limit)\n")
