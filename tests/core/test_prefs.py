"""Playbook §5: the preference note parses and formats back to the same text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wtui.core.prefs import (
    DAYS,
    FORMATS,
    DayRange,
    Frequency,
    Preference,
    Window,
    format_note,
    parse_note,
)
from wtui.errors import PreferenceError

CANONICAL = [
    "Mr. Wang | Prefers text | Mon-Fri 9-18 | Max 2/week",
    "Prefers voice | Night owl",
    "Office hours | Max 1/week",
    "Ms. Rossi | Prefers text + images | Mon-Fri 10-17, Sat 10-13",
    "Prefers video call | Tue,Thu 14-16",
    "Passive",
    "Prefers text | Daily 12-14, Daily 19-21 | Max 3/week",
    "Dr. Ahmed | Sat-Sun 10-18",
    "Fri-Sat 22-2",
    "Mon-Fri 9:30-17:45 | Max 1/month",
]


@pytest.mark.parametrize("note", CANONICAL)
def test_canonical_notes_round_trip_exactly(note):
    assert format_note(parse_note(note)) == note


def test_the_playbook_example_parses_into_its_parts():
    p = parse_note("Mr. Wang | Prefers text | Mon-Fri 9-18 | Max 2/week")
    assert p.name == "Mr. Wang"
    assert p.format == "text"
    assert p.windows == (Window((DayRange(0, 4),), 9 * 60, 18 * 60),)
    assert p.frequency == Frequency(2, "week")


@pytest.mark.parametrize("typed, canonical", [
    ("mr. wang | prefers TEXT | mon-fri 09:00-18:00 | max 2 / week",
     "mr. wang | Prefers text | Mon-Fri 9-18 | Max 2/week"),
    ("Prefers text and images|office hours", "Prefers text + images | Office hours"),
    ("night OWL | passive", "Night owl | Passive"),
    ("Monday-Friday 9-18", "Mon-Fri 9-18"),
    ("max 3 per week", "Max 3/week"),
])
def test_other_spellings_parse_to_the_canonical_form(typed, canonical):
    assert format_note(parse_note(typed)) == canonical


@pytest.mark.parametrize("bad, words", [
    ("Mr. Wang | Prefers fax", "format must be one of"),
    ("Mon-Fri 9-25", "not a time of day"),
    ("Mon-Fri 9-9", "empty range"),
    ("Funday 9-18 | Max 2/week", "part 1"),
    ("Mr. Wang | Prefers text | Prefers voice", "a second format"),
    ("Mr. Wang | Mon-Fri 9-18 | Daily 20-23", "a second time"),
    ("Mr. Wang | | Max 2/week", "part 2 is empty"),
    ("Mr. Wang | Max 0/week", "at least 1"),
    ("Mr. Wang | banana", "part 2"),
    ("line one\nline two", "one line"),
])
def test_what_does_not_parse_says_which_part_and_why(bad, words):
    with pytest.raises(PreferenceError) as err:
        parse_note(bad)
    assert words in str(err.value)


names = st.from_regex(r"\A(Mr\.|Ms\.|Dr\.) [A-Z][a-z]{1,10}\Z", fullmatch=True)
minutes = st.integers(0, 23).flatmap(lambda h: st.sampled_from([h * 60, h * 60 + 30]))
day_ranges = st.tuples(st.integers(0, 6), st.integers(0, 6)).map(lambda t: DayRange(*t))


@st.composite
def windows(draw):
    start = draw(minutes)
    end = draw(minutes.filter(lambda m: m != start).map(lambda m: m or 1440))
    days = tuple(draw(st.lists(day_ranges, min_size=0, max_size=2)))
    return Window(days, start, end)


@st.composite
def preferences(draw):
    preset = draw(st.sampled_from(["", "", "Office hours", "Night owl"]))
    wins = () if preset else tuple(draw(st.lists(windows(), min_size=0, max_size=3)))
    freq = draw(st.one_of(
        st.none(),
        st.just(Frequency(0, "", passive=True)),
        st.builds(Frequency, st.integers(1, 9), st.sampled_from(["day", "week", "month"])),
    ))
    return Preference(
        name=draw(st.one_of(st.just(""), names)),
        format=draw(st.sampled_from(("",) + FORMATS)),
        preset=preset,
        windows=wins,
        frequency=freq,
    )


@given(preferences())
def test_any_note_round_trips_through_text(pref):
    text = format_note(pref)
    parsed = parse_note(text)
    assert format_note(parsed) == text
    assert parsed == pref


def test_day_names_are_the_english_abbreviations():
    assert DAYS == ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
