"""The Bookings list in the real app: filter, Show, count, pink deleted rows."""

from __future__ import annotations

import io

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
    bookings_metric,
    choose,
    rerun,
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

    choose(page, "Canceled", "Canceled")
    choose(page, "Employees", "Sophie Turner")
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
