"""The follow-up colour (playbook §1): how urgently the rep must act, and when.

``assess`` turns Facts into a Verdict: colour, a human reason, the due time,
the traits that shape the cadence, and ``changes_at`` — the next instant at
which time alone could change any of it. The book stores the verdict in
indexed columns and re-assesses a customer only when that instant passes, so
opening the queue never recomputes a whole book.

Order of the rules, first match wins:
  manual override (until it expires) > red signals > six months of silence
  (gray) > orange signals > first week (yellow) > bought (green, or gray when
  no link was opened lately) > a lead (``colors.lead_color``).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta

from wtui.core import traits
from wtui.core.config import Config
from wtui.core.durations import DAY, HOUR, ago
from wtui.core.facts import Facts
from wtui.core.prefs import Preference

RED, ORANGE, YELLOW, GREEN, GRAY = "red", "orange", "yellow", "green", "gray"


@dataclass(frozen=True)
class Verdict:
    color: str
    reason: str
    since: datetime | None  # when the colour was earned
    due: datetime | None  # None: not due (gray)
    changes_at: datetime | None
    fatigue: bool  # red more times in a row than the playbook allows
    intent: traits.Trait
    interest: traits.Trait
    activity: traits.Trait
    lifecycle: traits.Trait
    spend: traits.Trait
    cadence: timedelta | None
    cadence_why: str
    priority_tags: tuple[str, ...]
    due_rule: str = ""  # §2's rule when it set the due time ("price within 1 h"); else the colour's handling
    hand_until: datetime | None = None  # the expiry of a colour set by hand (the reason says it in UTC)


@dataclass(frozen=True)
class _Colour:
    color: str
    reason: str
    since: datetime | None
    changes_at: datetime | None


def _future(now: datetime, *items: datetime | None) -> datetime | None:
    ahead = [t for t in items if t is not None and t > now]
    return min(ahead) if ahead else None


def _after(a: datetime | None, b: datetime | None) -> bool:
    return a is not None and (b is None or a > b)


def until_utc(t: datetime) -> str:
    """A hand-set colour's expiry as the stored reason says it: in UTC, the same for every rep of a team
    (``queue.breakdown`` says it in the rep's own zone)."""
    return f" until {t:%Y-%m-%d %H:%M} UTC"


def colour(f: Facts, now: datetime, cfg: Config) -> _Colour:
    r = cfg.colors.rules
    ttl = r.signal_ttl_hours * HOUR
    o = f.overrides
    watch: list[datetime | None] = []

    if o.color and (o.color_until is None or o.color_until > now):
        until = until_utc(o.color_until) if o.color_until else ""
        return _Colour(o.color, f"set by hand{until}", o.color_set_at, o.color_until)

    # Red: the critical decision stage, signals newer than the last purchase.
    reds = [
        (f.sig_compare, "compared offers"),
        (f.sig_high, "asked price/stock/discount"),
        (f.long_visit, f"spent over {r.long_visit_minutes:g} min on the website"),
    ]
    live = [(t, why) for t, why in reds if t and now - t < ttl and _after(t, f.last_purchase)]
    watch += [t + ttl for t, _ in reds if t]
    if live:
        t, why = max(live, key=lambda x: x[0])
        return _Colour(RED, f"{why} {ago(now - t)} ago", t, _future(now, *watch))

    silent = r.no_interaction_days * DAY
    if f.last_interaction and now - f.last_interaction > silent:
        return _Colour(GRAY, f"no interaction for {ago(now - f.last_interaction)}", f.last_interaction + silent, None)
    watch.append(f.last_interaction + silent if f.last_interaction else None)

    # Orange: read without reply, asked for a quote, or keeps opening it.
    wait = r.read_no_reply_hours * HOUR
    if f.last_read and _after(f.last_outbound, f.last_inbound) and _after(f.last_read, f.last_inbound):
        if now - f.last_read > wait:
            return _Colour(ORANGE, f"read {ago(now - f.last_read)} ago, no reply", f.last_read + wait,
                           _future(now, *watch))
        watch.append(f.last_read + wait)
    if f.sig_quote and now - f.sig_quote < ttl and _after(f.sig_quote, f.last_purchase):
        return _Colour(ORANGE, f"asked for a quote {ago(now - f.sig_quote)} ago", f.sig_quote,
                       _future(now, *watch, f.sig_quote + ttl))
    if f.quote_opens > r.quote_opens_for_orange:
        return _Colour(ORANGE, f"opened the quote {f.quote_opens} times", f.last_quote_open, _future(now, *watch))

    new = r.new_contact_days * DAY
    if f.first_contact and now - f.first_contact < new and not f.purchase_count:
        return _Colour(YELLOW, f"first contact {ago(now - f.first_contact)} ago", f.first_contact,
                       _future(now, *watch, f.first_contact + new))

    if f.purchase_count:
        quiet = r.green_no_link_days * DAY
        last_touch = max(t for t in (f.last_link, f.last_purchase) if t)
        if now - last_touch > quiet:
            what = "no link opened" if f.last_link else "no link opened since buying"
            return _Colour(GRAY, f"{what} for {ago(now - last_touch)}", last_touch + quiet, _future(now, *watch))
        return _Colour(GREEN, f"bought {ago(now - f.last_purchase)} ago", f.last_purchase,
                       _future(now, *watch, last_touch + quiet))

    lead = cfg.colors.lead_color
    why = "lead: no signal yet" if f.first_contact is None else f"lead since {ago(now - f.first_contact)}"
    # A lead never contacted is due from when they came into the book, not from now: a due time
    # that moved with the clock would never come (and the panel would disagree with the row).
    return _Colour(lead, why, f.first_contact or f.added, _future(now, *watch))


def cadence(f: Facts, now: datetime, color: str, intent: str, activity: str, pref: Preference | None,
            cfg: Config) -> tuple[timedelta | None, str]:
    """Time between touches: the colour's, shortened by a hot intent or activity
    while the customer is being pursued, never shorter than their frequency cap."""
    c = cfg.colors
    days = c.cadence_days[color]
    if days <= 0:
        return None, f"{color}: no active contact"
    why = [f"{color} {days:g} d"]
    if color == GREEN and f.spend_since(now - traits.YEAR) > c.rules.dark_green_yearly_spend:
        days = c.rules.dark_green_cadence_days
        why = [f"dark green {days:g} d"]
    if c.order.index(color) < c.order.index(GREEN):
        for label, table, key in (("intent", cfg.intent.cadence_days, intent),
                                  ("activity", cfg.activity.cadence_days, activity)):
            d = table.get(key)
            if d and d < days:
                days = d
                why.append(f"{label} {key} {d:g} d")
    if pref and pref.frequency and not pref.frequency.passive:
        gap = pref.frequency.min_gap_days()
        if gap > days:
            days = gap
            why.append(f"cap {pref.frequency.count}/{pref.frequency.period} -> {gap:.3g} d")  # 2.33, not 2.33333
    return days * DAY, ", ".join(why)


def _price_first(f: Facts, due: datetime, cfg: Config) -> tuple[datetime, str]:
    """§2, high intent: the price within an hour of the question, the first follow-up within 12 h of sending
    it, then the cadence (a frequency the customer asked for is left to win: the caller skips this)."""
    i = cfg.intent
    if f.out_since_high == 0:
        soon, rule = f.sig_high + i.price_within_hours * HOUR, f"price within {i.price_within_hours:g} h"
    elif f.out_since_high == 1 and f.last_outbound is not None:
        soon, rule = f.last_outbound + i.first_follow_up_hours * HOUR, \
            f"first follow-up within {i.first_follow_up_hours:g} h"
    else:
        return due, ""
    return (soon, rule) if soon < due else (due, "")


def _stop(f: Facts, intent: str, due: datetime, why: str, cfg: Config) -> tuple[datetime | None, str]:
    """§2's ends of pursuit: medium intent is followed up 3-4 times, then left until they write; a customer
    who said "not needed now" gets the monthly broadcast only, and so does one whose deal was recorded lost
    until they write again. A colour set by hand is not stopped."""
    i = cfg.intent
    if i.lost_broadcast_only and _after(f.last_lost, f.last_inbound) and _after(f.last_lost, f.last_purchase):
        return None, "deal lost: broadcasts only until they write again"
    if intent == "medium" and i.medium_follow_ups and f.unanswered >= i.medium_follow_ups:
        return None, f"medium intent: {f.unanswered} follow-ups without a reply, stopped until they write"
    if intent == "none" and i.none_broadcast_only and traits.said_not_needed(f):
        return None, "said not needed now: broadcasts only"
    return due, why


def _end_of_month(t: datetime) -> datetime:
    last = calendar.monthrange(t.year, t.month)[1]
    return t.replace(day=last, hour=9, minute=0, second=0, microsecond=0)


def assess(f: Facts, now: datetime, cfg: Config, pref: Preference | None = None) -> Verdict:
    """Everything the queue needs to know about one customer at ``now``."""
    col = colour(f, now, cfg)
    r = cfg.colors.rules
    intent = traits.intent(f, now, cfg)
    activity = traits.activity(f, now, cfg)
    lifecycle = traits.lifecycle(f, now, cfg)
    spend = traits.spend_tier(f, now, cfg)
    interest = traits.interest(f)

    color, reason = col.color, col.reason
    fatigue = color == RED and f.red_streak >= r.red_fatigue_streak
    if fatigue:
        nth = f.red_streak + 1
        if r.red_fatigue_action == "demote":
            color, reason = ORANGE, f"{reason}; red {nth} times in a row, demoted"
        else:
            reason = f"{reason}; red {nth} times in a row (converts ~12 %)"

    step, why = cadence(f, now, color, intent.value, activity.value, pref, cfg)
    handle = cfg.colors.handle_within_hours[color]
    due: datetime | None
    if step is None or handle <= 0:
        due = None
    elif pref and pref.frequency and pref.frequency.passive:
        due = _end_of_month(now)
        if f.last_outbound and f.last_outbound >= due - 7 * DAY:  # this month's message is sent
            due = _end_of_month(due + 7 * DAY)
        why = "passive: one message at the end of the month"
    elif col.since is not None and not _after(f.last_outbound, col.since):
        due = col.since + handle * HOUR  # a fresh trigger nobody has answered
    elif f.last_outbound is not None:
        due = f.last_outbound + step
    else:
        due = (col.since or now) + handle * HOUR
    rule = ""
    # A price question a purchase followed was answered by the sale: its hour no longer sets the due time.
    if due is not None and intent.value == "high" and _after(f.sig_high, f.last_purchase) \
            and not (pref and pref.frequency):
        due, rule = _price_first(f, due, cfg)
        why = f"{why}; {rule}" if rule else why
    by_hand = bool(f.overrides.color) and (f.overrides.color_until is None or f.overrides.color_until > now)
    if due is not None and not by_hand:
        due, why = _stop(f, intent.value, due, why, cfg)

    prio = tuple(t for t in r.priority_tags if t in f.tags)
    changes = _future(now, *(t.changes_at for t in (col, intent, activity, lifecycle, spend)))
    return Verdict(
        color=color, reason=reason, since=col.since, due=due, changes_at=changes, fatigue=fatigue,
        intent=intent, interest=interest, activity=activity, lifecycle=lifecycle, spend=spend,
        cadence=step, cadence_why=why, priority_tags=prio, due_rule=rule,
        hand_until=f.overrides.color_until if by_hand else None,
    )

