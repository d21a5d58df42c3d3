"""The daily queue's order and its explanation (playbook §12).

Order: customers with a priority tag (Complaint, Urgent) first, then by
colour (red, orange, yellow, green, gray), inside a colour by due time, so the
overdue come first. The order is one integer ``rank`` plus the due time, both
stored in indexed columns; ``breakdown`` explains a position the way
``task info`` does in Taskwarrior.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from wtui.core.config import Config
from wtui.core.durations import ago

if TYPE_CHECKING:  # the verdict is read only to explain it: reading the queue does not load it
    from wtui.core.follow_up import Verdict
    from wtui.core.windows import WindowState


def rank(color: str, has_priority_tag: bool, cfg: Config) -> int:
    return 0 if has_priority_tag else 1 + cfg.colors.rank(color)


def end_of_day(now: datetime, rep_zone: ZoneInfo) -> datetime:
    """The next local midnight of the rep: 'today' ends there."""
    local = now.astimezone(rep_zone)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=rep_zone)
    return midnight.astimezone(now.tzinfo)


def due_text(due: datetime | None, now: datetime, zone: ZoneInfo) -> str:
    """'overdue 2 h 5 m', '14:30 (in 3 h)' today, 'Tue 09:30' within the week, 'Tue 8 Dec 09:30' later
    (a weekday alone would name the wrong week)."""
    if due is None:
        return "not due"
    if due <= now:
        return f"overdue {ago(now - due)}"
    local = due.astimezone(zone)
    today = now.astimezone(zone).date()
    if local.date() == today:
        return f"{local:%H:%M} (in {ago(due - now)})"
    if (local.date() - today).days < 7:
        return f"{local:%a %H:%M}"
    return f"{local:%a} {local.day} {local:%b %H:%M}"


@dataclass(frozen=True)
class Line:
    """One line of a score breakdown: a factor and what it says."""

    label: str
    value: str


def breakdown(v: Verdict, window: WindowState, now: datetime, rep_zone: ZoneInfo, cfg: Config) -> list[Line]:
    """Why this customer sits where they sit, one line per factor."""
    lines = []
    if v.priority_tags:
        lines.append(Line("priority", f"tagged {', '.join(v.priority_tags)}: before every colour"))
    handle = cfg.colors.handle_within_hours[v.color]
    rate = cfg.colors.close_rate[v.color]
    # The colour's place in the queue order, not the customer's place in the queue.
    order = f"colour {cfg.colors.rank(v.color) + 1} of {len(cfg.colors.order)} in queue order"
    lines.append(Line("colour", f"{v.color} ({order}), closes ~{rate:.0%}"))
    reason = v.reason
    if v.hand_until is not None:  # the stored reason's UTC expiry, in the rep's zone as every time here
        from wtui.core.follow_up import until_utc  # loaded already: the verdict being explained comes from it

        reason = reason.replace(until_utc(v.hand_until), f" until {due_text(v.hand_until, now, rep_zone)}", 1)
    lines.append(Line("reason", reason))
    # Not due (a pursuit stopped, a lost deal): no "handle within 2 h" or "price within 1 h" beside it.
    when = "" if v.due is None else v.due_rule or (f"handle within {handle:g} h" if handle else "")
    lines.append(Line("due", due_text(v.due, now, rep_zone) + (f"; {when}" if when else "")))
    if v.fatigue:
        streak = cfg.colors.rules.red_fatigue_streak
        lines.append(Line("fatigue", f"red streak over {streak}: consider a different approach"))
    lines.append(Line("cadence", v.cadence_why))
    lines.append(Line("window", window.label(now)))
    lines.append(Line("intent", f"{v.intent.value} ({v.intent.why})"))
    lines.append(Line("activity", f"{v.activity.value} ({v.activity.why})"))
    lines.append(Line("lifecycle", f"{v.lifecycle.value} ({v.lifecycle.why})"))
    if v.spend.value:
        lines.append(Line("spend", f"{v.spend.value} ({v.spend.why})"))
    if v.interest.value:
        lines.append(Line("interest", f"{v.interest.value} ({v.interest.why})"))
    return lines
