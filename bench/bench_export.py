"""How fast and how lean is an export, next to writing the same rows straight?

    python bench/bench_export.py [--sizes 100000,1000000] [--formats xlsx,csv]

Builds a demo store per size, then exports every booking (the owner, no
filter) with `jobs.export_now`: the request, the Data log entry, the list's
query streamed with fetchmany into the writer (xlsx: xlsxwriter constant_memory,
typed cells, a cover sheet; csv: quote-prefixed text), the rename, the file's
sha256. For scale, in the same run: the floor, the same query's rows fetched
the same way and written straight with the same writer (`write_row` into an
identical constant_memory workbook; `csv.writer.writerows` of the raw rows).

Each export runs in a fresh child process, so its peak memory is its own:
the peak resident set size of that process (`VmHWM` in /proc/self/status;
it imported everything and opened the store first), next to its resident size
just before the export started (`VmRSS`). DuckDB's buffers count: they live in
the process. Targets: time at most 1.3x the floor, peak at most 400 MB.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from procmem import peak_mb, rss_mb

RATIO_TARGET = 1.3
PEAK_TARGET_MB = 400


# --- in the child ------------------------------------------------------------------


def product(con, fmt: str, out: Path) -> int:
    from bookings import auth
    from bookings.exports import jobs
    from bookings.filters import BookingFilter

    outcome = jobs.export_now(con, auth.get_user(con, "owner"), BookingFilter(), fmt)
    assert outcome.state == "ready", outcome.error
    return outcome.rows


def floor(con, fmt: str, out: Path) -> int:
    """The same rows, the same way out of DuckDB, into the same writer, without the product."""
    import xlsxwriter

    from bookings import listing
    from bookings.exports import jobs
    from bookings.exports.files import HEADER, table_sql
    from bookings.model import SYSTEM

    where, params = listing.scoped_where(SYSTEM, jobs.BookingFilter())
    order = listing.order_by()
    cursor = con.cursor()
    cursor.execute(table_sql(listing.rows_sql(SYSTEM, where, order), order), [*params, None, 0])
    rows = 0
    if fmt == "xlsx":
        book = xlsxwriter.Workbook(str(out / "floor.xlsx"), {
            "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False})
        sheet = book.add_worksheet("Bookings")
        sheet.write_row(0, 0, HEADER)
        while batch := cursor.fetchmany(jobs.BATCH_ROWS):
            for row in batch:
                rows += 1
                sheet.write_row(rows, 0, row)
        book.close()
    else:
        with open(out / "floor.csv", "w", newline="", encoding="utf-8-sig") as f:
            writer = csv.writer(f)
            writer.writerow(HEADER)
            while batch := cursor.fetchmany(jobs.BATCH_ROWS):
                writer.writerows(batch)
                rows += len(batch)
    cursor.close()
    return rows


def child(args) -> int:
    from bookings.store import open_store

    con = open_store(args.db)
    before = rss_mb()
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        rows = {"product": product, "floor": floor}[args.child](con, args.format, Path(out))
        seconds = time.perf_counter() - start
    con.close()
    print(json.dumps({"rows": rows, "seconds": seconds, "rss_before_mb": before,
                      "peak_mb": peak_mb()}))
    return 0


# --- in the parent -----------------------------------------------------------------


def build(path: Path, bookings: int) -> None:
    from bookings.demo import fill_demo
    from bookings.store import open_store

    con = open_store(path)
    fill_demo(con, bookings, seed=1)
    con.close()


def measure(db: Path, which: str, fmt: str) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", which, "--db", str(db),
                           "--format", fmt], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{which} {fmt} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--formats", default="xlsx,csv")
    parser.add_argument("--child", choices=["product", "floor"], help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--format", help=argparse.SUPPRESS)
    args, _ = parser.parse_known_args()
    if args.child:
        return child(args)

    lines = ["| bookings | format | export s | floor s | ratio | export peak MB (before) | "
             "floor peak MB (before) | targets |", "|---:|---|---:|---:|---:|---:|---:|---|"]
    met = True
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "bench.duckdb"
            print(f"building a demo store of {size:,} bookings ...", file=sys.stderr)
            build(db, size)
            for fmt in args.formats.split(","):
                base = measure(db, "floor", fmt)
                ours = measure(db, "product", fmt)
                assert ours["rows"] == base["rows"] == size, (ours, base)
                ratio = ours["seconds"] / base["seconds"]
                ok = ratio <= RATIO_TARGET and ours["peak_mb"] <= PEAK_TARGET_MB
                met &= ok
                print(f"  {size:,} {fmt}: export {ours['seconds']:.1f} s, floor "
                      f"{base['seconds']:.1f} s, peak {ours['peak_mb']:.0f} MB", file=sys.stderr)
                lines.append(
                    f"| {size:,} | {fmt} | {ours['seconds']:.1f} | {base['seconds']:.1f} | "
                    f"{ratio:.2f}x | {ours['peak_mb']:.0f} ({ours['rss_before_mb']:.0f}) | "
                    f"{base['peak_mb']:.0f} ({base['rss_before_mb']:.0f}) | "
                    f"<= {RATIO_TARGET}x, <= {PEAK_TARGET_MB} MB: {'met' if ok else 'MISSED'} |")
    print("\n".join(lines))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
