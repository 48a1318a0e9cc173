"""Downloads of the bookings list: the queued jobs and their worker, the files they write,
the mail that says a file is ready, the links that serve it; and the cross-tab's
download, written at once (`crosstab`)."""
