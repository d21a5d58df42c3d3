"""Finding groups of customers with the query language, and acting on a whole group at once.

``select`` compiles a query to a set of customer ids; ``Book.bulk`` applies
tag, colour, intent and owner changes to such a set as one batch (one
transaction, one batch id, one undo).
"""

from __future__ import annotations

from datetime import datetime

from wtui.book.engine import sqlite3
from wtui.core import query

_TAG_SIZE = """SELECT count(*) FROM customer_tags WHERE present = 1
    AND tag_id = (SELECT id FROM tags WHERE name = ? COLLATE NOCASE)"""


def plan(conn: sqlite3.Connection, node: query.Node, fields: dict, now: datetime, me: str) -> tuple[str, list]:
    """The query's SQL, driven from its smallest tag (counted on the index: a few ms)."""
    sizes = {t.lower(): conn.execute(_TAG_SIZE, (t,)).fetchone()[0] for t in query.tags_in(node)}
    return query.to_sql(node, fields, now, me, sizes)


def select_ids(conn: sqlite3.Connection, node: query.Node, fields: dict, now: datetime, me: str) -> list[int]:
    sql, params = plan(conn, node, fields, now, me)  # our fixed fragments; values are parameters
    return [r[0] for r in conn.execute("SELECT id FROM (" + sql + ") ORDER BY id", params)]


def count(conn: sqlite3.Connection, node: query.Node, fields: dict, now: datetime, me: str) -> int:
    sql, params = plan(conn, node, fields, now, me)
    return conn.execute("SELECT count(*) FROM (" + sql + ")", params).fetchone()[0]


def matches(conn: sqlite3.Connection, node: query.Node, fields: dict, now: datetime, me: str, cid: int) -> bool:
    """Does the query match this one customer?"""
    sql, params = plan(conn, node, fields, now, me)
    return conn.execute("SELECT 1 FROM (" + sql + ") WHERE id = ? LIMIT 1", (*params, cid)).fetchone() is not None
