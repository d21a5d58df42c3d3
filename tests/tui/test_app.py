"""The app, key by key (Textual's Pilot): each change lands in the book and the op log, and shows."""

from __future__ import annotations

from contextlib import asynccontextmanager

import pytest

from tests.conftest import NOW, H
from tests.tui.conftest import app_cfg, started
from wtui.book.book import Book
from wtui.core.text import visible
from wtui.tui.app import WtuiApp
from wtui.tui.screens.queue import parse_expiry
from wtui.tui.widgets.customer_panel import CustomerPanel
from wtui.tui.widgets.query_bar import QueryBar
from wtui.tui.widgets.queue_table import PAGE

pytestmark = pytest.mark.anyio


async def until(pilot, check, seconds: float = 20.0):
    """Pause until ``check()`` holds (a flow's worker waits on its dialogs, so waiting for workers would hang)."""
    for _ in range(int(seconds / 0.05)):
        if check():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"still not true after {seconds} s: {check}")


def on_screen(app, *names: str):
    return lambda: type(app.screen).__name__ in names


def ops_of(book, uid, kind):
    return [e for e in book.change_log(uid) if e.kind == kind]


def panel_text(app) -> str:
    return app.screen.query_one(CustomerPanel).plain


def shown(widget) -> str:
    """The plain text a Static shows."""
    content = widget.content
    return content.plain if hasattr(content, "plain") else str(content)


def row_text(app, y=None) -> str:
    table = app.screen.table
    line = table.render_line((table.cursor if y is None else y) - int(table.scroll_y))
    return "".join(seg.text for seg in line)


async def test_the_queue_lists_todays_queue_in_order(book):
    expected = [e.uid for e in book.queue(limit=500).entries]
    app = WtuiApp(book)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await started(pilot)
        assert screen.model.total == len(expected)
        assert [screen.model.entry(i).uid for i in range(len(expected))] == expected
        assert screen.panel.uid == expected[0]


@pytest.mark.parametrize("size", [(80, 24)])
@pytest.mark.parametrize("keys, cursor", [
    (("j", "j"), 2), (("down", "down", "k"), 1), (("j", "up"), 0), (("G",), -1), (("G", "g"), 0),
    (("end", "home"), 0), (("end",), -1), (("pagedown",), "page"), (("pagedown", "pageup"), 0),
    (("pagedown", "pagedown", "pagedown"), "3 pages"), (("down",) * 30, 30),
])
async def test_every_movement_key_moves_the_selection_and_the_view_follows(pilot, keys, cursor):
    screen = pilot.app.screen
    table = screen.table
    assert screen.model.total > 3 * table.size.height  # a queue taller than the screen
    await pilot.press(*keys)
    await pilot.pause(0.1)  # the panel follows the cursor once keys settle
    want = {-1: screen.model.total - 1, "page": table.page(), "3 pages": 3 * table.page()}.get(cursor, cursor)
    assert table.cursor == want
    assert screen.panel.uid == table.current.uid
    assert table.scroll_y <= table.cursor < table.scroll_y + table.size.height  # the selected row is on screen
    assert row_text(pilot.app).strip()  # and drawn


@pytest.mark.parametrize("size", [(80, 24)])
async def test_g_on_the_first_row_scrolls_a_scrolled_view_back(pilot):
    table = pilot.app.screen.table
    table.scroll_to(y=40, animate=False, immediate=True)
    await pilot.pause()
    assert table.cursor == 0 and table.scroll_y > 0
    await pilot.press("g")
    await pilot.pause()
    assert table.scroll_y == 0


async def test_enter_opens_the_customer_at_80x24(book):
    app = WtuiApp(book)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await started(pilot)
        panel = screen.query_one(CustomerPanel)
        assert not panel.display
        await pilot.press("j", "enter")
        pane = screen.query_one("#queue-pane")
        assert panel.display and not pane.display
        assert screen.table.current.name in panel_text(app)
        await pilot.press("tab")
        assert not panel.display and pane.display


async def test_t_picks_tags_by_fuzzy_search_and_space(pilot, book):
    app = pilot.app
    screen = app.screen
    uid = screen.table.current.uid
    assert "Product-Lipstick" not in book.tags_of(uid)
    await pilot.press("t", *"lipstk", "space", "enter")
    await pilot.pause()
    assert "Product-Lipstick" in book.tags_of(uid)
    assert ops_of(book, uid, "tag.add")[0].payload["tag"] == "Product-Lipstick"
    assert "Product-Lipstick" in panel_text(app)


async def test_t_shows_a_tag_whose_stored_colour_is_not_a_colour_instead_of_crashing(book_path):
    # A colour stored before the book checked them (or a hand-edited file) crashed the picker.
    with Book.open(book_path, app_cfg(), clock=lambda: NOW, actor="ana") as book:
        book.conn.execute("UPDATE tags SET color = '[bold]' WHERE name = 'Interest-Beauty'")
        app = WtuiApp(book)
        async with app.run_test(size=(120, 36)) as pilot:
            await started(pilot)
            await pilot.press("t", *"beauty")
            await pilot.pause()
            assert type(app.screen).__name__ == "TagPicker"
            options = app.screen.query_one("#tag-options")
            shown_tags = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
            assert any("Interest-Beauty" in t for t in shown_tags)


async def test_t_escape_changes_nothing(pilot, book):
    app = pilot.app
    screen = app.screen
    uid = screen.table.current.uid
    before = book.tags_of(uid)
    await pilot.press("t", *"lipstick", "space", "escape")
    await pilot.pause()
    assert book.tags_of(uid) == before


async def test_an_admin_creates_a_missing_tag_after_confirming(pilot, book):
    app = pilot.app
    screen = app.screen
    uid = screen.table.current.uid
    await pilot.press("t", *"Interest-Cars", "enter")
    await pilot.pause()
    assert type(app.screen).__name__ == "Confirm"
    await pilot.press("y")
    await pilot.pause()
    assert "Interest-Cars" in book.tags_of(uid)
    assert [e.kind for e in book.change_log()[:2]] == ["tag.add", "tag.create"]


async def test_a_rep_may_not_create_a_tag(book_path):
    with Book.open(book_path, app_cfg(rep={"name": "omar"}), clock=lambda: NOW, actor="omar") as book:
        app = WtuiApp(book)
        async with app.run_test(size=(120, 36)) as pilot:
            await started(pilot)
            await pilot.press("t", *"Interest-Cars")
            await pilot.pause()
            hint = shown(app.screen.query_one("#tag-hint"))
            assert "only admins create tags" in hint
            await pilot.press("enter")
            await pilot.pause()
            assert book.conn.execute("SELECT count(*) FROM tags WHERE name = 'Interest-Cars'").fetchone()[0] == 0


async def test_number_keys_toggle_their_configured_tags(pilot, book):
    app = pilot.app
    screen = app.screen
    uid = screen.table.current.uid
    tag = book.cfg.quick_tags["4"]
    had = tag in book.tags_of(uid)
    await pilot.press("4")
    assert (tag in book.tags_of(uid)) != had
    await pilot.press("4")
    assert (tag in book.tags_of(uid)) == had
    assert len(ops_of(book, uid, "tag.add") + ops_of(book, uid, "tag.remove")) == 2


async def test_c_sets_the_colour_by_hand_with_an_expiry(pilot, book):
    app = pilot.app
    screen = app.screen
    uid = screen.table.current.uid
    await pilot.press("c")
    await pilot.pause()
    app.screen.query_one("#choice-field").value = "4h"
    await pilot.press("down", "down", "down", "enter")  # red, orange, yellow, green
    await pilot.pause()
    color, until = book.conn.execute(
        "SELECT override_color, override_until FROM customers WHERE uid = ?", (uid,)).fetchone()
    assert (color, until) == ("green", "2026-11-23T16:00:00Z")
    assert ops_of(book, uid, "customer.set")[0].payload["fields"]["override_color"] == "green"
    assert uid not in {screen.model.entry(i).uid for i in range(screen.model.total)}  # green: due in 72 h


async def test_the_colour_dialogs_expiry_is_in_the_status_and_the_panel_in_the_reps_time(pilot, book):
    app = pilot.app
    screen = app.screen
    current = screen.table.current
    assert current.color == "red"
    await pilot.press("c")
    await pilot.pause()
    app.screen.query_one("#choice-field").value = "4h"
    await pilot.press("enter")  # red, the colour it has: held by hand for 4 h
    await started(pilot)
    assert screen.table.current.uid == current.uid
    assert [str(n.message) for n in app._notifications] == [
        f"colour red for {visible(current.name)} until 16:00 (in 4 h)"]
    await pilot.pause(0.1)
    assert "reason     set by hand until 16:00 (in 4 h)" in panel_text(app)
    assert "UTC" not in panel_text(app)


async def test_a_colour_that_takes_the_customer_off_todays_queue_says_so_and_when_they_are_due(pilot, book):
    """Green is handled within 72 h: the row leaves today's queue at once, and the rep is told why, not left to
    wonder where the change went (the override stays: the book still holds it)."""
    app = pilot.app
    screen = app.screen
    current = screen.table.current
    await pilot.press("c")
    await pilot.pause()
    await pilot.press("down", "down", "down", "enter")  # green
    await started(pilot)
    messages = [str(n.message) for n in app._notifications]
    assert messages[0] == f"colour green for {visible(current.name)} until Tue 12:00"  # the default 24 h
    assert messages[-1] == f"{visible(current.name)} is off today's queue: green now, next due Thu 12:00"
    assert book.conn.execute("SELECT override_color FROM customers WHERE uid = ?", (current.uid,)).fetchone() == (
        "green",)


async def test_a_write_that_keeps_the_customer_in_todays_queue_says_only_what_it_did(pilot, book):
    app = pilot.app
    current = app.screen.table.current
    await pilot.press("n")
    await pilot.pause()
    await pilot.press(*"hi", "enter")
    await started(pilot)
    assert [str(n.message) for n in app._notifications] == [f"note added for {visible(current.name)}"]


@pytest.mark.parametrize("text, expected", [("4h", H * 4), ("2d", H * 48), ("30m", H / 2), ("", None), ("0", None)])
def test_expiry_durations(text, expected):
    assert parse_expiry(text) == expected


def test_a_bad_expiry_says_how_to_write_one():
    with pytest.raises(ValueError, match="like 4h"):
        parse_expiry("soon")


async def test_i_sets_intent(pilot, book):
    app = pilot.app
    screen = app.screen
    uid = screen.table.current.uid
    await pilot.press("i", "home", "down", "down", "enter")  # high, medium, potential
    await pilot.pause()
    assert book.conn.execute("SELECT override_intent, intent FROM customers WHERE uid = ?", (uid,)).fetchone() == (
        "potential", "potential")
    assert "intent potential" in panel_text(app)


async def test_n_adds_a_note(pilot, book):
    app = pilot.app
    screen = app.screen
    uid = screen.table.current.uid
    await pilot.press("n", *"call after 5", "enter")
    await pilot.pause()
    assert book.conn.execute("SELECT text, author FROM notes").fetchall() == [("call after 5", "ana")]
    assert "call after 5" in panel_text(app)
    assert ops_of(book, uid, "note.add")


async def test_p_validates_the_preference_as_you_type_and_saves_it_canonical(pilot, book):
    app = pilot.app
    screen = app.screen
    uid = screen.table.current.uid
    await pilot.press("p")
    await pilot.pause()
    box = app.screen.query_one("#prompt-input")
    box.value = "mon-fri 9-25"
    await pilot.pause()
    assert "not a time of day" in shown(app.screen.query_one("#prompt-status"))
    await pilot.press("enter")
    assert type(app.screen).__name__ == "Prompt"  # refused: still editing
    box.value = "mr. wang | prefers TEXT | mon-fri 09:00-18:00 | max 2/week"
    await pilot.pause()
    assert "saved as: mr. wang | Prefers text | Mon-Fri 9-18 | Max 2/week" in shown(
        app.screen.query_one("#prompt-status"))
    await pilot.press("enter")
    await pilot.pause()
    note = book.conn.execute(
        "SELECT p.note FROM preferences p JOIN customers c ON c.id = p.customer_id WHERE c.uid = ?", (uid,)).fetchone()
    assert note == ("mr. wang | Prefers text | Mon-Fri 9-18 | Max 2/week",)


async def test_d_logs_the_contact_and_the_row_leaves_todays_queue(pilot, book):
    app = pilot.app
    screen = app.screen
    total = screen.model.total
    uid = screen.table.current.uid
    await pilot.press("d")
    await pilot.pause()
    assert book.conn.execute(
        "SELECT count(*) FROM interactions i JOIN customers c ON c.id = i.customer_id "
        "WHERE c.uid = ? AND i.kind = 'out' AND i.at = '2026-11-23T12:00:00Z'", (uid,)).fetchone()[0] == 1
    assert ops_of(book, uid, "interaction.add")[0].reason == "contacted"
    assert screen.model.total == total - 1  # next touch is tomorrow at the earliest
    assert screen.table.cursor == 0 and screen.table.current.uid != uid


async def test_u_undoes_the_last_action(pilot, book):
    app = pilot.app
    screen = app.screen
    total = screen.model.total
    uid = screen.table.current.uid
    await pilot.press("d")
    await pilot.pause()
    await pilot.press("u")
    await started(pilot)
    assert screen.model.total == total
    assert book.conn.execute(
        "SELECT retracted FROM interactions i JOIN customers c ON c.id = i.customer_id "
        "WHERE c.uid = ? AND i.at = '2026-11-23T12:00:00Z'", (uid,)).fetchone() == (1,)


async def test_marks_make_t_c_and_d_act_on_every_marked_row_and_u_undoes_them_whole(pilot, book):
    app = pilot.app
    screen = app.screen
    uids = [screen.model.entry(i).uid for i in range(3)]
    await pilot.press("space", "space", "space")
    assert screen.table.marked == set(uids)
    assert "●" in row_text(app, 0)
    await pilot.press("t", *"urgent", "space", "enter")
    await pilot.pause()
    assert all("Urgent" in book.tags_of(u) for u in uids)
    batches = {r[0] for r in book.conn.execute("SELECT batch FROM ops WHERE kind = 'tag.add'")}
    assert len(batches) == 1
    await pilot.press("u")
    await started(pilot)
    assert not any("Urgent" in book.tags_of(u) for u in uids), notices(app)


async def test_star_marks_every_row_shown(pilot, book):
    app = pilot.app
    screen = app.screen
    await pilot.press("asterisk")
    assert len(screen.table.marked) == screen.model.total
    await pilot.press("asterisk")
    assert not screen.table.marked


async def test_star_marks_nothing_when_what_is_shown_changed_while_it_read(pilot, book, monkeypatch):
    # Found in review: *, then a before the ids came back marked the whole book's, not the rows shown.
    import threading

    from wtui.tui.widgets.queue_table import QueueModel

    app, screen = pilot.app, pilot.app.screen
    reading, go_on = threading.Event(), threading.Event()
    uids = QueueModel.uids

    def slow(self, book=None):
        reading.set()
        go_on.wait(10)
        return uids(self, book)

    monkeypatch.setattr(QueueModel, "uids", slow)
    await pilot.press("a", "asterisk")  # the whole book shown, then everyone in it marked: read in a worker
    await until(pilot, reading.is_set)
    await pilot.press("a")  # back to today's queue before the ids land
    go_on.set()
    await started(pilot)
    await pilot.pause()
    assert not screen.table.marked
    assert any("nothing marked" in str(n.message) for n in app._notifications)


async def test_slash_narrows_the_queue_by_name_number_or_tag(pilot, book):
    app = pilot.app
    screen = app.screen
    total = screen.model.total
    await pilot.press("slash", *"quoted")
    await pilot.pause()
    assert 0 < screen.model.total < total
    assert all("Stage-Quoted" in screen.model.entry(i).tags for i in range(screen.model.total))
    first = screen.model.entry(0)
    box = screen.query_one("#search")
    box.value = first.phone[-6:]  # any run of the number's digits
    await pilot.pause()
    assert screen.model.entry(0).uid == first.uid
    await pilot.press("enter", "escape")
    await pilot.press("slash", "escape")
    await pilot.pause()
    assert screen.model.total == total


async def test_y_copies_the_number_in_e164(pilot, book):
    app = pilot.app
    screen = app.screen
    await pilot.press("y")  # the number, the filled template or a wa.me link: the number is the first choice
    await until(pilot, on_screen(app, "Choice"))
    options = app.screen.query_one("#choices")
    options.highlighted = 0
    await pilot.press("enter")
    await until(pilot, on_screen(app, "QueueScreen"))
    assert app.clipboard == screen.table.current.phone
    assert app.clipboard.startswith("+")


async def test_question_mark_shows_the_keys_in_force(book_path):
    cfg = app_cfg(keys={"contacted": "z"})
    with Book.open(book_path, cfg, clock=lambda: NOW, actor="ana") as book:
        app = WtuiApp(book)
        async with app.run_test(size=(120, 40)) as pilot:
            await started(pilot)
            await pilot.press("question_mark")
            await pilot.pause()
            text = "\n".join(shown(w) for w in app.screen.query("Static"))
            assert "z  Log contacted" in text
            assert "d  Log contacted" not in text


async def test_a_rebound_key_does_the_action(book_path):
    with Book.open(book_path, app_cfg(keys={"contacted": "z"}), clock=lambda: NOW, actor="ana") as book:
        app = WtuiApp(book)
        async with app.run_test(size=(120, 36)) as pilot:
            screen = await started(pilot)
            uid = screen.table.current.uid
            await pilot.press("z")
            await pilot.pause()
            assert ops_of(book, uid, "interaction.add")


async def test_hints_on_screen_name_the_keys_in_force(book_path):
    with Book.open(book_path, app_cfg(keys={"search": "ctrl+s", "tags": "T", "whole": "W"}), clock=lambda: NOW,
                   actor="ana") as book:
        app = WtuiApp(book)
        async with app.run_test(size=(120, 36)) as pilot:
            screen = await started(pilot)
            await pilot.press("ctrl+s", *"nobody at all", "enter")
            await started(pilot)
            assert "^s changes it" in panel_text(app)
            legend = dict(screen.legend())
            assert legend["●"].startswith("marked: T c d ") and legend["not due"].endswith("with W)")


def test_a_key_bound_twice_is_refused_naming_both_actions(book_path):
    from wtui.errors import ConfigError

    with Book.open(book_path, app_cfg(keys={"down": "t"}), clock=lambda: NOW) as book:
        with pytest.raises(ConfigError, match="key 't' is already bound to 'down'"):
            WtuiApp(book)


async def test_the_command_palette_lists_every_action(book):
    from wtui.tui.keys import ACTIONS

    app = WtuiApp(book)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await started(pilot)
        titles = {c.title for c in app.get_system_commands(screen)}
        assert {a.description for a in ACTIONS if a.id != "sync"} <= titles
        # Syncing is a team server replica's: on a book of its own, neither the palette nor help offers it.
        assert "Sync with the team server now" not in titles
        await pilot.press("question_mark")
        await pilot.pause()
        assert "Sync with the team server" not in " ".join(shown(w) for w in app.screen.query("Static"))


async def test_q_quits(book):
    app = WtuiApp(book)
    async with app.run_test(size=(120, 36)) as pilot:
        await started(pilot)
        await pilot.press("q")
    assert app.return_code == 0


async def test_a_tiny_terminal_gets_a_clear_message(book):
    app = WtuiApp(book)
    async with app.run_test(size=(50, 15)) as pilot:
        screen = await started(pilot)
        assert screen.query_one("#too-small").display
        assert not screen.query_one("#body").display


async def test_hostile_text_shows_literally_in_the_row_and_the_panel(tmp_path):
    cfg = app_cfg()
    with Book.create(tmp_path / "b.db", cfg, clock=lambda: NOW, actor="ana") as book:
        uid = book.add_customer("+4915123456789", "[bold]Ali\x1b[31m\u202eevil")
        book.record(uid, "in", NOW - 3 * H, text="[red]how much?\x1b[2J")
        app = WtuiApp(book)
        async with app.run_test(size=(140, 36)) as pilot:
            await started(pilot)
            assert "[bold]Ali␛[31m<RLO>evil" in row_text(app)
            text = panel_text(app)
            assert "[bold]Ali␛[31m<RLO>evil" in text and "[red]how much?␛[2J" in text
            assert "\x1b" not in text and "\u202e" not in text


async def test_a_change_by_another_process_shows_within_the_poll_interval(book_path, book):
    import subprocess
    import sys

    app = WtuiApp(book)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await started(pilot)
        uid = screen.table.current.uid
        await pilot.press("j", "k")  # the cursor stays on this customer through the reload
        # The other terminal at the test's instant too: on the wall clock, hours after the book's NOW, its
        # stale sweep would move this customer out of "today" (the test failed after 20:00 UTC).
        script = (
            "import sys\nfrom datetime import datetime\nfrom wtui.book.book import Book\nfrom wtui.core import config\n"
            "now = datetime.fromisoformat(sys.argv[3])\n"
            "with Book.open(sys.argv[1], config.load(layers=[]), actor='omar', clock=lambda: now) as b:\n"
            "    b.add_tag(sys.argv[2], 'Spend-VIP', reason='from another terminal')\n"
        )
        subprocess.run([sys.executable, "-c", script, str(book_path), uid, NOW.isoformat()], check=True, timeout=60)
        for _ in range(60):  # the app polls every sync.poll_seconds (2 s): give it a few rounds
            await pilot.pause(0.1)
            if "Spend-VIP" in panel_text(app):
                break
        assert "Spend-VIP" in panel_text(app)
        assert "omar" in panel_text(app)
        assert screen.panel.uid == uid


def test_every_shipped_theme_loads():
    from wtui.tui.theme import available, load

    names = sorted(available())
    assert names == ["wtui-ansi", "wtui-contrast", "wtui-dark", "wtui-light"]
    for name in names:
        theme = load(name)
        assert set(theme.queue) == {"red", "orange", "yellow", "green", "gray"}
    assert load("wtui-ansi").textual.ansi


async def test_no_color_draws_in_the_terminals_own_colours_and_a_tag_as_plain_text(book, monkeypatch):
    """Found trying the app with NO_COLOR=1: the dark theme's colours became greys by luminance, and the red
    Complaint-Open and Urgent tags were dark grey on a near-black panel."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = WtuiApp(book)
    assert app.wtheme.name == "wtui-ansi" and app.no_color
    async with app.run_test(size=(120, 36)) as pilot:
        await started(pilot)
        uid = next(u for u in book.queue_uids() if book.card(u).tags)
        app.screen.panel.show(uid)
        await pilot.pause()
        group = app.screen.panel.query_one("#card-tags").content  # the heading, then the tags' Text
        spans = [span for text in group.renderables[1:] for span in text.spans]
        from rich.style import Style

        assert spans and all(Style.normalize(s.style) and Style.parse(str(s.style)).color is None for s in spans)


def test_an_unknown_theme_names_the_ones_there_are(book):
    from wtui.errors import ConfigError

    with pytest.raises(ConfigError, match="no theme 'neon'; there are wtui-ansi, wtui-contrast"):
        WtuiApp(book, "neon")


async def test_f_filters_the_queue_by_a_query_counting_as_you_type(pilot, book):
    app = pilot.app
    screen = app.screen
    total = screen.model.total
    await pilot.press("f", *"#Stage-Quotd")
    await pilot.pause(0.3)
    status = shown(screen.query_one("#query-status"))
    assert "did you mean #Stage-Quoted?" in status
    await pilot.press("backspace", "e", "d")
    await pilot.pause(0.3)
    assert f"{book.count('#Stage-Quoted'):,} matches in the book" in shown(screen.query_one("#query-status"))
    await pilot.press("enter")
    await pilot.pause()
    assert 0 < screen.model.total < total
    assert all("Stage-Quoted" in screen.model.entry(i).tags for i in range(screen.model.total))
    await pilot.press("f", "escape")
    await pilot.pause()
    assert screen.model.total == total


async def test_f_says_when_everyone_a_filter_matches_is_not_due_today(pilot, book):
    """'2 matches in the book' and then an empty queue left the rep guessing: the count says how many are due."""
    app = pilot.app
    screen = app.screen
    assert book.count("name ~ Gabriel") == 2 and book.queue(within="name ~ Gabriel").total == 0
    await pilot.press("f", *"name ~ Gabriel")
    await until(pilot, lambda: not screen.query_one(QueryBar).status_text.startswith("counting"))
    assert screen.query_one(QueryBar).status_text == "2 matches in the book, none due today; enter applies, esc clears"
    await pilot.press("enter")
    await started(pilot)
    assert screen.model.total == 0
    hint = "No one due today matches the filter: f changes it (esc in it clears it)."
    assert hint in [str(n.message) for n in app._notifications]
    assert panel_text(app) == hint


async def test_the_live_count_of_one_customer_is_singular_and_says_they_are_due(pilot, book):
    app = pilot.app
    screen = app.screen
    name = next(e.name for e in book.queue(limit=100).entries if e.name.replace(" ", "").isascii())
    assert book.count(f'name = "{name}"') == 1
    await pilot.press("f", *f'name = "{name}"')
    await until(pilot, lambda: not screen.query_one(QueryBar).status_text.startswith("counting"))
    assert screen.query_one(QueryBar).status_text == "1 match in the book, 1 due today; enter applies, esc clears"


async def test_the_live_due_count_is_of_what_enter_will_show_with_a_search_on(pilot, book):
    """Found in review: with / narrowing the queue, f's 'N due today' counted past the search."""
    from wtui.tui.widgets.query_bar import QueryBar

    screen = pilot.app.screen
    name = next(e.name for e in book.queue(limit=100).entries if e.name.replace(" ", "").isascii())
    await pilot.press("slash", *name, "enter")
    await started(pilot)
    query = "#Stage-Quoted OR NOT #Stage-Quoted"  # everyone: only the search narrows what enter shows
    await pilot.press("f", *query)
    await until(pilot, lambda: not screen.query_one(QueryBar).status_text.startswith("counting"))
    due = book.queue(within=query, search=name).total
    assert due < book.queue(within=query).total
    assert f", {due:,} due today and matching '{name}';" in screen.query_one(QueryBar).status_text


async def test_the_query_bar_completes_tags_and_fields(book):
    from wtui.tui.widgets.query_bar import QuerySuggester

    s = QuerySuggester(book)
    assert await s.get_suggestion("#Stage-Q") == "#Stage-Quoted"
    assert await s.get_suggestion("#Stage-Quoted AND last_in") == "#Stage-Quoted AND last_inbound"
    assert await s.get_suggestion("color = ora") == "color = orange"


async def test_segments_are_saved_listed_and_applied(pilot, book):
    app = pilot.app
    screen = app.screen
    await pilot.press("f", *"#Stage-Quoted", "enter")
    await pilot.pause()
    narrowed = screen.model.total
    await pilot.press("S", *"quoted", "enter")
    await pilot.pause()
    assert book.segments() == [("quoted", "#Stage-Quoted")]
    await pilot.press("f", "escape")  # clear the filter
    await pilot.pause()
    await pilot.press("s")
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    assert screen.model.total == narrowed and screen.query_text == "#Stage-Quoted"
    titles = {c.title for c in app.get_system_commands(screen)}
    assert "Segment: quoted" in titles


async def test_b_acts_on_everyone_the_query_matches_with_one_undo(pilot, book):
    app = pilot.app
    await pilot.press("f", *"#Stage-Quoted", "enter")
    await pilot.pause()
    everyone = book.count("#Stage-Quoted")
    await pilot.press("b", "enter")  # "add tags" is the first choice
    await pilot.pause()
    await pilot.press(*"urgent", "space", "enter")
    await pilot.pause()
    assert "Stage-Quoted" in shown(app.screen.query_one(".title"))
    await pilot.press("y")
    await pilot.pause()
    assert book.count("#Stage-Quoted AND #Urgent") == everyone
    assert book.conn.execute("SELECT count(DISTINCT batch) FROM ops WHERE reason = 'bulk'").fetchone()[0] == 1
    await pilot.press("u")
    await started(pilot)
    assert book.count("#Stage-Quoted AND #Urgent") < everyone


async def test_R_previews_the_rules_and_applies_them_on_confirm(book):
    app = WtuiApp(book)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        dry = book.run_rules(dry_run=True)
        await pilot.press("R")
        await until(pilot, on_screen(app, "Preview"))
        text = "\n".join(shown(w) for w in app.screen.query("Static"))
        assert "dormant after 30 days" in text and f"a: apply {dry.changed} change(s)" in text
        await pilot.press("a")
        await started(pilot)
        assert book.conn.execute("SELECT count(*) FROM ops WHERE reason LIKE 'rule: %'").fetchone()[0] == dry.changed
        assert book.run_rules(dry_run=True).changed == 0


async def test_opening_the_app_runs_no_rules_even_when_they_would_change_something(pilot, book):
    assert book.run_rules(dry_run=True).changed > 0
    for _ in range(5):
        await pilot.pause(0.1)
    await pilot.app.workers.wait_for_complete()
    assert book.conn.execute("SELECT count(*) FROM ops WHERE reason LIKE 'rule: %'").fetchone()[0] == 0


async def choose_import(pilot, path, encoding: str = "") -> str:
    """I, type the file, enter; wait for the check (it runs off the UI thread); the text on screen."""
    app = pilot.app
    await started(pilot)
    await pilot.press("I")
    await pilot.pause()
    app.screen.query_one("#import-encoding").value = encoding
    app.screen.query_one("#import-path").value = str(path)
    app.screen.query_one("#import-path").focus()
    await pilot.press("enter")
    await until(pilot, lambda: not on_screen(app, "ImportForm", "ProgressScreen")())
    await pilot.pause()
    return "\n".join(shown(w) for w in app.screen.query("Static"))


async def test_I_imports_a_file_after_a_dry_run_report_with_progress(book, tmp_path):
    path = tmp_path / "new.csv"
    path.write_text("phone,name,tags\n+4915123456781,Neu Eins,Stage-Lead\n+4915123456782,Neu Zwei,\n", "utf-8")
    app = WtuiApp(book)
    async with app.run_test(size=(120, 36)) as pilot:
        text = await choose_import(pilot, path)
        assert "rows read 2, new 2" in text and "a: import 2 rows" in text
        assert book.conn.execute("SELECT count(*) FROM customers WHERE name LIKE 'Neu%'").fetchone()[0] == 0
        await pilot.press("a")
        for _ in range(50):
            await pilot.pause(0.1)
            if book.conn.execute("SELECT count(*) FROM customers WHERE name LIKE 'Neu%'").fetchone()[0] == 2:
                break
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert book.conn.execute("SELECT count(*) FROM customers WHERE name LIKE 'Neu%'").fetchone()[0] == 2
        assert type(app.screen).__name__ == "QueueScreen"


async def test_I_reads_a_file_in_the_code_page_the_rep_names(book, tmp_path):
    # Outlook's CSV is in the computer's code page: the app had no way to say so (the CLI has --encoding).
    path = tmp_path / "outlook.csv"
    path.write_bytes("phone,name\n+4915123456781,François Lefèvre\n".encode("cp1252"))
    app = WtuiApp(book)
    async with app.run_test(size=(120, 36)) as pilot:
        await choose_import(pilot, path)
        assert any("not UTF-8 text" in str(n.message) for n in app._notifications)
        assert "rows read 1, new 1" in await choose_import(pilot, path, "cp1252")


async def test_I_with_a_file_that_cannot_be_imported_says_why_and_writes_nothing(book, tmp_path):
    path = tmp_path / "nophone.csv"
    path.write_text("name,tags\nAna,Stage-Lead\n", "utf-8")
    before = book.conn.execute("SELECT count(*) FROM customers").fetchone()[0]
    app = WtuiApp(book)
    async with app.run_test(size=(120, 36)) as pilot:
        await choose_import(pilot, path)
        assert type(app.screen).__name__ == "QueueScreen"  # the checking screen is gone, no preview
        messages = [str(n.message) for n in app._notifications]
        assert any("no phone column" in m for m in messages)
    assert book.conn.execute("SELECT count(*) FROM customers").fetchone()[0] == before


async def test_I_validates_numbers_on_worker_processes_from_inside_the_app(book_path, tmp_path, monkeypatch):
    # Inside the app sys.stderr is Textual's capture, which has no file descriptor; multiprocessing
    # hands stderr's descriptor to its resource tracker when it starts one, and crashed the app.
    from multiprocessing import resource_tracker

    from wtui.io import numbers

    monkeypatch.setattr(resource_tracker._resource_tracker, "_fd", None)  # as in a fresh process: none yet
    monkeypatch.setattr(resource_tracker._resource_tracker, "_pid", None)
    monkeypatch.setattr(numbers, "CHUNK", 5)  # 20 numbers, 4 chunks: both workers get some
    started_pools = []
    real = numbers.ProcessPoolExecutor
    monkeypatch.setattr(numbers, "ProcessPoolExecutor", lambda *a, **kw: started_pools.append(1) or real(*a, **kw))
    path = tmp_path / "new.csv"
    path.write_text("phone,name\n" + "".join(f"+49151234567{i:02d},Neu {i}\n" for i in range(20)), "utf-8")
    cfg = app_cfg(imports={"workers": 2, "parallel_rows": 1})
    with Book.open(book_path, cfg, clock=lambda: NOW, actor="ana") as book:
        app = WtuiApp(book)
        async with app.run_test(size=(120, 36)) as pilot:
            assert "rows read 20, new 20" in await choose_import(pilot, path)
            assert started_pools  # the numbers did go to worker processes


async def test_I_shows_a_file_name_with_brackets_literally(book, tmp_path):
    folder = tmp_path / "[bold]old [red]"
    folder.mkdir()
    path = folder / "new.csv"
    path.write_text("phone,name\n+4915123456781,Neu\n", "utf-8")
    app = WtuiApp(book)
    async with app.run_test(size=(120, 36)) as pilot:
        await choose_import(pilot, path)
        drawn = "\n".join(str(w.render()) for w in app.screen.query(".title"))
        assert f"Import {path}" in drawn  # the brackets are data, not markup


# -- issue 10: the app a rep can trust ------------------------------------------------------------


def book_state(path) -> dict:
    """Everything a rep or a teammate wrote, with the stored verdict cache (derive.COLUMNS) left out."""
    from wtui.book.derive import COLUMNS
    from wtui.book.engine import sqlite3

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [r[1] for r in conn.execute("PRAGMA table_info(customers)") if r[1] not in COLUMNS]
        state = {"customers": conn.execute(f"SELECT {', '.join(names)} FROM customers ORDER BY id").fetchall()}
        for table in ("ops", "customer_tags", "notes", "interactions", "tags", "preferences"):
            state[table] = sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
        return state
    finally:
        conn.close()


async def test_opening_moving_and_quitting_change_nothing_in_the_book(book_path):
    before = book_state(book_path)
    with Book.open(book_path, app_cfg(), clock=lambda: NOW, actor="ana") as book:
        app = WtuiApp(book)
        async with app.run_test(size=(80, 24)) as pilot:
            await started(pilot)
            await pilot.press("j", "j", "pagedown", "G", "g", "enter", "tab", "question_mark", "escape")
            await pilot.pause(0.1)
            await pilot.app.workers.wait_for_complete()
            await pilot.press("q")
    assert book_state(book_path) == before


async def test_a_rep_with_read_only_access_opens_the_app_and_moves(book_path):
    with Book.open(book_path, app_cfg(), clock=lambda: NOW, actor="ana", readonly=True) as book:
        app = WtuiApp(book)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await started(pilot)
            await pilot.press("j", "j")
            await pilot.pause(0.1)
            assert screen.table.cursor == 2 and screen.panel.uid == screen.table.current.uid


@pytest.mark.parametrize("size", [(50, 15)])
async def test_behind_the_too_small_message_only_q_does_anything(pilot, book):
    screen = pilot.app.screen
    assert screen.query_one("#too-small").display
    ops = book.conn.execute("SELECT count(*) FROM ops").fetchone()[0]
    await pilot.press("d", "4", "space", "j", "t", "enter", "u")
    await pilot.pause()
    assert book.conn.execute("SELECT count(*) FROM ops").fetchone()[0] == ops
    assert screen.table.cursor == 0 and not screen.table.marked
    assert pilot.app.screen is screen  # no dialog opened
    await pilot.press("q")
    assert pilot.app.return_code == 0


async def test_my_queue_holds_my_customers_and_the_unassigned_and_m_switches_to_the_team(book_path):
    with Book.open(book_path, app_cfg(queue={"scope": "mine"}), clock=lambda: NOW, actor="ana") as book:
        mine = book.queue(limit=1000, mine=True)
        team = book.queue(limit=1000)
        assert 0 < mine.total < team.total
        app = WtuiApp(book)
        async with app.run_test(size=(120, 36)) as pilot:
            screen = await started(pilot)
            owners = {r[0] for r in book.conn.execute(
                "SELECT DISTINCT owner FROM customers WHERE uid IN (%s)" % ",".join("?" * mine.total),
                [e.uid for e in mine.entries])}
            assert owners <= {"ana", "", None}
            assert screen.model.total == mine.total
            assert shown(screen.query_one("#header")).startswith("my queue (ana + unassigned)")
            assert "mine: done" in shown(screen.query_one("#header"))
            await pilot.press("m")
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            assert screen.model.total == team.total
            assert shown(screen.query_one("#header")).startswith("team queue")


async def test_a_shows_every_customer_to_open_one_who_is_not_due_and_back(pilot, book):
    """A customer who calls while not due (gray, due next week) is opened, written to and stays in view."""
    app, screen = pilot.app, pilot.app.screen
    today = book.queue(limit=1000)
    away = next(e for e in book.queue(limit=1000, whole=True).entries if e.due is None)
    assert away.uid not in [e.uid for e in today.entries]
    await pilot.press("a")
    await started(pilot)
    assert screen.model.total == book.queue(limit=1, whole=True).total > today.total
    assert shown(screen.query_one("#header")).startswith("team book")
    await pilot.press("slash", *away.phone[-8:], "enter")
    await started(pilot)
    assert screen.table.current.uid == away.uid
    assert "not due" in row_text(app)
    await pilot.press("enter", "n", *"called in, wants the catalogue", "enter")
    await started(pilot)
    assert ops_of(book, away.uid, "note.add") and screen.table.current.uid == away.uid
    assert "called in, wants the catalogue" in panel_text(app)
    await pilot.press("escape", "a")  # the search taken back, then today's queue again
    await started(pilot)
    assert screen.model.total == today.total
    assert shown(screen.query_one("#header")).startswith("team queue")
    await pilot.press("space", "a")  # a mark does not outlive what it was made on, and that is said
    await started(pilot)
    assert not screen.table.marked
    assert any(str(n.message).endswith("; marks cleared (1 customer)") for n in app._notifications)


async def test_o_assigns_an_unassigned_customer_to_me(book_path):
    with Book.open(book_path, app_cfg(queue={"scope": "mine"}), clock=lambda: NOW, actor="ana") as book:
        app = WtuiApp(book)
        async with app.run_test(size=(120, 36)) as pilot:
            screen = await started(pilot)
            owner_of = dict(book.conn.execute("SELECT uid, COALESCE(owner, '') FROM customers"))
            row = next(i for i in range(screen.model.total) if owner_of[screen.model.entry(i).uid] == "")
            screen.table.go(row)
            uid = screen.table.current.uid
            await pilot.press("o")
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            assert book.conn.execute("SELECT owner FROM customers WHERE uid = ?", (uid,)).fetchone() == ("ana",)
            assert screen.table.current.uid == uid  # still in my queue, the cursor on them
            assert any("to ana" in str(n.message) for n in app._notifications)


def notices(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_status_messages_say_who_and_what_and_undo_says_what_it_took_back(pilot, book):
    app = pilot.app
    name = app.screen.table.current.name
    await pilot.press("7")  # Urgent
    assert f"added Urgent to {name}" in notices(app)
    await pilot.press("u")
    await app.workers.wait_for_complete()
    await pilot.pause()
    assert any(m.startswith(f"undone: added Urgent to {name}") for m in notices(app))


async def test_the_panel_opens_at_its_top_for_each_customer_and_has_notes(pilot, book):
    screen = pilot.app.screen
    uid = screen.table.current.uid
    book.add_note(uid, "prefers calls after lunch", reason="test")
    await pilot.press("j", "k")
    await pilot.pause(0.1)
    panel = screen.panel
    assert "Notes\n" in panel.plain and "prefers calls after lunch" in panel.plain
    panel.scroll_end(animate=False, immediate=True)
    await pilot.pause()
    assert panel.scroll_y > 0
    await pilot.press("j")
    await pilot.pause(0.1)
    assert panel.scroll_y == 0


async def test_c_checks_the_expiry_as_it_is_typed_and_a_bad_one_keeps_the_dialog(pilot, book):
    app = pilot.app
    uid = app.screen.table.current.uid
    await pilot.press("c")
    await pilot.pause()
    dialog = app.screen
    dialog.query_one("#choice-field").value = "soon"
    await pilot.pause()
    assert "write a duration like 4h" in shown(dialog.query_one("#choice-status"))
    await pilot.press("enter")
    await pilot.pause()
    assert app.screen is dialog  # still open: the choice is not lost
    assert ops_of(book, uid, "customer.set") == []
    dialog.query_one("#choice-field").value = "2d"
    dialog.query_one("#choice-field").focus()
    await pilot.press("enter")  # enter in the field confirms the highlighted colour
    await app.workers.wait_for_complete()
    await pilot.pause()
    assert ops_of(book, uid, "customer.set")


async def test_i_starts_on_the_customers_current_intent(pilot, book):
    from wtui.core.traits import INTENTS

    app = pilot.app
    screen = app.screen
    screen.table.go(next(i for i in range(screen.model.total) if screen.model.entry(i).intent in INTENTS[1:]))
    intent = screen.table.current.intent
    await pilot.press("i")
    await pilot.pause()
    assert app.screen.query_one("#choices").highlighted == INTENTS.index(intent)


def test_the_due_column_drops_the_minor_unit_rather_than_cutting_it():
    from wtui.tui.widgets.queue_table import due_text

    assert due_text(NOW, NOW - 11 * H - H * 43 / 60, True, 10) == "late 11h43"
    assert due_text(NOW, NOW - 78 * 24 * H - 13 * H, True, 10) == "late 78d"
    assert due_text(NOW, NOW + 26 * H, False, 10) == "in 1d2h"


@pytest.mark.parametrize("name", ["प्रियंका शर्मा", "王小明的商店", "Zoë Łukasiewicz-Brzęczyszczykiewicz", "كريم العلي"])
@pytest.mark.parametrize("width", [80, 200])
async def test_a_row_fills_the_width_exactly_as_a_terminal_counts_it_in_any_script(tmp_path, name, width):
    from wtui.core.text import width as cells

    with Book.create(tmp_path / "b.db", app_cfg(), clock=lambda: NOW, actor="ana") as book:
        uid = book.add_customer("+4915123456789", name)
        book.record(uid, "in", NOW - 3 * H, text="how much?")
        app = WtuiApp(book)
        async with app.run_test(size=(width, 30)) as pilot:
            screen = await started(pilot)
            line = screen.table.render_line(0)
            assert cells("".join(seg.text for seg in line)) == screen.table.scrollable_content_region.width
            header = screen.query_one("#columns").render()
            assert cells(str(header)) == screen.query_one("#columns").size.width


async def test_b_says_how_many_it_will_change_and_reports_how_many_did(pilot, book):
    app = pilot.app
    await pilot.press("f", *"#Stage-Quoted", "enter")
    await pilot.pause()
    everyone = book.count("#Stage-Quoted")
    due = app.screen.model.total
    await pilot.press("b")
    await until(pilot, on_screen(app, "Choice"))
    title = shown(app.screen.query_one(".title"))
    assert f"{everyone:,} customers matching #Stage-Quoted ({due:,} of them due today" in title
    await pilot.press("enter", *"urgent", "space", "enter")
    await pilot.pause()
    await pilot.press("y")
    await app.workers.wait_for_complete()
    await pilot.pause()
    had = everyone - book.count("#Stage-Quoted AND NOT #Urgent")
    assert any(m.endswith(f"{everyone:,} changed") or "changed" in m for m in notices(app))
    assert had == everyone


async def test_I_offers_a_partial_import_with_the_rejected_rows_in_a_file_and_the_default_region(pilot, book, tmp_path):
    app = pilot.app
    path = tmp_path / "mixed.csv"
    path.write_text("phone,name\n11 96123 4567,Local Brasil\n+4915123456781,Neu Eins\nnot a number,Broken\n", "utf-8")
    await pilot.press("I")
    await pilot.pause()
    form = app.screen
    form.query_one("#import-path").value = str(path)
    form.query_one("#import-region").value = "br"
    form.query_one("#import-path").focus()
    await pilot.press("enter")
    await until(pilot, on_screen(app, "Preview"))
    text = "\n".join(shown(w) for w in app.screen.query("Static"))
    assert "p: import the 2 good rows, the 1 rejected" in text and "a: import" not in text
    await pilot.press("p")
    await app.workers.wait_for_complete()
    await pilot.pause()
    names = dict(book.conn.execute(
        "SELECT name, phone FROM customers WHERE name IN ('Local Brasil', 'Neu Eins', 'Broken')"))
    assert names == {"Local Brasil": "+5511961234567", "Neu Eins": "+4915123456781"}
    rejected = (tmp_path / "mixed.rejected.csv").read_text("utf-8")
    assert "Broken" in rejected and "Neu Eins" not in rejected


async def test_an_empty_book_greets_the_rep_with_what_to_do(tmp_path):
    with Book.create(tmp_path / "empty.db", app_cfg(), clock=lambda: NOW, actor="ana") as book:
        app = WtuiApp(book)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await started(pilot)
            greeting = screen.query_one("#greeting")
            assert greeting.display and "no customers yet" in shown(greeting)
            assert not any(n.severity == "error" for n in app._notifications)


async def test_the_palette_shows_keys_as_a_person_types_them(pilot):
    titles = {c.title: c.help for c in pilot.app.get_system_commands(pilot.app.screen)}
    assert titles["Keys"] == "key ?"
    assert "question_mark" not in " ".join(titles.values())


async def test_help_lists_the_movement_keys_and_the_row_legend(pilot):
    await pilot.press("question_mark")
    await pilot.pause()
    text = "\n".join(shown(w) for w in pilot.app.screen.query("Static"))
    for words in ("Next customer", "Page down", "Last customer", "colour: red, orange", "quiet 3h37", "open -22:00"):
        assert words in text


async def test_a_book_busy_with_another_process_skips_a_poll_instead_of_crashing(pilot, book, monkeypatch):
    from wtui.errors import BookBusy

    def busy(*args, **kwargs):
        raise BookBusy("book.db is busy")

    monkeypatch.setattr(book, "data_version", busy)
    monkeypatch.setattr(book, "refresh_stale", busy)
    screen = pilot.app.screen
    screen.poll()
    screen.tick()
    await pilot.pause()
    assert pilot.app.is_running and pilot.app.screen is screen


async def test_figures_that_come_back_after_the_app_closed_are_dropped(book):
    app = WtuiApp(book)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await started(pilot)
        stats = screen.stats
    screen._show_stats(stats)  # the worker's answer, after the screen is gone: no NoMatches


async def test_a_key_on_a_book_another_process_holds_says_busy_and_writes_nothing(pilot, book, book_path):
    """The UI thread waits ui.write_wait_seconds for another rep's write, then says so: it never freezes
    for the whole book.busy_wait_seconds, and nothing is half-written."""
    from wtui.book.engine import sqlite3

    app = pilot.app
    uid = app.screen.table.current.uid
    tag = book.cfg.quick_tags["4"]
    had = tag in book.tags_of(uid)
    book.wait_at_most(0.2)
    hold = sqlite3.connect(book_path, isolation_level=None)
    hold.execute("BEGIN IMMEDIATE")
    try:
        await pilot.press("4")
        await pilot.pause()
        assert any("is busy" in n for n in notices(app))
    finally:
        hold.execute("ROLLBACK")
        hold.close()
    assert (tag in book.tags_of(uid)) == had
    await pilot.press("4")  # free again: the same key works
    assert (tag in book.tags_of(uid)) != had


async def test_the_panel_shows_the_customer_under_the_cursor_even_before_the_move_message(pilot):
    """A fresh read of the queue may redraw the panel before the cursor's Moved message arrives (at start
    it showed "Nothing is due: the queue is empty." over a full queue): the panel follows the cursor."""
    screen = pilot.app.screen
    screen.table.cursor = 3  # the Moved message is posted, not yet handled
    screen._show_panel()
    assert screen.panel.uid == screen.table.current.uid
    assert "Nothing is due" not in screen.panel.plain


async def test_L_makes_a_tracked_link_for_the_customer_and_copies_it(book_path):
    cfg = app_cfg(links={"base_url": "https://wtui.team.example"})
    with Book.open(book_path, cfg, clock=lambda: NOW, actor="ana") as book:
        app = WtuiApp(book)
        async with app.run_test(size=(100, 30)) as pilot:
            await started(pilot)
            uid = app.screen.table.current.uid
            await pilot.press("L")
            await pilot.pause()
            field = app.screen.query_one("#choice-field")
            field.value = "javascript:alert(1)"
            await pilot.press("enter")
            assert type(app.screen).__name__ == "Choice"  # refused: still asking
            field.value = "https://shop.example/quote/42"
            await pilot.press("enter")
            await pilot.pause()
            made = book.links_of(uid)
            assert [(link.url, link.kind) for link in made] == [("https://shop.example/quote/42", "quote")]
            assert app.clipboard == f"https://wtui.team.example/l/{made[0].token}"


async def test_L_without_a_team_server_says_where_links_live(pilot, book):
    await pilot.press("L")
    await pilot.pause()
    assert type(pilot.app.screen).__name__ == "QueueScreen"
    assert any("team server" in str(n.message) for n in pilot.app._notifications)


def test_no_color_with_the_terminals_own_colours_keeps_its_default_colours(book, monkeypatch):
    from textual.filter import Monochrome, NoColor

    monkeypatch.setenv("NO_COLOR", "1")
    ansi = WtuiApp(book, theme="wtui-ansi")  # greyscale here drew every row black on black
    assert any(isinstance(f, NoColor) for f in ansi._filters)
    assert not any(isinstance(f, Monochrome) for f in ansi._filters)
    assert any(isinstance(f, Monochrome) for f in WtuiApp(book, theme="wtui-dark")._filters)


async def test_rows_above_stay_reachable_after_a_teammates_edit_while_the_panel_hid_the_queue(book_path):
    cfg = app_cfg(queue={"scope": "mine"})
    with Book.open(book_path, cfg, clock=lambda: NOW, actor="ana") as book:
        app = WtuiApp(book)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await started(pilot)
            await pilot.press("j", "j", "tab")  # narrow: the panel takes the screen, the queue is hidden
            await pilot.pause()
            uid = screen.table.current.uid
            with Book.open(book_path, cfg, clock=lambda: NOW, actor="omar") as teammate:
                teammate.add_note(uid, "called her back")
            screen.poll()
            await started(pilot)
            await pilot.press("tab")
            await pilot.pause()
            table = screen.table
            table.action_cursor("top")  # g
            await pilot.pause()
            assert table.cursor == 0 and table.scroll_y == 0



async def test_progress_counts_the_whole_days_queue_even_while_narrowed(pilot, book):
    screen = pilot.app.screen
    await started(pilot)
    total = screen.model.total
    assert f"done 0/{total:,}" in shown(screen.query_one("#header"))
    await pilot.press("slash", *"quoted")
    await started(pilot)
    assert screen.model.total < total
    screen.refresh_stats()  # what a teammate's edit (a poll) does while the queue is narrowed
    await started(pilot)
    assert f"done 0/{total:,}" in shown(screen.query_one("#header"))


async def test_the_footer_lists_the_queues_keys_again_after_a_dialog(pilot):
    from textual.widgets._footer import FooterKey

    def keys() -> list[str]:
        return [k.description for k in pilot.app.screen.query(FooterKey)]

    await started(pilot)
    before = keys()
    await pilot.press("n")
    await pilot.pause()
    await pilot.press("escape")
    await started(pilot)
    await pilot.pause()
    assert "Tags" in before and keys() == before


async def test_dollar_w_and_x_record_a_purchase_a_deal_won_and_one_lost(pilot, book):
    app = pilot.app
    screen = app.screen
    uid = screen.table.current.uid
    await pilot.press("dollar_sign")
    await pilot.pause()
    box = app.screen.query_one("#prompt-input")
    box.value = "12,3456"
    await pilot.pause()
    assert "at most two decimals" in shown(app.screen.query_one("#prompt-status"))
    box.value = "100 EUR serum"
    await pilot.pause()
    await pilot.press("enter")
    await app.workers.wait_for_complete()
    await pilot.pause()
    rate = book.cfg.spend.rates["EUR"]
    row = book.conn.execute("SELECT i.kind, i.amount, i.text, i.product FROM interactions i JOIN customers c ON "
                            "c.id = i.customer_id WHERE c.uid = ? ORDER BY i.rowid DESC LIMIT 1", (uid,)).fetchone()
    # The product as the rules' Bought-<month>-<product> reads it (the app left it out).
    assert row == ("purchase", round(100 * rate, 2), "serum (100.00 EUR)", "serum")
    await pilot.press("w")
    await pilot.pause()
    await pilot.press("enter")  # no amount known
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.press("x")
    await pilot.pause()
    await pilot.press("enter")  # a lost deal needs its reason: still asking
    assert type(app.screen).__name__ == "Prompt"
    app.screen.query_one("#prompt-input").value = "went with a cheaper shop"
    await pilot.press("enter")
    await app.workers.wait_for_complete()
    await pilot.pause()
    # (a purchase moves the customer out of today's queue: the next keys act on whoever is under the cursor)
    kinds = [k for (k,) in book.conn.execute("SELECT kind FROM interactions ORDER BY rowid DESC LIMIT 4")]
    assert kinds == ["lost", "purchase", "won", "purchase"]
    said = [str(n.message) for n in app._notifications]
    assert [m.split(" ")[:2] for m in said if "off today's queue" not in m][-3:] == [
        ["purchase", "of"], ["deal", "won"], ["deal", "lost"]]
    assert any(m.endswith("is off today's queue: green now, next due Thu 12:00") for m in said)  # and why it left


async def test_x_takes_the_customer_off_todays_queue_saying_the_deal_was_lost(pilot, book):
    # The message said "not due (no active contact)", and explain "not due; handle within 2 h".
    app, screen = pilot.app, pilot.app.screen
    uid = screen.table.current.uid
    await pilot.press("x", *"went with a cheaper shop", "enter")
    await app.workers.wait_for_complete()
    await started(pilot)
    said = [str(n.message) for n in app._notifications]
    assert any("not due (deal lost: broadcasts only until they write again)" in m for m in said), said
    due = dict((line.label, line.value) for line in book.explain(uid))["due"]
    assert due == "not due"


async def test_after_a_settings_change_the_app_paints_first_and_recomputes_in_a_worker(book_path):
    from wtui.book.engine import sqlite3

    with sqlite3.connect(book_path) as c:  # as if wtui or the team's verdict settings had changed
        c.execute("UPDATE settings SET value = '\"an older wtui\"' WHERE key = 'derived.with'")
    book = Book.open(book_path, app_cfg(), clock=lambda: NOW, actor="ana", recompute=False)
    assert book.recompute_due
    app = WtuiApp(book)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert app.screen.model.total > 0  # the stored colours, at once
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not book.recompute_due
        assert any("colour is recomputed" in str(n.message) for n in app._notifications)
    with sqlite3.connect(book_path) as c:
        assert c.execute("SELECT value FROM settings WHERE key = 'derived.with'").fetchone()[0] != '"an older wtui"'
    book.close()


async def test_a_poll_during_a_flow_reads_nothing_beside_its_write_and_catches_up_after(book_path, book):
    """A read beside a flow's bulk write held the write's commit back (a reader's lock) and took its CPU:
    the poll waits for the flow, which re-reads at its end; a teammate's commit then shows."""
    app = WtuiApp(book)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await started(pilot)
        uid = screen.table.current.uid
        with Book.open(book_path, app_cfg(), clock=lambda: NOW, actor="omar") as other:
            other.add_tag(uid, "Spend-VIP", reason="a teammate")
        screen.flowing = True
        seen = screen._seen_version
        screen.poll()
        await started(pilot)
        assert screen._seen_version == seen  # not taken in yet: no read started
        assert "Spend-VIP" not in screen.table.current.tags
        screen.flowing = False
        screen.poll()
        await started(pilot)
        assert "Spend-VIP" in screen.table.current.tags


async def test_a_first_page_ahead_of_its_counts_keeps_the_last_counts_and_the_cursor(pilot, book):
    screen = pilot.app.screen
    model = screen.model
    assert model.counted and model.total > PAGE  # the demo's day is longer than a page
    screen.table.go(5)
    keep = screen.table.current.uid
    total, counts = model.total, dict(model.counts)
    first = model.read(keep=keep, counts=False)
    assert not first.counted and first.keep == 5  # found on the first page, without counting
    screen.table.show(first)
    assert (model.total, model.counts, model.counted) == (total, counts, True)
    assert screen.table.cursor == 5 and screen.table.current.uid == keep


async def test_the_first_paint_does_not_wait_for_the_nights_stale_verdicts(book_path):
    """The next morning thousands of stored verdicts are stale (due times passed): opening recomputed them
    before anything painted (~1 s per 2,000 on a 100k book). Now the stored queue paints, a worker sweeps."""
    from datetime import timedelta

    from wtui.book import derive

    morning = NOW + timedelta(days=1)
    with Book.open(book_path, app_cfg(), clock=lambda: morning, actor="ana", recompute=False) as book:
        stale = len(derive.stale(book.conn, morning))
        assert stale  # the open left them: the app's worker does them
        app = WtuiApp(book)
        async with app.run_test(size=(120, 36)) as pilot:
            screen = await started(pilot)
            assert not derive.stale(book.conn, morning)  # swept in the background
            fresh = book.queue(limit=5, now=morning).entries
            assert [e.uid for e in fresh] == [screen.model.entry(i).uid for i in range(5)]  # and read again


async def test_esc_on_the_queue_takes_back_a_kept_narrowing_then_the_filter(pilot, book):
    """Found trying the app: after / and enter, esc did nothing; the only way out was / then esc."""
    screen = pilot.app.screen
    everyone = screen.model.total
    await pilot.press("f", *"#Stage-Quoted", "enter")
    await started(pilot)
    await pilot.press("slash", *"a", "enter")
    await started(pilot)
    assert screen.model.search == "a" and screen.model.query is not None
    await pilot.press("escape")
    await started(pilot)
    assert screen.model.search == "" and screen.model.query is not None
    await pilot.press("escape")
    await started(pilot)
    assert screen.model.query is None and screen.model.total == everyone


async def test_narrowing_by_a_tag_written_as_the_filter_writes_it_finds_its_customers(pilot, book):
    """'/#Stage-Quoted' found nobody (the # was part of the text); '/Stage-Quoted' found them."""
    screen = pilot.app.screen
    await pilot.press("slash", *"Stage-Quoted", "enter")
    await started(pilot)
    plain = screen.model.total
    await pilot.press("escape")
    await started(pilot)
    await pilot.press("slash", *"#Stage-Quoted", "enter")
    await started(pilot)
    assert screen.model.total == plain > 0


async def test_the_customer_kept_after_a_narrowing_is_cleared_is_on_screen(pilot, book):
    """Found trying the app: / a name far down the queue, enter, esc: the panel showed that customer while
    the table sat at the top with no row highlighted (the view followed before the queue grew back)."""
    screen = pilot.app.screen
    table = screen.table
    last = table.model.entry(table.model.total - 1)
    assert table.model.total > table.size.height  # the book is taller than the screen
    await pilot.press("slash", *last.phone, "enter")
    await started(pilot)
    assert table.current.uid == last.uid
    await pilot.press("escape")
    await started(pilot)
    assert table.current.uid == last.uid
    assert table.scroll_y <= table.cursor < table.scroll_y + table.size.height


@pytest.mark.parametrize("size", [(80, 24)])
async def test_at_80x24_esc_or_tab_takes_the_rep_from_the_customer_back_to_a_queue_that_moves(pilot, book):
    """Found trying the app at 80x24: enter filled the screen with the customer; esc did nothing, and tab
    showed the queue again but Down and enter went nowhere (the hidden table had lost the focus)."""
    screen = pilot.app.screen
    table = screen.table
    for back in ("escape", "tab"):
        await pilot.press("down", "enter")
        await pilot.pause()
        assert screen.has_class("show-panel") and not table.display or not table.region
        await pilot.press(back)
        await pilot.pause()
        assert not screen.has_class("show-panel") and pilot.app.focused is table
        before = table.cursor
        await pilot.press("down")
        await pilot.pause()
        assert table.cursor == before + 1


@asynccontextmanager
async def due_again_tonight(book_path):
    """The app on a book where red's next touch is 1.2 h after a contact (a customer logged at noon is due
    again tonight, further down), with the row of a red customer with no note, inside their window:
    nothing holds their next touch past tonight. Yields (book, pilot, screen, that row)."""
    cfg = app_cfg(colors={"cadence_days": {"red": 0.05}})
    with Book.open(book_path, cfg, clock=lambda: NOW, actor="ana") as book:
        app = WtuiApp(book)
        async with app.run_test(size=(120, 36)) as pilot:
            screen = await started(pilot)
            at = next(i for i in range(screen.model.total) if (e := screen.model.entry(i)).color == "red"
                      and not e.preference and e.window.in_window)
            yield book, pilot, screen, at


async def test_d_moves_on_to_the_next_customer_when_the_contacted_one_stays_due_today(book_path):
    async with due_again_tonight(book_path) as (book, pilot, screen, at):
        await pilot.press(*["down"] * at)
        first, second = screen.model.entry(at), screen.model.entry(at + 1)
        await pilot.press("d")
        await started(pilot)
        assert first.uid in book.queue_uids()  # still due today: it moved down, the rep moves on
        assert screen.table.current.uid == second.uid
        assert screen.table.cursor == at


async def test_after_b_the_cursor_stays_at_its_row_not_with_a_customer_the_bulk_moved(pilot, book):
    """A bulk reorders the queue: the cursor keeps its row (the first page repaints at once), rather than
    chasing the customer it was on to wherever the bulk sent them."""
    app = pilot.app
    screen = app.screen
    await pilot.press("f", *"#Stage-Quoted", "enter")
    await started(pilot)
    # The row on screen whose customer a priority tag will lift to the top: not the first.
    rows = [screen.model.entry(i) for i in range(min(screen.model.total, 30))]
    at = next(i for i, e in enumerate(rows) if i > 0 and "Urgent" not in e.tags)
    await pilot.press(*["down"] * at)
    assert screen.table.cursor == at
    await pilot.press("b", "enter")
    await pilot.pause()
    await pilot.press(*"urgent", "space", "enter")
    await pilot.pause()
    await pilot.press("y")
    await started(pilot)
    assert screen.table.cursor == at


async def test_typing_a_search_that_leaves_out_the_customer_under_the_cursor_starts_at_the_top(pilot, book):
    """The narrowed first page shows at once: from its top when the customer under the cursor is not on it
    (the cursor no longer lands on whoever happens to stand at its old row once the count comes)."""
    screen = pilot.app.screen
    table = screen.table
    await pilot.press(*["down"] * 4)
    here = table.current
    uids = set(book.queue_uids())
    # Two letters of a name, matching several due customers but not the one under the cursor.
    text = next(t for e in (screen.model.entry(i) for i in range(screen.model.total))
                if len(t := e.name[:2].strip()) == 2 and t.isalpha()
                and here.uid not in (found := set(book.queue_uids(search=t))) and len(found & uids) >= 6)
    await pilot.press("slash", *text)
    await started(pilot)
    assert table.cursor == 0 and table.current.uid in book.queue_uids(search=text)


async def test_d_on_marked_customers_leaves_the_cursor_on_its_own_customer(pilot, book):
    """Found in review: with rows 0 and 1 marked and the cursor on row 4, d moved the cursor to row 5."""
    screen = pilot.app.screen
    table = screen.table
    await pilot.press("space", "space")  # marks rows 0 and 1 (space marks and moves down)
    await pilot.press("down", "down")
    here = table.current
    assert here.uid not in table.marked
    await pilot.press("d")
    await started(pilot)
    assert table.current.uid == here.uid


async def test_d_says_why_the_customer_left_the_queue(pilot, book):
    """The notice a write gives when it takes its customer off the queue: d too, not only on the last row."""
    app = pilot.app
    uid = app.screen.table.current.uid
    name = app.screen.table.current.name
    await pilot.press("d")
    await started(pilot)
    assert uid not in book.queue_uids()
    said = [n.message for n in app._notifications]
    assert any(m.startswith(f"{name} is off today's queue") for m in said), said


async def test_marks_a_search_hides_are_not_acted_on(pilot, book):
    """Found trying the app: mark three, / another name, c: the three hidden customers changed colour."""
    screen = pilot.app.screen
    table = screen.table
    marked = [screen.model.entry(i).uid for i in range(2)]
    await pilot.press("space", "space")
    assert table.marked == set(marked)
    other = next(e for e in (screen.model.entry(i) for i in range(5, screen.model.total)) if e.name.isascii())
    await pilot.press("slash", *other.name, "enter")
    await started(pilot)
    assert not table.marked
    here = table.current.uid
    await pilot.press("d")
    await started(pilot)
    contacted = {u for u in marked + [here] if book.conn.execute(
        "SELECT count(*) FROM interactions i JOIN customers c ON c.id = i.customer_id WHERE c.uid = ? AND "
        "i.kind = 'out' AND i.at = '2026-11-23T12:00:00Z'", (u,)).fetchone()[0]}
    assert contacted == {here}


async def test_progress_counts_a_customer_contacted_and_due_again_today_once(book_path):
    """Found trying the app: 'done 0/79', d on a customer due again tonight, 'done 1/80'."""
    async with due_again_tonight(book_path) as (_, pilot, screen, at):
        total = screen.model.total
        assert f"done 0/{total:,}" in shown(screen.query_one("#header"))
        await pilot.press(*["down"] * at, "d")
        await started(pilot)
        assert screen.model.total == total  # still due today
        assert f"done 1/{total:,}" in shown(screen.query_one("#header"))


async def test_at_80x24_the_open_card_scrolls_with_the_movement_keys(book):
    # The narrow layout's panel covers the queue: it showed the card's top and no key reached the rest.
    app = WtuiApp(book)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("enter")
        await pilot.pause(0.2)
        panel = app.screen.query_one(CustomerPanel)
        assert panel.max_scroll_y > 0 and panel.scroll_y == 0  # a card taller than the screen, at its top
        await pilot.press("pagedown")
        await pilot.pause()
        assert panel.scroll_y > 0
        await pilot.press("escape")  # back to the queue: the table takes the movement keys again
        await pilot.pause()
        first = app.screen.table.current.uid
        await pilot.press("down")
        await pilot.pause()
        assert app.screen.table.current.uid != first


async def test_beside_the_queue_capital_j_and_k_scroll_the_card_and_the_cursor_stays(book):
    app = WtuiApp(book)
    async with app.run_test(size=(120, 30)) as pilot:
        await started(pilot)
        await pilot.pause(0.2)
        panel = app.screen.query_one(CustomerPanel)
        assert panel.max_scroll_y > 0
        first = app.screen.table.current.uid
        await pilot.press("J")
        await pilot.pause()
        assert panel.scroll_y > 0 and app.screen.table.current.uid == first
        await pilot.press("K")
        await pilot.pause()
        assert panel.scroll_y == 0


async def test_at_80_columns_the_header_breaks_between_items_and_the_footer_keeps_help_and_quit(book):
    # The header wrapped inside an item (". " at a line's end, "0 gray" on the next) and the footer's
    # "^p palette" pushed "? Keys" and "q Quit" off the line.
    from wtui.tui.widgets.queue_header import QueueHeader

    app = WtuiApp(book)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.pause(0.3)
        header = app.screen.query_one(QueueHeader)
        lines = str(header.render()).splitlines()
        assert len(lines) == 2 and all(len(line) <= 78 for line in lines)
        for item in header.items:
            assert any(item.plain in line for line in lines), item.plain
        svg = app.export_screenshot()
        assert "Keys" in svg and "Quit" in svg and "palette" not in svg


async def test_a_header_with_more_than_two_lines_of_items_says_how_many_it_left_out_and_keeps_the_marks(book):
    # At 80 columns a search, a query and three team alerts made a third line, which max-height cut silently.
    from types import SimpleNamespace

    from wtui.tui.widgets.queue_header import HeaderState, QueueHeader

    app = WtuiApp(book)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        header = app.screen.query_one(QueueHeader)
        alerts = ["22% red: more hands today", "3 reps have overdue reds", "Complaint-Open up 40% this week"]
        stats = SimpleNamespace(progress=SimpleNamespace(done=3, total=78), routine="H: Monday routine",
                                signals=SimpleNamespace(alerts=alerts))
        header.show(HeaderState(mine=True, who="ana", counts={"red": 32}, search="maria", query="#Stage-Quoted",
                                marked=12, stats=stats))
        await pilot.pause()
        lines = str(header.render()).splitlines()
        assert len(lines) == 2 and all(len(line) <= 78 for line in lines)
        assert "● 12 marked" in " ".join(lines) and lines[1].endswith(" more")
        shown_items = sum(item.plain in " ".join(lines) for item in header.items)
        assert lines[1].endswith(f"+{len(header.items) - shown_items} more")
        # Found in review: a long query pushed the marks out, and an item wider than a line wrapped past it.
        long_query = "#Stage-Quoted AND #Interest-Beauty AND #Product-Lipstick AND last_interaction < 30d"
        for mine in (True, False):
            header.show(HeaderState(mine=mine, who="ana", counts={"red": 32}, query=long_query, marked=12, stats=stats))
            await pilot.pause()
            lines = str(header.render()).splitlines()
            text = " ".join(lines)
            assert len(lines) == 2 and all(len(line) <= 78 for line in lines), lines
            assert "● 12 marked" in text and "query #Stage-Quoted" in text and "…" in text and "more" in text
        # Found in review: a long rep name beside a search and a query still made three lines.
        header.show(HeaderState(mine=True, who="Maria Fernanda Oliveira dos Santos", counts={"red": 32},
                                search="pereira souza", query=long_query, marked=12, stats=stats))
        await pilot.pause()
        lines = str(header.render()).splitlines()
        assert len(lines) == 2 and all(len(line) <= 78 for line in lines), lines
        assert "● 12 marked" in " ".join(lines) and "narrowed to" in " ".join(lines)


async def test_a_bulk_that_creates_a_tag_says_so_before_it_is_made(pilot, book):
    # The confirm said only "Add watch to 207 customers matching ...?" and the new tag outlived the undo.
    app = pilot.app
    await pilot.press("f", *"#Stage-Quoted", "enter")
    await started(pilot)
    await pilot.press("b", "enter")
    await pilot.pause()
    await pilot.press(*"Watch-New", "enter")  # no such tag: the only option is "+ create tag Watch-New"
    await until(pilot, lambda: type(app.screen).__name__ == "Confirm")
    from textual.widgets import Static

    asked = " ".join(shown(w) for w in app.screen.query(Static))
    assert "Create the new tag Watch-New" in asked and "an undo keeps it" in asked
    await pilot.press("escape")
    await pilot.pause()
    assert "Watch-New" not in book.tag_names()


async def test_a_preference_window_through_the_night_is_questioned_as_it_is_typed(pilot, book):
    # "Mon-Fri 18-9" was taken without a word, and the queue then said "in window" at 3 am their time.
    from textual.widgets import Static

    app = pilot.app
    await pilot.press("p")
    await until(pilot, lambda: type(app.screen).__name__ == "Prompt")
    await pilot.press("ctrl+u", *"Mon-Fri 18-9")
    await pilot.pause()
    said = " ".join(shown(w) for w in app.screen.query(Static))
    assert "careful" in said and "night" in said


@pytest.mark.parametrize("env, sixteen", [
    ({"TERM": "linux"}, True), ({"TERM": "xterm"}, True), ({"TERM": "xterm-256color"}, False),
    ({"TERM": "tmux-256color"}, False), ({"TERM": "xterm", "COLORTERM": "truecolor"}, False),
    ({"TERM": "linux", "TEXTUAL_COLOR_SYSTEM": "truecolor"}, False),
])
def test_a_sixteen_colour_terminal_gets_the_sixteen_colour_theme(env, sixteen):
    # Under TERM=linux the dark theme's orange and yellow both came down to bright yellow.
    from wtui.tui.app import sixteen_colours

    class Tty:
        def __init__(self, tty):
            self.tty = tty

        def isatty(self):
            return self.tty

    assert sixteen_colours(env, Tty(True)) is sixteen
    assert sixteen_colours(env, Tty(False)) is False  # a headless test keeps the theme it asks for


async def test_widened_after_the_card_was_open_at_80x24_the_movement_keys_move_the_cursor_again(book):
    # Enter at 80x24 gave the card the keys; widened, the card sat beside the queue and down moved nothing.
    app = WtuiApp(book)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("enter")
        await pilot.pause(0.2)
        await pilot.resize_terminal(140, 40)
        await pilot.pause(0.2)
        first = app.screen.table.current.uid
        await pilot.press("down")
        await pilot.pause()
        assert app.screen.table.current.uid != first


def test_a_crash_of_the_app_exits_1_not_0(book, monkeypatch):
    # The tag picker's crash ended wtui with exit code 0, as if the rep had quit.
    from wtui.tui import app as app_module

    def crashed(self):  # what Textual's run leaves after an unhandled error: no result, return code 1
        self._return_code = 1

    monkeypatch.setattr(app_module.WtuiApp, "run", crashed)
    assert app_module.run(book) == 1
