"""The team lead's commands (issue #16): the weekly routine. `wtui health`: tag health, each finding
with the command that fixes it (core/health.py judges, the book counts)."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def add_parsers(sub) -> None:
    h = sub.add_parser("health", help="tag health (the Monday routine): the tag count, overloaded, tiny and idle "
                                      "tags, merge candidates, each with the command that fixes it")
    out = h.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="the findings as JSON, one object a line")
    out.add_argument("--markdown", action="store_true", help="a Markdown list (for the team's weekly note)")


def commands(open_book: Callable, say: Callable) -> dict[str, Callable]:
    def cmd_health(args: argparse.Namespace, cfg) -> int:
        from datetime import timedelta

        from wtui.core import health
        from wtui.core.text import json_text, visible

        with open_book(args, cfg) as book:
            stats = book.tag_stats()
            now = book.now()
            per_tag, since = book.tag_uses(now - timedelta(days=cfg.health.rare_days))
            overlaps = book.tag_overlaps(similar=cfg.health.merge_overlap, least=cfg.health.tiny_customers)
            findings = health.check(stats, overlaps, book.customer_count(), now, cfg.tags, cfg.health,
                                    health.Uses(per_tag, since), book.refreshed_at())
        if args.json:
            for f in findings:
                print(json_text({"kind": f.kind, "tags": list(f.tags), "says": f.says, "fix": f.fix}, indent=None))
            return 0
        head = f"{len(stats)} tags in use; {len(findings) or 'no'} finding(s)"
        if args.markdown:
            print(f"## Tag health\n\n{head}\n")
            for f in findings:
                print(f"- **{f.kind}**: {visible(f.says)}" + (f" — `{visible(f.fix)}`" if f.fix else ""))
            return 0
        say(head)
        for f in findings:
            say(f"  {f.kind:<10} {visible(f.says)}")
            if f.fix:
                say(f"             {visible(f.fix)}")
        return 0

    return {"health": cmd_health}
