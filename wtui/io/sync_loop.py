"""Keeping an open app's replica in step with the team server (``wtui --remote URL``).

Two threads, each with a Book of its own on the replica file (a SQLite connection belongs to its thread):

- the **puller** long-polls the server (``sync.wait_seconds``) and applies what teammates did; the app
  sees it through its usual poll of ``data_version``, so a teammate's tag shows within seconds without
  busy polling;
- the **pusher** notices this replica's commits (``data_version``, every ``sync.push_seconds``), from
  the app or from a CLI command in another terminal, and sends them up at once.

Neither thread knows Textual: the app is told through ``on_change(SyncState)``, called from them.
Offline, both back off (to ``sync.offline_retry_seconds`` at most) and the rep keeps working; a
refused push leaves its ops here, pending, and says why until an admin's role or the rep's ``ctrl+r``
lets it through. Nothing is dropped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from wtui.book.book import Book
from wtui.errors import BookBusy
from wtui.io import remote as rem


@dataclass(frozen=True)
class SyncState:
    url: str
    pending: int = 0  # own ops the server does not hold yet
    synced_at: datetime | None = None  # the last exchange that left nothing pending
    offline_since: datetime | None = None
    rejected: tuple[str, ...] = ()  # why the server refused the last push (its ops stay pending)
    heard: bool = False  # the server answered at least once since the app opened
    received: int = 0  # teammates' ops applied here since the app opened (the app then checks for changes)
    away: bool = False  # away longer than the server keeps its log: made again from a snapshot on quit

    def line(self, zone=None) -> str:
        """The status bar's words: synced 09:12 · 3 pending · offline since 09:12 · rejected (why)."""
        parts = []
        if self.rejected:
            parts.append("rejected: " + "; ".join(self.rejected))
        if self.offline_since is not None:
            parts.append(f"offline since {self.offline_since.astimezone(zone):%H:%M}")
        if self.pending:
            parts.append(f"{self.pending:,} pending")
        elif self.synced_at is not None and self.offline_since is None:
            parts.append(f"synced {self.synced_at.astimezone(zone):%H:%M}")
        elif not self.heard and self.offline_since is None:
            parts.append("connecting")
        return " · ".join(parts)


def refusal_lines(exc: rem.Refused) -> tuple[str, ...]:
    """A refusal in a few words a rep can act on: each distinct reason once, with how many ops it hit."""
    reasons: dict[str, int] = {}
    for item in exc.refused:
        why = str(item.get("reason", "")) if isinstance(item, dict) else str(item)
        reasons[why] = reasons.get(why, 0) + 1
    if not reasons:
        return (str(exc),)
    return tuple(f"{why} ({n} change{'s' if n > 1 else ''})" if n > 1 else why for why, n in reasons.items())


class Syncer:
    def __init__(self, path: Path, cfg, url: str, token: str, *, actor: str, clock,
                 on_change: Callable[[SyncState], None] = lambda state: None, transport=None,
                 token_source: Callable[[], str] | None = None) -> None:
        self.path, self.cfg, self.url, self.token = Path(path), cfg, url, token
        self.token_source = token_source  # read again after a 401: the rep may have logged in anew
        self.actor, self.clock, self.on_change, self.transport = actor, clock, on_change, transport
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._wake_push = threading.Event()  # ctrl+r, or stop: push now
        self._wake_pull = threading.Event()  # ctrl+r: offline, try again now
        self._threads: list[threading.Thread] = []
        with self._book() as book:
            self._server = book.peer_vector(url)  # what the server held when last heard from
            self._recorded = dict(self._server)  # what the peers table says it held
            self.state = SyncState(url, pending=rem.pending(book, self._server))
        self._pull_refused = False  # the refusal shown came from a pull: the next good pull clears it
        self._probed = False  # looked for a fork from the server's log (``rem.heal_fork``) this session

    # -- the app's side ------------------------------------------------------------

    def start(self) -> None:
        for name, loop in (("wtui-pull", self._pull_loop), ("wtui-push", self._push_loop)):
            thread = threading.Thread(target=loop, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def nudge(self) -> None:
        """Push now and, if offline, try the server again now."""
        self._wake_push.set()
        self._wake_pull.set()

    def stop(self, timeout: float) -> SyncState:
        """One last push (at most ``timeout`` seconds), then stop. The puller may be inside a long poll:
        it is a daemon thread, and it applies nothing after this returns that it had not begun."""
        self._stopping.set()
        self._wake_push.set()
        self._wake_pull.set()
        for thread in self._threads:
            if thread.name == "wtui-push":
                thread.join(timeout)
        return self.state

    # -- the threads ----------------------------------------------------------------

    def _book(self) -> Book:
        return Book.open(self.path, self.cfg, clock=self.clock, actor=self.actor)

    def _remote(self) -> rem.Remote:
        # The loops do their own backoff: one try a request, so an offline server is seen at once.
        return rem.Remote(self.url, self.token, timeout=self.cfg.sync.timeout_seconds, retries=0,
                          transport=self.transport)

    def _set(self, **changes) -> None:
        """Change the state (``received_more`` adds to ``received``) under the lock; tell the app."""
        with self._lock:
            more = changes.pop("received_more", 0)
            if self.state.away:  # said until the app quits (and the replica is made again)
                changes.pop("rejected", None)
            self.state = replace(self.state, **changes, received=self.state.received + more)
            state = self.state
        self.on_change(state)

    def _offline(self) -> None:
        if self.state.offline_since is None:
            self._set(offline_since=self.clock())

    def _heard(self, book: Book, server: dict[str, int], applied: int = 0) -> None:
        with self._lock:  # the larger of each number: a pull answered before a push landed says less
            server = self._server = {o: max(n, self._server.get(o, 0)) for o, n in server.items()} | {
                o: n for o, n in self._server.items() if o not in server}
            changed, self._recorded = server != self._recorded, dict(server)
            cleared = {"rejected": ()} if self._pull_refused else {}
            self._pull_refused = False
        if changed:
            book.heard_from(self.url, server)  # kept for the next run's pending count, and a restore's re-key
        n = rem.pending(book, server)
        self._set(heard=True, offline_since=None, pending=n, received_more=applied, **cleared,
                  **({"synced_at": self.clock()} if n == 0 else {}))

    def _nap(self, seconds: float) -> None:
        """Sleep, but wake for ctrl+r or stop."""
        self._wake_pull.wait(seconds)
        self._wake_pull.clear()

    def _pull_loop(self) -> None:
        delay = 1.0
        wait = self.cfg.sync.wait_seconds
        with self._book() as book, self._remote() as server:
            more = True
            while not self._stopping.is_set():
                try:
                    got, vector, more = server.pull(book.vector(), self.cfg.sync.batch_ops, 0 if more else wait,
                                                    book.replica_id_or_new())
                    if self._stopping.is_set():
                        return  # stopped during the long poll: apply nothing more
                    self._heard(book, vector, book.apply_remote(got) if got else 0)
                    delay = 1.0
                except rem.Offline:
                    self._offline()
                    self._nap(delay)
                    delay = min(delay * 2, self.cfg.sync.offline_retry_seconds)
                    more = True
                except rem.Away as exc:  # the pusher still sends this replica's own changes (it knows the vector)
                    self._heard(book, exc.vector)
                    self._set(away=True, rejected=("this replica was away longer than the server keeps its log: "
                                                   "your changes go up; quit, then `wtui --remote URL sync` makes "
                                                   "a fresh copy",))
                    self._wake_push.set()
                    self._nap(self.cfg.sync.offline_retry_seconds)
                except rem.Refused as exc:  # a revoked token, a book the server will not serve
                    with self._lock:
                        self._pull_refused = True
                    self._set(rejected=refusal_lines(exc))
                    self._nap(1.0 if self._new_token(exc, server) else self.cfg.sync.offline_retry_seconds)
                except BookBusy:
                    self._nap(1.0)
                except Exception as exc:  # noqa: BLE001 - an op refused here (a clock far ahead, a number
                    # issued twice), an answer that is not ours: said, and tried again later, never a dead thread
                    self._set(rejected=(f"sync stopped: {exc}",))
                    with self._lock:
                        self._pull_refused = True
                    self._nap(self.cfg.sync.offline_retry_seconds)

    def _push_loop(self) -> None:
        delay = 1.0
        retry_at = 0.0  # after a failure, when to try again without a new commit or ctrl+r
        seen = None
        with self._book() as book, self._remote() as server:
            while True:
                woke = self._wake_push.wait(self.cfg.sync.push_seconds)
                self._wake_push.clear()
                stopping = self._stopping.is_set()
                try:
                    version = book.data_version()
                except BookBusy:
                    continue
                now = time.monotonic()  # not the book's clock: `--now` may hold that still
                if woke or version != seen or (retry_at and now >= retry_at):
                    seen = version
                    retry_at = 0.0
                    try:
                        self._push(book, server)
                        delay = 1.0
                    except rem.Offline:
                        self._offline()
                        retry_at, delay = now + delay, min(delay * 2, self.cfg.sync.offline_retry_seconds)
                    except rem.Refused as exc:
                        self._set(rejected=refusal_lines(exc), heard=True, offline_since=None)
                        retry_at = now + (1.0 if self._new_token(exc, server) else
                                          self.cfg.sync.offline_retry_seconds)
                    except BookBusy:
                        retry_at = now + 1.0
                    except Exception as exc:  # noqa: BLE001 - said, tried again later, never a dead thread
                        self._set(rejected=(f"sync stopped: {exc}",))
                        retry_at = now + self.cfg.sync.offline_retry_seconds
                if stopping:
                    return

    def _new_token(self, exc: rem.Refused, server: rem.Remote) -> bool:
        """After a 401: the token as it is now (``wtui login`` again, a new WTUI_TOKEN file); True if it
        changed, and this connection uses it from now on."""
        if exc.status != 401 or self.token_source is None:
            return False
        try:
            token = self.token_source()
        except Exception:  # noqa: BLE001 - no token to be had now: the refusal stays shown
            return False
        before = server.client.headers.get("Authorization")
        server.client.headers["Authorization"] = f"Bearer {token}"
        self.token = token
        return before != f"Bearer {token}"

    def _push(self, book: Book, server: rem.Remote) -> None:
        with self._lock:
            known = dict(self._server)
        if not self._probed:  # once a session, before any push: a replica put back in place from an older
            if not known:  # copy of itself is found by the server's vector, which the puller hears first
                self._set(pending=rem.pending(book, known))
                return
            if rem.heal_fork(book, server, known):  # a failed probe raises: tried again at the next push
                self._wake_pull.set()  # the server's originals come down
            self._probed = True
        if not rem.pending(book, known):
            self._set(pending=0, **({} if self._pull_refused else {"rejected": ()}))
            return
        self._set(pending=rem.pending(book, known))
        sent, after = rem.push_all(book, server, known, batch=self.cfg.sync.batch_ops)
        with self._lock:  # the puller may have heard a newer vector meanwhile: keep the larger of each
            self._server = {o: max(n, self._server.get(o, 0)) for o, n in after.items()} | {
                o: n for o, n in self._server.items() if o not in after}
        self._set(rejected=())
        self._heard(book, dict(self._server))
