"""Tag health (playbook §11, the Monday routine; issue #16): what is wrong with the book's tags, each
finding with the command that fixes it. Pure: the book gathers the figures (``Book.tag_stats``,
``Book.tag_overlaps``), this module judges them against ``[tags]`` and ``[health]`` of the config.

Findings:
- the tag count against the playbook's ranges (under 15 too coarse; over 50 a risk early on; 50-80
  healthy for a mature book of 5,000+ customers; over 100 unmanageable);
- overloaded: on more than 40 % of the customers (a tag everybody has tells nothing);
- tiny and idle: under 10 customers and unused (not named, put on or taken off anyone) for 180 days
  (delete it); idle but larger than 50 customers (rename it Archive-...);
- silent: named by no filter, segment, bulk action, rule or send for 30 days; a zombie for 90; rarely
  used: fewer than 3 uses in 90 days (uses are counted from book version 12 on: ``Book.note_use``);
- campaign tags (``Campaign-...``) 30 days after their campaign (the last time the tag was put on
  anyone): archive them, they stay on their customers as history;
- stale: nothing taken in from outside (an import, a sync, WhatsApp) for 24 hours;
- merge candidates: two tags with at least 10 customers each whose customers are 85 % the same
  (shared / either's: a tag inside a wider one, Product-Lipstick in Interest-Beauty, is not one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class TagStat:
    name: str
    customers: int
    created: datetime | None = None
    last_added: datetime | None = None  # a campaign tag's: when it was last put on anyone (its campaign)


@dataclass(frozen=True)
class Uses:
    """How tags were used: per tag (folded), (uses in the last ``rare_days``, the last day used);
    and since when this book counts them (None: it does not)."""

    per_tag: dict[str, tuple[int, datetime]]
    since: datetime | None

    def quiet(self, s: TagStat, now: datetime, days: float) -> datetime | None:
        """Whether ``s`` went unused (not named, not put on or taken off anyone) for ``days``, over time
        that was counted and that it existed in: the last use (or the start of counting), else None."""
        if self.since is None:
            return None
        _, last = self.per_tag.get(s.name.lower(), (0, None))
        edge = now - timedelta(days=days)
        watched = max(self.since, s.created or self.since)
        if watched <= edge and (last is None or last < edge):
            return last or watched
        return None


@dataclass(frozen=True)
class Finding:
    kind: str  # count, overloaded, tiny, idle, merge
    tags: tuple[str, ...]
    says: str  # in a rep's words, with the figures
    fix: str  # the command that acts on it ("" when the fix is a decision, not a command)
    act: tuple[str, ...] = ()  # the app's one-key action: ("delete"|"archive", tag), ("rename", tag, new),
    #                            ("merge", drop, keep); () when it is a decision, not an action


def check(stats: list[TagStat], overlaps: dict[tuple[str, str], int], customers: int, now: datetime,
          tags_cfg, health_cfg, uses: Uses | None = None, refreshed: datetime | None = None) -> list[Finding]:
    """Every finding, the data's age and the tag count first, then by kind and tag."""
    out = [f for f in (_stale(refreshed, now, health_cfg), _count(len(stats), customers, tags_cfg, health_cfg))
           if f]
    h = health_cfg
    uses = uses or Uses({}, None)
    for s in sorted(stats, key=lambda s: s.name.lower()):
        used = _unused(s, uses, now, h)
        if used:
            out.append(used)
        share = s.customers / customers if customers else 0.0
        if customers >= h.overloaded_min_customers and share > h.overloaded_share:
            out.append(Finding("overloaded", (s.name,), f"{s.name} is on {share:.0%} of the customers "
                                                        f"({s.customers:,} of {customers:,}): it tells them apart "
                                                        "from no one; split it or drop it", ""))
        if s.last_added is not None and now - s.last_added > timedelta(days=h.campaign_days):
            out.append(Finding("campaign", (s.name,), f"{s.name}: its campaign was {s.last_added:%Y-%m-%d} (over "
                                                      f"{h.campaign_days:g} days ago): archive it, it stays on its "
                                                      f"{s.customers:,} customer(s) as history",
                               f"wtui tags archive {s.name}", ("archive", s.name)))
        quiet = uses.quiet(s, now, h.idle_days)
        idle = quiet is not None
        when = f"unused since {quiet:%Y-%m-%d}" if quiet else ""
        if idle and s.customers < h.tiny_customers:
            out.append(Finding("tiny", (s.name,), f"{s.name}: {s.customers} customer(s), {when}",
                               f"wtui tags delete {s.name}", ("delete", s.name)))
        elif idle and s.customers > h.archive_above and not s.name.startswith(h.archive_prefix):
            renamed = (h.archive_prefix + s.name)[:tags_cfg.max_length]
            out.append(Finding("idle", (s.name,), f"{s.name}: {s.customers:,} customers, {when}: history, not a "
                                                  "working tag", f"wtui tags rename {s.name} {renamed}",
                               ("rename", s.name, renamed)))
    sizes = {s.name: s.customers for s in stats}
    for (a, b), both in sorted(overlaps.items()):
        if min(sizes.get(a, 0), sizes.get(b, 0)) < h.tiny_customers:
            continue
        same = both / (sizes[a] + sizes[b] - both)  # of the customers either has, how many have both
        if same >= h.merge_overlap:
            keep, drop = sorted((a, b), key=lambda t: (-sizes[t], t.lower()))  # the bigger stays; a tie, by name
            out.append(Finding("merge", (drop, keep), f"{drop} and {keep} are {same:.0%} the same customers "
                                                      f"({both:,} have both): one name for one meaning?",
                               f"wtui tags merge {drop} {keep} --dry-run", ("merge", drop, keep)))
    return out


def _unused(s: TagStat, uses: Uses, now: datetime, h) -> Finding | None:
    """Silent (30 days), zombie (90), or rarely used (under 3 uses in 90 days), judged only over time
    that was counted and that the tag existed in."""
    if uses.since is None:
        return None
    n, last = uses.per_tag.get(s.name.lower(), (0, None))
    watched = max(uses.since, s.created or uses.since)  # since when silence means something
    for kind, days in (("zombie", h.zombie_days), ("silent", h.silent_days)):
        if uses.quiet(s, now, days):
            when = f"last used {last:%Y-%m-%d}" if last else "never used"
            return Finding(kind, (s.name,), f"{s.name}: {when} in a filter, a segment, a bulk action, a rule or a "
                                            f"send (over {days:g} days)", "" if kind == "silent"
                           else f"wtui tags archive {s.name}", () if kind == "silent" else ("archive", s.name))
    if watched <= now - timedelta(days=h.rare_days) and 0 < n < h.rare_uses:
        return Finding("rare", (s.name,), f"{s.name}: used {n} time(s) in {h.rare_days:g} days", "")
    return None


def _stale(refreshed: datetime | None, now: datetime, h) -> Finding | None:
    if refreshed is None or now - refreshed <= timedelta(hours=h.stale_hours):
        return None
    hours = (now - refreshed).total_seconds() / 3600
    age = f"{hours / 24:.0f} days" if hours >= 48 else f"{hours:.0f} hours"
    return Finding("stale", (), f"nothing came in from outside (an import, a sync, WhatsApp) for {age}: the "
                                "queue may be missing what customers did since", "")


def _count(n: int, customers: int, t, h) -> Finding | None:
    """§7: 15-20 to start, under 50 early on; 50-80 for a mature book; over 100 unmanageable; under 30
    too coarse for a mature book."""
    mature = customers >= h.mature_customers
    if n > t.unmanageable:
        return Finding("count", (), f"{n} tags in use: over {t.unmanageable} is unmanageable; merge and archive "
                                    "(the findings below)", "")
    if mature and n > t.healthy_max:
        return Finding("count", (), f"{n} tags in use: a book of {customers:,} customers is healthy at "
                                    f"{h.mature_min}-{t.healthy_max}", "")
    if not mature and n > h.early_max:
        return Finding("count", (), f"{n} tags in use for {customers:,} customers: stay under {h.early_max} "
                                    "early on", "")
    floor = h.mature_min if mature else t.healthy_min
    if n < floor:
        return Finding("count", (), f"only {n} tags in use: under {floor} is too coarse to find anyone by", "")
    return None
