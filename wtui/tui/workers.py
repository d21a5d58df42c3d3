"""Books for worker threads: SQLite connections belong to the thread that opened them.

A worker that reads book-wide figures opens a read-only ``Book`` of its own; a
worker that writes (a bulk action, an undo, the rules, an import) opens a
writer. Both keep the app's clock and actor, so what they write is the rep's.
"""

from __future__ import annotations

from wtui.book.book import Book


def reader(book: Book) -> Book:
    """A read-only Book on the same file (use it in a ``with``)."""
    return Book.open(book.path, book.cfg, clock=book.clock, actor=book.actor, readonly=True)


def writer(book: Book, recompute: bool = True) -> Book:
    """A Book that may write, on the same file (use it in a ``with``); ``recompute`` False leaves the
    verdicts as stored (a due whole-book recompute and the stale sweep are the app's own workers')."""
    return Book.open(book.path, book.cfg, clock=book.clock, actor=book.actor, recompute=recompute)
