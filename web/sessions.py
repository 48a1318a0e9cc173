"""The routes that set and clear the session cookie (mounted by server.py).

Streamlit's websocket cannot set an HttpOnly cookie, so the sign-in form ends with
a redirect here: `/auth/session?ticket=...&next=/page?query` swaps the single-use
ticket for the session token (`sessions.redeem`), sets the cookie and sends the
browser on to the page it asked for. `/auth/sign-out` ends the cookie's session
and clears it. The logic is `bookings.sessions`; this module is the Starlette side.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bookings import sessions
from bookings.exports.jobs import public_url
from bookings.store import Connection, StoreError
from web.cursor import with_cursor

# The ticket rides in the URL: no cache keeps the answer, no next page learns it.
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _secure() -> bool:
    """Secure cookies when users reach the app over https (BOOKINGS_PUBLIC_URL)."""
    return public_url().startswith("https://")


def routes(open_cursor: Callable[[], Connection]) -> list[Route]:
    """The sign-in and sign-out routes; OPEN_CURSOR gives a cursor of the app's store."""

    async def sign_in(request: Request) -> Response:
        target = sessions.safe_next(request.query_params.get("next"))
        ticket = request.query_params.get("ticket", "")
        try:
            token = await with_cursor(open_cursor, lambda con: sessions.redeem(con, ticket))
        except StoreError:
            token = None  # the page says the store is unavailable
        response = RedirectResponse(target, status_code=303, headers=NO_STORE)
        if token is not None:
            response.set_cookie(sessions.COOKIE, token, path="/", httponly=True,
                                samesite="lax", secure=_secure(),
                                max_age=int(sessions.lifetime().total_seconds()))
        return response

    async def sign_out(request: Request) -> Response:
        token = request.cookies.get(sessions.COOKIE)
        if token:
            try:
                await with_cursor(open_cursor, lambda con: sessions.end(con, token))
            except StoreError:
                pass  # the cookie goes all the same
        response = RedirectResponse(sessions.safe_next(request.query_params.get("next")),
                                    status_code=303, headers=NO_STORE)
        response.delete_cookie(sessions.COOKIE, path="/", httponly=True, samesite="lax",
                               secure=_secure())
        return response

    return [Route("/auth/session", sign_in, methods=["GET"]),
            Route("/auth/sign-out", sign_out, methods=["GET"])]
