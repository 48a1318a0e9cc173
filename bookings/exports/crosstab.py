"""The cross-tab as an Excel download (issue 15): written at once, recorded in the Data log.

`export_crosstab(con, user, bfilter, rows, cols, measure, compare)` needs the export
right (checked here, whoever calls) and holds exactly what `pivot.pivot` answers for
that user and filter: the viewing period and own bookings apply as in the list. A
cross-tab is small (a few thousand cells at most), so there is no queue: the workbook
is written in the caller's thread, under a temporary name in exports/ and renamed
when complete, and only then is its Data log entry recorded (kind 'crosstab', state
'ready', with the file's size and sha256). A crash leaves no half file under a served
name (start-up removes `*.part`, as for the list's downloads) and no entry pointing at
nothing; a refusal (a right, a comparison without a visit period) writes and records
nothing. The file is fetched as the list's are, from the Data log page
(`links.fetch_for_page`: the export right checked again as the bytes leave, the fetch
recorded); it has no emailed link.

The workbook (xlsxwriter, through `files.safe_workbook` and `files.write_cover`, as
the list's download):

- "About this file": who asked and when, the filter in words, the cross-tab's rows,
  columns and measure in words, the periods compared, how many bookings it counts,
  and what the requester may not see (viewing period, own bookings).
- "Cross-tab": a header row (the rows' dimension, the column labels, "Total"), a row
  per row label, then the "Total" row. Numbers are numbers: counts whole, money with
  two decimals, the no-show share as a percentage; a cell without a value (the
  average of no bookings) is empty. Every label is text, never a formula.
- With a comparison, three more sheets of the same shape, so that a cell has the same
  address on each: "Before" (the earlier period), "Change" (this period less the
  earlier one; for the no-show share in percentage points) and "Change %" (the change
  as a share of the earlier number, empty where that is 0 or empty).
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from bookings import datalog, listing
from bookings.exports import jobs
from bookings.exports.files import COVER_SHEET, Cover, safe_workbook, write_cover
from bookings.filters import BookingFilter
from bookings.model import Right, User
from bookings.pivot import (
    COMPARE_LABELS,
    DIMENSION_LABELS,
    DIMENSIONS,
    CrossTab,
    before_period,
    pivot,
)
from bookings.store import Connection, private_file

KIND = "crosstab"  # its Data log kind (datalog.KINDS)
FORMAT = "xlsx"
SHEET = "Cross-tab"
BEFORE_SHEET, CHANGE_SHEET, RATIO_SHEET = "Before", "Change", "Change %"
TOTAL = "Total"

# the dimensions' and comparisons' names are the Analysis page's (pivot), in a sentence
DIMENSION_WORDS = {name: label.lower() for name, label in DIMENSION_LABELS.items()}
MEASURE_WORDS = {
    "bookings": "number of bookings",
    "to_pay": "amount to pay",
    "paid": "amount paid",
    "unpaid": "amount still unpaid",
    "average": "average to pay per booking",
    "no_show_share": "share of No-Show bookings",
}
# How each measure is counted, for the cover (pivot.py's rules, in words).
MEASURE_RULES = {
    "bookings": "every booking of the filter, cancelled ones included, as the list counts "
                "them",
    "to_pay": "the sum to pay, cancelled (deleted) bookings left out",
    "paid": "the sum paid, cancelled (deleted) bookings left out",
    "unpaid": "what is still owed (to pay less paid, never below 0), cancelled (deleted) "
              "bookings left out",
    "average": "to pay per booking not cancelled; empty where there is none",
    "no_show_share": "No-Show bookings as a share of the cell's bookings (cancelled ones "
                     "included); empty where there are none",
}
COMPARE_WORDS = COMPARE_LABELS

# Number formats by what a number is; the change sheets show the sign.
_KIND_OF_MEASURE = {"bookings": "count", "no_show_share": "share", "to_pay": "money",
                    "paid": "money", "unpaid": "money", "average": "money"}
_FORMATS = {"count": "#,##0", "money": "#,##0.00", "share": "0.0%"}
_CHANGE_FORMATS = {"count": "+#,##0;-#,##0;0", "money": "+#,##0.00;-#,##0.00;0.00",
                   "share": "+0.0%;-0.0%;0.0%"}
_RATIO_FORMAT = "+0.0%;-0.0%;0.0%"


@dataclass(frozen=True)
class CrossTabFile:
    """A cross-tab written and recorded: its Data log entry, its file (in exports/), the
    bookings it counts (both periods with a comparison) and the cross-tab itself."""

    log_id: int
    file: Path
    bookings: int
    crosstab: CrossTab


def what_of(rows: str, cols: str, measure: str, compare: str | None, words: str) -> str:
    """The Data log's words for a cross-tab download: what it counts, by what, of which
    bookings (WORDS: the filter in words)."""
    against = f", against {COMPARE_WORDS[compare]}" if compare else ""
    return (f"Cross-tab: {MEASURE_WORDS[measure]} by {DIMENSION_WORDS[rows]} and "
            f"{DIMENSION_WORDS[cols]}{against} · {words}")


def export_crosstab(con: Connection, user: User, bfilter: BookingFilter,
                    rows: str = "source", cols: str = "payment", measure: str = "bookings",
                    compare: str | None = None, *, today: date | None = None,
                    now: datetime | None = None) -> CrossTabFile:
    """Write the cross-tab USER sees for BFILTER as an .xlsx file and record it in the Data
    log (its id: `.log_id`); ROWS, COLS, MEASURE and COMPARE as `pivot.pivot` takes them.

    Refused (nothing written, nothing recorded): MissingRight without the export right;
    what `pivot` refuses (a dimension twice, a comparison without a visit period, ...).
    """
    user.require(Right.EXPORT)
    requested_at = now or datetime.now()
    # The numbers and the count of bookings from one snapshot: they agree.
    reader = con.cursor()
    reader.execute("BEGIN TRANSACTION")
    try:
        tab = pivot(reader, user, bfilter, rows, cols, measure, compare, today)
        counted = [listing.count(reader, user, bfilter, today)]
        if compare is not None:
            start, end = before_period(bfilter, compare)
            counted.append(listing.count(
                reader, user, bfilter.narrowed(visit_from=start, visit_to=end), today))
        words = bfilter.words(listing.names(reader))
        notes = jobs.scope_notes(reader, user, today)
    finally:
        reader.execute("ROLLBACK")  # it only read
        reader.close()
    cover = Cover(requested_by=f"{user.name} ({user.login})",
                  requested_at=f"{requested_at:%d.%m.%Y %H:%M}",
                  written_at=f"{datetime.now():%d.%m.%Y %H:%M}", what=words, notes=notes)

    folder = jobs.exports_dir(con)
    name = secrets.token_hex(16)
    partial, final = folder / f"{name}.part", folder / f"{name}.{FORMAT}"
    try:
        write_workbook(tab, partial, cover, counted)
        os.replace(partial, final)  # complete: only now does it get its served name
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    details = {"filter": bfilter.to_params(),
               "crosstab": {"rows": rows, "cols": cols, "measure": measure,
                            "compare": compare},
               "phones": False}  # no phone numbers in it: a fetch needs no phone right
    try:
        log_id = datalog.add_entry(
            con, requested_at=requested_at, user_id=user.id, user_login=user.login, kind=KIND,
            what=what_of(rows, cols, measure, compare, words), filter=json.dumps(details),
            rows=sum(counted), format=FORMAT, state="ready", progress=1.0,
            file_path=str(final.relative_to(folder.parent)), file_size=final.stat().st_size,
            file_sha256=jobs.sha256_of(final), finished_at=datetime.now())
    except BaseException:
        final.unlink(missing_ok=True)  # no file without its entry
        raise
    return CrossTabFile(log_id, final, sum(counted), tab)


# --- the workbook ---------------------------------------------------------------------


def write_workbook(tab: CrossTab, path: Path, cover: Cover, counted: list[int]) -> None:
    """The cross-tab TAB as an .xlsx file at PATH (0600): the cover first, then the
    sheets described in the module. COUNTED: the bookings counted (this period[, the
    earlier one])."""
    book = safe_workbook(private_file(path), in_memory=True)  # small: no working files
    bold = book.add_format({"bold": True})
    cover_sheet = book.add_worksheet(COVER_SHEET)  # the first tab
    kind = _KIND_OF_MEASURE[tab.measure]
    numbers = {"cells": tab.cells, "row_totals": tab.row_totals,
               "col_totals": tab.col_totals, "total": tab.total}
    _number_sheet(book, SHEET, tab, numbers, _FORMATS[kind])
    if tab.before is not None:
        _number_sheet(book, BEFORE_SHEET, tab, tab.before, _FORMATS[kind])
        _number_sheet(book, CHANGE_SHEET, tab, _combined(numbers, tab.before, _change(kind)),
                      _CHANGE_FORMATS[kind])
        _number_sheet(book, RATIO_SHEET, tab, _combined(numbers, tab.before, _ratio),
                      _RATIO_FORMAT)
    write_cover(cover_sheet, bold, "Bookings Overview: cross-tab", cover,
                _cover_details(tab, counted))
    book.close()


def _title(dim: str) -> str:
    return DIMENSION_LABELS[dim]


def _number_sheet(book, name: str, tab: CrossTab, numbers: dict, num_format: str) -> None:
    """One sheet of the cross-tab's shape: labels as text, NUMBERS as numbers."""
    sheet = book.add_worksheet(name)
    bold = book.add_format({"bold": True})
    plain = book.add_format({"num_format": num_format})
    strong = book.add_format({"num_format": num_format, "bold": True})
    header = [_title(tab.rows_dim), *tab.col_labels, TOTAL]
    for c, text in enumerate(header):
        sheet.write_string(0, c, text, bold)  # a string: never a formula

    def put(r: int, c: int, value, fmt) -> None:
        if value is not None:  # None: an empty cell, not 0
            sheet.write_number(r, c, value, fmt)

    last_col = len(tab.col_labels) + 1
    for i, label in enumerate(tab.row_labels):
        sheet.write_string(i + 1, 0, label)
        for j, value in enumerate(numbers["cells"][i]):
            put(i + 1, j + 1, value, plain)
        put(i + 1, last_col, numbers["row_totals"][i], strong)
    last_row = len(tab.row_labels) + 1
    sheet.write_string(last_row, 0, TOTAL, bold)
    for j, value in enumerate(numbers["col_totals"]):
        put(last_row, j + 1, value, strong)
    put(last_row, last_col, numbers["total"], strong)
    sheet.freeze_panes(1, 1)  # the header row and the labels stay in sight
    sheet.set_column(0, 0, min(max(len(text) for text in [*tab.row_labels, *header[:1],
                                                           TOTAL]) + 2, 50))
    for c, text in enumerate(header[1:], start=1):
        sheet.set_column(c, c, min(max(len(text) + 2, 12), 40))


def _combined(now: dict, before: dict, how) -> dict:
    """The numbers of HOW(this period's, the earlier one's), cell by cell."""
    return {
        "cells": [[how(v, b) for v, b in zip(row, brow, strict=True)]
                  for row, brow in zip(now["cells"], before["cells"], strict=True)],
        "row_totals": [how(v, b) for v, b in zip(now["row_totals"], before["row_totals"],
                                                 strict=True)],
        "col_totals": [how(v, b) for v, b in zip(now["col_totals"], before["col_totals"],
                                                 strict=True)],
        "total": how(now["total"], before["total"]),
    }


def _change(kind: str):
    digits = {"count": 0, "money": 2, "share": 4}[kind]

    def change(value, before):
        if value is None or before is None:
            return None
        difference = round(value - before, digits)
        return int(difference) if kind == "count" else difference

    return change


def _ratio(value, before):
    if value is None or before is None or before == 0:
        return None
    return (value - before) / before


def _cover_details(tab: CrossTab, counted: list[int]) -> list[tuple[str, str]]:
    details = [
        ("Cross-tab", f"{MEASURE_WORDS[tab.measure]} by {DIMENSION_WORDS[tab.rows_dim]} "
                      f"(rows) and {DIMENSION_WORDS[tab.cols_dim]} (columns)"),
        ("Rows", f"{DIMENSION_WORDS[tab.rows_dim]}: {len(tab.row_labels):,}, then a "
                 f"{TOTAL} row"),
        ("Columns", f"{DIMENSION_WORDS[tab.cols_dim]}: {len(tab.col_labels):,}, then a "
                    f"{TOTAL} column"),
        ("Measure", f"{MEASURE_WORDS[tab.measure]}: {MEASURE_RULES[tab.measure]}"),
    ]
    if any(DIMENSIONS[d].multi_table for d in (tab.rows_dim, tab.cols_dim)):
        details.append(("Totals", "A booking with several values of a dimension (two service "
                                  "or booking categories) counts under each, but once in "
                                  "a total: a total may be less than the sum of its cells."))
    if tab.before is None:
        details += [("Bookings counted", f"{counted[0]:,}"),
                    ("Sheets", f'"{SHEET}": the numbers')]
        return details
    (start, end), (b_start, b_end) = tab.period, tab.before_period
    months_or_weeks = any(DIMENSIONS[d].time for d in (tab.rows_dim, tab.cols_dim))
    details += [
        ("Period", f"{start:%d.%m.%Y} to {end:%d.%m.%Y}"),
        ("Compared with", f"{COMPARE_WORDS[tab.compare]}: {b_start:%d.%m.%Y} to "
                          f"{b_end:%d.%m.%Y}"
                          + ("; its months or weeks are set against this period's in "
                             "order (the first with the first)" if months_or_weeks else "")),
        ("Bookings counted", f"{counted[0]:,} in the period, {counted[1]:,} in the one "
                             "compared with"),
        ("Sheets", f'"{SHEET}": the period; "{BEFORE_SHEET}": the period compared with; '
                   f'"{CHANGE_SHEET}": the period less the one compared with'
                   + (" (in percentage points)" if tab.measure == "no_show_share" else "")
                   + f'; "{RATIO_SHEET}": that change as a share of the earlier number, '
                     "empty where that is 0 or empty. Each sheet has the same rows and "
                     "columns, so a cell has the same address on all four."),
    ]
    return details
