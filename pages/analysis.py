"""Overview > Analysis: the filtered bookings as a cross-tab, this period against an
earlier one, and every number one click from the bookings it counts.

The filter is the list's: the same URL parameters, the same form, the same rights.
The cross-tab's own choices (rows, cols, measure, compare, heat) are URL parameters
too, so an analysis can be bookmarked and shared. Selecting a cell opens the
Bookings list filtered to it: an ordinary list address. The numbers come from
`bookings.pivot`; this page only turns them into widgets.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from bookings import listing, pivot
from bookings.errors import Refused
from bookings.filters import BookingFilter
from bookings.model import Right
from ui import common
from ui.crosstab_download import crosstab_download
from ui.filter_form import filter_form
from ui.timeline_chart import timeline_chart

user = common.require(Right.VIEW_BOOKINGS)
con = common.cursor()

LIST_PAGE = "pages/bookings_list.py"
LAST_VIEW = "last_analysis_view"
VIEW_DEFAULTS = {"rows": "source_detail", "cols": "payment", "measure": "bookings"}
HEAT = "rgba(28, 131, 225, {alpha:.2f})"  # blue: apart from the list's pink of deleted rows
WORSE_WHEN_UP = ("unpaid", "no_show_share")  # a rise is bad news: shown in red


def restore_view() -> None:
    """A bare address: this session's last analysis, or else the list's last filter (the
    analyst came from there); then remember the view shown."""
    if not st.query_params:
        listed = {k: v for k, v in (st.session_state.get(common.LIST_VIEW) or {}).items()
                  if k not in common.LIST_VIEW_KEYS}
        if listed == {"visit_from": [date.today().isoformat()]}:
            listed = {}  # the list's opening (the coming visits) is no analyst's choice
        st.query_params.from_dict(st.session_state.get(LAST_VIEW) or listed or VIEW_DEFAULTS)
    st.session_state[LAST_VIEW] = {key: st.query_params.get_all(key)
                                   for key in st.query_params}


def show(bfilter: BookingFilter, **view) -> None:
    """The filter and the cross-tab's choices into the URL, and run again."""
    choices = {"rows": rows, "cols": cols, "measure": measure, "compare": compare,
               "heat": "1" if heat else None, **view}
    params = bfilter.to_params()
    params.update({k: v for k, v in choices.items() if v is not None})
    st.query_params.from_dict(params)
    st.session_state["filter_revision"] = st.session_state.get("filter_revision", 0) + 1
    st.rerun()


def one_of(options):
    def parse(text: str) -> str:
        if text not in options:
            raise ValueError(text)
        return text
    return parse


restore_view()
bfilter, notices = BookingFilter.from_params(
    {key: st.query_params.get_all(key) for key in st.query_params})
for notice in notices:
    st.caption(f"The link had a value that does not fit: {notice}.")
rows = common.url_param("rows", one_of(pivot.DIMENSIONS), VIEW_DEFAULTS["rows"], "a dimension")
cols = common.url_param("cols", one_of(pivot.DIMENSIONS), VIEW_DEFAULTS["cols"], "a dimension")
measure = common.url_param("measure", one_of(pivot.MEASURES), VIEW_DEFAULTS["measure"],
                           "a measure")
compare = common.url_param("compare", one_of(pivot.COMPARES), None, "a comparison")
heat = common.url_param("heat", lambda v: v == "1", False)
has_period = bfilter.visit_from is not None and bfilter.visit_to is not None

st.title("Analysis")
common.show_scope(con, user)
with st.expander("Filter", icon=":material/filter_alt:"):
    new_filter = filter_form(bfilter, listing.filter_choices(con),
                             st.session_state.get("filter_revision", 0))
if new_filter is not None:
    show(new_filter)

names = listing.names(con)
with st.container(horizontal=True, vertical_alignment="center"):
    st.markdown(f"**Showing:** {bfilter.words(names)}", width="stretch")
    st.page_link(LIST_PAGE, label="Open in the list", icon=":material/list_alt:",
                 query_params=common.list_address(bfilter))


# --- what to count, and by what ------------------------------------------------------

with st.container(horizontal=True, vertical_alignment="bottom"):
    new_rows = st.selectbox("Rows", list(pivot.DIMENSIONS), format_func=pivot.DIMENSION_LABELS.get,
                            index=list(pivot.DIMENSIONS).index(rows), width=210)
    col_options = [d for d in pivot.DIMENSIONS if d != new_rows]
    new_cols = st.selectbox("Columns", col_options, format_func=pivot.DIMENSION_LABELS.get,
                            index=col_options.index(cols) if cols in col_options else 0,
                            width=210)
    new_measure = st.selectbox("Measure", list(pivot.MEASURES),
                               format_func=pivot.MEASURE_LABELS.get,
                               index=list(pivot.MEASURES).index(measure), width=190)
    compare_options = [None, *pivot.COMPARES]
    new_compare = st.selectbox(
        "Compare with", compare_options,
        index=compare_options.index(compare) if has_period else 0,
        format_func=lambda c: "Nothing" if c is None else pivot.COMPARE_LABELS[c].capitalize(),
        disabled=not has_period, width=260,
        help=None if has_period else "Choose a visit period (its first and last day) to "
                                     "compare it with the period before or a year earlier.")
    new_heat = st.toggle("Heat shading", value=heat)
if (new_rows, new_cols, new_measure, new_compare, new_heat) != (
        rows, cols, measure, compare if has_period else None, heat):
    show(bfilter, rows=new_rows, cols=new_cols, measure=new_measure, compare=new_compare,
         heat="1" if new_heat else None)
if not has_period:
    compare = None


# --- the numbers on top ----------------------------------------------------------------

def number_words(measure: str, value) -> str:
    """A measure's value as the page writes it: thousands separators, money to the cent."""
    if value is None:
        return "–"
    if measure == "bookings":
        return f"{value:,}"
    if measure == "no_show_share":
        return f"{value:.1%}"
    return f"{value:,.2f}"


def change_words(measure: str, value, before) -> str | None:
    """The change from BEFORE to VALUE, absolute and in %: "+1,200.00 (+4.0%)"."""
    if value is None:
        return None
    if before is None:  # nothing to average or share before
        return "new"
    change = value - before
    if measure == "no_show_share":  # a share changes by percentage points
        return f"{change * 100:+.1f} pts"
    sign = "+" if change >= 0 else "-"
    absolute = number_words(measure, abs(change))
    if not before:
        return f"{sign}{absolute} (new)" if change else "±0"
    return f"{sign}{absolute} ({change / before:+.1%})"


def metric_help(name: str, before: dict | None) -> str | None:
    said = [] if name == "bookings" else ["Money leaves out canceled bookings."]
    if before is not None:
        said.append(f"Before: {number_words(name, before[name])}.")
    return " ".join(said) or None


try:
    now, before = pivot.totals(con, user, bfilter, compare)
    tab = pivot.pivot(con, user, bfilter, rows, cols, measure, compare)
except Refused as refused:
    st.error(str(refused))
    st.stop()

if compare is not None:
    start, end = tab.before_period
    st.caption(f"Set against {pivot.COMPARE_LABELS[compare]}: visits {start:%d.%m.%Y}–"
               f"{end:%d.%m.%Y}.")
# Two rows of three: whole numbers at 1400 and at 800 px.
for place, name in zip(st.columns(3) + st.columns(3), pivot.MEASURES, strict=True):
    with place:
        st.metric(pivot.MEASURE_LABELS[name], number_words(name, now[name]),
                  delta=None if before is None else change_words(name, now[name], before[name]),
                  delta_color="inverse" if name in WORSE_WHEN_UP else "normal",
                  border=True, help=metric_help(name, before))


# --- the cross-tab ---------------------------------------------------------------------

def crosstab_frame(tab: pivot.CrossTab) -> pd.DataFrame:
    """The cross-tab as a table: a column per column key ("c0"...), the totals, and with a
    comparison the earlier totals and the change beside and below them."""
    frame = pd.DataFrame(tab.cells, columns=[f"c{j}" for j in range(len(tab.col_keys))],
                         dtype=object)
    frame.insert(0, "row", tab.row_labels)
    frame["total"] = tab.row_totals
    extra = [{"row": "Total", **{f"c{j}": v for j, v in enumerate(tab.col_totals)},
              "total": tab.total}]
    if tab.before is not None:
        b = tab.before
        frame["before"] = b["row_totals"]
        extra[0]["before"] = b["total"]
        extra.append({"row": "Before", **{f"c{j}": v for j, v in enumerate(b["col_totals"])},
                      "total": b["total"]})
        pairs = [*zip(tab.col_totals, b["col_totals"], strict=True)]
        extra.append({"row": "Change", **{f"c{j}": _minus(v, w) for j, (v, w) in
                                          enumerate(pairs)},
                      "total": _minus(tab.total, b["total"])})
        extra.append({"row": "Change %", **{f"c{j}": _ratio(v, w) for j, (v, w) in
                                            enumerate(pairs)},
                      "total": _ratio(tab.total, b["total"])})
        frame["change"] = [_minus(v, w) for v, w in zip(tab.row_totals, b["row_totals"],
                                                          strict=True)]
        frame["change_pct"] = [_ratio(v, w) for v, w in zip(tab.row_totals, b["row_totals"],
                                                             strict=True)]
        extra[0]["change"] = _minus(tab.total, b["total"])
        extra[0]["change_pct"] = _ratio(tab.total, b["total"])
    return pd.concat([frame, pd.DataFrame(extra, dtype=object)], ignore_index=True)


def _minus(value, before):
    return None if value is None or before is None else value - before


def _ratio(value, before):
    return None if value is None or not before else (value - before) / before


def styled(frame: pd.DataFrame, tab: pivot.CrossTab, heat: bool):
    """Numbers in the page's words; change % as percent; heat over the cells alone."""
    body = [f"c{j}" for j in range(len(tab.col_keys))]
    n_rows = len(tab.row_keys)
    pct_rows = [n_rows + 3] if tab.before else []  # below Total, Before and Change
    numbers = [c for c in frame.columns if c not in ("row", "change_pct")]
    style = frame.style.format(lambda v: "" if v is None else number_words(measure, v),
                               subset=numbers)

    def percent(v) -> str:
        return "" if v is None else f"{v:+.1%}"

    if "change_pct" in frame:
        style = style.format(percent, subset=["change_pct"])
    if pct_rows:
        style = style.format(percent, subset=pd.IndexSlice[pct_rows, body + ["total"]])
    values = [v for row in tab.cells for v in row if v is not None]
    if heat and values and max(values) > 0:
        top = max(values)

        def shade(v):
            if v is None or v <= 0:
                return ""
            return "background-color: " + HEAT.format(alpha=0.08 + 0.5 * v / top)

        style = style.map(shade, subset=pd.IndexSlice[list(range(n_rows)), body])
    return style


def drill_target(position: int, column: str):
    """(row, col, before) of the selected table cell for pivot.drill; None for a change.

    Below the rows come Total, and with a comparison Before, Change and Change %."""
    below = position - len(tab.row_keys)  # < 0: a row of the cross-tab
    if column in ("row", "change", "change_pct") or below >= 2:
        return None
    row = position if below < 0 else None
    col = int(column[1:]) if column.startswith("c") else None
    return row, col, column == "before" or below == 1


frame = crosstab_frame(tab)
column_config = {
    "row": st.column_config.TextColumn(pivot.DIMENSION_LABELS[rows], pinned=True),
    **{f"c{j}": st.column_config.Column(label) for j, label in enumerate(tab.col_labels)},
    "total": st.column_config.Column("Total"),
    "before": st.column_config.Column("Before", help="The row's total in the earlier period"),
    "change": st.column_config.Column("Change"),
    "change_pct": st.column_config.Column("Change %"),
}
with st.container(horizontal=True, vertical_alignment="bottom"):
    st.subheader(f"{pivot.MEASURE_LABELS[measure]} by {pivot.DIMENSION_LABELS[rows].lower()} "
                 f"and {pivot.DIMENSION_LABELS[cols].lower()}", width="stretch")
    download = st.container(width="content")
with download:
    crosstab_download(user, bfilter, bfilter.words(names), rows, cols, measure, compare)
if not tab.row_keys:
    st.info("No bookings match this filter.")
else:
    picked = st.dataframe(
        styled(frame, tab, heat), hide_index=True, width="stretch",
        height=min(38 + 35 * len(frame), 640), column_config=column_config,
        on_select="rerun", selection_mode="single-cell", placeholder="",
        key=f"crosstab-{bfilter}-{rows}-{cols}-{measure}-{compare}",
    )
    st.caption("Select a number to open its bookings in the list.")
    for position, column in picked.selection.cells:
        target = drill_target(position, column)
        if target is None:
            st.caption("A change has no bookings of its own: select a number beside it.")
            continue
        row, col, earlier = target
        try:
            cell = pivot.drill(bfilter, tab, row, col, before=earlier)
        except Refused as refused:
            st.info(str(refused))
            continue
        st.switch_page(LIST_PAGE, query_params=common.list_address(cell))


# --- over time ---------------------------------------------------------------------------

st.subheader("Over time")
timeline_chart(con, user, bfilter, key="analysis-over-time")
