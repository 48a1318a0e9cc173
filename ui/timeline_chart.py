"""The bookings over time, as a bar chart a page puts where it likes: bookings or money
(to pay, paid, unpaid) per day, week or month of visit, split by any dimension of the
cross-tab, stacked or as shares of each period (100 %).

The numbers are `pivot.timeline`'s, so the cross-tab's rules hold: a booking with
several values of the split (booking categories) counts under each; money leaves out
canceled bookings; paid and unpaid are not split by service category (said in words).
The controls keep their choice in the session under the caller's KEY; `chart` makes
the bars (Altair, no Streamlit).
"""

from __future__ import annotations

from datetime import date, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from bookings import pivot
from bookings.errors import Refused
from bookings.filters import BookingFilter
from bookings.model import User
from bookings.store import Connection

DIMENSION_LABELS = pivot.DIMENSION_LABELS  # the split's and the legend's title
SPLITS = tuple(name for name, dim in pivot.DIMENSIONS.items() if not dim.time)
GRAIN_TITLES = {"day": "Visit day", "week": "Visit week (from Monday)",
                "month": "Visit month"}
MEASURE_LABELS = {m: pivot.MEASURE_LABELS[m].lower() for m in pivot.TIMELINE_MEASURES}
# The value axis: what is counted or summed, in words.
MEASURE_TITLES = {"bookings": "Bookings", "to_pay": "Money to pay", "paid": "Money paid",
                  "unpaid": "Money unpaid (to pay less paid)"}
STACKED, SHARES = "Stacked", "Shares (100%)"
GAP = 0.15  # of a period, left free between its bar and the next
# More parts than this (a day by employee over years: 100,000 at a million bookings)
# would take the browser seconds to draw, and nobody could read them.
MAX_PARTS = 10_000
HEIGHT_PX = 320


def timeline_chart(con: Connection, user: User, bfilter: BookingFilter, key: str) -> None:
    """Draw the controls and the chart of the bookings USER sees with BFILTER.

    KEY sets the controls apart from any other timeline_chart in the app."""
    with st.container(horizontal=True, vertical_alignment="bottom"):
        grain = st.segmented_control("Per", pivot.GRAINS, default="month", required=True,
                                     key=f"{key}-grain") or "month"
        measure = st.segmented_control("Show", list(MEASURE_LABELS), default="bookings",
                                       required=True, format_func=MEASURE_LABELS.get,
                                       key=f"{key}-measure") or "bookings"
        stack = st.segmented_control("Bars", [STACKED, SHARES], default=STACKED,
                                     required=True, key=f"{key}-stack",
                                     help="Stacked: the sum of each period. Shares: each "
                                          "period's bar drawn to 100 %.") or STACKED
        split = st.selectbox("Split by", SPLITS, index=SPLITS.index("source"),
                             format_func=DIMENSION_LABELS.get, key=f"{key}-split",
                             width=210)
    try:
        points = pivot.timeline(con, user, bfilter, grain=grain, split=split, measure=measure)
    except Refused as refused:
        st.info(str(refused), icon=":material/info:")
        return
    if not points:
        st.caption("No bookings to chart." if measure == "bookings" else
                   f"Nothing {MEASURE_LABELS[measure]} in these bookings to chart.")
        return
    if len(points) > MAX_PARTS:
        st.info(f"That is {len(points):,} parts of bars, too many to draw readably: show "
                "them per week or month, split by a dimension with fewer values, or narrow "
                "the filter.", icon=":material/info:")
        return
    shares = stack == SHARES
    st.altair_chart(chart(points, grain, split, measure, shares), width="stretch")
    notes = []
    if measure != "bookings":
        notes.append("Money leaves out canceled bookings.")
    if split == "service_category":
        notes.append("A booking with services of several categories counts under each"
                     + ("; its money is split by its services." if measure != "bookings"
                        else "."))
    elif split == "booking_category":
        notes.append("A booking with several booking categories counts under each.")
    if notes:
        st.caption(" ".join(notes))


def _next(grain: str, start: date) -> date:
    """The first day of the period after the one starting on START."""
    if grain == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=7 if grain == "week" else 1)


def chart(points: list[dict], grain: str, split: str, measure: str,
          shares: bool) -> alt.Chart:
    """The bars of `pivot.timeline`'s POINTS: each period's bar spans its days on a time
    axis (a month's bar is a month wide, whatever the number of periods), its parts
    stacked in the split's order; with SHARES each bar is drawn to 100 %.

    The stack is laid out here (each part's low and high), not by Vega-Lite: a bar
    that spans a stretch of time (x to x2) is not stacked by it."""
    order = list(dict.fromkeys(p["series"] for p in points))
    frame = pd.DataFrame(points)
    frame["order"] = frame["series"].map(order.index)
    frame = frame.sort_values(["period", "order"], kind="stable")
    start = pd.to_datetime(frame["period"])
    frame["start"] = start
    frame["end"] = start + (pd.to_datetime(frame["period"].map(
        lambda day: _next(grain, day))) - start) * (1 - GAP)
    height = frame["value"]
    if shares:  # exact parts of 1, where the points' shares are rounded
        height = height / height.groupby(frame["period"]).transform("sum")
    frame["high"] = height.groupby(frame["period"]).cumsum()
    frame["low"] = frame["high"] - height
    what = MEASURE_TITLES[measure]
    money = measure != "bookings"
    split_title = DIMENSION_LABELS[split]
    return alt.Chart(frame.drop(columns=["period"]), height=HEIGHT_PX).mark_rect().encode(
        x=alt.X("start:T", title=GRAIN_TITLES[grain], axis=alt.Axis(labelOverlap=True)),
        x2="end:T",
        y=alt.Y("high:Q", title=f"Share of {what[0].lower()}{what[1:]}" if shares else what,
                scale=alt.Scale(domain=[0, 1]) if shares else alt.Undefined,
                axis=alt.Axis(format=".0%" if shares else ",.0f" if money else ",d")),
        y2="low:Q",
        color=alt.Color("series:N", title=split_title, sort=order,
                        legend=alt.Legend(orient="bottom", columns=4, labelLimit=170)),
        tooltip=[alt.Tooltip("label:N", title=GRAIN_TITLES[grain]),
                 alt.Tooltip("series:N", title=split_title),
                 alt.Tooltip("value:Q", title=what, format=",.2f" if money else ",d"),
                 alt.Tooltip("share:Q", title=f"Share of the {grain}", format=".1%")],
    )
