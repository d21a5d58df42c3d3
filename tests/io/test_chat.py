"""WhatsApp chat exports: Android and iOS formats, 12/24-hour clocks, date orders, media, marks, zips."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from wtui.book.book import Book
from wtui.book.engine import sqlite3
from wtui.core import config
from wtui.errors import BadInput
from wtui.io.chat import import_chat, parse_chat, read_chat_text

FIX = Path(__file__).parents[2] / "fixtures" / "chats"
UTC = timezone.utc


def parsed(name, zone="UTC"):
    return parse_chat(read_chat_text(FIX / name), ZoneInfo(zone))


def test_android_24_hour_day_first_with_multiline_media_and_system_lines():
    ms = parsed("android_24h_dmy.txt")
    assert [(m.at, m.sender) for m in ms] == [
        (datetime(2026, 10, 31, 9, 12, tzinfo=UTC), "Ana Rep"),
        (datetime(2026, 10, 31, 9, 40, tzinfo=UTC), "Maria Invented"),
        (datetime(2026, 11, 1, 18, 5, tzinfo=UTC), "Maria Invented"),
        (datetime(2026, 11, 13, 20, 30, tzinfo=UTC), "Ana Rep"),
    ]
    assert ms[1].text == "Quanto custa o kit?\nEstou comparando com outra loja"
    assert ms[2].text == ""  # <Media omitted>


def test_android_12_hour_month_first():
    ms = parsed("android_12h_mdy.txt")
    assert [m.at for m in ms] == [datetime(2026, 11, 13, 20, 30, tzinfo=UTC), datetime(2026, 11, 13, 21, 2, tzinfo=UTC),
                                  datetime(2026, 11, 14, 0, 15, tzinfo=UTC)]
    assert ms[2].text == ""  # image omitted


def test_ios_brackets_seconds_direction_marks_and_narrow_spaces():
    ms = parsed("ios_ru.txt")
    assert [m.sender for m in ms] == ["Ana Rep", "Иван Выдуманный", "Иван Выдуманный", "Ana Rep"]
    assert ms[1].text == "Сколько стоит? Сравниваю цены" and ms[2].text == ""
    assert ms[3].at == datetime(2026, 11, 14, 9, 5, tzinfo=UTC)


def test_dotted_dates_and_the_phones_local_time():
    ms = parsed("german_dots.txt", "Europe/Berlin")
    assert ms[0].at == datetime(2026, 11, 13, 19, 30, tzinfo=UTC)  # 20:30 in Berlin


def test_the_text_inside_an_export_zip_is_read():
    assert [m.text for m in parsed("with_media.zip")] == [m.text for m in parsed("android_12h_mdy.txt")]


def test_a_file_that_is_not_a_chat_says_so(tmp_path):
    p = tmp_path / "x.txt"
    p.write_text("hello\nworld\n")
    with pytest.raises(BadInput, match="no WhatsApp messages found"):
        parse_chat(read_chat_text(p), ZoneInfo("UTC"))


@pytest.fixture
def book(tmp_path):
    cfg = config.with_overrides({"rep": {"name": "Ana Rep", "timezone": "America/Sao_Paulo"}})
    b = Book.create(tmp_path / "b.db", cfg, clock=lambda: datetime(2026, 11, 14, 12, tzinfo=UTC), actor="ana")
    yield b
    b.close()


def test_a_chat_becomes_interactions_of_one_customer_in_both_directions(book):
    report = import_chat(book, FIX / "android_24h_dmy.txt", phone="+55 11 96123-4567")
    assert (report.messages, report.inbound, report.outbound, report.recorded, report.created) == (4, 2, 2, 4, True)
    uid = book.find("+5511961234567")
    name, last_in, last_out, intent = book.conn.execute(
        "SELECT name, last_inbound, last_outbound, intent FROM customers WHERE uid = ?", (uid,)).fetchone()
    assert name == "Maria Invented"
    assert (last_in, last_out) == ("2026-11-01T21:05:00Z", "2026-11-13T23:30:00Z")  # São Paulo is UTC-3
    signals = book.conn.execute("SELECT signals FROM interactions WHERE text LIKE 'Quanto%'").fetchone()[0]
    assert "high" in signals and "compare" in signals


def test_a_chat_line_timed_next_year_or_before_whatsapp_refuses_the_file(book, tmp_path):
    # A tryout: "24/11/2027 ... Quero comprar agora" made a red customer "asked price 0 m ago" due next year.
    for line, says in (("24/11/2099, 11:40 - Maria X: Quero comprar agora", "ahead of this machine's clock"),
                       ("24/11/2001, 11:40 - Maria X: oi", "before WhatsApp existed")):
        f = tmp_path / "chat.txt"
        f.write_text("01/11/2026, 18:05 - Maria X: Olá\n" + line + "\n", "utf-8")
        with pytest.raises(BadInput, match=f"line 2: .*{says}.*nothing was written"):
            import_chat(book, f, phone="+5511961234567", me=["Loja"])
        assert book.conn.execute("SELECT count(*) FROM interactions").fetchone()[0] == 0


def test_a_us_export_whose_dates_never_tell_their_order_is_read_month_first_when_day_first_is_the_future(book,
                                                                                                   tmp_path):
    # Found in review: 11/12/26 read day first is 11 Dec, ahead of the clock (14 Nov): the file was refused
    # with no way to say the order. Month first puts every line in the past: that reading is taken.
    f = tmp_path / "chat.txt"
    f.write_text("11/3/26, 10:00 AM - Maria X: hi\n11/12/26, 9:30 PM - Maria X: how much is it?\n", "utf-8")
    report = import_chat(book, f, phone="+12015550123", me=["Loja"])
    assert report.recorded == 2
    times = [r[0] for r in book.conn.execute("SELECT at FROM interactions ORDER BY at")]
    assert [t[:10] for t in times] == ["2026-11-03", "2026-11-13"]  # 9:30 PM in São Paulo is past midnight UTC


def test_importing_the_same_chat_twice_records_nothing_new(book):
    import_chat(book, FIX / "android_24h_dmy.txt", phone="+5511961234567")
    again = import_chat(book, FIX / "android_24h_dmy.txt", phone="+5511961234567")
    assert again.recorded == 0


def test_a_chat_import_taken_back_is_recorded_again_when_imported_again(book):
    first = import_chat(book, FIX / "android_24h_dmy.txt", phone="+5511961234567")
    batch = book.conn.execute("SELECT batch FROM ops WHERE reason = 'chat import' LIMIT 1").fetchone()[0]
    book.undo(batch)
    live = "SELECT count(*) FROM interactions WHERE retracted = 0"
    assert book.conn.execute(live).fetchone()[0] == 0
    again = import_chat(book, FIX / "android_24h_dmy.txt", phone="+5511961234567")
    assert again.recorded == first.recorded and book.conn.execute(live).fetchone()[0] == first.recorded
    assert import_chat(book, FIX / "android_24h_dmy.txt", phone="+5511961234567").recorded == 0


def test_an_existing_customer_is_found_by_name(book):
    book.add_customer("+79123456789", "Иван Выдуманный")
    report = import_chat(book, FIX / "ios_ru.txt")
    assert (report.inbound, report.outbound, report.created) == (2, 2, False)


def test_without_knowing_who_the_rep_is_the_import_asks(tmp_path):
    with Book.create(tmp_path / "n.db", config.load(layers=[]), actor="zed") as b:
        with pytest.raises(BadInput, match="which of Ana Rep, Maria Invented is you"):
            import_chat(b, FIX / "android_24h_dmy.txt", phone="+5511961234567")
        assert b.conn.execute("SELECT count(*) FROM customers").fetchone()[0] == 0


IOS_SYSTEM = {  # the encryption notice as iOS exports write it, under the chat's name, opened by U+200E
    "de": "Nachrichten und Anrufe sind Ende-zu-Ende-verschlüsselt. Niemand außerhalb dieses Chats, nicht "
          "einmal WhatsApp, kann sie lesen oder anhören.",
    "fr": "Les messages et les appels sont chiffrés de bout en bout. Aucun tiers, pas même WhatsApp, ne peut les "
          "lire ou les écouter.",
    "hi": "संदेश और कॉल एंड-टू-एंड एन्क्रिप्टेड हैं. WhatsApp समेत इस चैट के बाहर का कोई भी व्यक्ति इन्हें "
          "पढ़ या सुन नहीं सकता.",
    "tr": "Mesajlar ve aramalar uçtan uca şifrelidir. WhatsApp dahil olmak üzere bu sohbetin dışında bulunan hiç "
          "kimse onları okuyamaz ve dinleyemez.",
    "en": "Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read "
          "or listen to them.",
}


@pytest.mark.parametrize("lang", IOS_SYSTEM)
def test_an_ios_system_line_is_no_ones_message_in_any_language(lang):
    text = (f"[13/11/2026, 20:30:00] Maria Silva: \u200e{IOS_SYSTEM[lang]}\n"
            "[13/11/2026, 20:32:00] Maria Silva: \u200e<attached: 00000012-PHOTO-2026-11-13.jpg>\n"
            "[13/11/2026, 20:33:00] Ana Rep: Oi Maria!\n")
    ms = parse_chat(text, ZoneInfo("UTC"))
    assert [m.sender for m in ms] == ["Maria Silva", "Ana Rep"]  # the photo is hers; the notice is nobody's
    assert ms[0].text == "" and ms[1].text == "Oi Maria!"


def test_a_marked_line_that_is_no_notice_stays_the_customers():
    ms = parse_chat("[13/11/2026, 20:31:10] Maria Silva: \u200eQuanto custa o kit?\n", ZoneInfo("UTC"))
    assert [(m.sender, m.text) for m in ms] == [("Maria Silva", "Quanto custa o kit?")]


# An Android export's lines in the phone's locale: the date, a word some locales put before the time,
# morning/afternoon in the locale's own words (before or after the time), the system line with no sender.
LOCALE_EXPORTS = {
    "fr": ("13/11/2026 à 20:30 - Les messages et les appels sont chiffrés de bout en bout.\n"
           "13/11/2026 à 20:31 - Marie Dupont: Bonjour, c'est combien ?\n", "20:31"),
    "de": ("13.11.26, 20:30 - Nachrichten und Anrufe sind Ende-zu-Ende-verschlüsselt.\n"
           "13.11.26, 20:31 - Lena Erfunden: Was kostet das?\n", "20:31"),
    "tr": ("13.11.2026 20:30 - Mesajlar ve aramalar uçtan uca şifrelidir.\n"
           "13.11.2026 20:31 - Ayşe Uydurma: Fiyatı ne kadar?\n", "20:31"),
    "hi": ("13/11/26, 8:30 अपराह्न - संदेश और कॉल एंड-टू-एंड एन्क्रिप्टेड हैं.\n"
           "13/11/26, 8:31 अपराह्न - Priya Kalpit: kitne ka hai?\n", "20:31"),
    "hi-en": ("13/11/26, 8:31 pm - Priya Kalpit: kitne ka hai?\n", "20:31"),
    "zh": ("2026/11/13 下午8:31 - 王小明: 多少钱\n", "20:31"),
    "es": ("13/11/26, 8:31 p. m. - Lupita Inventada: ¿cuánto cuesta?\n", "20:31"),
    "ar": ("13/11/2026, 8:31 م - علي المتخيل: بكم؟\n", "20:31"),
}


@pytest.mark.parametrize("locale", LOCALE_EXPORTS)
def test_android_exports_in_the_phones_locale(locale):
    text, hhmm = LOCALE_EXPORTS[locale]
    ms = parse_chat(text, ZoneInfo("UTC"))
    assert len(ms) == 1 and ms[0].at.strftime("%Y-%m-%d %H:%M") == f"2026-11-13 {hhmm}"
    assert ":" not in ms[0].sender and ms[0].text  # the sender is a name, the notice no one's message


def test_morning_and_afternoon_words_turn_the_clock_the_right_way():
    ms = parse_chat("2026/11/13 中午12:05 - 王: 好\n2026/11/13 上午12:05 - 王: 早\n"
                    "13/11/26, 9:05 पूर्वाह्न - Priya: hello\n", ZoneInfo("UTC"))
    assert [m.at.strftime("%H:%M") for m in ms] == ["12:05", "00:05", "09:05"]


def test_the_command_says_what_it_recorded_as_json_too(book, capsys):
    import json

    from wtui import cli

    args = ["--db", str(book.path), "--now", "2026-11-14T12:00:00Z", "import-chat", str(FIX / "android_24h_dmy.txt"),
            "--phone", "+5511961234567", "--me", "Ana Rep"]
    book.close()
    assert cli.main([*args, "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert (got["messages"], got["recorded"], got["created"]) == (4, 4, True)
    assert cli.main([*args, "--json"]) == 0 and json.loads(capsys.readouterr().out)["recorded"] == 0


def test_a_dry_run_of_a_chat_import_says_what_it_would_record_and_writes_nothing(book, capsys):
    from wtui import cli

    path = book.path
    book.close()
    with sqlite3.connect(path) as c:
        before = c.execute("SELECT count(*) FROM ops").fetchone()[0]
    args = ["--db", str(path), "--now", "2026-11-14T12:00:00Z", "import-chat", str(FIX / "android_24h_dmy.txt"),
            "--phone", "+5511961234567", "--me", "Ana Rep", "--dry-run"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "dry run, nothing written" in out and "4 recorded" in out
    with sqlite3.connect(path) as c:
        assert c.execute("SELECT count(*) FROM ops").fetchone()[0] == before
