from __future__ import annotations

from datetime import datetime

import pytest

from tests.conftest import NOW
from wtui.book.book import Book


class Clock:
    """A clock a test can move: book.clock.now += 2 * H."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock():
    return Clock(NOW)


@pytest.fixture
def book(empty_book, cfg, clock):
    b = Book.open(empty_book, cfg, clock=clock, actor="ana")
    b.set_admins(["ana"], reason="first admin")
    b.create_tag("Interest-Beauty")
    b.create_tag("Complaint-Open")
    yield b
    b.close()
