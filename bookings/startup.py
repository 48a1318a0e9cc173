"""What runs once when the app starts, before any page or job: work a restart cut off is
marked failed, and what it left behind is removed.

On DuckDB safe only then: one process holds the store, and none of its uploads or
exports has begun. server.py's lifespan calls `startup`; when the store is busy at
start, the export worker calls it once it opens the store. On PostgreSQL, where work
is recovered only once its lease ran out, the export worker also `sweep`s now and then:
an app process that dies leaves its work to the processes still running, not to the
next start.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bookings.exports import jobs
from bookings.store import POSTGRES, Connection, dialect
from bookings.uploads import batch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recovered:
    """What a restart had cut off: upload commits and exports, now marked failed."""

    uploads: list[int]
    exports: list[int]


def startup(con: Connection) -> Recovered:
    """Recover the upload commits and the exports a restart interrupted."""
    recovered = Recovered(uploads=batch.recover_interrupted(con),
                          exports=jobs.recover_interrupted(con))
    if recovered.uploads:
        log.warning("upload commits %s were interrupted by a restart: marked failed",
                    recovered.uploads)
    if recovered.exports:
        log.warning("exports %s were interrupted by a restart: marked failed", recovered.exports)
    return recovered


def sweep(con: Connection) -> Recovered:
    """`startup` while the app runs: on PostgreSQL only (the work of processes that died
    has an expired lease, the work of live ones not); on DuckDB nothing, as there
    whatever runs is this process's own."""
    if dialect(con) is not POSTGRES:
        return Recovered(uploads=[], exports=[])
    return startup(con)
