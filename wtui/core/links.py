"""Tracked links: a short link on the team server that records each open for the customer it was made
for, then sends the reader on. The opens feed the colour rules ("opened the quote more than 3 times",
"no link opened in 7 days"). Pure rules here; the book stores links, the server answers ``/l/<token>``.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

from wtui.core.facts import LINK, QUOTE_OPEN
from wtui.errors import BadInput

KINDS = ("quote", "catalog", "page")
MAX_URL = 2048
TOKEN = re.compile(r"^[0-9A-Za-z_-]{8,64}$")


def new_token() -> str:
    """12 URL-safe characters (72 random bits): short enough to read out, too many to guess."""
    return secrets.token_urlsafe(9)


def check_url(url: str) -> str:
    """An absolute http(s) address, as typed; anything else (javascript:, a bare word, controls) refused."""
    url = url.strip()
    if len(url) > MAX_URL:
        raise BadInput(f"a link's address has at most {MAX_URL:,} characters (this one {len(url):,})")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise BadInput(f"{url!r:.80}: an address has no spaces or control characters")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise BadInput(f"{url!r:.80}: a tracked link leads to an http:// or https:// address")
    return url


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise BadInput(f"{kind!r}: a link is one of {', '.join(KINDS)}")
    return kind


def opened_as(kind: str) -> str:
    """The interaction an open records: a quote's open counts toward the quote rule, any open is a link's."""
    return QUOTE_OPEN if kind == "quote" else LINK


def short_url(base: str, token: str) -> str:
    return f"{base.rstrip('/')}/l/{token}"


def is_preview(user_agent: str, agents: list[str]) -> bool:
    """A link preview (WhatsApp fetches the page when the rep sends the link) is not the customer opening it."""
    ua = user_agent.lower()
    return any(a.lower() in ua for a in agents if a)
