"""Uploading bookings from Excel: every problem found at once, a preview, and
a commit that happens exactly once.

The preview and the commit run the same code (after django-import-export):
`preview` reads and validates every row, collecting every problem with its
row and column (after pandera's lazy validation), and records an import batch
in state `previewed`. `commit` imports the preview's valid rows in one
transaction. The batch's state machine, which makes the commit happen exactly
once, is `bookings.upload_batch`, shared with the services upload: two clicks,
two tabs, or the CLI next to the page never import a file twice; a file whose
content was committed before is refused unless the user explicitly confirms
again.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import pandas as pd

from bookings import upload_batch
from bookings.auth import User
from bookings.history import new_operation_id
from bookings.model import Attendance, Right, Source
from bookings.store import Connection, booking_interval_min, next_id, transaction
from bookings.upload_batch import FilePreview, Issue, UploadRefused
from bookings.upload_file import (
    HEADERS,
    FileRefused,
    Sheet,
    cell_blank,
    cell_number,
    cell_text,
    fold,
    read_sheet,
)

KIND = "bookings"  # this upload's import batches

DEFAULT_LENGTH_S = 15 * 60
STATUS_TEXTS = {a.label: a for a in Attendance}
DATE_TEXT = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


@dataclass
class ParsedBooking:
    row: int
    visit_at: datetime
    length_s: int
    staff_id: int
    phone: str
    client_name: str
    client_id: int | None  # an existing client found by phone
    attendance: Attendance
    comment: str
    lines: list[tuple[int, str, int, float, float]]  # service id, title, category, cost, discount


@dataclass
class Preview(FilePreview):
    bookings: list[ParsedBooking] = field(default_factory=list)  # the valid rows


# --- the catalogue the rows are checked against ------------------------------


@dataclass
class Catalog:
    interval_min: int
    staff: dict[int, str]
    staff_by_name: dict[str, list[int]]
    services: dict[int, tuple[str, int, float]]  # id -> title, category, price
    services_by_title: dict[str, list[int]]
    clients: dict[str, tuple[int, str]]  # phone -> id, name

    @classmethod
    def load(cls, con: Connection) -> Catalog:
        staff = dict(con.execute("SELECT id, name FROM staff").fetchall())
        services = {i: (t, c, float(p)) for i, t, c, p in con.execute(
            "SELECT id, title, category_id, price FROM services").fetchall()}
        return cls(
            interval_min=booking_interval_min(con),
            staff=staff,
            staff_by_name=_index_by_name(staff),
            services=services,
            services_by_title=_index_by_name({i: s[0] for i, s in services.items()}),
            clients={p: (i, n) for i, p, n in con.execute(
                "SELECT id, phone, name FROM clients").fetchall()},
        )


def _index_by_name(names: dict[int, str]) -> dict[str, list[int]]:
    index: dict[str, list[int]] = {}
    for key, name in names.items():
        index.setdefault(fold(name), []).append(key)
    return index


# --- cells -------------------------------------------------------------------


def parse_visit(value) -> datetime:
    """`04.01.2016 10:30` (day first), or an Excel date cell."""
    if isinstance(value, datetime):
        return value.replace(microsecond=0)
    if isinstance(value, date):
        return datetime.combine(value, time.min)
    match = DATE_TEXT.match(cell_text(value))
    if not match:
        raise ValueError(f"'{cell_text(value)}' is not a date like 04.01.2016 10:30")
    day, month, year, hour, minute, second = match.groups()
    try:
        return datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                        int(second or 0))
    except ValueError:
        raise ValueError(f"'{cell_text(value)}' is not a possible date and time") from None


def round_to_interval(moment: datetime, minutes: int) -> datetime:
    """The nearest slot of the booking interval (a half slot rounds up)."""
    step = minutes * 60
    midnight = datetime.combine(moment.date(), time.min)
    seconds = (moment - midnight).total_seconds()
    return midnight + timedelta(seconds=math.floor(seconds / step + 0.5) * step)


def clean_phone(value) -> str:
    """Digits only: spaces, +, brackets, dashes and dots go; letters are refused."""
    text = cell_text(value)
    if re.search(r"[^\d\s+()\-.]", text):
        raise ValueError(f"'{text}' is not a phone number")
    return re.sub(r"\D", "", text)


def _split(value, separator: str) -> list[str]:
    """Parts of a cell split by SEPARATOR (str.split: this runs per cell of a big file)."""
    text = cell_text(value)
    return [part.strip() for part in text.split(separator)] if text else []


# --- one row -----------------------------------------------------------------


class _Row(upload_batch.RowChecks):
    """Checks one row of a bookings file against the catalogue."""

    HEADERS = HEADERS

    def __init__(self, catalog: Catalog, sheet: Sheet, number: int, cells: list):
        super().__init__(sheet, number, cells)
        self.catalog = catalog

    def parse(self) -> ParsedBooking | None:
        visit_at = self.visit()
        staff_id = self.staff()
        phone, client_name, client_id = self.client()
        length_s = self.length()
        lines = self.services()
        attendance = self.status()
        if self.has_errors():
            return None
        return ParsedBooking(self.number, visit_at, length_s, staff_id, phone, client_name,
                             client_id, attendance, cell_text(self.cell("comment")), lines)

    def visit(self) -> datetime | None:
        value = self.cell("date")
        if cell_blank(value):
            return self.error("date", "is mandatory")
        try:
            moment = parse_visit(value)
        except ValueError as exc:
            return self.error("date", str(exc))
        rounded = round_to_interval(moment, self.catalog.interval_min)
        if rounded != moment:
            self.warn("date", f"{moment:%H:%M} rounded to {rounded:%H:%M} "
                              f"(booking interval {self.catalog.interval_min} min)")
        return rounded

    def staff(self) -> int | None:
        raw_id, raw_name = self.cell("staff_id"), self.cell("staff_name")
        name = cell_text(raw_name)
        if cell_blank(raw_id):
            if not name:
                return self.error("staff_id", "is mandatory (or give the employee's name)")
            matches = self.catalog.staff_by_name.get(fold(name), [])
            if len(matches) != 1:
                return self.error("staff_name", f"'{name}' is not one employee in Settings > "
                                                "Staff; give the Employee ID")
            return matches[0]
        try:
            staff_id = int(cell_number(raw_id))
        except ValueError:
            return self.error("staff_id", f"'{cell_text(raw_id)}' is not an employee ID")
        if staff_id not in self.catalog.staff:
            return self.error("staff_id", f"employee {staff_id} does not exist")
        known = self.catalog.staff[staff_id]
        if name and fold(name) != fold(known):
            return self.error("staff_name", f"'{name}' is not employee {staff_id} ({known})")
        return staff_id

    def client(self) -> tuple[str, str, int | None]:
        name = cell_text(self.cell("client_name"))
        if not name:
            self.error("client_name", "is mandatory")
        raw = self.cell("phone")
        if cell_blank(raw):
            self.error("phone", "is mandatory")
            return "", name, None
        try:
            phone = clean_phone(raw)
        except ValueError as exc:
            self.error("phone", str(exc))
            return "", name, None
        if not 10 <= len(phone) <= 15:
            self.error("phone", f"{phone} has {len(phone)} digits; a phone number has 10 to 15, "
                                "country code first")
            return phone, name, None
        known = self.catalog.clients.get(phone)
        if known is None:
            return phone, name, None
        if name and fold(name) != fold(known[1]):
            self.warn("client_name", f"{phone} is the client '{known[1]}'; the booking goes to "
                                     "that client")
        return phone, known[1], known[0]

    def length(self) -> int:
        raw = self.cell("duration")
        if cell_blank(raw):
            return DEFAULT_LENGTH_S
        try:
            seconds = cell_number(raw)
        except ValueError:
            self.error("duration", f"'{cell_text(raw)}' is not a number of seconds")
            return DEFAULT_LENGTH_S
        if seconds <= 0:
            self.error("duration", "must be more than 0 seconds")
            return DEFAULT_LENGTH_S
        rounded = math.ceil(seconds / DEFAULT_LENGTH_S) * DEFAULT_LENGTH_S
        if rounded != seconds:
            self.warn("duration", f"{seconds:g} s rounded up to {rounded} s ({rounded // 60} min)")
        return int(rounded)

    def services(self) -> list[tuple[int, str, int, float, float]]:
        ids = self.service_ids()
        if ids is None:
            return []
        prices = self.amounts("prices", len(ids))
        discounts = self.amounts("discounts", len(ids))
        lines = []
        for position, service_id in enumerate(ids):
            title, category, list_price = self.catalog.services[service_id]
            price = list_price if prices is None else prices[position]
            discount = 0.0 if discounts is None else discounts[position]
            if discount > price:
                self.error("discounts", f"discount {discount:g} is above the price {price:g} "
                                        f"of {title}")
            lines.append((service_id, title, category, price, discount))
        return lines

    def service_ids(self) -> list[int] | None:
        """The services by ID (`,` or `##`) or by name (`##`); both must agree."""
        by_id = _split(cell_text(self.cell("service_ids")).replace("##", ","), ",")
        by_name = _split(self.cell("service_names"), "##")
        ids = []
        for text in by_id:
            try:
                service_id = int(cell_number(text))
            except ValueError:
                return self.error("service_ids", f"'{text}' is not a service ID")
            if service_id not in self.catalog.services:
                return self.error("service_ids", f"service {service_id} does not exist")
            ids.append(service_id)
        named = []
        for title in by_name:
            matches = self.catalog.services_by_title.get(fold(title), [])
            if len(matches) != 1:
                return self.error("service_names", f"'{title}' is not a service in Settings > "
                                                   "Services")
            named.append(matches[0])
        if ids and named and ids != named:
            return self.error("service_names", "the names do not match the service IDs")
        return ids or named

    def amounts(self, key: str, services: int) -> list[float] | None:
        """One amount per service, separated by #; None when the cell is empty."""
        parts = _split(self.cell(key), "#")
        if not parts:
            return None
        if len(parts) != services:
            return self.error(key, f"{len(parts)} value(s) for {services} service(s): give one "
                                   "per service, separated by #")
        values = []
        for part in parts:
            try:
                value = cell_number(part)
            except ValueError:
                return self.error(key, f"'{part}' is not a number")
            if value < 0:
                return self.error(key, f"{value:g} is negative")
            values.append(value)
        return values

    def status(self) -> Attendance:
        raw_code, text = self.cell("status_code"), cell_text(self.cell("status_text"))
        by_code = by_text = None
        if not cell_blank(raw_code):
            try:
                by_code = Attendance(int(cell_number(raw_code)))
            except ValueError:
                self.error("status_code", f"'{cell_text(raw_code)}' is not -1, 0, 1 or 2")
        if text:
            by_text = STATUS_TEXTS.get(text)
            if by_text is None:
                self.error("status_text", f"'{text}' is not one of No-Show, Pending, Arrived, "
                                          "Confirmed (exactly so written)")
        if by_code is not None and by_text is not None and by_code != by_text:
            self.error("status_text", f"'{text}' disagrees with status number {by_code.value}")
        if by_code is None and by_text is None:
            if cell_blank(raw_code) and not text:
                self.warn("status_code", "empty: the booking is Pending")
            return Attendance.PENDING
        return by_code if by_code is not None else by_text


# --- preview -------------------------------------------------------------------


def preview(con: Connection, user: User, data: bytes, file_name: str) -> Preview:
    """Read and check every row; record the batch as previewed. Writes no booking."""
    user.require(Right.UPLOAD)
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        sheet = read_sheet(data)
    except FileRefused as exc:
        raise UploadRefused(f"{file_name}: {exc}") from None
    catalog = Catalog.load(con)
    bookings, issues = [], []
    for number, cells in sheet.rows:
        row = _Row(catalog, sheet, number, cells)
        parsed = row.parse()
        issues += row.issues
        if parsed is not None:
            bookings.append(parsed)
    bookings, repeats = _flag_repeats(con, bookings)
    issues = sorted(issues + repeats, key=lambda i: (i.row, i.level != "error"))
    result = Preview(batch_id=0, file_name=file_name, sha256=sha256, sheet=sheet, issues=issues,
                     notices=list(sheet.notices), previous=previous_commit(con, sha256),
                     bookings=bookings)
    result.batch_id = upload_batch.record_batch(con, user, KIND, result)
    return result


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
        keys = pd.DataFrame({"row": [b.row for b in kept], "staff_id": [b.staff_id for b in kept],
                             "visit_at": [b.visit_at for b in kept],
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


def previous_commit(con: Connection, sha256: str, *, other_than: int | None = None) -> dict | None:
    return upload_batch.previous_commit(con, sha256, kind=KIND, other_than=other_than)


# --- commit --------------------------------------------------------------------


@dataclass
class CommitResult:
    batch_id: int
    imported: int
    left_out: list[int]  # Excel rows not imported
    log_id: int

    def summary(self) -> str:
        text = f"{self.imported:,} booking{'s' if self.imported != 1 else ''} imported"
        if self.left_out:
            text += f"; {len(self.left_out):,} row(s) left out"
        return text + f" (batch {self.batch_id})."


def commit(con: Connection, user: User, result: Preview, *, skip_invalid: bool = False,
           force_duplicate_file: bool = False, now: datetime | None = None) -> CommitResult:
    """Import the preview's valid rows, all in one transaction, exactly once."""
    user.require(Right.UPLOAD)
    upload_batch.refuse_errors_unless_skipped(result, skip_invalid, len(result.bookings))
    upload_batch.claim(con, result, kind=KIND, noun="bookings", force=force_duplicate_file)
    now = now or datetime.now()
    try:
        with transaction(con):
            log_id = _import(con, user, result, now)
    except BaseException:
        upload_batch.mark_failed(con, result.batch_id, "the import stopped; nothing was written")
        raise
    left_out = sorted(result.error_rows)
    return CommitResult(result.batch_id, len(result.bookings), left_out, log_id)


def cancel(con: Connection, result: Preview) -> None:
    upload_batch.cancel(con, result.batch_id)


recover_interrupted = upload_batch.recover_interrupted


def _import(con: Connection, user: User, result: Preview, now: datetime) -> int:
    """Write clients, bookings, service lines, history and the log entry (set-based)."""
    first_booking, first_client = next_id(con, "bookings"), next_id(con, "clients")
    new_clients: dict[str, int] = {}
    rows, lines = [], []
    for offset, booking in enumerate(result.bookings):
        client_id = booking.client_id
        if client_id is None:
            client_id = new_clients.setdefault(booking.phone, first_client + len(new_clients))
        booking_id = first_booking + offset
        to_pay = sum(cost - discount for _, _, _, cost, discount in booking.lines)
        rows.append((booking_id, booking.visit_at, booking.length_s, booking.staff_id, client_id,
                     int(booking.attendance), booking.comment, to_pay, len(booking.lines)))
        lines += [(booking_id, n, sid, title, cat, cost, discount, cost - discount)
                  for n, (sid, title, cat, cost, discount) in enumerate(booking.lines, start=1)]
    names = {b.phone: b.client_name for b in result.bookings}
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
        con.execute("INSERT INTO clients (id, name, phone) SELECT id, name, phone "
                    "FROM upload_clients")
        con.execute("""
            INSERT INTO bookings (id, visit_at, length_s, staff_id, client_id, attendance, online,
                                  source, created_at, created_by, last_change_at, to_pay, paid,
                                  service_count, comment, import_batch_id)
            SELECT id, visit_at, length_s, staff_id, client_id, attendance, FALSE, ?, ?, ?, ?,
                   to_pay, 0, service_count, comment, ? FROM upload_bookings
        """, [Source.EXCEL.value, now, user.id, now, result.batch_id])
        con.execute("INSERT INTO booking_services SELECT booking_id, line_no, service_id, title, "
                    "category_id, cost, discount, to_pay FROM upload_lines")
        first_history = next_id(con, "booking_history")
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
        VALUES (?, ?, ?, ?, 'upload', ?, ?, ?, 'xlsx', 'done', ?, ?, ?)
    """, [log_id, now, user.id, user.login, result.file_name, len(result.bookings),
          len(result.error_rows), result.sha256, operation, now])
    upload_batch.mark_committed(con, result.batch_id, len(result.bookings), now)
    return log_id
