"""Every action has a binding id; the keys come from config through ``App.set_keymap``.

The widgets declare their bindings with the shipped default keys (from
``defaults.toml``, the one home of the keys); ``keymap(cfg)`` maps each id to
the keys in force and refuses a key bound to two actions, naming both. An
action bound to nothing (``""``) is switched off by ``unbound(cfg)``. Help
(``?``) and the command palette read the bindings in force, so they cannot
disagree with what the keys do.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from textual.binding import Binding

from wtui.core.config import Config, defaults_section
from wtui.errors import ConfigError


@dataclass(frozen=True, eq=False)  # compared by id, never whole: no __eq__/__hash__ to compile at start
class Action:
    """An action a key can be bound to (by ``id`` in the keymap)."""

    id: str
    action: str  # the Textual action string
    description: str
    show: bool = False  # in the footer
    short: str = ""  # the footer's word for it (80 columns hold ten keys only if they are short)


# Movement lives on the queue table (a focused ScrollView's own keys would scroll and leave the cursor behind).
TABLE_ACTIONS = (
    Action("down", "cursor('down')", "Next customer"),
    Action("up", "cursor('up')", "Previous customer"),
    Action("top", "cursor('top')", "First customer"),
    Action("bottom", "cursor('bottom')", "Last customer"),
    Action("page_down", "cursor('page_down')", "Page down"),
    Action("page_up", "cursor('page_up')", "Page up"),
)

SCREEN_ACTIONS = (
    Action("open", "open_customer", "Open the customer", True, "Open"),
    Action("tags", "tags", "Tags", True),
    Action("colour", "colour", "Set colour", True, "Colour"),
    Action("intent", "intent", "Set intent"),
    Action("note", "note", "Add a note", True, "Note"),
    Action("preference", "preference", "Edit the preference note"),
    Action("contacted", "contacted", "Log contacted", True, "Contacted"),
    Action("assign", "assign", "Assign to me"),
    Action("undo", "undo", "Undo", True),
    Action("search", "search", "Narrow by text", True, "Search"),
    Action("filter", "filter", "Filter by query", True, "Filter"),
    Action("scope", "scope", "My queue / the team's"),
    Action("whole", "whole_book", "Today's queue / every customer"),
    Action("segments", "toggle_segments", "Saved segments"),
    Action("save_segment", "save_segment", "Save the filter as a segment"),
    Action("bulk", "bulk", "Act on everyone filtered"),
    Action("rules", "rules", "Automation rules"),
    Action("import", "import_file", "Import customers from a file"),
    Action("copy", "copy_number", "Copy the number, the filled template or a wa.me link (OSC 52)"),
    Action("link", "link", "Make a tracked link (copied)"),
    Action("purchase", "purchase", "Record a purchase"),
    Action("won", "won", "Record a deal won"),
    Action("lost", "lost", "Record a deal lost"),
    Action("mark", "mark", "Mark / unmark"),
    Action("mark_all", "mark_all", "Mark all shown"),
    Action("panel", "toggle_panel", "Show / hide the panel"),
    Action("panel_down", "scroll_panel(0.5)", "Scroll the panel down"),
    Action("panel_up", "scroll_panel(-0.5)", "Scroll the panel up"),
    Action("sync", "sync_now", "Sync with the team server now"),
    Action("routine", "routine", "The weekly routine: tag health, signals, accuracy, spend tiers, broadcasts"),
    Action("audit", "audit", "The accuracy audit: review a sample"),
    Action("help", "help", "Keys", True),
    Action("quit", "quit", "Quit", True),
)

ACTIONS = TABLE_ACTIONS + SCREEN_ACTIONS
QUICK = tuple(str(n) for n in range(1, 10))  # quick_1 .. quick_9: the number keys toggle configured tags


@cache
def _default_keys() -> dict[str, str]:
    return defaults_section("keys")


def _bindings(actions: tuple[Action, ...]) -> list[Binding]:
    keys = _default_keys()
    return [Binding(keys[a.id] or a.id, a.action, a.short or a.description, show=a.show, id=a.id,
                    tooltip=a.description if a.short else "") for a in actions]


def table_bindings() -> list[Binding]:
    return _bindings(TABLE_ACTIONS)


def screen_bindings() -> list[Binding]:
    quick = [Binding(n, f"quick_tag('{n}')", f"Quick tag {n}", show=False, id=f"quick_{n}") for n in QUICK]
    return _bindings(SCREEN_ACTIONS) + quick


def parsed(action: str) -> tuple[str, tuple]:
    """A binding's action string as (name, parameters), as ``check_action`` takes them."""
    name, _, rest = action.partition("(")
    return name, (rest.rstrip(")").strip("'\""),) if rest else ()


def keymap(cfg: Config) -> dict[str, str]:
    """Binding id -> keys in force; a key bound to two actions is refused, naming both."""
    owner: dict[str, str] = {}
    out: dict[str, str] = {}
    for a in ACTIONS:
        keys = cfg.keys.get(a.id, "")
        if keys.strip():
            _claim(owner, keys, a.id)
            out[a.id] = keys
    for n, tag in sorted(cfg.quick_tags.items()):
        if tag:
            _claim(owner, n, f"quick_{n}")
    return out


def unbound(cfg: Config) -> set[str]:
    """Textual action names switched off: bound to no key, or a number key with no tag."""
    off = {a.action for a in ACTIONS if not cfg.keys.get(a.id, "").strip()}
    return off | {f"quick_tag('{n}')" for n in QUICK if not cfg.quick_tags.get(n)}


def describe(binding: Binding, cfg: Config) -> str:
    """What a binding does, in words (a quick tag names its tag)."""
    if binding.id and binding.id.startswith("quick_"):
        return f"Toggle {cfg.quick_tags.get(binding.id[6:], '')}"
    return next((a.description for a in ACTIONS if a.id == binding.id), binding.description)  # not the short


def _claim(owner: dict[str, str], keys: str, action_id: str) -> None:
    for key in (k.strip() for k in keys.split(",")):
        if not key:
            continue
        if key in owner and owner[key] != action_id:
            raise ConfigError("keys", f"keys.{action_id}", f"key {key!r} is already bound to {owner[key]!r}")
        owner[key] = action_id
