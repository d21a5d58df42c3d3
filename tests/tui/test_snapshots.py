"""How the main screens look, at 80x24 and 120x40, in the default and the 16-colour themes.

Snapshots are SVGs under __snapshots__/; update them only on purpose:
``pytest tests/tui/test_snapshots.py --snapshot-update``, then look at the
report before committing.
"""

from __future__ import annotations

import pytest

from tests.conftest import NOW
from tests.tui.conftest import app_cfg, started
from wtui.book.book import Book
from wtui.tui.app import WtuiApp

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
THEMES = ("wtui-dark", "wtui-ansi")


SCREENS = {
    "queue": (),
    "customer_panel": ("j", "enter"),
    "tag_picker": ("t", "s", "t", "a"),
    "help_with_the_legend": ("question_mark",),
}


def snap(snap_compare, book, keys, size, theme="wtui-dark", typed: str = ""):
    async def run_before(pilot):
        await started(pilot)
        if keys:
            await pilot.press(*keys)
        if typed:
            await pilot.press(*typed)
            bar = pilot.app.screen.query_one("#query-bar")
            for _ in range(200):  # the count follows a pause in typing, from a worker
                await pilot.pause(0.05)
                if not bar.status_text.startswith("counting"):
                    break
        await started(pilot)

    return snap_compare(WtuiApp(book, theme), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", SCREENS)
def test_screen_snapshot(snap_compare, book, screen, size, theme):
    assert snap(snap_compare, book, SCREENS[screen], SIZES[size], theme)


@pytest.mark.parametrize("typed", ["#Stage-Quoted AND color = red", "#Stage-Quotd AND"], ids=["count", "error"])
def test_the_filter_bar_shows_its_count_or_its_whole_error_at_80x24(snap_compare, book, typed):
    assert snap(snap_compare, book, ("f",), (80, 24), typed=typed)


def test_my_queue_header_at_80x24(snap_compare, book_path):
    with Book.open(book_path, app_cfg(queue={"scope": "mine"}), clock=lambda: NOW, actor="ana") as book:
        assert snap(snap_compare, book, (), (80, 24))


def test_an_empty_book_greets_the_rep_at_80x24(snap_compare, tmp_path):
    with Book.create(tmp_path / "empty.db", app_cfg(), clock=lambda: NOW, actor="ana") as book:
        assert snap(snap_compare, book, (), (80, 24))
