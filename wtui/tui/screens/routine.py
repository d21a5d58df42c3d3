"""The weekly routine (H; issue #16): tag health with each finding's one-key fix, the team's signals with
the colours' trend as a chart, colour accuracy from won and lost deals, the spend tiers' curve, and the
broadcasts' results with the re-contact of their non-responders.

The figures are read on a worker with a read-only book of its own (tag health takes ~0.5 s on a 100k
book). The screen writes nothing: enter on a finding dismisses it with the finding (or on a broadcast
with ``Recontact``), and the queue screen's flow previews, runs (admins only, one undo) or exports, and
opens the routine again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option

from wtui.book.book import Book
from wtui.book.reads import rep_zone
from wtui.book.review import snapshot_day
from wtui.core import accuracy, broadcast, signals, spend_curve
from wtui.core.config import ACTIVITY_LEVELS, INTENTS
from wtui.core.health import Finding
from wtui.core.text import visible
from wtui.tui.text import safe
from wtui.tui.theme import WtuiTheme
from wtui.tui.workers import reader

BROADCASTS_SHOWN = 30  # the newest; `wtui broadcast list` has them all
ACT_WORDS = {"delete": "enter: delete it", "archive": "enter: archive it", "rename": "enter: rename it",
             "merge": "enter: merge (preview first)"}


@dataclass(frozen=True)
class Sent:
    """A recorded broadcast and what came back."""

    bid: str
    name: str
    at: datetime
    actor: str
    results: broadcast.Results
    quiet: int  # customers who have not written since it went out


@dataclass(frozen=True)
class Recontact:
    """What the screen is dismissed with to re-contact a broadcast's non-responders."""

    bid: str


@dataclass(frozen=True)
class Routine:
    """Everything the screen shows, read at once."""

    tags: int
    findings: list[Finding]
    snaps: list[tuple[str, dict]]  # oldest first, today's (live) last
    alerts: list[str]
    accuracy: accuracy.Report
    admin: bool
    curve: spend_curve.Curve
    sent: list[Sent]  # newest first


def gather(book: Book) -> Routine:
    cfg = book.cfg
    tags, findings = book.tag_health()
    day = snapshot_day(book.now(), rep_zone(cfg))
    snaps = [s for s in book.snapshots(cfg.review.weeks * 7) if s[0] != day] + [(day, book.figures())]
    now = book.now()
    report = accuracy.report(book.outcomes(now - timedelta(weeks=cfg.review.weeks)), now, rep_zone(cfg), cfg)
    sent = [Sent(bid, name, at, actor, book.broadcast_results(bid), len(book.non_responders(bid)))
            for bid, name, at, actor, _ in book.broadcasts()[:BROADCASTS_SHOWN]]
    return Routine(tags, findings, snaps, signals.alerts(snaps, cfg.team), report, book.is_admin(),
                   book.spend_curve(), sent)


class RoutineScreen(Screen):
    """Five tabs; esc goes back to the queue. Dismissed with the finding to act on, the spend tiers to
    write, a broadcast to re-contact, or None."""

    BINDINGS = [
        Binding("escape,q", "back", "Back to the queue", id="routine.back"),
        Binding("1", "tab('health')", "Tag health", id="routine.health"),
        Binding("2", "tab('signals')", "Signals", id="routine.signals"),
        Binding("3", "tab('accuracy')", "Accuracy", id="routine.accuracy"),
        Binding("4", "tab('spend')", "Spend tiers", id="routine.spend"),
        Binding("5", "tab('broadcasts')", "Broadcasts", id="routine.broadcasts"),
        Binding("w", "write_tiers", "Write the suggested tiers", id="routine.write_tiers"),
    ]
    DEFAULT_CSS = """
    RoutineScreen #routine-title { height: 1; padding: 0 1; background: $panel; text-style: bold; }
    RoutineScreen TabbedContent, RoutineScreen ContentSwitcher { height: 1fr; }
    RoutineScreen TabPane { padding: 0 1; height: 1fr; }
    RoutineScreen #findings { height: 1fr; border: none; }
    RoutineScreen #health-head, RoutineScreen #health-hint { height: auto; }
    RoutineScreen #health-hint { color: $text-muted; }
    RoutineScreen #signals-text { height: auto; }
    RoutineScreen #trend, RoutineScreen #spend-chart { height: 1fr; min-height: 8; }
    RoutineScreen #spend-text { height: auto; }
    RoutineScreen #sent { height: 1fr; min-height: 4; border: none; }
    RoutineScreen #sent-head { height: auto; }
    RoutineScreen #sent-text { height: auto; }
    """

    def __init__(self, book: Book, theme: WtuiTheme, tab: str = "health") -> None:
        super().__init__()
        self.book = book
        self.wtheme = theme
        self.first_tab = tab
        self.data: Routine | None = None

    def compose(self) -> ComposeResult:
        from textual_plotext import PlotextPlot  # ~30 ms over textual: only when the routine opens

        yield Static("The weekly routine    1-5: the tabs    esc: back to the queue", id="routine-title")
        with TabbedContent(initial=self.first_tab):
            with TabPane("Tag health", id="health"):
                yield Static("reading the tags…", id="health-head")
                yield OptionList(id="findings")
                yield Static("", id="health-hint")
            with TabPane("Signals", id="signals"):
                with VerticalScroll():
                    yield Static("reading the snapshots…", id="signals-text")
                    yield PlotextPlot(id="trend")
            with TabPane("Accuracy", id="accuracy"):
                with VerticalScroll():
                    yield Static("reading the outcomes…", id="accuracy-text")
            with TabPane("Spend tiers", id="spend"):
                with VerticalScroll():
                    yield Static("reading the purchases…", id="spend-text")
                    yield PlotextPlot(id="spend-chart")
            with TabPane("Broadcasts", id="broadcasts"):
                yield Static("reading the broadcasts…", id="sent-head")
                yield OptionList(id="sent")
                yield Static("", id="sent-text")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="routine")
    def load(self) -> None:
        with reader(self.book) as book:
            data = gather(book)
        self.app.call_from_thread(self.show, data)

    def show(self, data: Routine) -> None:
        if not self.is_attached:
            return
        self.data = data
        self._health(data)
        self._signals(data)
        self._accuracy(data)
        self._spend(data)
        self._broadcasts(data)
        if self.first_tab in ("health", "broadcasts"):
            self.action_tab(self.first_tab)

    # -- tag health ----------------------------------------------------------------------------------

    def _health(self, d: Routine) -> None:
        head = Text(f"{d.tags} tags in use; {len(d.findings) or 'no'} finding(s)", style="bold")
        if not d.admin:
            head.append("   (only admins act on tags: the fixes are theirs)", style="italic")
        self.query_one("#health-head", Static).update(head)
        box = self.query_one("#findings", OptionList)
        box.clear_options()
        for i, f in enumerate(d.findings):
            line = Text(f"{f.kind:<10} ", style="bold")
            line.append_text(safe(f.says))
            if f.act and d.admin:
                line.append(f"  [{ACT_WORDS[f.act[0]]}]", style="italic")
            box.add_option(Option(line, id=str(i)))
        if d.findings:
            box.highlighted = 0
        self._hint()

    @on(OptionList.OptionHighlighted, "#findings")
    def _hint(self, event: OptionList.OptionHighlighted | None = None) -> None:
        d, box = self.data, self.query_one("#findings", OptionList)
        if d is None or box.highlighted is None or not d.findings:
            self.query_one("#health-hint", Static).update("")
            return
        f = d.findings[box.highlighted]
        hint = Text("the fix: ")
        hint.append_text(safe(f.fix) if f.fix else Text("a decision for the team, not a command"))
        self.query_one("#health-hint", Static).update(hint)

    @on(OptionList.OptionSelected, "#findings")
    def _act(self, event: OptionList.OptionSelected) -> None:
        d = self.data
        if d is None:
            return
        f = d.findings[int(event.option.id or 0)]
        if not f.act:
            self.notify("This one is a decision for the team, not a one-key fix.", markup=False)
        elif not d.admin:
            self.notify("Only admins rename, merge, archive or delete tags (playbook §7).", severity="warning",
                        markup=False)
        else:
            self.dismiss(f)

    # -- signals -------------------------------------------------------------------------------------

    def _signals(self, d: Routine) -> None:
        cfg = self.book.cfg
        day, today = d.snaps[-1]
        t = Text()
        t.append(f"{today.get('customers', 0):,} customers on {day}\n", style="bold")
        for a in d.alerts:
            t.append(f"⚠ {a}\n", style=self.wtheme.marks["overdue"])
        for label, group, keys in (("colour", "colors", cfg.colors.order), ("intent", "intents", INTENTS),
                                   ("activity", "activity", ACTIVITY_LEVELS)):
            t.append(f"{label:<9}")
            for k in keys:
                style = self.wtheme.queue[k] if group == "colors" else ""
                t.append(f"{k} {signals.share(today, group, k):.0%}  ", style=style)
            t.append("\n")
        t.append("\nrep               customers   due today   overdue   contacted today\n", style="bold")
        for w in signals.workload(today):
            t.append_text(safe(f"{w.rep or '(unassigned)':<16}"))
            t.append(f"  {w.customers:>9,}   {w.due:>9,}   {w.overdue:>7,}   {w.done:>15,}\n")
        days = len(d.snaps)
        t.append(f"\ncolours over {days} day(s), % of customers" + ("" if days > 1 else
                 ": the trend grows by one snapshot a day") + "\n", style="italic")
        self.query_one("#signals-text", Static).update(t)
        self._chart(d)

    def _chart(self, d: Routine) -> None:
        from textual_plotext import PlotextPlot

        cfg = self.book.cfg
        plot = self.query_one("#trend", PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        xs = list(range(len(d.snaps)))
        series = signals.series(d.snaps, "colors", list(cfg.colors.order))
        glyph = cfg.colors.glyph
        for color in cfg.colors.order:
            # The glyph as the marker and in the legend: the lines stay apart in 16 colours and NO_COLOR.
            plt.plot(xs, series[color], label=f"{glyph[color]} {color}", marker=glyph[color], color=color)
        step = max(1, len(xs) // 6)
        plt.xticks(xs[::step], [day[5:] for day, _ in d.snaps][::step])
        plt.ylim(0, 100)
        plot.refresh()

    # -- accuracy ------------------------------------------------------------------------------------

    def _accuracy(self, d: Routine) -> None:
        cfg = self.book.cfg
        self.query_one("#accuracy-text", Static).update(
            self._lines(accuracy.lines(d.accuracy, cfg.review.weeks, cfg.colors.order)))

    def _lines(self, lines: list[tuple[str, str]]) -> Text:
        """A report's (text, tone) lines (core: the CLI prints the same) in the theme's styles."""
        styles = {"head": "bold", "note": "italic", "warn": self.wtheme.marks["overdue"], **self.wtheme.queue}
        t = Text()
        for text, tone in lines:
            t.append(("⚠ " if tone == "warn" else "") + visible(text) + "\n", style=styles.get(tone, ""))
        return t

    # -- spend tiers -----------------------------------------------------------------------------------

    def _spend(self, d: Routine) -> None:
        from textual_plotext import PlotextPlot

        s, c = self.book.cfg.spend, d.curve
        t = Text("purchase frequency by average order, equal groups of buyers\n", style="bold")
        if not c.buckets:
            t.append(f"too few buyers to draw it (at least {2 * self.book.cfg.review.spend_buckets})\n",
                     style="italic")
        else:
            cuts = c.suggestion()
            said = ", ".join(f"{k} = {v:g}" for k, v in cuts.items()) or "no drop: the tiers stand"
            t.append(f"suggested: {said}   (now {s.order_low_below:g} / {s.order_high_above:g} {s.currency})\n")
            if len(c.cuts) == 2:
                t.append("w: write them to the team config (admins)" if d.admin else
                         "an admin writes them: wtui spend-curve --write", style="italic")
        self.query_one("#spend-text", Static).update(t)
        plot = self.query_one("#spend-chart", PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        if c.buckets:
            plt.bar(c.labels(), [round(b.frequency, 2) for b in c.buckets], marker="█")
            plt.title(f"purchases per buyer by average order ({s.currency}); * a tier starts")
        plot.refresh()

    def action_write_tiers(self) -> None:
        d = self.data
        if d is None or len(d.curve.cuts) < 2:
            self.notify("The curve suggests no two cuts: the tiers stand.", markup=False)
        elif not d.admin:
            self.notify("Only admins change the team's spend tiers.", severity="warning", markup=False)
        else:
            self.dismiss(d.curve.suggestion())

    # -- broadcasts ------------------------------------------------------------------------------------

    def _broadcasts(self, d: Routine) -> None:
        head = Text(f"{len(d.sent) or 'no'} broadcast(s)", style="bold")
        head.append("   the send lists exported for broadcast (b, then 'export a broadcast send list', or wtui export "
                    "--broadcast)" if not d.sent else "   newest first; enter on one re-contacts its non-responders",
                    style="italic")
        self.query_one("#sent-head", Static).update(head)
        box = self.query_one("#sent", OptionList)
        box.clear_options()
        for i, b in enumerate(d.sent):
            t = b.results.total
            line = Text(f"{b.at:%Y-%m-%d %H:%M}  {t.sent:>6,} sent  {broadcast.pct(t.replied, t.delivered):>5} "
                        "replied  ")
            line.append_text(safe(b.name))
            box.add_option(Option(line, id=str(i)))
        if d.sent:
            box.highlighted = 0
        self._sent_text()

    @on(OptionList.OptionHighlighted, "#sent")
    def _sent_text(self, event: OptionList.OptionHighlighted | None = None) -> None:
        d, box = self.data, self.query_one("#sent", OptionList)
        if d is None or box.highlighted is None or not d.sent:
            self.query_one("#sent-text", Static).update("")
            return
        b = d.sent[box.highlighted]
        c = self.book.cfg.broadcast
        t = self._lines(broadcast.lines(b.bid, b.results, c) + [(f"sent by {b.actor}", "note")])
        ready = b.at + timedelta(days=c.recontact_days)
        t.append(f"{b.quiet:,} have not written since: enter re-contacts them (a new send list"
                 + (f"; the playbook waits until {ready:%Y-%m-%d %H:%M} UTC)" if self.book.now() < ready else ")"),
                 style="italic")
        self.query_one("#sent-text", Static).update(t)

    @on(OptionList.OptionSelected, "#sent")
    def _recontact(self, event: OptionList.OptionSelected) -> None:
        if self.data is not None and self.data.sent:
            self.dismiss(Recontact(self.data.sent[int(event.option.id or 0)].bid))

    # -- keys ------------------------------------------------------------------------------------------

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        if tab == "health":
            self.query_one("#findings", OptionList).focus()
        elif tab == "broadcasts":
            self.query_one("#sent", OptionList).focus()

    def action_back(self) -> None:
        self.dismiss(None)

