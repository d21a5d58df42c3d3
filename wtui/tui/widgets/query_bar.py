"""The filter bar: a query typed with completion, checked and counted as you type.

The status line sits above the input, so the whole error (the message, the
query with its caret, "did you mean") and the live count show even at 80x24.
Parsing is instant and runs on the keystroke; counting the audience runs in a
worker on a read connection of its own once typing pauses.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.suggester import Suggester
from textual.widgets import Input, Static

from wtui.book.book import Book
from wtui.core.text import counted, visible
from wtui.errors import WtuiError
from wtui.tui.workers import reader

KEYWORDS = ("AND", "OR", "NOT", "EXCLUDE")
COUNT_DELAY = 0.15  # seconds of quiet typing before the audience is counted


class QuerySuggester(Suggester):
    """Completes the word being typed: #tags, fields, keywords, and values after ``field =``."""

    def __init__(self, book: Book) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.book = book

    async def get_suggestion(self, value: str) -> str | None:
        if not value or value[-1].isspace():
            return None
        head, _, word = value.rpartition(" ")
        options = self.options_for(head.split(), word)
        low = word.lower()
        for option in options:
            if option.lower().startswith(low) and option.lower() != low:
                return (head + " " if head else "") + option
        return None

    def options_for(self, before: list[str], word: str) -> list[str]:
        if word.startswith("#"):
            return ["#" + name for name in self.book.tag_names()]
        from wtui.core.query import TEXT_OPS, TIME_OPS  # the query language loads when the bar is first used

        fields = self.book.query_fields
        if len(before) >= 2 and before[-1] in ("=", "!=") and before[-2].lower() in fields:
            return list(fields[before[-2].lower()].values)
        if before and before[-1].lower() in fields:
            kind = fields[before[-1].lower()].kind
            return list({"time": TIME_OPS, "text": TEXT_OPS, "message": ("~",)}.get(kind, ("=", "!=", ">=", "<=")))
        return sorted(fields) + list(KEYWORDS)


class QueryBar(Vertical):
    """Status above, input below; posts ``Applied`` (enter on a valid query) and ``Closed`` (esc)."""

    DEFAULT_CSS = """
    QueryBar { dock: bottom; height: auto; display: none; }
    QueryBar #query-status { height: auto; max-height: 6; padding: 0 1; background: $panel; }
    QueryBar #query-status.error { color: $error; }
    """

    class Applied(Message):
        def __init__(self, text: str, node: object) -> None:
            super().__init__()
            self.text, self.node = text, node

    class Closed(Message):
        """esc: the query is cleared."""

    def __init__(self, book: Book, **kw) -> None:
        super().__init__(**kw)
        self.book = book
        self._timer = None
        self.status_text = ""  # what the status line says, as plain text
        self.mine = False  # the queue shows my customers and the unassigned (the due count says so)
        self.search = ""  # the text the queue is narrowed by too (the due count is of what enter will show)

    def compose(self) -> ComposeResult:
        yield Static(id="query-status")
        yield Input(select_on_focus=False, id="query", suggester=QuerySuggester(self.book),
                    placeholder="a query: #Interest-Beauty AND last_inbound > 30d EXCLUDE #Ordered")

    @property
    def input(self) -> Input:
        return self.query_one("#query", Input)

    def open(self, text: str, mine: bool = False, search: str = "") -> None:
        self.display = True
        self.mine, self.search = mine, search
        self.input.value = text
        self.screen.set_focus(self.input)  # now, so the keys typed right after f land in the box
        self.check(text)

    def close(self) -> None:
        self.display = False

    def _say(self, message: str | Text, error: bool = False) -> None:
        status = self.query_one("#query-status", Static)
        status.set_class(error, "error")
        status.update(message)
        self.status_text = message.plain if isinstance(message, Text) else message

    def check(self, text: str):
        """Parse now, count after a pause; returns the tree, or None (and shows why)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if not text.strip():
            self._say("type a query; enter applies it to the queue, esc clears it")
            return None
        try:
            node = self.book.parse_query(text)
        except WtuiError as exc:
            self._say(Text("\n".join(visible(line) for line in str(exc).split("\n"))), error=True)
            return None
        self._say("counting…")
        self._timer = self.set_timer(COUNT_DELAY, lambda: self.count(text))
        return node

    @work(thread=True, exclusive=True, group="query-count")
    def count(self, text: str) -> None:
        """How many the query matches in the book, and how many of them the queue would show today: a
        filter of customers none of whom is due must not look like a broken one."""
        mine, search = self.mine, self.search
        with reader(self.book) as book:
            node = book.parse_query(text)
            n = book.count(node)
            due = book.queue(limit=1, within=node, mine=mine, search=search).total if n else 0
        self.app.call_from_thread(self._counted, text, n, due, mine, search)

    def _counted(self, text: str, n: int, due: int, mine: bool = False, search: str = "") -> None:
        if text != self.input.value:  # a count for what is no longer typed
            return
        found = counted(n, "match", "matches") + " in the book"
        if n:
            found += ", " + ("none" if not due else "all" if due == n and n > 1 else f"{due:,}") + " due today"
            found += " in your queue" if mine else ""
            found += f" and matching '{visible(search)}'" if search else ""
        self._say(f"{found}; enter applies, esc clears")

    @on(Input.Changed, "#query")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.check(event.value)

    @on(Input.Submitted, "#query")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        node = self.check(text) if text else None
        if text and node is None:
            return
        self.post_message(self.Applied(text, node))

    def on_key(self, event) -> None:
        if event.key == "escape":
            event.stop()
            self.post_message(self.Closed())
