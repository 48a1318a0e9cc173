"""Rights where the bytes leave, whatever the client does: the real app (`bookings serve`)
driven by a hand-made Streamlit client (tests/wsclient.py), not a browser. Nothing the
page leaves to the browser (the download button's click, its on_click rerun) happens
unless the test does it.

The download button of the Data log hands out its file from a callable run when the
file is asked for (a deferred download: a backend operation over the websocket, then
a GET of the URL it answers with). The client asks for it without the click: the file
is served and the fetch recorded all the same. Once the owner, in another session,
takes the right away, the same request on the page still open gets no bytes and
records nothing.

With cookie sessions (bookings/sessions.py, the /auth/session route), a session id
alone signs nobody in, a file id is worth nothing once the sign-in the page was
drawn under has ended, and sign-in attempts fired in parallel are throttled before
their passwords are checked, per client address.
"""

from __future__ import annotations

import json
import re
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser.conftest import (
    Store,
    app_of_its_own,
    build_store,
    run_cli,
    serving_store,
)
from tests.wsclient import (
    SESSION_COOKIE,
    StreamlitClient,
    http_get,
    present_session_id,
    sign_in_in_parallel,
)
from ui import warm_up

KATE, KATE_PASSWORD = "kate", "kate-hand-made-7Qm2"
WARM_UP_BUTTON = f"{warm_up.KEY}_go"


@dataclass(frozen=True)
class Export:
    log_id: int
    file: Path


@dataclass(frozen=True)
class Exported:
    store: Store
    exports: dict[str, Export]  # login -> their ready export


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Exported:
    """A store whose administrators `admin` (the demo's) and `kate` each have a ready
    export. Made with the CLI before any app runs: the app holds the file while it does.
    Each test serves it itself, so it can read the Data log with the CLI after."""
    store = build_store(tmp_path_factory.mktemp("hand-made-client"))
    run_cli(store.path, "users", "add", KATE, "--role", "administrator", "--password-stdin",
            stdin=KATE_PASSWORD + "\n")
    exports = {}
    for login in (store.credentials["administrator"][0], KATE):
        made = json.loads(run_cli(store.path, "export", "--user", login, "--json").stdout)
        assert made["state"] == "ready"
        exports[login] = Export(made["log_id"], Path(made["file"]))
    return Exported(store, exports)


def signed_in(url: str, login: str, password: str, page: str) -> StreamlitClient:
    client = StreamlitClient(url).connect().sign_in(login, password, page=page)
    assert client.signed_in, f"{login} not signed in: {client.errors or client.texts[:5]}"
    assert client.page == page
    return client


def fetched_by(owner: StreamlitClient, log_id: int) -> list[str]:
    """Who fetched entry LOG_ID's file, oldest first, as the owner's Data log shows it:
    its Fetches count, and the Fetches table below the log (Entry, Who, When, How)."""
    owner.open("data-log")
    (count,) = owner.table(0).set_index("ID").loc[[log_id], "Fetches"]
    if not count:
        return []
    fetches = owner.table(1)
    who = list(fetches.loc[fetches["Entry"] == log_id, "Who"])[::-1]  # newest first there
    assert len(who) == count
    return who


def recorded_fetches(store: Store, log_id: int) -> list[tuple[str, str]]:
    """(by, via) of every fetch of entry LOG_ID, from `bookings log` (the app stopped)."""
    entries = json.loads(run_cli(store.path, "log", "--json").stdout)["entries"]
    (entry,) = [e for e in entries if e["id"] == log_id]
    return [(f["by"], f["via"]) for f in entry["fetches"]]


def choose_user(owner: StreamlitClient, login: str) -> None:
    owner.open("settings")
    owner.select("User", f"{login} · ")  # "kate · Kate (administrator)"


def revoke_export(owner: StreamlitClient, login: str) -> None:
    choose_user(owner, login)
    owner.check("Export to Excel", False).click("Save rights")
    assert owner.successes == [f"Rights of {login} saved."], owner.errors


def deactivate(owner: StreamlitClient, login: str) -> None:
    choose_user(owner, login)
    owner.click("Deactivate")
    assert owner.successes == [f"{login} deactivated."], owner.errors


@pytest.mark.parametrize("take_away", [revoke_export, deactivate],
                         ids=["export right revoked", "user deactivated"])
def test_the_file_leaves_without_the_click_recorded_and_not_once_the_right_is_gone(
        exported: Exported, take_away: Callable[[StreamlitClient, str], None]):
    store = exported.store
    # One user per case: the first case's revocation leaves admin without the right.
    login, password = ((KATE, KATE_PASSWORD) if take_away is deactivate
                       else store.credentials["administrator"])
    export = exported.exports[login]
    with serving_store(store, f"streamlit-{take_away.__name__}.log") as url:
        user = signed_in(url, login, password, "data-log")
        button = {"label": "Download .xlsx", "key": f"fetch-{export.log_id}"}

        # The file, asked for as the browser does on a click, but without the click's
        # rerun (the button's on_click): served, and recorded all the same.
        first = user.download(**button)
        assert first.error is None and first.status == 200
        assert first.body == export.file.read_bytes()
        owner = signed_in(url, *store.credentials["owner"], "data-log")
        assert fetched_by(owner, export.log_id) == [login]

        # The owner takes the right away in Settings; the user's page stays as it was
        # drawn (no rerun), its button still there, and asks for the same file again.
        take_away(owner, login)
        again = user.download(**button)
        assert (again.error, again.status, again.body) == (
            "Failed to generate file for download", None, b""), again
        # Nor does the URL of the first fetch serve any more: Streamlit drops a file
        # it made once two script runs have ended, and the owner's change took more.
        assert http_get(url + first.url).status == 404
        assert fetched_by(owner, export.log_id) == [login]
        user.close()
        owner.close()

    assert recorded_fetches(store, export.log_id) == [(login, "page")]


def test_a_file_id_is_worth_nothing_once_its_sign_in_has_ended(exported: Exported):
    """Streamlit hands a deferred file to any session presenting its id: the callable
    checks that the sign-in the page was drawn under still lives."""
    store = exported.store
    # The owner, who may fetch everyone's files: the cases above took the others' rights.
    login, password = store.credentials["owner"]
    export = exported.exports[store.credentials["administrator"][0]]
    with serving_store(store, "streamlit-signed-out.log") as url:
        user = signed_in(url, login, password, "data-log")
        button = user.find("Download .xlsx", kind="download_button",
                           key=f"fetch-{export.log_id}").proto
        other = StreamlitClient(url).connect().open("")  # a session of its own, signed out
        assert other.deferred_file(button.deferred_file_id).status == 200  # still signed in
        user.click("Sign out")  # ends the session on the server before the redirect
        assert user.auth_redirect.endswith("/auth/sign-out")
        refused = other.deferred_file(button.deferred_file_id)
        assert (refused.error, refused.body) == ("Failed to generate file for download", b"")
        other.close()
        user.close()
    assert recorded_fetches(store, export.log_id).count((login, "page")) == 1


def test_a_plain_download_buttons_file_is_at_the_url_it_was_drawn_with(app_url, credentials):
    """The client's other kind of download: bytes given to the button, stored by Streamlit
    when the page runs (the upload template)."""
    with StreamlitClient(app_url) as owner:
        owner.sign_in(*credentials["owner"], page="upload")
        assert owner.page == "upload", owner.texts[:5]
        template = owner.download("Download the template")
        assert template.url.startswith("/media/") and template.status == 200
        assert template.body[:2] == b"PK"  # an .xlsx is a zip


# --- the session id and throttling (cookie sessions) ----------------------------------------

def test_a_session_id_without_its_cookie_signs_nobody_in(app_url, credentials):
    login, password = credentials["administrator"]
    holder = signed_in(app_url, login, password, "")
    assert SESSION_COOKIE in holder.cookies  # signed in by the cookie, not the session
    account = next(text for text in holder.texts if text.startswith("Signed in as"))
    name = re.search(r"\*\*(.+?)\*\*", account).group(1)  # "Signed in as **Sarah Collins**"

    # Another client presents the holder's session id, without the cookie: it may be
    # handed that Streamlit session (Streamlit binds it to no identity of its own), but
    # it is shown the sign-in form, nothing of the holder's pages or data.
    intruder = present_session_id(app_url, holder.session_id, page="")
    assert not intruder.signed_in
    assert intruder.find("Sign in", kind="button").form_id
    assert [e.kind for e in intruder.elements
            if e.kind in ("dataframe", "metric", "vega_lite_chart", "download_button")] == []
    assert not any(login in text or name in text for text in intruder.texts)
    for page in ("data-log", "settings", "calendar"):  # any address: the sign-in form
        intruder.open(page)
        assert not intruder.signed_in and intruder.find("Sign in", kind="button")
        assert intruder.elements[0].text == "Bookings Overview"
    intruder.close()

    # The holder's browser comes back (a dropped connection presents its session id
    # again, with its cookie): still signed in.
    holder.reconnect(keep_session=True).open("")
    assert holder.signed_in
    holder.close()


def test_the_sign_in_pages_warm_up_shows_a_signed_out_client_nothing_of_the_store(
        app_url, credentials):
    """The sign-in page's hidden warm-up (ui/warm_up.py), pressed by a client that is no
    browser: made-up elements for whoever asks, and still nothing of the store."""
    with StreamlitClient(app_url) as stranger:
        stranger.open("").click("Warm up", key=WARM_UP_BUTTON)
        assert not stranger.signed_in and stranger.find("Sign in", kind="button").form_id
        assert [e.kind for e in stranger.elements if e.kind == "dataframe"] == ["dataframe"]
        assert list(stranger.table()["ID"]) == [1, 2]  # the warm-up's two dummies
        logins = [login for login, _password in credentials.values()]
        assert not any(login in text for login in logins for text in stranger.texts)
        assert not stranger.exceptions


def test_a_sign_in_without_its_cookie_holds_on_its_own_connection_only(app_url, credentials):
    """Before the cookie arrives, the page is signed in by the connection that signed
    in (its handshake's key), never by the Streamlit session id."""
    login, password = credentials["administrator"]
    holder = StreamlitClient(app_url).connect().open("")
    holder.type("Login", login).type("Password", password).click("Sign in")
    handover = holder.cookie_handover  # the ticket, not yet swapped for the cookie
    assert holder.signed_in and handover
    assert SESSION_COOKIE not in holder.cookies
    holder.open("settings")  # the next clicks of that connection: still signed in
    assert holder.signed_in

    intruder = present_session_id(app_url, holder.session_id, page="")
    assert not intruder.signed_in and intruder.find("Sign in", kind="button")
    intruder.close()
    # the holder's own next connection, still without the cookie: signed out
    holder.reconnect(keep_session=True).open("")
    assert not holder.signed_in
    holder.close()
    # the handed-over ticket still buys the cookie, once, and the cookie signs in
    cookie = http_get(handover).cookies()
    assert SESSION_COOKIE in cookie
    assert SESSION_COOKIE not in http_get(handover).cookies()
    with StreamlitClient(app_url, cookies=cookie).connect() as browser:
        assert browser.open("").signed_in


def _can_bind(address: str) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((address, 0))
        except OSError:
            return False
    return True


OTHER_ADDRESS = "127.0.0.2"  # loopback too, yet another client address to the server


def test_parallel_wrong_passwords_are_mostly_refused_unchecked_and_the_user_elsewhere_gets_in(
        tmp_path_factory):
    if not _can_bind(OTHER_ADDRESS):
        pytest.skip(f"{OTHER_ADDRESS} cannot be bound here: one client address only")
    # Its own app: the failures it leaves would throttle other tests' sign-ins.
    with app_of_its_own(tmp_path_factory.mktemp("throttled")) as (url, store):
        login, password = store.credentials["employee"]
        outcomes = sign_in_in_parallel(url, login, "not-the-password", 20)
        got = "; ".join(f"{n} x {' '.join(errors + exceptions)}" for (errors, exceptions), n
                        in Counter((o.errors, o.exceptions) for o in outcomes).items())
        assert not any(o.signed_in for o in outcomes)
        checked = [o for o in outcomes if o.errors == ("Wrong login or password.",)]
        assert 1 <= len(checked) <= 5, got

        # The same client waits, even with the right password ...
        same = StreamlitClient(url).connect().sign_in(login, password)
        assert not same.signed_in and "Try again in" in " ".join(same.errors), same.errors
        same.close()
        # ... while the real user, from another address, signs in.
        elsewhere = StreamlitClient(url, source_address=(OTHER_ADDRESS, 0)).connect()
        elsewhere.sign_in(login, password)
        assert elsewhere.signed_in, elsewhere.errors
        assert SESSION_COOKIE in elsewhere.cookies
        elsewhere.close()

    # Every attempt not checked was refused with a wait, in words (not an error page).
    waiting = [o for o in outcomes if not o.exceptions and len(o.errors) == 1 and re.fullmatch(
        r"Too many failed sign-ins\. Try again in \d+ seconds\.", o.errors[0])]
    assert len(checked) + len(waiting) == len(outcomes), got
