"""The typed configuration object, loaded in layers over the shipped defaults.

Layers, later wins: package ``defaults.toml`` < ``/etc/wtui/config.toml`` (the
shared server's team defaults) < the user config dir < ``$WTUI_CONFIG`` <
``--config``. The defaults file is also the schema: an override may only set
keys that exist there, with a value of the same type. Tables listed in
``_OPEN_TABLES`` (regions, languages, dimensions...) accept new keys.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import json
import marshal
import os
import sys
from dataclasses import MISSING, FrozenInstanceError, dataclass, fields
from pathlib import Path
from typing import Any

from wtui.core.schedule import parse_times
from wtui.errors import BadInput, ConfigError

DEFAULTS_NAME = "defaults.toml"
SYSTEM_CONFIG = Path("/etc/wtui/config.toml")
# The team's security: who administers the book, the webhook's secret, the rules that write to every
# customer. Only the system layer (root's file on the shared server) sets them; a rep's own config,
# $WTUI_CONFIG and --config are the rep's to write, so they may not (admins also live in the book).
TEAM_KEYS = (("book", "admins"), ("whatsapp", "app_secret"), ("rules", "path"))
TEAM_LAYERS = ("system",)
ENV_CONFIG = "WTUI_CONFIG"

COLORS = ("red", "orange", "yellow", "green", "gray")  # the follow-up colours (playbook §1)
# Bump when the code that derives a verdict from facts changes (core.facts, traits, follow_up): books
# recompute their stored verdicts on the next open, as they do when the config that decides them changes.
DERIVE_VERSION = 8  # 2: red fatigue in episodes; 3: spend tiers in USD; 4: price within 1 h, follow-up 12 h;
# 5: reading habits, tiers that decay, medium intent that stops, none intent on broadcasts only; 6: golden hours;
# 7: a lead never contacted is due from when they came into the book; 8: a sale answers a price question,
# a lost deal stops follow-ups until they write
INTENTS = ("high", "medium", "potential", "none")  # purchase intent (§2), strongest first
ACTIVITY_LEVELS = ("high", "medium", "low", "dormant")  # §4, most active first
# A reading habit (playbook §8, a weekday-evening reader): the weekday whose evenings they read on.
HABITS = tuple(f"{day}-evening" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
# Which intent a message shows when it shows several: any question first, then a refusal before a polite
# word ("no thanks, not now" is none; "thanks! how much?" is high).
INTENT_PRECEDENCE = ("high", "medium", "none", "potential")

# Tables whose keys are data, not schema: a team may add a region, a language,
# a dimension or an interest without a new wtui release.
_OPEN_TABLES = (
    ("regions",),
    ("zones",),
    ("dimensions",),
    ("keywords", "comparison"),
    ("keywords", "quote"),
    *(("keywords", "intent", intent) for intent in INTENTS),
    ("keywords", "interest"),
    ("keywords", "implies"),
    ("spend", "rates"),
)

# Sanity limits (not thresholds): what makes a value meaningless.
_HOUR_KEYS = {("windows", "quiet_start"), ("windows", "quiet_end"), ("activity", "evening_hour"),
              ("templates", "afternoon_hour"), ("templates", "evening_hour")}
_SHARE_KEYS = {("team", "red_share_alert"), ("team", "gray_jump_alert"), ("team", "high_activity_floor"),
               ("health", "overloaded_share"), ("health", "merge_overlap"), ("review", "false_red_below"),
               ("review", "missed_green_share"), ("review", "close_rate_tolerance"), ("review", "audit_share"),
               ("review", "spend_drop"),
               ("review", "audit_error_target"), ("broadcast", "delivered_target"), ("broadcast", "read_low"),
               ("broadcast", "read_high"), ("broadcast", "reply_target"),
               ("imports", "warn_failure_share")}
# Values that must be above zero: a zero would stop an import, a poll or a search dead (every [limits] key too).
_POSITIVE_KEYS = {("imports", "batch_rows"), ("imports", "parallel_rows"),
                  ("review", "spend_buckets"), ("review", "min_outcomes"), ("sync", "poll_seconds"),
                  ("sync", "max_clock_ahead_minutes"), ("sync", "batch_ops"), ("sync", "timeout_seconds"),
                  ("sync", "push_seconds"), ("sync", "offline_retry_seconds"),
                  ("server", "port"), ("server", "max_body_kb"), ("server", "max_push_ops"),
                  ("server", "requests_per_minute"),
                  ("windows", "search_days"), ("tags", "max_length"), ("queue", "limit"), ("ui", "min_width"),
                  ("ui", "min_height"), ("ui", "panel_min_width"), ("demo", "customers"),
                  ("colors", "rules", "red_fatigue_streak")}
# The largest a limit may be set to: past these, SQLite (500 terms in a compound SELECT, its parser's
# stack) or Python's recursion give out before the limit would.
_LIMIT_CEILINGS = {("limits", "query_terms"): 500, ("limits", "query_depth"): 14, ("limits", "json_depth"): 500,
                   ("imports", "workers"): 64}  # processes: more than this is a typo, and would exhaust the machine
LONGEST_DAYS = 36525  # a duration past a century is a typo, and would overflow the dates computed from it
_DAY_UNITS = {"minutes": 1440, "hours": 24, "days": 1, "seconds": 86400}
# Lists of text (a number in one would fail far from the file).
_TEXT_LISTS = {("book", "admins"), ("whatsapp", "rep_names"), ("colors", "order"),
               ("colors", "rules", "priority_tags"), ("windows", "ramadan_regions")}
_CHOICES = {
    ("colors", "lead_color"): COLORS,
    ("colors", "rules", "red_fatigue_action"): ("warn", "demote"),
    ("queue", "scope"): ("mine", "team"),
    ("review", "routine_weekday"): ("", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}

# Keys a release took away: (value that asks for what wtui now does anyway, why it went).
# A file that sets the harmless value loads (the line can go at leisure); any other
# value is refused with the reason, since silently dropping it would hide a change.
# Keys a release moved: the value is carried to the new place (say so in the release notes).
_MOVED: dict[tuple[str, ...], tuple[str, ...]] = {
    ("imports", "max_cell_kb"): ("limits", "csv_cell_kb"),
}

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


class _Section:
    """What every section shares, written once here. ``@dataclass(frozen=True)`` compiles six methods for
    each class at import (~0.8 ms a class: ~20 ms of every start for these 29); ``_section`` compiles none.
    The sections are built from the merged TOML by keyword, so one ``__init__`` serves them all; they are
    as frozen, equal, hashable and shown as @dataclass made them, and dataclasses.replace, fields and asdict
    work on them as before."""

    __slots__ = ()

    def __init__(self, **values: Any) -> None:
        fields_ = self.__dataclass_fields__  # type: ignore[attr-defined]
        unknown = next((name for name in values if name not in fields_), None)
        if unknown is not None:
            raise TypeError(f"{type(self).__name__}() got an unexpected keyword argument {unknown!r}")
        for name, f in fields_.items():
            if name in values:
                value = values[name]
            elif f.default is not MISSING:
                value = f.default
            else:
                raise TypeError(f"{type(self).__name__}() missing required keyword argument {name!r}")
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash(tuple(self.__dict__.values()))

    def __repr__(self) -> str:
        return f"{type(self).__qualname__}({', '.join(f'{k}={v!r}' for k, v in self.__dict__.items())})"


_section = dataclass(init=False, eq=False, repr=False)  # the fields of a _Section; every method is _Section's


@_section
class ColorRules(_Section):
    """[colors.rules]: the thresholds of the colour rules (playbook §1)."""

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


@_section
class Colors(_Section):
    """[colors]: the follow-up colours, their order, glyphs and cadences."""

    order: list[str]
    lead_color: str
    glyph: dict[str, str]
    handle_within_hours: dict[str, float]
    close_rate: dict[str, float]
    cadence_days: dict[str, float]
    rules: ColorRules

    def rank(self, color: str) -> int:
        return self.order.index(color)


@_section
class Intent(_Section):
    """[intent]: how purchase intent decays and how often it is followed up (§2)."""

    high_decay_days: float
    medium_window_days: float
    price_within_hours: float
    first_follow_up_hours: float
    cadence_days: dict[str, float]
    medium_follow_ups: int  # our messages without a reply after which medium intent stops coming due
    none_broadcast_only: bool  # "not needed now": broadcasts only, no follow-ups one by one
    lost_broadcast_only: bool  # a deal lost: broadcasts only until the customer writes again


@_section
class Activity(_Section):
    """[activity]: activity levels by reply speed, and reading habits (§4, §8)."""

    high_reply_hours: float
    medium_reply_days: float
    low_reply_days: float
    cadence_days: dict[str, float]
    habit_reads: int  # the last this many days they read on, all one weekday's evening: a reading habit
    evening_hour: int  # evening starts at this hour, their time
    golden_min_replies: int  # answers to our messages sent in one hour before that hour can be their golden hour


@_section
class Spend(_Section):
    """[spend]: spend tiers and the book's currency."""

    currency: str
    order_low_below: float
    order_high_above: float
    vip_yearly: float
    vip_single_order: float
    decay_days: float  # no purchase for longer: one tier down (vip -> high -> medium -> low)
    rates: dict[str, float]  # one unit of another currency in the book's currency (catalog orders)


@_section
class Lifecycle(_Section):
    """[lifecycle]: the customer's stage by age and purchases."""

    new_days: float
    growth_days: float
    weekly_open_days: float
    prechurn_days: float
    frequent_purchases: int
    frequent_window_days: float


@_section
class Rfm(_Section):
    """[rfm]: the RFM segments, [name, min R, min F, min M]."""

    segments: list[list[Any]]


@_section
class Region(_Section):
    """One [regions.XX] table: a region's name and its hours."""

    name: str
    weekday: str
    weekend: str
    best: str
    worst: str


@_section
class Windows(_Section):
    """[windows]: quiet hours, the preset windows, Ramadan."""

    quiet_start: float
    quiet_end: float
    office_hours: str
    night_owl: str
    search_days: int
    ramadan: bool
    ramadan_shift_minutes: float
    ramadan_regions: list[str]


@_section
class Keywords(_Section):
    """[keywords]: the words that signal intent and interest (lists in data/keywords.toml)."""

    currencies: list[str]
    units: list[str]
    sizes: list[str]
    implies: dict[str, str]
    comparison: dict[str, list[str]]
    quote: dict[str, list[str]]
    intent: dict[str, dict[str, list[str]]]
    interest: dict[str, dict[str, list[str]]]


@_section
class Team(_Section):
    """[team]: the team alerts' thresholds."""

    red_share_alert: float
    gray_jump_alert: float
    high_activity_floor: float


@_section
class Rep(_Section):
    """[rep]: who the rep is, and their time zone."""

    name: str
    timezone: str


@_section
class BookCfg(_Section):
    """[book]: where the book is and how it is shared."""

    path: str
    default_region: str
    admins: list[str]
    shared: bool
    busy_wait_seconds: float
    transaction_seconds: float


@_section
class Tags(_Section):
    """[tags]: tag length and the healthy tag count."""

    max_length: int
    healthy_min: int
    healthy_max: int
    unmanageable: int


@_section
class Health(_Section):
    """Tag health's thresholds (playbook §7, §11; see defaults.toml, [health])."""

    early_max: int
    mature_customers: int
    mature_min: int
    overloaded_share: float
    overloaded_min_customers: int
    tiny_customers: int
    idle_days: float
    archive_above: int
    archive_prefix: str
    merge_overlap: float
    silent_days: float
    zombie_days: float
    rare_uses: int
    rare_days: float
    stale_hours: float
    campaign_dimension: str
    campaign_days: float


@_section
class Review(_Section):
    """The weekly routine: colour accuracy, the audit, signals over time ([review] in defaults.toml)."""

    weeks: int
    min_outcomes: int
    false_red_below: float
    missed_green_share: float
    close_rate_tolerance: float
    audit_share: float
    audit_active_days: float
    audit_error_target: float
    routine_weekday: str
    snapshot_days: float
    spend_buckets: int
    spend_drop: float


@_section
class BroadcastCfg(_Section):
    """[broadcast]: what a broadcast's results are held to."""

    results_hours: float
    recontact_days: float
    delivered_target: float
    read_low: float
    read_high: float
    reply_target: float


@_section
class TemplatesCfg(_Section):
    """[templates]: the message templates file and its limits."""

    path: str
    warn_per_week: int
    afternoon_hour: int
    evening_hour: int


@_section
class QueueCfg(_Section):
    """[queue]: how long the queue is, and whose."""

    limit: int
    scope: str  # "mine" (own customers + unassigned) or "team"


@_section
class Ui(_Section):
    """[ui]: the app's theme, sizes and waits."""

    theme: str
    panel_min_width: int
    min_width: int
    min_height: int
    colour_override_hours: float
    write_wait_seconds: float


@_section
class Imports(_Section):
    """[imports]: CSV imports: batches, workers, header words."""

    batch_rows: int
    warn_failure_share: float
    workers: int
    parallel_rows: int
    columns: dict[str, list[str]]  # field -> header words (see defaults.toml)
    order_columns: dict[str, list[str]]  # the same for wtui import-orders


@_section
class Limits(_Section):
    """How much wtui reads from outside (see defaults.toml, [limits])."""

    import_file_mb: float
    csv_cell_kb: float
    chat_text_mb: float
    zip_ratio: float
    webhook_body_kb: float
    json_depth: int
    message_chars: int
    query_chars: int
    query_depth: int
    query_terms: int
    make_book_customers: int
    make_book_interactions: int


@_section
class WhatsApp(_Section):
    """[whatsapp]: the Cloud API's secret and the reps' names in chat exports."""

    app_secret: str
    rep_names: list[str]


@_section
class LinksCfg(_Section):
    """[links]: tracked links."""

    base_url: str
    preview_agents: list[str]
    open_gap_minutes: float


@_section
class RulesCfg(_Section):
    """[rules]: the automation rules file."""

    path: str
    event_window_hours: float  # an `on EVENT` rule acts on events this recent that no run has seen yet


@_section
class SyncCfg(_Section):
    """[sync]: a replica's sync with the team server."""

    poll_seconds: float
    max_clock_ahead_minutes: float
    remote: str
    batch_ops: int
    timeout_seconds: float
    retries: int
    wait_seconds: float
    push_seconds: float
    offline_retry_seconds: float
    log_keep_days: float
    peer_wait_days: float


@_section
class ServerCfg(_Section):
    """[server]: wtui serve."""

    host: str
    port: int
    max_body_kb: int
    max_push_ops: int
    requests_per_minute: int
    wait_seconds: float
    webhook_verify_token: str
    rules_at: list[str]
    timezone: str
    event_rules_minutes: float  # the event rules (on = "...") run this often; 0 = only with the rules at rules_at


@_section
class Demo(_Section):
    """[demo]: the demo book."""

    customers: int
    seed: int


@_section
class Config(_Section):
    """Every section of the config, as loaded (``sources``: the files it came from)."""

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
    zones: dict[str, str]
    keywords: Keywords
    dimensions: dict[str, str]
    tags: Tags
    health: Health
    review: Review
    broadcast: BroadcastCfg
    templates: TemplatesCfg
    queue: QueueCfg
    ui: Ui
    keys: dict[str, str]
    quick_tags: dict[str, str]
    imports: Imports
    limits: Limits
    whatsapp: WhatsApp
    links: LinksCfg
    rules: RulesCfg
    sync: SyncCfg
    server: ServerCfg
    demo: Demo
    sources: tuple[str, ...] = ()

    def fingerprint(self) -> str:
        """Changes when anything that decides colours, due times or tags changes."""
        return _fingerprint(self)


# ---------------------------------------------------------------------------
# Loading


def load_defaults_dict() -> dict[str, Any]:
    """The shipped defaults as a dict of the caller's own (loading merges layers into it)."""
    return copy.deepcopy(_parsed_defaults())


def defaults_section(name: str) -> dict[str, Any]:
    """One table of the shipped defaults, as a dict of the caller's own (no copy of the rest)."""
    return copy.deepcopy(_parsed_defaults()[name])


@functools.cache
def _parsed_defaults() -> dict[str, Any]:
    # Read once a process (the app's key bindings read it too). A plain path, not importlib.resources:
    # that import alone costs ~10 ms at every start.
    return toml_file(Path(__file__).parent.parent / DEFAULTS_NAME)


def toml_file(path: Path, keep: bool = True) -> dict[str, Any]:
    """A shipped TOML file, parsed; a bad one raises ValueError (TOMLDecodeError, UnicodeDecodeError).

    tomllib is pure Python: with its import, ~6 ms of every start for the defaults. So the parsed
    tables are kept as marshal where Python keeps the package's bytecode (same trust: whoever can write
    there can change the code), and used while the file's bytes hash the same. Where that folder cannot
    be written, or ``keep`` is false (a rep's own file), the file is parsed each time."""
    raw = path.read_bytes()
    digest = hashlib.blake2b(raw, digest_size=16).digest()
    cache = _kept_at(path)
    if keep:
        try:
            kept, data = marshal.loads(cache.read_bytes())
            if kept == digest and isinstance(data, dict):
                return data
        except (OSError, ValueError, EOFError, TypeError):
            pass  # none yet, or of another version of the file
    import tomllib

    data = tomllib.loads(raw.decode("utf-8"))
    if keep and not sys.dont_write_bytecode:
        import threading  # (only to write: a CLI command that reads the kept copy never loads it)

        part = cache.with_name(f"{cache.name}.{os.getpid()}.{threading.get_ident()}")
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            part.write_bytes(marshal.dumps((digest, data)))
            os.replace(part, cache)  # whole or not at all: another process may be reading it
        except (OSError, ValueError):
            pass  # read-only install, or a value marshal cannot keep (a test holds the shipped files to it)
        finally:
            with contextlib.suppress(OSError):
                part.unlink(missing_ok=True)
    return data


def _kept_at(path: Path) -> Path:
    """Where ``toml_file`` keeps a file parsed: its folder's __pycache__, or under PYTHONPYCACHEPREFIX
    as Python puts bytecode there."""
    name = f"{path.name}.{sys.implementation.cache_tag}.marshal"
    if sys.pycache_prefix:
        return Path(sys.pycache_prefix, *path.resolve().parent.parts[1:], name)
    return path.parent / "__pycache__" / name


def load(explicit: str | os.PathLike[str] | None = None, *, layers: list[tuple[str, Path]] | None = None) -> Config:
    """Load defaults and every existing layer; refuse what is malformed."""
    data = load_defaults_dict()
    sources = ["defaults"]
    for label, path in layers if layers is not None else config_paths(explicit):
        if not path.exists():
            if label in ("--config", ENV_CONFIG):
                raise ConfigError(str(path), "", "file not found")
            continue
        import tomllib  # (only when a layer exists: the defaults come from toml_file)

        try:
            override = tomllib.loads(path.read_text("utf-8"))
        except UnicodeDecodeError:
            raise ConfigError(str(path), "", "not UTF-8 text") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(str(path), "", f"not valid TOML: {exc}") from None
        if label not in TEAM_LAYERS:
            _refuse_team_keys(override, label, path)
        _merge(data, _moved(override), str(path), ())
        _check_ranges(data, str(path))  # checked per layer, so the error names the file at fault
        sources.append(str(path))
    # Each layer was checked as it merged; the shipped defaults alone pass every check (a test holds them
    # to it), so they are not checked again at every start (~2 ms).
    return _replace_sources(_build(Config, data, "config", ()), tuple(sources))


def _refuse_team_keys(override: dict[str, Any], label: str, path: Path) -> None:
    for section, key in TEAM_KEYS:
        table = override.get(section)
        if isinstance(table, dict) and key in table:
            raise ConfigError(str(path), f"{section}.{key}", f"a team security setting, which only {SYSTEM_CONFIG} "
                              f"(or the book itself) may set, not the {label} config")


@functools.cache
def shipped() -> Config:
    """The shipped defaults alone (no layer), loaded once: for code called without a config."""
    return load(layers=[])


def from_dict(data: dict[str, Any], *, origin: str = "config", sources: tuple[str, ...] = ()) -> Config:
    _check_ranges(data, origin)
    cfg = _build(Config, data, origin, ())
    return _replace_sources(cfg, sources)


def with_overrides(cfg_dict_overrides: dict[str, Any]) -> Config:
    """Defaults plus a nested dict of overrides, validated like a file (for tests and tools)."""
    data = load_defaults_dict()
    _merge(data, _moved(cfg_dict_overrides), "overrides", ())
    return from_dict(data, origin="overrides")


def _replace_sources(cfg: Config, sources: tuple[str, ...]) -> Config:
    object.__setattr__(cfg, "sources", sources)
    return cfg


def _moved(override: dict[str, Any]) -> dict[str, Any]:
    """The override with each moved key at its new place (a value given at both places: the new one wins)."""
    override = copy.deepcopy(override)
    for old, new in _MOVED.items():
        *parents, last = old
        table = override
        for k in parents:
            table = table.get(k) if isinstance(table, dict) else None
        if not isinstance(table, dict) or last not in table:
            continue
        value = table.pop(last)
        target = override
        for k in new[:-1]:
            target = target.setdefault(k, {})
            if not isinstance(target, dict):
                break
        else:
            target.setdefault(new[-1], value)
    return override


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
            if node != node or node in (float("inf"), float("-inf")):
                raise ConfigError(origin, dotted, f"must be a number, got {node}")
            if node < 0:
                raise ConfigError(origin, dotted, f"must not be negative, got {node}")
            if (at in _POSITIVE_KEYS or at[:1] == ("limits",)) and node <= 0:
                raise ConfigError(origin, dotted, f"must be more than 0, got {node}")
            if at in _INT_KEYS and node != int(node):
                raise ConfigError(origin, dotted, f"must be a whole number, got {node}")
            if at in _LIMIT_CEILINGS and node > _LIMIT_CEILINGS[at]:
                raise ConfigError(origin, dotted, f"must be at most {_LIMIT_CEILINGS[at]}, got {node}")
            unit = _duration_unit(at)
            if unit and node > LONGEST_DAYS * _DAY_UNITS[unit]:
                raise ConfigError(origin, dotted, f"{node:g} {unit} is more than a century: a typo?")
            if at in _HOUR_KEYS and node > 24:
                raise ConfigError(origin, dotted, f"must be an hour from 0 to 24, got {node}")
            if at in _SHARE_KEYS and node > 1:
                raise ConfigError(origin, dotted, f"must be a share from 0 to 1, got {node}")
        if at in _CHOICES and node not in _CHOICES[at]:
            raise ConfigError(origin, dotted, f"must be one of {', '.join(_CHOICES[at])}, got {node!r}")
        if isinstance(node, list) and (at in _TEXT_LISTS or at[0] == "keywords"):
            bad = next((item for item in node if not isinstance(item, str)), None)
            if bad is not None:
                raise ConfigError(origin, dotted, f"must be a list of text, got {_kind(bad)} {bad!r}")
        elif at[:2] == ("keywords", "implies"):
            if node not in INTENTS:
                raise ConfigError(origin, dotted, f"must be an intent ({', '.join(INTENTS)}), got {node!r}")
        elif at[:1] == ("zones",) and len(at) == 2 and not (len(at[1]) == 2 and at[1].isupper()):
            raise ConfigError(origin, dotted, "region codes are two capital letters, e.g. RU")
        elif at[:1] == ("keywords",) or at[:1] == ("dimensions",):
            if not isinstance(node, list if at[0] == "keywords" else str):
                want = "a list of words" if at[0] == "keywords" else "a colour (text)"
                raise ConfigError(origin, dotted, f"must be {want}, got {_kind(node)}")

    walk(data, ())
    _check_meanings(data, origin)
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


def _duration_unit(at: tuple[str, ...]) -> str:
    """'hours' for colors.rules.signal_ttl_hours and for colors.handle_within_hours.red, ...; '' if no duration."""
    for part in reversed(at[-2:]):
        for unit in _DAY_UNITS:
            if part.endswith("_" + unit) or part == unit:
                return unit
    return ""


def _check_meanings(data: dict[str, Any], origin: str) -> None:
    """Values of the right type that still mean nothing: refused here, naming the key, not when first used."""
    from wtui.core.prefs import parse_span, parse_windows

    for key in ("office_hours", "night_owl"):
        try:
            parse_windows(data["windows"][key])
        except ValueError as exc:
            raise ConfigError(origin, f"windows.{key}", str(exc)) from None
    for code, region in data["regions"].items():
        for key in ("weekday", "weekend", "best", "worst"):
            text = region.get(key, "")
            if isinstance(text, str) and text.strip():
                try:
                    parse_span(text)
                except ValueError as exc:
                    raise ConfigError(origin, f"regions.{code}.{key}", f"{exc} (hours 0-24, like 14-16)") from None
    zones = (("rep.timezone", data["rep"]["timezone"]), ("server.timezone", data["server"]["timezone"]),
             *((f"zones.{code}", name) for code, name in data["zones"].items()))
    for dotted, zone_name in zones:
        if zone_name or dotted.startswith("zones."):  # a country's main zone is never empty
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                ZoneInfo(zone_name)
            except (ZoneInfoNotFoundError, ValueError, TypeError):
                raise ConfigError(origin, dotted, f"{zone_name!r} is not a time zone (like Europe/Rome)") from None
    try:
        parse_times(data["server"]["rules_at"])
    except (BadInput, TypeError) as exc:
        raise ConfigError(origin, "server.rules_at", f"{exc} (a list, like [\"06:30\", \"13:00\"])") from None
    for dotted, codes in (("book.default_region", [data["book"]["default_region"]] if data["book"]["default_region"]
                           else []), ("windows.ramadan_regions", data["windows"]["ramadan_regions"])):
        for code in codes:
            if not known_region(code):
                raise ConfigError(origin, dotted, f"{code!r} is not a region (two capital letters, like BR)")
    for code, rate in data["spend"]["rates"].items():
        if not (len(code) == 3 and code.isascii() and code.isupper() and code.isalpha()):
            raise ConfigError(origin, f"spend.rates.{code}", "currency codes are three capital letters, e.g. EUR")
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not rate > 0:
            raise ConfigError(origin, f"spend.rates.{code}", f"must be a number more than 0, got {rate!r}")
    for color, glyph in data["colors"]["glyph"].items():
        if not (isinstance(glyph, str) and 0 < len(glyph) <= 2 and glyph.isprintable()) or glyph.strip() != glyph:
            raise ConfigError(origin, f"colors.glyph.{color}", f"must be one or two visible characters, got {glyph!r}")


def known_region(code: str) -> bool:
    """Is ``code`` a region phonenumbers has numbers for? Read from its data folder's names: importing
    phonenumbers costs ~50 ms, which config loading (every start) must not pay."""
    if not (len(code) == 2 and code.isascii() and code.isupper()):
        return False
    from importlib.util import find_spec

    spec = find_spec("phonenumbers")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - phonenumbers is a dependency
        return True
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    return (folder / f"region_{code}.py").exists()


def _int_keys() -> set[tuple[str, ...]]:
    """Every key typed ``int`` in the sections below (a 2.5 there would fail far from the file)."""
    out: set[tuple[str, ...]] = set()

    def walk(cls: type, at: tuple[str, ...]) -> None:
        for f in fields(cls):
            if f.type == "int":
                out.add(at + (f.name,))
            elif f.type in _SECTION_TYPES:
                walk(_SECTION_TYPES[f.type], at + (f.name,))

    walk(Config, ())
    return out


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
        Windows, Keywords, Tags, Health, Review, BroadcastCfg, TemplatesCfg, QueueCfg, Ui, Imports, Limits, WhatsApp,
        LinksCfg, RulesCfg, SyncCfg, ServerCfg, Demo,
    )
}


def _fingerprint(cfg: Config) -> str:
    from dataclasses import asdict

    # Keywords decide the signals stored with each message when it is read, not the verdicts derived later.
    ignored = ("rep", "book", "queue", "ui", "keys", "quick_tags", "imports", "limits", "whatsapp", "links", "rules",
               "health", "review", "broadcast", "templates", "sync", "server", "demo", "sources", "keywords", "zones")
    decisive = {k: v for k, v in asdict(cfg).items() if k not in ignored}
    decisive["derived by"] = DERIVE_VERSION
    blob = json.dumps(decisive, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]

_INT_KEYS = _int_keys()
