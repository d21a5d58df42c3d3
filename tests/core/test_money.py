"""Amounts as reps type them (core/money.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wtui.core import money
from wtui.errors import BadInput


@pytest.mark.parametrize("text, value", [
    ("120", 120.0), ("120.50", 120.5), ("120,50", 120.5), ("1,250.00", 1250.0), ("1.250,00", 1250.0),
    ("1 250", 1250.0), ("1'250.50", 1250.5), ("1,250", 1250.0), ("1.250", 1250.0), ("1,234,567.8", 1234567.8),
    ("0,99", 0.99), ("1\u202f250,00", 1250.0)])
def test_the_ways_reps_write_amounts(text, value):
    assert money.parse_amount(text) == value


@pytest.mark.parametrize("text", ["0", "0.001", "1.234,567", "1e9", "-5", "nan", "inf", "1.2.3", "12,3456",
                                  "", "1,2345.00", "2000000000", "١٢٠"])
def test_what_is_not_an_amount_is_refused(text):
    with pytest.raises(BadInput):
        money.parse_amount(text)


@given(st.decimals(min_value="0.01", max_value="999999999", places=2))
def test_an_amount_written_with_two_decimals_in_either_style_reads_back(d):
    plain = f"{d:.2f}"
    assert money.parse_amount(plain) == float(plain)
    assert money.parse_amount(f"{d:,.2f}") == float(plain)
    assert money.parse_amount(f"{d:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")) == float(plain)


@pytest.mark.parametrize("text, amount, record, product, said", [
    ("120 eur serum", 129.6, "serum (120.00 EUR)", "serum", "129.60 USD: serum (120.00 EUR)"),  # any case
    ("120 EUR", 129.6, "(120.00 EUR)", "", "129.60 USD (120.00 EUR)"),
    ("120 usd scarf", 120.0, "scarf", "scarf", "120.00 USD: scarf"),
    ("120 tea", 120.0, "tea", "tea", "120.00 USD: tea"),  # three letters the book knows no rate for: the product
    ("99", 99.0, "", "", "99.00 USD"),
    ("120 € serum", 129.6, "serum (120.00 EUR)", "serum", "129.60 USD: serum (120.00 EUR)"),  # a symbol
    ("120€ serum", 129.6, "serum (120.00 EUR)", "serum", "129.60 USD: serum (120.00 EUR)"),  # was "not an amount"
    ("€120", 129.6, "(120.00 EUR)", "", "129.60 USD (120.00 EUR)"),
    ("R$ 120 kit", 21.6, "kit (120.00 BRL)", "kit", "21.60 USD: kit (120.00 BRL)"),  # was "not an amount"
    ("$ 50", 50.0, "", "", "50.00 USD"),  # "$" names several currencies: the book's
])
def test_a_purchase_typed_with_its_currency_in_any_case(text, amount, record, product, said):
    from wtui.core.config import load

    spend = load(layers=[]).spend
    assert spend.currency == "USD" and spend.rates["EUR"] == 1.08
    bought = money.parse_purchase(text, spend)
    assert bought == (amount, record, product) and bought.said("USD") == said


def test_a_currency_in_capitals_without_a_rate_is_refused_not_taken_for_a_product():
    from wtui.core.config import load

    with pytest.raises(BadInput, match="no rate for XYZ"):
        money.parse_purchase("120 XYZ widget", load(layers=[]).spend)
