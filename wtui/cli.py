"""The ``wtui`` command: argument parsing and dispatch.

Each command imports what it needs when it runs, so ``wtui queue`` never loads
Textual, httpx, arrow or sqlite-utils (see docs/ARCHITECTURE.md, "start-up").
This is the outermost layer: the only place that reads the clock.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from wtui import __version__, cli_customer, cli_team
from wtui.errors import BadInput, BookError, WtuiError


class _Strict(argparse.ArgumentParser):
    """Options spelled out or refused: `--de` was taken as --demo, and `--no queue` as --now 'queue'. The
    commands' parsers are of this class too (argparse makes subparsers of their parent's class)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    p = _Strict(
        prog="wtui",
        description="The morning queue for reps who sell over WhatsApp. With no command, opens the app.",
    )
    _add_globals(p)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    q = sub.add_parser("queue", help="print today's queue: red, then orange, then yellow")
    q.add_argument("--limit", type=_positive, metavar="N", help="at most N rows (default from config: queue.limit)")
    q.add_argument("--json", action="store_true", help="a JSON list of objects instead of a table")

    x = sub.add_parser("explain", help="why a customer sits where they sit in the queue (like `task info`)")
    x.add_argument("customer", help="their phone number in any form, or their uid")
    x.add_argument("--json", action="store_true", help="one JSON object: name, phone and each line")

    lk = sub.add_parser("link", help="a tracked link for a customer: the team server records each open "
                                     "(it feeds the colour rules), then sends them on")
    lk.add_argument("customer", help="their phone number in any form, or their uid")
    lk.add_argument("url", help="where the link leads (http:// or https://)")
    lk.add_argument("--kind", choices=("quote", "catalog", "page"), default="page",
                    help="a quote's opens count toward 'opened the quote more than N times' (default: page)")
    lk.add_argument("--dry-run", action="store_true", help="say what would be recorded, write nothing")

    m = sub.add_parser("make-book", help="write a synthetic book (the demo, or 10k/100k books for benchmarks)")
    m.add_argument("--customers", type=_positive, metavar="N", help="how many customers (default: demo.customers)")
    m.add_argument("--seed", type=int, metavar="S", help="random seed (default: demo.seed)")
    m.add_argument("--interactions", type=_positive, default=20, metavar="K", help="interactions per customer (about)")
    m.add_argument("--admin", action="append", default=[], metavar="NAME", help="an admin of the new book (repeatable)")
    m.add_argument("-o", "--output", required=True, metavar="PATH", help="where to write the book (must not exist)")

    sub.add_parser("locate", help="print where wtui looks for its config and book, and whether each exists")

    query_help = "a query, e.g. '#Interest-Beauty AND last_inbound > 30d EXCLUDE #Ordered' (see docs/QUERIES.md)"
    f = sub.add_parser("find", help="customers matching a query (the whole book)")
    f.add_argument("query", help=query_help)
    out = f.add_mutually_exclusive_group()
    out.add_argument("--count", action="store_true", help="print only how many match")
    out.add_argument("--json", action="store_true", help="a JSON list of objects")

    t = sub.add_parser("tag", help="add and remove tags on everyone a query matches, as one batch (one undo)")
    t.add_argument("query", help=query_help)
    t.add_argument("--add", action="append", default=[], metavar="TAG")
    t.add_argument("--remove", action="append", default=[], metavar="TAG")
    t.add_argument("--dry-run", action="store_true", help="say who would change, change nothing")

    e = sub.add_parser("export", help="write customers to CSV (spreadsheet-safe; wtui import reads it back)")
    e.add_argument("query", nargs="?", default="", help=query_help + " (default: everyone)")
    e.add_argument("--columns", metavar="A,B,...", help="which columns, in order (default: all of them)")
    e.add_argument("-o", "--output", required=True, metavar="FILE.csv")
    e.add_argument("--replace", action="store_true", help="write over FILE.csv if it exists")
    e.add_argument("--split", type=_percent, metavar="PCT[,PCT...]",
                   help="test groups: 50 puts 50 %% in A and the rest in B; 10,10 makes A 10 %%, B 10 %% and the rest")
    e.add_argument("--seed", type=int, default=0, help="seed of the A/B split (same seed, same groups)")
    e.add_argument("--broadcast", action="store_true",
                   help="a marketing send list: only customers who consent to marketing messages")
    e.add_argument("--include-no-consent", action="store_true",
                   help="with --broadcast: keep customers who have not consented too (you answer for it)")
    e.add_argument("--name", default="", help="with --broadcast: the send's name in `wtui broadcast list` "
                                              "(default: the file's name)")

    i = sub.add_parser("import", help="import customers from a CSV/TXT file (all or nothing unless --partial)")
    i.add_argument("file", help="UTF-8 or UTF-16 text; comma, semicolon or tab separated; a header row")
    i.add_argument("--encoding", default="", metavar="NAME",
                   help="the file's code page when it is not UTF-8 (Outlook's and Excel's CSV: cp1252, cp1251...)")
    i.add_argument("--default-region", metavar="CC", default="",
                   help="region of numbers without +country code, e.g. BR")
    i.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                   help="which column holds a field (phone, tags, name, notes, source, owner, consent)")
    i.add_argument("--create-tags", action="store_true", help="create unknown tags (admins only)")
    i.add_argument("--replace-tags", action="store_true", help="a customer's tags become the file's (default: add)")
    i.add_argument("--partial", action="store_true", help="import the good rows even when others fail")
    i.add_argument("--dry-run", action="store_true", help="report what would happen, write nothing")
    i.add_argument("--errors", metavar="FILE.csv", help="write the rejected rows here, with an error column")
    i.add_argument("--json", action="store_true", help="the report as one JSON object")

    o = sub.add_parser("import-orders", help="record a shop's orders (CSV) as purchases: one batch, one undo; "
                                             "orders already in the book are skipped")
    o.add_argument("file", help="a header row; columns for the customer (number or uid), amount and date, and "
                                "optionally order id, currency and product")
    o.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                   help="which column holds a field (order, customer, phone, amount, currency, product, date)")
    o.add_argument("--encoding", default="", metavar="NAME",
                   help="the file's code page when it is not UTF-8 (Excel's CSV: cp1252, cp1251...)")
    o.add_argument("--dates", choices=("dmy", "mdy", "ymd"), default="",
                   help="how dates like 03/04/2026 are written (default: what the file's dates tell)")
    o.add_argument("--default-region", metavar="CC", default="", help="region of numbers without +country code")
    o.add_argument("--partial", action="store_true", help="record the good rows even when others fail")
    o.add_argument("--dry-run", action="store_true", help="report what would happen, write nothing")
    o.add_argument("--errors", metavar="FILE.csv", help="write the rejected rows here, with an error column")
    o.add_argument("--json", action="store_true", help="the report as one JSON object")

    c = sub.add_parser("import-chat", help="record a WhatsApp chat export (.txt or .zip) as interactions")
    c.add_argument("file")
    c.add_argument("--phone", metavar="+E164", help="whose chat it is (added to the book if new)")
    c.add_argument("--me", action="append", default=[], metavar="NAME", help="how you appear in the chat (repeatable)")
    c.add_argument("--json", action="store_true", help="the report as one JSON object")
    c.add_argument("--dry-run", action="store_true", help="say what would be recorded, write nothing")

    g = sub.add_parser("ingest", help="record a WhatsApp Cloud API webhook payload (JSON)")
    g.add_argument("file", help="the payload as delivered ('-' reads standard input)")
    g.add_argument("--signature", metavar="HEADER",
                   help="the X-Hub-Signature-256 header (needed when an app secret is set)")
    g.add_argument("--json", action="store_true", help="the report as one JSON object")
    g.add_argument("--dry-run", action="store_true", help="say what would be recorded, write nothing")

    r = sub.add_parser("rules", help="automation rules: check, preview, apply")
    r.add_argument("action", choices=("check", "run", "init"),
                   help="check: validate; run: apply (--dry-run: preview); init: write the shipped rules to rules.path")
    r.add_argument("--dry-run", action="store_true", help="with run: show what would change, change nothing")
    r.add_argument("--file", metavar="PATH", help="a rules file other than the configured one")
    r.add_argument("--json", action="store_true", help="the report (check: the rules) as one JSON object")
    r.add_argument("--events", action="store_true",
                   help="with run: the event rules only (on = ...): what a cron line every few minutes runs")

    y = sub.add_parser("sync", help="exchange changes both ways with another book file (a laptop copy and the "
                                    "team file), or with the team server (--remote)")
    y.add_argument("--with", dest="other", metavar="OTHER.db", help="the other book file")
    y.add_argument("--json", action="store_true", help="what moved, as one JSON object")

    cp = sub.add_parser("compact", help="drop from the op log what every peer heard from lately holds and is older "
                                        "than sync.log_keep_days (a team server does it daily)")
    cp.add_argument("--dry-run", action="store_true", help="say what would be dropped; write nothing")
    cp.add_argument("--json", action="store_true", help="the result as one JSON object")

    cli_customer.add_parsers(sub)
    cli_team.add_parsers(sub)
    sub.add_parser("login", help="keep your team server token (wtui --remote URL login): asks for it, checks it "
                                 "with the server, keeps it in the OS keyring or a file only you can read")

    v = sub.add_parser("serve", help="the team server: replicas sync with it over HTTP (docs/DEPLOY.md)")
    v.add_argument("--host", help="address to listen on (default: server.host, 127.0.0.1)")
    v.add_argument("--port", type=_positive, help="port (default: server.port, 8765)")
    vs = v.add_subparsers(dest="serve_action", metavar="ACTION")
    au = vs.add_parser("add-user", help="a user of the server; prints their token once")
    au.add_argument("name")
    au.add_argument("--role", choices=["rep", "admin"], default="rep",
                    help="admins may also create and change tags and the team's settings")
    vs.add_parser("list-users", help="users, roles, and who is revoked")
    rv = vs.add_parser("revoke", help="a user's token stops working at once")
    rv.add_argument("name")

    k = sub.add_parser("clone", help="start a replica: a consistent copy of a book with an identity of its own "
                                     "(never copy a book with cp)")
    k.add_argument("book", help="the book to copy")
    k.add_argument("copy", help="the new file (must not exist)")
    return p


def _add_globals(p: argparse.ArgumentParser) -> None:
    """The options before any command (the app's own)."""
    p.add_argument("--version", action="version", version=f"wtui {__version__}")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--db", metavar="PATH", help="open this book file (for example the team's shared book)")
    where.add_argument("--demo", action="store_true",
                       help="use a fresh throwaway demo book; your own book is not touched")
    where.add_argument("--remote", metavar="URL",
                       help="work on a local replica of the team server's book (wtui serve), synced before and after "
                            "(default: sync.remote in config)")
    p.add_argument("--config", metavar="PATH", help="read this config file last (overrides every other layer)")
    p.add_argument("--theme", metavar="NAME", help="colour theme for the app (see themes/)")
    p.add_argument("--now", metavar="ISO",
                   help="pretend it is this instant, e.g. 2026-11-23T08:00:00Z (for trying rules)")


class _NotTheApp(Exception):
    pass


class _AppParser(argparse.ArgumentParser):
    """The app's options alone. Building every command's parser costs ~10 ms (argparse looks up a
    translation of each help text it adds, on disk); opening the app needs none of them. Anything
    else (a command, -h, an error) goes to the whole parser, which says it as ever."""

    def __init__(self) -> None:
        super().__init__(prog="wtui", add_help=False, allow_abbrev=False)
        _add_globals(self)
        self.set_defaults(command=None)

    def error(self, message: str):  # type: ignore[override]
        raise _NotTheApp


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    try:
        args, rest = _AppParser().parse_known_args(argv)
        if not rest:
            return args
    except _NotTheApp:
        pass
    return build_parser().parse_args(argv)


def _percent(text: str) -> tuple[int, ...]:
    from wtui.io.export import parse_split

    try:
        return parse_split(text)
    except BadInput as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return n


def _now(args: argparse.Namespace) -> datetime:
    if not args.now:
        return datetime.now(timezone.utc)
    try:
        t = datetime.fromisoformat(args.now)
        t = (t if t.tzinfo else t.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    except (ValueError, OverflowError):
        raise BadInput(f"--now {args.now!r}: not an ISO time like 2026-11-23T08:00:00Z") from None
    if not _EARLIEST <= t.year <= _LATEST:
        # Due times, windows and the clock's stamps are computed years either side of now.
        raise BadInput(f"--now {args.now!r}: pick an instant between {_EARLIEST} and {_LATEST}")
    return t


_EARLIEST, _LATEST = 2000, 9000  # what --now may pretend: dates far enough from the ends of the calendar


def _clock(args: argparse.Namespace):
    if args.now:
        pinned = _now(args)

        def pretend() -> datetime:
            return pinned

        pretend.pretend = True  # type: ignore[attr-defined]  # Book.pretending: no day's record stored
        return pretend
    return lambda: datetime.now(timezone.utc)


def say(*lines: str, file=None) -> None:
    """Print lines that may carry outside text (names, messages, paths, payload fields): every control,
    escape and bidi character shown as a visible mark, never sent to the terminal."""
    from wtui.core.text import visible

    for text in lines:
        for line in str(text).split("\n"):
            print(visible(line), file=file or sys.stdout)


def default_book_path(cfg) -> Path:
    from wtui.core.config import user_data_dir

    return Path(cfg.book.path).expanduser() if cfg.book.path else user_data_dir() / "book.db"


@contextmanager
def _exits_on_hangup() -> Iterator[None]:
    """A closed terminal (an SSH session dropped: SIGHUP) or a kill (SIGTERM) ends the process as an exit,
    so what a ``with`` made is removed (the throwaway demo book was left in /tmp)."""
    import signal
    import threading

    def leave(signum, _frame) -> None:
        raise SystemExit(128 + signum)

    if threading.current_thread() is not threading.main_thread():  # only the main thread sets handlers
        yield
        return
    signals = [getattr(signal, name) for name in ("SIGHUP", "SIGTERM") if hasattr(signal, name)]  # Windows: no HUP
    # Not one the process was told to ignore (nohup wtui --demo), nor one set outside Python (None).
    was = {sig: signal.getsignal(sig) for sig in signals}
    mine = [sig for sig in signals if was[sig] not in (signal.SIG_IGN, None)]
    for sig in mine:
        signal.signal(sig, leave)
    try:
        yield
    finally:
        for sig in mine:
            signal.signal(sig, was[sig])


@contextmanager
def open_book(args: argparse.Namespace, cfg, *, recompute: bool = True, create: bool = False,
              dry_run: bool = False, keep_new: bool = False) -> Iterator:
    """The book this invocation works on: --db, a throwaway demo, or the configured one. ``recompute``
    False: a whole-book recompute that is due is left to the app (it does it in a worker). ``create``:
    the configured book is started when it is not there yet (the app's first run, an import); any other
    command refuses, saying where it looked, rather than answer from an empty book it just made. With
    ``dry_run`` too, a book not there yet is not started: the rehearsal runs on an empty throwaway one."""
    from wtui.book.book import Book

    clock = _clock(args)
    if args.demo:
        import tempfile

        from wtui.book.demo import make_demo
        from wtui.book.generate import OWNERS
        from wtui.core.config import user_cache_dir

        # The demo's rep is one of its owners (ana, unless rep.name says otherwise), so "my queue" has
        # customers in it; they are the demo book's admin too.
        me = cfg.rep.name or OWNERS[0]
        with _exits_on_hangup(), tempfile.TemporaryDirectory(prefix="wtui-demo-") as tmp:
            path = Path(tmp) / "demo.db"
            make_demo(path, cfg, now=clock(), admins=[me], cache=user_cache_dir())
            with Book.open(path, cfg, clock=clock, actor=me) as b:
                yield b
        return
    remote = _remote_url(args, cfg)
    if remote:
        yield from _remote_book(remote, args, cfg, clock)
        return
    if args.db:
        path = Path(args.db)
        create = create and not path.exists()
        if path.is_dir():
            raise BookError(f"{path} is a directory, not a book file")
        if path.is_file() and path.stat().st_size == 0:
            # An empty file (a `touch`, a failed copy) is not silently made into a book.
            raise BookError(f"{path} is empty (0 bytes): not a wtui book. Remove it, then start a book there with "
                            f"`wtui --db {path} import contacts.csv`, or open the book you meant")
    else:
        path = default_book_path(cfg)
    if create and dry_run and not path.exists():
        import tempfile

        say(f"wtui: no book at {path} yet: the dry run checks against an empty one", file=sys.stderr)
        with tempfile.TemporaryDirectory(prefix="wtui-dry-run-") as tmp, \
                Book.open(Path(tmp) / "book.db", cfg, clock=clock, create=True) as b:
            yield b
        return
    if not args.db:
        if create:  # a rep's first run starts an empty book at the default place
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        elif not path.exists():
            raise BookError(f"no book at {path} (where book.path in the config, or else the default place, puts it; "
                            "`wtui locate` lists where wtui looks). Start it with `wtui import contacts.csv` or by "
                            "opening the app (`wtui`), name another with --db FILE, or try wtui --demo")
    new = create and not path.exists()
    try:
        with Book.open(path, cfg, clock=clock, create=create, recomputing=_recomputing(),
                       recompute=recompute) as b:
            yield b
    except Exception:
        if new:  # a book this command started, for a write that failed: not left behind empty
            _remove_if_unwritten(path)
        raise
    if new and not keep_new:  # nor for an import that wrote nothing (every row refused): the app's first run
        _remove_if_unwritten(path)  # (keep_new) starts an empty book on purpose


def _remove_if_unwritten(path: Path) -> None:
    """Remove a book no one has written to (its log empty): one another process started writing to at the
    same path in the meantime is left alone."""
    from wtui.book import db

    try:
        conn = db.connect(path)
    except WtuiError:
        return
    try:
        with db.write(conn, 1.0):  # under the write lock: no one adds a first op between the look and the unlink
            made = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'ops'").fetchone()
            if made and conn.execute("SELECT 1 FROM ops LIMIT 1").fetchone():
                return  # (no ops table: it failed while being made)
            for leftover in db.with_sidecars(path):
                leftover.unlink(missing_ok=True)
    except (WtuiError, db.sqlite3.Error):
        return
    finally:
        conn.close()


def _recomputing():
    """What a long first open says on standard error: every verdict recomputed after a change of wtui
    or of the team's settings (~30 s on a 100k book)."""
    if not sys.stderr.isatty():
        return None
    from wtui.book import derive

    said = []

    def progress(done: int, total: int) -> None:
        if total <= derive.ALL_CHUNK:  # one chunk: over before it is worth saying
            return
        if not said:
            said.append(True)
            print("wtui: wtui or the team's settings changed: every customer's colour is recomputed once",
                  file=sys.stderr)
        print(f"\r  {done:,} of {total:,} customers", end="\n" if done == total else "", file=sys.stderr,
              flush=True)
    return progress


def replica_path(url: str) -> Path:
    """Where this user's replica of a team server's book lives (one file a server)."""
    import re

    from wtui.core.config import user_data_dir

    return user_data_dir() / "replicas" / (re.sub(r"[^0-9A-Za-z.-]+", "_", url.split("://", 1)[-1]).strip("_") + ".db")


def token_path() -> Path:
    from wtui.core.config import user_config_dir

    return user_config_dir() / "token"


def _remote_url(args: argparse.Namespace, cfg) -> str:
    """The team server, written one way (no trailing /): it keys the replica, the token and the peer row."""
    return (getattr(args, "remote", None) or (cfg.sync.remote if not (args.db or args.demo) else "")).rstrip("/")


def _replica(url: str, cfg, server, *, required: bool) -> tuple[Path, str]:
    """The replica of ``url``'s book and who this user is there: asked of the server (then the replica is
    made from a snapshot the first time), else (``server`` None: offline) read from the note kept beside
    the replica. ``required``: without a server, a replica must already exist."""
    import json

    path = replica_path(url)
    about = path.with_suffix(".json")  # the server and who this user is there, for offline runs
    if server is None:
        me = json.loads(about.read_text("utf-8"))["user"] if about.is_file() and path.is_file() else None
        if me is None and required:
            from wtui.io.remote import Offline

            raise Offline(f"{url} cannot be reached and this machine has no replica of its book yet: "
                          "the first run needs the server")
        return path, me
    me = server.me()["name"]
    if not path.is_file():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        server.snapshot(path)
        say(f"made a replica of {url} in {path}", file=sys.stderr)
    about.write_text(json.dumps({"url": url, "user": me}), "utf-8")
    return path, me


def _remote_book(url: str, args: argparse.Namespace, cfg, clock) -> Iterator:
    """The local replica of a team server's book, synced before the command (so it sees teammates'
    edits) and after it (so its own go up). Offline, the command works on the replica and its changes
    wait for the next sync."""
    from wtui.book.book import Book
    from wtui.io import remote as rem

    token = rem.read_token(token_path(), url)
    with rem.Remote(url, token, timeout=cfg.sync.timeout_seconds, retries=0) as server:
        try:
            path, me = _replica(url, cfg, server, required=True)
            server.retries = cfg.sync.retries
        except rem.Offline:
            path, me = _replica(url, cfg, None, required=True)
            server = None
            say(f"offline: {url} cannot be reached; working on the replica ({path})", file=sys.stderr)
        if server is not None:
            args.sync_report = _synced(url, path, cfg, clock, me, server)
        with Book.open(path, cfg, clock=clock, actor=me, recomputing=_recomputing()) as book:
            yield book
            if server is not None:
                after = rem.sync(book, server, batch=cfg.sync.batch_ops)
                args.sync_report.sent += after.sent
                args.sync_report.received += after.received


def _synced(url: str, path: Path, cfg, clock, me: str, server):
    """Sync the replica before a command; one away longer than the server keeps its log is made again."""
    from wtui.book.book import Book
    from wtui.io import remote as rem

    with Book.open(path, cfg, clock=clock, actor=me, recomputing=_recomputing()) as book:
        try:
            return rem.sync(book, server, batch=cfg.sync.batch_ops)
        except rem.Away as exc:
            away = exc
    _made_again(url, path, server, away.sent)
    with Book.open(path, cfg, clock=clock, actor=me) as book:
        report = rem.sync(book, server, batch=cfg.sync.batch_ops)
    report.sent += away.sent
    return report


def _made_again(url: str, path: Path, server, sent: int) -> None:
    """A replica away longer than the server keeps its log (its own changes went up first): set aside, and
    made again from a snapshot. The old file stays, in case a change the server refused is in it."""
    aside = path.with_name(f"{path.stem}.away-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}.db")
    for end in ("-wal", "-shm", "-journal"):  # a journal or WAL belongs with its book: moved along, never left
        side = path.with_name(path.name + end)
        if side.exists():
            side.replace(aside.with_name(aside.name + end))
    path.replace(aside)
    server.snapshot(path)
    say(f"{url}: this replica was away longer than the server keeps its log: your {sent:,} change(s) went up "
        f"first, and a fresh copy was made ({aside} keeps the old one)", file=sys.stderr)


def _app_on_replica(url: str, args: argparse.Namespace, cfg) -> int:
    """The app on a team server's replica: it paints from the replica at once (asking the server
    nothing first, once the replica exists) and syncs in the background while the rep works."""
    from wtui.book.book import Book
    from wtui.book.reads import rep_zone
    from wtui.io import remote as rem
    from wtui.io.sync_loop import Syncer
    from wtui.tui.app import run

    clock = _clock(args)
    token = rem.read_token(token_path(), url)
    path, me = _replica(url, cfg, None, required=False)
    if me is None:  # the first run on this machine: the replica is made from the server's book
        with rem.Remote(url, token, timeout=cfg.sync.timeout_seconds, retries=cfg.sync.retries) as server:
            path, me = _replica(url, cfg, server, required=True)
    with Book.open(path, cfg, clock=clock, actor=me, recompute=False) as book:  # the app's worker recomputes
        syncer = Syncer(path, cfg, url, token, actor=me, clock=clock,
                        token_source=lambda: rem.read_token(token_path(), url))
        code = run(book, theme=args.theme, syncer=syncer)
        state = syncer.stop(cfg.sync.timeout_seconds)
    if state.away:  # made again by the command below, once nothing of this run holds the file open
        say(f"{url}: this replica was away longer than the server keeps its log: `wtui --remote {url} sync` "
            "sends what it still holds and makes a fresh copy", file=sys.stderr)
    if state.pending:
        say(f"{url}: {state.line(rep_zone(cfg))}: your {state.pending:,} change(s) are safe in {path} and go up "
            f"at the next `wtui --remote {url}` (or `wtui --remote {url} sync`)", file=sys.stderr)
    return code


def cmd_queue(args: argparse.Namespace, cfg) -> int:
    from wtui.io.queue_text import print_queue

    limit = min(args.limit, _MOST_ROWS) if args.limit else args.limit  # "at most N": SQLite counts to 2**63
    with open_book(args, cfg) as book:
        q = book.queue(limit=limit, explained=args.json)
        print_queue(q, cfg, as_json=args.json, out=sys.stdout)
    return 0


_MOST_ROWS = 2**62


def cmd_explain(args: argparse.Namespace, cfg) -> int:
    from wtui.core.text import visible

    with open_book(args, cfg) as book:
        card = book.card(book.find(args.customer))
        lines = book.explain(card.uid)
        if args.json:
            from wtui.core.text import json_text

            print(json_text({"uid": card.uid, "name": card.name, "phone": card.phone,
                             "lines": {line.label: line.value for line in lines}}, indent=None))
            return 0
        print(f"{visible(card.name)}  {card.phone}")
        width = max(len(line.label) for line in lines)
        for line in lines:
            print(f"  {line.label:<{width}}  {visible(line.value)}")
    return 0


def link_base(args: argparse.Namespace, cfg, required: bool = True) -> str:
    """Where tracked links are answered: links.base_url, else the team server this wtui syncs with ('' when
    there is none and it is not ``required``)."""
    base = cfg.links.base_url or _remote_url(args, cfg)
    if not base and required:
        raise BadInput("tracked links are answered by the team server: use --remote URL (or set sync.remote), "
                       "or set links.base_url to the server's public address")
    return base


def cmd_login(args: argparse.Namespace, cfg) -> int:
    import getpass

    from wtui.io import remote as rem

    url = _remote_url(args, cfg)
    if not url:
        raise BadInput("login to which server? wtui --remote URL login (or set sync.remote)")
    token = getpass.getpass(f"token for {url}: ") if sys.stdin.isatty() else sys.stdin.readline()
    token = token.strip()
    if not token:
        raise BadInput("no token given: nothing kept")
    with rem.Remote(url, token, timeout=cfg.sync.timeout_seconds, retries=cfg.sync.retries) as server:
        try:
            me = server.me()  # a wrong token is refused here (401), before it is kept anywhere
        except rem.Offline:
            raise rem.Offline(f"{url} cannot be reached: the token was not checked and is not kept; run login "
                              "again when the server is up") from None
    where = rem.keep_token(token_path(), url, token)
    say(f"signed in to {url} as {me['name']} ({me['role']}); the token is kept in {where}")
    return 0


def cmd_link(args: argparse.Namespace, cfg) -> int:
    from wtui.core.links import short_url
    from wtui.core.text import visible

    base = link_base(args, cfg)
    with open_book(args, cfg) as book:
        uid = book.find(args.customer)
        card = book.card(uid)
        if args.dry_run:
            with book.rehearsal():
                book.create_link(uid, args.url, args.kind)
            say(f"dry run, nothing written: would make a tracked {args.kind} link for {visible(card.name)} to "
                f"{visible(args.url)} on {visible(base)}")
            return 0
        token = book.create_link(uid, args.url, args.kind)
    print(short_url(base, token))
    say(f"a tracked {args.kind} link for {visible(card.name)}: it works once the server has it "
        f"({'sent' if getattr(args, 'sync_report', None) else 'at the next sync'})", file=sys.stderr)
    return 0


def cmd_make_book(args: argparse.Namespace, cfg) -> int:
    from wtui.book.generate import make_book
    from wtui.io.files import check_target

    n = args.customers or cfg.demo.customers
    limits = cfg.limits
    if n > limits.make_book_customers:
        raise BadInput(f"--customers {n:,}: at most {limits.make_book_customers:,} (limits.make_book_customers)")
    if args.interactions > limits.make_book_interactions:
        raise BadInput(f"--interactions {args.interactions:,}: at most {limits.make_book_interactions:,} "
                       "(limits.make_book_interactions)")
    seed = cfg.demo.seed if args.seed is None else args.seed
    if not -(2**63) <= seed < 2**63:
        raise BadInput(f"--seed {seed}: a seed is a 64-bit number")
    out = Path(args.output)
    if out.exists() or out.is_symlink():
        raise BadInput(f"{out} already exists: choose a new path")
    check_target(out, "-o")
    now = _now(args)
    try:
        book = make_book(out, cfg, customers=n, seed=seed, now=now, interactions=args.interactions, admins=args.admin)
    except BaseException:
        # Nothing half-made is left behind (the file did not exist: it is ours to remove).
        from wtui.book.db import with_sidecars

        for leftover in with_sidecars(Path(out)):
            leftover.unlink(missing_ok=True)
        raise
    book.close()
    say(f"wrote {n} customers to {out}")
    return 0


def cmd_locate(args: argparse.Namespace, cfg) -> int:
    from wtui.book.db import journal_mode, world_readable
    from wtui.book.engine import sqlite3
    from wtui.core.config import config_paths

    say("config layers (later wins):", "  defaults      (inside the package)")
    for label, path in config_paths(args.config):  # paths come from $WTUI_CONFIG, --config, $HOME: outside text
        say(f"  {label:<13} {path}  [{'found' if path.exists() else 'absent'}]")
    remote = _remote_url(args, cfg)
    book = Path(args.db) if args.db else replica_path(remote) if remote else default_book_path(cfg)
    if remote:
        say(f"team server: {remote}")
        tokens = token_path()
        say(f"token: {'WTUI_TOKEN' if os.environ.get('WTUI_TOKEN') else tokens}  "
            f"[{'set' if os.environ.get('WTUI_TOKEN') else 'found' if tokens.is_file() else 'absent'}]")
    say(f"{'replica' if remote else 'book'}: {book}  [{'found' if book.exists() else 'absent'}]")
    if world_readable(book):
        say(f"warning: {book} is readable by every user of this machine: chmod o-rwx {book}", file=sys.stderr)
    say(f"sqlite {sqlite3.sqlite_version}: journal mode {journal_mode()}")
    return 0


def cmd_app(args: argparse.Namespace, cfg) -> int:
    import gc

    # Textual and the app's modules live as long as the process: no cyclic garbage worth a collection
    # while they load (~100 collections, ~15 ms), and frozen afterwards so that no full collection
    # rescans them (one cost the first paint ~25 ms).
    gc.disable()
    try:
        from wtui.tui.app import run
    finally:
        gc.freeze()
        gc.enable()

    if _remote_url(args, cfg):
        return _app_on_replica(_remote_url(args, cfg), args, cfg)
    # The app paints first and recomputes in a worker. Its first run starts the rep's book at the default
    # place (a greeting says what next); a --db path must exist: a mistyped one would open an empty book.
    with open_book(args, cfg, recompute=False, create=not args.db, keep_new=True) as book:
        return run(book, theme=args.theme)


def cmd_find(args: argparse.Namespace, cfg) -> int:
    from wtui.core.text import json_text, visible

    with open_book(args, cfg) as book:
        ids = book.select(args.query)
        book.note_use(_query_tags(book, args.query))
        if args.count:
            print(len(ids))
            return 0
        rows = book.rows(ids)
        if args.json:
            sys.stdout.write(json_text(rows) + "\n")
            return 0
        for r in rows:
            print(f"{r['color'] or '-':<7} {visible(r['name'])[:28]:<28} {visible(r['phone']):<16} "
                  f"{visible(', '.join(r['tags']))}")
        print(f"{len(ids)} customer(s)", file=sys.stderr)
    return 0


def _query_tags(book, text: str) -> set[str]:
    """The tags a query names (tag health counts them as used)."""
    from wtui.core.query import tags_in

    return tags_in(book.parse_query(text))


def cmd_tag(args: argparse.Namespace, cfg) -> int:
    if not args.add and not args.remove:
        raise BadInput("say what to do: --add TAG and/or --remove TAG")
    with open_book(args, cfg) as book:
        ids = book.select(args.query)
        book.note_use(_query_tags(book, args.query))
        with (book.rehearsal() if args.dry_run else book.batch("wtui tag")) as batch:
            _, written = book.bulk(ids, add=tuple(args.add), remove=tuple(args.remove), reason="wtui tag")
        verb = "would change" if args.dry_run else "changed"
        print(f"{len(ids)} customer(s) match; {verb} {written} tag(s)" + ("" if args.dry_run else f" (batch {batch})"))
    return 0


def cmd_export(args: argparse.Namespace, cfg) -> int:
    from wtui.io.export import COLUMNS, send_list, write_csv
    from wtui.io.files import check_target

    columns = tuple(c.strip() for c in args.columns.split(",")) if args.columns else COLUMNS
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown:
        raise BadInput(f"--columns: unknown column {unknown[0]!r} (columns: {', '.join(COLUMNS)})")
    check_target(args.output, "-o", access=False, replace=args.replace)  # the open tells the rest
    with open_book(args, cfg) as book:
        ids = book.select(args.query) if args.query.strip() else book.all_ids()
        if args.query.strip():
            book.note_use(_query_tags(book, args.query))  # a send list: the tags it was cut by
        recorded = ""
        if args.broadcast:  # a send batch: statuses and replies are counted against it (wtui broadcast)
            n, left_out, bid = send_list(book, ids, args.output, args.name.strip(), split=args.split,
                                         seed=args.seed, include_no_consent=args.include_no_consent,
                                         columns=columns)
            recorded = (f"; recorded as broadcast {bid} (`wtui broadcast results {bid}`)" if bid else
                        "; not recorded as a broadcast (no one is in it)" if not n else
                        "; not recorded as a broadcast (the book is read-only for you): no results for it")
        else:
            n, left_out = write_csv(book, ids, args.output, split=args.split, seed=args.seed, columns=columns)
    kept = args.broadcast and args.include_no_consent
    say(f"wrote {n} customer(s) to {args.output}"
        + (f"; left out {left_out} without marketing consent" if args.broadcast and not kept else "")
        + ("; customers without marketing consent are in it (--include-no-consent)" if kept else "") + recorded)
    if args.split:
        from wtui.io.export import group_sizes

        sizes = group_sizes(n, args.split, args.seed)  # the same seeded groups the file holds
        say("groups: " + ", ".join(f"{g} {k:,}" for g, k in sizes))
        empty = [g for g, k in sizes if not k]
        if empty:
            which = f"group {empty[0]} has" if len(empty) == 1 else f"groups {', '.join(empty)} have"
            print(f"wtui: warning: {which} no one: {n} customer(s) are too few for --split "
                  f"{','.join(map(str, args.split))}", file=sys.stderr)
    return 0


def cmd_rules(args: argparse.Namespace, cfg) -> int:
    from wtui.book import automation

    with open_book(args, cfg) as book:
        path = Path(args.file) if args.file else automation.rules_path(book)
        if args.action == "init":
            book.require_admin("change the rules")
            if path == automation.shipped_rules_path():
                raise BadInput("set rules.path in the team config first: that is where the rules file goes")
            if path.exists():
                raise BadInput(f"{path} already exists")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(automation.shipped_rules_path().read_text("utf-8"), "utf-8")
            say(f"wrote the shipped rules to {path}")
            return 0
        rules = automation.load(book, path)
        if args.events:
            rules = [rule for rule in rules if rule.on]
        if args.json and args.action == "check":
            from wtui.core.text import json_text

            print(json_text({"file": str(path), "rules": [
                {"name": r.name, "on": r.on, "when": r.when_text, "actions": r.actions(), "new_tags": list(r.new_tags)}
                for r in rules]}, indent=None))
            return 0
        if args.action == "check":
            for rule in rules:
                say(f"ok  {rule.name}: {rule.condition()} -> {rule.actions()}")
            say(f"{len(rules)} rule(s) in {path}")
            new = [t for rule in rules for t in rule.new_tags]
            if new:
                say(f"the first run creates the tags the book lacks: {', '.join(new)} (an admin's run)")
            return 0
        report = book.run_rules(rules, dry_run=args.dry_run)
        if not args.dry_run:
            book.snapshot()  # a scheduled rules run is often the day's first process: the signals' day
        if args.json:
            from dataclasses import asdict

            from wtui.core.text import json_text

            print(json_text({"dry_run": report.dry_run, "batch": report.batch, "changed": report.changed,
                             "new_tags": report.new_tags, "rules": [asdict(r) for r in report.summary(book, 20)]},
                            indent=None))
            return 0
        print_rules_report(book, report)
    return 0


def _mapping(items: list[str]) -> dict[str, str]:
    mapping = {}
    for item in items:
        fld, sep, col = item.partition("=")
        if not sep:
            raise BadInput(f"--map {item}: write FIELD=COLUMN, e.g. --map phone=Telefone")
        mapping[fld.strip().lower()] = col.strip()
    return mapping


def _bar(label: str):
    """A progress bar on standard error (when it is a terminal) for a long file."""
    show = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if show and total > 1000:
            width = 30
            filled = width * done // total
            print(f"\r  {label} [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} rows", end="",
                  file=sys.stderr)
            if done == total:
                print(file=sys.stderr)
    return progress


def _rejected(args: argparse.Namespace, checked, report) -> int:
    """Say how an import went (customers or orders), write the rejected rows when asked; the exit code."""
    from wtui.io import csv_import

    if args.errors and report.failed:
        csv_import.write_errors(checked, args.errors, report.failed)
    if args.json:
        from wtui.core.text import json_text

        print(json_text({**report.as_json(), "errors_file": args.errors if report.failed else None}))
    else:
        say(*report.lines())
    if args.errors and report.failed and not args.json:
        say(f"the {len(report.failed)} rejected row(s) are in {args.errors}, with an error column")
    return 2 if report.failed and not report.applied and not args.dry_run else 0


def cmd_import(args: argparse.Namespace, cfg) -> int:
    from wtui.io import csv_import

    mapping = _mapping(args.map)
    if args.errors:
        from wtui.io.files import check_target

        check_target(args.errors, "--errors")  # before the import writes anything, not after
    with open_book(args, cfg, create=True, dry_run=args.dry_run) as book:
        checked = csv_import.read_and_check(book, args.file, mapping=mapping, default_region=args.default_region,
                                            create_tags=args.create_tags, progress=_bar("checking"),
                                            encoding=args.encoding)
        counting = csv_import.will_rehearse(checked, partial=args.partial, dry_run=args.dry_run)
        report = csv_import.apply(book, checked, partial=args.partial, dry_run=args.dry_run,
                                  replace_tags=args.replace_tags, progress=_bar("counting" if counting else "writing "))
    return _rejected(args, checked, report)


def cmd_import_orders(args: argparse.Namespace, cfg) -> int:
    from wtui.io import orders_import
    from wtui.io.files import check_target

    mapping = _mapping(args.map)
    if args.errors:
        check_target(args.errors, "--errors")
    with open_book(args, cfg, create=True, dry_run=args.dry_run) as book:
        checked = orders_import.read_and_check(book, args.file, mapping=mapping, dates=args.dates,
                                               default_region=args.default_region, progress=_bar("checking"),
                                               encoding=args.encoding)
        report = orders_import.apply(book, checked, partial=args.partial, dry_run=args.dry_run,
                                     progress=_bar("writing "))
    return _rejected(args, checked, report)


def cmd_import_chat(args: argparse.Namespace, cfg) -> int:
    from wtui.io.chat import import_chat

    with open_book(args, cfg, create=True, dry_run=args.dry_run) as book, _rehearsed(book, args):
        report = import_chat(book, args.file, phone=args.phone, me=args.me)
    _say_report(args, report)
    return 0


def cmd_ingest(args: argparse.Namespace, cfg) -> int:
    from wtui.io.files import read_capped, read_stream
    from wtui.io.webhook import ingest

    cap, setting = int(cfg.limits.webhook_body_kb * 1024), "limits.webhook_body_kb"
    if args.file == "-":
        raw = read_stream(sys.stdin.buffer, cap, "the payload on standard input", setting)
    else:
        raw = read_capped(args.file, cap, setting)
    with open_book(args, cfg, create=True, dry_run=args.dry_run) as book, _rehearsed(book, args):
        report = ingest(book, raw, args.signature)
    _say_report(args, report)
    if report.rejected:  # the rest is recorded; exit 2 so a hook or cron run notices
        rest = "the rest would be recorded" if args.dry_run else "the rest is recorded"
        say(f"wtui: {len(report.rejected)} rejected ({rest}):",
            *(f"  {r}" for r in report.rejected), file=sys.stderr)
        return 2
    return 0


def print_rules_report(book, report) -> None:
    from wtui.core.text import counted, visible

    verb = "would change" if report.dry_run else "changed"
    if report.new_tags:
        say(f"{'would create' if report.dry_run else 'created'} tag(s) the rules name: "
            f"{visible(', '.join(report.new_tags))}")
    for rule in report.summary(book, samples=20):
        say(f"{rule.name}: {counted(rule.matched, 'match', 'matches')}, {verb} {rule.changed:,}")
        for sample in rule.samples:
            print(f"   {visible(sample.name)}  {visible(sample.phone)}: {visible(', '.join(sample.changes))}")
        if rule.more:
            print(f"   … and {rule.more} more")
    undo = f"; one batch: wtui undo {report.batch}" if report.batch and not report.dry_run and report.changed else ""
    print(f"{'dry run: nothing written' if report.dry_run else 'applied'}; {report.changed} change(s) in all{undo}")


def cmd_sync(args: argparse.Namespace, cfg) -> int:
    from wtui.book.book import Book

    if not args.other:
        if not (args.remote or cfg.sync.remote) or args.db:
            raise BadInput("sync needs --with OTHER.db, or a team server: wtui --remote URL sync")
        with open_book(args, cfg) as book:
            waiting = book.waiting()
        report = getattr(args, "sync_report", None)
        if args.json:
            _json({"server": args.remote or cfg.sync.remote, "offline": report is None,
                   "received": report.received if report else 0, "sent": report.sent if report else 0,
                   "pending": report.pending if report else None, "waiting_here": waiting})
            return 0 if report else 3
        say(f"{args.remote or cfg.sync.remote}: " + (report.line() if report else "offline, nothing moved")
            + (f"; {waiting} wait for what they refer to" if waiting else ""))
        return 0 if report else 3
    other_path = Path(args.other)
    if not other_path.is_file():
        raise BadInput(f"--with {other_path}: no such book file")
    with open_book(args, cfg) as book, Book.open(other_path, cfg, clock=_clock(args), actor=book.actor) as other:
        if other.path.resolve() == book.path.resolve():
            raise BadInput(f"--with {other_path} is this book itself")
        sent, received = book.sync_with(other)
        waiting = [b.waiting() for b in (book, other)]
    if args.json:
        _json({"sent": sent, "received": received, "waiting_here": waiting[0], "waiting_there": waiting[1]})
        return 0
    say(f"sent {sent} change(s) to {other_path}, received {received}"
        + (f"; {waiting[0]} here and {waiting[1]} there wait for what they refer to" if any(waiting) else ""))
    return 0


def _rehearsed(book, args: argparse.Namespace):
    """The writes of a command with --dry-run: rolled back when asked (``Book.rehearsal``)."""
    return book.rehearsal() if args.dry_run else contextlib.nullcontext()


def _say_report(args: argparse.Namespace, report) -> None:
    """A command's report: its lines, or with --json one object; a dry run says nothing was written."""
    if args.json:
        _json(vars(report))
        return
    if args.dry_run:
        say("dry run, nothing written:")
    say(*report.lines())


def _json(obj) -> None:
    from wtui.core.text import json_text

    print(json_text(obj))


def cmd_compact(args: argparse.Namespace, cfg) -> int:
    with open_book(args, cfg) as book, _rehearsed(book, args):
        done = book.compact()
    through = f"{done.through:%Y-%m-%d %H:%M} UTC" if done.through else None
    if args.json:
        _json({"dropped": done.dropped, "left": done.left, "through": through, "dry_run": args.dry_run,
               "waited_for": done.waited_for, "not_waited_for": done.not_waited_for})
        return 0
    verb = "would drop" if args.dry_run else "dropped"
    say(f"{verb} {done.dropped:,} op(s) older than {cfg.sync.log_keep_days:g} days that every peer heard from in "
        f"{cfg.sync.peer_wait_days:g} days holds; {done.left:,} left"
        + (f"; the change log now starts after {through}" if through else ""))
    if done.waited_for:
        say("waited for: " + ", ".join(done.waited_for))
    if done.not_waited_for:
        say("not heard from in " + f"{cfg.sync.peer_wait_days:g} days (they start again from a fresh copy when "
            "they come back; their own changes go up first): " + ", ".join(done.not_waited_for))
    if args.dry_run:
        say("dry run, nothing written")
    return 0


def cmd_clone(args: argparse.Namespace, cfg) -> int:
    from wtui.book.book import Book

    with Book.open(Path(args.book), cfg, readonly=True) as book:
        target = book.clone(args.copy)
    say(f"cloned {args.book} to {target}: a replica of its own; `wtui --db {target} sync --with {args.book}` "
        "brings the two together")
    return 0


def cmd_serve(args: argparse.Namespace, cfg) -> int:
    from wtui.book.book import Book

    path = Path(args.db) if args.db else default_book_path(cfg)
    if args.serve_action == "add-user":
        with Book.open(path, cfg, create=True) as book:
            token = book.add_user(args.name, args.role)
        say(f"{args.name} ({args.role}) may use {path} through wtui serve. Their token, shown this once:")
        print(token)
        say("Give it to them privately; on their own account they run `wtui --remote https://SERVER login` "
            "and paste it (it is kept in the OS keyring, or in ~/.config/wtui/token, mode 600).")
        return 0
    if args.serve_action in ("list-users", "revoke"):
        with Book.open(path, cfg) as book:
            if args.serve_action == "revoke":
                book.revoke_user(args.name)
                say(f"{args.name}'s token no longer works")
                return 0
            for u in book.list_users():
                print(f"{u.name:<24} {u.role:<6} since {u.created_at[:10]}"
                      + (f"  revoked {u.revoked_at[:10]}" if u.revoked_at else ""))
        return 0
    if not path.is_file():
        raise BadInput(f"{path}: no book to serve (make one with `wtui serve add-user NAME --role admin --db {path}`,"
                       " or import into it)")
    from wtui.server.run import serve

    return serve(path, cfg, host=args.host or cfg.server.host, port=args.port or cfg.server.port)


COMMANDS = {"queue": cmd_queue, "explain": cmd_explain, "find": cmd_find, "tag": cmd_tag, "export": cmd_export,
            "rules": cmd_rules, "import": cmd_import, "import-orders": cmd_import_orders,
            "ingest": cmd_ingest,
            "import-chat": cmd_import_chat, "make-book": cmd_make_book, "locate": cmd_locate, "sync": cmd_sync,
            "compact": cmd_compact, "clone": cmd_clone, "serve": cmd_serve, "link": cmd_link, "login": cmd_login,
            None: cmd_app, **cli_customer.commands(open_book, link_base, say), **cli_team.commands(open_book, say)}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        from wtui.core import config

        cfg = config.load(args.config)
        return COMMANDS[args.command](args, cfg)
    except WtuiError as exc:
        say(f"wtui: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `wtui queue | head`: the reader left; say nothing more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def run() -> None:
    sys.exit(main())
