"""The strip of local times where today's customers are: day or night at a glance."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from wtui.core.windows import zone as zone_named
from wtui.tui.theme import WtuiTheme


class WorldClocks(Static):
    DEFAULT_CSS = "WorldClocks { height: 1; padding: 0 1; }"

    def __init__(self, theme: WtuiTheme, **kw) -> None:
        super().__init__(**kw)
        self.wtheme = theme

    def show(self, zones: list[str], now: datetime) -> None:
        text = Text()
        width = self.size.width - 2 if self.size.width else 200
        for name in zones:
            local = now.astimezone(zone_named(name))
            day = 7 <= local.hour < 19
            city = name.rsplit("/", 1)[-1].replace("_", " ")
            piece = f"{city} {local:%H:%M}{'☀' if day else '☾'}  "
            if text.cell_len + len(piece) > width:
                break
            text.append(piece, style=self.wtheme.marks["day" if day else "night"])
        self.update(text)
