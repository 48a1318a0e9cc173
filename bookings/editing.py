"""Changing a booking, and creating one, from the calendar's form or the CLI.

A draft is checked by the rules an upload's rows meet (same rules, same
messages: `bookings.booking_rules`), on its typed values, so a booking cannot
be saved in a shape an upload would refuse, and a price is saved as typed.
Saving compares the booking's version with the one the form started from:
if someone else changed it meanwhile, nothing is overwritten and the caller
is told what changed and who changed it. Two saves at the same moment (one
store, many cursors) are one of those: DuckDB refuses the later writer's
transaction ("Conflict on update", or the history row's id taken), the save
is tried again, and then sees the winner's version. Every save writes a
history row with each field's old and new value.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import TypeVar

import duckdb

from bookings import catalog, history, listing
from bookings.errors import Conflict, MissingRight, Refused
from bookings.filters import PAID_FULL_SQL, BookingFilter
from bookings.model import SYSTEM, Attendance, Right, Source, User
from bookings.store import Connection, dialect, next_id, transaction
from bookings.uploads.batch import Issue
from bookings.uploads.rules import DEFAULT_LENGTH_S, BookingChecks, Catalog
from bookings.values import MAX_AMOUNT, to_cent


class EditRefused(Refused):
    """The change is refused; the message says why."""


class EditConflict(EditRefused, Conflict):
    """Someone else changed the booking after the form opened."""

    def __init__(self, booking_id: int, changed: dict, by: list[str] | None = None):
        self.changed = changed  # field -> [what the form started from, what it is now]
        self.by = by or []  # who changed it meanwhile (logins, latest first)
        fields = ", ".join(f"{name} ({old} → {new})" for name, (old, new) in changed.items())
        who = " and ".join(self.by) or "someone else"
        super().__init__(f"Booking {booking_id} was changed by {who} while you edited "
                         f"it: {fields or 'its details'}. Nothing was saved; reopen it to see "
                         "the current version.")


@dataclass(frozen=True)
class Draft:
    """What the form shows and edits: a booking in plain values."""

    visit_at: datetime
    staff_id: int
    length_s: int
    client_name: str
    client_phone: str
    attendance: int = int(Attendance.PENDING)
    services: tuple[tuple[int, float, float], ...] = ()  # (service id, cost, discount)
    categories: tuple[int, ...] = ()
    paid: float = 0.0
    comment: str = ""


@dataclass
class Saved:
    booking: dict  # as a list row
    warnings: list[Issue] = field(default_factory=list)


# --- reading ---------------------------------------------------------------------


def current(con: Connection, booking_id: int, user: User = SYSTEM) -> tuple[Draft, int]:
    """The booking as a draft, and its version (what a form starts from)."""
    row = _list_row(con, booking_id, user)
    draft = Draft(
        visit_at=row["visit_at"], staff_id=row["staff_id"], length_s=row["length_s"],
        client_name=row["client_name"], client_phone=_full_phone(con, booking_id),
        attendance=row["attendance"],
        services=tuple((s["id"], float(s["cost"]), float(s["discount"]))
                       for s in row["services"]),
        categories=tuple(c["id"] for c in row["categories"]), paid=float(row["paid"]),
        comment=row["comment"])
    return draft, row["version"]


def _list_row(con: Connection, booking_id: int, user: User) -> dict:
    where, params = listing.scoped_where(user, BookingFilter())
    rows = con.execute(listing.rows_sql(user, f"b.id = ? AND ({where})", "b.id", dialect(con)),
                       [booking_id, *params, 1, 0])
    names = [d[0] for d in rows.description]
    found = rows.fetchall()
    if not found:
        raise EditRefused(f"There is no booking {booking_id} (or it is outside what you may see).")
    return listing.as_list_row(dict(zip(names, found[0], strict=True)))


def _full_phone(con: Connection, booking_id: int) -> str:
    return con.execute("SELECT c.phone FROM bookings b JOIN clients c ON c.id = b.client_id "
                       "WHERE b.id = ?", [booking_id]).fetchall()[0][0]


def day(con: Connection, user: User, on: datetime, days: int = 1,
        staff: tuple[int, ...] = ()) -> list[dict]:
    """The calendar's bookings: not deleted, visits from ON for DAYS days."""
    bfilter = BookingFilter(visit_from=on.date(), visit_to=(on + timedelta(days=days - 1)).date(),
                            cancelled="no", staff=staff)
    return listing.page(con, user, bfilter, sort="visit_at", descending=False, limit=10_000)


# --- what a form leaves out -----------------------------------------------------------

LENGTH_STEP_MIN = DEFAULT_LENGTH_S // 60  # lengths go in these steps, from one step up


def with_list_prices(con: Connection, services) -> tuple[tuple[int, float, float], ...]:
    """Service lines (id, price or None, discount) with no price priced at the service's
    list price: what the calendar's form and `bookings edit` leave out. A service that
    does not exist gets 0, for the booking rules to name it."""
    prices = {s["id"]: s["price"] for s in catalog.services(con)}
    return tuple((service_id, float(prices.get(service_id, 0)) if price is None else price,
                  discount) for service_id, price, discount in services)


def new_booking_length(con: Connection, service_ids) -> int:
    """A new booking lasts its services together, and at least the default length."""
    durations = {s["id"]: s["duration_s"] for s in catalog.services(con)}
    return max(DEFAULT_LENGTH_S, sum(durations[i] for i in service_ids))


# --- checking --------------------------------------------------------------------


def check(con: Connection, draft: Draft, *, booking_id: int | None = None) -> tuple:
    """The booking rules (the upload's, on typed values): (parsed booking or None, issues)."""
    rules = BookingChecks(Catalog.load(con))
    visit_at = rules.check_visit(draft.visit_at)
    staff_id = rules.check_staff(draft.staff_id)
    client = rules.check_client(draft.client_phone.strip(), draft.client_name.strip())
    length_s = rules.check_length(draft.length_s)
    lines = rules.check_lines([s for s, _, _ in draft.services],
                              [to_cent(c) for _, c, _ in draft.services],
                              [to_cent(d) for _, _, d in draft.services])
    attendance = rules.check_attendance(draft.attendance)
    parsed = rules.booking(visit_at, length_s, staff_id, client, attendance,
                           draft.comment.strip(), lines)
    issues = list(rules.issues)
    if not 0 <= to_cent(draft.paid) < MAX_AMOUNT:
        issues.append(Issue(1, "Paid", f"{draft.paid:g} is not an amount from 0"))
    if parsed is not None:
        issues += _overlaps(con, parsed.staff_id, parsed.visit_at, parsed.length_s, booking_id)
    return (None if any(i.level == "error" for i in issues) else parsed), issues


def _overlaps(con: Connection, staff_id: int, start: datetime, length_s: int,
              booking_id: int | None) -> list[Issue]:
    """One warning, about this booking alone: the bookings of its employee it now overlaps.

    Overlaps the booking already had where it is stored (same employee, and
    overlapping its stored time) are not the save's doing, so they are left
    out: saving a status on an overbooked booking warns of nothing, and
    neither do overlaps among other bookings.
    """
    end = start + timedelta(seconds=length_s)
    rows = con.execute("""
        SELECT o.id, o.visit_at, o.visit_at + to_seconds(o.length_s), count(*) OVER ()
        FROM bookings o
        WHERE o.staff_id = ? AND NOT o.deleted AND o.id IS DISTINCT FROM ?
          AND o.visit_at < ? AND o.visit_at + to_seconds(o.length_s) > ?
          AND NOT EXISTS (SELECT 1 FROM bookings b
                          WHERE b.id = ? AND b.staff_id = o.staff_id AND NOT b.deleted
                            AND o.visit_at < b.visit_at + to_seconds(b.length_s)
                            AND o.visit_at + to_seconds(o.length_s) > b.visit_at)
        ORDER BY o.visit_at, o.id LIMIT ?
    """, [staff_id, booking_id, end, start, booking_id, _OVERLAPS_NAMED]).fetchall()
    if not rows:
        return []
    named = [f"{other} ({at:%H:%M}–{until:%H:%M})" for other, at, until, _ in rows]
    if rows[0][3] > len(rows):
        named.append(f"{rows[0][3] - len(rows)} more")
    listed = ", ".join(named[:-1]) + " and " + named[-1] if len(named) > 1 else named[0]
    this = f"Booking {booking_id}" if booking_id is not None else "The new booking"
    which = "booking" if rows[0][3] == 1 else "bookings"
    return [Issue(1, "Date", f"{this} ({start:%d.%m.%Y %H:%M}–{end:%H:%M}) overlaps {which} "
                  f"{listed} of the same employee", "warning")]


_OVERLAPS_NAMED = 3


# --- saving ------------------------------------------------------------------------


def save(con: Connection, user: User, booking_id: int, draft: Draft, *, started_from: Draft,
         version: int, now: datetime | None = None) -> Saved:
    """Save a changed booking, unless someone else changed it since `version`."""
    user.require(Right.EDIT_BOOKINGS)
    parsed, issues = check(con, draft, booking_id=booking_id)
    if parsed is None:
        raise EditRefused("; ".join(f"{i.column}: {i.message}" for i in issues
                                    if i.level == "error"))
    _stays_in_sight(user, parsed, f"Booking {booking_id}")
    now = now or datetime.now()
    limits, limit_params = listing.limits_where(user)

    def attempt() -> bool:
        with transaction(con):
            # Visible as the list shows it (viewing period, scope): what it hides
            # cannot be changed either, and is answered like a booking that is not there.
            state = con.execute(f"SELECT version, deleted, attendance, {PAID_FULL_SQL} "
                                f"FROM bookings b WHERE id = ? AND {limits or 'TRUE'}"
                                f"{dialect(con).for_update('b')}",
                                [booking_id, *limit_params]).fetchall()
            if not state:
                raise EditRefused(f"There is no booking {booking_id} (or it is outside what "
                                  "you may see).")
            now_version, deleted, attendance, paid_full = state[0]
            if deleted:
                raise EditRefused(f"Booking {booking_id} is deleted: a deleted booking cannot "
                                  "be changed or restored, only a new one created.")
            if now_version != version:
                now_draft, _ = current(con, booking_id)
                raise EditConflict(booking_id, _as_seen(user, diff(started_from, now_draft)),
                                   history.changed_by(con, booking_id, now_version - version))
            _require_change_rights(user, attendance, paid_full)
            before, _ = current(con, booking_id)
            changes = diff(before, draft)
            if not changes:
                return False
            history.record_snapshots(con, [booking_id], action="edited", actor=user,
                                     operation_id=history.new_operation_id(), at=now,
                                     changes=changes)
            _write(con, booking_id, parsed, draft, now, version_sql="version + 1")
            return True

    _racing(attempt, f"Booking {booking_id}")
    return Saved(_list_row(con, booking_id, user), issues)


def create(con: Connection, user: User, draft: Draft, *, now: datetime | None = None) -> Saved:
    """A new booking made by a user: offline, source admin, created by the user."""
    user.require(Right.EDIT_BOOKINGS)
    parsed, issues = check(con, draft)
    if parsed is None:
        raise EditRefused("; ".join(f"{i.column}: {i.message}" for i in issues
                                    if i.level == "error"))
    _stays_in_sight(user, parsed, "The new booking")
    now = now or datetime.now()

    with transaction(con):  # new rows only: no other save can conflict with them
        booking_id = next_id(con, "bookings")
        con.execute("""
            INSERT INTO bookings (id, visit_at, length_s, staff_id, client_id, attendance,
                                  online, source, created_at, created_by, last_change_at)
            VALUES (?, ?, 900, 0, 0, 0, FALSE, ?, ?, ?, ?)
        """, [booking_id, parsed.visit_at, Source.ADMIN.value, now, user.id, now])
        _write(con, booking_id, parsed, draft, now, version_sql="1")
        con.execute("""
            INSERT INTO booking_history (id, booking_id, changed_at, actor_id, actor_login,
                                         action, operation_id, changes)
            VALUES (?, ?, ?, ?, ?, 'created', ?, NULL)
        """, [next_id(con, "booking_history"), booking_id, now, user.id, user.login,
              history.new_operation_id()])
    return Saved(_list_row(con, booking_id, user), issues)


# --- saves at the same moment --------------------------------------------------------

_T = TypeVar("_T")
_ATTEMPTS = 25


def _racing(attempt: Callable[[], _T], what: str) -> _T:
    """Run a save's transaction; when another save at the same moment made DuckDB
    refuse it, wait a little and run it again: it then sees what the other one
    saved (a changed version answers EditConflict)."""
    for tries in range(1, _ATTEMPTS + 1):
        try:
            return attempt()
        except duckdb.TransactionException as refused:
            if not _is_race(refused):
                raise
            if tries == _ATTEMPTS:
                raise EditRefused(f"{what} could not be saved: others were saving at the same "
                                  "moment. Nothing was saved; try again.") from refused
            time.sleep(random.uniform(0.001, 0.004) * min(tries, 10))
    raise AssertionError("not reached")


def _is_race(refused: duckdb.TransactionException) -> bool:
    """A write-write conflict: another save changed the same row first."""
    return "conflict" in str(refused).lower()


def _as_seen(user: User, changed: dict) -> dict:
    """A conflict's fields as this user may see them: phones masked as in the list."""
    if listing.can_see_phones(user) or "client_phone" not in changed:
        return changed
    return {**changed, "client_phone": [listing.mask_phone(p) for p in changed["client_phone"]]}


def _stays_in_sight(user: User, parsed, what: str) -> None:
    """Refuse a booking the user could not see once saved: moved to another employee
    by someone who sees their own only, or before their viewing period."""
    reason = listing.outside_limits(user, parsed.visit_at, parsed.staff_id)
    if reason:
        raise EditRefused(f"{what} would be outside what you may see ({reason}); "
                          "nothing was saved.")


def _require_change_rights(user: User, attendance: int, paid_full: bool) -> None:
    if attendance == Attendance.ARRIVED and not user.can(Right.DELETE_ARRIVED):
        _refuse_change("This booking is Arrived", Right.DELETE_ARRIVED)
    if paid_full and not user.can(Right.DELETE_PAID):
        _refuse_change("This booking is paid in full", Right.DELETE_PAID)


def _refuse_change(why: str, right: Right) -> None:
    raise MissingRight(f"{why}: changing it needs the right to {right.description}, which "
                       "your account does not have.", right)


def _write(con: Connection, booking_id: int, parsed, draft: Draft, now: datetime, *,
           version_sql: str) -> None:
    client_id = parsed.client_id if parsed.client_id is not None else _new_client(
        con, parsed.client_name, parsed.phone)
    to_pay = parsed.to_pay
    con.execute(f"""
        UPDATE bookings SET visit_at = ?, length_s = ?, staff_id = ?, client_id = ?,
               attendance = ?, comment = ?, to_pay = ?, paid = ?, service_count = ?,
               last_change_at = ?, version = {version_sql}
        WHERE id = ?
    """, [parsed.visit_at, parsed.length_s, parsed.staff_id, client_id, int(parsed.attendance),
          parsed.comment, to_pay, draft.paid, len(parsed.lines), now, booking_id])
    lines = [[booking_id, n, sid, title, category, cost, discount,
              to_cent(cost - discount)]
             for n, (sid, title, category, cost, discount) in enumerate(parsed.lines, start=1)]
    links = [[booking_id, c] for c in sorted(set(draft.categories))]
    con.execute("DELETE FROM booking_services WHERE booking_id = ?", [booking_id])
    if lines:
        con.executemany("INSERT INTO booking_services VALUES (?, ?, ?, ?, ?, ?, ?, ?)", lines)
    con.execute("DELETE FROM booking_category_links WHERE booking_id = ?", [booking_id])
    if links:
        con.executemany("INSERT INTO booking_category_links VALUES (?, ?)", links)


def _new_client(con: Connection, name: str, phone: str) -> int:
    client_id = next_id(con, "clients")
    con.execute("INSERT INTO clients (id, name, phone) VALUES (?, ?, ?)", [client_id, name, phone])
    return client_id


def diff(before: Draft, after: Draft) -> dict:
    """Each field that differs: [old, new], as JSON-friendly values."""
    old, new = asdict(before), asdict(after)
    return {name: [_plain(old[name]), _plain(new[name])] for name in old
            if old[name] != new[name]}


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def with_changes(draft: Draft, **changes) -> Draft:
    return replace(draft, **changes)
