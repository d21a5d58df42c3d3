"""Configuration: every threshold has a default; overrides are checked, named and layered."""

from __future__ import annotations

from pathlib import Path

import pytest

from wtui.core import config
from wtui.core.keywords import lists
from wtui.errors import ConfigError


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_defaults_hold_the_playbook_thresholds(cfg):
    r = cfg.colors.rules
    assert (r.read_no_reply_hours, r.quote_opens_for_orange, r.long_visit_minutes) == (48, 3, 8)
    assert (cfg.windows.quiet_start, cfg.windows.quiet_end) == (22, 8)
    assert cfg.colors.order == ["red", "orange", "yellow", "green", "gray"]
    assert cfg.tags.max_length == 20
    assert set(lists(cfg.keywords).intent["high"]) >= {"en", "ru", "it", "zh", "ar", "pt", "es"}


def test_later_layers_win(tmp_path):
    team = write(tmp_path, "team.toml", "[colors.rules]\nread_no_reply_hours = 36\nquote_opens_for_orange = 5\n")
    mine = write(tmp_path, "mine.toml", "[colors.rules]\nread_no_reply_hours = 24\n")
    cfg = config.load(layers=[("system", team), ("user", mine)])
    assert cfg.colors.rules.read_no_reply_hours == 24
    assert cfg.colors.rules.quote_opens_for_orange == 5
    assert cfg.sources == ("defaults", str(team), str(mine))


def test_the_explicit_config_and_env_layers_come_last(tmp_path, monkeypatch):
    env = write(tmp_path, "env.toml", "[queue]\nlimit = 7\n")
    monkeypatch.setenv("WTUI_CONFIG", str(env))
    labels = [label for label, _ in config.config_paths(tmp_path / "x.toml")]
    assert labels == ["system", "user", "WTUI_CONFIG", "--config"]


def test_a_missing_explicit_config_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        config.load(tmp_path / "nope.toml")


@pytest.mark.parametrize("text, key, reason", [
    ("[colors.rules]\nread_no_reply_hourz = 3\n", "colors.rules.read_no_reply_hourz",
     "did you mean 'read_no_reply_hours'"),
    ("[colors.rules]\nread_no_reply_hours = \"two days\"\n", "colors.rules.read_no_reply_hours",
     "expected a number, got text"),
    ("[colors.rules]\nread_no_reply_hours = -1\n", "colors.rules.read_no_reply_hours", "must not be negative"),
    ("[windows]\nquiet_start = 25\n", "windows.quiet_start", "hour from 0 to 24"),
    ("[team]\nred_share_alert = 15\n", "team.red_share_alert", "share from 0 to 1"),
    ("[colors]\norder = [\"red\", \"red\"]\n", "colors.order", "each of"),
    ("[colors.rules]\nred_fatigue_action = \"shout\"\n", "colors.rules.red_fatigue_action", "one of warn, demote"),
    ("[regions.brazil]\nname = \"Brazil\"\n", "regions.brazil", "two capital letters"),
    ("[zones]\nRU = \"Mars/Olympus\"\n", "zones.RU", "not a time zone"),
    ("[zones]\nRU = \"../../etc/passwd\"\n", "zones.RU", "not a time zone"),
    ("[zones]\nrussia = \"Europe/Moscow\"\n", "zones.russia", "two capital letters"),
    ("[rfm]\nsegments = [[\"x\", 9, 1, 1]]\n", "rfm.segments[0]", "scores 1-5"),
    ("colors = 3\n", "colors", "expected a table"),
])
def test_a_bad_config_is_refused_with_file_key_and_reason(tmp_path, text, key, reason):
    p = write(tmp_path, "bad.toml", text)
    with pytest.raises(ConfigError) as err:
        config.load(layers=[("--config", p)])
    msg = str(err.value)
    assert str(p) in msg and key in msg and reason in msg


def test_malformed_toml_names_the_file(tmp_path):
    p = write(tmp_path, "broken.toml", "[colors\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        config.load(layers=[("--config", p)])


def test_teams_may_add_regions_languages_and_dimensions(tmp_path):
    p = write(tmp_path, "team.toml", """
[regions.FR]
name = "France"
weekday = "12-14"
[keywords.intent.high]
fr = ["combien", "prix"]
[dimensions]
Channel = "#123456"
""")
    cfg = config.load(layers=[("system", p)])
    assert cfg.regions["FR"].name == "France" and cfg.regions["FR"].weekend == ""
    assert lists(cfg.keywords).intent["high"]["fr"] == ["combien", "prix"]
    assert lists(cfg.keywords).intent["high"]["en"]  # the shipped lists stay under the layer's
    assert cfg.dimensions["Channel"] == "#123456"


def test_the_fingerprint_changes_with_a_rule_but_not_with_the_rep_name():
    base = config.load(layers=[])
    assert config.with_overrides({"rep": {"name": "ana"}}).fingerprint() == base.fingerprint()
    # A country's main zone is chosen when a customer is added, never read by a verdict: no recompute for it.
    assert config.with_overrides({"zones": {"RU": "Asia/Novosibirsk"}}).fingerprint() == base.fingerprint()
    assert config.with_overrides({"colors": {"rules": {"read_no_reply_hours": 12}}}).fingerprint() != base.fingerprint()


def test_run_on_start_is_retired_with_a_reason_and_false_still_loads(tmp_path):
    old = write(tmp_path, "old.toml", "[rules]\nrun_on_start = true\n")
    with pytest.raises(ConfigError) as err:
        config.load(layers=[("system", old)])
    assert "rules.run_on_start" in str(err.value) and "wtui rules run" in str(err.value)
    off = write(tmp_path, "off.toml", "[rules]\nrun_on_start = false\n")
    assert not hasattr(config.load(layers=[("system", off)]).rules, "run_on_start")
    assert "run_on_start" not in config.load_defaults_dict()["rules"]


def test_every_region_of_the_playbooks_table_has_its_send_window():
    """§6: UAE, India, Brazil, Taiwan, Saudi Arabia, Mexico, Germany, USA and Indonesia (missing before)."""
    cfg = config.load(layers=[])
    for code in ("AE", "IN", "BR", "TW", "SA", "MX", "DE", "US", "ID"):
        assert cfg.regions[code].weekday, code
    assert cfg.regions["ID"].weekday == "20-22"


def test_the_spend_tiers_are_in_the_books_currency():
    """§7: the seeds' USD tiers are < 50 / 50-200 / > 200; yuan figures labelled USD were a bug."""
    s = config.load(layers=[]).spend
    assert (s.currency, s.order_low_below, s.order_high_above) == ("USD", 50, 200)
    assert s.order_high_above < s.vip_single_order < s.vip_yearly


def test_the_shipped_defaults_pass_every_check_so_loading_them_checks_only_the_layers():
    defaults = config.load_defaults_dict()
    checked = config.from_dict(defaults, sources=("defaults",))  # from_dict checks every range and meaning
    assert checked == config.load(layers=[])


def test_the_shipped_toml_is_kept_parsed_and_read_again_once_the_file_changes(tmp_path, monkeypatch):
    monkeypatch.setattr(config.sys, "dont_write_bytecode", False)
    monkeypatch.setattr(config.sys, "pycache_prefix", None)
    src = tmp_path / "defaults.toml"
    src.write_text('[keys]\nquit = "q"\n', "utf-8")
    assert config.toml_file(src) == {"keys": {"quit": "q"}}
    kept = list((tmp_path / "__pycache__").iterdir())
    assert len(kept) == 1  # the kept copy, and no part file left over
    # Read from the kept copy: tomllib is not asked again while the bytes are the same.
    import tomllib

    monkeypatch.setattr(tomllib, "loads", lambda *a, **k: pytest.fail("parsed again"))
    assert config.toml_file(src) == {"keys": {"quit": "q"}}
    monkeypatch.undo()
    monkeypatch.setattr(config.sys, "dont_write_bytecode", False)
    monkeypatch.setattr(config.sys, "pycache_prefix", None)
    stat = src.stat()
    src.write_text('[keys]\nquit = "x"\n', "utf-8")  # same size, the old mtime put back: still read anew
    import os

    os.utime(src, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert config.toml_file(src) == {"keys": {"quit": "x"}}
    kept[0].write_bytes(b"not marshal")  # a broken copy is parsed past, never trusted
    assert config.toml_file(src) == {"keys": {"quit": "x"}}


def test_a_reps_own_toml_is_neither_kept_nor_read_from_a_kept_copy(tmp_path, monkeypatch):
    monkeypatch.setattr(config.sys, "dont_write_bytecode", False)
    monkeypatch.setattr(config.sys, "pycache_prefix", None)
    src = tmp_path / "mine.toml"
    src.write_text('a = 1\n', "utf-8")
    config.toml_file(src)  # kept
    src.write_text('a = 2\n', "utf-8")
    assert config.toml_file(src, keep=False) == {"a": 2}
    assert config.toml_file(src) == {"a": 2}


def test_every_shipped_toml_can_be_kept(tmp_path):
    """marshal keeps no datetime: a shipped file holding one would be parsed at every start, silently."""
    import marshal

    from wtui.core.keywords import SHIPPED
    from wtui.tui.theme import available

    for path in [Path(config.__file__).parent.parent / config.DEFAULTS_NAME, SHIPPED, *available().values()]:
        import tomllib

        marshal.dumps(tomllib.loads(path.read_text("utf-8")))


def test_the_parsed_toml_is_not_written_where_bytecode_may_not_be(tmp_path, monkeypatch):
    monkeypatch.setattr(config.sys, "dont_write_bytecode", True)
    src = tmp_path / "defaults.toml"
    src.write_text('[keys]\nquit = "q"\n', "utf-8")
    assert config.toml_file(src) == {"keys": {"quit": "q"}}
    assert not (tmp_path / "__pycache__").exists()
