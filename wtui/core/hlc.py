"""Hybrid logical clock: orders operations across replicas with skewed clocks.

A stamp is ``<wall ms:013d>.<counter:05d>.<node>``; plain string comparison
orders stamps, and the node breaks ties, so last-writer-wins is deterministic
on every replica. The counter never passes 99,999: past that the clock moves
its wall on by a millisecond (a stamp may run a little ahead of the wall clock,
never out of order). The node is the replica's id, kept in the book.
"""

from __future__ import annotations

COUNTER_MAX = 99_999


def stamp(wall_ms: int, counter: int, node: str) -> str:
    return f"{wall_ms:013d}.{counter:05d}.{node}"


def parse(s: str) -> tuple[int, int, str]:
    wall, counter, node = s.split(".", 2)
    return int(wall), int(counter), node


class Clock:
    """Issue stamps for one writer; ``observe`` folds in stamps seen from others."""

    def __init__(self, node: str, last: str = "") -> None:
        self.node = node
        self.wall, self.counter = (parse(last)[:2] if last else (0, 0))

    def tick(self, now_ms: int) -> str:
        if now_ms > self.wall:
            self.wall, self.counter = now_ms, 0
        else:
            self.counter += 1
        self._carry()
        return stamp(self.wall, self.counter, self.node)

    def _carry(self) -> None:
        if self.counter > COUNTER_MAX:  # five digits keep the string order: carry into the wall instead
            self.wall, self.counter = self.wall + 1, 0

    def observe(self, remote: str, now_ms: int) -> None:
        r_wall, r_counter, _ = parse(remote)
        top = max(self.wall, r_wall, now_ms)
        if top == self.wall == r_wall:
            self.counter = max(self.counter, r_counter) + 1
        elif top == self.wall:
            self.counter += 1
        elif top == r_wall:
            self.counter = r_counter + 1
        else:
            self.counter = 0
        self.wall = top
        self._carry()


def ahead_ms(remote: str, now_ms: int) -> int:
    """How far ``remote`` runs ahead of the wall clock ``now_ms`` (0 when it does not)."""
    return max(0, parse(remote)[0] - now_ms)
