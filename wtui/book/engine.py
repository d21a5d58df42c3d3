"""The SQLite wtui runs on. pysqlite3's wheels bundle a current SQLite, one with the WAL-reset fix
(``db.wal_is_safe``), so books can use WAL: a commit writes its pages once, in order, where the
rollback journal writes each twice and syncs both (bench.sync: the commits were 80 % of applying a
sync). Where no wheel installs, Python's own sqlite3 and the rollback journal. Every module that
touches SQLite imports it from here, sqlite-utils too prefers pysqlite3: one library in the process,
so one set of exceptions and one owner of the file's locks."""

try:
    from pysqlite3 import dbapi2 as sqlite3
except ImportError:  # pragma: no cover - the platforms pysqlite3 has no wheel for
    import sqlite3  # type: ignore[no-redef]

__all__ = ["sqlite3"]
