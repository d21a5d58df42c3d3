"""One customer of the accuracy audit (A; playbook §11, issue #16): are their tags, intent and colour right?

The card shows what the book says and what the customer wrote; the keys answer: y (or enter) right as
it stands, t / i / c fix the tags, the intent or the colour (the queue screen's flow asks and writes,
then shows the card again with that dimension marked wrong), n skips, p goes back, esc leaves (the
reviews so far are kept). The screen writes nothing: it dismisses with the rep's answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from wtui.book.around import Card
from wtui.core.audit import DIMENSIONS, Rates, rate_text
from wtui.tui.text import safe
from wtui.tui.theme import WtuiTheme

WORDS = {"tags": "tags", "intent": "intent", "color": "colour"}


@dataclass(frozen=True)
class Place:
    pos: int  # this customer's place in the sample (0-based)
    size: int
    rates: Rates  # the audit's reviews so far
    wrong: frozenset[str]  # the dimensions fixed on this customer so far
    reviewed: bool  # reviewed before (shown again by p)


class AuditCard(Screen):
    BINDINGS = [
        Binding("y,enter", "answer('ok')", "Right as it stands / done", id="audit.ok"),
        Binding("t", "answer('tags')", "Fix the tags", id="audit.tags"),
        Binding("i", "answer('intent')", "Fix the intent", id="audit.intent"),
        Binding("c", "answer('color')", "Fix the colour", id="audit.color"),
        Binding("n", "answer('skip')", "Skip", id="audit.skip"),
        Binding("p", "answer('back')", "Previous", id="audit.back"),
        Binding("escape,q", "answer('leave')", "Leave (kept)", id="audit.leave"),
    ]
    DEFAULT_CSS = """
    AuditCard #audit-title { height: auto; padding: 0 1; background: $panel; text-style: bold; }
    AuditCard #audit-card { padding: 0 1; }
    """

    def __init__(self, card: Card, place: Place, theme: WtuiTheme, glyphs: dict[str, str], zone: tzinfo) -> None:
        super().__init__()
        self.zone = zone  # the rep's: message times as the panel shows them
        self.card = card
        self.place = place
        self.wtheme = theme
        self.glyphs = glyphs

    def compose(self) -> ComposeResult:
        p = self.place
        head = Text(f"Accuracy audit: {p.pos + 1} of {p.size}, {p.rates.reviewed} reviewed · wrong so far: ")
        head.append("  ".join(f"{WORDS[d]} {rate_text(p.rates, d)}" for d in DIMENSIONS))
        yield Static(head, id="audit-title")
        with VerticalScroll():
            yield Static(self._body(), id="audit-card")
        yield Footer()

    def _body(self) -> Text:
        c, wrong = self.card, self.place.wrong
        t = Text()
        t.append_text(safe(c.name, "bold"))
        t.append("  ")
        t.append_text(safe(c.phone))
        if self.place.reviewed:
            t.append("   (reviewed before: y records it again)", style="italic")
        t.append("\n\n")

        def line(dim: str, label: str, value: Text) -> None:
            t.append(f"{label:<9}", style="bold")
            t.append_text(value)
            if dim in wrong:
                t.append("   fixed: counted wrong", style=self.wtheme.marks["overdue"])
            t.append("\n")

        glyph = self.glyphs.get(c.color, "")
        line("color", "colour", Text(f"{glyph} {c.color}", style=self.wtheme.queue.get(c.color, "")))
        t.append("         ")
        t.append_text(safe(c.reason, "italic"))
        t.append("\n")
        line("intent", "intent", Text(c.intent or "-"))
        tags = Text(", ").join(safe(name) for _, name, _ in c.tags) if c.tags else Text("(none)")
        line("tags", "tags", tags)
        t.append(f"{'activity':<9}{c.activity or '-'}   interest {c.interest or '-'}   "
                 f"lifecycle {c.lifecycle or '-'}\n")
        if c.preference:
            t.append(f"{'prefers':<9}")
            t.append_text(safe(c.preference))
            t.append("\n")
        said = [(at, text) for at, kind, text in c.interactions if kind == "in" and text][:5]
        t.append("\nwhat they wrote, newest first\n" if said else "\nthey have written nothing yet\n", style="bold")
        for at, text in said:
            t.append(f"{at.astimezone(self.zone):%Y-%m-%d %H:%M}  ")
            t.append_text(safe(text))
            t.append("\n")
        t.append("\ny: right as it stands (or done fixing)   t / i / c: fix tags / intent / colour   n: skip   "
                 "p: back   esc: leave", style="italic")
        return t

    def action_answer(self, answer: str) -> None:
        self.dismiss(answer)
