"""Helpers the test modules share (no test module imports another)."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
from openpyxl import Workbook
from streamlit.testing.v1 import AppTest

from bookings.uploads.sheet import COLUMNS

ROOT = Path(__file__).resolve().parent.parent
DATA_LOG_PAGE = str(ROOT / "pages" / "data_log.py")

# --- upload files ---------------------------------------------------------------------

HEADERS = [header for _, header, _ in COLUMNS]
GOOD = {"Date": "04.01.2026 10:30", "Employee ID": 1, "Customer phone number": "12125550000",
        "Client name": "New Client", "Employee name": "Anna Smith", "Duration": 3600,
        "Service ID": "10", "Name of service": "", "Price of service": "500",
        "Discount on the service": "0", "Comment": "from the old system",
        "Booking status (number)": 2, "Appointment status (line)": "Confirmed"}


def xlsx(rows: list[dict | list], headers: list[str] | None = HEADERS) -> bytes:
    """An .xlsx file: a header row (unless None), then rows given as dicts or lists."""
    book = Workbook()
    sheet = book.active
    if headers is not None:
        sheet.append(headers)
    for row in rows:
        values = row if isinstance(row, list) else [row.get(h) for h in headers or HEADERS]
        sheet.append(values)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text stays text, as a person typed it
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# The services list's columns, and two good rows of it.
SERVICE_HEADERS = ["Title", "Category", "Price", "Duration (minutes)"]
CUT = {"Title": "Haircut", "Category": "Hair", "Price": 500, "Duration (minutes)": 60}
NAILS = {"Title": "Manicure", "Category": "Nails", "Price": "300,50", "Duration (minutes)": 45}


def file_of(*rows, headers=SERVICE_HEADERS) -> bytes:
    return xlsx(list(rows), headers)


# --- pages in AppTest -------------------------------------------------------------------


def sign_in(at: AppTest, login: str, password: str) -> AppTest:
    login_box, password_box = at.text_input
    login_box.input(login)
    password_box.input(password)
    at.button[0].click()
    return at.run()


def bookings_grid(at: AppTest):
    return next(df for df in at.dataframe if "ID" in df.value.columns)


def select(at: AppTest, booking_ids: list[int]) -> AppTest:
    """Tick the rows of these bookings (what a click on the row checkboxes does)."""
    grid = bookings_grid(at)
    positions = [list(grid.value["ID"]).index(i) for i in booking_ids]
    at.session_state[grid.key] = {"selection": {"rows": positions, "columns": [], "cells": []}}
    return at.run()


def button(at: AppTest, label: str):
    """The button with this label, else the first whose label starts with it."""
    return next((b for b in at.button if b.label == label), None) or next(
        b for b in at.button if b.label.startswith(label))


def bookings_table(at: AppTest):
    """The list itself (the facets are small tables too), or None."""
    return next((df.value for df in at.dataframe if "ID" in df.value.columns), None)


def table_ids(at: AppTest) -> list[int]:
    table = bookings_table(at)
    return [] if table is None else list(table["ID"])


# --- export files ----------------------------------------------------------------------


def outbox_link(store_folder: Path, log_id: int) -> str | None:
    """The download link mailed for this Data log entry, read from the outbox folder
    (no SMTP set up): what the requester finds in their mail."""
    from bookings.exports import mail

    for message in reversed(mail.outbox_messages(store_folder, f"export-{log_id}")):
        links = mail.links_in(message)
        if links:
            return links[0]
    return None


def xlsx_rows(path) -> tuple[list[str], list[list]]:
    """Header and rows of every Bookings sheet, in order (the cover sheet left out)."""
    book = openpyxl.load_workbook(path, read_only=True)
    header, rows = None, []
    for sheet in book.worksheets[1:]:
        sheet_rows = [["" if v is None else v for v in row]
                      for row in sheet.iter_rows(values_only=True)]
        header = header or sheet_rows[0]
        assert sheet_rows[0] == header  # every sheet has the header
        rows += sheet_rows[1:]
    book.close()
    return header, rows



def stored(con, batch_id: int) -> list[dict]:
    """The bookings a batch wrote, as the list would show them, in file order."""
    rows = con.execute("""
        SELECT b.id, b.visit_at, b.staff_id, c.phone, c.name, b.length_s, b.attendance,
               b.comment, b.to_pay,
               list((s.service_id, s.cost, s.discount) ORDER BY s.line_no) FILTER (
                   WHERE s.service_id IS NOT NULL)
        FROM bookings b JOIN clients c ON c.id = b.client_id
        LEFT JOIN booking_services s ON s.booking_id = b.id
        WHERE b.import_batch_id = ?
        GROUP BY ALL ORDER BY b.id
    """, [batch_id]).fetchall()
    keys = ("id", "visit_at", "staff_id", "phone", "name", "length_s", "attendance", "comment",
            "to_pay", "lines")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def sign_in_app(at, login: str) -> None:
    """Sign AppTest's app in as LOGIN the way the sign-in form does, in-process: a real
    session in the store named by BOOKINGS_DB, its token where the app looks without a
    browser (AppTest has no cookies). An unknown login gets a token nobody issued."""
    import os
    import secrets

    from bookings import auth, sessions
    from bookings.store import open_store

    con = open_store(os.environ["BOOKINGS_DB"])
    try:
        user = auth.get_user(con, login)
        token = (sessions.redeem(con, sessions.issue_ticket(con, user, "test"))
                 if user is not None else None)
    finally:
        con.close()
    at.session_state["session_token"] = token or secrets.token_urlsafe(32)
