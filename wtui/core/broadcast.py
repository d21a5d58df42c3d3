"""Broadcast results (issue #16): what came back from a send list. An export for broadcast records who
was in it and in which A/B group; the WhatsApp statuses (delivered, read, played, failed) and replies the
webhook records afterwards are counted per customer within ``broadcast.results_hours`` of the export:

- delivered: a delivered, read or played status (read implies delivered); target >= 98 %;
- read: a read or played status; expected 70-85 % of those delivered;
- replied: any message from the customer; target over 5 % of those delivered;
- failed: a failed status and nothing delivered.

Before the window has passed the figures are preliminary. Non-responders (no reply since the send) may be
sent again after ``broadcast.recontact_days``. Pure: the book gives the events.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

DELIVERED_KINDS = frozenset({"delivered", "read", "played"})
READ_KINDS = frozenset({"read", "played"})


@dataclass(frozen=True)
class Tally:
    sent: int = 0
    delivered: int = 0
    read: int = 0
    replied: int = 0
    failed: int = 0

    def share(self, part: int, of: int | None = None) -> float | None:
        whole = self.sent if of is None else of
        return part / whole if whole else None


@dataclass(frozen=True)
class Results:
    groups: dict[str, Tally]  # "" = no A/B split
    total: Tally
    final: bool  # the results window has passed
    judged: list[str]  # against the playbook's targets, in words


def tally(members: list[tuple[str, str]], events: Iterable[tuple[str, str]]) -> dict[str, Tally]:
    """Per group: how many of its customers got each outcome. ``events``: (customer uid, kind) in the window."""
    kinds: dict[str, set[str]] = {}
    for uid, kind in events:
        kinds.setdefault(uid, set()).add(kind)
    out: dict[str, list[int]] = {}
    for uid, group in members:
        k = kinds.get(uid, set())
        delivered = bool(k & DELIVERED_KINDS)
        row = out.setdefault(group, [0, 0, 0, 0, 0])
        row[0] += 1
        row[1] += delivered
        row[2] += bool(k & READ_KINDS)
        row[3] += "in" in k
        row[4] += "failed" in k and not delivered
    return {g: Tally(*row) for g, row in sorted(out.items())}


def results(members: list[tuple[str, str]], events: Iterable[tuple[str, str]], sent_at: datetime, now: datetime,
            cfg) -> Results:
    groups = tally(members, events)
    total = Tally(*(sum(getattr(t, f) for t in groups.values()) for f in ("sent", "delivered", "read", "replied",
                                                                         "failed")))
    final = now >= sent_at + timedelta(hours=cfg.results_hours)
    # Judged against the targets once the window has passed: a send list just exported has nothing back
    # yet, and "delivered 0 %" would read as a failure.
    return Results(groups, total, final, judge(total, cfg) if final else [])


def judge(t: Tally, cfg) -> list[str]:
    if not t.sent:
        return []
    out = []
    delivered = t.share(t.delivered)
    if delivered < cfg.delivered_target:
        out.append(f"delivered {delivered:.1%}, under {cfg.delivered_target:.0%}: check the numbers that failed "
                   f"({t.failed}) and the sender's quality rating")
    if t.delivered:
        read, replied = t.share(t.read, t.delivered), t.share(t.replied, t.delivered)
        if read < cfg.read_low:
            out.append(f"read {read:.0%} of the delivered, under {cfg.read_low:.0%}: the hour or the opening line")
        elif read > cfg.read_high:
            out.append(f"read {read:.0%} of the delivered, over the usual {cfg.read_high:.0%}: worth repeating")
        if replied <= cfg.reply_target:
            out.append(f"replied {replied:.1%} of the delivered, not over {cfg.reply_target:.0%}: the offer or the "
                       "call to action")
    return out


def pct(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "-"


def lines(bid: str, r: Results, cfg) -> list[tuple[str, str]]:
    """The results as the CLI prints them and the routine's Broadcasts tab shows them: (text, tone) lines,
    tone "head", "note", "warn" or ""."""
    out = [(f"broadcast {bid}: " + ("final" if r.final else f"preliminary (final {cfg.results_hours:g} h after the "
                                                             "send)"), "head" if r.final else "note"),
           (f"  {'group':<6} {'sent':>7} {'delivered':>10} {'read':>6} {'replied':>8} {'failed':>7}", "")]
    for g, t in list(r.groups.items()) + ([("total", r.total)] if len(r.groups) > 1 else []):
        out.append((f"  {g or 'all':<6} {t.sent:>7,} {pct(t.delivered, t.sent):>10} {pct(t.read, t.delivered):>6} "
                    f"{pct(t.replied, t.delivered):>8} {t.failed:>7,}", ""))
    out.append((f"  targets: delivered >= {cfg.delivered_target:.0%}, read {cfg.read_low:.0%}-{cfg.read_high:.0%} "
                f"and replied over {cfg.reply_target:.0%} of the delivered", "note"))
    return out + [(j, "warn") for j in r.judged]
