"""Deleting bookings: one, many, or all that match a filter.

Deletion flags a booking; it never removes it, and nothing restores it. Each
booking is checked on its own against the user's rights: paid-in-full ones
need the "delete paid" right, Arrived ones the "delete Arrived" right. What
may go goes, in one transaction with its history rows and one Data log
entry; what may not is reported with the reason.

Two users deleting overlapping selections at once: DuckDB refuses the second
writer of a row with a transaction conflict; the operation is then run again
from the start, and finds those bookings already deleted, by whom.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from bookings import listing
from bookings.errors import Conflict, NotFound, Refused
from bookings.filters import PAID_FULL_SQL, BookingFilter
from bookings.history import new_operation_id, record_snapshots
from bookings.model import Attendance, Right, User
from bookings.store import Connection, dialect, next_id, transaction

RETRIES = 5


@dataclass
class DeleteResult:
    operation_id: str
    deleted: list[int] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)  # {"id": 19, "reason": "..."}
    log_id: int | None = None

    def as_json(self) -> dict:
        return {"deleted": self.deleted, "skipped": self.skipped, "operation": self.operation_id,
                "log_id": self.log_id}

    def summary(self) -> str:
        """The outcome in one sentence, for the page and the CLI."""
        parts = [f"{len(self.deleted):,} booking{'s' if len(self.deleted) != 1 else ''} deleted"]
        if self.skipped:
            parts.append(f"{len(self.skipped):,} left as they were")
        return "; ".join(parts) + "."


def delete_bookings(con: Connection, user: User, booking_ids: list[int], *,
                    what: str | None = None, now: datetime | None = None) -> DeleteResult:
    """Delete what the user may of these bookings; explain the rest."""
    user.require(Right.DELETE_BOOKINGS)
    ids = sorted(set(booking_ids))
    if not ids:
        raise Refused("No bookings selected.")
    for attempt in range(RETRIES):
        try:
            return _delete_once(con, user, ids, what=what, now=now or datetime.now())
        except duckdb.TransactionException:
            # Another writer changed one of these rows first: start over, and the
            # bookings it deleted are reported as already deleted.
            if attempt == RETRIES - 1:
                raise Conflict(
                    "Others are changing these bookings right now; nothing was deleted. "
                    "Try again in a moment.") from None
    raise AssertionError("not reached")


def matching_deletable(con: Connection, user: User, bfilter: BookingFilter) -> int | None:
    """What "Delete all matching" offers for this filter: None when it is not offered at
    all (it needs a filter: the whole list is never deleted at once), else how many
    bookings it would take (0 without the delete right, or when the filter shows
    cancelled bookings only). Each is still checked when deleted (paid, Arrived)."""
    if bfilter.is_empty():
        return None
    if not user.can(Right.DELETE_BOOKINGS) or bfilter.cancelled == "yes":
        return 0
    return listing.count(con, user, bfilter.narrowed(cancelled="no"))


def delete_matching(con: Connection, user: User, bfilter: BookingFilter, *,
                    now: datetime | None = None) -> DeleteResult:
    """Delete every booking the user can see that matches the filter (checked one by one)."""
    user.require(Right.DELETE_BOOKINGS)
    where, params = listing.scoped_where(user, bfilter)
    ids = [i for (i,) in con.execute(
        f"SELECT b.id FROM bookings b WHERE ({where}) AND NOT b.deleted", params).fetchall()]
    if not ids:
        raise NotFound("No bookings match this filter (cancelled ones are already deleted).")
    return delete_bookings(con, user, ids, what=bfilter.words(listing.names(con)), now=now)


def _delete_once(con: Connection, user: User, ids: list[int], *, what: str | None,
                 now: datetime) -> DeleteResult:
    result = DeleteResult(new_operation_id())
    with transaction(con):
        allowed, result.skipped = _check_each(con, user, ids)
        record_snapshots(con, allowed, action="deleted", actor=user,
                         operation_id=result.operation_id, at=now,
                         changes={"deleted": [False, True]})
        if allowed:
            con.execute("""
                UPDATE bookings SET deleted = TRUE, deleted_at = ?, deleted_by = ?,
                       delete_operation = ?, last_change_at = ?, version = version + 1
                WHERE id IN (SELECT unnest(?::BIGINT[])) AND NOT deleted
            """, [now, user.id, result.operation_id, now, allowed])
        result.deleted = allowed
        result.log_id = _log(con, user, result, what or _ids_in_words(ids), now)
    return result


def _check_each(con: Connection, user: User, ids: list[int]) -> tuple[list[int], list[dict]]:
    """Split the ids into those the user may delete and the others, with the reason."""
    # The list's own limits (viewing period, scope): what it hides cannot be deleted.
    limits, limit_params = listing.limits_where(user)
    rows = con.execute(f"""
        SELECT b.id, b.deleted, b.deleted_at, u.login, b.attendance, {PAID_FULL_SQL},
               {limits or "TRUE"} AS visible
        FROM bookings b LEFT JOIN users u ON u.id = b.deleted_by
        WHERE b.id IN (SELECT unnest(?::BIGINT[])){dialect(con).for_update("b")}
    """, [*limit_params, ids]).fetchall()
    found = {row[0]: row for row in rows}
    allowed, skipped = [], []
    for booking_id in ids:
        reason = _refusal(user, found.get(booking_id))
        if reason:
            skipped.append({"id": booking_id, "reason": reason})
        else:
            allowed.append(booking_id)
    return allowed, skipped


def _refusal(user: User, row: tuple | None) -> str | None:
    """Why this user may not delete this booking, or None when they may."""
    if row is None or not row[6]:
        return "no such booking (or outside what you may see)"
    _, deleted, deleted_at, deleted_by, attendance, paid_full, _ = row
    if deleted:
        return f"already deleted by {deleted_by or 'someone'} on {deleted_at:%d.%m.%Y %H:%M}"
    if paid_full and not user.can(Right.DELETE_PAID):
        return "paid in full: you may not delete paid bookings"
    if attendance == Attendance.ARRIVED and not user.can(Right.DELETE_ARRIVED):
        return "status Arrived: you may not delete Arrived bookings"
    return None


def _ids_in_words(ids: list[int]) -> str:
    shown = ", ".join(str(i) for i in ids[:10])
    more = f" and {len(ids) - 10:,} more" if len(ids) > 10 else ""
    return f"booking{'s' if len(ids) > 1 else ''} {shown}{more}"


def _log(con: Connection, user: User, result: DeleteResult, what: str, now: datetime) -> int:
    log_id = next_id(con, "data_log")
    con.execute("""
        INSERT INTO data_log (id, requested_at, user_id, user_login, kind, what, filter, rows,
                              rows_left_out, state, operation_id, finished_at)
        VALUES (?, ?, ?, ?, 'delete', ?, ?, ?, ?, 'done', ?, ?)
    """, [log_id, now, user.id, user.login, what,
          json.dumps({"skipped": result.skipped[:1000]}), len(result.deleted),
          len(result.skipped), result.operation_id, now])
    return log_id
