"""Acceptance: a salon set up from an empty store through the functions the
Settings page calls, then taking its first bookings bookings_import."""

from __future__ import annotations

from bookings import auth, catalog, listing
from bookings.admin import changelog, settings, users
from bookings.filters import BookingFilter
from bookings.model import SYSTEM, Right, Role
from bookings.uploads import bookings_import, services_import
from tests.helpers import xlsx


def test_from_an_empty_store_to_a_first_bookings_upload(con):
    owner, _ = auth.add_user(con, "owner", Role.OWNER)  # the first owner: `bookings users add`
    assert catalog.staff(con) == [] and catalog.services(con) == []

    # Users and rights: a receptionist who may upload, and no settings.
    _, password = users.add_user(con, owner, "reception", Role.ADMINISTRATOR)
    reception = users.grant(con, owner, "reception", {Right.UPLOAD})
    # Staff, a booking category of the salon's own, the booking interval.
    anna = settings.add_staff(con, owner, "Anna Smith", "Hair")
    ben = settings.add_staff(con, owner, "Ben Brown", "Nails")
    settings.add_booking_category(con, owner, "VIP", "#c2185b")
    settings.set_booking_interval(con, owner, 10)
    # Services: the price list from Excel, and one more by hand.
    price_list = xlsx([["Women's haircut", "Hair", 55, 60], ["Manicure", "Nails", 30, 45]],
                      ["Title", "Category", "Price", "Duration (minutes)"])
    preview = services_import.preview(con, owner, price_list, "price-list.xlsx")
    services_import.commit(con, owner, preview)
    nails = settings.service_category_id(con, "nails")
    settings.add_service(con, owner, "Gel polish", nails, 20, 30)

    # The receptionist uploads the old system's bookings, by names as in Settings.
    bookings_file = xlsx([
        {"Date": "04.01.2026 10:37", "Employee ID": anna["id"],
         "Customer phone number": "12125550000", "Client name": "Kate Smith",
         "Name of service": "Women's haircut", "Booking status (number)": 1},
        {"Date": "04.01.2026 12:00", "Employee name": "ben brown",
         "Customer phone number": "12125550001", "Client name": "Lena Ivanova",
         "Name of service": "Manicure##Gel polish", "Price of service": "30#20",
         "Booking status (number)": 2},
    ])
    result = bookings_import.preview(con, reception, bookings_file, "old-system.xlsx")
    assert result.counts()["with_errors"] == 0, result.issues
    assert [i.message for i in result.issues] == [
        "10:37 rounded to 10:40 (booking interval 10 min)"]
    assert bookings_import.commit(con, reception, result).imported == 2

    rows = listing.page(con, SYSTEM, BookingFilter(), sort="visit_at", descending=False)
    assert [(r["staff_id"], f"{r['visit_at']:%H:%M}", r["total_to_pay"], r["created_by"])
            for r in rows] == [(anna["id"], "10:40", 55, "reception"),
                               (ben["id"], "12:00", 50, "reception")]
    assert auth.sign_in(con, "reception", password).can(Right.UPLOAD)
    assert not reception.can(Right.MANAGE_SETTINGS)
    assert {e["subject"] for e in changelog.entries(con)} == {
        "user", "employee", "booking category", "booking interval", "service",
        "service category"}
