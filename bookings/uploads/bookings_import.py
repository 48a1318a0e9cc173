"""Uploading bookings from a spreadsheet: every problem found at once, a
preview, and a commit that happens exactly once and stores exactly what the
preview promised.

The skeleton (read, check, record the batch, keep the file; at commit, read
and check again inside the transaction, then write) is
`batch.Importer`, shared with the services upload. This module is the
bookings' part: turning cells into typed values (the file's own conventions
first: decimal comma or point, day or month first, seconds or minutes),
handing them to the typed rules of `booking_rules`, and what only a whole
file shows (services on consecutive rows, one phone with two names,
repeats, bookings already in the store).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time
from operator import itemgetter

import pandas as pd
import pyarrow as pa

from bookings.history import new_operation_id
from bookings.model import Attendance, Right, Source
from bookings.store import Connection, new_ids, next_id
from bookings.uploads import batch
from bookings.uploads.batch import Committed, FilePreview, Issue, UploadRefused
from bookings.uploads.rules import (
    DEFAULT_LENGTH_S,
    FAR_PAST,
    BookingChecks,
    Catalog,
    ParsedBooking,
    far_ahead,
)
from bookings.uploads.sheet import (
    BOOKINGS_FILE,
    EXAMPLE_ROW,
    HEADERS,
    Sheet,
    cell_blank,
    cell_text,
)
from bookings.uploads.spreadsheets import BadCell
from bookings.values import (
    Percent,
    amount_problem,
    fold,
    has_slashed_dates,
    infer_day_first,
    infer_decimal,
    parse_amount,
    parse_date_text,
    parse_number,
    parse_time,
    parse_whole,
    to_cent,
)

KIND = "bookings"  # this upload's import batches
EXAMPLE_VISIT = datetime(2016, 1, 4, 10, 30)  # the template's example row
DURATION_UNITS = ("seconds", "minutes")
STATUS_TEXTS = {a.label: a for a in Attendance}
_STATUS_LOOSE = {"".join(ch for ch in a.label.lower() if ch.isalpha()): a for a in Attendance}
SERVICE_COLUMNS = ("service_ids", "service_names", "prices", "discounts")
MINUTES_LIKE_MAX = 480  # every duration at most this and a multiple of 5: likely minutes
_ID_HINT = "type IDs in a text cell, or separate them with ## (10##20)"


@dataclass
class Preview(FilePreview):
    bookings: list[ParsedBooking] = field(default_factory=list)  # the valid rows
    PARSED = ("bookings",)


@dataclass
class Conventions:
    """What one file does throughout, decided once from its unambiguous values."""

    decimal: str | None = None  # ',' or '.' for text amounts
    day_first: bool | None = None  # for a/b/yyyy dates
    slashed: bool = False
    duration_unit: str = "seconds"
    minutes_suspected: bool = False  # every duration small and a multiple of 5
    has_time: bool = False  # a separate Time column
    bad_rows: frozenset[int] = frozenset()  # rows with an error cell or a formula without value

    @property
    def has_bad_cells(self) -> bool:
        return bool(self.bad_rows)

    @classmethod
    def of(cls, sheet: Sheet, duration_unit: str) -> Conventions:
        rows = [row for _, row in sheet.rows]
        width = min(map(len, rows))

        def column(key) -> list:
            position = sheet.columns.get(key)
            if position is None:
                return []
            if position < width:
                return list(map(itemgetter(position), rows))
            return [row[position] if position < len(row) else None for row in rows]

        def texts(key) -> set[str]:
            return {v for v in set(column(key)) if v.__class__ is str and v.strip()}

        dates = [v for v in column("date") if v.__class__ is str]
        dates = [v for v in dates if "/" in v] if "/" in "".join(dates) else []
        amounts = [*texts("prices"), *texts("discounts"), *texts("duration")]
        durations = []
        for value in set(column("duration")):
            if not cell_blank(value) and value.__class__ is not BadCell:
                try:
                    durations.append(parse_number(value, "."))
                except ValueError:
                    pass
        bad = frozenset(n for n, row in sheet.rows if any(c.__class__ is BadCell for c in row)
                        ) if sheet.bad_cells else frozenset()
        return cls(
            decimal=infer_decimal(amounts), day_first=infer_day_first(dates),
            slashed=has_slashed_dates(dates), duration_unit=duration_unit,
            minutes_suspected=duration_unit == "seconds" and bool(durations) and all(
                0 < d <= MINUTES_LIKE_MAX and d % 5 == 0 for d in durations),
            has_time="time" in sheet.columns, bad_rows=bad)


# --- one row: cells to typed values -----------------------------------------------------


class _Row(BookingChecks):
    """Reads one row's cells into typed values and checks them by the rules."""

    def __init__(self, catalog: Catalog, sheet: Sheet, number: int, cells: list,
                 conventions: Conventions):
        super().__init__(catalog, sheet, number, cells)
        self.conventions = conventions
        self.memo: dict | None = None  # a reader's: outcomes shared between rows

    def parse(self) -> ParsedBooking | None:
        if self.conventions.has_bad_cells:
            self.flag_bad_cells()
        self.example_row()
        visit_at = self.visit()
        staff_id = self.staff()
        client = self.check_client(cell_text(self.cell("phone")),
                                   cell_text(self.cell("client_name")))
        length_s = self.length()
        lines = self.services()
        attendance = self.status()
        return self.booking(visit_at, length_s, staff_id, client, attendance,
                            cell_text(self.cell("comment")), lines)

    def example_row(self) -> None:
        date_cell = self.cell("date")
        if cell_text(self.cell("client_name")) == EXAMPLE_ROW[3] and (
                cell_text(date_cell) == EXAMPLE_ROW[0] or date_cell == EXAMPLE_VISIT):
            self.error("date", "this is the template's example row (04.01.2016 10:30, Kate "
                               "Smith): delete it and keep only real bookings")

    # The date, and the time when the file keeps it apart.

    def visit(self) -> datetime | None:
        value = self.cell("date")
        if cell_blank(value):
            return self.error("date", "is mandatory")
        try:
            on, at = self._date_and_time(value)
        except ValueError as exc:
            return self.error("date", str(exc))
        if at is None:
            if not self.conventions.has_time:
                return self.error("date", f"{on:%d.%m.%Y} has no time: write the time too "
                                          "(24.11.2026 14:30), or add a Time column")
            raw = self.cell("time")
            if cell_blank(raw):
                return self.error("time", f"is mandatory: the date {on:%d.%m.%Y} has no time")
            try:
                at = parse_time(raw)
            except ValueError as exc:
                return self.error("time", str(exc))
        return self.check_visit(datetime.combine(on, at))

    def _date_and_time(self, value) -> tuple[date, time | None]:
        kind = value.__class__
        if kind is datetime:
            return value.date(), value.time().replace(microsecond=0)
        if kind is date:
            return value, None
        if kind is str:
            return parse_date_text(value, self.conventions.day_first)
        if kind is time:
            raise ValueError(f"{value:%H:%M} is a time without a date")
        raise ValueError(f"'{cell_text(value)}' is a number, not a date: write 24.11.2026 14:30 "
                         "or format the cell as a date")

    def staff(self) -> int | None:
        raw_id, name = self.cell("staff_id"), cell_text(self.cell("staff_name"))
        if cell_blank(raw_id):
            return self.check_staff(None, name)
        try:
            staff_id = parse_whole(raw_id)
        except ValueError as exc:
            return self.error("staff_id", f"'{cell_text(raw_id)}' is not an employee ID: {exc}; "
                                          f"{_ID_HINT.replace('IDs', 'the ID')}")
        return self.check_staff(staff_id, name)

    def length(self) -> int:
        raw = self.cell("duration")
        if cell_blank(raw):
            return DEFAULT_LENGTH_S
        unit = self.conventions.duration_unit
        try:
            amount = parse_number(raw, self.conventions.decimal)
        except ValueError:
            self.error("duration", f"'{cell_text(raw)}' is not a number of {unit}")
            return DEFAULT_LENGTH_S
        if self.conventions.minutes_suspected and 0 < amount <= MINUTES_LIKE_MAX and \
                amount % 5 == 0:
            self.error("duration", f"{amount:g} s: did you mean {amount:g} minutes? Durations "
                                   "are in seconds: write them in seconds, or choose minutes "
                                   "as the unit of this file")
            return DEFAULT_LENGTH_S
        return self.check_length(amount * 60 if unit == "minutes" else amount)

    # Services: IDs or names, prices and discounts, one per service.

    def services(self) -> list[tuple[int, str, int, float, float]]:
        ids = self.remembered("ids", (self.cell("service_ids"), self.cell("service_names")),
                              self.service_ids)
        if ids is None:
            return []
        count = len(ids)
        prices = self.remembered("prices", (self.cell("prices"), count),
                                 lambda: self.amounts("prices", count))
        if prices is None and self.has_errors_in("prices"):
            return []
        list_prices = [self.catalog.services[i][2] if i in self.catalog.services else 0.0
                       for i in ids]
        final_prices = prices if prices is not None else list_prices
        discounts = self.remembered("discounts", (self.cell("discounts"), tuple(final_prices)),
                                    lambda: self.discounts(count, final_prices))
        return self.check_lines(ids, prices, discounts)

    def remembered(self, name: str, key: tuple, work):
        """WORK's value and problems, worked out once per KEY when the reader
        shares a memo (its parts are checked row by row otherwise)."""
        if self.memo is None:
            return work()
        found = self.memo.get((name, key))
        if found is None:
            before = len(self.issues)
            value = work()
            found = self.memo[(name, key)] = (value, self.issues[before:])
        else:
            value = found[0]
            self.issues += [Issue(self.number, i.column, i.message, i.level) for i in found[1]]
        return value

    def has_errors_in(self, key: str) -> bool:
        return any(i.column == HEADERS[key] and i.level == "error" for i in self.issues)

    def service_ids(self) -> list[int] | None:
        """The services by ID (`,` or `##`) or by name (`##`); both must agree."""
        raw = self.cell("service_ids")
        named = self.service_names()
        if named is None:
            return None
        if raw.__class__ in (float, Percent) and not float(raw).is_integer():
            if named:
                self.warn("service_ids", f"Service ID read as the number {raw:g}: taken from "
                          f"the names as {', '.join(map(str, named))}; {_ID_HINT}")
                return named
            return self.error("service_ids", f"read as the number {raw:g}, not service IDs: "
                                             f"{_ID_HINT}")
        ids = []
        for text in cell_text(raw).replace("##", ",").split(",") if not cell_blank(raw) else []:
            text = text.strip()
            if not text:
                continue
            try:
                ids.append(parse_whole(text))
            except ValueError as exc:
                return self.error("service_ids", f"'{text}' is not a service ID: {exc}; "
                                                 f"{_ID_HINT}")
        for service_id in ids:
            if service_id not in self.catalog.services:
                return self.error("service_ids", f"service {service_id} does not exist")
        if ids and named and ids != named:
            return self.error("service_names", "the names do not match the service IDs")
        return ids or named

    def service_names(self) -> list[int] | None:
        named = []
        for title in _split(self.cell("service_names"), "##"):
            matches = self.catalog.services_by_title.get(fold(title), [])
            if len(matches) != 1:
                return self.error("service_names", f"'{title}' is not a service in Settings > "
                                                   "Services")
            named.append(matches[0])
        return named

    def amounts(self, key: str, services: int) -> list[float] | None:
        """One amount per service, separated by #; None when the cell is empty."""
        parts = _parts(self.cell(key))
        if not parts:
            return None
        if len(parts) != services:
            return self.error(key, f"{len(parts)} value(s) for {services} service(s): give one "
                                   "per service, separated by #")
        values = []
        for part in parts:
            try:
                values.append(parse_amount(part, self.conventions.decimal))
            except ValueError as exc:
                return self.error(key, amount_problem(part, exc))
        return values

    def discounts(self, services: int, prices: list[float]) -> list[float] | None:
        """Per service; or one for the whole booking (spread over its services by
        price), or a percentage of each price."""
        parts = _parts(self.cell("discounts"))
        if not parts:
            return None
        if not services:
            if any(cell_text(part) not in ("0", "0%") for part in parts):
                self.error("discounts", "a discount without a service: give the service too")
            return None
        if len(parts) not in (1, services):
            return self.error("discounts", f"{len(parts)} value(s) for {services} service(s): "
                                           "give one per service separated by #, or one for "
                                           "the whole booking")
        values = []
        for part in parts:
            percent = part.__class__ is Percent or (part.__class__ is str and
                                                     part.rstrip().endswith("%"))
            try:
                number = (round(float(part) * 100, 6) if part.__class__ is Percent else
                          parse_amount(part.rstrip().rstrip("%").rstrip(),
                                       self.conventions.decimal) if percent else
                          parse_amount(part, self.conventions.decimal))
            except ValueError as exc:
                return self.error("discounts", amount_problem(part, exc))
            values.append((number, percent))
        if len(values) == 1 and services > 1:
            (number, percent), = values
            if number == 0:
                return [0.0] * services
            if percent:
                return self._percent_of(number, prices)
            spread = _spread(number, prices)
            if spread is None:
                return self.error("discounts", f"{number:g} for the booking is above its "
                                               f"prices' total {sum(prices):g}")
            self.warn("discounts", f"one discount {number:g} for {services} services: spread "
                                   f"over them by price as {'#'.join(f'{d:g}' for d in spread)}")
            return spread
        result = []
        for (number, percent), price in zip(values, prices, strict=True):
            result.append(self._percent_of(number, [price])[0] if percent else number)
        return result

    def _percent_of(self, percent: float, prices: list[float]) -> list[float] | None:
        if percent > 100:
            return self.error("discounts", f"{percent:g} % is more than the price")
        amounts = [to_cent(p * percent / 100) for p in prices]
        self.warn("discounts", f"{percent:g} % read as a percentage of the price: "
                               f"{'#'.join(f'{a:g}' for a in amounts)}")
        return amounts

    def status(self) -> Attendance:
        raw_code, text = self.cell("status_code"), cell_text(self.cell("status_text"))
        by_code = by_text = None
        if not cell_blank(raw_code):
            try:
                code = parse_whole(raw_code)
            except ValueError as exc:
                self.error("status_code", f"'{cell_text(raw_code)}' is not -1, 0, 1 or 2 ({exc})")
            else:
                by_code = self.check_attendance(code) if code in (-1, 0, 1, 2) else \
                    self.error("status_code", f"'{code}' is not -1, 0, 1 or 2")
        if text:
            by_text = STATUS_TEXTS.get(text)
            if by_text is None:
                by_text = _STATUS_LOOSE.get("".join(ch for ch in text.lower() if ch.isalpha()))
                if by_text is None:
                    self.error("status_text", f"'{text}' is not one of No-Show, Pending, "
                                              "Arrived, Confirmed")
                else:
                    self.warn("status_text", f"'{text}' read as {by_text.label}")
        if by_code is not None and by_text is not None and by_code != by_text:
            self.error("status_text", f"'{text}' disagrees with status number {by_code.value}")
        if by_code is None and by_text is None:
            if cell_blank(raw_code) and not text:
                self.warn("status_code", "empty: the booking is Pending")
            return Attendance.PENDING
        return by_code if by_code is not None else by_text


def _split(value, separator: str) -> list[str]:
    text = cell_text(value)
    return [part.strip() for part in text.split(separator)] if text else []


def _parts(value) -> list:
    """An amounts cell's parts: a number cell is one part, kept as a number."""
    if cell_blank(value):
        return []
    if value.__class__ in (float, int, Percent):
        return [value]
    return [part for part in _split(value, "#")]


def _spread(total: float, prices: list[float]) -> list[float] | None:
    """TOTAL over the services in proportion to their prices, to the cent."""
    whole = sum(prices)
    if total > whole:
        return None
    shares = [to_cent(total * p / whole) if whole else 0.0 for p in prices]
    shares[-1] = to_cent(total - sum(shares[:-1]))
    return shares


# --- the whole file --------------------------------------------------------------------


def _is_continuation(sheet: Sheet, cells: list) -> bool:
    """A row with only service cells filled: more services of the booking above."""
    filled = False
    for key in sheet.columns:
        if not cell_blank(sheet.value(cells, key)):
            if key not in SERVICE_COLUMNS:
                return False
            filled = True
    return filled


# Each part of a row is checked by the cells it reads alone; a file repeats
# the same employees, services, prices, durations and statuses thousands of
# times, so each distinct combination is checked once and its outcome replayed.
_PARTS = (("visit", ("date", "time")), ("staff", ("staff_id", "staff_name")),
          ("length", ("duration",)), ("services", SERVICE_COLUMNS),
          ("status", ("status_code", "status_text")))


class _Reader:
    """Reads the rows of one file by `_Row`'s checks, fast.

    A row whose visit, phone and name are plain (a date cell or `dd.mm.yyyy
    hh:mm` on the interval, digits, a name) takes the fast path: those read
    inline, the other parts replayed from the first row that had the same
    cells. Anything else is read by `_Row.parse` in full, so both paths give
    the same outcome."""

    def __init__(self, catalog: Catalog, sheet: Sheet, conventions: Conventions):
        self.catalog, self.sheet, self.conventions = catalog, sheet, conventions
        self.parts = []
        for name, keys in _PARTS[1:]:  # the visit is read inline
            present = [sheet.columns[k] for k in keys if k in sheet.columns] or [0]
            self.parts.append((name, itemgetter(*present, present[0]), {}))  # always a tuple
        self.width = max(sheet.columns.values()) + 1
        self.date_at, self.phone_at, self.name_at, self.comment_at = (
            sheet.columns.get(k) for k in ("date", "phone", "client_name", "comment"))
        self.plain = self.date_at is not None and self.phone_at is not None and \
            self.name_at is not None and not conventions.has_time
        self.interval = catalog.interval_min
        self.latest = far_ahead()
        self.memo: dict = {}

    def read_all(self) -> list[tuple[ParsedBooking | None, list[Issue]]]:
        """Every row's outcome, worked out a column at a time (rows a CSV left short
        padded with empty cells, as a spreadsheet gives them)."""
        rows = self.sheet.rows
        if not self.plain:
            return [self._in_full(number, cells) for number, cells in rows]
        width = self.width
        everything = [cells if len(cells) >= width else cells + [""] * (width - len(cells))
                      for _, cells in rows]
        visits = list(map(self._visit, map(itemgetter(self.date_at), everything)))
        phones = list(map(self._phone, map(itemgetter(self.phone_at), everything)))
        names = [n.strip() if n.__class__ is str else cell_text(n)
                 for n in map(itemgetter(self.name_at), everything)]
        comments = [""] * len(rows) if self.comment_at is None else [
            c.strip() if c.__class__ is str else cell_text(c)
            for c in map(itemgetter(self.comment_at), everything)]
        parts = [self._outcomes(part, cells_of, outcomes, everything)
                 for part, cells_of, outcomes in self.parts]
        clients, bad = self.catalog.clients, self.conventions.bad_rows
        results = []
        for (number, _), cells, visit_at, phone, name, comment, staff, length, services, \
                status in zip(rows, everything, visits, phones, names, comments, *parts,
                              strict=True):
            known = clients.get(phone) if phone is not None else None
            if visit_at is None or phone is None or not name or name == EXAMPLE_ROW[3] or \
                    number in bad or (known is not None and known[1] != name):
                results.append(self._in_full(number, cells))
                continue
            issues = []
            for outcome in (staff, length, services, status):
                if outcome[1]:
                    issues += [Issue(number, column, message, level)
                               for column, message, level in outcome[1]]
            if staff[2] or length[2] or services[2] or status[2]:
                results.append((None, issues))
                continue
            results.append((ParsedBooking(
                number, visit_at, length[0], staff[0], phone, name,
                known[0] if known is not None else None, status[0], comment, services[0]),
                issues))
        return results

    def _outcomes(self, part: str, cells_of, outcomes: dict, everything: list) -> list:
        """Each row's outcome of one part: checked once per distinct cells."""
        column = []
        for raw, cells in zip(map(cells_of, everything), everything, strict=True):
            outcome = outcomes.get(raw)
            if outcome is None:
                outcome = outcomes[raw] = self._check(part, cells)
            column.append(outcome)
        return column

    def _visit(self, raw) -> datetime | None:
        """A visit that needs no word: on the interval, not far from today."""
        kind = raw.__class__
        if kind is str:  # 24.11.2026 14:30, exactly
            if len(raw) != 16 or raw[2] != "." or raw[5] != "." or raw[10] != " " or \
                    raw[13] != ":" or not raw.replace(".", "").replace(" ", "").replace(
                        ":", "").isdigit() or not raw.isascii():
                return None
            try:
                raw = datetime(int(raw[6:10]), int(raw[3:5]), int(raw[:2]), int(raw[11:13]),
                               int(raw[14:]))
            except ValueError:
                return None
        elif kind is not datetime or raw.second or raw.microsecond:
            return None
        if raw.minute % self.interval or not FAR_PAST <= raw <= self.latest:
            return None
        return raw

    @staticmethod
    def _phone(raw) -> str | None:
        kind = raw.__class__
        if kind is float and raw.is_integer() and 1e9 <= raw < 1e15:
            return str(int(raw))
        if kind is str:
            digits = raw[1:] if raw[:1] == "+" else raw
            if digits.isdigit() and digits.isascii() and 10 <= len(digits) <= 15 and \
                    not digits.startswith("00"):
                return digits
        return None

    def _in_full(self, number: int, cells: list) -> tuple[ParsedBooking | None, list[Issue]]:
        row = _Row(self.catalog, self.sheet, number, cells, self.conventions)
        return row.parse(), row.issues

    def _check(self, part: str, cells: list) -> tuple:
        row = _Row(self.catalog, self.sheet, 0, cells, self.conventions)
        row.memo = self.memo
        value = getattr(row, part)()
        return value, [(i.column, i.message, i.level) for i in row.issues], row.has_errors()




def _blank_at(cells: list, position: int | None) -> bool:
    value = cells[position] if position is not None and position < len(cells) else None
    return value is None or (value.__class__ is str and not value.strip())


class BookingsImporter(batch.Importer):
    KIND, NOUN, LAYOUT, RIGHT, PREVIEW = KIND, "bookings", BOOKINGS_FILE, Right.UPLOAD, Preview

    def check(self, con: Connection, sheet: Sheet, options: dict) -> Preview:
        unit = options.get("duration_unit") or "seconds"
        if unit not in DURATION_UNITS:
            raise UploadRefused(f"The duration unit is seconds or minutes, not '{unit}'.")
        conventions = Conventions.of(sheet, unit)
        catalog = Catalog.load(con)
        bookings: list[ParsedBooking] = []
        issues: list[Issue] = []
        joined: set[int] = set()
        if conventions.slashed and conventions.day_first is None:
            issues_note = ("The dates like 03/04/2025 could be day/month or month/day, and none "
                           "has a day above 12 to tell: write them as 03.04.2025 or 2025-04-03.")
        else:
            issues_note = None
        previous: tuple[int, list, ParsedBooking | None] | None = None
        anchors = sheet.columns.get("date", sheet.columns.get("phone"))
        read = _Reader(catalog, sheet, conventions).read_all()
        for (number, cells), (parsed, found) in zip(sheet.rows, read, strict=True):
            if previous is not None and _blank_at(cells, anchors) and \
                    _is_continuation(sheet, cells):
                issues += self._continue(catalog, sheet, number, cells, conventions, previous)
                joined.add(number)
                continue
            issues += found
            if parsed is not None and previous is not None and previous[2] is not None and \
                    _same_booking(previous[2], parsed) and cells != previous[1]:
                _join(previous[2], parsed)
                issues.append(Issue(number, HEADERS["service_ids"], f"same date, employee and "
                                    f"phone as row {previous[0]}: joined with it as one booking",
                                    "warning"))
                joined.add(number)
                continue
            previous = (number, cells, parsed)
            if parsed is not None:
                bookings.append(parsed)
        bookings, more = _flag_repeats(con, bookings)
        issues += more + _two_names(bookings)
        result = Preview(batch_id=0, file_name="", sha256="", sheet=sheet,
                         issues=sorted(issues, key=lambda i: (i.row, i.level != "error")),
                         notices=list(sheet.notices) + ([issues_note] if issues_note else []),
                         bookings=bookings, joined=joined)
        if unit == "minutes":
            result.notices.append("Durations read in minutes.")
        return result

    def _continue(self, catalog, sheet, number, cells, conventions, previous) -> list[Issue]:
        """Services on a row of their own, added to the booking above."""
        above_number, _, above = previous
        if above is None:
            return [Issue(number, HEADERS["service_ids"], f"more services for row "
                          f"{above_number}, which has errors")]
        row = _Row(catalog, sheet, number, cells, conventions)
        lines = row.services()
        if row.has_errors() or not lines:
            return row.issues or [Issue(number, HEADERS["service_ids"], "no service")]
        above.lines = above.lines + lines  # a new list: parts' outcomes are shared
        return [*row.issues, Issue(number, HEADERS["service_ids"], f"only services: added to "
                                   f"the booking of row {above_number}", "warning")]

    def write(self, con: Connection, user, result: Preview, now: datetime) -> Committed:
        log_id = _import(con, user, result, now)
        return Committed(result.batch_id, len(result.bookings), sorted(result.error_rows),
                         log_id)


def _same_booking(first: ParsedBooking, second: ParsedBooking) -> bool:
    return (first.visit_at, first.staff_id, first.phone) == \
        (second.visit_at, second.staff_id, second.phone)


def _join(into: ParsedBooking, other: ParsedBooking) -> None:
    into.lines = into.lines + other.lines  # a new list: parts' outcomes are shared
    into.length_s = max(into.length_s, other.length_s)
    if other.comment and other.comment != into.comment:
        into.comment = "; ".join(c for c in (into.comment, other.comment) if c)


def _flag_repeats(con: Connection, bookings: list[ParsedBooking]):
    """Rows that repeat an earlier row of the file, or a booking already in the store."""
    issues, kept, seen = [], [], {}
    for booking in bookings:
        key = (booking.staff_id, booking.visit_at, booking.phone)
        if key in seen:
            issues.append(Issue(booking.row, HEADERS["date"], f"repeats row {seen[key]} (same "
                                "employee, time and phone)"))
        else:
            seen[key] = booking.row
            kept.append(booking)
    if kept:
        keys = pa.table({"row": [b.row for b in kept], "staff_id": [b.staff_id for b in kept],
                         "visit_at": pa.array([b.visit_at for b in kept], pa.timestamp("us")),
                         "phone": [b.phone for b in kept]})
        con.register("upload_keys", keys)
        in_store = dict(con.execute("""
            SELECT k.row, min(b.id) FROM upload_keys k
            JOIN clients c ON c.phone = k.phone
            JOIN bookings b ON b.client_id = c.id AND b.staff_id = k.staff_id
                           AND b.visit_at = k.visit_at AND NOT b.deleted
            GROUP BY k.row
        """).fetchall())
        con.unregister("upload_keys")
        for booking in kept:
            if booking.row in in_store:
                issues.append(Issue(booking.row, HEADERS["date"], "already in the store as "
                                    f"booking {in_store[booking.row]}"))
        kept = [b for b in kept if b.row not in in_store]
    return kept, issues


def _two_names(bookings: list[ParsedBooking]) -> list[Issue]:
    """A new client's phone with different names in the file: the first is kept."""
    first: dict[str, ParsedBooking] = {}
    issues = []
    for booking in bookings:
        if booking.client_id is not None:
            continue  # a known client keeps the name on file (warned per row)
        kept = first.setdefault(booking.phone, booking)
        if kept.client_name != booking.client_name and \
                fold(kept.client_name) != fold(booking.client_name):
            issues.append(Issue(booking.row, HEADERS["client_name"], f"{booking.phone} is "
                                f"'{kept.client_name}' in row {kept.row} and "
                                f"'{booking.client_name}' here: the client is saved as "
                                f"'{kept.client_name}'", "warning"))
            booking.client_name = kept.client_name
    return issues


IMPORTER = BookingsImporter()


def preview(con: Connection, user, data: bytes, file_name: str, *, sheet: str | None = None,
            duration_unit: str | None = None) -> Preview:
    """Read and check every row; record the batch as previewed. Writes no booking."""
    return IMPORTER.preview(con, user, data, file_name, sheet=sheet,
                            duration_unit=duration_unit)


def commit(con: Connection, user, result: Preview, *, skip_invalid: bool = False,
           force_duplicate_file: bool = False, now: datetime | None = None) -> Committed:
    """Check the kept file again and import its valid rows: one transaction, exactly once."""
    return IMPORTER.commit(con, user, result, skip_invalid=skip_invalid,
                           force_duplicate_file=force_duplicate_file, now=now)


def cancel(con: Connection, result: Preview) -> None:
    IMPORTER.cancel(con, result)


def rows_to_fix(con: Connection, result: Preview) -> bytes:
    """The rows with errors as they were, an Error column, the bad cells marked."""
    return IMPORTER.rows_to_fix(con, result)


def previous_commit(con: Connection, sha256: str, *, other_than: int | None = None) -> dict | None:
    return batch.previous_commit(con, sha256, kind=KIND, other_than=other_than)


recover_interrupted = batch.recover_interrupted


# --- writing -----------------------------------------------------------------------------


def _import(con: Connection, user, result: Preview, now: datetime) -> int:
    """Write clients, bookings, service lines, history and the log entry (set-based)."""
    first_booking = new_ids(con, "bookings", len(result.bookings))
    new_phones = list(dict.fromkeys(b.phone for b in result.bookings if b.client_id is None))
    first_client = new_ids(con, "clients", len(new_phones)) if new_phones else 0
    new_clients = {phone: first_client + n for n, phone in enumerate(new_phones)}
    rows, lines = [], []
    for offset, booking in enumerate(result.bookings):
        client_id = booking.client_id
        if client_id is None:
            client_id = new_clients[booking.phone]
        booking_id = first_booking + offset
        rows.append((booking_id, booking.visit_at, booking.length_s, booking.staff_id, client_id,
                     int(booking.attendance), booking.comment, booking.to_pay,
                     len(booking.lines)))
        lines += [(booking_id, n, sid, title, cat, cost, discount, to_cent(cost - discount))
                  for n, (sid, title, cat, cost, discount) in enumerate(booking.lines, start=1)]
    names = {}
    for booking in result.bookings:
        names.setdefault(booking.phone, booking.client_name)
    clients = pd.DataFrame([(cid, names[phone], phone) for phone, cid in new_clients.items()],
                           columns=["id", "name", "phone"])
    new_bookings = pd.DataFrame(rows, columns=["id", "visit_at", "length_s", "staff_id",
                                               "client_id", "attendance", "comment", "to_pay",
                                               "service_count"])
    new_lines = pd.DataFrame(lines, columns=["booking_id", "line_no", "service_id", "title",
                                             "category_id", "cost", "discount", "to_pay"])
    operation = new_operation_id()
    con.register("upload_clients", clients)
    con.register("upload_bookings", new_bookings)
    con.register("upload_lines", new_lines)
    try:
        if new_clients:  # an empty frame's columns have no type to insert from
            con.execute("INSERT INTO clients (id, name, phone) SELECT id, name, phone "
                        "FROM upload_clients")
        con.execute("""
            INSERT INTO bookings (id, visit_at, length_s, staff_id, client_id, attendance, online,
                                  source, created_at, created_by, last_change_at, to_pay, paid,
                                  service_count, comment, import_batch_id)
            SELECT id, visit_at, length_s, staff_id, client_id, attendance, FALSE, ?, ?, ?, ?,
                   to_pay::DECIMAL(12, 2), 0, service_count, comment, ? FROM upload_bookings
        """, [Source.EXCEL.value, now, user.id, now, result.batch_id])
        if lines:
            con.execute("INSERT INTO booking_services SELECT booking_id, line_no, service_id, "
                        "title, category_id, cost::DECIMAL(12, 2), discount::DECIMAL(12, 2), "
                        "to_pay::DECIMAL(12, 2) FROM upload_lines")
        first_history = new_ids(con, "booking_history", len(result.bookings))
        con.execute("""
            INSERT INTO booking_history (id, booking_id, changed_at, actor_id, actor_login,
                                         action, operation_id, changes)
            SELECT ? + row_number() OVER (ORDER BY id) - 1, id, ?, ?, ?, 'imported', ?, ?
            FROM upload_bookings
        """, [first_history, now, user.id, user.login, operation,
              json.dumps({"batch": result.batch_id, "file": result.file_name})])
    finally:
        for view in ("upload_clients", "upload_bookings", "upload_lines"):
            con.unregister(view)
    log_id = next_id(con, "data_log")
    con.execute("""
        INSERT INTO data_log (id, requested_at, user_id, user_login, kind, what, rows,
                              rows_left_out, format, state, file_sha256, operation_id,
                              finished_at)
        VALUES (?, ?, ?, ?, 'upload', ?, ?, ?, ?, 'done', ?, ?, ?)
    """, [log_id, now, user.id, user.login, result.file_name, len(result.bookings),
          len(result.error_rows), _format_of(result.file_name), result.sha256, operation, now])
    return log_id


def _format_of(file_name: str) -> str:
    suffix = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    return suffix if suffix in ("xlsx", "xls", "ods", "csv") else "xlsx"
