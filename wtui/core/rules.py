"""Automation rules (playbook §8): a TOML file of named conditions and actions.

A rule acts on the customers a query matches (``when``), or on those an event
just happened to (``on = "purchase"``: the events recorded since the rules last
ran, ``when`` narrowing them further). Its tags may be templates filled from
the event (``Bought-<yyyy-mm>-<product>``), and ``remove`` may name a family
(``Activity-*``). Tags a rule names that the book lacks are created when an
admin's run needs them: the rules file is the admins' own.

Parsing is pure: ``parse_rules`` checks every rule against the fields, the
book's tags and the allowed values, and names the file, the rule and the
position of anything wrong. Applying them is the book's job (``Book.run_rules``).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from wtui.core import query
from wtui.core.config import COLORS, INTENTS, LONGEST_DAYS
from wtui.core.facts import KINDS
from wtui.errors import BadInput

_KEYS = {"name", "on", "when", "add", "remove", "color", "color_hours", "intent"}
PLACEHOLDERS = ("yyyy-mm", "yyyy", "mm", "dd", "product")
_WIDTH = {"yyyy-mm": 7, "yyyy": 4, "mm": 2, "dd": 2}  # what each fills to (the product gives way)
_PLACEHOLDER = re.compile(r"<([^<>]*)>")


class RuleError(BadInput):
    def __init__(self, origin: str, where: str, reason: str) -> None:
        self.origin, self.where, self.reason = origin, where, reason
        super().__init__(f"{origin}: {where}: {reason}")


@dataclass(frozen=True)
class Rule:
    name: str
    when_text: str
    when: query.Node | None  # None: an event rule that acts on every customer the event happened to
    add: tuple[str, ...] = ()  # tag names, or templates (with <placeholders>) in an event rule
    remove: tuple[str, ...] = ()  # tag names, or a family: "Activity-*"
    color: str | None = None
    color_hours: float = 0
    intent: str | None = None
    tags: frozenset[str] = field(default=frozenset())  # every tag it names as it is (no template, no family)
    on: str = ""  # an interaction kind: the rule acts on customers it just happened to
    new_tags: tuple[str, ...] = ()  # tags it names that the book does not have yet (created by the run)

    @property
    def templated(self) -> bool:
        return any(_PLACEHOLDER.search(t) for t in self.add + self.remove)

    def condition(self) -> str:
        """What the rule acts on, as written: 'on purchase when #Cart-Abandoned'."""
        return " ".join(x for x in (f"on {self.on}" if self.on else "", f"when {self.when_text}"
                                    if self.when_text else "") if x)

    def actions(self) -> str:
        parts = [f"+{t}" for t in self.add] + [f"-{t}" for t in self.remove]
        if self.color is not None:
            parts.append(f"colour {self.color or 'automatic'}")
        if self.intent is not None:
            parts.append(f"intent {self.intent or 'automatic'}")
        return ", ".join(parts)


def fill(template: str, at: datetime, product: str, limit: int) -> str:
    """A tag template filled from an event: its local time ``at`` and what was bought. Only the product
    gives way when the name would pass ``limit`` characters; an empty one leaves no dangling "-"."""
    values = {"yyyy-mm": f"{at:%Y-%m}", "yyyy": f"{at:%Y}", "mm": f"{at:%m}", "dd": f"{at:%d}", "product": ""}
    fixed = _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)
    room = max(limit - len(fixed), 0)
    name = _PLACEHOLDER.sub(lambda m: tag_word(product)[:room] if m.group(1) == "product" else values[m.group(1)],
                            template)
    return re.sub(r"-{2,}", "-", name).strip("-")


def tag_word(text: str) -> str:
    """Free text as one tag word: letters and digits of any script, each word capitalised and joined
    ("blue scarf (L)" -> "BlueScarfL", "精华液" -> "精华液")."""
    words = re.split(r"[^\w]+|_", unicodedata.normalize("NFKC", text))
    return "".join(w[:1].upper() + w[1:] for w in words if w)


def family(pattern: str) -> str | None:
    """The prefix a remove pattern names ("Activity-*" -> "activity-"), None for a plain tag."""
    return pattern[:-1].lower() if pattern.endswith("*") else None


def parse_rules(text: str, origin: str, fields: dict[str, query.Field], known_tags: list[str],
                default_color_hours: float = 24, limits: query.Limits | None = None,
                tag_limit: int = 20) -> list[Rule]:
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
    # A tag one rule adds may be what another's query asks about: the run creates it before either runs.
    named = [t.strip() for raw in entries if isinstance(raw, dict) for key in ("add", "remove")
             for t in (raw.get(key) if isinstance(raw.get(key), list) else []) if isinstance(t, str)
             and t.strip() and not _PLACEHOLDER.search(t) and family(t.strip()) is None]
    queryable = list(known.values()) + [t for t in dict.fromkeys(named) if t.lower() not in known]
    for n, raw in enumerate(entries, 1):
        where = f"rule {n}" + (f" {raw.get('name')!r}" if isinstance(raw, dict) and raw.get("name") else "")
        rules.append(_rule(raw, origin, where, fields, known, default_color_hours, seen, limits, tag_limit,
                           queryable))
    return rules


def _rule(raw: Any, origin: str, where: str, fields, known: dict[str, str], hours: float, seen: set[str],
          limits: query.Limits | None, tag_limit: int, queryable: list[str]) -> Rule:
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
    on = raw.get("on", "")
    if not isinstance(on, str) or (on and on not in KINDS):
        raise RuleError(origin, f"{where}: on", f"an event: one of {', '.join(KINDS)}")
    when_text = raw.get("when", "" if on else None)
    if not isinstance(when_text, str) or not (when_text.strip() or on):
        raise RuleError(origin, where, 'needs when = "<query>" or on = "<event>" (or both)')
    when = None
    if when_text.strip():
        try:
            when = query.parse(when_text, fields, queryable, limits)
        except query.QueryError as exc:
            raise RuleError(origin, f"{where}: when", str(exc)) from None
    new: list[str] = []

    def tag_list(key: str) -> tuple[str, ...]:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
            raise RuleError(origin, f"{where}: {key}", "must be a list of tag names")
        out = []
        for t in (t.strip() for t in value):
            slots = _PLACEHOLDER.findall(t)
            if slots and key == "remove":
                raise RuleError(origin, f"{where}: remove", f"{t!r}: templates make tags to add; to remove a "
                                                            "family of tags, end a name with * (Activity-*)")
            if slots and not on:
                raise RuleError(origin, f"{where}: {key}", f"{t!r} is a template: only a rule with on = \"<event>\" "
                                                           "fills one (from the event)")
            bad = [x for x in slots if x not in PLACEHOLDERS]
            if bad:
                raise RuleError(origin, f"{where}: {key}", f"{t!r}: unknown <{bad[0]}> (templates take "
                                                           f"{', '.join(f'<{p}>' for p in PLACEHOLDERS)})")
            if t.endswith("*") and key == "remove" and len(t) > 1 and "*" not in t[:-1]:
                out.append(t)  # a family of tags, found when the rule runs
                continue
            plain = _PLACEHOLDER.sub(lambda m: "x" * _WIDTH.get(m.group(1), 0), t)  # as filled, the product empty
            if not plain or len(plain) > tag_limit or any(c.isspace() or not c.isprintable() or c == "*"
                                                          for c in plain):
                raise RuleError(origin, f"{where}: {key}", f"tag {t!r}: 1-{tag_limit} printable characters, "
                                                           "no spaces (Dimension-Value)")
            if not slots and t.lower() not in known:
                known[t.lower()] = t
                new.append(t)
            out.append(t if slots else known[t.lower()])
        return tuple(out)

    add, remove = tag_list("add"), tag_list("remove")
    both = sorted({t.lower() for t in add} & {t.lower() for t in remove})
    if both:  # one run would add and take away the same tag: which the rule means cannot be told
        raise RuleError(origin, where, f"adds and removes {', '.join(both)}: keep it in one of add or remove")
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
    plain = frozenset(t for t in add + remove if not _PLACEHOLDER.search(t) and family(t) is None)
    return Rule(name.strip(), when_text.strip(), when, add, remove, color, float(color_hours), intent,
                plain | frozenset(query.tags_in(when) if when is not None else ()), on, tuple(new))
