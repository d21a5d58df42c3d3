"""Intent, comparison and interest detection measured on fixtures/messages/ (issue #12).

    python -m bench.intent                # every language
    python -m bench.intent --lang ru      # one language (repeatable: --lang ru --lang ar)
    python -m bench.intent --misses 10    # and up to 10 misclassified messages per language
    python -m bench.intent --webhook      # and through webhook deliveries and `intent = ...` queries

Each message goes through what ingestion does with an inbound text: the
book's Detector (``Book.record`` -> ``Detector.detect(text).encode()``), the
encoded signals stored on an ``in`` Event, ``facts.summarize`` over that one
event, and ``follow_up.assess`` -> ``intent``, the value the book stores and
``wtui find 'intent = ...'`` reads back. So the intent is the customer's stored
intent after that single message, with the same precedence the code uses
(ties, decay, politeness), not a re-implementation of it. Comparison, quote
and interests are the detector's own signals for the message.

The config is the shipped defaults only (``config.load(layers=[])``): no
user, team or system layer can change the figures. Nothing here changes the
detection; it only measures it. Stdlib and wtui only.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from wtui.core import config as wconfig
from wtui.core import follow_up
from wtui.core.facts import IN, Event, summarize
from wtui.core.keywords import Detector, Signals

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fixtures" / "messages"
INTENTS = ("high", "medium", "potential", "none")
INTERESTS = ("discount", "novelty", "function", "learning", "brand")
# The message arrives at T; the stored intent is read a minute later (before any decay).
T = datetime(2026, 11, 2, 10, 0, tzinfo=timezone.utc)
NOW = T + timedelta(minutes=1)


@dataclass(frozen=True)
class Item:
    lang: str
    line: int
    text: str
    intent: str
    comparison: bool
    quote: bool
    interests: frozenset[str]


@dataclass(frozen=True)
class Got:
    intent: str
    comparison: bool
    quote: bool
    interests: frozenset[str]
    signals: str  # the encoded signals, for the misses listing


def load_corpus(langs: list[str] | None) -> list[Item]:
    items: list[Item] = []
    files = sorted(CORPUS.glob("*.jsonl"))
    if not files:
        sys.exit(f"no fixtures in {CORPUS}")
    for path in files:
        for n, raw in enumerate(path.read_text("utf-8").splitlines(), 1):
            if not raw.strip():
                continue
            o = json.loads(raw)
            if langs and o["lang"] not in langs:
                continue
            if o["intent"] not in INTENTS or not set(o["interests"]) <= set(INTERESTS):
                sys.exit(f"{path.name}:{n}: bad label {o}")
            items.append(Item(o["lang"], n, o["text"], o["intent"], bool(o["comparison"]), bool(o.get("quote")),
                              frozenset(o["interests"])))
    if not items:
        sys.exit(f"no messages for --lang {' '.join(langs or [])}")
    return items


def classify(detector: Detector, cfg: wconfig.Config, text: str) -> Got:
    """What the book would store for a customer whose only message is ``text``."""
    encoded = detector.detect(text).encode()
    facts = summarize([Event(IN, T, encoded)], cfg.colors.rules.long_visit_minutes)
    stored = follow_up.assess(facts, NOW, cfg).intent.value
    sig = Signals.decode(encoded)
    return Got(stored, sig.compare, sig.quote, frozenset(sig.interests), encoded)


# -- metrics ---------------------------------------------------------------------


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def class_prf(gold: list[str], pred: list[str], label: str) -> tuple[float, float, float, int]:
    tp = sum(g == label and p == label for g, p in zip(gold, pred, strict=True))
    fp = sum(g != label and p == label for g, p in zip(gold, pred, strict=True))
    fn = sum(g == label and p != label for g, p in zip(gold, pred, strict=True))
    return (*prf(tp, fp, fn), tp + fn)


def macro_f1(gold: list[str], pred: list[str]) -> float:
    """Mean F1 over the intent classes that occur in the gold or the predicted labels."""
    labels = [c for c in INTENTS if c in gold or c in pred]
    return sum(class_prf(gold, pred, c)[2] for c in labels) / len(labels)


def accuracy(gold: list[str], pred: list[str]) -> float:
    return sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)


def binary_prf(gold: list[bool], pred: list[bool]) -> tuple[float, float, float, int]:
    tp = sum(g and p for g, p in zip(gold, pred, strict=True))
    fp = sum(p and not g for g, p in zip(gold, pred, strict=True))
    fn = sum(g and not p for g, p in zip(gold, pred, strict=True))
    return (*prf(tp, fp, fn), tp + fn)


# -- speed -------------------------------------------------------------------------


def speed(cfg: wconfig.Config, texts: list[str], passes: int) -> tuple[float, float, float, float]:
    """Detector.detect per message: (median us, p95 us, mean us, messages/s).

    Each pass builds a fresh Detector (its compile time is not counted), so the
    detector's cache of repeated texts starts empty every pass, as for a fresh
    process; texts repeated across the corpus ("ok", "👍") hit it as they would
    in production.
    """
    per_call: list[float] = []
    totals: list[float] = []
    clock = time.perf_counter_ns
    for _ in range(passes):
        d = Detector(cfg.keywords)
        detect = d.detect
        start = clock()
        for text in texts:
            t0 = clock()
            detect(text)
            per_call.append((clock() - t0) / 1000)
        totals.append((clock() - start) / 1e9)
    per_call.sort()
    p95 = per_call[min(len(per_call) - 1, int(len(per_call) * 0.95))]
    mean_us = sum(per_call) / len(per_call)
    rate = len(texts) / statistics.median(totals)
    return statistics.median(per_call), p95, mean_us, rate


# -- report ------------------------------------------------------------------------


def table(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    def line(r: list[str]) -> str:
        cells = enumerate(zip(r, widths, strict=True))
        return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in cells)
    return "\n".join([line(head), "  ".join("-" * w for w in widths), *(line(r) for r in rows)])


def f3(x: float) -> str:
    return f"{x:.3f}"


def show(s: str) -> str:
    return s.replace("\n", " ")


def what_missed(it: Item, g: Got) -> list[str]:
    out = []
    if it.intent != g.intent:
        out.append(f"intent {it.intent} -> {g.intent}")
    if it.comparison != g.comparison:
        out.append(f"comparison {str(it.comparison).lower()} -> {str(g.comparison).lower()}")
    if it.quote != g.quote:
        out.append(f"quote {str(it.quote).lower()} -> {str(g.quote).lower()}")
    if it.interests != g.interests:
        out.append(f"interests {{{','.join(sorted(it.interests))}}} -> {{{','.join(sorted(g.interests))}}}")
    return out


def through_webhook(cfg: wconfig.Config, items: list[Item]) -> list[str]:
    """Each message's intent the way the held-out set is measured: every message a webhook delivery from a
    customer of its own, ingested into a fresh book, the intent read back with the query language."""
    import tempfile

    from wtui.book.book import Book
    from wtui.io.webhook import ingest

    messages = [{"from": f"4915{i:09d}", "id": f"wamid.bench{i}", "timestamp": str(int(T.timestamp())),
                 "type": "text", "text": {"body": it.text}} for i, it in enumerate(items)]
    payload = json.dumps({"entry": [{"changes": [{"value": {"messages": messages}}]}]}).encode()
    with tempfile.TemporaryDirectory() as tmp:
        with Book.create(Path(tmp) / "b.db", cfg, clock=lambda: NOW, actor="bench") as book:
            report = ingest(book, payload)
            if report.rejected:
                raise SystemExit(f"the webhook rejected {len(report.rejected)}: {report.rejected[0]}")
            phone_intent = {}
            for intent in INTENTS:
                for row in book.rows(book.select(f"intent = {intent}")):
                    phone_intent[row["phone"]] = intent
    return [phone_intent.get(f"+4915{i:09d}", "?") for i in range(len(items))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.intent", description=__doc__.split("\n\n")[0])
    ap.add_argument("--lang", action="append", help="only this language (repeatable)")
    ap.add_argument("--misses", type=int, default=0, metavar="N",
                    help="print up to N misclassified messages per language (intent misses first)")
    ap.add_argument("--passes", type=int, default=7, help="timing passes over the corpus (default 7)")
    ap.add_argument("--webhook", action="store_true",
                    help="also ingest every message as a webhook delivery into a fresh book and read the "
                         "intents back with the query language (how a held-out set is measured)")
    args = ap.parse_args(argv)

    cfg = wconfig.load(layers=[])
    items = load_corpus(args.lang)
    detector = Detector(cfg.keywords)
    got = [classify(detector, cfg, it.text) for it in items]

    by_lang: dict[str, list[int]] = defaultdict(list)
    for i, it in enumerate(items):
        by_lang[it.lang].append(i)

    gold_i = [it.intent for it in items]
    pred_i = [g.intent for g in got]

    print(f"Intent detection on {CORPUS.relative_to(ROOT)}: {len(items)} messages, {len(by_lang)} languages, "
          f"shipped config (defaults only)\n")

    rows = []
    for lang in sorted(by_lang):
        ix = by_lang[lang]
        g, p = [gold_i[i] for i in ix], [pred_i[i] for i in ix]
        cmp_f = binary_prf([items[i].comparison for i in ix], [got[i].comparison for i in ix])[2]
        rows.append([lang, str(len(ix)), f3(accuracy(g, p)), f3(macro_f1(g, p)), f3(cmp_f)])
    rows.append(["all", str(len(items)), f3(accuracy(gold_i, pred_i)), f3(macro_f1(gold_i, pred_i)),
                 f3(binary_prf([it.comparison for it in items], [g.comparison for g in got])[2])])
    print("Per language")
    print(table(["lang", "n", "intent acc", "intent macro-F1", "comparison F1"], rows))

    print("\nIntent per class (all languages)")
    rows = []
    for c in INTENTS:
        p, r, f, n = class_prf(gold_i, pred_i, c)
        rows.append([c, str(n), str(pred_i.count(c)), f3(p), f3(r), f3(f)])
    print(table(["intent", "support", "predicted", "precision", "recall", "F1"], rows))

    print("\nConfusion (rows: expected, columns: got)")
    conf = Counter(zip(gold_i, pred_i, strict=True))
    print(table(["expected"] + list(INTENTS), [[e] + [str(conf[(e, g)]) for g in INTENTS] for e in INTENTS]))

    print("\nComparison, quote and interests (all languages)")
    rows = []
    for name, gold, pred in (
        ("comparison", [it.comparison for it in items], [g.comparison for g in got]),
        ("quote", [it.quote for it in items], [g.quote for g in got]),
        *((f"interest:{x}", [x in it.interests for it in items], [x in g.interests for g in got])
          for x in INTERESTS),
    ):
        p, r, f, n = binary_prf(gold, pred)
        rows.append([name, str(n), str(sum(pred)), f3(p), f3(r), f3(f)])
    print(table(["signal", "support", "predicted", "precision", "recall", "F1"], rows))

    print(f"\nOverall: intent macro-F1 {f3(macro_f1(gold_i, pred_i))}, accuracy {f3(accuracy(gold_i, pred_i))}")

    if args.webhook:
        via = through_webhook(cfg, items)
        agree = sum(a == b for a, b in zip(via, pred_i, strict=True))
        print(f"Through the webhook and `intent = ...`: macro-F1 {f3(macro_f1(gold_i, via))}, accuracy "
              f"{f3(accuracy(gold_i, via))}; the same intent as above for {agree} of {len(items)} messages")

    med, p95, mean, rate = speed(cfg, [it.text for it in items], max(1, args.passes))
    print(f"Speed (Detector.detect, {args.passes} passes x {len(items)} messages): median {med:.1f} us/message, "
          f"p95 {p95:.1f} us, mean {mean:.1f} us; {rate:,.0f} messages/s")

    if args.misses:
        print("\nMisses (expected -> got; signals as stored)")
        for lang in sorted(by_lang):
            wrong = [(items[i], got[i]) for i in by_lang[lang] if what_missed(items[i], got[i])]
            wrong.sort(key=lambda ig: (ig[0].intent == ig[1].intent, ig[0].line))
            print(f"\n[{lang}] {len(wrong)} of {len(by_lang[lang])} messages have a miss"
                  f"{f', first {args.misses}' if len(wrong) > args.misses else ''}")
            for it, g in wrong[:args.misses]:
                print(f"  {lang}.jsonl:{it.line}  {show(it.text)!r}")
                print(f"      {'; '.join(what_missed(it, g))}   [{g.signals or 'no signal'}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
