"""The server's one book, kept on one thread.

A SQLite connection belongs to the thread that opened it, and the book is written by one writer at a
time anyway: every request's book work runs on this thread, in arrival order, while the event loop
keeps serving. A push's batch in flight finishes even when the server is asked to stop (``close``
waits for it).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from wtui.book.book import Book
from wtui.core.config import Config

T = TypeVar("T")
ACTOR = "wtui-serve"  # who the server's own writes (webhooks, rules) are logged as


class BookHost:
    def __init__(self, path: Path, cfg: Config) -> None:
        self.path, self.cfg = path, cfg
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="wtui-book")
        self._book: Book | None = None
        self._news = asyncio.Event()  # set (and replaced) whenever the book takes new ops
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None

    async def open(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._book = await self.run(lambda: Book.open(self.path, self.cfg, actor=ACTOR))

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, functools.partial(fn, *args))

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(book, *args)`` on the book's thread."""
        return await self.run(lambda: fn(self.book, *args))

    @property
    def book(self) -> Book:
        if self._book is None:
            raise RuntimeError("the book is not open")
        return self._book

    def stop_waiting(self) -> None:
        """The server is asked to stop (a signal handler may call this): every waiting pull answers now
        with what it has, so none is cut off mid-wait, and none waits from here on."""
        self._stopping = True
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.announce)

    def announce(self) -> None:
        """Wake every pull that waits for news."""
        self._news.set()
        self._news = asyncio.Event()

    async def wait_for_news(self, seconds: float) -> None:
        if self._stopping:
            return
        try:
            await asyncio.wait_for(self._news.wait(), seconds)
        except TimeoutError:
            pass

    async def close(self) -> None:
        self.announce()
        if self._book is not None:
            await self.run(self._book.close)
        self._pool.shutdown(wait=True)
