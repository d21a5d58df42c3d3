"""The queue as a virtual table: draws only the visible rows, pages them in from SQLite.

Textual's DataTable measures every cell (23 s for 100k rows here); this widget
knows only the row count up front and reads one page of ``PAGE`` rows when a
row of it is first drawn, so the first screen of a 100k queue costs one page.
It follows Toolong's model: the line API (``render_line``) on a ScrollView.

Reading the queue (counts, the first page, where the cursor's customer went)
may take a while on a big book narrowed by text, so ``QueueModel.read`` runs on
any ``Book`` (a worker's own connection) and returns a ``QueueView`` that the
table shows on the main thread.
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
from textual.widgets import Static

from wtui.book.book import Book
from wtui.book.reads import QueueEntry
from wtui.core.durations import compact
from wtui.core.text import fit, visible
from wtui.tui.keys import table_bindings
from wtui.tui.theme import WtuiTheme

PAGE = 100


@dataclass(frozen=True, eq=False)  # never compared: no __eq__/__hash__ to compile at start
class QueueView:
    """One read of the queue: what the table shows until the next read."""

    now: datetime
    total: int
    counts: dict[str, int]
    first: list[QueueEntry]
    keep: int | None  # where the customer to keep the cursor on now stands (None: gone)
    counted: bool = True  # False: the first page alone (the first paint); total and counts follow


@dataclass(eq=False)
class QueueModel:
    """Today's queue, narrowed by ``search``, a query and the scope, read a page at a time."""

    book: Book
    search: str = ""
    query: object = None  # a parsed query (core.query.Node) narrowing the queue, or None
    mine: bool = True  # my customers and the unassigned, or the whole team's
    whole: bool = False  # every customer, due or not, in the queue's order (not only today's)
    total: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    counted: bool = False  # counts and total are known (not only the first page's length)
    now: datetime | None = None
    _pages: dict[int, list[QueueEntry]] = field(default_factory=dict)
    _windows: dict = field(default_factory=dict)

    def read(self, book: Book | None = None, keep: str | None = None, counts: bool = True) -> QueueView:
        """Counts and the first page, on ``book`` (a worker's own) or the model's; ``counts=False``: the first
        page alone, whose length stands in for the total until a counted read follows."""
        book = book or self.book
        # Contact windows move by the minute: reads within one minute share them.
        now = book.now().replace(second=0, microsecond=0)
        memo = self._windows if now == self.now else {}
        q = book.queue(limit=PAGE, search=self.search, now=now, windows_memo=memo, within=self.query,
                       mine=self.mine, counts=counts, whole=self.whole)
        index = next((i for i, e in enumerate(q.entries) if e.uid == keep), None) if keep else None
        if not counts:
            return QueueView(q.now, len(q.entries), {}, q.entries, index, counted=False)
        if keep and index is None:
            index = book.position(keep, search=self.search, within=self.query, mine=self.mine, whole=self.whole)
        return QueueView(q.now, q.total, q.counts, q.entries, index)

    def show(self, view: QueueView) -> None:
        if view.now != self.now:
            self._windows = {}
        if not view.counted and self.counted and len(view.first) == PAGE:
            # A first page ahead of its counts (a re-read after a write): the last counts stand until the
            # counted read lands, so the scroll extent and the header do not jump for a moment.
            self.now, self._pages = view.now, {0: view.first}
            return
        self.now, self.total, self.counts, self.counted = view.now, view.total, view.counts, view.counted
        self._pages = {0: view.first}

    def entry(self, index: int) -> QueueEntry | None:
        if not 0 <= index < self.total:
            return None
        page = index // PAGE
        if page not in self._pages:
            q = self.book.queue(limit=PAGE, offset=page * PAGE, search=self.search, counts=False, now=self.now,
                                windows_memo=self._windows, within=self.query, mine=self.mine, whole=self.whole)
            self._pages[page] = q.entries
        rows = self._pages[page]
        i = index - page * PAGE
        return rows[i] if i < len(rows) else None

    def next_shown(self, index: int, skip: set[str]) -> str | None:
        """The first customer after row ``index`` not in ``skip``, among the rows already read (no read
        here: it runs on the UI thread, and a page past them costs a query)."""
        for i in range(index + 1, self.total):
            rows = self._pages.get(i // PAGE)
            if rows is None or i % PAGE >= len(rows):
                return None
            if rows[i % PAGE].uid not in skip:
                return rows[i % PAGE].uid
        return None

    def uids(self, book: Book | None = None) -> list[str]:
        """Every uid in the narrowed queue, in order (for marking all)."""
        return (book or self.book).queue_uids(self.search, self.query, self.mine, now=self.now, whole=self.whole)

    @property
    def asked(self) -> tuple:
        """What the rows shown were read for: a read for anything else is not shown."""
        return self.search, self.query, self.mine, self.whole


# -- the columns -------------------------------------------------------------------------

# (label, cells) of the fixed columns after the name; the name takes what is left up to NAME_MAX,
# the tags the rest. The leading 6 cells are the colour block, glyph, priority, intent and mark.
LEAD = 6
FIXED = (("number", 16), ("local", 10), ("window", 13), ("due", 11))
NAME_MIN, NAME_MAX = 8, 28


def name_width(width: int) -> int:
    return max(NAME_MIN, min(NAME_MAX, width - LEAD - sum(w for _, w in FIXED) - 1))


def due_text(now: datetime, due: datetime | None, overdue: bool, cells: int) -> str:
    """'late 11h43', 'in 2d4h': whole units only, so a narrow column never ends mid-unit."""
    if due is None:  # the whole book shows those not due too
        return "not due"
    word = "late " if overdue else "in "
    return word + compact(now - due if overdue else due - now, cells - len(word))


class QueueColumns(Static):
    """The header line over the queue's columns."""

    DEFAULT_CSS = "QueueColumns { height: 1; color: $text-muted; text-style: bold; }"

    def render(self):
        width = self.size.width
        label = fit("", LEAD) + fit(" customer", name_width(width) + 1)
        label += "".join(fit(" " + name, cells) for name, cells in FIXED)
        rest = width - len(label)
        return label + (fit(" tags", rest) if rest > 6 else "")


class QueueTable(ScrollView, can_focus=True, inherit_bindings=False):
    """Rows: colour block and glyph, intent initial, mark, name, number, local time, window, due, top tags.

    The movement keys are this widget's own bindings (a ScrollView's would scroll
    the view and leave the cursor behind); the view always follows the cursor.
    """

    DEFAULT_CSS = "QueueTable { height: 1fr; }"
    BINDINGS = table_bindings()
    cursor: reactive[int] = reactive(0, always_update=True)

    class Moved(Message):
        """The cursor is on another customer (or on none)."""

        def __init__(self, entry: QueueEntry | None) -> None:
            super().__init__()
            self.entry = entry

    def __init__(self, model: QueueModel, theme: WtuiTheme, glyphs: dict[str, str], **kw) -> None:
        super().__init__(**kw)
        self.model = model
        self.wtheme = theme
        self.glyphs = glyphs
        self.marked: set[str] = set()
        self._shown: str | None = None  # the uid last announced
        self._frame_style: Style | None = None  # rich_style while a frame is drawn (render_lines)

    # -- data -------------------------------------------------------------------

    def show(self, view: QueueView) -> None:
        """Show a fresh read of the queue; the cursor stays on the same customer when still there."""
        self.model.show(view)
        self.virtual_size = Size(self.size.width, self.model.total)
        index = view.keep if view.keep is not None else self.cursor
        self.cursor = min(index, max(0, self.model.total - 1))
        self.refresh()
        # Once the new height is laid out: a queue that grew back (a narrowing cleared) could not scroll
        # down to the kept customer yet, and the panel showed someone off screen.
        self.call_after_refresh(self._follow)

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
        self._follow()
        entry = self.current
        uid = entry.uid if entry else None
        if uid != self._shown or old != new:
            self._shown = uid
            self.post_message(self.Moved(entry))

    def move(self, delta: int) -> None:
        self.go(self.cursor + delta)

    def go(self, index: int) -> None:
        self.cursor = max(0, min(self.model.total - 1, index)) if self.model.total else 0

    def page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def action_cursor(self, where: str) -> None:
        steps = {"down": 1, "up": -1, "page_down": self.page(), "page_up": -self.page()}
        if where in steps:
            self.move(steps[where])
        else:
            self.go(0 if where == "top" else self.model.total - 1)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Behind "terminal too small" nothing moves: nobody can see the row.
        return not self.screen.has_class("tiny")

    def toggle_mark(self) -> None:
        e = self.current
        if e:
            self.marked ^= {e.uid}
            self.refresh_line(self.cursor - int(self.scroll_y))

    # -- drawing -----------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        # The widget's own style (a walk up the DOM, ~0.1 ms) once a frame, not once a line.
        self._frame_style = self.rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._frame_style = None

    def _style(self) -> Style:
        return self._frame_style if self._frame_style is not None else self.rich_style

    def render_line(self, y: int) -> Strip:
        index = int(self.scroll_y) + y
        width = self.scrollable_content_region.width
        entry = self.model.entry(index)
        if entry is None:
            return Strip.blank(width, self._style())
        segments, used = self._segments(entry, index == self.cursor, width)
        strip = Strip(segments, used)
        return strip.crop(0, width) if used > width else strip

    def _segments(self, e: QueueEntry, selected: bool, width: int) -> tuple[list[Segment], int]:
        base = self._style()
        if selected:
            base = base + Style(reverse=True)
        colour = self.wtheme.queue[e.color]
        marks = self.wtheme.marks
        now = self.model.now or e.due
        phone, local, window, due = (cells for _, cells in FIXED)
        # Cells are cut and padded as the terminal counts them (core.text.fit), so a Hindi or Chinese
        # name never pushes the later columns right; the strip's width is declared, not measured by Rich.
        outside = Style() if e.window.in_window else marks["outside"]
        cells = [
            ("▌", colour),
            (self.glyphs[e.color] + ("*" if e.priority else " "), colour + Style(bold=True)),
            ((e.intent[:1].upper() or "-") + " ", marks["dim"]),
            ("●" if e.uid in self.marked else " ", marks["marked"]),
            (" " + fit(visible(e.name), name_width(width)), Style()),
            (" " + fit(e.phone, phone - 1), marks["dim"]),
            (" " + fit(f"{e.window.local:%a %H:%M}", local - 1), Style()),
            (" " + fit(e.window.short(now, window - 1), window - 1), outside),
            (" " + fit(due_text(now, e.due, e.overdue, due - 1), due - 1), marks["overdue"] if e.overdue else Style()),
        ]
        used = LEAD + 1 + name_width(width) + sum(c for _, c in FIXED)
        rest = width - used
        if rest > 6 and e.tags:
            cells.append((" " + fit(visible(", ".join(e.tags)), rest - 1), marks["dim"]))
            used = width
        if used < width:
            cells.append((" " * (width - used), Style()))
            used = width
        return [Segment(text, base + style) for text, style in cells], used

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, self.model.total)
        # Shown again (the narrow layout hides the queue behind the panel): the view follows the cursor,
        # which may have moved (a teammate's edit re-read the queue) while there was no view to scroll.
        self._follow()

    def _follow(self) -> None:
        if self.size.height:
            self.scroll_to_region(Region(0, self.cursor, 1, 1), animate=False, immediate=True)
