"""Preference notes in the team's languages (issue #15, playbook §5): Russian, Italian, Chinese and
Arabic notes parse to the same preference an English one would, and format back in their own words."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.core.test_prefs import preferences
from wtui.core.prefs import DayRange, Frequency, Window, format_note, parse_note
from wtui.core.prefs_words import LANGUAGES
from wtui.errors import PreferenceError

WANG = Window((DayRange(0, 4),), 9 * 60, 18 * 60)
CANONICAL = {
    "ru": ["Г-н Ван | Только текст | Пн-Пт 9-18 | Макс 2 в неделю", "Рабочее время | Пассивный",
           "Только голосовые | Ежедневно 20-23", "Сб-Вс 10-14 | Макс 1 в день"],
    "it": ["Sig. Wang | Solo testo | Lun-Ven 9-18 | Max 2 a settimana", "Nottambulo | Passivo",
           "Testo + immagini | Lun,Mer 9:30-12", "Videochiamata | Ogni giorno 19-21 | Max 3 al mese"],
    "zh": ["王先生 | 只发文字 | 周一-周五 9-18 | 每周最多2次", "办公时间 | 被动", "只发语音 | 每天 20-23",
           "文字加图片 | 周六-周日 10-14 | 每月最多1次"],
    "ar": ["السيد وانغ | نص فقط | الاثنين-الجمعة 9-18 | حد أقصى 2 في الأسبوع", "ساعات العمل | سلبي",
           "مكالمة فيديو | الأحد-الخميس 9-17", "صوت فقط | يوميا 20-23 | حد أقصى 1 في اليوم"],
}


@pytest.mark.parametrize("language, note", [(lang, n) for lang, notes in CANONICAL.items() for n in notes])
def test_a_note_round_trips_in_the_language_it_was_written_in(language, note):
    pref = parse_note(note)
    assert pref.language == language and format_note(pref) == note


@pytest.mark.parametrize("note", [CANONICAL[lang][0] for lang in CANONICAL])
def test_the_playbook_example_means_the_same_in_every_language(note):
    pref = parse_note(note)
    english = parse_note("Mr. Wang | Prefers text | Mon-Fri 9-18 | Max 2/week")
    assert (pref.format, pref.windows, pref.frequency) == (english.format, english.windows, english.frequency)
    assert pref.windows == (WANG,) and pref.frequency == Frequency(2, "week")


@pytest.mark.parametrize("typed, canonical", [
    ("г-н ван | только текст | пн-пт 09:00-18:00 | не более 2 в неделю",
     "г-н ван | Только текст | Пн-Пт 9-18 | Макс 2 в неделю"),
    ("Предпочитает текст | понедельник-пятница 9-18 | 2 раза в неделю", "Только текст | Пн-Пт 9-18 | Макс 2 в неделю"),
    ("solo vocali | lunedì-venerdì 9-18 | massimo 3 volte a settimana",
     "Solo vocali | Lun-Ven 9-18 | Max 3 a settimana"),
    ("仅文字 | 周一至周五9-18 | 一周最多2次", "只发文字 | 周一-周五 9-18 | 每周最多2次"),
    ("星期一、星期三 ９-１２", "周一,周三 9-12"),
    ("نص فقط | الاثنين،الأربعاء ٩-١٢ | بحد أقصى ٢ في الأسبوع", "نص فقط | الاثنين,الأربعاء 9-12 | حد أقصى 2 في الأسبوع"),
])
def test_spellings_reps_type_read_as_the_canonical_note(typed, canonical):
    assert format_note(parse_note(typed)) == canonical


@pytest.mark.parametrize("bad", ["Только текст | Только голосовые", "每周最多0次", "Пн-Пт 25-26"])
def test_a_bad_note_in_another_language_is_refused(bad):
    with pytest.raises(PreferenceError):
        parse_note(bad)


NAMES = {"ru": "Г-н Ван", "it": "Sig.ra Rossi", "zh": "王先生", "ar": "السيد أحمد"}


@given(preferences(), st.sampled_from(sorted(LANGUAGES)))
def test_any_note_round_trips_in_any_language(pref, language):
    from dataclasses import replace

    said = bool(pref.format or pref.preset or pref.windows or pref.frequency)
    pref = replace(pref, language=language if said else "en", name=NAMES[language] if pref.name else "")
    text = format_note(pref)
    assert parse_note(text) == pref and format_note(parse_note(text)) == text


_LIMIT_TEXT = st.one_of(
    st.text(max_size=30),
    st.builds(lambda lead, n, gap, period: f"{lead}{n}{gap}{period}",
              st.sampled_from(["", "max ", "Макс ", "每周最多", "حد أقصى ", "massimo "]), st.integers(0, 99),
              st.sampled_from(["", " ", " раз в ", " volte ", "/", " في ", "次"]),
              st.sampled_from([w for lang in LANGUAGES.values() for w in lang.period_words] + ["week", "semana"])),
)


@given(_LIMIT_TEXT)
def test_a_limit_is_read_as_trying_every_pattern_would(text):
    """The period-word test that skips a language's patterns never turns away a limit they would read."""
    import re

    from wtui.core import prefs_words

    k = prefs_words.key(text)
    expected = None
    for lang in LANGUAGES.values():
        for pattern in lang.limit_patterns:
            m = re.fullmatch(pattern, k)
            if m and m["period"].strip() in lang.period_words:
                expected = int(m["n"]), lang.period_words[m["period"].strip()], lang.code
                break
        if expected:
            break
    assert prefs_words.limit(text) == expected
