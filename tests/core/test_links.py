"""Tracked links' rules (core/links.py): what an address may be, what counts as an open."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wtui.core import links
from wtui.core.facts import LINK, QUOTE_OPEN
from wtui.errors import BadInput


@pytest.mark.parametrize("url", ["https://shop.example/q/42", "http://example.com", "HTTPS://Example.com/a?b=c#d",
                                 "https://例え.jp/価格"])
def test_web_addresses_are_taken_as_typed(url):
    assert links.check_url(f"  {url} ") == url


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,hi", "example.com", "ftp://x.org/f",
                                 "https://", "https://a.example/ b", "https://a.example/\x1b[31m",
                                 "https://a.example/" + "x" * links.MAX_URL])
def test_anything_but_a_web_address_is_refused(url):
    with pytest.raises(BadInput):
        links.check_url(url)


@given(st.text(max_size=60))
def test_check_url_takes_only_http_addresses_and_never_crashes(text):
    try:
        got = links.check_url(text)
    except BadInput:
        return
    assert got.lower().startswith(("http://", "https://")) and not any(c.isspace() for c in got)


def test_tokens_are_url_safe_and_differ():
    tokens = {links.new_token() for _ in range(200)}
    assert len(tokens) == 200 and all(links.TOKEN.match(t) for t in tokens)


def test_a_quote_open_counts_toward_the_quote_rule_and_other_kinds_are_link_opens():
    assert links.opened_as("quote") == QUOTE_OPEN
    assert links.opened_as("catalog") == links.opened_as("page") == LINK
    with pytest.raises(BadInput):
        links.check_kind("brochure")


@pytest.mark.parametrize("agent, preview", [
    ("WhatsApp/2.23.20.0 A", True), ("facebookexternalhit/1.1", True), ("TelegramBot (like TwitterBot)", True),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148", False),
    ("", False)])
def test_a_link_preview_is_not_an_open(cfg, agent, preview):
    assert links.is_preview(agent, cfg.links.preview_agents) is preview
