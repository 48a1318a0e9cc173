"""What the Settings tabs share: forms a double click cannot submit twice, the
outcome of the last change shown once, and refusals as plain messages.

Every change goes through `bookings.users` / `bookings.settings`, which check
the settings right again and record the change; this module only decides how
a page asks and answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn

import streamlit as st

from bookings.errors import Refused

_ROUND = "_settings_round:"
_MESSAGES = "_settings_messages"


def key(name: str) -> str:
    """A form's (or button's) key in its current round."""
    return f"{name}-{st.session_state.get(_ROUND + name, 0)}"


def finish(name: str, message: str, *, secret: str | None = None) -> NoReturn:
    """After a change: start the form's next round, keep the message for one run, rerun.

    The next round has a new key, so a double click's second submit arrives for a
    form no longer on the page and changes nothing. Nothing in between touches
    Streamlit, so a rerun asked for meanwhile cannot cut the change from its round.
    """
    st.session_state[_ROUND + name] = st.session_state.get(_ROUND + name, 0) + 1
    st.session_state[_MESSAGES] = [*st.session_state.get(_MESSAGES, []), (message, secret)]
    st.rerun()


def show_messages() -> None:
    """The outcome of the last change; a secret (a new password) shows here, this once."""
    for message, secret in st.session_state.pop(_MESSAGES, []):
        st.success(message, icon=":material/check_circle:")
        if secret:
            st.code(secret, language=None)
            st.caption("Copy it now: it is not stored in clear and is not shown again.")


def attempt(action: Callable, *args, **kwargs):
    """The change's result, or None with the reason it was refused shown."""
    try:
        return action(*args, **kwargs)
    except Refused as refused:
        st.error(str(refused))
        return None


def choose(label: str, options: list, describe: Callable, state_key: str):
    """A selectbox of OPTIONS (ids) that survives options coming and going."""
    if st.session_state.get(state_key) not in options:
        st.session_state.pop(state_key, None)
    return st.selectbox(label, options, format_func=describe, key=state_key)
