"""Durations: the unit constants and the one way wtui writes a span for a rep."""

from __future__ import annotations

from datetime import timedelta

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def _split(delta: timedelta) -> tuple[int, int, int]:
    minutes = max(0, int(delta.total_seconds() // 60))
    d, rem = divmod(minutes, 1440)
    return d, *divmod(rem, 60)


def ago(delta: timedelta) -> str:
    """A short human duration: '6 h 50 m', '3 d 4 h', '12 m'."""
    d, h, m = _split(delta)
    if d:
        return f"{d} d {h} h" if h else f"{d} d"
    if h:
        return f"{h} h {m} m" if m else f"{h} h"
    return f"{m} m"


def compact(delta: timedelta) -> str:
    """The same for a narrow column: '6h50', '1d4h', '45m'."""
    d, h, m = _split(delta)
    if d:
        return f"{d}d{h}h" if h else f"{d}d"
    if h:
        return f"{h}h{m:02d}" if m else f"{h}h"
    return f"{m}m"
