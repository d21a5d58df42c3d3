"""Where pursuit ends and tiers fade (issue #15, playbook §2, §7, §8): medium intent stops after 3-4
unanswered follow-ups, "not needed now" gets broadcasts only, a high spender who stops buying drops a
tier, and a weekday-evening reader is recognised in their own time zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import NOW, UTC, D, H, facts
from wtui.core import follow_up, traits
from wtui.core.facts import Overrides


def test_medium_intent_stops_coming_due_after_the_configured_follow_ups(cfg):
    asked = NOW - 6 * D
    events = [("in", asked, "medium")]
    n = cfg.intent.medium_follow_ups
    for k in range(n - 1):
        events.append(("out", asked + (k + 1) * H))
    before = follow_up.assess(facts(*events), NOW, cfg)
    assert before.intent.value == "medium" and before.due is not None
    events.append(("out", asked + n * H))
    after = follow_up.assess(facts(*events), NOW, cfg)
    assert after.due is None and f"{n} follow-ups without a reply" in after.cadence_why
    # A reply starts the pursuit again.
    events.append(("in", asked + (n + 1) * H, "medium"))
    assert follow_up.assess(facts(*events), NOW, cfg).due is not None


def test_a_colour_set_by_hand_keeps_a_stopped_customer_due(cfg):
    events = [("in", NOW - 6 * D, "medium")] + [("out", NOW - 6 * D + (k + 1) * H) for k in range(5)]
    by_hand = Overrides("orange", NOW + D, NOW - H, "")
    assert follow_up.assess(facts(*events, overrides=by_hand), NOW, cfg).due is not None


def test_said_not_needed_gets_broadcasts_only_but_reading_without_reply_is_still_pursued(cfg):
    said = follow_up.assess(facts(("out", NOW - 3 * D), ("in", NOW - 2 * D, "none")), NOW, cfg)
    assert said.intent.value == "none" and said.due is None and said.cadence_why.startswith("said not needed")
    reads = follow_up.assess(facts(("out", NOW - 3 * D), ("read", NOW - 3 * D + H)), NOW, cfg)
    assert reads.intent.value == "none" and reads.color == "orange" and reads.due is not None


def test_a_high_spender_with_no_purchase_for_the_decay_days_drops_one_tier(cfg):
    quiet = cfg.spend.decay_days * D
    big = cfg.spend.order_high_above + 50
    recent = traits.spend_tier(facts(("purchase", NOW - quiet + D, big)), NOW, cfg)
    assert recent.value == "high" and recent.changes_at == NOW + D
    faded = traits.spend_tier(facts(("purchase", NOW - quiet - D, big)), NOW, cfg)
    assert faded.value == "medium" and "one tier down" in faded.why
    vip = traits.spend_tier(facts(("purchase", NOW - quiet - D, cfg.spend.vip_single_order + 1)), NOW, cfg)
    assert vip.value == "high"


def test_the_tier_is_the_last_years_average_not_an_all_time_one(cfg):
    old_big = cfg.spend.order_high_above * 3
    small = cfg.spend.order_low_below / 2
    f = facts(("purchase", NOW - 500 * D, old_big), ("purchase", NOW - 10 * D, small))
    assert traits.spend_tier(f, NOW, cfg).value == "low"


def _wednesday_evenings(zone: ZoneInfo, weeks: int, hour: int = 21) -> list[tuple]:
    last_wed = datetime(2026, 11, 18, hour, 15, tzinfo=zone)  # a Wednesday
    return [("read", (last_wed - timedelta(weeks=k)).astimezone(UTC)) for k in range(weeks)]


@pytest.mark.parametrize("zone", ["America/Sao_Paulo", "Asia/Kolkata", "UTC"])
def test_five_wednesday_evenings_of_reading_are_a_habit_in_the_customers_time(cfg, zone):
    tz = ZoneInfo(zone)
    f = facts(*_wednesday_evenings(tz, cfg.activity.habit_reads))
    assert traits.reading_habit(f.reads, tz, cfg) == "wed-evening"
    # The same instants seen from another zone are other days and hours: no habit there.
    other = ZoneInfo("Pacific/Auckland" if zone != "Pacific/Auckland" else "UTC")
    assert traits.reading_habit(f.reads, other, cfg) == ""


def test_one_read_day_that_breaks_the_pattern_is_no_habit(cfg):
    tz = ZoneInfo("Europe/Rome")
    reads = _wednesday_evenings(tz, cfg.activity.habit_reads)
    assert traits.reading_habit(facts(*reads[:-1]).reads, tz, cfg) == ""  # only four
    afternoon = reads[:-1] + _wednesday_evenings(tz, 1, hour=15)
    assert traits.reading_habit(facts(*afternoon).reads, tz, cfg) == ""  # one of them not in the evening
    thursday = reads + [("read", datetime(2026, 11, 19, 21, tzinfo=tz).astimezone(UTC))]
    assert traits.reading_habit(facts(*thursday).reads, tz, cfg) == ""  # the latest read day is a Thursday


habit_reads = st.tuples(st.integers(0, 6), st.integers(3, 7), st.integers(17, 23)).map(
    lambda t: [datetime(2026, 11, 16, t[2], 30, tzinfo=UTC) + timedelta(days=t[0]) - timedelta(weeks=k)
               for k in range(t[1])])  # one weekday at one hour, several weeks running


@given(st.lists(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 11, 20),
                             timezones=st.just(UTC)), max_size=6), habit_reads,
       st.sampled_from(["UTC", "America/New_York", "Asia/Tokyo"]))
def test_a_habit_is_the_weekday_whose_evenings_the_latest_read_days_all_fall_on(cfg, noise, regular, zone):
    tz = ZoneInfo(zone)
    reads = sorted(noise + regular)
    got = traits.reading_habit(facts(*[("read", t) for t in reads]).reads, tz, cfg)
    local = sorted((t.astimezone(tz) for t in reads), reverse=True)
    days = list(dict.fromkeys(t.date() for t in local))[:cfg.activity.habit_reads]
    evening = all(any(t.date() == d and t.hour >= cfg.activity.evening_hour for t in local) for d in days)
    weekdays = {d.strftime("%a").lower() for d in days}
    expected = f"{weekdays.pop()}-evening" if len(days) == cfg.activity.habit_reads and len(weekdays) == 1 \
        and evening else ""
    assert got == expected
