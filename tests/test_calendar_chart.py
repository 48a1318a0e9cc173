"""The calendar's chart: which hours, where each block goes, what its label says."""

from datetime import datetime

import pytest

from ui import calendar_chart as cc

DAY = datetime(2026, 5, 4)


def booking(booking_id, start, minutes, staff_id=1, client="Kate Smith", services=("Cut",)):
    hour, minute = start
    return {"id": booking_id, "visit_at": DAY.replace(hour=hour, minute=minute),
            "length_s": minutes * 60, "staff_id": staff_id, "staff_name": f"Employee {staff_id}",
            "status": "Pending", "online": False, "client_name": client,
            "services": [{"title": s} for s in services]}


def by_staff(row):
    return row["staff_id"] - 1


@pytest.mark.parametrize("rows, opened, hours", [
    ([], None, (8, 21)),
    ([booking(1, (7, 30), 60), booking(2, (21, 0), 90)], None, (7, 23)),  # widened to them
    ([], booking(3, (18, 45), 75), (17, 21)),  # an hour either side
    ([], booking(4, (8, 0), 15), (7, 10)),  # at least three hours
    ([], booking(5, (22, 30), 60), (21, 24)),  # never past midnight
])
def test_the_hours_shown(rows, opened, hours):
    assert cc.hours_shown(rows, opened, whole_day=False) == hours


def test_the_whole_day_when_asked_for():
    assert cc.hours_shown([], booking(3, (18, 45), 75), whole_day=True) == (8, 21)


def test_overlapping_bookings_share_their_column_side_by_side():
    rows = [booking(1, (10, 0), 60), booking(2, (10, 30), 60), booking(3, (11, 30), 30),
            booking(4, (10, 0), 60, staff_id=2)]
    frame = cc.blocks(rows, by_staff, None, (8, 21)).set_index("id")
    assert frame.loc[[1, 2, 3, 4], ["lane", "lanes"]].values.tolist() == [
        [0, 2], [1, 2], [0, 1], [0, 1]]
    assert frame.loc[1, "x1"] <= frame.loc[2, "x0"]  # apart
    assert 1 <= frame.loc[4, "x0"] < frame.loc[4, "x1"] <= 2  # in the second column


def test_blocks_are_cut_to_the_hours_and_labels_to_their_height():
    rows = [booking(1, (9, 0), 15, client="Ann Lee"), booking(2, (9, 30), 60),
            booking(3, (7, 30), 60), booking(4, (15, 0), 30)]
    frame = cc.blocks(rows, by_staff, 1, (8, 11)).set_index("id")
    assert list(frame.index) == [3, 1, 2]  # 15:00 is outside the hours
    assert (frame.loc[3, "from"], frame.loc[3, "to"]) == (8, 8.5)  # cut at 8:00
    assert frame.loc[1, "label"] == "09:00 Ann Lee"  # 15 minutes: one line
    assert frame.loc[2, "label"] == "09:30 Kate Smith\nCut\nPending"  # an hour: all three
    assert frame.loc[1, "description"] == "Booking 1: 09:00–09:15 Ann Lee, Employee 1 (open)"


def test_the_open_booking_is_outlined_and_the_others_dimmed():
    frame = cc.blocks([booking(1, (9, 0), 60), booking(2, (11, 0), 60)], by_staff, 2,
                      (8, 21)).set_index("id")
    assert frame.loc[2, ["stroke", "opacity"]].tolist() == [cc.OPEN_STROKE, 1.0]
    assert frame.loc[1, "stroke"] != cc.OPEN_STROKE and frame.loc[1, "opacity"] < 1


def test_the_chart_keeps_its_height_and_cuts_names_to_their_column():
    rows = [booking(1, (9, 0), 60)]
    frame = cc.blocks(rows, by_staff, 1, (8, 11))
    spec = cc.chart(frame, ["Anna Smith", "Ben Brown"], (8, 11), 15).to_dict()
    assert spec["height"] == 3 * cc.PX_PER_HOUR_AROUND
    assert spec["autosize"]["type"] == "fit-x"
    axis = spec["layer"][0]["encoding"]["x"]["axis"]
    assert axis["labelLimit"] == {"expr": "width / 2 - 6"}
    assert '["Anna Smith", "Ben Brown"]' in axis["labelExpr"]


def test_pages_of_employees():
    assert cc.pages_of([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    assert cc.pages_of([], 6) == [[]]
