"""How fast is the Bookings page's list, next to hand-written SQL?

    python bench/bench_list.py [--sizes 1000000,5000000] [--repeat 15] [--keep-dir DIR]

For each size, fills a demo store with `fill_demo(con, size, seed=1)` (or
reuses `DIR/demo-<size>-seed1.duckdb` when `--keep-dir` already holds one
with that many bookings), then, for five typical filter sets, times what the
page runs for a filter -- `listing.count` + `listing.page` (100 rows, newest
visit first) + `listing.summary` -- next to hand-written DuckDB SQL giving the
same answers, on the same connection in the same run. The hand-written
answers are checked against the product's (count, page ids in order, summary
totals and facet counts) before anything is timed. Prints a markdown table
per size; progress goes to stderr. Targets, at 5M bookings: the page's
queries together at most 300 ms median and at most 1.5x the hand-written
SQL; exit code 1 when a target is missed (as bench_delete.py does).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
from demo_stores import reference_day

from bookings import listing
from bookings.demo import fill_demo
from bookings.filters import BookingFilter
from bookings.model import SYSTEM
from bookings.store import Connection, open_store

SEED = 1
PAGE_ROWS = 100
TARGET_SIZE = 5_000_000
TARGET_MS = 300.0
TARGET_RATIO = 1.5
STAFF_ID = 3  # an employee active all three years of the demo
SERVICE_CATEGORY_ID = 2  # Colour
PHONE_DIGITS = "4477"  # mostly UK mobiles 4477x..., a few others; checked to match below


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the store ------------------------------------------------------------------


def demo_store(size: int, keep_dir: Path | None, tmp: Path) -> Path:
    """A store file with `size` demo bookings: reused from keep_dir, or filled now."""
    folder = keep_dir or tmp
    path = folder / f"demo-{size}-seed{SEED}.duckdb"
    if path.exists():
        con = open_store(path)  # a store kept by an older version: migrated first
        try:
            held = con.execute("SELECT count(*) FROM bookings").fetchone()[0]
        finally:
            con.close()
        if held == size:
            log(f"[{size:,}] reusing {path}")
            return path
        log(f"[{size:,}] {path} holds {held:,} bookings, not {size:,}: filling it anew")
        path.unlink()
        Path(f"{path}.wal").unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    log(f"[{size:,}] filling a demo store of {size:,} bookings in {path} ...")
    con = open_store(path)
    try:
        con.execute("SET enable_progress_bar = false")
        result = fill_demo(con, size, seed=SEED,
                           progress=lambda done, what: log(f"[{size:,}]   {done:4.0%} {what}"))
    finally:
        con.close()
    log(f"[{size:,}] filled in {result.seconds:.1f} s")
    return path


# --- the filter sets, each with its WHERE written out by hand ----------------------


@dataclass
class FilterSet:
    name: str
    product: BookingFilter
    hand_where: str  # over `bookings b`, literals spelled out: no filters.py involved


def month_before(day: date, months: int) -> tuple[date, date]:
    """The first and last day of the calendar month `months` before day's month."""
    index = day.year * 12 + day.month - 1 - months
    first = date(index // 12, index % 12 + 1, 1)
    last = date((index + 1) // 12, (index + 1) % 12 + 1, 1) - timedelta(days=1)
    return first, last


def filter_sets(today: date) -> list[FilterSet]:
    m_first, m_last = month_before(today, 6)
    y_first, y_last = today - timedelta(days=365), today - timedelta(days=1)

    def ts(day: date) -> str:
        return f"TIMESTAMP '{day.isoformat()} 00:00:00'"

    return [
        FilterSet(
            f"employee #{STAFF_ID}, visits {m_first:%b %Y}",
            BookingFilter(visit_from=m_first, visit_to=m_last, staff=(STAFF_ID,)),
            f"b.staff_id = {STAFF_ID} AND b.visit_at >= {ts(m_first)} "
            f"AND b.visit_at < {ts(m_last + timedelta(days=1))}",
        ),
        FilterSet(
            "online, unpaid",
            BookingFilter(source="online", payment="unpaid"),
            "b.online AND b.to_pay > 0 AND b.paid < b.to_pay",
        ),
        FilterSet(
            f"client phone contains {PHONE_DIGITS}",
            BookingFilter(client=PHONE_DIGITS),
            f"b.client_id IN (SELECT id FROM clients WHERE phone LIKE '%{PHONE_DIGITS}%')",
        ),
        FilterSet(
            f"service category #{SERVICE_CATEGORY_ID}, visits of the past year",
            BookingFilter(service_category=(SERVICE_CATEGORY_ID,),
                          visit_from=y_first, visit_to=y_last),
            f"b.visit_at >= {ts(y_first)} AND b.visit_at < {ts(y_last + timedelta(days=1))} "
            f"AND EXISTS (SELECT 1 FROM booking_services s WHERE s.booking_id = b.id "
            f"AND s.category_id = {SERVICE_CATEGORY_ID})",
        ),
        FilterSet("everything", BookingFilter(), "TRUE"),
    ]


# --- the hand-written SQL ----------------------------------------------------------


def hand_count(con: Connection, where: str) -> int:
    return con.execute(f"SELECT count(*) FROM bookings b WHERE {where}").fetchone()[0]


def hand_page(con: Connection, where: str) -> list[tuple]:
    return con.execute(f"""
        WITH p AS MATERIALIZED (
            SELECT * FROM bookings b WHERE {where}
            ORDER BY b.visit_at DESC, b.id DESC LIMIT {PAGE_ROWS}
        ),
        sv AS (
            SELECT bs.booking_id,
                   list({{'id': bs.service_id, 'title': bs.title, 'cost': bs.cost,
                          'discount': bs.discount, 'to_pay': bs.to_pay}}
                        ORDER BY bs.line_no) AS services
            FROM booking_services bs SEMI JOIN p ON p.id = bs.booking_id
            GROUP BY bs.booking_id
        ),
        lb AS (
            SELECT l.booking_id,
                   list({{'id': bc.id, 'title': bc.title, 'color': bc.color}}
                        ORDER BY bc.id) AS categories
            FROM booking_category_links l
            SEMI JOIN p ON p.id = l.booking_id
            JOIN booking_categories bc ON bc.id = l.category_id
            GROUP BY l.booking_id
        )
        SELECT p.id, p.visit_at, p.length_s, p.staff_id, s.name AS staff_name,
               c.name AS client_name, c.phone AS client_phone, p.attendance, p.online,
               p.source, p.created_at, cr.login AS created_by,
               coalesce(sv.services, []) AS services, p.to_pay AS total_to_pay, p.paid,
               p.to_pay > 0 AND p.paid >= p.to_pay AS paid_full,
               coalesce(lb.categories, []) AS categories, p.comment, p.deleted,
               p.deleted_at, dl.login AS deleted_by, p.last_change_at, p.version
        FROM p
        LEFT JOIN staff s ON s.id = p.staff_id
        LEFT JOIN clients c ON c.id = p.client_id
        LEFT JOIN users cr ON cr.id = p.created_by
        LEFT JOIN users dl ON dl.id = p.deleted_by
        LEFT JOIN sv ON sv.booking_id = p.id
        LEFT JOIN lb ON lb.booking_id = p.id
        ORDER BY p.visit_at DESC, p.id DESC
    """).fetchall()


def hand_summary(con: Connection, where: str) -> list[tuple]:
    """(facet, key, bookings, to_pay, paid, payable, paid_full); facet 'total' for the totals."""
    return con.execute(f"""
        WITH f AS MATERIALIZED (
            SELECT b.source, b.attendance, b.staff_id, b.to_pay, b.paid, b.deleted,
                   CASE WHEN b.to_pay <= 0 THEN 'nothing to pay'
                        WHEN b.paid >= b.to_pay THEN 'paid in full'
                        ELSE 'not paid in full' END AS payment
            FROM bookings b WHERE {where}
        )
        SELECT 'total' AS facet, NULL AS key, count(*),
               coalesce(sum(to_pay) FILTER (WHERE NOT deleted), 0),
               coalesce(sum(paid) FILTER (WHERE NOT deleted), 0),
               count(*) FILTER (WHERE NOT deleted AND to_pay > 0),
               count(*) FILTER (WHERE NOT deleted AND to_pay > 0 AND paid >= to_pay)
        FROM f
        UNION ALL
        SELECT 'source', source, count(*), NULL, NULL, NULL, NULL FROM f GROUP BY source
        UNION ALL
        SELECT 'payment', payment, count(*), NULL, NULL, NULL, NULL FROM f GROUP BY payment
        UNION ALL
        SELECT 'status', attendance::VARCHAR, count(*), NULL, NULL, NULL, NULL
        FROM f GROUP BY attendance
        UNION ALL
        SELECT 'staff', staff_id::VARCHAR, count(*), NULL, NULL, NULL, NULL
        FROM f GROUP BY staff_id
    """).fetchall()


# --- the same answers --------------------------------------------------------------


def check_same_answers(con: Connection, fset: FilterSet, today: date) -> int:
    """Check that the hand-written SQL answers as the product does; the rows matched."""
    total = listing.count(con, SYSTEM, fset.product, today=today)
    expect(total > 0, f"{fset.name}: matches no booking, pick other values")
    expect(hand_count(con, fset.hand_where) == total, f"{fset.name}: counts differ")

    product_rows = listing.page(con, SYSTEM, fset.product, limit=PAGE_ROWS, today=today)
    hand_rows = hand_page(con, fset.hand_where)
    expect([r["id"] for r in product_rows] == [r[0] for r in hand_rows],
           f"{fset.name}: page ids differ")
    for mine, theirs in zip(hand_rows, product_rows, strict=True):
        expect((mine[4], mine[5], mine[6], mine[11]) == (
            theirs["staff_name"], theirs["client_name"], theirs["client_phone"],
            theirs["created_by"]), f"{fset.name}: booking {mine[0]}'s names differ")
        expect([s["id"] for s in mine[12]] == [s["id"] for s in theirs["services"]]
               and [c["id"] for c in mine[16]] == [c["id"] for c in theirs["categories"]],
               f"{fset.name}: booking {mine[0]}'s services or categories differ")

    product = listing.summary(con, SYSTEM, fset.product, today=today)
    hand = hand_summary(con, fset.hand_where)
    (totals,) = [row for row in hand if row[0] == "total"]
    _, _, n, to_pay, paid, payable, full = totals
    expect(n == product["total"] == total, f"{fset.name}: summary totals differ")
    expect(money(to_pay) == product["to_pay"] and money(paid) == product["paid"]
           and (round(full / payable, 4) if payable else None) == product["paid_full_share"],
           f"{fset.name}: summary money differs")
    hand_facets = {(facet, key): count for facet, key, count, *_ in hand if facet != "total"}
    product_facets = {}
    for facet, entries in product["facets"].items():
        for e in entries:
            key = {"staff": e.get("id"), "status": e.get("code")}.get(facet, e["value"])
            product_facets[(facet, str(key))] = e["count"]
    expect(hand_facets == product_facets, f"{fset.name}: facet counts differ")
    return total


def expect(holds: bool, message: str) -> None:
    """Like assert, but not skipped under python -O: a wrong comparison is no benchmark."""
    if not holds:
        raise AssertionError(message)


def money(value: Decimal | int) -> int | float:
    value = float(value)
    return int(value) if value.is_integer() else value


# --- timing ------------------------------------------------------------------------


Parts = dict[str, Callable[[], object]]


def median_ms(sides: dict[str, Parts], repeat: int) -> dict[str, dict[str, float]]:
    """Median ms of each side's parts and of their sum per run, after one warm-up run.

    The sides take turns within every run, so a busy machine slows both alike.
    """
    for parts in sides.values():
        for run in parts.values():
            run()
    times = {side: {name: [] for name in [*parts, "total"]} for side, parts in sides.items()}
    for _ in range(repeat):
        for side, parts in sides.items():
            total = 0.0
            for name, run in parts.items():
                started = time.perf_counter()
                run()
                elapsed = (time.perf_counter() - started) * 1000
                times[side][name].append(elapsed)
                total += elapsed
            times[side]["total"].append(total)
    return {side: {name: statistics.median(values) for name, values in parts.items()}
            for side, parts in times.items()}


def bench_size(path: Path, size: int, repeat: int) -> tuple[str, list[dict]]:
    con = open_store(path, read_only=True)
    try:
        con.execute("SET enable_progress_bar = false")
        today = reference_day(con)
        threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
        log(f"[{size:,}] today = {today} (the demo's reference), DuckDB threads = {threads}")
        setting = f"today = {today}, DuckDB {duckdb.__version__}, {threads} threads"
        results = []
        for fset in filter_sets(today):
            log(f"[{size:,}] {fset.name}: checking answers, timing {repeat} runs each ...")
            matched = check_same_answers(con, fset, today)
            f, where = fset.product, fset.hand_where
            medians = median_ms({
                "product": {
                    "count": lambda f=f: listing.count(con, SYSTEM, f, today=today),
                    "page": lambda f=f: listing.page(con, SYSTEM, f, limit=PAGE_ROWS,
                                                     today=today),
                    "summary": lambda f=f: listing.summary(con, SYSTEM, f, today=today),
                },
                "hand": {
                    "count": lambda w=where: hand_count(con, w),
                    "page": lambda w=where: hand_page(con, w),
                    "summary": lambda w=where: hand_summary(con, w),
                },
            }, repeat)
            results.append({"name": fset.name, "matched": matched, **medians})
        return setting, results
    finally:
        con.close()


# --- the table ---------------------------------------------------------------------


def verdict(size: int, product_ms: float, ratio: float) -> str:
    misses = []
    if product_ms > TARGET_MS:
        misses.append(f"> {TARGET_MS:.0f} ms")
    if ratio > TARGET_RATIO:
        misses.append(f"> {TARGET_RATIO}x")
    if size < TARGET_SIZE:
        here = f"; here {', '.join(misses)}" if misses else ""
        return f"(targets apply at 5M{here})"
    return "met" if not misses else "**missed**: " + ", ".join(misses)


def print_table(size: int, setting: str, results: list[dict], repeat: int) -> bool:
    print(f"\n### {size:,} bookings (ms, median of {repeat} runs; {setting})\n")
    print("| filter set | rows matched | product count | page | summary | **product total** "
          "| hand SQL count | page | summary | **hand SQL total** | ratio | target |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    met = True
    for r in results:
        p, h = r["product"], r["hand"]
        ratio = p["total"] / h["total"] if h["total"] else float("inf")
        status = verdict(size, p["total"], ratio)
        met = met and not status.startswith("**missed")
        print(f"| {r['name']} | {r['matched']:,} "
              f"| {p['count']:.1f} | {p['page']:.1f} | {p['summary']:.1f} | **{p['total']:.1f}** "
              f"| {h['count']:.1f} | {h['page']:.1f} | {h['summary']:.1f} | **{h['total']:.1f}** "
              f"| {ratio:.2f}x | {status} |")
    return met


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,5000000",
                        help="comma-separated booking counts")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--keep-dir", type=Path,
                        help="keep the demo stores here and reuse them on the next run")
    # run_all.py passes the same BENCH_ARGS to every benchmark: ignore the others'.
    args, _ = parser.parse_known_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    if args.repeat < 1 or not sizes or min(sizes) < 1:
        parser.error("--repeat and every size must be 1 or more")

    print(f"What the Bookings page runs for a filter: `listing.count` + `listing.page` "
          f"({PAGE_ROWS} rows, newest visit first) + `listing.summary`, user SYSTEM (sees "
          f"everything), next to hand-written DuckDB SQL giving the same answers (checked: "
          f"count, page ids in order, summary totals and facets), same connection, same run.")
    print(f"\nTargets at {TARGET_SIZE:,} bookings: the page's queries together at most "
          f"{TARGET_MS:.0f} ms median, and at most {TARGET_RATIO}x the hand-written SQL.")
    all_met = True
    with tempfile.TemporaryDirectory(prefix="bench-list-") as tmp:
        for size in sizes:
            path = demo_store(size, args.keep_dir, Path(tmp))
            setting, results = bench_size(path, size, args.repeat)
            all_met = print_table(size, setting, results, args.repeat) and all_met
            sys.stdout.flush()
            if args.keep_dir is None:
                path.unlink()
    if any(size >= TARGET_SIZE for size in sizes):
        print(f"\nTargets {'met' if all_met else 'missed'} (see the target column).")
    return 0 if all_met else 1


if __name__ == "__main__":
    sys.exit(main())
