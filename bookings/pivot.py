"""The cross-tab: the filtered bookings counted or summed by two dimensions.

`pivot(con, user, bfilter, rows=..., cols=..., measure=...)` answers over exactly
the bookings the list shows for that user and filter (`listing.scoped_where`: the
viewing period, own bookings), in one query (GROUP BY GROUPING SETS: the cells,
the row totals, the column totals and the whole). `cell_filter` gives each cell
the list's filter for it, so a cell opens the list it counts.

Counting rules (issue 15):

- A booking with several values of a dimension (two service categories, two
  booking categories) counts once under each; a booking with none counts under
  "(none)". Totals count distinct bookings, so a row total of such a dimension
  is not the sum of its cells.
- Money leaves out cancelled (deleted) bookings, as `listing.summary` does.
  Under a service category the money is that category's service lines' to_pay;
  "paid" and "unpaid" are not offered with it (a payment is not split by line).
  Under a booking category a booking's whole money counts, as the list filtered
  by that category sums it.
- `average` is to pay per booking that is not cancelled; `no_show_share` is the
  No-Show bookings' share of the cell's bookings (cancelled ones included, as
  the list counts them). Both are None for a cell without bookings.
- `compare` ("previous": the same number of days just before the filter's
  visit period, or as many whole months when it is whole months; "year": the
  same dates a year earlier) needs a visit period.
  The month and week buckets of the earlier period are matched to this
  period's by their order (the first month with the first month); days by their
  date (a year earlier: the same date; 29 February has no counterpart).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from bookings import catalog, listing
from bookings.errors import Refused
from bookings.filters import CLIENT, PAYMENT_CODE_SQL, WEEKDAYS, BookingFilter
from bookings.model import Attendance, Source, User
from bookings.store import Connection
from bookings.values import plain_amount, to_cent

MEASURES = ("bookings", "to_pay", "paid", "unpaid", "average", "no_show_share")
COMPARES = ("previous", "year")
NO_VALUE = "(none)"  # the label of "without one" (no service or booking category)
NO_USER = "(no user)"  # created by nobody and not online (an API booking, say)


@dataclass(frozen=True)
class Dimension:
    """One way to split bookings: its SQL key over `bookings b` (or over a table of
    several values per booking), how a key reads, its order, and its filter."""

    name: str
    key_sql: str  # over `bookings b`; for a multi-valued one over its CTE `m` (key)
    split_money: bool = False  # money is per value (service lines): no paid, no unpaid
    multi_table: str | None = None  # several values per booking: (booking_id, category_id)
    time: bool = False  # a time bucket (day, week, month): a visit date range


DIMENSIONS: dict[str, Dimension] = {d.name: d for d in (
    Dimension("source", "b.online"),
    Dimension("source_detail", "b.source"),
    Dimension("payment", PAYMENT_CODE_SQL),
    Dimension("status", "b.attendance"),
    Dimension("staff", "b.staff_id"),
    Dimension("service_category", "key", split_money=True, multi_table="booking_services"),
    Dimension("booking_category", "key", multi_table="booking_category_links"),
    # the login; NULL online = the client, NULL offline = nobody (an API booking, say)
    Dimension("created_by", "coalesce((SELECT u.login FROM users u WHERE u.id = b.created_by), "
                            f"CASE WHEN b.online THEN '{CLIENT}' ELSE '{NO_USER}' END)"),
    Dimension("month", "date_trunc('month', b.visit_at)::DATE", time=True),
    Dimension("week", "date_trunc('week', b.visit_at)::DATE", time=True),
    Dimension("day", "b.visit_at::DATE", time=True),
    Dimension("weekday", "isodow(b.visit_at)"),
    Dimension("hour", "hour(b.visit_at)"),
)}


# What people call the dimensions, measures and comparisons (pages, files, words).
DIMENSION_LABELS = {
    "source": "Online or offline", "source_detail": "Source", "payment": "Payment",
    "status": "Visit status", "staff": "Employee", "service_category": "Service category",
    "booking_category": "Booking category", "created_by": "Created by",
    "day": "Day of visit", "month": "Month of visit", "week": "Week of visit",
    "weekday": "Weekday of visit",
    "hour": "Hour of visit",
}
MEASURE_LABELS = {"bookings": "Bookings", "to_pay": "To pay", "paid": "Paid",
                  "unpaid": "Unpaid", "average": "Average to pay", "no_show_share": "No-show share"}
COMPARE_LABELS = {"previous": "the period before", "year": "the same period a year earlier"}


@dataclass
class CrossTab:
    """The answer: keys and labels of the rows and columns, and the numbers.

    `cells[i][j]` is row i, column j; with a comparison, `before` holds the same
    shape for the earlier period (keys matched as described in the module)."""

    rows_dim: str
    cols_dim: str
    measure: str
    row_keys: list
    row_labels: list[str]
    col_keys: list
    col_labels: list[str]
    cells: list[list]
    row_totals: list
    col_totals: list
    total: object
    compare: str | None = None
    period: tuple[date, date] | None = None
    before_period: tuple[date, date] | None = None
    before: dict | None = field(default=None, repr=False)  # cells, row_totals, ...

    def to_json(self) -> dict:
        """The shape of `bookings pivot --json` (shared/CLI.md)."""
        if self.before is None:
            return {"rows": self.row_labels, "cols": self.col_labels, "cells": self.cells,
                    "row_totals": self.row_totals, "col_totals": self.col_totals,
                    "total": self.total}

        def pair(value, before):
            return {"value": value, "before": before}

        b = self.before
        return {
            "rows": self.row_labels, "cols": self.col_labels,
            "cells": [[pair(v, w) for v, w in zip(row, brow, strict=True)]
                      for row, brow in zip(self.cells, b["cells"], strict=True)],
            "row_totals": [pair(v, w) for v, w in
                           zip(self.row_totals, b["row_totals"], strict=True)],
            "col_totals": [pair(v, w) for v, w in
                           zip(self.col_totals, b["col_totals"], strict=True)],
            "total": pair(self.total, b["total"]),
        }


# --- periods ------------------------------------------------------------------------


def _year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _whole_months(start: date, end: date) -> bool:
    return start.day == 1 and (end + timedelta(days=1)).day == 1


def _month_start(day: date, months: int) -> date:
    """The first day of the month MONTHS after DAY's (before it, when negative)."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def before_period(bfilter: BookingFilter, compare: str) -> tuple[date, date]:
    """The period a comparison sets the filter's visit period against."""
    if compare not in COMPARES:
        raise Refused(f"compare is one of {', '.join(COMPARES)}, not {compare!r}.")
    if bfilter.visit_from is None or bfilter.visit_to is None:
        raise Refused("A comparison needs a visit period: give both the first and the last "
                      "visit date (--visit-from and --visit-to).")
    start, end = bfilter.visit_from, bfilter.visit_to
    if compare == "previous" and _whole_months(start, end):
        # November against October, not against the 30 days before November
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        first = _month_start(start, -months)
        return first, start - timedelta(days=1)
    if compare == "previous":
        days = (end - start).days + 1
        return start - timedelta(days=days), start - timedelta(days=1)
    return _year_earlier(start), _year_earlier(end)


# --- the query ----------------------------------------------------------------------


def _check(rows: str, cols: str, measure: str) -> tuple[Dimension, Dimension]:
    for what, name in (("rows", rows), ("cols", cols)):
        if name not in DIMENSIONS:
            raise Refused(f"{what} must be one of {', '.join(DIMENSIONS)}, not {name!r}.")
    if rows == cols:
        raise Refused(f"rows and cols must be two different dimensions, not {rows} twice.")
    if measure not in MEASURES:
        raise Refused(f"measure must be one of {', '.join(MEASURES)}, not {measure!r}.")
    r, c = DIMENSIONS[rows], DIMENSIONS[cols]
    for d in (r, c):
        if d.split_money and measure in ("paid", "unpaid"):
            raise Refused(
                f"{measure} cannot be split by {d.name.replace('_', ' ')}: a booking's "
                "payment is not divided among its services. Choose to pay, average or "
                "bookings, or another dimension.")
    return r, c


# What a money measure sums per booking (unpaid: what is still owed, never below 0);
# under a split dimension the line's to_pay instead.
_MONEY_SQL = {
    "to_pay": "b_to_pay", "paid": "b_paid",
    "unpaid": "greatest(b_to_pay - b_paid, 0)", "average": "b_to_pay",
}


def _sql(r: Dimension, c: Dimension, measure: str, where: str,
         period_sql: str | None) -> tuple[str, list[str]]:
    """The query, and the name of the money column of each grouping.

    It gives GROUPING_ID(rk, ck) g (0 cells, 1 row totals, 2 column totals, 3 the
    whole), [p,] rk, ck, the counts the measure needs (n, live, no_show) and its
    money columns (money0...: the groupings share the same sums).

    The fact table x has a row per booking, or per booking and value of each
    multi-valued dimension (LEFT JOIN: a booking without one has key NULL and first
    TRUE). `first_r`/`first_c` mark one row per booking, so that where a
    multi-valued dimension is not grouped by, a booking's money counts once; where
    a split dimension is grouped by, its lines' money (line_money) is used.
    """
    dims = (("r", r), ("c", c))
    multi = any(d.multi_table for _, d in dims)
    period_col = f", {period_sql} AS p" if period_sql else ""
    own_keys = "".join(f", {d.key_sql} AS {a}k" for a, d in dims if not d.multi_table)
    f_sql = (f"SELECT b.id, b.deleted, b.attendance, b.to_pay AS b_to_pay, b.paid AS b_paid"
             f"{own_keys}{period_col} FROM bookings b WHERE {where}")
    if multi:
        ctes, joins = [], []
        cols = ["f.id", "f.deleted", "f.attendance", "f.b_to_pay", "f.b_paid"]
        cols += ["f.p"] if period_sql else []
        for a, d in dims:
            if not d.multi_table:
                cols += [f"f.{a}k", f"TRUE AS first_{a}"]
                continue
            money = ", sum(to_pay) AS money" if d.split_money else ""
            ctes.append(f"""{a}m AS (
                SELECT booking_id, category_id AS key{money},
                       category_id = min(category_id) OVER (PARTITION BY booking_id) AS first
                FROM {d.multi_table} WHERE booking_id IN (SELECT id FROM f)
                GROUP BY booking_id, category_id)""")
            joins.append(f"LEFT JOIN {a}m ON {a}m.booking_id = f.id")
            cols += [f"{a}m.key AS {a}k", f"coalesce({a}m.first, TRUE) AS first_{a}"]
            if d.split_money:
                cols.append(f"coalesce({a}m.money, 0) AS line_money")
        with_sql = (f"WITH f AS ({f_sql}), {', '.join(ctes)}, "
                    f"x AS (SELECT {', '.join(cols)} FROM f {' '.join(joins)})")
        count = "count(DISTINCT id)"
    else:
        with_sql = f"WITH x AS ({f_sql})"
        count = "count(*)"
    # only what the measure needs: each aggregate is a pass over the rows
    aggregates = {
        "n": f"{count} AS n",
        "live": f"{count} FILTER (WHERE NOT deleted) AS live",
        "no_show": f"{count} FILTER (WHERE attendance = {int(Attendance.NO_SHOW)}) AS no_show",
    }
    aggregates = [aggregates[name] for name in _COUNTS[measure]]
    money_of: list[str] = []  # the money column of each grouping
    if measure in _MONEY_SQL:
        money: dict[str, str] = {}  # an expression -> its name; groupings may share one
        for grouped in _SETS:
            split = any(d.split_money and used for (_, d), used in zip(dims, grouped, strict=True))
            value = "line_money" if split else _MONEY_SQL[measure]
            once = ["NOT deleted"] + [f"first_{a}" for (a, d), used in zip(dims, grouped,
                                                                         strict=True)
                                      if d.multi_table and not used]
            # DOUBLE: what the JSON gives anyway (plain_amount), and fetched faster
            expr = f"coalesce(sum({value}) FILTER (WHERE {' AND '.join(once)}), 0)::DOUBLE"
            money_of.append(money.setdefault(expr, f"money{len(money)}"))
        aggregates += [f"{expr} AS {name}" for expr, name in money.items()]
    p = ["p"] if period_sql else []
    sets = ", ".join("(" + ", ".join(p + [k for k, used in zip(("rk", "ck"), grouped,
                                                                 strict=True) if used]) + ")"
                     for grouped in _SETS)
    return f"""{with_sql}
        SELECT GROUPING_ID(rk, ck) AS g, {'p, ' if p else ''}rk, ck, {', '.join(aggregates)}
        FROM x GROUP BY GROUPING SETS ({sets})""", money_of


# The counts each measure needs, beside its money.
_COUNTS = {"bookings": ("n",), "no_show_share": ("n", "no_show"), "average": ("live",),
           "to_pay": (), "paid": (), "unpaid": ()}

# (rows grouped by, cols grouped by) in GROUPING_ID(rk, ck) order: cells, row totals,
# column totals, the whole.
_SETS = ((True, True), (True, False), (False, True), (False, False))


def _value(measure: str, *, n=None, live=None, no_show=None, money=None):
    """The measure from its counts and money: the one rule for cells and headlines."""
    if measure == "bookings":
        return n
    if measure == "no_show_share":
        return round(no_show / n, 4) if n else None
    if measure == "average":
        return plain_amount(to_cent(money / live)) if live else None
    return plain_amount(money)


def _number(measure: str, names: list[str], money_of: list[str]) -> Callable[[tuple], object]:
    """The measure of a result row (a tuple with columns NAMES)."""
    at = {name: i for i, name in enumerate(names)}
    g = at["g"]
    money = [at[name] for name in money_of]

    def number(row):
        counts = {name: row[at[name]] for name in ("n", "live", "no_show") if name in at}
        return _value(measure, money=row[money[row[g]]] if money else None, **counts)

    return number


def _empty(measure: str):
    return None if measure in ("average", "no_show_share") else 0


# --- labels and order ------------------------------------------------------------------


def _labeller(con: Connection, dim: Dimension) -> tuple[Callable, Callable]:
    """(label of a key, sort key of a key) for DIM, as the list names things."""
    name = dim.name
    if name == "source":
        return (lambda k: "online" if k else "offline"), (lambda k: not k)
    if name == "source_detail":
        order = {s.value: i for i, s in enumerate(Source)}
        return str, (lambda k: (order.get(k, len(order)), k))
    if name == "payment":
        return (lambda k: listing.PAYMENT_LABELS[k]), (lambda k: k)
    if name == "status":
        return (lambda k: Attendance(k).label), (lambda k: k)
    if name in ("staff", "service_category", "booking_category"):
        titles = {"staff": catalog.staff_names,
                  "service_category": catalog.service_category_titles,
                  "booking_category": catalog.booking_category_titles}[name](con)

        def label(k):
            return NO_VALUE if k is None else titles.get(k, f"#{k}")

        return label, (lambda k: (k is None, label(k).lower(), k or 0))
    if name == "created_by":  # the client first, nobody last
        return str, (lambda k: (k != CLIENT, k == NO_USER, k))
    if name == "month":
        return (lambda k: f"{k:%Y-%m}"), (lambda k: k)
    if name == "week":
        return (lambda k: f"{k.isocalendar()[0]}-W{k.isocalendar()[1]:02d}"), (lambda k: k)
    if name == "day":
        return (lambda k: f"{k:%Y-%m-%d}"), (lambda k: k)
    if name == "weekday":
        return (lambda k: WEEKDAYS[k - 1]), (lambda k: k)
    if name == "hour":
        return (lambda k: f"{k:02d}:00"), (lambda k: k)
    raise AssertionError(name)


# --- the cross-tab ------------------------------------------------------------------


def pivot(con: Connection, user: User, bfilter: BookingFilter, rows: str = "source",
          cols: str = "payment", measure: str = "bookings", compare: str | None = None,
          today: date | None = None) -> CrossTab:
    """The cross-tab of the bookings USER sees with BFILTER (see the module's rules)."""
    r, c = _check(rows, cols, measure)
    period = before = None
    if compare is not None:
        before = before_period(bfilter, compare)
        period = (bfilter.visit_from, bfilter.visit_to)
        # Both periods in one scan: the filter without its visit dates, narrowed to
        # either period; p tells them apart (1 this period, 0 the one before).
        if before[1] >= period[0]:
            raise Refused("The period is longer than a year: set it against the previous "
                          "one instead.")
        wide = bfilter.narrowed(visit_from=before[0], visit_to=period[1])
        where, params = listing.scoped_where(user, wide, today)
        where = (f"({where}) AND ((b.visit_at >= ? AND b.visit_at < ?) "
                 f"OR (b.visit_at >= ? AND b.visit_at < ?))")
        params = [*params, *_bounds(*period), *_bounds(*before)]
        # the period column's parameter comes first: it is in the SELECT list
        sql, money_of = _sql(r, c, measure, where, "b.visit_at >= ?")
        params = [_bounds(*period)[0], *params]
    else:
        where, params = listing.scoped_where(user, bfilter, today)
        sql, money_of = _sql(r, c, measure, where, None)
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    found = cur.fetchall()

    # {period: {grouping: {(rk, ck): number}}}
    numbers: dict[bool, dict[int, dict]] = {True: {}, False: {}}
    number = _number(measure, names, money_of)
    g_at, rk_at, ck_at = names.index("g"), names.index("rk"), names.index("ck")
    p_at = names.index("p") if compare is not None else None
    for row in found:
        p = True if p_at is None else bool(row[p_at])
        numbers[p].setdefault(row[g_at], {})[(row[rk_at], row[ck_at])] = number(row)

    row_label, row_order = _labeller(con, r)
    col_label, col_order = _labeller(con, c)
    now = numbers[True]
    row_keys = sorted({rk for rk, _ in now.get(1, {})}, key=row_order)
    col_keys = sorted({ck for _, ck in now.get(2, {})}, key=col_order)
    then = numbers[False]
    row_map = col_map = None  # None: the earlier period's keys are this period's
    if compare is not None:
        # a key only the earlier period has (an employee since gone) gets its own row;
        # day, week and month buckets are matched by place instead (_matched)
        then_rows, then_cols = {rk for rk, _ in then.get(1, {})}, {ck for _, ck in then.get(2, {})}
        if r.time:
            row_map = _matched(r, period, before, compare)
            then_rows = {k for k, earlier in row_map.items() if earlier in then_rows}
        row_keys = sorted(set(row_keys) | then_rows, key=row_order)
        if c.time:
            col_map = _matched(c, period, before, compare)
            then_cols = {k for k, earlier in col_map.items() if earlier in then_cols}
        col_keys = sorted(set(col_keys) | then_cols, key=col_order)

    empty = _empty(measure)

    def table(groups: dict, rmap: dict | None, cmap: dict | None) -> dict:
        def rk_of(k):
            return k if rmap is None else rmap.get(k, _MISSING)

        def ck_of(k):
            return k if cmap is None else cmap.get(k, _MISSING)

        cells = groups.get(0, {}).get
        rks, cks = [rk_of(rk) for rk in row_keys], [ck_of(ck) for ck in col_keys]
        return {
            "cells": [[cells((rk, ck), empty) for ck in cks] for rk in rks],
            "row_totals": [groups.get(1, {}).get((rk, None), empty) for rk in rks],
            "col_totals": [groups.get(2, {}).get((None, ck), empty) for ck in cks],
            "total": groups.get(3, {}).get((None, None), empty),
        }

    current = table(now, None, None)
    result = CrossTab(
        rows_dim=rows, cols_dim=cols, measure=measure, row_keys=row_keys,
        row_labels=[row_label(k) for k in row_keys], col_keys=col_keys,
        col_labels=[col_label(k) for k in col_keys], compare=compare, period=period,
        before_period=before, **current)
    if compare is not None:
        result.before = table(then, row_map, col_map)
    return result


def before_filter(bfilter: BookingFilter, compare: str) -> BookingFilter:
    """BFILTER over the earlier period instead of its own: what the "before" numbers count."""
    start, end = before_period(bfilter, compare)
    return bfilter.narrowed(visit_from=start, visit_to=end)


def totals(con: Connection, user: User, bfilter: BookingFilter, compare: str | None = None,
           today: date | None = None) -> tuple[dict, dict | None]:
    """Every measure's total over what the list shows ({measure: number}, the cross-tab's
    `total` for that measure), and the same for the earlier period when comparing."""
    filters = [bfilter] + ([before_filter(bfilter, compare)] if compare is not None else [])
    answers = []
    for f in filters:
        where, params = listing.scoped_where(user, f, today)
        # the same columns as the cross-tab's fact table, so that _MONEY_SQL reads them
        n, alive, no_show, *money = con.execute(f"""
            SELECT count(*), count(*) FILTER (WHERE NOT deleted),
                   count(*) FILTER (WHERE attendance = {int(Attendance.NO_SHOW)}),
                   {", ".join(f"coalesce(sum({_MONEY_SQL[m]}) FILTER (WHERE NOT deleted), 0)"
                              "::DOUBLE" for m in _SUMS)}
            FROM (SELECT b.deleted, b.attendance, b.to_pay AS b_to_pay, b.paid AS b_paid
                  FROM bookings b WHERE {where}) f""", params).fetchone()
        sums = dict(zip(_SUMS, money, strict=True))
        answers.append({m: _value(m, n=n, live=alive, no_show=no_show,
                                  money=sums.get(m, sums["to_pay"])) for m in MEASURES})
    return answers[0], answers[1] if compare is not None else None


_SUMS = ("to_pay", "paid", "unpaid")  # the money sums the measures are made of


_MISSING = object()  # a key the earlier period has no counterpart for


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return (datetime.combine(start, time.min), datetime.combine(end + timedelta(days=1), time.min))


def _buckets(dim: Dimension, start: date, end: date) -> list[date]:
    """The day, week or month buckets a period touches, in order."""
    if dim.name == "month":
        out, day = [], start.replace(day=1)
        while day <= end:
            out.append(day)
            day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        return out
    step = 7 if dim.name == "week" else 1
    day = start - timedelta(days=start.weekday()) if dim.name == "week" else start
    out = []
    while day <= end:
        out.append(day)
        day += timedelta(days=step)
    return out


def _matched(dim: Dimension, period, before, compare: str) -> dict:
    """{a bucket of this period: the earlier period's bucket in the same place}.

    Months and weeks are matched by their order. Days a year earlier are matched
    by their date (a leap year's 29 February has none): by order, every day after it
    would be set against the day before its date. Against the previous period the
    order is the date anyway (the same number of days before)."""
    if dim.name == "day" and compare == "year":
        return {day: _year_earlier(day) for day in _buckets(dim, *period)
                if (day.month, day.day) != (2, 29)}
    now, then = _buckets(dim, *period), _buckets(dim, *before)
    return dict(zip(now, then, strict=False))


# --- drill-down -----------------------------------------------------------------------


def key_filter(bfilter: BookingFilter, dim_name: str, key) -> BookingFilter:
    """BFILTER narrowed to the bookings under KEY of one dimension (as the list filters)."""
    dim = DIMENSIONS[dim_name]
    f = bfilter
    if dim_name == "source":
        wanted = "online" if key else "offline"
        if f.source not in ("all", wanted):
            return _nothing(f)
        return f.narrowed(source=wanted)
    if dim_name == "source_detail":
        return _within(f, "source_detail", Source(key))
    if dim_name == "payment":
        wanted = ("nothing", "paid", "unpaid")[key]
        if f.payment not in ("all", wanted):
            return _nothing(f)
        return f.narrowed(payment=wanted)
    if dim_name == "status":
        return _within(f, "status", Attendance(key))
    if dim_name == "staff":
        return _within(f, "staff", key)
    if dim_name in ("service_category", "booking_category"):
        return _within(f, dim_name, key)
    if dim_name == "created_by":
        if key == NO_USER:
            raise Refused("The list has no filter for bookings made offline by no user.")
        return _within(f, "created_by", key)
    if dim_name == "weekday":
        return _within(f, "weekday", key)
    if dim_name == "hour":
        return _within(f, "hour", key)
    if dim.time:
        if dim_name == "month":
            last = key.replace(day=calendar.monthrange(key.year, key.month)[1])
        elif dim_name == "week":
            last = key + timedelta(days=6)
        else:
            last = key
        start = max(key, f.visit_from) if f.visit_from else key
        end = min(last, f.visit_to) if f.visit_to else last
        if start > end:
            return _nothing(f)
        return f.narrowed(visit_from=start, visit_to=end)
    raise AssertionError(dim_name)


def _within(f: BookingFilter, name: str, value) -> BookingFilter:
    """F's field NAME narrowed to VALUE: kept if F allows it (or allows all), else nothing."""
    chosen = getattr(f, name)
    if chosen and value not in chosen:
        return _nothing(f)
    return f.narrowed(**{name: (value,)})


def _nothing(f: BookingFilter) -> BookingFilter:
    """A filter that matches no booking: the cell is outside the filter."""
    return f.narrowed(visit_from=date(1, 1, 1), visit_to=date(1, 1, 1))


def cell_filter(bfilter: BookingFilter, rows_dim: str, row_key, cols_dim: str | None = None,
                col_key=None) -> BookingFilter:
    """The list's filter for a cell (or, without cols, for a row total).

    Keys are the CrossTab's row_keys / col_keys. Day, week and month become a visit date
    range within the filter's own; a key the filter leaves out gives a filter that
    matches nothing."""
    f = key_filter(bfilter, rows_dim, row_key)
    if cols_dim is not None:
        f = key_filter(f, cols_dim, col_key)
    return f


def drill(bfilter: BookingFilter, tab: CrossTab, row: int | None, col: int | None, *,
          before: bool = False) -> BookingFilter:
    """The list's filter for the cross-tab TAB's number at ROW, COL (positions in its
    row_keys and col_keys; None for the total over that side); with BEFORE, the earlier
    period's number beside it. A day, week or month of this period stands for the earlier
    period's bucket in the same place, as the comparison matched them."""
    f = bfilter
    if before:
        if tab.compare is None:
            raise Refused("This cross-tab compares nothing: it has no earlier numbers.")
        f = before_filter(bfilter, tab.compare)
    for dim_name, keys, at in ((tab.rows_dim, tab.row_keys, row),
                               (tab.cols_dim, tab.col_keys, col)):
        if at is None:
            continue
        key = keys[at]
        dim = DIMENSIONS[dim_name]
        if before and dim.time:
            key = _matched(dim, tab.period, tab.before_period, tab.compare).get(key)
            if key is None:  # this period has more buckets than the earlier one
                return _nothing(f)
        f = key_filter(f, dim_name, key)
    return f


# --- the timeline ---------------------------------------------------------------------

GRAINS = ("day", "week", "month")  # the time dimensions a timeline runs along
TIMELINE_MEASURES = ("bookings", "to_pay", "paid", "unpaid")  # what adds up in a stack


def timeline(con: Connection, user: User, bfilter: BookingFilter, grain: str = "month",
             split: str = "source", measure: str = "bookings",
             today: date | None = None) -> list[dict]:
    """The measure per day, week or month of visit, split by a dimension: the cross-tab
    of GRAIN by SPLIT, as points for a chart, by period and then in the split's order.

    Each point is {"period": the bucket's first day, "label": the bucket as the cross-tab
    names it (2024-05, 2024-W18, 2024-05-01), "series": the split's label, "value": the
    cell, "share": its part of the period's sum}; cells of 0 are left out.
    The cross-tab's rules hold: under a multi-valued split (booking category) a booking
    counts under each of its values, so a period's values may add up to more than its
    bookings; shares are of that sum, as a stack drawn to 100 % shows them.
    """
    if grain not in GRAINS:
        raise Refused(f"A timeline runs per {', '.join(GRAINS)}, not {grain!r}.")
    if split not in DIMENSIONS or DIMENSIONS[split].time:
        splits = [name for name, d in DIMENSIONS.items() if not d.time]
        raise Refused(f"A timeline is split by one of {', '.join(splits)}, not {split!r}.")
    if measure not in TIMELINE_MEASURES:
        raise Refused(f"A timeline shows one of {', '.join(TIMELINE_MEASURES)} (they add up "
                      f"in a stack), not {measure!r}.")
    tab = pivot(con, user, bfilter, rows=grain, cols=split, measure=measure, today=today)
    points = []
    for period, name, values in zip(tab.row_keys, tab.row_labels, tab.cells, strict=True):
        whole = sum(values)
        points += [{"period": period, "label": name, "series": label, "value": value,
                    "share": round(value / whole, 4) if whole else None}
                   for label, value in zip(tab.col_labels, values, strict=True) if value]
    return points
