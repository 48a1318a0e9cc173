"""How fast is the cross-tab (bookings/pivot.py), next to hand-written SQL?

    python bench/bench_pivot.py [--bookings 5000000] [--repeat 15] [--cache-dir DIR]

Builds a store of BOOKINGS demo bookings with the CLI (`bookings init`, then
`bookings demo --bookings N --seed 1`), kept for the next runs in
CACHE_DIR/bench_pivot_<N>_seed1/ (the temp folder by default). Then, on one
read-only connection, times `pivot.pivot` (user SYSTEM) next to hand-written
DuckDB SQL doing the same GROUP BY GROUPING SETS (cells, row totals, column
totals, the whole) with its literals spelled out, the two taking turns in every
run, for:

- source x payment, bookings, every booking;
- employee x month, to pay, every booking;
- employee x month, to pay, the last 90 days against the 90 before (--compare previous).

The hand-written answers are checked against the product's before anything is
timed. Prints a markdown table; progress goes to stderr. Targets at 5M bookings:
at most 300 ms median and at most 1.5x the hand SQL; with the comparison at most
2x. Exit code 1 when a target is missed at 5M.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
from demo_stores import bookings_held, reference_day

from bookings import pivot
from bookings.filters import BookingFilter
from bookings.model import SYSTEM
from bookings.store import Connection, open_store

PROJECT_DIR = Path(__file__).resolve().parent.parent
SEED = 1
TARGET_SIZE = 5_000_000
TARGET_MS = 300.0
TARGET_RATIO = 1.5
TARGET_COMPARE_RATIO = 2.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the store --------------------------------------------------------------------


def cli(db: Path, *args: str) -> None:
    env = dict(os.environ, BOOKINGS_DATA_DIR=str(db.parent))
    env.pop("BOOKINGS_DB", None)
    done = subprocess.run([sys.executable, "-m", "bookings.cli", "--db", str(db), *args],
                          cwd=PROJECT_DIR, env=env, stdout=subprocess.DEVNULL, check=False)
    if done.returncode != 0:
        raise SystemExit(f"`bookings {' '.join(args)}` exited {done.returncode}")


def cached_store(bookings: int, cache_dir: Path) -> Path:
    """The store of BOOKINGS demo bookings: reused from the cache, or built with the CLI."""
    folder = cache_dir / f"bench_pivot_{bookings}_seed{SEED}"
    db = folder / "bookings.duckdb"
    if db.exists():
        held = bookings_held(db)
        if held == bookings:
            log(f"reusing the store of {bookings:,} bookings in {folder}")
            open_store(db).close()  # a store kept by an older version: migrated first
            return db
        log(f"{db} holds {held} bookings, not {bookings:,}: building it anew")
        shutil.rmtree(folder)
    building = folder.with_name(f"{folder.name}.{os.getpid()}.part")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True, mode=0o700)
    log(f"building a store of {bookings:,} demo bookings in {folder} with `bookings demo` ...")
    started = time.perf_counter()
    try:
        cli(building / db.name, "init")
        cli(building / db.name, "demo", "--bookings", str(bookings), "--seed", str(SEED),
            "--json")
        building.rename(folder)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    log(f"  built in {time.perf_counter() - started:.1f} s (kept for the next runs)")
    return db


# --- the cases, each with its SQL written out by hand --------------------------------


# grouped by a small code, as the product does (grouping by the label text is slower)
PAYMENT = "CASE WHEN to_pay <= 0 THEN 0 WHEN paid >= to_pay THEN 1 ELSE 2 END"


def ts(day: date) -> str:
    return f"TIMESTAMP '{day.isoformat()} 00:00:00'"


@dataclass
class Case:
    name: str
    rows: str
    cols: str
    measure: str
    bfilter: BookingFilter
    compare: str | None
    hand_sql: str
    ratio_target: float


def cases(today: date) -> list[Case]:
    start, end = today - timedelta(days=90), today - timedelta(days=1)
    before = start - timedelta(days=90)
    return [
        Case("source x payment, bookings", "source", "payment", "bookings", BookingFilter(),
             None, f"""
             SELECT GROUPING_ID(online, payment) AS g, NULL AS p, online, payment,
                    count(*) AS value
             FROM (SELECT online, {PAYMENT} AS payment FROM bookings)
             GROUP BY GROUPING SETS ((online, payment), (online), (payment), ())""",
             TARGET_RATIO),
        Case("employee x month, to pay", "staff", "month", "to_pay", BookingFilter(), None,
             """
             SELECT GROUPING_ID(staff_id, month) AS g, NULL AS p, staff_id, month,
                    coalesce(sum(to_pay) FILTER (WHERE NOT deleted), 0) AS value
             FROM (SELECT staff_id, date_trunc('month', visit_at)::DATE AS month, to_pay,
                          deleted FROM bookings)
             GROUP BY GROUPING SETS ((staff_id, month), (staff_id), (month), ())""",
             TARGET_RATIO),
        Case(f"employee x month, to pay, {start:%d %b} - {end:%d %b %Y} against the 90 "
             "days before", "staff", "month", "to_pay",
             BookingFilter(visit_from=start, visit_to=end), "previous", f"""
             SELECT GROUPING_ID(staff_id, month) AS g, p, staff_id, month,
                    coalesce(sum(to_pay) FILTER (WHERE NOT deleted), 0) AS value
             FROM (SELECT staff_id, date_trunc('month', visit_at)::DATE AS month, to_pay,
                          deleted, visit_at >= {ts(start)} AS p
                   FROM bookings
                   WHERE visit_at >= {ts(before)} AND visit_at < {ts(end + timedelta(days=1))})
             GROUP BY GROUPING SETS ((p, staff_id, month), (p, staff_id), (p, month), (p))""",
             TARGET_COMPARE_RATIO),
    ]


def run_product(con: Connection, case: Case, today: date) -> pivot.CrossTab:
    return pivot.pivot(con, SYSTEM, case.bfilter, case.rows, case.cols, case.measure,
                       compare=case.compare, today=today)


def run_hand(con: Connection, case: Case) -> list[tuple]:
    return con.execute(case.hand_sql).fetchall()


# --- the same answers --------------------------------------------------------------


def expect(holds: bool, message: str) -> None:
    """Like assert, but not skipped under python -O: a wrong comparison is no benchmark."""
    if not holds:
        raise AssertionError(message)


def as_number(value) -> float:
    return float(value) if isinstance(value, Decimal | int | float) else value


def check_same_answers(con: Connection, case: Case, today: date) -> int:
    """Check the hand-written SQL's numbers against the product's; the cells compared."""
    tab = run_product(con, case, today)
    hand = run_hand(con, case)
    product: dict = {}
    sides = [(True, tab.to_json())]
    if case.compare:
        sides = [(True, {k: _side(v, "value") for k, v in tab.to_json().items()}),
                 (False, {k: _side(v, "before") for k, v in tab.to_json().items()})]
    for p, doc in sides:
        for i, rk in enumerate(tab.row_keys):
            for j, ck in enumerate(tab.col_keys):
                product[(p, 0, rk, ck)] = doc["cells"][i][j]
            product[(p, 1, rk, None)] = doc["row_totals"][i]
        for j, ck in enumerate(tab.col_keys):
            product[(p, 2, None, ck)] = doc["col_totals"][j]
        product[(p, 3, None, None)] = doc["total"]
    labels = {"source": {True: "online", False: "offline"}}
    compared = 0
    for g, p, rk, ck, value in hand:
        p = True if p is None else bool(p)
        if not p and case.rows == "staff" and case.cols == "month":
            continue  # the earlier period's months sit under this period's: checked by total
        got = product.get((p, g, rk, ck), 0)
        expect(abs(as_number(got) - as_number(value)) < 1e-6,
               f"{case.name}: {labels.get(case.rows, {}).get(rk, rk)}/{ck} (grouping {g}): "
               f"product {got}, hand {value}")
        compared += 1
    if case.compare:
        (before_total,) = [v for g, p, _, _, v in hand if g == 3 and not p]
        expect(abs(as_number(product[(False, 3, None, None)]) - as_number(before_total)) < 1e-6,
               f"{case.name}: the earlier period's totals differ")
    return compared


def _side(value, key):
    if isinstance(value, dict):
        return value[key]
    if isinstance(value, list):
        return [_side(v, key) for v in value]
    return value


# --- timing ------------------------------------------------------------------------


def median_ms(sides: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median ms of each side after one warm-up; the sides take turns within every run."""
    for run in sides.values():
        run()
    times: dict[str, list[float]] = {side: [] for side in sides}
    for _ in range(repeat):
        for side, run in sides.items():
            started = time.perf_counter()
            run()
            times[side].append((time.perf_counter() - started) * 1000)
    return {side: statistics.median(values) for side, values in times.items()}


def verdict(size: int, product_ms: float, ratio: float, ratio_target: float) -> str:
    misses = []
    if product_ms > TARGET_MS:
        misses.append(f"> {TARGET_MS:.0f} ms")
    if ratio > ratio_target:
        misses.append(f"> {ratio_target}x")
    if size < TARGET_SIZE:
        here = f"; here {', '.join(misses)}" if misses else ""
        return f"(targets apply at 5M{here})"
    return "met" if not misses else "**missed**: " + ", ".join(misses)


# The six headline numbers of the Analysis page, written out by hand.
HAND_TOTALS = """
    SELECT count(*), count(*) FILTER (WHERE NOT deleted),
           count(*) FILTER (WHERE attendance = -1),
           sum(to_pay) FILTER (WHERE NOT deleted), sum(paid) FILTER (WHERE NOT deleted),
           sum(greatest(to_pay - paid, 0)) FILTER (WHERE NOT deleted)
    FROM bookings"""


def page_click(con: Connection, today: date, repeat: int) -> None:
    """What one click on the Analysis page asks the store: the six measures on top
    (`pivot.totals`) and the cross-tab, next to the same two queries by hand."""
    case = cases(today)[0]
    n, live, no_show, to_pay, paid, unpaid = con.execute(HAND_TOTALS).fetchone()
    now, _ = pivot.totals(con, SYSTEM, BookingFilter(), today=today)
    expect((now["bookings"], float(now["to_pay"]), float(now["unpaid"])) == (
        n, float(to_pay), float(unpaid)), "the headline numbers differ from the hand SQL's")

    def product():
        pivot.totals(con, SYSTEM, BookingFilter(), today=today)
        run_product(con, case, today)

    def hand():
        con.execute(HAND_TOTALS).fetchall()
        run_hand(con, case)

    log(f"the Analysis page's click: timing {repeat} runs each ...")
    medians = median_ms({"product": product, "hand": hand}, repeat)
    print(f"\nOne click on the Analysis page (the six measures on top and the {case.name} "
          f"cross-tab, every booking): {medians['product']:.1f} ms, hand SQL "
          f"{medians['hand']:.1f} ms ({medians['product'] / medians['hand']:.2f}x).")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=TARGET_SIZE)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()))
    # run_all.py passes the same BENCH_ARGS to every benchmark: ignore the others'.
    args, _ = parser.parse_known_args(argv)
    if args.repeat < 1 or args.bookings < 1:
        parser.error("--repeat and --bookings must be 1 or more")
    db = cached_store(args.bookings, args.cache_dir)
    con = open_store(db, read_only=True)
    try:
        con.execute("SET enable_progress_bar = false")
        today = reference_day(con)
        threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
        print(f"`pivot.pivot` (user SYSTEM: every booking) next to hand-written DuckDB SQL "
              f"doing the same GROUP BY GROUPING SETS (checked: every cell and total), same "
              f"connection, same run.\n\n### {args.bookings:,} bookings (ms, median of "
              f"{args.repeat} runs; today = {today}, DuckDB {duckdb.__version__}, "
              f"{threads} threads)\n")
        print("| cross-tab | cells checked | product ms | hand SQL ms | ratio | target |")
        print("| --- | ---: | ---: | ---: | ---: | --- |")
        met = True
        for case in cases(today):
            log(f"{case.name}: checking answers, timing {args.repeat} runs each ...")
            checked = check_same_answers(con, case, today)
            medians = median_ms({"product": lambda c=case: run_product(con, c, today),
                                 "hand": lambda c=case: run_hand(con, c)}, args.repeat)
            ratio = medians["product"] / medians["hand"]
            status = verdict(args.bookings, medians["product"], ratio, case.ratio_target)
            met = met and not status.startswith("**missed")
            print(f"| {case.name} | {checked:,} | {medians['product']:.1f} "
                  f"| {medians['hand']:.1f} | {ratio:.2f}x | {status} |", flush=True)
        page_click(con, today, args.repeat)
    finally:
        con.close()
    if args.bookings >= TARGET_SIZE:
        print(f"\nTargets {'met' if met else 'missed'} (see the target column).")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
