"""Bad input through the real command line: a clear message, exit 2, no traceback, the book unchanged.

Each case is one row of ``CASES``: an id, the arguments (built in the test's own directory, where
``files`` writes the payloads, exports and configs it needs) and words the message must hold.
The book is the 300-customer demo; a dump of every table before and after must be equal.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import copy_book
from wtui.book.engine import sqlite3

NOW = "2026-11-23T12:00:00Z"
PHONE = "5511961234567"


def dump(path: Path) -> list:
    """Every row of every table, and the versions: what "nothing changed" compares."""
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        out = [conn.execute("PRAGMA user_version").fetchone()]
        for t in tables:
            out.append((t, conn.execute(f'SELECT * FROM "{t}" ORDER BY 1').fetchall()))  # noqa: S608 - our names
    conn.close()
    return out


def main(*argv: str, capsys) -> tuple[int, str, str]:
    """``wtui ARGS`` in this process (an unexpected exception fails the test with its traceback)."""
    from wtui import cli

    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


# ---------------------------------------------------------------------------
# payloads


def message(**fields) -> dict:
    m = {"from": PHONE, "id": "wamid.1", "timestamp": "1795000000", "type": "text", "text": {"body": "hi"}}
    m.update(fields)
    return {"entry": [{"changes": [{"value": {"messages": [m]}}]}]}


def value(**fields) -> dict:
    return {"entry": [{"changes": [{"value": fields}]}]}


WEBHOOKS: dict[str, tuple[bytes, str]] = {
    "entry-of-text": (b'{"entry":["x"]}', "entry[0]: expected an object"),
    "changes-as-text": (b'{"entry":[{"changes":"abc"}]}', "entry[0].changes: expected a list"),
    "change-as-number": (b'{"entry":[{"changes":[5]}]}', "entry[0].changes[0]: expected an object"),
    "value-as-list": (json.dumps(value(messages=[]))[:0].encode() + b'{"entry":[{"changes":[{"value":[1]}]}]}',
                      "value: expected an object"),
    "text-as-text": (json.dumps(message(text="hi")).encode(), "text: expected an object"),
    "body-as-number": (json.dumps(message(text={"body": 5})).encode(), "text.body: expected text"),
    "id-as-object": (json.dumps(message(id={"a": 1})).encode(), ".id: expected text"),
    "from-as-list": (json.dumps(message(**{"from": [1]})).encode(), ".from: expected text"),
    "from-not-digits": (json.dumps(message(**{"from": "abc"})).encode(), "not a WhatsApp number"),
    "type-as-object": (json.dumps(message(type={"t": 1})).encode(), ".type: expected text"),
    "timestamp-overflow": (json.dumps(message(timestamp="99999999999999999")).encode(), "is not a Unix time"),
    "timestamp-as-list": (json.dumps(message(timestamp=[1])).encode(), "is not a Unix time"),
    "messages-as-text": (json.dumps(value(messages="abc")).encode(), "messages: expected a list"),
    "contacts-as-text": (json.dumps(value(contacts="abc")).encode(), "contacts: expected a list"),
    "profile-as-text": (json.dumps(value(contacts=[{"wa_id": PHONE, "profile": "x"}])).encode(),
                        "profile: expected an object"),
    "wa-id-as-list": (json.dumps(value(contacts=[{"wa_id": [1]}])).encode(), "wa_id: expected text"),
    "statuses-as-object": (json.dumps(value(statuses={"a": 1})).encode(), "statuses: expected a list"),
    "status-as-list": (json.dumps(value(statuses=[{"id": "s", "recipient_id": PHONE, "status": ["read"],
                                                   "timestamp": "1"}])).encode(), ".status: expected text"),
    "recipient-as-object": (json.dumps(value(statuses=[{"id": "s", "recipient_id": {"a": 1}, "status": "read",
                                                        "timestamp": "1"}])).encode(), "recipient_id: expected text"),
    "deep-list-50k": (b"[" * 50_000 + b"]" * 50_000, "nested more than 32 deep"),
    "deep-entry-50k": (b'{"entry":' + b"[" * 50_000 + b"]" * 50_000 + b"}", "nested more than 32 deep"),
    "deep-entry-40": (b'{"entry":' + b"[" * 40 + b"]" * 40 + b"}", "nested more than 32 deep"),
    "not-json": (b"{'entry': []}", "not a JSON payload"),
    "not-utf8": (b'{"entry": ["\xff"]}', "not a JSON payload"),
    "no-entry": (b'{"object": "whatsapp_business_account"}', "no entry list"),
    "a-list": (b"[]", "no entry list"),
    "message-too-long": (json.dumps(message(text={"body": "x" * 65_537})).encode(), "limits.message_chars"),
    "body-too-large": (b'{"entry": [], "pad": "' + b"x" * (1 << 20) + b'"}', "limits.webhook_body_kb"),
}

QUERY_CASES: dict[str, tuple[str, str]] = {
    "500-nested-parens": ("(" * 500 + "#Stage-Lead" + ")" * 500, "nested more than 10 deep"),
    "40-nots": ("NOT " * 40 + "#Stage-Lead", "nested more than 10 deep"),
    "667-ored-tags": (" OR ".join(["#Stage-Lead"] * 667), "limits.query_chars"),
    "10^20-days": ("last_inbound > 100000000000000000000d", "longer than any time"),
    "spend-inf": ("spend > 1e400", "is not a number"),
    "spend-nan": ("spend > nan", "is not a number"),
    "unclosed-group": ("(#Stage-Lead OR #Urgent", "never closed"),
}

CONFIGS: dict[str, tuple[str, str]] = {
    "batch-rows-0": ("[imports]\nbatch_rows = 0", "imports.batch_rows: must be more than 0"),
    "workers-100000": ("[imports]\nworkers = 100000", "imports.workers: must be at most 64"),
    "batch-rows-2.5": ("[imports]\nbatch_rows = 2.5", "imports.batch_rows: must be a whole number"),
    "keywords-a-number": ("[keywords.comparison]\nen = 5", "keywords.comparison.en: must be a list of words"),
    "keywords-of-numbers": ("[keywords.comparison]\nen = [5]", "keywords.comparison.en: must be a list of text"),
    "new-language-a-number": ("[keywords.quote]\nxx = 3", "keywords.quote.xx: must be a list of words"),
    "new-interest-a-number": ("[keywords.interest.golf]\nen = 3", "keywords.interest.golf.en"),
    "priority-tags-numbers": ("[colors.rules]\npriority_tags = [1]", "colors.rules.priority_tags"),
    "rep-names-numbers": ("[whatsapp]\nrep_names = [1]", "whatsapp.rep_names: must be a list of text"),
    "office-hours-garbage": ('[windows]\noffice_hours = "garbage"', "windows.office_hours"),
    "night-owl-garbage": ('[windows]\nnight_owl = "Daily 25-99"', "windows.night_owl"),
    "threshold-1e308": ("[colors.rules]\nread_no_reply_hours = 1e308", "colors.rules.read_no_reply_hours"),
    "threshold-inf": ("[colors.rules]\nread_no_reply_hours = inf", "must be a number, got inf"),
    "threshold-nan": ("[colors.rules]\nsignal_ttl_hours = nan", "must be a number, got nan"),
    "cadence-1e308": ("[colors.cadence_days]\nred = 1e308", "colors.cadence_days.red"),
    "timezone-mars": ('[rep]\ntimezone = "Mars/Olympus"', "rep.timezone: 'Mars/Olympus' is not a time zone"),
    "region-zz": ('[book]\ndefault_region = "ZZ"', "book.default_region: 'ZZ' is not a region"),
    "ramadan-region-zz": ('[windows]\nramadan_regions = ["ZZ"]', "windows.ramadan_regions"),
    "hours-25-99": ('[regions.BR]\nweekday = "25-99"', "regions.BR.weekday"),
    "new-region-bad-hours": ('[regions.PT]\nname = "Portugal"\nbest = "9-9"', "regions.PT.best"),
    "poll-0": ("[sync]\npoll_seconds = 0", "sync.poll_seconds: must be more than 0"),
    "queue-limit-0": ("[queue]\nlimit = 0", "queue.limit: must be more than 0"),
    "search-days-0": ("[windows]\nsearch_days = 0", "windows.search_days: must be more than 0"),
    "tag-length-0": ("[tags]\nmax_length = 0", "tags.max_length: must be more than 0"),
    "limit-0": ("[limits]\nimport_file_mb = 0", "limits.import_file_mb: must be more than 0"),
    "limit-negative": ("[limits]\nwebhook_body_kb = -1", "limits.webhook_body_kb: must not be negative"),
    "limit-past-sqlite": ("[limits]\nquery_terms = 501", "limits.query_terms: must be at most 500"),
    "moved-cell-limit-0": ("[imports]\nmax_cell_kb = 0", "limits.csv_cell_kb: must be more than 0"),
    "glyph-an-escape": ('[colors.glyph]\nred = "\\u001b[31m"', "colors.glyph.red"),
    "glyph-empty": ('[colors.glyph]\nred = ""', "colors.glyph.red"),
    "unknown-key": ("[rep]\nnmae = 'ana'", "rep.nmae: unknown key"),
}


def _zip(path: Path, members: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def encrypted_zip(path: Path) -> Path:
    """A zip whose member says it is encrypted (zipfile cannot write one: the flag bit is set by hand)."""
    _zip(path, {"WhatsApp Chat with Maria.txt": b"31/12/2025, 21:41 - Maria: hello\n"}, zipfile.ZIP_STORED)
    raw = bytearray(path.read_bytes())
    for sig, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = raw.index(sig)
        raw[at + flag_at] |= 1
    path.write_bytes(bytes(raw))
    return path


def corrupt_zip(path: Path) -> Path:
    """A stored member one byte off its CRC."""
    _zip(path, {"chat.txt": b"31/12/2025, 21:41 - Maria: hello\n"}, zipfile.ZIP_STORED)
    raw = bytearray(path.read_bytes())
    at = raw.index(b"hello")
    raw[at] = ord("j")
    path.write_bytes(bytes(raw))
    return path


def bomb_zip(path: Path, size: int) -> Path:
    return _zip(path, {"chat.txt": b"31/12/2025, 21:41 - Maria: hello\n" + b"a" * size})


def csv_file(path: Path, text: str) -> Path:
    path.write_text(text, "utf-8")
    return path


def lowered(book: Path, version: int) -> Path:
    with sqlite3.connect(book) as conn:
        conn.execute(f"PRAGMA user_version = {version}")
    conn.close()
    return book


# (id, args given the test dir and the book, words of the message)
Case = tuple[str, Callable[[Path, Path], list[str]], str]


def _cases() -> list[Case]:
    cases: list[Case] = []
    for name, (raw, words) in WEBHOOKS.items():
        def args(d, b, raw=raw):
            (d / "payload.json").write_bytes(raw)
            return ["--db", str(b), "--now", NOW, "ingest", str(d / "payload.json")]
        cases.append((f"webhook-{name}", args, words))
    for name, (q, words) in QUERY_CASES.items():
        cases.append((f"find-{name}", lambda d, b, q=q: ["--db", str(b), "--now", NOW, "find", q, "--count"], words))
        cases.append((f"tag-{name}", lambda d, b, q=q: ["--db", str(b), "--now", NOW, "tag", q, "--add", "Urgent"],
                      words))
    for name, (toml, words) in CONFIGS.items():
        def args(d, b, toml=toml):
            (d / "config.toml").write_text(toml, "utf-8")
            return ["--db", str(b), "--config", str(d / "config.toml"), "--now", NOW, "queue", "--limit", "3"]
        cases.append((f"config-{name}", args, words))
    cases += [
        ("db-corrupt", lambda d, b: ["--db", str(_garbled(d / "bad.db")), "queue"], "not a wtui book"),
        ("db-text-file", lambda d, b: ["--db", str(csv_file(d / "bad.db", "hello")), "queue"], "not a wtui book"),
        ("db-a-directory", lambda d, b: ["--db", str(d), "queue"], "is a directory"),
        ("db-empty-file", lambda d, b: ["--db", str(csv_file(d / "bad.db", "")), "queue"], "is empty (0 bytes)"),
        ("db-version-lowered-to-0", lambda d, b: ["--db", str(lowered(b, 0)), "--now", NOW, "queue"],
         "tables do not match"),
        ("db-version-lowered-to-1", lambda d, b: ["--db", str(lowered(b, 1)), "--now", NOW, "queue"],
         "tables do not match"),
        ("find-201-terms", lambda d, b: _with_limits(d, "query_chars = 10000") + [
            "--db", str(b), "--now", NOW, "find", " OR ".join(["#Urgent"] * 201), "--count"], "limits.query_terms"),
        ("now-9999", lambda d, b: ["--db", str(b), "--now", "9999-12-31T23:59:59Z", "queue"], "pick an instant"),
        ("now-year-1", lambda d, b: ["--db", str(b), "--now", "0001-01-01T00:00:00Z", "queue"], "pick an instant"),
        ("now-not-a-time", lambda d, b: ["--db", str(b), "--now", "tomorrow", "queue"], "not an ISO time"),
        ("make-book-missing-dir", lambda d, b: ["make-book", "--customers", "5", "-o", str(d / "nodir" / "x.db")],
         "no directory"),
        ("make-book-10^30-customers", lambda d, b: ["make-book", "--customers", str(10**30), "-o", str(d / "x.db")],
         "limits.make_book_customers"),
        ("make-book-10^30-interactions",
         lambda d, b: ["make-book", "--customers", "5", "--interactions", str(10**30), "-o", str(d / "x.db")],
         "limits.make_book_interactions"),
        ("make-book-seed-past-64-bits",
         lambda d, b: ["make-book", "--customers", "5", "--seed", str(2**70), "-o", str(d / "x.db")], "64-bit"),
        ("make-book-over-a-book", lambda d, b: ["make-book", "--customers", "5", "-o", str(b)], "already exists"),
        ("export-to-a-directory", lambda d, b: ["--db", str(b), "--now", NOW, "export", "-o", str(d)],
         "is a directory"),
        ("export-over-a-file", lambda d, b: ["--db", str(b), "--now", NOW, "export", "-o",
                                             str(csv_file(d / "precious.csv", "precious\n"))], "--replace"),
        ("export-to-a-dash", lambda d, b: ["--db", str(b), "--now", NOW, "export", "-o", "-"], "give a file name"),
        ("export-to-a-missing-dir", lambda d, b: ["--db", str(b), "--now", NOW, "export", "-o", str(d / "no" / "x")],
         "no directory"),
        ("import-errors-to-a-missing-dir", lambda d, b: [
            "--db", str(b), "--now", NOW, "import", str(csv_file(d / "c.csv", "phone\n+5511961234567\n12\n")),
            "--partial", "--errors", str(d / "missing" / "x.csv")], "no directory"),
        ("import-errors-to-a-directory", lambda d, b: [
            "--db", str(b), "--now", NOW, "import", str(csv_file(d / "c.csv", "phone\n+5511961234567\n12\n")),
            "--partial", "--errors", str(d)], "is a directory"),
        ("import-a-directory", lambda d, b: ["--db", str(b), "--now", NOW, "import", str(d)], "is a directory"),
        ("import-duplicate-phone-header", lambda d, b: [
            "--db", str(b), "--now", NOW, "import",
            str(csv_file(d / "c.csv", "phone,name,Phone\n+5511961234567,a,1\n"))],
         "column 'Phone' twice (columns 1 and 3)"),
        ("import-duplicate-other-header", lambda d, b: [
            "--db", str(b), "--now", NOW, "import",
            str(csv_file(d / "c.csv", "phone,notes,notes\n+5511961234567,a,b\n"))],
         "column 'notes' twice"),
        ("import-huge-header-cell", lambda d, b: [
            "--db", str(b), "--now", NOW, "import", str(csv_file(d / "c.csv", "phone," + "x" * 70_000 + "\n1,2\n"))],
         "limits.csv_cell_kb"),
        ("import-too-large", lambda d, b: _with_limits(d, "import_file_mb = 0.001") + [
            "--db", str(b), "--now", NOW, "import", str(csv_file(d / "c.csv", "phone\n" + "+5511961234567\n" * 200))],
         "limits.import_file_mb"),
        ("import-map-unknown-column", lambda d, b: [
            "--db", str(b), "--now", NOW, "import", str(csv_file(d / "c.csv", "tel\n+5511961234567\n")),
            "--map", "phone=Telefone"], "no column 'Telefone'"),
        ("chat-encrypted-zip", lambda d, b: ["--db", str(b), "--now", NOW, "import-chat", str(encrypted_zip(
            d / "c.zip")), "--phone", "+5511961234567", "--me", "Ana"], "encrypted"),
        ("chat-crc-corrupt-zip", lambda d, b: ["--db", str(b), "--now", NOW, "import-chat", str(corrupt_zip(
            d / "c.zip")), "--phone", "+5511961234567", "--me", "Ana"], "damaged or unsupported zip"),
        ("chat-zip-bomb", lambda d, b: ["--db", str(b), "--now", NOW, "import-chat", str(bomb_zip(
            d / "c.zip", 21 << 20)), "--phone", "+5511961234567", "--me", "Ana"], "limits.chat_text_mb"),
        ("chat-zip-ratio", lambda d, b: _with_limits(d, "chat_text_mb = 100") + [
            "--db", str(b), "--now", NOW, "import-chat", str(bomb_zip(d / "c.zip", 3 << 20)),
            "--phone", "+5511961234567", "--me", "Ana"], "limits.zip_ratio"),
        ("chat-too-large", lambda d, b: _with_limits(d, "chat_text_mb = 0.001") + [
            "--db", str(b), "--now", NOW, "import-chat", str(csv_file(
                d / "c.txt", "31/12/2025, 21:41 - Maria: hello\n" * 100)), "--phone", "+5511961234567", "--me", "Ana"],
         "limits.chat_text_mb"),
        ("chat-message-too-long", lambda d, b: _with_limits(d, "message_chars = 10") + [
            "--db", str(b), "--now", NOW, "import-chat", str(csv_file(
                d / "c.txt", "31/12/2025, 21:41 - Maria: hello there, how are you\n")), "--phone", "+5511961234567",
            "--me", "Ana"], "limits.message_chars"),
        ("rules-not-a-list", lambda d, b: ["--db", str(b), "--now", NOW, "rules", "check", "--file",
                                           str(csv_file(d / "r.toml", "rule = 5\n"))], "[[rule]] entries"),
        ("rules-colour-hours-nan", lambda d, b: ["--db", str(b), "--now", NOW, "rules", "run", "--file", str(csv_file(
            d / "r.toml", '[[rule]]\nname = "x"\nwhen = "#Urgent"\ncolor = "red"\ncolor_hours = nan\n'))],
         "color_hours"),
    ]
    return cases


def _garbled(path: Path) -> Path:
    path.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 20)
    return path


def _with_limits(d: Path, line: str) -> list[str]:
    (d / "limits.toml").write_text(f"[limits]\n{line}\n", "utf-8")
    return ["--config", str(d / "limits.toml")]


CASES = _cases()


@pytest.fixture
def book(tmp_path, demo_file) -> Path:
    return copy_book(demo_file, tmp_path / "book.db")


@pytest.mark.parametrize("build,words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_ends_in_a_clear_message_exit_2_and_changes_nothing(build, words, book, tmp_path, capsys):
    work = tmp_path / "work"
    work.mkdir()
    args = build(work, book)
    before = dump(book)
    code, out, err = main(*args, capsys=capsys)
    assert code == 2, (out, err)
    assert err.startswith("wtui: ") and words in err, err
    assert "Traceback" not in err + out
    assert dump(book) == before
    assert not (work / "x.db").exists() or "already exists" in err  # make-book leaves no partial file


def test_the_dump_sees_a_change(book, tmp_path, capsys):
    """The comparison above is not vacuous: a good payload through the same path changes the book."""
    (tmp_path / "ok.json").write_text(json.dumps(message()), "utf-8")
    before = dump(book)
    code, out, _ = main("--db", str(book), "--now", NOW, "ingest", str(tmp_path / "ok.json"), capsys=capsys)
    assert code == 0 and "1 recorded" in out
    assert dump(book) != before
    code, out, _ = main("--db", str(book), "--now", NOW, "ingest", str(tmp_path / "ok.json"), "--json",
                        capsys=capsys)
    assert code == 0 and json.loads(out)["already"] == 1  # the same delivery again: already in the book
    (tmp_path / "new.json").write_text(json.dumps(message(id="wamid.dry", text={"body": "and the blue one?"})), "utf-8")
    seen = dump(book)
    code, out, _ = main("--db", str(book), "--now", NOW, "ingest", str(tmp_path / "new.json"), "--dry-run",
                        capsys=capsys)
    assert code == 0 and "dry run, nothing written" in out and "1 recorded" in out and dump(book) == seen
    mixed = message(id="wamid.dry2")
    mixed["entry"][0]["changes"][0]["value"]["messages"].append({"id": "wamid.bad"})  # no sender: rejected alone
    (tmp_path / "mixed.json").write_text(json.dumps(mixed), "utf-8")
    code, out, err = main("--db", str(book), "--now", NOW, "ingest", str(tmp_path / "mixed.json"), "--dry-run",
                          capsys=capsys)
    assert code == 2 and "1 rejected (the rest would be recorded)" in err and dump(book) == seen  # not "is"


def test_a_moved_key_still_applies_at_its_new_place(tmp_path):
    from wtui.core import config

    (tmp_path / "c.toml").write_text("[imports]\nmax_cell_kb = 128\n", "utf-8")
    assert config.load(layers=[("user", tmp_path / "c.toml")]).limits.csv_cell_kb == 128


def test_queue_limit_past_sqlites_integers_is_all_of_the_queue(book, capsys):
    code, out, err = main("--db", str(book), "--now", NOW, "queue", "--limit", str(10**30), "--json", capsys=capsys)
    assert code == 0, err
    assert len(json.loads(out)) > 100


def test_a_header_only_csv_says_it_has_no_rows_not_dry_run(book, tmp_path, capsys):
    path = csv_file(tmp_path / "c.csv", "phone,name\n")
    code, out, _ = main("--db", str(book), "--now", NOW, "import", str(path), capsys=capsys)
    assert code == 0
    assert "the file has a header and no rows" in out and "dry run" not in out


def test_a_dry_run_still_says_dry_run(book, tmp_path, capsys):
    path = csv_file(tmp_path / "c.csv", "phone,name\n+5511961234599,Nova\n")
    code, out, _ = main("--db", str(book), "--now", NOW, "import", str(path), "--dry-run", capsys=capsys)
    assert code == 0 and "nothing was written (dry run)" in out


def test_errors_file_is_written_when_its_directory_exists(book, tmp_path, capsys):
    path = csv_file(tmp_path / "c.csv", "phone\n+5511961234599\n12\n")
    code, out, err = main("--db", str(book), "--now", NOW, "import", str(path), "--partial", "--errors",
                          str(tmp_path / "rejected.csv"), capsys=capsys)
    assert code == 0, err
    assert "line 3" in (tmp_path / "rejected.csv").read_text("utf-8-sig")


# ---------------------------------------------------------------------------
# big queries: answered, or refused by a limit; never SQLite's "parser stack overflow", "too many terms
# in compound SELECT" or "Expression tree is too large", never a RecursionError


BIG_QUERIES = {
    "40-nots": "NOT " * 40 + "#Urgent",
    "12-nots": "NOT " * 12 + "#Urgent",
    "500-parens": "(" * 500 + "#Urgent" + ")" * 500,
    "70-anded-tags": " AND ".join(["#Urgent"] * 70),
    "70-anded-conditions": " AND ".join(["spend > 1"] * 70),
    "667-ored-tags": " OR ".join(["#Urgent"] * 667),
    "499-ored-tags": " OR ".join(["#Urgent"] * 499),
    "499-ored-conditions": " OR ".join(["spend > 1"] * 499),
    "alternating-20-deep": "(#Urgent AND NOT " * 10 + "#Stage-Lead" + ")" * 10,
    "or-of-ands-deep": "(#Urgent OR (color = red AND " * 10 + "spend > 1" + "))" * 10,
    "a-million-days": "last_inbound > 1000000d",
}


@pytest.mark.parametrize("limits", ["shipped", "at-their-ceilings"])
@pytest.mark.parametrize("q", list(BIG_QUERIES.values()), ids=list(BIG_QUERIES))
def test_a_big_query_is_answered_or_refused_clearly(q, limits, book, tmp_path, capsys):
    args = ["--db", str(book), "--now", NOW]
    if limits != "shipped":
        (tmp_path / "c.toml").write_text("[limits]\nquery_chars = 100000\nquery_depth = 14\nquery_terms = 500\n")
        args += ["--config", str(tmp_path / "c.toml")]
    for command in (["find", q, "--count"], ["find", q, "--json"], ["export", q, "-o", str(tmp_path / "o.csv")],
                    ["tag", q, "--add", "Urgent", "--dry-run"]):
        code, out, err = main(*args, *command, capsys=capsys)
        assert code in (0, 2), err
        if code == 2:
            assert "(limits.query_" in err, err


# ---------------------------------------------------------------------------
# a few as a user runs them: a real process, reading devices and pipes


def wtui(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "wtui", *args], capture_output=True, timeout=120,
                          stdin=stdin, env=dict(os.environ))


@pytest.mark.parametrize("command,words", [
    (["import", "/dev/zero"], b"limits.import_file_mb"),
    (["import-chat", "/dev/zero", "--phone", "+5511961234567"], b"limits.chat_text_mb"),
    (["ingest", "/dev/zero"], b"limits.webhook_body_kb"),
], ids=["import", "import-chat", "ingest"])
def test_reading_dev_zero_stops_at_the_limit(command, words, book):
    before = dump(book)
    p = wtui("--db", str(book), "--now", NOW, *command)
    assert p.returncode == 2 and words in p.stderr and b"Traceback" not in p.stderr, p.stderr
    assert dump(book) == before


def test_a_payload_on_standard_input_stops_at_the_limit(book):
    with open("/dev/zero", "rb") as zero:
        p = wtui("--db", str(book), "--now", NOW, "ingest", "-", stdin=zero)
    assert p.returncode == 2 and b"limits.webhook_body_kb" in p.stderr, p.stderr


def test_50k_deep_json_on_standard_input_is_refused(book, tmp_path):
    (tmp_path / "deep.json").write_bytes(b'{"entry":' + b"[" * 50_000 + b"]" * 50_000 + b"}")
    with open(tmp_path / "deep.json", "rb") as fh:
        p = wtui("--db", str(book), "--now", NOW, "ingest", "-", stdin=fh)
    assert p.returncode == 2 and b"nested more than 32 deep" in p.stderr and b"Traceback" not in p.stderr
