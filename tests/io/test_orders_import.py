"""wtui import-orders (issue #15): shops' order exports in several languages and forms become purchases,
all or nothing, idempotent, one batch (one undo); every rejected row says where and why."""

from __future__ import annotations

import csv
import json
import random
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import NOW, copy_book
from wtui import cli
from wtui.book.book import Book
from wtui.book.engine import sqlite3
from wtui.core import money
from wtui.errors import BadInput
from wtui.io import csv_import, orders_import

FIX = Path(__file__).parents[2] / "fixtures" / "import" / "orders"
JOAO, LEA, OLGA, WANG, BOB, FATIMA = ("+5511961234567", "+4915123456781", "+79161234567", "+8613123123123",
                                      "+12015550123", "+971501234567")
UTC = timezone.utc


@pytest.fixture(autouse=True)
def team_in_utc(monkeypatch):
    """Times without a zone are the team's (rep.timezone, else $TZ, else the system's): pinned here."""
    monkeypatch.setenv("TZ", "UTC")


@pytest.fixture
def path(tmp_path, empty_file, cfg) -> Path:
    p = copy_book(empty_file, tmp_path / "b.db")
    with Book.open(p, cfg, clock=lambda: NOW, actor="ana") as b:
        _, report = csv_import.import_file(b, FIX / "customers.csv")
        assert report.new == 6
    return p


@pytest.fixture
def book(path, cfg):
    with Book.open(path, cfg, clock=lambda: NOW, actor="ana") as b:
        yield b


def load(book, name: str, **kw):
    apply_kw = {k: kw.pop(k) for k in ("partial", "dry_run") if k in kw}
    checked = orders_import.read_and_check(book, FIX / name, **kw)
    return orders_import.apply(book, checked, **apply_kw)


def purchases(book, phone: str) -> list[tuple[str, float, str]]:
    return [(at, amount, text) for at, amount, text in book.conn.execute(
        "SELECT i.at, i.amount, i.text FROM interactions i JOIN customers c ON c.id = i.customer_id "
        "WHERE c.phone = ? AND i.kind = 'purchase' AND i.retracted = 0 ORDER BY i.at", (phone,))]


def purchase_count(book, phone: str) -> int:
    return book.conn.execute("SELECT purchase_count FROM customers WHERE phone = ?", (phone,)).fetchone()[0]


def ops(book) -> int:
    return book.conn.execute("SELECT count(*) FROM ops").fetchone()[0]


def test_a_shop_export_one_line_per_item_is_one_purchase_per_order(book, cfg):
    report = load(book, "shop_export.csv", mapping={"order": "Name"})
    assert (report.read, report.new, report.items, report.failed, report.applied) == (4, 3, 1, [], True)
    rate = cfg.spend.rates["BRL"]
    assert purchases(book, JOAO) == [("2026-11-20T18:30:00Z", round(1250 * rate, 2),
                                      "order #1001: Serum Vitamina C, Protetor solar FPS 50 (1,250.00 BRL)")]
    assert purchases(book, LEA)[0][:2] == ("2026-11-18T08:12:00Z", round(89.90 * cfg.spend.rates["EUR"], 2))
    assert purchases(book, BOB) == [("2026-11-02T20:58:10Z", 45.0, "order #1003: Sunscreen SPF50")]
    assert book.card(book.find(JOAO)).spend_tier == "high"  # 225 USD: over order_high_above
    assert purchase_count(book, JOAO) == 1


def test_woocommerce_repeats_the_total_on_each_item_line(book, cfg):
    report = load(book, "woocommerce.csv")
    assert (report.new, report.items, report.failed) == (2, 1, [])
    assert purchases(book, FATIMA) == [("2026-11-19T10:05:00Z", round(740 * cfg.spend.rates["AED"], 2),
                                        "order 2041: Oud perfume 50ml, Gift box (740.00 AED)")]


@pytest.mark.parametrize("name, region, phone, expected", [
    ("pedidos_br.csv", "BR", JOAO, [("2026-11-03T12:00:00Z", round(89.90, 2), "order 5502: Batom"),
                                    ("2026-11-20T14:05:00Z", round(1250 * 0.18, 2),
                                     "order 5501: Kit presente (1,250.00 BRL)")]),
    ("orders_ru.csv", "RU", OLGA, [("2026-11-05T12:00:00Z", round(3990 * 0.011, 2),
                                    "order RU-78: Сыворотка (3,990.00 RUB)"),
                                   ("2026-11-21T19:20:00Z", round(12500 * 0.011, 2),
                                    "order RU-77: Крем для лица (12,500.00 RUB)")]),
    ("orders_zh.csv", "CN", WANG, [("2026-11-20T14:05:00Z", round(1288 * 0.14, 2),
                                    "order CN20261120001: 精华液 (1,288.00 CNY)"),
                                   ("2026-11-21T12:00:00Z", round(399 * 0.14, 2),
                                    "order CN20261121002: 面膜 (399.00 CNY)")]),
    ("orders_us.csv", "US", BOB, [("2026-11-03T12:00:00Z", 89.99, "order A-2: Lamp"),
                                  ("2026-11-20T14:05:00Z", 1250.0, "order A-1: Sofa")]),
])
def test_files_in_other_languages_and_forms(book, cfg, name, region, phone, expected):
    """Headers in the team's language, national numbers, decimal commas, symbols, d/m/y and m/d/y dates
    (the rates are the shipped ones: the book counts in USD)."""
    assert cfg.spend.currency == "USD" and cfg.spend.rates["BRL"] == 0.18
    report = load(book, name, default_region=region)
    assert report.failed == [] and report.note == ""  # each file's dates tell their order
    assert purchases(book, phone) == expected


def test_a_hostile_file_writes_nothing_and_names_each_rejected_line(book):
    before = ops(book)
    report = load(book, "hostile.csv")
    reasons = {f.line: f.reason for f in report.failed}
    assert not report.applied and ops(book) == before and purchases(book, JOAO) == []
    assert reasons == {
        3: "'+5511999999999': no customer with number +5511999999999 in the book: import them first (wtui import)",
        4: "amount '-40.00' is negative (a refund?): only purchases are recorded",
        5: "'12.50.3': thousands come in groups of three (like 1,250,000.00)",
        6: "no rate for XYZ: the book counts in USD; add spend.rates.XYZ (what one XYZ is worth in USD) to the "
           "team config",
        7: "amount 'R$ 80' is in BRL but the currency column says EUR",
        8: "date '2027-03-01' is in the future",
        9: "date 'yesterday': write it like 2026-11-20, 2026-11-20 15:30 or 20/11/2026",
        10: "no customer: the row has neither a number nor a uid",
        11: "order H-1 is on line 2 for another customer",
        12: "date '31/02/2026': write it like 2026-11-20, 2026-11-20 15:30 or 20/11/2026",
    }
    assert "nothing was written: fix the rows above, or pass --partial to keep the good ones" in report.lines()


def test_partial_keeps_the_good_row_and_its_text_stays_data(book):
    report = load(book, "hostile.csv", partial=True)
    assert report.applied and report.new == 1
    assert purchases(book, JOAO) == [("2026-11-20T12:00:00Z", 120.0, "order H-1: [bold]Serum[/bold] \u202egnp.exe")]


def test_importing_again_writes_nothing_new(book):
    first = load(book, "woocommerce.csv")
    before = ops(book)
    again = load(book, "woocommerce.csv")
    assert (again.new, again.skipped, again.applied, again.batch) == (0, first.new, True, "")
    assert ops(book) == before


def test_a_file_without_order_ids_is_keyed_by_its_rows(book, tmp_path):
    f = tmp_path / "plain.csv"
    f.write_text(f"phone,amount,date\n{BOB},10,2026-11-01\n{BOB},12,2026-11-01\n", "utf-8")
    first = orders_import.apply(book, orders_import.read_and_check(book, f))
    again = orders_import.apply(book, orders_import.read_and_check(book, f))
    assert (first.new, again.new, again.skipped) == (2, 0, 2)
    f.write_text(f"phone,amount,date\n{BOB},10,2026-11-01\n{BOB},10,2026-11-01\n", "utf-8")
    report = orders_import.apply(book, orders_import.read_and_check(book, f))
    assert [(x.line, x.reason) for x in report.failed] == [
        (3, "the same order as line 2 (customer, time, amount and product): give orders an id column to keep both")]


def test_an_order_line_with_another_total_is_refused(book, tmp_path):
    f = tmp_path / "o.csv"
    f.write_text(f"order,phone,total,date\n7,{BOB},10,2026-11-01\n7,{BOB},11,2026-11-01\n", "utf-8")
    report = orders_import.apply(book, orders_import.read_and_check(book, f))
    assert report.failed[0].reason == ("order 7 is on line 2 with another amount (10.00 USD): one row an order, "
                                       "or leave the amount empty on its further items")


def test_an_order_taken_back_is_written_anew_when_imported_again(book):
    first = load(book, "woocommerce.csv")
    book.undo(first.batch)
    assert purchases(book, BOB) == []
    again = load(book, "woocommerce.csv")
    assert (again.new, again.skipped) == (2, 0) and len(purchases(book, BOB)) == 1
    assert load(book, "woocommerce.csv").new == 0  # and then it is held
    book.undo(again.batch)
    assert load(book, "woocommerce.csv").new == 2 and len(purchases(book, BOB)) == 1


def test_the_whole_import_is_one_undo(book):
    report = load(book, "woocommerce.csv")
    assert purchase_count(book, BOB) == 1
    book.undo(report.batch)
    assert purchases(book, BOB) == [] and purchase_count(book, BOB) == 0


def test_a_uid_column_names_the_customer_and_an_unknown_uid_is_refused(book, tmp_path):
    uid = book.find(BOB)
    f = tmp_path / "o.csv"
    f.write_text(f"uid,amount,date\n{uid},10,2026-11-01\n{'0' * 32},10,2026-11-01\n", "utf-8")
    report = orders_import.apply(book, orders_import.read_and_check(book, f), partial=True)
    assert [x.reason for x in report.failed] == [f"no customer with uid {'0' * 32!r} in the book"]
    assert purchases(book, BOB) == [("2026-11-01T12:00:00Z", 10.0, "")]


def test_a_number_spaced_out_with_its_country_code_is_found_by_its_digits(book, tmp_path, monkeypatch):
    """Only the forms that need phonenumbers go to it: '+55 (11) 96123-4567' is JOAO's digits as they are;
    '+49 (0)151...' (a national prefix kept in brackets) is not anyone's digits and is read by phonenumbers."""
    from wtui.io import numbers

    asked: list[str] = []
    normalize = numbers.Normalizer.normalize
    monkeypatch.setattr(numbers.Normalizer, "normalize", lambda self, raws: asked.extend(raws) or normalize(self, raws))
    f = tmp_path / "o.csv"
    f.write_text("phone,amount,date\n+55 (11) 96123-4567,10,2026-11-01\n+49 (0)151 2345 6781,20,2026-11-01\n"
                 "+7 916 123-45-67,30,2026-11-01\n+1 201.555.0123,40,2026-11-01\n", "utf-8")
    report = orders_import.apply(book, orders_import.read_and_check(book, f))
    assert report.new == 4 and not report.failed
    assert asked == ["+49 (0)151 2345 6781"]
    assert [purchase_count(book, p) for p in (JOAO, LEA, OLGA, BOB)] == [1, 1, 1, 1]


def test_times_without_a_zone_are_the_teams(book, tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "America/Sao_Paulo")
    f = tmp_path / "o.csv"
    f.write_text(f"phone,amount,date\n{BOB},10,2026-11-20 09:30\n{BOB},11,2026-11-20T09:30:00Z\n", "utf-8")
    orders_import.apply(book, orders_import.read_and_check(book, f))
    assert [at for at, _, _ in purchases(book, BOB)] == ["2026-11-20T09:30:00Z", "2026-11-20T12:30:00Z"]


@pytest.mark.parametrize("header, problem", [
    ("phone,date", "no amount column"),
    ("phone,amount", "no date column"),
    ("name,amount,date", "no phone or customer column"),
])
def test_a_file_missing_a_column_is_refused_naming_it(book, tmp_path, header, problem):
    f = tmp_path / "o.csv"
    f.write_text(header + "\nx,1,2026-11-01\n", "utf-8")
    with pytest.raises(BadInput, match=problem):
        orders_import.read_and_check(book, f)


def test_dates_that_never_tell_their_order_are_read_the_regions_way_and_the_report_says_so(book, tmp_path):
    f = tmp_path / "o.csv"
    f.write_text(f"phone,amount,date\n{BOB},10,03/04/2026\n", "utf-8")
    rehearsed = orders_import.apply(book, orders_import.read_and_check(book, f, default_region="DE"), dry_run=True)
    assert rehearsed.note.endswith("if that is wrong, import again with --dates mdy")  # nothing to undo
    report = orders_import.apply(book, orders_import.read_and_check(book, f, default_region="DE"))
    assert purchases(book, BOB)[0][0] == "2026-04-03T12:00:00Z"
    assert report.note.startswith("dates like 03/04/2026 were read day first")
    assert report.note.endswith("undo and import again with --dates mdy")
    book.undo(report.batch)
    report = orders_import.apply(book, orders_import.read_and_check(book, f, dates="mdy"))
    assert purchases(book, BOB)[0][0] == "2026-03-04T12:00:00Z" and report.note == ""


def test_dates_written_both_ways_are_refused(book, tmp_path):
    f = tmp_path / "o.csv"
    f.write_text(f"phone,amount,date\n{BOB},10,20/04/2026\n{BOB},11,04/20/2026\n", "utf-8")
    with pytest.raises(BadInput, match="both day first"):
        orders_import.read_and_check(book, f)


# -- the pure parts, for all inputs ----------------------------------------------------------------------

@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2026, 11, 1),
                    timezones=st.sampled_from([UTC, ZoneInfo("America/Sao_Paulo"), ZoneInfo("Asia/Kolkata")])))
def test_an_iso_time_reads_back_as_the_same_instant(at):
    at = at.replace(microsecond=0)
    for text in (at.isoformat(), at.isoformat(sep=" "), at.strftime("%Y-%m-%d %H:%M:%S %z")):
        assert orders_import.parse_when(text, "dmy", ZoneInfo("UTC"), NOW) == at.astimezone(UTC)


@given(st.dates(min_value=datetime(2000, 1, 1).date(), max_value=datetime(2026, 11, 20).date()),
       st.sampled_from(["dmy", "mdy"]), st.sampled_from("/.-"))
def test_a_numeric_date_reads_back_in_the_order_it_was_written(day, order, sep):
    text = (f"{day.day:02d}{sep}{day.month:02d}" if order == "dmy" else f"{day.month:02d}{sep}{day.day:02d}") \
        + f"{sep}{day.year}"
    zone = ZoneInfo("Asia/Tokyo")
    assert orders_import.parse_when(text, order, zone, NOW) == \
        datetime(day.year, day.month, day.day, 12, tzinfo=zone).astimezone(UTC)


@given(st.decimals(min_value="0.01", max_value="999999.99", places=2),
       st.sampled_from(sorted(money.SYMBOLS)), st.booleans())
def test_an_amount_with_a_symbol_names_its_currency(amount, symbol, after):
    text = f"{amount}{symbol}" if after else f"{symbol} {amount}"
    number, currency = money.split_currency(text)
    assert currency == money.SYMBOLS[symbol] and money.parse_amount(number) == float(amount)


def test_todays_date_alone_is_an_order_of_today_even_before_noon():
    morning = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    assert orders_import.parse_when("2026-11-23", "dmy", ZoneInfo("UTC"), morning) == morning
    assert orders_import.parse_when("23/11/2026", "dmy", ZoneInfo("UTC"), morning) == morning
    with pytest.raises(BadInput, match="in the future"):
        orders_import.parse_when("2026-11-24", "dmy", ZoneInfo("UTC"), morning)


@pytest.mark.parametrize("text, order, expected", [
    ("12/03/04", "ymd", datetime(2012, 3, 4, 12, tzinfo=UTC)),
    ("12/03/04", "dmy", datetime(2004, 3, 12, 12, tzinfo=UTC)),
    ("12/03/04", "mdy", datetime(2004, 12, 3, 12, tzinfo=UTC)),
])
def test_the_date_order_asked_for_is_the_one_read(text, order, expected):
    assert orders_import.parse_when(text, order, ZoneInfo("UTC"), NOW) == expected


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00-05:00", "1900-01-01",
                                  "0202-05-01"])
def test_a_date_at_the_calendars_edge_is_a_rejected_row_not_a_crash(text):
    with pytest.raises(BadInput):
        orders_import.parse_when(text, "dmy", ZoneInfo("UTC"), NOW)


def test_a_time_ahead_of_now_is_refused():
    with pytest.raises(BadInput, match="in the future"):
        orders_import.parse_when((NOW + timedelta(hours=2)).isoformat(), "dmy", ZoneInfo("UTC"), NOW)


# -- the command ----------------------------------------------------------------------------------------

def test_the_command_exits_2_and_writes_nothing_on_a_bad_file(path, capsys, tmp_path):
    with sqlite3.connect(path) as c:
        before = c.execute("SELECT count(*) FROM ops").fetchone()[0]
    errors = tmp_path / "rejected.csv"
    code = cli.main(["--db", str(path), "--now", NOW.isoformat(), "import-orders", str(FIX / "hostile.csv"),
                     "--errors", str(errors)])
    out = capsys.readouterr().out
    assert code == 2 and "line 8: date '2027-03-01' is in the future" in out
    with sqlite3.connect(path) as c:
        assert c.execute("SELECT count(*) FROM ops").fetchone()[0] == before
    assert errors.read_text("utf-8-sig").splitlines()[0].endswith(",error")
    code = cli.main(["--db", str(path), "--now", NOW.isoformat(), "import-orders", str(FIX / "hostile.csv"),
                     "--map", "bogus=x"])
    assert code == 2 and "--map bogus=...: unknown field" in capsys.readouterr().err


def test_the_command_dry_run_counts_and_writes_nothing(path, capsys):
    with sqlite3.connect(path) as c:
        before = c.execute("SELECT count(*) FROM ops").fetchone()[0]
    code = cli.main(["--db", str(path), "--now", NOW.isoformat(), "import-orders", str(FIX / "woocommerce.csv"),
                     "--dry-run"])
    out = capsys.readouterr().out
    assert code == 0 and "new orders 2" in out and "nothing was written (dry run)" in out
    with sqlite3.connect(path) as c:
        assert c.execute("SELECT count(*) FROM ops").fetchone()[0] == before
    code = cli.main(["--db", str(path), "--now", NOW.isoformat(), "import-orders", str(FIX / "woocommerce.csv"),
                     "--json"])
    got = json.loads(capsys.readouterr().out)
    assert code == 0 and (got["new"], got["applied"], got["failed"]) == (2, True, []) and got["batch"]
    code = cli.main(["--db", str(path), "--now", NOW.isoformat(), "import-orders", str(FIX / "hostile.csv"),
                     "--json"])
    got = json.loads(capsys.readouterr().out)
    assert code == 2 and not got["applied"] and {"line": 8, "reason": "date '2027-03-01' is in the future"} in got[
        "failed"]


def _orders_file(path: Path, phones: list[str], seed: int) -> Path:
    """A shop's export with everything a recompute must fold alike: orders in three currencies, ids and none,
    further item lines, refunds (refused), numbers as typed, for customers with a long history and none."""
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Order ID", "Phone", "Total", "Currency", "Product", "Created at"])
        for n in range(120):
            phone = rng.choice(phones)
            if rng.random() < 0.3:
                phone = f"{phone[:3]} {phone[3:7]} {phone[7:]}"
            order = f"#{n}" if rng.random() < 0.8 else ""
            total = f"{rng.choice([-1, 1, 1, 1, 1]) * rng.uniform(2, 1500):.2f}"
            at = (NOW - timedelta(days=rng.uniform(0, 400))).strftime("%Y-%m-%d %H:%M:%S %z")
            currency = rng.choice(["", "", "EUR", "BRL"])
            w.writerow([order, phone, total, currency, rng.choice(["Serum", "Scarf", ""]), at])
            if order and rng.random() < 0.2:  # another item of the order
                w.writerow([order, phone, "", currency, rng.choice(["Kit", "Lipstick"]), ""])
    return path


def _state(book) -> tuple[list, list]:
    customers = book.conn.execute("SELECT * FROM customers ORDER BY id").fetchall()
    bought = book.conn.execute("SELECT uid, customer_id, kind, at, amount, product, coalesce(text, '') FROM "
                               "interactions WHERE kind = 'purchase' ORDER BY uid").fetchall()
    return customers, bought


@pytest.mark.parametrize("seed", [1, 2])
def test_an_import_leaves_every_verdict_as_recording_each_purchase_alone_would(demo_file, tmp_path, cfg, seed):
    """The batch recompute (every named customer at each commit point, histories read a chunk at a time)
    against the per-customer path: each purchase a write of its own, its customer recomputed alone."""
    base = copy_book(demo_file, tmp_path / "base.db")
    newcomers = tmp_path / "new.csv"
    newcomers.write_text("phone,name\n+5511961234567,Joao\n+4915123456781,Lea\n+79161234567,Olga\n", "utf-8")
    with Book.open(base, cfg, clock=lambda: NOW, actor="ana") as book:
        csv_import.import_file(book, newcomers)  # customers with no history yet
        phones = [p for (p,) in book.conn.execute("SELECT phone FROM customers ORDER BY id")]
    orders = _orders_file(tmp_path / "orders.csv", phones[::3] + phones[-3:], seed)
    small = replace(cfg, imports=replace(cfg.imports, batch_rows=7),  # many chunks, each committed and settled
                    book=replace(cfg.book, transaction_seconds=0))
    with Book.open(copy_book(base, tmp_path / "batch.db"), small, clock=lambda: NOW, actor="ana") as batch:
        checked = orders_import.read_and_check(batch, orders)
        report = orders_import.apply(batch, checked, partial=True)
        assert report.failed and report.new > 50 and checked.items  # refunds refused, item lines folded in
        assert {"EUR", "BRL"} <= {o.text[-4:-1] for o in checked.good}
        after_batch = _state(batch)
    with Book.open(copy_book(base, tmp_path / "alone.db"), cfg, clock=lambda: NOW, actor="ana") as alone:
        for o in orders_import.read_and_check(alone, orders).good:
            alone.record(o.customer, "purchase", o.at, text=o.text, amount=o.amount, ext_id=o.key, product=o.product)
        assert after_batch == _state(alone)
