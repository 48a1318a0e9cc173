"""Bookings Overview: the entry point. Sign-in, then st.navigation over the
pages the signed-in user's rights allow. Each page checks its right again."""

import streamlit as st

from bookings.model import Right
from pages import common

st.set_page_config(page_title="Bookings Overview", page_icon=":scissors:", layout="wide")

# Pages and the right each needs; navigation shows only those the user has.
PAGES = [
    (Right.VIEW_BOOKINGS, st.Page("pages/bookings_list.py", title="Bookings",
                                  icon=":material/list_alt:", url_path="bookings", default=True)),
    (Right.MANAGE_SETTINGS, st.Page("pages/settings.py", title="Settings",
                                    icon=":material/settings:", url_path="settings")),
]


def no_pages() -> None:
    st.title("Bookings Overview")
    st.info("Your account has no pages yet. Ask the salon's owner for the rights you need.")


common.open_cursor()
user = common.current_user()
if user is None:
    navigation = st.navigation([st.Page(common.sign_in_page, title="Sign in",
                                        icon=":material/login:")], position="hidden")
else:
    allowed = [page for right, page in PAGES if user.can(right)]
    navigation = st.navigation(allowed or [st.Page(no_pages, title="Welcome")])
    common.sidebar_account(user)
navigation.run()
