"""The Bookings page through AppTest, on the known store."""

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers import bookings_table, sign_in_app, table_ids

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app(known_path, app_as):
    return app_as(known_path)


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def showing(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Showing:**"))


def test_the_owner_sees_every_booking_newest_first(app):
    at = app("owner", sort="visit_at")
    assert not at.exception
    assert table_ids(at) == [6, 5, 4, 3, 2, 1]
    assert metric(at, "Bookings") == "6"
    assert showing(at) == "**Showing:** all bookings"


def test_deleted_rows_say_who_deleted_them(app):
    table = bookings_table(app("owner", sort="visit_at")).set_index("ID")
    assert table.loc[3, "Deleted"].startswith("by admin on ")
    assert table.loc[1, "Deleted"] == ""


def test_only_the_deleted_rows_are_pink_and_every_row_is_shown(app):
    at = app("owner", sort="visit_at")
    grid = next(df for df in at.dataframe if "ID" in df.value.columns)
    table = grid.value  # every row: the Styler hides the others from pandas only
    assert list(table["ID"]) == [6, 5, 4, 3, 2, 1]
    styled_rows = {int(row) for row in re.findall(r"#T_d_row(\d+)_col\d+",
                                                    grid.proto.arrow_data.styler.styles)}
    assert styled_rows == set(table.index[table["Deleted"] != ""])
    assert "background-color: #fbd3e0" in grid.proto.arrow_data.styler.styles


def open_more_filters(at: AppTest, revision: int = 0) -> AppTest:
    at.session_state[f"more_filters-{revision}"] = True
    return at.run()


def test_set_filters_and_show(app):
    at = open_more_filters(app("owner", sort="visit_at"))
    at.multiselect(key="staff-0").set_value([1])
    at.selectbox(key="cancelled-0").set_value("no")
    next(b for b in at.button if b.label == "Show").click()
    at.run()
    assert not at.exception
    assert table_ids(at) == [1]
    assert at.query_params["staff"] in ("1", ["1"])
    assert at.query_params["cancelled"] in ("no", ["no"])
    assert showing(at) == "**Showing:** employee Anna Smith, not cancelled"


def test_nothing_applies_before_show(app):
    at = app("owner", sort="visit_at")
    at.multiselect(key="staff-0").set_value([1]).run()
    assert table_ids(at) == [6, 5, 4, 3, 2, 1]


def test_the_url_reopens_the_same_view(app):
    at = app("owner", staff="1", cancelled="no")
    assert table_ids(at) == [1]
    assert at.multiselect(key="staff-0").value == [1]
    assert at.selectbox(key="cancelled-0").value == "no"


def test_client_search_from_the_url(app):
    assert table_ids(app("owner", client="+1 (212) 344-5678")) == [4, 1]


def test_sort_and_page_size_from_the_url(app):
    at = app("owner", sort="id", asc="1", size="50")
    assert table_ids(at) == [1, 2, 3, 4, 5, 6]


def test_a_bad_url_value_is_named_not_fatal(app):
    at = app("owner", payment="free", staff="2")
    assert not at.exception
    assert table_ids(at) == [6, 4, 2]
    assert any("payment=free" in c.value for c in at.caption)


def test_the_employee_sees_only_the_viewing_period_and_masked_phones(app):
    at = app("employee", visit_from="2020-01-01")
    assert table_ids(at) == [6]
    assert bookings_table(at)["Phone"].tolist() == ["38********33"]


def test_phone_search_is_refused_without_the_phone_right(app):
    at = app("employee", client="3805")
    assert "may not search by phone" in at.error[0].value
    assert bookings_table(at) is None


def test_no_matches_says_so(app):
    at = app("owner", client="nobody at all")
    assert "No bookings match" in at.info[0].value


def test_without_the_list_right_the_page_refuses(app, known):
    at = AppTest.from_file(str(ROOT / "pages" / "bookings_list.py"), default_timeout=30)
    known.execute("INSERT INTO users (id, login, name, role, password_hash, created_at) "
                  "VALUES (99, 'nobody', 'Nobody', 'employee', 'x', now())")
    sign_in_app(at, "nobody")
    at.run()
    assert "may not open the Overview > Bookings list" in at.error[0].value
    assert bookings_table(at) is None
    known.execute("DELETE FROM users WHERE id = 99")


# --- the opening view, reset, the whole history, a start date alone ---------------------


def test_a_bare_address_opens_today_and_the_coming_visits_nearest_first(app):
    from datetime import date

    at = app("owner")
    assert at.query_params["visit_from"] == date.today().isoformat()
    assert at.query_params["asc"] == "1"
    assert showing(at) == f"**Showing:** visits from {date.today().day} " \
                          f"{date.today():%B %Y} on"
    assert table_ids(at) == []  # the known store has nothing from today on
    button = next(b for b in at.button if b.label == "Whole history")
    button.click().run()
    assert table_ids(at) == [6, 5, 4, 3, 2, 1]  # one click away, newest first
    assert showing(at) == "**Showing:** all bookings"


def test_reset_filters_goes_back_to_the_opening_view(app):
    from datetime import date

    at = app("owner", staff="1", cancelled="no")
    next(b for b in at.button if b.label == "Reset filters").click().run()
    assert dict(at.query_params) == {"visit_from": date.today().isoformat(),
                                     "sort": "visit_at", "asc": "1"}


def test_a_start_date_alone_means_from_that_day_on(app):
    from datetime import date

    at = app("owner", sort="visit_at")
    at.date_input(key="visit-0").set_value((date(2024, 5, 1),))
    next(b for b in at.button if b.label == "Show").click().run()
    assert showing(at) == "**Showing:** visits from 1 May 2024 on"
    assert table_ids(at) == [6, 5, 4, 3, 2, 1]  # not the one day: booking 1's alone


def test_the_chart_over_time_is_drawn_only_while_its_expander_is_open(app):
    """A closed chart costs the list neither its query nor the browser its chart."""
    at = app("owner", sort="visit_at")
    assert not at.exception
    assert [e for e in at.get("vega_lite_chart")] == []
    at.session_state["over_time"] = True  # what opening the expander sends
    at.run()
    assert not at.exception
    charts = at.get("vega_lite_chart")
    assert len(charts) == 1


def chart_spec(at: AppTest) -> dict:
    (chart,) = at.get("vega_lite_chart")
    return json.loads(chart.proto.spec)


def test_the_chart_over_time_shows_money_as_shares_split_by_any_dimension(app):
    at = app("owner", sort="visit_at")
    at.session_state["over_time"] = True
    at.run()
    at.button_group(key="list-over-time-measure").set_value("to_pay").run()
    at.button_group(key="list-over-time-stack").set_value("Shares (100%)").run()
    at.selectbox(key="list-over-time-split").set_value("booking_category").run()
    assert not at.exception
    encoding = chart_spec(at)["encoding"]
    assert encoding["y"]["title"] == "Share of money to pay"
    assert encoding["y"]["axis"]["format"] == ".0%"
    assert encoding["color"]["title"] == "Booking category"
    assert encoding["x"]["title"] == "Visit month"
    assert any("Money leaves out canceled bookings" in c.value for c in at.caption)


def test_paid_by_service_category_is_refused_in_words(app):
    at = app("owner", sort="visit_at")
    at.session_state["over_time"] = True
    at.run()
    at.button_group(key="list-over-time-measure").set_value("paid").run()
    at.selectbox(key="list-over-time-split").set_value("service_category").run()
    assert not at.exception
    assert len(at.get("vega_lite_chart")) == 0
    assert "cannot be split by service category" in at.info[0].value


def test_more_filters_are_drawn_once_opened_or_when_one_is_set(app):
    at = app("owner", sort="visit_at")
    assert [e.label for e in at.expander if e.label.startswith("More filters")] == \
        ["More filters"]
    with pytest.raises(KeyError):
        at.multiselect(key="weekday-0")  # closed: not drawn, yet kept (next test)
    at.multiselect(key="staff-0").set_value([1])
    next(b for b in at.button if b.label == "Show").click().run()
    assert at.query_params["staff"] in ("1", ["1"]) and "weekday" not in at.query_params

    with_more = app("owner", sort="visit_at", cancelled="no", weekday=["3"])
    assert [e.label for e in with_more.expander if e.label.startswith("More")] == \
        ["More filters (2 set)"]
    assert with_more.multiselect(key="weekday-0").value == [3]  # open: one is set
    with_more.session_state["more_filters-0"] = False  # closed by hand: still applied
    with_more.run()
    with_more.multiselect(key="staff-0").set_value([1])
    next(b for b in with_more.button if b.label == "Show").click().run()
    assert with_more.query_params["weekday"] in ("3", ["3"])
    assert with_more.query_params["cancelled"] in ("no", ["no"])


def test_weekday_and_hour_go_through_the_form_and_the_address(app):
    at = open_more_filters(app("owner", sort="visit_at"))
    at.multiselect(key="weekday-0").set_value([3])  # Wednesday: booking 1
    at.multiselect(key="hour-0").set_value([10, 11])
    next(b for b in at.button if b.label == "Show").click().run()
    assert not at.exception
    assert table_ids(at) == [1]
    assert at.query_params["weekday"] in ("3", ["3"])
    assert at.query_params["hour"] == ["10", "11"]
    assert showing(at) == "**Showing:** visits on Wednesdays, visits at 10:00-10:59 or " \
                          "11:00-11:59"
    # the address brings them back into the form (a new revision of its keys)
    again = app("owner", sort="visit_at", weekday=["3"], hour=["10", "11"])
    assert again.multiselect(key="weekday-0").value == [3]
    assert again.multiselect(key="hour-0").value == [10, 11]
    assert again.multiselect(key="weekday-0").options == ["Monday", "Tuesday", "Wednesday",
                                                          "Thursday", "Friday", "Saturday",
                                                          "Sunday"]
    assert again.multiselect(key="hour-0").options[9] == "09:00"


def facet_frames(at) -> dict:
    return {frame.value.columns[0]: frame.value for frame in at.dataframe
            if list(frame.value.columns[1:]) == ["Bookings", "Share"]}


def test_the_facets_are_drawn_once_opened_and_stay_open_for_the_session(app):
    at = app("owner", sort="visit_at")
    assert facet_frames(at) == {}  # closed at first: four grids the front desk skips
    at.session_state["facets"] = True  # the expander opened
    at.run()
    assert set(facet_frames(at)) == {"Source", "Payment", "Visit status", "Employee"}
    # another page's run drops the expander's own state; the session's choice stays
    del at.session_state["facets"]
    at.run()
    assert set(facet_frames(at)) == {"Source", "Payment", "Visit status", "Employee"}


def test_each_facet_row_has_its_count_and_share(app):
    at = app("owner", sort="visit_at")
    at.session_state["facets"] = True
    at.run()
    frames = facet_frames(at)
    assert set(frames) == {"Source", "Payment", "Visit status", "Employee"}
    payment = frames["Payment"].set_index("Payment")
    assert payment.loc["not paid in full", "Bookings"] == 3
    assert payment.loc["not paid in full", "Share"] == pytest.approx(50)  # percent
    assert frames["Employee"]["Share"].sum() == pytest.approx(100)


def test_too_many_parts_of_bars_are_not_drawn_but_said(app, monkeypatch):
    monkeypatch.setattr("ui.timeline_chart.MAX_PARTS", 5)
    at = app("owner", sort="visit_at")
    at.session_state["over_time"] = True
    at.run()
    # by weekday, 5 parts a month (bookings 1 and 2 are both on a Wednesday of May)
    at.selectbox(key="list-over-time-split").set_value("weekday").run()
    assert len(at.get("vega_lite_chart")) == 1
    at.button_group(key="list-over-time-grain").set_value("day").run()  # 6 days
    assert len(at.get("vega_lite_chart")) == 0
    assert "6 parts of bars, too many to draw" in at.info[0].value
