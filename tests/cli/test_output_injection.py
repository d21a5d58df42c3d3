"""Text from outside never reaches the terminal raw: every report, error and JSON path of the CLI.

The payload carries an OSC 52 clipboard write (ESC ... BEL), a one-byte C1 CSI (U+009B), a
right-to-left override and a backspace. Through names in the book, payload fields, file
headers, chat senders, rule names, queries, config keys and paths, no raw C0 control (but
newline and tab), C1 control or bidi control may reach stdout or stderr; JSON escapes them.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.conftest import copy_book

NOW = "2026-11-23T12:00:00Z"
EVIL = "\x1b]52;c;aGk=\x07\x9b31m\u202eevil\x08\u2066"
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def raw_controls(text: str) -> list[str]:
    return [f"U+{ord(c):04X}" for c in text
            if (ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F or c in _BIDI]


@pytest.fixture
def book(tmp_path, demo_file, cfg) -> Path:
    """The demo book with a customer named EVIL, whose notes and tags' history carry it too."""
    from wtui.book.book import Book

    path = copy_book(demo_file, tmp_path / "book.db")
    with Book.open(path, cfg, clock=lambda: datetime(2026, 11, 23, 12, tzinfo=timezone.utc), actor="ana") as b:
        uid = b.add_customer("+5511961234567", EVIL, source="whatsapp", reason=EVIL)
        b.record(uid, "in", text=f"how much? {EVIL}", reason=EVIL)
        b.add_tag(uid, "Urgent", reason=EVIL)
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    from wtui import cli

    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def files(d: Path) -> dict[str, Path]:
    d.mkdir(exist_ok=True)
    payload = {"entry": [{"changes": [{"value": {
        "contacts": [{"wa_id": "5511961230000", "profile": {"name": EVIL}}],
        "messages": [{"from": "5511961230000", "id": "wamid.evil", "timestamp": "1795000000", "type": EVIL}],
        "statuses": [{"id": "s1", "recipient_id": "5511961230000", "status": EVIL, "timestamp": "1795000000"}],
    }}]}]}
    out = {
        "payload": d / "payload.json",
        "chat": d / "chat.txt",
        "no_phone": d / "no_phone.csv",
        "bad_rows": d / "bad_rows.csv",
        "rules": d / "rules.toml",
        "bad_rule": d / "bad_rule.toml",
        "unknown_key": d / "unknown_key.toml",
        "glyph": d / "glyph.toml",
    }
    out["payload"].write_text(json.dumps(payload), "utf-8")
    out["chat"].write_text(f"31/12/2025, 21:41 - Maria {EVIL}: hello\n31/12/2025, 21:42 - Ana {EVIL}: hi\n", "utf-8")
    out["no_phone"].write_text(f"{EVIL},name\n1,2\n", "utf-8")
    out["bad_rows"].write_text(f"phone,name,tags\n{EVIL},x,\n+5511961234599,y,{EVIL}\n", "utf-8")
    out["rules"].write_text(f'[[rule]]\nname = "{json.dumps(EVIL)[1:-1]}"\nwhen = "#Urgent"\nadd = ["Spend-VIP"]\n',
                            "utf-8")
    out["bad_rule"].write_text(f'[[rule]]\nname = "x"\nwhen = "#{json.dumps(EVIL)[1:-1]}"\nadd = ["Urgent"]\n',
                               "utf-8")
    out["unknown_key"].write_text(f'[rep]\n"{json.dumps(EVIL)[1:-1]}" = 1\n', "utf-8")
    out["glyph"].write_text(f'[colors.glyph]\nred = "{json.dumps(EVIL)[1:-1]}"\n', "utf-8")
    return out


def commands(book: Path, d: Path) -> dict[str, list[str]]:
    f = files(d)
    db = ["--db", str(book), "--now", NOW]
    return {
        "queue": db + ["queue", "--limit", "500"],
        "queue-json": db + ["queue", "--limit", "500", "--json"],
        "find": db + ["find", "#Urgent"],
        "find-json": db + ["find", "#Urgent", "--json"],
        "explain": db + ["explain", "+5511961234567"],
        "ingest-report": db + ["ingest", str(f["payload"])],
        "chat-which-is-you": db + ["import-chat", str(f["chat"]), "--phone", "+5511961234567"],
        "csv-header-error": db + ["import", str(f["no_phone"])],
        "map-column-error": db + ["import", str(f["no_phone"]), "--map", f"phone={EVIL}"],
        "map-field-error": db + ["import", str(f["no_phone"]), "--map", f"{EVIL}=name"],
        "import-row-errors": db + ["import", str(f["bad_rows"]), "--dry-run"],
        "query-error": db + ["find", f"#{EVIL}"],
        "query-error-in-a-field": db + ["find", f"{EVIL} = 1"],
        "tag-unknown": db + ["tag", "#Urgent", "--add", EVIL],
        "rules-check": db + ["rules", "check", "--file", str(f["rules"])],
        "rules-run": db + ["rules", "run", "--dry-run", "--file", str(f["rules"])],
        "rules-when-error": db + ["rules", "check", "--file", str(f["bad_rule"])],
        "config-unknown-key": db + ["--config", str(f["unknown_key"]), "queue"],
        "config-glyph": db + ["--config", str(f["glyph"]), "queue"],
        "export-columns": db + ["export", "--columns", EVIL, "-o", str(d / "x.csv")],
        "export-path": db + ["export", "#Urgent", "-o", str(d / f"{EVIL}.csv")],
        "make-book-path": ["--now", NOW, "make-book", "--customers", "3", "-o", str(d / f"{EVIL}.db")],
        "now": ["--db", str(book), "--now", EVIL, "queue"],
        "missing-book": ["--db", str(d / f"{EVIL}.db"), "queue"],
        "locate": ["--db", str(d / f"{EVIL}.db"), "locate"],
    }


NAMES = [
    "queue", "queue-json", "find", "find-json", "explain", "ingest-report", "chat-which-is-you", "csv-header-error",
    "map-column-error", "map-field-error", "import-row-errors", "query-error", "query-error-in-a-field", "tag-unknown",
    "rules-check", "rules-run", "rules-when-error", "config-unknown-key", "config-glyph", "export-columns",
    "export-path", "make-book-path", "now", "missing-book", "locate"]


@pytest.mark.parametrize("name", NAMES)
def test_no_raw_control_or_bidi_character_reaches_the_terminal(name, book, tmp_path, capsys):
    argv = commands(book, tmp_path / "in")[name]
    code, out, err = run(capsys, *argv)
    assert code in (0, 2), err
    assert raw_controls(out) == [] and raw_controls(err) == [], (out, err)
    assert "Traceback" not in out + err
    shown = out + err
    assert any(mark in shown for mark in ("␛", "\\x1b", "\\u001b")), shown  # shown (made visible), not lost


@pytest.mark.parametrize("name", ["queue-json", "find-json"])
def test_json_escapes_c1_and_bidi_and_still_round_trips(name, book, tmp_path, capsys):
    code, out, _ = run(capsys, *commands(book, tmp_path / "in")[name])
    assert code == 0
    assert "\\u009b" in out and "\\u202e" in out and "\\u2066" in out
    assert EVIL in [item["name"] for item in json.loads(out)]  # the stored text, exactly
