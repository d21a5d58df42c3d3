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


def compact(delta: timedelta, cells: int = 0) -> str:
    """The same for a narrow column: '6h50', '1d4h', '45m'. Given ``cells``, the minor unit is dropped
    rather than cut mid-unit ('78d' for 78 d 13 h in 5 cells, never '78d1')."""
    d, h, m = _split(delta)
    if d:
        full, major = (f"{d}d{h}h" if h else f"{d}d"), f"{d}d"
    elif h:
        full, major = (f"{h}h{m:02d}" if m else f"{h}h"), f"{h}h"
    else:
        full = major = f"{m}m"
    return major if cells and len(full) > cells else full


_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_span(text: str, default_unit: str = "h") -> timedelta:
    """'4h', '2d', '30m', '12' (``default_unit``); '' or '0' = no span (zero). ValueError says how to write one."""
    import re

    if not text.strip():
        return timedelta(0)
    m = re.fullmatch(r"\s*(\d{1,6}(?:\.\d+)?)\s*([mhd]?)\s*", text.lower())
    if not m:
        raise ValueError(f"{text.strip()!r}: write a duration like 4h, 2d or 30m")
    return timedelta(**{_UNITS[m.group(2) or default_unit]: float(m.group(1))})
