"""Tag health (issue #16, playbook §7, §11): each finding trips on a book built for it, and not one unit
below; the figures come from the book as counted."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import NOW, copy_book
from wtui import cli
from wtui.book.book import Book
from wtui.core.health import TagStat, check


def stats(*named: tuple[str, int]) -> list[TagStat]:
    return [TagStat(name, n) for name, n in named]


def filler(n: int) -> list[TagStat]:
    return [TagStat(f"Dim-T{i}", 1) for i in range(n)]


def kinds(findings) -> list[tuple[str, tuple[str, ...]]]:
    return [(f.kind, f.tags) for f in findings]


@pytest.mark.parametrize("tags, customers, says", [
    (14, 100, "only 14 tags in use: under 15"), (15, 100, None), (50, 100, None),
    (51, 100, "stay under 50 early on"), (29, 5000, "under 30 is too coarse"), (30, 5000, None),
    (80, 5000, None), (81, 5000, "healthy at 30-80"), (101, 5000, "over 100 is unmanageable"),
])
def test_the_tag_count_against_the_playbooks_ranges(cfg, tags, customers, says):
    found = [f for f in check(filler(tags), {}, customers, NOW, cfg.tags, cfg.health) if f.kind == "count"]
    assert ([says in found[0].says] if found else []) == ([True] if says else [])


def test_overloaded_is_over_the_share_not_at_it(cfg):
    share = cfg.health.overloaded_share
    over = stats(("Stage-Lead", int(1000 * share) + 1), ("Stage-Quoted", int(1000 * share))) + filler(20)
    assert ("overloaded", ("Stage-Lead",)) in kinds(check(over, {}, 1000, NOW, cfg.tags, cfg.health))
    assert ("overloaded", ("Stage-Quoted",)) not in kinds(check(over, {}, 1000, NOW, cfg.tags, cfg.health))


def test_tiny_and_idle_tags_are_for_deleting_and_big_idle_ones_for_archiving(cfg):
    from wtui.core.health import Uses

    h = cfg.health
    made = NOW - timedelta(days=h.idle_days + 30)
    idle = NOW - timedelta(days=h.idle_days + 1)
    recent = NOW - timedelta(days=h.idle_days - 1)
    tags = [TagStat("Promo-Old", h.tiny_customers - 1, made), TagStat("Promo-Ten", h.tiny_customers, made),
            TagStat("Promo-Recent", 1, made), TagStat("Source-Fair2024", h.archive_above + 1, made),
            TagStat("Source-Fair2023", h.archive_above, made), TagStat("Archive-Fair22", h.archive_above + 9, made)]
    uses = Uses({"promo-old": (0, idle), "promo-recent": (9, recent), "source-fair2024": (0, idle)}, made)
    found = {f.tags[0]: f for f in check(tags + filler(20), {}, 10_000, NOW, cfg.tags, cfg.health, uses)
             if f.tags and f.kind in ("tiny", "idle")}
    assert found["Promo-Old"].kind == "tiny" and found["Promo-Old"].fix == "wtui tags delete Promo-Old"
    assert found["Source-Fair2024"].kind == "idle"
    assert found["Source-Fair2024"].fix == "wtui tags rename Source-Fair2024 Archive-Source-Fair2"  # 20 characters
    assert not {"Promo-Ten", "Promo-Recent", "Source-Fair2023", "Archive-Fair22"} & set(found)


def test_merge_candidates_are_tags_of_the_same_customers_not_a_tag_inside_a_wider_one(cfg):
    tags = stats(("Stage-Paid", 100), ("Stage-Ordered", 100), ("Interest-Beauty", 1000), ("Product-Lipstick", 100),
                 ("Stage-Won", 100), ("Stage-Closed", 100)) + filler(20)
    # 93 shared of 107 either has: 87 % the same; 91 of 109: 83 %; a subset of a tag ten times its size.
    overlaps = {("Stage-Ordered", "Stage-Paid"): 93, ("Stage-Closed", "Stage-Won"): 91,
                ("Interest-Beauty", "Product-Lipstick"): 100}
    merges = [f for f in check(tags, overlaps, 5000, NOW, cfg.tags, cfg.health) if f.kind == "merge"]
    assert [f.tags for f in merges] == [("Stage-Paid", "Stage-Ordered")]  # as big: the first name stays
    assert "87% the same customers (93 have both)" in merges[0].says
    assert merges[0].fix == "wtui tags merge Stage-Paid Stage-Ordered --dry-run"


def test_the_book_counts_tags_overlaps_and_their_last_change(tmp_path, empty_file, cfg, capsys):
    path = copy_book(empty_file, tmp_path / "b.db")
    with Book.open(path, cfg, clock=lambda: NOW, actor="ana") as b:
        b.set_admins(["ana"])
        for tag in ("Stage-Paid", "Stage-Ordered", "Promo-Old"):
            b.create_tag(tag)
        uids = [b.add_customer(f"+4915123456{700 + i}", f"K{i}") for i in range(12)]
        for uid in uids:
            b.add_tag(uid, "Stage-Paid")
            b.add_tag(uid, "Stage-Ordered")
        b.add_tag(uids[0], "Promo-Old")
        b.set_tag("Promo-Old", archived=False)
        counted = {s.name: s for s in b.tag_stats()}
        assert counted["Stage-Paid"].customers == 12 and counted["Promo-Old"].customers == 1
        assert counted["Stage-Paid"].created == NOW
        uses, _ = b.tag_uses(NOW - timedelta(days=1))  # each tag put on anyone is a use
        assert uses["stage-paid"][0] == 12 and uses["promo-old"][0] == 1
        assert b.tag_overlaps() == {("Stage-Ordered", "Stage-Paid"): 12, ("Promo-Old", "Stage-Paid"): 1,
                                    ("Promo-Old", "Stage-Ordered"): 1}
        assert b.tag_overlaps(similar=0.85, least=10) == {("Stage-Ordered", "Stage-Paid"): 12}  # like sizes only
    code = cli.main(["--db", str(path), "--now", NOW.isoformat(), "health", "--json"])
    out = capsys.readouterr().out
    assert code == 0 and '"kind": "merge"' in out and '"fix": "wtui tags merge Stage-Paid Stage-Ordered' in out
    code = cli.main(["--db", str(path), "--now", NOW.isoformat(), "health", "--markdown"])
    assert code == 0 and capsys.readouterr().out.startswith("## Tag health")


def test_silent_zombie_and_rarely_used_tags_over_counted_time_only(cfg):
    from wtui.core.health import Uses

    h = cfg.health
    counted = NOW - timedelta(days=h.zombie_days + 10)
    day = timedelta(days=1)
    tags = [TagStat("Promo-Silent", 50, counted), TagStat("Promo-Zombie", 50, counted),
            TagStat("Promo-Fresh", 50, counted), TagStat("Promo-New", 50, NOW - 5 * day),
            TagStat("Promo-Rare", 50, counted), TagStat("Promo-Busy", 50, counted)]
    uses = Uses({"promo-silent": (0, NOW - (h.silent_days + 1) * day),
                 "promo-fresh": (h.rare_uses, NOW - (h.silent_days - 1) * day),
                 "promo-rare": (h.rare_uses - 1, NOW - day), "promo-busy": (h.rare_uses, NOW - day)}, counted)
    found = {f.tags[0]: f.kind for f in check(tags + filler(20), {}, 1000, NOW, cfg.tags, cfg.health, uses)
             if f.tags and f.tags[0].startswith("Promo-") and f.kind in ("silent", "zombie", "rare")}
    assert found == {"Promo-Silent": "silent", "Promo-Zombie": "zombie", "Promo-Rare": "rare"}
    # Counted for less than the silent days: nothing can be called silent yet.
    recent = Uses({}, NOW - (h.silent_days - 1) * day)
    assert not [f for f in check(tags, {}, 1000, NOW, cfg.tags, cfg.health, recent)
                if f.kind in ("silent", "zombie", "rare")]


def test_queries_bulk_actions_and_rules_count_as_uses(tmp_path, empty_file, cfg, capsys):
    path = copy_book(empty_file, tmp_path / "b.db")
    with Book.open(path, cfg, clock=lambda: NOW, actor="ana") as b:
        b.set_admins(["ana"])
        b.create_tag("Interest-Beauty")
        b.create_tag("Stage-Lead")
        b.bulk(b.all_ids(), add=("Stage-Lead",))
    cli.main(["--db", str(path), "--now", NOW.isoformat(), "find", "#Interest-Beauty OR #Stage-Lead", "--count"])
    cli.main(["--db", str(path), "--now", NOW.isoformat(), "find", "#Interest-Beauty", "--count"])
    capsys.readouterr()
    with Book.open(path, cfg, clock=lambda: NOW, actor="ana") as b:
        counts, since = b.tag_uses(NOW - timedelta(days=90))
        assert {t: n for t, (n, _) in counts.items()} == {"interest-beauty": 2, "stage-lead": 2}
        assert since is not None
    with Book.open(path, cfg, clock=lambda: NOW, readonly=True) as b:  # a reader counts nothing, and says nothing
        b.note_use(["Interest-Beauty"])


def test_data_that_stopped_coming_in_is_stale(cfg):
    hours = cfg.health.stale_hours
    kinds_at = [f.kind for f in check(filler(20), {}, 100, NOW, cfg.tags, cfg.health,
                                      refreshed=NOW - timedelta(hours=hours + 1))]
    assert "stale" in kinds_at
    assert "stale" not in [f.kind for f in check(filler(20), {}, 100, NOW, cfg.tags, cfg.health,
                                                  refreshed=NOW - timedelta(hours=hours))]
    assert "stale" not in [f.kind for f in check(filler(20), {}, 100, NOW, cfg.tags, cfg.health)]  # never fed


def test_an_import_and_a_sync_say_when_data_last_came_in(tmp_path, empty_file, cfg):
    from wtui.io.csv_import import Row

    one, two = copy_book(empty_file, tmp_path / "a.db"), copy_book(empty_file, tmp_path / "b.db")
    with Book.open(one, cfg, clock=lambda: NOW, actor="ana") as a, \
            Book.open(two, cfg, clock=lambda: NOW + timedelta(hours=1), actor="bo") as b:
        assert a.refreshed_at() is None
        a.import_rows([Row(2, "+4915123456781", "DE", "Europe/Berlin", (), "Neu", "", "", "", None)])
        assert a.refreshed_at() == NOW
        b.apply_remote(a.missing_from(b))
        assert b.refreshed_at() == NOW + timedelta(hours=1)


def test_a_campaign_tag_is_over_30_days_after_it_was_last_put_on_anyone(cfg):
    days = cfg.health.campaign_days
    tags = [TagStat("Campaign-BlackFri", 120, NOW - timedelta(days=90), NOW - timedelta(days=days, minutes=1)),
            TagStat("Campaign-Xmas", 80, NOW - timedelta(days=90), NOW - timedelta(days=days))] + filler(20)
    found = [f for f in check(tags, {}, 5000, NOW, cfg.tags, cfg.health) if f.kind == "campaign"]
    assert [f.tags for f in found] == [("Campaign-BlackFri",)]
    assert found[0].act == ("archive", "Campaign-BlackFri") and "stays on its 120 customer(s)" in found[0].says


def test_the_book_dates_a_campaign_by_its_last_tagging(tmp_path, empty_file, cfg):
    now = [NOW - timedelta(days=40)]
    path = copy_book(empty_file, tmp_path / "b.db")
    with Book.open(path, cfg, clock=lambda: now[0], actor="ana") as b:
        b.set_admins(["ana"])
        b.create_tag("Campaign-Spring")
        b.create_tag("Stage-Paid")
        first = b.add_customer("+4915123456001", "A")
        second = b.add_customer("+4915123456002", "B")
        b.add_tag(first, "Campaign-Spring")
        b.add_tag(first, "Stage-Paid")
        now[0] = NOW - timedelta(days=31)
        b.add_tag(second, "Campaign-Spring")
        stats = {s.name: s for s in b.tag_stats()}
        assert stats["Campaign-Spring"].last_added == NOW - timedelta(days=31)
        assert stats["Stage-Paid"].last_added is None  # not a campaign: never read
        now[0] = NOW
        assert any(f.kind == "campaign" for f in b.tag_health()[1])


def test_a_silent_tag_is_a_decision_not_a_one_key_archive(cfg):
    from wtui.core.health import Uses

    h = cfg.health
    made = NOW - timedelta(days=h.silent_days + 5)
    uses = Uses({}, made)
    found = {f.kind: f for f in check([TagStat("Promo-Quiet", 500, made)] + filler(20), {}, 5000, NOW, cfg.tags, h,
                                      uses) if f.tags == ("Promo-Quiet",)}
    assert found["silent"].act == () and found["silent"].fix == ""
