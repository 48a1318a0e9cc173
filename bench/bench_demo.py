"""How fast is the demo generator, next to the raw engine?

    python bench/bench_demo.py [--bookings 1000000] [--seed 1]

Fills a fresh store with `fill_demo`, then, for scale, times the engine's
floor in the same run: one `CREATE TABLE ... AS SELECT ... FROM range(N)` of
as many rows as bookings, with a booking's width (21 columns drawn with
hash), written to a store file of its own. Prints a markdown table, with the
salon it made (staff, days spanned, bookings per employee and working day,
overbooked share). Target: a million bookings in at most 60 s; exit code 1
when it is missed (as bench_delete.py does).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

from bookings.demo import fill_demo
from bookings.store import open_store

TARGET_S = 60.0  # for a million bookings, with a person waiting at `make run`
TARGET_BOOKINGS = 1_000_000

# The salon made: staff, span, bookings per employee and working day, overbooked share.
SHAPE_SQL = """
SELECT (SELECT count(*) FROM staff),
    (SELECT max(visit_at)::DATE - min(visit_at)::DATE FROM bookings),
    (SELECT avg(n) FROM (SELECT count(*) AS n FROM bookings GROUP BY staff_id, visit_at::DATE)),
    (SELECT count(*) FROM bookings a JOIN bookings b
       ON a.staff_id = b.staff_id AND a.id < b.id
      AND a.visit_at < b.visit_at + to_seconds(b.length_s)
      AND b.visit_at < a.visit_at + to_seconds(a.length_s)
     WHERE NOT a.deleted AND NOT b.deleted) / greatest(1, (SELECT count(*) FROM bookings))
"""

# A booking-wide row: ids, timestamps, numbers, text and money, each drawn per row.
FLOOR_SQL = """
CREATE TABLE floor AS
SELECT i + 1 AS id,
    TIMESTAMP '2025-06-01' - to_seconds((hash(i, 1) % 94608000)::BIGINT) AS visit_at,
    (900 * (1 + hash(i, 2) % 12))::INTEGER AS length_s,
    (1 + hash(i, 3) % 12)::INTEGER AS staff_id,
    (1 + hash(i, 4) % 60000)::BIGINT AS client_id,
    ((hash(i, 5) % 4)::TINYINT - 1)::TINYINT AS attendance,
    hash(i, 6) % 2 = 0 AS online,
    ['admin', 'online widget', 'mobile app', 'social link', 'api'][(1 + hash(i, 7) % 5)::BIGINT]
        AS source,
    visit_at - to_seconds((hash(i, 8) % 864000)::BIGINT) AS created_at,
    CASE WHEN online THEN NULL ELSE (1 + hash(i, 9) % 4)::INTEGER END AS created_by,
    created_at + to_seconds((hash(i, 10) % 3600)::BIGINT) AS last_change_at,
    (hash(i, 11) % 250)::DECIMAL(12, 2) AS to_pay,
    (hash(i, 12) % 250)::DECIMAL(12, 2) AS paid,
    (hash(i, 13) % 4)::SMALLINT AS service_count,
    CASE WHEN hash(i, 14) % 20 = 0 THEN 'Prefers a quiet session' ELSE '' END AS comment,
    hash(i, 15) % 12 = 0 AS deleted,
    CASE WHEN deleted THEN last_change_at END AS deleted_at,
    CASE WHEN deleted THEN 2 END AS deleted_by,
    CASE WHEN deleted THEN 'demo-1-delete-' || (i + 1) END AS delete_operation,
    NULL::INTEGER AS import_batch_id,
    1 AS version
FROM range(?) r(i)
"""


def time_fill_demo(path: Path, bookings: int, seed: int) -> tuple[float, dict, tuple]:
    con = open_store(path)
    try:
        result = fill_demo(con, bookings, seed, today=date.today())
        tables = ("bookings", "booking_services", "booking_category_links",
                  "booking_history", "clients")
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
        return result.seconds, counts, con.execute(SHAPE_SQL).fetchone()
    finally:
        con.close()


def time_engine_floor(path: Path, rows: int) -> float:
    con = duckdb.connect(str(path))
    try:
        started = time.perf_counter()
        con.execute("BEGIN TRANSACTION")
        con.execute(FLOOR_SQL, [rows])
        con.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    # run_all.py passes the same BENCH_ARGS to every benchmark: ignore the others'.
    args, _ = parser.parse_known_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        demo_s, counts, shape = time_fill_demo(Path(tmp) / "demo.duckdb", args.bookings,
                                               args.seed)
        floor_s = time_engine_floor(Path(tmp) / "floor.duckdb", args.bookings)

    other = ", ".join(f"{n:,} {t}" for t, n in counts.items() if t != "bookings")
    print("| what | rows | seconds |")
    print("| --- | ---: | ---: |")
    print(f"| `fill_demo` (all tables, users included; also {other}) "
          f"| {counts['bookings']:,} bookings | {demo_s:.2f} |")
    print(f"| engine floor: `CREATE TABLE AS SELECT` 21 columns `FROM range(N)` "
          f"| {args.bookings:,} rows | {floor_s:.2f} |")
    ratio = demo_s / floor_s if floor_s else float("inf")
    print(f"| ratio `fill_demo` / floor | | {ratio:.1f}x |")
    staff, days, per_day, overbooked = shape
    print(f"\nThe salon: {staff:,} employees, {days:,} days from the first visit to the last, "
          f"{per_day:.1f} bookings per employee and working day, "
          f"{overbooked:.2%} of bookings booked over another.")
    if args.bookings != TARGET_BOOKINGS:
        return 0
    met = demo_s <= TARGET_S
    print(f"\nTarget: {TARGET_BOOKINGS:,} bookings in at most {TARGET_S:.0f} s: "
          f"{'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
