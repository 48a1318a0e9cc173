"""Bookings Overview: the domain package (no Streamlit, no web server).

The pages, the `bookings` command, the tests and the benchmarks all drive these
functions. The ground floor holds what everything stands on (errors, store, model,
values, filters, listing, catalog, auth, sessions, datalog, history, deletion,
editing, startup, demo); above it, a package a capability: uploads/, exports/,
admin/, and cli/ (the `bookings` command). README.md's "How it is built" maps it.
"""
