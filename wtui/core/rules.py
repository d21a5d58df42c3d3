"""Automation rules (playbook §8): a TOML file of named conditions and actions.

Parsing is pure: ``parse_rules`` checks every rule against the fields, the
book's tags and the allowed values, and names the file, the rule and the
position of anything wrong. Applying them is the book's job (``Book.run_rules``).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from typing import Any

from wtui.core import query
from wtui.core.config import COLORS, INTENTS, LONGEST_DAYS
from wtui.errors import BadInput

_KEYS = {"name", "when", "add", "remove", "color", "color_hours", "intent"}


class RuleError(BadInput):
    def __init__(self, origin: str, where: str, reason: str) -> None:
        self.origin, self.where, self.reason = origin, where, reason
        super().__init__(f"{origin}: {where}: {reason}")


@dataclass(frozen=True)
class Rule:
    name: str
    when_text: str
    when: query.Node
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    color: str | None = None
    color_hours: float = 0
    intent: str | None = None
    tags: frozenset[str] = field(default=frozenset())  # every tag it names

    def actions(self) -> str:
        parts = [f"+{t}" for t in self.add] + [f"-{t}" for t in self.remove]
        if self.color is not None:
            parts.append(f"colour {self.color or 'automatic'}")
        if self.intent is not None:
            parts.append(f"intent {self.intent or 'automatic'}")
        return ", ".join(parts)


def parse_rules(text: str, origin: str, fields: dict[str, query.Field], known_tags: list[str],
                default_color_hours: float = 24, limits: query.Limits | None = None) -> list[Rule]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(origin, "file", f"not valid TOML: {exc}") from None
    extra = set(data) - {"rule"}
    if extra:
        raise RuleError(origin, "file", f"unknown table {sorted(extra)[0]!r}: rules are [[rule]] entries")
    known = {t.lower(): t for t in known_tags}
    rules: list[Rule] = []
    seen: set[str] = set()
    entries = data.get("rule", [])
    if not isinstance(entries, list):
        raise RuleError(origin, "rule", "rules are [[rule]] entries, each a table")
    for n, raw in enumerate(entries, 1):
        where = f"rule {n}" + (f" {raw.get('name')!r}" if isinstance(raw, dict) and raw.get("name") else "")
        rules.append(_rule(raw, origin, where, fields, known, default_color_hours, seen, limits))
    return rules


def _rule(raw: Any, origin: str, where: str, fields, known: dict[str, str], hours: float, seen: set[str],
          limits: query.Limits | None) -> Rule:
    if not isinstance(raw, dict):
        raise RuleError(origin, where, "must be a table")
    unknown = set(raw) - _KEYS
    if unknown:
        raise RuleError(origin, where, f"unknown key {sorted(unknown)[0]!r} (keys: {', '.join(sorted(_KEYS))})")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RuleError(origin, where, "needs a name")
    if name in seen:
        raise RuleError(origin, where, "a second rule with this name")
    seen.add(name)
    when_text = raw.get("when")
    if not isinstance(when_text, str):
        raise RuleError(origin, where, 'needs when = "<query>"')
    try:
        when = query.parse(when_text, fields, list(known.values()), limits)
    except query.QueryError as exc:
        raise RuleError(origin, f"{where}: when", str(exc)) from None

    def tag_list(key: str) -> tuple[str, ...]:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
            raise RuleError(origin, f"{where}: {key}", "must be a list of tag names")
        missing = [t for t in value if t.lower() not in known]
        if missing:
            raise RuleError(origin, f"{where}: {key}", f"unknown tag {missing[0]!r} (an admin creates it first)")
        return tuple(known[t.lower()] for t in value)

    add, remove = tag_list("add"), tag_list("remove")
    color = raw.get("color")
    if color is not None and color not in COLORS + ("",):
        raise RuleError(origin, f"{where}: color", f"must be one of {', '.join(COLORS)} (or \"\" for automatic)")
    intent = raw.get("intent")
    if intent is not None and intent not in INTENTS + ("",):
        raise RuleError(origin, f"{where}: intent", f"must be one of {', '.join(INTENTS)}")
    color_hours = raw.get("color_hours", hours)
    if (not isinstance(color_hours, (int, float)) or isinstance(color_hours, bool)
            or not 0 <= color_hours <= LONGEST_DAYS * 24):  # a NaN fails both comparisons
        raise RuleError(origin, f"{where}: color_hours", "must be a number of hours, 0 or more (at most a century)")
    if not (add or remove or color is not None or intent is not None):
        raise RuleError(origin, where, "does nothing: give add, remove, color or intent")
    return Rule(name.strip(), when_text, when, add, remove, color, float(color_hours), intent,
                frozenset(add + remove) | frozenset(query.tags_in(when)))
