"""Importing hostile files: each fixture with the report it must produce (playbook §10)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import NOW
from wtui.book.book import Book
from wtui.errors import BadInput
from wtui.io.csv_import import import_file

FIX = Path(__file__).parents[2] / "fixtures" / "import"


@pytest.fixture
def book(empty_book, cfg):
    b = Book.open(empty_book, cfg, clock=lambda: NOW, actor="ana")
    b.set_admins(["ana"])
    for t in ("Interest-Beauty", "Stage-Lead"):
        b.create_tag(t)
    yield b
    b.close()


def run(book, name, **kw):
    return import_file(book, FIX / name, **kw)


def names(book):
    return [r[0] for r in book.conn.execute("SELECT name FROM customers ORDER BY id")]


def test_utf8_bom_and_crlf(book):
    _, report = run(book, "bom_crlf.csv")
    assert (report.read, report.new, report.failed, report.applied) == (3, 3, [], True)
    assert names(book) == ["João Silva", "Lea Weber", "王伟"]
    assert book.tags_of(book.find("+5511961234567")) == ["Interest-Beauty"]


def test_quoted_commas_and_embedded_newlines(book):
    _, report = run(book, "quoted.csv")
    assert (report.read, report.new) == (2, 2)
    assert names(book) == ["Weber, Lea", 'O\'Brien "Bob"']
    assert [text for _, _, text in book.notes(book.find("+4915123456781"))] == ["first line\nsecond line, with a comma"]


def test_a_bad_row_in_a_utf8_file_rejects_that_row_only_and_nothing_is_written(book):
    _, report = run(book, "mixed_utf8.csv")
    assert [(f.line, f.reason) for f in report.failed] == [(3, "not UTF-8 text (save the file as UTF-8)")]
    assert not report.applied and names(book) == []
    _, report = run(book, "mixed_utf8.csv", partial=True)
    assert report.applied and names(book) == ["Ana Müller", "Bo"]


def test_a_cyrillic_code_page_file_is_refused_whole_though_a_pair_of_its_letters_looks_like_utf8(book, tmp_path):
    # Found in review: cp1251's "Ві" is the bytes of UTF-8 "³", so "no UTF-8 in it at all" let it through
    # to be refused row by row, without the hint.
    f = tmp_path / "contacts.csv"
    f.write_bytes("phone,name\n+79161234567,Віктор Шевченко\n+79161234568,Пётр Фёдоров\n".encode("cp1251"))
    with pytest.raises(BadInput, match="--encoding cp1252.*cp1251"):
        import_file(book, f)
    _, report = import_file(book, f, encoding="cp1251")
    assert report.applied and names(book) == ["Віктор Шевченко", "Пётр Фёдоров"]
    utf8 = tmp_path / "utf8.csv"  # a UTF-8 file read as cp1252 out of habit: every accent garbled, exit 0
    utf8.write_text("phone,name\n+79161234569,José Muñoz\n", "utf-8")
    with pytest.raises(BadInput, match="the file is UTF-8.*leave --encoding out"):
        import_file(book, utf8, encoding="cp1252")
    for codec, says in (("base64", "not a text encoding"), ("klingon", "not an encoding")):
        with pytest.raises(BadInput, match=says):  # base64 was a traceback
            import_file(book, f, encoding=codec)


def test_a_file_with_no_utf8_in_it_is_refused_whole_naming_the_encodings(book):
    # A Latin-1 file whose one accented name would have been dropped as "not UTF-8" and the rest imported.
    with pytest.raises(BadInput, match="line 3 first.*--encoding cp1252"):
        run(book, "invalid_utf8.csv")
    assert names(book) == []


def test_a_10_mb_cell_is_rejected_with_its_size(book, tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("phone,name\n+4915123456781,ok\n+4915123456782," + "x" * 10_000_000 + "\n", "utf-8")
    _, report = import_file(book, path, partial=True)
    assert [(f.line, f.reason) for f in report.failed] == [(3, "a cell of 10.0 MB (the limit is 64 KB)")]
    assert names(book) == ["ok"]


def test_formulas_are_stored_as_text_and_a_spreadsheet_apostrophe_is_dropped(book):
    _, report = run(book, "formulas.csv")
    assert report.new == 3
    assert names(book) == ['=HYPERLINK("http://x")', "@SUM(A1)", "=already quoted"]


def test_control_and_bidi_characters_in_names_are_kept_as_data(book):
    _, report = run(book, "hostile_names.csv")
    assert report.new == 3
    assert names(book)[0] == "[bold]Ali\x1b[31m\u202eevil"


def test_each_malformed_number_gets_its_own_reason(book):
    expected = [line.split("\t") for line in (FIX / "bad_phones.expected").read_text("utf-8").splitlines()]
    assert len(expected) >= 20
    _, report = run(book, "bad_phones.csv")
    got = {f.line: f.reason for f in report.failed}
    for line, reason in expected:
        assert reason in got[int(line)], (line, got[int(line)])
    assert len(report.failed) == len(expected) and not report.applied
    assert "WARNING" in "\n".join(report.lines())


def test_duplicates_keep_the_first_occurrence(book):
    _, report = run(book, "duplicates.csv", partial=True)
    assert [(f.line, f.reason) for f in report.failed] == [
        (3, "duplicate of line 2 (+4915123456781)"), (4, "duplicate of line 2 (+4915123456781)")]
    assert names(book) == ["first", "other"]


def test_unknown_tags_are_reported_not_created(book):
    _, report = run(book, "unknown_tags.csv")
    assert [(f.line, f.reason) for f in report.failed] == [
        (2, "unknown tag 'Interest-Cars' (only admins create tags: --create-tags)")]
    assert book.conn.execute("SELECT count(*) FROM tags WHERE name = 'Interest-Cars'").fetchone()[0] == 0


def test_an_admin_may_create_the_unknown_tags(book):
    _, report = run(book, "unknown_tags.csv", create_tags=True)
    assert report.applied and report.new == 2
    assert book.tags_of(book.find("+4915123456781")) == ["Interest-Beauty", "Interest-Cars"]


def test_a_rep_may_not_create_tags(book):
    book.actor = "omar"
    with pytest.raises(BadInput, match="only admins create tags"):
        run(book, "unknown_tags.csv", create_tags=True)


@pytest.mark.parametrize("name, words", [
    ("empty.csv", "the file is empty"),
    ("no_phone.csv", "no phone column (columns: name, tags)"),
])
def test_files_that_cannot_be_imported_say_why(book, name, words):
    with pytest.raises(BadInput, match=words.replace("(", r"\(").replace(")", r"\)")):
        run(book, name)


def test_a_header_only_file_imports_nothing(book):
    _, report = run(book, "header_only.csv")
    assert (report.read, report.new, report.applied) == (0, 0, False)


def test_semicolons_local_numbers_and_other_headers(book):
    _, report = run(book, "semicolon_local.txt", default_region="BR")
    assert report.new == 2 and names(book) == ["João", "Maria"]
    assert book.tags_of(book.find("+5511961234567")) == ["Stage-Lead"]


def test_excel_unicode_text_utf16_tabs(book):
    _, report = run(book, "excel_unicode.txt")
    assert report.new == 2 and names(book) == ["Änne", "李娜"]


def test_column_mapping_names_other_headers(book, tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("Cliente,Zap\nAna,+4915123456781\n", "utf-8")
    _, report = import_file(book, path, mapping={"phone": "Zap", "name": "Cliente"})
    assert report.new == 1 and names(book) == ["Ana"]


def test_importing_the_same_file_twice_changes_nothing(book):
    run(book, "bom_crlf.csv")
    ops_before = book.conn.execute("SELECT count(*) FROM ops").fetchone()[0]
    _, again = run(book, "bom_crlf.csv")
    assert (again.new, again.updated, again.skipped) == (0, 0, 3)
    assert book.conn.execute("SELECT count(*) FROM ops").fetchone()[0] == ops_before


def test_existing_customers_get_tags_added_or_replaced(book, tmp_path):
    run(book, "bom_crlf.csv")
    path = tmp_path / "more.csv"
    path.write_text("phone,tags\n+5511961234567,Stage-Lead\n", "utf-8")
    _, report = import_file(book, path)
    assert report.updated == 1
    assert book.tags_of(book.find("+5511961234567")) == ["Interest-Beauty", "Stage-Lead"]
    import_file(book, path, replace_tags=True)
    assert book.tags_of(book.find("+5511961234567")) == ["Stage-Lead"]


def test_export_round_trips_through_import(book, tmp_path):
    from wtui.io.export import write_csv

    run(book, "bom_crlf.csv")
    run(book, "formulas.csv")
    out = tmp_path / "out.csv"
    write_csv(book, [r[0] for r in book.conn.execute("SELECT id FROM customers")], out)
    _, report = import_file(book, out)
    assert (report.failed, report.new, report.updated, report.skipped) == ([], 0, 0, 6)


def test_an_import_killed_halfway_keeps_whole_batches_and_a_rerun_completes_it(tmp_path, cfg):
    path = tmp_path / "big.csv"
    rows = ["phone,name,tags"] + [f"+49151{i:08d},c{i},Stage-Lead" for i in range(6000)]
    path.write_text("\n".join(rows) + "\n", "utf-8")
    db = tmp_path / "kill.db"
    with Book.create(db, cfg, actor="ana") as b:
        b.set_admins(["ana"])
        b.create_tag("Stage-Lead")
    conf = tmp_path / "small-batches.toml"
    conf.write_text("[imports]\nbatch_rows = 500\n")
    code = (
        "import os, sys\n"
        "from wtui.book.book import Book\nfrom wtui.core import config\nfrom wtui.io.csv_import import import_file\n"
        "cfg = config.load(layers=[('--config', __import__('pathlib').Path(sys.argv[3]))])\n"
        "def progress(done, total):\n"
        "    if done >= 2500: os.kill(os.getpid(), 9)  # kill -9 halfway, between two batches' commits\n"
        "with Book.open(sys.argv[1], cfg, actor='ana') as b:\n"
        "    import_file(b, sys.argv[2], progress=progress)\n"
    )
    p = subprocess.run([sys.executable, "-c", code, str(db), str(path), str(conf)], capture_output=True, timeout=120)
    assert p.returncode == -9
    with Book.open(db, cfg) as b:
        n = b.conn.execute("SELECT count(*) FROM customers").fetchone()[0]
        assert n % 500 == 0 and 0 < n < 6000  # whole batches only
        assert b.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        _, report = import_file(b, path)
        assert report.new == 6000 - n and report.skipped == n
        assert b.conn.execute("SELECT count(*) FROM customers").fetchone()[0] == 6000


def test_new_customers_arrive_with_tags_notes_verdicts_and_a_change_log_entry(book, tmp_path):
    path = tmp_path / "new.csv"
    path.write_text("phone,name,tags,notes\n+4915123456781,Ana,Stage-Lead,met at the fair\n"
                    "+4915123456782,Bo,,\n", "utf-8")
    _, report = import_file(book, path)
    assert report.new == 2
    uid = book.find("+4915123456781")
    assert book.tags_of(uid) == ["Stage-Lead"]
    assert [n[2] for n in book.card(uid).notes] == ["met at the fair"]
    stored = book.conn.execute("SELECT color, reason FROM customers WHERE uid = ?", (uid,)).fetchone()
    book.conn.execute("UPDATE customers SET color = NULL")  # recompute from scratch: the stored verdict must agree
    from wtui.book import derive

    with book.batch():
        derive.refresh(book.conn, [r[0] for r in book.conn.execute("SELECT id FROM customers")], book.now(), book.cfg)
    assert book.conn.execute("SELECT color, reason FROM customers WHERE uid = ?", (uid,)).fetchone() == stored
    entry = [e for e in book.change_log(uid) if e.kind == "customers.import"]
    assert len(entry) == 1 and entry[0].reason == "import new.csv"
    assert (entry[0].payload["phone"], entry[0].payload["tags"]) == ("+4915123456781", ["Stage-Lead"])
    assert book.conn.execute("SELECT count(*) FROM ops WHERE kind = 'customers.import'").fetchone()[0] == 1


def test_the_import_op_holds_a_bounded_number_of_rows(book, tmp_path, monkeypatch):
    from wtui.book import ops

    monkeypatch.setattr(ops, "IMPORT_ROWS_PER_OP", 4)
    path = tmp_path / "ten.csv"
    path.write_text("phone\n" + "".join(f"+49151234567{i:02d}\n" for i in range(10)), "utf-8")
    assert import_file(book, path)[1].new == 10
    assert book.conn.execute("SELECT count(*) FROM ops WHERE kind = 'customers.import'").fetchone()[0] == 3


def test_workers_give_the_same_report_as_one_process(tmp_path, cfg):
    from wtui.core import config

    reports = []
    for settings in ({"workers": 1}, {"workers": 2, "parallel_rows": 1}):
        c = config.with_overrides({"imports": settings})
        with Book.create(tmp_path / f"b{len(reports)}.db", c, clock=lambda: NOW, actor="ana") as b:
            _, report = run(b, "bad_phones.csv", partial=True)
            reports.append(([(f.line, f.reason) for f in report.failed], report.new))
    assert reports[0] == reports[1] and len(reports[0][0]) >= 20


def test_checking_and_writing_report_their_progress(book, tmp_path):
    path = tmp_path / "many.csv"
    path.write_text("phone\n" + "".join(f"+49151{i:08d}\n" for i in range(6000)), "utf-8")
    checking, writing = [], []
    import_file(book, path, checking=lambda d, t: checking.append((d, t)), progress=lambda d, t: writing.append((d, t)))
    assert checking == [(5000, 6000), (6000, 6000)]
    assert writing == [(5000, 6000), (6000, 6000)]


def test_a_priority_tag_imported_onto_an_existing_customer_updates_their_stored_verdict(book, tmp_path):
    from wtui.book import derive

    book.create_tag("Complaint-Open")
    run(book, "bom_crlf.csv")
    uid = book.find("+5511961234567")
    path = tmp_path / "complaint.csv"
    path.write_text("phone,tags\n+5511961234567,Complaint-Open\n", "utf-8")
    assert import_file(book, path)[1].updated == 1
    verdict = "SELECT " + ", ".join(derive.COLUMNS) + " FROM customers WHERE uid = ?"
    stored = book.conn.execute(verdict, (uid,)).fetchone()
    assert stored[derive.COLUMNS.index("queue_rank")] == 0  # priority tags come before anything (playbook §12)
    with book.batch():
        derive.refresh(book.conn, [book._require(uid)], book.now(), book.cfg)
    assert book.conn.execute(verdict, (uid,)).fetchone() == stored


def test_an_import_that_renamed_and_tagged_customers_is_undone_as_one_batch(book, tmp_path):
    run(book, "bom_crlf.csv")
    uid = book.find("+5511961234567")
    path = tmp_path / "rename.csv"
    path.write_text("phone,name,tags,notes\n+5511961234567,João S.,Stage-Lead,prefers mornings\n", "utf-8")
    assert import_file(book, path)[1].updated == 1
    assert book.card(uid).name == "João S." and "Stage-Lead" in book.tags_of(uid)
    batch = book.change_log(uid)[0].batch
    assert {e.kind for e in book.change_log(uid) if e.batch == batch} == {"customer.set", "tag.add", "note.add"}
    book.undo(batch)
    assert book.card(uid).name == "João Silva" and book.tags_of(uid) == ["Interest-Beauty"]
    assert not book.card(uid).notes


def test_a_dry_run_counts_like_the_run_one_batch_at_a_time_and_writes_nothing(tmp_path):
    from wtui.core import config

    c = config.with_overrides({"imports": {"batch_rows": 3}})
    path = tmp_path / "seven.csv"
    path.write_text("phone,tags\n" + "".join(f"+49151234567{i:02d},Stage-Lead\n" for i in range(7)), "utf-8")
    with Book.create(tmp_path / "b.db", c, clock=lambda: NOW, actor="ana") as b:
        b.set_admins(["ana"])
        b.create_tag("Stage-Lead")
        b.add_customer("+4915123456700")  # one already there: an update (it gains the tag)
        before = b.conn.execute("SELECT count(*) FROM ops").fetchone()[0]
        counted = []
        _, dry = import_file(b, path, dry_run=True, progress=lambda d, t: counted.append((d, t)))
        assert (dry.new, dry.updated, dry.skipped, dry.applied) == (6, 1, 0, False)
        assert counted == [(3, 7), (6, 7), (7, 7)]  # batch by batch
        assert b.conn.execute("SELECT count(*) FROM ops").fetchone()[0] == before
        _, real = import_file(b, path)
        assert (real.new, real.updated, real.skipped, real.applied) == (6, 1, 0, True)


def test_checking_says_it_is_done_once(book, tmp_path):
    path = tmp_path / "even.csv"
    path.write_text("phone\n" + "".join(f"+49151{i:08d}\n" for i in range(10000)), "utf-8")
    checking = []
    import_file(book, path, dry_run=True, checking=lambda d, t: checking.append((d, t)))
    assert checking == [(5000, 10000), (10000, 10000)]
