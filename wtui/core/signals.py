"""Signals over time (playbook §1, §4; issue #16): the daily snapshots judged against the team's alerts.

A snapshot is one day's figures (``book/review.figures``): customers per colour, intent and activity,
and each rep's workload. From a run of them:
- more than ``team.red_share_alert`` (15 %) of the customers red: the team needs more hands today;
- the gray share up ``team.gray_jump_alert`` (20 %) or more on the week (today against the newest
  snapshot at least 7 days older): something is wrong with the product or the offer;
- high-activity customers under ``team.high_activity_floor`` (15 %) of the book.
Pure: the figures come in, text and series go out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

Snapshot = tuple[str, dict]  # (ISO day, figures)


def share(figs: dict, group: str, key: str) -> float:
    n = figs.get("customers", 0)
    return figs.get(group, {}).get(key, 0) / n if n else 0.0


def week_before(snaps: list[Snapshot], day: str) -> Snapshot | None:
    """The newest snapshot at least 7 days before ``day``."""
    edge = (date.fromisoformat(day) - timedelta(days=7)).isoformat()
    older = [s for s in snaps if s[0] <= edge]
    return older[-1] if older else None


def alerts(snaps: list[Snapshot], team_cfg) -> list[str]:
    """The alerts of the newest snapshot (against the week before it for the gray jump)."""
    if not snaps:
        return []
    day, figs = snaps[-1]
    if not figs.get("customers"):
        return []
    out = []
    red = share(figs, "colors", "red")
    if red > team_cfg.red_share_alert:
        out.append(f"{red:.1%} of the customers are red (over {team_cfg.red_share_alert:.0%}): the team needs "
                   "more hands today")
    then = week_before(snaps, day)
    if then is not None:
        was, now = share(then[1], "colors", "gray"), share(figs, "colors", "gray")
        if was == 0 and now > 0:
            out.append(f"gray up from none to {now:.1%} since {then[0]}: check the product or the offer")
        elif was > 0 and (now - was) / was >= team_cfg.gray_jump_alert - 1e-9:  # 10 % to 12 %: +19.99.. in floats
            out.append(f"gray up from {was:.1%} to {now:.1%} since {then[0]} (+{(now - was) / was:.0%}): check "
                       "the product or the offer")
    high = share(figs, "activity", "high")
    if high < team_cfg.high_activity_floor:
        out.append(f"only {high:.1%} of the customers are highly active (under {team_cfg.high_activity_floor:.0%})")
    return out


@dataclass(frozen=True)
class Workload:
    rep: str  # "" = unassigned
    customers: int
    due: int
    overdue: int
    done: int


def workload(figs: dict) -> list[Workload]:
    """Each rep's day, the busiest (most still due) first; the unassigned last."""
    rows = [Workload(rep, w.get("customers", 0), w.get("due", 0), w.get("overdue", 0), w.get("done", 0))
            for rep, w in figs.get("reps", {}).items()]
    return sorted(rows, key=lambda w: (w.rep == "", -w.due, w.rep))


def series(snaps: list[Snapshot], group: str, keys: list[str]) -> dict[str, list[float]]:
    """Each key's share per snapshot, in percent, oldest first: what the trend chart draws."""
    return {k: [round(100 * share(f, group, k), 2) for _, f in snaps] for k in keys}
