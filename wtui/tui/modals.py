"""Small screens over the queue: tag picker, choices, text prompts, confirmation, help.

Each returns its answer with ``dismiss`` (None when cancelled with esc), so the
queue screen stays the one place that writes to the book.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.fuzzy import Matcher
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from wtui.core.text import visible
from wtui.tui.text import colour_style, safe

MODAL_CSS = """
.modal { align: center middle; }
.modal > Vertical { width: 64; max-width: 95%; height: auto; max-height: 90%; border: round $primary;
                    background: $surface; padding: 0 1; }
.modal .title { text-style: bold; margin-bottom: 1; }
.modal .hint { color: $text-muted; }
.modal .error { color: $error; }
.modal OptionList { height: auto; max-height: 20; border: none; }
/* The terminal's own colours: Textual's cursor there is the default ground (no cursor was seen, or bright
   yellow on white), and its reverse swaps two defaults. Bright white on the palette's blue instead. */
App:ansi .modal OptionList > .option-list--option-highlighted,
App:ansi .modal OptionList:focus > .option-list--option-highlighted {
    color: ansi_bright_white; background: ansi_blue; text-style: bold;
}
.modal Input { margin-bottom: 1; }
"""


class Modal(ModalScreen):
    """A centred box over the queue; its answer comes back through ``dismiss``."""

    SCOPED_CSS = False
    DEFAULT_CSS = MODAL_CSS

    def __init__(self) -> None:
        super().__init__(classes="modal")

    def on_key(self, event) -> None:
        # Typed before the box had focus (the keys right after t or n): they belong in the box.
        box = self.query(Input).first() if self.query(Input) else None
        if box is not None and self.focused is None and event.is_printable and event.character:
            event.stop()
            box.insert_text_at_cursor(event.character)
            self.set_focus(box)


def title(text: str | Text) -> Static:
    """A modal's title, shown literally: a title may carry what a rep typed (a path, a query)."""
    return Static(text if isinstance(text, Text) else Text(visible(text)), classes="title")


def checked(check: Callable[[str], tuple[bool, str]] | None, text: str, status: Static) -> bool:
    """Run a field's check as it is typed and say the verdict under it; True when the text may be used."""
    if not check:
        return True
    ok, message = check(text)
    status.set_class(not ok, "error")
    status.update(Text(visible(message)))
    return ok


@dataclass(frozen=True)
class TagChoice:
    name: str
    dimension: str
    colour: str


@dataclass(frozen=True)
class TagResult:
    add: tuple[str, ...]
    remove: tuple[str, ...]
    create: str = ""  # an admin asked to create this tag (after confirming)


class TagFilter(Input):
    """The picker's search box: tag names have no spaces, so space stays free to toggle."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return key != "space" and super().check_consume_key(key, character)


class TagPicker(Modal):
    """Type to filter (fuzzy), space toggles, enter applies, esc cancels."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
        Binding("down", "move(1)", "Down", show=False, id="picker.down"),
        Binding("up", "move(-1)", "Up", show=False, id="picker.up"),
        Binding("space", "toggle", "Toggle", priority=True, id="picker.toggle"),
        Binding("enter", "apply", "Apply", priority=True, id="picker.apply"),
    ]

    def __init__(self, tags: list[TagChoice], present: set[str], who: str, can_create: bool) -> None:
        super().__init__()
        self.tags = tags
        self.initial = set(present)
        self.chosen = set(present)
        self.who = who
        self.can_create = can_create

    def compose(self) -> ComposeResult:
        with Vertical():
            yield title(Text("Tags for ") + safe(self.who))
            yield TagFilter(select_on_focus=False, id="tag-filter",
                            placeholder="type to filter, space toggles, enter applies")
            yield OptionList(id="tag-options")
            yield Static("", id="tag-hint", classes="hint")

    def on_mount(self) -> None:
        self.refill()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.refill()

    def refill(self) -> None:
        query = self.query_one("#tag-filter", Input).value.strip()
        options = self.query_one("#tag-options", OptionList)
        keep = options.highlighted_option.id if options.highlighted_option else None
        options.clear_options()
        matcher = Matcher(query) if query else None
        shown: list[tuple[float, TagChoice]] = []
        for t in self.tags:
            score = matcher.match(t.name) if matcher else 1.0
            if score > 0:
                shown.append((score, t))
        by_dim: dict[str, list[TagChoice]] = {}
        for _, t in sorted(shown, key=lambda st: (-st[0], st[1].dimension, st[1].name)) if query else shown:
            by_dim.setdefault(t.dimension or "Other", []).append(t)
        for dim in (sorted(by_dim) if not query else by_dim):
            options.add_option(Option(Text(visible(dim), style="bold dim"), disabled=True))
            for t in by_dim[dim]:
                mark = "[x]" if t.name in self.chosen else "[ ]"
                label = Text(f" {mark} ")
                # (NO_COLOR: a tag's colour would be a grey as dark as the list; drawn as text is instead)
                label.append(visible(t.name), style="" if self.app.no_color else colour_style(t.colour))
                options.add_option(Option(label, id=f"tag:{t.name}"))
        exact = any(t.name.lower() == query.lower() for t in self.tags)
        hint = self.query_one("#tag-hint", Static)
        if query and not exact:
            if self.can_create:
                options.add_option(Option(Text(f" + create tag {visible(query)!s}", style="bold"), id="create"))
                hint.update("")
            else:
                hint.update(Text(f"No tag {visible(query)!r}: only admins create tags."))
        else:
            hint.update(f"{len(self.chosen - self.initial)} to add, {len(self.initial - self.chosen)} to remove")
        ids = [o.id for o in options.options]
        if keep and keep in ids:
            options.highlighted = ids.index(keep)
        else:
            options.highlighted = next((i for i, o in enumerate(options.options) if not o.disabled), None)

    def action_move(self, step: int) -> None:
        options = self.query_one("#tag-options", OptionList)
        (options.action_cursor_down if step > 0 else options.action_cursor_up)()

    def action_toggle(self) -> None:
        option = self.query_one("#tag-options", OptionList).highlighted_option
        if option and option.id and option.id.startswith("tag:"):
            self.chosen ^= {option.id[4:]}
            self.refill()

    def action_apply(self) -> None:
        option = self.query_one("#tag-options", OptionList).highlighted_option
        if option and option.id == "create":
            name = self.query_one("#tag-filter", Input).value.strip()
            self.dismiss(TagResult((), (), create=name))
            return
        self.dismiss(TagResult(tuple(sorted(self.chosen - self.initial)), tuple(sorted(self.initial - self.chosen))))

    def action_cancel(self) -> None:
        self.dismiss(None)


class Choice(Modal):
    """Pick one of a few values (colour, intent), starting on ``current``; optionally with a text field
    (the expiry) that ``check`` validates as it is typed: a bad value keeps the dialog open."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="choice.cancel")]

    def __init__(self, title: str, choices: list[tuple[str, Text]], field: tuple[str, str] | None = None,
                 current: str | None = None, check: Callable[[str], tuple[bool, str]] | None = None,
                 field_first: bool = False) -> None:
        super().__init__()
        self.field_first = field_first  # the field is what the rep came to type (a link's address)
        self.title_text = title
        self.choices = choices
        self.field = field  # (label, default)
        self.current = current
        self.check = check
        self.extra = ""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield title(self.title_text)
            options = OptionList(*[Option(label, id=value or "-") for value, label in self.choices], id="choices")
            values = [value for value, _ in self.choices]
            if self.current in values:
                options.highlighted = values.index(self.current)
            yield options
            if self.field:
                yield Static(self.field[0], classes="hint")
                yield Input(select_on_focus=False, value=self.field[1], id="choice-field")
                yield Static("", id="choice-status", classes="hint")

    def on_mount(self) -> None:
        if self.field:
            if self.field[1]:  # an empty field says nothing until something is typed (or enter pressed)
                self._validate(self.field[1])
            if self.field_first:
                self.query_one("#choice-field", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._validate(event.value)

    def _validate(self, text: str) -> bool:
        return checked(self.check, text, self.query_one("#choice-status", Static))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        # enter in the field confirms the highlighted choice
        option = self.query_one("#choices", OptionList).highlighted_option
        if option is not None:
            self._choose(option.id or "-")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option.id or "-")

    def _choose(self, value: str) -> None:
        if self.field:
            self.extra = self.query_one("#choice-field", Input).value
            if not self._validate(self.extra):
                return
        self.dismiss("" if value == "-" else value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class Prompt(Modal):
    """One line of text; ``check`` validates as you type: returns (ok, message)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def __init__(self, title: str, value: str = "", check: Callable[[str], tuple[bool, str]] | None = None,
                 placeholder: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.check = check
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield title(self.title_text)
            yield Input(select_on_focus=False, value=self.value, placeholder=self.placeholder, id="prompt-input")
            yield Static("", id="prompt-status", classes="hint")

    def on_mount(self) -> None:
        self._validate(self.value)

    def on_input_changed(self, event: Input.Changed) -> None:
        self._validate(event.value)

    def _validate(self, text: str) -> bool:
        return checked(self.check, text, self.query_one("#prompt-status", Static))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self._validate(event.value):
            self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class Confirm(Modal):
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: Text | str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield title(self.question)
            yield Static("y: yes   n / esc: no", classes="hint")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class Help(Modal):
    """The keys in force on the screen below (read from its live bindings), and what the row glyphs mean."""

    DEFAULT_CSS = MODAL_CSS + """
    .modal.help > Vertical { width: 76; }
    .modal.help #help-keys { height: auto; max-height: 26; }
    """
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close", id="help.close")]

    def __init__(self, rows: list[tuple[str, str]], legend: list[tuple[str, str]]) -> None:
        super().__init__()
        self.add_class("help")
        self.rows = rows
        self.legend = legend

    def compose(self) -> ComposeResult:
        from textual.containers import VerticalScroll

        text = Text()
        width = max((len(k) for k, _ in self.rows + self.legend), default=4)
        for keys, description in self.rows:
            text.append(f"{keys:>{width}}  ", style="bold")
            text.append(description + "\n")
        text.append("\nIn a row\n", style="bold underline")
        for sign, meaning in self.legend:
            text.append(f"{sign:>{width}}  ", style="bold")
            text.append(meaning + "\n")
        with Vertical():
            yield title("Keys on this screen")
            with VerticalScroll(id="help-keys"):
                yield Static(text)
            yield Static("esc closes · ctrl+p lists every action · up/down scroll", classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)


class Preview(Modal):
    """A dry-run report (rules, an import) and what the rep may do with it: each (key, label, answer)."""

    DEFAULT_CSS = MODAL_CSS + """
    .modal.preview > Vertical { width: 100; }
    .modal.preview #preview-report { height: auto; max-height: 30; }
    """
    BINDINGS = [Binding("escape,q", "answer('')", "Close", id="preview.close")]

    def __init__(self, title: str, report: Text, answers: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.add_class("preview")
        self.title_text = title
        self.report = report
        self.answers = {key: answer for key, _, answer in answers}
        self.hint = "   ".join(f"{key}: {label}" for key, label, _ in answers) or "nothing to change"

    def compose(self) -> ComposeResult:
        from textual.containers import VerticalScroll

        with Vertical():
            yield title(self.title_text)
            with VerticalScroll(id="preview-report"):
                yield Static(self.report)
            yield Static(Text(self.hint + "   esc: close"), classes="hint")

    def on_key(self, event) -> None:
        if event.key in self.answers:
            event.stop()
            self.dismiss(self.answers[event.key])

    def action_answer(self, answer: str) -> None:
        self.dismiss(answer)


class ImportForm(Modal):
    """The file to import and the CLI's options: the default region, and where rejected rows go."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="import.cancel")]

    def __init__(self, default_region: str) -> None:
        super().__init__()
        self.default_region = default_region

    def compose(self) -> ComposeResult:
        with Vertical():
            yield title("Import customers from a file (CSV or TXT, a header row with a phone column)")
            yield Static("file", classes="hint")
            yield Input(select_on_focus=False, placeholder="/path/to/customers.csv", id="import-path")
            yield Static("region for numbers written without +country code (e.g. BR; empty = none)", classes="hint")
            yield Input(select_on_focus=False, value=self.default_region, placeholder="BR", id="import-region")
            yield Static("rejected rows go to (with an error column; empty = next to the file)", classes="hint")
            yield Input(select_on_focus=False, placeholder="rejected.csv", id="import-errors")
            yield Static("its encoding when not UTF-8 (Outlook's, Excel's CSV: cp1252; empty = UTF-8)", classes="hint")
            yield Input(select_on_focus=False, placeholder="cp1252", id="import-encoding")
            yield Static("tab: next field   enter: check the file (nothing is written yet)", classes="hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        path = self.query_one("#import-path", Input).value.strip()
        if not path:
            self.query_one("#import-path", Input).focus()
            return
        region = self.query_one("#import-region", Input).value.strip().upper()
        errors = self.query_one("#import-errors", Input).value.strip() or _beside(path, "rejected")
        self.dismiss(ImportRequest(path, region, errors, self.query_one("#import-encoding", Input).value.strip()))

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class ImportRequest:
    path: str
    region: str
    errors: str  # where a partial import writes the rejected rows
    encoding: str = ""  # the file's code page, when not UTF-8


def _beside(path: str, word: str) -> str:
    """customers.csv -> customers.rejected.csv"""
    from pathlib import Path

    p = Path(path)
    return str(p.with_name(f"{p.stem}.{word}{p.suffix or '.csv'}"))


class Cancelled(Exception):
    """Raised from a long job's progress callback when the rep pressed esc: the job rolls back."""


class ProgressScreen(Modal):
    """A long job's progress; the job calls ``advance`` from its worker through the app; esc asks it to stop."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="progress.cancel")]

    def __init__(self, title: str, cancellable: bool = True) -> None:
        super().__init__()
        self.title_text = title
        self.cancellable = cancellable
        self.cancelled = False

    def compose(self) -> ComposeResult:
        from textual.widgets import ProgressBar

        with Vertical():
            yield title(self.title_text)
            yield ProgressBar(id="progress", show_eta=False)
            if self.cancellable:
                yield Static("esc: stop (nothing is written)", id="progress-hint", classes="hint")

    def advance(self, done: int, total: int, title: str | None = None) -> None:
        """Move the bar; a new ``title`` starts the job's next step."""
        from textual.widgets import ProgressBar

        if title is not None and title != self.title_text:
            self.title_text = title
            self.query_one(".title", Static).update(Text(visible(title)))
        self.query_one("#progress", ProgressBar).update(total=total, progress=done)

    class Advanced(Message):
        def __init__(self, done: int, total: int) -> None:
            super().__init__()
            self.done, self.total = done, total

    def check(self, done: int, total: int) -> None:
        """A progress callback for a worker thread: moves the bar, and raises ``Cancelled`` after esc.
        Posted, not called: a job that waited for the UI thread at every chunk ran twice as long."""
        if self.cancelled:
            raise Cancelled
        self.post_message(self.Advanced(done, total))

    def on_progress_screen_advanced(self, message: Advanced) -> None:
        self.advance(message.done, message.total)

    def action_cancel(self) -> None:
        if self.cancellable and not self.cancelled:
            self.cancelled = True
            self.query_one("#progress-hint", Static).update("stopping…")
