"""Uploads from spreadsheets: reading the file, the rules every booking meets, batches, both
importers (bookings, services)."""
