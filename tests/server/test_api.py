"""The team server's API in process (Starlette's TestClient): who may do what, whole-or-nothing pushes,
pulls by vector, webhooks (issue #14)."""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import time
from dataclasses import replace
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.server.conftest import SECRET, VERIFY
from wtui.book import ops, wire
from wtui.book.book import Book
from wtui.server.app import RateLimit, make_app

FIXTURES = Path(__file__).parents[2] / "fixtures" / "webhooks" / "cloud_api"


@pytest.fixture
def api(team, server_cfg):
    path, tokens = team
    with TestClient(make_app(path, server_cfg)) as client:
        yield client, tokens, path


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def _replica_ops(tmp_path, team_path, cfg, actor, edit):
    """The ops a replica of the team book makes with ``edit(book)``."""
    copy = tmp_path / f"{actor}-replica.db"
    with Book.open(team_path, cfg, readonly=True) as team:
        team.clone(copy)
    with Book.open(copy, cfg, actor=actor) as book:
        before = book.conn.execute("SELECT max(seq) FROM ops").fetchone()[0]
        edit(book)
        return [ops.Op.from_row(r) for r in book.conn.execute(ops.SELECT + " WHERE seq > ? ORDER BY seq", (before,))]


def test_health_and_openapi_need_no_token(api):
    client, _, _ = api
    assert client.get("/health").json()["status"] == "ok"
    doc = client.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.1") and "/v1/push" in doc["paths"]


def test_no_token_a_tampered_token_and_a_revoked_token_are_401(api, server_cfg):
    client, tokens, path = api
    assert client.get("/v1/me").status_code == 401
    assert client.get("/v1/me", headers=auth(tokens["ana"][:-2] + "xx")).status_code == 401
    assert client.get("/v1/me", headers=auth(tokens["ana"])).json() == {"name": "ana", "role": "rep"}
    with Book.open(path, server_cfg) as book:  # revoked by the admin's CLI while the server runs
        book.revoke_user("ana")
    answer = client.get("/v1/me", headers=auth(tokens["ana"]))
    assert answer.status_code == 401 and "revoked" in answer.json()["error"]


def test_a_rep_cannot_create_a_tag_and_nothing_of_the_push_is_applied(api, tmp_path, server_cfg):
    client, tokens, path = api
    def tampered(book):  # ana's wtui, changed to skip its own admin check (a file cannot enforce roles)
        book.is_admin = lambda who=None: True
        book.set_admins(["ana", "boss"])
        book.create_tag("Secret-Discount")

    batch = _replica_ops(tmp_path, path, server_cfg, "ana", tampered)
    answer = client.post("/v1/push", headers=auth(tokens["ana"]), json={"ops": [wire.to_wire(o) for o in batch]})
    assert answer.status_code == 403
    body = answer.json()
    assert "only an admin" in body["error"] and {r["kind"] for r in body["refused"]} == {"settings.set", "tag.create"}
    with Book.open(path, server_cfg, readonly=True) as book:
        assert "Secret-Discount" not in book.tag_names() and "ana" not in book.admins()
    (tmp_path / "boss").mkdir()
    batch = _replica_ops(tmp_path / "boss", path, server_cfg, "boss", lambda b: b.create_tag("Secret-Discount"))
    assert client.post("/v1/push", headers=auth(tokens["boss"]),
                       json={"ops": [wire.to_wire(o) for o in batch]}).status_code == 200
    with Book.open(path, server_cfg, readonly=True) as book:
        assert "Secret-Discount" in book.tag_names()


def _first_uid(book):
    return book.uids_of(book.all_ids()[:1])[0]


def test_a_client_claiming_another_actor_is_recorded_as_itself(api, tmp_path, server_cfg):
    client, tokens, path = api
    batch = _replica_ops(tmp_path, path, server_cfg, "boss", lambda b: b.add_note(_first_uid(b), "from the boss"))
    assert {op.actor for op in batch} == {"boss"}
    answer = client.post("/v1/push", headers=auth(tokens["omar"]), json={"ops": [wire.to_wire(o) for o in batch]})
    assert answer.status_code == 200 and answer.json()["applied"] == len(batch)
    with Book.open(path, server_cfg, readonly=True) as book:
        assert {e.actor for e in book.change_log(limit=len(batch))} == {"omar"}


def test_one_users_replica_cannot_be_pushed_as_by_another(api, tmp_path, server_cfg):
    client, tokens, path = api
    first = _replica_ops(tmp_path, path, server_cfg, "ana", lambda b: b.add_note(_first_uid(b), "a"))
    assert client.post("/v1/push", headers=auth(tokens["ana"]), json={"ops": [wire.to_wire(first[0])]}
                       ).status_code == 200
    forged = ops.Op("forged0001", first[0].hlc.replace(".00", ".01", 1), "omar", first[0].entity, "note.add",
                    {**first[0].payload, "uid": "forgednote", "text": "as ana"}, "", None, first[0].origin,
                    first[0].oseq + 1)
    answer = client.post("/v1/push", headers=auth(tokens["omar"]), json={"ops": [wire.to_wire(forged)]})
    assert answer.status_code == 403 and "belongs to ana" in answer.json()["error"]


def test_a_malformed_push_is_400_with_the_path_and_nothing_is_applied(api, tmp_path, server_cfg):
    client, tokens, path = api
    batch = _replica_ops(tmp_path, path, server_cfg, "ana", lambda b: [b.add_note(u, "ok") for u in
                                                                       b.uids_of(b.all_ids()[:3])])
    bad = [wire.to_wire(o) for o in batch]
    bad[2]["payload"]["at"] = "last tuesday"
    answer = client.post("/v1/push", headers=auth(tokens["ana"]), json={"ops": bad})
    assert answer.status_code == 400 and "ops[2].payload.at" in answer.json()["error"]
    for junk in (b"not json", b"[1, 2]", b'{"ops": 3}', b"[" * 100_000):
        assert client.post("/v1/push", headers=auth(tokens["ana"]), content=junk).status_code == 400
    with Book.open(path, server_cfg, readonly=True) as book:
        assert not any(n[2] == "ok" for u in book.uids_of(book.all_ids()[:3]) for n in book.notes(u))


def test_a_push_is_applied_once_whatever_the_retries_and_a_pull_returns_it_to_others(api, tmp_path, server_cfg):
    client, tokens, path = api
    batch = _replica_ops(tmp_path, path, server_cfg, "ana", lambda b: [b.add_note(u, "called") for u in
                                                                       b.uids_of(b.all_ids()[:5])])
    body = gzip.compress(json.dumps({"ops": [wire.to_wire(o) for o in batch]}).encode())
    headers = {**auth(tokens["ana"]), "Content-Encoding": "gzip", "Idempotency-Key": "k1",
               "Content-Type": "application/json"}
    first = client.post("/v1/push", headers=headers, content=body)
    again = client.post("/v1/push", headers=headers, content=body)
    assert first.json() == again.json() and first.json()["applied"] == 5
    assert again.headers.get("idempotent-replayed") == "true"
    other = client.post("/v1/push", headers={**headers, "Idempotency-Key": "k2"}, content=body).json()
    assert other["applied"] == 0  # a new key, the same ops: still applied once
    origin = batch[0].origin
    pulled = client.post("/v1/pull", headers=auth(tokens["omar"]),
                         json={"vector": {**first.json()["vector"], origin: 0}, "limit": 3}).json()
    assert [o["op_id"] for o in pulled["ops"]] == [o.op_id for o in batch[:3]] and pulled["more"] is True


def test_oversized_bodies_are_413(api, server_cfg):
    client, tokens, _ = api
    big = b"x" * (server_cfg.server.max_body_kb * 1024 + 1)
    assert client.post("/v1/push", headers=auth(tokens["ana"]), content=big).status_code == 413
    bomb = gzip.compress(b" " * (server_cfg.server.max_body_kb * 1024 * 4))
    answer = client.post("/v1/push", headers={**auth(tokens["ana"]), "Content-Encoding": "gzip"}, content=bomb)
    assert answer.status_code == 413


def test_the_rate_limit_answers_429_with_retry_after():
    limit = RateLimit(60)
    assert all(limit.wait("ana", now=0.0) == 0 for _ in range(60))
    assert limit.wait("ana", now=0.0) == pytest.approx(1.0)
    assert limit.wait("omar", now=0.0) == 0  # per user
    assert limit.wait("ana", now=1.0) == 0


def _signed(raw: bytes) -> dict:
    return {"X-Hub-Signature-256": "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest(),
            "Content-Type": "application/json"}


def test_a_signed_delivery_sent_three_times_is_stored_once(api, server_cfg):
    client, _, path = api
    raw = (FIXTURES / "text.json").read_bytes()
    for _ in range(3):
        answer = client.post("/webhooks/whatsapp", content=raw, headers=_signed(raw))
        assert answer.status_code == 200
    msg_id = json.loads(raw)["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    with Book.open(path, server_cfg, readonly=True) as book:
        assert book.has_interaction(f"wa:{msg_id}")
        assert book.conn.execute("SELECT count(*) FROM interactions WHERE text = ?",
                                 (json.loads(raw)["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"],)
                                 ).fetchone()[0] == 1
    assert not list(path.parent.glob("team.db.inbox/*.json"))  # recorded and cleared


def test_a_bad_signature_is_401_and_nothing_is_stored(api, server_cfg):
    client, _, path = api
    raw = (FIXTURES / "text.json").read_bytes()
    with Book.open(path, server_cfg, readonly=True) as book:
        before = book.conn.execute("SELECT count(*) FROM interactions").fetchone()[0]
    headers = _signed(raw + b" ")
    assert client.post("/webhooks/whatsapp", content=raw, headers=headers).status_code == 401
    assert client.post("/webhooks/whatsapp", content=raw,
                       headers={"Content-Type": "application/json"}).status_code == 401
    with Book.open(path, server_cfg, readonly=True) as book:
        assert book.conn.execute("SELECT count(*) FROM interactions").fetchone()[0] == before


def test_the_verify_handshake_answers_the_challenge_only_with_the_right_token(api):
    client, _, _ = api
    good = {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"}
    answer = client.get("/webhooks/whatsapp", params=good)
    assert answer.status_code == 200 and answer.text == "1158201444"
    assert client.get("/webhooks/whatsapp", params={**good, "hub.verify_token": "guess"}).status_code == 403
    assert client.get("/webhooks/whatsapp", params={**good, "hub.mode": "unsubscribe"}).status_code == 403


def test_a_tracked_link_records_an_open_and_redirects_and_a_preview_does_not(api, server_cfg):
    client, tokens, path = api
    with Book.open(path, server_cfg, actor="boss") as book:
        uid = book.uids_of(book.all_ids()[:1])[0]
        token = book.create_link(uid, "https://shop.example/quote/9?x=1", "quote")
        before = _opens(book)
    browser = {"User-Agent": "Mozilla/5.0 (Linux; Android 14) Mobile Safari/537.36"}
    got = client.get(f"/l/{token}", headers=browser, follow_redirects=False)
    assert got.status_code == 302 and got.headers["location"] == "https://shop.example/quote/9?x=1"
    assert got.headers["cache-control"] == "no-store"
    for agent in ("WhatsApp/2.24.1 A", "facebookexternalhit/1.1"):
        assert client.get(f"/l/{token}", headers={"User-Agent": agent}, follow_redirects=False).status_code == 302
    assert client.head(f"/l/{token}", headers=browser, follow_redirects=False).status_code == 302
    assert client.get("/l/NoSuchLink123", headers=browser).status_code == 404
    with Book.open(path, server_cfg, readonly=True) as book:
        assert _opens(book) == before + 1  # the browser's open only
        assert book.card(uid).interactions[0][1] == "quote_open"


def _opens(book) -> int:
    return book.conn.execute("SELECT count(*) FROM interactions WHERE kind = 'quote_open'").fetchone()[0]


def test_the_server_runs_the_rules_once_for_the_team_at_its_times(team, server_cfg):
    path, _ = team
    cfg = replace(server_cfg, server=replace(server_cfg.server, rules_at=["00:00"], timezone="UTC"))

    def rule_batches() -> set[str]:
        with Book.open(path, cfg, readonly=True) as book:
            return {b for (b,) in book.conn.execute("SELECT DISTINCT batch FROM ops WHERE actor = 'wtui-rules'")}

    assert not rule_batches()
    with TestClient(make_app(path, cfg)) as client:  # 00:00 has passed today and never ran: owed now
        for _ in range(300):
            if rule_batches():
                break
            client.get("/health")
            time.sleep(0.05)
    first = rule_batches()
    assert len(first) == 1
    assert (path.parent / (path.name + ".rules-ran")).is_file()
    with TestClient(make_app(path, cfg)) as client:  # a restart owes nothing: it ran after 00:00 today
        client.get("/health")
        time.sleep(0.3)
    assert rule_batches() == first


def test_the_server_runs_the_event_rules_every_few_minutes(team, server_cfg):
    path, _ = team
    cfg = replace(server_cfg, server=replace(server_cfg.server, rules_at=[], event_rules_minutes=0.005))
    with Book.open(path, cfg, actor="ana") as book:  # an order the webhook or a rep recorded just now
        uid = book.uids_of(book.all_ids()[:1])[0]
        book.record(uid, "purchase", amount=20, product="Serum")

    def tagged() -> list[str]:
        with Book.open(path, cfg, readonly=True) as book:
            return [r[0] for r in book.conn.execute(
                "SELECT DISTINCT payload ->> 'tag' FROM ops WHERE actor = 'wtui-rules' AND kind = 'tag.add'")]

    with TestClient(make_app(path, cfg)) as client:
        for _ in range(300):
            if tagged():
                break
            client.get("/health")
            time.sleep(0.05)
    assert len(tagged()) == 1 and tagged()[0].startswith("Bought-") and tagged()[0].endswith("-Serum")


def test_a_link_opened_again_from_one_address_soon_after_is_one_open(api, server_cfg):
    client, tokens, path = api
    with Book.open(path, server_cfg, actor="boss") as book:
        uid = book.uids_of(book.all_ids()[:1])[0]
        token = book.create_link(uid, "https://shop.example/page", "page")
        before = book.conn.execute("SELECT count(*) FROM interactions WHERE kind = 'link'").fetchone()[0]
    browser = {"User-Agent": "Mozilla/5.0 (iPhone) Mobile Safari"}
    for _ in range(20):  # a reload, a scanner, a script
        assert client.get(f"/l/{token}", headers=browser, follow_redirects=False).status_code == 302
    with Book.open(path, server_cfg, readonly=True) as book:
        assert book.conn.execute("SELECT count(*) FROM interactions WHERE kind = 'link'").fetchone()[0] == before + 1


def test_a_longer_wait_than_the_server_allows_is_cut_not_refused(api, server_cfg):
    client, tokens, _ = api
    got = client.post("/v1/pull", json={"vector": {}, "limit": 1, "wait": server_cfg.server.wait_seconds + 100},
                      headers=auth(tokens["ana"]))
    assert got.status_code == 200  # the book has ops: answered at once
    assert client.post("/v1/pull", json={"vector": {}, "wait": -1}, headers=auth(tokens["ana"])).status_code == 400


def test_a_rep_cannot_merge_two_customers_who_never_shared_a_number(api, tmp_path, server_cfg):
    """A merge is irreversible and any replica may send one: the server takes it only where the two
    customers' numbers met (its book and the push itself tell), or a token could fold anyone into anyone."""
    client, tokens, path = api

    def forged_merge(book):
        a, b = book.uids_of(book.all_ids()[:2])
        book._write("customer.merge", f"customer:{a}", {"uids": sorted([a, b])}, "forged")

    batch = _replica_ops(tmp_path, path, server_cfg, "ana", forged_merge)
    with Book.open(path, server_cfg, readonly=True) as book:
        before = len(book.all_ids())
    answer = client.post("/v1/push", headers=auth(tokens["ana"]), json={"ops": [wire.to_wire(o) for o in batch]})
    assert answer.status_code == 403 and "never shared a number" in answer.json()["error"]
    with Book.open(path, server_cfg, readonly=True) as book:
        assert len(book.all_ids()) == before


def test_a_merge_of_a_number_that_met_is_taken_with_the_change_that_met_it(tmp_path, cfg):
    from tests.book.conftest import Clock
    from tests.conftest import NOW

    with Book.create(tmp_path / "one.db", cfg, clock=Clock(NOW), actor="ana") as one:
        lea = one.add_customer("+4915123456789", "Lea")
        bo = one.add_customer("+4915123456000", "Bo")
        met = ops.Op("m1", one._stamp(), "ana", f"customer:{bo}", "customer.merge", {"uids": sorted([lea, bo])})
        assert one.groundless_merges([met]) == [met]  # Lea never had Bo's number
        moved = ops.Op("s1", one._stamp(), "ana", f"customer:{lea}", "customer.set",
                       {"uid": lea, "fields": {"phone": "+4915123456000"}})
        assert one.groundless_merges([moved, met]) == []  # the push holds the change that met it


def _compacted_all(path, cfg) -> None:
    """The server's log compacted as far as it goes: no peer waited for, nothing kept for its age."""
    keep_none = replace(cfg, sync=replace(cfg.sync, log_keep_days=0, peer_wait_days=0))
    with Book.open(path, keep_none, actor="boss") as team:
        assert team.compact().dropped > 0


def test_a_pull_names_its_replica_whose_holdings_the_server_keeps_and_no_one_else_may_pull_as_it(
        api, tmp_path, server_cfg):
    client, tokens, path = api
    with Book.open(path, server_cfg, readonly=True) as team:
        team.clone(tmp_path / "ana.db")
    with Book.open(tmp_path / "ana.db", server_cfg, actor="ana") as mine:
        rid, vector = mine.replica_id_or_new(), mine.vector()
    asked = {"vector": vector, "limit": 5, "replica": rid}
    assert client.post("/v1/pull", headers=auth(tokens["ana"]), json=asked).status_code == 200
    with Book.open(path, server_cfg, readonly=True) as team:
        assert team.peer_vector(f"replica:{rid}") == vector  # compaction waits for what it lacks
    answer = client.post("/v1/pull", headers=auth(tokens["omar"]), json=asked)
    assert answer.status_code == 403 and "belongs to ana" in answer.json()["error"]


def test_a_replica_away_past_the_servers_log_sends_its_changes_and_is_made_again(api, tmp_path, server_cfg):
    from wtui import cli
    from wtui.io import remote as rem

    client, tokens, path = api
    with Book.open(path, server_cfg, readonly=True) as team:
        team.clone(tmp_path / "ana.db")
    with Book.open(tmp_path / "ana.db", server_cfg, actor="ana") as mine:
        uids = mine.uids_of(mine.all_ids()[:3])
        for uid in uids:
            mine.add_note(uid, "while away")
    with Book.open(path, server_cfg, actor="boss") as team:  # the team moves on, then the log is compacted
        team.add_note(uids[0], "at the office")
        now_holds = team.vector()
    assert client.post("/v1/pull", headers=auth(tokens["omar"]),  # omar's replica holds it all
                       json={"vector": now_holds, "limit": 5, "replica": "omarlaptop1"}).status_code == 200
    _compacted_all(path, server_cfg)
    answer = client.post("/v1/pull", headers=auth(tokens["ana"]), json={"vector": {}, "limit": 5})
    assert answer.status_code == 410 and answer.json()["vector"]
    with rem.Remote("http://testserver", tokens["ana"], retries=0, transport=client._transport) as server:
        with Book.open(tmp_path / "ana.db", server_cfg, actor="ana") as mine, pytest.raises(rem.Away) as away:
            rem.sync(mine, server)
        assert away.value.sent == 3  # its own changes went up first
        cli._made_again("http://testserver", tmp_path / "ana.db", server, away.value.sent)
        assert list(tmp_path.glob("ana.away-*.db"))  # the old file kept, in case
        with Book.open(tmp_path / "ana.db", server_cfg, actor="ana") as fresh:
            assert rem.sync(fresh, server).received == 0
            assert ["at the office", "while away"] == sorted(n[2] for n in fresh.notes(uids[0]))


def test_a_replica_put_back_in_place_that_wrote_as_many_ops_as_it_lost_loses_nothing_either_side(
        api, tmp_path, server_cfg):
    import shutil

    from wtui.io import remote as rem

    client, tokens, path = api
    with Book.open(path, server_cfg, readonly=True) as team:
        team.clone(tmp_path / "ana.db")
    mine_path, backup = tmp_path / "ana.db", tmp_path / "backup.db"
    with rem.Remote("http://testserver", tokens["ana"], retries=0, transport=client._transport) as server:
        with Book.open(mine_path, server_cfg, actor="ana") as mine:
            uid = mine.uids_of(mine.all_ids()[:1])[0]
            mine.add_note(uid, "before the backup")
            rem.sync(mine, server)
            mine.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # a backup of the file alone holds its WAL's part
            shutil.copyfile(mine_path, backup)  # a file backup (no transaction open), identity and all
            for text in ("lost 1", "lost 2"):
                mine.add_note(uid, text)
            rem.sync(mine, server)  # the two are on the server
    shutil.copyfile(backup, mine_path)  # put back in place: the same file, so the same replica id
    with rem.Remote("http://testserver", tokens["ana"], retries=0, transport=client._transport) as server:
        with Book.open(mine_path, server_cfg, actor="ana") as mine:
            for text in ("again 1", "again 2"):  # as many as the restore lost: the counts agree
                mine.add_note(uid, text)
            rem.sync(mine, server)
            assert rem.sync(mine, server).sent == 0
            here = sorted(n[2] for n in mine.notes(uid))
    with Book.open(path, server_cfg, readonly=True) as team:
        there = sorted(n[2] for n in team.notes(uid))
    assert here == there == ["again 1", "again 2", "before the backup", "lost 1", "lost 2"]
