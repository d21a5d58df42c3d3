"""Colour accuracy from outcomes (playbook §1, issue #16): does a colour mean what it promises?

Every won or lost deal is recorded with the colour the customer had then (``color_at``) and their red
streak then. A colour's conversion is its won deals over its decided ones (won + lost), measured against
the playbook's close rates (``[colors.close_rate]``: red ~68 %, orange ~34 %, yellow ~18 %, green ~5 %,
gray ~1 %). Three warnings come from it:

- false red: red outcomes converting under ``review.false_red_below`` (20 %): reds that were not at the
  decision stage, so the red list is crying wolf;
- missed green: deals won while the customer was neither red nor orange: buyers the colours did not
  see coming (a rep with colour discipline misses under 5 % of key customers, §1);
- red fatigue: the conversion of outcomes the queue flagged fatigued (a red streak of
  ``red_fatigue_streak`` or more, as ``follow_up`` flags it: the next red is the 4th; the playbook's ~12 %).

Per colour for the team and per rep (who recorded the outcome), and week by week. A cell with fewer than
``review.min_outcomes`` decided deals is shown but not judged. Pure: ``Book.outcomes`` gathers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Outcome:
    won: bool
    color: str  # the colour the customer had when the outcome was recorded ("" when unknown)
    at: datetime
    rep: str  # who recorded it
    streak: int = 0  # red episodes in a row then


@dataclass(frozen=True)
class Rate:
    won: int = 0
    lost: int = 0

    @property
    def decided(self) -> int:
        return self.won + self.lost

    @property
    def rate(self) -> float | None:
        return self.won / self.decided if self.decided else None

    def add(self, won: bool) -> "Rate":
        return Rate(self.won + won, self.lost + (not won))


@dataclass(frozen=True)
class Part:
    """One group's figures: the team's, a rep's, or a week's."""

    per_color: dict[str, Rate]
    wins: int = 0
    missed_green: int = 0  # wins while neither red nor orange
    fatigued: Rate = field(default_factory=Rate)  # outcomes at the fatigue streak or later

    @property
    def missed_share(self) -> float | None:
        return self.missed_green / self.wins if self.wins else None


@dataclass(frozen=True)
class Report:
    team: Part
    reps: dict[str, Part]
    weeks: list[tuple[str, Part]]  # ("2026-W47", figures), oldest first
    expected: dict[str, float]
    warnings: list[str]
    rep_weeks: dict[str, list[tuple[str, Part]]] = field(default_factory=dict)  # each rep's weeks, oldest first


def _part(outcomes: Iterable[Outcome], colors: tuple[str, ...], fatigue_at: int) -> Part:
    per = {c: Rate() for c in colors}
    wins = missed = 0
    fatigued = Rate()
    for o in outcomes:
        key = o.color if o.color in per else ""
        per[key] = per.get(key, Rate()).add(o.won)
        if o.won:
            wins += 1
            missed += o.color not in ("red", "orange", "")  # a colour not known then is no miss
        if o.color == "red" and o.streak >= fatigue_at:
            fatigued = fatigued.add(o.won)
    return Part(per, wins, missed, fatigued)


def week_of(at: datetime, zone: ZoneInfo) -> str:
    year, week, _ = at.astimezone(zone).isocalendar()
    return f"{year}-W{week:02d}"


def report(outcomes: list[Outcome], now: datetime, zone: ZoneInfo, cfg) -> Report:
    """The team's, each rep's and each week's figures over ``review.weeks`` weeks, and the warnings."""
    r = cfg.review
    since = now - timedelta(weeks=r.weeks)
    outcomes = [o for o in outcomes if since <= o.at <= now]
    colors = tuple(cfg.colors.order)
    fatigue_at = cfg.colors.rules.red_fatigue_streak
    team = _part(outcomes, colors, fatigue_at)
    reps = {rep: _part([o for o in outcomes if o.rep == rep], colors, fatigue_at)
            for rep in sorted({o.rep for o in outcomes})}
    by_week: dict[str, list[Outcome]] = {}
    for o in outcomes:
        by_week.setdefault(week_of(o.at, zone), []).append(o)
    weeks = [(w, _part(by_week[w], colors, fatigue_at)) for w in sorted(by_week)]
    rep_weeks = {rep: [(w, _part([o for o in by_week[w] if o.rep == rep], colors, fatigue_at))
                       for w in sorted(by_week) if any(o.rep == rep for o in by_week[w])] for rep in reps}
    expected = dict(cfg.colors.close_rate)
    return Report(team, reps, weeks, expected, _warnings(team, reps, expected, cfg), rep_weeks)


def _warnings(team: Part, reps: dict[str, Part], expected: dict[str, float], cfg) -> list[str]:
    r = cfg.review
    out = []
    for who, part in (("team", team), *reps.items()):
        red = part.per_color.get("red", Rate())
        if red.decided >= r.min_outcomes and red.rate < r.false_red_below:
            out.append(f"{who}: false red: red converts {red.rate:.0%} ({red.won} of {red.decided}), under "
                       f"{r.false_red_below:.0%}: reds that were not at the decision stage")
        share = part.missed_share
        if part.wins >= r.min_outcomes and share is not None and share > r.missed_green_share:
            out.append(f"{who}: missed green: {part.missed_green} of {part.wins} deals won ({share:.0%}) were "
                       f"neither red nor orange (aim under {r.missed_green_share:.0%})")
    fatigue_at = cfg.colors.rules.red_fatigue_streak
    f = team.fatigued
    if f.decided >= r.min_outcomes:
        out.append(f"team: the {ordinal(fatigue_at + 1)} red in a row or later converts "
                   f"{f.rate:.0%} ({f.won} of {f.decided}; red overall {pct(team.per_color.get('red', Rate()))})")
    for c, rate in team.per_color.items():
        want = expected.get(c)
        if want is None or rate.decided < r.min_outcomes:
            continue
        if abs(rate.rate - want) > r.close_rate_tolerance:
            out.append(f"team: {c} converts {rate.rate:.0%} ({rate.won} of {rate.decided}) against the playbook's "
                       f"~{want:.0%}")
    return out


def ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def pct(rate: Rate) -> str:
    return "-" if rate.rate is None else f"{rate.rate:.0%}"


def table(part: Part, expected: dict[str, float], colors: Iterable[str]) -> list[tuple[str, str, str, str]]:
    """(colour, won/decided, conversion, expected) rows for a part, colours in queue order."""
    rows = []
    for c in colors:
        rate = part.per_color.get(c, Rate())
        rows.append((c, f"{rate.won}/{rate.decided}", pct(rate),
                     f"~{expected[c]:.0%}" if c in expected else ""))
    return rows


def lines(rep: Report, weeks: int, colors: Iterable[str]) -> list[tuple[str, str]]:
    """The report as the CLI prints it and the routine's Accuracy tab shows it: (text, tone) lines, tone
    "head", "note", "warn", a colour (its table row) or ""."""
    decided = sum(r.decided for r in rep.team.per_color.values())
    out = [(f"colour accuracy over {weeks} weeks: {decided} deal(s) decided, {rep.team.wins} won", "head")]
    if not decided:
        out.append(("  no won or lost deals recorded yet: `wtui won` and `wtui lost` (w and x in the app) record "
                    "them", "note"))
    else:
        out.append((f"  {'colour':<8} {'won/decided':>12} {'converts':>9} {'playbook':>9}", ""))
        out += [(f"  {c:<8} {wd:>12} {pct_:>9} {want:>9}", c) for c, wd, pct_, want in table(rep.team, rep.expected,
                                                                                             colors)]
        if rep.team.wins:
            out.append((f"  missed green: {rep.team.missed_green} of {rep.team.wins} won deals were neither red "
                        "nor orange", ""))
        if len(rep.reps) > 1 or (rep.reps and "" not in rep.reps):
            out.append(("per rep (who recorded the outcome): red / orange conversion, missed green", "head"))
            for name, p in rep.reps.items():
                red, orange = p.per_color.get("red", Rate()), p.per_color.get("orange", Rate())
                out.append((f"  {name or '(unknown)':<16} red {pct(red):>4} ({red.decided})  orange "
                            f"{pct(orange):>4} ({orange.decided})  missed green {p.missed_green}/{p.wins}", ""))
        out.append(("per week: red conversion (decided), the team's then each rep's", "head"))
        for week, p in rep.weeks:
            red = p.per_color.get("red", Rate())
            each = "  ".join(f"{name or '(unknown)'} {pct(q.per_color.get('red', Rate()))}"
                             for name, ws in rep.rep_weeks.items() for w, q in ws
                             if w == week and q.per_color.get("red", Rate()).decided)
            out.append((f"  {week}  {pct(red):>4} ({red.decided})" + (f"   {each}" if each else ""), ""))
    return out + [(w, "warn") for w in rep.warnings]
