"""The email with the link, the link's route, and every fetch in the Data log."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bookings import auth, datalog
from bookings.admin import users
from bookings.errors import Forbidden, NotFound
from bookings.exports import jobs, links, mail
from bookings.filters import BookingFilter
from bookings.model import SYSTEM, Right, User
from bookings.store import StoreError, store_dir
from tests import known_store
from tests.helpers import outbox_link
from web import downloads

SMTP_VARIABLES = ("BOOKINGS_SMTP_HOST", "BOOKINGS_SMTP_PORT", "BOOKINGS_SMTP_USER",
                  "BOOKINGS_SMTP_PASSWORD", "BOOKINGS_SMTP_TLS", "BOOKINGS_MAIL_FROM")


@pytest.fixture(autouse=True)
def no_smtp_from_outside(monkeypatch):
    for name in SMTP_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def store(con):
    known_store.build(con)
    return con


def free_port() -> int:
    """aiosmtpd's Controller cannot take port 0: find a free one first."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append((envelope.rcpt_tos,
                              message_from_bytes(envelope.content, policy=default_policy)))
        return "250 Message accepted"


@pytest.fixture
def smtp(monkeypatch):
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("BOOKINGS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("BOOKINGS_SMTP_PORT", str(port))
    monkeypatch.setenv("BOOKINGS_MAIL_FROM", "Salon <bookings@salon.example>")
    yield inbox
    controller.stop()


@pytest.fixture
def client(store):
    """The download route as server.py mounts it, on this store."""
    app = Starlette(routes=[downloads.route(lambda: store.cursor())])
    with TestClient(app) as test_client:
        yield test_client


def admin(con) -> User:
    return auth.get_user(con, "admin")


def fetches(con) -> list[tuple]:
    return con.execute("SELECT log_id, user_login, via FROM data_log_fetches "
                       "ORDER BY fetched_at").fetchall()


def token_of(link: str) -> str:
    return link.rsplit("/", 1)[1]


def test_the_email_arrives_and_its_link_downloads_the_file(store, smtp, client):
    outcome = jobs.export_now(store, admin(store), BookingFilter(staff=(1,)),
                              email="kate@salon.example")
    assert outcome.state == "ready" and outcome.mailed.startswith("smtp 127.0.0.1:")
    ((recipients, message),) = smtp.messages
    assert recipients == ["kate@salon.example"]
    assert message["From"] == "Salon <bookings@salon.example>"
    assert "3 rows" in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    assert "employee Anna Smith" in body and "7 days" in body
    (link,) = mail.links_in(message)
    assert link == outcome.link

    response = client.get(f"/download/{token_of(link)}")
    assert response.status_code == 200
    assert response.content == outcome.file.read_bytes()
    assert response.headers["content-disposition"] == (
        f'attachment; filename="bookings-{outcome.log_id}-{datetime.now():%Y-%m-%d}.xlsx"')
    assert response.headers["cache-control"] == "no-store"
    assert fetches(store) == [(outcome.log_id, None, "link")]
    (entry,) = datalog.entries(store, SYSTEM)
    assert [f["by"] for f in entry["fetches"]] == ["link"]


def test_a_wrong_token_gets_a_plain_404(store, client):
    jobs.export_now(store, admin(store), BookingFilter())
    for token in ("x" * 43, "short", "a" * 300):
        response = client.get(f"/download/{token}")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/plain")
        assert "not known" in response.text
    assert fetches(store) == []


def test_an_expired_link_gets_a_plain_410(store, client):
    outcome = jobs.export_now(store, admin(store), BookingFilter())
    store.execute("UPDATE data_log SET token_expires_at = ?",
                  [datetime.now() - timedelta(minutes=1)])
    response = client.get(f"/download/{token_of(outcome.link)}")
    assert response.status_code == 410 and "expired" in response.text
    assert response.headers["content-type"].startswith("text/plain")
    assert fetches(store) == []


def test_links_expire_after_the_configured_days(store):
    outcome = jobs.export_now(store, admin(store), BookingFilter())
    token = token_of(outcome.link)
    assert links.by_link(store, token, now=datetime.now() + timedelta(days=6.9)).status == 200
    assert links.by_link(store, token, now=datetime.now() + timedelta(days=7.1)).status == 410


def test_a_link_of_a_user_who_lost_the_right_is_refused(store, client):
    outcome = jobs.export_now(store, admin(store), BookingFilter())
    users.revoke(store, SYSTEM, "admin", {Right.EXPORT})
    response = client.get(f"/download/{token_of(outcome.link)}")
    assert response.status_code == 410 and "withdrawn" in response.text


def test_a_link_whose_file_is_gone_is_refused(store, client):
    outcome = jobs.export_now(store, admin(store), BookingFilter())
    outcome.file.unlink()
    response = client.get(f"/download/{token_of(outcome.link)}")
    assert response.status_code == 410 and "no longer kept" in response.text


def test_a_head_request_is_answered_but_not_counted(store, client):
    outcome = jobs.export_now(store, admin(store), BookingFilter())
    assert client.head(f"/download/{token_of(outcome.link)}").status_code == 200
    assert fetches(store) == []


def test_without_smtp_the_message_goes_to_the_outbox_beside_the_store(store, store_path):
    outcome = jobs.export_now(store, admin(store), BookingFilter(), email="a@salon.example")
    (path,) = (store_path.parent / "outbox").glob("*.eml")
    assert outcome.mailed == str(path) and path.name.startswith(f"export-{outcome.log_id}-")
    message = message_from_bytes(path.read_bytes(), policy=default_policy)
    assert message["To"] == "a@salon.example"
    assert mail.links_in(message) == [outcome.link]
    assert outbox_link(store_dir(store), outcome.log_id) == outcome.link


def test_no_address_no_email(store, store_path):
    outcome = jobs.export_now(store, admin(store), BookingFilter())
    assert outcome.mailed is None and outcome.error is None
    assert not (store_path.parent / "outbox").exists()


def test_a_mail_server_that_does_not_answer_leaves_the_file_ready_and_says_so(store,
                                                                              monkeypatch):
    monkeypatch.setenv("BOOKINGS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("BOOKINGS_SMTP_PORT", str(free_port()))  # nobody listens
    outcome = jobs.export_now(store, admin(store), BookingFilter(), email="a@salon.example")
    assert outcome.state == "ready"
    (state, error) = store.execute("SELECT state, error FROM data_log").fetchone()
    assert state == "ready" and "email could not be sent" in error


@pytest.mark.parametrize("env, expected", [
    ({}, None),
    ({"BOOKINGS_SMTP_HOST": "mail"}, mail.SmtpSettings("mail", 25)),
    ({"BOOKINGS_SMTP_HOST": "mail", "BOOKINGS_SMTP_TLS": "starttls", "BOOKINGS_SMTP_USER": "u",
      "BOOKINGS_SMTP_PASSWORD": "p"}, mail.SmtpSettings("mail", 587, "u", "p", "starttls")),
    ({"BOOKINGS_SMTP_HOST": "mail", "BOOKINGS_SMTP_TLS": "ssl", "BOOKINGS_SMTP_PORT": "2465"},
     mail.SmtpSettings("mail", 2465, tls="ssl")),
])
def test_smtp_settings_from_the_environment(env, expected):
    assert mail.SmtpSettings.from_env(env) == expected


@pytest.mark.parametrize("env", [{"BOOKINGS_SMTP_HOST": "m", "BOOKINGS_SMTP_TLS": "yes"},
                                 {"BOOKINGS_SMTP_HOST": "m", "BOOKINGS_SMTP_PORT": "x"}])
def test_wrong_smtp_settings_are_named(env):
    with pytest.raises(mail.MailError, match="BOOKINGS_SMTP_"):
        mail.SmtpSettings.from_env(env)


# --- fetching from the page ------------------------------------------------------------


def test_a_fetch_from_the_page_is_checked_and_recorded(store):
    outcome = jobs.export_now(store, admin(store), BookingFilter())
    ready = links.fetch_from_page(store, admin(store), outcome.log_id)
    assert ready.path == outcome.file
    owner = auth.get_user(store, "owner")
    links.fetch_from_page(store, owner, outcome.log_id)  # the owner sees every entry
    assert fetches(store) == [(outcome.log_id, "admin", "page"),
                              (outcome.log_id, "owner", "page")]


def test_others_may_not_fetch_from_the_page(store):
    outcome = jobs.export_now(store, admin(store), BookingFilter())
    employee = auth.get_user(store, "employee")
    with pytest.raises(Forbidden):  # no export right
        links.fetch_from_page(store, employee, outcome.log_id)
    users.grant(store, SYSTEM, "employee", {Right.EXPORT})
    with pytest.raises(NotFound, match="not yours"):  # not their entry
        links.fetch_from_page(store, auth.get_user(store, "employee"), outcome.log_id)
    assert fetches(store) == []


def test_an_entry_not_ready_has_nothing_to_fetch(store):
    log_id = jobs.request_export(store, admin(store), BookingFilter())
    with pytest.raises(NotFound, match="no file"):
        links.fetch_from_page(store, admin(store), log_id)


def test_the_route_says_503_while_the_store_cannot_be_opened():
    def busy():
        raise StoreError("The store x is busy: another process holds it.")

    with TestClient(Starlette(routes=[downloads.route(busy)])) as test_client:
        response = test_client.get(f"/download/{'x' * 43}")
    assert response.status_code == 503 and "busy" in response.text
