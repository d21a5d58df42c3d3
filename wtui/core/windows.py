"""Contact windows (playbook §5-6): may the rep write to this customer now?

Everything is computed as UTC intervals built from local wall-clock rules day
by day, so DST changes come out right: "Mon-Fri 9-18" in Berlin opens at 08:00
UTC in winter and 07:00 UTC in summer. ``now`` is always an argument.

Rules, in order:
- the customer's own windows (preference note) decide; an explicit window
  overrides quiet hours, since the customer asked for it (night owls);
- without a preference, any hour outside local quiet hours (22-08 by default)
  and outside the region's worst time is open;
- the region's active hours (shifted during Ramadan where configured) mark the
  best part of an open window; a customer's golden hour (the hour of our
  messages they answer fastest, learned from their history) replaces them when
  they have no preference note: their own habit beats the region's seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from wtui.core.config import Region, Windows
from wtui.core.durations import ago, compact
from wtui.core.prefs import DayRange, Preference, Window, parse_span, preset_windows

UTC = timezone.utc
Interval = tuple[datetime, datetime]

OPEN, CLOSED, QUIET, WORST = "open", "closed", "quiet", "worst"
SHORT_HORIZON_DAYS = 3


@dataclass(frozen=True)
class WindowState:
    """Where now falls in a customer's contact window, and when it next opens."""

    state: str  # open, closed, quiet, worst
    local: datetime  # now in the customer's zone
    best: bool  # inside the region's active hours, or the customer's golden hour
    next_open: datetime | None  # UTC; None when open now or nothing opens soon
    closes_at: datetime | None  # UTC, when open
    golden: int | None = None  # their golden hour (local), when it decides "best"

    @property
    def in_window(self) -> bool:
        return self.state == OPEN

    @property
    def golden_ahead(self) -> bool:
        """Their golden hour comes later in this open window (before it closes): worth waiting for."""
        if self.golden is None or not self.in_window or self.best or self.local.hour >= self.golden:
            return False
        at = self.local.replace(hour=self.golden, minute=0, second=0, microsecond=0)
        return self.closes_at is None or at < self.closes_at.astimezone(self.local.tzinfo)

    def short(self, now: datetime, cells: int = 0) -> str:
        """For a queue column: 'open -18:00', 'quiet 6h50', 'closed 1d4h' (whole units within ``cells``);
        inside the window with a golden hour learned, 'best now' in it, or 'best 19:00' (their time) when
        it comes before the window closes (a golden hour in their quiet hours is no use today)."""
        if self.in_window and self.golden is not None and (self.best or self.golden_ahead):
            return "best now" if self.best else f"best {self.golden:02d}:00"
        if self.in_window:
            return f"open -{self.closes_at.astimezone(self.local.tzinfo):%H:%M}" if self.closes_at else "open"
        if self.next_open is None:
            return self.state
        return f"{self.state} {compact(self.next_open - now, max(0, cells - len(self.state) - 1) if cells else 0)}"

    def label(self, now: datetime) -> str:
        """'in window until 18:00' / 'quiet until 09:00 (in 6 h 50 m)'."""
        zone = self.local.tzinfo
        if self.in_window:
            until = f" until {self.closes_at.astimezone(zone):%H:%M}" if self.closes_at else ""
            if self.golden is not None:
                return f"in window{until}" + (" · their golden hour" if self.best else
                                              f" · best at {self.golden:02d}:00 their time" if self.golden_ahead
                                              else "")
            return f"in window{until}" + (" · best hours" if self.best else "")
        if self.next_open is None:
            return f"{self.state}: no window in the coming days"
        opens = self.next_open.astimezone(zone)
        day = "" if opens.date() == self.local.date() else f"{opens:%a} "
        return f"{self.state} until {day}{opens:%H:%M} (in {ago(self.next_open - now)})"


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _local_instant(day: date, minutes: int, tz: ZoneInfo) -> datetime:
    # 24:00 is the next midnight; wall times in a DST gap resolve forward.
    extra, minutes = divmod(minutes, 1440)
    wall = datetime.combine(day + timedelta(days=extra), time(minutes // 60, minutes % 60), tzinfo=tz)
    return wall.astimezone(UTC)


def intervals(windows: tuple[Window, ...], tz: ZoneInfo, start: datetime, days: int) -> list[Interval]:
    """UTC intervals of ``windows`` from the local day before ``start`` over ``days`` days."""
    first = start.astimezone(tz).date() - timedelta(days=1)
    out: list[Interval] = []
    for i in range(days + 2):
        day = first + timedelta(days=i)
        weekday = day.weekday()
        for w in windows:
            if weekday not in w.weekdays():
                continue
            end_minutes = w.end if w.end > w.start else w.end + 1440
            out.append((_local_instant(day, w.start, tz), _local_instant(day, end_minutes, tz)))
    return _merge(out)


def _merge(items: list[Interval]) -> list[Interval]:
    items = sorted(i for i in items if i[1] > i[0])
    merged: list[Interval] = []
    for s, e in items:
        if merged and s <= merged[-1][1]:
            if e > merged[-1][1]:
                merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def _subtract(base: list[Interval], cut: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for s, e in base:
        pieces = [(s, e)]
        for cs, ce in cut:
            nxt = []
            for ps, pe in pieces:
                if ce <= ps or cs >= pe:
                    nxt.append((ps, pe))
                    continue
                if cs > ps:
                    nxt.append((ps, cs))
                if ce < pe:
                    nxt.append((ce, pe))
            pieces = nxt
        out.extend(pieces)
    return out


def _containing(items: list[Interval], now: datetime) -> Interval | None:
    for s, e in items:
        if s <= now < e:
            return (s, e)
    return None


def _daily(span_text_: str, shift: int = 0) -> tuple[Window, ...]:
    if not span_text_:
        return ()
    s, e = parse_span(span_text_)
    return (Window((), (s + shift) % 1440, (e + shift - 1) % 1440 + 1),)


def _region_active(region: Region | None, shift: int) -> tuple[Window, ...]:
    if region is None:
        return ()
    out: list[Window] = []
    weekdays, weekend = (DayRange(0, 4),), (DayRange(5, 6),)
    for text, days in ((region.weekday, weekdays), (region.weekend, weekend)):
        if text:
            s, e = parse_span(text)
            out.append(Window(days, (s + shift) % 1440, (e + shift - 1) % 1440 + 1))
    for w in _daily(region.best, shift):
        out.append(w)
    return tuple(out)


def state(
    now: datetime,
    tz_name: str,
    pref: Preference | None,
    region_code: str,
    cfg: Windows,
    regions: dict[str, Region],
    golden: int | None = None,
) -> WindowState:
    """Where ``now`` falls for this customer, and when their window next opens (``golden``: their golden
    hour, used for "best" when they have no preference note)."""
    # Most windows recur daily or on weekdays: look 3 days ahead first, and the
    # full search_days only when nothing opens that soon.
    found = _state(now, tz_name, pref, region_code, cfg, regions, min(SHORT_HORIZON_DAYS, cfg.search_days), golden)
    if found.in_window or found.next_open is not None or cfg.search_days <= SHORT_HORIZON_DAYS:
        return found
    return _state(now, tz_name, pref, region_code, cfg, regions, cfg.search_days, golden)


def _state(now: datetime, tz_name: str, pref: Preference | None, region_code: str, cfg: Windows,
           regions: dict[str, Region], span: int, golden: int | None = None) -> WindowState:
    tz = zone(tz_name or "UTC")
    region = regions.get(region_code)
    shift = int(cfg.ramadan_shift_minutes) if cfg.ramadan and region_code in cfg.ramadan_regions else 0
    quiet_win = (Window((), int(cfg.quiet_start * 60) % 1440, int(cfg.quiet_end * 60) or 1440),)
    quiet = intervals(quiet_win, tz, now, span)
    worst = intervals(_daily(region.worst, shift), tz, now, span) if region else []
    own = preset_windows(pref, {"Office hours": cfg.office_hours, "Night owl": cfg.night_owl}) if pref else ()
    if own:
        open_ = intervals(own, tz, now, span)
    else:
        everything = [(now - timedelta(days=2), now + timedelta(days=span + 2))]
        open_ = _subtract(everything, _merge(quiet + worst))
    here = _containing(open_, now)
    local = now.astimezone(tz)
    golden = None if own else golden  # their note is what they asked for: it stands
    if golden is not None:
        best = local.hour == golden
    else:
        best = _containing(intervals(_region_active(region, shift), tz, now, 1), now) is not None
    if here:
        return WindowState(OPEN, local, best, None, here[1], golden)
    upcoming = [s for s, _ in open_ if s > now]
    nxt = min(upcoming) if upcoming else None
    kind = QUIET if _containing(quiet, now) else WORST if _containing(worst, now) else CLOSED
    return WindowState(kind, local, best, nxt, None, golden)
