"""Where things live, from environment variables with embedded defaults."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("BOOKINGS_DATA_DIR", PROJECT_DIR / "data"))


def default_db_path() -> Path:
    """`$BOOKINGS_DB`, else data/bookings.duckdb."""
    return Path(os.environ.get("BOOKINGS_DB") or DATA_DIR / "bookings.duckdb")


def demo_users_file(db_path: Path) -> Path:
    """Where the generated demo passwords are kept (git-ignored, owner-only)."""
    return Path(db_path).with_name("demo-users.txt")
