"""The line over the queue: whose queue it is, counts per colour, progress, team alerts, marks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from wtui.tui.text import safe
from wtui.tui.theme import WtuiTheme

if TYPE_CHECKING:  # the header's figures come from a worker, after the first paint; so does their module
    from wtui.book.around import Progress, TeamSignals


@dataclass(frozen=True, eq=False)  # never compared: no __eq__/__hash__ to compile at start
class Stats:
    """Book-wide figures, read in a worker: the rep's (or team's) progress, team signals, zones due today."""

    progress: Progress
    signals: TeamSignals
    zones: list[str]
    routine: str = ""  # "H: Monday routine" on the team's routine day


@dataclass(frozen=True, eq=False)
class HeaderState:
    """What the header line shows: whose queue, the counts, the narrowing, the marks."""

    mine: bool
    who: str
    counts: dict[str, int] | None  # None: still counting (the first paint)
    search: str = ""
    query: str = ""
    marked: int = 0
    stats: Stats | None = None
    whole: bool = False  # every customer shown, due or not


LINES = 2  # the header's height at most: the queue keeps the rest of a 24-line terminal
SHORTEST = 12  # cells an item that always stays is cut to at most, when even the kept ones overflow


class QueueHeader(Static):
    DEFAULT_CSS = "QueueHeader { height: auto; max-height: %d; padding: 0 1; background: $panel; }" % LINES

    def __init__(self, theme: WtuiTheme, order: tuple[str, ...] | list[str], glyphs: dict[str, str], **kw) -> None:
        super().__init__(**kw)
        self.wtheme = theme
        self.order = order
        self.glyphs = glyphs
        self.items: list[Text] = []  # what the header says, an item a piece (laid out to the width)
        self._kept: set[int] = set()  # the items a narrow header never leaves out: whose, the narrowing, marks
        self._halves: set[int] = set()  # the narrowing: each at most half a line, so both fit beside the rest

    def show(self, state: HeaderState) -> None:
        items: list[Text] = []
        what = "book" if state.whole else "queue"
        who = Text(f"my {what} " if state.mine else f"team {what}", style="bold")
        if state.mine:
            who.append("(")
            who.append_text(safe(state.who))
            who.append(" + unassigned)")
        items.append(who)
        kept, halves = {0}, set()
        for color in self.order:
            n = "…" if state.counts is None else f"{state.counts.get(color, 0):,}"
            items.append(Text(f"{self.glyphs[color]} {n} {color}", style=self.wtheme.queue[color]))
        if state.search:
            kept.add(len(items))
            halves.add(len(items))
            items.append(Text("narrowed to ", style="italic") + safe(state.search, "bold"))
        if state.query:
            kept.add(len(items))
            halves.add(len(items))
            items.append(Text("query ", style="italic") + safe(state.query, "bold"))
        if state.marked:  # what a key will act on is never what a narrow header leaves out
            kept.add(len(items))
            items.append(Text(f"● {state.marked:,} marked", style=self.wtheme.marks["marked"]))
        if state.stats:
            prog = state.stats.progress
            items.append(Text(f"{'mine' if state.mine else 'team'}: done {prog.done:,}/{prog.total:,}"))
            if state.stats.routine:
                items.append(Text(state.stats.routine, style="bold"))
            warn = self.wtheme.marks["overdue"]
            items += [Text(f"⚠ team: {alert}", style=warn) for alert in state.stats.signals.alerts]
        self.items, self._kept, self._halves = items, kept, halves
        self.update(self._laid_out())

    def on_resize(self) -> None:
        if self.items:
            self.update(self._laid_out())

    def _laid_out(self) -> Text:
        """The items on lines that break only between items: "0 gray" was split from its count at 80 columns.
        No item is wider than a line (a long query ends in "…"). Items that would take a line past ``LINES``
        give way, the last first, to "+N more" (the weekly routine shows every team alert), never cut
        silently; whose queue, the search, the query and the marks always stay."""
        width = max(1, self.content_size.width or self.size.width or 80)
        half = max(1, (width - 2) // 2)  # two halves and the gap between them fill a line
        items = [self._fitted(item, half if i in self._halves else width) for i, item in enumerate(self.items)]
        shown = list(range(len(items)))
        droppable = [i for i in shown if i not in self._kept]

        def laid() -> Text:
            more = [Text(f"+{len(items) - len(shown)} more", style="italic")] if len(shown) < len(items) else []
            return self._lines([*(items[i] for i in shown), *more], width)

        out = laid()
        while len(out.plain.split("\n")) > LINES and droppable:
            shown.remove(droppable.pop())
            out = laid()
        while len(out.plain.split("\n")) > LINES:  # what stays is too long still (a long name, a narrow terminal)
            longest = max(self._kept, key=lambda i: items[i].cell_len)
            if items[longest].cell_len <= SHORTEST:
                break  # a terminal this narrow gets the "too small" screen anyway
            items[longest] = self._fitted(items[longest], max(SHORTEST, items[longest].cell_len * 3 // 4))
            out = laid()
        return out

    @staticmethod
    def _fitted(item: Text, cells: int) -> Text:
        if item.cell_len <= cells:
            return item
        cut = item.copy()
        cut.truncate(max(1, cells), overflow="ellipsis")
        return cut

    @staticmethod
    def _lines(items: list[Text], width: int) -> Text:
        out, used = Text(), 0
        for item in items:
            size = item.cell_len
            if used and used + 2 + size > width:
                out.append("\n")
                used = 0
            elif used:
                out.append("  ")
                used += 2
            out.append_text(item)
            used += size
        return out
