"""Download as Excel in the real app: request, watch the Data log turn ready, download;
then the emailed link (from the outbox: no mail server here) on the app's own route."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import openpyxl
from playwright.sync_api import expect

from bookings.exports.files import HEADER
from tests.browser.conftest import (
    bookings_count,
    build_store,
    rerun,
    run_cli,
    serving_store,
    sign_in,
    wait_for_render,
)
from tests.helpers import outbox_link

FILTER = "?status=no-show"
READY_TIMEOUT_MS = 60_000  # the worker writes in the background; the page refreshes


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read()


def test_request_watch_ready_download_and_follow_the_link(page, tmp_path_factory):
    store = build_store(tmp_path_factory.mktemp("exporting"))
    login, password = store.credentials["administrator"]
    with serving_store(store, "streamlit.log") as url:
        sign_in(page, url, login, password, path=FILTER)
        wait_for_render(page)
        count = bookings_count(page)
        assert count > 0

        page.get_by_role("button", name="Download as Excel").click()
        dialog = page.get_by_role("dialog")
        expect(dialog.get_by_text(f"Download {count:,} bookings matching: status No-Show")
               ).to_be_visible()
        with rerun(page):
            dialog.get_by_role("button", name="Request download").click()
        expect(page.get_by_text("Download requested (Data log entry 1, .xlsx)")).to_be_visible()

        with rerun(page):
            page.get_by_role("link", name="Open the Data log").click()
        expect(page.get_by_role("heading", name="Data log", exact=True)).to_be_visible()
        fetch = page.get_by_role("button", name="Download .xlsx")
        expect(fetch).to_be_visible(timeout=READY_TIMEOUT_MS)  # turned ready on its own
        expect(page.get_by_text(re.compile(rf"#1 · .* · status No-Show · {count:,} rows"))
               ).to_be_visible()

        with page.expect_download() as download:
            fetch.click()
        saved = tmp_path_factory.mktemp("downloaded") / download.value.suggested_filename
        download.value.save_as(saved)
        assert saved.name.startswith("bookings-1-") and saved.suffix == ".xlsx"
        book = openpyxl.load_workbook(saved, read_only=True)
        data = book.worksheets[1]
        assert [c.value for c in next(data.iter_rows(max_row=1))] == HEADER
        assert data.max_row - 1 == count
        book.close()

        # The emailed link, on the app's own route (no SMTP: the message is in the outbox).
        link = outbox_link(store.data_dir, 1)
        token = re.search(r"/download/([A-Za-z0-9_-]+)", link).group(1)
        status, body = get(f"{url}/download/{token}")
        assert status == 200 and body == saved.read_bytes()
        status, body = get(f"{url}/download/{'x' * 43}")
        assert status == 404 and b"not known" in body

    entries = json.loads(run_cli(store.path, "log", "--json").stdout)["entries"]
    (entry,) = [e for e in entries if e["kind"] == "export"]
    assert (entry["state"], entry["rows"], entry["user"]) == ("ready", count, login)
    assert sorted(f["via"] for f in entry["fetches"]) == ["link", "page"]
