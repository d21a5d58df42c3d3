"""Test groups of an export (io/export.split_groups): sizes, the remainder, the same seed the same groups."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from wtui.io.export import split_groups


@given(st.integers(0, 2000), st.lists(st.integers(1, 99), min_size=1, max_size=4).filter(lambda s: sum(s) <= 100),
       st.integers(0, 2**32))
def test_groups_have_their_share_and_the_rest_is_the_remainder(n, split, seed):
    groups = split_groups(n, tuple(split), seed)
    counts = Counter(groups)
    done = 0
    for i, pct in enumerate(split):
        name = chr(ord("A") + i)
        assert counts[name] == round(n * (done + pct) / 100) - round(n * done / 100)
        done += pct
    rest = "B" if len(split) == 1 else "rest"
    assert counts[rest] == n - round(n * done / 100) or (len(split) == 1 and counts["B"] == n - counts["A"])
    assert split_groups(n, tuple(split), seed) == groups  # reproducible


def test_ten_ten_makes_two_test_groups_and_a_rest():
    counts = Counter(split_groups(1000, (10, 10), seed=7))
    assert counts == {"A": 100, "B": 100, "rest": 800}
    assert Counter(split_groups(1000, (50,), seed=7)) == {"A": 500, "B": 500}
