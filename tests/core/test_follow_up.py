"""Playbook §1: each colour rule just below, at and just above its threshold."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import NOW, D, H, facts
from wtui.core import config
from wtui.core.facts import Overrides
from wtui.core.follow_up import assess, colour
from wtui.core.prefs import parse_note

S = timedelta(seconds=1)


def color_of(f, cfg, now=NOW):
    return colour(f, now, cfg).color


def read_without_reply(ago):
    sent = NOW - ago - H
    return facts(("in", sent - D, "potential"), ("out", sent), ("read", NOW - ago))


@pytest.mark.parametrize("ago, expected", [(48 * H - S, "yellow"), (48 * H, "yellow"), (48 * H + S, "orange")])
def test_read_more_than_48h_without_reply_turns_orange(cfg, ago, expected):
    # first contact a day before: still within the yellow first week
    assert color_of(read_without_reply(ago), cfg) == expected


def test_orange_reason_says_how_long_ago_it_was_read(cfg):
    v = colour(read_without_reply(52 * H), NOW, cfg)
    assert v.reason == "read 2 d 4 h ago, no reply"


def test_a_reply_after_the_read_cancels_orange(cfg):
    sent = NOW - 5 * D
    f = facts(("out", sent), ("read", sent + H), ("in", sent + 2 * H, "potential"))
    assert color_of(f, cfg) != "orange"


def test_read_threshold_lives_in_config(cfg):
    tight = config.with_overrides({"colors": {"rules": {"read_no_reply_hours": 24}}})
    f = read_without_reply(30 * H)
    assert color_of(f, cfg) == "yellow" and color_of(f, tight) == "orange"


@pytest.mark.parametrize("opens, expected", [(3, "yellow"), (4, "orange")])
def test_opening_a_quote_more_than_3_times_turns_orange(cfg, opens, expected):
    first = NOW - 2 * D
    f = facts(("in", first, "potential"), *[("quote_open", first + (i + 1) * H) for i in range(opens)])
    assert color_of(f, cfg) == expected


@pytest.mark.parametrize("minutes, expected", [(7.99, "yellow"), (8, "yellow"), (8.01, "red")])
def test_more_than_8_minutes_on_the_website_turns_red(cfg, minutes, expected):
    f = facts(("in", NOW - 2 * D, "potential"), ("visit", NOW - H, minutes))
    assert color_of(f, cfg) == expected


@pytest.mark.parametrize("signal", ["high", "compare"])
def test_asking_price_or_comparing_turns_red(cfg, signal):
    f = facts(("in", NOW - 20 * D, "potential"), ("in", NOW - 3 * H, signal))
    v = colour(f, NOW, cfg)
    assert v.color == "red"
    assert "3 h ago" in v.reason


@pytest.mark.parametrize("age, expected", [(72 * H - S, "red"), (72 * H, "yellow")])
def test_a_red_signal_lasts_72_hours(cfg, age, expected):
    f = facts(("in", NOW - 5 * D, "potential"), ("in", NOW - age, "high"))
    assert color_of(f, cfg) == expected


def test_a_price_question_before_the_last_purchase_is_not_red(cfg):
    f = facts(("in", NOW - 2 * D, "high"), ("purchase", NOW - D, 300.0), ("link", NOW - H))
    assert color_of(f, cfg) == "green"


@pytest.mark.parametrize("age, expected", [(7 * D - S, "yellow"), (7 * D, "yellow"), (7 * D + S, "yellow")])
def test_first_week_is_yellow_and_a_quiet_lead_stays_lead_color(cfg, age, expected):
    # lead_color defaults to yellow: the colour holds, the reason changes.
    f = facts(("in", NOW - age, "potential"))
    v = colour(f, NOW, cfg)
    assert v.color == expected
    assert v.reason.startswith("first contact" if age < 7 * D else "lead since")


def test_lead_color_is_configurable(cfg):
    green_leads = config.with_overrides({"colors": {"lead_color": "gray"}})
    f = facts(("in", NOW - 8 * D, "potential"))
    assert color_of(f, green_leads) == "gray"


@pytest.mark.parametrize("days, expected", [(182 - 1, "yellow"), (182, "yellow"), (182.01, "gray")])
def test_no_interaction_for_6_months_turns_gray(cfg, days, expected):
    f = facts(("in", NOW - timedelta(days=days), "potential"))
    assert color_of(f, cfg) == expected


@pytest.mark.parametrize("age, expected", [(7 * D - S, "green"), (7 * D, "green"), (7 * D + S, "gray")])
def test_green_turns_gray_when_no_link_opened_for_7_days(cfg, age, expected):
    f = facts(("purchase", NOW - 20 * D, 300.0), ("link", NOW - age))
    assert color_of(f, cfg) == expected


def test_manual_colour_holds_until_it_expires(cfg):
    f0 = read_without_reply(60 * H)
    over = Overrides(color="green", color_until=NOW + H, color_set_at=NOW - H)
    f = facts(("in", NOW - 60 * H - H - D, "potential"), ("out", NOW - 61 * H), ("read", NOW - 60 * H), overrides=over)
    assert color_of(f, cfg) == "green"
    assert color_of(f, cfg, now=NOW + H) == color_of(f0, cfg, now=NOW + H) == "orange"


def test_the_breakdown_gives_a_hand_set_colours_expiry_in_the_reps_zone(cfg):
    """The stored reason (shared by the team, printed by the CLI) says UTC; the panel's breakdown says the
    rep's own time, as it does for the due time."""
    from zoneinfo import ZoneInfo

    from wtui.core.queue import breakdown
    from wtui.core.windows import state

    over = Overrides(color="green", color_until=NOW + D + 4 * H, color_set_at=NOW - H)  # Tue 16:00 UTC
    v = assess(facts(("in", NOW - 2 * D, "potential"), overrides=over), NOW, cfg)
    assert v.reason == "set by hand until 2026-11-24 16:00 UTC"
    rome = ZoneInfo("Europe/Rome")
    lines = breakdown(v, state(NOW, "UTC", None, "", cfg.windows, cfg.regions), NOW, rome, cfg)
    assert [line.value for line in lines if line.label == "reason"] == ["set by hand until Tue 17:00"]


def test_fourth_red_in_a_row_is_flagged(cfg):
    hist = []
    for k in (4, 3, 2):
        hist += [("in", NOW - k * D, "high"), ("out", NOW - k * D + H, "red")]
    f = facts(*hist, ("in", NOW - H, "high"))
    assert f.red_streak == 3
    v = assess(f, NOW, cfg)
    assert v.fatigue and v.color == "red" and "red 4 times in a row" in v.reason


def test_third_red_in_a_row_is_not_flagged(cfg):
    hist = []
    for k in (3, 2):
        hist += [("in", NOW - k * D, "high"), ("out", NOW - k * D + H, "red")]
    v = assess(facts(*hist, ("in", NOW - H, "high")), NOW, cfg)
    assert not v.fatigue


def test_fatigue_can_demote_to_orange(cfg):
    demote = config.with_overrides({"colors": {"rules": {"red_fatigue_action": "demote"}}})
    hist = []
    for k in (4, 3, 2):
        hist += [("in", NOW - k * D, "high"), ("out", NOW - k * D + H, "red")]
    v = assess(facts(*hist, ("in", NOW - H, "high")), NOW, demote)
    assert v.color == "orange" and "demoted" in v.reason


def test_an_unanswered_price_question_is_due_within_the_hour(cfg):
    """§2: the price within 1 h (each hour of delay costs ~9 % of the deal), sooner than red's 2 h."""
    f = facts(("in", NOW - 10 * D, "potential"), ("in", NOW - 3 * H, "high"))
    v = assess(f, NOW, cfg)
    assert v.due == NOW - 3 * H + cfg.intent.price_within_hours * H and "price within" in v.cadence_why


def test_a_sale_after_the_price_question_answers_it_the_customer_is_green_on_the_green_cadence(cfg):
    """A purchase (or a won deal's) after the question: not 'overdue; price within 1 h' at the top of the queue."""
    f = facts(("in", NOW - 2 * D, "high"), ("purchase", NOW - 1 * H, 250.0))
    v = assess(f, NOW, cfg)
    assert v.color == "green" and "price within" not in v.cadence_why
    assert v.due == NOW - 1 * H + cfg.colors.handle_within_hours["green"] * H  # the sale's own handling
    asked_again = assess(facts(("purchase", NOW - 2 * D, 250.0), ("in", NOW - 3 * H, "high")), NOW, cfg)
    assert "price within" in asked_again.cadence_why  # a new question after the sale still has its hour


def test_an_unanswered_comparison_is_due_2_hours_after_the_signal(cfg):
    f = facts(("in", NOW - 10 * D, "potential"), ("in", NOW - 3 * H, "medium,compare"))
    v = assess(f, NOW, cfg)
    assert v.color == "red" and v.due == NOW - 3 * H + 2 * H


def test_after_the_price_the_first_follow_up_is_due_within_12_hours_then_the_cadence(cfg):
    f = facts(("in", NOW - 10 * D, "potential"), ("in", NOW - 3 * H, "high"), ("out", NOW - H))
    assert assess(f, NOW, cfg).due == NOW - H + cfg.intent.first_follow_up_hours * H
    f = facts(("in", NOW - 10 * D, "potential"), ("in", NOW - 30 * H, "high"), ("out", NOW - 29 * H),
              ("out", NOW - 17 * H))
    assert assess(f, NOW, cfg).due == NOW - 17 * H + 1 * D  # red, high: 1 day between touches


def test_a_frequency_cap_stretches_the_cadence(cfg):
    f = facts(("in", NOW - 10 * D, "potential"), ("in", NOW - 3 * H, "high"), ("out", NOW - H))
    v = assess(f, NOW, cfg, parse_note("Max 2/week"))
    assert v.due == NOW - H + timedelta(days=3.5)
    assert "cap 2/week" in v.cadence_why


def test_passive_customers_are_due_at_the_end_of_the_month_only(cfg):
    f = facts(("in", NOW - 20 * D, "potential"))
    v = assess(f, NOW, cfg, parse_note("Passive"))
    assert (v.due.year, v.due.month, v.due.day) == (2026, 11, 30)


def test_gray_is_never_due(cfg):
    f = facts(("in", NOW - 200 * D, "potential"))
    assert assess(f, NOW, cfg).due is None


def test_changes_at_names_the_instant_the_colour_turns(cfg):
    f = read_without_reply(10 * H)
    v = assess(f, NOW, cfg)
    assert v.changes_at == NOW - 10 * H + 48 * H
    assert colour(f, v.changes_at + S, cfg).color == "orange"


def test_priority_tags_are_reported(cfg):
    f = facts(("in", NOW - D, "potential"), tags=("Complaint-Open",))
    assert assess(f, NOW, cfg).priority_tags == ("Complaint-Open",)


def test_a_price_question_and_the_playbooks_three_touches_are_one_red_episode(cfg):
    """§1 red fatigue counts red episodes: one price question, then three touches in 72 h, is one."""
    f = facts(("in", NOW - 80 * H, "high"), ("out", NOW - 79 * H, "red"), ("out", NOW - 55 * H, "red"),
              ("out", NOW - 31 * H, "red"), ("out", NOW - 8 * H, "red"), ("in", NOW - H, "high"))
    assert f.red_streak == 1
    assert not assess(f, NOW, cfg).fatigue


def test_a_contact_while_not_red_ends_the_streak_of_red_episodes(cfg):
    hist = []
    for k in (5, 4, 3):
        hist += [("in", NOW - k * D, "high"), ("out", NOW - k * D + H, "red"), ("out", NOW - k * D + 2 * H, "red")]
    assert facts(*hist).red_streak == 3
    assert facts(*hist, ("out", NOW - 2 * D, "yellow")).red_streak == 0


def test_a_due_time_past_the_week_names_its_date_not_only_a_weekday():
    from datetime import datetime, timedelta, timezone
    from zoneinfo import ZoneInfo

    from wtui.core.queue import due_text

    now = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)  # a Tuesday
    zone = ZoneInfo("UTC")
    assert due_text(now + timedelta(hours=3), now, zone) == "15:00 (in 3 h)"
    assert due_text(now + timedelta(days=6), now, zone) == "Mon 12:00"
    assert due_text(now + timedelta(days=14), now, zone) == "Tue 8 Dec 12:00"  # not "Tue": that is next week too


@pytest.mark.parametrize("later", [0 * H, 6 * H, 30 * H])
def test_a_lead_never_contacted_is_due_from_when_they_came_in_whenever_it_is_assessed(cfg, later):
    # Was now + 24 h at every assessment: a due time that never came, and a panel that disagreed with the row.
    from dataclasses import replace

    added = NOW - 2 * H
    f = replace(facts(cfg=cfg), added=added)
    v = assess(f, NOW + later, cfg)
    assert v.due == added + cfg.colors.handle_within_hours[v.color] * H
    assert v.reason == "lead: no signal yet"


def test_a_caps_cadence_reads_as_a_rep_would_say_it(cfg):
    # The panel said "cap 3/week -> 2.33333 d".
    v = assess(facts(("in", NOW - 2 * H, "high"), cfg=cfg), NOW, cfg, parse_note("Max 3/week"))
    assert "cap 3/week -> 2.33 d" in v.cadence_why


def test_a_lost_deal_stops_follow_ups_until_they_write_or_buy_again(cfg):
    """A deal recorded lost ("went with a cheaper shop") left the customer overdue red at the top of the queue."""
    from dataclasses import replace

    asked = (("in", NOW - 2 * D, "high"), ("out", NOW - 2 * D + H, "red"))
    lost = facts(*asked, ("lost", NOW - D))
    v = assess(lost, NOW, cfg)
    assert v.due is None and v.cadence_why == "deal lost: broadcasts only until they write again"
    assert assess(facts(*asked), NOW, cfg).due is not None
    assert assess(facts(*asked, ("lost", NOW - D), ("in", NOW - H, "medium")), NOW, cfg).due is not None
    assert assess(facts(*asked, ("lost", NOW - D), ("purchase", NOW - H)), NOW, cfg).due is not None
    assert assess(facts(("lost", NOW - 3 * D), ("in", NOW - 2 * D, "high")), NOW, cfg).due is not None
    keep_on = replace(cfg, intent=replace(cfg.intent, lost_broadcast_only=False))
    assert assess(lost, NOW, keep_on).due is not None
    by_hand = facts(*asked, ("lost", NOW - D), overrides=Overrides(color="red", color_set_at=NOW - H))
    assert assess(by_hand, NOW, cfg).due is not None  # a colour set by hand is not stopped
