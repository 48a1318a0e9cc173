"""Sign-in sessions: tickets, tokens, expiry, ending them; the routes that set the cookie."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bookings import auth, sessions
from bookings.admin import users as user_admin
from bookings.errors import SignInRefused
from bookings.model import Role
from bookings.store import open_store
from tests.helpers import issue_ticket
from web import sessions as web_sessions

NOW = datetime(2026, 5, 1, 12, 0, 0)


@pytest.fixture
def signed_in(con, make_user):
    """signed_in(role, now=None) -> (user, token): a user with a session begun NOW."""

    def sign(role: Role = Role.EMPLOYEE, login: str | None = None, now: datetime | None = None):
        user = make_user(role, login)[0]
        ticket = issue_ticket(con, user, "198.51.100.7", now=now)
        return user, sessions.redeem(con, ticket, now=now)

    return sign


def test_the_token_is_random_long_and_stored_only_as_its_hash(con, signed_in):
    user, token = signed_in(now=NOW)
    assert len(token) >= 43  # 32 bytes, URL-safe base64
    stored = con.execute("SELECT token_sha256, ticket_sha256 FROM sessions").fetchall()
    assert stored == [(sessions.digest(token), None)]
    assert token not in str(con.execute("SELECT * FROM sessions").fetchall())
    assert sessions.user_for(con, token, now=NOW).user == user


def test_a_ticket_is_used_once_and_only_for_30_seconds(con, make_user):
    user = make_user(Role.OWNER)[0]
    first = issue_ticket(con, user, "local", now=NOW)
    assert sessions.redeem(con, first, now=NOW + timedelta(seconds=29))
    assert sessions.redeem(con, first, now=NOW + timedelta(seconds=29)) is None
    late = issue_ticket(con, user, "local", now=NOW)
    assert sessions.redeem(con, late, now=NOW + timedelta(seconds=30)) is None
    assert sessions.redeem(con, "not-a-ticket-anyone-issued-xxxxxxxx", now=NOW) is None


def test_a_session_is_checked_by_its_id_as_by_its_token(con, make_user):
    """The connection that signed in goes by the session's id until its cookie comes:
    the same checks (ended, idle, expired), and the same session once redeemed."""
    user = make_user(Role.OWNER)[0]
    session_id, ticket = sessions.open_session(con, user, "local", now=NOW)
    here = sessions.user_of_session(con, session_id, now=NOW)
    assert (here.user, here.session) == (user, session_id)  # before the ticket is swapped
    token = sessions.redeem(con, ticket, now=NOW)
    assert sessions.user_for(con, token, now=NOW).session == session_id
    assert sessions.user_of_session(con, session_id, now=NOW).user == user
    later = NOW + sessions.idle_time()
    assert sessions.user_of_session(con, session_id, now=later).ended == sessions.IDLE
    assert sessions.user_for(con, token, now=later).user is None  # ended for both

    other_id, _ = sessions.open_session(con, user, "local", now=NOW)
    sessions.end_session(con, other_id, now=NOW)
    assert sessions.user_of_session(con, other_id, now=NOW).ended == sessions.SIGNED_OUT
    assert sessions.user_of_session(con, 12345, now=NOW).user is None  # no such session


def test_two_requests_with_one_ticket_get_one_token(store_path, make_user):
    user = make_user(Role.OWNER)[0]
    shared = open_store(store_path)
    ticket = issue_ticket(shared, user, "local")
    cursors = [shared.cursor() for _ in range(8)]

    def redeem(cursor):
        try:
            return sessions.redeem(cursor, ticket)
        except Exception:  # DuckDB's write conflict: the other request won  # noqa: BLE001
            return None

    with ThreadPoolExecutor(8) as pool:
        tokens = [t for t in pool.map(redeem, cursors) if t]
    shared.close()
    assert len(tokens) == 1


def test_every_sign_in_is_a_new_token(con, make_user):
    user = make_user(Role.OWNER)[0]
    tokens = {sessions.redeem(con, issue_ticket(con, user, "local")) for _ in range(5)}
    assert len(tokens) == 5 and None not in tokens


def test_a_session_ends_when_idle_and_at_its_absolute_lifetime(con, signed_in, monkeypatch):
    monkeypatch.setenv(sessions.IDLE_HOURS_VAR, "2")
    monkeypatch.setenv(sessions.LIFETIME_DAYS_VAR, "3")
    _, token = signed_in(Role.OWNER, now=NOW)
    # Used every hour: idle never, but three days is the end all the same.
    for hour in range(1, 72):
        assert sessions.user_for(con, token, now=NOW + timedelta(hours=hour)).user
    ended = sessions.user_for(con, token, now=NOW + timedelta(hours=72))
    assert ended.user is None and ended.ended == sessions.EXPIRED
    assert "older than 3 days" in ended.message
    _, idle = signed_in(Role.EMPLOYEE, now=NOW)
    assert sessions.user_for(con, idle, now=NOW + timedelta(hours=1, minutes=59)).user
    check = sessions.user_for(con, idle, now=NOW + timedelta(hours=3, minutes=59))
    assert (check.user, check.ended) == (None, sessions.IDLE)
    assert "after 2 hours without use" in check.message
    # Ended stays ended.
    assert sessions.user_for(con, idle, now=NOW + timedelta(hours=4)).user is None


def test_defaults_are_12_hours_idle_and_7_days(monkeypatch):
    monkeypatch.delenv(sessions.IDLE_HOURS_VAR, raising=False)
    monkeypatch.setenv(sessions.LIFETIME_DAYS_VAR, "soon")  # not a number: the default
    assert sessions.idle_time() == timedelta(hours=12)
    assert sessions.lifetime() == timedelta(days=7)


def test_signing_out_ends_only_that_session(con, signed_in, make_user):
    user, token = signed_in(Role.OWNER, now=NOW)
    other = sessions.redeem(con, issue_ticket(con, user, "local", now=NOW), now=NOW)
    sessions.end(con, token, now=NOW)
    assert sessions.user_for(con, token, now=NOW).ended == sessions.SIGNED_OUT
    assert sessions.user_for(con, other, now=NOW).user == user


@pytest.mark.parametrize("how, why", [
    ("deactivate", sessions.DEACTIVATED),
    ("reset password", sessions.PASSWORD_RESET),
    ("sign out everywhere", sessions.EVERYWHERE),
])
def test_deactivation_reset_and_everywhere_end_all_of_a_users_sessions(con, signed_in, how,
                                                                        why):
    owner, owner_token = signed_in(Role.OWNER)
    employee, first = signed_in(Role.EMPLOYEE)
    second = sessions.redeem(con, issue_ticket(con, employee, "local"))
    pending = issue_ticket(con, employee, "local")
    if how == "deactivate":
        user_admin.set_active(con, owner, employee.login, False)
    elif how == "reset password":
        user_admin.reset_password(con, owner, employee.login)
    else:
        assert user_admin.sign_out_everywhere(con, owner, employee.login) == 3
    for token in (first, second):
        check = sessions.user_for(con, token)
        assert (check.user, check.ended) == (None, why)
    assert sessions.redeem(con, pending) is None
    assert sessions.user_for(con, owner_token).user == owner  # others stay signed in


def test_users_sign_out_everywhere_for_themselves_but_not_others(con, signed_in):
    from bookings.admin.changelog import SettingsRefused
    from bookings.errors import Forbidden

    employee, token = signed_in(Role.EMPLOYEE)
    owner, owner_token = signed_in(Role.OWNER)
    with pytest.raises((Forbidden, SettingsRefused)):
        user_admin.sign_out_everywhere(con, employee, owner.login)
    assert sessions.user_for(con, owner_token).user == owner
    user_admin.sign_out_everywhere(con, employee, employee.login)
    assert sessions.user_for(con, token).user is None


def test_a_deactivated_user_found_by_an_old_session_is_signed_out(con, signed_in):
    employee, token = signed_in(Role.EMPLOYEE)
    con.execute("UPDATE users SET active = FALSE WHERE id = ?", [employee.id])  # a raw write
    assert sessions.user_for(con, token).ended == sessions.DEACTIVATED


@pytest.mark.parametrize("target, safe", [
    ("/settings?tab=users", "/settings?tab=users"),
    ("/", "/"),
    (None, "/"),
    ("https://evil.example/", "/"),
    ("//evil.example/x", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
    ("/data-log\r\nSet-Cookie: x=1", "/"),
])
def test_after_sign_in_the_browser_goes_only_to_a_page_of_this_app(target, safe):
    assert sessions.safe_next(target) == safe


# --- the routes --------------------------------------------------------------------


@pytest.fixture
def client(store_path):
    shared = open_store(store_path)
    app = Starlette(routes=web_sessions.routes(shared.cursor))
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as http:
        yield http
    shared.close()


def test_the_route_swaps_a_ticket_for_an_httponly_cookie(client, con, make_user, monkeypatch):
    monkeypatch.delenv("BOOKINGS_PUBLIC_URL", raising=False)
    user = make_user(Role.OWNER)[0]
    ticket = issue_ticket(con, user, "local")
    answer = client.get("/auth/session", params={"ticket": ticket,
                                                 "next": "/calendar?day=2026-05-01"})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/calendar?day=2026-05-01"
    assert answer.headers["cache-control"] == "no-store"
    cookie = answer.headers["set-cookie"]
    token = cookie.split(";")[0].removeprefix(f"{sessions.COOKIE}=")
    assert sessions.user_for(con, token).user == user
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=lax", "path=/"} <= flags
    assert f"max-age={7 * 24 * 3600}" in flags
    assert "secure" not in flags  # plain http here
    again = client.get("/auth/session", params={"ticket": ticket, "next": "/"})
    assert "set-cookie" not in again.headers  # used once


def test_the_cookie_is_secure_when_the_app_is_reached_over_https(client, con, make_user,
                                                                  monkeypatch):
    monkeypatch.setenv("BOOKINGS_PUBLIC_URL", "https://bookings.example.com")
    ticket = issue_ticket(con, make_user(Role.OWNER)[0], "local")
    cookie = client.get("/auth/session", params={"ticket": ticket}).headers["set-cookie"]
    assert "secure" in cookie.lower()


def test_a_bad_next_goes_home_and_a_bad_ticket_sets_no_cookie(client):
    answer = client.get("/auth/session", params={"ticket": "x" * 43,
                                                 "next": "https://evil.example/"})
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    assert "set-cookie" not in answer.headers


def test_signing_out_ends_the_session_and_clears_the_cookie(client, con, make_user):
    user = make_user(Role.OWNER)[0]
    token = sessions.redeem(con, issue_ticket(con, user, "local"))
    client.cookies.set(sessions.COOKIE, token)
    answer = client.get("/auth/sign-out")
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    assert 'bookings_session=""' in answer.headers["set-cookie"]
    assert "max-age=0" in answer.headers["set-cookie"].lower()
    assert sessions.user_for(con, token).ended == sessions.SIGNED_OUT


# --- the command line ----------------------------------------------------------------


def live_sessions(store_path, login: str, count: int = 2) -> list[str]:
    con = open_store(store_path)
    try:
        user = auth.get_user(con, login)
        return [sessions.redeem(con, issue_ticket(con, user, "local"))
                for _ in range(count)]
    finally:
        con.close()


def checks(store_path, tokens: list[str]) -> list[str | None]:
    con = open_store(store_path)
    try:
        return [sessions.user_for(con, t).ended for t in tokens]
    finally:
        con.close()


def test_users_sign_out_everywhere_ends_every_session(cli, store_path):
    cli("users", "list")  # the known store in place
    tokens = live_sessions(store_path, "employee")
    code, out, _ = cli("users", "sign-out-everywhere", "employee", "--user", "owner", "--json")
    assert code == 0
    assert json.loads(out) == {"login": "employee", "sessions_ended": 2}
    assert checks(store_path, tokens) == [sessions.EVERYWHERE] * 2


def test_users_unthrottle_lets_the_login_try_at_once(cli, store_path):
    cli("users", "list")
    con = open_store(store_path)
    for _ in range(auth.FREE_FAILURES + 1):
        with pytest.raises(SignInRefused):
            auth.sign_in(con, "admin", "guess", client="203.0.113.9")
    assert auth.seconds_to_wait(con, "admin", "203.0.113.9", datetime.now()) > 0
    con.close()
    code, out, _ = cli("users", "unthrottle", "admin", "--user", "owner")
    assert (code, out) == (0, f"admin may sign in again at once ({auth.FREE_FAILURES} failed "
                              "sign-ins forgotten).\n")
    con = open_store(store_path)
    assert auth.seconds_to_wait(con, "admin", "203.0.113.9", datetime.now()) == 0
    con.close()


@pytest.mark.parametrize("args, code, message", [
    (("users", "sign-out-everywhere", "owner", "--user", "employee"), 1,
     "may not manage users, rights"),
    (("users", "unthrottle", "admin", "--user", "admin"), 1, "may not manage users"),
    (("users", "sign-out-everywhere", "nobody", "--user", "owner"), 1, "There is no user"),
    (("users", "unthrottle", "nobody", "--user", "owner"), 1, "There is no user"),
    (("users", "unthrottle"), 2, "the following arguments are required: login"),
])
def test_refusals_of_the_session_commands(cli, args, code, message):
    got, _, err = cli(*args)
    assert got == code
    assert message in err
