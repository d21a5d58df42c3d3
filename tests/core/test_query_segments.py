"""@name in a query: a saved segment, parsed in place (issue #15)."""

from __future__ import annotations

import pytest

from wtui.core import query
from wtui.core.config import load

FIELDS = query.fields_for(load())
TAGS = ["Interest-Beauty", "Urgent"]
SAVED = {"hot": "intent = high", "beauty_hot": "@hot AND #Interest-Beauty", "a": "@b", "b": "@a"}


def parse(text: str, saved=SAVED) -> query.Node:
    return query.parse(text, FIELDS, TAGS, segments=saved)


def test_a_segment_means_its_query():
    assert parse("@beauty_hot OR #Urgent") == parse("(intent = high AND #Interest-Beauty) OR #Urgent")
    assert parse("NOT @hot") == parse("NOT intent = high")


@pytest.mark.parametrize("text, words", [("@nope", "no segment @nope"), ("@hott", "did you mean @hot"),
                                          ("@a", "uses itself"), ("@", "a segment name must follow @")])
def test_an_unknown_or_circular_segment_is_refused_where_it_is_named(text, words):
    with pytest.raises(query.QueryError) as err:
        parse(text)
    assert words in str(err.value)


def test_a_broken_saved_segment_is_named_with_its_own_problem():
    with pytest.raises(query.QueryError, match="segment @old: .*unknown tag"):
        parse("@old", {"old": "#Gone-Tag"})
