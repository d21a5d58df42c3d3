"""The wtui command, run as a user runs it: a real process, real files."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import copy_book
from wtui import cli
from wtui.book.engine import sqlite3
from wtui.core import config

NOW = "2026-11-23T12:00:00Z"
RANK = {"red": 0, "orange": 1, "yellow": 2, "green": 3, "gray": 4}


def wtui(*args, env=None, check=True):
    e = dict(os.environ, **(env or {}))
    p = subprocess.run([sys.executable, "-m", "wtui", *args], capture_output=True, text=True, env=e, timeout=120)
    if check and p.returncode != 0:
        raise AssertionError(f"wtui {' '.join(args)} exited {p.returncode}: {p.stderr}")
    return p


@pytest.fixture(scope="module")
def book_path(tmp_path_factory, demo_file):
    """The 300-customer demo book made at NOW (what `wtui --now NOW make-book --customers 300 --seed 7` writes)."""
    return copy_book(demo_file, tmp_path_factory.mktemp("cli") / "book.db")


@pytest.fixture(scope="module")
def demo_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def _one_demo_cache(_isolated_home, demo_cache, monkeypatch):
    """--demo's template is made once for these tests, as a rep's cache keeps it from run to run."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(demo_cache))


def test_demo_queue_lists_red_then_orange_then_yellow_with_reason_due_and_local_time():
    out = wtui("--demo", "queue", "--limit", "20").stdout.splitlines()
    assert out[0].startswith("Today: ")
    rows = [line for line in out[1:] if line[:1] in "!^~+."]
    assert len(rows) == 20
    ranks = [RANK[line[2:8].strip()] for line in rows if line[1] != "*"]  # '*' marks a priority tag
    assert ranks == sorted(ranks) and ranks[0] == RANK["red"]
    for line in rows:
        assert "overdue" in line or "(in " in line or ":" in line  # due
        assert any(state in line for state in ("in window", "quiet until", "closed until", "worst until"))


def test_queue_json_has_the_promised_fields_in_queue_order(book_path):
    items = json.loads(wtui("--db", str(book_path), "--now", NOW, "queue", "--limit", "1000", "--json").stdout)
    assert 100 < len(items) < 300  # everyone due today, not the whole book
    for key in ("name", "phone", "color", "due", "local_time", "in_window", "reason", "tags"):
        assert all(key in item for item in items)
    plain = [i for i in items if not i["priority"]]
    ranks = [RANK[i["color"]] for i in plain]
    assert ranks == sorted(ranks)
    for a, b in itertools.pairwise(plain):
        if a["color"] == b["color"]:
            assert a["due"] <= b["due"]
    assert items[0]["priority"] or items[0]["color"] == "red"


def test_queue_limit_is_respected(book_path):
    items = json.loads(wtui("--db", str(book_path), "--now", NOW, "queue", "--limit", "5", "--json").stdout)
    assert len(items) == 5


def test_hostile_names_print_as_visible_marks(tmp_path):
    from wtui.book.book import Book
    from wtui.core import config

    path = tmp_path / "b.db"
    with Book.create(path, config.load(layers=[])) as b:
        uid = b.add_customer("+4915123456789", "[bold]Ali\x1b[31m\u202eevil")
        b.record(uid, "in", b.now() - timedelta(hours=3), text="how much?")  # overdue whatever the hour
    out = wtui("--db", str(path), "queue").stdout
    assert "[bold]Ali␛[31m<RLO>ev" in out  # cut to the name column
    assert "\x1b" not in out and "\u202e" not in out


def test_version():
    from wtui import __version__

    assert wtui("--version").stdout.strip() == f"wtui {__version__}"


def test_a_missing_book_is_a_clear_error_with_exit_2(tmp_path):
    p = wtui("--db", str(tmp_path / "nope.db"), "queue", check=False)
    assert p.returncode == 2
    assert "no such book" in p.stderr and "Traceback" not in p.stderr


def test_a_bad_config_names_file_key_and_reason(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[colors.rules]\nread_no_reply_hours = -2\n")
    p = wtui("--config", str(bad), "--demo", "queue", check=False)
    assert p.returncode == 2
    assert f"{bad}: colors.rules.read_no_reply_hours: must not be negative" in p.stderr


def test_config_from_the_environment_is_read(tmp_path, book_path):
    conf = tmp_path / "env.toml"
    conf.write_text("[queue]\nlimit = 3\n")
    p = wtui("--db", str(book_path), "--now", NOW, "queue", "--json", env={"WTUI_CONFIG": str(conf)})
    items = json.loads(p.stdout)
    assert len(items) == 3


def test_demo_mode_never_touches_the_users_book(tmp_path):
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "HOME": str(tmp_path)}
    wtui("--demo", "queue", "--limit", "1", env=env)
    assert not (tmp_path / "data").exists()


def test_make_book_refuses_to_overwrite(tmp_path):
    target = tmp_path / "mine.db"
    target.write_text("precious")
    p = wtui("make-book", "--customers", "3", "-o", str(target), check=False)
    assert p.returncode == 2 and "already exists" in p.stderr
    assert target.read_text() == "precious"


def test_locate_prints_each_path_and_whether_it_exists(tmp_path):
    out = wtui("locate", env={"XDG_CONFIG_HOME": str(tmp_path)}).stdout
    assert f"{tmp_path}/wtui/config.toml  [absent]" in out
    assert "journal mode" in out


def test_the_queue_command_does_not_import_textual_httpx_or_sqlite_utils(book_path):
    code = (
        "import sys, runpy; sys.argv = ['wtui', '--db', %r, 'queue', '--limit', '3'];\n"
        "try:\n    runpy.run_module('wtui', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "heavy = sorted(m for m in ('textual', 'httpx', 'sqlite_utils', 'arrow') if m in sys.modules)\n"
        "print('HEAVY=' + ','.join(heavy))" % str(book_path)
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "HEAVY=\n" in p.stdout or p.stdout.rstrip().endswith("HEAVY="), p.stdout + p.stderr


def test_the_domain_core_never_imports_textual():
    code = (
        "import sys, pkgutil, importlib, wtui.core\n"
        "for m in pkgutil.iter_modules(wtui.core.__path__): importlib.import_module('wtui.core.' + m.name)\n"
        "import wtui.book.book, wtui.book.generate, wtui.io.queue_text\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich', 'wtui.tui')))"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert p.stdout.strip() == "[]", p.stdout + p.stderr


def test_the_cli_and_io_reach_the_database_only_through_book_methods():
    import re
    from pathlib import Path

    import wtui

    top = Path(wtui.__file__).parent
    for path in [*sorted(top.glob("cli*.py")), *sorted((top / "io").glob("*.py"))]:
        hits = [n for n, line in enumerate(path.read_text("utf-8").splitlines(), 1) if re.search(r"\.conn\b", line)]
        assert not hits, f"{path.name} reads the connection directly at lines {hits}: add a Book method"


def test_explain_prints_each_factor(book_path):
    items = json.loads(wtui("--db", str(book_path), "--now", NOW, "queue", "--limit", "1", "--json").stdout)
    assert [f["factor"] for f in items[0]["breakdown"]][:4] in (
        ["colour", "reason", "due", "cadence"], ["priority", "colour", "reason", "due"])
    out = wtui("--db", str(book_path), "--now", NOW, "explain", items[0]["phone"]).stdout
    assert items[0]["phone"] in out.splitlines()[0]
    for label in ("colour", "reason", "due", "window", "intent", "activity"):
        assert f"  {label}" in out


def test_explain_an_unknown_number_is_a_clear_error(book_path):
    p = wtui("--db", str(book_path), "explain", "+4915100000000", check=False)
    assert p.returncode == 2 and "no customer with number +4915100000000" in p.stderr


def test_find_counts_lists_and_explains_errors(book_path):
    n = int(wtui("--db", str(book_path), "--now", NOW, "find", "#Stage-Purchased AND color = green", "--count").stdout)
    items = json.loads(wtui("--db", str(book_path), "--now", NOW, "find", "#Stage-Purchased AND color = green",
                            "--json").stdout)
    assert len(items) == n > 0
    assert all("Stage-Purchased" in i["tags"] and i["color"] == "green" for i in items)
    bad = wtui("--db", str(book_path), "find", "#Stage-Purchasd", check=False)
    assert bad.returncode == 2 and "did you mean #Stage-Purchased?" in bad.stderr and "^" in bad.stderr


def test_tag_dry_run_changes_nothing_and_the_run_is_one_batch(tmp_path, book_path):
    import shutil

    from wtui.book.engine import sqlite3

    path = tmp_path / "copy.db"
    shutil.copy(book_path, path)
    q = "color = red AND NOT #Urgent"
    dry = wtui("--db", str(path), "--now", NOW, "tag", q, "--add", "Urgent", "--dry-run").stdout
    assert "would change" in dry
    before = sqlite3.connect(path).execute("SELECT count(*) FROM ops").fetchone()[0]
    assert before == 1  # only the seed
    out = wtui("--db", str(path), "--now", NOW, "tag", q, "--add", "Urgent").stdout
    n = int(out.split(" customer(s)")[0])
    conn = sqlite3.connect(path)
    batches = conn.execute("SELECT count(DISTINCT batch), count(*) FROM ops WHERE kind = 'tag.add'").fetchone()
    assert batches == (1, n)


def test_export_neutralises_formulas_and_splits_reproducibly(tmp_path):
    import csv

    from wtui.book.book import Book
    from wtui.core import config

    path = tmp_path / "b.db"
    with Book.create(path, config.load(layers=[])) as b:
        for i, name in enumerate(["=HYPERLINK(\"http://x\")", "@SUM(A1)", "-2+3", "Ana", "Bo", "Cy"]):
            b.add_customer(f"+4915123456{i:03d}", name)
    out1, out2 = tmp_path / "a.csv", tmp_path / "b.csv"
    wtui("--db", str(path), "export", "purchases >= 0", "-o", str(out1), "--split", "50", "--seed", "3")
    wtui("--db", str(path), "export", "purchases >= 0", "-o", str(out2), "--split", "50", "--seed", "3")
    rows = list(csv.DictReader(open(out1, encoding="utf-8-sig")))
    assert [r["name"] for r in rows[:3]] == ["'=HYPERLINK(\"http://x\")", "'@SUM(A1)", "'-2+3"]
    assert all(r["phone"].startswith("'+49") for r in rows)
    assert sorted(r["group"] for r in rows) == ["A", "A", "A", "B", "B", "B"]
    assert out1.read_bytes() == out2.read_bytes()


def test_a_broadcast_export_holds_only_those_who_consent_and_says_who_was_left_out(tmp_path):
    import csv

    from wtui.book.book import Book
    from wtui.core import config

    path = tmp_path / "b.db"
    with Book.create(path, config.load(layers=[])) as b:
        for i in range(4):
            uid = b.add_customer(f"+4915123456{i:03d}", f"c{i}")
            b.set_field(uid, "consent", i % 2 == 0)
    out = tmp_path / "send.csv"
    said = wtui("--db", str(path), "export", "-o", str(out), "--broadcast").stdout
    rows = list(csv.DictReader(open(out, encoding="utf-8-sig")))
    assert [r["name"] for r in rows] == ["c0", "c2"] and all(r["consent"] == "yes" for r in rows)
    assert rows[0]["wa_id"] == "4915123456000"
    assert "wrote 2 customer(s)" in said and "left out 2 without marketing consent" in said


def test_rules_check_and_dry_run(book_path):
    out = wtui("--db", str(book_path), "--now", NOW, "rules", "check").stdout
    assert "12 rule(s)" in out and "ok  dormant after 30 days: when last_interaction" in out
    assert "ok  order placed: on purchase -> +Bought-<yyyy-mm>-<product>, -Cart-Abandoned" in out
    dry = wtui("--db", str(book_path), "--now", NOW, "rules", "run", "--dry-run").stdout
    assert "dormant after 30 days:" in dry and "dry run: nothing written" in dry
    # each rule's count in the number it takes ("2 match" read wrong), thousands separated
    counts = re.findall(r"^[^:\n]+: ([\d,]+) (match|matches), would change [\d,]+$", dry, re.M)
    assert counts and all((word == "match") == (n == "1") for n, word in counts), dry
    assert any(word == "matches" for _, word in counts)
    events = wtui("--db", str(book_path), "--now", NOW, "rules", "run", "--events", "--dry-run").stdout
    assert "order placed:" in events and "dormant after 30 days" not in events


def test_only_an_admin_writes_the_team_rules_file(tmp_path, book_path):
    p = wtui("--db", str(book_path), "rules", "init", "--file", str(tmp_path / "rules.toml"), check=False,
             env={"USER": "nobody"})
    assert p.returncode == 2 and "only admins change the rules" in p.stderr
    assert not (tmp_path / "rules.toml").exists()


def test_the_demo_rep_has_a_queue_of_their_own(tmp_path, monkeypatch):
    # "my queue" is the app's default: the demo's rep must own some of its customers, whoever runs it.
    from wtui import cli
    from wtui.core import config

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("USER", "nobody-here")
    args = cli.build_parser().parse_args(["--demo", "queue"])
    with cli.open_book(args, config.load(layers=[])) as book:
        assert book.actor == "ana" and book.is_admin()
        assert 0 < book.queue(mine=True).total < book.queue().total


@pytest.mark.parametrize("setting", ['[book]\nadmins = ["nobody"]', '[whatsapp]\napp_secret = ""',
                                     '[rules]\npath = "/tmp/mine.toml"'])
@pytest.mark.parametrize("layer", ["--config", "WTUI_CONFIG", "user"])
def test_a_reps_own_config_cannot_set_the_teams_security(tmp_path, book_path, setting, layer):
    """Admins, the webhook secret and the rules come from the system config or the book, never a rep's file."""
    conf = tmp_path / "mine.toml"
    conf.write_text(setting + "\n")
    args, env = ["--db", str(book_path), "queue", "--limit", "1"], {"USER": "nobody"}
    if layer == "--config":
        args = ["--config", str(conf), *args]
    elif layer == "WTUI_CONFIG":
        env["WTUI_CONFIG"] = str(conf)
    else:
        user = Path(os.environ["XDG_CONFIG_HOME"]) / "wtui"
        user.mkdir(parents=True, exist_ok=True)
        (user / "config.toml").write_text(setting + "\n")
    p = wtui(*args, check=False, env=env)
    assert p.returncode == 2 and "team security setting" in p.stderr and "Traceback" not in p.stderr


def test_clone_then_sync_both_ways_and_again_moves_nothing(tmp_path):
    from wtui.book.book import Book
    from wtui.core import config

    a, b = tmp_path / "team.db", tmp_path / "laptop.db"
    with Book.create(a, config.load(layers=[]), actor="ana") as book:
        book.add_customer("+4915123456000", "Lea")
    wtui("clone", str(a), str(b))
    assert wtui("clone", str(a), str(b), check=False).returncode == 2  # never over a file
    with Book.open(a, config.load(layers=[]), actor="ana") as book:
        book.set_field(book.find("+4915123456000"), "owner", "ana")
    with Book.open(b, config.load(layers=[]), actor="omar") as book:
        book.add_note(book.find("+4915123456000"), "call after 6")
        book.add_customer("+4915123456001", "Bo")
    first = wtui("--db", str(b), "sync", "--with", str(a)).stdout
    assert "sent 2 change(s)" in first and "received 1" in first
    again = wtui("--db", str(b), "sync", "--with", str(a)).stdout
    assert "sent 0 change(s)" in again and "received 0" in again
    assert json.loads(wtui("--db", str(b), "sync", "--with", str(a), "--json").stdout) == {
        "sent": 0, "received": 0, "waiting_here": 0, "waiting_there": 0}
    for path in (a, b):
        assert wtui("--db", str(path), "find", "purchases >= 0", "--count").stdout.strip() == "2"


def test_link_prints_a_tracked_link_on_the_servers_address_or_says_where_links_live(tmp_path, demo_file):
    book = copy_book(demo_file, tmp_path / "team.db")
    first = json.loads(wtui("--db", str(book), "--now", NOW, "queue", "--json").stdout)[0]["phone"]
    refused = wtui("--db", str(book), "link", first, "https://shop.example/q/1", check=False)
    assert refused.returncode == 2 and "team server" in refused.stderr
    config = tmp_path / "team.toml"
    config.write_text('[links]\nbase_url = "https://wtui.team.example"\n')
    made = wtui("--config", str(config), "--db", str(book), "link", first, "https://shop.example/q/1",
                "--kind", "quote")
    url = made.stdout.strip()
    assert url.startswith("https://wtui.team.example/l/")
    bad = wtui("--config", str(config), "--db", str(book), "link", first, "javascript:alert(1)", check=False)
    assert bad.returncode == 2 and "http://" in bad.stderr
    with sqlite3.connect(book) as c:
        links = c.execute("SELECT count(*) FROM links").fetchone()[0]
    dry = wtui("--config", str(config), "--db", str(book), "link", first, "https://shop.example/q/2", "--dry-run")
    assert "dry run, nothing written: would make a tracked page link" in dry.stdout
    with sqlite3.connect(book) as c:
        assert c.execute("SELECT count(*) FROM links").fetchone()[0] == links


def test_compact_drops_old_ops_every_peer_holds_says_so_and_the_books_still_agree(tmp_path):
    from wtui.book.book import Book
    from wtui.core import config

    a, b = tmp_path / "team.db", tmp_path / "laptop.db"
    with Book.create(a, config.load(layers=[]), actor="ana") as book:
        for n in range(3):
            book.add_customer(f"+491512345600{n}", f"Lea {n}")
    wtui("clone", str(a), str(b))
    wtui("--db", str(b), "sync", "--with", str(a))
    later = ("--now", "2028-01-10T09:00:00Z")  # past sync.log_keep_days (180) and peer_wait_days (60)
    dry = json.loads(wtui(*later, "--db", str(a), "compact", "--dry-run", "--json").stdout)
    assert dry["dropped"] > 0 and dry["dry_run"] and dry["not_waited_for"]
    assert json.loads(wtui(*later, "--db", str(a), "compact", "--json").stdout)["dropped"] == dry["dropped"]
    assert "dropped 0 op(s)" in wtui(*later, "--db", str(a), "compact").stdout  # nothing more to drop
    assert "compacted out of the log" in wtui("--db", str(a), "log").stdout
    again = wtui("--db", str(b), "sync", "--with", str(a)).stdout  # b holds it all: nothing moves
    assert "sent 0 change(s)" in again and "received 0" in again
    for path in (a, b):
        assert wtui("--db", str(path), "find", "purchases >= 0", "--count").stdout.strip() == "3"


def test_an_option_cut_short_is_refused_not_taken_for_another(tmp_path):
    """`wtui --de queue` ran the demo; `--no queue` was read as --now 'queue'."""
    for args in (("--de", "queue"), ("--no", "queue"), ("--db", str(tmp_path / "x.db"), "compact", "--dry")):
        p = wtui(*args, check=False)
        assert p.returncode == 2 and "unrecognized arguments" in p.stderr


def test_a_read_without_a_book_says_where_it_looked_and_creates_nothing(tmp_path):
    """`wtui queue` with no --db used to make an empty book at the default place and say nothing is due."""
    data = tmp_path / "data"
    p = wtui("queue", env={"XDG_DATA_HOME": str(data)}, check=False)
    assert p.returncode == 2 and p.stdout == ""
    assert f"no book at {data / 'wtui' / 'book.db'}" in p.stderr
    assert "wtui import" in p.stderr and "--db" in p.stderr and "--demo" in p.stderr
    assert not (data / "wtui" / "book.db").exists()


def test_an_import_without_a_book_starts_one_at_the_default_place(tmp_path):
    """The documented first run: the app or an import starts the rep's book where `wtui locate` says."""
    data = tmp_path / "data"
    rows = tmp_path / "contacts.csv"
    rows.write_text("phone,name\n+5511961234567,Ana Lima\n", "utf-8")
    wtui("import", str(rows), env={"XDG_DATA_HOME": str(data)})
    out = wtui("find", "name ~ Ana", env={"XDG_DATA_HOME": str(data)}).stdout
    assert "Ana Lima" in out and (data / "wtui" / "book.db").exists()


@pytest.mark.parametrize("command", ["import", "import-orders"])
def test_a_dry_run_without_a_book_rehearses_on_an_empty_one_and_creates_none(tmp_path, command):
    """A dry run writes nothing: not even the empty book an import would start at the default place; it
    still says what the import would do (a new rep's first look at their file)."""
    data = tmp_path / "data"
    rows = tmp_path / "rows.csv"
    rows.write_text("phone,name,amount,date\n+5511961234567,Ana Lima,10,2026-11-01\n", "utf-8")
    p = wtui(command, str(rows), "--dry-run", env={"XDG_DATA_HOME": str(data)}, check=False)
    assert "no book at" in p.stderr and "dry run" in p.stderr
    assert not (data / "wtui").exists()
    if command == "import":
        assert p.returncode == 0 and "1" in p.stdout


def test_an_import_starts_a_book_at_a_new_db_path_and_the_app_does_not(tmp_path):
    """Found trying the app: no command could start an empty book at a chosen path; the hint pointed to
    make-book, which writes synthetic customers."""
    rows = tmp_path / "contacts.csv"
    rows.write_text("phone,name\n+5511961234567,Ana Lima\n", "utf-8")
    new = tmp_path / "team" / "book.db"
    new.parent.mkdir()
    p = wtui("--db", str(new), "find", "name ~ Ana", check=False)
    assert p.returncode == 2 and f"wtui --db {new} import" in p.stderr and not new.exists()
    wtui("--db", str(new), "import", str(rows), "--dry-run")
    assert not new.exists()
    wtui("--db", str(new), "import", str(rows))
    assert "Ana Lima" in wtui("--db", str(new), "find", "name ~ Ana").stdout


def test_an_import_that_fails_on_a_new_db_path_leaves_no_empty_book_behind(tmp_path):
    # `import --create-tags` by a rep who is no admin said so (exit 2) and left an empty book.db there.
    rows = tmp_path / "contacts.csv"
    rows.write_text("phone,name,tags\n+5511961234567,Ana Lima,Source-Fair\n", "utf-8")
    new = tmp_path / "book.db"
    p = wtui("--db", str(new), "import", str(rows), "--create-tags", check=False)
    assert p.returncode == 2 and "admin" in p.stderr
    assert "this book has none yet: name them in the team config ([book] admins" in p.stderr  # not "ask an admin"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["contacts.csv"]
    # Nor one whose every row is refused ("nothing was written", exit 2): it left an empty book, which
    # the next command then answered from ("Nothing is due today").
    bad = tmp_path / "bad.csv"
    bad.write_text("name,phone\nAnn,notaphone\n", "utf-8")
    p = wtui("--db", str(new), "import", str(bad), check=False)
    assert p.returncode == 2 and "nothing was written" in p.stdout + p.stderr
    assert sorted(x.name for x in tmp_path.iterdir()) == ["bad.csv", "contacts.csv"]


def test_now_makes_a_pretend_clock_that_the_book_knows_for_one():
    # Deleting the mark went unnoticed in review: the book would then store a pretend day's snapshot.
    import argparse

    from wtui import cli

    pinned = cli._clock(argparse.Namespace(now="2027-01-04T09:00:00Z"))
    assert pinned.pretend is True and pinned().year == 2027
    assert not getattr(cli._clock(argparse.Namespace(now=None)), "pretend", False)


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP on this system")
def test_a_hangup_ends_the_demo_as_an_exit_so_its_throwaway_book_is_removed(tmp_path, monkeypatch):
    # A dropped SSH session killed wtui --demo outright, leaving /tmp/wtui-demo-*/demo.db behind.
    made = []

    def book_at(path, *a, **kw):
        made.append(path)
        path.write_bytes(b"demo")

    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    monkeypatch.setattr("wtui.book.demo.make_demo", book_at)
    monkeypatch.setattr("wtui.book.book.Book.open", lambda *a, **kw: contextlib.nullcontext())
    args = cli.build_parser().parse_args(["--demo", "queue"])
    with pytest.raises(SystemExit) as stop, cli.open_book(args, config.load(layers=[])):
        assert made and made[0].exists()
        os.kill(os.getpid(), signal.SIGHUP)
    assert stop.value.code == 128 + signal.SIGHUP and not made[0].parent.exists()
    assert signal.getsignal(signal.SIGHUP) is signal.SIG_DFL  # put back as it was


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP on this system")
def test_a_demo_started_under_nohup_keeps_ignoring_the_hangup():
    was = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with cli._exits_on_hangup():
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL  # a kill still ends it as an exit
    finally:
        signal.signal(signal.SIGHUP, was)
