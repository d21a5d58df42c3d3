"""Saved segments beside the queue: each with its audience, counted in a worker."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from wtui.book.book import Book
from wtui.tui.text import safe
from wtui.tui.workers import reader


class SegmentList(OptionList):
    DEFAULT_CSS = "SegmentList { dock: left; width: 32; display: none; border-right: vkey $panel; }"

    class Chosen(Message):
        def __init__(self, name: str, expr: str) -> None:
            super().__init__()
            self.name, self.expr = name, expr

    class Closed(Message):
        """esc: back to the queue."""

    def __init__(self, book: Book, **kw) -> None:
        super().__init__(**kw)
        self.book = book
        self.saved: list[tuple[str, str]] = []

    def fill(self) -> None:
        """List the segments now; their counts follow from a worker."""
        self.saved = self.book.segments()
        self._draw({})
        if self.saved:
            self.count()

    def _draw(self, counts: dict[str, int]) -> None:
        keep = self.highlighted
        self.clear_options()
        if not self.saved:
            self.add_option(Option(Text("no saved segments: f to filter, S to save", style="italic"), disabled=True))
            return
        for name, _ in self.saved:
            label = safe(name, "bold")
            label.append(f"\n{counts[name]:,} match" if name in counts else "\ncounting…", style="dim")
            self.add_option(Option(label))
        self.highlighted = keep if keep is not None and keep < len(self.saved) else 0

    @work(thread=True, exclusive=True, group="segment-counts")
    def count(self) -> None:
        with reader(self.book) as book:
            counts = {name: book.count(expr) for name, expr in self.saved}
        self.app.call_from_thread(self._draw, counts)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        index = event.option_index
        if 0 <= index < len(self.saved):
            self.post_message(self.Chosen(*self.saved[index]))

    def on_key(self, event) -> None:
        if event.key == "escape":
            event.stop()
            self.post_message(self.Closed())
