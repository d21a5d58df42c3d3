"""Normalising a file's phone column, on every core when the file is long.

Validation is most of an import's work (phonenumbers does about 20k numbers a
second on one core here, see ../shared/MEASURED.md), and each number is
independent of the others: a long file's numbers go to worker processes in
chunks while the caller goes on checking the rest of each row. Results come
back in file order, so a report reads the same whichever way they were made.

Workers are started with "spawn": the caller may be the app's import thread,
and forking a process that runs threads is unsafe. They are started before
the file is parsed, so their start-up (~0.3 s) overlaps it. Where processes
cannot be started, the numbers are normalised here, one after another. A
worker whose parent is gone (killed mid-import) exits within ``WATCH_SECONDS``.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor

from wtui.core import phone as phones
from wtui.errors import PhoneError

WATCH_SECONDS = 0.5  # how often a worker looks whether the process that started it is still there
CHUNK = 5000  # numbers per task: large enough that pickling is noise, small enough to spread over the workers

# What a worker sends back per number: (e164, region, zones), or (raw, reason) for a failure.
# Plain tuples pickle ~6x faster than dataclasses, and an exception may not pickle at all.
Result = tuple[str, str, tuple[str, ...], bool] | tuple[str, str]


def workers_for(rows: int, setting: int, parallel_rows: int) -> int:
    """How many worker processes ``rows`` numbers get (0: none, do it here).

    ``setting`` is ``imports.workers`` (0 means one per core); fewer rows than
    ``parallel_rows`` are not worth starting processes for.
    """
    wanted = setting or os.cpu_count() or 1
    if rows < parallel_rows or wanted < 2:
        return 0
    return min(wanted, -(-rows // CHUNK))


def _normalize(raws: list[str], region: str, names: dict[str, str]) -> list[Result]:
    out: list[Result] = []
    for raw in raws:
        try:
            p = phones.normalize(raw, region, names)
            out.append((p.e164, p.region, p.zones, p.mobile))
        except PhoneError as exc:
            out.append((exc.raw, exc.reason))
    return out


def _start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker, which inherits stderr's descriptor.

    Inside the app, sys.stderr is Textual's capture, whose ``fileno()`` is -1,
    and the tracker then fails to start ("bad value(s) in fds_to_keep"). It is
    started once per process, so it is started here with the real stderr.
    """
    from multiprocessing import resource_tracker

    try:
        usable = sys.stderr.fileno() >= 0
    except (AttributeError, OSError, ValueError):
        usable = False
    if usable or sys.__stderr__ is None:
        return
    with contextlib.redirect_stderr(sys.__stderr__):
        resource_tracker.ensure_running()


def _warm(parent: int) -> None:
    """A worker's start: it dies with the process that started it, and loads phonenumbers."""
    threading.Thread(target=_watch, args=(parent,), daemon=True).start()
    phones.normalize("+14155550100")  # loads phonenumbers and switches its pattern cache on


def _watch(parent: int) -> None:
    # A parent killed with -9 cannot stop its workers; they would live on, re-parented to init.
    while os.getppid() == parent:
        time.sleep(WATCH_SECONDS)
    os._exit(1)


class Normalizer:
    """Phone numbers to E.164 for one import, in this process or on ``workers`` others."""

    def __init__(self, region: str, names: dict[str, str], workers: int = 0) -> None:
        self.region, self.names = region, names
        self._pool: Executor | None = None
        if workers >= 2:
            try:
                _start_resource_tracker()
                self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=_warm, initargs=(os.getpid(),))
                for _ in range(workers):  # a process starts with its first task: start them all now
                    self._pool.submit(int)
            except Exception:  # noqa: BLE001 - whatever stops processes here, the numbers are done in-process
                self.close()

    def normalize(self, raws: list[str]) -> Iterator[phones.Phone | PhoneError]:
        """Each raw number as a Phone, or the PhoneError saying why not, in order."""
        chunks = [raws[i:i + CHUNK] for i in range(0, len(raws), CHUNK)]
        done = 0
        if self._pool is not None:
            n = len(chunks)
            try:
                for part in self._pool.map(_normalize, chunks, [self.region] * n, [self.names] * n):
                    yield from map(_result, part)
                    done += 1
            except Exception:  # noqa: BLE001 - the rest is done here (a real bug in _normalize raises here too)
                self.close()
        for chunk in chunks[done:]:
            yield from map(_result, _normalize(chunk, self.region, self.names))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> "Normalizer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _result(r: Result) -> phones.Phone | PhoneError:
    return phones.Phone(*r) if len(r) == 4 else PhoneError(*r)
