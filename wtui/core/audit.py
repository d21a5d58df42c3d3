"""The accuracy audit's arithmetic (playbook §11: a random 5 % sample, aim for under 5 % wrong).

Each reviewed customer says, per dimension (tags, intent, colour), whether the book had it right. A
dimension's error rate is its wrong over the reviewed (customers not yet reviewed count for nothing).
Pure: ``Book.audit_items`` gives the reviews.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

DIMENSIONS = ("tags", "intent", "color")


@dataclass(frozen=True)
class Rates:
    reviewed: int
    wrong: dict[str, int]

    def rates(self) -> dict[str, float | None]:
        return {d: (self.wrong[d] / self.reviewed if self.reviewed else None) for d in DIMENSIONS}

    def over(self, target: float) -> list[str]:
        """The dimensions wrong more often than ``target``."""
        return [d for d, r in self.rates().items() if r is not None and r > target]


def error_rates(reviews: Iterable[dict[str, bool] | None]) -> Rates:
    done = [r for r in reviews if r is not None]
    return Rates(len(done), {d: sum(not r[d] for r in done) for d in DIMENSIONS})


def rate_text(rates: Rates, dim: str) -> str:
    r = rates.rates()[dim]
    return "-" if r is None else f"{r:.0%} ({rates.wrong[dim]})"
