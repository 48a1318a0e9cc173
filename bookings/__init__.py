"""Bookings Overview: the domain package.

No Streamlit in here: the pages, the `bookings` command, the tests and the
benchmarks all drive these functions.

Where a change goes:
  config.py   paths and environment variables
  store.py    the DuckDB connection, schema migrations, transactions, "store busy"
  model.py    enums and rights: Attendance, Source, Right, Role presets
  auth.py     users, password hashing, sign-in throttling, rights changes
  catalog.py  staff, services, categories, booking interval (read side)
  demo.py     the deterministic demo business (set-based SQL)
  cli/        the `bookings` command (contract: shared/CLI.md), a module a subject
"""
