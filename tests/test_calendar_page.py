"""Editing from the list through the calendar, with AppTest, on a fresh known store."""

from datetime import date, datetime, time
from pathlib import Path

import pytest

from bookings import auth, editing
from bookings.demo import fill_demo
from bookings.errors import Forbidden
from bookings.store import open_store
from tests import known_store
from tests.helpers import bookings_grid, button, select
from ui import calendar_chart

ROOT = Path(__file__).resolve().parent.parent
CALENDAR = str(ROOT / "pages" / "calendar.py")


@pytest.fixture
def app(con, store_path, app_as):
    known_store.build(con)
    return app_as(store_path)


def test_edit_from_the_list_change_and_see_it_in_the_list(app):
    at = select(app("admin", sort="visit_at"), [2])  # the whole history
    button(at, "Edit").click().run()
    assert not at.exception
    assert at.title[0].value == "Calendar"
    assert at.subheader[0].value == "Booking 2"
    status = next(s for s in at.selectbox if s.label == "Visit status")
    status.set_value(2)
    next(b for b in at.button if b.label == "Save").click().run()
    assert not at.exception
    assert at.success[0].value == "Booking 2 saved."
    at.switch_page(str(ROOT / "pages" / "bookings_list.py")).run()
    table = bookings_grid(at).value.set_index("ID")
    assert table.loc[2, "Status"] == "Confirmed"


def test_the_calendar_shows_the_day_without_deleted_bookings(app):
    at = app("owner")
    at.switch_page(CALENDAR)
    at.query_params["day"] = "2024-06-02"  # booking 3 is deleted
    at.run()
    assert not at.exception
    assert "No bookings on this day." in at.info[0].value


def test_edit_is_not_offered_without_the_right_nor_for_deleted_rows(app):
    at = select(app("owner", sort="visit_at"), [3])  # deleted
    assert button(at, "Edit").disabled
    at = app("employee")
    assert not [b for b in at.button if b.label == "Edit"]


def test_saving_without_the_right_is_refused_on_the_server(app, con):
    """The page offers no Save to a user without the right, and the save it would
    have called refuses them all the same, the booking as it was."""
    at = app("employee")
    at.switch_page(CALENDAR)
    at.query_params.update({"day": known_store.RECENT.date().isoformat(), "booking": "6"})
    at.run()
    save = next(b for b in at.button if b.label == "Save")
    assert save.disabled
    employee = auth.get_user(con, "employee")
    draft, version = editing.current(con, 6, employee)
    changed = editing.with_changes(draft, client_name="Someone Else")
    with pytest.raises(Forbidden, match="may not change bookings"):
        editing.save(con, employee, 6, changed, started_from=draft, version=version)
    assert editing.current(con, 6)[0] == draft


@pytest.mark.parametrize("day, view, message, shown", [
    ("9999-12-31", "week", "shows 26.12.9999", "9999-12-26"),
    ("9999-12-31", "day", "shows 26.12.9999", "9999-12-26"),
    ("0001-01-01", "week", None, "0001-01-01"),
    ("0001-01-01", "day", None, "0001-01-01"),
    ("31.12.2024", "day", "is not a day", known_store.TODAY.isoformat()),
    ("2024-02-30", "week", "is not a day", known_store.TODAY.isoformat()),
    ("2024-06-02", "month", "is not a view", "2024-06-02"),
])
def test_any_day_in_the_address_gives_a_calendar_never_a_traceback(app, day, view, message,
                                                                     shown):
    at = app("owner")
    at.switch_page(CALENDAR)
    at.query_params.update({"day": day, "view": view})
    at.run()
    assert not at.exception
    assert at.title[0].value == "Calendar"
    said = [m.value for m in [*at.info, *at.warning]]
    if message:
        assert any(message in m for m in said), said
    else:
        assert not [m for m in said if "No bookings" not in m], said
    assert at.query_params["day"] in (shown, [shown])  # the day shown, back in the address


@pytest.mark.parametrize("day, arrow", [("9999-12-26", "→"), ("0001-01-01", "←")])
@pytest.mark.parametrize("view", ["day", "week"])
def test_stepping_past_the_calendars_ends_stays_on_them(app, day, arrow, view):
    at = app("owner")
    at.switch_page(CALENDAR)
    at.query_params.update({"day": day, "view": view})
    at.run()
    next(b for b in at.button if b.label == arrow).click().run()
    assert not at.exception
    assert at.title[0].value == "Calendar"


def open_in_calendar(at, day, booking):
    at.switch_page(CALENDAR)
    at.query_params.update({"day": day, "booking": str(booking)})
    return at.run()


def test_an_open_booking_shows_the_hours_around_it_until_closed(app):
    at = open_in_calendar(app("admin"), "2024-05-15", 2)  # booking 2: 12:00-13:00
    assert not at.exception
    assert at.subheader[0].value == "Booking 2"
    assert "11:00–14:00, around booking 2" in [c.value for c in at.caption]
    assert [t.label for t in at.toggle] == ["Whole day"]
    next(b for b in at.button if b.label == "Close").click().run()
    assert "booking" not in at.query_params
    assert not at.subheader and not at.toggle


def test_a_booking_moved_to_another_day_is_shown_on_that_day(app):
    at = open_in_calendar(app("owner"), "2024-05-15", 2)
    next(d for d in at.date_input if d.label == "Date").set_value(date(2024, 5, 16))
    next(b for b in at.button if b.label == "Save").click().run()
    assert not at.exception
    assert at.success[0].value == "Booking 2 saved."
    assert at.query_params["day"] in ("2024-05-16", ["2024-05-16"])
    assert at.subheader[0].value == "Booking 2"  # still open, on its new day


def test_another_day_closes_the_booking(app):
    at = open_in_calendar(app("admin"), "2024-05-15", 2)
    next(b for b in at.button if b.label == "→").click().run()
    assert not at.exception
    assert "booking" not in at.query_params and not at.subheader


def test_a_busy_day_opens_on_the_page_of_employees_with_the_booking(tmp_path, app_as):
    """The demo's today: more employees at work than a page beside the form holds."""
    path = tmp_path / "demo.duckdb"
    con = open_store(path)
    fill_demo(con, 3000, seed=1)
    today = datetime.combine(date.today(), time.min)
    working = [name for (name,) in con.execute(
        "SELECT DISTINCT s.name FROM bookings b JOIN staff s ON s.id = b.staff_id "
        "WHERE NOT b.deleted AND b.visit_at >= ? AND b.visit_at < ? + INTERVAL 1 DAY "
        "ORDER BY 1", [today, today]).fetchall()]
    booking, name = con.execute(
        "SELECT b.id, s.name FROM bookings b JOIN staff s ON s.id = b.staff_id "
        "WHERE NOT b.deleted AND b.visit_at >= ? AND b.visit_at < ? + INTERVAL 1 DAY "
        "AND s.name = ? LIMIT 1", [today, today, working[-1]]).fetchone()
    con.close()
    assert len(working) > calendar_chart.EMPLOYEES_PER_PAGE_BESIDE_FORM
    at = open_in_calendar(app_as(path)("admin"), today.date().isoformat(), booking)
    assert not at.exception
    shown = next(s for s in at.selectbox if s.label.startswith("Employees shown"))
    assert shown.label == f"Employees shown, of {len(working)}"
    assert shown.value == (len(working) - 1) // calendar_chart.EMPLOYEES_PER_PAGE_BESIDE_FORM
    assert shown.format_func(shown.value).endswith(f"– {name}")
