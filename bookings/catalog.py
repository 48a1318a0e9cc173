"""The business's catalogue: staff, services and their categories, booking
categories, and the booking interval. Read side; Settings adds the writes.

The one reader of these tables: the list's names, the upload's and the form's
checks (`uploads.rules.Catalog`), Info's names and the pages all read them here."""

from __future__ import annotations

from bookings.store import Connection, booking_interval_min
from bookings.values import plain_amount


def _rows(con: Connection, sql: str) -> list[dict]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def staff(con: Connection) -> list[dict]:
    return _rows(con, "SELECT id, name, specialization, active FROM staff ORDER BY id")


def services(con: Connection) -> list[dict]:
    rows = _rows(
        con,
        "SELECT id, title, category_id, price, duration_s, active FROM services ORDER BY id",
    )
    for row in rows:
        row["price"] = plain_amount(row["price"])
    return rows


def service_categories(con: Connection) -> list[dict]:
    return _rows(con, "SELECT id, title FROM service_categories ORDER BY id")


def booking_categories(con: Connection) -> list[dict]:
    return _rows(con, "SELECT id, title, color, builtin FROM booking_categories ORDER BY id")


def staff_names(con: Connection) -> dict[int, str]:
    return {row["id"]: row["name"] for row in staff(con)}


def service_titles(con: Connection) -> dict[int, str]:
    return {row["id"]: row["title"] for row in services(con)}


def service_category_titles(con: Connection) -> dict[int, str]:
    return {row["id"]: row["title"] for row in service_categories(con)}


def booking_category_titles(con: Connection) -> dict[int, str]:
    return {row["id"]: row["title"] for row in booking_categories(con)}


def catalog(con: Connection) -> dict:
    """Everything at once, in the shape of `bookings catalog --json`."""
    return {
        "staff": staff(con),
        "services": services(con),
        "service_categories": service_categories(con),
        "booking_categories": booking_categories(con),
        "booking_interval_min": booking_interval_min(con),
    }
