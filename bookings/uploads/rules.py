"""The rules every booking meets, whoever writes it: an upload's row, the
calendar's form, `bookings edit`. They take typed values (a datetime, an
employee ID, amounts to the cent), never cell text, so an edited price of
12345.67 stays 12345.67; the upload's cell reading (`bookings.upload`) turns
cells into these values first.

`BookingChecks` collects every problem instead of stopping at the first
(after pandera's lazy validation); each is reported against a column key of
the upload file, which the upload and the form both show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bookings import catalog
from bookings.model import Attendance
from bookings.store import Connection, booking_interval_min
from bookings.uploads.batch import RowChecks
from bookings.uploads.sheet import HEADERS
from bookings.values import MAX_AMOUNT, clean_phone, fold, to_cent, visit_bounds

DEFAULT_LENGTH_S = 15 * 60  # the step durations are rounded up to, and the default length
MAX_LENGTH_S = 24 * 3600
MAX_SERVICES = 100
FAR_PAST = datetime(2000, 1, 1)


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

    @property
    def to_pay(self) -> float:
        return to_cent(sum(cost - discount for _, _, _, cost, discount in self.lines))


@dataclass
class Catalog:
    """What bookings are checked against: staff, services, clients, the interval."""

    interval_min: int
    staff: dict[int, str]
    staff_by_name: dict[str, list[int]]
    inactive_staff: set[int]
    services: dict[int, tuple[str, int, float]]  # id -> title, category, price
    services_by_title: dict[str, list[int]]
    inactive_services: set[int]
    clients: dict[str, tuple[int, str]]  # phone -> id, name

    @classmethod
    def load(cls, con: Connection) -> Catalog:
        staff_rows, service_rows = catalog.staff(con), catalog.services(con)
        staff = {s["id"]: s["name"] for s in staff_rows}
        services = {s["id"]: (s["title"], s["category_id"], float(s["price"]))
                    for s in service_rows}
        return cls(
            interval_min=booking_interval_min(con),
            staff=staff,
            staff_by_name=_index_by_name(staff),
            inactive_staff={s["id"] for s in staff_rows if not s["active"]},
            services=services,
            services_by_title=_index_by_name({i: s[0] for i, s in services.items()}),
            inactive_services={s["id"] for s in service_rows if not s["active"]},
            clients={p: (i, n) for i, p, n in con.execute(
                "SELECT id, phone, name FROM clients").fetchall()},
        )


def _index_by_name(names: dict[int, str]) -> dict[str, list[int]]:
    index: dict[str, list[int]] = {}
    for key, name in names.items():
        index.setdefault(fold(name), []).append(key)
    return index


def far_ahead() -> datetime:
    """Visits later than this are far from today (and warned about)."""
    return datetime.combine(date.today(), time.min) + timedelta(days=2 * 366)


def round_to_interval(moment: datetime, minutes: int) -> datetime:
    """The nearest slot of the booking interval (a half slot rounds up)."""
    step = minutes * 60
    midnight = datetime.combine(moment.date(), time.min)
    seconds = (moment - midnight).total_seconds()
    return midnight + timedelta(seconds=math.floor(seconds / step + 0.5) * step)


class BookingChecks(RowChecks):
    """The typed rules, one method per part of a booking; problems are collected."""

    HEADERS = HEADERS

    def __init__(self, catalog: Catalog, sheet=None, number: int = 1, cells=None):
        super().__init__(sheet, number, cells)
        self.catalog = catalog

    def check_visit(self, moment: datetime) -> datetime | None:
        try:
            visit_bounds(moment)
        except ValueError as exc:
            return self.error("date", str(exc))
        rounded = round_to_interval(moment, self.catalog.interval_min)
        if rounded != moment:
            self.warn("date", f"{moment:%H:%M} rounded to {rounded:%H:%M} "
                              f"(booking interval {self.catalog.interval_min} min)")
        if rounded < FAR_PAST or rounded > far_ahead():
            self.warn("date", f"{rounded:%d.%m.%Y} is far from today: check the year")
        return rounded

    def check_staff(self, staff_id: int | None, name: str = "") -> int | None:
        if staff_id is None:
            if not name:
                return self.error("staff_id", "is mandatory (or give the employee's name)")
            matches = self.catalog.staff_by_name.get(fold(name), [])
            if len(matches) != 1:
                return self.error("staff_name", f"'{name}' is not one employee in Settings > "
                                                "Staff; give the Employee ID")
            staff_id = matches[0]
        elif staff_id not in self.catalog.staff:
            return self.error("staff_id", f"employee {staff_id} does not exist")
        known = self.catalog.staff[staff_id]
        if name and fold(name) != fold(known):
            return self.error("staff_name", f"'{name}' is not employee {staff_id} ({known})")
        if staff_id in self.catalog.inactive_staff:
            self.warn("staff_id", f"employee {staff_id} ({known}) is deactivated")
        return staff_id

    def check_client(self, phone_text: str, name: str) -> tuple[str, str, int | None]:
        if not name:
            self.error("client_name", "is mandatory")
        if not phone_text:
            self.error("phone", "is mandatory")
            return "", name, None
        try:
            phone = clean_phone(phone_text)
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

    def check_length(self, seconds: float) -> int:
        if seconds != seconds:  # nan
            self.error("duration", "is not a number of seconds")
            return DEFAULT_LENGTH_S
        if seconds <= 0:
            self.error("duration", "must be more than 0 seconds")
            return DEFAULT_LENGTH_S
        if seconds > MAX_LENGTH_S:
            self.error("duration", f"{seconds:g} s is longer than a day")
            return DEFAULT_LENGTH_S
        rounded = math.ceil(seconds / DEFAULT_LENGTH_S) * DEFAULT_LENGTH_S
        if rounded != seconds:
            self.warn("duration", f"{seconds:g} s rounded up to {rounded} s ({rounded // 60} min)")
        return int(rounded)

    def check_lines(self, ids: list[int], prices: list[float] | None,
                    discounts: list[float] | None) -> list[tuple[int, str, int, float, float]]:
        """Service lines: a missing price is the service's list price."""
        if len(ids) > MAX_SERVICES:
            self.error("service_ids", f"{len(ids)} services: a booking has at most "
                                      f"{MAX_SERVICES}")
            return []
        lines = []
        for position, service_id in enumerate(ids):
            if service_id not in self.catalog.services:
                self.error("service_ids", f"service {service_id} does not exist")
                continue
            title, category, list_price = self.catalog.services[service_id]
            price = list_price if prices is None else prices[position]
            discount = 0.0 if discounts is None else discounts[position]
            if not 0 <= price < MAX_AMOUNT:
                self.error("prices", f"{price:g} is not a price")
            if not 0 <= discount < MAX_AMOUNT:
                self.error("discounts", f"{discount:g} is not a discount from 0")
            elif discount > price:
                self.error("discounts", f"discount {discount:g} is above the price {price:g} "
                                        f"of {title}")
            if service_id in self.catalog.inactive_services:
                self.warn("service_ids", f"service {service_id} ({title}) is deactivated")
            lines.append((service_id, title, category, to_cent(price), to_cent(discount)))
        return lines

    def check_attendance(self, code: int) -> Attendance:
        try:
            return Attendance(code)
        except ValueError:
            self.error("status_code", f"'{code}' is not -1, 0, 1 or 2")
            return Attendance.PENDING

    def booking(self, visit_at, length_s, staff_id, client, attendance, comment,
                lines) -> ParsedBooking | None:
        if self.has_errors():
            return None
        phone, client_name, client_id = client
        return ParsedBooking(self.number, visit_at, length_s, staff_id, phone, client_name,
                             client_id, attendance, comment, lines)
