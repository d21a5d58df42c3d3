"""Customer data on a shared server: a new book is the rep's alone (0600), or the team's group's (0660)."""

from __future__ import annotations

import os
import stat

import pytest

from tests.conftest import NOW
from wtui.book.book import Book
from wtui.core import config


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def loose_umask():
    old = os.umask(0o002)  # a shared server's common umask: would leave files 0664
    yield
    os.umask(old)


def test_a_new_book_and_its_journal_are_the_reps_alone(tmp_path, loose_umask):
    path = tmp_path / "mine.db"
    with Book.create(path, config.with_overrides({}), clock=lambda: NOW, actor="ana") as book:
        assert mode(path) == 0o600
        book.conn.execute("PRAGMA journal_mode = DELETE")  # keep the journal file on disk while we look
        book.conn.execute("BEGIN IMMEDIATE")
        book.conn.execute("INSERT INTO settings VALUES ('probe', '1')")
        journal = tmp_path / "mine.db-journal"
        assert journal.exists() and not mode(journal) & 0o077
        book.conn.execute("ROLLBACK")


def test_a_book_in_a_shared_directory_is_the_groups(tmp_path, loose_umask):
    team = tmp_path / "team"
    team.mkdir()
    os.chmod(team, 0o2770)  # setgid: the team's directory
    path = team / "book.db"
    with Book.create(path, config.with_overrides({}), clock=lambda: NOW, actor="ana"):
        assert mode(path) == 0o660 and os.stat(path).st_gid == os.stat(team).st_gid


def test_shared_in_config_makes_a_group_book_anywhere(tmp_path, loose_umask):
    path = tmp_path / "book.db"
    with Book.create(path, config.with_overrides({"book": {"shared": True}}), clock=lambda: NOW, actor="ana"):
        assert mode(path) == 0o660


def test_locate_warns_about_a_world_readable_book(tmp_path, capsys):
    from wtui import cli

    path = tmp_path / "open.db"
    Book.create(path, config.with_overrides({}), clock=lambda: NOW, actor="ana").close()
    os.chmod(path, 0o644)
    assert cli.main(["--db", str(path), "locate"]) == 0
    assert "readable by every user" in capsys.readouterr().err
