"""Broadcast results (issue #16): an export for broadcast is a recorded send; the statuses and replies the
webhook records afterwards give delivered / read / replied per A/B group against the playbook's targets,
and the non-responders can be sent again after the wait."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta, timezone

from tests.conftest import copy_book
from wtui import cli
from wtui.book.book import Book
from wtui.core import broadcast
from wtui.io.webhook import ingest

SENT = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


def payload(statuses=(), messages=()) -> bytes:
    """A Cloud API delivery: statuses (wa id, status, when) and messages (wa id, text, when)."""
    value = {"messaging_product": "whatsapp",
             "statuses": [{"id": f"wamid.{wa}.{i}", "status": st, "timestamp": str(int(at.timestamp())),
                           "recipient_id": wa} for i, (wa, st, at) in enumerate(statuses)],
             "messages": [{"from": wa, "id": f"wamid.in.{wa}.{i}", "timestamp": str(int(at.timestamp())),
                           "type": "text", "text": {"body": text}} for i, (wa, text, at) in enumerate(messages)]}
    return json.dumps({"object": "whatsapp_business_account",
                       "entry": [{"id": "0", "changes": [{"field": "messages", "value": value}]}]}).encode()


def test_tally_counts_each_customer_once_per_outcome():
    members = [("a", "A"), ("b", "A"), ("c", "B"), ("d", "B")]
    events = [("a", "delivered"), ("a", "read"), ("a", "in"), ("b", "failed"), ("c", "read"), ("c", "read"),
              ("d", "failed"), ("d", "delivered")]
    got = broadcast.tally(members, events)
    assert got["A"] == broadcast.Tally(sent=2, delivered=1, read=1, replied=1, failed=1)
    assert got["B"] == broadcast.Tally(sent=2, delivered=2, read=1, replied=0, failed=0)  # read implies delivered


def test_results_from_recorded_webhook_payloads(tmp_path, empty_file, cfg, capsys):
    now = [SENT]
    path = copy_book(empty_file, tmp_path / "b.db")
    phones = [f"+4915123456{i:03d}" for i in range(40)]
    with Book.open(path, cfg, clock=lambda: now[0], actor="ana") as b:
        for i, p in enumerate(phones):
            b.add_customer(p, f"C{i}", consent=i < 38)  # two never agreed to marketing: not in the send
    out = tmp_path / "send.csv"
    at = ["--db", str(path), "--now", SENT.isoformat()]
    assert cli.main([*at, "export", "--broadcast", "--split", "50", "--seed", "3", "-o", str(out)]) == 0
    said = capsys.readouterr().out
    assert "recorded as broadcast bc-" in said
    with open(out, encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    group = {r["phone"].lstrip("'"): r["group"] for r in rows}  # a spreadsheet-safe cell: '+49...
    assert len(group) == 38 and set(group.values()) == {"A", "B"}
    wa = {p: p.lstrip("+") for p in group}
    statuses, messages = [], []
    for i, p in enumerate(sorted(group)):
        if i < 37:  # one never delivered: it failed
            statuses.append((wa[p], "delivered", SENT + timedelta(minutes=2)))
        else:
            statuses.append((wa[p], "failed", SENT + timedelta(minutes=2)))
        if i < 28:
            statuses.append((wa[p], "read", SENT + timedelta(hours=1)))
        if i < 3:
            messages.append((wa[p], "quanto custa?", SENT + timedelta(hours=2)))
        if i == 3:  # a reply after the 24 h window: not this broadcast's
            messages.append((wa[p], "oi", SENT + timedelta(hours=30)))
    with Book.open(path, cfg, clock=lambda: SENT + timedelta(hours=31), actor="ana") as b:
        ingest(b, payload(statuses[:40]))
        ingest(b, payload(statuses[40:], messages))  # two deliveries, as WhatsApp sends them
    late = ["--db", str(path), "--now", (SENT + timedelta(hours=31)).isoformat()]
    assert cli.main([*late, "broadcast", "results", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["final"] is True
    assert r["total"] == {"sent": 38, "delivered": 37, "read": 28, "replied": 3, "failed": 1}
    assert sum(g["sent"] for g in r["groups"].values()) == 38 and set(r["groups"]) == {"A", "B"}
    judged = " ".join(r["judged"])
    assert "delivered 97.4%, under 98%" in judged  # 37 of 38
    assert "replied 8.1%" not in judged  # 3 of 37: over 5 %, fine
    assert "read 76%" not in judged  # 28 of 37 = 76 %: inside 70-85 %
    early = ["--db", str(path), "--now", (SENT + timedelta(hours=2)).isoformat()]
    assert cli.main([*early, "broadcast", "results"]) == 0
    said = capsys.readouterr().out
    assert "preliminary" in said and "under 98%" not in said  # judged once the window has passed
    # Re-contact the non-responders: refused before the wait, then 35 of them (3 replied).
    resend = tmp_path / "again.csv"
    assert cli.main([*late, "broadcast", "recontact", r["broadcast"], "-o", str(resend)]) == 2
    assert not resend.exists()
    later = ["--db", str(path), "--now", (SENT + timedelta(days=3, minutes=1)).isoformat()]
    assert cli.main([*later, "broadcast", "recontact", r["broadcast"], "-o", str(resend)]) == 0
    assert "wrote 34 non-responder(s)" in capsys.readouterr().out  # 38 - 3 replies - 1 who wrote after the window
    assert cli.main([*later, "broadcast", "list"]) == 0
    assert "recontact of " + r["broadcast"] in capsys.readouterr().out
    assert cli.main([*later, "broadcast", "list", "--json"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [b["name"] for b in listed][0] == "recontact of " + r["broadcast"] and listed[0]["size"] == 34
    assert cli.main([*later, "broadcast", "results", "bc-nope"]) == 2


def test_a_recontact_with_no_one_left_to_send_again_records_nothing_and_says_so(tmp_path, empty_file, cfg, capsys):
    # Found in review: it printed "recorded as broadcast " with a blank id.
    path = copy_book(empty_file, tmp_path / "b.db")
    with Book.open(path, cfg, clock=lambda: SENT, actor="ana") as b:
        uid = b.add_customer("+4915123456001", "C1", consent=True)
    at = ["--db", str(path), "--now", SENT.isoformat()]
    assert cli.main([*at, "export", "--broadcast", "-o", str(tmp_path / "send.csv")]) == 0
    bid = capsys.readouterr().out.split("recorded as broadcast ")[1].split(" ")[0]
    with Book.open(path, cfg, clock=lambda: SENT + timedelta(hours=1), actor="ana") as b:
        b.record(uid, "in", SENT + timedelta(hours=1), text="yes please")  # the one member answered
    later = ["--db", str(path), "--now", (SENT + timedelta(days=30)).isoformat()]
    assert cli.main([*later, "broadcast", "recontact", bid, "-o", str(tmp_path / "again.csv")]) == 0
    said = capsys.readouterr().out
    assert "wrote 0 non-responder(s)" in said and "no one to send again: nothing recorded" in said
