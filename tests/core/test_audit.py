"""The accuracy audit (issue #16, playbook §11): a seeded sample that draws the same customers again, the
error-rate arithmetic, and the fixed customers' messages for the keyword lists' review."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import NOW, copy_book
from wtui import cli
from wtui.book import review
from wtui.book.book import Book
from wtui.core.audit import error_rates
from wtui.errors import BadInput


@given(st.lists(st.text(min_size=1, max_size=4), unique=True, max_size=60), st.integers(0, 2**31),
       st.integers(1, 80))
def test_the_same_seed_draws_the_same_customers(population, seed, size):
    one = review.sample(population, seed, size)
    assert one == review.sample(list(population), seed, size)
    assert len(one) == min(size, len(population)) and len(set(one)) == len(one) and set(one) <= set(population)


def test_error_rates_are_wrong_over_reviewed():
    ok = {"tags": True, "intent": True, "color": True}
    reviews = [ok] * 17 + [dict(ok, tags=False)] * 2 + [dict(ok, intent=False, color=False)] + [None] * 5
    rates = error_rates(reviews)
    assert rates.reviewed == 20 and rates.wrong == {"tags": 2, "intent": 1, "color": 1}
    assert rates.rates() == {"tags": 0.1, "intent": 0.05, "color": 0.05}
    assert rates.over(0.05) == ["tags"]  # 5 % is the target: only over it is a finding
    assert error_rates([None, None]).rates() == {"tags": None, "intent": None, "color": None}


def test_an_audit_samples_the_active_share_and_records_reviews(tmp_path, empty_file, cfg, capsys):
    now = [NOW - timedelta(days=cfg.review.audit_active_days + 10)]
    path = copy_book(empty_file, tmp_path / "b.db")
    with Book.open(path, cfg, clock=lambda: now[0], actor="lea") as b:
        old = [b.add_customer(f"+4915123450{i:03d}", f"Old {i}") for i in range(20)]
        for uid in old:
            b.record(uid, "in", text="hello")
        now[0] = NOW
        active = [b.add_customer(f"+4915123451{i:03d}", f"Active {i}") for i in range(60)]
        for uid in active:
            b.record(uid, "in", text="hi")
        b.record(active[0], "in", text="quanto custa o frete?")
        aid = b.start_audit(seed=42)
        items = b.audit_items(aid)
        assert len(items) == round(60 * cfg.review.audit_share)  # 5 % of the active, not of everyone
        assert {uid for _, uid, _, _ in items} <= set(active)
        again = b.start_audit(seed=42)
        assert [u for _, u, _, _ in b.audit_items(again)] == [u for _, u, _, _ in items]
        b.review_audited(aid, 0, {"tags": True, "intent": False, "color": True},
                         json.dumps({"intent": ["potential", "high"]}))
        b.review_audited(aid, 1, {"tags": True, "intent": True, "color": True})
        with pytest.raises(BadInput):
            b.review_audited(aid, 2, {"tags": True})
        with pytest.raises(BadInput):
            b.start_audit(size=0)
        first = items[0][1]
    assert cli.main(["--db", str(path), "--now", NOW.isoformat(), "audit", "report", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    mine = next(x for x in lines if x["audit"] == aid)
    assert mine["reviewed"] == 2 and mine["wrong"]["intent"] == 1 and mine["rates"]["intent"] == 0.5
    assert cli.main(["--db", str(path), "--now", NOW.isoformat(), "audit", "words", aid]) == 0
    words = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert words and {w["intent"] for w in words} == {"high"} and {w["customer"] for w in words} == {first}
    assert cli.main(["--db", str(path), "audit", "words", "no-such"]) == 2
