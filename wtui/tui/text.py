"""The one door for outside text into a widget: markup off, controls made visible."""

from __future__ import annotations

from rich.text import Text

from wtui.core.text import visible


def safe(text: str | None, style: str = "") -> Text:
    """A Rich Text that shows ``text`` literally: '[bold]' stays brackets, ESC shows as ␛."""
    return Text(visible(text), style=style, no_wrap=True, overflow="ellipsis")


def cells(text: str, width: int) -> str:
    """Cut or pad to exactly ``width`` cells as the terminal (and Rich) counts them, '…' marking a cut."""
    from rich.cells import cell_len, set_cell_size

    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"
