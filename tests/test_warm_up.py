"""The sign-in page draws the list page's kinds of element out of sight (ui/warm_up.py):
on the sign-in form only, never on a signed-in page, and leaving no state behind."""

import pytest
from streamlit.testing.v1 import AppTest

from bookings.model import Role
from tests.helpers import ROOT, sign_in
from ui import warm_up

WARM_UP_CLASS = f".st-key-{warm_up.KEY}"


def hiding_styles(at: AppTest) -> list[str]:
    return [e.proto.body for e in at.get("html")
            if e.proto.body.startswith("<style>") and WARM_UP_CLASS in e.proto.body]


def warm_up_keys(at: AppTest) -> set[str]:
    return {key for key in at.session_state if key.startswith(warm_up.KEY)}


@pytest.fixture
def owner(con, make_user, store_path, monkeypatch):
    monkeypatch.setenv("BOOKINGS_DB", str(store_path))
    return make_user(Role.OWNER)


def press(at: AppTest) -> AppTest:
    """What the page's script does once the browser is idle."""
    return at.button(key=f"{warm_up.KEY}_go").click().run()


def test_the_sign_in_page_draws_the_list_elements_hidden_once_pressed(owner):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    assert not at.exception
    [style] = hiding_styles(at)
    assert "visibility: hidden !important" in style and "left: -10000px" in style
    assert any("requestIdleCallback" in e.proto.body for e in at.get("html"))
    # Not with the form: they would hold up its first drawing.
    assert len(at.dataframe) == 0 and len(at.metric) == 0

    press(at)
    assert not at.exception
    # The list's kinds of element, in the hidden container.
    assert len(at.dataframe) == len(at.date_input) == len(at.multiselect) == 1
    assert len(at.selectbox) == len(at.metric) == 1
    assert warm_up_keys(at) >= {f"{warm_up.KEY}_table", f"{warm_up.KEY}_sort"}


def test_a_wrong_password_keeps_it_and_a_sign_in_leaves_none_of_it(owner):
    at = press(AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run())
    user, password = owner
    sign_in(at, user.login, "not-the-password")
    assert at.error[0].value == "Wrong login or password."
    assert hiding_styles(at) and at.button(key=f"{warm_up.KEY}_go")

    sign_in(at, user.login, password)
    assert not at.exception and at.sidebar.markdown[0].value.startswith("Signed in as")
    assert hiding_styles(at) == [] and warm_up_keys(at) == set()
    assert at.title[0].value == "Bookings"
