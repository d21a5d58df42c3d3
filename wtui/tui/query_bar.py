"""The filter bar: a query typed with completion, checked and counted as you type."""

from __future__ import annotations

from textual.suggester import Suggester

from wtui.book.book import Book
from wtui.core.query import TEXT_OPS, TIME_OPS

KEYWORDS = ("AND", "OR", "NOT", "EXCLUDE")


class QuerySuggester(Suggester):
    """Completes the word being typed: #tags, fields, keywords, and values after ``field =``."""

    def __init__(self, book: Book) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.book = book

    async def get_suggestion(self, value: str) -> str | None:
        if not value or value[-1].isspace():
            return None
        head, _, word = value.rpartition(" ")
        options = self.options_for(head.split(), word)
        low = word.lower()
        for option in options:
            if option.lower().startswith(low) and option.lower() != low:
                return (head + " " if head else "") + option
        return None

    def options_for(self, before: list[str], word: str) -> list[str]:
        if word.startswith("#"):
            return ["#" + r[0] for r in self.book.conn.execute("SELECT name FROM tags WHERE archived = 0 ORDER BY name")]
        fields = self.book.query_fields
        if len(before) >= 2 and before[-1] in ("=", "!=") and before[-2].lower() in fields:
            return list(fields[before[-2].lower()].values)
        if before and before[-1].lower() in fields:
            kind = fields[before[-1].lower()].kind
            return list({"time": TIME_OPS, "text": TEXT_OPS, "message": ("~",)}.get(kind, ("=", "!=", ">=", "<=")))
        return sorted(fields) + list(KEYWORDS)
