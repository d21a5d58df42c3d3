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
