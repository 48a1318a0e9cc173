"""The web server: the Streamlit app (app.py), the download route, the routes that set
and clear the session cookie, the export worker, and the start-up recovery before them.

`bookings serve` runs `streamlit run server.py`; Streamlit finds `app` below
and serves it with its usual flags. Everything runs in one process, which
holds the DuckDB file: the pages, the route and the worker open the same
store (`open_store` with the same settings returns the same instance), each
thread with its own cursor. The routes live in web/ (their logic in
`bookings.exports.links` and `bookings.sessions`); this file only wires them up.

The `bookings` command reaches this process while it holds the store: the lifespan
listens on `<store file>.sock` (bookings/cli/channel.py) and runs each command it is
sent with `bookings.cli.answer`, on a cursor of the same connection.

On PostgreSQL (BOOKINGS_DB a postgresql:// URL) several such processes serve one
database: no channel (commands open the database themselves), files in the folder
BOOKINGS_DATA_DIR names, and the export worker also sweeps up, every half lease, the
work of a process that died (`startup.sweep`). `bookings serve` sets uvicorn's
FORWARDED_ALLOW_IPS from BOOKINGS_TRUSTED_PROXIES (none when unset), so that the
client address sign-in throttling counts by is a trusted proxy's X-Forwarded-For.

Download links follow the port the app serves on (`make run PORT=8701`,
`bookings serve --server.port 8701`, or the next free one Streamlit took):
once it listens, the lifespan puts Streamlit's `server.port` into
BOOKINGS_SERVED_PORT, which `jobs.public_url` uses unless
BOOKINGS_PUBLIC_URL is set.
"""

from __future__ import annotations

import logging
import os
from contextlib import asynccontextmanager

import streamlit as st
from streamlit import config as st_config
from streamlit.runtime.pages_manager import PagesManager

from bookings import cli, config
from bookings.cli import channel
from bookings.dialects import is_url
from bookings.exports import jobs
from bookings.startup import startup, sweep
from bookings.store import Connection, StoreError, open_store
from web import downloads, sessions

log = logging.getLogger(__name__)
_store: dict[str, Connection] = {}  # the lifespan's connection; a cursor of it per request


def announce_port() -> int:
    """Tell `jobs.public_url` the port this app serves on (Streamlit's, once bound)."""
    port = int(st_config.get_option("server.port"))
    os.environ[jobs.SERVED_PORT_VAR] = str(port)
    return port


@asynccontextmanager
async def lifespan(_app):
    """Recover what a restart cut off (`startup`), start the export worker and the
    command line's channel, stop them at the end."""
    # pages/ holds st.navigation's pages, not a multipage folder of old. Streamlit
    # assumes the old kind until app.py first calls st.navigation, so a deep link
    # (/settings) as the first request after a start ran pages/settings.py alone.
    PagesManager.uses_pages_directory = False
    announce_port()  # before the worker: the links it mails carry this port
    path = config.default_db_path()
    try:
        _store["con"] = open_store(path)
    except StoreError as exc:  # the pages say so too; the app still starts
        log.warning("download links are unavailable: %s", exc)
    else:
        startup(_store["con"])
    # Busy at start: the worker runs the start-up once it gets the store. On PostgreSQL
    # it also sweeps, now and then, the work of app processes that died since.
    worker = jobs.ExportWorker(path, on_open=None if "con" in _store else startup,
                               sweep=sweep)
    worker.start()
    commands = _command_channel(path)
    try:
        yield None
    finally:
        if commands is not None:
            commands.stop()
        worker.stop()
        if "con" in _store:
            _store.pop("con").close()


def _command_channel(path) -> channel.Listener | None:
    """The `bookings` command's way in while this process holds the store file. None on
    PostgreSQL (the command opens the database itself) or when the socket cannot be made
    (the app serves its pages without it)."""
    if is_url(str(path)):
        return None
    commands = channel.Listener(channel.socket_path(path), _command)
    try:
        commands.start()
    except OSError as exc:
        log.warning("the command line cannot reach this app: %s", exc)
        return None
    return commands


def _connection() -> Connection:
    if "con" not in _store:  # busy at start: try again now (StoreError while it still is)
        _store["con"] = open_store(config.default_db_path())
    return _store["con"]


def _cursor() -> Connection:
    return _connection().cursor()


def _command(request: dict) -> dict:
    """A `bookings` command sent through the channel, run on this app's store."""
    return cli.answer(request, _connection, config.default_db_path())


app = st.App("app.py", lifespan=lifespan,
             routes=[downloads.route(_cursor), *sessions.routes(_cursor)])
