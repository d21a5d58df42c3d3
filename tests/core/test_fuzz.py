"""Fuzzing the query parser and the config loader: a clear error (a WtuiError) or success, never another
exception. Bounded (``fuzz`` marker, 200 examples each), so CI runs them on every push."""

from __future__ import annotations

import math
import tomllib
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import copy_book
from wtui.errors import WtuiError

pytestmark = pytest.mark.fuzz
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                        HealthCheck.function_scoped_fixture])
NOW = datetime(2026, 11, 23, 12, tzinfo=timezone.utc)

# Pieces a query is made of, right and wrong, and any text at all between them.
_PIECES = ["AND", "OR", "NOT", "EXCLUDE", "(", ")", "#Urgent", "#Stage-Lead", "#Nope", 'tag:"Stage Lead"', "tag:",
           "#", "spend", ">", ">=", "=", "!=", "~", "within", "last_inbound", "30d", "1e400", "nan", "-5",
           "99999999999999999999999d", "never", "color", "red", "message", '"compar"', '"', "owner", "me", "consent",
           "yes", "region", "br", "name", "\x1b[31m", "\u202e", "\x00", "   "]
QUERIES = st.one_of(
    st.lists(st.sampled_from(_PIECES) | st.text(max_size=6), max_size=40).map(" ".join),
    st.text(max_size=80),
    st.integers(1, 60).flatmap(lambda n: st.sampled_from(["NOT ", "(", "#Urgent OR ", "spend > 1 AND "]).map(
        lambda p, n=n: p * n + "#Urgent" + (")" * n if p == "(" else ""))),
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_file, cfg):
    from wtui.book.book import Book

    path = copy_book(demo_file, tmp_path_factory.mktemp("fuzz") / "book.db")
    b = Book.open(path, cfg, clock=lambda: NOW, actor="ana")
    yield b
    b.close()


@FUZZ
@given(QUERIES)
def test_any_query_is_answered_or_refused_clearly(demo, text):
    try:
        node = demo.parse_query(text)
    except WtuiError:
        return
    demo.select(node)
    demo.count(node)


# ---------------------------------------------------------------------------
# config: any TOML a rep might write over the real keys


def _keys(data: dict, at: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for k, v in data.items():
        out += _keys(v, at + (k,)) if isinstance(v, dict) else [at + (k,)]
    return out


_DEFAULTS = tomllib.loads((Path(__file__).parents[2] / "wtui" / "defaults.toml").read_text("utf-8"))
KEYS = _keys(_DEFAULTS) + [("regions", "ZZ", "weekday"), ("keywords", "quote", "xx"), ("limits", "nope"),
                           ("imports", "max_cell_kb")]
SCALARS = st.one_of(
    st.integers(-10, 10**6), st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.text(max_size=20), st.sampled_from(["Mon-Fri 9-18", "25-99", "9-9", "Europe/Rome", "Mars/Olympus", "BR", "ZZ",
                                          "", "\x1b[31m", "Daily 20-23", "14-16"]),
)
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=4), st.dictionaries(st.text(max_size=5), SCALARS, max_size=3))


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, int):
        return str(v) if -(2**63) <= v < 2**63 else "0"
    if isinstance(v, str):
        return '"' + v.encode("unicode_escape").decode("ascii").replace('"', '\\"').replace("\\x", "\\u00") + '"'
    if isinstance(v, list):
        return "[" + ", ".join(map(_toml_value, v)) + "]"
    return "{" + ", ".join(f'"{k.encode("unicode_escape").decode("ascii").replace(chr(34), "")}" = {_toml_value(x)}'
                           for k, x in v.items()) + "}"


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(KEYS), VALUES), min_size=1, max_size=4))
def test_any_config_loads_or_is_refused_naming_the_file(tmp_path, pairs):
    tables: dict[tuple[str, ...], list[str]] = {}
    for key, value in dict(pairs).items():
        tables.setdefault(key[:-1], []).append(f'"{key[-1]}" = {_toml_value(value)}')
    text = "\n".join(f"[{'.'.join(t)}]\n" + "\n".join(lines) for t, lines in tables.items() if t) + "\n"
    text = "\n".join(tables.get((), [])) + "\n" + text
    path = tmp_path / "fuzz.toml"
    path.write_text(text, "utf-8")
    from wtui.core import config

    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return  # our writer's limit, not wtui's: the loader's own refusal of bad TOML is tested elsewhere
    try:
        cfg = config.load(layers=[("user", path)])
    except WtuiError as exc:
        assert str(path) in str(exc)
        return
    # What loads can be used: the things computed from it at every start.
    cfg.fingerprint()
    from wtui.core import query, windows

    query.parse("#A AND spend > 1", query.fields_for(cfg), ["A"], query.Limits.of(cfg))
    windows.state(NOW, cfg.rep.timezone or "UTC", None, "BR", cfg.windows, cfg.regions)
