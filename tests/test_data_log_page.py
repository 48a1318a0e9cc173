"""The Data log's table as people read it: State, Progress and Fetches near the left,
widths that fit 1400 px with the sidebar open, numbers with thousands separators,
a fetch count with the fetches in a small table of their own, never "None"."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from bookings import auth, datalog, deletion
from bookings.exports import jobs, links
from bookings.filters import BookingFilter
from tests import known_store
from tests.helpers import DATA_LOG_PAGE

# What must show without a sideways scroll (tests/browser/test_data_log.py measures it).
FIRST_COLUMNS = ["ID", "Kind", "State", "Progress", "Fetches"]


@pytest.fixture
def app(con, store_path, app_as):
    known_store.build(con)
    return app_as(store_path)


@pytest.fixture
def entries(con):
    """A download fetched twice, one never fetched, a bulk delete with one booking left
    out, a refused sign-in; 200,000 rows in the first, as a big salon's would be."""
    admin, owner = auth.get_user(con, "admin"), auth.get_user(con, "owner")
    fetched = jobs.export_now(con, admin, BookingFilter(staff=(2,))).log_id
    jobs.export_now(con, owner, BookingFilter(), "csv")
    deletion.delete_bookings(con, admin, [1, 2])  # 1 is paid in full: left out
    datalog.record_refused_sign_in(con, "nobody", "10.0.0.1", "unknown login")
    links.fetch_for_page(con, "admin", fetched)
    links.fetch_for_page(con, "owner", fetched)
    con.execute("UPDATE data_log SET rows = 200000 WHERE id = ?", [fetched])
    return fetched


def log_grid(at: AppTest):
    return next(df for df in at.dataframe if "What" in df.value.columns)


def open_log(app, login: str = "owner") -> AppTest:
    at = app(login)
    at.switch_page(DATA_LOG_PAGE).run()
    assert not at.exception
    return at


def test_state_progress_and_fetches_come_first_and_every_width_is_set(app, entries):
    grid = log_grid(open_log(app)).proto
    config = json.loads(grid.columns)
    assert list(grid.column_order)[:5] == FIRST_COLUMNS
    shown = [name for name in grid.column_order if name != "Note"]
    assert all(isinstance(config[name]["width"], int) for name in shown)
    # The grid is 938 px wide at 1400 px with the sidebar open (measured in chromium).
    assert sum(config[name]["width"] for name in shown) <= 938


def test_numbers_have_thousands_separators_and_missing_values_show_blank(app, entries):
    grid = log_grid(open_log(app))
    config = json.loads(grid.proto.columns)
    for name in ("Rows", "Left out", "Fetches"):
        assert config[name]["type_config"]["format"] == "localized", name
    assert grid.proto.placeholder == ""  # a missing number is a blank, never "None"
    table = grid.value.set_index("ID")
    assert table.loc[entries, "Rows"] == 200_000
    text = table[["Kind", "State", "When", "Who", "What", "File", "Note"]]
    assert not text.isna().any().any() and "None" not in text.to_string()


def test_fetches_are_counted_and_listed_below(app, entries):
    at = open_log(app)
    table = log_grid(at).value.set_index("ID")
    assert table.loc[entries, "Fetches"] == 2
    assert list(table.loc[table["Kind"] == "Download", "Fetches"]) == [0, 2]
    assert table.loc[table["Kind"] == "Bulk delete", "Left out"].item() == 1
    fetches = next(df.value for df in at.dataframe if "How" in df.value.columns)
    assert fetches[["Entry", "Who", "How"]].values.tolist() == [
        [entries, "owner", "this page"], [entries, "admin", "this page"]]


def test_a_note_column_only_when_an_entry_has_one(app, con, entries):
    assert "Note" not in log_grid(open_log(app)).proto.column_order
    con.execute("UPDATE data_log SET state = 'failed', error = 'The disk is full.' "
                "WHERE id = ?", [entries])
    grid = log_grid(open_log(app))
    assert list(grid.proto.column_order)[-1] == "Note"
    assert grid.value.set_index("ID").loc[entries, "Note"] == "The disk is full."


def test_no_fetches_table_before_anything_was_fetched(app, con):
    jobs.export_now(con, auth.get_user(con, "admin"), BookingFilter())
    at = open_log(app, "admin")
    assert log_grid(at).value["Fetches"].tolist() == [0]
    assert not [df for df in at.dataframe if "How" in df.value.columns]
