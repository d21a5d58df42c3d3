"""The Textual app: the morning queue a rep works down without the mouse.

Every key calls one ``Book`` method (or opens a small screen that returns an
answer), then the screen re-reads what changed. Counts, team signals and world
clocks are computed in a thread worker on its own read-only connection, so a
key never waits for them. Another process's commit is noticed through
``PRAGMA data_version`` every ``sync.poll_seconds``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from wtui.book import db
from wtui.book.book import Book
from wtui.book.reads import Progress, TeamSignals, progress, queue_zones, rep_zone, team_signals
from wtui.core.config import COLORS
from wtui.core.prefs import format_note, parse_note
from wtui.core.queue import end_of_day
from wtui.core.windows import zone as zone_named
from wtui.errors import WtuiError
from wtui.tui import keys
from wtui.tui.modals import Choice, Confirm, Help, ProgressScreen, Prompt, RulesPreview, TagChoice, TagPicker, TagResult
from wtui.tui.panel import CustomerPanel
from wtui.tui.query_bar import QuerySuggester
from wtui.tui.queue_table import QueueModel, QueueTable
from wtui.tui.text import safe
from wtui.tui.theme import WtuiTheme, load as load_theme

INTENTS = ("high", "medium", "potential", "none")
PANEL_DELAY = 0.03  # seconds of quiet after a move before the panel redraws
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhd]?)\s*$")


def parse_expiry(text: str) -> timedelta | None:
    """'4h', '2d', '30m', '12' (hours); '' or '0' = no expiry. ValueError otherwise."""
    if not text.strip():
        return None
    m = _DURATION.match(text.lower())
    if not m:
        raise ValueError(f"{text!r}: write a duration like 4h, 2d or 30m")
    n = float(m.group(1))
    if n == 0:
        return None
    return timedelta(**{{"m": "minutes", "d": "days"}.get(m.group(2), "hours"): n})


class QueueScreenBase(Screen):
    """Today's queue, the customer panel, and every action on them."""

    SCOPED_CSS = False  # the rules below style the screen itself by its size classes
    DEFAULT_CSS = """
    #header { height: 1; padding: 0 1; background: $panel; }
    #clocks { height: 1; padding: 0 1; }
    #body { height: 1fr; }
    #queue { width: 1fr; }
    #panel { width: 40%; }
    #search { dock: bottom; display: none; }
    #query { dock: bottom; display: none; }
    #query-status { dock: bottom; display: none; height: auto; max-height: 5; padding: 0 1; background: $panel; }
    #query-status.error { color: $error; }
    #segments { dock: left; width: 32; display: none; border-right: vkey $panel; }
    #too-small { display: none; width: 100%; height: 100%; content-align: center middle; text-style: bold; }
    QueueScreen.narrow #panel { display: none; width: 100%; }
    QueueScreen.narrow.show-panel #panel { display: block; }
    QueueScreen.narrow.show-panel #queue { display: none; }
    QueueScreen.wide.hide-panel #panel { display: none; }
    QueueScreen.tiny #header, QueueScreen.tiny #clocks, QueueScreen.tiny #body, QueueScreen.tiny Footer { display: none; }
    QueueScreen.tiny #too-small { display: block; }
    """

    def __init__(self, book: Book, theme: WtuiTheme) -> None:
        super().__init__()
        self.book = book
        self.wtheme = theme
        self.model = QueueModel(book)
        self.undo_stack: list[str] = []
        self.stats: tuple[Progress, TeamSignals, list[str]] | None = None
        self._seen_version = book.data_version()
        self._pending: str | None = None
        self._panel_timer = None
        self.query_text = ""  # the query narrowing the queue, as typed
        self._count_timer = None

    def compose(self) -> ComposeResult:
        yield Static(id="header")
        yield Static(id="clocks")
        with Horizontal(id="body"):
            yield OptionList(id="segments")
            yield QueueTable(self.model, self.wtheme, self.book.cfg.colors.glyph, id="queue")
            yield CustomerPanel(self.book, self.wtheme, id="panel")
        yield Input(placeholder="narrow by name, number or tag; enter keeps it, esc clears", id="search")
        yield Static(id="query-status")
        yield Input(placeholder="a query: #Interest-Beauty AND last_inbound > 30d EXCLUDE #Ordered", id="query",
                    suggester=QuerySuggester(self.book))
        yield Static("The terminal is too small for wtui: make it at least 60x20.", id="too-small")
        yield Footer()

    @property
    def table(self) -> QueueTable:
        return self.query_one(QueueTable)

    @property
    def panel(self) -> CustomerPanel:
        return self.query_one(CustomerPanel)

    def on_mount(self) -> None:
        self.table.reload()
        self.table.focus()
        self._layout()
        self.call_after_refresh(self.refresh_stats)  # the first screen paints before the book-wide counts
        if self.book.cfg.rules.run_on_start:
            self.call_after_refresh(self.run_rules_in_background)
        self.set_interval(self.book.cfg.sync.poll_seconds, self.poll)
        self.set_interval(60, self.tick)

    # -- layout ------------------------------------------------------------------

    def on_resize(self) -> None:
        self._layout()

    def _layout(self) -> None:
        ui = self.book.cfg.ui
        w, h = self.app.size
        self.set_class(w < ui.min_width or h < ui.min_height, "tiny")
        self.set_class(w >= ui.panel_min_width, "wide")
        self.set_class(w < ui.panel_min_width, "narrow")

    # -- keeping the screen true -------------------------------------------------------

    def on_queue_table_moved(self, event: QueueTable.Moved) -> None:
        # The row repaints first; the panel (the heavier render) follows once the keys settle.
        self._pending = event.entry.uid if event.entry else None
        if self._panel_timer is not None:
            self._panel_timer.stop()
        self._panel_timer = self.set_timer(PANEL_DELAY, self._show_panel)
        self._header()

    def _show_panel(self) -> None:
        self._panel_timer = None
        self.panel.show(self._pending)

    def reload(self, keep: str | None = None, *, stats: bool = False) -> None:
        """Re-read the queue after a change; ``stats`` also recounts the whole book (slower)."""
        current = self.table.current
        self.table.reload(keep or (current.uid if current else None))
        self.refresh_stats(full=stats)

    def poll(self) -> None:
        """Another rep's commit shows within ``poll_seconds``, the cursor staying on the same customer."""
        version = self.book.data_version()
        if version != self._seen_version:
            self._seen_version = version
            self.book.refresh_stale()
            self.reload(stats=True)

    def tick(self) -> None:
        """Once a minute: time moves colours and due times on."""
        self.book.refresh_stale()
        self.reload(stats=True)

    @work(thread=True, exclusive=True, group="stats")
    def refresh_stats(self, full: bool = True) -> None:
        """Progress (and with ``full``, team signals and time zones) on a connection of their own."""
        book = self.book
        conn = db.connect(book.path, readonly=True)
        try:
            now = book.now()
            zone = rep_zone(book.cfg)
            prog = progress(conn, book.cfg, now, self.model.total, zone)
            if full or self.stats is None:
                signals, zones = team_signals(conn, book.cfg), queue_zones(conn, book.cfg, end_of_day(now, zone))
            else:
                _, signals, zones = self.stats
        finally:
            conn.close()
        self.app.call_from_thread(self._show_stats, (prog, signals, zones))

    def _show_stats(self, stats) -> None:
        self.stats = stats
        self._header()
        self._clocks()

    def _header(self) -> None:
        cfg = self.book.cfg
        text = Text()
        for color in cfg.colors.order:
            text.append(f"{cfg.colors.glyph[color]} {self.model.counts.get(color, 0)} {color}  ",
                        style=self.wtheme.queue[color])
        if self.model.search:
            text.append("narrowed to ", style="italic")
            text.append_text(safe(self.model.search, "bold"))
            text.append("  ")
        if self.query_text:
            text.append("query ", style="italic")
            text.append_text(safe(self.query_text, "bold"))
            text.append("  ")
        if self.stats:
            prog, signals, _ = self.stats
            text.append(f"done {prog.done}/{prog.done + self.model.total}  ")
            for alert in signals.alerts:
                text.append(f"⚠ {alert}  ", style=self.wtheme.marks["overdue"])
        marked = len(self.table.marked)
        if marked:
            text.append(f"● {marked} marked", style=self.wtheme.marks["marked"])
        self.query_one("#header", Static).update(text)

    def _clocks(self) -> None:
        if not self.stats:
            return
        now = self.book.now()
        text = Text()
        width = self.app.size.width - 2
        for name in self.stats[2]:
            local = now.astimezone(zone_named(name))
            day = 7 <= local.hour < 19
            city = name.rsplit("/", 1)[-1].replace("_", " ")
            piece = f"{city} {local:%H:%M}{'☀' if day else '☾'}  "
            if text.cell_len + len(piece) > width:
                break
            text.append(piece, style=self.wtheme.marks["day" if day else "night"])
        self.query_one("#clocks", Static).update(text)

    # -- moving ----------------------------------------------------------------------

    def action_cursor_down(self) -> None:
        self.table.move(1)

    def action_cursor_up(self) -> None:
        self.table.move(-1)

    def action_top(self) -> None:
        self.table.go(0)

    def action_bottom(self) -> None:
        self.table.go(self.model.total - 1)

    def action_page_down(self) -> None:
        self.table.move(self.table.page())

    def action_page_up(self) -> None:
        self.table.move(-self.table.page())

    def action_open_customer(self) -> None:
        self.remove_class("hide-panel")
        self.add_class("show-panel")

    def action_toggle_panel(self) -> None:
        if self.has_class("narrow"):
            self.toggle_class("show-panel")
        else:
            self.toggle_class("hide-panel")

    def action_mark(self) -> None:
        self.table.toggle_mark()
        self.table.move(1)
        self._header()

    def action_mark_all(self) -> None:
        everyone = set(self.model.uids())
        self.table.marked = set() if everyone <= self.table.marked else everyone
        self.table.refresh()
        self._header()

    # -- writing ----------------------------------------------------------------------

    def _targets(self) -> list[str]:
        targets = self.table.targets()
        if not targets:
            self.notify("Nothing to act on: the queue is empty.", severity="warning")
        return targets

    def _run(self, reason: str, work_fn, keep: str | None = None, done: str = "") -> None:
        """Run writes as one batch, remember it for undo, then redraw."""
        try:
            with self.book.batch(reason) as batch_id:
                work_fn()
        except WtuiError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        if self.book.conn.execute("SELECT 1 FROM ops WHERE batch = ? LIMIT 1", (batch_id,)).fetchone():
            self.undo_stack.append(batch_id)  # an action that changed nothing leaves nothing to undo
        self.table.marked.clear()
        self.reload(keep)
        if done:
            self.notify(done, markup=False)

    def action_tags(self) -> None:
        targets = self._targets()
        if not targets:
            return
        tags = [TagChoice(t["name"], t["dimension"], t["color"]) for t in self.book.tags() if not t["archived"]]
        sets = [set(self.book.tags_of(uid)) for uid in targets]
        common = set.intersection(*sets) if sets else set()
        who = self.table.current.name if len(targets) == 1 and self.table.current else f"{len(targets)} customers"

        def chosen(result: TagResult | None) -> None:
            if result is None:
                return
            if result.create:
                self._create_tag(result.create, targets)
                return
            if not result.add and not result.remove:
                return

            def write() -> None:
                for uid in targets:
                    for tag in result.add:
                        self.book.add_tag(uid, tag, reason="tag picker")
                    for tag in result.remove:
                        self.book.remove_tag(uid, tag, reason="tag picker")

            self._run("tag picker", write, done=f"tags changed on {len(targets)} customer(s)")

        self.app.push_screen(TagPicker(tags, common, who, self.book.is_admin()), chosen)

    def _create_tag(self, name: str, targets: list[str]) -> None:
        def confirmed(yes: bool | None) -> None:
            if not yes:
                return

            def write() -> None:
                self.book.create_tag(name, reason="created from the tag picker")
                for uid in targets:
                    self.book.add_tag(uid, name, reason="tag picker")

            self._run("create tag", write, done=f"created tag {name}")

        self.app.push_screen(Confirm(Text("Create the tag ") + safe(name, "bold") + Text(" for the whole team?")),
                             confirmed)

    def action_quick_tag(self, number: str) -> None:
        tag = self.book.cfg.quick_tags.get(number, "")
        targets = self._targets()
        if not tag or not targets:
            return
        have = [tag.lower() in (t.lower() for t in self.book.tags_of(uid)) for uid in targets]
        remove = all(have)

        def write() -> None:
            for uid in targets:
                (self.book.remove_tag if remove else self.book.add_tag)(uid, tag, reason=f"key {number}")

        self._run(f"key {number}", write, done=f"{'removed' if remove else 'added'} {tag}")

    def action_colour(self) -> None:
        targets = self._targets()
        if not targets:
            return

        def chosen(color: str, until: datetime | None) -> None:
            def write() -> None:
                for uid in targets:
                    self.book.set_color(uid, color, until, reason="set by hand")

            self._run("colour", write, keep=targets[0], done=f"colour {color or 'automatic'}")

        self.ask_colour("Colour by hand", chosen)

    def ask_colour(self, title: str, then) -> None:
        """Pick a colour and its expiry; ``then(colour, until)`` ('' = automatic, until None = no expiry)."""
        glyph = self.book.cfg.colors.glyph
        choices = [(c, Text(f"{glyph[c]} {c}", style=self.wtheme.queue[c])) for c in COLORS]
        choices.append(("", Text("automatic (clear the colour set by hand)")))
        hours = self.book.cfg.ui.colour_override_hours
        picker = Choice(title, choices, ("expires in (4h, 2d; empty = until cleared)", f"{hours:g}h" if hours else ""))

        def picked(color: str | None) -> None:
            if color is None:
                return
            try:
                span = parse_expiry(picker.extra)
            except ValueError as exc:
                self.notify(str(exc), severity="error", markup=False)
                return
            then(color, self.book.now() + span if (span and color) else None)

        self.app.push_screen(picker, picked)

    def action_intent(self) -> None:
        targets = self._targets()
        if not targets:
            return
        choices = [(i, Text(i)) for i in INTENTS] + [("", Text("automatic (from their words)"))]

        def chosen(intent: str | None) -> None:
            if intent is None:
                return

            def write() -> None:
                for uid in targets:
                    self.book.set_intent(uid, intent, reason="set by hand")

            self._run("intent", write, keep=targets[0], done=f"intent {intent or 'automatic'}")

        self.app.push_screen(Choice("Intent", choices), chosen)

    def action_note(self) -> None:
        targets = self._targets()
        if not targets:
            return

        def typed(text: str | None) -> None:
            if not text or not text.strip():
                return

            def write() -> None:
                for uid in targets:
                    self.book.add_note(uid, text, reason="note")

            self._run("note", write, keep=targets[0], done="note added")

        self.app.push_screen(Prompt("Note", placeholder="what happened, what to remember"), typed)

    def action_preference(self) -> None:
        entry = self.table.current
        if entry is None:
            return

        def check(text: str) -> tuple[bool, str]:
            try:
                canonical = format_note(parse_note(text))
            except WtuiError as exc:
                return False, str(exc)
            return True, f"saved as: {canonical}" if canonical else "empty: clears the preference"

        def typed(text: str | None) -> None:
            if text is None:
                return
            self._run("preference", lambda: self.book.set_preference(entry.uid, text, reason="edited"),
                      keep=entry.uid, done="preference saved")

        self.app.push_screen(Prompt("Preference note", entry.preference, check,
                                    "Mr. Wang | Prefers text | Mon-Fri 9-18 | Max 2/week"), typed)

    def action_contacted(self) -> None:
        targets = self._targets()
        if not targets:
            return
        index = self.table.cursor

        def write() -> None:
            for uid in targets:
                self.book.log_contact(uid, reason="contacted")

        self._run("contacted", write, keep=targets[0] if len(targets) == 1 else None,
                  done=f"logged contact with {len(targets)} customer(s)")
        if self.table.current is None or self.table.current.uid in targets:
            self.table.go(index)  # the row moved on or left the queue: stay at the same place

    def action_undo(self) -> None:
        if not self.undo_stack:
            self.notify("Nothing to undo in this session.", severity="warning")
            return
        batch = self.undo_stack.pop()
        try:
            done, skipped = self.book.undo(batch, reason="undo")
        except WtuiError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.reload()
        extra = f" ({skipped} changed since by someone else: kept)" if skipped else ""
        self.notify(f"undone: {done} change(s){extra}", markup=False)

    def action_copy_number(self) -> None:
        entry = self.table.current
        if entry:
            self.app.copy_to_clipboard(entry.phone)
            self.notify(f"copied {entry.phone}", markup=False)

    # -- narrowing by text --------------------------------------------------------------

    def action_search(self) -> None:
        box = self.query_one("#search", Input)
        box.display = True
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "query":
            if self._count_timer is not None:
                self._count_timer.stop()
            self._count_timer = self.set_timer(0.15, self._debounced_check)  # count once typing pauses
            return
        if event.input.id == "search":
            self.model.search = event.value
            self.table.reload(self.table.current.uid if self.table.current else None)
            self._header()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "search":
            self.table.focus()
        elif event.input.id == "query" and self.apply_query(event.value):
            self._close_query()

    def on_key(self, event) -> None:
        if event.key != "escape":
            return
        box = self.query_one("#search", Input)
        if box.has_focus:
            box.value = ""
            box.display = False
            self.table.focus()
            event.stop()
        elif self.query_one("#query", Input).has_focus:
            self.apply_query("")
            self._close_query()
            event.stop()
        elif self.query_one("#segments", OptionList).has_focus:
            self.action_toggle_segments()
            event.stop()

    # -- the query filter, segments and bulk actions -------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#query", Input)
        box.value = self.query_text
        box.display = True
        self.query_one("#query-status", Static).display = True
        box.focus()
        self._check_query(box.value)

    def _check_query(self, text: str):
        """Parse and count the query; show the audience or the error. Returns the tree or None."""
        status = self.query_one("#query-status", Static)
        if not text.strip():
            status.set_class(False, "error")
            status.update("type a query; enter applies it to the queue, esc clears it")
            return None
        try:
            node = self.book.parse_query(text)
        except WtuiError as exc:
            status.set_class(True, "error")
            status.update(Text(str(exc)))
            return None
        status.set_class(False, "error")
        status.update(f"{self.book.count(node):,} customers match in the book")
        return node

    def _debounced_check(self) -> None:
        self._count_timer = None
        self._check_query(self.query_one("#query", Input).value)

    def apply_query(self, text: str) -> bool:
        node = self._check_query(text) if text.strip() else None
        if text.strip() and node is None:
            return False
        self.model.query = node
        self.query_text = text.strip() if node is not None else ""
        self.reload()
        return True

    def _close_query(self) -> None:
        for wid in ("#query", "#query-status"):
            self.query_one(wid).display = False
        self.table.focus()

    def action_toggle_segments(self) -> None:
        bar = self.query_one("#segments", OptionList)
        bar.display = not bar.display
        if bar.display:
            self._fill_segments()
            bar.focus()
        else:
            self.table.focus()

    def _fill_segments(self) -> None:
        bar = self.query_one("#segments", OptionList)
        bar.clear_options()
        saved = self.book.segments()
        if not saved:
            bar.add_option(Option(Text("no saved segments: f to filter, S to save", style="italic"), disabled=True))
        for name, expr in saved:
            label = safe(name, "bold")
            label.append(f"\n{self.book.count(expr):,} match", style="dim")
            bar.add_option(Option(label, id=f"segment:{name}"))
        if saved:
            bar.highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list.id == "segments" and event.option.id:
            self.use_segment(event.option.id.split(":", 1)[1])

    def use_segment(self, name: str) -> None:
        expr = dict(self.book.segments()).get(name)
        if expr is not None and self.apply_query(expr):
            self.notify(f"segment {name}: {self.model.total} due today", markup=False)
            self.table.focus()

    def action_save_segment(self) -> None:
        if not self.query_text:
            self.notify("Filter with f first: a segment is a saved query.", severity="warning")
            return

        def named(name: str | None) -> None:
            if name and name.strip():
                self._run("save segment", lambda: self.book.save_segment(name.strip(), self.query_text),
                          done=f"saved segment {name.strip()}")
                if self.query_one("#segments").display:
                    self._fill_segments()

        self.app.push_screen(Prompt(f"Save the query as a segment: {self.query_text}", placeholder="segment name"), named)

    def action_bulk(self) -> None:
        if not self.query_text or self.model.query is None:
            self.notify("Filter with f first: bulk actions act on everyone the query matches.", severity="warning")
            return
        node = self.model.query
        ids = self.book.select(node)
        what = [("add", Text("add tags")), ("remove", Text("remove tags")), ("colour", Text("set colour")),
                ("intent", Text("set intent")), ("owner", Text("assign owner")), ("export", Text("export CSV"))]

        def confirm_then(label: str, work_fn) -> None:
            def answered(yes: bool | None) -> None:
                if yes:
                    self._run(f"bulk: {label}", work_fn, done=f"{label}: {len(ids):,} customers")

            self.app.push_screen(Confirm(Text(f"{label} for {len(ids):,} customers matching ") +
                                         safe(self.query_text, "bold") + Text("?")), answered)

        def chosen(action: str | None) -> None:
            if action in ("add", "remove"):
                tags = [TagChoice(t["name"], t["dimension"], t["color"]) for t in self.book.tags() if not t["archived"]]

                def picked(result: TagResult | None) -> None:
                    names = tuple(result.add) if result else ()
                    if names:
                        kw = {"add": names} if action == "add" else {"remove": names}
                        confirm_then(f"{action} {', '.join(names)}", lambda: self.book.bulk(ids, reason="bulk", **kw))

                self.app.push_screen(TagPicker(tags, set(), f"{len(ids):,} customers ({action})", False), picked)
            elif action == "colour":
                self.ask_colour("Colour for all", lambda color, until: confirm_then(
                    f"colour {color or 'automatic'}", lambda: self.book.bulk(ids, color=color, until=until, reason="bulk")))
            elif action == "intent":
                def intended(intent: str | None) -> None:
                    if intent is not None:
                        confirm_then(f"intent {intent or 'automatic'}",
                                     lambda: self.book.bulk(ids, intent=intent, reason="bulk"))

                self.app.push_screen(Choice("Intent for all", [(i, Text(i)) for i in INTENTS] +
                                            [("", Text("automatic"))]), intended)
            elif action == "owner":
                def owned(owner: str | None) -> None:
                    if owner and owner.strip():
                        confirm_then(f"owner {owner.strip()}",
                                     lambda: self.book.bulk(ids, owner=owner.strip(), reason="bulk"))

                self.app.push_screen(Prompt("Owner for all", self.book.actor), owned)
            elif action == "export":
                def exported(target: str | None) -> None:
                    if not target or not target.strip():
                        return
                    path, _, split = target.strip().partition(" ")
                    from wtui.io.export import write_csv

                    try:
                        n = write_csv(self.book, ids, path, split=int(split) if split.strip().isdigit() else None)
                    except OSError as exc:
                        self.notify(f"{path}: {exc.strerror}", severity="error", markup=False)
                        return
                    self.notify(f"wrote {n:,} customers to {path}", markup=False)

                self.app.push_screen(Prompt("Export CSV to (add a number for an A/B split: out.csv 50)",
                                            "segment.csv"), exported)

        self.app.push_screen(Choice(f"Act on {len(ids):,} customers", what), chosen)

    # -- automation rules ---------------------------------------------------------------

    def action_rules(self) -> None:
        try:
            report = self.book.run_rules(dry_run=True)
        except WtuiError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        text = Text()
        names = dict(self.book.conn.execute("SELECT uid, name FROM customers"))
        for result in report.results:
            text.append(f"{result.rule.name}", style="bold")
            text.append(f"  when {result.rule.when_text} -> {result.rule.actions()}\n", style="dim")
            text.append(f"  {result.matched:,} match, {len(result.changes):,} would change\n")
            for uid, what in list(result.changes.items())[:5]:
                text.append("    ")
                text.append_text(safe(names.get(uid, uid)))
                text.append(f": {', '.join(what)}\n")

        def answered(apply: bool | None) -> None:
            if apply:
                self._run("rules", lambda: self.book.run_rules(), done="rules applied")

        self.app.push_screen(RulesPreview(text, report.changed), answered)

    # -- importing a file -----------------------------------------------------------------

    def action_import_file(self) -> None:
        def chosen(path: str | None) -> None:
            if path and path.strip():
                progress = ProgressScreen(f"Checking {path.strip()}")
                self.app.push_screen(progress)
                self.check_in_background(path.strip(), progress)

        self.app.push_screen(Prompt("Import customers from (CSV or TXT, a header row with a phone column)",
                                    placeholder="/path/to/customers.csv"), chosen)

    @work(thread=True, exclusive=True, group="import")
    def check_in_background(self, path: str, progress) -> None:
        """Read and check the file and rehearse the import (a 100k-row file takes seconds), off the UI thread."""
        from wtui.io import csv_import

        book = self.book

        def step(title: str):
            return lambda done, total: self.app.call_from_thread(progress.advance, done, total, title)

        try:
            with Book.open(book.path, book.cfg, clock=book.clock, actor=book.actor) as other:
                checked = csv_import.read_and_check(other, path, progress=step(f"Checking {path}"))
                report = csv_import.apply(other, checked, dry_run=True,
                                          progress=step(f"Counting the changes in {path}"))
        except WtuiError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error", markup=False)
            return
        finally:
            self.app.call_from_thread(progress.dismiss, None)
        self.app.call_from_thread(self._offer_import, path, checked, report)

    def _offer_import(self, path: str, checked, report) -> None:
        text = Text("\n".join(report.lines()[:-1]))  # the last line says nothing was written: it is a preview
        can = len(checked.good) if not checked.failed else 0

        def answered(go: bool | None) -> None:
            if go:
                progress = ProgressScreen(f"Importing {len(checked.good):,} rows")
                self.app.push_screen(progress)
                self.import_in_background(checked, progress)

        title = f"Import {path}" + ("" if can else ": fix the rejected rows first (or use wtui import --partial)")
        self.app.push_screen(RulesPreview(text, can, title), answered)

    @work(thread=True, exclusive=True, group="import")
    def import_in_background(self, checked, progress) -> None:
        """The import on its own connection, in batches; the poll shows the new rows as they commit."""
        from wtui.io import csv_import

        book = self.book

        def step(done: int, total: int) -> None:
            self.app.call_from_thread(progress.advance, done, total)

        try:
            with Book.open(book.path, book.cfg, clock=book.clock, actor=book.actor) as other:
                report = csv_import.apply(other, checked, progress=step)
        except WtuiError as exc:
            self.app.call_from_thread(self.notify, f"import: {exc}", severity="error", markup=False)
            return
        finally:
            self.app.call_from_thread(progress.dismiss, None)
        self.app.call_from_thread(self.notify, report.lines()[0], markup=False)

    @work(thread=True, exclusive=True, group="rules")
    def run_rules_in_background(self) -> None:
        """The rules at start, on a connection of their own; the poll then shows what they changed."""
        book = self.book
        try:
            with Book.open(book.path, book.cfg, clock=book.clock, actor=book.actor) as other:
                report = other.run_rules()
        except WtuiError as exc:
            self.app.call_from_thread(self.notify, f"rules: {exc}", severity="error", markup=False)
            return
        if report.changed:
            self.app.call_from_thread(self.notify, f"rules: {report.changed} change(s)", markup=False)

    def action_quit(self) -> None:
        self.app.exit(0)

    # -- help --------------------------------------------------------------------------

    def action_help(self) -> None:
        rows = []
        for key, active in self.active_bindings.items():
            binding = active.binding
            if binding.description and active.node is self:
                rows.append((self.app.get_key_display(binding), binding.description))
        merged: dict[str, list[str]] = {}
        for key, description in rows:
            merged.setdefault(description, []).append(key)
        self.app.push_screen(Help([(" ".join(k), d) for d, k in merged.items()]))


class WtuiApp(App[int]):
    TITLE = "wtui"
    ENABLE_COMMAND_PALETTE = True

    def __init__(self, book: Book, theme: str | None = None) -> None:
        super().__init__()
        self.book = book
        self.wtheme = load_theme(theme or book.cfg.ui.theme)
        self.register_theme(self.wtheme.textual)
        self.theme = self.wtheme.name
        bindings = keys.bindings(book.cfg)  # refuses duplicate keys, naming both actions
        self.screen_class = type("QueueScreen", (QueueScreenBase,), {"BINDINGS": bindings})

    def on_mount(self) -> None:
        self.push_screen(self.screen_class(self.book, self.wtheme))

    def get_system_commands(self, screen: Screen):
        yield from super().get_system_commands(screen)
        if isinstance(screen, QueueScreenBase):
            for binding in screen.BINDINGS:
                action = binding.action
                yield SystemCommand(binding.description, f"key {binding.key}",
                                    lambda action=action: screen.run_action(action))
            for name, expr in self.book.segments():
                yield SystemCommand(f"Segment: {name}", expr, lambda name=name: screen.use_segment(name))

    def action_quit(self) -> None:
        self.exit(0)


def run(book: Book, theme: str | None = None) -> int:
    app = WtuiApp(book, theme)
    result = app.run()
    return result or 0
