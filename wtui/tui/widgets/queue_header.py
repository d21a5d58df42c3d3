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


class QueueHeader(Static):
    DEFAULT_CSS = "QueueHeader { height: auto; max-height: 2; padding: 0 1; background: $panel; }"

    def __init__(self, theme: WtuiTheme, order: tuple[str, ...] | list[str], glyphs: dict[str, str], **kw) -> None:
        super().__init__(**kw)
        self.wtheme = theme
        self.order = order
        self.glyphs = glyphs

    def show(self, state: HeaderState) -> None:
        text = Text()
        text.append("my queue " if state.mine else "team queue ", style="bold")
        if state.mine:
            text.append("(")
            text.append_text(safe(state.who))
            text.append(" + unassigned)  ")
        else:
            text.append(" ")
        for color in self.order:
            n = "…" if state.counts is None else f"{state.counts.get(color, 0):,}"
            text.append(f"{self.glyphs[color]} {n} {color}  ", style=self.wtheme.queue[color])
        if state.search:
            text.append("narrowed to ", style="italic")
            text.append_text(safe(state.search, "bold"))
            text.append("  ")
        if state.query:
            text.append("query ", style="italic")
            text.append_text(safe(state.query, "bold"))
            text.append("  ")
        if state.stats:
            prog = state.stats.progress
            text.append(f"{'mine' if state.mine else 'team'}: done {prog.done:,}/{prog.total:,}  ")
            if state.stats.routine:
                text.append(f"{state.stats.routine}  ", style="bold")
            for alert in state.stats.signals.alerts:
                text.append(f"⚠ team: {alert}  ", style=self.wtheme.marks["overdue"])
        if state.marked:
            text.append(f"● {state.marked:,} marked", style=self.wtheme.marks["marked"])
        self.update(text)
