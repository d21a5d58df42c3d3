"""The CLI twins of the app's actions on a customer (issue #15): contact, note, prefs, set, purchase,
quote, won, lost; and the change log and undo. CUSTOMER is an E.164 number (any typed form), a uid,
or a name only one customer has.

Each writing command is one batch (one ``wtui undo``), says what it did and the batch id, and with
``--dry-run`` runs the very same writes inside ``Book.rehearsal()``, rolled back.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import sys
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from wtui.errors import BadInput, NotFound

CUSTOMER = "an E.164 number (any typed form), a uid, or a name only one customer has"
SETTABLE = ("color", "intent", "owner", "tz", "name", "language")


def add_parsers(sub) -> None:
    def customer_command(name: str, help: str, *, dry: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help)
        p.add_argument("customer", help=CUSTOMER)
        if dry:
            p.add_argument("--dry-run", action="store_true", help="say what would change, change nothing")
        return p

    c = customer_command("contact", "log that you reached a customer (their next due time moves by the cadence)")
    c.add_argument("--note", help="what was said (kept as a note)")
    n = customer_command("note", "add a note to a customer")
    n.add_argument("text")
    p = customer_command("prefs", "set a customer's preference note ('Mr. Wang | Prefers text | Mon-Fri 9-18 | "
                                  "Max 2/week'; '' clears it)")
    p.add_argument("note")
    s = customer_command("set", "set fields: color=red:24h intent=high owner=ana tz=Asia/Dubai name=... "
                                "language=pt (color=auto / intent=auto go back to automatic)")
    s.add_argument("assignments", nargs="+", metavar="FIELD=VALUE")
    s.add_argument("--new-owner", action="store_true",
                   help="owner= may name a rep the book does not know yet (else refused: a typo would take the "
                        "customer out of every rep's queue)")
    pu = customer_command("purchase", "record a purchase (in the book's currency unless --currency)")
    pu.add_argument("amount", help="like 120 or 120.50")
    pu.add_argument("--currency", help="three letters, converted by spend.rates (default: spend.currency)")
    pu.add_argument("--product", help="what was bought")
    pu.add_argument("--at", help="when (ISO 8601, like 2026-11-20T15:30:00-03:00; default: now)")
    q = customer_command("quote", "record a quote sent (a contact, and the Stage-Quoted tag when the book has it)")
    q.add_argument("--link", metavar="URL", help="the quote's address: a tracked quote link is made for it")
    w = customer_command("won", "record a deal won (a purchase, with --amount when known)")
    w.add_argument("--amount", help="what it was worth")
    w.add_argument("--currency", help="three letters (default: spend.currency)")
    lo = customer_command("lost", "record a deal lost, and why")
    lo.add_argument("--reason", required=True, help="why it was lost, in a few words")
    cp = sub.add_parser("complaint", help="record a complaint, or that it was resolved (event rules tag them)")
    cps = cp.add_subparsers(dest="complaint_action", metavar="ACTION", required=True)
    for name, what in (("open", "what the customer complains of"), ("resolve", "how it was resolved (optional)")):
        x = cps.add_parser(name, help=f"a complaint {'opened' if name == 'open' else 'resolved'}")
        x.add_argument("customer", help=CUSTOMER)
        x.add_argument("text", nargs="?" if name == "resolve" else None, default="", help=what)
        x.add_argument("--dry-run", action="store_true", help="say what would change, change nothing")
    lg = sub.add_parser("log", help="the change log: who changed what, when and why (newest first)")
    lg.add_argument("customer", nargs="?", help=CUSTOMER + " (default: the whole book)")
    lg.add_argument("--limit", type=int, default=50, help="at most this many entries (default 50)")
    lg.add_argument("--since", help="only changes since then: an ISO time (2026-11-20, 2026-11-20T08:00Z) or a span "
                                    "back from now (24h, 7d)")
    lg.add_argument("--json", action="store_true", help="JSON, one object a line")
    t = sub.add_parser("tags", help="the book's tags: list them; admins create, recolour, describe, archive, "
                                    "merge, rename and delete them")
    ts = t.add_subparsers(dest="tags_action", metavar="ACTION", required=True)
    tl = ts.add_parser("list", help="every tag with its dimension, colour and how many customers have it")
    tl.add_argument("--archived", action="store_true", help="archived tags too")
    tl.add_argument("--json", action="store_true", help="JSON, one object a line")
    tc = ts.add_parser("create", help="a new tag, Dimension-Value")
    tc.add_argument("name")
    tc.add_argument("--dimension")
    tc.add_argument("--color", help="#rrggbb (default: the dimension's)")
    tc.add_argument("--description", default="")
    changes = []
    for name, what in (("recolour", "a tag's colour"), ("describe", "a tag's description")):
        changes.append(ts.add_parser(name, help=f"change {what}"))
        changes[-1].add_argument("name")
        changes[-1].add_argument("value")
    archives = []
    for name, what in (("archive", "hide a tag from pickers (customers keep it; queries may still name it)"),
                       ("unarchive", "bring an archived tag back")):
        archives.append(ts.add_parser(name, help=what))
        archives[-1].add_argument("name")
    tm = ts.add_parser("merge", help="move every customer's FROM to INTO and archive FROM (one batch, one undo)")
    tm.add_argument("source", metavar="FROM")
    tm.add_argument("into", metavar="INTO")
    tr = ts.add_parser("rename", help="a merge into a new name (made like the old tag)")
    tr.add_argument("source", metavar="OLD")
    tr.add_argument("into", metavar="NEW")
    td = ts.add_parser("delete", help="take a tag off every customer and archive it (one batch, one undo)")
    td.add_argument("name")
    for x in (tc, tm, tr, td, *changes, *archives):
        x.add_argument("--dry-run", action="store_true", help="say what would change, change nothing")
    sg = sub.add_parser("segment", help="saved queries: list, save, delete")
    ss = sg.add_subparsers(dest="segment_action", metavar="ACTION", required=True)
    ss.add_parser("list", help="every saved segment and its query").add_argument(
        "--json", action="store_true", help="JSON, one object a line")
    sv = ss.add_parser("save", help="name a query (docs/QUERIES.md)")
    sv.add_argument("name", help="one word: a query names it @name")
    sv.add_argument("query")
    sd = ss.add_parser("delete", help="forget a segment")
    sd.add_argument("name")
    for x in (sv, sd):
        x.add_argument("--dry-run", action="store_true", help="say what would change, change nothing")
    rz = sub.add_parser("rezone", help="give customers the zone their number gives now (a country's main zone "
                        "from [zones]), where theirs came from their number by an older rule; a zone set by hand "
                        "stays")
    rz.add_argument("--dry-run", action="store_true", help="say what would change, change nothing")
    rz.add_argument("--json", action="store_true", help="each change as a JSON object")
    u = sub.add_parser("undo", help="take back a batch (the id every writing command prints); default: your last")
    u.add_argument("batch", nargs="?", help="a batch id (wtui log shows them)")
    u.add_argument("--dry-run", action="store_true", help="say what would be taken back, change nothing")


def commands(open_book: Callable, link_base: Callable, say: Callable) -> dict[str, Callable]:
    """The handlers, given the CLI's own ``open_book``, ``link_base`` and ``say``."""

    def written(args, cfg, verb: str, act: Callable) -> int:
        """Run ``act(book, uid) -> words`` as one batch (or a rehearsal), then say what it did."""
        from wtui.core.text import visible

        with open_book(args, cfg) as book:
            uid = book.find(args.customer)
            card = book.card(uid)
            who = f"{visible(card.name) or '(no name)'} {card.phone}"
            if args.dry_run:
                with book.rehearsal():
                    words = act(book, uid)
                say(f"dry run, nothing written: {words} for {who}")
                return 0
            with book.batch(f"wtui {verb}") as batch:
                words = act(book, uid)
            say(f"{words} for {who}; one batch: wtui undo {batch}")
        return 0

    def cmd_contact(args, cfg) -> int:
        def act(book, uid):
            book.log_contact(uid, args.note or "")
            if args.note:
                book.add_note(uid, args.note)
            return "logged a contact" + (" with a note" if args.note else "")
        return written(args, cfg, "contact", act)

    def cmd_note(args, cfg) -> int:
        if not args.text.strip():
            raise BadInput("an empty note: nothing written")

        def act(book, uid):
            book.add_note(uid, args.text)
            return "added a note"
        return written(args, cfg, "note", act)

    def cmd_prefs(args, cfg) -> int:
        def act(book, uid):
            from wtui.core.text import visible

            canonical = book.set_preference(uid, args.note)
            # Made visible, not a Python repr (a note is one line: parse_note refuses a newline)
            return f"set the preference note to: {visible(canonical)}" if canonical else "cleared the preference note"

        done = written(args, cfg, "prefs", act)
        if done == 0 and args.note.strip():
            from wtui.core.prefs import doubts, parse_note

            for doubt in doubts(parse_note(args.note), cfg):
                say(f"note: {doubt}", file=sys.stderr)
        return done

    def cmd_set(args, cfg) -> int:
        changes = [_assignment(text) for text in args.assignments]

        def act(book, uid):
            done = []
            for field, value in changes:
                if field == "owner" and value and not args.new_owner:
                    _known_rep(book, value)
                done.append(_apply_set(book, uid, field, value))
            return "set " + ", ".join(done)
        return written(args, cfg, "set", act)

    def cmd_purchase(args, cfg) -> int:
        from wtui.core import money
        from wtui.core.facts import PURCHASE

        booked, amount, currency = money.amount_paid(args.amount, args.currency or "", cfg.spend)  # "120 EUR" too
        at = _instant(args.at) if args.at else None
        text = money.paid(args.product or "", amount, currency, cfg.spend)

        def act(book, uid):
            if at is not None and at > book.now() + timedelta(hours=1):
                raise BadInput(f"--at {args.at}: that is in the future")
            book.record(uid, PURCHASE, at, text=text, amount=booked, reason="a purchase", product=args.product or "")
            return f"recorded a purchase of {booked:,.2f} {cfg.spend.currency}"
        return written(args, cfg, "purchase", act)

    def cmd_quote(args, cfg) -> int:
        from wtui.core import links

        if args.link:
            links.check_url(args.link)
        # No team server to answer a tracked link: the quote goes down with its own address.
        base = link_base(args, cfg, required=False) if args.link else ""
        made: list[str] = []

        def act(book, uid):
            text = "quote sent"
            if args.link and base:
                made.append(links.short_url(base, book.create_link(uid, args.link, "quote")))
                text += f": {made[-1]}"
            elif args.link:
                text += f": {args.link}"
            book.log_contact(uid, text, reason="a quote")
            tagged = "Stage-Quoted" in book.tag_names()
            if tagged:
                book.add_tag(uid, "Stage-Quoted", reason="a quote")
            return "recorded a quote" + (" (Stage-Quoted)" if tagged else "") + (
                "; its link is not tracked (no team server: --remote URL or links.base_url)"
                if args.link and not base else "")
        code = written(args, cfg, "quote", act)
        if made and not args.dry_run:
            print(made[-1])
        return code

    def cmd_won(args, cfg) -> int:
        from wtui.core import money
        booked = money.amount_paid(args.amount, args.currency or "", cfg.spend)[0] if args.amount else 0.0

        def act(book, uid):
            book.deal_won(uid, booked)
            return "recorded a deal won" + (f" ({booked:,.2f} {cfg.spend.currency})" if booked else "")
        return written(args, cfg, "won", act)

    def cmd_lost(args, cfg) -> int:
        def act(book, uid):
            book.deal_lost(uid, args.reason)
            return "recorded a deal lost"
        return written(args, cfg, "lost", act)

    def cmd_complaint(args, cfg) -> int:
        from wtui.core.facts import COMPLAINT, RESOLVED

        opening = args.complaint_action == "open"
        if opening and not args.text.strip():
            raise BadInput("say what the complaint is about, in a few words")

        def act(book, uid):
            if not opening and not book.complaint_open(uid):  # else the rules would tag them Complaint-Resolved
                raise BadInput("no open complaint to resolve for this customer (`wtui complaint open CUSTOMER "
                               "WORDS` records one)")
            book.record(uid, COMPLAINT if opening else RESOLVED, text=args.text.strip(),
                        reason="a complaint" if opening else "a complaint resolved")
            return "recorded a complaint" if opening else "recorded the complaint resolved"
        return written(args, cfg, "complaint", act)

    def cmd_log(args, cfg) -> int:
        from wtui.core.changes import describe
        from wtui.core.text import json_text

        if not 0 < args.limit <= cfg.limits.make_book_customers:
            raise BadInput(f"--limit {args.limit}: from 1 to {cfg.limits.make_book_customers:,}")
        since = _since(args.since) if args.since else None
        with open_book(args, cfg) as book:
            uid = book.find(args.customer) if args.customer else None
            entries = book.change_log(uid, limit=args.limit, since=since(book.now()) if since else None)
            whose = [_customer_of(e.payload) for e in entries]
            contacts = book.contacts({u for u in whose if u})
            through = book.compacted_through()
        for e, customer in zip(entries, whose, strict=True):
            name, phone = contacts.get(customer, ("", ""))
            if args.json:
                print(json_text({"at": e.at.isoformat(), "actor": e.actor, "customer": customer, "name": name,
                                 "phone": phone, "kind": e.kind, "what": describe(e.kind, e.payload),
                                 "reason": e.reason, "batch": e.batch}, indent=None))
            else:
                who = f"{name or '(no name)'} {phone}: " if phone and not args.customer else ""
                say(f"{e.at:%Y-%m-%d %H:%M}Z  {e.actor}: {who}{describe(e.kind, e.payload)}"
                    + (f"  ({e.reason})" if e.reason else "") + (f"  [{e.batch}]" if e.batch else ""))
        if not entries and not args.json:  # (--json writes one line a change: none is no line)
            say("no changes" + (f" to {args.customer}" if args.customer else "")
                + (f" since {args.since}" if args.since else "") + " in the log")
        if through and not args.json and len(entries) < args.limit:  # the log ends here, not at the limit
            say(f"(changes up to {through:%Y-%m-%d %H:%M}Z were compacted out of the log: wtui compact)")
        return 0

    def cmd_rezone(args, cfg) -> int:
        import json
        from collections import Counter

        from wtui.core.text import visible

        with open_book(args, cfg) as book:
            if args.dry_run:
                with book.rehearsal():
                    changes = book.rezone()
                batch = ""
            else:
                with book.batch("rezone") as batch:
                    changes = book.rezone()
        if args.json:
            for uid, name, was, now in changes:
                say(json.dumps({"uid": uid, "name": name, "was": was, "now": now}, ensure_ascii=False))
            return 0
        if not changes:
            say("every customer's zone is the one their number gives (or one set by hand): nothing to change")
            return 0
        for (was, now), n in sorted(Counter((w, n) for _, _, w, n in changes).items(), key=lambda x: -x[1]):
            say(f"{n:,} customer(s): {visible(was)} -> {visible(now)}")
        say(f"{len(changes):,} customer(s) " + ("would get a new zone (dry run)" if args.dry_run
                                                 else f"rezoned; one batch: wtui undo {batch}"))
        return 0

    def cmd_undo(args, cfg) -> int:
        from wtui.core.text import visible

        with open_book(args, cfg) as book:
            batch, done, skipped = _undo_one(args, book)
            # A plain undo never goes past the rep's newest batch on its own (they meant that one): when it takes
            # nothing back, the one before it is named, to take back by its id.
            earlier = _before(book, batch) if not done and not args.batch else ""
            what = visible(book.batch_said(batch)) or "a change"
        if args.dry_run:
            kept = f"; {skipped} changed again since (by you or a teammate) would stay" if skipped else ""
            say(f"would take back {done} change(s) of batch {batch}{kept} (dry run)")
            return 0
        if not done and not skipped:
            say(f"batch {batch} ({what}) holds nothing an undo takes back: new customers, tags, segments and "
                f"settings stay{earlier}")
            return 0
        say(f"took back {done} change(s) of batch {batch}"
            + (f"; {skipped} changed again since (by you or a teammate) stayed as they are" if skipped else "")
            + (earlier if not done else ""))
        return 0

    def _undo_one(args, book) -> tuple[str, int, int]:
        """Undo ``args.batch``, else this rep's newest batch: (batch, taken back, kept as changed since)."""
        batch = args.batch or book.last_batch()
        if batch is None:
            through = book.compacted_through()
            raise BadInput(f"{book.actor} has no change left to undo in this book"
                           + (f" (changes up to {through:%Y-%m-%d %H:%M}Z were compacted out of the log)"
                              if through else ""))
        if not book.has_batch(batch):
            through = book.compacted_through()
            raise BadInput(f"no batch {batch} in this book (wtui log shows each change's batch)"
                           + (f"; changes up to {through:%Y-%m-%d %H:%M}Z were compacted out of the log and "
                              "can no longer be undone" if through else ""))
        why = f"undo: batch {batch}"  # so the next plain `wtui undo` goes one further back
        try:
            with book.rehearsal() if args.dry_run else contextlib.nullcontext():
                done, skipped = book.undo(batch, why)
        except NotFound as exc:  # a teammate undid the rep's newest batch: name the one before, as above
            earlier = "" if args.batch else _before(book, batch)
            if not earlier:
                raise
            raise NotFound(f"{exc}{earlier}") from None
        return batch, done, skipped

    def _before(book, batch: str) -> str:
        """'; the change before it: wtui undo ID (what it did)', or '' when there is none."""
        from wtui.core.text import visible

        before = book.last_batch(skip=[batch], undoable=True)
        return f"; the change before it: wtui undo {before} ({visible(book.batch_said(before))})" if before else ""

    def cmd_tags(args, cfg) -> int:
        from wtui.core.text import json_text

        with open_book(args, cfg) as book:
            act = args.tags_action
            if act == "list":
                counts = book.tag_counts()
                tags = [{**t, "customers": counts.get(t["name"], 0)} for t in book.tags()
                        if args.archived or not t["archived"]]
                for t in tags:
                    if args.json:
                        print(json_text(t, indent=None))
                    else:
                        say(f"{t['name']:<28} {t.get('dimension') or '':<12} {t.get('color') or '':<8} "
                            f"{t.get('customers', 0) or 0:>7,}" + ("  (archived)" if t.get("archived") else ""))
                return 0
            if args.dry_run:
                with book.rehearsal():
                    words = _tag_change(book, args)
                say(f"dry run, nothing written: {words}")
                return 0
            say(_tag_change(book, args))
            if act in ("merge", "rename", "delete"):
                say(f"one batch: wtui undo {book.last_batch()}")
        return 0

    def cmd_segment(args, cfg) -> int:
        with open_book(args, cfg) as book:
            act = args.segment_action
            if act == "list":
                from wtui.core.text import json_text

                for name, expr in book.segments():
                    if args.json:
                        print(json_text({"name": name, "query": expr}, indent=None))
                    else:
                        say(f"{name}: {expr}")
                return 0
            known = dict(book.segments())
            if act == "delete" and args.name not in known:
                raise BadInput(f"no segment {args.name!r} (wtui segment list)")
            with (book.rehearsal() if args.dry_run else book.batch(f"wtui segment {act}")):
                book.save_segment(args.name, "" if act == "delete" else args.query)
            words = (f"deleted segment {args.name}" if act == "delete" else
                     f"{'replaced' if args.name in known else 'saved'} segment {args.name}: {args.query}")
            say(f"dry run, nothing written: {words}" if args.dry_run else words)
        return 0

    return {"tags": cmd_tags, "segment": cmd_segment, "contact": cmd_contact, "note": cmd_note, "prefs": cmd_prefs,
            "set": cmd_set, "purchase": cmd_purchase, "quote": cmd_quote, "won": cmd_won, "lost": cmd_lost,
            "complaint": cmd_complaint,
            "log": cmd_log, "undo": cmd_undo, "rezone": cmd_rezone}


def _tag_change(book, args) -> str:
    act = args.tags_action
    if act == "create":
        book.create_tag(args.name, dimension=args.dimension or "", color=args.color or "",
                        description=args.description)
        return f"created tag {args.name}"
    if act == "recolour":
        book.set_tag(args.name, color=args.value)
        return f"tag {args.name} is now {args.value}"
    if act == "describe":
        book.set_tag(args.name, description=args.value)
        return f"described tag {args.name}"
    if act in ("archive", "unarchive"):
        book.set_tag(args.name, archived=act == "archive")
        return f"{act}d tag {args.name}"
    if act == "delete":
        gone = book.delete_tag(args.name)
        return f"deleted tag {args.name}: taken off {gone:,} customer(s) and archived"
    if act == "rename" and args.into.lower() in (n.lower() for n in book.tag_names(archived=True)):
        raise BadInput(f"tag {args.into} exists: `wtui tags merge {args.source} {args.into}` moves customers into it")
    if act == "merge" and args.into.lower() not in (n.lower() for n in book.tag_names(archived=True)):
        raise BadInput(f"no tag {args.into}: `wtui tags rename {args.source} {args.into}` makes it")
    moved = book.merge_tag(args.source, args.into)
    return f"{'renamed' if act == 'rename' else 'merged'} {args.source} into {args.into}: {moved:,} customer(s)"


def _customer_of(payload: dict) -> str:
    """The customer an op is about (its uid), if one."""
    value = payload.get("customer") or payload.get("uid")
    return value if isinstance(value, str) else ""


def _assignment(text: str) -> tuple[str, str]:
    field, eq, value = text.partition("=")
    field = field.strip().lower().replace("colour", "color")
    if not eq or field not in SETTABLE:
        raise BadInput(f"{text!r}: write FIELD=VALUE, FIELD one of {', '.join(SETTABLE)}")
    return field, value.strip()


def _known_rep(book, name: str) -> None:
    """An owner the book has never seen is most often a typo, and it takes the customer out of every
    rep's "my queue" (they are no longer unassigned either): refused unless --new-owner says it is meant."""
    import difflib

    from wtui.core.text import visible

    reps = book.reps()
    if name in reps:
        return
    close = difflib.get_close_matches(name, sorted(reps), n=1)
    raise BadInput(f"owner={visible(name)}: no rep of that name in this book"
                   + (f" (did you mean {close[0]}?)" if close else "")
                   + "; for a rep new to the book, add --new-owner")


def _apply_set(book, uid: str, field: str, value: str) -> str:
    from wtui.core.durations import parse_span

    if field == "color":
        color, _, span = value.partition(":")
        if color in ("auto", ""):
            book.set_color(uid, "")
            return "colour automatic"
        until = None
        if span:
            try:
                length = parse_span(span)
            except ValueError as exc:
                raise BadInput(f"color={value}: {exc} (like red:24h or red:2d)") from None
            if length <= timedelta(0):
                raise BadInput(f"color={value}: a colour set for no time at all (like red:24h)")
            until = book.now() + length
        book.set_color(uid, color, until)
        return f"colour {color}" + (f" for {span}" if span else "")
    if field == "intent":
        book.set_intent(uid, "" if value == "auto" else value)
        return f"intent {value}"
    if field == "tz":
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise BadInput(f"tz={value}: not a time zone (like Asia/Dubai)") from None
        book.set_field(uid, "tz_override", value)
        return f"time zone {value}"
    if field == "name" and not value:
        raise BadInput("name=: a customer's name cannot be made empty")
    if field == "language" and not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?", value):
        raise BadInput(f"language={value}: a language code like pt, es or zh-Hant")
    book.set_field(uid, field, value)
    from wtui.core.text import visible

    # Made visible here, not as a repr: say() shows controls but keeps a newline (a forged second line).
    return f"{field} {visible(value)}" if value else f"{field} cleared"


def _since(text: str) -> Callable[[datetime], datetime]:
    """--since: an ISO date or time (a date is its midnight UTC), or a span back from now ('24h', '7d')."""
    from wtui.core.durations import parse_span

    try:
        span = parse_span(text, default_unit="d")
    except ValueError:
        span = None
    if span:
        return lambda now: now - span
    try:
        at = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"--since {text!r}: a time like 2026-11-20 or 2026-11-20T08:00Z, or a span like 24h or "
                       "7d") from None
    at = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
    return lambda now: at.astimezone(timezone.utc)


def _instant(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"--at {text!r}: a time like 2026-11-20T15:30:00-03:00") from None
    if at.tzinfo is None:
        raise BadInput(f"--at {text!r}: say the offset (like -03:00 or Z): a time without one is ambiguous")
    from wtui.io.orders_import import EARLIEST_YEAR

    try:
        at = at.astimezone(timezone.utc)
    except OverflowError:  # the calendar's last hour, moved past it by its offset
        raise BadInput(f"--at {text!r}: past the calendar's end") from None
    if at.year < EARLIEST_YEAR:  # as an orders file's: a typo, or a spreadsheet's zero date
        raise BadInput(f"--at {text!r}: before {EARLIEST_YEAR}, not a purchase's time")
    return at
