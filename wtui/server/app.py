"""``wtui serve``: the HTTP API replicas sync with, on Starlette.

Every route that touches the book is authenticated by a bearer token (``wtui serve add-user``); the
actor of every op a client pushes is the token's user, never what the client wrote. Errors are JSON
``{"error": "..."}`` with the reason; nothing is applied from a push that is refused.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import os
import shutil
import tempfile
import time
import zlib
from collections import OrderedDict
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from wtui import __version__
from wtui.book import ops, wire
from wtui.book.book import Book
from wtui.book.users import User
from wtui.core import links
from wtui.core.config import Config
from wtui.errors import BadInput, BookBusy, PermissionDenied, WtuiError
from wtui.io import webhook
from wtui.server.host import BookHost
from wtui.server.openapi import document
from wtui.server.scheduled import EventRules, LogCompaction, RulesSchedule

access_log = logging.getLogger("wtui.access")
log = logging.getLogger("wtui.serve")
MAX_VECTOR = 100_000  # replicas a vector may name: far beyond any team, short of a memory attack


class Problem(Exception):
    """An HTTP error with a reason for the client (and extra fields, like the ops refused)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.headers, self.extra = status, message, headers or {}, extra


class RateLimit:
    """A token bucket per user: ``per_minute`` requests, refilled evenly."""

    def __init__(self, per_minute: int) -> None:
        self.size, self.rate = float(per_minute), per_minute / 60.0
        self._buckets: dict[str, tuple[float, float]] = {}

    def wait(self, who: str, now: float | None = None) -> float:
        """0 when ``who`` may go now (and takes a request), else the seconds until they may."""
        now = time.monotonic() if now is None else now
        level, then = self._buckets.get(who, (self.size, now))
        level = min(self.size, level + (now - then) * self.rate)
        if level < 1:
            self._buckets[who] = (level, now)
            return (1 - level) / self.rate
        self._buckets[who] = (level - 1, now)
        return 0.0


class Replays:
    """The answers to recent pushes by (user, Idempotency-Key): a retried push gets the same answer.
    Applying is idempotent by op id anyway; this only keeps the answer the same."""

    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self._seen: OrderedDict[tuple[str, str], dict] = OrderedDict()

    def get(self, who: str, key: str) -> dict | None:
        return self._seen.get((who, key))

    def put(self, who: str, key: str, answer: dict) -> None:
        self._seen[(who, key)] = answer
        while len(self._seen) > self.size:
            self._seen.popitem(last=False)


def make_app(book_path: Path, cfg: Config) -> Starlette:
    host = BookHost(book_path, cfg)
    limit = RateLimit(cfg.server.requests_per_minute)
    replays = Replays()
    inbox = book_path.parent / (book_path.name + ".inbox")
    # A link opened again from the same address within links.open_gap_minutes is one open: a reload, a
    # mail scanner or a script cannot grow the book (and every replica) one op a request.
    opened: OrderedDict[tuple[str, str], float] = OrderedDict()
    body_cap = cfg.server.max_body_kb * 1024

    async def user_of(request: Request) -> User:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Problem(401, "a token is required (Authorization: Bearer <token>; an admin issues one with "
                               "`wtui serve add-user`)", {"WWW-Authenticate": "Bearer"})
        user = await host.call(Book.user_for_token, token.strip())
        if user is None:
            raise Problem(401, "this token is not valid (unknown, altered or revoked)", {"WWW-Authenticate": "Bearer"})
        request.state.user = user.name
        wait = limit.wait(user.name)
        if wait:
            raise Problem(429, f"too many requests from {user.name}: try again in {math.ceil(wait)} s",
                          {"Retry-After": str(math.ceil(wait))})
        return user

    async def body_of(request: Request, cap: int, *, gzip: bool = True) -> bytes:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise Problem(413, f"the body is {int(declared):,} bytes; the most this server takes is {cap:,}")
        parts, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > cap:
                raise Problem(413, f"the body is over {cap:,} bytes, the most this server takes")
            parts.append(chunk)
        raw = b"".join(parts)
        encoding = request.headers.get("content-encoding", "identity").lower()
        if encoding == "gzip" and gzip:
            unpack = zlib.decompressobj(16 + zlib.MAX_WBITS)
            try:
                raw = unpack.decompress(raw, cap + 1)
            except zlib.error:
                raise Problem(400, "the body is not valid gzip") from None
            if len(raw) > cap or unpack.unconsumed_tail:
                raise Problem(413, f"the body unpacks to over {cap:,} bytes, the most this server takes")
        elif encoding != "identity":
            raise Problem(415, f"Content-Encoding {encoding!r}: gzip or none")
        return raw

    async def json_of(request: Request) -> dict:
        return parsed(await body_of(request, body_cap))

    def parsed(raw: bytes) -> dict:
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            raise Problem(400, "the body is not JSON") from None
        if not isinstance(data, dict):
            raise Problem(400, "the body is a JSON object")
        return data

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "version": __version__})

    async def openapi(request: Request) -> Response:
        return JSONResponse(document(cfg))

    async def me(request: Request) -> Response:
        user = await user_of(request)
        return JSONResponse({"name": user.name, "role": user.role})

    async def push(request: Request) -> Response:
        user = await user_of(request)
        raw = await body_of(request, body_cap)
        key = request.headers.get("idempotency-key", "")
        if len(key) > 200:
            raise Problem(400, "Idempotency-Key: at most 200 characters")
        if key:  # the same key again: the same answer, if it is the same push
            key = f"{key}:{hashlib.sha256(raw).hexdigest()}"
            if (answer := replays.get(user.name, key)) is not None:
                return JSONResponse(answer, headers={"Idempotent-Replayed": "true"})
        data = parsed(raw)
        if set(data) - {"ops"}:
            raise Problem(400, f"unknown fields {sorted(set(data) - {'ops'})}: a push is {{\"ops\": [...]}}")
        items = data.get("ops")
        if not isinstance(items, list):
            raise Problem(400, "ops: a list of ops")
        if len(items) > cfg.server.max_push_ops:
            raise Problem(400, f"{len(items):,} ops in one push; the most is {cfg.server.max_push_ops:,} "
                               "(server.max_push_ops)")
        batch = [wire.from_wire(item, f"ops[{i}]") for i, item in enumerate(items)]
        refused = [{"op_id": op.op_id, "kind": op.kind, "reason": f"only an admin may make a {op.kind}"}
                   for op in batch if op.kind in ops.ADMIN_KINDS and not user.admin]
        if refused:
            raise Problem(403, f"{len(refused)} op(s) only an admin may make ({user.name} is a {user.role}): "
                               "nothing in this push was applied", refused=refused)
        # The actor is who the token says, whatever the client wrote.
        batch = [op if op.actor == user.name else replace(op, actor=user.name) for op in batch]
        applied, vector = await host.call(_apply_push, batch, user.name)
        if applied:
            host.announce()
        answer = {"applied": applied, "vector": vector}
        if key:
            replays.put(user.name, key, answer)
        return JSONResponse(answer)

    async def pull(request: Request) -> Response:
        user = await user_of(request)
        data = await json_of(request)
        if set(data) - {"vector", "limit", "wait", "replica"}:
            raise Problem(400, f"unknown fields {sorted(set(data) - {'vector', 'limit', 'wait', 'replica'})}")
        vector = _vector(data.get("vector", {}))
        if "replica" in data:  # what this replica holds: log compaction waits for it (bound to its user)
            replica = data["replica"]
            if not isinstance(replica, str) or not wire.REPLICA_ID.fullmatch(replica):
                raise Problem(400, "replica: the pulling replica's id")
            await host.call(_acknowledged, user.name, replica, vector)
        most = data.get("limit", cfg.sync.batch_ops)
        if type(most) is not int or not 0 < most <= cfg.server.max_push_ops:
            raise Problem(400, f"limit: a whole number from 1 to {cfg.server.max_push_ops}")
        wait = data.get("wait", 0)
        if isinstance(wait, bool) or not isinstance(wait, (int, float)) or not 0 <= wait < math.inf:
            raise Problem(400, "wait: seconds, 0 or more")
        wait = min(wait, cfg.server.wait_seconds)  # a client configured to wait longer waits as long as we allow
        lacking, now_holds = await host.call(_since, vector, most + 1)
        if not lacking and wait:
            await host.wait_for_news(wait)
            lacking, now_holds = await host.call(_since, vector, most + 1)
        return JSONResponse({"ops": [wire.to_wire(op) for op in lacking[:most]], "vector": now_holds,
                             "more": len(lacking) > most})

    async def probe(request: Request) -> Response:
        """The op id this book holds under each asked (replica, number): a restored replica's client finds
        where its log forked from the server's (``io.remote.heal_fork``)."""
        await user_of(request)
        data = await json_of(request)
        if set(data) != {"at"}:
            raise Problem(400, "a probe is {\"at\": {replica id: op number}}")
        at = _vector(data["at"])
        return JSONResponse({"at": await host.call(_ids_at, at)})

    async def snapshot(request: Request) -> Response:
        await user_of(request)
        folder = Path(tempfile.mkdtemp(prefix="wtui-snapshot-"))
        target = folder / "book.db"
        await host.call(Book.clone, target)
        return FileResponse(target, media_type="application/vnd.sqlite3", filename="book.db",
                            background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))

    async def webhook_verify(request: Request) -> Response:
        q = request.query_params
        token = cfg.server.webhook_verify_token
        if q.get("hub.mode") != "subscribe" or not token or q.get("hub.verify_token") != token:
            raise Problem(403, "the verify token does not match server.webhook_verify_token")
        return PlainTextResponse(q.get("hub.challenge", ""))

    async def webhook_post(request: Request) -> Response:
        if not cfg.whatsapp.app_secret:
            raise Problem(403, "webhooks are off: set whatsapp.app_secret in the server's config (a delivery "
                               "that cannot be checked is never taken)")
        raw = await body_of(request, int(cfg.limits.webhook_body_kb * 1024), gzip=False)
        try:
            webhook.verify(raw, request.headers.get("x-hub-signature-256"), cfg.whatsapp.app_secret)
        except BadInput as exc:
            raise Problem(401, str(exc)) from None
        # Kept on disk before the answer, so a crash after it loses nothing; the same body twice is
        # one file (and ingest skips messages it has by id), so a redelivery records nothing twice.
        _spool(inbox, raw)
        return PlainTextResponse("ok", background=BackgroundTask(drain_inbox))

    async def whatsapp(request: Request) -> Response:
        return await (webhook_post if request.method == "POST" else webhook_verify)(request)

    async def tracked_link(request: Request) -> Response:
        """A customer opens a tracked link: the open is recorded (before the answer: a crash loses none),
        then the reader goes on. A preview fetch or a HEAD is not an open."""
        token = request.path_params["token"]
        agent = request.headers.get("user-agent", "")
        seen_at = opened.get((token, request.client.host if request.client else ""))
        again = seen_at is not None and time.monotonic() - seen_at < cfg.links.open_gap_minutes * 60
        if request.method == "HEAD" or again or links.is_preview(agent, cfg.links.preview_agents):
            found = await host.call(Book.link, token)  # redirected, not counted
            url = found.url if found else None
        else:
            url = await host.call(Book.link_opened, token)
            if url is not None:
                opened[(token, request.client.host if request.client else "")] = time.monotonic()
                while len(opened) > 10_000:  # oldest first out: a bounded memory of recent opens
                    opened.popitem(last=False)
                host.announce()
        if url is None:
            return PlainTextResponse("This link is not known here (mistyped, or not sent to the server yet).", 404)
        return RedirectResponse(url, 302, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})

    async def drain_inbox() -> None:
        for path in sorted(inbox.glob("*.json")) if inbox.is_dir() else []:
            try:
                report = await host.call(webhook.record_payload, path.read_bytes())
            except WtuiError as exc:
                log.warning("webhook %s not recorded: %s", path.name, exc)
                path.replace(path.with_suffix(".rejected"))
                continue
            log.info("webhook %s: %s", path.name, "; ".join(report.lines()))
            path.unlink()
            host.announce()

    @asynccontextmanager
    async def lifespan(app: Starlette):
        await host.open()
        await drain_inbox()  # what came in before a crash
        rules = asyncio.create_task(RulesSchedule(host, cfg, book_path).run_forever())
        events = asyncio.create_task(EventRules(host, cfg).run_forever())
        compaction = asyncio.create_task(LogCompaction(host).run_forever())
        yield
        for task in (rules, events, compaction):
            task.cancel()  # a run under way finishes on the book's thread; close() waits for it
        await host.close()

    async def problem(request: Request, exc: Exception) -> Response:
        if isinstance(exc, Problem):
            return JSONResponse({"error": exc.message, **exc.extra}, exc.status, headers=exc.headers)
        if isinstance(exc, BookBusy):
            return JSONResponse({"error": str(exc)}, 503, headers={"Retry-After": "2"})
        if isinstance(exc, ops.ReusedNumber):
            return JSONResponse({"error": str(exc)}, 409)
        if isinstance(exc, PermissionDenied):
            return JSONResponse({"error": str(exc)}, 403)
        return JSONResponse({"error": str(exc)}, 400)

    routes = [
        Route("/health", health),
        Route("/openapi.json", openapi),
        Route("/v1/me", me),
        Route("/v1/push", push, methods=["POST"]),
        Route("/v1/pull", pull, methods=["POST"]),
        Route("/v1/probe", probe, methods=["POST"]),
        Route("/v1/snapshot", snapshot),
        Route("/webhooks/whatsapp", whatsapp, methods=["GET", "POST"]),
        Route("/l/{token}", tracked_link),
    ]
    app = Starlette(routes=routes, lifespan=lifespan,
                    middleware=[Middleware(AccessLog), Middleware(GZipMiddleware, minimum_size=2048)],
                    exception_handlers={Problem: problem, WtuiError: problem})
    app.state.host = host
    return app


def _apply_push(book: Book, batch: list[ops.Op], user: str) -> tuple[int, dict[str, int]]:
    """One push, whole or not at all: the replicas it comes from must be this user's."""
    with book.batch(f"a push from {user}"):
        taken = book.origins_of_others({op.origin for op in batch}, user)
        if taken:
            raise PermissionDenied("; ".join(f"replica {o} belongs to {u}" for o, u in sorted(taken.items()))
                                   + f": {user} may push only their own replicas' ops; nothing was applied")
        groundless = book.groundless_merges(batch)
        if groundless:
            raise PermissionDenied("; ".join(f"a merge of {' and '.join(op.payload['uids'])}, who never shared a "
                                             "number" for op in groundless) + ": nothing was applied")
        applied = book.apply_remote(batch)
    return applied, book.vector()


def _since(book: Book, vector: dict[str, int], most: int) -> tuple[list[ops.Op], dict[str, int]]:
    try:
        return book.ops_since(vector, most), book.vector()
    except ops.Behind as exc:  # its own ops still go up (push); then it starts again from a snapshot
        raise Problem(410, f"{exc} (this replica's own changes are still taken: push them, then make a fresh "
                           "replica from /v1/snapshot)", vector=book.vector()) from None


def _ids_at(book: Book, at: dict[str, int]) -> dict[str, str | None]:
    return {origin: book.op_at(origin, n) for origin, n in at.items()}


def _acknowledged(book: Book, user: str, replica: str, vector: dict[str, int]) -> None:
    """Keep what a replica said it holds (``peers``), for compaction; a replica bound to another user is
    refused, as in a push. Written only when it changed: a long poll repeats the same vector."""
    if book.replica_owner(replica) == user and book.peer_vector(f"replica:{replica}") == vector:
        return
    with book.batch(f"a pull by {user}"):
        taken = book.origins_of_others({replica}, user)
        if taken:
            raise PermissionDenied(f"replica {replica} belongs to {taken[replica]}: {user} may not pull as it")
        book.acknowledged(f"replica:{replica}", vector)


def _vector(value: Any) -> dict[str, int]:
    if not isinstance(value, dict) or len(value) > MAX_VECTOR:
        raise Problem(400, "vector: an object of replica id to a whole number")
    for origin, n in value.items():
        if len(origin) > 64 or type(n) is not int or not 0 <= n < 2**62:
            raise Problem(400, f"vector.{origin[:64]}: a whole number from 0")
    return value


def _spool(inbox: Path, raw: bytes) -> None:
    inbox.mkdir(mode=0o700, exist_ok=True)
    name = hashlib.sha256(raw).hexdigest()
    final = inbox / f"{name}.json"
    if final.exists():
        return
    part = inbox / f"{name}.part"
    with open(part, "wb") as f:
        f.write(raw)
        f.flush()
        os.fsync(f.fileno())
    part.replace(final)


class AccessLog:
    """One JSON line a request: when, who, what, the answer, how long (ASGI middleware)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began, status = time.perf_counter(), [500]

        async def sending(message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            state = scope.get("state") or {}
            access_log.info(json.dumps({
                "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "client": (scope.get("client") or ["?"])[0],
                "method": scope["method"], "path": scope["path"], "status": status[0],
                "ms": round((time.perf_counter() - began) * 1000, 1), "user": state.get("user", ""),
            }, ensure_ascii=False))
