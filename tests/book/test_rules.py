"""Automation rules: the dry run lists exactly what the run changes; a second run changes nothing."""

from __future__ import annotations

import pytest

from tests.conftest import NOW, D, copy_book
from wtui.book import automation
from wtui.book.book import Book
from wtui.core.rules import RuleError, parse_rules


@pytest.fixture
def demo(tmp_path, cfg, demo_file):
    with Book.open(copy_book(demo_file, tmp_path / "demo.db"), cfg, clock=lambda: NOW, actor="ana") as book:
        yield book


def changes_in_log(book, batch):
    return set(book.conn.execute("SELECT entity, kind, reason FROM ops WHERE batch = ?", (batch,)))


def test_the_dry_run_lists_exactly_what_the_run_then_changes(demo):
    dry = demo.run_rules(dry_run=True)
    assert demo.conn.execute("SELECT count(*) FROM ops WHERE reason LIKE 'rule:%'").fetchone()[0] == 0
    real = demo.run_rules()
    assert [(r.rule.name, r.changes) for r in dry.results] == [(r.rule.name, r.changes) for r in real.results]
    assert real.changed > 50


def test_a_second_run_changes_nothing(demo):
    demo.run_rules()
    again = demo.run_rules()
    assert again.changed == 0


def test_every_change_is_logged_with_the_rules_name(demo):
    report = demo.run_rules()
    logged = changes_in_log(demo, report.batch)
    assert logged
    names = {r.rule.name for r in report.results}
    assert all(reason.startswith("rule: ") and reason[6:] in names
               for _, kind, reason in logged if kind != "tag.create")
    # The tags the shipped rules name that the demo lacks are made first, said so in the log and the report.
    assert {entity[4:] for entity, kind, reason in logged if kind == "tag.create"
            and reason == "rules: a tag the rules name"} == set(report.new_tags) != set()
    first = next(r for r in report.results if r.changes)
    uid, what = next(iter(first.changes.items()))
    assert ("customer:" + uid, "tag.add", f"rule: {first.rule.name}") in logged


def test_the_shipped_rules_check_against_the_demo_book(demo):
    rules = automation.load(demo)
    assert [r.name for r in rules][:2] == ["dormant after 30 days", "awake again"]


def test_a_rule_can_set_colour_and_intent(demo, cfg):
    text = ('[[rule]]\nname = "hot leads"\nwhen = "intent = high AND NOT #Urgent"\n'
            'color = "red"\ncolor_hours = 4\nintent = "high"\n')
    rules = parse_rules(text, "team.toml", demo.query_fields, [t["name"] for t in demo.tags()])
    report = demo.run_rules(rules)
    uid = next(iter(report.results[0].changes))
    sql = "SELECT override_color, override_until FROM customers WHERE uid = ?"
    assert demo.conn.execute(sql, (uid,)).fetchone() == ("red", "2026-11-23T16:00:00Z")


@pytest.mark.parametrize("text, words", [
    ('[[rule]]\nname = "x"\nwhen = "#Intrest-Beauty"\nadd = ["Urgent"]\n',
     "rule 1 'x': when: unknown tag #Intrest-Beauty"),
    ('[[rule]]\nname = "x"\nwhen = "#Urgent"\nadd = ["No pe"]\n', "rule 1 'x': add: tag 'No pe': 1-20 printable"),
    ('[[rule]]\nname = "x"\nwhen = "#Urgent"\nadd = ["Bought-<yyyy-mm>"]\n', "only a rule with on = "),
    ('[[rule]]\nname = "x"\non = "purchase"\nadd = ["Bought-<month>"]\n', "unknown <month>"),
    ('[[rule]]\nname = "x"\non = "purchase"\nadd = ["Cust-Since-<yyyy-mm>-<dd>"]\n', "1-20 printable"),  # 21 filled
    ('[[rule]]\nname = "x"\non = "purchase"\nremove = ["Bought-<yyyy>"]\n', "templates make tags to add"),
    ('[[rule]]\nname = "x"\non = "bought"\nadd = ["Urgent"]\n', "on: an event: one of in, out"),
    ('[[rule]]\nname = "x"\nadd = ["Urgent"]\n', 'needs when = "<query>" or on = "<event>"'),
    ('[[rule]]\nname = "x"\nwhen = "#Urgent"\n', "does nothing"),
    ('[[rule]]\nname = "x"\nwhen = "#Urgent"\nadd = ["Urgent"]\nremove = ["urgent"]\n', "adds and removes urgent"),
    ('[[rule]]\nname = "x"\nwhen = "#Urgent"\ncolor = "pink"\n', "color: must be one of"),
    ('[[rule]]\nname = "x"\nwhen = "#Urgent"\nadd = ["Urgent"]\n'
     '[[rule]]\nname = "x"\nwhen = "#Urgent"\nremove = ["Urgent"]\n',
     "rule 2 'x': a second rule with this name"),
    ('[[rule]]\nname = "x"\nwhen = "#Urgent"\nadd = ["Urgent"]\nwhenn = "x"\n', "unknown key 'whenn'"),
    ('[[rule]\n', "not valid TOML"),
])
def test_a_bad_rules_file_names_file_rule_and_reason(demo, text, words):
    with pytest.raises(RuleError) as err:
        parse_rules(text, "team.toml", demo.query_fields, [t["name"] for t in demo.tags()])
    assert str(err.value).startswith("team.toml: ") and words in str(err.value)


def test_a_freshly_imported_customer_never_contacted_is_not_made_dormant_or_archived(demo):
    from wtui.io.csv_import import Row

    demo.import_rows([Row(2, "+4915123456781", "DE", "Europe/Berlin", (), "Neu Eins", "", "", "", None),
                      Row(3, "+4915123456782", "DE", "Europe/Berlin", (), "Alt Zwei", "", "", "", None)])
    new, old = demo.find("+4915123456781"), demo.find("+4915123456782")
    demo.record(old, "in", NOW, text="hallo")  # talked to us once, then silence
    demo.clock = lambda: NOW + 200 * D
    report = demo.run_rules()
    assert demo.tags_of(new) == [] and not any(new in r.changes for r in report.results)
    assert {"Lifecycle-Dormant", "Archive-Historical"} <= set(demo.tags_of(old))


def test_the_summary_says_per_rule_what_matched_what_changed_and_names_a_few(demo):
    report = demo.run_rules(dry_run=True)
    rows = report.summary(demo, samples=3)
    assert [r.name for r in rows] == [r.rule.name for r in report.results]
    for row, result in zip(rows, report.results, strict=True):
        assert (row.when, row.actions) == (result.rule.condition(), result.rule.actions())
        assert (row.matched, row.changed) == (result.matched, len(result.changes))
        assert len(row.samples) == min(3, row.changed) and row.more == row.changed - len(row.samples)
        for sample in row.samples:
            card = demo.card(sample.uid)
            assert (sample.name, sample.phone) == (card.name, card.phone)
            assert list(sample.changes) == result.changes[sample.uid]
    assert rows[0].actions == "+Lifecycle-Dormant" and rows[0].samples


def test_a_rules_run_reports_progress_per_rule_and_a_cancel_writes_nothing(demo):
    class Cancel(Exception):
        pass

    before = demo.conn.execute("SELECT count(*) FROM ops").fetchone()[0]
    seen = []

    def cancel_at_the_third(done, total):
        seen.append((done, total))
        if done == 3:
            raise Cancel

    with pytest.raises(Cancel):
        demo.run_rules(progress=cancel_at_the_third)
    assert demo.conn.execute("SELECT count(*) FROM ops").fetchone()[0] == before and not demo.conn.in_transaction
    n = len(automation.load(demo))
    assert seen[-1] == (3, n) and (1, n) in seen and all(total == n for _, total in seen)
    assert demo.run_rules(dry_run=True).changed > 50  # nothing of the cancelled run was kept
