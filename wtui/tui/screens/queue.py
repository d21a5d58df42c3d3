"""The queue screen: today's queue, the customer panel, and every action on them.

Keys call one ``Book`` write on the main thread when it takes milliseconds
(a tag, a note, a contact for one customer); anything that may take longer (a
bulk action, an undo, the rules, an import, many marked rows, narrowing by
text, book-wide counts) runs in a worker on a ``Book`` of its own, behind a
progress line that esc cancels, so the keys stay live. Each multi-step flow
(pick, confirm, run, report) is one flat ``@work`` method that awaits its
modals with ``push_screen_wait``. Widgets report by messages; this screen is
the one place that writes. Each action imports the dialogs it opens: the first
paint does not wait for them.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from wtui.book.book import Book
from wtui.book.db import parse_iso
from wtui.book.reads import rep_zone
from wtui.core import links, money
from wtui.core.config import COLORS, INTENTS
from wtui.core.durations import parse_span
from wtui.core.facts import PURCHASE
from wtui.core.prefs import format_note, parse_note
from wtui.core.queue import due_text as due_words
from wtui.core.queue import end_of_day
from wtui.core.text import counted, visible
from wtui.errors import BadInput, BookBusy, WtuiError
from wtui.tui import keys
from wtui.tui.text import safe
from wtui.tui.theme import WtuiTheme
from wtui.tui.widgets.customer_panel import CustomerPanel
from wtui.tui.widgets.query_bar import QueryBar
from wtui.tui.widgets.queue_header import HeaderState, QueueHeader, Stats
from wtui.tui.widgets.queue_table import QueueColumns, QueueModel, QueueTable, QueueView
from wtui.tui.widgets.segment_list import SegmentList
from wtui.tui.widgets.sync_status import SyncStatus
from wtui.tui.widgets.world_clocks import WorldClocks
from wtui.tui.workers import reader, writer

PANEL_DELAY = 0.03  # seconds of quiet after a move before the panel redraws
MANY = 50  # more customers than this: the write runs in a worker behind a progress line
GREETING = """Welcome to wtui. This book has no customers yet.

  I             import customers from a CSV file (a header row, a phone column)
  wtui import-chat "WhatsApp Chat with Maria.zip" --phone +5511961234567
                read a WhatsApp chat export into a customer's history
  wtui --demo   try the keys on a demo book (this book is not touched)

? lists the keys, q quits."""


def parse_expiry(text: str) -> timedelta | None:
    """'4h', '2d', '30m', '12' (hours); '' or '0' = no expiry. ValueError otherwise."""
    return parse_span(text, default_unit="h") or None


def flow(method):
    """A multi-step flow: one flat ``@work`` coroutine awaiting its dialogs. Until it ends, the queue's own
    keys are off, so keys typed ahead (a paste, a laggy SSH line) never act on the queue between dialogs."""
    worker = work(exclusive=True, group="flow")(method)

    @functools.wraps(method)
    def start(self: "QueueScreen", *args):
        self.flowing = True
        return worker(self, *args)

    return start


@dataclass(eq=False)  # never compared: no __eq__ to compile at start
class Undoable:
    """A write of this session that u takes back: its batch, and what it did."""

    batch: str
    what: str  # "Urgent added to Ana Lima": what "undone: ..." will say


class QueueScreen(Screen):
    """Today's queue, the customer panel, and every action on them."""

    BINDINGS = keys.screen_bindings()

    def __init__(self, book: Book, theme: WtuiTheme) -> None:
        super().__init__()
        self.book = book
        # A key's write waits briefly for another process's, then says the book is busy (workers' writers
        # wait the whole book.busy_wait_seconds): the keys never freeze behind someone's import.
        book.wait_at_most(book.cfg.ui.write_wait_seconds)
        self.wtheme = theme
        self.model = QueueModel(book, mine=book.cfg.queue.scope == "mine")
        self.undo_stack: list[Undoable] = []
        self.stats: Stats | None = None
        self.query_text = ""  # the query narrowing the queue, as typed
        self._tell_empty = False  # a filter was just applied: say so if it leaves the queue empty
        self.empty_book = False
        self._seen_version = book.data_version()
        self._panel_timer = None
        self._off = keys.unbound(book.cfg)
        self.flowing = False  # a flow (pick, confirm, run, report) is under way
        self.rest_mounted = False  # the widgets not in the first paint (see compose)
        self._snapshot_day = None  # the day this session last offered the signals snapshot
        self._swept_once = False  # the stale verdicts of the night recomputed (``sweep``)

    def compose(self) -> ComposeResult:
        # The first paint holds only what shows at once; the search box, the query bar, the segment list and
        # the footer mount right after it (``_mount_rest``). Classes set now are styled once, with the rest.
        cfg = self.book.cfg
        self.empty_book = not self.book.has_customers()
        self.set_class(self.empty_book, "empty-book", update=False)
        self._layout(update=False)
        yield QueueHeader(self.wtheme, cfg.colors.order, cfg.colors.glyph, id="header")
        yield WorldClocks(self.wtheme, id="clocks")
        with Horizontal(id="body"):
            with Vertical(id="queue-pane"):
                yield QueueColumns(id="columns")
                yield QueueTable(self.model, self.wtheme, cfg.colors.glyph, id="queue")
                yield Static(Text(GREETING), id="greeting")
            yield CustomerPanel(self.book, self.wtheme, id="panel")
        if getattr(self.app, "syncer", None) is not None:
            yield SyncStatus(self.wtheme, cfg, id="sync-status")
        yield Static("The terminal is too small for wtui: make it at least "
                     f"{cfg.ui.min_width}x{cfg.ui.min_height}. q quits.", id="too-small")

    def _mount_rest(self) -> None:
        from textual.widgets import Footer  # (its module, ~1.5 ms, loads after the first paint too)

        if self.rest_mounted:
            return
        self.rest_mounted = True
        self.query_one("#body").mount(SegmentList(self.book, id="segments"), before=0)
        self.mount(Input(select_on_focus=False, id="search",
                         placeholder="narrow by name, number or tag; enter keeps it, esc clears"),
                   QueryBar(self.book, id="query-bar"),
                   footer := Footer(compact=True, show_command_palette=self.has_class("wide")))
        footer.call_later(self.refresh_bindings)  # a footer lists the keys once told they are settled

    @property
    def table(self) -> QueueTable:
        return self.query_one(QueueTable)

    @property
    def panel(self) -> CustomerPanel:
        return self.query_one(CustomerPanel)

    def on_mount(self) -> None:
        # The first page paints at once; the counts (a scan of the day's index range) follow in a worker.
        self.table.show(self.model.read(counts=self.empty_book))  # an empty book counts in no time
        self.table.focus()
        self._header()
        if self.empty_book:
            self.panel.show(None, Text("No customers yet: see the left.", style="italic"))
        self.call_after_refresh(self._after_first_paint)
        self.set_interval(self.book.cfg.sync.poll_seconds, self.poll)
        self.set_interval(60, self.tick)
        if getattr(self.app, "syncer", None) is not None:
            self.watch(self.app, "sync_state", self._synced, init=False)

    def _after_first_paint(self) -> None:
        """The workers start once the first page is on screen: begun beside it, their threads took the
        interpreter from the first frame (a worker's Book.open alone is ~25 ms of Python)."""
        if self.empty_book:
            self.refresh_stats()
        else:
            self.read_queue()  # then the book-wide figures (_show_queue), which need the day's count
        if self.book.recompute_due:
            self.recompute()
        else:
            self.sweep()  # what time made stale since the verdicts were stored: the first paint did not wait
        self._mount_rest()

    def _synced(self, state) -> None:
        """Teammates' edits just came down: show them now rather than at the next poll."""
        if state is not None and state.received:
            self.poll()

    # -- layout ------------------------------------------------------------------

    def on_resize(self) -> None:
        self._layout()

    def _layout(self, update: bool = True) -> None:
        ui = self.book.cfg.ui
        w, h = self.app.size
        wide = w >= ui.panel_min_width
        self.set_class(w < ui.min_width or h < ui.min_height, "tiny", update=update)
        self.set_class(wide, "wide", update=update)
        was_narrow = self.has_class("narrow")
        self.set_class(not wide, "narrow", update=update)
        if was_narrow and not self.has_class("narrow") and self.panel_has_focus():
            self._back_to_table()  # the covering panel had the keys: beside the queue, the table takes them
        for footer in self.query("Footer"):  # at 80 columns "^p palette" pushed ? and q off the line (? says it)
            if footer.show_command_palette != wide:
                footer.show_command_palette = wide
                footer.refresh(recompose=True)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.has_class("tiny") or self.flowing:  # behind "too small", or between a flow's dialogs: only q
            return action == "quit"
        if action in self._off or (parameters and f"{action}({parameters[0]!r})" in self._off):
            return False
        return action != "sync_now" or self.app.syncer is not None  # only a replica of a team server syncs

    # -- keeping the screen true ---------------------------------------------------

    @on(QueueTable.Moved)
    def _moved(self, event: QueueTable.Moved) -> None:
        # The row repaints first; the panel (the heavier render) follows once the keys settle.
        if self._panel_timer is not None:
            self._panel_timer.stop()
        self._panel_timer = self.set_timer(PANEL_DELAY, self._show_panel)

    def _show_panel(self) -> None:
        """The panel shows the customer under the cursor now (not the one a Moved message named: a fresh
        read of the queue may land before that message does)."""
        self._panel_timer = None
        if not self.empty_book:
            current = self.table.current
            # "Empty" only once counted: a first page ahead of its count may leave the cursor past its end.
            empty = current is None and self.model.counted and not self.model.total
            self.panel.show(current.uid if current else None, self._empty_why() if empty else None)

    def _empty_why(self) -> Text:
        """What an empty queue means: nothing due at all, or nothing due that the filter, the search or
        the scope lets through (and how to widen it)."""
        model = self.model
        who = "No customer" if model.whole else "No one due today"
        if model.query is not None:
            why = f"{who} matches the filter: {self.key_of('filter')} changes it (esc in it clears it)."
        elif model.search:
            why = f"{who} matches the search: {self.key_of('search')} changes it (esc in it clears it)."
        elif model.mine:
            why = ("None of the book's customers is yours or unassigned" if model.whole
                   else "Nothing is due in your queue") + f": {self.key_of('scope')} shows the whole team's."
        else:
            why = "Nothing is due: the queue is empty." if not model.whole else "The book has no customers."
        return Text(why, style="italic")

    def reload(self, keep: str | None = None, gone: str | None = None, follow: bool = True) -> None:
        """After a write or a change of what the queue shows: its first page, then its counts, read in a
        worker (a narrowed count scans the day's queue: 100-200 ms on a 100k book), the cursor staying on
        ``keep`` (default: the customer under it); then the book-wide figures. ``gone``: a customer just
        written to; if the write took them out of what the queue shows, the rep is told why.
        ``follow`` False: the cursor stays at its row, whoever is there now (after a bulk action, which
        reorders the queue: the first page then shows at once, without first finding where the customer
        under the cursor went, ~0.2 s on a 100k book)."""
        current = self.table.current
        if not follow:
            keep = None
        elif keep is None and current is not None:
            keep = current.uid
        self.read_queue(keep, first_page=True, stats=True, gone=gone)

    @work(thread=True, exclusive=True, group="queue")
    def read_queue(self, keep: str | None = None, first_page: bool = False, stats: bool = False,
                   gone: str | None = None, narrowing: bool = False) -> None:
        """Re-read the queue off the UI thread; with ``first_page`` the first page is shown before the
        counts are read (it repaints the rows a write changed at once); with ``stats`` the book-wide
        figures are read after it (not beside it: two scans at once slow both). ``narrowing``: a
        keystroke that narrows the search, whose first page shows at once, on ``keep`` if it is there, else
        from its top (a broad prefix's count is most of the wait: "A" on a 100k book, ~0.4 s)."""
        asked = self.model.asked
        worker = get_current_worker()
        left = ""
        with reader(self.book) as book:
            if first_page:
                first = self.model.read(book, keep, counts=False)
                if worker.is_cancelled:
                    return  # a newer read is on its way: an older one never lands after it
                if narrowing and keep is not None and first.keep is None:
                    keep, first = None, replace(first, keep=0)  # not on the first page: the top, and stay
                if keep is None or first.keep is not None:  # else the cursor would sit on someone else
                    self.app.call_from_thread(self._show_queue, first, asked)
            view = self.model.read(book, keep)
            if gone and (view.keep is None if gone == keep else book.position(
                    gone, search=asked[0], within=asked[1], mine=asked[2], whole=asked[3]) is None):
                left = self._why_gone(book, gone, asked)
        if left:  # true of the book whatever read lands next: said even if a newer read replaces this one
            self.app.call_from_thread(self._say, left)
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show_queue, view, asked, stats)

    def _why_gone(self, book: Book, uid: str, asked: tuple) -> str:
        """Why a customer a write just changed is no longer in the queue shown (``asked``: the search,
        query and scope it was read with): a row must not vanish unexplained (a colour set by hand, an
        intent, a contact move the due time past today)."""
        rows = book.rows(book.ids_of([uid]))
        if not rows:
            return ""
        row = rows[0]
        search, query, mine, whole = asked
        who = visible(row["name"]) or row["phone"]
        now, zone = book.now(), rep_zone(book.cfg)
        due = parse_iso(row["due_at"])
        if not whole:  # the whole book holds everyone, due or not: only the scope or a narrowing takes them out
            if due is None:
                why = next((line.value for line in book.explain(uid) if line.label == "cadence"), "no active contact")
                return f"{who} is off today's queue: {row['color']} now, not due ({why})"  # a lost deal, say
            if due >= end_of_day(now, zone):
                return f"{who} is off today's queue: {row['color']} now, next due {due_words(due, now, zone)}"
        owner = row["owner"] or ""
        if mine and owner and owner != book.actor:
            return f"{who} is off your {'customers' if whole else 'queue'}: assigned to {visible(owner)}"
        if query is None and not search:
            return ""
        shown = "the filter" if query is not None else "the search"
        return f"{who} no longer matches {shown}: {row['color']} now, " \
               + (f"due {due_words(due, now, zone)}" if due else "not due")

    def _say(self, text: str) -> None:
        if not self._gone():
            self.notify(text, markup=False)

    def _gone(self) -> bool:
        """A worker's result may land after the app began to close: the screen, or its widgets, gone."""
        return not self.is_attached or not self.query(QueueTable)

    def _show_queue(self, view: QueueView, asked: tuple, stats: bool = False) -> None:
        if self._gone() or asked != self.model.asked:
            return  # the rep typed on: a newer read is on its way
        self.table.show(view)
        self._show_panel()
        self._header()
        if view.counted and self._tell_empty:
            self._tell_empty = False
            if not view.total:  # the panel says it too, but the narrow layout hides the panel
                self.notify(self._empty_why().plain, severity="warning", markup=False)
        if stats or (self.stats is None and view.counted):
            self.refresh_stats()

    def poll(self) -> None:
        """Another rep's commit shows within ``poll_seconds``, the cursor staying on the same customer."""
        if self.flowing:
            return  # a flow re-reads at its end; reading beside its write would hold the write's commit back
        try:
            version = self.book.data_version()
        except BookBusy:
            return  # someone is committing a big batch: the next poll sees it
        if version != self._seen_version:
            self._seen_version = version
            self.tick()

    @work(thread=True, group="recompute")
    def recompute(self) -> None:
        """After a change of wtui or of the team's verdict settings, every colour is recomputed once: here,
        in the background (~30 s on a 100k book, 5,000 customers a transaction); the queue shows the
        stored colours meanwhile, then the new ones."""
        self.app.call_from_thread(self.notify, "wtui or the team's settings changed: every customer's colour is "
                                  "being recomputed; the queue shows the old colours until then", timeout=8)
        try:
            with writer(self.book):  # opening for writing recomputes, chunk by chunk
                pass
        except WtuiError as exc:
            self.app.call_from_thread(self.notify, f"colours not recomputed: {exc}", severity="error")
            return
        self.book.recompute_due = False
        self.app.call_from_thread(self._recomputed)

    def _recomputed(self) -> None:
        if not self._gone():
            self.notify("every customer's colour is recomputed")
            self.tick()

    def tick(self) -> None:
        """Time moves colours and due times on (once a minute), and so do other reps' commits."""
        self.sweep()

    @work(thread=True, exclusive=True, group="sweep")
    def sweep(self) -> None:
        """The verdicts time made stale (a due time passed, a window opened, a day went by), recomputed off
        the UI thread: at the morning's first start every customer whose verdict moved overnight (2,243 of
        a 100k book after 12 h: ~1 s), then a minute's worth; then the queue and the figures are read again."""
        try:
            with writer(self.book, recompute=False) as book:
                book.refresh_stale(whole=False)  # a whole-book recompute is the other worker's (recompute)
                due = book.recompute_due
        except BookBusy:
            return  # someone's big write: the next tick or poll catches up
        self.app.call_from_thread(self._swept, due)

    def _swept(self, recompute_due: bool) -> None:
        if self._gone():
            return
        self._swept_once = True
        self.book.recompute_due = recompute_due
        if recompute_due and not any(w.group == "recompute" and not w.is_finished for w in self.workers):
            self.recompute()  # another process stored verdicts of other settings: ours again, in the background
        current = self.table.current
        self.read_queue(current.uid if current else None, stats=True)

    @work(thread=True, exclusive=True, group="stats")
    def refresh_stats(self) -> None:
        """Progress, team signals and the zones due today, on a read connection of their own."""
        model = self.model
        with reader(self.book) as book:
            # Progress is over the whole day's queue, not the part a search or a query narrows it to.
            narrowed = model.search or model.query or model.whole
            due = book.queue(limit=1, mine=model.mine).total if narrowed else model.total
            stats = Stats(book.progress(due, mine=model.mine), book.team_signals(), book.queue_zones(),
                          _routine_day(book))
        self.app.call_from_thread(self._show_stats, stats)

    @work(thread=True, exclusive=True, group="snapshot")
    def take_snapshot(self) -> None:
        """The day's signals snapshot, when this is the day's first writer on the book (weekly routine)."""
        if self.book.readonly or self.book.recompute_due:  # half-recomputed colours are no day's figures
            return
        try:
            with writer(self.book, recompute=False) as book:
                book.snapshot()
        except WtuiError:  # best effort: this session's next write offers it again
            self.app.call_from_thread(setattr, self, "_snapshot_day", None)

    def _show_stats(self, stats: Stats) -> None:
        # The figures may come back after the app began to close: the screen, or its widgets, gone.
        clocks = self.query(WorldClocks)
        if not self.is_attached or not clocks:
            return
        self.stats = stats
        self._header()
        clocks.first().show(stats.zones, self.book.now())

    def _offer_snapshot(self) -> None:
        """After a write of the rep's: the day's signals snapshot, once a session and a day (opening the app
        never changes the book), not mid-recompute, and after this session's first sweep (else the night's
        stale colours would be stored)."""
        day = self.book.now().astimezone(rep_zone(self.book.cfg)).date()
        if day != self._snapshot_day and not self.book.recompute_due and self._swept_once:
            self._snapshot_day = day
            self.take_snapshot()

    def _header(self) -> None:
        model = self.model
        header = self.query(QueueHeader)
        if not header:  # closing: the widgets are already gone
            return
        header.first().show(HeaderState(
            mine=model.mine, who=self.book.actor, counts=model.counts if model.counted else None, search=model.search,
            query=self.query_text, marked=len(self.table.marked), stats=self.stats, whole=model.whole))

    # -- moving and showing -----------------------------------------------------------

    def action_open_customer(self) -> None:
        self.remove_class("hide-panel")
        self.add_class("show-panel")
        if self.has_class("narrow"):  # the panel covers the queue: its keys (up, down, pages) scroll the card
            self.call_after_refresh(self.panel.focus)

    def action_scroll_panel(self, pages: float) -> None:
        """Scroll the card beside the queue by a part of its height (the cursor stays on its customer)."""
        panel = self.panel
        panel.scroll_to(y=panel.scroll_y + pages * max(1, panel.size.height - 1), animate=False)

    def action_toggle_panel(self) -> None:
        if self.has_class("narrow"):
            self.toggle_class("show-panel")
        else:
            self.toggle_class("hide-panel")
        self._back_to_table()

    def panel_has_focus(self) -> bool:
        focused = self.focused
        return focused is not None and (isinstance(focused, CustomerPanel) or
                                        any(isinstance(a, CustomerPanel) for a in focused.ancestors))

    def _back_to_table(self) -> None:
        """The table takes the keys again once it shows: hidden behind the narrow layout's panel, it lost
        the focus, and the movement keys went nowhere."""
        if not self.has_class("show-panel") or not self.has_class("narrow"):
            self.call_after_refresh(self.table.focus)

    def action_mark(self) -> None:
        self.table.toggle_mark()
        self.table.move(1)
        self._header()

    @work(thread=True, exclusive=True, group="mark-all")
    def action_mark_all(self) -> None:
        """Mark everyone shown (or unmark all): the ids come from a worker, not from building every row."""
        asked = self.model.asked
        with reader(self.book) as book:
            everyone = set(self.model.uids(book))
        self.app.call_from_thread(self._mark_all, everyone, asked)

    def _mark_all(self, everyone: set[str], asked: tuple) -> None:
        if self._gone():
            return
        if asked != self.model.asked:  # the rep switched what is shown meanwhile: these are not the rows shown
            self.notify("nothing marked: what the queue shows changed; press it again", markup=False)
            return
        table = self.table
        table.marked = set() if everyone and everyone <= table.marked else everyone
        table.refresh()
        self._header()
        self.notify(f"marked {counted(len(table.marked), 'customer')}" if table.marked else "marks cleared",
                    markup=False)

    def action_scope(self) -> None:
        self.model.mine = not self.model.mine
        cleared = self._clear_marks()
        self.reload()
        who = f"your customers ({self.book.actor}) and the unassigned" if self.model.mine else "the whole team's"
        self.notify(f"showing {who}{cleared}", markup=False)

    def _clear_marks(self) -> str:
        """Marks go when what is shown changes (a key must not act on rows out of sight): what to say of it."""
        n = len(self.table.marked)
        self.table.marked.clear()
        return f"; marks cleared ({counted(n, 'customer')})" if n else ""

    def action_whole_book(self) -> None:
        """Every customer, due or not (to open one who is not in today's queue), or today's queue again; the
        cursor stays on the customer under it when they are in both."""
        self.model.whole = not self.model.whole
        cleared = self._clear_marks()
        self.reload()
        shown = "every customer, due or not (the whole book)" if self.model.whole else "today's queue"
        self.notify(f"showing {shown}{cleared}", markup=False)

    @flow
    async def action_copy_number(self) -> None:
        """y: copy the number, the customer's filled template, or a wa.me link with it (OSC 52). A template
        their cap or window stands against is copied only when the rep confirms."""
        from wtui.core.templates import wa_link
        from wtui.tui.modals import Choice, Confirm

        entry = self.table.current
        if not entry:
            return
        who = visible(entry.name)

        def fill():  # a template's query may scan the book: off the UI thread, on a reader of its own
            with reader(self.book) as book:
                return book.fill_template(entry.uid)

        try:
            filled = await asyncio.to_thread(fill)
        except WtuiError as exc:
            filled, why = None, str(exc)
        choices = [("number", Text(f"the number {entry.phone}"))]
        if filled is not None:
            choices += [("text", Text(f"the {filled.format} of template {visible(filled.template)}")),
                        ("link", Text("a wa.me link with it (opens the chat, the text typed in)"))]
        else:
            choices.append(("none", Text(f"no template: {visible(why)}", style="italic")))
        picked = await self.app.push_screen_wait(Choice(f"Copy for {who}", choices,
                                                        current="text" if filled else "number"))
        if picked in (None, "none"):
            return
        if picked == "number":
            self.app.copy_to_clipboard(entry.phone)
            self.notify(f"copied {entry.phone} ({who})", markup=False)
            return
        if filled.refusals:
            ask = Text(f"Not now for {who}: " + "; ".join(filled.refusals) + ". Copy it anyway?")
            if not await self.app.push_screen_wait(Confirm(ask)):
                return
        self.app.copy_to_clipboard(filled.text if picked == "text" else wa_link(entry.phone, filled.text))
        said = "the " + filled.format + " of " + filled.template if picked == "text" else "a wa.me link"
        self.notify(f"copied {visible(said)} for {who}" + "".join(f"; {w}" for w in filled.warnings),
                    severity="warning" if filled.warnings else "information", markup=False)

    def action_sync_now(self) -> None:
        self.app.action_sync_now()

    def action_quit(self) -> None:
        self.app.exit(0)

    def action_help(self) -> None:
        from wtui.tui.modals import Help

        by_id: dict[str, tuple[list[str], str]] = {}
        for active in self.active_bindings.values():
            binding = active.binding
            if binding.id and (binding.id in {a.id for a in keys.ACTIONS} or binding.id.startswith("quick_")) \
                    and self.check_action(*keys.parsed(binding.action)):
                shown = by_id.setdefault(binding.id, ([], keys.describe(binding, self.book.cfg)))
                shown[0].append(self.app.get_key_display(binding))
        order = [a.id for a in keys.ACTIONS] + [f"quick_{n}" for n in keys.QUICK]
        rows = [(" ".join(by_id[i][0]), by_id[i][1]) for i in order if i in by_id]
        self.app.push_screen(Help(rows, self.legend()))

    def key_of(self, action_id: str) -> str:
        """The key in force for an action, as the footer shows it (keys are rebound in config)."""
        for active in self.active_bindings.values():
            if active.binding.id == action_id:
                return self.app.get_key_display(active.binding)
        return action_id

    def legend(self) -> list[tuple[str, str]]:
        cfg = self.book.cfg
        glyphs = cfg.colors.glyph
        marked = " ".join(self.key_of(a) for a in ("tags", "colour", "contacted"))
        return [
            (" ".join(glyphs[c] for c in cfg.colors.order), "colour: " + ", ".join(cfg.colors.order)),
            ("*", "a priority tag (" + ", ".join(cfg.colors.rules.priority_tags) + "): before anything else"),
            ("H M P N", "intent: high, medium, potential, none (- not known)"),
            ("●", f"marked: {marked} act on every marked row"),
            ("Tue 14:05", "the customer's local time"),
            ("open -22:00", "inside their contact window, until 22:00 their time"),
            ("best 19:00", "inside it; their answers come fastest at 19:00 their time ('best now': it is that hour)"),
            ("quiet 3h37", "outside it (quiet hours, closed, worst hours): it opens in 3 h 37 m"),
            ("late 11h43", "overdue by 11 h 43 m; 'in 2h' is due in 2 hours"),
            ("not due", f"no follow-up planned (every customer shows with {self.key_of('whole')})"),
        ]

    # -- writing -------------------------------------------------------------------------

    def _targets(self) -> list[str]:
        targets = self.table.targets()
        if not targets:
            self.notify("Nothing to act on: the queue is empty.", severity="warning")
        return targets

    def _who(self, targets: list[str]) -> str:
        """'Ana Lima' for one customer, '12 customers' for more."""
        if len(targets) == 1:
            current = self.table.current
            if current and current.uid == targets[0]:
                return visible(current.name) or current.phone
            return visible(self.book.names([targets[0]]).get(targets[0], "")) or "1 customer"
        return f"{len(targets):,} customers"

    def _wrote(self, batch: str, what: str, keep: str | None = None, gone: str | None = None,
               follow: bool = True) -> None:
        """After a batch: remember it for undo (when it changed anything), redraw, say what happened.
        ``keep``: where the cursor goes; ``gone``: the one customer written to, told about if the write
        took them off the queue (None: ``keep``; "": no one, as when ``keep`` is only where to go next)."""
        if self.book.batch_changed(batch):
            self.undo_stack.append(Undoable(batch, what))
            self._offer_snapshot()
        self.table.marked.clear()
        self.reload(keep, gone=keep if gone is None else gone, follow=follow)
        self.notify(what, markup=False)
        if getattr(self.app, "syncer", None) is not None:
            self.app.syncer.nudge()  # up to the team server now, not at the pusher's next look

    def _write(self, reason: str, what: str, fn: Callable[[Book], None], keep: str | None = None,
               gone: str | None = None) -> None:
        """A quick write on the main thread, as one batch."""
        try:
            with self.book.batch(reason) as batch:
                fn(self.book)
        except WtuiError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self._wrote(batch, what, keep, gone)

    async def _in_worker(self, title: str, job: Callable[[Book, Callable[[int, int], None]], object]):
        """Run ``job(book, progress)`` on a writer of its own, behind a progress line esc cancels.

        Returns the job's result, or None when it was cancelled or failed (and says so)."""
        from wtui.tui.modals import Cancelled, ProgressScreen

        progress = ProgressScreen(title)
        await self.app.push_screen(progress)
        try:
            def run():
                with writer(self.book) as book:
                    return job(book, progress.check)

            return await asyncio.to_thread(run)
        except Cancelled:
            self.notify(f"{title}: stopped, nothing was written", severity="warning", markup=False)
        except WtuiError as exc:
            self.notify(str(exc), severity="error", markup=False)
        finally:
            progress.dismiss(None)
        return None

    async def _change(self, targets: list[str], what: str, reason: str, **bulk) -> None:
        """Tags, colour, intent or owner for the targets: one write for few, a bulk action in a worker for many."""
        if len(targets) <= MANY:
            def one_by_one(book: Book) -> None:
                for uid in targets:
                    for tag in bulk.get("add", ()):
                        book.add_tag(uid, tag, reason=reason)
                    for tag in bulk.get("remove", ()):
                        book.remove_tag(uid, tag, reason=reason)
                    if "color" in bulk:
                        book.set_color(uid, bulk["color"], bulk.get("until"), reason=reason)
                    if "intent" in bulk:
                        book.set_intent(uid, bulk["intent"], reason=reason)
                    if "owner" in bulk:
                        book.set_field(uid, "owner", bulk["owner"], reason=reason)

            self._write(reason, what, one_by_one, keep=targets[0] if len(targets) == 1 else None)
            return
        done = await self._in_worker(what, lambda book, progress: book.bulk(
            book.ids_of(targets), reason=reason, progress=progress, **bulk))
        if done is not None:
            batch, written = done
            self._wrote(batch, f"{what} ({written:,} changes)", follow=False)

    @flow
    async def action_tags(self) -> None:
        from wtui.tui.modals import Confirm, TagChoice, TagPicker, TagResult

        targets = self._targets()
        if not targets:
            return
        tags = [TagChoice(t["name"], t["dimension"], t["color"]) for t in self.book.tags() if not t["archived"]]
        common = set.intersection(*(set(self.book.tags_of(uid)) for uid in targets[:MANY])) if targets else set()
        who = self._who(targets)
        result: TagResult | None = await self.app.push_screen_wait(TagPicker(tags, common, who, self.book.is_admin()))
        if result is None:
            return
        if result.create:
            ask = Text("Create the tag ") + safe(result.create, "bold") + Text(" for the whole team?")
            if await self.app.push_screen_wait(Confirm(ask)):
                def create(book: Book) -> None:
                    book.create_tag(result.create, reason="created from the tag picker")
                    for uid in targets:
                        book.add_tag(uid, result.create, reason="tag picker")

                self._write("create tag", f"created {visible(result.create)} and added it to {who}", create)
            return
        if result.add or result.remove:
            await self._change(targets, _tag_words(result.add, result.remove, who), "tag picker",
                               add=result.add, remove=result.remove)

    def action_quick_tag(self, number: str) -> None:
        tag = self.book.cfg.quick_tags.get(number, "")
        targets = self._targets()
        if not tag or not targets:
            return
        if len(targets) > MANY:
            self.notify(f"{len(targets):,} marked: use t (tags) for many customers at once", severity="warning")
            return
        remove = all(tag.lower() in (t.lower() for t in self.book.tags_of(uid)) for uid in targets)
        who = self._who(targets)
        what = f"removed {tag} from {who}" if remove else f"added {tag} to {who}"

        def toggle(book: Book) -> None:
            for uid in targets:
                (book.remove_tag if remove else book.add_tag)(uid, tag, reason=f"key {number}")

        self._write(f"key {number}", what, toggle, keep=targets[0] if len(targets) == 1 else None)

    @flow
    async def action_colour(self) -> None:
        targets = self._targets()
        if not targets:
            return
        picked = await self.ask_colour(f"Colour for {self._who(targets)}", self._current_of(targets, "color"))
        if picked is None:
            return
        color, until = picked
        what = f"colour {color or 'automatic'} for {self._who(targets)}{self._until_words(color, until)}"
        await self._change(targets, what, "set by hand", color=color, until=until)

    def _until_words(self, color: str, until) -> str:
        """' until 16:00 (in 4 h)', in the rep's zone as the panel says times; ' until cleared' for good."""
        if not color:
            return ""
        if until is None:
            return " until cleared"
        return f" until {due_words(until, self.book.now(), rep_zone(self.book.cfg))}"

    def _current_of(self, targets: list[str], field: str) -> str | None:
        """The value a dialog starts on: the one customer's, or none for several."""
        current = self.table.current
        return getattr(current, field) if len(targets) == 1 and current else None

    async def ask_colour(self, title: str, current: str | None = None):
        """A colour and its expiry (checked as it is typed), or None when cancelled."""
        from wtui.tui.modals import Choice

        glyph = self.book.cfg.colors.glyph
        choices = [(c, Text(f"{glyph[c]} {c}", style=self.wtheme.queue[c])) for c in COLORS]
        choices.append(("", Text("automatic (clear the colour set by hand)")))
        hours = self.book.cfg.ui.colour_override_hours

        def check(text: str) -> tuple[bool, str]:
            try:
                span = parse_expiry(text)
            except ValueError as exc:
                return False, str(exc)
            return True, f"expires in {text.strip()}" if span else "until cleared"

        picker = Choice(title, choices, ("expires in (4h, 2d; empty = until cleared)", f"{hours:g}h" if hours else ""),
                        current=current, check=check)
        color = await self.app.push_screen_wait(picker)
        if color is None:
            return None
        span = parse_expiry(picker.extra)
        return color, (self.book.now() + span if (span and color) else None)

    @flow
    async def action_intent(self) -> None:
        from wtui.tui.modals import Choice

        targets = self._targets()
        if not targets:
            return
        choices = [(i, Text(i)) for i in INTENTS] + [("", Text("automatic (from their words)"))]
        intent = await self.app.push_screen_wait(Choice(f"Intent for {self._who(targets)}", choices,
                                                        current=self._current_of(targets, "intent")))
        if intent is not None:
            await self._change(targets, f"intent {intent or 'automatic'} for {self._who(targets)}", "set by hand",
                               intent=intent)

    def action_assign(self) -> None:
        targets = self._targets()
        if targets:
            me = self.book.actor
            self._assign(targets, me)

    @flow
    async def _assign(self, targets: list[str], me: str) -> None:
        await self._change(targets, f"assigned {self._who(targets)} to {visible(me)}", "assigned", owner=me)

    @flow
    async def action_note(self) -> None:
        from wtui.tui.modals import Prompt

        targets = self._targets()
        if not targets:
            return
        who = self._who(targets)
        text = await self.app.push_screen_wait(Prompt(f"Note for {who}", placeholder="what happened, what to remember"))
        if text and text.strip():
            await self._each(targets, "note", f"note added for {who}", lambda book, uid: book.add_note(uid, text))

    @flow
    async def action_link(self) -> None:
        """A tracked link for the customer under the cursor, copied to paste into the chat."""
        from wtui.tui.modals import Choice

        entry = self.table.current
        if entry is None:
            return
        syncer = getattr(self.app, "syncer", None)
        base = self.book.cfg.links.base_url or (syncer.url if syncer else "")
        if not base:
            self.notify("Tracked links are answered by the team server: open wtui with --remote URL, or set "
                        "links.base_url", severity="warning", markup=False)
            return

        def check(text: str) -> tuple[bool, str]:
            try:
                links.check_url(text)
            except WtuiError as exc:
                return False, str(exc)
            return True, "enter makes the link"

        picker = Choice(f"Tracked link for {visible(entry.name)}", [(k, Text(k)) for k in links.KINDS],
                        ("leads to (https://...); enter makes a link of the kind above, tab picks another", ""),
                        current="quote", check=check, field_first=True)
        kind = await self.app.push_screen_wait(picker)
        if not kind:
            return
        made: list[str] = []
        self._write("a tracked link", f"{kind} link for {visible(entry.name)}",
                    lambda book: made.append(book.create_link(entry.uid, picker.extra, kind)), keep=entry.uid)
        if made:
            url = links.short_url(base, made[0])
            self.app.copy_to_clipboard(url)
            self.notify(f"copied {url}: a {kind} link for {visible(entry.name)}; each open is recorded",
                        markup=False, timeout=10)

    @flow
    async def action_purchase(self) -> None:
        """A purchase by the customer under the cursor (what `wtui purchase` records)."""
        from wtui.tui.modals import Prompt

        entry = self.table.current
        if entry is None:
            return
        spend = self.book.cfg.spend

        def check(text: str) -> tuple[bool, str]:
            try:
                return True, "a purchase of " + money.parse_purchase(text, spend).said(spend.currency)
            except WtuiError as exc:
                return False, str(exc)

        text = await self.app.push_screen_wait(Prompt(f"Purchase by {visible(entry.name)}", "", check,
                                                      "amount [currency] [what], like 120.50 EUR serum"))
        if text is None:
            return
        bought = money.parse_purchase(text, spend)
        self._write("a purchase", f"purchase of {bought.said(spend.currency)} by {visible(entry.name)}",
                    lambda book: book.record(entry.uid, PURCHASE, text=bought.text, amount=bought.amount,
                                             reason="a purchase", product=bought.product), keep=entry.uid)

    @flow
    async def action_won(self) -> None:
        """A deal won (an outcome with the colour the customer had, and a purchase)."""
        from wtui.tui.modals import Prompt

        entry = self.table.current
        if entry is None:
            return
        spend = self.book.cfg.spend

        def check(text: str) -> tuple[bool, str]:
            if not text.strip():
                return True, "enter records the deal won without an amount"
            try:
                return True, "worth " + money.parse_purchase(text, spend).said(spend.currency)
            except WtuiError as exc:
                return False, str(exc)

        text = await self.app.push_screen_wait(Prompt(f"Deal won with {visible(entry.name)}", "", check,
                                                      "what it was worth (empty: not known)"))
        if text is None:
            return
        won = money.parse_purchase(text, spend) if text.strip() else money.Purchase(0.0, "", "")
        worth = f": {won.said(spend.currency)}" if won.amount else ""
        self._write("a deal won", f"deal won with {visible(entry.name)}{worth}",
                    lambda book: book.deal_won(entry.uid, won.amount, won.product, won.text), keep=entry.uid)

    @flow
    async def action_lost(self) -> None:
        from wtui.tui.modals import Prompt

        entry = self.table.current
        if entry is None:
            return

        def check(text: str) -> tuple[bool, str]:
            return (True, "enter records it") if text.strip() else (False, "why was it lost, in a few words?")

        text = await self.app.push_screen_wait(Prompt(f"Deal lost with {visible(entry.name)}", "", check,
                                                      "why, in a few words"))
        if text and text.strip():
            self._write("a deal lost", f"deal lost with {visible(entry.name)}",
                        lambda book: book.deal_lost(entry.uid, text),
                        keep=entry.uid)

    @flow
    async def action_preference(self) -> None:
        from wtui.tui.modals import Prompt

        entry = self.table.current
        if entry is None:
            return

        def check(text: str) -> tuple[bool, str]:
            from wtui.core.prefs import doubts

            try:
                pref = parse_note(text)
            except WtuiError as exc:
                return False, str(exc)
            canonical = format_note(pref)
            doubt = doubts(pref, self.book.cfg)
            said = f"saved as: {canonical}" + "".join(f"; careful: {d}" for d in doubt)
            return True, said if canonical else "empty: clears the preference"

        text = await self.app.push_screen_wait(Prompt(f"Preference note for {visible(entry.name)}", entry.preference,
                                                      check, "Mr. Wang | Prefers text | Mon-Fri 9-18 | Max 2/week"))
        if text is not None:
            self._write("preference", f"preference saved for {visible(entry.name)}",
                        lambda book: book.set_preference(entry.uid, text, reason="edited"), keep=entry.uid)

    @flow
    async def action_contacted(self) -> None:
        targets = self._targets()
        if not targets:
            return
        # Logged, a customer moves down the queue (or leaves it): the rep moves on to whoever came next,
        # who now stands where they stood.
        index, current = self.table.cursor, self.table.current
        after = None
        if current is not None and current.uid in targets:  # (marked others: the cursor stays on its own)
            after = self.model.next_shown(index, set(targets))
        await self._each(targets, "contacted", f"logged contact with {self._who(targets)}",
                         lambda book, uid: book.log_contact(uid, reason="contacted"), keep=after)
        if after is None and (self.table.current is None or self.table.current.uid in targets):
            self.table.go(index)  # no one after them: stay at the same place

    async def _each(self, targets: list[str], reason: str, what: str, fn: Callable[[Book, str], None],
                    keep: str | None = None) -> None:
        """One write per customer as one batch: on the main thread for few, in a worker for many. The
        cursor then stays on ``keep``, or on the one customer written."""
        if len(targets) <= MANY:
            self._write(reason, what, lambda book: [fn(book, uid) for uid in targets],
                        keep=keep or (targets[0] if len(targets) == 1 else None),
                        gone=targets[0] if len(targets) == 1 else "")
            return

        def job(book: Book, progress) -> str:
            with book.batch(reason) as batch:
                for i, uid in enumerate(targets):
                    fn(book, uid)
                    if i % 500 == 0:
                        progress(i, len(targets))
            return batch

        batch = await self._in_worker(what, job)
        if batch is not None:
            self._wrote(batch, what, keep, gone="")  # many written: none told about one by one

    @flow
    async def action_undo(self) -> None:
        if not self.undo_stack:
            self.notify("Nothing to undo in this session.", severity="warning")
            return
        last = self.undo_stack.pop()
        done = await self._in_worker(f"undoing: {last.what}",
                                     lambda book, progress: book.undo(last.batch, reason="undo", progress=progress))
        if done is None:
            self.undo_stack.append(last)
            return
        reverted, skipped = done
        self.reload()
        extra = f"; {skipped:,} changed again since (by you or a teammate): kept" if skipped else ""
        changes = f"{reverted:,} change" + ("" if reverted == 1 else "s")
        self.notify(f"undone: {last.what} ({changes}{extra})", markup=False)

    # -- narrowing by text ---------------------------------------------------------------

    def action_search(self) -> None:
        self._mount_rest()  # a key typed before the first paint finished
        box = self.query_one("#search", Input)
        box.display = True
        self.set_focus(box)  # now, not after the keys already typed (Widget.focus waits its turn)

    @on(Input.Changed, "#search")
    def _narrow(self, event: Input.Changed) -> None:
        # Typing on only shrinks the queue: its first page shows at once. Widening it (a letter taken
        # back, esc) keeps the rep on their customer, wherever the wider queue puts them.
        narrower = event.value.startswith(self.model.search)
        self.model.search = event.value
        if self.table.marked:  # as a filter or the scope does: marks the search hides must not be acted on
            self.notify(f"marks cleared ({counted(len(self.table.marked), 'customer')}): the search shows other "
                        "customers", markup=False)
            self.table.marked.clear()
        current = self.table.current
        self.read_queue(current.uid if current else None, first_page=True, narrowing=narrower)

    @on(Input.Submitted, "#search")
    def _narrowed(self) -> None:
        self.table.focus()

    def on_worker_state_changed(self, event) -> None:
        if event.worker.group == "flow" and event.worker.is_finished:
            self.flowing = any(w.group == "flow" and not w.is_finished for w in self.workers)
            if not self.flowing:  # the footer showed only q during the flow: it lists the keys again
                self.call_after_refresh(self.refresh_bindings)

    def on_key(self, event) -> None:
        box = self.focused
        if event.key == "escape" and self.has_class("narrow") and self.has_class("show-panel"):
            self.remove_class("show-panel")  # the narrow layout's panel covers the queue: esc goes back to it
            self._back_to_table()
            event.stop()
        elif event.key == "escape" and isinstance(box, Input) and box.id == "search":
            box.value = ""
            box.display = False
            self.table.focus()
            event.stop()
        elif event.key == "escape" and not self.flowing and (self.model.search or self.model.query is not None):
            # On the queue, esc takes back what narrows it: the text kept with enter first, then the filter.
            if self.model.search:
                search = self.query_one("#search", Input)
                search.value = ""
                search.display = False
            else:
                self.apply_query("", None)
            event.stop()

    # -- the query filter and segments -----------------------------------------------------

    def action_filter(self) -> None:
        self._mount_rest()
        self.query_one(QueryBar).open(self.query_text, mine=self.model.mine, search=self.model.search)

    @on(QueryBar.Applied)
    def _query_applied(self, event: QueryBar.Applied) -> None:
        self.apply_query(event.text, event.node)
        self.query_one(QueryBar).close()
        self.table.focus()

    @on(QueryBar.Closed)
    def _query_closed(self) -> None:
        self.apply_query("", None)
        self.query_one(QueryBar).close()
        self.table.focus()

    def apply_query(self, text: str, node: object) -> None:
        self.model.query = node
        self.query_text = text if node is not None else ""
        self.table.marked.clear()
        self._tell_empty = node is not None
        self.reload()
        if node is not None:
            self._used(node)

    @work(thread=True, group="uses")
    def _used(self, node) -> None:
        """The tags a filter named are in use (tag health): counted off the UI thread."""
        from wtui.core.query import tags_in

        try:
            with writer(self.book) as book:
                book.note_use(tags_in(node))
        except WtuiError:
            pass  # best effort: a busy or read-only book counts nothing

    def action_toggle_segments(self) -> None:
        self._mount_rest()
        bar = self.query_one(SegmentList)
        bar.display = not bar.display
        if bar.display:
            bar.fill()
            bar.focus()
        else:
            self.table.focus()

    @on(SegmentList.Chosen)
    def _segment_chosen(self, event: SegmentList.Chosen) -> None:
        self.use_segment(event.name, event.expr)

    @on(SegmentList.Closed)
    def _segments_closed(self) -> None:
        self.action_toggle_segments()

    def use_segment(self, name: str, expr: str | None = None) -> None:
        expr = expr if expr is not None else dict(self.book.segments()).get(name)
        if expr is None:
            return
        try:
            node = self.book.parse_query(expr)
        except WtuiError as exc:
            self.notify(f"segment {visible(name)}: {exc}", severity="error", markup=False)
            return
        self.apply_query(expr, node)
        # (no count here: the re-read is still on its way; the header counts it when it lands)
        self.notify(f"segment {visible(name)}: {visible(expr)}", markup=False)
        self.table.focus()

    @flow
    async def action_save_segment(self) -> None:
        from wtui.tui.modals import Prompt

        if not self.query_text:
            self.notify("Filter with f first: a segment is a saved query.", severity="warning")
            return
        name = await self.app.push_screen_wait(Prompt(f"Save the query as a segment: {self.query_text}",
                                                      placeholder="segment name"))
        if name and name.strip():
            self._write("save segment", f"saved segment {visible(name.strip())}",
                        lambda book: book.save_segment(name.strip(), self.query_text))
            if self.query_one(SegmentList).display:
                self.query_one(SegmentList).fill()

    # -- bulk actions ------------------------------------------------------------------------

    @flow
    async def action_bulk(self) -> None:
        from wtui.tui.modals import Choice, Confirm, Prompt, TagChoice, TagPicker

        if not self.query_text or self.model.query is None:
            self.notify("Filter with f first: bulk actions act on everyone the query matches.", severity="warning")
            return
        query, node = self.query_text, self.model.query

        def matching() -> list[int]:
            with reader(self.book) as book:
                return book.select(node)

        ids = await asyncio.to_thread(matching)
        who = counted(len(ids), "customer")
        # What the rep sees beside what is acted on: the query matches the whole team's book, due or not.
        mine = " in your queue" if self.model.mine else ""
        due = (f" ({self.model.total:,} of them shown{' in your book' if self.model.mine else ''})" if self.model.whole
               else f" ({self.model.total:,} of them due today{mine})")
        what = [("add", Text("add tags")), ("remove", Text("remove tags")), ("colour", Text("set colour")),
                ("intent", Text("set intent")), ("owner", Text("assign owner")), ("export", Text("export CSV")),
                ("broadcast", Text("export a broadcast send list (marketing consent only; its results are tracked)"))]
        action = await self.app.push_screen_wait(Choice(f"Act on the {who} matching {query}{due}", what))
        change: dict = {}
        label = asking = created = ""
        if action in ("add", "remove"):
            tags = [TagChoice(t["name"], t["dimension"], t["color"]) for t in self.book.tags() if not t["archived"]]
            result = await self.app.push_screen_wait(TagPicker(tags, set(), f"{who} ({action})",
                                                               action == "add" and self.book.is_admin()))
            created = result.create if result else ""  # an admin's new tag, made just before the bulk
            names = (created,) if created else tuple(result.add) if result else ()
            if names:
                change = {action: names}
                label = _tag_words(names, (), who) if action == "add" else _tag_words((), names, who)
                asking = (_tag_words(names, (), who, ask=True) if action == "add" else
                          _tag_words((), names, who, ask=True))
        elif action == "colour":
            picked = await self.ask_colour(f"Colour for {who}")
            if picked:
                change = {"color": picked[0], "until": picked[1]}
                label = f"colour {picked[0] or 'automatic'} for {who}{self._until_words(*picked)}"
                asking = f"set the colour {picked[0] or 'back to automatic'} for {who}"
        elif action == "intent":
            intent = await self.app.push_screen_wait(Choice(f"Intent for {who}", [(i, Text(i)) for i in INTENTS] +
                                                            [("", Text("automatic"))]))
            if intent is not None:
                change = {"intent": intent}
                label = f"intent {intent or 'automatic'} for {who}"
                asking = f"set the intent {intent or 'back to automatic'} for {who}"
        elif action == "owner":
            owner = await self.app.push_screen_wait(Prompt(f"Owner for {who}", self.book.actor))
            if owner and owner.strip():
                change = {"owner": owner.strip()}
                label = f"assigned {who} to {visible(owner.strip())}"
                asking = f"assign {who} to {visible(owner.strip())}"
        elif action in ("export", "broadcast"):
            await self._export(ids, who, query if action == "broadcast" else None)
            return
        if not change:
            return
        ask = Text(f"{asking[:1].upper()}{asking[1:]} matching ") + safe(query, "bold") + Text("?")
        if created:  # a new tag of the book, not only a change to these customers: said before it is made
            ask = Text("Create the new tag ") + safe(created, "bold") + Text(" (an undo keeps it), then ") + \
                Text(f"{asking[:1].lower()}{asking[1:]} matching ") + safe(query, "bold") + Text("?")
        if not await self.app.push_screen_wait(Confirm(ask)):
            return
        def job(book: Book, progress) -> tuple[str, int]:
            if created:
                book.create_tag(created, reason="created for a bulk action")
            return book.bulk(ids, reason="bulk", progress=progress, **change)

        done = await self._in_worker(label, job)
        if done is not None:
            batch, written = done
            self._wrote(batch, f"{label}: {written:,} changed", follow=False)

    async def _export(self, ids: list[int], who: str, broadcast: str | None = None) -> None:
        """The CSV export; with ``broadcast`` (the send's name) a send list: consenting customers only,
        recorded as a broadcast whose results the routine's Broadcasts tab shows."""
        from wtui.io.export import group_sizes, send_list, write_csv
        from wtui.tui.modals import Prompt

        title = f"Export {who} as a broadcast send list" if broadcast is not None else f"Export {who}"
        target = await self.app.push_screen_wait(Prompt(f"{title} to a CSV file (add percentages for an A/B "
                                                        "split: out.csv 50, or out.csv 10,10)", "segment.csv",
                                                        check=_checked(_csv_target)))
        if not target or not target.strip():
            return
        path, split = _csv_target(target)
        if not await self._replace_ok(path):
            return

        def job(book: Book, progress) -> tuple[int, int, str | None]:
            if broadcast is None:
                return (*write_csv(book, ids, path, split=split), None)
            return send_list(book, ids, path, broadcast, split=split)

        try:
            done = await self._in_worker(f"exporting {who}", job)
        except OSError as exc:
            self.notify(f"{path}: {exc.strerror}", severity="error", markup=False)
            return
        if done is not None:
            n, left_out, bid = done
            said = f"wrote {n:,} customers to {visible(str(path))}"
            if split:
                said += " (" + ", ".join(f"{g} {k:,}" for g, k in group_sizes(n, split, 0)) + ")"
            if broadcast is not None:
                said += (f"; left out {left_out:,} without marketing consent" if left_out else "") + (
                    f"; recorded as broadcast {bid}: its results are in H, 5" if bid else "")
            self.notify(said, markup=False, timeout=8)

    # -- automation rules ---------------------------------------------------------------

    @flow
    async def action_rules(self) -> None:
        from wtui.tui.modals import Preview

        report = await self._in_worker("Rehearsing the automation rules",
                                       lambda book, progress: _rules_text(book, book.run_rules(dry_run=True,
                                                                                               progress=progress)))
        if report is None:
            return
        text, changed = report
        answers = [("a", f"apply {changed:,} change(s)", "apply")] if changed else []
        if await self.app.push_screen_wait(Preview("Automation rules: a dry run", text, answers)) != "apply":
            return
        done = await self._in_worker("Running the automation rules",
                                     lambda book, progress: book.run_rules(progress=progress))
        if done is not None:
            if done.batch:
                self.undo_stack.append(Undoable(done.batch, f"the rules' {done.changed:,} change(s)"))
            self.reload()
            self.notify(f"rules applied: {done.changed:,} change(s)", markup=False)
            if done.changed:
                self._offer_snapshot()

    # -- the weekly routine -----------------------------------------------------------------

    @flow
    async def action_routine(self) -> None:
        """Tag health, signals, accuracy; a finding's fix (admins) is previewed, run as one batch (one undo),
        and the routine opens again on its tag health."""
        from wtui.tui.screens.routine import Recontact, RoutineScreen

        tab = "health"
        while True:
            answer = await self.app.push_screen_wait(RoutineScreen(self.book, self.wtheme, tab))
            if answer is None:
                return
            if isinstance(answer, dict):  # spend tiers to write
                tab = "spend"
                await self._write_tiers(answer)
            elif isinstance(answer, Recontact):
                tab = "broadcasts"
                await self._recontact(answer.bid)
            else:
                tab = "health"
                await self._fix_tags(answer.act)

    async def _recontact(self, bid: str) -> None:
        """A broadcast's non-responders as a new send list (after the playbook's wait, or confirmed; a
        second re-contact of one broadcast is asked about too)."""
        from wtui.io.export import recontact, recontact_ready
        from wtui.tui.modals import Confirm, Prompt

        try:
            ready = recontact_ready(self.book, bid)
        except WtuiError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        before = [(b, at) for b, name, at, _, _ in self.book.broadcasts() if name == f"recontact of {bid}"]
        if before and not await self.app.push_screen_wait(Confirm(Text(
                f"{bid}'s non-responders were re-contacted already ({before[0][0]}, {before[0][1]:%Y-%m-%d %H:%M} "
                "UTC). Send them another?"))):
            return
        early = self.book.now() < ready
        if early and not await self.app.push_screen_wait(Confirm(Text(
                f"The playbook re-contacts non-responders {self.book.cfg.broadcast.recontact_days:g} days after the "
                f"send: {bid}'s are due from {ready:%Y-%m-%d %H:%M} UTC. Send again now anyway?"))):
            return
        target = await self.app.push_screen_wait(Prompt(f"Export the non-responders of {bid} to a CSV file",
                                                        f"recontact-{bid}.csv", check=_checked(_csv_file)))
        if not target or not target.strip():
            return
        path = _csv_file(target)
        if not await self._replace_ok(path):
            return
        done = await self._in_worker(f"exporting the non-responders of {bid}",
                                     lambda book, progress: recontact(book, bid, path, force=early))
        if done is not None:
            n, left_out, new = done
            self.notify(f"wrote {n:,} non-responders of {bid} to {visible(str(path))}"
                        + (f"; left out {left_out:,} who withdrew consent" if left_out else "")
                        + (f"; recorded as broadcast {new}" if new else "; no one to send again: nothing recorded"),
                        markup=False, timeout=8)

    async def _replace_ok(self, path: Path) -> bool:
        """A file there is replaced only when the rep says so."""
        from wtui.tui.modals import Confirm

        return not path.exists() or bool(await self.app.push_screen_wait(Confirm(Text(
            f"{visible(str(path))} exists. Replace it?"))))

    async def _write_tiers(self, cuts: dict[str, float]) -> None:
        from wtui.core.config import SYSTEM_CONFIG
        from wtui.io.config_file import set_keys
        from wtui.tui.modals import Confirm

        said = ", ".join(f"{k} = {v:g}" for k, v in cuts.items())
        if not await self.app.push_screen_wait(Confirm(Text(f"Write {said} to [spend] of {SYSTEM_CONFIG}? Every "
                                                            "colour is recomputed at the next open."))):
            return
        try:
            self.book.require_admin("change the team's spend tiers")
            set_keys(SYSTEM_CONFIG, "spend", cuts)
        except PermissionError:
            self.notify(f"{SYSTEM_CONFIG} is not writable for you: `sudo wtui spend-curve --write` on the "
                        "server", severity="error", markup=False)
            return
        except WtuiError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.notify(f"wrote {said} to {SYSTEM_CONFIG}", markup=False)

    @flow
    async def action_audit(self) -> None:
        """The accuracy audit: the newest audit with customers left to review, or a new draw; one card a
        customer (screens/audit.py); a fix is an ordinary write (in the change log, undoable)."""
        import json

        from wtui.core.audit import DIMENSIONS, error_rates, rate_text
        from wtui.tui.modals import Choice, Confirm, TagChoice, TagPicker
        from wtui.tui.screens.audit import AuditCard, Place

        r = self.book.cfg.review
        audit = next((a for a, *_ in self.book.audits() if any(i[2] is None for i in self.book.audit_items(a))), None)
        if audit is None:
            ask = Text(f"Draw an accuracy audit: {r.audit_share:.0%} of the customers with an interaction in the "
                       f"last {r.audit_active_days:g} days, to confirm or fix one by one?")
            if not await self.app.push_screen_wait(Confirm(ask)):
                return
            audit = await self._in_worker("drawing the audit's sample", lambda book, progress: book.start_audit())
            if audit is None:
                return
        items = self.book.audit_items(audit)
        pos = next((i for i, item in enumerate(items) if item[2] is None), 0)
        wrong: set[str] = set()
        fixes: dict[str, object] = {}
        while 0 <= pos < len(items):
            _, uid, reviewed_at, _ = items[pos]
            card = self.book.card(uid)
            if card is None:  # gone since the draw (merged into another customer): nothing to review
                pos += 1
                continue
            place = Place(pos, len(items), error_rates(i[3] for i in items), frozenset(wrong), reviewed_at is not None)
            answer = await self.app.push_screen_wait(AuditCard(card, place, self.wtheme, self.book.cfg.colors.glyph,
                                                               rep_zone(self.book.cfg)))
            if answer in ("leave", None, "skip", "back", "ok"):
                # A fix was written the moment it was made: leaving or moving on records it as a wrong
                # dimension, or the next A would show the fixed customer as right.
                if answer == "ok" or wrong:
                    try:
                        self.book.review_audited(audit, pos, {d: d not in wrong for d in DIMENSIONS},
                                                 json.dumps(fixes) if fixes else "")
                    except WtuiError as exc:
                        self.notify(str(exc), severity="error", markup=False)
                        continue
                    items = self.book.audit_items(audit)
                if answer in ("leave", None):
                    break
                pos = max(0, pos - 1) if answer == "back" else pos + 1
                wrong, fixes = set(), {}
                continue
            who = visible(card.name)
            if answer == "tags":
                tags = [TagChoice(t["name"], t["dimension"], t["color"]) for t in self.book.tags() if not t["archived"]]
                result = await self.app.push_screen_wait(TagPicker(tags, set(self.book.tags_of(uid)), card.name, False))
                if result is not None and (result.add or result.remove):
                    await self._change([uid], _tag_words(result.add, result.remove, who), "accuracy audit",
                                       add=result.add, remove=result.remove)
                    wrong.add("tags")
                    fixes["tags"] = {"added": list(result.add), "removed": list(result.remove)}
            elif answer == "intent":
                choices = [(i, Text(i)) for i in INTENTS]
                intent = await self.app.push_screen_wait(Choice(f"The right intent for {who}", choices,
                                                                current=card.intent))
                if intent and intent != card.intent:
                    await self._change([uid], f"intent {intent} for {who}", "accuracy audit", intent=intent)
                    wrong.add("intent")
                    fixes["intent"] = [card.intent, intent]
            elif answer == "color":
                picked = await self.ask_colour(f"The right colour for {who}", card.color)
                if picked is not None and picked[0] and picked[0] != card.color:
                    await self._change([uid], f"colour {picked[0]} for {who}", "accuracy audit", color=picked[0],
                                       until=picked[1])
                    wrong.add("color")
                    fixes["color"] = [card.color, picked[0]]
        rates = error_rates(i[3] for i in self.book.audit_items(audit))
        said = ", ".join(f"{d} {rate_text(rates, d)}" for d in DIMENSIONS)
        over = rates.over(r.audit_error_target)
        self.notify(f"audit: {rates.reviewed} of {len(items)} reviewed; wrong: {said}"
                    + (f"; over {r.audit_error_target:.0%}: {', '.join(over)}" if over else ""),
                    severity="warning" if over else "information", markup=False, timeout=10)

    async def _fix_tags(self, act: tuple[str, ...]) -> None:
        """A tag health finding's fix: asked (a merge previewed), then one batch in a worker, on the undo stack."""
        from wtui.tui.modals import Confirm, Preview

        kind, tag, v = act[0], act[1], visible(act[1])
        if kind == "merge":
            into = act[2]
            moves = await self._in_worker(f"merging {tag} into {into}: the dry run",
                                          lambda book, progress: book.merge_preview(tag, into))
            if moves is None:
                return
            gain, lose = moves
            report = Text()
            report.append_text(safe(f"{tag} goes into {into}: "))
            report.append(f"{lose:,} customer(s) lose {v}, {gain:,} of them gain {visible(into)} (the "
                          f"others have it already); {v} is archived. One undo takes it all back.")
            if await self.app.push_screen_wait(Preview(f"Merge {v} into {visible(into)}", report,
                                                       [("m", "merge", "go")])) != "go":
                return
            what = f"{v} merged into {visible(into)}"

            def run(book: Book, progress) -> object:
                return book.merge_tag(tag, into, reason="tag health: merge", progress=progress)
        else:
            question, what, run = {
                "rename": (f"Rename {v} to {visible(act[-1])} on everyone who has it?",
                           f"{v} renamed {visible(act[-1])}",
                           lambda book, progress: book.merge_tag(tag, act[-1], reason="tag health: archived by rename",
                                                                 progress=progress)),
                "delete": (f"Delete {v}: take it off everyone and archive it?", f"{v} deleted",
                           lambda book, progress: book.delete_tag(tag, reason="tag health: delete", progress=progress)),
                # archive: the tag stays on its customers, out of the pickers
                "archive": (f"Archive {v} (it stays on its customers, out of the pickers)?", f"{v} archived",
                            lambda book, progress: book.set_tag(tag, reason="tag health: archive", archived=True)),
            }[kind]
            if not await self.app.push_screen_wait(Confirm(Text(question))):
                return
        done = await self._in_worker(what, lambda book, progress: _batched(book, lambda: run(book, progress)))
        if done is not None:
            batch, moved = done
            self._wrote(batch, what + (f" ({moved:,} customers)" if isinstance(moved, int) else ""))

    # -- importing a file -----------------------------------------------------------------

    @flow
    async def action_import_file(self) -> None:
        from wtui.io import csv_import
        from wtui.tui.modals import Cancelled, ImportForm, Preview, ProgressScreen

        request = await self.app.push_screen_wait(ImportForm(self.book.cfg.book.default_region))
        if request is None:
            return
        progress = ProgressScreen(f"Checking {request.path}")
        await self.app.push_screen(progress)

        def step(title: str):
            def moved(done: int, total: int) -> None:
                if progress.cancelled:
                    raise Cancelled
                self.app.call_from_thread(progress.advance, done, total, title)
            return moved

        def rehearse():
            with writer(self.book) as book:
                checked = csv_import.read_and_check(book, request.path, default_region=request.region,
                                                    progress=step(f"Checking {request.path}"),
                                                    encoding=request.encoding)
                report = csv_import.apply(book, checked, dry_run=True,
                                          progress=step(f"Counting the changes in {request.path}"))
            return checked, report

        try:
            checked, report = await asyncio.to_thread(rehearse)
        except Cancelled:
            self.notify("import: stopped, nothing was written", severity="warning", markup=False)
            return
        except WtuiError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        finally:
            progress.dismiss(None)
        text = Text("\n".join(visible(line) for line in report.lines()[:-1]))  # the last line: nothing written
        answers = []
        if checked.good and not checked.failed:
            answers.append(("a", f"import {len(checked.good):,} rows", "all"))
        if checked.good and checked.failed:
            answers.append(("p", f"import the {len(checked.good):,} good rows, the {len(checked.failed):,} rejected "
                                 f"to {request.errors}", "partial"))
        choice = await self.app.push_screen_wait(Preview(f"Import {request.path}", text, answers))
        if choice not in ("all", "partial"):
            return
        partial = choice == "partial"

        def write(book: Book, moved) -> object:
            done = csv_import.apply(book, checked, partial=partial, progress=moved)
            if partial and done.failed:
                csv_import.write_errors(checked, request.errors, done.failed)
            return done

        try:
            done = await self._in_worker(f"Importing {len(checked.good):,} rows", write)
        except OSError as exc:
            self.notify(f"{request.errors}: {exc.strerror}", severity="error", markup=False)
            return
        if done is not None:
            self.empty_book = False
            self.set_class(False, "empty-book")
            self.tick()
            extra = f"; rejected rows in {request.errors}" if partial and done.failed else ""
            self.notify(visible(done.lines()[0]) + extra, markup=False)


def _batched(book: Book, job: Callable[[], object]) -> tuple[str, object]:
    """Run ``job`` as one batch and return (its batch id, its result): what undo takes back."""
    with book.batch() as batch:
        result = job()
    return batch, result


def _routine_day(book: Book) -> str:
    """The header's reminder on the team's routine day (``review.routine_weekday``, the rep's calendar)."""
    day, key = book.cfg.review.routine_weekday, book.cfg.keys.get("routine", "").split(",")[0].strip()
    local = book.now().astimezone(rep_zone(book.cfg))
    names = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")  # not the locale's
    if day and key and names[local.weekday()][:3] == day:
        return f"{key}: {names[local.weekday()]} routine"
    return ""


def _csv_file(text: str) -> Path:
    """A CSV file the app may write: '~' expanded, its folder there and writable for this user."""
    from wtui.io.files import check_target

    return check_target(Path(text.strip()).expanduser(), "the file")


def _csv_target(text: str) -> tuple[Path, tuple[int, ...] | None]:
    """'out.csv', 'my list.csv', '~/out.csv 10,10': the file, and an A/B split when the last word is one
    (it starts with a digit and has no dot: '7x' is a split written wrong, '2026.csv' a file name)."""
    from wtui.io.export import parse_split

    head, _, last = text.strip().rpartition(" ")
    if head.strip() and last[:1].isdigit() and "." not in last:
        try:
            return _csv_file(head), parse_split(last)
        except BadInput as exc:
            raise BadInput(f"the split {exc}" if "percent" in str(exc) else str(exc)) from None
    return _csv_file(text), None


def _checked(parse: Callable[[str], object]) -> Callable[[str], tuple[bool, str]]:
    """A Prompt's live check from a parser that raises what is wrong."""
    def check(text: str) -> tuple[bool, str]:
        if not text.strip():
            return False, ""
        try:
            parse(text)
        except WtuiError as exc:
            return False, str(exc)
        return True, ""
    return check


def _tag_words(add, remove, who: str, ask: bool = False) -> str:
    """'added Urgent to Ana Lima', 'added A, B and removed C on 12 customers'; ``ask``: 'add Urgent to ...'."""
    parts = []
    if add:
        parts.append(("add " if ask else "added ") + ", ".join(add))
    if remove:
        parts.append(("remove " if ask else "removed ") + ", ".join(remove))
    joint = " and ".join(parts)
    if add and not remove:
        return f"{joint} to {who}"
    if remove and not add:
        return f"{joint} from {who}"
    return f"{joint} on {who}"


def _rules_text(book: Book, report) -> tuple[Text, int]:
    """The dry run as the preview shows it: each rule, what it matches, a few of the changes."""
    text = Text()
    if report.new_tags:
        text.append(f"creates tag(s): {visible(', '.join(report.new_tags))}\n", style="bold")
    for rule in report.summary(book, samples=5):
        text.append(visible(rule.name), style="bold")
        text.append(f"  {visible(rule.when)} -> {visible(rule.actions)}\n", style="dim")
        text.append(f"  {counted(rule.matched, 'match', 'matches')}, {rule.changed:,} would change\n")
        for sample in rule.samples:
            text.append("    ")
            text.append_text(safe(sample.name))
            text.append(f": {visible(', '.join(sample.changes))}\n")
    return text, report.changed
