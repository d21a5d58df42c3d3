"""Signals over time (issue #16, playbook §1, §4): the daily snapshot, the team's alerts on it (each
tripped, and not one step below), each rep's workload, and the snapshot written once a day."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.conftest import NOW, copy_book
from wtui import cli
from wtui.book.book import Book
from wtui.core import signals


def figs(n: int = 1000, red: int = 100, gray: int = 100, high: int = 300) -> dict:
    return {"customers": n, "colors": {"red": red, "gray": gray, "yellow": n - red - gray},
            "intents": {}, "activity": {"high": high, "low": n - high}, "reps": {}}


def test_red_share_alerts_over_the_line_not_on_it(cfg):
    line = cfg.team.red_share_alert
    assert not [a for a in signals.alerts([("2026-11-23", figs(red=round(1000 * line)))], cfg.team) if "red" in a]
    said = signals.alerts([("2026-11-23", figs(red=round(1000 * line) + 1))], cfg.team)
    assert said == ["15.1% of the customers are red (over 15%): the team needs more hands today"]


def test_the_gray_jump_is_week_on_week(cfg):
    jump = cfg.team.gray_jump_alert
    week_ago = ("2026-11-16", figs(gray=100))
    up = round(100 * (1 + jump))  # +20 %: an alert
    assert any("gray up from 10.0% to 12.0% since 2026-11-16 (+20%)" in a
               for a in signals.alerts([week_ago, ("2026-11-23", figs(gray=up))], cfg.team))
    assert not any("gray" in a for a in signals.alerts([week_ago, ("2026-11-23", figs(gray=up - 1))], cfg.team))
    # Six days apart is not a week: nothing to compare with.
    assert not any("gray" in a for a in signals.alerts([("2026-11-17", figs(gray=100)),
                                                        ("2026-11-23", figs(gray=200))], cfg.team))


def test_high_activity_under_the_floor(cfg):
    floor = cfg.team.high_activity_floor
    assert not any("active" in a for a in signals.alerts([("2026-11-23", figs(high=round(1000 * floor)))], cfg.team))
    assert any("only 14.9% of the customers are highly active" in a
               for a in signals.alerts([("2026-11-23", figs(high=round(1000 * floor) - 1))], cfg.team))


def test_the_snapshot_is_written_once_a_day_and_the_workload_is_counted_live(tmp_path, empty_file, cfg, capsys):
    now = [NOW]
    path = copy_book(empty_file, tmp_path / "b.db")
    with Book.open(path, cfg, clock=lambda: now[0], actor="ana") as b:
        a = b.add_customer("+4915123456001", "Ana's")
        b.set_field(a, "owner", "ana")
        b.record(a, "in", text="how much?")  # red: due within hours
        o = b.add_customer("+4915123456002", "Omar's")
        b.set_field(o, "owner", "omar")
        b.log_contact(o)
        b.add_customer("+4915123456003", "Nobody's")
        assert b.snapshot() is True
        assert b.snapshot() is False  # one a day: the first process writes it
        b.add_customer("+4915123456004", "Later")
        (day, stored), = b.snapshots(7)
        assert day == "2026-11-23" and stored["customers"] == 3  # as of the first write
        assert stored["colors"]["red"] == 1
        assert "reps" not in stored  # the workload moves all day: counted live, never stored
        reps = b.figures()["reps"]
        assert reps["ana"]["due"] == 1 and reps["omar"]["done"] == 1 and reps[""]["customers"] == 2
        assert sum(b.figures()["colors"].values()) == 4 == b.figures()["customers"]
        now[0] += timedelta(days=1)
        assert b.snapshot() is True
        assert [d for d, _ in b.snapshots(7)] == ["2026-11-23", "2026-11-24"]
    with Book.open(path, cfg, clock=lambda: now[0], readonly=True) as b:
        now[0] += timedelta(days=1)
        assert b.snapshot() is False  # a read-only book stores nothing
    assert cli.main(["--db", str(path), "--now", (NOW + timedelta(days=1)).isoformat(), "signals", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["today"]["customers"] == 4 and list(out["trend"]) == ["2026-11-23", "2026-11-24"]


def test_workload_puts_the_busiest_first_and_the_unassigned_last():
    rows = signals.workload({"reps": {"": {"due": 50}, "ana": {"due": 3}, "omar": {"due": 9}}})
    assert [w.rep for w in rows] == ["omar", "ana", ""]


def test_gray_from_none_to_some_is_a_jump(cfg):
    said = signals.alerts([("2026-11-16", figs(gray=0)), ("2026-11-23", figs(gray=5))], cfg.team)
    assert any("gray up from none to 0.5%" in a for a in said)
