"""Untrusted text is shown literally: controls and bidi overrides made visible."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wtui.core.text import counted, fit, visible, width


def test_escape_sequences_and_bidi_overrides_become_visible():
    assert visible("[bold]Ali\x1b[31m\u202eevil") == "[bold]Ali␛[31m<RLO>evil"


def test_markup_is_left_as_text():
    assert visible("[red]hi[/] [link=x]") == "[red]hi[/] [link=x]"


def test_names_in_any_script_are_unchanged():
    for name in ("محمد المنصوري", "王志明", "Александр Иванов", "João Silva", "👩‍👩‍👧 family"):
        assert visible(name) == name


def test_c1_controls_and_del_are_marked():
    assert visible("a\x9bb\x7fc\x00") == "a<U+009B>b␡c␀"


@given(st.text())
def test_nothing_visible_can_drive_a_terminal(s):
    out = visible(s)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in out)
    assert not any(c in out for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def test_wide_characters_take_two_cells():
    assert width("王志明") == 6
    assert fit("王志明abc", 5) == "王志…"
    assert width(fit("王志明abc", 5)) == 5
    assert fit("ab", 4) == "ab  "


def test_every_hostile_fixture_comes_out_inert():
    import json
    from pathlib import Path

    fixture = Path(__file__).parents[2] / "fixtures" / "hostile_text.json"
    for s in json.loads(fixture.read_text("utf-8"))["strings"]:
        out = visible(s)
        assert "\x1b" not in out and "\x07" not in out and "\n" not in out and "\u202e" not in out
        assert all(ch in out for ch in s if ch.isalpha())  # every letter of every script survives


def test_durations_read_naturally_and_compactly():
    from datetime import timedelta

    from wtui.core.durations import ago, compact

    for delta, long, short in [
        (timedelta(minutes=12), "12 m", "12m"), (timedelta(hours=6, minutes=50), "6 h 50 m", "6h50"),
        (timedelta(hours=3), "3 h", "3h"), (timedelta(days=3, hours=4), "3 d 4 h", "3d4h"),
        (timedelta(days=2), "2 d", "2d"), (timedelta(seconds=-5), "0 m", "0m"),
    ]:
        assert (ago(delta), compact(delta)) == (long, short)


def test_a_like_pattern_matches_percent_underscore_and_backslash_only_literally():
    from wtui.book.engine import sqlite3
    from wtui.core.text import like_contains

    conn = sqlite3.connect(":memory:")
    texts = ["50% off", "50 off", "a_b", "axb", "c:\\dir", "c:dir"]
    for needle, want in (("50%", ["50% off"]), ("a_b", ["a_b"]), ("\\d", ["c:\\dir"])):
        pattern = like_contains(needle)
        got = [t for t in texts if conn.execute("SELECT ? LIKE ? ESCAPE '\\'", (t, pattern)).fetchone()[0]]
        assert got == want, needle


def test_width_counts_as_a_terminal_does_spacing_marks_one_cell_non_spacing_none():
    from wtui.core.text import width

    assert width("कि") == 2  # क + the spacing vowel sign ि (Rich says 1; terminals draw 2)
    assert width("नमस्ते") == 4  # the virama ् and the sign े take no cell
    assert width("王小明") == 6 and width("e\u0301") == 1 and width("abc") == 3


@given(st.recursive(st.text() | st.integers() | st.none(),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
                    max_leaves=6))
def test_json_text_has_no_raw_control_or_bidi_character_and_round_trips(obj):
    import json

    from wtui.core.text import json_text

    text = json_text(obj)
    assert json.loads(text) == obj
    assert not [c for c in text if (ord(c) < 0x20 and c not in "\n ") or 0x7F <= ord(c) <= 0x9F
                or c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u2028\u2029"]


def test_json_text_keeps_letters_of_every_script_readable():
    from wtui.core.text import json_text

    got = json_text({"name": "王小明 Мария مريم\x9b\u202e"}, indent=None)
    assert got == '{"name": "王小明 Мария مريم\\u009b\\u202e"}'


@pytest.mark.parametrize("n, expected", [(0, "0 matches"), (1, "1 match"), (2, "2 matches"), (12345, "12,345 matches")])
def test_a_count_takes_the_word_in_its_number_with_thousands_separators(n, expected):
    assert counted(n, "match", "matches") == expected


def test_a_regular_plural_adds_an_s():
    assert (counted(1, "customer"), counted(3, "customer")) == ("1 customer", "3 customers")
