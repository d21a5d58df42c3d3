"""When the team server runs the automation rules: at the team's times of day, in the team's zone.

``rules_at`` holds times like "06:30"; the server runs the rules at each, once for the team. A server
that was down at a time runs the missed run when it starts (once, however many it missed).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from wtui.errors import BadInput

if TYPE_CHECKING:  # config imports this module at every start: zoneinfo is for the server's use
    from zoneinfo import ZoneInfo

_HHMM = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")


def parse_times(items: list[str]) -> list[time]:
    out = []
    for item in items:
        m = _HHMM.match(item.strip()) if isinstance(item, str) else None
        if not m:
            raise BadInput(f"{item!r}: a time of day like 06:30")
        out.append(time(int(m.group(1)), int(m.group(2))))
    return sorted(set(out))


def _at(day: date, t: time, zone: ZoneInfo) -> datetime:
    # fold=0: a time that happens twice (clocks going back) runs at the first; one skipped (clocks going
    # forward) runs when the wall clock has passed it, which fromisoformat-style construction gives.
    return datetime.combine(day, t, zone)


def next_run(now: datetime, times: list[time], zone: ZoneInfo) -> datetime | None:
    """The first scheduled time after ``now`` (None with no times)."""
    if not times:
        return None
    local = now.astimezone(zone)
    for days in range(0, 3):
        for t in times:
            at = _at(local.date() + timedelta(days=days), t, zone)
            if at > now:
                return at
    return None


def missed(last: datetime | None, now: datetime, times: list[time], zone: ZoneInfo) -> datetime | None:
    """The latest scheduled time in (last, now], if any: a run the server owes. Never run before: the
    latest time today or yesterday counts as owed (a new server runs the morning's rules at once)."""
    if not times:
        return None
    local = now.astimezone(zone)
    latest = None
    for days in (1, 0):
        for t in times:
            at = _at(local.date() - timedelta(days=days), t, zone)
            if at <= now:
                latest = at
    if latest is None or (last is not None and latest <= last):
        return None
    return latest
