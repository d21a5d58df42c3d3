"""Copying a book's WAL into the book on a thread of its own, so that no commit waits for it.

SQLite's own checkpoint runs inside the commit that takes the WAL past its limit: a sync's batch, or a
rep's one tag on the app's UI thread, then copied some 40 MB of pages written by everyone (0.1-0.2 s).
A ``Book`` in WAL moves that out of its commits: after a commit that leaves the WAL past
``db.WAL_CHECKPOINT_PAGES`` (the file is cut back to ``db.WAL_KEEP_BYTES`` at each reset, so its size
tells), it starts one passive checkpoint on a connection of its own, at most one a second: it copies what
it can without waiting for anyone, beside the writers (safe on a SQLite with the WAL-reset fix, which is
the only one that puts books in WAL). SQLite's own checkpoint stays on at twice the limit, as a backstop
for a write that does not nudge (or a thread that cannot keep up): the WAL never grows without bound. The
last connection to close checkpoints the rest, as always.
"""

from __future__ import annotations

import os
import time
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
        self._started = 0.0  # time.monotonic() of the last one: at most one a second

    def nudge(self) -> None:
        """After a commit: a checkpoint on a thread of its own once the WAL is past the limit (one at a time,
        one a second: a WAL that readers keep from resetting stays past it for a while)."""
        if self._thread is not None and self._thread.is_alive() or time.monotonic() - self._started < 1.0:
            return
        try:
            if os.stat(self.wal).st_size < self.limit:
                return
        except OSError:
            return
        import threading

        self._started = time.monotonic()
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
