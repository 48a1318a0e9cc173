"""Behind a load balancer the client's address, which sign-in throttling counts by, comes
from X-Forwarded-For, but only when the proxies that send it are named in
BOOKINGS_TRUSTED_PROXIES: otherwise any client could name an address of its choice
with each attempt and never be throttled. A hand-made client sends the header itself.
"""

from __future__ import annotations

import pytest

from bookings import auth
from bookings.store import open_store
from tests.browser.conftest import build_store, serving_store
from tests.wsclient import StreamlitClient

FORWARDED = "203.0.113.7"  # TEST-NET-3: what the "proxy" says the client is


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return build_store(tmp_path_factory.mktemp("behind-a-proxy"), demo_bookings=0)


def failed_sign_in_from(store, env: dict[str, str], login: str) -> list[str]:
    """One wrong password for LOGIN through an app run with ENV, from a client whose
    handshake says X-Forwarded-For: FORWARDED; the addresses the failure was counted by."""
    with serving_store(store, env=env) as url:
        with StreamlitClient(url, headers={"X-Forwarded-For": FORWARDED}) as client:
            client.sign_in(login, "not-the-password")
            assert client.errors == ["Wrong login or password."], client.errors
    con = open_store(store.path)
    try:
        return [t.client for t in auth.throttles(con) if t.login == login]
    finally:
        con.close()


def test_the_header_is_ignored_unless_its_proxy_is_trusted(store):
    login = store.credentials["employee"][0]
    # Unset: uvicorn alone would believe a client on this machine; the app does not.
    assert failed_sign_in_from(store, {"BOOKINGS_TRUSTED_PROXIES": ""}, login) \
        == [auth.LOCAL_CLIENT]


def test_a_trusted_proxys_header_names_the_client(store):
    login = store.credentials["administrator"][0]
    assert failed_sign_in_from(store, {"BOOKINGS_TRUSTED_PROXIES": "127.0.0.1, ::1"}, login) \
        == [FORWARDED]

