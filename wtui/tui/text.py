"""The one door for outside text into a widget: markup off, controls made visible."""

from __future__ import annotations

from rich.text import Text

from wtui.core.text import visible


def safe(text: str | None, style: str = "") -> Text:
    """A Rich Text that shows ``text`` literally: '[bold]' stays brackets, ESC shows as ␛."""
    return Text(visible(text), style=style, no_wrap=True, overflow="ellipsis")
