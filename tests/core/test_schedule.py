"""The rules' schedule on the team server (core/schedule.py)."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wtui.core import schedule
from wtui.errors import BadInput

SP = ZoneInfo("America/Sao_Paulo")
UTC = timezone.utc


def test_times_are_parsed_sorted_and_a_bad_one_is_named():
    assert schedule.parse_times(["12:30", "6:05", "06:05"]) == [time(6, 5), time(12, 30)]
    for bad in ("24:00", "7", "07:60", "noon", 7):
        with pytest.raises(BadInput):
            schedule.parse_times([bad])


def test_the_next_run_is_the_next_time_of_day_in_the_teams_zone():
    times = [time(6, 30), time(13, 0)]
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # 07:00 in Sao Paulo
    assert schedule.next_run(now, times, SP) == datetime(2026, 11, 23, 13, 0, tzinfo=SP)
    late = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)  # 17:00 there
    assert schedule.next_run(late, times, SP) == datetime(2026, 11, 24, 6, 30, tzinfo=SP)
    assert schedule.next_run(now, [], SP) is None


def test_a_run_missed_while_the_server_was_down_is_owed_once():
    times = [time(6, 30)]
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # 09:00 there: 06:30 has passed
    today = datetime(2026, 11, 23, 6, 30, tzinfo=SP)
    assert schedule.missed(None, now, times, SP) == today
    assert schedule.missed(today - timedelta(days=3), now, times, SP) == today  # three missed: one run
    assert schedule.missed(today, now, times, SP) is None
    assert schedule.missed(today + timedelta(minutes=1), now, times, SP) is None


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)),
       st.lists(st.times(), min_size=1, max_size=4))
def test_the_next_run_is_after_now_and_at_a_scheduled_wall_time(now, times):
    times = [t.replace(second=0, microsecond=0) for t in times]
    got = schedule.next_run(now, times, SP)
    assert got is not None and got > now and got - now <= timedelta(days=2)
    assert got.astimezone(SP).time() in times  # Sao Paulo keeps no summer time since 2019: every wall time exists
