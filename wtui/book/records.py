"""What some Book methods return: change-log entries, a compaction's report, tracked links. Apart from
book.py so the app's first paint, which needs none of them, does not build their classes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ChangeEntry:
    """One entry of the change log: who changed what, when and why."""

    hlc: str
    at: datetime
    actor: str
    kind: str
    payload: dict[str, Any]
    reason: str
    batch: str | None


@dataclass(frozen=True)
class Compaction:
    """What ``Book.compact`` did: ops dropped and left, the newest dropped change's time, the peers whose
    vectors held it back, and those not heard from in ``sync.peer_wait_days`` (no longer waited for)."""
    dropped: int
    left: int
    through: datetime | None
    waited_for: list[str]
    not_waited_for: list[str]


@dataclass(frozen=True)
class Link:
    """A tracked link made for a customer (``wtui link``), and where it leads."""

    token: str
    customer: str  # the uid it was made for
    url: str
    kind: str
    created_at: datetime
    created_by: str
