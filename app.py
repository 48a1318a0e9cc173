"""Bookings Overview: the entry point. Sign-in, then st.navigation over the
pages the signed-in user's rights allow. Each page checks its right again."""

import streamlit as st

from bookings.model import Right
from ui import common

st.set_page_config(page_title="Bookings Overview", page_icon=":scissors:", layout="wide")

# (right needed, script, title, icon, URL path); the first is the default page.
PAGES = [
    (Right.VIEW_BOOKINGS, "pages/bookings_list.py", "Bookings", ":material/list_alt:",
     "bookings"),
    (Right.VIEW_BOOKINGS, "pages/analysis.py", "Analysis", ":material/pivot_table_chart:",
     "analysis"),
    (Right.VIEW_BOOKINGS, "pages/calendar.py", "Calendar", ":material/calendar_month:",
     "calendar"),
    (Right.UPLOAD, "pages/upload.py", "Upload from Excel", ":material/upload_file:", "upload"),
    # Everyone with the list sees their own entries; files need the export right.
    (Right.VIEW_BOOKINGS, "pages/data_log.py", "Data log", ":material/history:", "data-log"),
    (Right.MANAGE_SETTINGS, "pages/settings.py", "Settings", ":material/settings:", "settings"),
]


def no_pages() -> None:
    st.title("Bookings Overview")
    st.info("Your account has no pages yet. Ask the salon's owner for the rights you need.")


def refused(title: str, right: Right, landing: st.Page):
    """The page run at the address of a page this user may not open: back to LANDING
    (the user's first page), which then says which right the page needs."""

    def refused_page() -> None:
        common.refuse_page(title, right, landing)

    return refused_page


def pages_for(user) -> list:
    """The pages this user may open; signed out, the sign-in form at every address,
    so a bookmarked link keeps its page and parameters through sign-in. Signed in,
    every other page stays known by its address (hidden), and asking for it says
    which right it needs instead of silently opening the first page."""
    pages = []
    for index, (right, script, title, icon, url_path) in enumerate(PAGES):
        if user is None:
            # Hidden from the menu, yet known by address (a hidden navigation
            # would make Streamlit report "page not found" for a deep link).
            pages.append(st.Page(common.sign_in_page, title=title, url_path=url_path,
                                 default=index == 0, visibility="hidden"))
        elif user.can(right):
            pages.append(st.Page(script, title=title, icon=icon, url_path=url_path,
                                 default=not pages))
    if user is None:
        return pages
    pages = pages or [st.Page(no_pages, title="Welcome")]
    landing = pages[0]
    for right, _script, title, _icon, url_path in PAGES:
        if not user.can(right):
            pages.append(st.Page(refused(title, right, landing), title=title,
                                 url_path=url_path, visibility="hidden"))
    return pages


with common.cursor_for_this_run():
    user = common.current_user()
    navigation = st.navigation(pages_for(user))
    common.note_page(navigation.url_path)
    if user is not None:
        common.hand_over_cookie()
        common.fit_sidebar_to_width()
        common.sidebar_account(user)
        common.show_refusal()
    with common.page_run(user):
        navigation.run()
