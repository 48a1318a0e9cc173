"""Where things live, from environment variables with embedded defaults."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

from bookings.dialects import is_url

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("BOOKINGS_DATA_DIR", PROJECT_DIR / "data"))


def default_db_path() -> Path | str:
    """`$BOOKINGS_DB`, else data/bookings.duckdb; a postgresql:// URL stays text."""
    given = os.environ.get("BOOKINGS_DB")
    if given and is_url(given):
        return given
    return Path(given or DATA_DIR / "bookings.duckdb")


def demo_users_file(db_path: Path) -> Path:
    """Where the generated demo passwords are kept (git-ignored, owner-only)."""
    return Path(db_path).with_name("demo-users.txt")


# --- behind a load balancer ---------------------------------------------------------

TRUSTED_PROXIES_VARIABLE = "BOOKINGS_TRUSTED_PROXIES"


def trusted_proxies() -> str:
    """The proxies whose X-Forwarded-For names the client (for sign-in throttling), as
    uvicorn's FORWARDED_ALLOW_IPS takes them: `$BOOKINGS_TRUSTED_PROXIES`, addresses and
    networks separated by commas, checked here (uvicorn would take a typo as a name that
    never matches). Unset: none, not even this machine, so that no client can name its
    own address; uvicorn alone would trust 127.0.0.1.

    Raises ValueError naming the entry that is neither an address nor a network."""
    given = os.environ.get(TRUSTED_PROXIES_VARIABLE, "")
    entries = [entry.strip() for entry in given.split(",") if entry.strip()]
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ValueError(f"{TRUSTED_PROXIES_VARIABLE}: {entry!r} is neither an address "
                             "nor a network (give e.g. 10.0.0.5 or 10.0.0.0/24, separated "
                             "by commas)") from None
    return ",".join(entries)
