"""wtui --demo: a copy of today's template, made once, never the rep's own book."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import NOW, D, H
from wtui import cli
from wtui.book import db, generate
from wtui.core.config import user_cache_dir, user_data_dir

AT = db.iso(NOW)


@pytest.fixture
def generated(monkeypatch):
    calls = []
    real = generate.make_book
    monkeypatch.setattr(generate, "make_book", lambda *a, **k: calls.append(k["now"]) or real(*a, **k))
    return calls


def queue(capsys, *args):
    assert cli.main([*args, "--demo", "queue", "--json", "--limit", "40"]) == 0
    return capsys.readouterr().out


def test_two_demo_runs_show_the_same_queue_and_only_the_first_runs_the_generator(generated, capsys):
    first = queue(capsys, "--now", AT)
    assert queue(capsys, "--now", AT) == first
    assert generated == [NOW]
    assert [p.name[:5] for p in user_cache_dir().iterdir()] == ["demo-"]
    assert not (user_data_dir() / "book.db").exists()  # the rep's own book: never made, never touched


def test_later_today_reuses_the_template_and_an_earlier_instant_or_another_day_does_not(generated, capsys):
    queue(capsys, "--now", AT)
    queue(capsys, "--now", db.iso(NOW + 3 * H))
    assert generated == [NOW]
    queue(capsys, "--now", db.iso(NOW - 3 * H))  # before the template's own instant: made fresh, not kept
    queue(capsys, "--now", db.iso(NOW + D))  # tomorrow: a new template, yesterday's removed
    assert generated == [NOW, NOW - 3 * H, NOW + D]
    assert len(list(user_cache_dir().iterdir())) == 1


def test_without_a_usable_cache_the_demo_is_made_in_place(generated, capsys, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert queue(capsys, "--now", AT) == queue(capsys, "--now", AT)
    assert generated == [NOW, NOW]


def test_two_reps_starting_the_demo_at_once_both_get_it_whole(tmp_path):
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"), PYTHONDONTWRITEBYTECODE="1")
    cmd = [sys.executable, "-m", "wtui", "--now", AT, "--demo", "queue", "--limit", "30"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for _ in range(2)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert outs[0][0] == outs[1][0] and outs[0][0].count("\n") > 30
    assert [p.name[:5] for p in (tmp_path / "cache" / "wtui").iterdir()] == ["demo-"]  # no half-built file left
