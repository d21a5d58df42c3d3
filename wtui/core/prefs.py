"""The communication-preference note (playbook §5): parse and format.

Canonical one-line form, parts separated by `` | `` in this order, each optional:

    Mr. Wang | Prefers text | Mon-Fri 9-18 | Max 2/week
    name     | format       | time          | frequency

time is a preset (``Office hours``, ``Night owl``) or windows joined by ``, ``:
``Mon-Fri 9-18, Sat 10-14``, ``Daily 20-23``, ``Mon,Wed 9:30-12``; a window
whose end is before its start runs past midnight (``Fri-Sat 22-2``).
frequency is ``Max N/day|week|month`` or ``Passive``.

``format_note(parse_note(s)) == s`` for every canonical ``s``; other spellings
(``mon-fri 09:00-18:00``, ``prefers Voice``) parse to the same note and format
canonically.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from wtui.errors import PreferenceError

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
FORMATS = ("text", "voice", "text + images", "video call")
PRESETS = ("Office hours", "Night owl")
EVERY_DAY = "Daily"
_DAY_INDEX = {d.lower(): i for i, d in enumerate(DAYS)}


@dataclass(frozen=True)
class DayRange:
    first: int  # 0 = Monday
    last: int  # inclusive; may wrap (Sat-Mon)

    def days(self) -> tuple[int, ...]:
        n = (self.last - self.first) % 7
        return tuple((self.first + i) % 7 for i in range(n + 1))


@dataclass(frozen=True)
class Window:
    days: tuple[DayRange, ...]  # empty = every day
    start: int  # minutes after local midnight, 0-1439
    end: int  # 1-1440; end <= start runs past midnight

    def weekdays(self) -> frozenset[int]:
        if not self.days:
            return frozenset(range(7))
        return frozenset(d for r in self.days for d in r.days())


@dataclass(frozen=True)
class Frequency:
    count: int  # 0 with passive
    period: str  # day, week, month; "" with passive
    passive: bool = False

    def min_gap_days(self) -> float:
        if self.passive:
            return 0.0
        return {"day": 1, "week": 7, "month": 30}[self.period] / self.count


@dataclass(frozen=True)
class Preference:
    name: str = ""
    format: str = ""  # one of FORMATS or ""
    preset: str = ""  # one of PRESETS or "" (then ``windows`` were typed)
    windows: tuple[Window, ...] = field(default=())
    frequency: Frequency | None = None


# --------------------------------------------------------------------------
# formatting


def format_minutes(minutes: int) -> str:
    h, m = divmod(minutes, 60)
    return f"{h}" if m == 0 else f"{h}:{m:02d}"


def format_days(days: tuple[DayRange, ...]) -> str:
    if not days:
        return EVERY_DAY
    parts = []
    for r in days:
        parts.append(DAYS[r.first] if r.first == r.last else f"{DAYS[r.first]}-{DAYS[r.last]}")
    return ",".join(parts)


def format_window(w: Window) -> str:
    return f"{format_days(w.days)} {format_minutes(w.start)}-{format_minutes(w.end)}"


def format_time(pref: Preference) -> str:
    if pref.preset:
        return pref.preset
    return ", ".join(format_window(w) for w in pref.windows)


def format_frequency(freq: Frequency) -> str:
    return "Passive" if freq.passive else f"Max {freq.count}/{freq.period}"


def format_note(pref: Preference) -> str:
    parts = []
    if pref.name:
        parts.append(pref.name)
    if pref.format:
        parts.append(f"Prefers {pref.format}")
    if pref.preset or pref.windows:
        parts.append(format_time(pref))
    if pref.frequency is not None:
        parts.append(format_frequency(pref.frequency))
    return " | ".join(parts)


# --------------------------------------------------------------------------
# parsing

_TIME = r"(\d{1,2})(?::(\d{2}))?"
_SPAN_RE = re.compile(rf"^{_TIME}\s*-\s*{_TIME}$")
_FREQ_RE = re.compile(r"^max\s+(\d+)\s*(?:/|per|a|times\s*/?)\s*(day|week|month)s?$", re.I)
_PREFERS_RE = re.compile(r"^prefers\s+(.+)$", re.I)


def parse_minutes(hour: str, minute: str | None, *, allow_24: bool) -> int:
    h, m = int(hour), int(minute or 0)
    if m >= 60 or h > 24 or (h == 24 and (m or not allow_24)):
        raise ValueError(f"{hour}:{minute or '00'} is not a time of day")
    return h * 60 + m


def parse_span(text: str) -> tuple[int, int]:
    """``9-18`` / ``09:30-18:00`` / ``22-2`` to (start, end) minutes."""
    m = _SPAN_RE.match(text.strip())
    if not m:
        raise ValueError(f"{text.strip()!r} is not an hour range like 9-18")
    start = parse_minutes(m.group(1), m.group(2), allow_24=False)
    end = parse_minutes(m.group(3), m.group(4), allow_24=True)
    if start == end:
        raise ValueError(f"{text.strip()!r} is an empty range")
    return start, end


def _parse_day(token: str) -> int:
    key = token.strip().lower()[:3]
    if key not in _DAY_INDEX or not token.strip().lower().startswith(key):
        raise ValueError(f"{token.strip()!r} is not a day (Mon, Tue, ... Sun)")
    return _DAY_INDEX[key]


def _parse_days(text: str) -> tuple[DayRange, ...]:
    if text.strip().lower() in ("daily", "every day"):
        return ()
    ranges = []
    for piece in text.split(","):
        if "-" in piece:
            a, b = piece.split("-", 1)
            ranges.append(DayRange(_parse_day(a), _parse_day(b)))
        else:
            d = _parse_day(piece)
            ranges.append(DayRange(d, d))
    return tuple(ranges)


def parse_window(text: str) -> Window:
    """``Mon-Fri 9-18`` (days, a space, hours)."""
    text = text.strip()
    days_text, _, span_text = text.rpartition(" ")
    if not days_text:
        raise ValueError(f"{text!r} needs days and hours, like Mon-Fri 9-18")
    days = _parse_days(days_text.replace(" ", ""))
    start, end = parse_span(span_text)
    return Window(days=days, start=start, end=end)


def parse_windows(text: str) -> tuple[Window, ...]:
    return tuple(parse_window(part) for part in re.split(r",\s+|;\s*", text.strip()) if part.strip())


def _parse_time(text: str) -> tuple[str, tuple[Window, ...]]:
    for preset in PRESETS:
        if text.strip().lower() == preset.lower():
            return preset, ()
    return "", parse_windows(text)


def _parse_frequency(text: str) -> Frequency | None:
    t = text.strip()
    if t.lower() == "passive":
        return Frequency(0, "", passive=True)
    m = _FREQ_RE.match(t)
    if not m:
        return None
    count = int(m.group(1))
    if count < 1:
        raise PreferenceError(f"{t!r}: the cap must be at least 1")
    return Frequency(count, m.group(2).lower())


def _parse_format(text: str) -> str | None:
    m = _PREFERS_RE.match(text.strip())
    if not m:
        return None
    wanted = re.sub(r"\s*\+\s*", " + ", m.group(1).strip().lower())
    wanted = {"text and images": "text + images", "video": "video call", "voice notes": "voice"}.get(wanted, wanted)
    if wanted not in FORMATS:
        raise PreferenceError(f"'Prefers {m.group(1)}': format must be one of {', '.join(FORMATS)}")
    return wanted


def parse_note(text: str) -> Preference:
    """Parse a preference note; PreferenceError names the part that fails."""
    if "\n" in text or "\r" in text:
        raise PreferenceError("a preference note is one line")
    parts = [p.strip() for p in text.split("|")]
    if parts == [""]:
        return Preference()
    name = fmt = preset = ""
    windows: tuple[Window, ...] = ()
    freq: Frequency | None = None
    seen: set[str] = set()

    def once(kind: str, n: int, part: str) -> None:
        if kind in seen:
            raise PreferenceError(f"part {n} {part!r}: a second {kind}")
        seen.add(kind)

    for n, part in enumerate(parts, 1):
        if not part:
            raise PreferenceError(f"part {n} is empty")
        got_fmt = _parse_format(part)
        if got_fmt is not None:
            once("format", n, part)
            fmt = got_fmt
            continue
        got_freq = _parse_frequency(part)
        if got_freq is not None:
            once("frequency", n, part)
            freq = got_freq
            continue
        try:
            got_preset, got_windows = _parse_time(part)
        except ValueError as exc:
            if n == 1 and not _looks_like_time(part):
                name = part
                seen.add("name")
                continue
            raise PreferenceError(f"part {n} {part!r}: {exc}") from None
        once("time", n, part)
        preset, windows = got_preset, got_windows
    return Preference(name=name, format=fmt, preset=preset, windows=windows, frequency=freq)


def _looks_like_time(part: str) -> bool:
    # "Mon-Fri 9-25" or "Funday 9-18" is a broken window, not a name.
    return bool(re.search(r"\d{1,2}(:\d\d)?\s*-\s*\d{1,2}(:\d\d)?$", part.strip()))


def preset_windows(pref: Preference, presets: dict[str, str]) -> tuple[Window, ...]:
    """The windows a note means, with presets expanded from config text."""
    if pref.preset:
        return parse_windows(presets[pref.preset])
    return pref.windows
