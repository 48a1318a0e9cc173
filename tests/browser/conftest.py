"""Browser tests: the real app (`bookings serve`) driven in Debian chromium by Playwright.

What this harness gives a test in tests/browser (every one is marked `browser`):

- `store`: a session-wide store built with the `bookings` CLI: demo bookings when
  `bookings.demo` exists, and an owner, an administrator and an employee.
- `credentials`: role -> (login, password), passwords random per run.
- `app_url`: the base URL of the app serving `store` (one server per session).
- `page`: a fresh browser context per test (1400x900); on failure a screenshot
  goes to tests/artifacts/<test name>.png.
- `sign_in_as(role, path="")`: signs `page` in as that role and returns it.
- `page_requests`: asks the server for a page the way a hand-made client could
  (`page_requests.ask_for("settings")`), to test the server-side rights checks.

And plain helpers, importable as `from tests.browser.conftest import ...`:
`sign_in`, `open_app`, `submit_sign_in`, `wait_for_app`, `rerun`, `wait_for_render`,
`full_page_screenshot`, `sidebar`, `navigation_links`, `run_cli`, `build_store`,
`serving` (which lives in tests/helpers.py, with `app_env`: tests outside the browser
start the app too) and `serving_store(store)`.

BOOKINGS_TEST_BROWSER_PG=1 runs the suite with every store on PostgreSQL (a throwaway
cluster, see `build_store`): `make test-browser-pg`.

Signing in sets an HttpOnly session cookie (bookings/sessions.py): `page.goto()`
starts a new Streamlit session, still signed in, on the page and view asked for.
Each test's `page` is a browser context of its own, so tests share no cookie.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import io
import json
import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    expect,
    sync_playwright,
)

from tests.helpers import app_env, serving
from ui.warm_up import KEY as WARM_UP

HERE = Path(__file__).resolve().parent
PROJECT_DIR = HERE.parent.parent
ARTIFACTS = PROJECT_DIR / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1400, "height": 900}
ROLES = ("owner", "administrator", "employee")
DEMO_BOOKINGS = 3000
# Playwright's waits (ms). A script run here takes well under a second; the margin
# is for a loaded CI machine with 2 cores.
DEFAULT_TIMEOUT_MS = 20_000


# --- marking and skipping ------------------------------------------------------


def pytest_collection_modifyitems(config, items):
    """Mark every test under tests/browser `browser`; skip them all without chromium.

    This hook sees every collected item of the session, not only ours: filter by path.
    """
    skip = pytest.mark.skip(
        reason=f"{CHROMIUM} is missing: install Debian's chromium (`make chromium`); "
        "never `playwright install`"
    )
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM.exists():
                item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so fixtures can tell a failed test."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


# --- the store -------------------------------------------------------------------


def run_cli(db: Path | str, *args: str, stdin: str | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run `bookings --db DB ARGS` as a separate process; fail the test on a non-zero exit.
    DB is a store file (its files beside it) or a PostgreSQL URL (give ENV, with
    BOOKINGS_DATA_DIR)."""
    result = subprocess.run(
        [sys.executable, "-m", "bookings.cli", "--db", str(db), *args],
        input=stdin, capture_output=True, text=True, cwd=PROJECT_DIR,
        env=env if env is not None else app_env(data_dir_of(db)), timeout=300,
    )
    if result.returncode != 0:
        pytest.fail(f"`bookings {' '.join(args)}` exited {result.returncode}:\n"
                    f"{result.stdout}\n{result.stderr}", pytrace=False)
    return result


def demo_available() -> bool:
    return importlib.util.find_spec("bookings.demo") is not None


@dataclass(frozen=True)
class Store:
    path: Path | str  # the DuckDB file, or a PostgreSQL URL
    credentials: dict[str, tuple[str, str]]  # role -> (login, password)
    demo: bool  # filled with demo bookings
    data_dir: Path  # exports, uploads, the outbox (the file's folder on DuckDB)


# --- the whole browser suite on PostgreSQL ----------------------------------------------
# BOOKINGS_TEST_BROWSER_PG=1: every store `build_store` makes is a new database on one
# throwaway cluster (tests/pg.py; BOOKINGS_TEST_PG_URL's server when set), its files in
# its folder, so that each flow a person clicks through runs on PostgreSQL too. The
# tests of the file itself (its lock, a store built by hand) stay on DuckDB.

ON_POSTGRES = os.environ.get("BOOKINGS_TEST_BROWSER_PG", "") not in ("", "0")
_pg_server: list[str] = []  # the cluster's URL, once started
_data_dirs: dict[str, Path] = {}  # a PostgreSQL store's URL -> its files' folder


def data_dir_of(db: Path | str) -> Path:
    """Where the store DB keeps its files: a file's folder, or the one a URL was given."""
    return _data_dirs[db] if isinstance(db, str) and db in _data_dirs else Path(db).parent


def _new_database() -> str:
    from tests import pg

    if not _pg_server:
        cluster = pg.server()
        _pg_server.append(cluster.__enter__())
        atexit.register(cluster.__exit__, None, None, None)
    # atexit keeps the context (collected, it would drop its database at once) and
    # leaves it before the cluster's: exits run last registered first.
    database = pg.database(_pg_server[0])
    atexit.register(database.__exit__, None, None, None)
    return database.__enter__()


def build_store(directory: Path, *, demo_bookings: int = DEMO_BOOKINGS, seed: int = 1,
                url: str | None = None) -> Store:
    """A store in DIRECTORY (or in the PostgreSQL database URL, its files in DIRECTORY)
    with an owner, an administrator and an employee.

    `demo` refuses a store that holds anything, so it runs first, on the empty store,
    and its generated users are taken; roles it did not create are added after.
    """
    directory.mkdir(parents=True, exist_ok=True)
    if url is None and ON_POSTGRES:
        url = _new_database()
    db = url or directory / "bookings.duckdb"
    if url:
        _data_dirs[url] = directory
    env = app_env(directory)
    run_cli(db, "init", env=env)
    credentials: dict[str, tuple[str, str]] = {}
    demo = demo_available() and demo_bookings > 0
    if demo:
        result = run_cli(db, "demo", "--bookings", str(demo_bookings), "--seed", str(seed),
                         "--json", env=env)
        for user in json.loads(result.stdout)["users"]:
            credentials.setdefault(user["role"], (user["login"], user["password"]))
    for role in ROLES:
        if role not in credentials:
            login, password = f"test-{role}", secrets.token_urlsafe(12)
            run_cli(db, "users", "add", login, "--role", role, "--password-stdin",
                    stdin=password + "\n", env=env)
            credentials[role] = (login, password)
    return Store(db, credentials, demo, directory)


@pytest.fixture(scope="session")
def store(tmp_path_factory) -> Store:
    return build_store(tmp_path_factory.mktemp("browser-store"))


@pytest.fixture(scope="session")
def credentials(store: Store) -> dict[str, tuple[str, str]]:
    """role -> (login, password) for "owner", "administrator" and "employee"."""
    return store.credentials


# --- the app -------------------------------------------------------------------


@pytest.fixture(scope="session")
def app_url(store: Store) -> Iterator[str]:
    """Base URL (no trailing slash) of the app serving the session's store."""
    with serving_store(store) as url:
        yield url


def serving_store(store: Store, log_name: str = "streamlit.log", **options) -> Iterator[str]:
    """`serving` of STORE: its log and its files in its folder; OPTIONS go to `serving`."""
    return serving(store.path, store.data_dir / log_name, data_dir=store.data_dir, **options)


# --- the browser ---------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def new_context(browser: Browser, **options) -> BrowserContext:
    """A browser context as the tests use them: the viewport, the default timeout,
    and the run tracker in every page (see `wait_for_app`)."""
    context = browser.new_context(viewport=VIEWPORT, **options)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    context.add_init_script(RUN_TRACKER)
    return context


def _artifact_name(nodeid_name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid_name).strip("_") + ".png"


@pytest.fixture
def page(browser: Browser, request) -> Iterator[Page]:
    """A new context (own cookies, own Streamlit session) per test."""
    context = new_context(browser)
    page = context.new_page()
    try:
        yield page
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(Exception):
                page.screenshot(path=str(ARTIFACTS / _artifact_name(request.node.name)),
                                full_page=True)
        context.close()


# --- helpers for tests -----------------------------------------------------------


# Every page's websocket, watched from inside the page: which rerun requests it sent
# and what the server answered (the top-level fields of each protobuf message, the
# numbers of ForwardMsg / BackMsg / SessionStatus in streamlit/proto). A widget's
# rerun request does not show on stApp's data-test-script-state until the server's
# answer comes back and is drawn: right after a click the app looks idle, and a
# wait on that attribute alone (or on a fixed pause) can pass before the run.
RUN_TRACKER = """(() => {
  if (window.__runs) return;
  const runs = window.__runs = {page: Math.random(), seq: 0, sent: 0, lastSent: 0,
                                lastStart: 0, lastRunning: 0, lastIdle: 0,
                                rerunFollows: false, leaving: false};
  const NEW_SESSION = 4, SCRIPT_FINISHED = 6, SESSION_STATUS = 9, RERUN_SCRIPT = 11;
  const AUTH_REDIRECT = 24;  // sign-out (and a keyless sign-in): the browser leaves for a route
  const EARLY_FOR_RERUN = 2, SCRIPT_IS_RUNNING = 2;
  function fields(bytes) {  // top-level field number -> value (varint) or bytes
    const found = new Map();
    let i = 0;
    const varint = () => {
      let value = 0, shift = 0, b;
      do { b = bytes[i++]; value += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
      return value;
    };
    while (i < bytes.length) {
      const key = varint(), number = Math.floor(key / 8), type = key & 7;
      if (type === 0) found.set(number, varint());
      else if (type === 2) {
        const n = varint();
        found.set(number, bytes.subarray(i, i + n));
        i += n;
      }
      else if (type === 1) i += 8;
      else if (type === 5) i += 4;
      else break;  // groups: not in Streamlit's protocol
    }
    return found;
  }
  const bytesOf = (data) => data instanceof ArrayBuffer ? new Uint8Array(data)
    : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : null;
  const Native = window.WebSocket;
  class Watched extends Native {
    constructor(...args) {
      super(...args);
      if (!String(args[0]).includes("/_stcore/stream")) return;
      this.addEventListener("message", (event) => {
        const bytes = bytesOf(event.data);
        if (!bytes) return;
        const msg = fields(bytes);
        if (msg.has(AUTH_REDIRECT)) runs.leaving = true;
        if (msg.has(NEW_SESSION)) { runs.lastStart = ++runs.seq; runs.rerunFollows = false; }
        if (msg.has(SCRIPT_FINISHED)) {
          runs.rerunFollows = msg.get(SCRIPT_FINISHED) === EARLY_FOR_RERUN;
        }
        if (msg.has(SESSION_STATUS)) {
          const running = fields(msg.get(SESSION_STATUS)).get(SCRIPT_IS_RUNNING) === 1;
          if (running) runs.lastRunning = ++runs.seq; else runs.lastIdle = ++runs.seq;
        }
      });
    }
    send(data) {
      const bytes = bytesOf(data);
      if (bytes && fields(bytes).has(RERUN_SCRIPT)) { runs.sent += 1; runs.lastSent = ++runs.seq; }
      return super.send(data);
    }
  }
  window.WebSocket = Watched;
  // Idle: every rerun asked for has started and ended (no rerun asked for by the
  // script itself still to come, no redirect to another address), the page shows
  // it (connected, not running, no stale element), and has shown it for two frames
  // in a row (the last message is drawn in the frame after it arrives).
  let calm = 0, token = null;
  window.__appIdle = (waitToken) => {
    if (waitToken !== token) { token = waitToken; calm = 0; }
    const app = document.querySelector('[data-testid="stApp"]');
    const wire = runs.lastStart > runs.lastSent && runs.lastIdle > runs.lastStart
      && runs.lastIdle > runs.lastRunning && !runs.rerunFollows && !runs.leaving;
    const shown = !!app && app.dataset.testConnectionState === "CONNECTED"
      && app.dataset.testScriptState === "notRunning"
      && !document.querySelector('[data-stale="true"]');
    calm = wire && shown ? calm + 1 : 0;
    return calm >= 2;
  };
})();"""


def wait_for_app(page: Page) -> None:
    """Wait until the app is idle: every rerun this page asked for has run to its end
    (and any rerun the script asked for, st.rerun, too), and the page has drawn it.

    After a click that reruns the app, use `rerun(page)` instead: right after the
    click the request may not have left yet, and the app still looks idle.
    """
    page.wait_for_function("token => window.__appIdle ? window.__appIdle(token) : "
                           "!!document.querySelector('[data-testid=\"stApp\"]"
                           "[data-test-connection-state=\"CONNECTED\"]"
                           "[data-test-script-state=\"notRunning\"]')",
                           arg=secrets.token_hex(4))


def reruns_sent(page: Page) -> dict:
    return page.evaluate("() => window.__runs ? {page: window.__runs.page, sent: "
                         "window.__runs.sent} : {page: null, sent: 0}")


@contextlib.contextmanager
def rerun(page: Page) -> Iterator[None]:
    """`with rerun(page): button.click()`: wait until the click's rerun request has
    left the page, then until the app is idle again (that run, and any it asked for,
    over and drawn; after a sign-in or sign-out, the new page's first run). For
    actions that do rerun the app: a click on a button, a radio, a page link, a
    tick in a grid; not typing into a form."""
    before = reruns_sent(page)
    yield
    wait_for_sent(page, before)
    wait_for_app(page)


def wait_for_sent(page: Page, before: dict, timeout_ms: float | None = None) -> None:
    """Wait until a rerun request has left the page since BEFORE (`reruns_sent`); a
    sign-out goes on in a new page load, whose own first run counts."""
    page.wait_for_function("b => window.__runs && (window.__runs.page !== b.page "
                           "|| window.__runs.sent > b.sent)", arg=before, timeout=timeout_ms)


def wait_for_render(page: Page) -> None:
    """Wait for the run, then for what draws after it: spinners and skeletons gone,
    charts and data grids painted, web fonts (and Material icons) loaded."""
    wait_for_app(page)
    for test_id in ("stSpinner", "stSkeleton"):
        expect(page.get_by_test_id(test_id)).to_have_count(0)
    page.wait_for_function("""() => {
        const all = (sel) => [...document.querySelectorAll(sel)];
        return all('[data-testid="stVegaLiteChart"]').every(c => c.querySelector("canvas, svg"))
            && all('[data-testid="stDataFrame"]').every(d => d.querySelector("canvas"))
            && document.fonts.status === "loaded";
    }""")
    next_frames(page)  # the grid and charts paint their canvas in the next frames


def next_frames(page: Page, frames: int = 2) -> None:
    """Wait for the browser to draw FRAMES more frames (not a time: frames)."""
    page.evaluate("""n => new Promise(done => {
        const step = () => (n-- > 0 ? requestAnimationFrame(step) : done());
        step();
    })""", frames)


def full_page_screenshot(page: Page, path: Path, *, max_height: int = 4000) -> None:
    """Screenshot the whole page, as tall as its content (at most MAX_HEIGHT px).

    Streamlit scrolls inside `stMain`, so Playwright's `full_page` only sees the
    viewport: grow the viewport to the content instead, then put it back.
    """
    size = page.viewport_size or VIEWPORT
    page.mouse.move(size["width"] - 10, size["height"] - 10)  # hover nothing
    height = size["height"]
    for _ in range(3):  # growing may reflow (stretch widths): until it is stable
        wait_for_render(page)
        needed = page.evaluate("""() => Math.max(...[...document.querySelectorAll(
            '[data-testid="stMain"], [data-testid="stSidebarContent"]')]
            .map(e => e.scrollHeight))""")
        needed = min(max(needed, size["height"]), max_height)
        if needed == height:
            break
        height = needed
        page.set_viewport_size({"width": size["width"], "height": height})
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide")
    page.set_viewport_size(size)
    wait_for_render(page)  # the grids and charts drawn again at the size put back


def sidebar(page: Page) -> Locator:
    return page.get_by_test_id("stSidebar")


def navigation_links(page: Page) -> Locator:
    """The page links of st.navigation (absent when only one page is allowed)."""
    return page.get_by_test_id("stSidebarNav").get_by_test_id("stSidebarNavLink")


def warm_up(page: Page) -> Locator:
    """The sign-in page's hidden warm-up (ui/warm_up.py)."""
    return page.locator(f".st-key-{WARM_UP}")


def wait_for_warm_up(page: Page) -> None:
    """Wait until the sign-in page has drawn its hidden warm-up (the page presses its
    button once idle): what a person typing the password gives it time for."""
    warm_up(page).get_by_test_id("stDataFrame").locator("canvas").first.wait_for(
        state="attached")


def open_app(page: Page, base_url: str, path: str = "") -> None:
    page.goto(f"{base_url}/{path.lstrip('/')}")
    wait_for_app(page)


def submit_sign_in(page: Page, login: str, password: str) -> None:
    """Fill the sign-in form and press Sign in; wait for its outcome: the refusal
    drawn, or the page asked for loaded signed in and idle."""
    page.get_by_label("Login", exact=True).fill(login)
    page.get_by_label("Password", exact=True).fill(password)
    with rerun(page):
        page.get_by_role("button", name="Sign in").click()


def sign_in(page: Page, base_url: str, login: str, password: str, *, path: str = "") -> None:
    """Open the app, sign in, and wait for "Signed in as" in the sidebar.

    PATH is the address to open first ("settings", "?size=50"): signed out, every
    address shows the sign-in form, and its page opens after sign-in if allowed.
    """
    open_app(page, base_url, path)
    submit_sign_in(page, login, password)
    expect(sidebar(page).get_by_text("Signed in as")).to_be_visible()
    wait_for_app(page)


@pytest.fixture
def sign_in_as(page: Page, app_url: str, credentials):
    """sign_in_as(role, path="") -> the signed-in `page`."""

    def sign_in_role(role: str, path: str = "") -> Page:
        login, password = credentials[role]
        sign_in(page, app_url, login, password, path=path)
        return page

    return sign_in_role


# --- forged page requests: the server-side rights check ---------------------------


class PageRequests:
    """Rewrites, on the wire, which page the browser asks the server to run.

    Hiding a page's link is only the client's courtesy: a hand-made client can ask
    for any page by its URL path in a rerun request (a protobuf BackMsg on
    /_stcore/stream). `ask_for(page_path)` rewrites the next requests of this
    signed-in session that way and triggers one, so a test sees what the server
    does with a request the user's navigation never offered.
    """

    def __init__(self, page: Page):
        self.page = page
        self.url_path: str | None = None
        self.forged = 0
        page.route_web_socket(re.compile(r"/_stcore/stream"), self._route)

    def _route(self, ws) -> None:
        server = ws.connect_to_server()

        def to_server(message: str | bytes) -> None:
            if self.url_path is not None and isinstance(message, bytes):
                message = self._forge(message)
            server.send(message)

        ws.on_message(to_server)  # server -> page goes through untouched

    def _forge(self, message: bytes) -> bytes:
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.util import calc_hash

        back = BackMsg()
        back.ParseFromString(message)
        if back.WhichOneof("type") != "rerun_script":
            return message
        back.rerun_script.page_script_hash = calc_hash(self.url_path)  # st.Page's own hash
        back.rerun_script.page_name = self.url_path
        self.forged += 1
        return back.SerializeToString()

    def ask_for(self, url_path: str) -> None:
        """Ask the server for URL_PATH through a rerun (Streamlit's "r" shortcut)."""
        self.url_path = url_path
        before = self.forged
        self.page.mouse.click(VIEWPORT["width"] - 20, VIEWPORT["height"] - 20)  # focus, no widget
        self.page.keyboard.press("r")
        deadline = time.monotonic() + DEFAULT_TIMEOUT_MS / 1000
        while self.forged == before:  # counted here, in Python: polled, between events
            if time.monotonic() > deadline:
                pytest.fail("The browser sent no rerun request to forge.", pytrace=False)
            self.page.wait_for_timeout(50)
        wait_for_app(self.page)  # the forged request's run, over and drawn


@pytest.fixture
def page_requests(page: Page) -> PageRequests:
    """Request it before signing in: it must be in place before the websocket opens."""
    return PageRequests(page)


def tick_rows(page: Page, grid: Locator, positions: list[int], *, row_px: int = 35) -> None:
    """Tick the row checkboxes of a st.dataframe (a canvas grid) at these row positions.

    The checkbox column is the grid's first, 35 px rows under a 35 px header.
    """
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    for position in positions:
        x, y = box["x"] + 20, box["y"] + row_px * (position + 1) + row_px / 2
        wait_for_app(page)  # the last tick's run has redrawn the grid
        page.mouse.move(x, y)  # the checkbox shows on hover
        with rerun(page):
            page.mouse.click(x, y)


@contextlib.contextmanager
def app_of_its_own(directory: Path) -> Iterator[tuple[str, Store]]:
    """A store and a running app for one test module, for tests that change data
    other tests count on. Yields (base URL, store)."""
    store = build_store(directory)
    with serving_store(store) as url:
        yield url, store


# --- shared by the browser tests ------------------------------------------------------


def bookings_metric(page: Page):
    """The value of the metric labelled "Bookings" (how many the user may see)."""
    label = page.get_by_test_id("stMetricLabel").filter(has_text=re.compile(r"^\s*Bookings\s*$"))
    return page.get_by_test_id("stMetric").filter(has=label).get_by_test_id("stMetricValue")


def bookings_count(page: Page) -> int:
    """The number the "Bookings" metric shows."""
    return int(bookings_metric(page).inner_text().replace(",", ""))


def choose(page: Page, label: str, option: str) -> None:
    """Pick OPTION in the select box or multiselect labelled LABEL."""
    widget = page.get_by_test_id("stForm").locator(
        '[data-testid="stSelectbox"], [data-testid="stMultiSelect"]').filter(
        has=page.get_by_text(label, exact=True))
    options = page.get_by_role("listbox")
    for _ in range(3):  # the first click after scrolling may only focus the box
        widget.first.locator("input").click()
        try:
            expect(options).to_have_count(1, timeout=1500)
            break
        except AssertionError:
            continue
    widget.first.locator("input").fill(option)  # the list is virtual: narrow it first
    options.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")
    expect(options).to_have_count(0)  # closed before the next widget opens


# --- st.dataframe's canvas grid -------------------------------------------------------

HEADER_PX = 35  # the grid's header row, and each row's height
RULE_MAX = 240  # a header rule's grey; the header itself is near white (252)


def column_edges(page: Page, grid: Locator) -> dict[str, tuple[float, float]]:
    """(left, right) on the page of each column the grid draws, by its header."""
    page.mouse.move(1, 1)  # no hover: the toolbar would cover the header's right end
    expect(grid.locator('[role="columnheader"]').first).to_be_attached()  # drawn
    box = grid.bounding_box()
    image = Image.open(io.BytesIO(grid.screenshot())).convert("L")
    band = range(8, HEADER_PX - 8)  # inside the header row, clear of its top and bottom
    rules = [x for x in range(image.width)
             if all(image.getpixel((x, y)) < RULE_MAX for y in band)]
    edges = [x for i, x in enumerate(rules) if i == 0 or x > rules[i - 1] + 1]
    names = grid.locator('[role="columnheader"]').all_inner_texts()
    return {name: (box["x"] + left, box["x"] + right)
            for name, left, right in zip(names, edges, edges[1:], strict=False)}


def grid_cells(grid: Locator) -> list[list[str]]:
    """The texts of the grid's cells, row by row, from its accessibility table."""
    headers = grid.locator('[role="columnheader"]')
    expect(headers.first).to_be_attached()  # the grid has drawn its table
    width = headers.count()
    texts = grid.locator('[role="gridcell"]').all_inner_texts()
    return [texts[i:i + width] for i in range(0, len(texts), width)]


def click_cell(page: Page, grid: Locator, row: int, column: str) -> None:
    """Click the grid's cell at ROW (0: the first under the header) in COLUMN (its header)."""
    grid.scroll_into_view_if_needed()
    left, right = column_edges(page, grid)[column]
    box = grid.bounding_box()
    x, y = (left + right) / 2, box["y"] + HEADER_PX * (row + 1) + HEADER_PX / 2
    page.mouse.move(x, y)  # the grid takes a click on a cell it knows is hovered
    page.mouse.click(x, y)
