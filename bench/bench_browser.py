"""How fast does the app answer in the browser, next to the same queries run bare?

    python bench/bench_browser.py [--bookings 1000000] [--seed 1] [--repeat 5]
                                  [--cache-dir /tmp]

Builds a store of BOOKINGS demo bookings with the CLI (`bookings init`, then
`bookings demo --bookings N --seed S --json`), kept for the next runs in
CACHE_DIR/bench_browser_<N>_seed<S>_v1/ with the demo users' passwords (0700;
CACHE_DIR is the temp folder unless told, where bench_upload.py keeps its big
file), and reused while it holds N bookings. The real app (`bookings serve`, through
the browser tests' `serving`) serves a copy of it; Debian's chromium, driven by
Playwright with the browser tests' arguments (1400x900), signs in as the owner
and measures, each REPEAT times after one warm-up that is not counted:

- first list: Sign in clicked -> the Bookings page rendered (today's and the
  coming visits): the sign-in run, then in the same page (the cookie arrives in the
  background) the list page's run, and the grids and charts painted; in a fresh
  browser each run (an empty cache: a first visit), the form filled in once the
  sign-in page has settled (ui/warm_up.py: the list's kinds of element drawn out of
  sight once the form is, as while a person types);
- first list, browser seen before: the same in one browser signed out between
  runs (its cookies cleared), as at the front desk each morning;
- Show: a client's name typed into "Client's name or phone number" over the
  whole history, Show clicked -> the list of that client rendered;
- tick: a row's checkbox clicked -> the action bar answers "Delete selected (1)"
  (the fragment's run over: the table and its action bar rerun alone);
- Edit -> Calendar: one row ticked, Edit clicked -> the Calendar page rendered
  with that booking's form.

Time runs on the page's own clock (`performance.timeOrigin + now()`): from the
click's pointerdown to the first animation frame in which the run the click
started is over (stApp's script state `notRunning`, connected), its answer is on
the page (the heading,
the "Showing: ... client" sentence, "Delete selected (1)", "Booking <id>"), no
spinner or skeleton is left, every data grid has its canvas, every chart its
canvas or svg, and the web fonts are loaded (what the tests' `wait_for_render`
waits for, without its fixed pauses). A frame watcher in the page takes that
time, so Playwright's own round trips are not counted.

Next to each, in the same run, the same queries bare: the SQL the page's
`bookings` calls send (recorded once through the very functions the page
calls, as the owner), replayed with DuckDB alone on the cached store opened
read-only (the app holds its copy): for a list view `listing.filter_choices` +
`listing.summary` + `listing.page` (100 rows); for the calendar what
pages/calendar.py calls (the booking interval, `catalog.staff`, `editing.day`,
`editing.current`, `catalog.services` twice, `catalog.booking_categories`).
A tick reruns only the table and its action bar, on the rows it was given: its
one query is the sign-in check, whose bare time is that of the session's and its
user's lookups; Streamlit's grid itself waits 150 ms after a tick before sending
it (a debounce in its frontend), which no page can save. Bare figures are the
median of REPEAT after one warm-up.
Targets: first list <= 1.0 s, Show <= 0.45 s, tick <= 0.25 s, Edit -> Calendar
<= 1.0 s (medians); exit code 1 when one is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as time_of_day
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import duckdb

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))  # the browser tests' harness: tests/browser/conftest.py

from demo_stores import bookings_held  # noqa: E402

from bookings import auth, catalog, editing, listing, sessions  # noqa: E402
from bookings.auth import user_by_id  # noqa: E402
from bookings.filters import BookingFilter  # noqa: E402
from bookings.store import booking_interval_min  # noqa: E402
from tests.browser.conftest import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    RUN_TRACKER,
    VIEWPORT,
    rerun,
    serving,
    sign_in,
    wait_for_app,
    wait_for_render,
    wait_for_warm_up,
)

CACHE_VERSION = 1  # bump when what the cache holds changes
PAGE_ROWS = 100  # the list's default page size
ROW_PX = 35  # the data grid's rows (and header)
ANSWER_TIMEOUT_S = 120


@dataclass
class Measure:
    key: str
    name: str
    target_s: float
    what_bare: str
    seconds: list[float] = field(default_factory=list)
    warm_up_s: float | None = None
    bare_s: list[float] = field(default_factory=list)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the store --------------------------------------------------------------------


def _env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ, BOOKINGS_DATA_DIR=str(data_dir))
    env.pop("BOOKINGS_DB", None)
    return env


def cli(db: Path, *args: str) -> str:
    """`bookings --db DB ARGS`; its stdout. Its stderr (progress, errors) passes through."""
    done = subprocess.run([sys.executable, "-m", "bookings.cli", "--db", str(db), *args],
                          cwd=PROJECT_DIR, env=_env(db.parent), stdout=subprocess.PIPE,
                          text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"`bookings {' '.join(args)}` exited {done.returncode}:\n{done.stdout}")
    return done.stdout


def cached_store(bookings: int, seed: int, cache_dir: Path) -> tuple[Path, dict[str, str]]:
    """(store file, role -> [login, password]): reused from the cache, or built with the CLI."""
    folder = cache_dir / f"bench_browser_{bookings}_seed{seed}_v{CACHE_VERSION}"
    db, users = folder / "bookings.duckdb", folder / "users.json"
    if db.exists() and users.exists():
        held = bookings_held(db)
        if held == bookings:
            log(f"reusing the store of {bookings:,} bookings in {folder}")
            return db, json.loads(users.read_text())
        log(f"{db} holds {held} bookings, not {bookings:,}: building it anew")
        shutil.rmtree(folder)
    building = folder.with_name(f"{folder.name}.{os.getpid()}.part")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True, mode=0o700)
    log(f"building a store of {bookings:,} demo bookings (seed {seed}) in {folder} "
        "with `bookings demo` ...")
    started = time.perf_counter()
    try:
        cli(building / db.name, "init")
        demo = json.loads(cli(building / db.name, "demo", "--bookings", str(bookings),
                              "--seed", str(seed), "--json"))
        credentials: dict[str, list[str]] = {}
        for user in demo["users"]:
            credentials.setdefault(user["role"], [user["login"], user["password"]])
        (building / users.name).write_text(json.dumps(credentials))
        (building / users.name).chmod(0o600)
        building.rename(folder)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    log(f"  built in {time.perf_counter() - started:.1f} s "
        f"({db.stat().st_size / 2**20:.0f} MB; kept for the next runs)")
    return db, credentials


# --- the same queries, bare ----------------------------------------------------------


class Recorder:
    """Passes `execute` on to DuckDB and keeps what was sent; refuses anything else, so
    no query can slip by unrecorded."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self._con = con
        self.statements: list[tuple[str, object]] = []

    def execute(self, sql: str, params=None):
        self.statements.append((sql, params))
        return self._con.execute(sql, params)

    def __getattr__(self, name: str):
        raise AttributeError(f"the bench's recorder passes on execute only, not {name!r}")


def recorded(con: duckdb.DuckDBPyConnection, calls: Callable[[Recorder], object]) -> list:
    recorder = Recorder(con)
    calls(recorder)
    return recorder.statements


def bare_seconds(con: duckdb.DuckDBPyConnection, statements: list, repeat: int) -> list[float]:
    """Each run: every statement sent and every row fetched, with DuckDB alone."""
    def once() -> float:
        started = time.perf_counter()
        for sql, params in statements:
            con.execute(sql, params).fetchall()
        return time.perf_counter() - started

    once()  # warm-up, as in the browser
    return [once() for _ in range(repeat)]


def list_view(user, bfilter: BookingFilter, sort: str, descending: bool):
    """What the list page asks bookings.listing for a view (the brief's bare set)."""
    def calls(con) -> None:
        listing.filter_choices(con)
        listing.summary(con, user, bfilter)
        listing.page(con, user, bfilter, sort=sort, descending=descending, limit=PAGE_ROWS)
    return calls


def list_extras(user, bfilter: BookingFilter):
    """The list page's other queries: the names for the filter in words and the count
    for "Delete all matching" (the timeline runs only while its expander is open)."""
    def calls(con) -> None:
        listing.names(con)
        if not bfilter.is_empty():
            listing.count(con, user, bfilter.narrowed(cancelled="no"))
    return calls


def session_check(user):
    """What a tick's rerun asks the store: is the sign-in still live (pages/common.require)."""
    def calls(con) -> None:
        sessions.user_for(con, "a-token-of-the-same-length-as-any-other-one-0000")
        user_by_id(con, user.id)  # what follows for a live session's token
    return calls


def calendar_view(user, booking_id: int, day: date):
    """What pages/calendar.py calls for a day with a booking open (an owner: no scope)."""
    def calls(con) -> None:
        booking_interval_min(con)
        catalog.staff(con)
        editing.day(con, user, datetime.combine(day, time_of_day.min), days=1, staff=())
        editing.current(con, booking_id, user)
        catalog.services(con)
        catalog.booking_categories(con)
        catalog.services(con)  # the "New booking" form's
    return calls


def view_of(url: str) -> tuple[BookingFilter, str, bool]:
    """The filter and sort the list shows at URL (the URL is the list's state)."""
    params = parse_qs(urlsplit(url).query)
    bfilter, notices = BookingFilter.from_params(
        {k: v for k, v in params.items() if k not in ("sort", "asc", "size", "page")})
    assert not notices, notices
    sort = params.get("sort", [listing.DEFAULT_SORT])[0]
    return bfilter, sort, params.get("asc", ["0"])[0] != "1"


# --- in the browser ------------------------------------------------------------------

# Installed in every document before its own scripts. arm(proof, args) starts a frame
# watcher and takes the next pointerdown as the start.
WATCHER = r"""
(() => {
  if (window.top !== window) return;
  const clock = () => performance.timeOrigin + performance.now();
  const all = (selector) => [...document.querySelectorAll(selector)];
  const app = () => document.querySelector('[data-testid="stApp"]');
  const any = (selector, test) => all(selector).some((e) => test(e.textContent.trim(), e));
  const button = (words, enabled) =>
    any("button", (text, e) => text.includes(words) && (!enabled || !e.disabled));
  const PROOFS = {
    list: () => any("h1", (t) => t === "Bookings") && button("Delete selected (", false),
    showing: (words) => any('[data-testid="stMarkdownContainer"]',
                            (t) => t.startsWith("Showing:") && t.includes(words))
      && button("Delete selected (", false),
    ticked: (n) => button(`Delete selected (${n})`, n > 0),
    calendar: (id) => any("h1", (t) => t === "Calendar")
      && any("h3", (t) => new RegExp(`^Booking ${id}\\b`).test(t)),
  };
  const painted = () => all('[data-testid="stSpinner"], [data-testid="stSkeleton"]')
      .length === 0
    && all('[data-testid="stVegaLiteChart"]').every((c) => c.querySelector("canvas, svg"))
    && all('[data-testid="stDataFrame"]').every((d) => d.querySelector("canvas"))
    && document.fonts.status === "loaded";
  const bench = window.__bench = {watch: null};

  function watch(proof, args) {
    const w = bench.watch = {proof, start: null, done: null, sawRunning: false};
    const seen = () => {
      if (app()?.getAttribute("data-test-script-state") === "running") w.sawRunning = true;
    };
    const observer = new MutationObserver(seen);
    observer.observe(document, {subtree: true, attributes: true,
                                attributeFilter: ["data-test-script-state"]});
    const frame = () => {
      if (bench.watch !== w) { observer.disconnect(); return; }
      seen();
      const a = app();
      if (a && a.getAttribute("data-test-script-state") === "notRunning"
          && a.getAttribute("data-test-connection-state") === "CONNECTED"
          && PROOFS[proof](...args) && painted()) {
        w.done = clock();
        observer.disconnect();
        return;
      }
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
    return w;
  }

  bench.arm = (proof, args) => {
    const w = watch(proof, args);
    addEventListener("pointerdown", () => { if (w.start === null) w.start = clock(); },
                     {capture: true, once: true});
  };
  bench.result = () => {
    const w = bench.watch;
    return w && w.done !== null && w.start !== null
      ? {start: w.start, done: w.done, sawRunning: w.sawRunning} : null;
  };
})();
"""


def arm(page, proof: str, *args) -> None:
    page.evaluate("([proof, args]) => window.__bench.arm(proof, args)", [proof, list(args)])


def answered(page, what: str) -> float:
    """Seconds from the armed click to its answer on the page, on the page's clock."""
    from playwright.sync_api import Error

    deadline = time.monotonic() + ANSWER_TIMEOUT_S
    while True:
        try:
            result = page.evaluate("() => window.__bench && window.__bench.result()")
        except Error:  # the page is between documents (sign-in)
            result = None
        if result:
            if not result["sawRunning"]:
                raise AssertionError(f"{what}: answered without a script run seen")
            return (result["done"] - result["start"]) / 1000
        if time.monotonic() > deadline:
            raise SystemExit(f"{what}: no answer in {ANSWER_TIMEOUT_S} s ({page.url})")
        page.wait_for_timeout(20)


def new_page(browser):
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(ANSWER_TIMEOUT_S * 1000)
    # The tests' run tracker: `sign_in` and `wait_for_render` (untimed steps) wait on it.
    context.add_init_script(RUN_TRACKER)
    context.add_init_script(WATCHER)
    return context, context.new_page()


def timed_runs(measure: Measure, repeat: int, once: Callable[[], float]) -> None:
    """One warm-up (kept apart), then REPEAT timed runs, each shown as it ends."""
    measure.warm_up_s = once()
    log(f"  {measure.name}: warm-up {measure.warm_up_s:.3f} s")
    for run in range(repeat):
        measure.seconds.append(once())
        log(f"  {measure.name}: run {run + 1}/{repeat} {measure.seconds[-1]:.3f} s")


def timed_sign_in(page, url: str, login: str, password: str, what: str) -> float:
    """The sign-in form, settled as while a person types (its hidden warm-up drawn),
    then Sign in -> the list rendered."""
    page.goto(url)
    wait_for_warm_up(page)
    wait_for_app(page)
    page.get_by_label("Login", exact=True).fill(login)
    page.get_by_label("Password", exact=True).fill(password)
    arm(page, "list")
    page.get_by_role("button", name="Sign in").click()
    seconds = answered(page, what)
    wait_for_render(page)
    return seconds


def first_list(browser, url: str, login: str, password: str) -> float:
    """A fresh browser each run: no cookie, nothing in its cache."""
    context, page = new_page(browser)
    try:
        return timed_sign_in(page, url, login, password, "first list after sign-in")
    finally:
        context.close()


def first_list_again(context, page, url: str, login: str, password: str) -> float:
    """The same browser each run, signed out in between (its cookies cleared): what a
    front desk sees each morning, with Streamlit's code in the browser's cache."""
    context.clear_cookies()
    return timed_sign_in(page, url, login, password,
                         "first list after sign-in, browser seen before")


def show_client(page, client: str) -> float:
    """From the whole history (not timed), the client's name typed, Show -> rendered."""
    with rerun(page):  # the click's run over, not the page's last one
        page.get_by_role("button", name="Whole history").click()
    wait_for_render(page)
    page.get_by_label("Client's name or phone number").fill(client)
    arm(page, "showing", f'client "{client}"')
    page.get_by_role("button", name="Show", exact=True).click()
    seconds = answered(page, "Show")
    wait_for_render(page)
    return seconds


def row_point(page, position: int) -> tuple[float, float]:
    """Where a row's checkbox is: the grid's first column, rows under a header row."""
    grid = page.get_by_test_id("stDataFrame").last  # the bookings, under the facets
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    return box["x"] + 20, box["y"] + ROW_PX * (position + 1) + ROW_PX / 2


def tick(page, position: int, ticked_after: int) -> float:
    x, y = row_point(page, position)
    page.mouse.move(x, y)  # the checkbox shows on hover
    arm(page, "ticked", ticked_after)
    page.mouse.click(x, y)
    return answered(page, f"tick of row {position}")


def tick_and_untick(page, position: int) -> float:
    seconds = tick(page, position, 1)
    tick(page, position, 0)  # back as it was, for the next run (not counted)
    return seconds


def edit_in_calendar(page, list_url: str, position: int, booking_id: int) -> float:
    """The list (loaded anew, not timed), a row ticked, then Edit -> the calendar rendered."""
    page.goto(list_url)
    wait_for_render(page)
    tick(page, position, 1)
    arm(page, "calendar", booking_id)
    page.get_by_role("button", name="Edit", exact=True).click()
    seconds = answered(page, "Edit -> Calendar")
    wait_for_render(page)
    return seconds


# --- the table -----------------------------------------------------------------------


def _s(seconds: float) -> str:
    return f"{seconds:.3f}"


def print_table(measures: list[Measure], bookings: int, repeat: int, setting: str) -> bool:
    print(f"### {bookings:,} bookings, in chromium (s, median of {repeat} after a warm-up; "
          f"{setting})\n")
    print("| measure | median | min | max | target | bare (DuckDB alone) | ratio | result |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    met = True
    for m in measures:
        median = statistics.median(m.seconds)
        bare = statistics.median(m.bare_s) if m.bare_s else 0.0
        ok = median <= m.target_s
        met = met and ok
        ratio = (f"{median / bare:.{0 if median >= 10 * bare else 1}f}x" if bare
                 else "– (no query)")
        print(f"| {m.name} | **{_s(median)}** | {_s(min(m.seconds))} | {_s(max(m.seconds))} "
              f"| <= {m.target_s:g} | {_s(bare)} | {ratio} | {'met' if ok else '**missed**'} |")
    print()
    for m in measures:
        print(f"- {m.name}: warm-up (not counted) {_s(m.warm_up_s)} s; bare = {m.what_bare}.")
    return met


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()),
                        help="where the built store is kept for the next runs")
    # run_all.py passes the same BENCH_ARGS to every benchmark: ignore the others'.
    args, _ = parser.parse_known_args(argv)
    if args.bookings < 1000 or args.repeat < 1:
        parser.error("--bookings must be 1000 or more and --repeat 1 or more")
    if not CHROMIUM.exists():
        log(f"{CHROMIUM} is missing: `make chromium` installs Debian's chromium")
        return 1
    from playwright.sync_api import sync_playwright

    db, credentials = cached_store(args.bookings, args.seed, args.cache_dir)
    login, password = credentials["owner"]
    bare = duckdb.connect(str(db), read_only=True)
    bare.execute("SET enable_progress_bar = false")
    owner = auth.get_user(bare, login)
    # The name most bookings are under: what the front desk types for a regular.
    client = bare.execute("""
        SELECT c.name FROM bookings b JOIN clients c ON c.id = b.client_id
        GROUP BY c.name ORDER BY count(*) DESC, c.name LIMIT 1""").fetchone()[0]
    threads = bare.execute("SELECT current_setting('threads')").fetchone()[0]
    load_at_start = os.getloadavg()[0]
    today = date.today()
    measures = {
        "list": Measure("list", "first list after sign-in", 1.0,
                        "`filter_choices` + `summary` + `page` for today's and the coming visits"),
        "again": Measure("again", "first list after sign-in, browser seen before", 1.0,
                         "as for the first list"),
        "show": Measure("show", f'Show, client "{client}"', 0.45,
                        f'`filter_choices` + `summary` + `page` for client "{client}"'),
        "tick": Measure("tick", "tick of one row", 0.25,
                        "the sign-in check, the one query a tick's rerun sends (the session "
                        "by its token, then its user); the table is the rows it was given. "
                        "Streamlit's grid waits 150 ms after a tick before it sends it"),
        "calendar": Measure("calendar", "Edit -> Calendar", 1.0,
                            "what pages/calendar.py calls: interval, `catalog.staff`, "
                            "`editing.day`, `editing.current`, `catalog.services` x2, "
                            "`catalog.booking_categories`"),
    }
    extras = {}

    with tempfile.TemporaryDirectory(prefix="bench-browser-") as tmp:
        served = Path(tmp) / "served"
        served.mkdir(mode=0o700)
        shutil.copy2(db, served / db.name)  # the app holds its copy; the bare side reads db
        log("starting the app (bookings serve) and chromium ...")
        with serving(served / db.name, Path(tmp) / "streamlit.log") as url, \
                sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                                 args=CHROMIUM_ARGS)
            log(f"app on {url}; measuring, {args.repeat} runs after a warm-up each:")
            m = measures["list"]
            timed_runs(m, args.repeat, lambda: first_list(browser, url, login, password))
            opening = BookingFilter(visit_from=today)
            statements = recorded(bare, list_view(owner, opening, "visit_at", False))
            m.bare_s = bare_seconds(bare, statements, args.repeat)
            extras["list"] = bare_seconds(bare, recorded(bare, list_extras(owner, opening)),
                                          args.repeat)
            log(f"  {m.name}: bare {statistics.median(m.bare_s):.3f} s")

            m = measures["again"]
            context, page = new_page(browser)
            timed_runs(m, args.repeat,
                       lambda: first_list_again(context, page, url, login, password))
            m.bare_s = measures["list"].bare_s
            context.close()

            context, page = new_page(browser)
            sign_in(page, url, login, password)
            wait_for_render(page)
            m = measures["show"]
            timed_runs(m, args.repeat, lambda: show_client(page, client))
            list_url = page.url
            bfilter, sort, descending = view_of(list_url)
            assert bfilter == BookingFilter(client=client), (bfilter, list_url)
            statements = recorded(bare, list_view(owner, bfilter, sort, descending))
            m.bare_s = bare_seconds(bare, statements, args.repeat)
            extras["show"] = bare_seconds(bare, recorded(bare, list_extras(owner, bfilter)),
                                          args.repeat)
            log(f"  {m.name}: bare {statistics.median(m.bare_s):.3f} s")

            rows = listing.page(bare, owner, bfilter, sort=sort, descending=descending,
                                limit=PAGE_ROWS)
            position = next(i for i, r in enumerate(rows) if not r["deleted"])
            assert position < 15, "the first booking not deleted is below the grid's fold"
            booking = rows[position]
            m = measures["tick"]
            timed_runs(m, args.repeat, lambda: tick_and_untick(page, position))
            m.bare_s = bare_seconds(bare, recorded(bare, session_check(owner)), args.repeat)
            log(f"  {m.name}: bare {statistics.median(m.bare_s):.3f} s")

            m = measures["calendar"]
            timed_runs(m, args.repeat,
                       lambda: edit_in_calendar(page, list_url, position, booking["id"]))
            statements = recorded(bare, calendar_view(owner, booking["id"],
                                                      booking["visit_at"].date()))
            m.bare_s = bare_seconds(bare, statements, args.repeat)
            log(f"  {m.name}: bare {statistics.median(m.bare_s):.3f} s")
            context.close()
            browser.close()
    bare.close()
    setting = (f"{os.cpu_count()} CPUs, load average {load_at_start:.1f} at the start and "
               f"{os.getloadavg()[0]:.1f} at the end, DuckDB {duckdb.__version__} with "
               f"{threads} threads")

    print("The app in Debian chromium (Playwright, 1400x900), signed in as the owner, timed "
          "on the page's clock from the click to the first frame with the run over, its answer "
          "on the page and the grids and charts painted; next to the same queries sent to "
          "DuckDB alone on the same store in the same run (recorded through the functions "
          "the page calls, replayed read-only).\n")
    met = print_table(list(measures.values()), args.bookings, args.repeat, setting)
    print(f"- The list page also asks for the names and, "
          f"with a filter, the count for \"Delete all matching\": bare, "
          f"{_s(statistics.median(extras['list']))} s more for the first list and "
          f"{_s(statistics.median(extras['show']))} s more for Show.")
    print(f"\nTargets {'met' if met else 'missed'}.")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
