"""How fast is a bulk deletion, next to the raw engine?

    python bench/bench_delete.py [--bookings 5000000] [--selected 10000] [--repeat 5]

Builds a demo store, then deletes SELECTED bookings spread over the whole
store with `deletion.delete_bookings` (rights checked one by one, history
snapshots, a Data log entry, one transaction), several times on fresh
selections. For scale, in the same run: the raw engine's floor, a bare
`UPDATE bookings SET deleted = TRUE ... WHERE id IN (...)` of as many other
bookings. Target: at most 1 s for 10,000 in a 5M store.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bookings import auth, deletion
from bookings.demo import fill_demo
from bookings.model import Right
from bookings.store import open_store

TARGET_S = 1.0


def selections(con, size: int, count: int) -> list[list[int]]:
    """COUNT disjoint sets of SIZE live bookings, spread over the store."""
    ids = [i for (i,) in con.execute(
        "SELECT id FROM bookings WHERE NOT deleted ORDER BY hash(id) LIMIT ?",
        [size * count]).fetchall()]
    return [sorted(ids[k * size:(k + 1) * size]) for k in range(count)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=5_000_000)
    parser.add_argument("--selected", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args, _ = parser.parse_known_args()

    with tempfile.TemporaryDirectory() as tmp:
        con = open_store(Path(tmp) / "bench.duckdb")
        print(f"building a demo store of {args.bookings:,} bookings ...", file=sys.stderr)
        fill_demo(con, args.bookings, seed=1)
        owner = auth.get_user(con, "owner")
        assert owner is not None and owner.can(Right.DELETE_PAID)
        sets = selections(con, args.selected, 2 * args.repeat)

        product, floor = [], []
        for k in range(args.repeat):
            start = time.perf_counter()
            result = deletion.delete_bookings(con, owner, sets[2 * k])
            product.append(time.perf_counter() - start)
            assert len(result.deleted) == args.selected, result.summary()

            start = time.perf_counter()
            con.execute("UPDATE bookings SET deleted = TRUE, deleted_at = now(), deleted_by = ? "
                        "WHERE id IN (SELECT unnest(?::BIGINT[]))", [owner.id, sets[2 * k + 1]])
            floor.append(time.perf_counter() - start)
            print(f"  run {k + 1}: product {product[-1]:.3f} s, raw UPDATE {floor[-1]:.3f} s",
                  file=sys.stderr)
        con.close()

    median, raw = statistics.median(product), statistics.median(floor)
    print(f"| bookings | selected | delete_bookings median s | raw UPDATE median s | ratio | "
          f"target |\n|---:|---:|---:|---:|---:|---|\n| {args.bookings:,} | "
          f"{args.selected:,} | {median:.3f} | {raw:.3f} | {median / raw:.1f}x | "
          f"<= {TARGET_S} s: {'met' if median <= TARGET_S else 'MISSED'} |")
    return 0 if median <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
