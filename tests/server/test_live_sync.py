"""An open app's replica kept in step with a real ``wtui serve`` (io/sync_loop.py): edits go up on their
own, teammates' come down by long poll, offline edits wait and go up when the server is back, and a
push the server refuses stays here, pending, with the reason in the status bar (issue #14)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import pytest

from wtui.book.book import Book
from wtui.io import remote as rem
from wtui.io.sync_loop import Syncer, SyncState
from wtui.tui.app import WtuiApp
from wtui.tui.widgets.sync_status import SyncStatus

DEADLINE = 30  # seconds a background effect may take on a loaded CI machine (not a speed check)


@pytest.fixture
def live_cfg(server_cfg):
    return replace(server_cfg, sync=replace(server_cfg.sync, push_seconds=0.05, wait_seconds=2,
                                            offline_retry_seconds=0.5, timeout_seconds=5))


def _replica(srv, token, where, cfg) -> str:
    with rem.Remote(srv.url, token, retries=1, sleep=lambda s: None) as remote:
        remote.snapshot(where)
        return remote.me()["name"]


def _until(check, what: str):
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.02)
    raise AssertionError(f"not within {DEADLINE} s: {what}")


def _tags(path, cfg, uid) -> list[str]:
    with Book.open(path, cfg, readonly=True) as book:
        return [name for _, name, _ in book.card(uid).tags]


@pytest.fixture
def replicas(server, tmp_path, live_cfg):
    """Ana's and omar's replicas of the team book, each with a running Syncer."""
    srv, tokens = server
    out = {}
    for name in ("ana", "omar"):
        path = tmp_path / f"{name}.db"
        me = _replica(srv, tokens[name], path, live_cfg)
        states: list[SyncState] = []
        syncer = Syncer(path, live_cfg, srv.url, tokens[name], actor=me, clock=Book.open(
            path, live_cfg, readonly=True).clock, on_change=states.append)
        out[name] = (path, syncer, states)
    for _, syncer, _ in out.values():
        syncer.start()
    yield srv, out
    for _, syncer, _ in out.values():
        syncer.stop(5)


def test_an_edit_goes_up_alone_and_shows_on_a_teammates_replica(replicas, live_cfg):
    srv, reps = replicas
    ana_path, ana_sync, ana_states = reps["ana"]
    omar_path, _, _ = reps["omar"]
    with Book.open(ana_path, live_cfg, actor="ana") as book:
        uid = book.uids_of(book.all_ids()[:1])[0]
        assert "Urgent" not in book.card(uid).tags
        book.add_tag(uid, "Urgent")
    # no sync call: the pusher sees the commit, the server has it, omar's long poll brings it down
    _until(lambda: "Urgent" in _tags(omar_path, live_cfg, uid), "ana's tag on omar's replica")
    _until(lambda: ana_sync.state.pending == 0 and ana_sync.state.synced_at, "ana's state says synced")
    assert ana_states and not ana_sync.state.rejected and ana_sync.state.offline_since is None
    assert ana_sync.state.line().startswith("synced ")


def test_offline_edits_wait_then_go_up_when_the_server_is_back(replicas, live_cfg):
    srv, reps = replicas
    ana_path, ana_sync, _ = reps["ana"]
    omar_path, _, _ = reps["omar"]
    _until(lambda: ana_sync.state.heard, "ana's first exchange")
    srv.kill()
    with Book.open(ana_path, live_cfg, actor="ana") as book:
        uids = book.uids_of(book.all_ids()[:3])
        for uid in uids:
            book.add_note(uid, "called while the server was down")
    state = _until(lambda: ana_sync.state.offline_since and ana_sync.state.pending == 3 and ana_sync.state,
                   "ana offline with 3 pending")
    assert "offline since" in state.line() and "3 pending" in state.line()
    srv.start()  # the same port: the replicas find it again on their own
    ana_sync.nudge()
    _until(lambda: ana_sync.state.pending == 0 and ana_sync.state.offline_since is None, "ana's notes sent")
    _until(lambda: all("called while the server was down" in n for n in _notes(omar_path, live_cfg, uids)),
           "the notes on omar's replica")


def _notes(path, cfg, uids) -> list[str]:
    with Book.open(path, cfg, readonly=True) as book:
        return [" ".join(text for _, _, text in book.notes(uid)) for uid in uids]


def test_a_refused_push_stays_pending_and_says_why(replicas, live_cfg):
    srv, reps = replicas
    ana_path, ana_sync, ana_states = reps["ana"]
    # ana's replica holds a tag creation (made as if by an admin: a forged config, or a role taken away
    # while she was offline); the server knows her token is a rep's
    with Book.open(ana_path, live_cfg, actor="boss") as book:
        book.create_tag("Region-Mars")
    state = _until(lambda: ana_sync.state.rejected and ana_sync.state, "the refusal in ana's state")
    assert any("only an admin may make a tag.create" in why for why in state.rejected)
    assert state.pending >= 1 and "rejected: " in state.line()
    with Book.open(ana_path, live_cfg, readonly=True) as book:
        assert "Region-Mars" in book.tag_names()  # kept here, not dropped
    with Book.open(srv.book, live_cfg, readonly=True) as book:
        assert "Region-Mars" not in book.tag_names()


async def _status_saying(pilot, word: str) -> str:
    """The status bar's text once it says ``word`` (within DEADLINE)."""
    status = pilot.app.screen.query_one(SyncStatus)
    for _ in range(DEADLINE * 10):
        if word in str(status.render()):
            break
        await pilot.pause(0.1)
    shown = str(status.render())
    assert word in shown, shown
    return shown


def test_the_app_shows_the_sync_state_and_ctrl_r_syncs_now(server, tmp_path, live_cfg):
    srv, tokens = server
    path = tmp_path / "ana.db"
    me = _replica(srv, tokens["ana"], path, live_cfg)

    async def run() -> None:
        with Book.open(path, live_cfg, actor=me) as book:
            syncer = Syncer(path, live_cfg, srv.url, tokens["ana"], actor=me, clock=book.clock)
            app = WtuiApp(book, syncer=syncer)
            try:
                async with app.run_test(size=(100, 30)) as pilot:
                    shown = await _status_saying(pilot, "synced")
                    assert srv.url in shown
                    await pilot.press("ctrl+r")
                    await pilot.pause()
                    assert any(srv.url in str(n.message) for n in app._notifications)
            finally:
                syncer.stop(5)

    asyncio.run(run())


def test_the_app_tells_the_rep_what_the_server_refused(server, tmp_path, live_cfg):
    srv, tokens = server
    path = tmp_path / "ana.db"
    me = _replica(srv, tokens["ana"], path, live_cfg)
    with Book.open(path, live_cfg, actor="boss") as book:  # forged locally; the server knows better
        book.create_tag("Region-Mars")

    async def run() -> None:
        with Book.open(path, live_cfg, actor=me) as book:
            syncer = Syncer(path, live_cfg, srv.url, tokens["ana"], actor=me, clock=book.clock)
            app = WtuiApp(book, syncer=syncer)
            try:
                async with app.run_test(size=(100, 30)) as pilot:
                    shown = await _status_saying(pilot, "rejected")
                    assert "rejected: only an admin may make a tag.create" in shown and "1 pending" in shown
                    for _ in range(DEADLINE * 10):  # the notice comes with the state's message, on a loaded
                        if any("refused your change" in str(n.message) for n in app._notifications):
                            break  # machine a moment after the status line
                        await pilot.pause(0.1)
                    assert any("refused your change" in str(n.message) for n in app._notifications)
            finally:
                syncer.stop(5)

    asyncio.run(run())


def test_a_server_asked_to_stop_answers_its_waiting_pulls_instead_of_cutting_them_off(server, tmp_path, live_cfg):
    srv, tokens = server
    path = tmp_path / "omar.db"
    _replica(srv, tokens["omar"], path, live_cfg)
    got: list = []

    def waiting_pull() -> None:
        with Book.open(path, live_cfg, readonly=True) as book, rem.Remote(srv.url, tokens["omar"], retries=0) as r:
            try:
                got.append(r.pull(book.vector(), 100, wait=20))
            except rem.WtuiError as exc:
                got.append(exc)

    import threading

    t = threading.Thread(target=waiting_pull)
    t.start()
    _until(lambda: srv.requests("/v1/snapshot") and time.sleep(0.5) is None, "the pull is waiting")
    srv.stop()  # SIGTERM
    t.join()
    log = srv.book.with_suffix(".log").read_text("utf-8", "replace")
    assert isinstance(got[0], tuple) and got[0][0] == []  # answered: nothing new, the server's vector
    assert '"status": 500' not in log and "Traceback" not in log


def test_a_server_error_is_an_outage_to_the_client_not_a_refusal():
    import httpx

    transport = httpx.MockTransport(lambda request: httpx.Response(500, text="Internal Server Error"))
    with rem.Remote("http://wtui.test", "t", retries=0, transport=transport) as r, pytest.raises(rem.Offline):
        r.me()


def test_after_a_revoked_token_a_new_login_lets_the_open_app_sync_again(server, tmp_path, live_cfg):
    srv, tokens = server
    path = tmp_path / "ana.db"
    me = _replica(srv, tokens["ana"], path, live_cfg)
    with Book.open(srv.book, live_cfg) as book:  # the admin revokes ana's token, then gives her a new one
        book.revoke_user("ana")
        fresh = book.add_user("ana", "rep")
    current = {"token": tokens["ana"]}
    syncer = Syncer(path, live_cfg, srv.url, tokens["ana"], actor=me, clock=_utc_now,
                    token_source=lambda: current["token"])
    syncer.start()
    try:
        _until(lambda: syncer.state.rejected, "the revoked token refused")
        current["token"] = fresh  # `wtui --remote URL login` with the new token
        with Book.open(path, live_cfg, actor=me) as book:
            book.add_note(book.uids_of(book.all_ids()[:1])[0], "after the new login")
        _until(lambda: not syncer.state.rejected and syncer.state.pending == 0, "synced with the new token")
    finally:
        syncer.stop(5)


def _utc_now():
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)


def test_an_answer_that_is_not_ours_stops_no_sync_thread_and_is_said(tmp_path, empty_file, live_cfg):
    import httpx

    from tests.conftest import copy_book

    path = copy_book(empty_file, tmp_path / "r.db")
    transport = httpx.MockTransport(lambda request: httpx.Response(200, text="<html>captive portal</html>"))
    syncer = Syncer(path, live_cfg, "http://wtui.test", "t", actor="ana", clock=_utc_now, transport=transport)
    syncer.start()
    try:
        state = _until(lambda: syncer.state.rejected and syncer.state, "the trouble said")
        assert state.rejected[0].startswith("sync stopped: ")
        assert all(t.is_alive() for t in syncer._threads)
    finally:
        syncer.stop(5)
