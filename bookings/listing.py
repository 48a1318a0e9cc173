"""The bookings list: what a user may see of the store."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from bookings.auth import User
from bookings.store import Connection


def earliest_visible_visit(user: User, today: date | None = None) -> datetime | None:
    """The viewing period as a bound on visit time; None when unlimited."""
    if user.viewing_period_days is None:
        return None
    today = today or date.today()
    return datetime.combine(today - timedelta(days=user.viewing_period_days), time.min)


def totals(con: Connection, user: User, today: date | None = None) -> dict:
    """Bookings the user may see: all of them, and how many are deleted."""
    since = earliest_visible_visit(user, today)
    total, deleted = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE deleted) FROM bookings "
        "WHERE ?::TIMESTAMP IS NULL OR visit_at >= ?::TIMESTAMP",
        [since, since],
    ).fetchone()
    return {"total": total, "deleted": deleted, "since": since}
