"""What runs once when the app starts, before any page or job: work a restart cut off is
marked failed, and what it left behind is removed.

Safe only then: one process holds the store, and none of its uploads or exports has
begun. server.py's lifespan calls `startup`; when the store is busy at start, the
export worker calls it once it opens the store.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bookings.exports import jobs
from bookings.store import Connection
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
