"""How the main screens look, at 80x24 and 120x40, in the default and the 16-colour themes.

Snapshots are SVGs under __snapshots__/; update them only on purpose:
``pytest tests/tui/test_snapshots.py --snapshot-update``, then look at the
report before committing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import NOW
from tests.tui.conftest import app_cfg, started
from wtui.book.book import Book
from wtui.tui.app import WtuiApp

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
THEMES = ("wtui-dark", "wtui-ansi")


SCREENS = {
    "queue": (),
    "customer_panel": ("j", "enter"),
    "tag_picker": ("t", "s", "t", "a"),
    "help_with_the_legend": ("question_mark",),
}


def snap(snap_compare, book, keys, size, theme="wtui-dark", typed: str = ""):
    async def run_before(pilot):
        await started(pilot)
        if keys:
            await pilot.press(*keys)
        if typed:
            await pilot.press(*typed)
            bar = pilot.app.screen.query_one("#query-bar")
            for _ in range(200):  # the count follows a pause in typing, from a worker
                await pilot.pause(0.05)
                if not bar.status_text.startswith("counting"):
                    break
        await started(pilot)

    return snap_compare(WtuiApp(book, theme), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", SCREENS)
def test_screen_snapshot(snap_compare, book, screen, size, theme):
    assert snap(snap_compare, book, SCREENS[screen], SIZES[size], theme)


@pytest.mark.parametrize("typed", ["#Stage-Quoted AND color = red", "#Stage-Quotd AND"], ids=["count", "error"])
def test_the_filter_bar_shows_its_count_or_its_whole_error_at_80x24(snap_compare, book, typed):
    assert snap(snap_compare, book, ("f",), (80, 24), typed=typed)


def test_my_queue_header_at_80x24(snap_compare, book_path):
    with Book.open(book_path, app_cfg(queue={"scope": "mine"}), clock=lambda: NOW, actor="ana") as book:
        assert snap(snap_compare, book, (), (80, 24))


def test_an_empty_book_greets_the_rep_at_80x24(snap_compare, tmp_path):
    with Book.create(tmp_path / "empty.db", app_cfg(), clock=lambda: NOW, actor="ana") as book:
        assert snap(snap_compare, book, (), (80, 24))


def routine_book(path, monkeypatch) -> None:
    """Four weeks of daily snapshots (a colour moved by hand each day, so the trend moves), won and lost
    deals, a merge candidate and a broadcast with its statuses and replies: every part of the weekly
    routine has something to show."""
    from wtui.io.export import send_list

    for days in range(28, 0, -1):
        with Book.open(path, app_cfg(), clock=lambda d=days: NOW - timedelta(days=d), actor="ana") as b:
            entries = b.queue(limit=200).entries
            for e in entries[:2]:  # two a day: the gray share climbs, the week's jump shows
                b.set_color(e.uid, "gray")
            b.snapshot()
    with Book.open(path, app_cfg(), clock=lambda: NOW - timedelta(days=2), actor="ana") as b:
        b.create_tag("Stage-Paid")
        b.create_tag("Stage-Ordered")
        uids = [uid for (uid,) in b.conn.execute("SELECT uid FROM customers ORDER BY phone")]
        for uid in uids[:30]:
            b.add_tag(uid, "Stage-Paid")
            b.add_tag(uid, "Stage-Ordered")
        for i, uid in enumerate(uids[30:90]):
            (b.deal_won(uid, 120.0) if i % 3 == 0 else b.deal_lost(uid, "went elsewhere"))
        ids = b.ids_of(uids[90:150])
        with monkeypatch.context() as m:
            m.setattr("wtui.book.book.secrets.token_hex", lambda n: "5eed00")  # the broadcast's id, shown
            send_list(b, ids, path.with_name("send.csv"), "#Interest-Beauty AND NOT #Stage-Purchased", split=(50,),
                      include_no_consent=True)
    with Book.open(path, app_cfg(), clock=lambda: NOW - timedelta(days=1), actor="ana") as b:
        for i, uid in enumerate(uids[90:150]):
            b.record(uid, "failed" if i % 20 == 0 else "read" if i % 4 else "delivered",
                     NOW - timedelta(days=2) + timedelta(minutes=5 + i))
            if i % 9 == 0:
                b.record(uid, "in", NOW - timedelta(days=2) + timedelta(hours=2, minutes=i), text="quero sim")


# Each step: a key, and the screen it leads to (waited for: a flow pushes its screens from a worker).
ROUTINE = {"tag_health": [("H", "RoutineScreen")], "signals_chart": [("H", "RoutineScreen"), ("2", "RoutineScreen")],
           "accuracy": [("H", "RoutineScreen"), ("3", "RoutineScreen")],
           "broadcasts": [("H", "RoutineScreen"), ("5", "RoutineScreen")],
           "audit_card": [("A", "Confirm"), ("y", "AuditCard")]}


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", ROUTINE)
def test_weekly_routine_snapshot(snap_compare, book_path, screen, size, theme, monkeypatch):
    routine_book(book_path, monkeypatch)

    async def run_before(pilot):
        await started(pilot)
        for key, lands in ROUTINE[screen]:
            await pilot.press(key)
            for _ in range(400):
                if type(pilot.app.screen).__name__ == lands:
                    break
                await pilot.pause(0.05)
            await started(pilot)

    with Book.open(book_path, app_cfg(), clock=lambda: NOW, actor="ana") as book:
        assert snap_compare(WtuiApp(book, theme), terminal_size=SIZES[size], run_before=run_before)
