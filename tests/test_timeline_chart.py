"""The bars of ui/timeline_chart.py: each period's parts stacked in the split's order,
spanning the period's days, drawn to 100 % as shares."""

from datetime import date

import pandas as pd
import pytest

from ui.timeline_chart import chart

POINTS = [
    {"period": date(2024, 5, 1), "label": "2024-05", "series": "online", "value": 300,
     "share": 0.375},
    {"period": date(2024, 5, 1), "label": "2024-05", "series": "offline", "value": 500,
     "share": 0.625},
    {"period": date(2024, 6, 1), "label": "2024-06", "series": "offline", "value": 1,
     "share": 1.0},
]


def bars(shares: bool, grain: str = "month") -> pd.DataFrame:
    return chart(POINTS, grain, "source", "to_pay", shares).data.set_index(["label", "series"])


def test_the_parts_stack_in_the_splits_order():
    frame = bars(False)
    assert frame.loc[("2024-05", "online"), ["low", "high"]].tolist() == [0, 300]
    assert frame.loc[("2024-05", "offline"), ["low", "high"]].tolist() == [300, 800]
    assert frame.loc[("2024-06", "offline"), ["low", "high"]].tolist() == [0, 1]


def test_shares_fill_each_bar_to_one():
    frame = bars(True)
    assert frame.loc[("2024-05", "offline"), "high"] == pytest.approx(1)
    assert frame.loc[("2024-05", "online"), "high"] == pytest.approx(0.375)
    assert frame.loc[("2024-06", "offline"), "high"] == pytest.approx(1)


@pytest.mark.parametrize("grain, days", [("month", 31), ("week", 7), ("day", 1)])
def test_a_bar_spans_most_of_its_period(grain, days):
    frame = bars(False, grain)
    start, end = frame.loc[("2024-05", "online"), ["start", "end"]]
    assert start == pd.Timestamp(2024, 5, 1)
    assert pd.Timedelta(days=days * 0.8) < end - start < pd.Timedelta(days=days)


def test_the_axes_say_what_they_show():
    spec = chart(POINTS, "week", "source", "unpaid", False).to_dict()
    assert spec["encoding"]["y"]["title"] == "Money unpaid (to pay less paid)"
    assert spec["encoding"]["x"]["title"] == "Visit week (from Monday)"
    assert spec["encoding"]["color"]["sort"] == ["online", "offline"]
