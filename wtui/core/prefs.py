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
canonically. A note written in Russian, Italian, Chinese or Arabic
(``Г-н Ван | Только текст | Пн-Пт 9-18 | Макс 2 в неделю``, ``王先生 | 只发文字 |
周一-周五 9-18 | 每周最多2次``; the words are in ``prefs_words``) keeps its language:
it formats back in the words it was written in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from wtui.core import prefs_words as words
from wtui.errors import PreferenceError

if TYPE_CHECKING:
    from wtui.core.config import Config

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
FORMATS = ("text", "voice", "text + images", "video call")
PRESETS = ("Office hours", "Night owl")
EVERY_DAY = "Daily"
_DAY_INDEX = {d.lower(): i for i, d in enumerate(DAYS)}


@dataclass(frozen=True)
class DayRange:
    """Days of the week, first to last (0 = Monday)."""

    first: int  # 0 = Monday
    last: int  # inclusive; may wrap (Sat-Mon)

    def days(self) -> tuple[int, ...]:
        n = (self.last - self.first) % 7
        return tuple((self.first + i) % 7 for i in range(n + 1))


@dataclass(frozen=True)
class Window:
    """A contact window: on these days, from ``start`` to ``end`` (minutes, local)."""

    days: tuple[DayRange, ...]  # empty = every day
    start: int  # minutes after local midnight, 0-1439
    end: int  # 1-1440; end <= start runs past midnight

    def weekdays(self) -> frozenset[int]:
        if not self.days:
            return frozenset(range(7))
        return frozenset(d for r in self.days for d in r.days())


@dataclass(frozen=True)
class Frequency:
    """A preference note's limit: at most ``count`` a ``period``, or passive."""

    count: int  # 0 with passive
    period: str  # day, week, month; "" with passive
    passive: bool = False

    def min_gap_days(self) -> float:
        if self.passive:
            return 0.0
        return {"day": 1, "week": 7, "month": 30}[self.period] / self.count


@dataclass(frozen=True)
class Preference:
    """A parsed preference note (``parse_note``; ``format_note`` writes it back)."""

    name: str = ""
    format: str = ""  # one of FORMATS or ""
    preset: str = ""  # one of PRESETS or "" (then ``windows`` were typed)
    windows: tuple[Window, ...] = field(default=())
    frequency: Frequency | None = None
    language: str = "en"  # the words it was written in: en, or one of prefs_words.LANGUAGES


# --------------------------------------------------------------------------
# formatting


def format_minutes(minutes: int) -> str:
    h, m = divmod(minutes, 60)
    return f"{h}" if m == 0 else f"{h}:{m:02d}"


def format_days(days: tuple[DayRange, ...], language: str = "en") -> str:
    w = words.LANGUAGES.get(language)
    names, every = (w.days, w.daily) if w else (DAYS, EVERY_DAY)
    if not days:
        return every
    parts = []
    for r in days:
        parts.append(names[r.first] if r.first == r.last else f"{names[r.first]}-{names[r.last]}")
    return ",".join(parts)


def format_window(w: Window, language: str = "en") -> str:
    return f"{format_days(w.days, language)} {format_minutes(w.start)}-{format_minutes(w.end)}"


def format_time(pref: Preference, language: str = "en") -> str:
    """The time part (in English unless ``language`` is given: the book's time column is English)."""
    w = words.LANGUAGES.get(language)
    if pref.preset:
        return w.presets[pref.preset] if w else pref.preset
    return ", ".join(format_window(x, language) for x in pref.windows)


def format_frequency(freq: Frequency, language: str = "en") -> str:
    w = words.LANGUAGES.get(language)
    if w:
        return w.passive if freq.passive else w.format_limit(freq.count, freq.period)
    return "Passive" if freq.passive else f"Max {freq.count}/{freq.period}"


def format_note(pref: Preference) -> str:
    """The note in its canonical form, in the words it was written in."""
    lang = pref.language
    w = words.LANGUAGES.get(lang)
    parts = []
    if pref.name:
        parts.append(pref.name)
    if pref.format:
        parts.append(w.formats[pref.format] if w else f"Prefers {pref.format}")
    if pref.preset or pref.windows:
        parts.append(format_time(pref, lang))
    if pref.frequency is not None:
        parts.append(format_frequency(pref.frequency, lang))
    return " | ".join(parts)


# --------------------------------------------------------------------------
# parsing

_TIME = r"(\d{1,2})(?::(\d{2}))?"
_SPAN_RE = re.compile(rf"^{_TIME}\s*-\s*{_TIME}$")
_FREQ_RE = re.compile(r"^max\s+(\d+)\s*(?:/|per|a|times\s*/?)\s*(day|week|month)s?$", re.I)
_FREQ_LIKE = re.compile(r"^(?:max\b|\d+\s*(?:/|per\b|x\b|times\b))", re.I)  # a limit, misspelt
_PREFERS_RE = re.compile(r"^prefers?\s+(.+)$", re.I)


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


_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_EVERY_DAY = ("daily", "everyday")  # "every day" arrives without its space
# Words reps write for days that the note does not take: only for the suggestion in an error.
_DAY_WORDS = {"weekdays": "Mon-Fri", "weekday": "Mon-Fri", "workdays": "Mon-Fri", "weekends": "Sat-Sun",
              "weekend": "Sat-Sun", "allweek": "Daily", "alldays": "Daily"}
_DASHES = re.compile(r"\s*[-\u2010-\u2015\u2212]\s*")  # hyphen, en and em dashes, minus; spaces around them


def _dashes(text: str) -> str:
    """'Mon – Fri 9:00 - 18:00' -> 'Mon-Fri 9:00-18:00': dashes as typed on phones, spaces around them."""
    return _DASHES.sub("-", text.strip())


def _parse_day(token: str) -> int:
    """Mon, Tue... or any longer start of the day's name (Tues, Thurs, Saturday); Weds too; or a day
    in one of the team's other languages (Пн, lunedì, 周一, الاثنين)."""
    key = token.strip().lower()
    for i, full in enumerate(_FULL_DAYS):
        if len(key) >= 3 and full.startswith(key) or key == "weds" and i == 2:
            return i
    other = words.day(token)
    if other is not None:
        return other[0]
    raise ValueError(f"{token.strip()!r} is not a day (Mon, Tue, ... Sun)")


# Chinese writes a range of days with 至 or 到 and a list with 、; Arabic lists with its own comma.
_DAY_MARKS = str.maketrans({"至": "-", "到": "-", "~": "-", "、": ",", "،": ","})


def _parse_days(text: str) -> tuple[DayRange, ...]:
    text = text.translate(_DAY_MARKS)
    if text.strip().lower() in _EVERY_DAY or words.daily(text):
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
    text = _dashes(words.digits(text))
    days_text, _, span_text = text.rpartition(" ")
    if not days_text:  # 周一至周五9-18: Chinese leaves out the space
        glued = re.fullmatch(r"(\D*[^\d\s-])(\d[\d:]*-\d[\d:]*)", text)
        days_text, span_text = glued.groups() if glued else ("", text)
    if not days_text:
        raise ValueError(f"{text!r} needs days and hours, like Mon-Fri 9-18")
    days = _parse_days(days_text.replace(" ", ""))
    start, end = parse_span(span_text)
    return Window(days=days, start=start, end=end)


def parse_windows(text: str) -> tuple[Window, ...]:
    return tuple(parse_window(part) for part in _WINDOW_SEP.split(text.strip()) if part.strip())


_WINDOW_SEP = re.compile(r",\s+|;\s*")


def _parse_time(text: str) -> tuple[str, tuple[Window, ...]]:
    for preset in PRESETS:
        if text.strip().lower() == preset.lower():
            return preset, ()
    return "", parse_windows(words.digits(text).translate(_DAY_MARKS))


def _time_language(text: str) -> str:
    """The language of a time part's day words ("en" when they are English)."""
    plain = _dashes(words.digits(text)).translate(_DAY_MARKS)
    for chunk in _WINDOW_SEP.split(plain):
        days = re.sub(r"\d[\d:]*(?:-\d[\d:]*)?", " ", chunk).strip()
        lang = words.daily(days)
        if lang:
            return lang
        for token in re.split(r"[\s,\-]+", days):
            got = words.day(token) if token else None
            if got:
                return got[1]
    return "en"


def _parse_frequency(text: str) -> Frequency | None:
    t = text.strip()
    if t.lower() == "passive":
        return Frequency(0, "", passive=True)
    m = _FREQ_RE.match(t)
    if not m:
        if _FREQ_LIKE.match(t):
            n = re.search(r"\d+", t)
            period = next((p for p in ("day", "week", "month") if re.search(rf"\b{p[0]}", t[1:], re.I)), "week")
            fix = f"Max {max(1, int(n.group())) if n else 2}/{period}"
            raise PreferenceError(f"{t!r}: a limit is a number per day, week or month, or 'Passive': try '{fix}'")
        return None
    count = int(m.group(1))
    if count < 1:
        raise PreferenceError(f"{t!r}: the limit must be at least 1: try 'Max 1/{m.group(2).lower()}', or 'Passive'")
    return Frequency(count, m.group(2).lower())


def _parse_format(text: str) -> str | None:
    m = _PREFERS_RE.match(text.strip())
    if not m:
        return None
    wanted = re.sub(r"\s*\+\s*", " + ", m.group(1).strip().lower())
    wanted = {"text and images": "text + images", "video": "video call", "voice notes": "voice"}.get(wanted, wanted)
    if wanted not in FORMATS:
        close = _close(wanted, list(FORMATS))
        raise PreferenceError(f"{text.strip()!r}: the formats are {', '.join(FORMATS[:-1])} and {FORMATS[-1]}: "
                              f"try 'Prefers {close or FORMATS[0]}'")
    return wanted


def parse_note(text: str) -> Preference:
    """Parse a preference note; PreferenceError says what is wrong in a rep's words, and what to write."""
    if "\n" in text or "\r" in text:
        raise PreferenceError("a preference note is one line: put ' | ' between its parts instead of a new line")
    parts = [p.strip() for p in text.split("|")]
    if parts == [""]:
        return Preference()
    if "" in parts:
        kept = " | ".join(p for p in parts if p)
        raise PreferenceError("there is an empty part between two '|'" + (f": try '{kept}'" if kept else ""))
    name = fmt = preset = ""
    windows: tuple[Window, ...] = ()
    freq: Frequency | None = None
    seen: dict[str, str] = {}  # kind -> the part that said it
    langs: list[str] = []  # the language of each part that has words of one, in order

    def once(kind: str, part: str) -> None:
        if kind in seen:
            raise PreferenceError(_second(kind, seen[kind], part, parts))
        seen[kind] = part

    for n, part in enumerate(parts, 1):
        said = words.phrase(part)
        if said is not None:
            kind, value, lang = said
            once({"format": "format", "preset": "time", "passive": "limit"}[kind], part)
            langs.append(lang)
            if kind == "format":
                fmt = value
            elif kind == "preset":
                preset, windows = value, ()
            else:
                freq = Frequency(0, "", passive=True)
            continue
        capped = words.limit(part)
        if capped is not None:
            count, period, lang = capped
            once("limit", part)
            if count < 1:
                raise PreferenceError(f"{part!r}: the limit must be at least 1")
            langs.append(lang)
            freq = Frequency(count, period)
            continue
        got_fmt = _parse_format(part)
        if got_fmt is not None:
            once("format", part)
            langs.append("en")
            fmt = got_fmt
            continue
        got_freq = _parse_frequency(part)
        if got_freq is not None:
            once("limit", part)
            langs.append("en")
            freq = got_freq
            continue
        try:
            got_preset, got_windows = _parse_time(part)
        except ValueError:
            if n == 1 and not _looks_like_time(part):
                name = part
                continue
            if _looks_like_time(part) or _is_days(part):
                raise PreferenceError(_time_problem(part)) from None
            raise PreferenceError(
                f"{part!r} is not a format, a time or a limit (only the first part may be a name): a note reads "
                "like 'Mr. Wang | Prefers text | Mon-Fri 9-18 | Max 2/week'") from None
        once("time", part)
        langs.append("en" if got_preset else _time_language(part))
        preset, windows = got_preset, got_windows
    return Preference(name=name, format=fmt, preset=preset, windows=windows, frequency=freq,
                      language=langs[0] if langs else "en")


def _second(kind: str, first: str, again: str, parts: list[str]) -> str:
    if again.casefold() == first.casefold():  # the same part twice: keep one
        kept = " | ".join(p for i, p in enumerate(parts) if p.casefold() != again.casefold() or
                          i == next(j for j, q in enumerate(parts) if q.casefold() == again.casefold()))
        return f"{again!r} is there twice: keep one: try '{kept}'"
    if kind == "time":
        fixed = " | ".join(f"{first}, {again}" if p == first else p for p in parts if p != again)
        return f"{again!r} is a second time: put all the times in one part, separated by commas: try '{fixed}'"
    return f"{again!r} is a second {kind}: a note has one, so keep '{first}' or '{again}'"


# The diagnosis of a time that does not parse: what the rep meant, and how to write it.

_HOURS_LIKE = re.compile(r"^[\d:.]+(?:am|pm|h)?(?:-[\d:.]+(?:am|pm|h)?)?(?:,[\d:.]+(?:am|pm|h)?-[\d:.]+(?:am|pm|h)?)*$",
                         re.I)
_CLOCK = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|h)?$", re.I)


def _is_days(text: str) -> bool:
    try:
        _parse_days(text.replace(" ", ""))
    except ValueError:
        return False
    return True


def _looks_like_time(part: str) -> bool:
    """A broken time, not a name: it ends in hours ('Funday 9-18', 'Mon-Fri 9am-5pm'), or starts with
    days and has a number in it ('Daily 9', 'Weekdays 9-18')."""
    tokens = _dashes(part).split()
    if not tokens or not any(ch.isdigit() for ch in part):
        return False
    first = tokens[0].lower().split("-")[0].split(",")[0]
    return bool(_HOURS_LIKE.match(tokens[-1]) and "-" in tokens[-1]) or _is_days(first) or first in _DAY_WORDS


def _time_problem(part: str) -> str:
    for window in _WINDOW_SEP.split(_dashes(part)):
        try:
            parse_window(window)
        except ValueError:
            return _window_problem(window.strip(), part)
    return f"{part!r} is not a time: write days and hours like 'Mon-Fri 9-18', or 'Office hours' or 'Night owl'"


def _window_problem(window: str, part: str) -> str:
    tokens = window.split()
    hours = [i for i, t in enumerate(tokens) if _HOURS_LIKE.match(t)]
    if not hours:
        if _is_days(window):
            return f"{window!r} says the days but not the hours: try '{window} 9-18'"
        return _days_problem(window, "9-18")
    if hours[0] == 0:
        return f"{window!r} says the hours but not the days: try 'Daily {window}' or 'Mon-Fri {window}'"
    if len(hours) > 1 or hours[-1] != len(tokens) - 1 or "," in tokens[hours[0]]:
        fixed, days, pending = [], "", []
        for t in tokens:
            if _HOURS_LIKE.match(t):
                days, pending = " ".join(pending) or days, []
                fixed += [f"{days} {span}" for span in t.split(",")]
            else:
                pending.append(t)
        if pending:
            return f"{' '.join(pending)!r} says the days but not the hours: try '{' '.join(pending)} 9-18'"
        suggestion = ", ".join(fixed)
        try:
            parse_windows(suggestion)
        except ValueError:
            return _time_problem(suggestion)
        return (f"{window!r} has {len(fixed)} times in one: give each its days, separated by commas: "
                f"try '{suggestion}'")
    days, span = " ".join(tokens[:-1]), tokens[-1]
    if not _is_days(days):
        return _days_problem(days, span)
    return _hours_problem(days, span)


def _days_problem(days: str, span: str) -> str:
    squeezed = days.replace(" ", "").lower()
    if squeezed in _DAY_WORDS:
        return f"{days!r} is not a day wtui reads: try '{_DAY_WORDS[squeezed]} {span}'"
    if " to " in f" {days.lower()} ":
        fixed = re.sub(r"\s+to\s+", "-", days, flags=re.I)
        if _is_days(fixed):
            return f"{days!r}: a range of days takes a dash: try '{fixed} {span}'"
    for piece in re.split(r"[,\-]", days.replace(" ", "")):
        try:
            _parse_day(piece)
        except ValueError:
            close = _close(piece.lower(), list(_FULL_DAYS))
            fix = ""
            if close:
                fixed = days.replace(piece, DAYS[_FULL_DAYS.index(close)])
                try:  # never a suggestion that is itself refused: hours that are wrong too are said as well
                    parse_window(f"{fixed} {span}")
                    fix = f": try '{fixed} {span}'"
                except ValueError:
                    hours = _hours_problem(fixed, span)
                    fix = f"; and {hours}" + ("" if "try '" in hours else f": try '{fixed} 9-18'")
            return f"{piece!r} is not a day (Mon, Tue, Wed, Thu, Fri, Sat, Sun, a range like Mon-Fri, or Daily){fix}"
    return f"{days!r} is not a list of days: write them like 'Mon-Fri', 'Mon,Wed,Fri' or 'Daily'"


def _hours_problem(days: str, span: str) -> str:
    ends = span.split("-")
    clocks = [_CLOCK.match(e) for e in ends]
    if len(ends) != 2 or not all(clocks):
        return f"{span!r} is not a range of hours: write it like '{days} 9-18' or '{days} 9:30-17:45'"
    minutes = []
    for m in clocks:
        h, mins, suffix = int(m.group(1)), int(m.group(2) or 0), (m.group(3) or "").lower()
        if suffix in ("am", "pm") and 1 <= h <= 12:
            h = h % 12 + (12 if suffix == "pm" else 0)
        minutes.append((h, mins))
    fixed = "-".join(format_minutes(h * 60 + mins) if h <= 24 and mins < 60 else "?" for h, mins in minutes)
    if any(h > 24 or mins >= 60 for h, mins in minutes):
        bad = next(e for e, (h, mins) in zip(ends, minutes, strict=True) if h > 24 or mins >= 60)
        return f"{bad!r} is not a time of day: hours go from 0 to 24 and minutes from 0 to 59"
    if minutes[0] == minutes[1]:
        return f"{span!r} starts and ends at the same time: say when it ends, like '{days} 9-18'"
    if re.search(r"am|pm", span, re.I):
        return f"{span!r}: hours are on the 24-hour clock: try '{days} {fixed}'"
    return f"{span!r}: hours are written like 9, 9:30 or 17:45: try '{days} {fixed}'"


def _close(word: str, options: list[str]) -> str | None:
    import difflib  # only on the error path

    found = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return found[0] if found else None


def preset_windows(pref: Preference, presets: dict[str, str]) -> tuple[Window, ...]:
    """The windows a note means, with presets expanded from config text."""
    if pref.preset:
        return parse_windows(presets[pref.preset])
    return pref.windows


def doubts(pref: Preference, cfg: Config) -> list[str]:
    """What in a note a rep may not have meant, said back when it is stored (it is stored as written: the
    customer's own words win): a window that reaches into the local night (``windows.quiet_*``), which the
    customer's windows override (so "18-9" means messages at 3 am), or a cap over
    ``templates.warn_per_week``, where customers mute the chat."""
    out = []
    warn_per_week = cfg.templates.warn_per_week
    q0, q1 = int(cfg.windows.quiet_start * 60) % 1440, int(cfg.windows.quiet_end * 60) % 1440

    def night(m: int) -> bool:
        return (q0 <= m or m < q1) if q0 > q1 else q0 <= m < q1

    for w in pref.windows:
        minutes = range(w.start, w.end) if w.end > w.start else [*range(w.start, 1440), *range(0, w.end)]
        if any(night(m) for m in minutes):
            out.append(f"{format_window(w)} reaches into the customer's night (quiet hours "
                       f"{format_minutes(q0)}-{format_minutes(q1)}): their window wins, so wtui may suggest a "
                       "message then; if that was not meant, write the hours again (like 9-18)")
    freq = pref.frequency
    if freq and not freq.passive and 7 / freq.min_gap_days() > warn_per_week:
        out.append(f"{format_frequency(freq)} is over {warn_per_week} a week, where about a third of customers "
                   "mute the chat")
    return out


@lru_cache(maxsize=2048)
def safe_pref(note: str | None) -> Preference | None:
    """A stored note, parsed (notes repeat across a book, so parsing is cached); None when it is empty or
    no longer parses: stored notes were validated on write, and an old one must not stop the queue."""
    if not note:
        return None
    try:
        return parse_note(note)
    except PreferenceError:
        return None
