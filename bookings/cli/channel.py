"""The local channel between the `bookings` command and the running app.

DuckDB lets one process hold the store file, and the running app holds it. So the app
listens on a unix socket beside the file, `<store file>.sock` (`data/bookings.duckdb.sock`),
and a command that finds the file held asks the app to run it there instead
(`bookings.cli.main`). Only the file's owner may use it, behind two gates: the socket
file is 0600 in a folder only its owner may change (the channel does not start in a
folder others may write to), and each side checks the other's uid (SO_PEERCRED): the
app answers only its own uid, and the command talks only to an app of its own uid.

One request and one answer per connection, each one line of JSON (the CLI contract's
documents travel inside them, as the text the command prints):

    request  {"argv": ["list", "--json"], "stdin": "", "cwd": "/home/ann"}
    answer   {"code": 0, "stdout": "{\"total\": 6, ...}\n", "stderr": ""}

`argv` is the command line without `--db` (the app serves its own store), `stdin` what
the command reads from standard input (`--password-stdin`), `cwd` the folder relative
file names are taken from. The app side is transport only: it hands each request to a
function (`bookings.cli.answer`) that an HTTP API could call as well.

Here: where the socket is, the peer check, the client (`ask`) and the listener
(`Listener`, started by server.py's lifespan). Nothing here imports the commands.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import socket
import stat
import struct
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

log = logging.getLogger(__name__)

SUFFIX = ".sock"
CONNECT_TIMEOUT_S = 5.0  # an app that does not accept within this is not answering
REQUEST_TIMEOUT_S = 30.0  # the app waits this long for a request's line, no longer
MAX_REQUEST_BYTES = 4 * 1024 * 1024  # a command line, a password: far less
STOP_WAIT_S = 30.0  # at shutdown, commands still running get this long to finish
SOCKET_MODE = 0o600
_PEERCRED = struct.Struct("3i")  # struct ucred: pid, uid, gid
_SUN_PATH_MAX = 107  # sockaddr_un.sun_path holds 108 bytes, the last a NUL

Handler = Callable[[dict], dict]


class NoApp(Exception):
    """No app answered on the socket; the message says what happened there."""


def socket_path(db: Path | str) -> Path:
    """The socket of the app holding the store DB: beside it, named after it. Both sides
    find it from the file alone (the CLI from --db, the app from BOOKINGS_DB)."""
    db = Path(db).resolve()
    return db.with_name(db.name + SUFFIX)


def peer_uid(sock: socket.socket) -> int:
    """The uid of the process at the other end of a unix socket (the kernel's word)."""
    _pid, uid, _gid = _PEERCRED.unpack(
        sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEERCRED.size))
    return uid


def peer_allowed(uid: int, own_uid: int | None = None) -> bool:
    """Whether a peer of UID may use the channel: the store's owner only, i.e. the uid
    this process runs as (root is not let in on another user's app, nor the reverse)."""
    return uid == (os.getuid() if own_uid is None else own_uid)


def folder_problem(folder: Path, own_uid: int | None = None) -> str | None:
    """Why a socket in FOLDER would not be the owner's alone (None when it would be):
    a folder another user owns, or one others may write to (and so replace the socket
    with their own), even with the sticky bit (they may take a free name first)."""
    own_uid = os.getuid() if own_uid is None else own_uid
    info = folder.stat()
    if info.st_uid != own_uid:
        return f"{folder} belongs to uid {info.st_uid}, not to this app's uid {own_uid}"
    if info.st_mode & 0o022:
        return (f"{folder} may be written by others (mode {stat.S_IMODE(info.st_mode):o}): "
                "make it 0700 or 0755")
    return None


@contextlib.contextmanager
def _address(path: Path) -> Iterator[str]:
    """An address for PATH that fits sockaddr_un: PATH itself, or for a longer one, the
    same file reached through this process's descriptor of its folder."""
    if len(os.fsencode(path)) <= _SUN_PATH_MAX:
        yield str(path)
        return
    folder = os.open(path.parent, os.O_PATH | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{folder}/{path.name}"
    finally:
        os.close(folder)


def _connect(path: Path, timeout_s: float) -> socket.socket:
    """A connected socket to PATH, or NoApp saying why not."""
    if not path.exists():
        raise NoApp(f"{path} (no socket there)")
    if not stat.S_ISSOCK(path.lstat().st_mode):
        raise NoApp(f"{path} (not a socket)")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout_s)
    try:
        with _address(path) as address:
            sock.connect(address)
    except TimeoutError:
        sock.close()
        raise NoApp(f"{path} (no answer within {timeout_s:g} s)") from None
    except OSError as exc:
        sock.close()
        raise NoApp(f"{path} ({exc.strerror or exc})") from None
    return sock


def ask(path: Path, request: dict, *, connect_timeout_s: float = CONNECT_TIMEOUT_S) -> dict:
    """Send REQUEST to the app listening on PATH and wait for its answer, however long
    the command takes (an import of a big file): the timeout is for connecting only.
    NoApp when no app of this uid answers."""
    sock = _connect(path, connect_timeout_s)
    with sock:
        uid = peer_uid(sock)
        if not peer_allowed(uid):
            raise NoApp(f"{path} (it is served by uid {uid}, not by this user)")
        sock.settimeout(None)
        try:
            sock.sendall(json.dumps(request).encode() + b"\n")
            sock.shutdown(socket.SHUT_WR)
            data = _read_all(sock)
        except OSError as exc:
            raise NoApp(f"{path} (the connection broke: {exc.strerror or exc})") from None
    try:
        answer = json.loads(data)
        code, out, err = answer["code"], answer["stdout"], answer["stderr"]
    except (ValueError, KeyError, TypeError):
        raise NoApp(f"{path} (what came back is not an answer)") from None
    if not isinstance(code, int) or not isinstance(out, str) or not isinstance(err, str):
        raise NoApp(f"{path} (what came back is not an answer)")
    return answer


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


def is_answering(path: Path) -> bool:
    """Whether an app listens on PATH now (a socket file a crash left does not)."""
    try:
        _connect(path, CONNECT_TIMEOUT_S).close()
    except NoApp:
        return False
    return True


class Listener:
    """The app's side: a unix socket at PATH, each request answered by HANDLE on a
    thread of its own (a long import does not hold up a password reset).

    HANDLE takes a request and returns its answer; the commands it runs write to
    streams of their own, so concurrent ones never mix their output.
    """

    def __init__(self, path: Path, handle: Handler):
        self.path = Path(path)
        self.handle = handle
        self._sock: socket.socket | None = None
        self._inode: tuple[int, int] | None = None  # the socket file this listener made
        self._accepting: threading.Thread | None = None
        self._running: set[threading.Thread] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def start(self) -> bool:
        """Listen, unless the folder is not private or another app answers there already
        (said in the log). A socket file a crashed app left is replaced."""
        problem = folder_problem(self.path.parent)
        if problem:
            log.warning("the command line cannot reach this app through %s: %s",
                        self.path, problem)
            return False
        if self.path.is_symlink() or (self.path.exists()
                                      and not stat.S_ISSOCK(self.path.stat().st_mode)):
            log.warning("the command line cannot reach this app: %s is there and is not "
                        "a socket", self.path)
            return False
        if is_answering(self.path):
            log.warning("another app answers on %s: the command line reaches that one",
                        self.path)
            return False
        self._sock = self._bind()
        self._sock.listen(16)
        self._sock.settimeout(0.5)  # how soon the accepting thread sees stop()
        self._accepting = threading.Thread(target=self._accept, name="cli-channel",
                                           daemon=True)
        self._accepting.start()
        log.info("commands reach this app through %s", self.path)
        return True

    def _bind(self) -> socket.socket:
        """A socket bound at PATH, 0600 from its first moment there: bound in a fresh
        0700 folder beside it, made 0600, then renamed over PATH (which also replaces a
        socket file a crash left, in one step). The umask is left alone: the app's other
        threads create files meanwhile."""
        work = Path(tempfile.mkdtemp(prefix=".sock-", dir=self.path.parent))
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            fresh = work / "s"
            with _address(fresh) as address:
                sock.bind(address)
            os.chmod(fresh, SOCKET_MODE)
            os.replace(fresh, self.path)
            info = self.path.lstat()
            self._inode = (info.st_dev, info.st_ino)
        except BaseException:
            sock.close()
            raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return sock

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                if self._stopping.is_set():
                    return
                log.exception("the command line channel stopped accepting")
                return
            thread = threading.Thread(target=self._serve, args=(conn,), name="cli-command",
                                      daemon=True)
            with self._lock:
                self._running.add(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            with conn:
                uid = peer_uid(conn)
                if not peer_allowed(uid):
                    log.warning("refused a command from uid %s on %s", uid, self.path)
                    return
                request = self._request(conn)
                if request is None:
                    return
                answer = self.handle(request)
                conn.settimeout(None)
                try:
                    conn.sendall(json.dumps(answer).encode() + b"\n")
                except OSError:  # the command's process is gone (Ctrl-C): nobody to tell
                    pass
        except Exception:  # noqa: BLE001 - one bad request never stops the channel
            log.exception("a command through %s failed", self.path)
        finally:
            with self._lock:
                self._running.discard(threading.current_thread())

    def _request(self, conn: socket.socket) -> dict | None:
        """The request's line, read with a timeout and a size limit; None (and the
        connection closed) when it is not one."""
        conn.settimeout(REQUEST_TIMEOUT_S)
        data = b""
        try:
            while b"\n" not in data and len(data) <= MAX_REQUEST_BYTES:
                chunk = conn.recv(1 << 16)
                if not chunk:
                    break
                data += chunk
        except OSError:
            return None
        try:
            request = json.loads(data.split(b"\n", 1)[0])
        except ValueError:
            request = None
        if not isinstance(request, dict):
            with contextlib.suppress(OSError):
                conn.sendall(json.dumps({"code": 2, "stdout": "", "stderr":
                                         "bookings: not a request\n"}).encode() + b"\n")
            return None
        return request

    def stop(self, timeout_s: float = STOP_WAIT_S) -> None:
        """Stop listening, remove the socket file (if it is still this listener's), and
        give the commands still running TIMEOUT_S to finish."""
        self._stopping.set()
        if self._accepting is not None:
            self._accepting.join()
        if self._sock is not None:
            self._sock.close()
        with contextlib.suppress(OSError):
            info = self.path.lstat()
            if (info.st_dev, info.st_ino) == self._inode:
                self.path.unlink()
        with self._lock:
            running = list(self._running)
        for thread in running:
            thread.join(timeout_s)
            if thread.is_alive():
                log.warning("a command through %s was still running at shutdown", self.path)
