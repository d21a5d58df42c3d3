from __future__ import annotations

import asyncio

import pytest
from textual.worker import WorkerCancelled

from tests.conftest import NOW
from wtui.book.book import Book
from wtui.book.generate import make_book
from wtui.core import config
from wtui.tui.app import WtuiApp


@pytest.fixture
def anyio_backend():
    # Async tests run on anyio's pytest plugin (anyio comes with httpx): no extra dependency.
    return "asyncio"


def app_cfg(**over):
    """Defaults with the rep's zone pinned, so 'today' is the same on every machine; the team's queue
    unless a test asks for "mine" (most tests compare with the whole book's queue)."""
    base = {"rep": {"timezone": "UTC", "name": "ana"}, "queue": {"scope": "team"}}
    for section, values in over.items():
        base.setdefault(section, {}).update(values)
    return config.with_overrides(base)


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory):
    """200 customers: the day's queue is taller than any screen the tests use."""
    path = tmp_path_factory.mktemp("tui") / "demo.db"
    make_book(path, app_cfg(), customers=200, seed=7, now=NOW, admins=["ana"]).close()
    return path


@pytest.fixture
def book_path(tmp_path, demo_file):
    """A fresh copy of the demo book for each test."""
    import shutil

    path = tmp_path / "book.db"
    shutil.copy(demo_file, path)
    return path


@pytest.fixture
def book(book_path):
    b = Book.open(book_path, app_cfg(), clock=lambda: NOW, actor="ana")
    yield b
    b.close()


async def started(pilot):
    """Paused until the app's background reads are done (not a flow, which may be waiting on a dialog).

    The reads start after the first paint, and one may start another (the sweep re-reads the queue):
    waited for until none is left running. A read a newer one of its group replaced ends cancelled,
    as the app means it to; any other end of a worker is the test's business."""
    await pilot.pause()
    for _ in range(10):
        reads = [w for w in pilot.app.workers if w.group != "flow" and not w.is_finished]
        if not reads:
            break
        for result in await asyncio.gather(*(w.wait() for w in reads), return_exceptions=True):
            if isinstance(result, BaseException) and not isinstance(result, WorkerCancelled):
                raise result
        await pilot.pause()
    await pilot.pause()
    return pilot.app.screen


@pytest.fixture
def size():
    """The terminal the ``pilot`` fixture opens; a test parametrizes ``size`` to change it."""
    return (120, 36)


@pytest.fixture
async def pilot(book, size):
    """The app on ``book``, started and settled."""
    app = WtuiApp(book)
    async with app.run_test(size=size) as pilot:
        await started(pilot)
        yield pilot
