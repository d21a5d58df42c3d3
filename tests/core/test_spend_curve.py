"""Spend break-points (issue #16, seed 000): the frequency curve by average order, cuts where frequency
drops more than 20 %, and writing them into a team config file without touching anything else."""

from __future__ import annotations

import json
import tomllib

import pytest

from tests.conftest import NOW, copy_book
from wtui import cli
from wtui.book.book import Book
from wtui.core.spend_curve import curve
from wtui.errors import BadInput
from wtui.io.config_file import set_keys


def buyers(levels: list[tuple[float, float, int]], per: int = 30) -> list[tuple[float, int]]:
    """``per`` buyers at each of a few order sizes: (from, to, purchases each)."""
    out = []
    for low, high, n in levels:
        for i in range(per):
            out.append((low + (high - low) * i / per, n))
    return out


def test_cuts_fall_where_frequency_drops_more_than_the_share():
    c = curve(buyers([(10, 50, 5), (50, 200, 3), (200, 900, 1)]), buckets=9, drop=0.20)
    assert [round(b.frequency, 2) for b in c.buckets] == [5, 5, 5, 3, 3, 3, 1, 1, 1]
    # low: under order_low_below, so the cut is where the middle tier starts (50); high: over
    # order_high_above, so the cut is where the middle tier ends (its largest order, just under 200).
    assert c.cuts[0] == 50 and 195 <= c.cuts[1] < 200
    assert c.suggestion() == {"order_low_below": 50, "order_high_above": round(c.cuts[1], 2)}


def test_a_drop_of_exactly_the_share_is_not_a_cut():
    assert curve(buyers([(10, 50, 5), (50, 200, 4)]), buckets=6, drop=0.20).cuts == []  # 5 -> 4 is 20 %
    one = curve(buyers([(10, 50, 5), (50, 200, 3.99)]), buckets=6, drop=0.20)
    assert one.cuts == [50] and one.suggestion() == {}  # one drop alone does not say which tier it bounds


def test_too_few_buyers_draw_no_curve():
    assert curve([(10.0, 1)] * 19, buckets=10).buckets == []


def test_set_keys_keeps_everything_else(tmp_path):
    path = tmp_path / "team.toml"
    path.write_text("# the team's file\n[book]\nadmins = [\"ana\"]\n\n[spend]  # order tiers\ncurrency = \"BRL\"\n"
                    "order_low_below = 250 # old\n\n[queue]\nlimit = 20\n", "utf-8")
    set_keys(path, "spend", {"order_low_below": 300.5, "order_high_above": 900})
    text = path.read_text("utf-8")
    assert "# the team's file" in text and "[spend]  # order tiers" in text
    assert tomllib.loads(text) == {"book": {"admins": ["ana"]}, "queue": {"limit": 20},
                                   "spend": {"currency": "BRL", "order_low_below": 300.5, "order_high_above": 900}}
    new = tmp_path / "new.toml"
    set_keys(new, "spend", {"order_low_below": 1.0})
    assert tomllib.loads(new.read_text("utf-8")) == {"spend": {"order_low_below": 1.0}}
    broken = tmp_path / "broken.toml"
    broken.write_text("[spend\n", "utf-8")
    with pytest.raises(BadInput, match="not valid TOML"):
        set_keys(broken, "spend", {"order_low_below": 1.0})
    assert broken.read_text("utf-8") == "[spend\n"  # left as it was


def test_the_cli_suggests_and_an_admin_writes(tmp_path, empty_file, cfg, capsys):
    path = copy_book(empty_file, tmp_path / "b.db")
    with Book.open(path, cfg, clock=lambda: NOW, actor="ana") as b:
        b.set_admins(["ana"])
        for i, (avg, n) in enumerate(buyers([(10, 50, 5), (50, 200, 3), (200, 900, 1)], per=10)):
            uid = b.add_customer(f"+4915123456{i:03d}", f"B{i}")
            for _ in range(n):
                b.record(uid, "purchase", amount=avg)
    team = tmp_path / "team.toml"
    at = ["--db", str(path), "--now", NOW.isoformat()]
    assert cli.main([*at, "spend-curve", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    cut = out["suggested"]  # 3 buyers a group: each cut is the first group that straddles a change of level
    assert 40 < cut["order_low_below"] <= 50 and 150 < cut["order_high_above"] < 200
    assert cli.main([*at, "spend-curve", "--write", str(team)]) == 2  # the OS user is not an admin
    assert not team.exists()
    with Book.open(path, cfg, clock=lambda: NOW, actor="ana") as b:
        b.set_admins(["ana", cli_user()])
    assert cli.main([*at, "spend-curve", "--write", str(team)]) == 0
    assert tomllib.loads(team.read_text("utf-8"))["spend"] == cut


def cli_user() -> str:
    from wtui.book.book import default_actor
    from wtui.core import config

    return default_actor(config.load(layers=[]))


def test_each_bar_has_a_label_of_its_own():
    """Found trying the app: two bars both read '260*' (groups whose orders round to the same unit)."""
    from wtui.core.spend_curve import Bucket, Curve

    c = curve(buyers([(10, 50, 5), (50, 200, 3), (200, 900, 1)]), buckets=9, drop=0.20)
    assert len(set(c.labels())) == 9 and c.labels()[3] == "50*"  # where the middle tier starts
    alike = Curve([Bucket(259.6, 259.9, 3, 2.0), Bucket(260.1, 260.4, 3, 1.0), Bucket(300, 400, 3, 1.0)], [260.1])
    assert alike.labels() == ["260 #1", "260* #2", "300 #3"]
