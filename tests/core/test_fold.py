"""Keywords match what customers type: folded text, whole words or stems, clitics, one intent per message."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import NOW, facts
from wtui.core import config, traits
from wtui.core.config import Keywords
from wtui.core.fold import fold
from wtui.core.keywords import Detector, alternative, lists

CFG = config.load(layers=[])


def detector(**lists) -> Detector:
    """A detector over small lists (one language, "xx"), with the shipped currencies and implications."""
    kw = CFG.keywords
    intent = {name: {"xx": lists.get(name, [])} for name in ("high", "medium", "potential", "none")}
    interest = {name: {"xx": lists.get(name, [])} for name in ("discount", "function")}
    return Detector(Keywords(currencies=kw.currencies, units=kw.units, sizes=kw.sizes, implies=kw.implies,
                             comparison={"xx": lists.get("compare", [])}, quote={"xx": lists.get("quote", [])},
                             intent=intent, interest=interest))


def intent(d: Detector, text: str) -> str | None:
    found = d.detect(text).intents
    return next(iter(found)) if found else None


@pytest.mark.parametrize("typed, listed", [
    ("CUANTO CUESTA", "cuánto cuesta"), ("orcamento", "orçamento"), ("ещё", "еще"), ("сколько стоит", "скОлько стоит"),
    ("اسعار", "أسعار"), ("بكم", "بِكَمْ"), ("多少錢", "多少钱"), ("ｐｒｉｃｅ", "price"), ("fiyatı", "fiyati"),
    ("giá bao nhiêu", "gia bao nhieu"), ("Größe", "grösse"), ("it’s", "it's"),
])
def test_a_keyword_and_the_way_customers_type_it_fold_alike(typed, listed):
    assert fold(typed) == fold(listed)


def test_indic_vowel_signs_are_letters_not_accents():
    assert fold("कितने का है") == "कितने का है"  # the matras stay: without them it is another word


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_folding_twice_changes_nothing_more(text):
    assert fold(fold(text)) == fold(text)


def _variants(word: str) -> set[str]:
    """As customers type it: capitals, and accents left off (the Latin/Greek/Cyrillic ones: Thai tone marks,
    kana voicing and Indic vowel signs are letters)."""
    plain = "".join(c for c in unicodedata.normalize("NFD", word) if not 0x300 <= ord(c) < 0x370)
    return {word, word.upper(), word.title(), unicodedata.normalize("NFC", plain)}


EVERY = lists(CFG.keywords)
SHIPPED = sorted({(w.rstrip("*"), table) for table, langs in
                  [("comparison", EVERY.comparison), ("quote", EVERY.quote),
                   *((f"intent.{k}", v) for k, v in EVERY.intent.items()),
                   *((f"interest.{k}", v) for k, v in EVERY.interest.items())]
                  for words in langs.values() for w in words if w.strip("* ")})


@pytest.mark.parametrize("word, table", SHIPPED, ids=[f"{t}:{w}" for w, t in SHIPPED])
def test_every_shipped_keyword_is_found_typed_in_capitals_or_without_accents(word, table):
    d = Detector(CFG.keywords)
    whole = word.startswith("=")  # a whole-message keyword is found alone, give or take punctuation
    for typed in _variants(word.lstrip("=")):
        s = d.detect(f"{typed}!" if whole else f"hi. {typed} ?")
        got = {"comparison": s.compare, "quote": s.quote}.get(table)
        if table.startswith("interest."):
            got = table.split(".", 1)[1] in s.interests
        elif table.startswith("intent."):
            got = bool(s.intents)  # found, though a stronger signal in the same words may decide the intent
        assert got, f"{typed!r} ({table}) not found"


def test_a_keyword_is_whole_words_and_a_star_makes_a_stem():
    d = detector(high=["cost", "скидк*"], medium=["вес"])
    assert intent(d, "what does it cost?") == "high"
    assert intent(d, "I'm in Costa Rica") is None
    assert intent(d, "есть скидки?") == "high"
    assert intent(d, "какой вес?") == "medium"
    assert intent(d, "весь день на работе") is None


def test_arabic_keywords_take_their_clitics_and_chinese_ones_match_anywhere():
    d = detector(high=["كم", "السعر", "多少钱"])
    assert intent(d, "بكم هذا") == "high"
    assert intent(d, "وبالسعر كم") == "high"
    assert intent(d, "这个多少钱啊") == "high"
    assert intent(d, "كمبيوتر جديد") is None  # a word that begins with the same letters


def test_one_intent_per_message_a_refusal_before_a_polite_word_a_question_before_both():
    d = detector(high=["how much"], potential=["thanks", "ok"], none=["no thanks", "not now"])
    assert intent(d, "no thanks, not now") == "none"
    assert intent(d, "ok thanks") == "potential"
    assert intent(d, "thanks! how much is it?") == "high"


def test_a_price_question_needs_no_price_word():
    d = detector()
    for text in ("2 for 50$?", "R$ 120 com frete?", "€?", "and with delivery 300 руб?", "¿500 pesos?"):
        assert intent(d, text) == "high", text
    assert intent(d, "I paid 50$ for the last one") is None
    assert intent(d, "see you at 5?") is None


def test_a_quote_and_a_discount_imply_a_price_question():
    d = detector(quote=["quote"], discount=["any discount*"])
    assert intent(d, "can you send a quote for 50 units") == "high"
    assert intent(d, "any discounts this week") == "high"


def test_a_refusal_and_a_thank_you_at_the_same_instant_is_none():
    f = facts(("in", NOW - timedelta(hours=1), "none,potential"))
    assert traits.intent(f, NOW, CFG).value == "none"


def test_alternative_is_none_for_an_empty_keyword():
    assert alternative(" * ") is None
