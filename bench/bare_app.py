"""The floor for first paint: a bare Textual app showing one line ("ready"). bench/tui.py times it beside wtui."""

from textual.app import App, ComposeResult
from textual.widgets import Static


class Bare(App):
    def compose(self) -> ComposeResult:
        yield Static("ready")


if __name__ == "__main__":
    Bare().run()
