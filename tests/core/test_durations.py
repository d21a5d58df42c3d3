from datetime import timedelta

import pytest

from wtui.core.durations import compact, parse_span

H = timedelta(hours=1)


@pytest.mark.parametrize("delta, cells, text", [
    (11 * H + 43 * H / 60, 5, "11h43"), (78 * 24 * H + 13 * H, 5, "78d"), (78 * 24 * H + 13 * H, 0, "78d13h"),
    (26 * H, 4, "1d2h"), (26 * H, 3, "1d"), (45 * H / 60, 2, "45m"),
])
def test_compact_drops_the_minor_unit_rather_than_cutting_it(delta, cells, text):
    assert compact(delta, cells) == text


@pytest.mark.parametrize("text, span", [("4h", 4 * H), ("2d", 48 * H), ("30m", H / 2), ("12", 12 * H), ("", 0 * H)])
def test_spans_as_a_rep_types_them(text, span):
    assert parse_span(text) == span


@pytest.mark.parametrize("text", ["soon", "4 hours", "-2h", "1e9h", "99999999d"])
def test_a_span_that_is_not_one_says_how_to_write_one(text):
    with pytest.raises(ValueError, match="like 4h, 2d or 30m"):
        parse_span(text)
