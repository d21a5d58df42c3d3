"""A team server's book with three users, and the config the server runs with."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.conftest import copy_book
from tests.server.serving import _started
from wtui.book.book import Book

SECRET, VERIFY = "s3cret", "let-me-in"


@pytest.fixture
def server_cfg(cfg):
    return replace(cfg, whatsapp=replace(cfg.whatsapp, app_secret=SECRET),
                   server=replace(cfg.server, webhook_verify_token=VERIFY, requests_per_minute=10_000))


@pytest.fixture
def team(tmp_path, demo_file, server_cfg):
    """(path of the server's book, {user: token}): boss is an admin, ana and omar are reps."""
    path = copy_book(demo_file, tmp_path / "team.db")
    with Book.open(path, server_cfg, actor="ana") as book:
        tokens = {name: book.add_user(name, role) for name, role in
                  (("boss", "admin"), ("ana", "rep"), ("omar", "rep"))}
        book.set_admins(["boss"], reason="the server's admins only")  # the demo made ana one
    return path, tokens


@pytest.fixture
def server(team, tmp_path):
    """A real ``wtui serve`` on the team book: (the server, {user: token})."""
    path, tokens = team
    s = _started(path, tmp_path)
    yield s, tokens
    s.stop()
