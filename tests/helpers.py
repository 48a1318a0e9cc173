"""Helpers the test modules share."""

from __future__ import annotations


def stored(con, batch_id: int) -> list[dict]:
    """The bookings a batch wrote, as the list would show them, in file order."""
    rows = con.execute("""
        SELECT b.id, b.visit_at, b.staff_id, c.phone, c.name, b.length_s, b.attendance,
               b.comment, b.to_pay,
               list((s.service_id, s.cost, s.discount) ORDER BY s.line_no) FILTER (
                   WHERE s.service_id IS NOT NULL)
        FROM bookings b JOIN clients c ON c.id = b.client_id
        LEFT JOIN booking_services s ON s.booking_id = b.id
        WHERE b.import_batch_id = ?
        GROUP BY ALL ORDER BY b.id
    """, [batch_id]).fetchall()
    keys = ("id", "visit_at", "staff_id", "phone", "name", "length_s", "attendance", "comment",
            "to_pay", "lines")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def sign_in_app(at, login: str) -> None:
    """Sign AppTest's app in as LOGIN the way the sign-in form does, in-process: a real
    session in the store named by BOOKINGS_DB, its token where the app looks without a
    browser (AppTest has no cookies). An unknown login gets a token nobody issued."""
    import os
    import secrets

    from bookings import auth, sessions
    from bookings.store import open_store

    con = open_store(os.environ["BOOKINGS_DB"])
    try:
        user = auth.get_user(con, login)
        token = (sessions.redeem(con, sessions.issue_ticket(con, user, "test"))
                 if user is not None else None)
    finally:
        con.close()
    at.session_state["session_token"] = token or secrets.token_urlsafe(32)
