"""A hand-made client of Streamlit's browser protocol, to drive the running app the way
any program could: what it does not do (a click callback, a page's own checks), the
server must not count on.

It speaks this subset of Streamlit 1.67's protocol, nothing of the frontend's code:

- **Handshake.** `GET /_stcore/health` first, as the frontend pings the server before
  it connects (the answer sets the `_streamlit_xsrf` cookie); then the websocket
  `/_stcore/stream`, whose `Sec-WebSocket-Protocol` list carries `["streamlit",
  <xsrf token, or the frontend's placeholder>, <session id>]`: the third entry, when
  given, asks to take up an existing session (the reconnect path). Cookies (the app's
  own sign-in cookie) go in the handshake's `Cookie` header, which is where the server
  reads them (`st.context.cookies`).
- **To the server (BackMsg).** `rerun_script` with a ClientState: the query string,
  the page by its URL path (`page_script_hash = calc_hash(url_path)` and `page_name`,
  as st.navigation's pages are hashed), the widget states this client set, and the
  browser context (URL, time zone, locale); `backend_operation_request` for a deferred
  download button's file.
- **From the server (ForwardMsg).** `new_session` (the session id, the start of a run),
  `delta` (new elements and blocks, kept by their delta path), `script_finished`,
  `navigation` (the current page), `page_info_changed` (the query string),
  `auth_redirect`, `backend_operation_response`. The rest is read and ignored; no
  cached message hashes are ever sent, so the server always sends whole messages.

Not spoken: file uploads, a fragment's timer (`auto_rerun`), dataframe chunks,
custom components, chat input. Widget values are sent only for the widgets this
client set (the server keeps the others' last values), a form's values only with
its submit button's trigger, as the browser does.

    with StreamlitClient(app_url) as client:
        client.sign_in("admin", password)
        client.open("data-log")
        fetch = client.download("Download .xlsx")   # the file, without the click
        client.errors                               # st.error texts of the last run

Helpers for attacks that need several connections: `present_session_id` (a second
client presenting another's session id, without its cookie) and `sign_in_in_parallel`
(N sign-in attempts at once, each on its own connection).
"""

from __future__ import annotations

import http.client
import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urljoin, urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.util import calc_hash
from websockets.sync.client import ClientConnection, connect

XSRF_COOKIE = "_streamlit_xsrf"
NO_XSRF = "PLACEHOLDER_AUTH_TOKEN"  # what Streamlit's frontend sends without the cookie
SESSION_COOKIE = "bookings_session"  # the app's sign-in cookie (cookie sessions)
ALERT_KINDS = {1: "error", 2: "warning", 3: "info", 4: "success"}  # Alert.Format
RUN_DONE = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
            ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}
TIMEOUT_S = 30.0


class ProtocolError(AssertionError):
    """The server did not answer as expected (a test failure, with what was drawn)."""


@dataclass(frozen=True)
class Element:
    """One drawn element: its delta path, type (`alert`, `markdown`, `button`, ...),
    its protobuf, and its text (a body, a label, code)."""

    path: tuple[int, ...]
    kind: str
    proto: Any

    @property
    def text(self) -> str:
        for name in ("body", "label", "code_text", "message"):
            value = getattr(self.proto, name, None)
            if isinstance(value, str) and value:
                return value
        return ""

    @property
    def widget_id(self) -> str:
        return getattr(self.proto, "id", "")

    @property
    def form_id(self) -> str:
        return getattr(self.proto, "form_id", "")

    @property
    def alert_kind(self) -> str | None:
        """"error", "warning", "info" or "success" for an alert, else None."""
        return ALERT_KINDS.get(self.proto.format) if self.kind == "alert" else None


@dataclass(frozen=True)
class Response:
    """A plain HTTP answer (redirects are not followed)."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def cookies(self) -> dict[str, str]:
        """The cookies this answer sets (Set-Cookie), name -> value."""
        jar = SimpleCookie()
        for key, value in self.headers:
            if key.lower() == "set-cookie":
                jar.load(value)
        return {name: morsel.value for name, morsel in jar.items()}


@dataclass(frozen=True)
class Fetch:
    """What asking for a download button's file got. `error` is the server's refusal
    (no URL handed out: `status` is None); otherwise `status` and `body` of the GET."""

    url: str | None
    status: int | None
    body: bytes = b""
    error: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class SignInOutcome:
    """One sign-in attempt: signed in (drawn so, or a redirect to the cookie route),
    the redirect URL if any, the st.error texts, how long the attempt took, and any
    exception the page showed."""

    signed_in: bool
    redirect: str | None
    errors: tuple[str, ...]
    seconds: float
    exceptions: tuple[str, ...] = ()  # uncaught, as the page showed them


def http_get(url: str, *, cookies: dict[str, str] | None = None,
             headers: dict[str, str] | None = None, timeout: float = TIMEOUT_S) -> Response:
    """GET URL (http only), redirects not followed, with these cookies."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    sent = dict(headers or {})
    if cookies:
        sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    try:
        connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""),
                           headers=sent)
        answer = connection.getresponse()
        return Response(answer.status, answer.getheaders(), answer.read())
    finally:
        connection.close()


class StreamlitClient:
    """One browser tab, by hand: a websocket session of the app at BASE_URL.

    COOKIES are sent in the handshake (and kept: `sign_in` adds the session cookie);
    HEADERS are more handshake headers; SESSION_ID is an existing session's id to
    present (the reconnect path); SOURCE_ADDRESS binds the client's end of the
    connection (e.g. ("127.0.0.2", 0): another loopback address).
    """

    def __init__(self, base_url: str, *, cookies: dict[str, str] | None = None,
                 headers: dict[str, str] | None = None, session_id: str | None = None,
                 source_address: tuple[str, int] | None = None,
                 timeout: float = TIMEOUT_S):
        self.base_url = base_url.rstrip("/")
        self.cookies = dict(cookies or {})
        self.headers = dict(headers or {})
        self.presented_session_id = session_id
        self.source_address = source_address
        self.timeout = timeout
        self.session_id: str | None = None  # as the server assigned it (new_session)
        self.page = ""  # the URL path of the page drawn
        self.query_string = ""
        self.auth_redirect: str | None = None  # the last auth_redirect URL sent
        self.page_not_found: str | None = None
        self._pages: dict[str, str] = {}  # page_script_hash -> URL path
        self._page_hash = ""
        self._drawn: dict[tuple[int, ...], Element] = {}
        self._values: dict[str, WidgetState] = {}  # set widget values, sent every rerun
        self._pending: dict[str, dict[str, WidgetState]] = {}  # form id -> values
        self._responses: dict[str, Any] = {}  # backend operation responses by request id
        self._ws: ClientConnection | None = None

    # --- connecting --------------------------------------------------------------

    def connect(self) -> StreamlitClient:
        """Ping the server as the frontend does (it sets the xsrf cookie), then open the
        websocket."""
        pinged = http_get(self.base_url + "/_stcore/health", cookies=self.cookies,
                          headers=self.headers)
        for name, value in pinged.cookies().items():
            self.cookies.setdefault(name, value)
        protocols = ["streamlit", self.cookies.get(XSRF_COOKIE, NO_XSRF)]
        if self.presented_session_id:
            protocols.append(self.presented_session_id)
        headers = {"Origin": self.base_url, **self.headers}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        extra = {"source_address": self.source_address} if self.source_address else {}
        self._ws = connect(self.base_url.replace("http", "ws", 1) + "/_stcore/stream",
                           subprotocols=protocols, additional_headers=headers, proxy=None,
                           max_size=None, open_timeout=self.timeout,
                           legacy=True,  # a plain connection, closed by close()
                           **extra)
        return self

    def close(self) -> None:
        if self._ws is not None:
            self._ws.close()
            self._ws = None

    def reconnect(self, *, keep_session: bool = False) -> StreamlitClient:
        """A new websocket with the cookies held now (a page load: a new session, unless
        KEEP_SESSION presents this one's id, as the frontend does after a drop)."""
        self.close()
        self.presented_session_id = self.session_id if keep_session else None
        self._values.clear()
        self._pending.clear()
        return self.connect()

    def __enter__(self) -> StreamlitClient:
        return self.connect() if self._ws is None else self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- what was drawn ----------------------------------------------------------

    @property
    def elements(self) -> list[Element]:
        """The elements of the last run, in page order (main area, then sidebar)."""
        return [self._drawn[path] for path in sorted(self._drawn)]

    @property
    def texts(self) -> list[str]:
        return [e.text for e in self.elements if e.text]

    def shows(self, text: str) -> bool:
        """Whether any element's text contains TEXT."""
        return any(text in t for t in self.texts)

    def alerts(self, kind: str | None = None) -> list[str]:
        """The bodies of st.error / st.warning / st.info / st.success (KIND: one of them)."""
        return [e.text for e in self.elements
                if e.alert_kind is not None and kind in (None, e.alert_kind)]

    errors = property(lambda self: self.alerts("error"))
    warnings = property(lambda self: self.alerts("warning"))
    infos = property(lambda self: self.alerts("info"))
    successes = property(lambda self: self.alerts("success"))

    @property
    def exceptions(self) -> list[str]:
        """Uncaught exceptions the page showed, as `Type: message`."""
        return [f"{e.proto.type}: {e.proto.message}" for e in self.elements
                if e.kind == "exception"]

    @property
    def signed_in(self) -> bool:
        return self.shows("Signed in as")

    def find(self, label: str, *, kind: str | tuple[str, ...] | None = None,
             key: str | None = None) -> Element:
        """The one element with this exact label/text (of KIND, a type or several; whose
        widget id ends with the user key KEY). Raises, listing the widgets drawn, unless
        exactly one matches."""
        kinds = (kind,) if isinstance(kind, str) else kind
        found = [e for e in self.elements if e.text == label
                 and (kinds is None or e.kind in kinds)
                 and (key is None or e.widget_id.endswith(f"-{key}"))]
        if len(found) != 1:
            there = [(e.kind, e.text) for e in self.elements if e.widget_id]
            raise ProtocolError(f"{len(found)} elements {label!r} (kind {kind}, key {key}) on "
                                f"{self.page!r}; widgets: {there}; alerts: {self.alerts()}; "
                                f"exceptions: {self.exceptions}")
        return found[0]

    def table(self, index: int = 0):
        """The INDEXth st.dataframe of the page as a pandas DataFrame."""
        import pyarrow as pa

        frames = [e for e in self.elements if e.kind == "dataframe"]
        data = frames[index].proto.arrow_data.data
        return pa.ipc.open_stream(data).read_pandas()

    # --- runs ----------------------------------------------------------------------

    def open(self, page: str = "", query: str = "") -> StreamlitClient:
        """Ask for a page by its URL path ("" is the default page), as a page load or a
        navigation does; wait for the run."""
        self._pending.clear()
        return self._rerun(page=page, query=query)

    def rerun(self) -> StreamlitClient:
        """Run the current page again with the values set (Streamlit's "R")."""
        return self._rerun()

    def _rerun(self, *, page: str | None = None, query: str | None = None,
               triggers: dict[str, WidgetState] | None = None) -> StreamlitClient:
        if self._ws is None:
            self.connect()
        if page is None:
            page_hash, page = self._page_hash, self.page
        else:
            page_hash = calc_hash(page) if page else ""
        query = self.query_string if query is None else query.lstrip("?")
        message = BackMsg()
        state = message.rerun_script
        state.query_string = query
        state.page_script_hash = page_hash
        state.page_name = page
        state.widget_states.widgets.extend([*self._values.values(), *(triggers or {}).values()])
        context = state.context_info
        context.url = f"{self.base_url}/{page}" + (f"?{query}" if query else "")
        context.timezone, context.timezone_offset, context.locale = "UTC", 0, "en-US"
        self.auth_redirect = None  # this run's, if it sends one
        self._ws.send(message.SerializeToString())
        self._read(until=lambda msg: msg.WhichOneof("type") == "script_finished"
                   and msg.script_finished in RUN_DONE)
        active = {e.widget_id for e in self._drawn.values() if e.widget_id}
        self._values = {wid: v for wid, v in self._values.items() if wid in active}
        return self

    def _read(self, until) -> ForwardMsg:
        """Handle ForwardMsgs until one satisfies UNTIL; that one is returned."""
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                data = self._ws.recv(timeout=max(deadline - time.monotonic(), 0))
            except TimeoutError:
                raise ProtocolError(f"No answer within {self.timeout} s on {self.page!r}; "
                                    f"drawn: {self.texts[:30]}") from None
            msg = ForwardMsg()
            msg.ParseFromString(data)
            self._handle(msg)
            if until(msg):
                return msg

    def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            session = msg.new_session
            if session.initialize.session_id:
                self.session_id = session.initialize.session_id
            self._pages.update({p.page_script_hash: p.url_pathname for p in session.app_pages})
            if not msg.metadata.run.fragment_ids:  # a whole run: a new picture
                self._drawn.clear()
                self.page_not_found = None
        elif kind == "navigation":
            self._pages.update({p.page_script_hash: p.url_pathname
                                for p in msg.navigation.app_pages})
            self._page_hash = msg.navigation.page_script_hash
            self.page = self._pages.get(self._page_hash, self.page)
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "delta":
            self._draw(tuple(msg.metadata.delta_path), msg.delta)
        elif kind == "auth_redirect":
            self.auth_redirect = urljoin(self.base_url + "/", msg.auth_redirect.url)
        elif kind == "page_not_found":
            self.page_not_found = msg.page_not_found.page_name
        elif kind == "backend_operation_response":
            response = msg.backend_operation_response
            self._responses[response.request_id] = response

    def _draw(self, path: tuple[int, ...], delta) -> None:
        which = delta.WhichOneof("type")
        if which == "add_block":  # a container (again): what it held is redrawn
            for old in [p for p in self._drawn if p[:len(path)] == path]:
                del self._drawn[old]
        elif which == "new_element":
            element = delta.new_element
            kind = element.WhichOneof("type")
            if kind is not None:
                self._drawn[path] = Element(path, kind, getattr(element, kind))

    # --- widgets -------------------------------------------------------------------

    def _set(self, label: str, kinds: tuple[str, ...], state: WidgetState,
             key: str | None) -> StreamlitClient:
        element = self.find(label, kind=kinds, key=key)
        state.id = element.widget_id
        if element.form_id:  # held until the form is submitted, as the browser does
            self._pending.setdefault(element.form_id, {})[state.id] = state
            return self
        self._values[state.id] = state
        return self._rerun()

    def type(self, label: str, text: str, *, key: str | None = None) -> StreamlitClient:
        """Type TEXT into a text_input/text_area (a rerun, unless it is in a form)."""
        return self._set(label, ("text_input", "text_area"), WidgetState(string_value=text),
                         key)

    def check(self, label: str, value: bool = True, *, key: str | None = None
              ) -> StreamlitClient:
        """Tick (or untick) a checkbox/toggle."""
        return self._set(label, ("checkbox",), WidgetState(bool_value=value), key)

    def select(self, label: str, option: str, *, key: str | None = None) -> StreamlitClient:
        """Choose OPTION of a selectbox/radio: its text as drawn, or the one option that
        starts with OPTION."""
        kinds = ("selectbox", "radio")
        element = self.find(label, kind=kinds, key=key)
        return self._set(label, kinds, WidgetState(string_value=self._option(element, option)),
                         key)

    def multiselect(self, label: str, options: list[str], *, key: str | None = None
                    ) -> StreamlitClient:
        element = self.find(label, kind="multiselect", key=key)
        state = WidgetState()
        state.string_array_value.data.extend(self._option(element, o) for o in options)
        return self._set(label, ("multiselect",), state, key)

    @staticmethod
    def _option(element: Element, option: str) -> str:
        options = list(element.proto.options)
        if option in options:
            return option
        starting = [o for o in options if o.startswith(option)]
        if len(starting) != 1:
            raise ProtocolError(f"No single option {option!r} in {element.text!r}: {options}")
        return starting[0]

    def click(self, label: str, *, key: str | None = None) -> StreamlitClient:
        """Press a button; a form's submit button sends the form's values with it."""
        element = self.find(label, kind=("button", "download_button"), key=key)
        if element.form_id:
            self._values.update(self._pending.pop(element.form_id, {}))
        trigger = WidgetState(id=element.widget_id, trigger_value=True)
        return self._rerun(triggers={element.widget_id: trigger})

    # --- downloads -----------------------------------------------------------------

    def download(self, label: str, *, key: str | None = None, click: bool = False) -> Fetch:
        """The file behind a download button, fetched as the browser would, WITHOUT the
        click's rerun (its on_click) unless CLICK. A deferred download (a callable as
        `data`) is a backend operation that answers with a URL, or an error; a plain one
        has its URL in the element. The URL is then fetched over HTTP."""
        button = self.find(label, kind="download_button", key=key).proto
        if button.HasField("deferred_file_id"):
            fetch = self.deferred_file(button.deferred_file_id)
        else:
            fetch = self.get(button.url)
        if click:
            self.click(label, key=key)
        return fetch

    def deferred_file(self, file_id: str) -> Fetch:
        """Ask for a deferred download by its file id (as this session), then GET the URL
        the server answers with; `error` (and no GET) when it refuses."""
        request_id = uuid.uuid4().hex
        message = BackMsg()
        request = message.backend_operation_request
        request.request_id = request_id
        request.session_id = self.session_id or ""
        request.deferred_file.file_id = file_id
        self._ws.send(message.SerializeToString())
        self._read(until=lambda msg: request_id in self._responses)
        response = self._responses.pop(request_id)
        if response.error_msg or response.WhichOneof("payload") != "deferred_file":
            return Fetch(None, None, error=response.error_msg or "no file in the answer")
        return self.get(response.deferred_file.url)

    def get(self, url: str) -> Fetch:
        """GET a URL of the app (a file's) with this client's cookies."""
        got = http_get(urljoin(self.base_url + "/", url), cookies=self.cookies,
                       headers=self.headers)
        return Fetch(url, got.status, got.body, headers=got.headers)

    # --- signing in ----------------------------------------------------------------

    def sign_in(self, login: str, password: str, *, page: str = "",
                query: str = "") -> StreamlitClient:
        """Fill in and submit the sign-in form (at PAGE). The page opens signed in on
        this connection and hands over the ticket for the cookie: /auth/session is
        fetched with it, as the page's script does, and its `bookings_session` cookie
        kept. (Answered instead with an `auth_redirect` to that route, it is fetched
        and the app opened again with the cookie on a new connection, at the
        redirect's target.) Either way, check `signed_in` / `errors` after."""
        self.open(page, query)
        self.type("Login", login).type("Password", password).click("Sign in")
        if self.auth_redirect:
            self.follow_auth_redirect()
        elif self.cookie_handover:
            self._get_with_cookies(self.cookie_handover)
        return self

    @property
    def cookie_handover(self) -> str | None:
        """The /auth/session URL with the ticket the page's script fetches, if drawn."""
        for element in self.elements:
            found = re.search(r'"(auth/session\?ticket=[^"]+)"', element.text)
            if element.kind == "html" and found:
                return urljoin(self.base_url + "/", found.group(1))
        return None

    def follow_auth_redirect(self) -> Response:
        """GET the auth_redirect URL (no redirects followed), keep the cookies it sets,
        and reconnect with them at its Location, as a browser would."""
        answer = self._get_with_cookies(self.auth_redirect)
        target = urlsplit(urljoin(self.auth_redirect, answer.header("Location") or "/"))
        self.reconnect()
        self.open(target.path.strip("/"), target.query)
        return answer

    def _get_with_cookies(self, url: str) -> Response:
        """GET URL with this client's cookies (no redirects followed); keep those it sets."""
        answer = http_get(url, cookies=self.cookies, headers=self.headers)
        self.cookies.update(answer.cookies())
        return answer


# --- attacks that need several connections ----------------------------------------------


def present_session_id(base_url: str, session_id: str, *, page: str = "",
                       query: str = "", cookies: dict[str, str] | None = None
                       ) -> StreamlitClient:
    """A new client presenting SESSION_ID (another client's) as its own, with COOKIES
    only (none by default: not the other client's cookie), opened at PAGE. What it
    is shown is what a session id alone is worth."""
    client = StreamlitClient(base_url, cookies=cookies, session_id=session_id)
    client.connect()
    return client.open(page, query)


def sign_in_in_parallel(base_url: str, login: str, password: str, attempts: int, *,
                        source_address: tuple[str, int] | None = None,
                        headers: dict[str, str] | None = None,
                        timeout: float = 120.0) -> list[SignInOutcome]:
    """ATTEMPTS sign-ins at once, each on its own connection (a thread each): every
    client opens the form and fills it in, then all press Sign in together. Redirects
    are not followed. What each got, in no particular order."""
    ready = threading.Barrier(attempts, timeout=timeout)

    def attempt() -> SignInOutcome:
        with StreamlitClient(base_url, headers=headers, source_address=source_address,
                             timeout=timeout) as client:
            client.open().type("Login", login).type("Password", password)
            ready.wait()
            started = time.monotonic()
            client.click("Sign in")
            return SignInOutcome(client.signed_in or client.auth_redirect is not None,
                                 client.auth_redirect, tuple(client.errors),
                                 time.monotonic() - started, tuple(client.exceptions))

    with ThreadPoolExecutor(max_workers=attempts) as pool:
        futures = [pool.submit(attempt) for _ in range(attempts)]
        return [future.result() for future in futures]

