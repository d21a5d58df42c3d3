"""The customer panel: everything a rep reads before writing to one customer."""

from __future__ import annotations

from datetime import datetime

from rich.console import Group
from rich.style import Style
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from wtui.book.book import Book
from wtui.book.reads import rep_zone
from wtui.core import windows
from wtui.core.changes import describe
from wtui.core.prefs import safe_pref
from wtui.core.text import visible
from wtui.tui.text import safe
from wtui.tui.theme import WtuiTheme

_KIND = {"in": "←", "out": "→", "read": "✓ read", "quote_open": "quote opened", "link": "link opened",
         "purchase": "purchase", "visit": "website visit", "played": "✓ played", "delivered": "delivered",
         "failed": "✗ not delivered", "system": "WhatsApp notice", "won": "deal won", "lost": "deal lost"}


def _heading(text: str) -> Text:
    return Text(text, style="bold underline")


class CustomerPanel(VerticalScroll):
    DEFAULT_CSS = """
    CustomerPanel { width: 1fr; min-width: 40; border-left: vkey $panel; padding: 0 1; }
    CustomerPanel > Static { width: 100%; margin-bottom: 1; }
    """

    def __init__(self, book: Book, theme: WtuiTheme, **kw) -> None:
        super().__init__(**kw)
        self.book = book
        self.wtheme = theme
        self.uid: str | None = None
        self.plain = ""  # what the panel shows, as plain text (for tests and screen readers)

    # The card's parts mount with the first customer shown, not in compose: the first paint shows an empty
    # panel (the queue is read first), and six empty widgets cost it ~7 ms.
    PARTS = ("head", "tags", "notes", "why", "history", "log")

    def show(self, uid: str | None, empty: Text | None = None) -> None:
        """Show a customer from the top; with none, ``empty`` says why (or that nothing is due)."""
        if not self.children:
            self.mount(*(Static(id=f"card-{k}") for k in self.PARTS))
        if uid != self.uid:
            self.scroll_home(animate=False)
        self.uid = uid
        head, tags, notes, why, history, log = (self.query_one(f"#card-{k}", Static) for k in self.PARTS)
        if uid is None:
            empty = empty or Text("Nothing is due: the queue is empty.", style="italic")
            head.update(empty)
            for w in (tags, notes, why, history, log):
                w.update("")
            self.plain = empty.plain
            return
        book = self.book
        c = book.card(uid)
        now = book.now()
        zone = rep_zone(book.cfg)
        state = windows.state(now, c.tz, safe_pref(c.preference), c.region, book.cfg.windows, book.cfg.regions,
                              c.golden_hour)
        colour = self.wtheme.queue.get(c.color, Style())
        glyph = book.cfg.colors.glyph.get(c.color, "")

        title = Text()
        title.append(f"{glyph} {c.color} ", style=colour + Style(bold=True))
        title.append_text(safe(c.name, "bold"))
        consent = "consents to marketing" if c.consent else "no marketing consent"
        if c.consent_at:
            consent += f" (since {c.consent_at.astimezone(zone):%Y-%m-%d}, {visible(c.consent_source)})"
        lines = [title, Text(f"{c.phone}   owner {visible(c.owner) or '-'}   {consent}")]
        clock = Text(f"{state.local:%a %H:%M} {c.tz}  ")
        clock.append(state.label(now), style=Style() if state.in_window else self.wtheme.marks["outside"])
        lines.append(clock)
        preference = safe(c.preference) if c.preference else Text("none recorded", style="italic")
        lines.append(Text("Preference: ") + preference)
        traits = (f"intent {c.intent or '-'} · interest {c.interest or '-'} · activity {c.activity or '-'} · "
                  f"lifecycle {c.lifecycle or '-'} · spend {c.spend_tier or '-'} · RFM {c.rfm or '-'}"
                  + (f" · reads {c.habit.split('-')[0].capitalize()} evenings" if c.habit else "")
                  + (f" · answers fastest to {c.golden_hour:02d}:00 their time" if c.golden_hour is not None else ""))
        lines.append(Text(traits))
        sections = [lines]
        head.update(Group(*lines))

        tag_text = Text()
        by_dim: dict[str, list[tuple[str, str]]] = {}
        for dim, name, col in c.tags:
            by_dim.setdefault(dim or "Other", []).append((name, col))
        for dim, items in by_dim.items():
            tag_text.append(f"{visible(dim)}: ", style="bold")
            for i, (name, col) in enumerate(items):
                # NO_COLOR turns a tag's colour into a grey by its luminance: a dark red one vanished on the
                # dark panel. Without colours a tag is drawn as text is.
                style = Style() if self.app.no_color else _colour_style(col)
                tag_text.append(("  " if i else "") + visible(name), style=style)
            tag_text.append("\n")
        tag_text.rstrip()
        tag_lines = [_heading("Tags"), tag_text if c.tags else Text("no tags", style="italic")]
        sections.append(tag_lines)
        tags.update(Group(*tag_lines))

        note_lines = [_heading("Notes")]
        for at, author, text in c.notes:
            row = Text(f"{_when(at, now, zone)}  {visible(author) or '-'}: ", style="dim")
            row.append_text(safe(text))
            row.no_wrap, row.overflow = False, "fold"
            note_lines.append(row)
        if not c.notes:
            note_lines.append(Text("no notes: n adds one", style="italic"))
        sections.append(note_lines)
        notes.update(Group(*note_lines))

        why_lines = [_heading("Why here")]
        for line in book.explain(uid):
            row = Text(f"{line.label:<10} ", style="bold")
            row.append(visible(line.value))
            why_lines.append(row)
        sections.append(why_lines)
        why.update(Group(*why_lines))

        hist = [_heading("Latest")]
        for at, kind, text in c.interactions:
            style = "" if kind in ("in", "out") else "dim"
            row = Text(f"{_when(at, now, zone)}  {_KIND.get(kind, kind)} ", style=style)
            row.append_text(safe(text))
            hist.append(row)
        sections.append(hist)
        history.update(Group(*hist))

        changes = [_heading("Change log")]
        for entry in book.change_log(uid, limit=12):
            row = Text(f"{_when(entry.at, now, zone)}  {visible(entry.actor)}: ", style="dim")
            row.append(visible(describe(entry.kind, entry.payload)))
            if entry.reason:
                row.append(f"  ({visible(entry.reason)})", style="italic")
            changes.append(row)
        sections.append(changes)
        log.update(Group(*changes))
        self.plain = "\n\n".join("\n".join(t.plain for t in section) for section in sections)


def _when(at: datetime, now: datetime, zone) -> str:
    """Today as 14:05, this year as 03 Nov, older as 03 Nov 2025 (in the rep's zone)."""
    local, today = at.astimezone(zone), now.astimezone(zone)
    if local.date() == today.date():
        return f"{local:%H:%M}"
    return f"{local:%d %b}" if local.year == today.year else f"{local:%d %b %Y}"


def _colour_style(colour: str) -> Style:
    try:
        return Style.parse(colour) if colour else Style()
    except Exception:
        return Style()
