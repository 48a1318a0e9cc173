"""How fast and how lean is an upload, next to reading the file raw; and does a
hostile file stay harmless?

    python bench/bench_upload.py [--rows 100000] [--repeat 3] [--big-rows 1048575]
                                 [--profile-out /tmp/upload_profile.txt]

1. A realistic .xlsx of ROWS bookings for the demo salon (`fill_demo`, seed 1):
   all 13 columns, dates as "dd.mm.yyyy hh:mm" text or as date-time cells,
   employee IDs and names, phones of 11 digits (numbers and "+" text; some
   clients already in the store), one or two services ("10##20", "55#35", the
   names too), durations in seconds, discounts, comments, status number and
   text. Written with xlsxwriter (constant_memory). Median of REPEAT, in the
   same run: the raw read (python-calamine, every cell as a Python value, the
   same call the product makes), `upload_file.read_sheet` (the product's
   read: the sheet sized from its XML, read, the header found) and the
   preview (`bookings_import.preview`: read_sheet, every row checked, repeats looked
   for in the store, the batch recorded, the file kept). Then, once, the
   commit (`bookings_import.commit`: the kept file read and checked again, then
   written). The preview's peak memory is measured alone in a fresh child
   process. Targets: preview at most 2x the raw read; peak at most 400 MB.
2. A file with every row Excel has (1,048,575 data rows, 4 columns; cached
   under /tmp): previewed in a child process. Target: an answer (refused at
   BOOKINGS_UPLOAD_MAX_ROWS, or previewed) within 1.5 GB, no crash.
3. The far-cell file: a 2 KB .xlsx, a header and a booking, one cell at
   XFD20000 and one at XFD1048576 (calamine alone would build a grid of 17
   billion cells). Previewed in a child process. Target: an answer in under
   1 s, no crash.
4. One more preview of file 1 under cProfile (the one that is committed):
   the top 25 by tottime (and bookings/'s top 25 by cumulative time) go to
   PROFILE_OUT, the raw stats beside it (.prof); the last table names the
   functions of bookings/ that take the most time.

Peak memory is the child's own high-water mark (`VmHWM` in /proc/self/status,
read by the child at its end), minus nothing: Python, pandas, DuckDB and the
file's bytes count. Not getrusage(RUSAGE_CHILDREN).ru_maxrss: on Linux that
also keeps the high-water mark of the parent's image the child was forked
from, and the parent holds a store and 100k rows.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import datetime
from pathlib import Path

from procmem import peak_mb, rss_mb

RATIO_TARGET = 2.0
PEAK_TARGET_MB = 400
BIG_PEAK_TARGET_MB = 1536
FAR_SECONDS_TARGET = 1.0
EXCEL_ROWS = 1_048_576  # the last row Excel has; the header takes one
BIG_CACHE = Path(tempfile.gettempdir()) / "bench_upload_big_{rows}_v1.xlsx"
DATE_FORMAT = "dd.mm.yyyy hh:mm"


def timed(action):
    start = time.perf_counter()
    value = action()
    return time.perf_counter() - start, value


# --- the files -----------------------------------------------------------------------


def _header() -> list[str]:
    from bookings.uploads.sheet import COLUMNS

    return [header for _, header, _ in COLUMNS]


def make_file(con, rows: int, seed: int = 7) -> bytes:
    """ROWS valid bookings for the store's staff and services, as an old system exports them."""
    import xlsxwriter

    from bookings.demo import COMMENTS, FIRST_NAMES, LAST_NAMES
    from bookings.model import Attendance

    rng = random.Random(seed)
    staff = con.execute("SELECT id, name FROM staff WHERE active ORDER BY id").fetchall()
    services = con.execute("SELECT id, title, price::DOUBLE, duration_s FROM services "
                           "WHERE active ORDER BY id").fetchall()
    # One row in ten is a client the store knows (by phone, with the name on file).
    known = con.execute("SELECT phone, name FROM clients WHERE length(phone) = 11 "
                        "ORDER BY id LIMIT 1500").fetchall()
    new = [(f"79{(i * 7_919_113 + 1_234_567) % 1_000_000_000:09d}",
            f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}") for i in range(12_000)]
    statuses = [(a.value, a.label) for a in Attendance]
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "strings_to_numbers": False,
                                        "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet("Bookings")
    as_date = book.add_format({"num_format": DATE_FORMAT})
    sheet.write_row(0, 0, _header())
    taken = set()
    for r in range(1, rows + 1):
        staff_id, staff_name = rng.choice(staff)
        phone, name = rng.choice(known) if rng.random() < 0.1 else rng.choice(new)
        while True:  # no two rows for the same employee, time and phone (a repeat)
            visit = datetime(rng.randint(2012, 2018), rng.randint(1, 12), rng.randint(1, 28),
                             rng.randint(9, 19), rng.choice((0, 15, 30, 45)))
            if (staff_id, visit, phone) not in taken:
                taken.add((staff_id, visit, phone))
                break
        chosen = rng.sample(services, 1 if rng.random() < 0.7 else 2)
        prices = [p if rng.random() < 0.8 else p + 5 * rng.randint(1, 6) for _, _, p, _ in chosen]
        discounts = [0.0] * len(chosen)
        if rng.random() < 0.1:
            discounts[0] = 5.0
        code, label = rng.choice(statuses)
        if r % 2:
            sheet.write_datetime(r, 0, visit, as_date)
        else:
            sheet.write_string(r, 0, f"{visit:%d.%m.%Y %H:%M}")
        sheet.write_number(r, 1, staff_id)
        if r % 3:
            sheet.write_number(r, 2, int(phone))
        else:
            sheet.write_string(r, 2, f"+{phone}")
        sheet.write_string(r, 3, name)
        sheet.write_string(r, 4, staff_name)
        sheet.write_number(r, 5, sum(d for *_, d in chosen))
        if len(chosen) == 1:
            sheet.write_number(r, 6, chosen[0][0])
            sheet.write_string(r, 7, chosen[0][1])
            sheet.write_number(r, 8, prices[0])
            sheet.write_number(r, 9, discounts[0])
        else:
            sheet.write_string(r, 6, "##".join(str(s[0]) for s in chosen))
            sheet.write_string(r, 7, "##".join(s[1] for s in chosen))
            sheet.write_string(r, 8, "#".join(f"{p:g}" for p in prices))
            sheet.write_string(r, 9, "#".join(f"{d:g}" for d in discounts))
        if r % 10 == 0:
            sheet.write_string(r, 10, rng.choice(COMMENTS))
        sheet.write_number(r, 11, code)
        sheet.write_string(r, 12, label)
    book.close()
    return buffer.getvalue()


def big_file(rows: int) -> Path:
    """ROWS data rows of 4 columns (date, employee ID, phone, name): cached, it takes a while."""
    path = Path(str(BIG_CACHE).format(rows=rows))
    if path.exists():
        return path
    import xlsxwriter

    print(f"writing a file of {rows:,} rows to {path} (kept for the next runs) ...",
          file=sys.stderr)
    start = time.perf_counter()
    partial = path.with_suffix(f".{os.getpid()}.part")
    book = xlsxwriter.Workbook(str(partial), {"constant_memory": True,
                                              "strings_to_numbers": False})
    sheet = book.add_worksheet("Bookings")
    sheet.write_row(0, 0, ["Date", "Employee ID", "Customer phone number", "Client name"])
    write = sheet.write_row
    for r in range(1, rows + 1):
        write(r, 0, (f"{1 + r % 28:02d}.{1 + r % 12:02d}.{2012 + r % 7} {9 + r % 11:02d}:"
                     f"{15 * (r % 4):02d}", 1 + r % 11, 79_000_000_000 + r, f"Client {r}"))
    book.close()
    partial.rename(path)
    print(f"  {path.stat().st_size / 2**20:.1f} MB in {time.perf_counter() - start:.1f} s",
          file=sys.stderr)
    return path


def far_cell_file() -> bytes:
    """A minimal .xlsx as Excel lays it out (dimension included): a header, a booking,
    and two stray cells in the last column, one of them in the last row."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"

    def text(ref: str, value: str) -> str:
        return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'

    letters = "ABCDEFGHIJKLM"
    header = "".join(text(f"{c}1", h.replace("&", "&amp;")) for c, h in zip(letters, _header(),
                                                                          strict=True))
    booking = (text("A2", "04.03.2016 10:30") + '<c r="B2"><v>1</v></c>' +
               '<c r="C2"><v>79161234567</v></c>' + text("D2", "Kate Miller") +
               '<c r="F2"><v>3600</v></c><c r="G2"><v>1</v></c>')
    sheet = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             f'<worksheet xmlns="{main}"><dimension ref="A1:XFD1048576"/><sheetData>'
             f'<row r="1">{header}</row><row r="2">{booking}</row>'
             f'<row r="20000">{text("XFD20000", "x")}</row>'
             f'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
             f'</sheetData></worksheet>')
    parts = {
        "[Content_Types].xml":
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ct}.worksheet+xml"/>'
            '</Types>',
        "_rels/.rels":
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
            f'xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml":
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{main}" '
            f'xmlns:r="{rel}"><sheets><sheet name="Bookings" sheetId="1" r:id="rId1"/>'
            '</sheets></workbook>',
        "xl/_rels/workbook.xml.rels":
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
            f'xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": sheet,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


# --- in the child: one preview, alone ----------------------------------------------------


def child(args) -> int:
    from bookings import auth
    from bookings.store import open_store
    from bookings.uploads import bookings_import
    from bookings.uploads.batch import UploadRefused
    from bookings.uploads.spreadsheets import max_rows

    con = open_store(args.db)
    owner = auth.get_user(con, "owner")
    data = args.file.read_bytes()
    before = rss_mb()
    start = time.perf_counter()
    try:
        result = bookings_import.preview(con, owner, data, args.file.name)
    except UploadRefused as exc:
        seconds = time.perf_counter() - start
        outcome, answer, counts = "refused", str(exc).removeprefix(f"{args.file.name}: "), {}
    else:
        seconds = time.perf_counter() - start
        counts = result.counts()
        outcome = "previewed"
        answer = (f"{counts['rows']:,} rows: {counts['ready']:,} ready, "
                  f"{counts['with_errors']:,} with errors")
        bookings_import.cancel(con, result)
    peak = peak_mb()
    con.close()
    print(json.dumps({"outcome": outcome, "answer": answer, "counts": counts,
                      "seconds": seconds, "rss_before_mb": before, "peak_mb": peak,
                      "limit": max_rows()}))
    return 0


def preview_alone(db: Path, file: Path, timeout: float) -> dict:
    """Preview FILE in a fresh child process; a crash is an outcome, not an exception."""
    start = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, __file__, "--child", "--db", str(db),
                               "--file", str(file)], capture_output=True, text=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"outcome": "timed out", "answer": f"no answer in {timeout:.0f} s",
                "seconds": time.perf_counter() - start, "peak_mb": float("nan"),
                "rss_before_mb": float("nan"), "exit": "killed (timeout)", "crashed": True}
    if done.returncode < 0:
        exit_text = f"crashed ({signal.Signals(-done.returncode).name})"
    else:
        exit_text = f"exit {done.returncode}"
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["(nothing on stderr)"])[-1]
        return {"outcome": "crashed", "answer": tail[:120], "seconds":
                time.perf_counter() - start, "peak_mb": float("nan"),
                "rss_before_mb": float("nan"), "exit": exit_text, "crashed": True}
    return {**json.loads(lines[-1]), "exit": exit_text, "crashed": False}


# --- in the parent ---------------------------------------------------------------------


def raw_read(data: bytes, collect: bool = True) -> int:
    """The raw engine's read, as anyone would call it (COLLECT: Python's cyclic
    garbage collection on, its default), or with collection off as the product
    reads a file (`upload_batch.no_cycle_collection`)."""
    from contextlib import nullcontext

    from python_calamine import CalamineWorkbook

    from bookings.uploads.batch import no_cycle_collection

    with nullcontext() if collect else no_cycle_collection():
        cells = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(
            0).to_python(skip_empty_area=False)
    return len(cells)


def read_sheet_alike(data: bytes):
    from bookings.uploads.batch import no_cycle_collection
    from bookings.uploads.sheet import read_sheet

    with no_cycle_collection():
        return read_sheet(data, file_name="x.xlsx")


def first_words(text: str, count: int = 14) -> str:
    words = text.split()
    return " ".join(words[:count]) + (" ..." if len(words) > count else "")


def write_profile(profile: cProfile.Profile, out: Path, top: int = 25) -> list[tuple]:
    """The top TOP by tottime to OUT; returns bookings/'s functions by tottime with shares."""
    profile.dump_stats(out.with_suffix(".prof"))  # for pstats or snakeviz
    with out.open("w") as f:
        stats = pstats.Stats(profile, stream=f)
        stats.sort_stats("tottime").print_stats(top)
        stats.sort_stats("cumulative").print_stats(r"/bookings/", top)
    total = stats.total_tt
    ours = []
    for (path, line, name), (_, calls, tottime, cumtime, _) in stats.stats.items():
        if f"{os.sep}bookings{os.sep}" in path and f"{os.sep}.venv{os.sep}" not in path:
            ours.append((tottime / total, cumtime / total, calls,
                         f"{Path(path).stem}.{name}:{line}"))
    ours.sort(reverse=True)
    return ours


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--big-rows", type=int, default=EXCEL_ROWS - 1)
    parser.add_argument("--profile-out", type=Path, default=Path("/tmp/upload_profile.txt"))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args, _ = parser.parse_known_args()
    if args.child:
        return child(args)

    from bookings import auth
    from bookings.demo import fill_demo
    from bookings.store import open_store
    from bookings.uploads import bookings_import

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        con = open_store(db)
        fill_demo(con, 10_000, seed=1)
        print(f"writing a file of {args.rows:,} rows ...", file=sys.stderr)
        seconds, data = timed(lambda: make_file(con, args.rows))
        print(f"  {len(data) / 2**20:.1f} MB in {seconds:.1f} s", file=sys.stderr)
        file = Path(tmp) / "bookings-100k.xlsx"
        file.write_bytes(data)
        con.close()  # the child opens the store on its own

        alone = preview_alone(db, file, timeout=300)
        print(f"  preview alone: {alone['seconds']:.2f} s, peak {alone['peak_mb']:.0f} MB "
              f"({alone['answer']})", file=sys.stderr)

        con = open_store(db)
        owner = auth.get_user(con, "owner")
        raws, raws_alike, reads, previews = [], [], [], []
        for run in range(args.repeat):
            seconds, count = timed(lambda: raw_read(data))
            raws.append(seconds)
            raws_alike.append(timed(lambda: raw_read(data, collect=False))[0])
            assert count == args.rows + 1, count
            seconds, sheet = timed(lambda: read_sheet_alike(data))
            reads.append(seconds)
            assert len(sheet.rows) == args.rows, len(sheet.rows)
            del sheet
            seconds, result = timed(lambda: bookings_import.preview(con, owner, data, "x.xlsx"))
            previews.append(seconds)
            assert result.counts()["ready"] == args.rows, (result.counts(), result.issues[:5])
            bookings_import.cancel(con, result)
            print(f"  run {run + 1}: raw {raws[-1]:.2f} s, read_sheet {reads[-1]:.2f} s, "
                  f"preview {previews[-1]:.2f} s", file=sys.stderr)
        profile = cProfile.Profile()
        profile.enable()
        profiled_s, result = timed(lambda: bookings_import.preview(con, owner, data, "x.xlsx"))
        profile.disable()
        commit_s, done = timed(lambda: bookings_import.commit(con, owner, result))
        assert done.imported == args.rows, done
        print(f"  profiled preview {profiled_s:.2f} s; commit {commit_s:.2f} s", file=sys.stderr)
        con.close()
        ours = write_profile(profile, args.profile_out)

        big_path = big_file(args.big_rows)
        big = preview_alone(db, big_path, timeout=600)
        print(f"  big file: {big['outcome']} in {big['seconds']:.2f} s, peak "
              f"{big['peak_mb']:.0f} MB", file=sys.stderr)
        far_path = Path(tmp) / "far-cell.xlsx"
        far_path.write_bytes(far_cell_file())
        far_size = far_path.stat().st_size
        far = preview_alone(db, far_path, timeout=120)
        print(f"  far cell: {far['outcome']} in {far['seconds']:.2f} s, {far['exit']}",
              file=sys.stderr)

    raw, alike, read, preview = (statistics.median(t)
                                 for t in (raws, raws_alike, reads, previews))
    ratio = preview / raw
    upload_ok = ratio <= RATIO_TARGET and alone["peak_mb"] <= PEAK_TARGET_MB and \
        not alone["crashed"]
    big_ok = not big["crashed"] and big["peak_mb"] <= BIG_PEAK_TARGET_MB
    far_ok = not far["crashed"] and far["seconds"] < FAR_SECONDS_TARGET
    print(f"| rows | raw read (calamine) s | raw read, collection off s | read_sheet s | "
          f"preview s | preview / raw | preview / raw alike | "
          f"preview peak MB (RSS before) | commit s | targets |\n"
          f"|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n"
          f"| {args.rows:,} | {raw:.2f} | {alike:.2f} | {read:.2f} | {preview:.2f} | "
          f"{ratio:.2f}x | {preview / alike:.2f}x | "
          f"{alone['peak_mb']:.0f} ({alone['rss_before_mb']:.0f}) | {commit_s:.2f} | "
          f"<= {RATIO_TARGET:g}x, <= {PEAK_TARGET_MB} MB: {'met' if upload_ok else 'MISSED'} |")
    print(f"\nmedian of {args.repeat}; the target is against the raw read as anyone calls it "
          "(Python's garbage collection on); the product reads with cyclic collection off, "
          "so the raw read timed so too is shown beside it. read_sheet = "
          "`upload_file.read_sheet` (size from the XML, read, find the header), so the row "
          f"checks, repeats and batch take {preview - read:.2f} s of the preview. The "
          f"{len(data) / 2**20:.1f} MB file previewed "
          f"alone in a child in {alone['seconds']:.2f} s ({alone['answer']}). Commit = the kept "
          "file read and checked again, then written.\n")
    print("| file | outcome | answer (first words) | s | peak MB (RSS before) | process | "
          "targets |\n|---|---|---|---:|---:|---|---|")
    for label, size, got, target, ok in (
            (f"{args.big_rows:,} rows, 4 columns", big_path.stat().st_size, big,
             f"<= {BIG_PEAK_TARGET_MB / 1024:g} GB, no crash", big_ok),
            ("far cell XFD1048576", far_size, far, f"< {FAR_SECONDS_TARGET:g} s, no crash",
             far_ok)):
        limit = f" (limit {got['limit']:,})" if "limit" in got else ""
        print(f"| {label}, {_size(size)} | {got['outcome']}{limit} | "
              f"{first_words(got['answer'])} | {_seconds(got['seconds'])} | "
              f"{got['peak_mb']:.0f} ({got['rss_before_mb']:.0f}) | {got['exit']} | "
              f"{target}: {'met' if ok else 'MISSED'} |")
    print(f"\nbookings/ functions by own time in one more preview under cProfile "
          f"({profiled_s:.2f} s: the profiler's cost per call weighs on functions called "
          f"millions of times); the top 25 overall in {args.profile_out}:\n")
    print("| function | own time | with callees | calls |\n|---|---:|---:|---:|")
    for own, cumulative, calls, name in ours[:12]:
        print(f"| {name} | {own:.1%} | {cumulative:.1%} | {calls:,} |")
    print(f"| all of bookings/ | {sum(o[0] for o in ours):.1%} | | |")
    return 0 if upload_ok and big_ok and far_ok else 1


def _seconds(seconds: float) -> str:
    return f"{seconds:.3f}" if seconds < 1 else f"{seconds:.2f}"


def _size(size: int) -> str:
    return f"{size / 2**20:.1f} MB" if size >= 2**20 else f"{size / 1024:.1f} KB"


if __name__ == "__main__":
    sys.exit(main())
