"""Where things live, from environment variables with embedded defaults."""

from __future__ import annotations

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
