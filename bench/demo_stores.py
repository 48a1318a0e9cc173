"""What the benchmarks share about their kept demo stores: how many bookings a
kept file holds, and the day its demo was filled for."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb


def bookings_held(db: Path) -> int | None:
    """The bookings in DB, or None when it is no usable store (half built, held)."""
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:
        return None
    try:
        return con.execute("SELECT count(*) FROM bookings").fetchone()[0]
    except duckdb.Error:
        return None
    finally:
        con.close()


def reference_day(con) -> date:
    """The `today` the demo was filled for: every booking was created before it."""
    return con.execute(
        "SELECT (date_trunc('day', max(created_at)) + INTERVAL 1 DAY)::DATE FROM bookings"
    ).fetchone()[0]
