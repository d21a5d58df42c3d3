"""Keyword detection on inbound messages (playbook §1-3), in any language.

Matching is case-insensitive (``casefold``) and Unicode-aware. A keyword in a
script that separates words with spaces (Latin, Cyrillic, Greek) must start at
a word boundary, so "price" finds "prices" but not "caprice"; one in a script
without spaces (Chinese, Japanese) or with joined letters (Arabic) matches
anywhere. Emoji match anywhere.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from wtui.core.config import INTENTS, Keywords

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
    def decode(text: str | None) -> "Signals":
        items = set((text or "").split(",")) - {""}
        return Signals(
            intents=frozenset(i for i in items if i in INTENTS),
            interests=frozenset(i[2:] for i in items if i.startswith("i:")),
            compare=COMPARE in items,
            quote=QUOTE in items,
        )


NONE = Signals(frozenset(), frozenset(), False, False)


def _needs_boundary(word: str) -> bool:
    first = word[0]
    if not first.isalpha():
        return False
    name = unicodedata.name(first, "")
    return name.startswith(("LATIN", "CYRILLIC", "GREEK"))


def _pattern(words: list[str]) -> re.Pattern[str] | None:
    alts = []
    for w in sorted({w.casefold() for w in words if w.strip()}, key=len, reverse=True):
        esc = re.escape(w)
        alts.append(rf"(?<!\w){esc}" if _needs_boundary(w) else esc)
    return re.compile("|".join(alts)) if alts else None


def _all_words(by_lang: dict[str, list[str]]) -> list[str]:
    return [w for words in by_lang.values() for w in words]


class Detector:
    """Compiled keyword lists; build once per config, reuse for every message."""

    def __init__(self, kw: Keywords) -> None:
        self.compare = _pattern(_all_words(kw.comparison))
        self.quote = _pattern(_all_words(kw.quote))
        self.intent = {name: _pattern(_all_words(kw.intent.get(name, {}))) for name in INTENTS}
        self.interest = {name: _pattern(_all_words(langs)) for name, langs in kw.interest.items()}

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

    def _detect(self, text: str) -> Signals:
        folded = unicodedata.normalize("NFC", text).casefold()

        def hit(p: re.Pattern[str] | None) -> bool:
            return bool(p and p.search(folded))

        return Signals(
            intents=frozenset(n for n, p in self.intent.items() if hit(p)),
            interests=frozenset(n for n, p in self.interest.items() if hit(p)),
            compare=hit(self.compare),
            quote=hit(self.quote),
        )

