"""Running automation rules on a book: the dry run is the real run, rolled back.

``run`` applies each rule in order through ``Book.bulk`` (which writes only
real changes, each op carrying ``rule: <name>`` as its reason) inside one
transaction. A dry run does exactly the same and rolls back, so it cannot
list anything the run would not do, or miss anything it would.

An event rule (``on = "purchase"``) acts on the events recorded since the
rules last ran here (``Book.rule_events``: newer than the mark the last run
left, and at most ``rules.event_window_hours`` old: an imported history is
not news), so a second run has nothing left to act on. Tags the rules name
that the book lacks, and the tags their templates make, are created first:
by an admin's run, the team server's, or in a dry run (rolled back).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from wtui.core.query import Limits, tags_in
from wtui.core.rules import Rule, family, fill, parse_rules
from wtui.errors import BadInput


@dataclass
class RuleResult:
    rule: Rule
    matched: int
    changes: dict[str, list[str]] = field(default_factory=dict)  # customer uid -> what changed


@dataclass(frozen=True)
class Sample:
    """One customer a rule changed (or would change), and how."""

    uid: str
    name: str
    phone: str
    changes: tuple[str, ...]  # "+Lifecycle-Dormant", "-Activity-High", "colour red", "intent high"


@dataclass(frozen=True)
class RuleSummary:
    """What one rule did, as the CLI and the app show it."""

    name: str
    when: str  # what the rule acts on, as written: "when <query>", "on purchase when <query>"
    actions: str  # "+Lifecycle-Dormant, colour red"
    matched: int  # customers the query matched
    changed: int  # customers it changed (or would change)
    samples: tuple[Sample, ...]  # the first of them, in the order the changes were made

    @property
    def more(self) -> int:
        """Changed customers not among the samples."""
        return self.changed - len(self.samples)


@dataclass
class RulesReport:
    results: list[RuleResult]
    dry_run: bool
    batch: str | None = None
    new_tags: list[str] = field(default_factory=list)  # tags the run created (or would create)

    @property
    def changed(self) -> int:
        return sum(len(r.changes) for r in self.results)

    def summary(self, book, samples: int = 5) -> list[RuleSummary]:
        """One row per rule, with up to ``samples`` customers it changed, named (one read for all)."""
        wanted = [uid for r in self.results for uid in list(r.changes)[:samples]]
        who = book.contacts(wanted)
        return [
            RuleSummary(r.rule.name, r.rule.condition(), r.rule.actions(), r.matched, len(r.changes), tuple(
                Sample(uid, *who.get(uid, (uid, "")), tuple(what)) for uid, what in list(r.changes.items())[:samples]))
            for r in self.results
        ]


def shipped_rules_path() -> Path:
    return Path(__file__).resolve().parent.parent / "rules.toml"


def rules_path(book) -> Path:
    return Path(book.cfg.rules.path).expanduser() if book.cfg.rules.path else shipped_rules_path()


def load(book, path: Path | None = None) -> list[Rule]:
    """Parse and check the rules file against this book's tags."""
    p = path or rules_path(book)
    try:
        text = p.read_text("utf-8")
    except OSError as exc:
        raise BadInput(f"{p}: cannot read the rules file ({exc.strerror})") from None
    hours = book.cfg.ui.colour_override_hours
    return parse_rules(text, str(p), book.query_fields, book.tag_names(archived=True), hours, Limits.of(book.cfg),
                       book.cfg.tags.max_length)


def _describe(kind: str, payload: dict) -> str:
    if kind == "tag.add":
        return f"+{payload['tag']}"
    if kind == "tag.remove":
        return f"-{payload['tag']}"
    fields = payload.get("fields", {})
    out = []
    if "override_color" in fields:
        out.append(f"colour {fields['override_color'] or 'automatic'}")
    if "override_intent" in fields:
        out.append(f"intent {fields['override_intent'] or 'automatic'}")
    return ", ".join(out) or kind


def run(book, rules: list[Rule], *, dry_run: bool, progress=None, as_team: bool = False) -> RulesReport:
    """Each rule in order, one transaction; ``progress(rules done, rules)`` after each rule and
    between chunks of a big one (raising there rolls the whole run back). The event rules run
    together where the first of them stands (``_events``). ``as_team``: the team server's
    scheduled run, which may create the tags the rules need like an admin's."""
    results: list[RuleResult] = []
    trusted = dry_run or as_team
    with (book.rehearsal() if dry_run else book.batch("rules")) as batch_id:
        created = book.create_rule_tags([t for rule in rules for t in rule.new_tags], trusted=trusted)
        on = [rule for rule in rules if rule.on]
        span = book.event_span() if on else None
        matched: dict[str, int] | None = None
        for n, rule in enumerate(rules):
            reason = f"rule: {rule.name}"
            step = progress and (lambda done, total, n=n: progress(n, len(rules)))
            if rule.on:
                if matched is None:
                    matched, made = _events(book, on, span, step, trusted)
                    created += made
                count = matched[rule.name]
            else:
                ids = book.select(rule.when)
                book.note_use(tags_in(rule.when))
                _apply(book, rule, ids, rule.add, reason, step)
                count = len(ids)
            result = RuleResult(rule, count)
            for entity, kind, payload in book.conn.execute(
                    "SELECT entity, kind, payload FROM ops WHERE batch = ? AND reason = ? ORDER BY seq",
                    (batch_id, reason)):
                uid = entity.split(":", 1)[1]
                result.changes.setdefault(uid, []).append(_describe(kind, json.loads(payload)))
            results.append(result)
            if progress:
                progress(n + 1, len(rules))
        if span is not None and span[1] > span[0]:
            book.mark_events_seen(span[1])
    return RulesReport(results, dry_run, None if dry_run else batch_id, created)


def _apply(book, rule: Rule, ids: list[int], add: tuple[str, ...], reason: str, progress) -> None:
    until = book.now() + timedelta(hours=rule.color_hours) if rule.color and rule.color_hours else None
    book.bulk(ids, add=add, remove=_removed(book.tag_names(archived=True), rule.remove, add), color=rule.color,
              until=until, intent=rule.intent, reason=reason, progress=progress)


def _removed(tags: list[str], names: tuple[str, ...], keep: tuple[str, ...]) -> tuple[str, ...]:
    """The tags to remove, a family ("Activity-*") as every tag of the book it names, less what is added."""
    out: list[str] = []
    for name in names:
        prefix = family(name)
        out += [t for t in tags if t.lower().startswith(prefix)] if prefix else [name]
    kept = {t.lower() for t in keep}
    return tuple(t for t in dict.fromkeys(out) if t.lower() not in kept)


def _events(book, rules: list[Rule], span: tuple[int, int], progress, trusted: bool) -> tuple[dict[str, int], list]:
    """The event rules, on each customer's events in the order they happened: for each tag, and for
    the colour and the intent, the latest event that speaks of it decides (a complaint opened,
    resolved, opened again ends open). Templates are filled from each event. Returns how many
    customers each rule matched, and the tags made."""
    matched: dict[str, set[int]] = {rule.name: set() for rule in rules}
    if span[1] <= span[0]:
        return {name: 0 for name in matched}, []
    fits = {rule.name: set(book.select(rule.when)) for rule in rules if rule.when is not None}
    by_kind: dict[str, list[Rule]] = {}
    for rule in rules:
        by_kind.setdefault(rule.on, []).append(rule)
    limit, tags = book.cfg.tags.max_length, book.tag_names(archived=True)
    decided: dict[int, dict[str, tuple[Rule, str, str]]] = {}  # customer -> tag (folded) -> (rule, +/-, tag)
    colour: dict[int, Rule] = {}
    intent: dict[int, Rule] = {}
    for cid, kind, at, product in book.rule_events(list(by_kind), *span):
        for rule in by_kind[kind]:
            if rule.name in fits and cid not in fits[rule.name]:
                continue
            matched[rule.name].add(cid)
            add = tuple(t for t in (fill(t, at, product, limit) for t in rule.add) if t) if rule.templated \
                else rule.add
            mine = decided.setdefault(cid, {})
            for tag in _removed(tags, rule.remove, add):
                mine[tag.lower()] = (rule, "-", tag)
            for tag in add:
                mine[tag.lower()] = (rule, "+", tag)
            if rule.color is not None:
                colour[cid] = rule
            if rule.intent is not None:
                intent[cid] = rule
    made = book.create_rule_tags(sorted({t for mine in decided.values() for _, how, t in mine.values() if how == "+"}),
                                 trusted=trusted)
    groups: dict[tuple[str, str, str], list[int]] = {}
    by_name = {rule.name: rule for rule in rules}
    for cid, mine in decided.items():
        for rule, how, tag in mine.values():
            groups.setdefault((rule.name, how, tag), []).append(cid)
    for (name, how, tag), ids in sorted(groups.items()):
        book.bulk(sorted(ids), add=(tag,) if how == "+" else (), remove=(tag,) if how == "-" else (),
                  reason=f"rule: {name}", progress=progress)
    for chosen, what in ((colour, "color"), (intent, "intent")):
        for name in sorted({rule.name for rule in chosen.values()}):
            rule = by_name[name]
            ids = sorted(cid for cid, r in chosen.items() if r.name == name)
            until = book.now() + timedelta(hours=rule.color_hours) if what == "color" and rule.color_hours else None
            book.bulk(ids, reason=f"rule: {name}", progress=progress,
                      **({"color": rule.color, "until": until} if what == "color" else {"intent": rule.intent}))
    return {name: len(cids) for name, cids in matched.items()}, made
