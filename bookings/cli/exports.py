"""Downloads and the Data log: `export` (recorded in the log, so it writes) and `log`."""

from __future__ import annotations

import shutil
from pathlib import Path

from bookings import datalog
from bookings.cli.common import (
    EXIT_OK,
    EXIT_REFUSED,
    READ_ONLY,
    ROW_LIMIT,
    Commands,
    a_date,
    acting_user,
    add_filter_flags,
    arg,
    emit,
    filter_from_args,
    local_path,
    table,
    user_flag,
    viewer,
)
from bookings.errors import Refused
from bookings.exports import jobs, mail
from bookings.store import Connection

commands = Commands()


@commands.add("export", help="request a download of the list, recorded in the Data log; "
              "waits for its file", arguments=(
                  add_filter_flags,
                  user_flag("who asks for it", required=True),
                  arg("--format", choices=jobs.FORMATS, default="xlsx"),
                  arg("--email", metavar="ADDR", help="also email the link to this one address"),
                  arg("--out", type=Path, metavar="FILE", help="copy the file here too")))
def export(args, con: Connection) -> int:
    """Request a download and wait for its file: the job runs here, in this process."""
    user = viewer(con, args)
    email = None
    if args.email:
        try:
            email = mail.single_address(args.email)
        except ValueError as exc:
            raise Refused(f"--email: {exc}") from None
    outcome = jobs.export_now(con, user, filter_from_args(args), args.format, email=email,
                              alone=not args.in_app)
    document = {k: v for k, v in outcome.as_json().items() if v is not None or k == "link"}
    if outcome.state == "ready" and args.out:
        try:
            shutil.copyfile(outcome.file, local_path(args, args.out))
        except OSError as exc:
            raise Refused(f"The file is ready ({outcome.file}) but cannot be copied to "
                          f"{args.out}: {exc.strerror}.") from None
        document["out"] = str(args.out)
    if outcome.state == "ready":
        human = (f"Download {outcome.log_id} ready: {outcome.rows:,} rows, {args.format}.\n"
                 f"File: {outcome.file}\nLink (valid {jobs.link_days()} days): {outcome.link}")
        if document.get("out"):
            human += f"\nCopied to {args.out}"
        if outcome.mailed or outcome.error:
            human += f"\n{outcome.error or 'Emailed: ' + outcome.mailed}"
    else:
        human = f"Download {outcome.log_id} failed: {outcome.error}"
    emit(args, document, human)
    return EXIT_OK if outcome.state == "ready" else EXIT_REFUSED


@commands.add("log", help="the Data log: downloads, uploads, bulk deletions", store=READ_ONLY,
              arguments=(
                  arg("--kind", choices=datalog.KINDS),
                  user_flag("see it as this user may (own entries; the owner sees all)"),
                  arg("--by", metavar="LOGIN", help="only entries of this user"),
                  arg("--from", dest="date_from", type=a_date, metavar="YYYY-MM-DD"),
                  arg("--to", dest="date_to", type=a_date, metavar="YYYY-MM-DD"),
                  arg("--limit", type=ROW_LIMIT, default=500, metavar="N")))
def data_log(args, con: Connection) -> None:
    entries = datalog.entries(con, acting_user(con, args), kind=args.kind, by=args.by,
                              date_from=args.date_from, date_to=args.date_to, limit=args.limit)
    rows = [{**e, "at": f"{e['at']:%Y-%m-%d %H:%M}", "fetched": len(e["fetches"]),
             "state": e["state"] + (f" {e['progress']:.0%}" if e["state"] == "running" else "")}
            for e in entries]
    emit(args, {"entries": entries},
         table(rows, ["id", "at", "user", "kind", "what", "rows", "format", "state", "fetched",
                      "error"]))
