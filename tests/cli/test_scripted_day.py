"""Issue #15's Must-show: a day scripted end to end with the CLI only, on a fresh book. After each
step the queue, tiers, lifecycle and tags are what the playbook says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wtui import cli
from wtui.book.book import Book
from wtui.core import config

JOAO, MARIA = "+5511961234567", "+5511987654321"


def payload(*messages: tuple[str, str, int, str]) -> str:
    """A WhatsApp Cloud API delivery of text messages: (wa_id, id, unix time, body)."""
    return json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "0", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550000000", "phone_number_id": "1"},
            "contacts": [{"profile": {"name": "x"}, "wa_id": w} for w, *_ in messages],
            "messages": [{"from": w, "id": i, "timestamp": str(t), "type": "text", "text": {"body": body}}
                         for w, i, t, body in messages]}}]}]})


@pytest.fixture
def day(tmp_path, monkeypatch):
    system = tmp_path / "system.toml"  # the team's admins come from the system config, never a rep's
    system.write_text('[book]\nadmins = ["ana"]\n', "utf-8")
    monkeypatch.setattr(config, "SYSTEM_CONFIG", system)
    mine = tmp_path / "wtui.toml"
    mine.write_text(f'[rep]\nname = "ana"\ntimezone = "America/Sao_Paulo"\n[book]\npath = "{tmp_path / "team.db"}"\n'
                    'default_region = "BR"\n', "utf-8")
    return tmp_path, mine


def test_a_day_with_the_cli_only(day, capsys, cfg):
    tmp, mine = day
    book_path = tmp / "team.db"

    def wtui(at: str, *argv: str) -> str:
        code = cli.main(["--config", str(mine), "--now", at, *argv])
        out = capsys.readouterr()
        assert code == 0, out.err
        return out.out

    def state(at: str):
        from datetime import datetime

        loaded = config.load(mine)
        with Book.open(book_path, loaded, readonly=True, clock=lambda: datetime.fromisoformat(at)) as b:
            return {phone: (c.color, c.lifecycle, c.spend_tier, sorted(name for _, name, _ in c.tags))
                    for phone in (JOAO, MARIA) for c in (b.card(b.find(phone)),)}

    # 09:00 in São Paulo: the contacts come in. Two leads, nobody due before tomorrow's first touch.
    contacts = tmp / "contatos.csv"
    contacts.write_text("Nome,Telefone\nJoão Silva,(11) 96123-4567\nMaria Souza,11 98765-4321\n", "utf-8")
    assert "new 2" in wtui("2026-11-23T12:00:00Z", "import", str(contacts))
    assert state("2026-11-23T12:00:00Z") == {JOAO: ("yellow", "lead", "", []), MARIA: ("yellow", "lead", "", [])}
    assert "Nothing is due today" in wtui("2026-11-23T12:00:00Z", "queue")

    # 10:00: WhatsApp delivers a price question (red: price within the hour) and a feature question (medium).
    hook = tmp / "delivery.json"
    hook.write_text(payload(("5511961234567", "wamid.D1", 1795438800, "Quanto custa o kit presente?"),
                            ("5511987654321", "wamid.D2", 1795438860, "Qual o tamanho e a garantia da bolsa?")),
                    "utf-8")
    assert "2 recorded" in wtui("2026-11-23T13:05:00Z", "ingest", str(hook))
    queue = wtui("2026-11-23T13:05:00Z", "queue")
    assert queue.startswith("Today: ! 1 red") and "João Silva" in queue.splitlines()[1]
    assert state("2026-11-23T13:05:00Z")[JOAO][0] == "red"

    # 10:20: the quote goes out: the price is answered, the first follow-up is due within 12 h (§2).
    assert "recorded a quote" in wtui("2026-11-23T13:20:00Z", "quote", "João Silva")
    assert "first follow-up within 12 h" in wtui("2026-11-23T13:20:00Z", "explain", JOAO)
    # Tomorrow: João buys (in reais, converted to the book's dollars: a high order), Maria's deal is won.
    out = wtui("2026-11-24T15:00:00Z", "purchase", JOAO, "1.250,00", "--currency", "BRL", "--product",
               "Kit presente")
    assert "225.00 USD" in out
    assert "recorded a deal won (80.00 USD)" in wtui("2026-11-24T15:30:00Z", "won", "Maria", "--amount", "80")
    after = state("2026-11-24T15:30:00Z")
    assert after[JOAO][:3] == ("green", "new", "high") and after[MARIA][:3] == ("green", "new", "medium")

    # 13:00: João complains; the rules (an admin's run) tag the complaint and the orders.
    wtui("2026-11-24T16:00:00Z", "complaint", "open", JOAO, "o kit chegou sem o sérum")
    dry = wtui("2026-11-24T16:05:00Z", "rules", "run", "--dry-run")
    run = wtui("2026-11-24T16:05:00Z", "rules", "run")
    assert dry.replace("would change", "changed").replace("would create", "created").splitlines()[:-1] == \
        run.splitlines()[:-1]
    assert "; one batch: wtui undo " in run.splitlines()[-1]  # as every other writing command says
    tags = state("2026-11-24T16:05:00Z")
    assert tags[JOAO][3] == ["Bought-2026-11-KitPr", "Complaint-Open"]
    assert tags[MARIA][3] == ["Bought-2026-11"]  # a won deal without a product: the month alone
    assert "applied; 0 change(s)" in wtui("2026-11-24T16:06:00Z", "rules", "run")  # idempotent

    # 15:00: resolved; the next run moves the tag on.
    wtui("2026-11-24T18:00:00Z", "complaint", "resolve", JOAO, "enviamos o sérum")
    wtui("2026-11-24T18:05:00Z", "rules", "run")
    assert state("2026-11-24T18:05:00Z")[JOAO][3] == ["Bought-2026-11-KitPr", "Complaint-Resolved"]

    # The change log tells who did what and why; the last rules run is one batch, and one undo takes it back.
    log = wtui("2026-11-24T18:10:00Z", "log", JOAO, "--limit", "4")
    assert "ana: removed tag Complaint-Open  (rule: complaint resolved)" in log
    batch = log.splitlines()[0].rsplit("[", 1)[1].rstrip("]")
    assert "took back 2 change(s)" in wtui("2026-11-24T18:10:00Z", "undo", batch)
    assert state("2026-11-24T18:10:00Z")[JOAO][3] == ["Bought-2026-11-KitPr", "Complaint-Open"]
    # Every write above went through the CLI: the book holds only what the day did.
    assert Path(book_path).exists() and cfg.spend.currency == "USD"
