"""The one door for outside text into a widget: markup off, controls made visible."""

from __future__ import annotations

from rich.text import Text

from wtui.core.text import visible


def safe(text: str | None, style: str = "") -> Text:
    """A Rich Text that shows ``text`` literally: '[bold]' stays brackets, ESC shows as ␛."""
    return Text(visible(text), style=style, no_wrap=True, overflow="ellipsis")


def colour_style(value: str | None) -> str:
    """A tag's stored colour as a style, or none when Rich cannot read it as a colour: tags from before
    the book checked colours, a config's, or a sync's may hold any text ('[bold]' crashed the tag picker)."""
    from rich.color import Color, ColorParseError

    try:
        Color.parse(value or "")
    except ColorParseError:
        return ""
    return value or ""
