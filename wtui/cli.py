"""The ``wtui`` command: argument parsing and dispatch.

Each command imports what it needs when it runs, so ``wtui queue`` never loads
Textual, httpx, arrow or sqlite-utils (see docs/ARCHITECTURE.md, "start-up").
This is the outermost layer: the only place that reads the clock.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from wtui import __version__
from wtui.errors import BadInput, WtuiError


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="wtui",
        description="The morning queue for reps who sell over WhatsApp. With no command, opens the app.",
    )
    p.add_argument("--version", action="version", version=f"wtui {__version__}")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--db", metavar="PATH", help="open this book file (for example the team's shared book)")
    where.add_argument("--demo", action="store_true", help="use a fresh throwaway demo book; your own book is not touched")
    p.add_argument("--config", metavar="PATH", help="read this config file last (overrides every other layer)")
    p.add_argument("--theme", metavar="NAME", help="colour theme for the app (see themes/)")
    p.add_argument("--now", metavar="ISO", help="pretend it is this instant, e.g. 2026-11-23T08:00:00Z (for trying rules)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    q = sub.add_parser("queue", help="print today's queue: red, then orange, then yellow")
    q.add_argument("--limit", type=_positive, metavar="N", help="at most N rows (default from config: queue.limit)")
    q.add_argument("--json", action="store_true", help="a JSON list of objects instead of a table")

    x = sub.add_parser("explain", help="why a customer sits where they sit in the queue (like `task info`)")
    x.add_argument("customer", help="their phone number in any form, or their uid")

    m = sub.add_parser("make-book", help="write a synthetic book (the demo, or 10k/100k books for benchmarks)")
    m.add_argument("--customers", type=_positive, metavar="N", help="how many customers (default: demo.customers)")
    m.add_argument("--seed", type=int, metavar="S", help="random seed (default: demo.seed)")
    m.add_argument("--interactions", type=_positive, default=20, metavar="K", help="interactions per customer (about)")
    m.add_argument("--admin", action="append", default=[], metavar="NAME", help="an admin of the new book (repeatable)")
    m.add_argument("-o", "--output", required=True, metavar="PATH", help="where to write the book (must not exist)")

    sub.add_parser("locate", help="print where wtui looks for its config and book, and whether each exists")
    return p


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
    except ValueError:
        raise BadInput(f"--now {args.now!r}: not an ISO time like 2026-11-23T08:00:00Z") from None
    return (t if t.tzinfo else t.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def _clock(args: argparse.Namespace):
    if args.now:
        pinned = _now(args)
        return lambda: pinned
    return lambda: datetime.now(timezone.utc)


def default_book_path(cfg) -> Path:
    from wtui.core.config import user_data_dir

    return Path(cfg.book.path).expanduser() if cfg.book.path else user_data_dir() / "book.db"


@contextmanager
def open_book(args: argparse.Namespace, cfg) -> Iterator:
    """The book this invocation works on: --db, a throwaway demo, or the configured one."""
    from wtui.book.book import Book

    clock = _clock(args)
    if args.demo:
        import tempfile

        from wtui.book.generate import make_book

        with tempfile.TemporaryDirectory(prefix="wtui-demo-") as tmp:
            from wtui.book.book import default_actor

            me = default_actor(cfg)
            book = make_book(Path(tmp) / "demo.db", cfg, customers=cfg.demo.customers, seed=cfg.demo.seed,
                             now=clock(), actor="wtui --demo", admins=[me])
            book.close()
            with Book.open(Path(tmp) / "demo.db", cfg, clock=clock) as b:
                yield b
        return
    if args.db:
        path, create = Path(args.db), False
    else:
        path = default_book_path(cfg)
        create = True  # a rep's first run starts an empty book at the default place
        path.parent.mkdir(parents=True, exist_ok=True)
    with Book.open(path, cfg, clock=clock, create=create) as b:
        yield b


def cmd_queue(args: argparse.Namespace, cfg) -> int:
    from wtui.io.queue_text import print_queue

    with open_book(args, cfg) as book:
        q = book.queue(limit=args.limit, explained=args.json)
        print_queue(q, cfg, as_json=args.json, out=sys.stdout)
    return 0


def cmd_explain(args: argparse.Namespace, cfg) -> int:
    from wtui.core.text import visible

    with open_book(args, cfg) as book:
        uid = book.find(args.customer)
        name, phone = book.conn.execute("SELECT name, phone FROM customers WHERE uid = ?", (uid,)).fetchone()
        print(f"{visible(name)}  {phone}")
        lines = book.explain(uid)
        width = max(len(line.label) for line in lines)
        for line in lines:
            print(f"  {line.label:<{width}}  {visible(line.value)}")
    return 0


def cmd_make_book(args: argparse.Namespace, cfg) -> int:
    from wtui.book.generate import make_book

    n = args.customers or cfg.demo.customers
    seed = cfg.demo.seed if args.seed is None else args.seed
    book = make_book(args.output, cfg, customers=n, seed=seed, now=_now(args), interactions=args.interactions,
                     admins=args.admin)
    book.close()
    print(f"wrote {n} customers to {args.output}")
    return 0


def cmd_locate(args: argparse.Namespace, cfg) -> int:
    import sqlite3

    from wtui.book.db import journal_mode
    from wtui.core.config import config_paths

    print("config layers (later wins):")
    print("  defaults      (inside the package)")
    for label, path in config_paths(args.config):
        print(f"  {label:<13} {path}  [{'found' if path.exists() else 'absent'}]")
    book = Path(args.db) if args.db else default_book_path(cfg)
    print(f"book: {book}  [{'found' if book.exists() else 'absent'}]")
    print(f"sqlite {sqlite3.sqlite_version}: journal mode {journal_mode()}")
    return 0


def cmd_app(args: argparse.Namespace, cfg) -> int:
    from wtui.tui.app import run

    with open_book(args, cfg) as book:
        return run(book, theme=args.theme)


COMMANDS = {"queue": cmd_queue, "explain": cmd_explain, "make-book": cmd_make_book, "locate": cmd_locate, None: cmd_app}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        from wtui.core import config

        cfg = config.load(args.config)
        return COMMANDS[args.command](args, cfg)
    except WtuiError as exc:
        print(f"wtui: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `wtui queue | head`: the reader left; say nothing more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def run() -> None:
    sys.exit(main())
