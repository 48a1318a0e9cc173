"""A route's store work: on a worker thread (DuckDB blocks), with a cursor of its own."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

from bookings.store import Connection

_T = TypeVar("_T")


def _with_cursor(open_cursor: Callable[[], Connection], work: Callable[[Connection], _T]) -> _T:
    cursor = open_cursor()  # a DuckDB connection is not shared between threads
    try:
        return work(cursor)
    finally:
        cursor.close()


async def with_cursor(open_cursor: Callable[[], Connection],
                      work: Callable[[Connection], _T]) -> _T:
    """WORK's answer, given a fresh cursor of the app's store; StoreError when the app
    could not open the store."""
    return await run_in_threadpool(_with_cursor, open_cursor, work)
