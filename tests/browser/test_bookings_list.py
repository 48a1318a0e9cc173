"""The Bookings list in the real app: filter, Show, count, pink deleted rows."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from bookings import listing
from bookings.demo import fill_demo
from bookings.filters import BookingFilter
from bookings.model import SYSTEM
from bookings.store import open_store
from tests.browser.conftest import (
    DEMO_BOOKINGS,
    bookings_count,
    bookings_metric,
    choose,
    rerun,
    tick_rows,
    wait_for_render,
)

PINK = (0xFB, 0xD3, 0xE0)  # the deleted rows' background in pages/bookings_list.py


@pytest.fixture(scope="module")
def twin(tmp_path_factory):
    """The demo is deterministic: a twin of the app's store to know the answers."""
    con = open_store(tmp_path_factory.mktemp("twin") / "bookings.duckdb")
    fill_demo(con, DEMO_BOOKINGS, seed=1)
    yield con
    con.close()


def show(page: Page) -> None:
    with rerun(page):
        page.get_by_role("button", name="Show", exact=True).click()
    wait_for_render(page)


def pink_share(page: Page) -> float:
    """The share of the bookings table's pixels painted in the deleted rows' pink."""
    table = page.get_by_test_id("stDataFrame").last
    image = Image.open(io.BytesIO(table.screenshot())).convert("RGB")
    pixels = list(image.get_flattened_data())
    near = sum(1 for p in pixels if all(abs(a - b) <= 6 for a, b in zip(p, PINK, strict=True)))
    return near / len(pixels)


def test_filter_show_count_and_pink_deleted_rows(sign_in_as, twin):
    expected = listing.count(twin, SYSTEM, BookingFilter(cancelled="yes", staff=(3,)))
    assert expected > 0
    page = sign_in_as("owner", "?sort=visit_at")  # the whole history, newest first
    wait_for_render(page)
    assert pink_share(page) < 0.2  # a few deleted rows among the rest

    # a pick made before "More filters" is opened (its own run) is kept for Show
    choose(page, "Employees", "Sophie Turner")
    expect(page.get_by_label("Canceled", exact=True)).to_have_count(0)  # not drawn yet
    with rerun(page):
        page.get_by_text("More filters", exact=True).click()
    wait_for_render(page)
    choose(page, "Canceled", "Canceled")
    show(page)
    assert "cancelled=yes" in page.url and "staff=3" in page.url
    expect(page.get_by_text("Showing: employee Sophie Turner, cancelled")).to_be_visible()
    expect(bookings_metric(page)).to_have_text(f"{expected:,}")
    assert pink_share(page) > 0.3  # every row pink

    choose(page, "Canceled", "Not canceled")
    show(page)
    expected_kept = listing.count(twin, SYSTEM, BookingFilter(cancelled="no", staff=(3,)))
    expect(bookings_metric(page)).to_have_text(f"{expected_kept:,}")
    assert pink_share(page) == 0


def test_a_shared_link_opens_the_same_view_after_sign_in(sign_in_as, twin):
    expected = listing.count(twin, SYSTEM, BookingFilter(payment="unpaid", source="online"))
    page = sign_in_as("administrator", path="?payment=unpaid&source=online")
    wait_for_render(page)
    expect(page.get_by_text("Showing: online, not paid in full")).to_be_visible()
    expect(bookings_metric(page)).to_have_text(f"{expected:,}")


def test_the_employee_searching_by_phone_is_refused(sign_in_as):
    page = sign_in_as("employee", path="?client=%2B1%20212")
    expect(page.get_by_text("You may not search by phone number")).to_be_visible()


def pick(page: Page, option: str) -> None:
    """Click OPTION of a segmented control (the chart's Per, Show, Bars)."""
    with rerun(page):
        page.get_by_test_id("stButtonGroup").get_by_text(option, exact=True).click()
    wait_for_render(page)


def facet_grid(page: Page, title: str):
    """The facet grid whose first column is TITLE (the list's grid comes after)."""
    header = page.locator('[role="columnheader"]').filter(
        has_text=re.compile(rf"^{re.escape(title)}$"))
    return page.get_by_test_id("stDataFrame").filter(has=header).first


def facet_cells(page: Page, title: str, value: str) -> list[str]:
    """The cells of the facet grid TITLE's row VALUE, from the grid's accessibility
    table (it holds the values; the canvas draws them formatted)."""
    row = facet_grid(page, title).locator('tr[role="row"]').filter(
        has=page.locator('[role="gridcell"]').filter(has_text=re.compile(rf"^{value}$")))
    expect(row).to_have_count(1)
    return row.locator('[role="gridcell"]').all_inner_texts()


@pytest.mark.parametrize("width", [1400, 800])
def test_facets_read_with_numbers_and_money_shows_over_time(page, sign_in_as, twin, width):
    summary = listing.summary(twin, SYSTEM, BookingFilter())
    page.set_viewport_size({"width": width, "height": 900})  # narrow: the sidebar closed
    sign_in_as("owner", "?sort=visit_at")  # the whole history
    wait_for_render(page)
    expect(facet_grid(page, "Payment")).to_have_count(0)  # closed
    with rerun(page):  # opened: drawn now, in the run the click starts
        page.get_by_text("Counts by source, payment").click()
    wait_for_render(page)
    # each facet row: its count and share beside its bar, and every column on screen:
    # no facet grid is wider than its place (no sideways scroll hides the share)
    for facet, title in (("payment", "Payment"), ("staff", "Employee")):
        first = summary["facets"][facet][0]
        name, count, share = facet_cells(page, title, str(first["value"]))
        assert int(count) == first["count"]
        assert float(share) == pytest.approx(100 * first["count"] / summary["total"])
    hidden = page.evaluate("""() => [...document.querySelectorAll(
            '[data-testid="stDataFrame"] .dvn-scroller')].slice(0, 4)
        .filter(s => s.scrollWidth > s.clientWidth + 1).length""")
    assert hidden == 0, f"{hidden} facet grids scroll sideways at {width} px"
    # a row selected narrows the list to it, and the facets stay open on the narrower list
    position = [str(e["value"]) for e in summary["facets"]["payment"]].index("paid in full")
    tick_rows(page, facet_grid(page, "Payment"), [position])
    expect(page).to_have_url(re.compile(r"[?&]payment=paid(&|$)"))
    wait_for_render(page)
    assert bookings_count(page) == listing.summary(
        twin, SYSTEM, BookingFilter(payment="paid"))["total"]
    expect(facet_grid(page, "Payment")).to_have_count(1)

    with rerun(page):
        page.get_by_text("Over time: bookings and money").click()
    wait_for_render(page)
    chart = page.get_by_test_id("stVegaLiteChart")
    expect(chart.get_by_text("Bookings", exact=True)).to_be_visible()  # the value axis
    pick(page, "to pay")
    pick(page, "Shares (100%)")
    expect(chart.get_by_text("Share of money to pay", exact=True)).to_be_visible()
    expect(chart.get_by_text("100%", exact=True)).to_be_visible()
    assert chart.locator(".mark-rect path").count() > 2  # months x online, offline
