"""Where a replica's token comes from, and `wtui --remote URL login` keeping it (issue #14)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from wtui.errors import BadInput
from wtui.io import remote as rem


@pytest.fixture(autouse=True)
def _no_keyring(monkeypatch):
    monkeypatch.setattr(rem, "_keyring", lambda *a: None)  # this machine's keyring, if any, stays out of it
    monkeypatch.delenv(rem.TOKEN_ENV, raising=False)


def test_the_environment_wins_then_the_file(tmp_path, monkeypatch):
    path = tmp_path / "token"
    rem.keep_token(path, "https://crm.example", "wtui_file")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert rem.read_token(path, "https://crm.example") == "wtui_file"
    monkeypatch.setenv(rem.TOKEN_ENV, "wtui_env")
    assert rem.read_token(path, "https://crm.example") == "wtui_env"


def test_a_token_file_others_can_read_is_refused(tmp_path):
    path = tmp_path / "token"
    path.write_text("wtui_secret\n")
    path.chmod(0o640)
    with pytest.raises(BadInput, match="chmod 600"):
        rem.read_token(path)
    path.unlink()
    with pytest.raises(BadInput, match="login"):
        rem.read_token(path)


def test_the_keyring_is_used_when_there_is_one(tmp_path, monkeypatch):
    kept = {}

    def keyring(action, url, token=""):
        if action == "set":
            kept[url] = token
            return True
        return kept.get(url)

    monkeypatch.setattr(rem, "_keyring", keyring)
    assert rem.keep_token(tmp_path / "token", "https://crm.example", "wtui_kr") == "the OS keyring"
    assert not (tmp_path / "token").exists()
    assert rem.read_token(tmp_path / "token", "https://crm.example") == "wtui_kr"


def test_login_checks_the_token_with_the_server_before_keeping_it(server, tmp_path):
    srv, tokens = server
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    env.pop(rem.TOKEN_ENV, None)
    token_file = Path(env["XDG_CONFIG_HOME"]) / "wtui" / "token"

    def login(token: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "wtui", "--remote", srv.url, "login"], input=token + "\n",
                              capture_output=True, text=True, env=env, timeout=60)

    bad = login("wtui_" + "x" * 43)
    assert bad.returncode == 2 and "401" in bad.stderr and not token_file.exists()
    good = login(tokens["omar"])
    assert good.returncode == 0 and "as omar (rep)" in good.stdout
    assert token_file.read_text() == f"{srv.url} {tokens['omar']}\n" and token_file.stat().st_mode & 0o077 == 0


def test_a_token_kept_for_one_server_is_never_sent_to_another(tmp_path):
    path = tmp_path / "token"
    rem.keep_token(path, "https://a.example/", "wtui_a")
    rem.keep_token(path, "https://b.example", "wtui_b")
    rem.keep_token(path, "https://a.example", "wtui_a2")  # a new login replaces that server's line only
    assert rem.read_token(path, "https://a.example") == "wtui_a2"
    assert rem.read_token(path, "https://b.example/") == "wtui_b"
    with pytest.raises(BadInput, match="no token for https://c.example"):
        rem.read_token(path, "https://c.example")
    path.write_text("wtui_bare\n")  # a token put in the file by hand: for whichever server
    assert rem.read_token(path, "https://c.example") == "wtui_bare"


def test_sync_with_the_team_server_says_what_moved_as_json(server, tmp_path):
    import json

    srv, tokens = server
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2]), rem.TOKEN_ENV: tokens["ana"]}

    def sync() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "wtui", "--remote", srv.url, "sync", "--json"],
                              capture_output=True, text=True, env=env, timeout=120)

    first = sync()  # the replica made from a snapshot, then synced
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {"server": srv.url, "offline": False, "received": 0, "sent": 0,
                                        "pending": 0, "waiting_here": 0}
    srv.stop()
    down = sync()  # the replica is there: the command runs on it, and says the server was not reached
    assert down.returncode == 3 and json.loads(down.stdout)["offline"] is True
