"""The calendar's chart: bookings as blocks in columns (employees, or the days of
one employee's week), drawn so that it stays readable on a busy day.

- Columns sit on a plain number line (column i spans i..i+1), so the chart
  decides every block's width: bookings that overlap (an overbooking) share
  their column side by side instead of covering each other.
- Names and labels are cut to the width they have (Vega's `limit`, from the
  chart's own width), and a label has only the lines its block is tall enough
  for: nothing runs into the next column or out of its block.
- The open booking is outlined and the others dimmed; with one open, the
  chart shows the hours around it, so it is in view without scrolling.

No Streamlit here: the page puts the chart on the screen.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import datetime, timedelta

import altair as alt
import pandas as pd

# Columns a day shows at once: about 75 px or more each, beside the form or not.
EMPLOYEES_PER_PAGE = 10
EMPLOYEES_PER_PAGE_BESIDE_FORM = 6
PX_PER_HOUR = 64  # a whole day: 13 hours in about 830 px
PX_PER_HOUR_AROUND = 96  # the few hours around an open booking, roomier
LINE_PX = 13  # one line of a block's label (10 px text)
DAY_HOURS = (8, 21)  # the hours a day shows at least
AROUND_HOURS = 1  # shown before and after the open booking
LEAST_HOURS = 3  # the fewest hours shown around it
GAP = 0.04  # of a column, left free on each side of a block
STATUS_COLOURS = {"Pending": "#90a4ae", "Confirmed": "#42a5f5", "Arrived": "#66bb6a",
                  "No-Show": "#ef5350"}
OPEN_STROKE = "#e65100"  # no status has it


def pages_of(ids: list[int], size: int) -> list[list[int]]:
    return [ids[i:i + size] for i in range(0, len(ids), size)] or [[]]


def hours_shown(rows: list[dict], opened: dict | None, whole_day: bool) -> tuple[int, int]:
    """The hours the chart shows: the day (widened to any booking outside it), or
    the hours around the open booking."""
    starts = [_hour(r["visit_at"]) for r in rows]
    ends = [_hour(r["visit_at"]) + r["length_s"] / 3600 for r in rows]
    first = min([DAY_HOURS[0], *map(math.floor, starts)])
    last = min(24, max([DAY_HOURS[1], *map(math.ceil, ends)]))
    if opened is None or whole_day:
        return first, last
    start = _hour(opened["visit_at"])
    end = min(24.0, start + opened["length_s"] / 3600)
    low = max(0, math.floor(start) - AROUND_HOURS)
    high = min(24, max(math.ceil(end) + AROUND_HOURS, low + LEAST_HOURS))
    return max(0, min(low, high - LEAST_HOURS)), high


def hour_px(hours: tuple[int, int]) -> int:
    return PX_PER_HOUR_AROUND if hours[1] - hours[0] < DAY_HOURS[1] - DAY_HOURS[0] \
        else PX_PER_HOUR


def _hour(at: datetime) -> float:
    return at.hour + at.minute / 60


def blocks(rows: list[dict], column_of: Callable[[dict], int | None], open_id: int | None,
           hours: tuple[int, int]) -> pd.DataFrame:
    """One row per booking shown (in a column, within the hours): its place, look, label."""
    low, high = hours
    shown = [(r, column_of(r)) for r in rows
             if _hour(r["visit_at"]) < high and _hour(r["visit_at"]) + r["length_s"] / 3600 > low]
    frame = pd.DataFrame([{
        "id": r["id"],
        "column": column,
        # cut to the hours shown, so no block reaches over the names
        "from": max(low, _hour(r["visit_at"])),
        "to": min(high, _hour(r["visit_at"]) + r["length_s"] / 3600),
        "status": r["status"],
        "made": "online" if r["online"] else "by the salon",
        "client": r["client_name"],
        "time": f"{r['visit_at']:%H:%M}–{r['visit_at'] + timedelta(seconds=r['length_s']):%H:%M}",
        "services": ", ".join(s["title"] for s in r["services"]) or "no services",
        "employee": r["staff_name"],
        "open": r["id"] == open_id,
    } for r, column in shown if column is not None])
    if frame.empty:
        return frame
    frame = _side_by_side(frame)
    frame["x0"] = frame["column"] + (frame["lane"] + GAP) / frame["lanes"]
    frame["x1"] = frame["column"] + (frame["lane"] + 1 - GAP) / frame["lanes"]
    records = frame.to_dict("records")
    frame["label"] = [_label(r, hour_px(hours)) for r in records]
    frame["description"] = [f"Booking {r['id']}: {r['time']} {r['client']}, {r['employee']}"
                            + (" (open)" if r["open"] else "") for r in records]
    frame["label_of"] = [f"Label of booking {r['id']}" for r in records]
    anyone_open = bool(frame["open"].any())
    frame["stroke"] = frame["open"].map({True: OPEN_STROKE, False: "#37474f"})
    frame["stroke_width"] = frame["open"].map({True: 4.0, False: 1.0})
    frame["opacity"] = [1.0 if o or not anyone_open else 0.55 for o in frame["open"]]
    return frame


def _label(block: dict, px_per_hour: int) -> str:
    """As many lines as the block is tall enough for, at least the first."""
    lines = [f"{block['time'][:5]} {block['client']}", block["services"], block["status"]]
    fits = int((block["to"] - block["from"]) * px_per_hour // LINE_PX)
    return "\n".join(lines[:max(1, fits)])


def _side_by_side(frame: pd.DataFrame) -> pd.DataFrame:
    """Lanes within a column: a booking takes the first lane free at its start, and
    bookings that overlap, directly or through others, share the column in equal parts."""
    frame = frame.sort_values(["column", "from", "to", "id"]).reset_index(drop=True)
    lane, lanes = [0] * len(frame), [1] * len(frame)
    group: list[int] = []  # the rows overlapping each other, directly or not
    lane_ends: list[float] = []
    for i, (column, start, end) in enumerate(zip(frame["column"], frame["from"], frame["to"],
                                                 strict=True)):
        if group and (column != frame["column"][group[0]] or start >= max(lane_ends)):
            for member in group:
                lanes[member] = len(lane_ends)
            group, lane_ends = [], []
        free = next((n for n, e in enumerate(lane_ends) if e <= start), len(lane_ends))
        lane_ends[free:free + 1] = [end]
        lane[i] = free
        group.append(i)
    for member in group:
        lanes[member] = len(lane_ends)
    return frame.assign(lane=lane, lanes=lanes)


def chart(frame: pd.DataFrame, columns: list[str], hours: tuple[int, int],
          interval_min: int) -> alt.LayerChart:
    """The blocks with their labels; a click on a block selects it (selection "booking")."""
    count = max(1, len(columns))
    low, high = hours
    x = alt.X("x0:Q", title=None, scale=alt.Scale(domain=[0, count], nice=False, zero=False),
              axis=alt.Axis(
                  orient="top", values=[i + 0.5 for i in range(count)], grid=False,
                  ticks=False, domain=False, labelAngle=0, labelFontSize=11,
                  labelFontWeight="bold", labelOverlap=False,
                  labelPadding=18,  # a name of two lines stays above the plot
                  # each word on a line of its own, cut to the column's width
                  labelExpr=f"split({json.dumps(columns)}[floor(datum.value)], ' ')",
                  labelLimit=alt.ExprRef(f"width / {count} - 6")))
    y = alt.Y("from:Q", title=None, scale=alt.Scale(domain=[high, low], nice=False, zero=False),
              axis=alt.Axis(values=[low + i * interval_min / 60
                                    for i in range((high - low) * 60 // interval_min + 1)],
                            labelExpr="datum.value % 1 == 0 ? datum.value + ':00' : ''",
                            gridOpacity=0.5))
    pick = alt.selection_point(fields=["id"], name="booking")
    rects = alt.Chart(frame).mark_rect(cornerRadius=3).encode(
        x=x, x2="x1:Q", y=y, y2="to:Q",
        color=alt.Color("status:N", scale=alt.Scale(domain=list(STATUS_COLOURS),
                                                    range=list(STATUS_COLOURS.values())),
                        legend=alt.Legend(orient="bottom", title="Visit status")),
        strokeDash=alt.StrokeDash("made:N", legend=alt.Legend(orient="bottom", title="Made"),
                                  scale=alt.Scale(domain=["online", "by the salon"],
                                                  range=[[4, 2], [1, 0]])),
        stroke=alt.Stroke("stroke:N", scale=None),
        strokeWidth=alt.StrokeWidth("stroke_width:Q", scale=None),
        opacity=alt.Opacity("opacity:Q", scale=None),
        description="description:N",
        tooltip=[alt.Tooltip("id:Q", title="Booking"), "time:N", "client:N", "services:N",
                 "status:N", "made:N", "employee:N"],
    ).add_params(pick)
    labels = alt.Chart(frame).mark_text(
        align="left", baseline="top", dx=3, dy=2, fontSize=10, lineBreak="\n",
        lineHeight=LINE_PX - 1, color="#102027",
        # cut to the block's own width (its share of the column), in pixels
        limit=alt.ExprRef(f"(datum.x1 - datum.x0) * width / {count} - 6"),
    ).encode(x=x, y=y, text="label:N", description="label_of:N")
    dividers = alt.Chart(pd.DataFrame({"x0": range(1, count)})).mark_rule(
        color="#cfd8dc").encode(x=x)
    # fit-x: the width fits the page, the height stays the hours' (Streamlit's default,
    # fit, would squeeze the axis and legend into it, and the labels' lines with them)
    return (dividers + rects + labels).properties(
        height=(high - low) * hour_px(hours),
        autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
