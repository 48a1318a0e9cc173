"""The files an export writes: .xlsx (xlsxwriter) or .csv, streamed row by row.

Both take rows in batches and never hold the whole set: xlsxwriter's
`constant_memory` mode flushes each row to disk as soon as the next one starts,
into a working file per sheet (and, when the file is assembled, one per part of
it) in TMPDIR: the caller gives a folder of its own beside the store (never the
system's /tmp, where an interrupted job would leave every row and phone). The
file written is the owner's only (0600) from its creation.

Safe files. Every text cell comes from people (client names, comments) and is
written as text, never as a formula: in .xlsx through `write_string` with the
workbook's `strings_to_formulas` off; in .csv a text that starts with `=`, `+`,
`-`, `@`, a tab or a carriage return gets a leading single quote, as OWASP's
CSV injection guidance says, so a spreadsheet shows it instead of running it.

An .xlsx sheet holds 1,048,575 rows under its header; more go on further
sheets ("Bookings (2)", ...), so no row is ever dropped.

The cross-tab's download (`crosstab.py`) opens its workbook with the same
`safe_workbook` and writes its cover with the same `write_cover`.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter

from bookings.model import Attendance
from bookings.store import DUCKDB, Dialect, private_file

SHEET_ROWS = 1_048_575  # an .xlsx sheet's 1,048,576 rows, less the header
EXCEL_TEXT_LIMIT = 32_767  # characters in one cell; write_string cuts past it

_STATUS_SQL = "CASE b.attendance " + " ".join(
    f"WHEN {int(a)} THEN '{a.label}'" for a in Attendance) + " END"

# The columns of the Bookings list, in its order: (title, kind, width, SQL over
# the list's rows `b`). Lists become text here, in DuckDB, so a writer only
# copies values.
COLUMNS: tuple[tuple[str, str, int, str], ...] = (
    ("ID", "int", 9, "b.id"),
    ("Visit", "datetime", 17, "b.visit_at"),
    ("Minutes", "int", 8, "b.length_s // 60"),
    ("Employee", "text", 18, "b.staff_name"),
    ("Services", "text", 28, DUCKDB.joined("b.services", "title")),
    ("Client", "text", 22, "b.client_name"),
    ("Phone", "text", 15, "b.client_phone"),
    ("Status", "text", 11, _STATUS_SQL),
    ("Source", "text", 22,
     "(CASE WHEN b.online THEN 'online · ' ELSE 'offline · ' END) || b.source"),
    ("Created at", "datetime", 17, "b.created_at"),
    ("Created by", "text", 12,
     "coalesce(b.created_by, CASE WHEN b.online THEN 'client' ELSE '' END)"),
    ("Categories", "text", 24, DUCKDB.joined("b.categories", "title")),
    ("To pay", "money", 10, "b.total_to_pay::DOUBLE"),
    ("Paid", "money", 10, "b.paid::DOUBLE"),
    ("Paid in full", "bool", 10, "b.paid_full"),
    ("Comment", "text", 30, "b.comment"),
    ("Deleted", "text", 26,
     "CASE WHEN b.deleted THEN 'by ' || coalesce(b.deleted_by, '?') || ' on ' "
     "|| strftime(b.deleted_at, '%d.%m.%Y %H:%M') ELSE '' END"),
)
HEADER = [title for title, _, _, _ in COLUMNS]

# CSV cells as text, made in DuckDB: a Python call per cell would cost more than
# the writing. Text that starts like a formula gets a leading quote (`csv_safe`).
_CSV_TEXT = {
    "int": "{0}",
    "datetime": "strftime({0}, '%Y-%m-%d %H:%M:%S')",
    "money": "printf('%.2f', {0})",
    "bool": "CASE WHEN {0} THEN 'TRUE' ELSE 'FALSE' END",
    "text": ("CASE WHEN left({0}, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) "
             "THEN chr(39) || {0} ELSE {0} END"),
}


# The columns made of the list's records: their SQL is the engine's (`Dialect.joined`).
_RECORD_TITLES = {"Services": "b.services", "Categories": "b.categories"}


def table_sql(list_sql: str, order: str, fmt: str = "xlsx", sql_dialect: Dialect = DUCKDB
              ) -> str:
    """The list's rows (`listing.rows_sql`) as the export's columns, one SQL value each.

    For xlsx the values keep their types (the writer types the cells); for csv
    they are the cells' text. The list's own order is applied again outside (a
    subquery's order is not kept by SQL's rules).
    """
    columns = []
    for title, kind, _, sql in COLUMNS:
        if title in _RECORD_TITLES:
            sql = sql_dialect.joined(_RECORD_TITLES[title], "title")
        columns.append(sql if fmt == "xlsx" else _CSV_TEXT[kind].format(f"({sql})"))
    return f"""
        SELECT {", ".join(columns)}
        FROM ({list_sql}) b
        ORDER BY {order}
    """


@dataclass(frozen=True)
class Cover:
    """What the cover sheet says about the file."""

    requested_by: str
    requested_at: str
    written_at: str
    what: str
    notes: Sequence[str] = ()


COVER_SHEET = "About this file"
TEXT_CELLS = ("Every text is stored as text: a value that starts with =, +, - or @ is shown "
              "as typed, never run as a formula.")


def safe_workbook(path: Path, **options) -> xlsxwriter.Workbook:
    """An .xlsx workbook at PATH whose strings stay text: never a formula, a link or a
    number, whatever they start with (OPTIONS: xlsxwriter's others)."""
    return xlsxwriter.Workbook(str(path), {
        **options,
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
    })


def write_cover(sheet, bold, title: str, cover: Cover,
                details: Sequence[tuple[str, str]] = (),
                after: Sequence[tuple[str, str]] = ()) -> None:
    """The cover sheet of a download: TITLE, who asked and when, the filter in words,
    the file's own DETAILS, the text-cell promise, the notes, then AFTER."""
    lines = [
        (title, ""),
        ("Requested by", cover.requested_by),
        ("Requested at", cover.requested_at),
        ("Written at", cover.written_at),
        ("Filter", cover.what),
        *details,
        ("Text cells", TEXT_CELLS),
        *(("Note", note) for note in cover.notes),
        *after,
    ]
    sheet.set_column(0, 0, 16)
    sheet.set_column(1, 1, 100)
    for r, (label, text) in enumerate(lines):
        sheet.write_string(r, 0, label, bold)
        if text:
            sheet.write_string(r, 1, text)


class XlsxSink:
    """An .xlsx file: a cover sheet first, then the rows on as many sheets as they need."""

    extension = "xlsx"

    def __init__(self, path: Path, *, rows_per_sheet: int = SHEET_ROWS,
                 tmpdir: Path | None = None):
        """TMPDIR: where the working files go; by default the folder of PATH."""
        if not 1 <= rows_per_sheet <= SHEET_ROWS:
            raise ValueError(f"rows_per_sheet must be 1 to {SHEET_ROWS:,}")
        path = private_file(path)  # xlsxwriter writes into it later: the mode stays
        self.rows_per_sheet = rows_per_sheet
        self.rows = 0
        self.cut_cells = 0  # text longer than a cell holds; said on the cover, never silent
        self.sheets: list[tuple[str, int]] = []  # (name, rows)
        self._book = safe_workbook(
            path,
            constant_memory=True,  # rows go to disk as written: memory stays flat
            tmpdir=str(tmpdir or path.parent),  # ... into these files, never /tmp
        )
        self._bold = self._book.add_format({"bold": True})
        self._formats = {
            "datetime": self._book.add_format({"num_format": "dd.mm.yyyy hh:mm"}),
            "money": self._book.add_format({"num_format": "#,##0.00"}),
        }
        self._cover = self._book.add_worksheet(COVER_SHEET)  # the first tab
        self._sheet = None
        self._writers: list[Callable] = []
        self._row_in_sheet = 0

    def write(self, batch: Iterable[Sequence]) -> None:
        for row in batch:
            if self._sheet is None or self._row_in_sheet == self.rows_per_sheet:
                self._new_sheet()
            self._row_in_sheet += 1
            r = self._row_in_sheet
            writers = self._writers
            for c, value in enumerate(row):
                # A non-zero answer is a cell xlsxwriter had to cut: counted, never silent.
                if value is not None and writers[c](r, c, value):
                    self.cut_cells += 1
            self.rows += 1
        self._count_sheet_rows()

    def _count_sheet_rows(self) -> None:
        if self.sheets:
            self.sheets[-1] = (self.sheets[-1][0], self._row_in_sheet)

    def _new_sheet(self) -> None:
        self._count_sheet_rows()
        name = "Bookings" if not self.sheets else f"Bookings ({len(self.sheets) + 1})"
        sheet = self._book.add_worksheet(name)
        for c, (title, kind, width, _) in enumerate(COLUMNS):
            sheet.set_column(c, c, width, self._formats.get(kind))
            sheet.write_string(0, c, title, self._bold)
        sheet.freeze_panes(1, 0)
        self._writers = [self._writer(sheet, kind) for _, kind, _, _ in COLUMNS]
        self._sheet, self._row_in_sheet = sheet, 0
        self.sheets.append((name, 0))

    def _writer(self, sheet, kind: str) -> Callable:
        if kind == "text":
            return sheet.write_string  # text stays text: never a formula
        if kind == "bool":
            return sheet.write_boolean
        fmt = self._formats.get(kind)
        write = sheet.write_datetime if kind == "datetime" else sheet.write_number
        return lambda r, c, value: write(r, c, value, fmt)

    def close(self, cover: Cover) -> None:
        if self._sheet is None:
            self._new_sheet()  # an empty export still has its header row
        after = []
        if self.cut_cells:
            after.append(("Cut", f"{self.cut_cells:,} text cell(s) were longer than the "
                                 f"{EXCEL_TEXT_LIMIT:,} characters a cell holds and were "
                                 "cut there; the CSV format keeps them whole."))
        write_cover(self._cover, self._bold, "Bookings Overview: bookings list export", cover,
                    [("Rows", f"{self.rows:,}"),
                     ("Order", "newest visit first, as the list shows it"),
                     ("Sheets", "; ".join(self._sheet_ranges()))], after)
        self._book.close()

    def _sheet_ranges(self) -> list[str]:
        ranges, first = [], 1
        for name, rows in self.sheets:
            last = first + rows - 1
            ranges.append(f'"{name}": rows {first:,}-{last:,}' if rows else f'"{name}": none')
            first = last + 1
        return ranges

    def abort(self) -> None:
        """Drop the sheets' working files without assembling the workbook (the
        partial file, and the working folder, are removed by the caller)."""
        for sheet in self._book.worksheets():
            handle = getattr(sheet, "row_data_fh", None)
            if handle is not None and not handle.closed:
                handle.close()
            name = getattr(sheet, "row_data_filename", None)
            if name:
                Path(name).unlink(missing_ok=True)


def csv_safe(text: str) -> str:
    """A text a spreadsheet shows as typed (OWASP CSV injection: prefix a single quote)."""
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


class CsvSink:
    """A .csv file (UTF-8 with a byte order mark, so Excel reads accents right).

    Its rows arrive as text already, made safe in SQL (`table_sql(..., "csv")`).
    """

    extension = "csv"

    def __init__(self, path: Path):
        self.rows = 0
        self.cut_cells = 0
        self.sheets: list[tuple[str, int]] = []
        self._file = open(private_file(path), "w", newline="",  # noqa: SIM115
                          encoding="utf-8-sig")
        self._csv = csv.writer(self._file)
        self._csv.writerow(HEADER)

    def write(self, batch: Sequence[Sequence]) -> None:
        self._csv.writerows(batch)
        self.rows += len(batch)

    def close(self, cover: Cover) -> None:
        self._file.close()  # a CSV has no cover: the Data log and the email say who and what

    def abort(self) -> None:
        self._file.close()


def open_sink(fmt: str, path: Path, *, rows_per_sheet: int = SHEET_ROWS,
              tmpdir: Path | None = None):
    if fmt == "xlsx":
        return XlsxSink(path, rows_per_sheet=rows_per_sheet, tmpdir=tmpdir)
    if fmt == "csv":
        return CsvSink(path)
    raise ValueError(f"unknown format {fmt!r}")
