"""The emailed link's route, `GET /download/{token}` (mounted by server.py).

A thin Starlette adapter over `bookings.exports.links.by_link`, which decides what
is answered: the file, or a status with a plain text.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from bookings.exports.links import Reply, by_link
from bookings.store import Connection, StoreError
from web.cursor import with_cursor


def route(open_cursor: Callable[[], Connection]) -> Route:
    """`GET /download/{token}`; OPEN_CURSOR gives a cursor of the app's store per request
    (or raises StoreError when the app could not open it)."""

    async def download(request: Request) -> Response:
        token = request.path_params["token"]
        record = request.method == "GET"  # a HEAD (a link checker) is not counted as a fetch
        try:
            reply = await with_cursor(open_cursor,
                                      lambda con: by_link(con, token, record=record))
        except StoreError as busy:
            reply = Reply(503, f"Downloads are unavailable right now: {busy}\n")
        if reply.path is None:
            return PlainTextResponse(reply.text, status_code=reply.status,
                                     headers=reply.headers)
        return FileResponse(reply.path, media_type=reply.media_type,
                            filename=reply.file_name, headers=reply.headers)

    return Route("/download/{token}", download, methods=["GET", "HEAD"])
