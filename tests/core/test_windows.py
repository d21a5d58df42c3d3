"""Playbook §5-6: contact windows in the customer's local time, DST included."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from wtui.core import config
from wtui.core.prefs import parse_note
from wtui.core.windows import CLOSED, OPEN, QUIET, WORST, state

UTC = timezone.utc


def at(*args):
    return datetime(*args, tzinfo=UTC)


def check(cfg, now, tz, note="", region=""):
    return state(now, tz, parse_note(note) if note else None, region, cfg.windows, cfg.regions)


def test_office_hours_are_open_on_a_weekday_afternoon(cfg):
    # Mon 23 Nov 2026 13:00 UTC = 14:00 in Berlin (CET)
    s = check(cfg, at(2026, 11, 23, 13), "Europe/Berlin", "Mon-Fri 9-18")
    assert s.state == OPEN and s.closes_at == at(2026, 11, 23, 17)
    assert s.label(at(2026, 11, 23, 13)) == "in window until 18:00"


def test_outside_the_window_says_when_it_opens_next(cfg):
    # Sat 28 Nov 11:00 UTC, 12:00 Berlin: closed until Monday 09:00 (08:00 UTC)
    now = at(2026, 11, 28, 11)
    s = check(cfg, now, "Europe/Berlin", "Mon-Fri 9-18")
    assert s.state == CLOSED
    assert s.next_open == at(2026, 11, 30, 8)
    assert s.label(now) == "closed until Mon 09:00 (in 1 d 21 h)"


def test_local_night_is_quiet_by_default(cfg):
    # 03:10 in São Paulo (UTC-3), no preference: quiet until 08:00
    now = at(2026, 11, 23, 6, 10)
    s = check(cfg, now, "America/Sao_Paulo")
    assert s.state == QUIET
    assert s.next_open == at(2026, 11, 23, 11)
    assert s.label(now) == "quiet until 08:00 (in 4 h 50 m)"


@pytest.mark.parametrize("utc, expected", [((17, 59), OPEN), ((18, 0), QUIET), ((3, 59), QUIET), ((4, 0), OPEN)])
def test_quiet_hours_run_from_22_to_08_local(cfg, utc, expected):
    # Dubai is UTC+4: 18:00 UTC is 22:00 local, 04:00 UTC is 08:00 local
    assert check(cfg, at(2026, 11, 24, *utc), "Asia/Dubai").state == expected


def test_the_regions_worst_time_is_never_open(cfg):
    # Saudi worst 22-04 overlaps quiet; Taiwan worst 03-06 is inside quiet too, so
    # move quiet hours away to see the worst time on its own.
    c = config.with_overrides({"windows": {"quiet_start": 1, "quiet_end": 2}})
    s = check(c, at(2026, 11, 23, 20), "Asia/Taipei", region="TW")  # 04:00 in Taipei
    assert s.state == WORST
    assert s.next_open == at(2026, 11, 23, 22)  # 06:00 local


def test_an_explicit_night_owl_window_overrides_quiet_hours(cfg):
    # 22:30 in Mexico City (UTC-6): inside "Night owl" 20-23 though quiet starts at 22
    s = check(cfg, at(2026, 11, 24, 4, 30), "America/Mexico_City", "Night owl")
    assert s.state == OPEN


def test_region_active_hours_mark_the_best_time(cfg):
    # UAE weekday 14-16 local = 10-12 UTC
    assert check(cfg, at(2026, 11, 23, 10, 30), "Asia/Dubai", region="AE").best
    assert not check(cfg, at(2026, 11, 23, 8), "Asia/Dubai", region="AE").best


def test_ramadan_shifts_middle_east_hours_later(cfg):
    c = config.with_overrides({"windows": {"ramadan": True}})
    now = at(2026, 11, 23, 10, 30)  # 14:30 Dubai: best normally, not with a 2.5 h shift
    assert check(cfg, now, "Asia/Dubai", region="AE").best
    assert not check(c, now, "Asia/Dubai", region="AE").best
    assert check(c, at(2026, 11, 23, 13), "Asia/Dubai", region="AE").best  # 17:00 local


def test_next_window_is_right_across_the_spring_dst_change():
    # Berlin moves to CEST on Sun 29 Mar 2026: Monday 09:00 is 07:00 UTC, not 08:00.
    cfg = config.load(layers=[])
    now = at(2026, 3, 27, 18)  # Friday 19:00 CET, after hours
    s = check(cfg, now, "Europe/Berlin", "Mon-Fri 9-18")
    assert s.next_open == at(2026, 3, 30, 7)


def test_next_window_is_right_across_the_autumn_dst_change():
    # New York leaves EDT on Sun 1 Nov 2026: Monday 09:00 is 14:00 UTC, not 13:00.
    cfg = config.load(layers=[])
    now = at(2026, 10, 30, 23)  # Friday 19:00 EDT
    s = check(cfg, now, "America/New_York", "Mon-Fri 9-18")
    assert s.next_open == at(2026, 11, 2, 14)


def test_a_window_in_the_dst_gap_opens_at_the_first_real_instant():
    cfg = config.load(layers=[])
    # 02:30 does not exist in Berlin on 29 Mar 2026; the window opens at 03:30 CEST = 01:30 UTC.
    s = check(cfg, at(2026, 3, 29, 0), "Europe/Berlin", "Sun 2:30-5")
    assert s.next_open == at(2026, 3, 29, 1, 30)


def test_a_window_past_midnight_stays_open_after_midnight(cfg):
    # Fri-Sat 22-2 in Moscow (UTC+3): Saturday 01:00 local is open
    assert check(cfg, at(2026, 11, 27, 22), "Europe/Moscow", "Fri-Sat 22-2").state == OPEN


def test_an_unknown_zone_falls_back_to_utc(cfg):
    assert check(cfg, at(2026, 11, 23, 12), "Not/AZone").local.utcoffset() == timedelta(0)
