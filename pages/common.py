"""What every page shares: the store connection, the signed-in user, the
rights check. Streamlit-side only; the rules live in `bookings/`."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from bookings import auth, config, upload
from bookings.auth import User
from bookings.model import Right
from bookings.store import Connection, StoreError, open_store
from bookings.upload_batch import plural

_CURSOR = "_cursor"
_LOGIN = "signed_in_login"


@st.cache_resource(show_spinner=False)
def _connection(path: str) -> Connection:
    """One connection per process: DuckDB lets one process hold the file.

    Opening it is the app's start: an upload commit cut off by a restart is
    marked failed here (its one transaction wrote nothing).
    """
    con = open_store(path)
    upload.recover_interrupted(con)
    return con


def made_on_click(make: Callable[[Connection], bytes]) -> Callable[[], bytes]:
    """A download's bytes made only when its button is clicked. Streamlit runs
    this on a thread of its own, when this run's cursor may be closed: it takes a
    cursor of its own from the app's connection."""
    shared = _connection(str(config.default_db_path()))

    def make_now() -> bytes:
        reader = shared.cursor()
        try:
            return make(reader)
        finally:
            reader.close()

    return make_now


counted = plural  # `1 booking`, `2,000 bookings`: the domain's wording, on the pages too


def open_cursor() -> Connection:
    """A fresh cursor for this script run (a DuckDB connection is not thread-safe)."""
    path = str(config.default_db_path())
    try:
        cursor = _connection(path).cursor()
    except StoreError as exc:  # busy, or a newer schema: say so, never a traceback
        st.error(f"The bookings store cannot be opened. {exc}")
        st.stop()
    previous = st.session_state.get(_CURSOR)
    if previous is not None:
        previous.close()
    st.session_state[_CURSOR] = cursor
    return cursor


def cursor() -> Connection:
    """This run's cursor (opened here when a page runs on its own, as in tests)."""
    return st.session_state.get(_CURSOR) or open_cursor()


def current_user() -> User | None:
    """The signed-in user, read afresh every run so rights changes apply at once."""
    login = st.session_state.get(_LOGIN)
    if login is None:
        return None
    user = auth.get_user(cursor(), login)
    if user is None or not user.active:
        sign_out()
        return None
    return user


def require(right: Right) -> User:
    """Stop the page unless the signed-in user has the right (checked server side)."""
    user = current_user()
    if user is None:
        st.warning("Please sign in.")
        st.stop()
    if not user.can(right):
        st.error(f"You may not {right.description}.")
        st.stop()
    return user


_REFUSED = "refused_page"


def refusal(title: str, right: Right) -> str:
    """What a user is told who asked for a page whose right they lack."""
    return (f"The page {title} needs the right '{right.description}' ({right.value}), "
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


def sign_out() -> None:
    st.session_state.pop(_LOGIN, None)


def sign_in_page() -> None:
    st.title("Bookings Overview")
    st.caption("Every booking of the salon: filter, review, delete, upload, download.")
    with st.form("sign_in"):
        login = st.text_input("Login")
        password = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            user = auth.sign_in(cursor(), login.strip(), password)
        except auth.SignInRefused as exc:
            st.error(str(exc))
            return
        st.session_state[_LOGIN] = user.login
        st.rerun()


def sidebar_account(user: User) -> None:
    with st.sidebar:
        st.markdown(f"Signed in as **{user.name}**  \nlogin `{user.login}` · {user.role.value}")
        if st.button("Sign out", icon=":material/logout:"):
            sign_out()
            st.rerun()
