"""The sheet that holds an upload: columns found by their headers, typed cells.

What a file holds is a `FileLayout`: the bookings upload's 13 columns (the
seed's, and a Time column when dates come without one), or the services
upload's 4. Headers are matched by name (any case, the seed's wording and close
variants), in any order, within the first rows (a title may sit above); extra
columns are ignored and named. The sheet named, or else the first whose header
matches, is read; a one-sheet file without a header is read by position.
Cells keep their types (`spreadsheets`): a date cell is a datetime, a number
is a number. The files handed out (the template, the rows to fix) are written
here too, for any layout.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from bookings.uploads.spreadsheets import (
    BadCell,
    RawSheet,
    SpreadsheetRefused,
    max_rows,
    read_sheets,
)

# (key, the seed's header, accepted variants) in the seed's order.
COLUMNS = [
    ("date", "Date", ("date", "visit date", "date and time", "visit", "datetime")),
    ("staff_id", "Employee ID", ("employee id", "staff id", "employee number", "master id")),
    ("phone", "Customer phone number", ("customer phone number", "customer phone",
                                        "client phone", "phone number", "phone", "telephone")),
    ("client_name", "Client name", ("client name", "customer name", "client", "customer")),
    ("staff_name", "Employee name", ("employee name", "staff name", "employee", "master")),
    ("duration", "Duration", ("duration", "duration seconds", "duration s", "length")),
    ("service_ids", "Service ID", ("service id", "service ids", "services id")),
    ("service_names", "Name of service", ("name of service", "service name", "service names",
                                          "services", "service")),
    ("prices", "Price of service", ("price of service", "price", "prices", "service price",
                                    "cost")),
    ("discounts", "Discount on the service", ("discount on the service", "discount",
                                              "discounts", "service discount")),
    ("comment", "Comment", ("comment", "comments", "note", "notes")),
    ("status_code", "Booking status (number)", ("booking status number", "booking status",
                                                "status number", "status code")),
    ("status_text", "Appointment status (line)", ("appointment status line",
                                                  "appointment status", "status",
                                                  "status text", "status line")),
]


@dataclass(frozen=True)
class FileLayout:
    """The columns of one kind of upload file and which of them it must have."""

    columns: tuple[tuple[str, str, tuple[str, ...]], ...]  # (key, header, variants)
    required: tuple[tuple[str, ...], ...]  # for each: one of these keys must be a column
    noun: str  # what a row is, plural: "bookings"
    header_min: int = 3  # known headers that make a row the header row
    extras: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # read when there, not templated

    @property
    def headers(self) -> dict[str, str]:
        return {key: header for key, header, _ in (*self.columns, *self.extras)}

    def key_of(self, header) -> str | None:
        normalised = _normalise(header)
        return next((key for key, _, variants in (*self.columns, *self.extras)
                     if any(normalised == v.replace(" ", "") for v in variants)), None)


# A separate time of day, for files whose Date column holds dates only.
TIME_COLUMN = ("time", "Time", ("time", "visit time", "start time", "time of visit", "hour"))
BOOKINGS_FILE = FileLayout(tuple(COLUMNS), required=(("date",), ("phone",), ("client_name",),
                                                     ("staff_id", "staff_name")),
                           noun="bookings", extras=(TIME_COLUMN,))
HEADERS = BOOKINGS_FILE.headers
HEADER_SEARCH_ROWS = 20  # a title and blank rows may sit above the header


class FileRefused(ValueError):
    """The file as a whole cannot be read; the message says why."""


@dataclass
class Sheet:
    """The data rows of an upload file, by column key, with Excel's row numbers."""

    columns: dict[str, int]  # key -> position in a row
    rows: list[tuple[int, list]]  # (Excel's row number, cells); empty rows left out
    notices: list[str] = field(default_factory=list)
    header: list | None = None
    layout: FileLayout = BOOKINGS_FILE
    name: str = ""  # the sheet read
    bad_cells: bool = False  # some cell is an error or a formula without a value
    other_sheets: list[str] = field(default_factory=list)  # others whose header matches too

    def value(self, cells: list, key: str):
        position = self.columns.get(key)
        if position is None:
            return None
        try:
            return cells[position]
        except IndexError:  # a short row: the cell is empty
            return None


def _normalise(header) -> str:
    return re.sub(r"[^a-z0-9]", "", str(header or "").lower())


def match_headers(cells: list, layout: FileLayout = BOOKINGS_FILE
                  ) -> tuple[dict[str, int], list[str]]:
    """Column key -> position, and the headers we do not know."""
    found: dict[str, int] = {}
    unknown = []
    for position, cell in enumerate(cells):
        key = layout.key_of(cell)
        if key and key not in found:
            found[key] = position
        elif str(cell or "").strip():
            unknown.append(str(cell).strip())
    return found, unknown


def read_sheet(data: bytes, layout: FileLayout = BOOKINGS_FILE, *, file_name: str = "upload.xlsx",
               sheet_name: str | None = None) -> Sheet:
    """The sheet of the file that holds the upload, as typed cells.

    The header is looked for within the first rows of every sheet; the sheet
    named, or else the first whose header matches, is read, and the others
    that match are named so the user can pick one."""
    try:
        raw_sheets = read_sheets(data, file_name)
    except SpreadsheetRefused as exc:
        raise FileRefused(str(exc)) from None
    found = []
    for raw in raw_sheets:
        numbered = [(n, row) for n, row in enumerate(raw.rows, start=1)
                    if row.count("") != len(row) and any(map(_present, row))]
        header_at = _header_position(numbered, layout)
        found.append((raw, numbered, header_at))
    if sheet_name is not None:
        chosen = [f for f in found if f[0].name == sheet_name]
        if not chosen:
            raise FileRefused(f"There is no sheet '{sheet_name}'; the sheets are "
                              f"{', '.join(repr(f[0].name) for f in found)}.")
        candidates = chosen
    else:
        candidates = [f for f in found if f[2] is not None] or found[:1]
    raw, numbered, header_at = candidates[0]
    if header_at is None and len(raw_sheets) > 1:  # by position only in a one-sheet file
        columns = ", ".join(header for _, header, _ in layout.columns)
        raise FileRefused(f"The sheet '{raw.name}' has no header row with the columns "
                          f"({columns}) within its first {HEADER_SEARCH_ROWS} rows."
                          if sheet_name else
                          f"No sheet has a header row with the columns ({columns}); the sheets "
                          f"are {', '.join(repr(f[0].name) for f in found)}.")
    sheet = _sheet_of(raw, numbered, header_at, layout)
    sheet.bad_cells = raw.bad_cells
    sheet.other_sheets = [f[0].name for f in candidates[1:]]
    if len(raw_sheets) > 1:
        sheet.notices.insert(0, f"Read the sheet '{raw.name}'."
                             + (f" These sheets have the columns too: "
                                f"{', '.join(repr(n) for n in sheet.other_sheets)} (choose "
                                "another sheet to read one of them)."
                                if sheet.other_sheets else ""))
    sheet.notices[:0] = [n for r in raw_sheets for n in r.notices]
    return sheet


def _header_position(numbered: list[tuple[int, list]], layout: FileLayout) -> int | None:
    for position, (_, cells) in enumerate(numbered[:HEADER_SEARCH_ROWS]):
        if len(match_headers(cells, layout)[0]) >= layout.header_min:
            return position
    return None


def _sheet_of(raw: RawSheet, numbered: list, header_at: int | None, layout: FileLayout) -> Sheet:
    if not numbered:
        raise FileRefused(f"The sheet '{raw.name}' has no rows." if raw.name else
                          "The file has no rows.")
    if header_at is not None:
        header_row = numbered[header_at][1]
        found, unknown = match_headers(header_row, layout)
        notices = [f"Ignored columns: {', '.join(unknown)}."] if unknown else []
        if header_at:
            notices.append(f"The header is row {numbered[header_at][0]}; the rows above it "
                           "are not read.")
        sheet = Sheet(found, numbered[header_at + 1:], notices, header_row, layout, raw.name)
    else:  # no header: the template's order
        sheet = Sheet({key: i for i, (key, _, _) in enumerate(layout.columns)}, numbered,
                      ["The first row is not a header: columns read in the template's order."],
                      layout=layout, name=raw.name)
    missing = [layout.headers[keys[0]] for keys in layout.required
               if not any(k in sheet.columns for k in keys)]
    if missing:
        raise FileRefused(f"Missing column{'s' if len(missing) > 1 else ''}: "
                          f"{', '.join(missing)}. Start from the template.")
    if not sheet.rows:
        raise FileRefused(f"The file has a header but no {layout.noun}.")
    if len(sheet.rows) > max_rows():
        raise FileRefused(f"The file has {len(sheet.rows):,} rows: an upload takes at most "
                          f"{max_rows():,}. Split it into smaller files.")
    return sheet


def _present(cell) -> bool:
    return cell is not None and (cell.__class__ is not str or cell.strip() != "")


# --- cells -------------------------------------------------------------------

# These run a million times for a 100k-row file: exact class checks are the
# cheap path (calamine gives plain str, float, int, bool, datetime).


def cell_blank(value) -> bool:
    if value is None:
        return True
    kind = value.__class__
    if kind is str:
        return not value.strip()
    return kind is float and value != value  # NaN


def cell_text(value) -> str:
    """A cell as text; whole numbers without '.0', never in exponent notation."""
    kind = value.__class__
    if kind is str:
        return value.strip()
    if value is None or (kind is float and value != value):
        return ""
    if kind is float and value.is_integer():
        return str(int(value))
    return str(value).strip()


# --- files we hand out ---------------------------------------------------------

EXAMPLE_ROW = ["04.01.2016 10:30", 1, "12123445678", "Kate Smith", "Anna Smith", 3600, "1##2",
               "Women's haircut##Blow-dry", "55#35", "0#5", "First visit", 2, "Confirmed"]
EXPLANATIONS = {
    "date": "Date and time of the visit: 04.01.2016 10:30 (day first), 2016-01-04 10:30, or "
            "04/01/2016 10:30 when some date of the file has a day above 12 (the file decides "
            "day or month first). An Excel date cell works too. A date without a time needs a "
            "Time column. Rounded to the nearest booking interval.",
    "staff_id": "The employee's ID (Settings > Staff). Must exist; a whole number.",
    "phone": "Mandatory. Digits, country code first: 12123445678. Spaces, +, 00, a (0) after "
             "the country code, brackets and dashes are removed. 10 to 15 digits.",
    "client_name": "Mandatory. A client found by phone keeps the name on file; one phone "
                   "with two names in a file keeps the first.",
    "staff_name": "Optional; when given, the same name as in Settings > Staff for that ID.",
    "duration": "In seconds (or choose minutes for the whole file); rounded up to a multiple "
                "of 15 minutes. Empty = 15 minutes.",
    "service_ids": "Several: separated by , or ##. Each must exist (Settings > Services). Type "
                   "them in a text cell: where the comma is the decimal mark, 10,20 becomes "
                   "the number 10.2.",
    "service_names": "Several: separated by ##. As in Settings > Services (any case). A row "
                     "with only the service cells filled adds services to the booking above.",
    "prices": "One per service, separated by #; 1 200,50 and 1.200,50 and 1,200.50 all work. "
              "With only a total, 0 for the rest. Empty = the service's price.",
    "discounts": "One per service, separated by #; or one amount for the whole booking "
                 "(spread over its services by price); 10% is 10 percent of the price. Not "
                 "above the price.",
    "comment": "The booking's comment.",
    "status_code": "-1 No-Show, 0 Pending, 1 Arrived, 2 Confirmed. Empty = Pending.",
    "status_text": "No-Show, Pending, Arrived or Confirmed (another case is read, with a "
                   "warning). Must agree with the number when both are given.",
}


def _text_cell(cell, value) -> None:
    """Write user text as text: never a formula, whatever it starts with."""
    if isinstance(value, BadCell):
        value = None  # the Error column says what it was
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"


def template_xlsx(interval_min: int) -> bytes:
    """The upload template: the 13 headers, an example row, and a sheet on each column."""
    return layout_template_xlsx(
        BOOKINGS_FILE, "Bookings", [EXAMPLE_ROW], EXPLANATIONS,
        widths=(18, 12, 22, 20, 18, 10, 12, 28, 12, 12, 20, 12, 16),
        notes=[("Booking interval", f"{interval_min} minutes (visit times are rounded to it)"),
               ("Example row", "Row 2 of the Bookings sheet is an example: delete it. An "
                               "upload refuses it."),
               ("Files", "Excel (.xlsx, .xls), OpenDocument (.ods) or CSV (comma or "
                         "semicolon); the sheet with these headers is read, and a title "
                         "above the header is skipped.")])


def layout_template_xlsx(layout: FileLayout, title: str, examples: list[list],
                         explanations: dict[str, str], *, widths: tuple[int, ...],
                         notes: list[tuple[str, str]] = ()) -> bytes:
    """A template: the headers, example rows, and a sheet saying what each column takes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append([header for _, header, _ in layout.columns])
    for example in examples:
        sheet.append(example)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for position, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(position)].width = width
    help_sheet = book.create_sheet("Columns")
    help_sheet.append(["Column", "What to write"])
    for key, header, _ in layout.columns:
        help_sheet.append([header, explanations[key]])
    if notes:
        help_sheet.append([])
    for note in notes:
        help_sheet.append(list(note))
    help_sheet.column_dimensions["A"].width = 28
    help_sheet.column_dimensions["B"].width = 110
    return _saved(book)


def failed_rows_xlsx(sheet: Sheet, issues: list, error_rows: set[int]) -> bytes:
    """The rows with errors as they were, an Error column, and the bad cells marked red."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    red = PatternFill("solid", fgColor="F8CBD0")
    book = Workbook()
    out = book.active
    out.title = "Rows to fix"
    columns = [*sheet.layout.columns,
               *(extra for extra in sheet.layout.extras if extra[0] in sheet.columns)]
    headers = [header for _, header, _ in columns]
    out.append([*headers, "Error"])
    for cell in out[1]:
        cell.font = Font(bold=True)
    by_row: dict[int, list] = {}
    for issue in issues:
        if issue.level == "error":
            by_row.setdefault(issue.row, []).append(issue)
    for number, cells in sheet.rows:
        if number not in error_rows:
            continue
        out_row = out.max_row + 1
        for position, (key, _, _) in enumerate(columns, start=1):
            _text_cell(out.cell(out_row, position), sheet.value(cells, key))
        problems = by_row.get(number, [])
        _text_cell(out.cell(out_row, len(headers) + 1), "; ".join(
            f"row {number}, {i.column}: {i.message}" for i in problems))
        for issue in problems:
            position = headers.index(issue.column) + 1
            marked = out.cell(out_row, position)
            marked.fill = red
            marked.comment = Comment(issue.message, "Bookings Overview")
    return _saved(book)


def _saved(book) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
