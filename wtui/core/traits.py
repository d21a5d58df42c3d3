"""Intent, interest, activity, lifecycle, spend tier and RFM (playbook §2-4, §7).

Each is a pure function of Facts, ``now`` and the config; each also names the
next instant at which time alone would change it, so the book can keep the
value in a column and recompute only when that instant passes.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from statistics import median

from wtui.core.config import HABITS, INTENT_PRECEDENCE, INTENTS, Config
from wtui.core.durations import DAY, HOUR, ago
from wtui.core.facts import Facts

YEAR = timedelta(days=365)


@dataclass(frozen=True)
class Trait:
    value: str
    why: str
    changes_at: datetime | None = None  # when time alone may change it


def _later(a: datetime | None, b: datetime | None) -> bool:
    return a is not None and (b is None or a > b)


def _future(now: datetime, *items: datetime | None) -> datetime | None:
    ahead = [t for t in items if t is not None and t > now]
    return min(ahead) if ahead else None


def said_not_needed(f: Facts) -> bool:
    """Their latest intent signal is "not needed now" (or a rep set intent none by hand): broadcasts only."""
    if f.overrides.intent:
        return f.overrides.intent == "none"
    latest = max(((t, -INTENT_PRECEDENCE.index(name), name)
                  for name, t in zip(INTENTS, (f.sig_high, f.sig_medium, f.sig_potential, f.sig_none), strict=True)
                  if t), default=None)
    return latest is not None and latest[2] == "none"


def intent(f: Facts, now: datetime, cfg: Config) -> Trait:
    """§2: the strongest recent signal; high decays to medium after 3 days of silence."""
    if f.overrides.intent:
        return Trait(f.overrides.intent, "set by hand")
    decay = cfg.intent.high_decay_days * DAY
    medium_ttl = cfg.intent.medium_window_days * DAY
    # The latest signal; at the same instant, the stronger by the detector's precedence (a refusal before a
    # polite word), never by comparing the names as text.
    latest = max(
        ((t, -INTENT_PRECEDENCE.index(name), name)
         for name, t in zip(INTENTS, (f.sig_high, f.sig_medium, f.sig_potential, f.sig_none), strict=True) if t),
        default=None,
    )
    if f.sig_high and now - f.sig_high < decay:
        return Trait("high", f"asked price/stock {ago(now - f.sig_high)} ago", f.sig_high + decay)
    if latest and latest[2] == "none":
        return Trait("none", f"said not needed {ago(now - latest[0])} ago")
    if f.sig_high and (f.sig_medium is None or f.sig_high >= f.sig_medium) and now - f.sig_high < medium_ttl:
        return Trait("medium", f"price question {ago(now - f.sig_high)} ago, no reply since", f.sig_high + medium_ttl)
    if f.sig_medium and now - f.sig_medium < medium_ttl:
        return Trait("medium", f"asked about features {ago(now - f.sig_medium)} ago", f.sig_medium + medium_ttl)
    if f.last_inbound:
        return Trait("potential", "replies politely")
    if f.last_read:
        return Trait("none", "reads without replying")
    return Trait("none", "no reply yet")


def interest(f: Facts) -> Trait:
    """§3: the interest named most often in their messages."""
    if not f.interest_hits:
        return Trait("", "no interest words yet")
    name, hits = max(sorted(f.interest_hits.items()), key=lambda kv: kv[1])
    return Trait(name, f"{hits} message{'s' if hits != 1 else ''} about it")


def activity(f: Facts, now: datetime, cfg: Config) -> Trait:
    """§4: how fast they reply; dormant when we have waited over 7 days."""
    a = cfg.activity
    low = a.low_reply_days * DAY
    waiting = f.last_outbound if _later(f.last_outbound, f.last_inbound) else None
    if waiting is not None and now - waiting > low:
        return Trait("dormant", f"no reply for {ago(now - waiting)}")
    changes = waiting + low if waiting else None
    lat = f.reply_latency
    if lat is None:
        if f.last_inbound is None:
            return Trait("low", "has not replied yet", changes)
        return Trait("medium", "wrote to us first", changes)
    if lat <= a.high_reply_hours * HOUR:
        value = "high"
    elif lat <= a.medium_reply_days * DAY:
        value = "medium"
    elif lat <= low:
        value = "low"
    else:
        value = "dormant"
    return Trait(value, f"last replied within {ago(lat)}", changes)


def lifecycle(f: Facts, now: datetime, cfg: Config) -> Trait:
    """§7: lead, new, growth-high/low, pre-churn, repeat."""
    lc = cfg.lifecycle
    if not f.first_purchase:
        return Trait("lead", "no purchase yet")
    age = now - f.first_purchase
    new, growth, pre = lc.new_days * DAY, lc.growth_days * DAY, lc.prechurn_days * DAY
    if f.purchase_count >= 2:
        recent = f.purchases_since(now - lc.frequent_window_days * DAY)
        if recent >= lc.frequent_purchases:
            return Trait("frequent", f"{recent} purchases in {lc.frequent_window_days:g} d")
        return Trait("repeat", f"{f.purchase_count} purchases")
    if age <= new:
        return Trait("new", f"first purchase {ago(age)} ago", f.first_purchase + new)
    if age > pre:
        return Trait("pre-churn", f"no second purchase in {ago(age)}")
    opens = f.last_read is not None and now - f.last_read <= lc.weekly_open_days * DAY
    reread = f.last_read + lc.weekly_open_days * DAY if f.last_read else None
    changes = _future(now, f.first_purchase + growth, f.first_purchase + pre, reread)
    if opens:
        return Trait("growth-high", "opens our messages weekly", changes)
    return Trait("growth-low", "rarely opens our messages", changes)


def spend_tier(f: Facts, now: datetime, cfg: Config) -> Trait:
    """§7: by average order; VIP by yearly spend or one big order."""
    s = cfg.spend
    if not f.purchase_count:
        return Trait("", "no purchase")
    yearly = f.spend_since(now - YEAR)
    quiet = s.decay_days * DAY
    aging = _future(now, *(at + YEAR for at, _ in f.purchases), f.last_purchase + quiet if quiet else None)
    if yearly >= s.vip_yearly or f.max_order > s.vip_single_order:
        tier, why = "vip", (f"{yearly:,.0f} {s.currency} this year" if yearly >= s.vip_yearly
                            else f"one order of {f.max_order:,.0f} {s.currency}")
    else:  # the last year's orders when there are any: a big spender long ago is not one today
        recent = [a for at, a in f.purchases if at >= now - YEAR] or [a for _, a in f.purchases]
        avg = sum(recent) / len(recent)
        tier = "low" if avg < s.order_low_below else "high" if avg > s.order_high_above else "medium"
        why = f"average order {avg:,.0f} {s.currency}"
    if quiet and now - f.last_purchase > quiet and tier in _TIER_BELOW:
        return Trait(_TIER_BELOW[tier], f"{why}, but no purchase for {ago(now - f.last_purchase)}: one tier down",
                     aging)
    return Trait(tier, why, aging)


_TIER_BELOW = {"vip": "high", "high": "medium", "medium": "low"}


def reading_habit(reads: tuple[datetime, ...], zone: tzinfo, cfg: Config) -> str:
    """§8, a weekday-evening reader: the last ``activity.habit_reads`` days they read on all fell on one
    weekday, each with a read from ``activity.evening_hour`` on (their time): 'wed-evening'; else ''."""
    need, evening = cfg.activity.habit_reads, cfg.activity.evening_hour
    if need <= 0 or len(reads) < need:
        return ""
    days: dict[date, bool] = {}  # the latest read days, newest first: read in the evening?
    for t in reversed(reads):
        local = t.astimezone(zone)
        day = local.date()
        if day not in days:
            if len(days) == need:
                break
            days[day] = False
        days[day] = days[day] or local.hour >= evening
    weekdays = {day.weekday() for day in days}
    if len(days) < need or len(weekdays) != 1 or not all(days.values()):
        return ""
    return HABITS[weekdays.pop()]


def golden_hour(replies: tuple[tuple[datetime, float], ...], zone: tzinfo, least: int) -> int | None:
    """§5, the golden window: the local hour (their time) of our messages they answer fastest, by the
    median delay of the hours with at least ``least`` answers (ties: the earlier hour); None until
    learned. Only the first answer to each of our messages counts (``Facts.replies``)."""
    if least <= 0 or len(replies) < least:
        return None
    by_hour: dict[int, list[float]] = {}
    for sent, delay in replies:
        by_hour.setdefault(sent.astimezone(zone).hour, []).append(delay)
    timed = [(median(delays), hour) for hour, delays in by_hour.items() if len(delays) >= least]
    return min(timed)[1] if timed else None


# ---------------------------------------------------------------------------
# RFM: quintile scores over the book, named segments from config.


@dataclass(frozen=True)
class RfmBreaks:
    recency_days: tuple[float, ...]  # 4 cut points, ascending
    frequency: tuple[float, ...]
    monetary: tuple[float, ...]


def quintile_breaks(values: list[float]) -> tuple[float, ...]:
    if not values:
        return (0.0, 0.0, 0.0, 0.0)
    ordered = sorted(values)
    n = len(ordered)
    return tuple(ordered[min(n - 1, (n * q) // 5)] for q in (1, 2, 3, 4))


def rfm_breaks(rows: list[tuple[float, float, float]]) -> RfmBreaks:
    """From (recency days, purchase count, purchase total) of buyers."""
    return RfmBreaks(
        quintile_breaks([r for r, _, _ in rows]),
        quintile_breaks([f for _, f, _ in rows]),
        quintile_breaks([m for _, _, m in rows]),
    )


def _score(value: float, cuts: tuple[float, ...]) -> int:
    return 1 + bisect_right(cuts, value) if cuts else 1


def rfm(f: Facts, now: datetime, breaks: RfmBreaks, cfg: Config) -> Trait:
    if not f.last_purchase:
        return Trait("", "no purchase")
    days = (now - f.last_purchase) / DAY
    r = 6 - _score(days, breaks.recency_days)  # recent = high
    fr = _score(f.purchase_count, breaks.frequency)
    m = _score(f.purchase_total, breaks.monetary)
    r, fr, m = (max(1, min(5, x)) for x in (r, fr, m))
    name = next((seg[0] for seg in cfg.rfm.segments if r >= seg[1] and fr >= seg[2] and m >= seg[3]), "other")
    return Trait(name, f"R{r} F{fr} M{m}")

