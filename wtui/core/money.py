"""Amounts in the book's currency (``spend.currency``): purchases in another are converted by
``spend.rates``; one with no rate is refused, naming the key to set."""

from __future__ import annotations

import math

from wtui.errors import BadInput


def parse_amount(text: str) -> float:
    """A positive amount as a rep types it: 120, 120.50, 1,200.50 (thousands commas), 1 200."""
    cleaned = text.strip().replace(" ", "").replace("\u00a0", "")
    if cleaned.count(",") and cleaned.count(".") == 0 and len(cleaned.rsplit(",", 1)[1]) == 2:
        cleaned = cleaned.replace(",", ".")  # 120,50: a decimal comma
    cleaned = cleaned.replace(",", "")
    try:
        value = float(cleaned)
    except ValueError:
        raise BadInput(f"{text!r} is not an amount (like 120 or 120.50)") from None
    if not math.isfinite(value) or value <= 0 or value > 1e12:
        raise BadInput(f"{text!r}: an amount is more than 0 (and less than a trillion)")
    return round(value, 2)


def in_book_currency(amount: float, currency: str, spend) -> float:
    currency = (currency or spend.currency).strip().upper()
    if currency == spend.currency:
        return amount
    rate = spend.rates.get(currency)
    if rate is None:
        raise BadInput(f"no rate for {currency}: the book counts in {spend.currency}; add spend.rates.{currency} "
                       f"(what one {currency} is worth in {spend.currency}) to the team config")
    return round(amount * rate, 2)
