"""The Textual app. For now one screen: today's queue as a table (issue 4 builds the full app)."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static

from wtui.book.book import Book
from wtui.book.reads import rep_zone
from wtui.core.queue import due_text
from wtui.tui.text import safe

# Rich colour names per queue colour; themes arrive with the full app.
_STYLE = {"red": "bold red", "orange": "dark_orange", "yellow": "yellow", "green": "green", "gray": "grey50"}
PAGE = 500


class QueueApp(App[int]):
    TITLE = "wtui"
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("j", "cursor_down", "Down", show=False, id="down"),
        Binding("k", "cursor_up", "Up", show=False, id="up"),
    ]
    CSS = "#counts { height: 1; padding: 0 1; } DataTable { height: 1fr; }"

    def __init__(self, book: Book) -> None:
        super().__init__()
        self.book = book

    def compose(self) -> ComposeResult:
        yield Static(id="counts")
        yield DataTable(id="queue", cursor_type="row", zebra_stripes=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("", "name", "phone", "local", "window", "due", "reason")
        self.refresh_queue()

    def refresh_queue(self) -> None:
        q = self.book.queue(limit=PAGE)
        glyph = self.book.cfg.colors.glyph
        counts = Text("Today: ")
        for c, n in q.counts.items():
            counts.append(f"{glyph[c]} {n} {c}  ", style=_STYLE[c])
        counts.append(f"({q.total} due)")
        self.query_one("#counts", Static).update(counts)
        table = self.query_one(DataTable)
        table.clear()
        zone = rep_zone(self.book.cfg)
        for e in q.entries:
            table.add_row(
                Text(f"{glyph[e.color]} {e.color}", style=_STYLE[e.color]),
                safe(e.name),
                e.phone,
                f"{e.window.local:%a %H:%M}",
                Text(e.window.label(q.now), style="" if e.window.in_window else "italic"),
                due_text(e.due, q.now, zone),
                safe(e.reason),
                key=e.uid,
            )

    def action_cursor_down(self) -> None:
        self.query_one(DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(DataTable).action_cursor_up()


def run(book: Book, theme: str | None = None) -> int:
    QueueApp(book).run()
    return 0
