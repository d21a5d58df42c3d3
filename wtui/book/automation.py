"""Running automation rules on a book: the dry run is the real run, rolled back.

``run`` applies each rule in order through ``Book.bulk`` (which writes only
real changes, each op carrying ``rule: <name>`` as its reason) inside one
transaction. A dry run does exactly the same and rolls back, so it cannot
list anything the run would not do, or miss anything it would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from wtui.core.query import Limits
from wtui.core.rules import Rule, parse_rules
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
    when: str  # the rule's query, as written
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

    @property
    def changed(self) -> int:
        return sum(len(r.changes) for r in self.results)

    def summary(self, book, samples: int = 5) -> list[RuleSummary]:
        """One row per rule, with up to ``samples`` customers it changed, named (one read for all)."""
        wanted = [uid for r in self.results for uid in list(r.changes)[:samples]]
        who = book.contacts(wanted)
        return [
            RuleSummary(r.rule.name, r.rule.when_text, r.rule.actions(), r.matched, len(r.changes), tuple(
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
    return parse_rules(text, str(p), book.query_fields, book.tag_names(archived=True), hours, Limits.of(book.cfg))


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


def run(book, rules: list[Rule], *, dry_run: bool, progress=None) -> RulesReport:
    """Each rule in order, one transaction; ``progress(rules done, rules)`` after each rule and
    between chunks of a big one (raising there rolls the whole run back)."""
    results: list[RuleResult] = []
    with (book.rehearsal() if dry_run else book.batch("rules")) as batch_id:
        for n, rule in enumerate(rules):
            ids = book.select(rule.when)
            until = book.now() + timedelta(hours=rule.color_hours) if rule.color and rule.color_hours else None
            reason = f"rule: {rule.name}"
            book.bulk(ids, add=rule.add, remove=rule.remove, color=rule.color, until=until, intent=rule.intent,
                      reason=reason, progress=progress and (lambda done, total, n=n: progress(n, len(rules))))
            result = RuleResult(rule, len(ids))
            for entity, kind, payload in book.conn.execute(
                    "SELECT entity, kind, payload FROM ops WHERE batch = ? AND reason = ? ORDER BY seq",
                    (batch_id, reason)):
                uid = entity.split(":", 1)[1]
                result.changes.setdefault(uid, []).append(_describe(kind, json.loads(payload)))
            results.append(result)
            if progress:
                progress(n + 1, len(rules))
    return RulesReport(results, dry_run, None if dry_run else batch_id)
