"""Overview > Bookings: every booking, filtered, counted and paged.

The view lives in the URL (filter, sort, page size, page): a filtered list can
be bookmarked and shared. A bare address opens what the front desk needs first,
today's and the coming visits, nearest first; within a session, coming back
(the sidebar, the calendar) restores the last view. Ticking rows reruns only the
table and its action bar (a fragment). All queries run in `bookings.listing`;
this page only turns widgets into a filter and results into widgets.
"""

from datetime import date

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from bookings import deletion, listing
from bookings.errors import Refused
from bookings.filters import BookingFilter
from bookings.model import Right, Source
from ui import common, export_actions, row_actions
from ui.filter_form import filter_form
from ui.timeline_chart import timeline_chart

user = common.require(Right.VIEW_BOOKINGS)
con = common.cursor()

VIEW_KEYS = common.LIST_VIEW_KEYS
LAST_VIEW = common.LIST_VIEW
PINK = "background-color: #fbd3e0"


def url_filter() -> BookingFilter:
    params = {key: st.query_params.get_all(key) for key in st.query_params
              if key not in VIEW_KEYS}
    bfilter, notices = BookingFilter.from_params(params)
    for notice in notices:
        st.caption(f"The link had a value that does not fit: {notice}.")
    return bfilter


def show(bfilter: BookingFilter, **view) -> None:
    """Put a filter and the view in the URL and rerun: the URL is the state.

    Sort and page size carry over unless given; the page goes back to 1. Sort and
    order are always written, so that no view but the opening one has a bare address.
    """
    settings = {"sort": sort, "asc": int(ascending), "size": size, "page": 1, **view}
    defaults = {"size": 100, "page": 1}
    params = bfilter.to_params()
    params.update({k: str(v) for k, v in settings.items() if v != defaults.get(k)})
    st.query_params.from_dict(params)
    st.session_state["filter_revision"] = st.session_state.get("filter_revision", 0) + 1
    st.rerun()


def opening_view() -> dict[str, str]:
    """Today's and the coming visits, nearest first: what a bare address opens."""
    return {"visit_from": date.today().isoformat(), "sort": listing.DEFAULT_SORT, "asc": "1"}


def restore_view() -> None:
    """A bare address: the last view of this session (the sidebar's Bookings link, the
    calendar's way back), or the opening view; then remember the view shown."""
    if not st.query_params:
        st.query_params.from_dict(st.session_state.get(LAST_VIEW) or opening_view())
    st.session_state[LAST_VIEW] = {key: st.query_params.get_all(key)
                                   for key in st.query_params}


restore_view()
bfilter = url_filter()
sort = common.url_param("sort", lambda v: v if v in listing.SORT_COLUMNS else listing.DEFAULT_SORT,
                        listing.DEFAULT_SORT)
ascending = common.url_param("asc", lambda v: v == "1", False)
size = common.url_param("size", lambda v: int(v) if int(v) in listing.PAGE_SIZES else 100, 100)
page_no = common.url_param("page", lambda v: max(1, int(v)), 1)

st.title("Bookings")
choices = listing.filter_choices(con)
common.show_scope(con, user)

new_filter = filter_form(bfilter, choices, st.session_state.get("filter_revision", 0))
if new_filter is not None:
    show(new_filter)

names = listing.names(con)
with st.container(horizontal=True, vertical_alignment="center"):
    st.markdown(f"**Showing:** {bfilter.words(names)}", width="stretch")
    st.page_link("pages/analysis.py", label="Analyse", icon=":material/pivot_table_chart:",
                 query_params=bfilter.to_params() or {"rows": "source_detail"},
                 help="This filter's bookings as a cross-tab, with money and comparisons")
    reset = st.button("Reset filters", icon=":material/filter_alt_off:",
                      help="Back to today's and the coming visits, nearest first")
    whole = st.button("Whole history", icon=":material/history:",
                      help="Every booking, newest visit first")
if reset:
    st.query_params.from_dict(opening_view())
    st.session_state["filter_revision"] = st.session_state.get("filter_revision", 0) + 1
    st.rerun()
if whole:
    show(BookingFilter(), sort=listing.DEFAULT_SORT, asc=0)
try:
    summary = listing.summary(con, user, bfilter)  # its total is the list's count
    total = summary["total"]
except Refused as refused:
    st.error(str(refused))
    st.stop()


# --- the numbers ----------------------------------------------------------------

money_columns = st.columns(4)
money_columns[0].metric("Bookings", f"{summary['total']:,}")
money_columns[1].metric("Total to pay", f"{summary['to_pay']:,}",
                        help="Bookings not canceled: a deleted booking earns nothing.")
money_columns[2].metric("Total paid", f"{summary['paid']:,}")
share = summary["paid_full_share"]
money_columns[3].metric("Paid in full", "–" if share is None else f"{share:.0%}",
                        help="Share of bookings with something to pay that are paid in full.")

# A facet value narrows the filter when clicked.
FACET_FILTERS = {
    "source": lambda e: {"source_detail": (Source(e["value"]),)},
    "payment": lambda e: {"payment": {"paid in full": "paid",
                                      "not paid in full": "unpaid"}.get(e["value"])},
    "status": lambda e: {"status": (e["code"],)},
    "staff": lambda e: {"staff": (e["id"],)},
}
FACET_TITLES = {"source": "Source", "payment": "Payment", "status": "Visit status",
                "staff": "Employee"}
FACETS_OPEN = "facets_open"  # this session's choice, kept when the page is left


def facet_tables(summary: dict) -> None:
    """The four facets, two a row: a row selected narrows the filter to it."""
    # Two facets a row, at any width: four side by side leave each too narrow for its
    # numbers at 800 px, and the page cannot know the width to choose.
    entries_of = summary["facets"]
    shown_total = max(summary["total"], 1)
    for pair in (("source", "payment"), ("status", "staff")):
        for column, facet in zip(st.columns(2, gap="small"), pair, strict=True):
            entries = entries_of[facet]
            counts = pd.DataFrame({FACET_TITLES[facet]: [str(e["value"]) for e in entries],
                                   "Bookings": [e["count"] for e in entries],
                                   "Share": [100 * e["count"] / shown_total for e in entries]})
            picked = column.dataframe(
                counts, hide_index=True, width="stretch",
                height=min(38 + 35 * len(entries), 250), on_select="rerun",
                selection_mode="single-row", key=f"facet-{facet}-{bfilter}",
                column_config={
                    "Bookings": st.column_config.NumberColumn(format="localized"),
                    # 120 px: the bar and "66.7%" beside it, and the grid no wider
                    # than its half of the page at 800 px
                    "Share": st.column_config.ProgressColumn(
                        format="%.1f%%", min_value=0, max_value=100, width=120,
                        help="Of the bookings shown"),
                },
            )
            for position in picked.selection.rows:
                narrowing = FACET_FILTERS[facet](entries[position])
                if None in narrowing.values():
                    column.caption("Bookings with nothing to pay have no filter of their own.")
                else:
                    show(bfilter.narrowed(**narrowing))


# Closed unless this session opened it, and drawn only while open: four grids cost the
# first list about a third of a second in the browser, and the front desk looks at the
# list first (bench/bench_browser.py). The counts come with the totals' query anyway.
facets = st.expander("Counts by source, payment, visit status and employee (select a row "
                     "to narrow)", key="facets", on_change="rerun",
                     expanded=st.session_state.get(FACETS_OPEN, False))
st.session_state[FACETS_OPEN] = facets.open
with facets:
    if facets.open:
        facet_tables(summary)

# Drawn only while open: a chart nobody looks at would cost every list its query and
# the browser its charting library.
over_time = st.expander("Over time: bookings and money", key="over_time", on_change="rerun")
with over_time:
    if over_time.open:
        timeline_chart(con, user, bfilter, key="list-over-time")


# --- the table --------------------------------------------------------------------

SORT_LABELS = {"visit_at": "Visit date", "id": "ID", "created_at": "Created at",
               "staff_name": "Employee", "client_name": "Client", "status": "Visit status",
               "source": "Source", "total_to_pay": "Total to pay", "paid": "Paid",
               "length_s": "Duration", "deleted_at": "Deleted at"}
pages_total = max(1, -(-total // size))
page_no = min(page_no, pages_total)

sort_col, order_col, size_col, info_col = st.columns([2, 2.4, 1.4, 2.2],
                                                   vertical_alignment="bottom")
new_sort = sort_col.selectbox("Sort by", list(SORT_LABELS), index=list(SORT_LABELS).index(sort),
                              format_func=SORT_LABELS.get)
new_ascending = order_col.segmented_control(
    "Order", ["Descending", "Ascending"], default="Ascending" if ascending else "Descending",
    help="Descending: newest or largest first.",
) == "Ascending"
new_size = size_col.selectbox("Rows per page", listing.PAGE_SIZES,
                              index=listing.PAGE_SIZES.index(size))
if (new_sort, new_ascending, new_size) != (sort, ascending, size):
    show(bfilter, sort=new_sort, asc=int(new_ascending), size=new_size, page=1)
first = (page_no - 1) * size
info_col.markdown(
    f"**{total:,} bookings**" + (f" · rows {first + 1:,}–{min(first + size, total):,}"
                                   if total else ""))

rows = listing.page(con, user, bfilter, sort=sort, descending=not ascending, limit=size,
                    offset=first)


def as_table(rows: list[dict]) -> pd.DataFrame:
    table = pd.DataFrame([{
        "ID": r["id"],
        "Visit": r["visit_at"],
        "Minutes": r["length_s"] // 60,
        "Employee": r["staff_name"],
        "Services": ", ".join(s["title"] for s in r["services"]),
        "Client": r["client_name"],
        "Phone": r["client_phone"],
        "Status": r["status"],
        "Source": ("online · " if r["online"] else "offline · ") + r["source"],
        "Created at": r["created_at"],
        "Created by": r["created_by"] or ("client" if r["online"] else ""),
        "Categories": [c["title"] for c in r["categories"]],
        "To pay": r["total_to_pay"],
        "Paid": r["paid"],
        "Paid in full": r["paid_full"],
        "Comment": r["comment"],
        "Deleted": (f"by {r['deleted_by'] or '?'} on {r['deleted_at']:%d.%m.%Y %H:%M}"
                    if r["deleted"] else ""),
    } for r in rows])
    return table


def pink_deleted(table: pd.DataFrame) -> pd.DataFrame | Styler:
    """The table with its deleted rows pink; without a Styler when none is deleted.

    A Styler costs each run (a tick's too) pandas' formatting of every cell, and
    the browser a look-up of each cell in its style sheet. Rows with nothing to
    style are hidden from pandas (Streamlit shows every row regardless; their text
    is the same unformatted), and a one-letter id keeps the style sheet short:
    together about 30 ms a tick (bench/bench_browser.py).
    """
    deleted = table["Deleted"] != ""
    if not deleted.any():
        return table
    return (table.style.set_uuid("d")
            .apply(lambda row: [PINK] * len(row), axis=1, subset=pd.IndexSlice[deleted, :])
            .hide(axis="index", subset=pd.IndexSlice[~deleted]))


@st.fragment
def table_and_actions(rows: list[dict], view_key: str, deletable: int | None,
                      words: str) -> None:
    """The table with its action bar above it: a tick reruns only this."""
    user = common.require(Right.VIEW_BOOKINGS)  # a tick's rerun skips the page's check
    bar = st.container()
    table = as_table(rows)
    selection = st.dataframe(
        pink_deleted(table), hide_index=True, width="stretch", height=min(38 + 35 * len(rows), 720),
        key=view_key, on_select="rerun", selection_mode="multi-row",
        column_config={
            "ID": st.column_config.NumberColumn(format="%d", pinned=True),
            "Visit": st.column_config.DatetimeColumn(format="DD.MM.YYYY HH:mm", pinned=True),
            "Created at": st.column_config.DatetimeColumn(format="DD.MM.YYYY HH:mm"),
            "Categories": st.column_config.ListColumn(),
            "To pay": st.column_config.NumberColumn(format="%.2f"),
            "Paid": st.column_config.NumberColumn(format="%.2f"),
            "Paid in full": st.column_config.CheckboxColumn(),
            "Deleted": st.column_config.TextColumn(help="Deleted bookings stay, in pink"),
        },
    )
    with bar:
        row_actions.action_bar(user, rows, selection.selection.rows, bfilter, words, deletable)


row_actions.show_outcome()
if rows:
    st.caption("Pink rows are canceled (deleted) bookings; they stay in the list.")
    # Keyed by the data revision and the view: after a change, or on another page,
    # the selection starts empty instead of pointing at whatever moved into place.
    view_key = f"rows-{row_actions.data_revision()}-{bfilter}-{sort}-{ascending}-{size}-{page_no}"
    deletable = deletion.matching_deletable(con, user, bfilter)
    table_and_actions(rows, view_key, deletable, bfilter.words(names))
    export_actions.export_button(user, bfilter, bfilter.words(names), total)
    if pages_total > 1:
        chosen = st.pagination(pages_total, default=page_no, key=f"page-{page_no}-{total}")
        if chosen != page_no:
            show(bfilter, page=chosen)
else:
    st.info("No bookings match this filter.")
