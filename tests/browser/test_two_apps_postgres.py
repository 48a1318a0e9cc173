"""Two app processes on one PostgreSQL database behave as one app (issue 16): a deletion
made through one is seen through the other at its next load, and each download
requested through either is made exactly once, though both processes' export workers
take jobs from the same queue; its file is served by either process (one data folder).
"""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    bookings_count,
    bookings_metric,
    build_store,
    new_context,
    rerun,
    run_cli,
    serving_store,
    sign_in,
    tick_rows,
    wait_for_render,
)
from tests.wsclient import StreamlitClient

# Pending and unpaid: an administrator may delete every one of them.
DELETABLE = "?payment=unpaid&status=pending&cancelled=no&sort=id&asc=1"
DELETED = "?payment=unpaid&status=pending&cancelled=yes&sort=id&asc=1"
READY_TIMEOUT_S = 90


@pytest.fixture(scope="module")
def two_apps(tmp_path_factory, pg_server):
    """(URL of app A, URL of app B, the store): two `bookings serve` on one database,
    their files in one folder."""
    from tests import pg

    with pg.database(pg_server) as url:
        folder = tmp_path_factory.mktemp("two-apps")
        store = build_store(folder, url=url)
        with serving_store(store, "app-a.log") as app_a, \
                serving_store(store, "app-b.log") as app_b:
            yield app_a, app_b, store


def test_a_deletion_through_one_app_is_seen_through_the_other(page, browser, two_apps):
    app_a, app_b, store = two_apps
    login, password = store.credentials["administrator"]
    sign_in(page, app_a, login, password, path=DELETABLE)
    wait_for_render(page)
    context_b = new_context(browser)
    try:
        other = context_b.new_page()
        sign_in(other, app_b, login, password, path=DELETABLE)
        wait_for_render(other)
        before = bookings_count(page)
        assert bookings_count(other) == before > 2
        other.goto(f"{app_b}/{DELETED}")
        wait_for_render(other)
        deleted_before = bookings_count(other)

        tick_rows(page, page.get_by_test_id("stDataFrame").last, [0, 1])
        page.get_by_role("button", name=re.compile(r"Delete selected \(2\)")).click()
        with rerun(page):
            page.get_by_role("dialog").get_by_role("button", name="Delete 2").click()
        wait_for_render(page)
        expect(page.get_by_text("2 bookings deleted.")).to_be_visible()

        other.goto(f"{app_b}/{DELETED}")  # B's next load: the two are deleted there too
        wait_for_render(other)
        expect(bookings_metric(other)).to_have_text(f"{deleted_before + 2:,}")
        other.goto(f"{app_b}/{DELETABLE}")
        wait_for_render(other)
        expect(bookings_metric(other)).to_have_text(f"{before - 2:,}")
    finally:
        context_b.close()


def request_download(page, base_url: str, path: str) -> int:
    """Ask for the list's download in the dialog; the Data log entry's number."""
    page.goto(f"{base_url}/{path}")
    wait_for_render(page)
    page.get_by_role("button", name="Download as Excel").click()
    with rerun(page):
        page.get_by_role("dialog").get_by_role("button", name="Request download").click()
    requested = page.get_by_text(re.compile(r"Download requested \(Data log entry \d+"))
    expect(requested).to_be_visible()
    return int(re.search(r"entry (\d+)", requested.inner_text()).group(1))


def log_entries(store) -> list[dict]:
    result = run_cli(store.path, "log", "--json")
    return [e for e in json.loads(result.stdout)["entries"] if e["kind"] == "export"]


def test_each_download_is_made_once_and_either_app_serves_it(page, browser, two_apps):
    app_a, app_b, store = two_apps
    login, password = store.credentials["owner"]
    sign_in(page, app_a, login, password)
    context_b = new_context(browser)
    try:
        other = context_b.new_page()
        sign_in(other, app_b, login, password)
        # Both workers take from one queue: requests through each app, close together.
        asked = [request_download(page, app_a, "?status=no-show"),
                 request_download(other, app_b, "?status=arrived"),
                 request_download(page, app_a, "?payment=paid")]
        assert len(set(asked)) == 3

        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            entries = {e["id"]: e for e in log_entries(store) if e["id"] in asked}
            if all(e["state"] in ("ready", "failed") for e in entries.values()):
                break
            assert time.monotonic() < deadline, f"not ready in {READY_TIMEOUT_S} s: {entries}"
            time.sleep(1)
        assert {e["state"] for e in entries.values()} == {"ready"}, entries
        # Made exactly once: one finished file per entry in the shared folder, no
        # half-written file left (a second worker would have written its own copy).
        made = sorted(p.name for p in (store.data_dir / "exports").iterdir())
        assert len(made) == 3 and all(name.endswith(".xlsx") for name in made), made

        # A's download, from B's Data log: the shared folder and the shared log.
        other.goto(f"{app_b}/data-log")
        wait_for_render(other)
        fetch = other.get_by_role("button", name="Download .xlsx")
        expect(fetch).to_have_count(3)
        with other.expect_download() as download:
            fetch.first.click()
        assert download.value.suggested_filename.endswith(".xlsx")
    finally:
        context_b.close()


def connections(store) -> int:
    """The connections open to the store's database (the apps', this test's aside)."""
    import psycopg

    with psycopg.connect(store.path) as con:
        return con.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                           "current_database() AND pid <> pg_backend_pid()").fetchone()[0]


def test_open_tabs_hold_no_connection_between_runs(two_apps):
    """Each browser tab's runs take a connection and give it back when the run ends: ten
    tabs open on the list cost the database no more connections than one."""
    app_a, _, store = two_apps
    login, password = store.credentials["administrator"]
    tabs = [StreamlitClient(app_a).connect()]
    try:
        tabs[0].sign_in(login, password)
        one_tab = connections(store)
        for _ in range(9):
            tab = StreamlitClient(app_a).connect()
            tabs.append(tab)
            tab.sign_in(login, password)
            tab.open("analysis")
            assert not tab.exceptions and not tab.errors, (tab.exceptions, tab.errors)
        assert connections(store) <= one_tab
    finally:
        for tab in tabs:
            tab.close()
