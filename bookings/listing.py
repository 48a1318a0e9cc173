"""The bookings list: the rows, totals and facets a user may see (its timeline is a
cross-tab: `pivot.timeline`).

Every query here is `bookings b` narrowed by the user's `BookingFilter` and by
the user's own limits (viewing period; scope: all bookings, or only those made
to the user's employee; phone search needs the phone right).
Paging and sorting happen in DuckDB: only the page on screen is fetched.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from bookings import catalog
from bookings.errors import Forbidden
from bookings.filters import PAID_FULL_SQL, PAYMENT_CODE_SQL, BookingFilter, Names
from bookings.model import Attendance, Right, Scope, User
from bookings.store import DUCKDB, Connection, Dialect, dialect
from bookings.values import plain_amount

PAGE_SIZES = (50, 100, 500)

# Sortable columns: name -> SQL over `bookings b`. Names are the list's keys.
SORT_COLUMNS = {
    "id": "b.id",
    "visit_at": "b.visit_at",
    "length_s": "b.length_s",
    "staff_name": "(SELECT name FROM staff WHERE id = b.staff_id)",
    "client_name": "(SELECT name FROM clients WHERE id = b.client_id)",
    "status": "b.attendance",
    "source": "b.source",
    "created_at": "b.created_at",
    "total_to_pay": "b.to_pay",
    "paid": "b.paid",
    "deleted_at": "b.deleted_at",
}
DEFAULT_SORT = "visit_at"

PAYMENT_LABELS = ("nothing to pay", "paid in full", "not paid in full")


# --- scope: what this user may see ----------------------------------------------


def earliest_visible_visit(user: User, today: date | None = None) -> datetime | None:
    """The viewing period as a bound on visit time; None when unlimited.

    The period counts days into the past from today; future visits stay visible.
    """
    if user.viewing_period_days is None:
        return None
    today = today or date.today()
    return datetime.combine(today - timedelta(days=user.viewing_period_days), time.min)


def sees_own_only(user: User) -> bool:
    """Whether the user's scope is 'own': the bookings made to their linked employee."""
    return user.scope == Scope.OWN


NO_EMPLOYEE_NOTICE = (
    "You see no bookings: you may see only the bookings made to your own employee, and "
    "your account is not linked to an employee yet. Ask the salon's owner to link it in "
    "Settings > Users and rights.")


def scope_notice(user: User) -> str | None:
    """Why this user sees no bookings at all whatever the filter, or None: the words the
    pages and the command show, so nobody takes an empty list for an empty salon."""
    if sees_own_only(user) and user.staff_id is None:
        return NO_EMPLOYEE_NOTICE
    return None


def scope_in_words(con: Connection, user: User) -> str | None:
    """'bookings made to Anna Smith' for a user who sees their own only; None otherwise."""
    if not sees_own_only(user):
        return None
    if user.staff_id is None:
        return "bookings made to the user's employee, and none is linked"
    name = catalog.staff_names(con).get(user.staff_id, f"employee {user.staff_id}")
    return f"bookings made to {name}"


def limits_where(user: User, today: date | None = None) -> tuple[str | None, list]:
    """What the user may see of `bookings b`, whatever the filter: the viewing period
    and the scope, as SQL with its parameters; None when they may see every booking.

    Own with no linked employee is FALSE: nothing, rather than everything.
    """
    clauses, params = [], []
    since = earliest_visible_visit(user, today)
    if since is not None:
        clauses.append("b.visit_at >= ?")
        params.append(since)
    if sees_own_only(user) and user.staff_id is None:
        clauses.append("FALSE")
    elif sees_own_only(user):
        clauses.append("b.staff_id = ?")
        params.append(user.staff_id)
    return (" AND ".join(clauses) or None), params


def outside_limits(user: User, visit_at: datetime, staff_id: int,
                   today: date | None = None) -> str | None:
    """Why a booking with this visit and employee would be outside what the user may
    see (a save must not move a booking out of their sight), or None."""
    since = earliest_visible_visit(user, today)
    if since is not None and visit_at < since:
        return f"visits before {since:%d.%m.%Y} are outside your viewing period"
    if sees_own_only(user) and staff_id != user.staff_id:
        return "you may see only the bookings made to your own employee" + (
            "" if user.staff_id is not None else ", and your account is not linked to one")
    return None


def can_see_phones(user: User) -> bool:
    return user.can(Right.SEE_PHONES)


def scoped_where(
    user: User, bfilter: BookingFilter, today: date | None = None
) -> tuple[str, list]:
    """The filter's WHERE plus the user's limits, checked here on the server side.

    SYSTEM (the CLI without --user, benchmarks) sees it all: every right, no limits.
    """
    user.require(Right.VIEW_BOOKINGS)
    if bfilter.searches_phone and not can_see_phones(user):
        raise Forbidden(
            "You may not search by phone number: phone numbers are hidden for you. "
            "Search by the client's name instead."
        )
    sql, params = bfilter.where()
    limits, limit_params = limits_where(user, today)
    if limits is not None:
        sql, params = f"({sql}) AND {limits}", [*params, *limit_params]
    return sql, params


# Phone masking, the one rule: a phone is shown as its first and last MASK_KEPT
# digits with a star for each digit between; a phone too short to keep both ends
# is all stars. The SQL and the Python below are that rule for a column and for a
# value; tests run both over the same phones.
MASK_KEPT = 2


def phone_sql(user: User) -> str:
    """The client's phone as this user may see it: masked keeps the first and last two."""
    return "c.phone" if can_see_phones(user) else masked_phone_sql("c.phone")


def masked_phone_sql(column: str) -> str:
    """SQL for COLUMN's phone masked (mask_phone in SQL)."""
    kept = MASK_KEPT
    return (f"CASE WHEN length({column}) <= {2 * kept} THEN repeat('*', length({column})) "
            f"ELSE left({column}, {kept}) || repeat('*', length({column}) - {2 * kept}) "
            f"|| right({column}, {kept}) END")


def mask_phone(phone: str) -> str:
    """PHONE masked (masked_phone_sql in Python)."""
    kept = MASK_KEPT
    if len(phone) <= 2 * kept:
        return "*" * len(phone)
    return phone[:kept] + "*" * (len(phone) - 2 * kept) + phone[-kept:]


# --- the list -------------------------------------------------------------------


def count(con: Connection, user: User, bfilter: BookingFilter,
          today: date | None = None) -> int:
    where, params = scoped_where(user, bfilter, today)
    return con.execute(f"SELECT count(*) FROM bookings b WHERE {where}", params).fetchone()[0]


def order_by(sort: str = DEFAULT_SORT, descending: bool = True) -> str:
    if sort not in SORT_COLUMNS:
        raise ValueError(f"Cannot sort by {sort!r}; choose one of {', '.join(SORT_COLUMNS)}.")
    direction = "DESC" if descending else "ASC"
    # The id breaks ties, so pages never overlap or skip rows.
    return f"{SORT_COLUMNS[sort]} {direction} NULLS LAST, b.id {direction}"


def rows_sql(user: User, where: str, order: str, sql: Dialect = DUCKDB) -> str:
    """The list's rows for a WHERE and ORDER BY over `bookings b`; LIMIT/OFFSET are ? ?.
    SQL: the engine's dialect (a booking's service lines and categories are lists of
    records: DuckDB's structs, PostgreSQL's json).

    The page is picked from `bookings` alone, then only its rows are joined to
    names, service lines and categories.
    """
    return f"""
        WITH page AS (
            SELECT b.* FROM bookings b WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?
        ),
        lines AS (
            SELECT booking_id, {sql.records({"id": "service_id", "title": "title",
                                             "cost": "cost", "discount": "discount",
                                             "to_pay": "to_pay"}, "line_no")} AS services
            FROM booking_services WHERE booking_id IN (SELECT id FROM page)
            GROUP BY booking_id
        ),
        labels AS (
            SELECT l.booking_id, {sql.records({"id": "bc.id", "title": "bc.title",
                                               "color": "bc.color"}, "bc.id")} AS categories
            FROM booking_category_links l JOIN booking_categories bc ON bc.id = l.category_id
            WHERE l.booking_id IN (SELECT id FROM page)
            GROUP BY l.booking_id
        )
        SELECT b.id, b.visit_at, b.length_s, b.staff_id, s.name AS staff_name,
               c.name AS client_name, {phone_sql(user)} AS client_phone,
               b.attendance, b.online, b.source, b.created_at, creator.login AS created_by,
               coalesce(lines.services, {sql.empty_list}) AS services,
               b.to_pay AS total_to_pay, b.paid, {PAID_FULL_SQL} AS paid_full,
               coalesce(labels.categories, {sql.empty_list}) AS categories,
               b.comment, b.deleted, b.deleted_at, deleter.login AS deleted_by,
               b.last_change_at, b.version
        FROM page b
        LEFT JOIN staff s ON s.id = b.staff_id
        LEFT JOIN clients c ON c.id = b.client_id
        LEFT JOIN users creator ON creator.id = b.created_by
        LEFT JOIN users deleter ON deleter.id = b.deleted_by
        LEFT JOIN lines ON lines.booking_id = b.id
        LEFT JOIN labels ON labels.booking_id = b.id
        ORDER BY {order}
    """


def page(
    con: Connection,
    user: User,
    bfilter: BookingFilter,
    *,
    sort: str = DEFAULT_SORT,
    descending: bool = True,
    limit: int = 100,
    offset: int = 0,
    today: date | None = None,
) -> list[dict]:
    """One page of the list, as rows in the shape of `bookings list --json`."""
    if limit < 1 or offset < 0:
        raise ValueError("limit must be 1 or more and offset 0 or more.")
    where, params = scoped_where(user, bfilter, today)
    cur = con.execute(rows_sql(user, where, order_by(sort, descending), dialect(con)),
                      [*params, limit, offset])
    names = [d[0] for d in cur.description]
    return [as_list_row(dict(zip(names, row, strict=True))) for row in cur.fetchall()]


def as_list_row(row: dict) -> dict:
    row["status"] = Attendance(row["attendance"]).label
    row["services"] = [{**line, **_money(line, "cost", "discount", "to_pay")}
                       for line in row["services"]]
    row["categories"] = [dict(c) for c in row["categories"]]
    row.update(_money(row, "total_to_pay", "paid"))
    return row


def _money(row: dict, *keys: str) -> dict:
    return {key: plain_amount(row[key]) for key in keys}


def listing(con: Connection, user: User, bfilter: BookingFilter, **page_args) -> dict:
    """`{"total": N, "rows": [...]}`, as `bookings list --json` prints it."""
    today = page_args.get("today")
    return {"total": count(con, user, bfilter, today),
            "rows": page(con, user, bfilter, **page_args)}


# --- the numbers ------------------------------------------------------------------

FACETS = ("source", "payment", "status", "staff")


def summary(con: Connection, user: User, bfilter: BookingFilter,
            today: date | None = None) -> dict:
    """Totals and facet counts of the filtered set, in one scan.

    Money counts bookings that are not cancelled: a deleted booking earns nothing.
    """
    where, params = scoped_where(user, bfilter, today)
    # Two steps: the bookings grouped by all four facets at once (one scan, a few
    # thousand groups, the money summed once per booking; PostgreSQL runs it in
    # parallel), then the facets and the totals (the empty set) from those groups.
    # Payment groups by a small code, not by its label text.
    rows = con.execute(f"""
        WITH g AS (
            SELECT b.source, {PAYMENT_CODE_SQL} AS payment, b.attendance, b.staff_id,
                   count(*) AS bookings,
                   sum(b.to_pay) FILTER (WHERE NOT b.deleted) AS to_pay,
                   sum(b.paid) FILTER (WHERE NOT b.deleted) AS paid,
                   count(*) FILTER (WHERE NOT b.deleted AND b.to_pay > 0) AS payable,
                   count(*) FILTER (WHERE NOT b.deleted AND {PAID_FULL_SQL}) AS paid_full
            FROM bookings b WHERE {where}
            GROUP BY b.source, payment, b.attendance, b.staff_id
        )
        SELECT GROUPING_ID(source, payment, attendance, staff_id), source, payment,
               attendance, staff_id, CAST(coalesce(sum(bookings), 0) AS BIGINT),
               coalesce(sum(to_pay), 0), coalesce(sum(paid), 0),
               CAST(coalesce(sum(payable), 0) AS BIGINT),
               CAST(coalesce(sum(paid_full), 0) AS BIGINT)
        FROM g GROUP BY GROUPING SETS ((source), (payment), (attendance), (staff_id), ())
    """, params).fetchall()
    staff_names = catalog.staff_names(con)
    result = {"total": 0, "to_pay": 0, "paid": 0, "paid_full_share": None,
              "facets": {name: [] for name in FACETS}}
    # GROUPING_ID bits, leftmost argument highest: 0b0111 = grouped by source only.
    facet_of_grouping = {0b0111: "source", 0b1011: "payment", 0b1101: "status", 0b1110: "staff"}
    for grouping, source, payment, attendance, staff_id, n, to_pay, paid, payable, full in rows:
        if grouping == 0b1111:
            result.update(total=n, **_money({"to_pay": to_pay, "paid": paid}, "to_pay", "paid"),
                          paid_full_share=round(full / payable, 4) if payable else None)
            continue
        facet = facet_of_grouping[grouping]
        value = {"source": source,
                 "payment": PAYMENT_LABELS[payment] if payment is not None else None,
                 "status": Attendance(attendance).label if attendance is not None else None,
                 "staff": staff_names.get(staff_id, f"#{staff_id}")}[facet]
        entry = {"value": value, "count": n}
        if facet == "staff":
            entry["id"] = staff_id
        if facet == "status":
            entry["code"] = attendance
        result["facets"][facet].append(entry)
    for entries in result["facets"].values():
        entries.sort(key=lambda e: (-e["count"], str(e["value"])))
    return result


# --- names for words and widgets ----------------------------------------------------


def names(con: Connection) -> Names:
    """Current display names, for the filter in words."""
    return Names(
        staff=catalog.staff_names(con),
        service_categories=catalog.service_category_titles(con),
        booking_categories=catalog.booking_category_titles(con),
    )


def filter_choices(con: Connection) -> dict:
    """What the filter's pickers offer: {id: name} per facet, and the users' logins."""
    current = names(con)
    return {
        "staff": dict(sorted(current.staff.items(), key=lambda item: item[1])),
        "service_categories": dict(current.service_categories),
        "booking_categories": dict(current.booking_categories),
        "creators": [login for (login,) in
                     con.execute("SELECT login FROM users ORDER BY login").fetchall()],
    }
