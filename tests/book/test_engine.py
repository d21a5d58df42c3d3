"""One SQLite library in the process: every module takes ``sqlite3`` from ``wtui.book.engine``."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_STDLIB = re.compile(r"^\s*(import sqlite3\b|from sqlite3\b)", re.MULTILINE)


def test_no_module_imports_pythons_own_sqlite3_beside_the_engine():
    # Two SQLite libraries on one file release each other's POSIX locks, and raise different exceptions.
    found = [str(p.relative_to(ROOT)) for folder in ("wtui", "tests", "bench") for p in (ROOT / folder).rglob("*.py")
             if p.name != "engine.py" and _STDLIB.search(p.read_text("utf-8"))]
    assert found == []


def test_sqlite_utils_drives_the_same_library():
    from sqlite_utils.utils import sqlite3 as theirs

    from wtui.book.engine import sqlite3 as ours

    assert theirs.sqlite_version == ours.sqlite_version
    assert theirs.OperationalError is ours.OperationalError
