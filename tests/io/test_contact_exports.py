"""Contacts as reps have them (issue #15): the CSV exports of Chatwoot, HubSpot, Google Contacts and
Outlook import without --map; headers are compared folded; first and last names are joined; of a
contact's several numbers the mobile one is kept and the others go to the notes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import copy_book
from wtui.book.book import Book
from wtui.core.phone import normalize
from wtui.errors import BadInput
from wtui.io import csv_import

EXPORTS = Path(__file__).parents[2] / "fixtures" / "import" / "exports"

EXPECTED = {
    "chatwoot.csv": [("+5511961985966", "Maria Pereira", ""), ("+522221436387", "José Hernández", ""),
                     ("+971501966714", "Ahmed", "")],
    "hubspot.csv": [("+4915123456789", "Lea Schäfer", "other numbers: +4930901820"),
                    ("+918123251678", "Priya Sharma", ""), ("+442079460958", "Tom Baker", "")],
    "google.csv": [("+5511961038068", "Juliana Pereira", "other numbers: +551130612000, +551130612001"),
                   ("+8613123124023", "陈 静", ""), ("+79123148759", "Анна Кузнецова", "other numbers: +74951234567")],
    "google_legacy.csv": [("+522221171976", "Diego López", ""),
                          ("+918123762732", "Aarav Singh", "other numbers: +912222663000")],
    "outlook.csv": [("+393123270238", "Luca Bianchi", "met at the fair\nother numbers: +390669820000"),
                    ("+33612345678", "Sophie Martin", "other numbers: +33142685300")],
}


@pytest.fixture
def book(tmp_path, empty_file, cfg):
    with Book.open(copy_book(empty_file, tmp_path / "b.db"), cfg, actor="ana") as b:
        yield b


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_export_imports_without_a_map(book, name):
    checked, report = csv_import.import_file(book, EXPORTS / name)
    assert not checked.failed, checked.failed
    assert [(r.phone, r.name, r.notes) for r in checked.good] == EXPECTED[name]
    assert report.applied and report.new == len(EXPECTED[name])
    assert sorted(book.card(book.find(p)).name for p, _, _ in EXPECTED[name]) == sorted(n for _, n, _ in EXPECTED[name])


def test_outlooks_default_ansi_export_is_refused_once_saying_how_then_read_in_its_code_page(book):
    # Outlook writes "CSV (Windows)" in the computer's code page: every row with an accent was "not UTF-8".
    with pytest.raises(BadInput, match=r"not UTF-8 text \(line 2 first\).*--encoding cp1252"):
        csv_import.read_and_check(book, EXPORTS / "outlook_ansi.csv")
    checked, report = csv_import.import_file(book, EXPORTS / "outlook_ansi.csv", encoding="cp1252")
    assert [(r.phone, r.name, r.notes) for r in checked.good] == [
        ("+33612345678", "François Lefèvre", "Café owner, prefers mornings"), ("+5511961234567", "Ana Lima", "")]
    assert report.applied and book.card(book.find("+33612345678")).name == "François Lefèvre"
    with pytest.raises(BadInput, match="not an encoding"):
        csv_import.read_and_check(book, EXPORTS / "outlook_ansi.csv", encoding="klingon")
    with pytest.raises(BadInput, match="not utf-16 text at byte"):  # the wrong code page named: said, not read
        csv_import.read_and_check(book, EXPORTS / "outlook_ansi.csv", encoding="utf-16")


def test_hubspot_owner_column_is_read(book):
    checked, _ = csv_import.import_file(book, EXPORTS / "hubspot.csv", dry_run=True)
    assert [r.owner for r in checked.good] == ["ana", "omar", ""]


@pytest.mark.parametrize("header, field", [
    ("PHONE_NUMBER", "phone"), ("Phone-Number", "phone"), (" phone.number ", "phone"), ("\ufeffTelefone", "phone"),
    ("Teléfono", "phone"), ("TELEFONO", "phone"), ("Given  Name", "first_name"), ("Family_Name", "last_name"),
    ("Responsável", "owner")])
def test_headers_are_matched_folded(cfg, header, field):
    columns = csv_import.map_columns(["x", header, "Phone"] if field != "phone" else ["x", header],
                                     {}, cfg.imports.columns)
    assert columns[field] == [1]


def test_a_mobile_column_is_read_before_another_phone_column(cfg):
    columns = csv_import.map_columns(["Phone", "Mobile Phone", "Home Phone"], {}, cfg.imports.columns)
    assert columns["phone"] == [1, 0, 2]


def test_two_columns_of_one_name_are_refused(cfg):
    with pytest.raises(BadInput, match="twice"):
        csv_import.map_columns(["Phone", "Name", "phone"], {}, cfg.imports.columns)


@given(st.text(max_size=30))
def test_header_keys_are_stable(text):
    key = csv_import.header_key(text)
    assert csv_import.header_key(key) == key and key == key.strip()


def test_a_mexican_number_saved_with_the_old_mobile_one_is_the_same_customer():
    assert normalize("+52 1 222 143 6387").e164 == normalize("+52 222 143 6387").e164 == "+522221436387"


VCARDS = Path(__file__).parents[2] / "fixtures" / "import" / "vcard"


@pytest.mark.parametrize("name, expected, failed", [
    ("android_2.1.vcf", [("+5511961676402", "João Rodrigues",
                          "Prefere mensagens à tarde, nunca ligações\nother numbers: +551130612000"),
                         ("+522221436387", "Carlos", "")], []),
    ("ios_3.0.vcf", [("+4915123456789", "Lea Schäfer",
                      "met at the fair, booth 4\nlikes serums\nother numbers: +4930901820")],
     [(10, "no phone number")]),
    ("v4.vcf", [("+8613123124023", "陈静", "只发文字，工作日 9-18\nother numbers: +861065529988"),
                ("+971501966714", "Ahmed Al Mansouri", "")], []),
])
def test_vcards_as_phones_export_them_import_with_the_mobile_number(book, name, expected, failed):
    checked, _ = csv_import.import_file(book, VCARDS / name, partial=True)
    assert [(r.phone, r.name, r.notes) for r in checked.good] == expected
    assert [(f.line, f.reason) for f in checked.failed] == failed


def test_a_cut_vcard_file_is_refused_at_the_card_that_never_ends(book, tmp_path):
    cut = tmp_path / "cut.vcf"
    cut.write_text("BEGIN:VCARD\nVERSION:3.0\nFN:Ana\nTEL;type=CELL:+5511961676402\n")
    checked, report = csv_import.import_file(book, cut)
    assert not checked.good and "never ends" in checked.failed[0].reason and not report.applied


@given(st.text(max_size=200))
def test_any_text_as_a_vcard_is_read_or_refused_row_by_row(text):
    from wtui.io import vcard

    table = vcard.parse("x.vcf", "BEGIN:VCARD\n" + text, 64 * 1024)
    assert all(len(r.cells) == 3 for r in table.records)


def test_a_card_cut_in_the_middle_of_a_file_is_said_and_the_next_one_read(book, tmp_path):
    cut = tmp_path / "mid.vcf"
    cut.write_text("BEGIN:VCARD\nFN:Cut Off\nTEL;type=CELL:+5511961676403\n"
                   "BEGIN:VCARD\nFN:Lea\nTEL;type=CELL:+4915123456789\nEND:VCARD\n")
    checked, _ = csv_import.import_file(book, cut, partial=True)
    assert [r.name for r in checked.good] == ["Lea"]
    assert [(f.line, "never ends" in f.reason) for f in checked.failed] == [(1, True)]
