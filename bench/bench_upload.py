"""How fast is an upload of 100k rows, next to reading the file raw?

    python bench/bench_upload.py [--rows 100000] [--repeat 3]

Writes a realistic .xlsx of ROWS bookings for the demo salon (dates as text,
phones as numbers and text, one to three services, statuses), then times, in
the same run: the raw read with the chosen reader (python-calamine, every
cell as a Python value), the preview (`upload.preview`: read + validate
every row + record the batch), and the commit (`upload.commit`). Targets:
preview at most 5 s and at most 3x the raw read; commit at most 5 s.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import xlsxwriter
from python_calamine import CalamineWorkbook

from bookings import auth, upload
from bookings.demo import fill_demo
from bookings.store import open_store
from bookings.upload_file import COLUMNS

PREVIEW_S, PREVIEW_RATIO, COMMIT_S = 5.0, 3.0, 5.0


def make_file(con, rows: int, seed: int = 7) -> bytes:
    """ROWS valid bookings for the store's staff and services, as a person would type them."""
    rng = random.Random(seed)
    staff = con.execute("SELECT id, name FROM staff WHERE active").fetchall()
    services = con.execute("SELECT id, price FROM services WHERE active").fetchall()
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet("Bookings")
    sheet.write_row(0, 0, [header for _, header, _ in COLUMNS])
    for r in range(1, rows + 1):
        staff_id, staff_name = rng.choice(staff)
        chosen = rng.sample(services, rng.randint(1, 3))
        phone = 10_000_000_000 + r * 7919  # unique per row
        status = rng.choice([(-1, "No-Show"), (0, "Pending"), (1, "Arrived"), (2, "Confirmed")])
        sheet.write_row(r, 0, [
            f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{rng.randint(2012, 2018)} "
            f"{rng.randint(9, 19):02d}:{rng.choice((0, 15, 30, 45)):02d}",
            staff_id,
            phone if r % 2 else f"+{phone}",
            f"Client {r}",
            staff_name,
            900 * rng.randint(1, 8),
            "##".join(str(s) for s, _ in chosen),
            "",
            "#".join(f"{float(p):g}" for _, p in chosen),
            "#".join("0" for _ in chosen),
            "imported from the old system" if r % 10 == 0 else "",
            status[0],
            status[1],
        ])
    book.close()
    return buffer.getvalue()


def raw_read(data: bytes) -> int:
    cells = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    return len(cells)


def timed(action):
    start = time.perf_counter()
    value = action()
    return time.perf_counter() - start, value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args, _ = parser.parse_known_args()

    with tempfile.TemporaryDirectory() as tmp:
        con = open_store(Path(tmp) / "bench.duckdb")
        fill_demo(con, 10_000, seed=1)
        owner = auth.get_user(con, "owner")
        print(f"writing a file of {args.rows:,} rows ...", file=sys.stderr)
        data = make_file(con, args.rows)
        raws, previews, commits = [], [], []
        for run in range(args.repeat):
            seconds, count = timed(lambda: raw_read(data))
            raws.append(seconds)
            assert count == args.rows + 1
            seconds, result = timed(lambda: upload.preview(con, owner, data, "bench.xlsx"))
            previews.append(seconds)
            assert result.counts()["ready"] == args.rows, result.issues[:5]
            if run == args.repeat - 1:  # commit once: a second would be refused as a repeat
                seconds, done = timed(lambda preview=result: upload.commit(con, owner, preview))
                commits.append(seconds)
                assert done.imported == args.rows
            else:
                upload.cancel(con, result)
            print(f"  run {run + 1}: raw {raws[-1]:.2f} s, preview {previews[-1]:.2f} s",
                  file=sys.stderr)
        con.close()

    raw, preview, commit = statistics.median(raws), statistics.median(previews), commits[0]
    ratio = preview / raw
    met = preview <= PREVIEW_S and ratio <= PREVIEW_RATIO and commit <= COMMIT_S
    print(f"| rows | raw read (calamine) s | preview s | preview / raw | commit s | targets |\n"
          f"|---:|---:|---:|---:|---:|---|\n"
          f"| {args.rows:,} | {raw:.2f} | {preview:.2f} | {ratio:.1f}x | {commit:.2f} | "
          f"preview <= {PREVIEW_S} s and <= {PREVIEW_RATIO}x, commit <= {COMMIT_S} s: "
          f"{'met' if met else 'MISSED'} |")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
