"""Shared fixtures: the shipped config with no user layers, a pinned instant, fact builders."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from wtui.core import config
from wtui.core.facts import Event, Overrides, summarize

UTC = timezone.utc
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # a Monday
H = timedelta(hours=1)
D = timedelta(days=1)


@pytest.fixture(scope="session")
def cfg() -> config.Config:
    return config.load(layers=[])


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """No test reads or writes the real user's config or book."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.delenv("WTUI_CONFIG", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)


def facts(*events: tuple, cfg: config.Config | None = None, overrides: Overrides = Overrides(), tags=()):
    """Facts from (kind, at, extra...) tuples: ("in", t, "signals"), ("purchase", t, amount)..."""
    evs = []
    for kind, at, *rest in events:
        if kind == "in":
            evs.append(Event(kind, at, signals=rest[0] if rest else ""))
        elif kind == "purchase":
            evs.append(Event(kind, at, amount=rest[0] if rest else 100.0))
        elif kind == "visit":
            evs.append(Event(kind, at, minutes=rest[0]))
        elif kind == "out":
            evs.append(Event(kind, at, color_at=rest[0] if rest else ""))
        else:
            evs.append(Event(kind, at))
    long_visit = (cfg or config.load(layers=[])).colors.rules.long_visit_minutes
    return summarize(evs, long_visit, overrides, frozenset(tags))
