"""Hybrid logical clock: orders operations across replicas with skewed clocks.

A stamp is ``<wall ms:013d>.<counter:05d>.<node>``; plain string comparison
orders stamps, and the node breaks ties, so last-writer-wins is deterministic
on every replica.
"""

from __future__ import annotations


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
        return stamp(self.wall, self.counter, self.node)

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
