"""The queue as a virtual table: draws only the visible rows, pages them in from SQLite.

Textual's DataTable measures every cell (23 s for 100k rows here); this widget
knows only the row count up front and reads one page of ``PAGE`` rows when a
row of it is first drawn, so the first screen of a 100k queue costs one page.
It follows Toolong's model: the line API (``render_line``) on a ScrollView.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from wtui.book.book import Book
from wtui.book.reads import QueueEntry
from wtui.core.durations import compact
from wtui.core.text import visible
from wtui.tui.text import cells as fit
from wtui.tui.theme import WtuiTheme

PAGE = 100


@dataclass
class QueueModel:
    """Today's queue, narrowed by ``search``, read a page at a time."""

    book: Book
    search: str = ""
    query: object = None  # a parsed query (core.query.Node) narrowing the queue, or None
    total: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    now: datetime | None = None
    _pages: dict[int, list[QueueEntry]] = field(default_factory=dict)
    _windows: dict = field(default_factory=dict)

    def reload(self) -> None:
        # Contact windows move by the minute: reads within one minute share them.
        now = self.book.now().replace(second=0, microsecond=0)
        if now != self.now:
            self._windows = {}
        first = self.book.queue(limit=PAGE, search=self.search, now=now, windows_memo=self._windows, within=self.query)
        self.now = first.now
        self.counts = first.counts
        self.total = first.total
        self._pages = {0: first.entries}

    def entry(self, index: int) -> QueueEntry | None:
        if not 0 <= index < self.total:
            return None
        page = index // PAGE
        if page not in self._pages:
            q = self.book.queue(limit=PAGE, offset=page * PAGE, search=self.search, counts=False, now=self.now,
                                windows_memo=self._windows, within=self.query)
            self._pages[page] = q.entries
        rows = self._pages[page]
        i = index - page * PAGE
        return rows[i] if i < len(rows) else None

    def index_of(self, uid: str) -> int | None:
        for page, rows in self._pages.items():
            for i, e in enumerate(rows):
                if e.uid == uid:
                    return page * PAGE + i
        return self.book.position(uid, search=self.search, within=self.query)

    def uids(self) -> list[str]:
        """Every uid in the narrowed queue, in order (for marking all)."""
        return [e.uid for e in self.book.queue(limit=max(1, self.total), search=self.search, counts=False,
                                               now=self.now, within=self.query).entries]


class QueueTable(ScrollView, can_focus=True):
    """Rows: colour block and glyph, intent initial, mark, name, number, local time, window, due, top tags."""

    DEFAULT_CSS = "QueueTable { height: 1fr; }"
    cursor: reactive[int] = reactive(0)

    class Moved(Message):
        def __init__(self, entry: QueueEntry | None) -> None:
            super().__init__()
            self.entry = entry

    def __init__(self, model: QueueModel, theme: WtuiTheme, glyphs: dict[str, str], **kw) -> None:
        super().__init__(**kw)
        self.model = model
        self.wtheme = theme
        self.glyphs = glyphs
        self.marked: set[str] = set()

    # -- data -------------------------------------------------------------------

    def reload(self, keep: str | None = None) -> None:
        """Re-read the queue, keeping the cursor on ``keep`` (a uid) when still there."""
        self.model.reload()
        self.virtual_size = Size(self.size.width, self.model.total)
        index = self.model.index_of(keep) if keep else None
        self.cursor = min(index if index is not None else self.cursor, max(0, self.model.total - 1))
        self._announce()
        self.refresh()

    @property
    def current(self) -> QueueEntry | None:
        return self.model.entry(self.cursor)

    def targets(self) -> list[str]:
        """The marked customers, or the current one."""
        if self.marked:
            return sorted(self.marked)
        return [self.current.uid] if self.current else []

    # -- cursor ------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh_line(old - int(self.scroll_y))
        self.refresh_line(new - int(self.scroll_y))
        self.scroll_to_region(Region(0, new, 1, 1), animate=False, immediate=True)
        self._announce()

    def _announce(self) -> None:
        self.post_message(self.Moved(self.current))

    def move(self, delta: int) -> None:
        if self.model.total:
            self.cursor = max(0, min(self.model.total - 1, self.cursor + delta))

    def go(self, index: int) -> None:
        if self.model.total:
            self.cursor = max(0, min(self.model.total - 1, index))

    def page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def toggle_mark(self) -> None:
        e = self.current
        if e:
            self.marked ^= {e.uid}
            self.refresh_line(self.cursor - int(self.scroll_y))

    # -- drawing -----------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        index = int(self.scroll_y) + y
        width = self.scrollable_content_region.width
        entry = self.model.entry(index)
        if entry is None:
            return Strip.blank(width, self.rich_style)
        return Strip(self._segments(entry, index == self.cursor, width), width).crop(0, width)

    def _segments(self, e: QueueEntry, selected: bool, width: int) -> list[Segment]:
        base = self.rich_style
        if selected:
            base = base + Style(reverse=True)
        colour = self.wtheme.queue[e.color]
        marks = self.wtheme.marks
        now = self.model.now or e.due
        due = "late " + compact(now - e.due) if e.overdue else "in " + compact(e.due - now)
        # fixed: block+glyph+intent+mark 6, phone 16, local 10, window 13, due 11; the rest is name and tags
        name_w = max(8, min(28, width - 56))
        cells = [
            ("▌", colour),
            (self.glyphs[e.color] + ("*" if e.priority else " "), colour + Style(bold=True)),
            ((e.intent[:1].upper() or "-") + " ", marks["dim"]),
            ("●" if e.uid in self.marked else " ", marks["marked"]),
            (" " + fit(visible(e.name), name_w), Style()),
            (" " + fit(e.phone, 15), marks["dim"]),
            (" " + f"{e.window.local:%a %H:%M}", Style()),
            (" " + fit(e.window.short(now), 12), Style() if e.window.in_window else marks["outside"]),
            (" " + fit(due, 10), marks["overdue"] if e.overdue else Style()),
        ]
        rest = width - sum(len(t) for t, _ in cells) - 1
        if rest > 6 and e.tags:
            cells.append((" " + fit(visible(", ".join(e.tags)), rest), marks["dim"]))
        return [Segment(text, base + style) for text, style in cells]

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, self.model.total)
