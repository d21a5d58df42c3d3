from __future__ import annotations

import pytest

from tests.conftest import NOW
from wtui.book.book import Book
from wtui.book.generate import make_book
from wtui.core import config


@pytest.fixture
def anyio_backend():
    # Async tests run on anyio's pytest plugin (anyio comes with httpx): no extra dependency.
    return "asyncio"


def app_cfg(**over):
    """Defaults with the rep's zone pinned, so 'today' is the same on every machine."""
    # Rules at start are off unless a test turns them on: they would change the book under it.
    base = {"rep": {"timezone": "UTC", "name": "ana"}, "rules": {"run_on_start": False}}
    for section, values in over.items():
        base.setdefault(section, {}).update(values)
    return config.with_overrides(base)


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("tui") / "demo.db"
    make_book(path, app_cfg(), customers=60, seed=7, now=NOW, admins=["ana"]).close()
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
