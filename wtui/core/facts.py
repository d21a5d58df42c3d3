"""What happened with a customer, summarised from their interaction history.

Facts are a pure function of the events (and the manual overrides), so every
replica of a book that holds the same events computes the same facts, and so
the same colour. Nothing here reads the clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import attrgetter
from typing import NamedTuple

# Interaction kinds (playbook §1: messages, read receipts, quote opens, link
# clicks, purchases, website visits).
IN, OUT, READ, QUOTE_OPEN, LINK, PURCHASE, VISIT = "in", "out", "read", "quote_open", "link", "purchase", "visit"
# WhatsApp's own statuses and notices: a voice message played is read; delivered and failed sends are
# kept for broadcast results; a system notice (a changed number) is no one's message. None of the last
# three is contact with the customer.
PLAYED, DELIVERED, FAILED, SYSTEM = "played", "delivered", "failed", "system"
# A deal's outcome (`wtui won` / `wtui lost`), with the colour the customer had then: what colour accuracy
# is measured from. A record, not contact (a won deal's money is its purchase).
WON, LOST = "won", "lost"
# A complaint the rep records (what the customer complained of) and its resolution: records too, what
# event rules act on (playbook §8: complaint resolved -> Complaint-Resolved).
COMPLAINT, RESOLVED = "complaint", "resolved"
KINDS = (IN, OUT, READ, QUOTE_OPEN, LINK, PURCHASE, VISIT, PLAYED, DELIVERED, FAILED, SYSTEM, WON, LOST, COMPLAINT,
         RESOLVED)
_NOT_CONTACT = frozenset({DELIVERED, FAILED, SYSTEM, WON, LOST, COMPLAINT, RESOLVED})


class Event(NamedTuple):  # a tuple, not a dataclass: a verdict reads a customer's whole history
    kind: str
    at: datetime  # aware, UTC
    signals: str = ""  # Signals.encode() of an inbound message
    amount: float = 0.0  # purchase value
    minutes: float = 0.0  # website visit length
    color_at: str = ""  # an outbound message: the customer's colour when it was sent


_WHEN = attrgetter("at")


@dataclass(frozen=True)
class Overrides:
    """What the rep set by hand over the rules: a colour (until when) and an intent."""

    color: str = ""
    color_until: datetime | None = None
    color_set_at: datetime | None = None
    intent: str = ""


@dataclass(frozen=True)
class Facts:
    """What a customer's history adds up to (``summarize``): the input of every verdict."""

    first_contact: datetime | None = None
    last_inbound: datetime | None = None
    last_outbound: datetime | None = None
    last_read: datetime | None = None
    last_link: datetime | None = None
    last_interaction: datetime | None = None
    last_quote_open: datetime | None = None
    quote_opens: int = 0  # since the last purchase
    sig_high: datetime | None = None
    sig_medium: datetime | None = None
    sig_potential: datetime | None = None
    sig_none: datetime | None = None
    sig_compare: datetime | None = None
    sig_quote: datetime | None = None
    long_visit: datetime | None = None
    interest_hits: dict[str, int] = field(default_factory=dict)
    reply_latency: timedelta | None = None  # how fast they last answered us
    purchase_count: int = 0
    purchase_total: float = 0.0
    first_purchase: datetime | None = None
    last_purchase: datetime | None = None
    max_order: float = 0.0
    purchases: tuple[tuple[datetime, float], ...] = ()
    red_streak: int = 0  # red episodes in a row (see summarize), not red contacts
    out_since_high: int = 0  # our messages since their latest price/stock question
    unanswered: int = 0  # our messages since their latest message (all of ours, if they never wrote)
    reads: tuple[datetime, ...] = ()  # when they read or played our messages, oldest first
    replies: tuple[tuple[datetime, float], ...] = ()  # (our message, seconds until their answer), oldest first
    overrides: Overrides = Overrides()
    tags: frozenset[str] = frozenset()
    added: datetime | None = None  # when they came into the book: a lead with no contact is due from then
    last_lost: datetime | None = None  # the latest deal recorded lost (a record, not contact)

    def spend_since(self, since: datetime) -> float:
        return sum(a for at, a in self.purchases if at >= since)

    def purchases_since(self, since: datetime) -> int:
        return sum(1 for at, _ in self.purchases if at >= since)


def summarize(
    events: list[Event],
    long_visit_minutes: float,
    overrides: Overrides = Overrides(),
    tags: frozenset[str] = frozenset(),
    added: datetime | None = None,
) -> Facts:
    """Fold a customer's events (any order) into Facts; ``added``: when the customer came into the book."""
    from wtui.core.keywords import Signals  # the keyword machinery loads when facts are first folded, not at start

    # Plain locals and unpacked events: every verdict a write recomputes folds the whole history (~17
    # events a customer), so this loop is most of an import's recompute.
    first = last = last_read = last_link = last_quote_open = long_visit = None
    interest_hits: dict[str, int] = {}
    purchases: list[tuple[datetime, float]] = []
    last_out: datetime | None = None
    last_in: datetime | None = None
    latency: timedelta | None = None
    # A red episode is the contacts made while red after one red trigger (a price question, comparing):
    # the playbook's three touches in 72 h after a price question are one episode, not three.
    streak = 0
    in_episode = red_trigger = False
    out_since_high = unanswered = 0
    opens = 0
    sig: dict[str, datetime] = {}
    reads: list[datetime] = []
    replies: list[tuple[datetime, float]] = []

    last_lost: datetime | None = None
    for kind, at, signals, amount, minutes, color_at in sorted(events, key=_WHEN):
        if kind in _NOT_CONTACT:
            if kind == LOST:
                last_lost = at
            continue
        if first is None:
            first = at
        last = at
        if kind == IN:
            if last_out and (last_in is None or last_in < last_out):
                latency = at - last_out
                replies.append((last_out, latency.total_seconds()))
            last_in = at
            unanswered = 0
            s = Signals.decode(signals)
            red_trigger = red_trigger or "high" in s.intents or s.compare
            if "high" in s.intents:
                out_since_high = 0
            for name in s.intents:
                sig[name] = at
            if s.compare:
                sig["compare"] = at
            if s.quote:
                sig["quote"] = at
            for name in s.interests:
                interest_hits[name] = interest_hits.get(name, 0) + 1
        elif kind == OUT:
            last_out = at
            out_since_high += 1
            unanswered += 1
            if color_at != "red":
                streak, in_episode = 0, False
            elif not in_episode or red_trigger:
                streak, in_episode = streak + 1, True
            red_trigger = False
        elif kind == READ or kind == PLAYED:
            last_read = at
            reads.append(at)
        elif kind == LINK:
            last_link = at
        elif kind == QUOTE_OPEN:
            opens += 1
            last_quote_open = at
        elif kind == PURCHASE:
            purchases.append((at, amount))
            opens = 0
            streak, in_episode = 0, False
        elif kind == VISIT and minutes > long_visit_minutes:
            long_visit = at

    total = sum(a for _, a in purchases)
    return Facts(
        first_contact=first,
        last_inbound=last_in,
        last_outbound=last_out,
        last_read=last_read,
        last_link=last_link,
        last_interaction=last,
        last_quote_open=last_quote_open,
        quote_opens=opens,
        sig_high=sig.get("high"),
        sig_medium=sig.get("medium"),
        sig_potential=sig.get("potential"),
        sig_none=sig.get("none"),
        sig_compare=sig.get("compare"),
        sig_quote=sig.get("quote"),
        long_visit=long_visit,
        interest_hits=interest_hits,
        reply_latency=latency,
        purchase_count=len(purchases),
        purchase_total=total,
        first_purchase=purchases[0][0] if purchases else None,
        last_purchase=purchases[-1][0] if purchases else None,
        max_order=max((a for _, a in purchases), default=0.0),
        purchases=tuple(purchases),
        red_streak=streak,
        out_since_high=out_since_high,
        unanswered=unanswered,
        reads=tuple(reads),
        replies=tuple(replies),
        overrides=overrides,
        tags=tags,
        added=added,
        last_lost=last_lost,
    )
