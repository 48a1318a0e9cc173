"""A booking's history: who did what to it, when, in which operation.

Each row keeps a snapshot of the booking as it was at that moment, with the
names of that moment (employee, client, creator), so the record stays
readable after a rename or a deletion.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime

from bookings import listing
from bookings.errors import NotFound
from bookings.filters import BookingFilter
from bookings.model import SYSTEM, User
from bookings.store import Connection, dialect, new_ids


def new_operation_id() -> str:
    return uuid.uuid4().hex


def record_snapshots(con: Connection, booking_ids: list[int], *, action: str, actor: User,
                     operation_id: str, at: datetime, changes: dict | None = None) -> None:
    """One history row per booking, with the booking as it is now (call before changing it)."""
    if not booking_ids:
        return
    first_id = new_ids(con, "booking_history", len(booking_ids))
    rows = listing.rows_sql(SYSTEM, "b.id IN (SELECT unnest(?::BIGINT[]))", "b.id",
                            dialect(con))
    con.execute(f"""
        INSERT INTO booking_history (id, booking_id, changed_at, actor_id, actor_login, action,
                                     operation_id, snapshot, changes)
        SELECT ? + row_number() OVER (ORDER BY r.id) - 1, r.id, ?, ?, ?, ?, ?, to_json(r), ?
        FROM ({rows}) r
    """, [first_id, at, actor.id, actor.login, action, operation_id,
          json.dumps(changes) if changes else None, booking_ids, len(booking_ids), 0])


def changed_by(con: Connection, booking_id: int, changes: int) -> list[str]:
    """Who made the booking's last CHANGES recorded changes (each a version), latest first,
    each login once."""
    rows = con.execute(
        "SELECT actor_login FROM booking_history WHERE booking_id = ? "
        "AND action IN ('edited', 'deleted') ORDER BY changed_at DESC, id DESC LIMIT ?",
        [booking_id, max(changes, 1)]).fetchall()
    return list(dict.fromkeys(login for (login,) in rows if login))


def booking_info(con: Connection, booking_id: int, user: User = SYSTEM) -> dict:
    """The booking as the list shows it, and its history, oldest first.

    For a deleted booking, `deletion` says who, when, and how many bookings went
    in the same operation, with the booking as it was at that moment.
    """
    where = "b.id = ?"
    scope, params = listing.scoped_where(user, BookingFilter(), None)
    rows = con.execute(listing.rows_sql(user, f"({where}) AND ({scope})", "b.id", dialect(con)),
                       [booking_id, *params, 1, 0])
    names = [d[0] for d in rows.description]
    found = rows.fetchone()
    if found is None:
        raise NotFound(f"There is no booking {booking_id} (or it is outside what you may see).")
    booking = listing.as_list_row(dict(zip(names, found, strict=True)))
    history = [
        {"at": at, "actor": actor, "action": action, "operation": operation,
         "changes": json.loads(changes) if changes else None,
         "snapshot": json.loads(snapshot) if snapshot else None}
        for at, actor, action, operation, changes, snapshot in con.execute(
            "SELECT changed_at, actor_login, action, operation_id, changes, snapshot "
            "FROM booking_history WHERE booking_id = ? ORDER BY changed_at, id", [booking_id]
        ).fetchall()
    ]
    if not listing.can_see_phones(user):
        history = _masked_phones(history)
    info = {"booking": booking, "history": history}
    if booking["deleted"]:
        info["deletion"] = _deletion(con, booking, history)
    return info


def _masked_phones(value, phone: bool = False):
    """VALUE with every phone in it masked as the list masks it: a value under a key
    naming a phone (a snapshot's `client_phone`, a change's old and new `client_phone`)."""
    if isinstance(value, dict):
        return {key: _masked_phones(item, phone or "phone" in str(key).lower())
                for key, item in value.items()}
    if isinstance(value, list):
        return [_masked_phones(item, phone) for item in value]
    if phone and isinstance(value, str):
        return listing.mask_phone(value)
    return value


def _deletion(con: Connection, booking: dict, history: list[dict]) -> dict:
    """Who deleted the booking, when, with how many others, and how it was then."""
    (operation,) = con.execute("SELECT delete_operation FROM bookings WHERE id = ?",
                               [booking["id"]]).fetchone()
    together = 1
    if operation is not None:
        (together,) = con.execute("SELECT count(*) FROM bookings WHERE delete_operation = ?",
                                  [operation]).fetchone()
    recorded = next((h for h in reversed(history) if h["action"] == "deleted"), {})
    return {"by": booking["deleted_by"], "at": booking["deleted_at"], "operation": operation,
            "bookings_in_operation": together, "as_it_was": recorded.get("snapshot")}
