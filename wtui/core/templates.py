"""Message templates (issue #16, playbook §5): the team's words, filled for one customer.

A templates file (TOML: ``[greetings.<lang>]`` and ``[[template]]`` with ``name``, ``for`` (a query),
``text`` and an optional ``voice`` script) is read by ``parse``; the first template whose query matches
the customer is the one used (the book checks the match). ``fill`` puts in ``{first_name}``, ``{name}``,
``{product}`` and ``{greeting}`` (morning, afternoon or evening where the customer is, in their
language) by plain substitution: a field is a name in braces, nothing else is evaluated, and the
customer's own text (their name) goes in as it is. The format follows their preference note (voice
script for "Prefers voice"). ``judge`` says when a fill must not be sent: at their weekly cap, outside
their window (both overridable by forcing), and warns over ``templates.warn_per_week`` messages a week.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from urllib.parse import quote

from wtui.errors import BadInput

FIELDS = ("first_name", "name", "product", "greeting")
_FIELD = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class Template:
    name: str
    match: str  # a query in wtui's language
    text: str
    voice: str = ""


@dataclass(frozen=True)
class Templates:
    items: list[Template]
    greetings: dict[str, dict[str, str]]  # language -> {morning, afternoon, evening}


@dataclass(frozen=True)
class Filled:
    template: str
    format: str  # "text" or "voice"
    text: str
    refusals: list[str]  # why it must not be sent now (forcing sends anyway)
    warnings: list[str]


def parse(text: str, where: str) -> Templates:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"{where}: not valid TOML ({exc})") from None
    greetings = data.get("greetings", {})
    if not isinstance(greetings, dict) or not all(
            isinstance(g, dict) and set(g) == {"morning", "afternoon", "evening"}
            and all(isinstance(v, str) for v in g.values()) for g in greetings.values()):
        raise BadInput(f"{where}: [greetings] holds, per language, morning, afternoon and evening as text")
    items = []
    seen: set[str] = set()
    raw = data.get("template", [])
    if not isinstance(raw, list):
        raise BadInput(f"{where}: templates are [[template]] tables")
    for i, t in enumerate(raw, 1):
        at = f"{where}: template {i}"
        if not isinstance(t, dict):
            raise BadInput(f"{at}: a [[template]] table")
        unknown = set(t) - {"name", "for", "text", "voice"}
        if unknown:
            raise BadInput(f"{at}: unknown key(s) {', '.join(sorted(unknown))} (name, for, text, voice)")
        for key in ("name", "for", "text"):
            if not isinstance(t.get(key), str) or not t[key].strip():
                raise BadInput(f"{at}: {key!r} is required text")
        if not isinstance(t.get("voice", ""), str):
            raise BadInput(f"{at}: 'voice' is text")
        name = t["name"].strip()
        if name.lower() in seen:
            raise BadInput(f"{at}: a second template named {name!r}")
        seen.add(name.lower())
        for key in ("text", "voice"):
            for field in _FIELD.findall(t.get(key, "")):
                if field not in FIELDS:
                    raise BadInput(f"{at} ({name}): {{{field}}} in {key} is not a field; the fields are "
                                   + ", ".join("{" + f + "}" for f in FIELDS))
        items.append(Template(name, t["for"].strip(), t["text"], t.get("voice", "")))
    return Templates(items, greetings)


def greeting(templates: Templates, language: str, local_hour: int, cfg) -> str:
    words = templates.greetings.get(language) or templates.greetings.get("en") or {}
    part = "morning" if local_hour < cfg.afternoon_hour else "afternoon" if local_hour < cfg.evening_hour \
        else "evening"
    return words.get(part, "Hello")


def first_name(name: str) -> str:
    return name.split()[0] if name.split() else ""


def fill(template: Template, fields: dict[str, str], prefers: str) -> tuple[str, str]:
    """(format, text): the voice script for a customer who prefers voice and when there is one; the text
    otherwise. A field the template names with no value for this customer is refused."""
    fmt = "voice" if prefers == "voice" and template.voice else "text"
    body = template.voice if fmt == "voice" else template.text
    missing = sorted({f for f in _FIELD.findall(body) if not fields.get(f)})
    if missing:
        raise BadInput(f"template {template.name!r} needs " + ", ".join("{" + f + "}" for f in missing)
                       + " and this customer has none" + (" (no purchase with a product yet)"
                                                         if "product" in missing else ""))
    return fmt, _FIELD.sub(lambda m: fields[m.group(1)], body)  # one pass: a value is never read again


def judge(sent_in_period: int, sent_last_week: int, cap: int | None, cap_period_days: float, in_window: bool,
          window_label: str, cfg) -> tuple[list[str], list[str]]:
    """(refusals, warnings) for sending one more message now. ``sent_in_period``: our messages in the
    cap's own period (the last day, 7 days or 30 days)."""
    refusals, warnings = [], []
    if cap is not None and cap_period_days and sent_in_period >= cap:
        refusals.append(f"at their cap: {sent_in_period} message(s) in the last {cap_period_days:g} day(s) (their "
                        f"note allows {cap})")
    if not in_window:
        refusals.append(f"outside their window ({window_label})")
    if sent_last_week + 1 > cfg.warn_per_week:
        warnings.append(f"this would be message {sent_last_week + 1} this week: over {cfg.warn_per_week} a week, "
                        "about a third of customers mute the chat")
    return refusals, warnings


def wa_link(phone: str, text: str) -> str:
    """A wa.me link that opens the chat with the text typed in."""
    return f"https://wa.me/{''.join(ch for ch in phone if ch.isdigit())}?text={quote(text, safe='')}"
