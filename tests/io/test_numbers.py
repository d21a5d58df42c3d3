"""A long file's numbers are validated on worker processes, with the same answers in the same order."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from wtui.core.phone import Phone
from wtui.errors import PhoneError
from wtui.io import numbers
from wtui.io.numbers import Normalizer, workers_for

MIXED = ["+971 50 123 4567", "not a number", "+55 11 96123-4567", "", "+1 123 555 0123", "(11) 96123-4567",
         "+886 912 345 678", "+999 1234 5678", "0049 151 23456789"]


def answers(results):
    return [(r.e164, r.region, r.zones) if isinstance(r, Phone) else (r.raw, r.reason) for r in results]


def test_workers_answer_what_this_process_answers_in_file_order(monkeypatch):
    monkeypatch.setattr(numbers, "CHUNK", 7)  # several chunks, spread over both workers
    raws = MIXED * 5
    with Normalizer("BR", {"US": "USA"}) as here:
        expected = answers(here.normalize(raws))
    with Normalizer("BR", {"US": "USA"}, workers=2) as pool:
        assert pool._pool is not None
        got = list(pool.normalize(raws))
    assert answers(got) == expected
    assert any(isinstance(r, PhoneError) for r in got) and any(isinstance(r, Phone) for r in got)
    assert ("+1 123 555 0123", "not a valid number for USA") in expected


def test_without_processes_the_numbers_are_done_here(monkeypatch):
    def refuse(*a, **kw):
        raise OSError("no processes on this host")

    monkeypatch.setattr(numbers, "ProcessPoolExecutor", refuse)
    with Normalizer("", {}, workers=2) as n:
        assert n._pool is None
        assert answers(n.normalize(["+55 11 96123-4567"])) == [("+5511961234567", "BR", ("America/Sao_Paulo",))]


def test_short_files_and_single_cores_get_no_workers(monkeypatch):
    monkeypatch.setattr(numbers.os, "cpu_count", lambda: 4)
    assert workers_for(19_999, 0, 20_000) == 0
    assert workers_for(100_000, 0, 20_000) == 4
    assert workers_for(100_000, 1, 20_000) == 0  # imports.workers = 1: none
    assert workers_for(20_000, 8, 20_000) == 4  # no more workers than chunks


KILLED_MID_IMPORT = """
import os, sys
from wtui.io.numbers import Normalizer
n = Normalizer("BR", {}, workers=2)
raws = ["+5511961234567"] * 200000
for _ in n.normalize(raws[:10]):
    pass
print("ready", flush=True)
while True:  # checking numbers when the kill comes
    for _ in n.normalize(raws):
        pass
"""


def _children(pid: int) -> set[int]:
    found = set()
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as fh:
            found |= {int(c) for c in fh.read().split()}
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[-1][0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="needs Linux /proc to find the workers")
def test_workers_die_with_an_import_killed_mid_check():
    p = subprocess.Popen([sys.executable, "-c", KILLED_MID_IMPORT], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "ready"
        workers = _children(p.pid)
        assert len(workers) >= 2  # the two workers (and multiprocessing's resource tracker)
    finally:
        p.kill()
        p.wait()
    deadline = time.monotonic() + 30  # a deadline for the condition, not a measure of speed
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [w for w in workers if _alive(w)], "worker processes outlived the killed import"
