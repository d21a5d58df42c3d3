"""The golden window (playbook §5, issue #16): each customer's fastest-reply hour learned from their
history, on synthetic reply histories; used for "best" by the window check when they have no note."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from statistics import median
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import NOW, copy_book
from wtui.book.book import Book
from wtui.core import windows
from wtui.core.facts import IN, OUT, Event, summarize
from wtui.core.prefs import safe_pref
from wtui.core.traits import golden_hour

UTC = timezone.utc
SAO_PAULO = ZoneInfo("America/Sao_Paulo")  # UTC-3 all year since 2019


def sent_at(day: int, hour: int, minute: int = 0, zone=SAO_PAULO) -> datetime:
    return datetime(2026, 10, 1 + day, hour, minute, tzinfo=zone).astimezone(UTC)


def test_the_fastest_hour_with_enough_answers_wins():
    replies = ([(sent_at(d, 9), 5 * 3600.0) for d in range(3)]          # 09:00: answered in ~5 h
               + [(sent_at(d, 19, 15), 600.0 + d) for d in range(3)]    # 19:xx: in ~10 min
               + [(sent_at(d, 14), 30.0) for d in range(2)])            # 14:00: fastest, but only twice
    assert golden_hour(tuple(replies), SAO_PAULO, 3) == 19
    assert golden_hour(tuple(replies), SAO_PAULO, 2) == 14
    assert golden_hour(tuple(replies[:2]), SAO_PAULO, 3) is None  # too few answers: not learned
    assert golden_hour(tuple(replies), SAO_PAULO, 0) is None  # 0 = never learned
    # The hour is the customer's: 19:15 in São Paulo is 22:15 UTC.
    assert golden_hour(tuple(replies), ZoneInfo("UTC"), 3) == 22


@given(st.lists(st.tuples(st.integers(0, 23), st.floats(1, 86400 * 3)), max_size=40), st.integers(1, 4))
def test_the_golden_hour_has_the_least_median_of_the_hours_with_enough_answers(raw, least):
    replies = tuple((sent_at(i % 20, hour), delay) for i, (hour, delay) in enumerate(raw))
    got = golden_hour(replies, SAO_PAULO, least)
    by_hour: dict[int, list[float]] = {}
    for hour, delay in raw:
        by_hour.setdefault(hour, []).append(delay)
    qualified = {h: median(d) for h, d in by_hour.items() if len(d) >= least}
    if not qualified or len(replies) < least:
        assert got is None
    else:
        assert got in qualified and qualified[got] == min(qualified.values())


def test_only_the_first_answer_to_each_of_our_messages_counts():
    events = [Event(OUT, sent_at(0, 19)), Event(IN, sent_at(0, 19, 10)), Event(IN, sent_at(0, 23)),
              Event(IN, sent_at(1, 8)), Event(OUT, sent_at(1, 9)), Event(IN, sent_at(1, 12))]
    f = summarize(events, 8)
    assert f.replies == ((sent_at(0, 19), 600.0), (sent_at(1, 9), 3 * 3600.0))


def test_the_book_learns_it_and_the_window_check_uses_it_without_a_note(tmp_path, empty_file, cfg):
    now = [NOW - timedelta(days=10)]
    path = copy_book(empty_file, tmp_path / "b.db")
    with Book.open(path, cfg, clock=lambda: now[0], actor="ana") as b:
        uid = b.add_customer("+5511961234567", "Ana")
        noted = b.add_customer("+5511961234568", "Bia")
        for d in range(4):
            for who in (uid, noted):
                at = sent_at(0, 0) + timedelta(days=d)
                at = datetime(at.year, at.month, at.day, 19, 0, tzinfo=SAO_PAULO).astimezone(UTC)
                b.record(who, OUT, at=at, text="novidades")
                b.record(who, IN, at=at + timedelta(minutes=7), text="oi")
                b.record(who, OUT, at=at - timedelta(hours=9), text="bom dia")
                b.record(who, IN, at=at - timedelta(hours=5), text="ok")
        b.set_preference(noted, "Bia | Prefers text | Mon-Sun 9-21")
        assert b.card(uid).golden_hour == 19 and b.card(noted).golden_hour == 19
    at_19 = datetime(2026, 11, 23, 19, 30, tzinfo=SAO_PAULO).astimezone(UTC)
    at_16 = datetime(2026, 11, 23, 16, 0, tzinfo=SAO_PAULO).astimezone(UTC)
    with Book.open(path, cfg, clock=lambda: at_16, actor="ana") as b:
        c = b.card(uid)
        state = windows.state(at_19, c.tz, None, c.region, cfg.windows, cfg.regions, c.golden_hour)
        assert state.best and state.label(at_19).endswith("their golden hour")
        assert state.short(at_19, 12) == "best now"  # the queue's window column
        state = windows.state(at_16, c.tz, None, c.region, cfg.windows, cfg.regions, c.golden_hour)
        assert not state.best and state.label(at_16).endswith("best at 19:00 their time")
        assert state.short(at_16, 12) == "best 19:00"
        # Brazil's seed best hours are 19-21: at 20:30 the region would call it best; their own hour does not.
        at_2030 = datetime(2026, 11, 23, 20, 30, tzinfo=SAO_PAULO).astimezone(UTC)
        assert not windows.state(at_2030, c.tz, None, c.region, cfg.windows, cfg.regions, c.golden_hour).best
        assert windows.state(at_2030, c.tz, None, c.region, cfg.windows, cfg.regions).best
        # Bia asked for Mon-Sun 9-21: her note stands, her golden hour does not decide her "best".
        c2 = b.card(noted)
        with_note = windows.state(at_19, c2.tz, safe_pref(c2.preference), c2.region, cfg.windows, cfg.regions,
                                  c2.golden_hour)
        assert with_note.golden is None and "golden" not in with_note.label(at_19)
        assert with_note.short(at_19, 12) == "open -21:00"


def test_a_golden_hour_the_open_window_does_not_reach_is_not_offered():
    """Found trying the app: 'best 04:00' shown at 16:30 in a window closing at 22:00 (and it replaced the
    closing time): an hour in their quiet hours can never become 'best now'."""
    local = datetime(2026, 11, 24, 16, 30, tzinfo=SAO_PAULO)
    closes = datetime(2026, 11, 24, 22, 0, tzinfo=SAO_PAULO).astimezone(UTC)
    now = local.astimezone(UTC)
    for golden, short, label in ((4, "open -22:00", "in window until 22:00"),
                                 (19, "best 19:00", "in window until 22:00 · best at 19:00 their time"),
                                 (23, "open -22:00", "in window until 22:00"),
                                 (16, "best now", "in window until 22:00 · their golden hour")):
        state = windows.WindowState(windows.OPEN, local, golden == 16, None, closes, golden)
        assert (state.short(now, 12), state.label(now)) == (short, label), golden
