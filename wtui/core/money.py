"""Amounts in the book's currency (``spend.currency``): purchases in another are converted by
``spend.rates``; one with no rate is refused, naming the key to set."""

from __future__ import annotations

import math
import re
from typing import NamedTuple

from wtui.errors import BadInput

MOST = 1e9  # a sanity limit on one amount, not a threshold: more is a typo


_DOTTED = re.compile(r"[0-9]+(?:\.[0-9]{1,2})?")
_SPACES = re.compile(r"[\s\u00a0\u202f']")
_MARKS_ONLY = re.compile(r"[0-9][0-9.,]*")
_MARK = re.compile(r"[.,]")


def parse_amount(text: str) -> float:
    """A positive amount as reps type it: 120, 120.50, 120,50, 1,250.00, 1.250,00, 1 250, 1'250.
    With both marks, the last one is the decimal mark; one mark followed by three digits groups
    thousands (1,250 and 1.250 are 1250). More than two decimals, or a result under 0.01, is refused."""
    if _DOTTED.fullmatch(text):  # most cells: digits, maybe a dot and cents, which the rules below keep as written
        return _in_range(text, float(text))
    cleaned = _SPACES.sub("", text)
    if not _MARKS_ONLY.fullmatch(cleaned or "x"):
        raise BadInput(f"{text!r} is not an amount (like 120, 120.50 or 1.250,00)")
    marks = [c for c in cleaned if c in ".,"]
    decimal = ""
    if len(set(marks)) == 2:
        decimal = marks[-1]
    elif len(marks) == 1:
        whole, _, frac = cleaned.partition(marks[0])
        decimal = "" if len(frac) == 3 and whole.strip("0") else marks[0]
    whole, frac = (cleaned.rpartition(decimal)[::2] if decimal else (cleaned, ""))
    groups = _MARK.split(whole)
    if len(groups) > 1 and (not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:])):
        raise BadInput(f"{text!r}: thousands come in groups of three (like 1,250,000.00)")
    if decimal:
        whole = "".join(groups)
        if not whole.isdigit() or not frac.isdigit() or len(frac) > 2:
            raise BadInput(f"{text!r}: an amount has at most two decimals (like 120.50)")
        value = float(f"{whole}.{frac}")
    else:
        value = float("".join(groups))
    return _in_range(text, value)


def _in_range(text: str, value: float) -> float:
    if not math.isfinite(value) or value < 0.01 or value > MOST:
        raise BadInput(f"{text!r}: an amount from 0.01 to {MOST:,.0f}")
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


class Purchase(NamedTuple):
    amount: float  # in the book's currency
    text: str  # what the purchase record says: the product, and the amount as paid when in another currency
    product: str  # what was bought, as typed ("" when not said)

    def said(self, currency: str) -> str:
        """'1,350.00 USD: serum (1,250.00 EUR)', '1,350.00 USD (1,250.00 EUR)', '120.00 USD'."""
        return f"{self.amount:,.2f} {currency}" + (f": {self.text}" if self.product else f" {self.text}" if self.text
                                                   else "")


def parse_purchase(text: str, spend) -> Purchase:
    """'120.50', '120,50 EUR serum', '99 blue scarf' as a Purchase in the book's currency."""
    words = text.split()
    if not words:
        raise BadInput("an amount first, then a currency and what was bought if you like (120.50 EUR serum)")
    if len(words) > 1 and (words[0] in SYMBOLS or words[0] in _NAMELESS):  # "R$ 120 kit": the symbol, then it
        words = [words[0] + words[1], *words[2:]]
    rest = words[1:]
    # Unless the amount carries it ("120€", "R$120"), then a symbol ("120 € serum"), a code in capitals (one
    # without a rate is refused), or a code the book knows in any case ("120 eur"): "120 tea" is a product.
    known = {spend.currency, *spend.rates}
    word = rest[0] if rest and not split_currency(words[0])[1] else ""
    code = SYMBOLS.get(word) or (word.upper() if len(word) == 3 and word.isalpha()
                                 and (word.isupper() or word.upper() in known) else "")
    if code:
        rest = rest[1:]
    booked, amount, currency = amount_paid(words[0], code, spend)
    product = " ".join(rest)
    return Purchase(booked, paid(product, amount, currency, spend), product)


def paid(product: str, amount: float, currency: str, spend) -> str:
    """What a purchase record says: the product, and the amount as paid when not in the book's currency."""
    currency = (currency or spend.currency).upper()
    if currency == spend.currency:
        return product
    return (product + " " if product else "") + f"({amount:,.2f} {currency})"


# Symbols that name one currency; "$", "¥" and "kr" name several, so they tell nothing (the currency
# column, else the book's currency, says which).
SYMBOLS = {"R$": "BRL", "US$": "USD", "C$": "CAD", "CA$": "CAD", "A$": "AUD", "AU$": "AUD", "MX$": "MXN",
           "NZ$": "NZD", "HK$": "HKD", "S$": "SGD", "€": "EUR", "£": "GBP", "₹": "INR", "₽": "RUB", "₺": "TRY",
           "₩": "KRW", "₦": "NGN", "₫": "VND", "₴": "UAH", "₪": "ILS", "฿": "THB", "₱": "PHP", "zł": "PLN",
           "S/": "PEN", "د.إ": "AED", "ر.س": "SAR"}
_NAMELESS = ("$", "¥", "￥", "kr")
_LONGEST_FIRST = sorted(SYMBOLS, key=len, reverse=True)  # "R$" before "$"
_PLAIN = re.compile(r"[0-9][0-9.,\s']*")
_MARKED = re.compile(r"\s*(?P<code>[A-Za-z]{3})\s*")


def split_currency(text: str) -> tuple[str, str]:
    """An amount cell as (the number, the currency it names or ""): "R$ 1.250,00" -> ("1.250,00", "BRL"),
    "99.90 EUR" -> ("99.90", "EUR"), "$120" -> ("120", "")."""
    rest = text.strip()
    if _PLAIN.fullmatch(rest):  # most cells: a number alone
        return rest, ""
    for mark in _LONGEST_FIRST:
        if rest.startswith(mark) or rest.endswith(mark):
            rest = rest.removeprefix(mark) if rest.startswith(mark) else rest.removesuffix(mark)
            return rest.strip(), SYMBOLS[mark]
    for mark in _NAMELESS:
        if rest.startswith(mark) or rest.endswith(mark):
            return (rest.removeprefix(mark) if rest.startswith(mark) else rest.removesuffix(mark)).strip(), ""
    head, tail = _MARKED.match(rest), re.search(r"\s*([A-Za-z]{3})\s*$", rest)
    if head and head.end() < len(rest):
        return rest[head.end():].strip(), head["code"].upper()
    if tail and tail.start() > 0:
        return rest[:tail.start()].strip(), tail[1].upper()
    return rest, ""


_CODE = re.compile(r"[A-Z]{3}")


def amount_paid(cell: str, currency: str, spend, said: str = "--currency") -> tuple[float, float, str]:
    """(amount in the book's currency, the amount as paid, its currency) of an amount as written, with a
    symbol or a code or neither ("R$ 1.250,00", "99 EUR", "120"), and the currency said beside it (an
    orders file's column, --currency: ``said``) when there is one: the two must agree."""
    number, marked = split_currency(cell)
    given = currency.strip().upper()
    if given and not _CODE.fullmatch(given):
        raise BadInput(f"currency {currency!r}: three letters, like USD or EUR")
    if marked and given and marked != given:
        raise BadInput(f"amount {cell!r} is in {marked} but {said} says {given}")
    if number.lstrip().startswith("-") or number.strip().startswith("("):
        raise BadInput(f"amount {cell!r} is negative (a refund?): only purchases are recorded")
    paid = parse_amount(number)
    currency = given or marked or spend.currency
    return in_book_currency(paid, currency, spend), paid, currency
