"""The Data log in chromium: State, Progress and Fetches are on screen without a
sideways scroll, with the sidebar open, at 1400 px (the whole table fits) and at 800 px
(those columns come first; the rest scrolls inside the table). Streamlit starts an
800 px window with the sidebar closed: the test opens it, the narrowest case.

The table is a canvas: its accessibility table names the columns drawn, in order, and
the header's vertical rules, found in a screenshot of it, give each column's edges.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from bookings import auth, datalog, deletion
from bookings.exports import jobs, links
from bookings.filters import BookingFilter
from bookings.model import Role
from bookings.store import open_store
from tests import known_store
from tests.browser.conftest import (
    ARTIFACTS,
    column_edges,
    full_page_screenshot,
    serving,
    sidebar,
    sign_in,
    wait_for_render,
)
from ui.common import NARROW_PX

MUST_SHOW = ("State", "Progress", "Fetches")


@pytest.fixture(scope="module")
def logged_app(tmp_path_factory):
    """An app of its own on the known store, with one entry of every kind (a download
    fetched twice, with 200,000 rows, as a big salon's), then served: (URL, owner)."""
    directory = tmp_path_factory.mktemp("data-log")
    path = directory / "bookings.duckdb"
    con = open_store(path)
    users = known_store.build(con)
    admin, owner = auth.get_user(con, "admin"), auth.get_user(con, "owner")
    fetched = jobs.export_now(con, admin, BookingFilter(staff=(2,))).log_id
    jobs.export_now(con, owner, BookingFilter(), "csv")
    deletion.delete_bookings(con, admin, [1, 2])
    datalog.record_refused_sign_in(con, "nobody", "10.0.0.1", "unknown login")
    for login in ("admin", "owner"):
        links.fetch_for_page(con, login, fetched)
    con.execute("UPDATE data_log SET rows = 200000, what = 'visits from 1 May 2024 on, "
                "employee Ben Brown, paid in full, online' WHERE id = ?", [fetched])
    con.close()
    with serving(path, directory / "streamlit.log") as url:
        yield url, users[Role.OWNER]


def open_log(page: Page, app: tuple[str, tuple[str, str]], width: int) -> Locator:
    url, (login, password) = app
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, url, login, password, path="data-log")
    wait_for_render(page)
    if width < NARROW_PX:
        # The app starts narrow windows with the sidebar closed (a script in the page
        # closes it after the first run); people open it.
        expect(sidebar(page)).to_have_attribute("data-collapsed", "true")
        page.get_by_test_id("stExpandSidebarButton").click()
        wait_for_render(page)
    expect(sidebar(page)).to_have_attribute("data-collapsed", "false")
    grid = page.get_by_test_id("stDataFrame").first
    expect(grid).to_be_visible()
    return grid


@pytest.mark.parametrize("width", [1400, 800])
def test_state_progress_and_fetches_show_without_a_sideways_scroll(page, logged_app, width):
    grid = open_log(page, logged_app, width)
    full_page_screenshot(page, ARTIFACTS / f"data-log-{width}.png")
    columns = column_edges(page, grid)
    grid_box, side = grid.bounding_box(), sidebar(page).bounding_box()
    assert side["x"] + side["width"] <= grid_box["x"]  # the sidebar is open beside it
    for name in MUST_SHOW:
        assert name in columns, f"{name} not drawn: {columns}"
        left, right = columns[name]
        assert side["x"] + side["width"] <= left < right <= min(
            width, grid_box["x"] + grid_box["width"]), (name, columns[name], grid_box)


def test_at_1400_px_the_whole_table_fits(page, logged_app):
    grid = open_log(page, logged_app, 1400)
    scroller = grid.locator(".dvn-scroller")
    assert scroller.evaluate("e => e.scrollWidth <= e.clientWidth"), scroller.evaluate(
        "e => [e.scrollWidth, e.clientWidth]")
    assert list(column_edges(page, grid)) == ["ID", "Kind", "State", "Progress", "Fetches",
                                              "When", "Who", "What", "Rows", "Left out",
                                              "File"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 1400


def test_at_800_px_the_page_itself_does_not_scroll_sideways(page, logged_app):
    open_log(page, logged_app, 800)
    assert page.evaluate("document.documentElement.scrollWidth") <= 800
