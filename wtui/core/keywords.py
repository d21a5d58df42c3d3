"""Keyword detection on inbound messages (playbook §1-3), in any language.

Messages and keywords are folded alike (``core.fold``: case, accents, hamza,
ё, traditional Chinese), so a customer who types "cuanto cuesta" or "اسعار"
matches a list that says "cuánto cuesta" or "أسعار". Keywords are whole words
unless they end in ``*`` (see ``alternative``). Beside the lists, an amount
with a currency in a question is a price question. Each message comes out
with one intent, the strongest it shows (``config.INTENT_PRECEDENCE``), after the signals
that imply one (``[keywords.implies]``: a quote or a discount asks for a price).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from wtui.core.config import INTENT_PRECEDENCE, INTENTS, Keywords, toml_file
from wtui.core.fold import fold

# Signal names stored on each inbound interaction.
COMPARE, QUOTE = "compare", "quote"


@dataclass(frozen=True)
class Signals:
    intents: frozenset[str]  # subset of INTENTS
    interests: frozenset[str]
    compare: bool
    quote: bool

    def encode(self) -> str:
        """Compact, stable text for the interactions table: 'high,compare,i:discount'."""
        parts = sorted(self.intents) + ([COMPARE] if self.compare else []) + ([QUOTE] if self.quote else [])
        parts += sorted(f"i:{x}" for x in self.interests)
        return ",".join(parts)

    @staticmethod
    @lru_cache(maxsize=4096)  # a book's messages carry a few hundred distinct signal sets
    def decode(text: str | None) -> "Signals":
        items = set((text or "").split(",")) - {""}
        return Signals(
            intents=frozenset(i for i in items if i in INTENTS),
            interests=frozenset(i[2:] for i in items if i.startswith("i:")),
            compare=COMPARE in items,
            quote=QUOTE in items,
        )


NONE = Signals(frozenset(), frozenset(), False, False)


# Word characters, with the Indic vowel signs and viramas that ``\w`` leaves out.
_W = r"\w\u0900-\u0dff"
# Arabic joins its clitics to the word: "and", "with", "for", "like", "the" before; pronouns after.
_ARABIC_BEFORE = "(?:وال|بال|فال|كال|لل|ال|و|ف|ب|ل|ك)?"
_ARABIC_AFTER = "(?:هما|هم|هن|ها|كم|كن|نا|ني|ه|ك|ي)?"
# Scripts written without spaces between words: a keyword matches anywhere in them.
_JOINED = ("CJK", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR", "TIBETAN")


def _script(ch: str) -> str:
    if not ch.isalnum():
        return "symbol"  # emoji, $, ?: anywhere
    name = unicodedata.name(ch, "")
    if name.startswith("ARABIC"):
        return "arabic"
    return "joined" if name.startswith(_JOINED) else "spaced"


def _parts(keyword: str) -> tuple[str, str] | None:
    """(how the keyword starts: spaced, arabic, anywhere or whole; its regex without the start boundary)."""
    kw = fold(keyword).strip()
    if kw.startswith("="):  # the whole message, give or take punctuation and emoji: a lone "no"
        body = r"\s+".join(re.escape(part) for part in kw[1:].split())
        return ("whole", rf"{body}[^{_W}]*$") if body else None
    stem = kw.endswith("*")
    kw = kw.rstrip("*").strip()
    if not kw:
        return None
    body = r"\s+".join(re.escape(part) for part in kw.split())
    end = "" if stem else {"spaced": rf"(?![{_W}])",
                           "arabic": rf"{_ARABIC_AFTER}(?![{_W}])"}.get(_script(kw[-1]), "")
    first = _script(kw[0])
    return (first if first in ("spaced", "arabic") else "anywhere"), body + end


_START = {"spaced": rf"(?<![{_W}])", "arabic": rf"(?<![{_W}]){_ARABIC_BEFORE}", "anywhere": "",
          "whole": rf"^[^{_W}]*"}
# A refusal governs the words right after it in its clause: "not interested in the price", "no me interesa
# el precio" are refusals, not price questions; "no thanks, how much?" still asks. A clause ends at
# punctuation; the reach is a few words, so a refusal never silences a question asked later.
_CLAUSE_END = re.compile(r"[,.;:!?\n\u060c\u061b\u061f\u3001\u3002\uff0c\uff01\uff1f\uff1b]")
_REFUSAL_REACH = re.compile(rf"(?:[^{_W}]*[{_W}]+){{1,4}}")


def alternative(keyword: str) -> str | None:
    """The regex for one keyword, on folded text.

    A keyword is whole words ("cost" finds "cost?" but not "costa"); a trailing
    ``*`` makes its last word a stem ("discount*" finds "discounts"); a leading
    ``=`` makes it the whole message ("=no": a lone "No!" but not "no rush").
    Words in a keyword match across any run of spaces. Arabic words take their clitics
    ("بكم", "وسعره"); Chinese, Japanese and Thai match anywhere; so do emoji.
    """
    parts = _parts(keyword)
    return _START[parts[0]] + parts[1] if parts else None


def _pattern(words: list[str]) -> re.Pattern[str] | None:
    """One regex for a list. Keywords that start alike share one start boundary: thousands of
    alternatives each with its own look-behind made a message take ~1.8 ms, a shared one ~0.2 ms."""
    groups: dict[str, set[str]] = {}
    for parts in filter(None, map(_parts, words)):
        groups.setdefault(parts[0], set()).add(parts[1])
    # Longest first inside a group, so a phrase wins over a word inside it.
    alts = [_START[kind] + "(?:" + "|".join(sorted(bodies, key=len, reverse=True)) + ")"
            for kind, bodies in sorted(groups.items())]
    return re.compile("|".join(alts)) if alts else None


def _all_words(by_lang: dict[str, list[str]]) -> list[str]:
    return [w for words in by_lang.values() for w in words]


def _price_question(currencies: list[str]) -> re.Pattern[str] | None:
    """An amount with a currency in a question ("2 for 50$?", "150rb?", "R$ 120 com frete?"), or a currency
    asked about ("$?", "100ml €?"): a price question without a price word."""
    parts = [(w, p) for w in currencies if (p := _parts(w))]
    if not parts:
        return None
    c = "(?:" + "|".join(sorted({body for _, (_, body) in parts}, key=len, reverse=True)) + ")"
    # Asked about alone ("$?", "100ml €?"), only a sign or a word in another script: "k?" is "ok?".
    signs = sorted({body for w, (kind, body) in parts if kind != "spaced" or not w.rstrip("*").isalnum()},
                   key=len, reverse=True)
    # The currency may touch the number ("150rb", "20tl", "$50"), so no start boundary between them.
    amount = rf"(?:(?<![{_W}]){c}\s?\d|\d[\d.,]*\s?{c})"
    alone = rf"|(?:{'|'.join(signs)})\s*\?" if signs else ""
    return re.compile(rf"{amount}.*\?|\?.*{amount}{alone}", re.S)


def _size_question(units: list[str], sizes: list[str]) -> re.Pattern[str] | None:
    """A measure ("50ml", "500 g", "2 kg") or a clothing size ("XL", "M or L") in a question: what size
    or weight to take, a medium question (§2). A size letter counts only as a word of its own: the "m"
    of "I'm" is not a size."""
    u = sorted({body for w in units if (p := _parts(w))
                for body in [p[1]]}, key=len, reverse=True)
    z = sorted({re.escape(fold(w).strip()) for w in sizes if fold(w).strip()}, key=len, reverse=True)
    alts = ([rf"\d[\d.,]*\s?(?:{'|'.join(u)})"] if u else []) + (
        [rf"(?<![{_W}'’])(?:{'|'.join(z)})(?![{_W}'’])"] if z else [])
    return re.compile(rf"(?:{'|'.join(alts)}).*\?", re.S) if alts else None


SHIPPED = Path(__file__).resolve().parent.parent / "data" / "keywords.toml"


@dataclass(frozen=True)
class Lists:
    """Every keyword list in force, per table and language: the shipped ones, with the config's on top."""

    comparison: dict[str, list[str]]
    quote: dict[str, list[str]]
    intent: dict[str, dict[str, list[str]]]
    interest: dict[str, dict[str, list[str]]]


@lru_cache(maxsize=1)
def shipped() -> dict:
    return toml_file(SHIPPED)  # kept parsed beside the bytecode: ~25 ms of tomllib otherwise


def lists(kw: Keywords) -> Lists:
    """The shipped lists (wtui/data/keywords.toml, read once per process) under the config's: a language a
    config layer sets replaces the shipped list for it; a new language or interest is added."""
    base = shipped()
    ship_intent, ship_interest = base.get("intent", {}), base.get("interest", {})
    intent = {n: {**ship_intent.get(n, {}), **kw.intent.get(n, {})} for n in INTENTS}
    interest = {n: {**ship_interest.get(n, {}), **kw.interest.get(n, {})} for n in {**ship_interest, **kw.interest}}
    return Lists({**base.get("comparison", {}), **kw.comparison}, {**base.get("quote", {}), **kw.quote},
                 intent, interest)


class Detector:
    """Compiled keyword lists; build once per config, reuse for every message."""

    def __init__(self, kw: Keywords) -> None:
        every = lists(kw)
        self.compare = _pattern(_all_words(every.comparison))
        self.quote = _pattern(_all_words(every.quote))
        self.intent = {name: _pattern(_all_words(every.intent.get(name, {}))) for name in INTENTS}
        self.interest = {name: _pattern(_all_words(langs)) for name, langs in every.interest.items()}
        self.price = _price_question(kw.currencies)
        self.size = _size_question(kw.units, kw.sizes)
        self.implies = dict(kw.implies)
        self._seen: dict[str, Signals] = {}

    def detect(self, text: str) -> Signals:
        if not text:
            return NONE
        hit_ = self._seen.get(text)
        if hit_ is not None:  # short replies ("ok", "thanks") repeat a lot
            return hit_
        found = self._detect(text)
        if len(self._seen) < 4096:
            self._seen[text] = found
        return found

    def _refused(self, folded: str) -> list[tuple[int, int]]:
        """The spans a refusal governs: from it to the end of its clause, at most a few words on."""
        spans = []
        for m in self.intent["none"].finditer(folded) if self.intent.get("none") else ():
            end = _CLAUSE_END.search(folded, m.end())
            reach = _REFUSAL_REACH.match(folded, m.end())
            stop = min(end.start() if end else len(folded), reach.end() if reach else m.end())
            spans.append((m.end(), stop))
        return spans

    def _detect(self, text: str) -> Signals:
        folded = fold(text)
        refused = self._refused(folded)

        def hit(p: re.Pattern[str] | None) -> bool:
            if not p:
                return False
            if not refused:
                return bool(p.search(folded))
            return any(not any(a <= m.start() < b for a, b in refused) for m in p.finditer(folded))

        intents = {n for n, p in self.intent.items() if hit(p)}
        interests = frozenset(n for n, p in self.interest.items() if hit(p))
        compare, quote = hit(self.compare), hit(self.quote)
        if hit(self.price):
            intents.add("high")
        if hit(self.size):
            intents.add("medium")
        # A quote or a discount asks for a price; comparing offers or asking how it works is at least medium.
        for signal in (*interests, *([COMPARE] if compare else []), *([QUOTE] if quote else [])):
            if signal in self.implies:
                intents.add(self.implies[signal])
        # One intent per message: the strongest, a refusal before a polite word.
        strongest = next((i for i in INTENT_PRECEDENCE if i in intents), None)
        return Signals(frozenset([strongest] if strongest else []), interests, compare, quote)
