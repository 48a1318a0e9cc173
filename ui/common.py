"""What every page shares: the store connection, the signed-in user, the
rights check. Streamlit-side only; the rules live in `bookings/`."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlencode

import streamlit as st
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.scriptrunner import get_script_run_ctx

from bookings import auth, config, listing, sessions
from bookings.admin import users as user_admin
from bookings.errors import Refused
from bookings.exports import links
from bookings.model import Right, User
from bookings.store import Connection, StoreError, open_store
from bookings.uploads.batch import plural
from ui.warm_up import warm_up_list_page

_CURSOR = "_cursor"
_IN_PROCESS_TOKEN = "session_token"  # AppTest only: no browser, no cookie
_STATE_OWNER = "_state_owner"  # the session whose sign-in this state belongs to
_ENDED = "_session_ended"  # why the cookie's session ended, for the sign-in page
_PAGE_PATH = "_page_path"
# The session this websocket connection signed in to: {"session": id, "connection":
# the handshake's Sec-WebSocket-Key}. A reconnection (or another client presenting this
# Streamlit session's id) has another key, and goes by its cookie alone.
_SIGNED_IN_HERE = "_signed_in_here"
_COOKIE_TICKET = "_cookie_ticket"  # the ticket the browser swaps for its cookie, once


@st.cache_resource(show_spinner=False)
def _connection(path: str) -> Connection:
    """One connection per process: DuckDB lets one process hold the file. (What a
    restart cut off was recovered at the app's start: server.py, `startup`.)"""
    return open_store(path)


def made_on_click(make: Callable[[Connection], bytes]) -> Callable[[], bytes]:
    """A download's bytes made only when its button is clicked. Streamlit runs
    this on a thread of its own, when this run's cursor may be closed: it takes a
    cursor of its own from the app's connection.

    Give its button `on_click="ignore"` unless the click must rerun the page. The
    click asks for the file and, by default, reruns the app at the same time; a run
    that starts (outside a fragment) empties the session's outgoing queue of all but
    lifecycle messages, the file's answer too if it is still waiting there. The
    browser then never hears of its file and the button spins for 3 minutes (on a
    loaded machine, about one click in 20). A button inside a fragment reruns only
    the fragment, which keeps the answer (the Data log's)."""
    shared = _connection(str(config.default_db_path()))

    def make_now() -> bytes:
        reader = shared.cursor()
        try:
            return make(reader)
        finally:
            reader.close()

    return make_now


def fetched_download(login: str, log_id: int) -> Callable[[], bytes]:
    """A Data log file's bytes when they are asked for (Streamlit's deferred download, on
    a thread of its own): the user read afresh, the rights checked, the fetch recorded,
    and only while this page's sign-in lives (`links.fetch_for_page`). A refusal raises:
    Streamlit then tells the browser the file could not be made. The Data log's buttons
    and the cross-tab's download use it."""
    session = session_token()
    return made_on_click(
        lambda reader: links.fetch_for_page(reader, login, log_id, session=session)[0])


def url_param(key: str, parse, default, what: str | None = None):
    """A parameter of the page's address, parsed; the default when it is missing or does
    not parse (a hand-edited or stale link never breaks a page). With WHAT, the page
    says which value it ignored and what it should have been."""
    if key not in st.query_params:
        return default
    text = st.query_params[key]
    try:
        return parse(text)
    except (ValueError, OverflowError):
        if what:
            st.warning(f"{key}={text!r} in the address is not {what}: it is ignored.")
        return default


class Confirmation:
    """What waits for the user's confirmation in a dialog, kept in the session under
    KEY: the dialog opens on every run while something waits, and confirming spends
    it first, so a second click (or a rerun) finds nothing waiting and does nothing."""

    def __init__(self, key: str):
        self.key = key

    def ask(self, **what) -> None:
        st.session_state[self.key] = what

    def waiting(self) -> dict | None:
        return st.session_state.get(self.key)

    def forget(self) -> None:
        st.session_state.pop(self.key, None)

    def spend(self) -> dict | None:
        """What waited, now no longer waiting; None if nothing did (a second click)."""
        return st.session_state.pop(self.key, None)


counted = plural  # `1 booking`, `2,000 bookings`: the domain's wording, on the pages too


def _new_cursor() -> Connection:
    """A cursor of the app's store (a DuckDB connection is not thread-safe; on
    PostgreSQL it is a connection of its own), or the page says why there is none."""
    try:
        return _connection(str(config.default_db_path())).cursor()
    except StoreError as exc:  # busy, or a newer schema: say so, never a traceback
        st.error(f"The bookings store cannot be opened. {exc}")
        st.stop()


def open_cursor() -> Connection:
    """A fresh cursor kept in the session until its next one: a fragment's or a dialog's
    rerun (which skips app.py), or a page run on its own, as in tests."""
    cursor = _new_cursor()
    close_cursor()
    st.session_state[_CURSOR] = cursor
    return cursor


def close_cursor() -> None:
    """Close the cursor the session keeps, if any."""
    kept = st.session_state.pop(_CURSOR, None)
    if kept is not None:
        kept.close()


@contextmanager
def cursor_for_this_run() -> Iterator[Connection]:
    """app.py's run inside: the run's cursor, closed when the run ends, however it ends.
    On PostgreSQL a cursor is a connection of its own: kept in the session between
    runs, every open browser tab would hold one and the server's would run out. It is
    held by the run, not the session: once st.stop is asked for, any Streamlit call
    (the session's state too) stops again, and the close would never be reached."""
    close_cursor()  # a fragment's, from before this run
    _this_run.cursor = _new_cursor()
    try:
        yield _this_run.cursor
    finally:
        _this_run.cursor.close()
        del _this_run.cursor


def cursor() -> Connection:
    """This run's cursor: app.py's, or else the session's (opened here if none)."""
    return (getattr(_this_run, "cursor", None) or st.session_state.get(_CURSOR)
            or open_cursor())


def current_user() -> User | None:
    """The signed-in user: the session cookie's, checked against the store on every run,
    so rights changes, deactivation and sign-outs elsewhere apply at the next click.

    The Streamlit session itself proves nothing (a client may present another's
    session id): a run whose cookie is not the one this session's state was made
    under starts from an empty state.
    """
    check = sessions.user_for(cursor(), session_token())
    here = st.session_state.get(_SIGNED_IN_HERE)
    if check.user is None and here and here["connection"] == _connection_key():
        check = sessions.user_of_session(cursor(), here["session"])
    owner = check.session if check.user is not None else None
    if st.session_state.get(_STATE_OWNER, owner) != owner:
        _forget_session_state()
    st.session_state[_STATE_OWNER] = owner
    if check.message:
        st.session_state[_ENDED] = check.message
    return check.user


def session_token() -> str | None:
    """The session cookie's token. Without any browser connection (AppTest runs the
    app in-process, and has no cookies) the token sign-in kept in the state."""
    if not st.context.headers:
        return st.session_state.get(_IN_PROCESS_TOKEN)
    return st.context.cookies.get(sessions.COOKIE)


def _connection_key() -> str | None:
    """What tells this websocket connection from any other: the random key of its
    handshake (RFC 6455), which the browser makes anew for each connection."""
    return st.context.headers.get("Sec-Websocket-Key") or None


def _forget_session_state() -> None:
    for key in list(st.session_state):
        # the sign-in of this connection outlives the state of the one before it
        if key not in (_CURSOR, _IN_PROCESS_TOKEN, _SIGNED_IN_HERE, _COOKIE_TICKET):
            del st.session_state[key]


def _client_address() -> str:
    """The browser's address, for sign-in throttling; Streamlit gives None for this
    machine (and AppTest something that is not an address)."""
    address = st.context.ip_address
    return address if isinstance(address, str) and address else auth.LOCAL_CLIENT


_this_run = threading.local()  # the cursor and user app.py found for the run in progress


@contextmanager
def page_run(user: User | None):
    """app.py runs the page inside this: the page's `require` takes the user app.py
    found from the cookie in this very run instead of asking the store again."""
    _this_run.user = user
    try:
        yield
    finally:
        del _this_run.user


def require(right: Right) -> User:
    """Stop the page unless the signed-in user has the right (checked server side).

    Also at the top of every fragment (a tick, a dialog's button): such a rerun skips
    app.py, and the sign-in may have ended or the rights changed since the page ran.
    """
    user = getattr(_this_run, "user", None) or current_user()
    if user is None:
        if get_script_run_ctx().fragment_ids_this_run:
            st.rerun()  # the whole app: the sign-in form, saying why the session ended
        st.warning("Please sign in.")
        st.stop()
    if not user.can(right):
        st.error(f"You may not {right.description}.")
        st.stop()
    return user


_REFUSED = "refused_page"


def refusal(title: str, right: Right) -> str:
    """What a user is told who asked for a page whose right they lack."""
    return (f"The page {title} needs the right '{right.description}', "
            "which your account does not have. Ask the salon's owner.")


def refuse_page(title: str, right: Right, landing: st.Page) -> None:
    """A page asked for by its address without its right: go to LANDING and say why there."""
    st.session_state[_REFUSED] = refusal(title, right)
    st.switch_page(landing)


def show_refusal() -> None:
    """The refusal of the page asked for just before, once, on the page landed on."""
    message = st.session_state.pop(_REFUSED, None)
    if message:
        st.warning(message, icon=":material/lock:")


def _redirect(url: str) -> None:
    """Send the browser to URL (a route of this app), the way st.login does: a
    ForwardMsg the frontend answers with `window.location.href = url`."""
    message = ForwardMsg()
    message.auth_redirect.url = url
    get_script_run_ctx().enqueue(message)


def _asked_for() -> str:
    """The page and view this run was asked for, as a path: where sign-in returns."""
    query = urlencode([(key, value) for key in st.query_params
                       for value in st.query_params.get_all(key)])
    path = "/" + st.session_state.get(_PAGE_PATH, "")
    return f"{path}?{query}" if query else path


def note_page(url_path: str) -> None:
    """Remember the page of this run (app.py, from st.navigation) for `_asked_for`."""
    st.session_state[_PAGE_PATH] = url_path


def _signed_in(user: User) -> None:
    """Open the page asked for at once, signed in on this connection, and have the
    browser swap the new session's single-use ticket for its HttpOnly cookie in the
    background (`hand_over_cookie`): no page load between the click and the page.
    A client whose connection has no key to bind to is sent to the /auth/session
    route instead, which sets the cookie and then opens the page."""
    session_id, ticket = sessions.open_session(cursor(), user, _client_address())
    if not st.context.headers:  # in-process (AppTest): no browser, no cookie
        st.session_state[_IN_PROCESS_TOKEN] = sessions.redeem(cursor(), ticket)
        st.rerun()
    connection = _connection_key()
    if connection is None:
        _redirect(f"/auth/session?{urlencode({'ticket': ticket, 'next': _asked_for()})}")
        st.info("Signed in. Opening the page…")
        st.stop()
    st.session_state[_SIGNED_IN_HERE] = {"session": session_id, "connection": connection}
    st.session_state[_COOKIE_TICKET] = ticket
    st.rerun()


def hand_over_cookie() -> None:
    """Once, right after sign-in: the browser fetches /auth/session with the ticket,
    whose answer sets the session cookie (followed by no page load)."""
    ticket = st.session_state.pop(_COOKIE_TICKET, None)
    if ticket:
        url = f"auth/session?{urlencode({'ticket': ticket})}"
        st.html(f"""<script>
            fetch(new URL("{url}", document.baseURI), {{credentials: "same-origin",
                  redirect: "manual", cache: "no-store"}});
        </script>""", unsafe_allow_javascript=True)


def sign_out(*, everywhere: User | None = None) -> None:
    """End this browser's session (or, with EVERYWHERE, every session of that user),
    then have the route clear the cookie."""
    token = session_token()
    here = st.session_state.pop(_SIGNED_IN_HERE, None)
    if everywhere is not None:
        user_admin.sign_out_everywhere(cursor(), everywhere, everywhere.login)
    else:
        sessions.end(cursor(), token)
        if here is not None:
            sessions.end_session(cursor(), here["session"])
    st.session_state.pop(_IN_PROCESS_TOKEN, None)
    if not st.context.headers:
        st.rerun()
    _redirect("/auth/sign-out")
    st.stop()


def sign_in_page() -> None:
    st.title("Bookings Overview")
    st.caption("Every booking of the salon: filter, review, delete, upload, download.")
    ended = st.session_state.pop(_ENDED, None)
    if ended:
        st.info(ended, icon=":material/logout:")
    with st.form("sign_in"):
        login = st.text_input("Login")
        password = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            user = auth.sign_in(cursor(), login.strip(), password, client=_client_address())
        except Refused as exc:
            st.error(str(exc))
        else:
            _signed_in(user)  # reruns into the page asked for
    warm_up_list_page()


NARROW_PX = 1000  # below this the open sidebar squeezes the page (Streamlit: only < 768)
_SIDEBAR_FITTED = "_sidebar_fitted"


def fit_sidebar_to_width() -> None:
    """Once per session: on a screen narrower than NARROW_PX, start with the sidebar
    collapsed, as Streamlit does by itself only below 768 px. A tiny script presses
    the sidebar's own collapse button; later the user's choice stands."""
    if st.session_state.get(_SIDEBAR_FITTED):
        return
    st.session_state[_SIDEBAR_FITTED] = True
    st.html(f"""<script>
        if (window.innerWidth < {NARROW_PX}) {{
            const tries = setInterval(() => {{
                const button = document.querySelector(
                    '[data-testid="stSidebarCollapseButton"] button');
                if (button) {{ button.click(); clearInterval(tries); }}
            }}, 50);
            setTimeout(() => clearInterval(tries), 5000);
        }}
    </script>""", unsafe_allow_javascript=True)


def sidebar_account(user: User) -> None:
    with st.sidebar:
        st.markdown(f"Signed in as **{user.name}**  \nlogin `{user.login}` · {user.role.value}")
        if st.button("Sign out", icon=":material/logout:"):
            sign_out()
        if st.button("Sign out everywhere", icon=":material/devices:", type="tertiary",
                     help="End your sign-in in every browser and device, this one too: "
                          "each is signed out at its next click."):
            sign_out(everywhere=user)


def show_scope(con: Connection, user: User) -> None:
    """Say what part of the bookings USER sees (viewing period, own bookings); stop the
    page when that part is nothing (an empty list would read as "no bookings match")."""
    since = listing.earliest_visible_visit(user)
    if since is not None:
        st.caption(f"You see bookings with visits from {since:%d.%m.%Y} on (your viewing period).")
    notice, own = listing.scope_notice(user), listing.scope_in_words(con, user)
    if notice:
        st.warning(notice, icon=":material/person_off:")
        st.stop()
    if own:
        st.caption(f"You see only {own} (your scope: own bookings).")


# The Bookings list's view: its own parameters beside the filter's, and where a session
# keeps the last one (the sidebar link and other pages come back to it).
LIST_VIEW = "last_list_view"
LIST_VIEW_KEYS = ("sort", "asc", "size", "page")


def list_address(bfilter) -> dict[str, str | list[str]]:
    """The list's URL parameters for BFILTER, newest visit first: never a bare address
    (that opens today's visits), so that any filter, the empty one too, is kept."""
    return {**bfilter.to_params(), "sort": listing.DEFAULT_SORT, "asc": "0"}
