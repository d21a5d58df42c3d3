"""Colour accuracy from outcomes (issue #16, playbook §1): conversion per colour, false red, missed green,
red fatigue; on outcomes made up and on a book with known won and lost deals."""

from __future__ import annotations

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

from tests.conftest import NOW, copy_book
from wtui import cli
from wtui.book.book import Book
from wtui.core.accuracy import Outcome, Rate, ordinal, report

UTC = ZoneInfo("UTC")


def outcomes(color: str, won: int, lost: int, rep: str = "ana", streak: int = 0, days_ago: float = 1) -> list[Outcome]:
    at = NOW - timedelta(days=days_ago)
    return ([Outcome(True, color, at, rep, streak)] * won) + ([Outcome(False, color, at, rep, streak)] * lost)


def test_conversion_per_colour_is_won_over_decided(cfg):
    rep = report(outcomes("red", 7, 3) + outcomes("orange", 1, 3) + outcomes("gray", 0, 2), NOW, UTC, cfg)
    assert rep.team.per_color["red"] == Rate(7, 3) and rep.team.per_color["red"].rate == 0.7
    assert rep.team.per_color["orange"].rate == 0.25
    assert rep.team.per_color["yellow"].rate is None  # nothing decided: no rate, not 0 %
    assert rep.expected["red"] == cfg.colors.close_rate["red"]


def test_false_red_trips_under_the_floor_and_not_at_it(cfg):
    floor, least = cfg.review.false_red_below, cfg.review.min_outcomes
    won = round(floor * 10)  # 2 of 10 = 20 %: at the floor
    at_floor = report(outcomes("red", won, 10 - won), NOW, UTC, cfg)
    under = report(outcomes("red", won - 1, 10 - won + 1), NOW, UTC, cfg)
    assert not any("false red" in w for w in at_floor.warnings)
    assert any(w.startswith("team: false red: red converts 10%") for w in under.warnings)
    too_few = report(outcomes("red", 0, least - 1), NOW, UTC, cfg)  # under min_outcomes: shown, not judged
    assert not any("false red" in w for w in too_few.warnings)


def test_missed_green_counts_wins_that_were_neither_red_nor_orange(cfg):
    rep = report(outcomes("red", 10, 0) + outcomes("orange", 9, 0) + outcomes("yellow", 1, 5), NOW, UTC, cfg)
    assert (rep.team.missed_green, rep.team.wins) == (1, 20)  # 5 %: at the line, not over it
    assert not any("missed green" in w for w in rep.warnings)
    rep = report(outcomes("red", 10, 0) + outcomes("orange", 8, 0) + outcomes("green", 2, 0), NOW, UTC, cfg)
    assert any("missed green: 2 of 20 deals won (10%)" in w for w in rep.warnings)
    unknown = report(outcomes("red", 10, 0) + outcomes("", 3, 0), NOW, UTC, cfg)  # no colour recorded then
    assert unknown.team.missed_green == 0


def test_red_fatigue_is_the_conversion_of_outcomes_the_queue_flagged_fatigued(cfg):
    limit = cfg.colors.rules.red_fatigue_streak  # follow_up flags fatigue from this streak on: the next red is the 4th
    rep = report(outcomes("red", 6, 0, streak=limit - 1) + outcomes("red", 1, 7, streak=limit), NOW, UTC, cfg)
    assert rep.team.fatigued == Rate(1, 7)
    assert any(f"the {ordinal(limit + 1)} red in a row or later converts 12% (1 of 8" in w for w in rep.warnings)
    assert ordinal(1) == "1st" and ordinal(2) == "2nd" and ordinal(4) == "4th" and ordinal(11) == "11th"


def test_per_rep_and_per_week_and_only_inside_the_window(cfg):
    data = (outcomes("red", 3, 1, rep="ana", days_ago=1) + outcomes("red", 0, 6, rep="omar", days_ago=8)
            + outcomes("red", 5, 0, rep="li", days_ago=7 * cfg.review.weeks + 1))  # too old: left out
    rep = report(data, NOW, UTC, cfg)
    assert set(rep.reps) == {"ana", "omar"}
    assert rep.reps["omar"].per_color["red"] == Rate(0, 6)
    assert [w for w, _ in rep.weeks] == ["2026-W46", "2026-W47"]  # Sunday 22 Nov is in week 47
    assert any(w.startswith("omar: false red") for w in rep.warnings)
    assert [w for w, _ in rep.rep_weeks["omar"]] == ["2026-W46"]
    assert [w for w, _ in rep.rep_weeks["ana"]] == ["2026-W47"]
    assert rep.rep_weeks["ana"][0][1].per_color["red"] == Rate(3, 1)
    assert not any(w.startswith("ana: false red") for w in rep.warnings)


def test_a_book_with_known_outcomes(tmp_path, empty_file, cfg, capsys):
    """Deals recorded through the book keep the colour the customer had, and the red streak then."""
    now = [NOW - timedelta(days=20)]
    path = copy_book(empty_file, tmp_path / "b.db")
    with Book.open(path, cfg, clock=lambda: now[0], actor="ana") as b:
        reds = [b.add_customer(f"+4915123456{i:03d}", f"Red {i}") for i in range(10)]
        for uid in reds:
            b.record(uid, "in", text="how much is it?")  # a price question: red
        # One customer asked and was answered five times: five red episodes, then lost.
        tired = reds[0]
        for _ in range(4):
            now[0] += timedelta(hours=1)
            b.log_contact(tired)
            now[0] += timedelta(hours=1)
            b.record(tired, "in", text="how much now?")
        now[0] += timedelta(hours=1)
        b.log_contact(tired)
        yellows = [b.add_customer(f"+4915123457{i:03d}", f"New {i}") for i in range(3)]
        now[0] += timedelta(hours=1)
        assert {b.card(u).color for u in reds} == {"red"} and {b.card(u).color for u in yellows} == {"yellow"}
        for uid in reds[:7]:
            b.deal_won(uid, 100.0)
        for uid in reds[7:]:
            b.deal_lost(uid, "too expensive")
        b.deal_won(yellows[0], 50.0)
        got = sorted((o.won, o.color, o.streak, o.rep) for o in b.outcomes(NOW - timedelta(days=30)))
    assert got.count((True, "red", 0, "ana")) + got.count((True, "red", 1, "ana")) == 6
    assert (True, "red", 5, "ana") in got  # the tired customer, at five red episodes, won
    assert (True, "", 0, "x") not in got
    assert (True, "yellow", 0, "ana") in got and len(got) == 11
    assert cli.main(["--db", str(path), "--now", NOW.isoformat(), "accuracy", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["team"]["per_color"]["red"] == {"won": 7, "lost": 3, "rate": 0.7}
    assert out["team"]["missed_green"] == 1 and out["team"]["wins"] == 8
    assert cli.main(["--db", str(path), "--now", NOW.isoformat(), "accuracy"]) == 0
    text = capsys.readouterr().out
    assert "red" in text and "7/10" in text and "70%" in text and "~68%" in text
    assert cli.main(["--db", str(path), "accuracy", "--weeks", "0"]) == 2
