"""The typed configuration object, loaded in layers over the shipped defaults.

Layers, later wins: package ``defaults.toml`` < ``/etc/wtui/config.toml`` (the
shared server's team defaults) < the user config dir < ``$WTUI_CONFIG`` <
``--config``. The defaults file is also the schema: an override may only set
keys that exist there, with a value of the same type. Tables listed in
``_OPEN_TABLES`` (regions, languages, dimensions...) accept new keys.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from wtui.errors import ConfigError

DEFAULTS_NAME = "defaults.toml"
SYSTEM_CONFIG = Path("/etc/wtui/config.toml")
# The team's security: who administers the book, the webhook's secret, the rules that write to every
# customer. Only the system layer (root's file on the shared server) sets them; a rep's own config,
# $WTUI_CONFIG and --config are the rep's to write, so they may not (admins also live in the book).
TEAM_KEYS = (("book", "admins"), ("whatsapp", "app_secret"), ("rules", "path"))
TEAM_LAYERS = ("system",)
ENV_CONFIG = "WTUI_CONFIG"

COLORS = ("red", "orange", "yellow", "green", "gray")  # the follow-up colours (playbook §1)
INTENTS = ("high", "medium", "potential", "none")  # purchase intent (§2), strongest first

# Tables whose keys are data, not schema: a team may add a region, a language,
# a dimension or an interest without a new wtui release.
_OPEN_TABLES = (
    ("regions",),
    ("dimensions",),
    ("keywords", "comparison"),
    ("keywords", "quote"),
    *(("keywords", "intent", intent) for intent in INTENTS),
    ("keywords", "interest"),
)

# Sanity limits (not thresholds): what makes a value meaningless.
_HOUR_KEYS = {("windows", "quiet_start"), ("windows", "quiet_end")}
_SHARE_KEYS = {("team", "red_share_alert"), ("team", "gray_jump_alert"), ("team", "high_activity_floor"),
               ("imports", "warn_failure_share")}
_CHOICES = {
    ("colors", "lead_color"): COLORS,
    ("colors", "rules", "red_fatigue_action"): ("warn", "demote"),
    ("queue", "scope"): ("mine", "team"),
}

# Keys a release took away: (value that asks for what wtui now does anyway, why it went).
# A file that sets the harmless value loads (the line can go at leisure); any other
# value is refused with the reason, since silently dropping it would hide a change.
_RETIRED: dict[tuple[str, ...], tuple[Any, str]] = {
    ("rules", "run_on_start"): (
        False,
        "retired: opening the app never changes the book any more. Run the rules with `wtui rules run` "
        "(R in the app) or on a schedule (docs/DEPLOY.md: a systemd timer or a cron line), "
        "then delete this line",
    ),
}


def user_config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "wtui"


def user_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "wtui"


def user_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "wtui"


def config_paths(explicit: str | os.PathLike[str] | None = None) -> list[tuple[str, Path]]:
    """Every config layer after the defaults, in load order, as (label, path)."""
    layers = [("system", SYSTEM_CONFIG), ("user", user_config_dir() / "config.toml")]
    if os.environ.get(ENV_CONFIG):
        layers.append((ENV_CONFIG, Path(os.environ[ENV_CONFIG])))
    if explicit:
        layers.append(("--config", Path(explicit)))
    return layers


# ---------------------------------------------------------------------------
# Typed sections. Field names mirror defaults.toml exactly.


@dataclass(frozen=True)
class ColorRules:
    signal_ttl_hours: float
    quote_opens_for_orange: int
    long_visit_minutes: float
    read_no_reply_hours: float
    new_contact_days: float
    green_no_link_days: float
    no_interaction_days: float
    dark_green_yearly_spend: float
    dark_green_cadence_days: float
    red_fatigue_streak: int
    red_fatigue_action: str
    priority_tags: list[str]


@dataclass(frozen=True)
class Colors:
    order: list[str]
    lead_color: str
    glyph: dict[str, str]
    handle_within_hours: dict[str, float]
    close_rate: dict[str, float]
    cadence_days: dict[str, float]
    rules: ColorRules

    def rank(self, color: str) -> int:
        return self.order.index(color)


@dataclass(frozen=True)
class Intent:
    high_decay_days: float
    medium_window_days: float
    cadence_days: dict[str, float]


@dataclass(frozen=True)
class Activity:
    high_reply_hours: float
    medium_reply_days: float
    low_reply_days: float
    cadence_days: dict[str, float]


@dataclass(frozen=True)
class Spend:
    currency: str
    order_low_below: float
    order_high_above: float
    vip_yearly: float
    vip_single_order: float


@dataclass(frozen=True)
class Lifecycle:
    new_days: float
    growth_days: float
    weekly_open_days: float
    prechurn_days: float
    frequent_purchases: int
    frequent_window_days: float


@dataclass(frozen=True)
class Rfm:
    segments: list[list[Any]]


@dataclass(frozen=True)
class Region:
    name: str
    weekday: str
    weekend: str
    best: str
    worst: str


@dataclass(frozen=True)
class Windows:
    quiet_start: float
    quiet_end: float
    office_hours: str
    night_owl: str
    search_days: int
    ramadan: bool
    ramadan_shift_minutes: float
    ramadan_regions: list[str]


@dataclass(frozen=True)
class Keywords:
    comparison: dict[str, list[str]]
    quote: dict[str, list[str]]
    intent: dict[str, dict[str, list[str]]]
    interest: dict[str, dict[str, list[str]]]


@dataclass(frozen=True)
class Team:
    red_share_alert: float
    gray_jump_alert: float
    high_activity_floor: float


@dataclass(frozen=True)
class Rep:
    name: str
    timezone: str


@dataclass(frozen=True)
class BookCfg:
    path: str
    default_region: str
    admins: list[str]
    shared: bool
    busy_wait_seconds: float
    transaction_seconds: float


@dataclass(frozen=True)
class Tags:
    max_length: int
    healthy_min: int
    healthy_max: int
    unmanageable: int


@dataclass(frozen=True)
class QueueCfg:
    limit: int
    scope: str  # "mine" (own customers + unassigned) or "team"


@dataclass(frozen=True)
class Ui:
    theme: str
    panel_min_width: int
    min_width: int
    min_height: int
    colour_override_hours: float
    write_wait_seconds: float


@dataclass(frozen=True)
class Imports:
    batch_rows: int
    max_cell_kb: float
    warn_failure_share: float
    workers: int
    parallel_rows: int


@dataclass(frozen=True)
class WhatsApp:
    app_secret: str
    rep_names: list[str]


@dataclass(frozen=True)
class RulesCfg:
    path: str


@dataclass(frozen=True)
class SyncCfg:
    poll_seconds: float


@dataclass(frozen=True)
class Demo:
    customers: int
    seed: int


@dataclass(frozen=True)
class Config:
    rep: Rep
    book: BookCfg
    colors: Colors
    team: Team
    intent: Intent
    activity: Activity
    spend: Spend
    lifecycle: Lifecycle
    rfm: Rfm
    windows: Windows
    regions: dict[str, Region]
    keywords: Keywords
    dimensions: dict[str, str]
    tags: Tags
    queue: QueueCfg
    ui: Ui
    keys: dict[str, str]
    quick_tags: dict[str, str]
    imports: Imports
    whatsapp: WhatsApp
    rules: RulesCfg
    sync: SyncCfg
    demo: Demo
    sources: tuple[str, ...] = ()

    def fingerprint(self) -> str:
        """Changes when anything that decides colours, due times or tags changes."""
        return _fingerprint(self)


# ---------------------------------------------------------------------------
# Loading


def load_defaults_dict() -> dict[str, Any]:
    # A plain path, not importlib.resources: that import alone costs ~10 ms at every start.
    return tomllib.loads((Path(__file__).parent.parent / DEFAULTS_NAME).read_text("utf-8"))


def load(explicit: str | os.PathLike[str] | None = None, *, layers: list[tuple[str, Path]] | None = None) -> Config:
    """Load defaults and every existing layer; refuse what is malformed."""
    data = load_defaults_dict()
    sources = ["defaults"]
    for label, path in layers if layers is not None else config_paths(explicit):
        if not path.exists():
            if label in ("--config", ENV_CONFIG):
                raise ConfigError(str(path), "", "file not found")
            continue
        try:
            override = tomllib.loads(path.read_text("utf-8"))
        except UnicodeDecodeError:
            raise ConfigError(str(path), "", "not UTF-8 text") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(str(path), "", f"not valid TOML: {exc}") from None
        if label not in TEAM_LAYERS:
            _refuse_team_keys(override, label, path)
        _merge(data, override, str(path), ())
        _check_ranges(data, str(path))  # checked per layer, so the error names the file at fault
        sources.append(str(path))
    return from_dict(data, sources=tuple(sources))


def _refuse_team_keys(override: dict[str, Any], label: str, path: Path) -> None:
    for section, key in TEAM_KEYS:
        table = override.get(section)
        if isinstance(table, dict) and key in table:
            raise ConfigError(str(path), f"{section}.{key}", f"a team security setting, which only {SYSTEM_CONFIG} "
                              f"(or the book itself) may set, not the {label} config")


def from_dict(data: dict[str, Any], *, origin: str = "config", sources: tuple[str, ...] = ()) -> Config:
    _check_ranges(data, origin)
    cfg = _build(Config, data, origin, ())
    return _replace_sources(cfg, sources)


def with_overrides(cfg_dict_overrides: dict[str, Any]) -> Config:
    """Defaults plus a nested dict of overrides, validated like a file (for tests and tools)."""
    data = load_defaults_dict()
    _merge(data, cfg_dict_overrides, "overrides", ())
    return from_dict(data, origin="overrides")


def _replace_sources(cfg: Config, sources: tuple[str, ...]) -> Config:
    object.__setattr__(cfg, "sources", sources)
    return cfg


def _merge(base: dict[str, Any], override: dict[str, Any], path: str, at: tuple[str, ...]) -> None:
    open_table = at in _OPEN_TABLES
    for key, value in override.items():
        here = at + (key,)
        dotted = ".".join(here)
        if here in _RETIRED:
            harmless, why = _RETIRED[here]
            if value == harmless and type(value) is type(harmless):
                continue
            raise ConfigError(path, dotted, why)
        if key not in base:
            if not open_table:
                raise ConfigError(path, dotted, f"unknown key{_suggest(key, base)}")
            base[key] = value
            continue
        current = base[key]
        if isinstance(current, dict):
            if not isinstance(value, dict):
                raise ConfigError(path, dotted, "expected a table")
            _merge(current, value, path, here)
        else:
            if not _same_kind(current, value):
                raise ConfigError(path, dotted, f"expected {_kind(current)}, got {_kind(value)}")
            base[key] = value


def _same_kind(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float))
    return type(default) is type(value)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _suggest(key: str, options: dict[str, Any]) -> str:
    import difflib

    close = difflib.get_close_matches(key, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_ranges(data: dict[str, Any], origin: str) -> None:
    def walk(node: Any, at: tuple[str, ...]) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, at + (k,))
            return
        dotted = ".".join(at)
        if isinstance(node, (int, float)) and not isinstance(node, bool):
            if node < 0:
                raise ConfigError(origin, dotted, f"must not be negative, got {node}")
            if at in _HOUR_KEYS and node > 24:
                raise ConfigError(origin, dotted, f"must be an hour from 0 to 24, got {node}")
            if at in _SHARE_KEYS and node > 1:
                raise ConfigError(origin, dotted, f"must be a share from 0 to 1, got {node}")
        if at in _CHOICES and node not in _CHOICES[at]:
            raise ConfigError(origin, dotted, f"must be one of {', '.join(_CHOICES[at])}, got {node!r}")

    walk(data, ())
    order = data["colors"]["order"]
    if sorted(order) != sorted(COLORS):
        raise ConfigError(origin, "colors.order", f"must list each of {', '.join(COLORS)} once")
    for table in ("glyph", "handle_within_hours", "cadence_days"):
        missing = [c for c in COLORS if c not in data["colors"][table]]
        if missing:
            raise ConfigError(origin, f"colors.{table}", f"missing {', '.join(missing)}")
    for i, seg in enumerate(data["rfm"]["segments"]):
        ok = isinstance(seg, list) and len(seg) == 4 and isinstance(seg[0], str)
        ok = ok and all(isinstance(s, int) and 1 <= s <= 5 for s in seg[1:])
        if not ok:
            raise ConfigError(origin, f"rfm.segments[{i}]", "must be [name, min R, min F, min M] with scores 1-5")
    for code, region in data["regions"].items():
        if not (len(code) == 2 and code.isupper()):
            raise ConfigError(origin, f"regions.{code}", "region codes are two capital letters, e.g. BR")
        for key in ("name", "weekday", "weekend", "best", "worst"):
            if not isinstance(region.get(key, ""), str):
                raise ConfigError(origin, f"regions.{code}.{key}", "expected text")


def _build(cls: type, data: dict[str, Any], origin: str, at: tuple[str, ...]) -> Any:
    kwargs = {}
    for f in fields(cls):
        if f.name == "sources":
            continue
        here = at + (f.name,)
        if f.name not in data:
            raise ConfigError(origin, ".".join(here), "missing")
        value = data[f.name]
        ftype = _SECTION_TYPES.get(f.type if isinstance(f.type, str) else f.type.__name__)
        if ftype is not None:
            value = _build(ftype, value, origin, here)
        elif f.name == "regions":
            value = {
                code: Region(**{k: r.get(k, "") for k in ("name", "weekday", "weekend", "best", "worst")})
                for code, r in value.items()
            }
        kwargs[f.name] = value
    return cls(**kwargs)


_SECTION_TYPES: dict[str, type] = {
    c.__name__: c
    for c in (
        Rep, BookCfg, Colors, ColorRules, Team, Intent, Activity, Spend, Lifecycle, Rfm,
        Windows, Keywords, Tags, QueueCfg, Ui, Imports, WhatsApp, RulesCfg, SyncCfg, Demo,
    )
}


def _fingerprint(cfg: Config) -> str:
    from dataclasses import asdict

    ignored = ("rep", "book", "queue", "ui", "keys", "quick_tags", "imports", "whatsapp", "rules", "sync", "demo",
               "sources")
    decisive = {k: v for k, v in asdict(cfg).items() if k not in ignored}
    blob = json.dumps(decisive, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
