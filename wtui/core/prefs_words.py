"""The preference note's words in the team's languages (playbook §5, issue #15): Russian, Italian,
Chinese and Arabic beside English, so a note written in one reads back in it.

Each language has one canonical spelling of every part (what ``format_note`` writes) and the other
spellings reps type (what ``parse_note`` also reads). The English words live in ``prefs`` itself.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

PERIODS = ("day", "week", "month")


@dataclass(frozen=True, eq=False)  # four constants, never compared: no __eq__/__hash__ to compile
class Words:
    """One language's words for the preference note: what it writes and what it reads."""

    code: str
    days: tuple[str, ...]  # Monday first, as written
    day_words: dict[str, int]  # every spelling read (casefolded) -> 0 = Monday
    daily: str
    daily_words: tuple[str, ...]
    formats: dict[str, str]  # format (prefs.FORMATS) -> as written
    format_words: dict[str, str]  # spelling read -> format
    presets: dict[str, str]  # preset (prefs.PRESETS) -> as written
    preset_words: dict[str, str]  # spelling read -> preset
    passive: str
    passive_words: tuple[str, ...]
    limit: str  # "{n}" and "{period}": the canonical limit
    periods: dict[str, str]  # period -> as the canonical limit writes it
    period_words: dict[str, str]  # spelling read -> period
    limit_patterns: tuple[str, ...]  # regexes with (?P<n>) and (?P<period>) over the casefolded part

    def format_limit(self, count: int, period: str) -> str:
        return self.limit.format(n=count, period=self.periods[period])


def _days(*names: tuple[str, ...]) -> dict[str, int]:
    return {spelling.casefold(): i for i, spellings in enumerate(names) for spelling in spellings}


_PERIOD = r"(?P<period>[^\d\s/]+(?:\s[^\d\s/]+)?)"

RU = Words(
    "ru", ("Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"),
    _days(("пн", "понедельник"), ("вт", "вторник"), ("ср", "среда"), ("чт", "четверг"), ("пт", "пятница"),
          ("сб", "суббота"), ("вс", "воскресенье")),
    "Ежедневно", ("ежедневно", "каждый день"),
    {"text": "Только текст", "voice": "Только голосовые", "text + images": "Текст + фото",
     "video call": "Видеозвонок"},
    {"только текст": "text", "предпочитает текст": "text", "текст": "text", "только голосовые": "voice",
     "только голос": "voice", "голосовые": "voice", "голосом": "voice", "предпочитает голосовые": "voice",
     "текст + фото": "text + images", "текст и фото": "text + images", "текст + картинки": "text + images",
     "видеозвонок": "video call", "видеосвязь": "video call"},
    {"Office hours": "Рабочее время", "Night owl": "Сова"},
    {"рабочее время": "Office hours", "рабочие часы": "Office hours", "сова": "Night owl"},
    "Пассивный", ("пассивный", "пассивно", "сам напишет"),
    "Макс {n} в {period}", {"day": "день", "week": "неделю", "month": "месяц"},
    {"день": "day", "в день": "day", "сутки": "day", "неделю": "week", "в неделю": "week", "неделя": "week",
     "месяц": "month", "в месяц": "month"},
    (rf"(?:макс\.?|максимум|не более|до)\s*(?P<n>\d+)\s*(?:раз[а]?\s*)?(?:/|в)?\s*{_PERIOD}",
     rf"(?P<n>\d+)\s*раз[а]?\s*(?:/|в)\s*{_PERIOD}"),
)

IT = Words(
    "it", ("Lun", "Mar", "Mer", "Gio", "Ven", "Sab", "Dom"),
    _days(("lun", "lunedì", "lunedi"), ("mar", "martedì", "martedi"), ("mer", "mercoledì", "mercoledi"),
          ("gio", "giovedì", "giovedi"), ("ven", "venerdì", "venerdi"), ("sab", "sabato"), ("dom", "domenica")),
    "Ogni giorno", ("ogni giorno", "tutti i giorni"),
    {"text": "Solo testo", "voice": "Solo vocali", "text + images": "Testo + immagini",
     "video call": "Videochiamata"},
    {"solo testo": "text", "preferisce testo": "text", "testo": "text", "solo vocali": "voice", "vocali": "voice",
     "messaggi vocali": "voice", "solo vocale": "voice", "testo + immagini": "text + images",
     "testo e immagini": "text + images", "testo + foto": "text + images", "videochiamata": "video call"},
    {"Office hours": "Orario d'ufficio", "Night owl": "Nottambulo"},
    {"orario d'ufficio": "Office hours", "orario di ufficio": "Office hours", "nottambulo": "Night owl",
     "nottambula": "Night owl"},
    "Passivo", ("passivo", "passiva"),
    "Max {n} {period}", {"day": "al giorno", "week": "a settimana", "month": "al mese"},
    {"al giorno": "day", "giorno": "day", "a settimana": "week", "alla settimana": "week", "settimana": "week",
     "al mese": "month", "mese": "month"},
    (rf"(?:max\.?|massimo|al massimo)\s*(?P<n>\d+)\s*(?:volte\s*)?(?:/\s*)?{_PERIOD}",
     rf"(?P<n>\d+)\s*volte\s*{_PERIOD}"),
)

ZH = Words(
    "zh", ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
    _days(("周一", "星期一", "礼拜一"), ("周二", "星期二", "礼拜二"), ("周三", "星期三", "礼拜三"),
          ("周四", "星期四", "礼拜四"), ("周五", "星期五", "礼拜五"), ("周六", "星期六", "礼拜六"),
          ("周日", "周天", "星期日", "星期天", "礼拜天")),
    "每天", ("每天", "每日", "天天"),
    {"text": "只发文字", "voice": "只发语音", "text + images": "文字加图片", "video call": "视频通话"},
    {"只发文字": "text", "仅文字": "text", "只要文字": "text", "文字": "text", "只发语音": "voice", "语音": "voice",
     "仅语音": "voice", "文字加图片": "text + images", "文字+图片": "text + images", "图文": "text + images",
     "视频通话": "video call", "视频": "video call"},
    {"Office hours": "办公时间", "Night owl": "夜猫子"},
    {"办公时间": "Office hours", "工作时间": "Office hours", "夜猫子": "Night owl"},
    "被动", ("被动", "有需要会联系"),
    "每{period}最多{n}次", {"day": "天", "week": "周", "month": "月"},
    {"天": "day", "日": "day", "周": "week", "星期": "week", "礼拜": "week", "月": "month", "个月": "month"},
    (r"(?:每|一)(?P<period>天|日|周|星期|礼拜|月|个月)最多(?P<n>\d+)(?:次|条)?",
     r"最多每(?P<period>天|日|周|星期|礼拜|月|个月)(?P<n>\d+)(?:次|条)?"),
)

AR = Words(
    "ar", ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"),
    _days(("الاثنين", "الإثنين", "اثنين"), ("الثلاثاء", "ثلاثاء"), ("الأربعاء", "الاربعاء", "أربعاء"),
          ("الخميس", "خميس"), ("الجمعة", "جمعة"), ("السبت", "سبت"), ("الأحد", "الاحد", "أحد")),
    "يوميا", ("يوميا", "يومياً", "كل يوم"),
    {"text": "نص فقط", "voice": "صوت فقط", "text + images": "نص وصور", "video call": "مكالمة فيديو"},
    {"نص فقط": "text", "نصي فقط": "text", "رسائل نصية فقط": "text", "نص": "text", "صوت فقط": "voice",
     "رسائل صوتية": "voice", "صوتي فقط": "voice", "نص وصور": "text + images", "نص + صور": "text + images",
     "مكالمة فيديو": "video call", "فيديو": "video call"},
    {"Office hours": "ساعات العمل", "Night owl": "بومة الليل"},
    {"ساعات العمل": "Office hours", "أوقات العمل": "Office hours", "بومة الليل": "Night owl", "سهران": "Night owl"},
    "سلبي", ("سلبي", "سيتواصل عند الحاجة"),
    "حد أقصى {n} في {period}", {"day": "اليوم", "week": "الأسبوع", "month": "الشهر"},
    {"اليوم": "day", "يوم": "day", "يوميا": "day", "الأسبوع": "week", "الاسبوع": "week", "أسبوع": "week",
     "أسبوعيا": "week", "الشهر": "month", "شهر": "month", "شهريا": "month"},
    (rf"(?:بحد أقصى|حد أقصى|الحد الأقصى|أقصى)\s*(?P<n>\d+)\s*(?:مرات|مرة)?\s*(?:في|/)?\s*{_PERIOD}",
     rf"(?P<n>\d+)\s*(?:مرات|مرة)\s*(?:في|/)?\s*{_PERIOD}"),
)

LANGUAGES = {w.code: w for w in (RU, IT, ZH, AR)}


@functools.cache
def _limits(code: str) -> tuple[re.Pattern, ...]:
    # Compiled when a part first could be this language's limit (all four: ~2 ms), not at import: the
    # app's first page reads a dozen notes, most in English.
    return tuple(re.compile(p) for p in LANGUAGES[code].limit_patterns)


# Digits as phones type them in the team's scripts, and the full-width forms of Chinese input.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹０１２３４５６７８９：－，", "01234567890123456789" + "0123456789:-,")


def key(text: str) -> str:
    """A part as compared with the words: case folded, spaces run together, digits made ASCII."""
    return " ".join(text.translate(_DIGITS).casefold().split())


def digits(text: str) -> str:
    return text.translate(_DIGITS)


def phrase(part: str) -> tuple[str, str, str] | None:
    """A part in one of these languages that is a whole phrase: ("format" | "preset" | "passive", value,
    language), else None."""
    k = key(part)
    for w in LANGUAGES.values():
        if k in w.format_words:
            return "format", w.format_words[k], w.code
        if k in w.preset_words:
            return "preset", w.preset_words[k], w.code
        if k in w.passive_words:
            return "passive", "", w.code
    return None


def limit(part: str) -> tuple[int, str, str] | None:
    """A limit in one of these languages: (count, period, language), else None."""
    k = key(part)
    for w in LANGUAGES.values():
        # A match names one of the language's periods (checked below), so a part holding none of its
        # period words is not its limit: no pattern of it runs, or is compiled.
        if not any(word in k for word in w.period_words):
            continue
        for pattern in _limits(w.code):
            m = pattern.fullmatch(k)
            if m and m["period"].strip() in w.period_words:
                return int(m["n"]), w.period_words[m["period"].strip()], w.code
    return None


def day(token: str) -> tuple[int, str] | None:
    """A day in one of these languages: (0 = Monday, language)."""
    k = key(token)
    for w in LANGUAGES.values():
        if k in w.day_words:
            return w.day_words[k], w.code
    return None


def daily(text: str) -> str | None:
    """The language whose "every day" this is."""
    k = key(text).replace(" ", "")  # the days arrive with their spaces squeezed out
    return next((w.code for w in LANGUAGES.values() if any(k == d.replace(" ", "") for d in w.daily_words)), None)
