"""The team lead's commands (issue #16): the weekly routine. `wtui health`: tag health, each finding
with the command that fixes it (core/health.py judges, the book counts); `wtui accuracy`: colour
accuracy from won and lost deals; `wtui signals`: today's snapshot, the team's alerts, each rep's
workload and the colours' trend; `wtui audit`: the 5 % accuracy audit's sample and its error rates."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable


def add_parsers(sub) -> None:
    h = sub.add_parser("health", help="tag health (the Monday routine): the tag count, overloaded, tiny and idle "
                                      "tags, merge candidates, each with the command that fixes it")
    out = h.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="the findings as JSON, one object a line")
    out.add_argument("--markdown", action="store_true", help="a Markdown list (for the team's weekly note)")

    a = sub.add_parser("accuracy", help="colour accuracy from won and lost deals: conversion per colour against "
                                        "the playbook's rates, false reds, missed greens, red fatigue; per rep, "
                                        "per week")
    a.add_argument("--weeks", type=int, help="look back this many weeks (default [review] weeks)")
    a.add_argument("--json", action="store_true", help="the report as one JSON object")

    s = sub.add_parser("signals", help="today's snapshot of colours, intents and activity (stored once a day), "
                                       "the team's alerts, each rep's workload, the colours' trend")
    s.add_argument("--days", type=int, default=28, help="the trend over this many days (default 28)")
    s.add_argument("--json", action="store_true", help="today's figures, alerts and the trend as one JSON object")

    au = sub.add_parser("audit", help="the accuracy audit (playbook §11): a seeded random 5 %% of the active "
                                      "customers reviewed in the app (A), error rates per dimension")
    asub = au.add_subparsers(dest="audit_cmd", required=True)
    st = asub.add_parser("start", help="draw a new sample (review it in the app: A)")
    st.add_argument("--seed", type=int, help="the draw's seed (the same seed on the same book, the same customers)")
    st.add_argument("--size", type=int, help="this many customers instead of [review] audit_share of the active")
    rp = asub.add_parser("report", help="each audit's error rate per dimension (tags, intent, colour), newest first")
    rp.add_argument("--json", action="store_true", help="one JSON object an audit, a line")
    wd = asub.add_parser("words", help="the messages of customers whose intent a review fixed, as JSON lines "
                                       "(text, intent): what the keyword lists missed")
    wd.add_argument("audit", nargs="?", help="an audit id (default: the newest)")

    sp = sub.add_parser("spend-curve", help="purchase frequency by average order, and the order-size tier cuts it "
                                            "suggests (where frequency drops more than [review] spend_drop)")
    sp.add_argument("--json", action="store_true", help="the curve and the suggestion as one JSON object")
    sp.add_argument("--write", nargs="?", const="", metavar="CONFIG.toml",
                    help="write the suggested cuts to [spend] of the team config (default /etc/wtui/config.toml; "
                         "admins)")

    tp = sub.add_parser("template", help="message templates: list them, or fill one for a customer (checked "
                                         "against their cap and window)")
    tsub = tp.add_subparsers(dest="template_cmd", required=True)
    tsub.add_parser("list", help="the templates in force, in the order they are tried").add_argument(
        "--json", action="store_true", help="JSON, one object a line")
    tf = tsub.add_parser("fill", help="the customer's template, filled (the first whose `for` matches, or --name)")
    tf.add_argument("customer", help="a number in any typed form, a uid, or a name only one customer has")
    tf.add_argument("--name", help="this template rather than the first that matches")
    tf.add_argument("--link", action="store_true", help="print a wa.me link with the text instead")
    tf.add_argument("--force", action="store_true", help="fill even at their cap or outside their window")

    bc = sub.add_parser("broadcast", help="broadcast results: each send list exported with --broadcast, delivered "
                                          "/ read / replied per A/B group against the playbook's targets")
    bsub = bc.add_subparsers(dest="broadcast_cmd", required=True)
    bsub.add_parser("list", help="the recorded broadcasts, newest first").add_argument(
        "--json", action="store_true", help="JSON, one object a line")
    br = bsub.add_parser("results", help="delivered, read, replied per group (default: the newest broadcast)")
    br.add_argument("broadcast", nargs="?", help="a broadcast id (default: the newest)")
    br.add_argument("--json", action="store_true", help="the results as one JSON object")
    rc = bsub.add_parser("recontact", help="export a broadcast's non-responders as a new broadcast (after "
                                           "[broadcast] recontact_days)")
    rc.add_argument("broadcast", help="a broadcast id")
    rc.add_argument("-o", "--output", required=True, metavar="FILE.csv")
    rc.add_argument("--force", action="store_true", help="before recontact_days have passed")
    rc.add_argument("--replace", action="store_true", help="write over FILE.csv if it exists")


def commands(open_book: Callable, say: Callable) -> dict[str, Callable]:
    def cmd_health(args: argparse.Namespace, cfg) -> int:
        from wtui.core.text import json_text, visible

        with open_book(args, cfg) as book:
            tags, findings = book.tag_health()
        if args.json:
            for f in findings:
                print(json_text({"kind": f.kind, "tags": list(f.tags), "says": f.says, "fix": f.fix}, indent=None))
            return 0
        head = f"{tags} tags in use; {len(findings) or 'no'} finding(s)"
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

    def cmd_accuracy(args: argparse.Namespace, cfg) -> int:
        from dataclasses import replace
        from datetime import timedelta

        from wtui.book.reads import rep_zone
        from wtui.core import accuracy
        from wtui.core.text import json_text
        from wtui.errors import BadInput

        if args.weeks is not None:
            if args.weeks < 1:
                raise BadInput("--weeks: at least 1")
            cfg = replace(cfg, review=replace(cfg.review, weeks=args.weeks))
        with open_book(args, cfg) as book:
            now = book.now()
            rep = accuracy.report(book.outcomes(now - timedelta(weeks=cfg.review.weeks)), now, rep_zone(cfg), cfg)
        if args.json:
            def part(p: accuracy.Part) -> dict:
                return {"per_color": {c: {"won": r.won, "lost": r.lost, "rate": r.rate} for c, r in p.per_color.items()
                                      if c}, "wins": p.wins, "missed_green": p.missed_green,
                        "fatigued": {"won": p.fatigued.won, "lost": p.fatigued.lost}}
            print(json_text({"weeks": cfg.review.weeks, "expected": rep.expected, "team": part(rep.team),
                             "reps": {r: part(p) for r, p in rep.reps.items()},
                             "by_week": {w: part(p) for w, p in rep.weeks},
                             "rep_by_week": {r: {w: part(p) for w, p in ws} for r, ws in rep.rep_weeks.items()},
                             "warnings": rep.warnings}))
            return 0
        for text, tone in accuracy.lines(rep, cfg.review.weeks, cfg.colors.order):
            say(("! " if tone == "warn" else "") + text)
        return 0

    def cmd_signals(args: argparse.Namespace, cfg) -> int:
        from wtui.core import signals
        from wtui.core.text import json_text
        from wtui.errors import BadInput

        if args.days < 1:
            raise BadInput("--days: at least 1")
        with open_book(args, cfg) as book:
            day = _today(book)  # a read command: today's snapshot is the day's first writer's to store
            today = book.figures()  # now, not as of this morning's snapshot: the workload moves all day
            # As far back as the routine's screen reads: the week-on-week alert finds its week before
            snaps = [s for s in book.snapshots(max(args.days, cfg.review.weeks * 7)) if s[0] != day] + [(day, today)]
        alerts = signals.alerts(snaps, cfg.team)
        trend = snaps[-args.days:]
        if args.json:
            print(json_text({"today": today, "alerts": alerts,
                             "trend": {day: f["colors"] for day, f in trend}}))
            return 0
        n = today["customers"]
        say(f"{n:,} customers today")
        from wtui.core.config import ACTIVITY_LEVELS, INTENTS

        for group, keys in (("colors", cfg.colors.order), ("intents", INTENTS), ("activity", ACTIVITY_LEVELS)):
            say(f"  {group:<9} " + "  ".join(f"{k} {signals.share(today, group, k):.0%}" for k in keys))
        say("workload: rep, customers, due today, overdue, contacted today")
        for w in signals.workload(today):
            say(f"  {w.rep or '(unassigned)':<16} {w.customers:>7,} {w.due:>7,} {w.overdue:>7,} {w.done:>7,}")
        if len(trend) > 1:
            say(f"colours over {len(trend)} day(s) (% of customers)")
            say("  day         " + " ".join(f"{c:>6}" for c in cfg.colors.order))
            for day, f in trend:
                say(f"  {day}  " + " ".join(f"{100 * signals.share(f, 'colors', c):>6.1f}" for c in cfg.colors.order))
        for a in alerts:
            say(f"! {a}")
        return 0

    def _today(book) -> str:
        from wtui.book.reads import rep_zone
        from wtui.book.review import snapshot_day

        return snapshot_day(book.now(), rep_zone(book.cfg))

    def cmd_audit(args: argparse.Namespace, cfg) -> int:
        from wtui.core import audit
        from wtui.core.text import json_text
        from wtui.errors import BadInput

        with open_book(args, cfg) as book:
            if args.audit_cmd == "start":
                if args.size is not None and args.size < 1:
                    raise BadInput("--size: at least 1")
                aid = book.start_audit(args.seed, args.size)
                _, _, _, seed, size, pop = next(a for a in book.audits() if a[0] == aid)
                say(f"audit {aid}: {size} of {pop:,} active customers (seed {seed}); review them in the app with A")
                return 0
            runs = book.audits()
            if args.audit_cmd == "words":
                if not runs:
                    raise BadInput("no audit yet: `wtui audit start`")
                aid = args.audit or runs[0][0]
                if aid not in {r[0] for r in runs}:
                    raise BadInput(f"{aid}: no such audit (see `wtui audit report`)")
                for line in book.audit_words(aid):
                    print(json_text(line, indent=None))
                return 0
            rows = []
            for aid, started, actor, seed, size, pop in runs:
                rates = audit.error_rates([ok for _, _, _, ok in book.audit_items(aid)])
                rows.append((aid, started, actor, seed, size, pop, rates))
        if args.json:
            for aid, started, actor, seed, size, pop, rates in rows:
                print(json_text({"audit": aid, "started": started.isoformat(), "by": actor, "seed": seed, "size": size,
                                 "population": pop, "reviewed": rates.reviewed,
                                 "wrong": dict(rates.wrong), "rates": rates.rates()}, indent=None))
            return 0
        if not rows:
            say("no audit yet: `wtui audit start` draws one (review it in the app with A)")
            return 0
        target = cfg.review.audit_error_target
        say(f"audits, newest first: error rate per dimension (target under {target:.0%})")
        for aid, started, actor, seed, size, pop, rates in rows:
            said = "  ".join(f"{d} {audit.rate_text(rates, d)}" for d in audit.DIMENSIONS)
            say(f"  {started:%Y-%m-%d} {actor:<12} {rates.reviewed}/{size} reviewed  {said}  ({aid}, seed {seed}, "
                f"of {pop:,})")
            for d in rates.over(target):
                say(f"    ! {d}: {rates.rates()[d]:.0%} wrong, over {target:.0%}")
        return 0

    def cmd_broadcast(args: argparse.Namespace, cfg) -> int:
        from wtui.core import broadcast
        from wtui.core.text import json_text
        from wtui.errors import BadInput
        from wtui.io.export import recontact
        from wtui.io.files import check_target

        if args.broadcast_cmd == "recontact":
            check_target(args.output, "-o", access=False, replace=args.replace)
        with open_book(args, cfg) as book:
            sent = book.broadcasts()
            if args.broadcast_cmd == "list":
                if not sent and not args.json:
                    say("no broadcast recorded yet: `wtui export QUERY --broadcast -o FILE.csv` records one")
                for bid, name, at, actor, size in sent:
                    if args.json:
                        print(json_text({"broadcast": bid, "name": name, "at": at.isoformat(), "by": actor,
                                         "size": size}, indent=None))
                    else:
                        say(f"  {bid}  {at:%Y-%m-%d %H:%M}  {size:>6,} customer(s)  by {actor}  {name}")
                return 0
            bid = getattr(args, "broadcast", None) or (sent[0][0] if sent else None)
            if bid is None:
                raise BadInput("no broadcast recorded yet: `wtui export QUERY --broadcast -o FILE.csv` records one")
            if args.broadcast_cmd == "recontact":
                n, left_out, new = recontact(book, bid, args.output, force=args.force)
                say(f"wrote {n} non-responder(s) of {bid} to {args.output}"
                    + (f"; left out {left_out} who withdrew consent" if left_out else "")
                    + (f"; recorded as broadcast {new}" if new else "; no one to send again: nothing recorded"))
                return 0
            r = book.broadcast_results(bid)
        if args.json:
            print(json_text({"broadcast": bid, "final": r.final, "judged": r.judged,
                             "groups": {g or "all": vars(t) for g, t in r.groups.items()}, "total": vars(r.total)}))
            return 0
        for text, tone in broadcast.lines(bid, r, cfg.broadcast):
            say(("! " if tone == "warn" else "") + text)
        return 0

    def cmd_spend_curve(args: argparse.Namespace, cfg) -> int:
        from pathlib import Path

        from wtui.core.config import SYSTEM_CONFIG
        from wtui.core.text import json_text
        from wtui.errors import BadInput

        with open_book(args, cfg) as book:
            curve = book.spend_curve()
            if args.write is not None:
                book.require_admin("change the team's spend tiers")
        s = cfg.spend
        now = {"order_low_below": s.order_low_below, "order_high_above": s.order_high_above}
        if args.json:
            print(json_text({"currency": s.currency, "buckets": [vars(b) for b in curve.buckets],
                             "suggested": curve.suggestion(), "current": now}))
        else:
            if not curve.buckets:
                say(f"too few buyers to draw the curve (at least {2 * cfg.review.spend_buckets} needed)")
                return 0 if args.write is None else 2
            say(f"purchase frequency by average order ({s.currency}), {len(curve.buckets)} equal groups of buyers")
            top = max(b.frequency for b in curve.buckets) or 1
            for b in curve.buckets:
                bar = "█" * round(30 * b.frequency / top)
                cut = "  <- a tier starts here" if b.low in curve.cuts[:1] or b.high in curve.cuts[1:] else ""
                say(f"  {b.low:>10,.2f}-{b.high:<10,.2f} {b.frequency:5.2f} purchases  {bar}{cut}")
            said = ", ".join(f"{k} = {v:g}" for k, v in curve.suggestion().items()) or "no drop over " \
                f"{cfg.review.spend_drop:.0%}: the current tiers stand"
            say(f"suggested: {said} (now {s.order_low_below:g} / {s.order_high_above:g})")
        if args.write is not None:
            if len(curve.cuts) < 2:
                raise BadInput("the curve suggests fewer than two cuts: nothing to write (the tiers stand)")
            from wtui.io.config_file import set_keys

            target = Path(args.write) if args.write else SYSTEM_CONFIG
            try:
                set_keys(target, "spend", curve.suggestion())
            except PermissionError:
                raise BadInput(f"{target}: not writable for you (the team config is root's on a shared server; "
                               "--write FILE writes another file)") from None
            say(f"wrote {', '.join(f'{k} = {v:g}' for k, v in curve.suggestion().items())} to [spend] of {target}; "
                "every colour is recomputed at the next open")
        return 0

    def cmd_template(args: argparse.Namespace, cfg) -> int:
        from wtui.core.templates import wa_link
        from wtui.errors import BadInput

        with open_book(args, cfg) as book:
            if args.template_cmd == "list":
                from wtui.core.text import json_text

                for t in book.templates().items:
                    if args.json:
                        print(json_text({"name": t.name, "for": t.match, "text": t.text, "voice": t.voice},
                                        indent=None))
                    else:
                        say(f"  {t.name:<22} for {t.match}" + ("  (+ voice script)" if t.voice else ""))
                return 0
            uid = book.find(args.customer)
            filled = book.fill_template(uid, args.name)
            phone = book.card(uid).phone
        if filled.refusals and not args.force:
            raise BadInput(f"not now: {'; '.join(filled.refusals)} (--force to fill it anyway)")
        for w in filled.warnings:
            say(f"! {w}", file=sys.stderr)
        say(wa_link(phone, filled.text) if args.link else filled.text)
        return 0

    return {"health": cmd_health, "accuracy": cmd_accuracy, "signals": cmd_signals, "audit": cmd_audit,
            "broadcast": cmd_broadcast, "spend-curve": cmd_spend_curve, "template": cmd_template}
