"""The Textual app: the morning queue a rep works down without the mouse.

``WtuiApp`` holds what is app-wide: the theme, the keymap from config (binding
ids to keys, through ``App.set_keymap``), the command palette's entries, and
the one screen it opens, ``QueueScreen`` (screens/queue.py). On a team
server's replica it runs the ``Syncer`` (io/sync_loop.py) and holds its latest
state in ``sync_state``, which the status bar watches.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App, SystemCommand
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen

from wtui.book.book import Book
from wtui.core.text import visible
from wtui.tui import keys
from wtui.tui.screens.queue import QueueScreen
from wtui.tui.theme import load as load_theme

ANSI_THEME = "wtui-ansi"  # the terminal's own colours (themes/wtui-ansi.toml)

if TYPE_CHECKING:  # a replica's app is handed its Syncer (cli imports it); no other app loads the sync loop
    from wtui.io.sync_loop import Syncer, SyncState


def sixteen_colours(env, out) -> bool:
    """Does the terminal show only its 16 colours (TERM=linux, a plain xterm), as Rich decides for Textual?
    Then the app takes the 16-colour theme: another theme's colours brought down to 16 drew orange and
    yellow alike. Only on a real terminal (``out`` a tty): a test's headless app keeps the theme it asks for."""
    if env.get("TEXTUAL_COLOR_SYSTEM") or not (out is not None and out.isatty()):
        return False
    if env.get("COLORTERM", "").strip().lower() in ("truecolor", "24bit"):
        return False
    term = env.get("TERM", "").strip().lower()
    return not term.endswith(("256color", "kitty", "truecolor", "direct"))


class WtuiApp(App[int]):
    TITLE = "wtui"
    # The queue screen's rules: it is the default screen (below), whose CSS_PATH Textual does not read.
    # Absolute: a relative one is found beside the module of whichever class subclasses this one.
    CSS_PATH = Path(__file__).parent / "screens" / "queue.tcss"
    ENABLE_COMMAND_PALETTE = True
    sync_state: reactive[SyncState | None] = reactive(None, always_update=True)

    def __init__(self, book: Book, theme: str | None = None, syncer: Syncer | None = None) -> None:
        # NO_COLOR (read before Textual, which takes it out of the environment): the 16-colour theme, whose
        # colours are the terminal's own. Any other theme turned into greys by luminance drew dark text on
        # dark ground (a red tag, the queue's dim columns) where NO_COLOR wants the terminal's plain text.
        no_color = os.environ.get("NO_COLOR") is not None
        own = ANSI_THEME if no_color or sixteen_colours(os.environ, sys.__stdout__) else book.cfg.ui.theme
        wtheme = load_theme(theme or own)
        # Said before Textual picks its NO_COLOR filter: with the terminal's own 16 colours it must be the
        # one that keeps the terminal's default colours, not greyscale (which drew black on black).
        super().__init__(ansi_color=True if wtheme.textual.ansi else None)
        self.book = book
        self.syncer = syncer
        self.wtheme = wtheme
        self.register_theme(self.wtheme.textual)
        self.theme = self.wtheme.name
        self.set_keymap(keys.keymap(book.cfg))  # refuses a key bound twice, naming both actions

    def get_default_screen(self) -> QueueScreen:
        # The queue is the app's first screen itself (as Posting's main screen is), not one pushed over an
        # empty default screen: pushed from on_mount, its first frame was drawn inside Textual's start-up
        # batch, thrown away, and drawn again.
        return QueueScreen(self.book, self.wtheme)

    def on_mount(self) -> None:
        if self.syncer is not None:
            self.sync_state = self.syncer.state
            self.syncer.on_change = self._sync_changed
            self.syncer.start()

    class SyncChanged(Message):
        """The syncer's new state (posted from its threads: ``post_message`` is thread-safe)."""

        def __init__(self, state: SyncState) -> None:
            super().__init__()
            self.state = state

    def _sync_changed(self, state: SyncState) -> None:
        self.post_message(self.SyncChanged(state))

    def on_wtui_app_sync_changed(self, message: SyncChanged) -> None:
        before, state = self.sync_state, message.state
        self.sync_state = state
        if state.rejected and (before is None or before.rejected != state.rejected):
            # The reasons are the server's words: controls made visible before they reach the terminal.
            self.notify(visible("The team server refused your change: " + "; ".join(state.rejected)
                                + ". It stays here, pending; ask an admin."), severity="error", timeout=15,
                        markup=False)

    def action_sync_now(self) -> None:
        if self.syncer is None:
            self.notify("This book is not a team server's replica (wtui --remote URL)", markup=False)
            return
        self.syncer.nudge()
        self.notify("Syncing with " + self.syncer.url, markup=False, timeout=3)

    def get_system_commands(self, screen: Screen):
        yield from super().get_system_commands(screen)
        if not isinstance(screen, QueueScreen):
            return
        shown: dict[str, list] = {}
        for active in screen.active_bindings.values():
            binding = active.binding
            if binding.id and screen.check_action(*keys.parsed(binding.action)):
                shown.setdefault(binding.id, [binding, []])[1].append(self.get_key_display(binding))
        for binding, display in shown.values():
            node = _owner(screen, binding)
            yield SystemCommand(keys.describe(binding, self.book.cfg), "key " + " ".join(display),
                                lambda action=binding.action, node=node: node.run_action(action))
        for name, expr in self.book.segments():
            yield SystemCommand(f"Segment: {name}", expr, lambda name=name: screen.use_segment(name))

    def action_quit(self) -> None:
        self.exit(0)


def _owner(screen: QueueScreen, binding) -> object:
    """Movement keys belong to the table, the rest to the screen."""
    return screen.table if binding.id in {a.id for a in keys.TABLE_ACTIONS} else screen


def run(book: Book, theme: str | None = None, syncer: Syncer | None = None) -> int:
    # Textual hands each finished frame to a writer thread. While this thread goes on drawing (the frames
    # that settle the first one, a worker's result landing), the writer waited the default 5 ms switch
    # interval for the interpreter at each step (write, then flush): the first frame reached the terminal
    # ~15 ms after it was ready. At 1 ms it is there in 1-5 ms; the switches cost threads next to nothing.
    sys.setswitchinterval(0.001)
    app = WtuiApp(book, theme, syncer)
    result = app.run()
    return app.return_code or result or 0  # a crash is 1 (Textual's), not the 0 of a quit
