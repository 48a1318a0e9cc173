"""Helpers the test modules share (no test module imports another)."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
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


def issue_ticket(con, user, client: str, *, now=None) -> str:
    """A new session's single-use ticket alone (`sessions.open_session`), as the
    /auth/session route takes it."""
    from bookings import sessions

    return sessions.open_session(con, user, client, now=now)[1]


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
        token = (sessions.redeem(con, issue_ticket(con, user, "test"))
                 if user is not None else None)
    finally:
        con.close()
    at.session_state["session_token"] = token or secrets.token_urlsafe(32)


# --- the app as a process (`bookings serve`) ---------------------------------------------

STARTUP_TIMEOUT_S = 60


def app_env(data_dir: Path) -> dict[str, str]:
    """The environment of the CLI and the app: nothing lands in the project's data/."""
    env = dict(os.environ, BOOKINGS_DATA_DIR=str(data_dir))
    env.pop("BOOKINGS_DB", None)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextlib.contextmanager
def serving(db: Path | str, log: Path, options: dict[str, str] | None = None, *,
            data_dir: Path | None = None, env: dict[str, str] | None = None
            ) -> Iterator[str]:
    """Run `bookings --db DB serve` on a free port; yield its base URL, stop it after.

    OPTIONS are more streamlit config options, e.g. {"server.maxUploadSize": "50"}.
    DATA_DIR is where the app keeps its files (default: the store file's folder; give
    it for a PostgreSQL URL); ENV, more environment variables.

    A store file stays locked by the app while it runs (DuckDB: one process per file).
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    options = {
        "server.port": str(port),
        "server.headless": "true",
        "server.address": "127.0.0.1",
        # Others edit the sources while tests run: never rerun on a file change.
        "server.fileWatcherType": "none",
        **(options or {}),
    }
    streamlit_args = [arg for name, value in options.items() for arg in (f"--{name}", value)]
    command = [sys.executable, "-m", "bookings.cli", "--db", str(db), "serve", *streamlit_args]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=ROOT,
                                   env={**app_env(data_dir or Path(db).parent), **(env or {})},
                                   stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        _wait_healthy(url, process, log)
        yield url
    finally:
        _stop(process)


def _wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"The app exited ({process.returncode}) while starting. Log:\n"
                        f"{_tail(log)}", pytrace=False)
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    pytest.fail(f"The app did not answer {url}/_stcore/health within {STARTUP_TIMEOUT_S} s. "
                f"Log:\n{_tail(log)}", pytrace=False)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
