"""Playbook §1-3: keyword detection in the customers' languages."""

from __future__ import annotations

import pytest

from wtui.core import config
from wtui.core.keywords import Detector, Signals


@pytest.fixture(scope="module")
def detect(cfg):
    return Detector(cfg.keywords).detect


@pytest.mark.parametrize("text", [
    "How much is it?", "Сколько стоит?", "Quanto costa?", "这个多少钱", "كم السعر؟", "Quanto custa?", "¿Cuánto cuesta?",
    "PRICE please", "Цена?",
])
def test_price_questions_are_high_intent_in_seven_languages(detect, text):
    assert "high" in detect(text).intents


@pytest.mark.parametrize("text", [
    "I'm comparing offers", "Я сравниваю", "Faccio un confronto", "我在比较一下", "أقوم بمقارنة", "Estou comparando",
    "Estoy comparando",
])
def test_comparison_is_detected_in_any_language(detect, text):
    assert detect(text).compare


def test_words_in_spaced_scripts_match_at_word_starts_only(detect):
    assert not detect("what a caprice").intents  # 'price' inside a word
    assert "high" in detect("prices?").intents


def test_chinese_matches_without_word_boundaries(detect):
    assert detect("请问有折扣吗").intents == frozenset({"high"})


def test_interest_words_name_the_interest(detect):
    assert detect("When is the sale? any promo?").interests == frozenset({"discount"})
    assert detect("有新款吗").interests == frozenset({"novelty"})


def test_keyword_lists_are_editable_in_config():
    cfg = config.with_overrides({"keywords": {"comparison": {"en": ["benchmarking"]}}})
    assert Detector(cfg.keywords).detect("we are benchmarking vendors").compare


def test_signals_survive_the_round_trip_through_the_book(detect):
    s = detect("how much? I'm comparing, send a quote. any promo?")
    assert Signals.decode(s.encode()) == s
    assert s.encode() == "high,compare,quote,i:discount"


@pytest.mark.parametrize("text", [
    "No", "No!", "no 🙏", "нет", "Нет.", "Nein", "Non", "Não", "नहीं", "Hayır", "Tidak", "不", "لا", "いいえ", "Không",
])
def test_a_lone_no_is_a_refusal_in_every_region_language(detect, text):
    assert detect(text).intents == frozenset({"none"})


@pytest.mark.parametrize("text", ["no rush", "ok", "K?", "Yo!", "no stock?", "nein, was kostet das?"])
def test_a_no_inside_a_message_is_not_the_whole_message(detect, text):
    assert detect(text).intents != frozenset({"none"})


@pytest.mark.parametrize("text", [
    "not interested in the price", "no, I don't want the discount", "no me interesa el precio", "no lo quiero",
    "non mi interessa lo sconto", "не интересует цена", "kein Interesse am Rabatt", "tidak mau diskon",
])
def test_a_refusal_governs_the_words_right_after_it(detect, text):
    found = detect(text)
    assert found.intents == frozenset({"none"}) and not found.interests


@pytest.mark.parametrize("text", [
    "no thanks, how much?", "I don't need the box, how much is it?", "too expensive, any discount?",
    "не надо упаковку. сколько стоит?", "no gracias. ¿y el precio del otro?",
])
def test_a_question_after_a_refusal_still_asks(detect, text):
    assert detect(text).intents == frozenset({"high"})


def test_a_whole_message_keyword_is_written_with_an_equals_sign_in_config():
    cfg = config.with_overrides({"keywords": {"intent": {"none": {"xx": ["=nej"]}}}})
    detect = Detector(cfg.keywords).detect
    assert detect("Nej!").intents == frozenset({"none"}) and detect("nej tak, hvad koster det").intents != {"none"}


@pytest.mark.parametrize("text", ["50ml?", "the 500g one?", "XL?", "M or L?", "tem P?", "is it 2 kg?", "50cl?",
                                  "а 200 мл есть?", "500克的吗？"])
def test_a_measure_or_a_size_asked_alone_is_a_medium_question(detect, text):
    assert detect(text).intents == frozenset({"medium"})


@pytest.mark.parametrize("text", ["I'm interested?", "it's for my mom?", "100 ml", "I’m coming at 5?"])
def test_a_letter_inside_a_word_or_a_size_not_asked_is_no_size_question(detect, text):
    assert "medium" not in detect(text).intents


def test_a_size_with_a_currency_asks_the_price(detect):
    assert detect("50ml for 10$?").intents == frozenset({"high"})
