"""The hybrid logical clock orders ops across replicas even with skewed clocks."""

from wtui.core.hlc import Clock, parse


def test_stamps_increase_even_when_the_wall_clock_stalls():
    c = Clock("a")
    s1, s2, s3 = c.tick(1000), c.tick(1000), c.tick(999)
    assert s1 < s2 < s3


def test_observing_a_remote_stamp_moves_past_it():
    fast = Clock("b")
    remote = fast.tick(5000)
    slow = Clock("a")
    slow.observe(remote, 1000)
    assert slow.tick(1000) > remote


def test_stamps_sort_as_text_and_parse_back():
    c = Clock("node1")
    s = c.tick(1_700_000_000_000)
    assert parse(s) == (1_700_000_000_000, 0, "node1")
