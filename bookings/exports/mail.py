"""Email: the "your file is ready" message, sent by SMTP or kept in an outbox folder.

SMTP comes from environment variables (README, Configuration):
BOOKINGS_SMTP_HOST, _PORT, _USER, _PASSWORD, _TLS (none | starttls | ssl) and
BOOKINGS_MAIL_FROM. Without BOOKINGS_SMTP_HOST no mail leaves the machine:
each message is written as an .eml file into `outbox/` next to the store, where
a person (or a test) can open it, and the Data log page shows its link.
Standard library only: `email` builds the message, `smtplib` sends it.
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from email.utils import getaddresses, make_msgid, parseaddr
from pathlib import Path

from bookings.store import write_private

TLS_MODES = ("none", "starttls", "ssl")
DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}
DEFAULT_SENDER = "Bookings Overview <bookings@localhost>"
TIMEOUT_S = 30


class MailError(Exception):
    """The message could not be sent; the message says why."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str = ""
    password: str = ""
    tls: str = "none"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmtpSettings | None:
        """The SMTP server of the environment, or None (then the outbox folder is used)."""
        env = os.environ if env is None else env
        host = env.get("BOOKINGS_SMTP_HOST", "").strip()
        if not host:
            return None
        tls = env.get("BOOKINGS_SMTP_TLS", "none").strip().lower() or "none"
        if tls not in TLS_MODES:
            raise MailError(f"BOOKINGS_SMTP_TLS must be one of {', '.join(TLS_MODES)}, "
                            f"not {tls!r}.")
        port_text = env.get("BOOKINGS_SMTP_PORT", "").strip()
        if port_text and not port_text.isdigit():
            raise MailError(f"BOOKINGS_SMTP_PORT must be a number, not {port_text!r}.")
        return cls(host=host, port=int(port_text) if port_text else DEFAULT_PORTS[tls],
                   user=env.get("BOOKINGS_SMTP_USER", ""),
                   password=env.get("BOOKINGS_SMTP_PASSWORD", ""), tls=tls)


def single_address(text: str | None) -> str:
    """TEXT as exactly one plain email address (`kate@salon.example`), else ValueError.

    The one check for every address a person types: `export --email`, a user's
    email in Settings (page and `users add --email`). A list (`a@x, b@y`), a
    display name (`Kate <kate@x>`, `"a@x, b@y" <c@z>`) or anything without a local
    part, an @ and a domain is refused, in words: each would mail someone else too,
    or no one.
    """
    text = (text or "").strip()
    example = "like kate@salon.example"
    if not text:
        raise ValueError(f"No email address given: type one, {example}.")
    addresses = [address for _, address in getaddresses([text]) if address]
    if len(addresses) > 1 or any(sep in text for sep in ",;") or (
            text.count("@") > 1 and any(ch.isspace() for ch in text)):
        raise ValueError(f"{text!r} is more than one email address: give exactly one, "
                         f"{example}.")
    name, address = parseaddr(text)
    if name or "<" in text or ">" in text:
        raise ValueError(f"{text!r}: give the email address alone, {example}, "
                         "without a name or <...>.")
    local, _, domain = address.rpartition("@")
    labels = domain.split(".")
    if (address != text or not local or not domain or "@" in local or '"' in address
            or "\\" in address
            or any(ch.isspace() or not ch.isprintable() for ch in address)
            or not all(labels)):
        raise ValueError(f"{text!r} is not an email address: it needs a name before "
                         f"the @ and a domain after it, without spaces, {example}.")
    return address


def sender(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return env.get("BOOKINGS_MAIL_FROM", "").strip() or DEFAULT_SENDER


def outbox_dir(store_dir: Path) -> Path:
    return Path(store_dir) / "outbox"


def compose(*, to: str, subject: str, body: str, env: Mapping[str, str] | None = None
            ) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender(env)
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="bookings.local")
    message.set_content(body)
    return message


def deliver(message: EmailMessage, *, store_dir: Path, name: str,
            env: Mapping[str, str] | None = None) -> str:
    """Send by SMTP when configured, else keep it in the outbox; says where it went.

    NAME starts the outbox file's name (e.g. "export-9"), so it can be found again.
    """
    settings = SmtpSettings.from_env(env)
    if settings is None:
        return str(_to_outbox(message, outbox_dir(store_dir), name))
    try:
        _send(message, settings)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"{settings.host}:{settings.port} refused or did not answer: "
                        f"{exc}") from exc
    return f"smtp {settings.host}:{settings.port}"


def _send(message: EmailMessage, settings: SmtpSettings) -> None:
    context = ssl.create_default_context()
    if settings.tls == "ssl":
        client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=TIMEOUT_S,
                                  context=context)
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_S)
    with client:
        if settings.tls == "starttls":
            client.starttls(context=context)
        if settings.user:
            client.login(settings.user, settings.password)
        client.send_message(message)


def _to_outbox(message: EmailMessage, folder: Path, name: str) -> Path:
    """Write the message whole, 0600 in a 0700 folder (it holds a live link); never
    half a file."""
    path = folder / f"{name}-{datetime.now():%Y%m%d-%H%M%S-%f}.eml"
    return write_private(path, bytes(message))


def outbox_messages(store_dir: Path, name: str) -> list[EmailMessage]:
    """The outbox's messages whose file name starts with NAME, oldest first."""
    folder = outbox_dir(store_dir)
    if not folder.is_dir():
        return []
    parser = BytesParser(policy=default_policy)
    return [parser.parsebytes(path.read_bytes())
            for path in sorted(folder.glob(f"{name}-*.eml"))]


def links_in(message: EmailMessage) -> list[str]:
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    return re.findall(r"https?://\S+/download/[A-Za-z0-9_-]+", text)
