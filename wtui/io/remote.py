"""A replica's side of the team server (``wtui serve``): pull what it lacks, push what it made.

Requests are retried with exponential backoff and jitter (honouring ``Retry-After``) when the
server is unreachable, busy or limiting; a refusal (4xx) is not retried and says why. A push is
whole or nothing on the server and carries an ``Idempotency-Key``: a push retried after a lost
answer is applied once.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wtui.book import wire
from wtui.book.ops import Op
from wtui.errors import BadInput, WtuiError

if TYPE_CHECKING:  # httpx costs ~80 ms to import: only a replica that talks to a server pays it
    import httpx

TOKEN_ENV = "WTUI_TOKEN"


class Offline(WtuiError):
    """The server could not be reached (after the retries)."""

    exit_code = 3  # README: the team server could not be reached


class Refused(BadInput):
    """The server answered no, with its reason."""

    def __init__(self, status: int, message: str, refused: list | None = None) -> None:
        super().__init__(message)
        self.status, self.refused = status, refused or []


class Away(Refused):
    """This replica was away longer than the server keeps its log (410): it lacks ops compacted there.
    Its own changes still go up (``sync`` pushes them first); then it starts again from a snapshot."""

    def __init__(self, message: str, vector: dict[str, int], sent: int = 0) -> None:
        super().__init__(410, message)
        self.vector, self.sent = vector, sent


def read_token(path: Path, url: str = "") -> str:
    """``WTUI_TOKEN``, else the OS keyring's entry for ``url`` (when the keyring package and a backend
    are there), else the token file, which must be readable by its owner alone."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if token:
        return token
    token = _keyring("get", url) if url else None
    if token:
        return token
    if not path.is_file():
        raise BadInput(f"no token: `wtui --remote {url or 'URL'} login`, or set {TOKEN_ENV}, or put the token "
                       f"`wtui serve add-user` printed in {path} (chmod 600)")
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise BadInput(f"{path} can be read by others (mode {stat.S_IMODE(path.stat().st_mode):o}): a token is a "
                       f"password; `chmod 600 {path}`, then try again")
    kept = _tokens(path)
    found = kept.get(url.rstrip("/")) or kept.get("")
    if not found:
        raise BadInput(f"{path} holds no token for {url}: `wtui --remote {url} login`")
    return found


def _tokens(path: Path) -> dict[str, str]:
    """The token file: a line `URL TOKEN` a server (what login writes), or one bare token (for any)."""
    out: dict[str, str] = {}
    for line in path.read_text("utf-8").splitlines() if path.is_file() else []:
        parts = line.split()
        if len(parts) == 1:
            out.setdefault("", parts[0])
        elif len(parts) == 2:
            out[parts[0].rstrip("/")] = parts[1]
    return out


def keep_token(path: Path, url: str, token: str) -> str:
    """Keep a token for ``url``: in the OS keyring when there is one, else in ``path`` (mode 600).
    Returns where it went."""
    if _keyring("set", url, token):
        return "the OS keyring"
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    kept = {u: t for u, t in _tokens(path).items() if u and u != url.rstrip("/")}  # one line a server
    kept[url.rstrip("/")] = token
    part = path.with_name(path.name + ".part")
    part.unlink(missing_ok=True)  # a leftover keeps its own mode: made anew, only its owner reads it
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.writelines(f"{u} {t}\n" for u, t in sorted(kept.items()))
    part.replace(path)
    return str(path)


def _keyring(action: str, url: str, token: str = "") -> str | bool | None:
    """The ``keyring`` package, if installed and backed (a desktop's Secret Service, macOS Keychain); an
    SSH session on a server usually has none, and then the file is used. Never required."""
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:
        return None
    try:
        if action == "get":
            return keyring.get_password("wtui", url)
        keyring.set_password("wtui", url, token)
        return True
    except (KeyringError, RuntimeError, OSError):
        return None


@dataclass
class SyncReport:
    received: int = 0
    sent: int = 0
    pending: int = 0  # own ops the server does not hold yet
    refused: list = field(default_factory=list)

    def line(self) -> str:
        out = f"received {self.received} change(s), sent {self.sent}"
        if self.pending:
            out += f"; {self.pending} not sent yet"
        return out


class Remote:
    def __init__(self, url: str, token: str, *, timeout: float = 15.0, retries: int = 4,
                 transport: httpx.BaseTransport | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        if not url.startswith(("http://", "https://")):
            raise BadInput(f"{url!r}: a server address starts with http:// or https://")
        import httpx

        self._httpx = httpx
        self.url = url.rstrip("/")
        self.retries, self._sleep = retries, sleep
        self.probed = False  # looked for a fork from the server's log (``heal_fork``) with this connection
        self._names_replica = True  # a pull says which replica asks (an older server refuses the field)
        self.client = httpx.Client(base_url=self.url, timeout=timeout, transport=transport,
                                   headers={"Authorization": f"Bearer {token}", "User-Agent": "wtui"})

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> "Remote":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, *, wait: float = 0, **kw: Any) -> httpx.Response:
        delay = 0.5
        for attempt in range(self.retries + 1):
            try:
                timeout = self.client.timeout.read + wait if wait else None
                answer = self.client.request(method, path, timeout=timeout or self._httpx.USE_CLIENT_DEFAULT, **kw)
            except self._httpx.TransportError as exc:
                if attempt == self.retries:
                    raise Offline(f"{self.url} cannot be reached ({type(exc).__name__}): working on the replica; "
                                  "changes go up when it is back") from None
                self._sleep(delay * (0.5 + random.random()))  # full jitter keeps many clients from retrying in step
                delay = min(delay * 2, 30)
                continue
            if answer.status_code in (429, 502, 503, 504) and attempt < self.retries:
                after = answer.headers.get("retry-after", "")
                self._sleep(float(after) if after.isdigit() else delay * (0.5 + random.random()))
                delay = min(delay * 2, 30)
                continue
            if answer.status_code >= 500:  # the server's trouble, not a no: like an outage, tried again later
                raise Offline(f"{self.url} answered {answer.status_code} ({answer.reason_phrase}): working on the "
                              "replica; changes go up when it is back")
            if answer.status_code >= 400:
                try:
                    body = answer.json()
                except ValueError:
                    body = {}
                why = body.get("error") if isinstance(body, dict) else None
                if answer.status_code == 410 and isinstance(body, dict) and isinstance(body.get("vector"), dict):
                    raise Away(f"{self.url}: {why}", body["vector"])
                raise Refused(answer.status_code, f"{self.url} refused ({answer.status_code}): "
                              f"{why or answer.reason_phrase}", body.get("refused") if isinstance(body, dict) else None)
            return answer
        raise AssertionError("unreachable")

    def probe(self, at: dict[str, int]) -> dict[str, str | None]:
        """The server's op id under each (replica id, number) (None: not held there, or a server older than
        this wtui, which cannot tell)."""
        try:
            return self._call("POST", "/v1/probe", json={"at": at}).json()["at"]
        except Refused as exc:
            if exc.status in (404, 405):
                return {}
            raise

    def me(self) -> dict[str, str]:
        return self._call("GET", "/v1/me").json()

    def snapshot(self, target: Path) -> None:
        """Download the book as it is now to ``target`` (which must not exist)."""
        part = target.with_name(target.name + ".part")
        with self.client.stream("GET", "/v1/snapshot") as answer:
            if answer.status_code != 200:
                answer.read()
                raise Refused(answer.status_code, f"{self.url} refused the snapshot ({answer.status_code})")
            fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as f:
                for chunk in answer.iter_bytes():
                    f.write(chunk)
        part.replace(target)

    def push(self, batch: list[Op]) -> dict[str, Any]:
        body = gzip.compress(json.dumps({"ops": [wire.to_wire(op) for op in batch]}, ensure_ascii=False).encode(),
                             compresslevel=5)
        key = hashlib.sha256("\n".join(op.op_id for op in batch).encode()).hexdigest()
        return self._call("POST", "/v1/push", content=body, headers={
            "Content-Type": "application/json", "Content-Encoding": "gzip", "Idempotency-Key": key}).json()

    def pull(self, vector: dict[str, int], limit: int, wait: float = 0,
             replica: str | None = None) -> tuple[list[Op], dict[str, int], bool]:
        """What a replica holding ``vector`` lacks; ``replica`` (its id) lets the server's log compaction wait
        for it. A replica away past the server's log raises ``Away``."""
        body, data = {"vector": vector, "limit": limit, "wait": wait}, None
        if replica and self._names_replica:
            try:
                data = self._call("POST", "/v1/pull", json=body | {"replica": replica}, wait=wait).json()
            except Refused as exc:  # a server older than this wtui knows no "replica": asked as before
                if exc.status != 400 or "replica" not in str(exc):
                    raise
                self._names_replica = False
        if data is None:
            data = self._call("POST", "/v1/pull", json=body, wait=wait).json()
        return ([wire.from_wire(item, f"ops[{i}]") for i, item in enumerate(data["ops"])], data["vector"],
                data["more"])


def heal_fork(book, remote: Remote, server: dict[str, int]) -> bool:
    """A replica put back from an older copy of itself (in place, so it kept its id) that wrote as many ops
    as the restore lost agrees with the server on the counts: nothing would move, the two differing for
    good. For each of its own ids, the op at the lower of the two tops is compared with the server's;
    where they differ, the first differing number is found (a binary search: before a fork both agree)
    and this replica's ops from there are renumbered under a fresh id (``Book.renumber_from``). True if
    so: the server's originals then come down, and these go up as new."""
    healed = False
    asked = book.fork_probe(server)
    if not asked:
        return False
    tops = remote.probe({origin: top for origin, (_, top) in asked.items()})  # one request for every id
    for origin, (low, top) in asked.items():
        if tops.get(origin) in (None, book.op_at(origin, top)):
            continue
        high = top
        while low < high:
            mid = (low + high) // 2
            theirs = remote.probe({origin: mid})[origin]
            if theirs is None or theirs == book.op_at(origin, mid):
                low = mid + 1
            else:
                high = mid
        book.renumber_from(origin, low)
        healed = True
    return healed


def pull_all(book, remote: Remote, *, batch: int = 500, wait: float = 0) -> tuple[int, dict[str, int]]:
    """Pull until this replica holds what the server holds: (ops received, the server's vector).
    ``wait``: a first pull with nothing new waits that long for news (long poll)."""
    received, server, more, first = 0, {}, True, True
    while more:
        got, server, more = remote.pull(book.vector(), batch, wait if first else 0, book.replica_id_or_new())
        first = False
        if got:
            received += book.apply_remote(got)
    return received, server


def push_all(book, remote: Remote, server: dict[str, int], *, batch: int = 500) -> tuple[int, dict[str, int]]:
    """Push this replica's own ops the server (whose vector is ``server``) does not hold, ``batch`` at a
    time, each applied whole there: (ops sent, the server's vector after). A refusal raises ``Refused``
    and leaves the ops here, pending."""
    mine = book.own_origins()
    sent = 0
    while mine:
        pending = book.ops_since(server, batch, origins=mine)
        if not pending:
            break
        answer = remote.push(pending)
        sent += len(pending)
        if all(answer["vector"].get(o, 0) <= server.get(o, 0) for o in mine):
            raise Refused(200, f"{remote.url} took {len(pending)} op(s) but holds no more of this replica's: "
                               "a server that lost part of its book? start this replica again (wtui clone)")
        server = answer["vector"]
    return sent, server


def pending(book, server: dict[str, int]) -> int:
    """How many of this replica's own ops a server holding ``server`` lacks."""
    have = book.vector()
    return sum(max(0, have.get(o, 0) - server.get(o, 0)) for o in book.own_origins())


def sync(book, remote: Remote, *, batch: int = 500, wait: float = 0) -> SyncReport:
    """Pull what this replica lacks, then push its own ops the server does not hold (``push_all``)."""
    report = SyncReport()
    try:
        report.received, server = pull_all(book, remote, batch=batch, wait=wait)
    except Away as exc:  # its own changes go up all the same; the caller starts the replica again
        sent, _ = push_all(book, remote, exc.vector, batch=batch)
        raise Away(str(exc), exc.vector, sent) from None
    book.heard_from(remote.url, server)
    if not remote.probed:  # once a run, before its first push (a fork pushed over is found no more)
        healed = heal_fork(book, remote, server)
        remote.probed = True
        if healed:  # the server's originals come down now, the renumbered go up below
            received, server = pull_all(book, remote, batch=batch)
            report.received += received
    try:
        report.sent, server = push_all(book, remote, server, batch=batch)
    except Refused as exc:
        report.refused = exc.refused or [{"reason": str(exc)}]
        report.pending = pending(book, server)
        raise
    return report
