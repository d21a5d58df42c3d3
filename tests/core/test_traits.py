"""Playbook §2-4, §7: intent, activity, lifecycle, spend tier and RFM at their thresholds."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import NOW, D, H, facts
from wtui.core import traits
from wtui.core.facts import Overrides

S = timedelta(seconds=1)


@pytest.mark.parametrize("age, expected", [(3 * D - S, "high"), (3 * D, "medium"), (8 * D, "potential")])
def test_high_intent_drops_to_medium_after_3_days(cfg, age, expected):
    f = facts(("in", NOW - age, "high"))
    assert traits.intent(f, NOW, cfg).value == expected


@pytest.mark.parametrize("signal, expected", [("medium", "medium"), ("potential", "potential"), ("none", "none")])
def test_intent_follows_the_latest_words(cfg, signal, expected):
    assert traits.intent(facts(("in", NOW - H, signal)), NOW, cfg).value == expected


def test_reading_without_replying_is_no_intent(cfg):
    assert traits.intent(facts(("out", NOW - D), ("read", NOW - H)), NOW, cfg).value == "none"


def test_intent_set_by_hand_wins(cfg):
    f = facts(("in", NOW - H, "high"), overrides=Overrides(intent="potential"))
    assert traits.intent(f, NOW, cfg).value == "potential"


@pytest.mark.parametrize("latency, expected", [
    (24 * H, "high"), (24 * H + S, "medium"), (3 * D, "medium"), (3 * D + S, "low"), (7 * D, "low"),
])
def test_activity_follows_reply_speed(cfg, latency, expected):
    f = facts(("out", NOW - 10 * D), ("in", NOW - 10 * D + latency, "potential"))
    assert traits.activity(f, NOW + latency, cfg).value == expected


@pytest.mark.parametrize("waiting, expected", [(7 * D, "high"), (7 * D + S, "dormant")])
def test_no_reply_for_over_7_days_is_dormant(cfg, waiting, expected):
    f = facts(("out", NOW - 20 * D), ("in", NOW - 20 * D + H, "potential"), ("out", NOW - waiting))
    assert traits.activity(f, NOW, cfg).value == expected


@pytest.mark.parametrize("age, read_ago, expected", [
    (30 * D, D, "new"), (30 * D + S, D, "growth-high"), (60 * D, 8 * D, "growth-low"),
    (90 * D, D, "growth-high"), (90 * D + S, D, "pre-churn"),
])
def test_lifecycle_by_age_of_first_purchase(cfg, age, read_ago, expected):
    f = facts(("purchase", NOW - age, 100.0), ("read", NOW - read_ago))
    assert traits.lifecycle(f, NOW, cfg).value == expected


def test_a_lead_has_no_purchase(cfg):
    assert traits.lifecycle(facts(("in", NOW - D, "")), NOW, cfg).value == "lead"


def test_two_purchases_in_30_days_is_frequent(cfg):
    f = facts(("purchase", NOW - 20 * D), ("purchase", NOW - 2 * D))
    assert traits.lifecycle(f, NOW, cfg).value == "frequent"


@pytest.mark.parametrize("amount, expected", [
    (49.99, "low"), (50, "medium"), (200, "medium"), (200.01, "high"), (700, "high"), (700.01, "vip"),
])
def test_spend_tier_by_average_order(cfg, amount, expected):
    f = facts(("purchase", NOW - D, amount))
    assert traits.spend_tier(f, NOW, cfg).value == expected


def test_the_vip_yearly_spend_in_a_year_is_vip(cfg):
    each = cfg.spend.vip_yearly / 10  # ten orders of a "high" size, none of them VIP alone
    assert cfg.spend.order_high_above < each < cfg.spend.vip_single_order
    f = facts(*[("purchase", NOW - (k * 30 + 1) * D, each) for k in range(10)])
    assert traits.spend_tier(f, NOW, cfg).value == "vip"
    older = facts(*[("purchase", NOW - (k * 30 + 100) * D, each) for k in range(10)])
    assert traits.spend_tier(older, NOW, cfg).value != "vip"


def test_rfm_scores_by_quintiles_and_names_the_segment(cfg):
    book = [(float(n), float(n), float(100 * n)) for n in range(1, 101)]
    breaks = traits.rfm_breaks(book)
    best = facts(*[("purchase", NOW - D, 200.0) for _ in range(95)])
    assert traits.rfm(best, NOW, breaks, cfg).why == "R5 F5 M5"
    assert traits.rfm(best, NOW, breaks, cfg).value == "champions"
    worst = facts(("purchase", NOW - 300 * D, 10.0))
    assert traits.rfm(worst, NOW, breaks, cfg).value == "hibernating"


def test_interest_is_the_most_named(cfg):
    f = facts(("in", NOW - 3 * H, "i:discount"), ("in", NOW - 2 * H, "i:novelty"), ("in", NOW - H, "i:discount"))
    assert traits.interest(f).value == "discount"
