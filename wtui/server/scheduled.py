"""The automation rules, run by the team server at the team's times (``server.rules_at``): once for the
team, logged as ``wtui-rules``, instead of once per rep per open. The last run's time is kept beside the
book (``<book>.rules-ran``), so a restart neither repeats a run nor forgets one it missed."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from wtui.book.book import Book
from wtui.core import schedule
from wtui.core.config import Config
from wtui.errors import WtuiError
from wtui.server.host import BookHost

RULES_ACTOR = "wtui-rules"
log = logging.getLogger("wtui.serve")


class RulesSchedule:
    def __init__(self, host: BookHost, cfg: Config, book_path: Path) -> None:
        self.host, self.cfg = host, cfg
        self.times = schedule.parse_times(cfg.server.rules_at)
        self.zone = ZoneInfo(cfg.server.timezone or cfg.rep.timezone or "UTC")
        self.stamp = book_path.parent / (book_path.name + ".rules-ran")

    def last_ran(self) -> datetime | None:
        try:
            return datetime.fromisoformat(self.stamp.read_text("utf-8").strip())
        except (OSError, ValueError):
            return None

    async def run_forever(self) -> None:
        while self.times:
            now = datetime.now(timezone.utc)
            if schedule.missed(self.last_ran(), now, self.times, self.zone):
                try:
                    await self.run_once(now)
                except OSError as exc:  # the stamp beside the book cannot be written: said; no busy loop
                    log.error("rules: cannot note the run in %s (%s): next try in a minute", self.stamp, exc)
                    await asyncio.sleep(60)
                continue
            upcoming = schedule.next_run(now, self.times, self.zone)
            await asyncio.sleep(max(1.0, (upcoming - now).total_seconds()))

    async def run_once(self, now: datetime) -> None:
        try:
            # The stamp is written on the book's thread right after the run: a stop mid-run (the task
            # cancelled while the run finishes there) still records it, so a restart does not repeat it.
            report = await self.host.call(_run_rules, self.stamp, now)
            log.info("rules ran for the team: %d customer(s) changed (batch %s)", report.changed, report.batch)
            self.host.announce()
        except WtuiError as exc:  # a broken rules file: said in the log, tried again at the next time
            log.error("rules not run: %s", exc)
            _stamp(self.stamp, now)
        except Exception:  # noqa: BLE001 - never a silent end of the schedule: logged, tried at the next time
            log.exception("rules not run")
            _stamp(self.stamp, now)


class EventRules:
    """The event rules alone (``on = "purchase"``...), every ``server.event_rules_minutes``: an order is
    tagged within minutes (playbook §8), not at the next of the day's ``rules_at``. Cheap when nothing
    happened: each rule reads the interactions past the last run's mark."""

    def __init__(self, host: BookHost, cfg: Config) -> None:
        self.host, self.every = host, cfg.server.event_rules_minutes * 60

    async def run_forever(self) -> None:
        while self.every > 0:
            await asyncio.sleep(self.every)
            try:
                report = await self.host.call(run_event_rules)
            except WtuiError as exc:
                log.error("event rules not run: %s", exc)
                continue
            except Exception:  # noqa: BLE001 - logged; the next turn tries again
                log.exception("event rules not run")
                continue
            if report is not None and report.changed:
                log.info("event rules: %d customer(s) changed (batch %s)", report.changed, report.batch)
                self.host.announce()


class LogCompaction:
    """Once a day (the first a minute after the start), the op log drops what every replica heard from in
    ``sync.peer_wait_days`` holds and is older than ``sync.log_keep_days`` (``Book.compact``): the log of a
    busy team stays bounded, and a snapshot a new replica starts from stays small."""

    FIRST, EVERY = 60.0, 86_400.0

    def __init__(self, host: BookHost) -> None:
        self.host = host

    async def run_forever(self) -> None:
        await asyncio.sleep(self.FIRST)
        while True:
            try:
                done = await self.host.call(Book.compact)
                if done.dropped:
                    log.info("log compaction: %d op(s) dropped, %d left; waited for %d replica(s)",
                             done.dropped, done.left, len(done.waited_for))
            except Exception:  # noqa: BLE001 - logged; tomorrow tries again
                log.exception("log compaction not run")
            await asyncio.sleep(self.EVERY)


def run_event_rules(book: Book):
    """On the book's thread: the rules file's event rules, as the team's (None when it has none)."""
    from wtui.book import automation

    book.snapshot()  # the day's signals snapshot, when the server is the day's first (one lookup otherwise)
    rules = [r for r in automation.load(book) if r.on]
    after, upto = book.event_span()
    if not rules or upto <= after:  # nothing happened: no write lock taken, no mark moved
        return None
    before, book.actor = book.actor, RULES_ACTOR
    try:
        return book.run_rules(rules, as_team=True)
    finally:
        book.actor = before


def _run_rules(book: Book, stamp: Path, now: datetime):
    """On the book's thread: the rules' ops carry their own actor, then the server's is back."""
    before, book.actor = book.actor, RULES_ACTOR
    try:
        report = book.run_rules(as_team=True)
    finally:
        book.actor = before
    _stamp(stamp, now)
    return report


def _stamp(path: Path, now: datetime) -> None:
    part = path.with_name(path.name + ".part")
    part.write_text(now.isoformat(), "utf-8")
    part.replace(path)  # whole or not at all
