"""Message templates (issue #16, playbook §5): filled literally for one customer, in their format and
greeting, refused at their cap or outside their window unless forced, warned over 5 a week."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlparse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import NOW, copy_book
from wtui import cli
from wtui.book.book import Book
from wtui.core import templates
from wtui.errors import BadInput

FILE = """
[greetings]
en = { morning = "Good morning", afternoon = "Good afternoon", evening = "Good evening" }
pt = { morning = "Bom dia", afternoon = "Boa tarde", evening = "Boa noite" }

[[template]]
name = "buyer"
for = "#Stage-Purchased"
text = "{greeting}, {first_name}! How is the {product}?"
voice = "Greet {first_name}; ask about the {product}."

[[template]]
name = "hello"
for = "color = yellow OR color = red OR color = orange OR color = green OR color = gray"
text = "{greeting}, {first_name}!"
"""


@pytest.mark.parametrize("text, says", [
    ("[[template]]\nname='a'\nfor='x'\ntext='{nme}'", "{nme} in text is not a field"),
    ("[[template]]\nname='a'\nfor='x'", "'text' is required"),
    ("[[template]]\nname='a'\nfor='x'\ntext='t'\n[[template]]\nname='A'\nfor='x'\ntext='t'", "a second template"),
    ("[[template]]\nname='a'\nfor='x'\ntext='t'\nwhen='now'", "unknown key(s) when"),
    ("[greetings]\nen = { morning = 'x' }", "morning, afternoon and evening"),
    ("[[template]\n", "not valid TOML"),
])
def test_a_bad_templates_file_is_refused_with_the_place(text, says):
    with pytest.raises(BadInput, match=None) as exc:
        templates.parse(text, "t.toml")
    assert says in str(exc.value) and str(exc.value).startswith("t.toml")


@given(st.text(max_size=40))
def test_a_customers_name_goes_in_as_it_is(name):
    t = templates.Template("a", "x", "Hi {name} / {first_name}!")
    fmt, text = templates.fill(t, {"name": name or "x", "first_name": templates.first_name(name) or "x"}, "")
    assert fmt == "text" and text == f"Hi {name or 'x'} / {templates.first_name(name) or 'x'}!"  # "{product}" stays


def test_the_format_follows_the_preference_and_a_missing_field_refuses():
    t = templates.parse(FILE, "t").items[0]
    fields = {"name": "Ana Lima", "first_name": "Ana", "product": "serum", "greeting": "Bom dia"}
    assert templates.fill(t, fields, "voice") == ("voice", "Greet Ana; ask about the serum.")
    assert templates.fill(t, fields, "text") == ("text", "Bom dia, Ana! How is the serum?")
    with pytest.raises(BadInput, match=r"needs \{product\}.*no purchase with a product"):
        templates.fill(t, dict(fields, product=""), "text")


def test_the_greeting_is_by_their_hour_and_language(cfg):
    found = templates.parse(FILE, "t")
    t = cfg.templates
    assert templates.greeting(found, "pt", t.afternoon_hour - 1, t) == "Bom dia"
    assert templates.greeting(found, "pt", t.afternoon_hour, t) == "Boa tarde"
    assert templates.greeting(found, "pt", t.evening_hour, t) == "Boa noite"
    assert templates.greeting(found, "ja", 9, t) == "Good morning"  # no Japanese words: English


def test_judge_the_cap_over_its_own_period_the_window_and_the_weekly_warning(cfg):
    t = cfg.templates
    assert templates.judge(1, 1, 2, 7, True, "", t) == ([], [])
    refusals, _ = templates.judge(2, 2, 2, 7, True, "", t)
    assert refusals == ["at their cap: 2 message(s) in the last 7 day(s) (their note allows 2)"]
    # "Max 1/day": one today is the cap, whatever the week holds; "Max 2/month": two in 30 days.
    assert templates.judge(1, 1, 1, 1, True, "", t)[0] and not templates.judge(0, 3, 1, 1, True, "", t)[0]
    assert templates.judge(2, 0, 2, 30, True, "", t)[0] and not templates.judge(1, 1, 2, 30, True, "", t)[0]
    assert templates.judge(0, 0, None, 0, False, "quiet until 09:00", t)[0] == [
        "outside their window (quiet until 09:00)"]
    assert templates.judge(0, t.warn_per_week - 1, None, 0, True, "", t)[1] == []
    assert "message 6 this week" in templates.judge(0, t.warn_per_week, None, 0, True, "", t)[1][0]


def test_a_wa_me_link_carries_the_text_encoded():
    link = templates.wa_link("+55 11 96123-4567", "Oi & tchau? 100%")
    assert link.startswith("https://wa.me/5511961234567?text=")
    assert parse_qs(urlparse(link).query)["text"] == ["Oi & tchau? 100%"]


def test_the_book_fills_the_first_matching_template_and_the_cli_refuses_at_the_cap(tmp_path, empty_file, cfg,
                                                                                     capsys):
    from dataclasses import replace

    tfile = tmp_path / "templates.toml"
    tfile.write_text(FILE, "utf-8")
    cfg = replace(cfg, templates=replace(cfg.templates, path=str(tfile)))
    at = datetime(2026, 11, 23, 13, 0, tzinfo=timezone.utc)  # 10:00 in São Paulo: morning, office hours
    path = copy_book(empty_file, tmp_path / "b.db")
    with Book.open(path, cfg, clock=lambda: at, actor="ana") as b:
        b.set_admins(["ana"])
        uid = b.add_customer("+5511961234567", "Ana Lima", language="pt")
        b.record(uid, "purchase", at=at - timedelta(days=20), amount=30, product="serum")
        b.create_tag("Stage-Purchased")
        b.add_tag(uid, "Stage-Purchased")
        b.set_preference(uid, "Ana | Prefers voice | Mon-Fri 9-18 | Max 2/week")
        b.log_contact(uid)
        filled = b.fill_template(uid)
        assert (filled.template, filled.format, filled.text) == ("buyer", "voice", "Greet Ana; ask about the serum.")
        assert filled.refusals == []
        b.log_contact(uid)
        assert b.fill_template(uid).refusals[0].startswith("at their cap: 2 message(s)")
        assert b.fill_template(uid, "hello").text == "Bom dia, Ana!"
    cli_cfg = ["--db", str(path), "--now", at.isoformat(), "--config", str(tmp_path / "c.toml")]
    (tmp_path / "c.toml").write_text(f"[templates]\npath = {str(tfile)!r}\n", "utf-8")
    assert cli.main([*cli_cfg, "template", "fill", "+55 11 96123-4567"]) == 2
    assert "at their cap" in capsys.readouterr().err
    assert cli.main([*cli_cfg, "template", "fill", "+55 11 96123-4567", "--force", "--link"]) == 0
    assert capsys.readouterr().out.strip().startswith("https://wa.me/5511961234567?text=Greet%20Ana")
    assert cli.main([*cli_cfg, "template", "fill", "+55 11 96123-4567", "--name", "nope"]) == 2
    capsys.readouterr()
    assert cli.main([*cli_cfg, "template", "list", "--json"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [t["name"] for t in listed][:2] == ["buyer", "hello"] and listed[0]["voice"]


def test_a_template_whose_query_does_not_parse_is_refused(tmp_path, empty_file, cfg):
    from dataclasses import replace

    tfile = tmp_path / "templates.toml"
    tfile.write_text("[[template]]\nname = 'x'\nfor = 'colour = red'\ntext = 'hi'\n", "utf-8")
    cfg = replace(cfg, templates=replace(cfg.templates, path=str(tfile)))
    with Book.open(copy_book(empty_file, tmp_path / "b.db"), cfg, clock=lambda: NOW, actor="ana") as b:
        with pytest.raises(BadInput, match="template 'x'"):
            b.templates()


def test_the_shipped_templates_load_and_fill(tmp_path, empty_file, cfg):
    with Book.open(copy_book(empty_file, tmp_path / "b.db"), cfg, clock=lambda: NOW, actor="ana") as b:
        assert [t.name for t in b.templates().items][:2] == ["complaint-follow-up", "price-answer"]
        uid = b.add_customer("+4915123456789", "Lea Braun")
        assert b.fill_template(uid).text.endswith("Lea! Something new this week you may like:")
