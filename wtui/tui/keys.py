"""The queue screen's bindings: every action has an id, the keys come from config.

``bindings(cfg)`` builds Textual ``Binding`` objects from ``[keys]`` and
``[quick_tags]``, and refuses a key bound to two actions, naming both. Help
(``?``) and the command palette read the bindings in force, so they cannot
disagree with what the keys do.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding

from wtui.core.config import Config
from wtui.errors import ConfigError


@dataclass(frozen=True)
class Action:
    id: str
    action: str  # the Textual action string
    description: str
    show: bool = False  # in the footer


ACTIONS = (
    Action("down", "cursor_down", "Next customer"),
    Action("up", "cursor_up", "Previous customer"),
    Action("top", "top", "First customer"),
    Action("bottom", "bottom", "Last customer"),
    Action("page_down", "page_down", "Page down"),
    Action("page_up", "page_up", "Page up"),
    Action("open", "open_customer", "Open the customer", True),
    Action("tags", "tags", "Tags", True),
    Action("colour", "colour", "Set colour", True),
    Action("intent", "intent", "Set intent"),
    Action("note", "note", "Add a note", True),
    Action("preference", "preference", "Edit the preference note"),
    Action("contacted", "contacted", "Log contacted", True),
    Action("undo", "undo", "Undo", True),
    Action("search", "search", "Narrow by text", True),
    Action("filter", "filter", "Filter by query", True),
    Action("segments", "toggle_segments", "Saved segments"),
    Action("save_segment", "save_segment", "Save the filter as a segment"),
    Action("bulk", "bulk", "Act on everyone filtered"),
    Action("rules", "rules", "Automation rules"),
    Action("import", "import_file", "Import customers from a file"),
    Action("copy", "copy_number", "Copy the number (OSC 52)"),
    Action("mark", "mark", "Mark / unmark"),
    Action("mark_all", "mark_all", "Mark all shown"),
    Action("panel", "toggle_panel", "Show / hide the panel"),
    Action("help", "help", "Keys", True),
    Action("quit", "quit", "Quit", True),
)


def quick_actions(cfg: Config) -> list[tuple[str, str, str]]:
    """(binding id, key, tag) for each bound quick tag."""
    return [(f"quick_{n}", n, tag) for n, tag in sorted(cfg.quick_tags.items()) if tag]


def bindings(cfg: Config) -> list[Binding]:
    """The queue screen's bindings with the keys from config; duplicates refused."""
    out: list[Binding] = []
    owner: dict[str, str] = {}
    for a in ACTIONS:
        keys = cfg.keys.get(a.id, "")
        if not keys.strip():
            continue
        _claim(owner, keys, a.id)
        out.append(Binding(keys, a.action, a.description, show=a.show, id=a.id))
    for bid, key, tag in quick_actions(cfg):
        _claim(owner, key, bid)
        out.append(Binding(key, f"quick_tag('{key}')", f"Toggle {tag}", show=False, id=bid))
    return out


def _claim(owner: dict[str, str], keys: str, action_id: str) -> None:
    for key in (k.strip() for k in keys.split(",")):
        if not key:
            continue
        if key in owner and owner[key] != action_id:
            raise ConfigError("keys", f"keys.{action_id}", f"key {key!r} is already bound to {owner[key]!r}")
        owner[key] = action_id
