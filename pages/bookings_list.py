"""Overview > Bookings. The full list with its filters lands with issue 3;
for now the totals the signed-in user may see."""

import streamlit as st

from bookings import listing
from bookings.model import Right
from pages import common

user = common.require(Right.VIEW_BOOKINGS)
counts = listing.totals(common.cursor(), user)

st.title("Bookings")
since = counts["since"]
st.caption(
    "All bookings of the salon" if since is None
    else f"Bookings with visits from {since:%d.%m.%Y} (your viewing period)"
)
left, right = st.columns(2)
left.metric("Bookings", f"{counts['total']:,}")
right.metric("Deleted", f"{counts['deleted']:,}")
