"""While the password is typed, the sign-in page draws the list page's kinds of
element out of sight, so that the browser has loaded and run their code before
the list arrives.

Streamlit loads an element's code (the data grid, the pickers, the metrics) only
when the first such element arrives, and the browser compiles each function the
first time it runs. Sign-in opens the list in the same page (no page load), so
whatever ran here is still compiled there: in a fresh browser this took the first
list after sign-in from about 1.09 s to 0.71 s (bench/bench_browser.py). Module
preloads of the same files saved little: their functions were still compiled on
first use. The elements are dummies in a container kept off screen and invisible,
which also takes them out of the tab order and the accessibility tree; an idle
browser asks for them (a fragment's run), so the form is drawn first.
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import streamlit as st

KEY = "warm_up"  # the container's key: Streamlit gives it the class st-key-warm_up
# Off screen and invisible, yet laid out at a page's width: the grid draws its canvas
# and the columns their layout as on the list page. Invisible to the last descendant
# (a help button sets its own visibility), so nothing in it takes the focus.
_HIDDEN = (f"<style>.st-key-{KEY} {{position: fixed; left: -10000px; top: 0; width: 1200px;"
           f" pointer-events: none;}} .st-key-{KEY}, .st-key-{KEY} * "
           "{visibility: hidden !important;}</style>")


# Once the sign-in form is drawn and the browser idle, the page presses the hidden
# button: the fragment's run then sends the elements. Sent with the form, they would
# hold up the form's own first drawing in a fresh browser by about 0.6 s.
_PRESS_WHEN_IDLE = f"""<script>
    const tries = setInterval(() => {{
        const app = document.querySelector('[data-testid="stApp"]');
        const button = document.querySelector('.st-key-{KEY}_go button');
        if (button && app?.getAttribute("data-test-script-state") === "notRunning") {{
            clearInterval(tries);
            // Safari has no requestIdleCallback: a moment after the form instead.
            const whenIdle = window.requestIdleCallback ?? ((then) => setTimeout(then, 300));
            whenIdle(() => button.click(), {{timeout: 1000}});
        }}
    }}, 50);
    setTimeout(() => clearInterval(tries), 10000);
</script>"""


def warm_up_list_page() -> None:
    """Hidden, a button that the page presses once idle, to draw the elements."""
    st.html(_HIDDEN)
    with st.container(key=KEY):
        _elements_when_pressed()
    st.html(_PRESS_WHEN_IDLE, unsafe_allow_javascript=True)


@st.fragment
def _elements_when_pressed() -> None:
    if st.button("Warm up", key=f"{KEY}_go"):
        _elements()


def _elements() -> None:
    """The list page's kinds of element; their values mean nothing."""
    with st.form(f"{KEY}_form"):
        left, right = st.columns(2)
        left.date_input("Dates", (date(2026, 1, 1), date(2026, 1, 2)), key=f"{KEY}_dates")
        right.multiselect("Pick", ["a", "b"], default=["a"], key=f"{KEY}_pick")
        with st.expander("More"):
            st.caption("-")
        st.form_submit_button("Show", icon=":material/search:")
    with st.container(horizontal=True):
        st.markdown("**Showing:** `a`")
        st.button("Reset", icon=":material/filter_alt_off:", key=f"{KEY}_button")
    st.columns(4)[0].metric("Bookings", "1", help="-")
    st.selectbox("Sort", ["a"], key=f"{KEY}_sort")
    st.segmented_control("Order", ["a", "b"], default="a", key=f"{KEY}_order")
    st.dataframe(
        _table().style.set_uuid("w").apply(lambda row: ["color: red"] * len(row), axis=1),
        hide_index=True, key=f"{KEY}_table", on_select="rerun", selection_mode="multi-row",
        column_config={"ID": st.column_config.NumberColumn(format="%d", pinned=True),
                       "Visit": st.column_config.DatetimeColumn(pinned=True),
                       "Categories": st.column_config.ListColumn(),
                       "Paid": st.column_config.NumberColumn(format="%.2f"),
                       "Paid in full": st.column_config.CheckboxColumn()})
    st.pagination(2, key=f"{KEY}_pages")


def _table() -> pd.DataFrame:
    """Two rows of the list's column kinds."""
    return pd.DataFrame({"ID": [1, 2], "Visit": [datetime(2026, 1, 1, 9)] * 2,
                         "Categories": [["a"], []], "Paid": [1.0, 2.0],
                         "Paid in full": [True, False], "Deleted": ["", "x"]})
