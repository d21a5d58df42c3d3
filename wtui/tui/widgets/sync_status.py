"""The status bar of an app on a team server's replica: synced · N pending · offline since · rejected (why)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from wtui.book.reads import rep_zone
from wtui.tui.text import safe
from wtui.tui.theme import WtuiTheme

if TYPE_CHECKING:  # the sync loop (httpx's way in) is loaded only by a replica's app
    from wtui.io.sync_loop import SyncState


class SyncStatus(Static):
    DEFAULT_CSS = "SyncStatus { height: 1; padding: 0 1; background: $panel; }"

    def __init__(self, theme: WtuiTheme, cfg, **kw) -> None:
        super().__init__(**kw)
        self.wtheme, self.cfg = theme, cfg

    def on_mount(self) -> None:
        self.watch(self.app, "sync_state", self.show)

    def show(self, state: SyncState | None) -> None:
        if state is None:
            return
        text = Text("⇅ ", style="bold")
        text.append_text(safe(state.url))  # the server's address is config: shown as typed, never as markup
        text.append("  ")
        alarm = bool(state.rejected or state.offline_since)
        text.append_text(safe(state.line(rep_zone(self.cfg)), self.wtheme.marks["overdue"] if alarm else ""))
        if alarm:
            key = (self.cfg.keys.get("sync") or "").split(",")[0].strip()
            if key:
                text.append(f"  {key} tries again", style=self.wtheme.marks["dim"])
        self.update(text)
