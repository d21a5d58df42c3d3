"""The app, key by key (Textual's Pilot), and how its main screen looks (snapshots)."""

from __future__ import annotations

import pytest

from tests.conftest import NOW
from wtui.book.book import Book
from wtui.book.generate import make_book
from wtui.core import config
from wtui.tui.app import QueueApp

# Async tests run on anyio's pytest plugin (anyio comes with httpx): no extra dependency.
pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def pinned_cfg():
    return config.with_overrides({"rep": {"timezone": "UTC"}})


@pytest.fixture
def demo_path(tmp_path, pinned_cfg):
    path = tmp_path / "demo.db"
    make_book(path, pinned_cfg, customers=60, seed=7, now=NOW).close()
    return path


async def test_the_queue_screen_lists_todays_queue_in_order(demo_path, pinned_cfg):
    with Book.open(demo_path, pinned_cfg, clock=lambda: NOW) as book:
        expected = [e.uid for e in book.queue(limit=500).entries]
        app = QueueApp(book)
        async with app.run_test(size=(100, 30)) as pilot:
            from textual.widgets import DataTable

            table = app.query_one(DataTable)
            assert [str(k.value) for k in table.rows] == expected
            await pilot.press("j", "j")
            assert table.cursor_row == 2
            await pilot.press("k")
            assert table.cursor_row == 1
            await pilot.press("q")
        assert app.return_code == 0 or app.return_code is None


async def test_hostile_names_render_literally(tmp_path, pinned_cfg):
    path = tmp_path / "b.db"
    with Book.create(path, pinned_cfg, clock=lambda: NOW) as book:
        uid = book.add_customer("+4915123456789", "[bold]Ali\x1b[31m\u202eevil")
        book.record(uid, "in", NOW.replace(hour=9), text="how much?")
        app = QueueApp(book)
        async with app.run_test(size=(120, 20)) as pilot:
            await pilot.pause()
            from textual.widgets import DataTable

            cell = app.query_one(DataTable).get_row_at(0)[1]
            assert cell.plain == "[bold]Ali␛[31m<RLO>evil"


def test_queue_screen_snapshot_80x24(snap_compare, demo_path, pinned_cfg):
    book = Book.open(demo_path, pinned_cfg, clock=lambda: NOW)
    try:
        assert snap_compare(QueueApp(book), terminal_size=(80, 24))
    finally:
        book.close()
