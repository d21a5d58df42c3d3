"""The query language: parsing with positioned errors, and SQL that agrees with a plain reading."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import NOW
from wtui.book import db, schema
from wtui.book.engine import sqlite3
from wtui.core import query
from wtui.core.query import NEVER, And, Cond, Not, Or, QueryError, Tag, evaluate, format_query, parse

TAGS = ["Interest-Beauty", "Stage-Purchased", "Product-Lipstick", "Source-Website", "Urgent"]


@pytest.fixture(scope="module")
def F(cfg):
    return query.fields_for(cfg)


@pytest.mark.parametrize("text, canonical", [
    ("#Interest-Beauty AND #Stage-Purchased EXCLUDE #Product-Lipstick",
     "((#Interest-Beauty AND #Stage-Purchased) AND NOT #Product-Lipstick)"),
    ("#a or #b and #c", "(#a OR (#b AND #c))"),
    ("(#a or #b) and not #c", "((#a OR #b) AND NOT #c)"),
    ('tag:"Stage Won" OR tag:Urgent', '(tag:"Stage Won" OR #Urgent)'),
    ("last_inbound > 30d AND last_read < 14d", "(last_inbound > 30d AND last_read < 2w)"),
    ("first_contact within 7d", "first_contact within 1w"),
    ("spend >= 2000 AND purchases >= 3", "(spend >= 2000 AND purchases >= 3)"),
    ("color = red AND intent = HIGH AND region = br", '((color = "red" AND intent = "high") AND region = "BR")'),
    ("owner = me AND rfm = champions", '(owner = "me" AND rfm = "champions")'),
    ('message ~ "compar"', 'message ~ "compar"'),
    ("consent = yes", "consent = yes"),
    ("last_interaction > 30d AND last_interaction != never", "(last_interaction > 30d AND last_interaction != never)"),
    ('last_read = "NEVER"', "last_read = never"),
    ('name ~ "wang \\"jr\\""', 'name ~ "wang \\"jr\\""'),
])
def test_queries_parse_into_the_tree_they_mean(F, text, canonical):
    assert format_query(parse(text, F)) == canonical


def test_the_canonical_text_parses_back_to_the_same_tree(F):
    for text in ["#a AND (#b OR NOT #c) EXCLUDE #d", "last_inbound > 30d OR spend < 10.5"]:
        node = parse(text, F)
        assert parse(format_query(node), F) == node


@pytest.mark.parametrize("text, pos, words", [
    ("#Intrest-Beauty", 0, "did you mean #Interest-Beauty?"),
    ("#Urgent AND #Intrest-Beauty", 12, "unknown tag #Intrest-Beauty"),
    ("colr = red", 0, "did you mean color?"),
    # field:value, as other search boxes take it, gets the form this language takes
    ("name:Ethan", 0, "did you mean name ~ Ethan?"),
    ("name: Ethan", 0, "did you mean name ~ Ethan?"),
    ('name:"Ethan Wilson"', 0, 'did you mean name ~ "Ethan Wilson"?'),
    ("color:red", 0, "did you mean color = red?"),
    ("last_inbound:30d", 0, "did you mean last_inbound within 30d?"),
    ("Name:", 0, 'did you mean name ~ "text"?'),
    ("consent:", 0, "did you mean consent = yes?"),
    ("last_read:never", 0, "did you mean last_read = never?"),
    ("purchases:3", 0, "did you mean purchases = 3?"),
    ("color = blu", 8, "'blu' is not a color"),
    ("color > red", 6, "color takes = !="),
    ("last_read > soon", 12, "write 30d, 12h, 2w or 45m"),
    ("last_read = 30d", 12, "last_read = takes only never"),
    ("last_read > never", 12, "write last_read = never"),
    ("spend >= lots", 9, "'lots' is not a number"),
    ("(#Urgent OR #Source-Website", 27, "add ) to close the ( at 1"),
    ("#Urgent #Source-Website", 8, "join conditions with AND or OR"),
    ("#Urgent AND", 11, "the query ends too early"),
    ('message ~ "compar', 10, "this quote is never closed"),
    ("", 0, "an empty query"),
    ("NOT", 3, "the query ends too early"),
    ("#", 0, "a tag name must follow #"),
    (") OR #Urgent", 0, "unexpected ')'"),
])
def test_errors_point_at_the_place_with_a_hint(F, text, pos, words):
    with pytest.raises(QueryError) as err:
        parse(text, F, known_tags=TAGS)
    assert err.value.pos == pos
    assert words in str(err.value)
    assert str(err.value).splitlines()[2] == "  " + " " * pos + "^"


def test_nothing_is_evaluated_as_python(F):
    with pytest.raises(QueryError):
        parse("__import__('os').system('true')", F)


# --- SQL against the reference, on random books and random queries -------------------

ENUMS = {"color": ["red", "orange", "yellow", "green", "gray"], "intent": ["high", "medium", "potential", "none"],
         "region": ["BR", "DE", "CN"], "owner": ["ana", "omar", ""]}
TIMES = ["last_inbound", "last_read", "first_contact", "last_purchase"]


# Strategies made once (made inside the loop, their construction was most of this test's time).
_TAG_SETS = st.lists(st.sampled_from(TAGS), max_size=4).map(set)
_ENUM_VALUES = {f: st.sampled_from(values + [None]) for f, values in ENUMS.items()}
_MINUTES_AGO = st.one_of(st.none(), st.integers(0, 60 * 24 * 60))
_TOTALS = st.sampled_from([0.0, 499.0, 500.0, 2000.0, 2500.5])
_COUNTS = st.integers(0, 4)
_CONSENT = st.sampled_from([0, 1])
_NAMES = st.sampled_from(["Wang", "wang jr", "Ли Вэй", "Ana", "ÄRGER"])
_MESSAGES = st.lists(st.sampled_from(["how much?", "Сравниваю цены", "ok", "COMPARING"]), max_size=2)


@st.composite
def customers(draw):
    out = []
    for i in range(draw(st.integers(0, 25))):
        c = {"id": i + 1, "tags": draw(_TAG_SETS)}
        for f, values in _ENUM_VALUES.items():
            c[f] = draw(values)
        for f in TIMES:
            minutes = draw(_MINUTES_AGO)
            c[f] = None if minutes is None else NOW - timedelta(minutes=minutes)
        c["purchase_total"] = draw(_TOTALS)
        c["purchase_count"] = draw(_COUNTS)
        c["consent"] = draw(_CONSENT)
        c["name"] = draw(_NAMES)
        c["messages"] = draw(_MESSAGES)
        out.append(c)
    return out


leaf = st.one_of(
    st.sampled_from(TAGS).map(Tag),
    st.builds(Cond, st.sampled_from(list(ENUMS)), st.sampled_from(["=", "!="]),
              st.sampled_from(["red", "high", "BR", "ana", "omar", ""])),
    st.builds(Cond, st.sampled_from(TIMES), st.sampled_from([">", ">=", "<", "<=", "within"]),
              st.integers(1, 60 * 24 * 60).map(lambda m: timedelta(minutes=m))),
    st.builds(Cond, st.sampled_from(TIMES), st.sampled_from(["=", "!="]), st.just(NEVER)),
    st.builds(Cond, st.sampled_from(["spend", "purchases"]), st.sampled_from(["=", "!=", ">", ">=", "<", "<="]),
              st.sampled_from([0.0, 1.0, 500.0, 2000.0])),
    st.builds(Cond, st.just("consent"), st.sampled_from(["=", "!="]), st.booleans()),
    st.builds(Cond, st.just("name"), st.just("~"), st.sampled_from(["wang", "ли", "ärger", "x"])),
    st.builds(Cond, st.just("message"), st.just("~"), st.sampled_from(["compar", "сравн", "HOW", "zzz"])),
)
nodes = st.recursive(leaf, lambda inner: st.one_of(
    inner.map(Not), st.builds(And, inner, inner), st.builds(Or, inner, inner)), max_leaves=6)


def load(conn, people):
    conn.executemany("INSERT INTO tags (name) VALUES (?)", [(t,) for t in TAGS])
    tag_id = dict(conn.execute("SELECT name, id FROM tags"))
    for c in people:
        conn.execute(
            """INSERT INTO customers (id, uid, phone, name, color, intent, region, owner, last_inbound, last_read,
               first_contact, last_purchase, purchase_total, purchase_count, consent)
               VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
            (c["id"], f"u{c['id']}", f"+49{c['id']}", c["name"], c["color"], c["intent"], c["region"], c["owner"],
             *(db.iso(c[f]) for f in TIMES), c["purchase_total"], c["purchase_count"], c["consent"]))
        for t in c["tags"]:
            conn.execute("INSERT INTO customer_tags VALUES (?,?,1,'x')", (c["id"], tag_id[t]))
        for t in TAGS[:1]:  # a removed tag must not count
            if t not in c["tags"]:
                conn.execute("INSERT INTO customer_tags VALUES (?,?,0,'x')", (c["id"], tag_id[t]))
        for k, m in enumerate(c["messages"]):
            conn.execute("INSERT INTO interactions (uid, customer_id, kind, at, text) VALUES (?,?,?,?,?)",
                         (f"m{c['id']}-{k}", c["id"], "in", db.iso(NOW), m))


@pytest.fixture(scope="module")
def empty_book():
    """The book's schema, migrated once: each example starts from a page-by-page copy (microseconds)."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    schema.migrate(conn, "memory")
    yield conn
    conn.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(people=customers(), node=nodes, sizes=st.booleans())
def test_compiled_sql_returns_exactly_what_the_reference_returns(cfg, empty_book, people, node, sizes):
    fields = query.fields_for(cfg)
    conn = sqlite3.connect(":memory:", isolation_level=None)
    empty_book.backup(conn)
    conn.create_function("wtui_contains", 2, lambda a, b: int(query.contains(a, b)), deterministic=True)
    load(conn, people)
    tag_sizes = {t.lower(): sum(t in c["tags"] for c in people) for t in TAGS} if sizes else None
    sql, params = query.to_sql(node, fields, NOW, "ana", tag_sizes)
    got = sorted(r[0] for r in conn.execute("SELECT id FROM (" + sql + ")", params))
    want = sorted(c["id"] for c in people if evaluate(node, c, NOW, "ana"))
    assert got == want, format_query(node)


def test_never_is_neither_recent_nor_long_ago_only_with_its_own_words(F):
    never = {"last_interaction": None, "tags": set(), "messages": []}
    long_ago = dict(never, last_interaction=NOW - timedelta(days=40))
    silent = parse("last_interaction > 30d AND last_interaction != never", F)
    assert [evaluate(silent, c, NOW) for c in (never, long_ago)] == [False, True]
    assert evaluate(parse("last_interaction > 30d", F), never, NOW)  # "more than 30 days ago, or never"
    assert evaluate(parse("last_interaction = never", F), never, NOW)
    assert not evaluate(parse("last_interaction < 30d", F), never, NOW)
