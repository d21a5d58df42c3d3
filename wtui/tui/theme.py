"""Themes: TOML files in themes/, turned into Textual themes plus the queue's own styles.

Looked up, first found wins: the user's ``~/.config/wtui/themes/``, the
installed ``<prefix>/share/wtui/themes/``, and the source tree's ``themes/``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from rich.style import Style
from textual.theme import BUILTIN_THEMES, Theme

from wtui.core.config import COLORS, toml_file, user_config_dir
from wtui.errors import ConfigError

MARKS = ("overdue", "outside", "marked", "dim", "day", "night")
_APP_FIELDS = ("primary", "secondary", "accent", "warning", "error", "success", "foreground", "background",
               "surface", "panel")


def theme_dirs() -> list[Path]:
    return [
        user_config_dir() / "themes",
        Path(sys.prefix) / "share" / "wtui" / "themes",
        Path(__file__).resolve().parents[2] / "themes",
    ]


@dataclass(frozen=True, eq=False)  # never compared: no __eq__/__hash__ to compile at start
class WtuiTheme:
    """A theme file loaded: the Textual theme and the queue's own styles."""

    name: str
    textual: Theme
    queue: dict[str, Style]  # follow-up colour -> style
    marks: dict[str, Style]


def available() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for d in reversed(theme_dirs()):  # earlier dirs win
        if d.is_dir():
            for f in sorted(d.glob("*.toml")):
                found[f.stem] = f
    return found


def load(name: str) -> WtuiTheme:
    files = available()
    if name not in files:
        raise ConfigError("ui.theme", "", f"no theme {name!r}; there are {', '.join(sorted(files)) or 'none'}")
    path = files[name]
    try:  # the shipped themes are kept parsed, as the defaults are; a rep's own is read each time
        data = toml_file(path, keep=not path.is_relative_to(user_config_dir()))
    except ValueError as exc:  # not TOML, or not UTF-8
        raise ConfigError(str(path), "", f"not a valid theme file: {exc}") from None
    return parse(data, str(path))


def parse(data: dict, origin: str) -> WtuiTheme:
    app = data.get("app", {})
    missing = [f for f in ("primary",) if f not in app]
    if missing:
        raise ConfigError(origin, "app.primary", "missing")
    ansi = bool(data.get("ansi", False))
    variables = dict(BUILTIN_THEMES["ansi-dark"].variables) if ansi else {}
    queue = {}
    for color in COLORS:
        text = data.get("queue", {}).get(color)
        if not text:
            raise ConfigError(origin, f"queue.{color}", "missing")
        queue[color] = _style(text, origin, f"queue.{color}")
    marks = {m: _style(data.get("marks", {}).get(m, ""), origin, f"marks.{m}") for m in MARKS}
    theme = Theme(
        name=data.get("name", Path(origin).stem),
        dark=bool(data.get("dark", True)),
        ansi=ansi,
        boost="ansi_default" if ansi else None,
        variables=variables,
        **{f: app[f] for f in _APP_FIELDS if f in app},
    )
    return WtuiTheme(theme.name, theme, queue, marks)


def _style(text: str, origin: str, key: str) -> Style:
    try:
        return Style.parse(text) if text else Style()
    except Exception as exc:  # rich raises StyleSyntaxError or ColorParseError
        raise ConfigError(origin, key, f"not a style: {exc}") from None
