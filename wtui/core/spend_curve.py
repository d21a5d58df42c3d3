"""Spend break-points (playbook §7, seed 000; issue #16): where should the order-size tiers cut?

Customers who bought are ranked by their average order (over all their purchases: the curve is about
what a customer spends per order, the tiers decay separately) and cut into ``buckets`` of equal size; each
bucket's purchase frequency is its mean purchases per customer. Walking up from the cheapest orders, a
bucket whose frequency drops more than ``drop`` (20 %) below the bucket before it starts a new tier: the
first such drop suggests ``spend.order_low_below``, the next ``spend.order_high_above``. Pure: the book
gives (average order, purchases) per buyer.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bucket:
    low: float  # the smallest average order in it
    high: float  # the largest
    customers: int
    frequency: float  # mean purchases per customer


@dataclass(frozen=True)
class Curve:
    buckets: list[Bucket]
    cuts: list[float]  # the suggested thresholds, ascending (0, 1 or 2 of them)

    def suggestion(self) -> dict[str, float]:
        """The [spend] keys the cuts suggest: both, or none (one drop alone does not say which tier it
        bounds)."""
        if len(self.cuts) < 2:
            return {}
        return {"order_low_below": round(self.cuts[0], 2), "order_high_above": round(self.cuts[1], 2)}

    def labels(self) -> list[str]:
        """A bar's label: the group's lowest average order, '*' where a suggested tier starts; groups whose
        orders round alike are told apart by their place ('260* #3', '260 #4')."""
        starts = [b.low in self.cuts[:1] or (i > 0 and self.buckets[i - 1].high in self.cuts[1:])
                  for i, b in enumerate(self.buckets)]
        out = [f"{b.low:,.0f}" + ("*" if s else "") for b, s in zip(self.buckets, starts, strict=True)]
        if len({label.rstrip("*") for label in out}) < len(out):
            out = [f"{label} #{i + 1}" for i, label in enumerate(out)]
        return out


def curve(buyers: list[tuple[float, int]], buckets: int = 10, drop: float = 0.20) -> Curve:
    """``buyers``: (average order, purchases) per customer who bought."""
    rows = sorted((avg, n) for avg, n in buyers if avg > 0 and n > 0)
    if len(rows) < buckets * 2:  # too few buyers to tell a drop from noise
        return Curve([], [])
    out: list[Bucket] = []
    for i in range(buckets):
        part = rows[i * len(rows) // buckets:(i + 1) * len(rows) // buckets]
        out.append(Bucket(part[0][0], part[-1][0], len(part), sum(n for _, n in part) / len(part)))
    cuts: list[float] = []
    for before, here in zip(out, out[1:], strict=False):
        if before.frequency > 0 and (before.frequency - here.frequency) / before.frequency > drop:
            # "low" is under order_low_below, "high" over order_high_above: the low cut is where the new
            # tier starts, the high cut where the one before it ends.
            cuts.append(here.low if not cuts else before.high)
            if len(cuts) == 2:
                break
    return Curve(out, cuts)
