"""How the main screens look, at 80x24 and 120x40, in the default and the 16-colour themes.

Snapshots are SVGs under __snapshots__/; update them only on purpose:
``pytest tests/tui/test_snapshots.py --snapshot-update``, then look at the
report before committing.
"""

from __future__ import annotations

import pytest

from tests.conftest import NOW
from tests.tui.conftest import app_cfg
from wtui.book.book import Book
from wtui.tui.app import WtuiApp

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
THEMES = ("wtui-dark", "wtui-ansi")


async def settle(pilot):
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


SCREENS = {
    "queue": (),
    "customer_panel": ("j", "enter"),
    "tag_picker": ("t", "s", "t", "a"),
    "help": ("question_mark",),
}


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", SCREENS)
def test_screen_snapshot(snap_compare, book_path, screen, size, theme):
    book = Book.open(book_path, app_cfg(), clock=lambda: NOW, actor="ana")

    async def run_before(pilot):
        await settle(pilot)
        if SCREENS[screen]:
            await pilot.press(*SCREENS[screen])
        await settle(pilot)

    try:
        assert snap_compare(WtuiApp(book, theme), terminal_size=SIZES[size], run_before=run_before)
    finally:
        book.close()
