"""Rights checked where the data leaves: the Data log page's download callable
(`links.fetch_for_page`) and the emailed link re-check the rights on every fetch."""

from __future__ import annotations

import json

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bookings import auth
from bookings.admin import users
from bookings.errors import Forbidden, NotFound
from bookings.exports import jobs, links
from bookings.filters import BookingFilter
from bookings.model import SYSTEM, Right
from tests import known_store
from tests.helpers import issue_ticket
from web import downloads


@pytest.fixture
def store(con):
    known_store.build(con)
    return con


@pytest.fixture
def client(store):
    """The download route as server.py mounts it, on this store."""
    app = Starlette(routes=[downloads.route(lambda: store.cursor())])
    with TestClient(app) as test_client:
        yield test_client


def export_by(con, login: str) -> jobs.Outcome:
    outcome = jobs.export_now(con, auth.get_user(con, login), BookingFilter())
    assert outcome.state == "ready"
    return outcome


def fetches(con) -> list[tuple]:
    return con.execute("SELECT log_id, user_login, via FROM data_log_fetches "
                       "ORDER BY fetched_at").fetchall()


def token_of(outcome: jobs.Outcome) -> str:
    return outcome.link.rsplit("/", 1)[1]


# --- the page's download callable --------------------------------------------------------


def test_a_good_fetch_hands_out_the_file_and_is_recorded_once(store):
    outcome = export_by(store, "admin")
    data, file_name = links.fetch_for_page(store, "admin", outcome.log_id)
    assert data == outcome.file.read_bytes()
    assert file_name.startswith(f"bookings-{outcome.log_id}-") and file_name.endswith(".xlsx")
    assert fetches(store) == [(outcome.log_id, "admin", "page")]


def test_the_owner_fetches_anyones_file(store):
    outcome = export_by(store, "admin")
    links.fetch_for_page(store, "owner", outcome.log_id)
    assert fetches(store) == [(outcome.log_id, "owner", "page")]


def test_a_revoked_export_right_refuses_the_open_pages_file(store):
    outcome = export_by(store, "admin")
    users.revoke(store, SYSTEM, "admin", {Right.EXPORT})
    with pytest.raises(Forbidden, match="may not"):
        links.fetch_for_page(store, "admin", outcome.log_id)
    assert fetches(store) == []


def test_a_deactivated_user_gets_nothing(store):
    outcome = export_by(store, "admin")
    users.set_active(store, SYSTEM, "admin", False)
    with pytest.raises(Forbidden, match="no longer an active user"):
        links.fetch_for_page(store, "admin", outcome.log_id)
    with pytest.raises(Forbidden):
        links.fetch_for_page(store, "nobody", outcome.log_id)
    assert fetches(store) == []


def test_another_users_entry_needs_the_owners_settings_right(store):
    outcome = export_by(store, "admin")
    users.grant(store, SYSTEM, "employee", {Right.EXPORT})
    with pytest.raises(NotFound, match="not yours"):
        links.fetch_for_page(store, "employee", outcome.log_id)
    assert fetches(store) == []


def test_a_file_with_phones_needs_the_phone_right_from_the_page(store):
    outcome = export_by(store, "admin")
    users.revoke(store, SYSTEM, "admin", {Right.SEE_PHONES})
    with pytest.raises(Forbidden, match="phone numbers"):
        links.fetch_for_page(store, "admin", outcome.log_id)
    assert fetches(store) == []


# --- the emailed link ---------------------------------------------------------------------


def test_the_job_records_whether_the_file_shows_phones(store):
    shown = export_by(store, "admin")
    users.revoke(store, SYSTEM, "admin", {Right.SEE_PHONES})
    masked = export_by(store, "admin")
    assert jobs.made_with_phones(store, shown.log_id)
    assert not jobs.made_with_phones(store, masked.log_id)


def test_a_link_to_phones_is_withdrawn_with_the_phone_right(store, client):
    outcome = export_by(store, "admin")
    assert client.head(f"/download/{token_of(outcome)}").status_code == 200
    users.revoke(store, SYSTEM, "admin", {Right.SEE_PHONES})
    response = client.get(f"/download/{token_of(outcome)}")
    assert response.status_code == 410
    assert response.headers["content-type"].startswith("text/plain")
    assert "withdrawn" in response.text and "phone numbers" in response.text
    assert fetches(store) == []


def test_a_link_to_masked_phones_keeps_serving_without_the_phone_right(store, client):
    users.revoke(store, SYSTEM, "admin", {Right.SEE_PHONES})
    outcome = export_by(store, "admin")
    response = client.get(f"/download/{token_of(outcome)}")
    assert response.status_code == 200 and response.content == outcome.file.read_bytes()
    assert fetches(store) == [(outcome.log_id, None, "link")]


def test_a_link_written_before_phones_were_recorded_counts_as_showing_them(store, client):
    outcome = export_by(store, "admin")
    (details,) = store.execute("SELECT filter FROM data_log WHERE id = ?",
                               [outcome.log_id]).fetchone()
    details = json.loads(details)
    del details["phones"]
    store.execute("UPDATE data_log SET filter = ? WHERE id = ?",
                  [json.dumps(details), outcome.log_id])
    assert client.get(f"/download/{token_of(outcome)}").status_code == 200
    users.revoke(store, SYSTEM, "admin", {Right.SEE_PHONES})
    assert client.get(f"/download/{token_of(outcome)}").status_code == 410
    assert fetches(store) == [(outcome.log_id, None, "link")]


def test_a_link_of_a_deactivated_owner_is_withdrawn(store, client):
    outcome = export_by(store, "admin")
    users.set_active(store, SYSTEM, "admin", False)
    response = client.get(f"/download/{token_of(outcome)}")
    assert response.status_code == 410 and "withdrawn" in response.text
    assert fetches(store) == []


def test_the_page_file_is_handed_out_only_while_its_sign_in_lives(store):
    """Streamlit serves a deferred file to whoever presents its id: once the sign-in the
    page was drawn under has ended, the id is worth nothing."""
    from bookings import sessions

    outcome = export_by(store, "admin")
    admin = auth.get_user(store, "admin")
    session = sessions.redeem(store, issue_ticket(store, admin, "local"))
    other = sessions.redeem(store, issue_ticket(store, auth.get_user(store, "owner"),
                                                "local"))
    links.fetch_for_page(store, "admin", outcome.log_id, session=session)
    with pytest.raises(Forbidden, match="sign-in has ended"):  # another user's sign-in
        links.fetch_for_page(store, "admin", outcome.log_id, session=other)
    sessions.end(store, session)
    with pytest.raises(Forbidden, match="sign-in has ended"):
        links.fetch_for_page(store, "admin", outcome.log_id, session=session)
    assert len(fetches(store)) == 1
