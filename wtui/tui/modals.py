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
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from wtui.core.text import visible
from wtui.tui.text import safe

MODAL_CSS = """
.modal { align: center middle; }
.modal > Vertical { width: 64; max-width: 95%; height: auto; max-height: 90%; border: round $primary;
                    background: $surface; padding: 0 1; }
.modal .title { text-style: bold; margin-bottom: 1; }
.modal .hint { color: $text-muted; }
.modal .error { color: $error; }
.modal OptionList { height: auto; max-height: 20; border: none; }
.modal Input { margin-bottom: 1; }
"""


class Modal(ModalScreen):
    """A centred box over the queue; its answer comes back through ``dismiss``."""

    SCOPED_CSS = False
    DEFAULT_CSS = MODAL_CSS

    def __init__(self) -> None:
        super().__init__(classes="modal")


def title(text: str | Text) -> Static:
    """A modal's title, shown literally: a title may carry what a rep typed (a path, a query)."""
    return Static(text if isinstance(text, Text) else Text(visible(text)), classes="title")


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
            yield TagFilter(placeholder="type to filter, space toggles, enter applies", id="tag-filter")
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
                label.append(visible(t.name), style=t.colour or "")
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
    """Pick one of a few values (colour, intent), optionally with a text field (expiry)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="choice.cancel")]

    def __init__(self, title: str, choices: list[tuple[str, Text]], field: tuple[str, str] | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices
        self.field = field  # (label, default)
        self.extra = ""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield title(self.title_text)
            yield OptionList(*[Option(label, id=value) for value, label in self.choices], id="choices")
            if self.field:
                yield Static(self.field[0], classes="hint")
                yield Input(value=self.field[1], id="choice-field")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if self.field:
            self.extra = self.query_one("#choice-field", Input).value
        self.dismiss(event.option.id)

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
            yield Input(value=self.value, placeholder=self.placeholder, id="prompt-input")
            yield Static("", id="prompt-status", classes="hint")

    def on_mount(self) -> None:
        self._validate(self.value)

    def on_input_changed(self, event: Input.Changed) -> None:
        self._validate(event.value)

    def _validate(self, text: str) -> bool:
        if not self.check:
            return True
        ok, message = self.check(text)
        status = self.query_one("#prompt-status", Static)
        status.set_class(not ok, "error")
        status.update(Text(visible(message)))
        return ok

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
    """The keys in force on the screen below, read from its live bindings."""

    DEFAULT_CSS = MODAL_CSS + ".modal.help > Vertical { width: 72; } .modal.help #help-keys { height: auto; max-height: 26; }"
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close", id="help.close")]

    def __init__(self, rows: list[tuple[str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        text = Text()
        width = max((len(k) for k, _ in self.rows), default=4)
        for keys, description in self.rows:
            text.append(f"{keys:>{width}}  ", style="bold")
            text.append(description + "\n")
        from textual.containers import VerticalScroll

        with Vertical():
            yield title("Keys on this screen")
            with VerticalScroll(id="help-keys"):
                yield Static(text)
            yield Static("esc closes · ctrl+p lists every action", classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)


class RulesPreview(Modal):
    """A dry-run report (rules, an import); ``a`` applies it."""

    DEFAULT_CSS = MODAL_CSS + ".modal.rules > Vertical { width: 100; } .modal.rules #rules-report { height: auto; max-height: 30; }"
    BINDINGS = [
        Binding("a", "apply", "Apply", id="rules.apply"),
        Binding("escape,q", "close", "Close", id="rules.close"),
    ]

    def __init__(self, report: Text, changed: int, title: str = "Automation rules: a dry run") -> None:
        super().__init__()
        self.add_class("rules")
        self.report = report
        self.changed = changed
        self.title_text = title

    def compose(self) -> ComposeResult:
        from textual.containers import VerticalScroll

        with Vertical():
            yield title(self.title_text)
            with VerticalScroll(id="rules-report"):
                yield Static(self.report)
            hint = f"a: apply {self.changed:,} change(s)" if self.changed else "nothing to change"
            hint += "   esc: close"
            yield Static(hint, classes="hint")

    def action_apply(self) -> None:
        self.dismiss(self.changed > 0)

    def action_close(self) -> None:
        self.dismiss(False)


class ProgressScreen(Modal):
    """A long job's progress; the job calls ``advance`` from its worker through the app."""

    def __init__(self, title: str) -> None:
        super().__init__()
        self.title_text = title

    def compose(self) -> ComposeResult:
        from textual.widgets import ProgressBar

        with Vertical():
            yield title(self.title_text)
            yield ProgressBar(id="progress", show_eta=False)

    def advance(self, done: int, total: int, title: str | None = None) -> None:
        """Move the bar; a new ``title`` starts the job's next step."""
        from textual.widgets import ProgressBar

        if title is not None and title != self.title_text:
            self.title_text = title
            self.query_one(".title", Static).update(Text(visible(title)))
        self.query_one("#progress", ProgressBar).update(total=total, progress=done)
