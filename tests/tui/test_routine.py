"""The weekly routine in the app (issue #16): H (tag health, signals, accuracy; a finding's fix previewed,
admins only, one undo), A (the accuracy audit, one customer at a time), the header's routine-day reminder."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.widgets import TabbedContent

from tests.conftest import NOW
from tests.tui.conftest import app_cfg, started
from tests.tui.test_app import shown, until
from wtui.book.book import Book
from wtui.tui.app import WtuiApp

pytestmark = pytest.mark.anyio


def twin_tags(book: Book) -> list[str]:
    """Stage-Paid and Stage-Ordered on the same 30 customers, but for one: a merge candidate."""
    book.create_tag("Stage-Paid")
    book.create_tag("Stage-Ordered")
    uids = [e.uid for e in book.queue(limit=40).entries[:31]]
    for uid in uids[:30]:
        book.add_tag(uid, "Stage-Paid")
    for uid in uids[1:]:
        book.add_tag(uid, "Stage-Ordered")
    return uids


async def open_routine(pilot, app, tab: str = "") -> None:
    """H, then (when given) a tab's key: the routine's figures read."""
    await started(pilot)
    await pilot.press("H")
    await until(pilot, lambda: type(app.screen).__name__ == "RoutineScreen")
    await started(pilot)
    if tab:
        await pilot.press(tab)
        await pilot.pause()


async def start_audit(pilot, app) -> None:
    """A, then y to draw a sample: on the first customer's card."""
    await pilot.press("A")
    await until(pilot, lambda: type(app.screen).__name__ == "Confirm")
    await pilot.press("y")
    await until(pilot, lambda: type(app.screen).__name__ == "AuditCard")


async def fix_intent(pilot, app, card) -> str:
    """i on an audit card: the intent it did not have; back on the card. Returns the intent chosen."""
    right = "none" if card.intent != "none" else "high"
    await pilot.press("i")
    await pick(pilot, app, right)
    await until(pilot, lambda: type(app.screen).__name__ == "AuditCard")
    return right


async def pick(pilot, app, value: str) -> None:
    """In a Choice dialog: highlight ``value`` and take it."""
    await until(pilot, lambda: type(app.screen).__name__ == "Choice")
    options = app.screen.query_one("#choices")
    options.highlighted = [o.id for o in options.options].index(value)
    await pilot.press("enter")


def has(book: Book, uid: str, tag: str) -> bool:
    return tag.lower() in (t.lower() for t in book.tags_of(uid))


async def test_h_shows_the_routine_and_an_admin_merges_a_finding_with_a_preview_and_one_undo(book):
    uids = twin_tags(book)
    app = WtuiApp(book)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        await pilot.press("H")
        await until(pilot, lambda: type(app.screen).__name__ == "RoutineScreen")
        await started(pilot)
        findings = app.screen.data.findings
        merge = next(i for i, f in enumerate(findings) if f.kind == "merge")
        assert findings[merge].act == ("merge", "Stage-Paid", "Stage-Ordered")
        for _ in range(merge):
            await pilot.press("down")
        await pilot.press("enter")
        await until(pilot, lambda: type(app.screen).__name__ == "Preview")
        report = shown(app.screen.query_one("#preview-report Static"))
        assert "30 customer(s) lose Stage-Paid, 1 of them gain Stage-Ordered" in report
        await pilot.press("m")
        await until(pilot, lambda: type(app.screen).__name__ == "RoutineScreen")
        await started(pilot)
        assert not any(f.kind == "merge" for f in app.screen.data.findings)  # read again after the fix
        assert not has(book, uids[0], "Stage-Paid") and has(book, uids[0], "Stage-Ordered")
        await pilot.press("escape")
        await until(pilot, lambda: type(app.screen).__name__ == "QueueScreen")
        await pilot.press("u")
        await until(pilot, lambda: has(book, uids[0], "Stage-Paid"))
        assert not has(book, uids[0], "Stage-Ordered")  # one undo: the whole merge
        assert not next(t for t in book.tags() if t["name"] == "Stage-Paid")["archived"]


async def test_only_an_admin_acts_on_a_finding(book_path):
    with Book.open(book_path, app_cfg(), clock=lambda: NOW, actor="ana") as admin:
        twin_tags(admin)
    with Book.open(book_path, app_cfg(rep={"name": "omar"}), clock=lambda: NOW, actor="omar") as book:
        app = WtuiApp(book)
        async with app.run_test(size=(120, 40)) as pilot:
            await started(pilot)
            await pilot.press("H")
            await until(pilot, lambda: type(app.screen).__name__ == "RoutineScreen")
            await started(pilot)
            assert "only admins act on tags" in shown(app.screen.query_one("#health-head"))
            merge = next(i for i, f in enumerate(app.screen.data.findings) if f.kind == "merge")
            for _ in range(merge):
                await pilot.press("down")
            await pilot.press("enter")
            await pilot.pause(0.2)
            assert type(app.screen).__name__ == "RoutineScreen"
        assert not next(t for t in book.tags() if t["name"] == "Stage-Paid")["archived"]
        assert has(book, book.queue(limit=1).entries[0].uid, "Stage-Paid")


async def test_the_signals_tab_draws_the_trend_of_the_stored_snapshots(book_path):
    for days in (14, 7, 1):
        with Book.open(book_path, app_cfg(), clock=lambda d=days: NOW - timedelta(days=d), actor="ana") as b:
            assert b.snapshot()
    with Book.open(book_path, app_cfg(), clock=lambda: NOW, actor="ana") as book:
        app = WtuiApp(book)
        async with app.run_test(size=(120, 40)) as pilot:
            await open_routine(pilot, app, "2")
            assert [d for d, _ in app.screen.data.snaps] == ["2026-11-09", "2026-11-16", "2026-11-22", "2026-11-23"]
            assert "colours over 4 day(s)" in shown(app.screen.query_one("#signals-text"))
        # Today's figures are shown live; opening the app and reading stored nothing (it never changes the book).
        assert [d for d, _ in book.snapshots(30)][-1] == "2026-11-22"


def today(book: Book) -> list:
    return [d for d, _ in book.snapshots(30) if d == "2026-11-23"]


async def test_opening_the_app_stores_no_snapshot_and_the_days_first_write_does(book_path):
    with Book.open(book_path, app_cfg(), clock=lambda: NOW, actor="ana") as book:
        async with WtuiApp(book).run_test(size=(120, 40)) as pilot:
            await started(pilot)
            await pilot.pause(0.3)
            assert today(book) == []  # it was written once a day at open: the book changed on a look
            await pilot.press("d")  # the first customer contacted: the rep's first write of the day
            await until(pilot, lambda: bool(today(book)))
        assert len(today(book)) == 1


def test_a_pretend_clock_stores_no_days_record(book_path):
    def pretend():
        return NOW + timedelta(days=400)

    pretend.pretend = True
    with Book.open(book_path, app_cfg(), clock=pretend, actor="ana") as book:
        assert not book.snapshot()
        assert book.snapshots(1000) == []


async def test_a_reviews_an_audit_sample_and_a_fix_counts_as_wrong(book):
    app = WtuiApp(book)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        await start_audit(pilot, app)
        first = app.screen.card
        await pilot.press("y")  # right as it stands
        await until(pilot, lambda: type(app.screen).__name__ == "AuditCard" and app.screen.card.uid != first.uid)
        second = app.screen.card
        right = await fix_intent(pilot, app, second)
        assert "fixed: counted wrong" in shown(app.screen.query_one("#audit-card"))
        await pilot.press("y")
        await pilot.pause()
        await pilot.press("escape")
        await until(pilot, lambda: type(app.screen).__name__ == "QueueScreen")
    audit = book.audits()[0][0]
    items = book.audit_items(audit)
    assert items[0][3] == {"tags": True, "intent": True, "color": True}
    assert items[1][1] == second.uid and items[1][3] == {"tags": True, "intent": False, "color": True}
    assert book.card(second.uid).intent == right
    assert all(item[2] is None for item in items[2:])  # left: the rest waits for the next A


@pytest.mark.parametrize("day, shows", [(NOW, True), (NOW + timedelta(days=1), False)])
async def test_the_header_reminds_of_the_routine_on_its_day(book_path, day, shows):
    with Book.open(book_path, app_cfg(), clock=lambda: day, actor="ana") as book:
        app = WtuiApp(book)
        async with app.run_test(size=(200, 50)) as pilot:
            await started(pilot)
            assert ("H: Monday routine" in shown(app.screen.query_one("#header"))) is shows


async def test_y_copies_the_filled_template_or_a_wa_me_link(book):
    app = WtuiApp(book)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        entry = app.screen.table.current
        filled = book.fill_template(entry.uid)
        for choice, expect in (("text", filled.text), ("link", "https://wa.me/"), ("number", entry.phone)):
            await pilot.press("y")
            await pick(pilot, app, choice)
            if choice != "number" and filled.refusals:  # their window or cap stands against it: asked first
                await until(pilot, lambda: type(app.screen).__name__ == "Confirm")
                await pilot.press("y")
            await until(pilot, lambda: type(app.screen).__name__ == "QueueScreen")
            await pilot.pause()
            assert app.clipboard.startswith(expect)


async def test_leaving_the_audit_after_a_fix_records_it_wrong(book):
    app = WtuiApp(book)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        await start_audit(pilot, app)
        first = app.screen.card
        await fix_intent(pilot, app, first)
        await pilot.press("escape")  # gone before y: the fix still counts
        await until(pilot, lambda: type(app.screen).__name__ == "QueueScreen")
    pos, uid, at, ok = book.audit_items(book.audits()[0][0])[0]
    assert uid == first.uid and at is not None and ok == {"tags": True, "intent": False, "color": True}


def csv_rows(path) -> list[dict[str, str]]:
    import csv

    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


async def export_via_b(pilot, app, choice: str, target: str) -> None:
    """b on the filtered queue, ``choice`` in its menu, ``target`` typed into the file prompt."""
    await pilot.press("b")
    await pick(pilot, app, choice)
    await until(pilot, lambda: type(app.screen).__name__ == "Prompt")
    app.screen.query_one("#prompt-input").value = target
    await pilot.press("enter")
    await until(pilot, lambda: type(app.screen).__name__ == "QueueScreen" and not app.screen.flowing)
    await started(pilot)


async def test_b_exports_an_ab_split_and_a_broadcast_send_list_recorded_for_its_results(book, tmp_path):
    with book.batch("test: consent"):
        everyone = book.select("#Stage-Quoted")
        refused = book.uids_of(everyone[:3])
        for uid in refused:
            book.set_field(uid, "consent", False)
    willing = sum(bool(r["consent"]) for r in book.rows(everyone))
    assert 0 < willing < len(everyone) - 2
    app = WtuiApp(book)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        await pilot.press("f", *"#Stage-Quoted", "enter")
        await started(pilot)
        await export_via_b(pilot, app, "export", f"{tmp_path / 'ab.csv'} 50")  # was a crash: the split's type
        rows = csv_rows(tmp_path / "ab.csv")
        assert len(rows) == len(everyone) and {r["group"] for r in rows} == {"A", "B"}
        groups = {g: sum(r["group"] == g for r in rows) for g in ("A", "B")}
        assert any(f"(A {groups['A']}, B {groups['B']})" in str(n.message) for n in app._notifications)
        assert not book.broadcasts()  # a plain export is no send
        await export_via_b(pilot, app, "broadcast", f"{tmp_path / 'send.csv'} 10,10")
        rows = csv_rows(tmp_path / "send.csv")
        assert len(rows) == willing and {r["group"] for r in rows} <= {"A", "B", "rest"}
        assert all(r["consent"] == "yes" for r in rows)
        (bid, name, _, actor, size), = book.broadcasts()
        assert (name, actor, size) == ("#Stage-Quoted", "ana", willing)
        left = len(everyone) - willing
        assert any(f"left out {left:,} without marketing consent; recorded as broadcast {bid}" in str(n.message)
                   for n in app._notifications)
        # A split written wrong keeps the dialog open, saying what is wrong (it closed and lost the path).
        await pilot.press("b")
        await pick(pilot, app, "export")
        await until(pilot, lambda: type(app.screen).__name__ == "Prompt")
        app.screen.query_one("#prompt-input").value = f"{tmp_path / 'bad.csv'} 7x"
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "Prompt"
        assert "the split '7x': percentages like 50 or 10,10" in shown(app.screen.query_one("#prompt-status"))
        app.screen.query_one("#prompt-input").value = "~/no-such-folder-here/x.csv"
        await pilot.pause()
        assert "no directory" in shown(app.screen.query_one("#prompt-status"))  # ~ expanded, not "-o ~"
        await pilot.press("escape")
        assert not (tmp_path / "bad.csv").exists()
        # The same file again: replaced only when the rep says so.
        before = (tmp_path / "ab.csv").read_text("utf-8-sig")
        await pilot.press("b")
        await pick(pilot, app, "export")
        await until(pilot, lambda: type(app.screen).__name__ == "Prompt")
        app.screen.query_one("#prompt-input").value = f"{tmp_path / 'ab.csv'}"
        await pilot.press("enter")
        await until(pilot, lambda: type(app.screen).__name__ == "Confirm")
        await pilot.press("n")
        await until(pilot, lambda: type(app.screen).__name__ == "QueueScreen" and not app.screen.flowing)
        assert (tmp_path / "ab.csv").read_text("utf-8-sig") == before


async def test_the_broadcasts_tab_shows_results_and_enter_recontacts_the_non_responders(tmp_path):
    from wtui.io.export import send_list

    path, cfg = tmp_path / "b.db", app_cfg()
    with Book.create(path, cfg, clock=lambda: NOW - timedelta(days=5), actor="ana") as b:
        members = [b.add_customer(f"+49151234560{i:02d}", f"Kunde {i}", consent=True) for i in range(12)]
        b.add_customer("+4915123456099", "Ohne Zustimmung")  # no consent: in no send list
    with Book.open(path, cfg, clock=lambda: NOW - timedelta(days=4), actor="ana") as b:
        _, _, old = send_list(b, b.all_ids(), tmp_path / "old.csv", "spring sale")
    with Book.open(path, cfg, clock=lambda: NOW - timedelta(days=3), actor="ana") as b:
        b.record(members[0], "in", text="yes please")  # one answered
    with Book.open(path, cfg, clock=lambda: NOW - timedelta(hours=1), actor="ana") as b:
        _, _, fresh = send_list(b, b.all_ids(), tmp_path / "fresh.csv", "this morning")
    with Book.open(path, cfg, clock=lambda: NOW, actor="ana") as book:
        quiet = book.non_responders(old)
        assert sorted(quiet) == sorted(members[1:])
        app = WtuiApp(book)
        async with app.run_test(size=(120, 40)) as pilot:
            await open_routine(pilot, app, "5")
            assert [s.bid for s in app.screen.data.sent] == [fresh, old]  # newest first
            text = shown(app.screen.query_one("#sent-text"))
            assert "preliminary" in text and "the playbook waits until" in text
            await pilot.press("enter")  # this morning's: too early, asked first
            await until(pilot, lambda: type(app.screen).__name__ == "Confirm")
            await pilot.press("n")
            await until(pilot, lambda: type(app.screen).__name__ == "RoutineScreen")
            await started(pilot)
            assert len(book.broadcasts()) == 2
            await pilot.press("down")
            await pilot.pause()
            text = shown(app.screen.query_one("#sent-text"))
            assert "final" in text and f"{len(quiet):,} have not written since" in text
            await pilot.press("enter")
            await until(pilot, lambda: type(app.screen).__name__ == "Prompt")
            app.screen.query_one("#prompt-input").value = str(tmp_path / "again.csv")
            await pilot.press("enter")
            await until(pilot, lambda: type(app.screen).__name__ == "RoutineScreen")
            await started(pilot)
            assert app.screen.query_one(TabbedContent).active == "broadcasts"
            # Again on the same broadcast: asked first, since its non-responders had their re-contact.
            assert [s.bid for s in app.screen.data.sent][2] == old
            await pilot.press("down", "down", "enter")
            await until(pilot, lambda: type(app.screen).__name__ == "Confirm")
            assert "were re-contacted already" in str(app.screen.question)
            await pilot.press("n")
            await until(pilot, lambda: type(app.screen).__name__ == "RoutineScreen")
        rows = csv_rows(tmp_path / "again.csv")
        assert sorted(r["phone"].lstrip("'") for r in rows) == sorted(book.card(u).phone for u in quiet)
        newest = book.broadcasts()[0]
        assert newest[1] == f"recontact of {old}" and newest[4] == len(quiet)
