"""Import and export speed: 100k customers from mixed regions, through CSV.

    python -m bench.io                 # 100k rows, 3 runs
    python -m bench.io --size 10000

Export writes the synthetic book to CSV; import reads that file into an empty
book (phone validation included), then again into the filled book (every
row already there: the "import twice changes nothing" path), then a copy with
every name changed (every row an update).
"""

from __future__ import annotations

import argparse
import csv
import statistics
import tempfile
import time
from pathlib import Path

from bench.run import sized_book
from wtui.book.book import Book
from wtui.io.csv_import import import_file
from wtui.io.export import write_csv


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    args, cfg, source = sized_book(ap)
    exports, fresh, again, changed = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "customers.csv"
        with Book.open(source, cfg) as book:
            ids = [r[0] for r in book.conn.execute("SELECT id FROM customers")]
            tags = [(t["name"], t["dimension"]) for t in book.tags()]
            for _ in range(args.runs):
                t = time.perf_counter()
                write_csv(book, ids, csv_path)
                exports.append(time.perf_counter() - t)
        renamed = Path(tmp) / "renamed.csv"
        with (open(csv_path, newline="", encoding="utf-8-sig") as src,
              open(renamed, "w", newline="", encoding="utf-8") as dst):
            rows = csv.reader(src)
            header = next(rows)
            at = header.index("name")
            out = csv.writer(dst)
            out.writerow(header)
            out.writerows(r[:at] + [r[at] + " Jr"] + r[at + 1:] for r in rows)
        for i in range(args.runs):
            target = Path(tmp) / f"import{i}.db"
            with Book.create(target, cfg, actor="bench") as book:
                book.set_admins(["bench"])
                for name, dim in tags:
                    book.create_tag(name, dim)
                t = time.perf_counter()
                _, report = import_file(book, csv_path)
                fresh.append(time.perf_counter() - t)
                assert report.new == len(ids), report.lines()
                t = time.perf_counter()
                _, report = import_file(book, csv_path)
                again.append(time.perf_counter() - t)
                assert report.skipped == len(ids), report.lines()
                t = time.perf_counter()
                _, report = import_file(book, renamed)
                changed.append(time.perf_counter() - t)
                assert report.updated == len(ids), report.lines()
            target.unlink()
    n = len(ids)
    print(f"{'measure':<44} median ({args.runs} runs)")
    for label, took in (("export " + f"{n:,}" + " rows to CSV", exports),
                        ("import into an empty book (all new)", fresh),
                        ("import again (all already there)", again)):
        print(f"{label:<44} {statistics.median(took):.2f} s ({n / statistics.median(took):,.0f} rows/s)")
    print(f"{'import with every name changed (all updated)':<44} {statistics.median(changed):.2f} s "
          f"({n / statistics.median(changed):,.0f} rows/s)")


if __name__ == "__main__":
    main()
