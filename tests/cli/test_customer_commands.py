"""The CLI twins of the app's actions on one customer (issue #15): each writes one batch (one undo),
says what it did, and on bad input exits 2 with a clear message and nothing written."""

from __future__ import annotations

import getpass
import json

import pytest

from tests.conftest import copy_book
from wtui import cli
from wtui.book.book import Book
from wtui.book.engine import sqlite3

LEA, LEA_NAME = "+4915123456789", "Lea Schäfer"


@pytest.fixture
def book(tmp_path, empty_file, cfg):
    """A book with a few customers, two of them with one first name."""
    path = copy_book(empty_file, tmp_path / "b.db")
    with Book.open(path, cfg, actor="ana") as b:
        b.add_customer(LEA, LEA_NAME)
        b.add_customer("+5511961676402", "Ana Souza")
        b.add_customer("+5511961676403", "Ana Lima")
        if "Stage-Quoted" not in b.tag_names():
            b.set_admins(["ana"])
            b.create_tag("Stage-Quoted", dimension="Stage")
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def ops(path) -> int:
    with sqlite3.connect(path) as c:
        return c.execute("SELECT count(*) FROM ops").fetchone()[0]


def card(path, cfg, key=LEA):
    with Book.open(path, cfg, readonly=True) as b:
        return b.card(b.find(key))


def test_contact_logs_it_with_a_note_and_undo_takes_the_batch_back(book, cfg, capsys):
    code, out, _ = run(capsys, "--db", str(book), "contact", "lea schäfer", "--note", "asked about sizes")
    assert code == 0 and "logged a contact with a note for Lea Schäfer +4915123456789" in out
    assert "wtui undo " in out
    got = card(book, cfg)
    assert got.interactions[0][1] == "out"
    code, out, _ = run(capsys, "--db", str(book), "undo")
    assert code == 0 and "took back 2 change(s)" in out
    assert [k for _, k, _ in card(book, cfg).interactions] == []


def test_set_changes_several_fields_in_one_batch_or_none_when_one_is_bad(book, cfg, capsys):
    before = ops(book)
    code, _, err = run(capsys, "--db", str(book), "set", LEA, "owner=omar", "tz=Mars/Base", "--new-owner")
    assert code == 2 and "not a time zone" in err and ops(book) == before
    code, _, err = run(capsys, "--db", str(book), "set", LEA, "shoe=42")
    assert code == 2 and "FIELD one of" in err and ops(book) == before
    code, out, _ = run(capsys, "--db", str(book), "set", LEA, "color=red:24h", "intent=high", "owner=omar",
                       "tz=Asia/Dubai", "--new-owner")
    assert code == 0 and "colour red for 24h" in out
    got = card(book, cfg)
    assert (got.color, got.intent, got.owner, got.tz) == ("red", "high", "omar", "Asia/Dubai")
    code, out, _ = run(capsys, "--db", str(book), "undo")
    assert code == 0 and card(book, cfg).owner == ""


def test_prefs_are_checked_and_kept_canonical(book, cfg, capsys):
    before = ops(book)
    code, _, err = run(capsys, "--db", str(book), "prefs", LEA, "Mon-Fri 9-25")
    assert code == 2 and "not a time of day" in err and ops(book) == before
    code, out, _ = run(capsys, "--db", str(book), "prefs", LEA, "mr. wang | prefers TEXT | mon-fri 09:00-18:00")
    assert code == 0 and "set the preference note to: mr. wang | Prefers text | Mon-Fri 9-18 for" in out


def test_prefs_through_the_night_are_stored_as_written_and_questioned(book, cfg, capsys):
    code, out, err = run(capsys, "--db", str(book), "prefs", LEA, "Mon-Fri 18-9 | Max 9/week")
    assert code == 0 and "Mon-Fri 18-9" in out
    assert "reaches into the customer's night" in err and "over 5 a week" in err
    code, _, err = run(capsys, "--db", str(book), "prefs", LEA, "Mon-Fri 9-18")
    assert code == 0 and err == ""


def test_set_confirms_a_hostile_name_made_visible_not_as_a_python_repr(book, cfg, capsys):
    code, out, _ = run(capsys, "--db", str(book), "set", LEA, "name=\x1b[31mred")
    assert code == 0 and card(book, cfg).name == "\x1b[31mred"  # stored as typed
    assert out.startswith("set name ␛[31mred for Lea Schäfer +4915123456789; one batch: wtui undo ")
    assert "\x1b" not in out and "\\x1b" not in out and "'" not in out


@pytest.mark.parametrize("argv, words", [
    (("note", LEA, "  "), "empty note"),
    (("purchase", LEA, "-5"), "is negative (a refund?)"),
    (("purchase", LEA, "lots"), "not an amount"),
    (("purchase", LEA, "10", "--currency", "XYZ"), "spend.rates.XYZ"),
    (("purchase", LEA, "10", "--at", "2026-11-20 15:30"), "offset"),
    (("purchase", LEA, "10", "--at", "2099-01-01T00:00:00Z"), "future"),
    (("purchase", LEA, "10", "--at", "1900-01-01T00:00Z"), "before 1970"),
    (("purchase", LEA, "120 EUR", "--currency", "BRL"), "is in EUR but --currency says BRL"),
    (("won", LEA, "--amount", "R$ 80", "--currency", "EUR"), "is in BRL but --currency says EUR"),
    (("purchase", LEA, "10", "--at", "1970-01-01T00:30+01:00"), "before 1970"),  # 1969 in UTC
    (("purchase", LEA, "10", "--at", "9999-12-31T23:30-01:00"), "calendar's end"),  # was a traceback
    (("lost", LEA, "--reason", " "), "why the deal was lost"),
    (("won", LEA, "--amount", "nan"), "not an amount"),
    (("quote", LEA, "--link", "javascript:alert(1)"), "link"),
    (("log", "--since", "last tuesday"), "--since 'last tuesday'"),
    (("contact", "Ana"), "fits 2 customers"),
    (("contact", "+4915100000000"), "no customer with number"),
    (("contact", "Zeynep"), "no customer named"),
    (("undo", "nosuchbatch"), "no batch nosuchbatch"),
])
def test_bad_input_is_refused_with_a_reason_and_nothing_written(book, capsys, argv, words):
    before = ops(book)
    code, _, err = run(capsys, "--db", str(book), *argv)
    assert code == 2 and words in err and "Traceback" not in err, err
    assert ops(book) == before


def test_a_purchase_in_another_currency_counts_in_the_books(book, cfg, capsys):
    code, out, _ = run(capsys, "--db", str(book), "purchase", LEA, "100", "--currency", "eur", "--product", "serum",
                       "--at", "2026-11-20T15:30:00-03:00")
    rate = cfg.spend.rates["EUR"]
    assert code == 0 and f"recorded a purchase of {100 * rate:,.2f} {cfg.spend.currency}" in out
    at, kind, text = card(book, cfg).interactions[0]
    assert (kind, text) == ("purchase", "serum (100.00 EUR)") and at.isoformat() == "2026-11-20T18:30:00+00:00"
    # The amount written with its currency, as the app's $ takes it (the CLI said "not an amount").
    code, out, _ = run(capsys, "--db", str(book), "purchase", LEA, "120 EUR")
    assert code == 0 and f"recorded a purchase of {120 * rate:,.2f} {cfg.spend.currency}" in out


def test_a_deal_won_is_a_purchase_and_an_outcome_with_the_colour_it_had(book, cfg, capsys):
    run(capsys, "--db", str(book), "set", LEA, "color=orange")
    code, out, _ = run(capsys, "--db", str(book), "won", LEA, "--amount", "250")
    assert code == 0 and "recorded a deal won (250.00" in out
    with sqlite3.connect(book) as c:
        rows = c.execute("SELECT kind, color_at, amount FROM interactions ORDER BY kind").fetchall()
    assert rows == [("purchase", None, 250.0), ("won", "orange", None)]
    code, out, _ = run(capsys, "--db", str(book), "lost", "Ana Lima", "--reason", "went with a cheaper shop")
    assert code == 0 and "deal lost" in out


def test_a_quote_with_a_link_makes_a_tracked_link_and_tags_the_stage(book, cfg, capsys, tmp_path):
    conf = tmp_path / "links.toml"
    conf.write_text('[links]\nbase_url = "https://go.example"\n')
    code, out, _ = run(capsys, "--config", str(conf), "--db", str(book), "quote", LEA, "--link",
                       "https://shop.example/q/7")
    assert code == 0 and "Stage-Quoted" in out
    link = out.strip().splitlines()[-1]
    assert link.startswith("https://go.example/l/")
    got = card(book, cfg)
    assert "Stage-Quoted" in [name for _, name, _ in got.tags]
    assert got.interactions[0][2] == f"quote sent: {link}"


def test_a_write_under_now_ahead_of_the_clock_is_refused_on_a_replica_a_dry_run_tries_it(book, cfg, capsys, tmp_path):
    # A tryout: `--now 2026-12-24 note ...` on a replica stamped an op a month ahead; every sync after was
    # refused, for good. A book of one's own may still script any day (the scripted day test does).
    from datetime import datetime, timedelta, timezone

    ahead = (datetime.now(timezone.utc) + timedelta(days=30)).isoformat()
    replica = tmp_path / "laptop.db"
    assert run(capsys, "clone", str(book), str(replica))[0] == 0
    before = ops(replica)
    code, _, err = run(capsys, "--db", str(replica), "--now", ahead, "note", LEA, "what if")
    assert code == 2 and "h ahead of this machine's clock" in err and "--dry-run tries it" in err
    assert ops(replica) == before
    code, out, _ = run(capsys, "--db", str(replica), "--now", ahead, "note", LEA, "what if", "--dry-run")
    assert code == 0 and out.startswith("dry run, nothing written") and ops(replica) == before
    past = (datetime.now(timezone.utc) - timedelta(days=2)).isoformat()  # the past is anyone's to record
    assert run(capsys, "--db", str(replica), "--now", past, "note", LEA, "back then")[0] == 0
    assert run(capsys, "--db", str(book), "--now", ahead, "note", LEA, "a day scripted")[0] == 0  # its own book
    # The demo is a copy of a template whose ops carry another id: not a replica (review: it was refused).
    assert run(capsys, "--demo", "--now", ahead, "segment", "save", "reds", "color = red")[0] == 0


def test_a_quote_with_a_link_and_no_team_server_records_the_plain_link(book, cfg, capsys):
    code, out, _ = run(capsys, "--db", str(book), "quote", LEA, "--link", "https://shop.example/q/7")
    assert code == 0 and "its link is not tracked (no team server" in out
    assert card(book, cfg).interactions[0][2] == "quote sent: https://shop.example/q/7"


def test_log_since_shows_only_the_changes_from_then(book, cfg, capsys):
    from datetime import datetime, timedelta, timezone

    later = datetime(2026, 11, 28, 12, tzinfo=timezone.utc)  # after the book's own ops (made at NOW)
    with Book.open(book, cfg, actor="ana", clock=lambda: later - timedelta(days=3)) as b:
        b.add_note(b.find(LEA), "three days ago")
    with Book.open(book, cfg, actor="ana", clock=lambda: later) as b:
        b.add_note(b.find(LEA), "just now")
    at = ("--now", later.isoformat())  # reading as of then: a read may pretend any time

    def notes(out: str) -> list[str]:
        return [line.split("note: ")[1].split("  [")[0] for line in out.splitlines() if "note: " in line]

    assert notes(run(capsys, "--db", str(book), *at, "log", LEA)[1]) == ["just now", "three days ago"]
    for since in ("24h", "2d", (later - timedelta(days=1)).isoformat()):
        code, out, _ = run(capsys, "--db", str(book), *at, "log", LEA, "--since", since)
        assert code == 0 and notes(out) == ["just now"], since
    code, out, _ = run(capsys, "--db", str(book), *at, "log", "--since", "7d", "--json")
    assert code == 0 and {"note: three days ago", "note: just now"} <= {json.loads(x)["what"] for x in out.splitlines()}


def test_tags_create_names_dimension_value_and_every_tag_change_has_a_dry_run(book, cfg, capsys):
    with Book.open(book, cfg, actor="ana") as b:
        b.set_admins(["ana", getpass.getuser()])
    before = ops(book)
    for bad in ("bad_name", "Interest-", "-Beauty", "Interest--Tea", "Spend-$200+"):
        code, _, err = run(capsys, "--db", str(book), "tags", "create", "--", bad)
        assert code == 2 and "name it Dimension-Value" in err and ops(book) == before, bad
    for argv in (("tags", "archive", "Stage-Quoted"), ("tags", "recolour", "Stage-Quoted", "#aa0000"),
                 ("tags", "describe", "Stage-Quoted", "sent a quote"), ("tags", "create", "Interest-Tea"),
                 ("segment", "save", "hot", "intent = high")):
        code, out, _ = run(capsys, "--db", str(book), *argv, "--dry-run")
        assert code == 0 and out.startswith("dry run, nothing written") and ops(book) == before, argv
    assert run(capsys, "--db", str(book), "tags", "create", "Interés-Té")[0] == 0  # any script


def test_a_tag_colour_is_a_hex_colour_on_create_and_recolour_and_nothing_else_is_stored(book, cfg, capsys):
    # `tags create --color '[bold]'` was stored, and the app's tag picker crashed on it (exit code 0).
    with Book.open(book, cfg, actor="ana") as b:
        b.set_admins(["ana", getpass.getuser()])
    before = ops(book)
    for bad in ("[bold]", "notacolour", "\x1b]52;c;SGVsbG8=\x07", "#12345"):
        for argv in (("tags", "create", "Source-Web", "--color", bad), ("tags", "recolour", "Stage-Quoted", bad)):
            code, _, err = run(capsys, "--db", str(book), *argv)
            assert code == 2 and "a colour like #3d85c6" in err and "\x1b" not in err and ops(book) == before, argv
    assert run(capsys, "--db", str(book), "tags", "create", "Source-Web", "--color", "#A0b1c2")[0] == 0


def test_a_dry_run_says_what_it_would_do_and_writes_nothing(book, capsys):
    before = ops(book)
    code, out, _ = run(capsys, "--db", str(book), "contact", LEA, "--dry-run")
    assert code == 0 and out.startswith("dry run, nothing written: logged a contact for Lea")
    assert ops(book) == before


def test_log_shows_who_what_and_the_batch_as_text_or_json(book, capsys):
    run(capsys, "--db", str(book), "note", LEA, "[bold]prefers mornings\x1b[31m")
    code, out, _ = run(capsys, "--db", str(book), "log", LEA, "--json")
    entries = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and entries[0]["what"] == "note: [bold]prefers mornings\x1b[31m" and entries[0]["batch"]
    assert entries[0]["name"] == LEA_NAME and entries[0]["phone"] == LEA
    code, out, _ = run(capsys, "--db", str(book), "log", LEA)
    assert ": note: [bold]prefers mornings␛[31m" in out and "\x1b" not in out
    code, out, _ = run(capsys, "--db", str(book), "log", "--limit", "1")
    assert f"{LEA_NAME} {LEA}: note: " in out


def test_undo_again_walks_back_one_batch_further_each_time(book, cfg, capsys):
    run(capsys, "--db", str(book), "note", LEA, "first")
    run(capsys, "--db", str(book), "note", LEA, "second")
    firsts = []
    for _ in range(3):
        code, out, err = run(capsys, "--db", str(book), "undo")
        firsts.append((code, out.split(" of batch ")[-1].split(";")[0].strip() if code == 0 else err))
    assert firsts[0][0] == firsts[1][0] == 0 and firsts[0][1] != firsts[1][1]
    assert firsts[2][0] == 2 and "no change left to undo" in firsts[2][1]
    with Book.open(book, cfg, readonly=True) as b:
        assert b.notes(b.find(LEA)) == []


def test_plain_undo_of_a_batch_with_nothing_to_take_back_names_the_change_before_it(book, cfg, capsys):
    # After `tags create`, every plain `wtui undo` said "holds nothing an undo takes back" and gave no way on;
    # going past it on its own took back an older change the rep did not mean (a second tryout).
    with Book.open(book, cfg, actor="ana") as b:
        b.set_admins(["ana", getpass.getuser()])
    run(capsys, "--db", str(book), "note", LEA, "first")
    assert run(capsys, "--db", str(book), "tags", "create", "Source-Phone")[0] == 0
    assert run(capsys, "--db", str(book), "segment", "save", "hot", "intent = high")[0] == 0
    code, out, _ = run(capsys, "--db", str(book), "undo")
    assert code == 0 and "holds nothing an undo takes back" in out
    note_batch = out.split("the change before it: wtui undo ")[1].split(" ")[0]
    with Book.open(book, cfg, readonly=True) as b:
        assert b.notes(b.find(LEA)) != [] and b.batch_said(note_batch) == "note: first"
    code, out, _ = run(capsys, "--db", str(book), "undo", note_batch)
    assert code == 0 and out.startswith("took back 1 change(s)")
    with Book.open(book, cfg, readonly=True) as b:
        assert b.notes(b.find(LEA)) == [] and "Source-Phone" in b.tag_names()  # a new tag stays


def test_plain_undo_of_a_batch_a_teammate_changed_all_of_since_names_the_change_before_it(book, cfg, capsys):
    # Found in review: it took back 0 changes and pointed nowhere, the same every time.
    with Book.open(book, cfg, actor="ana") as b:
        b.set_admins(["ana", getpass.getuser()])
        b.create_tag("Interest-Beauty")
    run(capsys, "--db", str(book), "note", LEA, "first")
    with Book.open(book, cfg, actor=getpass.getuser()) as b:  # the CLI's own rep, in a batch of its own
        b.add_tag(b.find(LEA), "Interest-Beauty")
    with Book.open(book, cfg, actor="li") as b:
        b.remove_tag(b.find(LEA), "Interest-Beauty")
    code, out, _ = run(capsys, "--db", str(book), "undo")
    assert code == 0 and "took back 0 change(s)" in out and "1 changed again since" in out
    assert "the change before it: wtui undo " in out and "(note: first)" in out
    with Book.open(book, cfg, readonly=True) as b:
        assert b.notes(b.find(LEA)) != []  # not taken back behind the rep's back


def test_plain_undo_after_a_teammate_undid_the_reps_newest_batch_names_the_change_before_it(book, cfg, capsys):
    # Found in review: every plain undo said "undone already" and never named the batch before it.
    run(capsys, "--db", str(book), "note", LEA, "first")
    run(capsys, "--db", str(book), "contact", LEA)
    with Book.open(book, cfg, actor="li") as b:
        newest = b.last_batch(getpass.getuser())
        b.undo(newest)
    code, _, err = run(capsys, "--db", str(book), "undo")
    assert code == 2 and "undone already" in err and "the change before it: wtui undo " in err
    assert "(note: first)" in err


def test_a_rename_keeps_a_colour_an_older_book_or_the_config_named(book, cfg, capsys):
    # Found in review: the rename copied 'blue' (a colour name the config may give) through the #rrggbb check.
    with Book.open(book, cfg, actor="ana") as b:
        b.set_admins(["ana", getpass.getuser()])
        b.conn.execute("UPDATE tags SET color = 'blue' WHERE name = 'Stage-Quoted'")
    code, out, err = run(capsys, "--db", str(book), "tags", "rename", "Stage-Quoted", "Stage-Offered")
    assert code == 0, err
    with Book.open(book, cfg, readonly=True) as b:
        assert next(t for t in b.tags() if t["name"] == "Stage-Offered")["color"] == "blue"


def test_tags_rename_moves_every_customer_in_one_batch_and_archives_the_old_name(book, cfg, capsys):
    with Book.open(book, cfg, actor="ana") as b:
        b.set_admins(["ana", getpass.getuser()])  # the CLI acts as the account's user
        b.create_tag("Interest-Beauty", dimension="Interest")
        for key in (LEA, "Ana Lima"):
            b.add_tag(b.find(key), "Interest-Beauty")
    code, out, _ = run(capsys, "--db", str(book), "tags", "rename", "Interest-Beauty", "Interest-Cosmetics")
    assert code == 0 and "2 customer(s)" in out
    assert "Interest-Cosmetics" in [n for _, n, _ in card(book, cfg).tags]
    with Book.open(book, cfg, readonly=True) as b:
        assert "Interest-Beauty" not in b.tag_names() and "Interest-Beauty" in b.tag_names(archived=True)
        assert b.tag_counts().get("Interest-Beauty", 0) == 0
    before = ops(book)
    for argv, words in ((("tags", "merge", "Interest-Cosmetics", "Interest-Nope"), "no tag Interest-Nope"),
                        (("tags", "recolour", "Interest-Cosmetics", "red"), "a colour like"),
                        (("tags", "rename", "Interest-Cosmetics", "Stage-Quoted"), "exists")):
        code, _, err = run(capsys, "--db", str(book), *argv)
        assert code == 2 and words in err and ops(book) == before


def test_undo_of_a_rename_brings_the_old_tag_back_unarchived_and_delete_is_one_undo(book, cfg, capsys):
    with Book.open(book, cfg, actor="ana") as b:
        b.set_admins(["ana", getpass.getuser()])
        b.create_tag("Interest-Beauty", dimension="Interest")
        b.add_tag(b.find(LEA), "Interest-Beauty")
    run(capsys, "--db", str(book), "tags", "rename", "Interest-Beauty", "Interest-Cosmetics")
    code, out, _ = run(capsys, "--db", str(book), "undo")
    assert code == 0 and "changed by someone" not in out
    with Book.open(book, cfg, readonly=True) as b:
        assert "Interest-Beauty" in b.tag_names() and b.tags_of(b.find(LEA)) == ["Interest-Beauty"]
    before = ops(book)
    code, out, _ = run(capsys, "--db", str(book), "tags", "delete", "Interest-Beauty", "--dry-run")
    assert code == 0 and "taken off 1 customer(s)" in out and ops(book) == before
    code, out, _ = run(capsys, "--db", str(book), "tags", "delete", "Interest-Beauty")
    assert code == 0 and "one batch: wtui undo " in out
    with Book.open(book, cfg, readonly=True) as b:
        assert "Interest-Beauty" not in b.tag_names() and b.tags_of(b.find(LEA)) == []
    run(capsys, "--db", str(book), "undo", out.rsplit(" ", 1)[1].strip())
    with Book.open(book, cfg, readonly=True) as b:
        assert "Interest-Beauty" in b.tag_names() and b.tags_of(b.find(LEA)) == ["Interest-Beauty"]
    code, _, err = run(capsys, "--db", str(book), "tags", "delete", "Interest-Nope")
    assert code != 0 and "unknown tag 'Interest-Nope'" in err


def test_tags_are_changed_by_admins_only(book, capsys):
    before = ops(book)
    code, _, err = run(capsys, "--db", str(book), "tags", "archive", "Stage-Quoted")
    assert code == 2 and "only admins" in err and ops(book) == before


def test_segments_are_saved_listed_and_deleted(book, capsys):
    code, out, _ = run(capsys, "--db", str(book), "segment", "save", "hot", "intent = high")
    assert code == 0 and "saved segment hot" in out
    code, _, err = run(capsys, "--db", str(book), "segment", "save", "bad", "intent = sky-high")
    assert code == 2
    assert run(capsys, "--db", str(book), "segment", "list")[1] == "hot: intent = high\n"
    assert run(capsys, "--db", str(book), "segment", "save", "hot DE", "@hot AND region = DE")[0] == 0
    code, _, err = run(capsys, "--db", str(book), "segment", "delete", "hot")  # it left @"hot DE" unreadable
    assert code == 2 and 'segment @hot is used by @hot DE' in err
    assert run(capsys, "--db", str(book), "segment", "delete", "hot DE")[0] == 0
    assert run(capsys, "--db", str(book), "segment", "delete", "hot")[0] == 0
    assert run(capsys, "--db", str(book), "segment", "list")[1] == ""
    assert run(capsys, "--db", str(book), "segment", "delete", "hot")[0] == 2


def test_export_never_writes_over_a_file_unless_told(book, capsys, tmp_path):
    # It replaced precious.csv without a word (the app asks first); "-o -" made a file named "-".
    out = tmp_path / "precious.csv"
    out.write_text("precious data\n", "utf-8")
    code, _, err = run(capsys, "--db", str(book), "export", "", "-o", str(out))
    assert code == 2 and "exists: --replace writes over it" in err
    assert out.read_text("utf-8") == "precious data\n"
    code, said, _ = run(capsys, "--db", str(book), "export", "", "-o", str(out), "--replace")
    assert code == 0 and "wrote 3 customer(s)" in said and out.read_text("utf-8-sig").startswith("name,phone")


def test_a_broadcast_leaves_out_who_has_not_consented_unless_told(book, capsys, tmp_path):
    out = tmp_path / "send.csv"
    code, said, _ = run(capsys, "--db", str(book), "export", "", "-o", str(out), "--broadcast")
    assert code == 0 and "wrote 0 customer(s)" in said and "left out 3 without marketing consent" in said
    assert "not recorded as a broadcast (no one is in it)" in said  # a tryout: a send to no one was listed
    assert run(capsys, "--db", str(book), "broadcast", "list")[1].startswith("no broadcast recorded yet")
    out.unlink()
    code, said, err = run(capsys, "--db", str(book), "export", "", "-o", str(out), "--broadcast",
                          "--include-no-consent", "--split", "10,10")
    assert code == 0 and "wrote 3 customer(s)" in said and "--include-no-consent" in said
    rows = out.read_text("utf-8-sig").splitlines()
    assert rows[0].endswith(",group")
    # The groups' sizes are said, and a test group three customers cannot fill is warned of (it was silent).
    groups = [r.rsplit(",", 1)[1] for r in rows[1:]]
    assert f"groups: A {groups.count('A')}, B {groups.count('B')}, rest {groups.count('rest')}" in said
    assert "warning: group A has no one: 3 customer(s) are too few for --split 10,10" in err
    with pytest.raises(SystemExit) as stop:
        run(capsys, "--db", str(book), "export", "", "-o", str(tmp_path / "x.csv"), "--split", "60,50")
    assert stop.value.code == 2 and "100 in all at most" in capsys.readouterr().err


def test_locate_on_a_team_server_names_the_replica_and_the_token(capsys, monkeypatch):
    monkeypatch.delenv("WTUI_TOKEN", raising=False)
    code, out, _ = run(capsys, "--remote", "https://crm.example/", "locate")
    assert code == 0 and "team server: https://crm.example\n" in out
    assert "replica: " in out and "crm.example.db" in out and "token: " in out


def test_a_complaint_opened_and_resolved_and_the_rules_tag_them(book, cfg, capsys):
    code, _, err = run(capsys, "--db", str(book), "complaint", "open", LEA, "  ")
    before = ops(book)
    assert code == 2 and "say what the complaint is about" in err
    code, _, err = run(capsys, "--db", str(book), "complaint", "resolve", LEA, "never opened")  # was recorded
    assert code == 2 and "no open complaint to resolve" in err and ops(book) == before
    code, out, _ = run(capsys, "--db", str(book), "complaint", "open", LEA, "the parcel came torn")
    assert code == 0 and "recorded a complaint for Lea Schäfer" in out and ops(book) == before + 1
    code, _, err = run(capsys, "--db", str(book), "rules", "run")  # a rep's run: the rules need new tags
    assert code != 0 and "only admins create tags" in err
    with Book.open(book, cfg, actor="ana") as b:
        b.set_admins(["ana", getpass.getuser()])  # the CLI acts as the account's user
    code, out, _ = run(capsys, "--db", str(book), "rules", "run")
    assert code == 0 and "complaint opened: 1 match, changed 1" in out
    assert card(book, cfg).tags and "Complaint-Open" in [name for _, name, _ in card(book, cfg).tags]
    code, out, _ = run(capsys, "--db", str(book), "complaint", "resolve", LEA, "--dry-run")
    assert code == 0 and out.startswith("dry run, nothing written") and ops(book) > before
    run(capsys, "--db", str(book), "complaint", "resolve", LEA, "sent a new one")
    run(capsys, "--db", str(book), "rules", "run")
    assert [name for _, name, _ in card(book, cfg).tags] == ["Complaint-Resolved"]
    assert run(capsys, "--db", str(book), "complaint", "resolve", LEA, "again")[0] == 2  # resolved already
    code, out, _ = run(capsys, "--db", str(book), "log", LEA, "--limit", "3")
    assert "complaint resolved: sent a new one" in out


def test_commands_that_print_data_speak_json(book, capsys):
    run(capsys, "--db", str(book), "segment", "save", "hot", "intent = high")
    for argv in (("segment", "list", "--json"), ("explain", LEA, "--json"), ("rules", "check", "--json"),
                 ("rules", "run", "--dry-run", "--json"), ("tags", "list", "--json"), ("log", "--json")):
        code, out, _ = run(capsys, "--db", str(book), *argv)
        assert code == 0 and out.strip(), argv
        parsed = [json.loads(line) for line in out.strip().splitlines()]
        assert all(isinstance(p, dict) for p in parsed), argv
    code, out, _ = run(capsys, "--db", str(book), "explain", LEA, "--json")
    assert json.loads(out)["phone"] == LEA and "colour" in json.loads(out)["lines"]


def test_money_goes_into_a_book_in_its_own_currency_only(book, cfg, capsys, tmp_path):
    """Found by an audit: a rep's own config with spend.currency = EUR recorded '100.00 EUR' into a USD
    book, its amounts then added up with the dollars, unlabelled. The book keeps its currency from the day
    it was made; money in under another config is refused, nothing written."""
    with Book.open(book, cfg, readonly=True) as b:
        assert b.setting("currency") == cfg.spend.currency == "USD"
    conf = tmp_path / "eur.toml"
    conf.write_text('[spend]\ncurrency = "EUR"\n', "utf-8")
    before = ops(book)
    for argv in (("purchase", LEA, "100"), ("won", LEA, "--amount", "50")):
        code, _, err = run(capsys, "--config", str(conf), "--db", str(book), *argv)
        assert code == 2 and "this book counts money in USD, and the config says spend.currency = EUR" in err
    assert ops(book) == before
    code, out, _ = run(capsys, "--config", str(conf), "--db", str(book), "note", LEA, "no money: fine")
    assert code == 0


def test_set_confirms_a_name_with_a_newline_on_one_line(book, cfg, capsys):
    """Found in review: say() split the confirmation at the newline, printing a forged line of its own."""
    code, out, _ = run(capsys, "--db", str(book), "set", LEA, "name=Bob\nwtui: fake line")
    assert code == 0 and card(book, cfg).name == "Bob\nwtui: fake line"
    assert len(out.splitlines()) == 1 and not any(line.startswith("wtui: fake") for line in out.splitlines())


def test_log_with_nothing_to_show_says_so_and_json_stays_empty(book, capsys):
    """Found trying the CLI: `wtui log CUSTOMER` with no changes printed nothing at all."""
    later = ("--now", "2031-01-01T00:00:00+00:00")  # the fixture's book was made now: a year on, nothing new
    code, out, _ = run(capsys, "--db", str(book), *later, "log", LEA, "--since", "1h")
    assert code == 0 and out.strip() == f"no changes to {LEA} since 1h in the log"
    code, out, _ = run(capsys, "--db", str(book), *later, "log", LEA, "--since", "1h", "--json")
    assert code == 0 and out == ""


def test_set_owner_refuses_a_rep_the_book_does_not_know_unless_asked(book, cfg, capsys):
    """Found trying the CLI: owner=anna (for ana) took the customer out of every rep's queue, exit 0."""
    with Book.open(book, cfg, actor="ana") as b:
        b.set_field(b.find(LEA), "owner", "ana")
    code, _, err = run(capsys, "--db", str(book), "set", LEA, "owner=anna")
    assert code == 2 and "no rep of that name" in err and "did you mean ana?" in err and "--new-owner" in err
    assert card(book, cfg).owner == "ana"  # nothing written
    code, _, _ = run(capsys, "--db", str(book), "set", LEA, "owner=bruno", "--new-owner")
    assert code == 0 and card(book, cfg).owner == "bruno"
    code, _, _ = run(capsys, "--db", str(book), "set", LEA, "owner=ana")  # a rep the book knows
    assert code == 0 and card(book, cfg).owner == "ana"


def test_rezone_gives_customers_the_zone_their_number_gives_now_and_leaves_hand_set_ones(empty_book, cfg, capsys):
    # Books made before [zones] hold a Moscow mobile in Asia/Almaty and Indians in Asia/Calcutta.
    from wtui.book.book import Book

    with Book.open(empty_book, cfg, actor="ana") as book:
        masha = book.add_customer("+79161234567", "Masha", tz="Asia/Almaty")  # as the old rule chose
        priya = book.add_customer("+919876543210", "Priya", tz="Asia/Calcutta")
        oleg = book.add_customer("+79161234568", "Oleg", tz="Asia/Almaty")
        book.set_field(oleg, "tz_override", "Asia/Novosibirsk")  # set by hand: stays, and so does what it covers
        ivan = book.add_customer("+79161234569", "Ivan", tz="Europe/Berlin")  # not from his number: an import's
        before = ops(empty_book)
    code, out, _ = run(capsys, "--db", str(empty_book), "rezone", "--dry-run")
    assert code == 0 and "would get a new zone (dry run)" in out and ops(empty_book) == before
    code, out, _ = run(capsys, "--db", str(empty_book), "rezone")
    assert code == 0 and "Asia/Almaty -> Europe/Moscow" in out and "Asia/Calcutta -> Asia/Kolkata" in out
    with Book.open(empty_book, cfg, actor="ana") as book:
        zones = dict(book.conn.execute("SELECT uid, coalesce(tz_override, tz) FROM customers"))
    assert zones == {masha: "Europe/Moscow", priya: "Asia/Kolkata", oleg: "Asia/Novosibirsk", ivan: "Europe/Berlin"}
    code, out, _ = run(capsys, "--db", str(empty_book), "rezone")
    assert code == 0 and "nothing to change" in out
