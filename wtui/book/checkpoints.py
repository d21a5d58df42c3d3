"""Copying a book's WAL into the book on a thread of its own, so that no commit waits for it.

SQLite's own checkpoint runs inside the commit that takes the WAL past its limit: a sync's batch, or a
rep's one tag on the app's UI thread, then copied some 40 MB of pages written by everyone (0.1-0.2 s).
A ``Book`` in WAL turns that off on its connection and, after a commit that leaves the WAL past
``db.WAL_CHECKPOINT_PAGES``, starts one passive checkpoint on a connection of its own: it copies what it
can without waiting for anyone, beside the writers (safe on a SQLite with the WAL-reset fix, which is
the only one that puts books in WAL). The last connection to close checkpoints the rest, as always.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import threading


class Checkpointer:
    def __init__(self, path: Path, limit_bytes: int) -> None:
        self.wal = path.with_name(path.name + "-wal")
        self.path = path
        self.limit = limit_bytes
        self._thread: threading.Thread | None = None

    def nudge(self) -> None:
        """After a commit: a checkpoint on a thread of its own once the WAL is past the limit (one at a time)."""
        if self._thread is not None and self._thread.is_alive():
            return
        try:
            if os.stat(self.wal).st_size < self.limit:
                return
        except OSError:
            return
        import threading

        self._thread = threading.Thread(target=self._run, name="wtui-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from wtui.book import db
        from wtui.errors import WtuiError

        try:
            conn = db.connect(self.path)
        except (WtuiError, db.sqlite3.Error):
            return  # the next commit past the limit tries again
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except db.sqlite3.Error:
            pass  # busy or gone: the same
        finally:
            conn.close()

    def close(self) -> None:
        """Wait for a checkpoint under way (the book's connection closes after it)."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
