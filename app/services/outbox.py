"""The outbox: messages for outside services (a learning record store, an institution's
platform), queued in the database in the same transaction as what they report, then sent
by whichever host gets to them first.

A partner that is down or slow never loses a message and never holds up a page: the page
only adds a row. Delivery happens after the commit, in a thread of the process that made
the message, and again from `flask outbox work`, which retries what failed with a growing
delay. A lease in the row (`claimed_until`) keeps two hosts from sending one message at
the same time; the key given to `enqueue` keeps one event from being queued twice."""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import logging
import socket
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from sqlalchemy.orm import Session

from app.database import insert_unless_present
from app.extensions import db
from app.models import OutboxMessage, utcnow

log = logging.getLogger(__name__)

FIRST_RETRY = dt.timedelta(seconds=30)
LONGEST_RETRY = dt.timedelta(hours=1)
# Longer than any sender may take (`request_within`): a host that dies while sending lets
# another take the message once this has passed.
LEASE = dt.timedelta(minutes=2)
# The most one message's sending may take, its partner's answers whole: well within the
# lease, after which another host would send it again.
SEND_DEADLINE = 60
# The session's note that its transaction queued something, read when it commits.
QUEUED = "outbox_queued"

Sender = Callable[[OutboxMessage], None]


class DeliveryFailed(Exception):
    """The partner did not take the message. `retry` is False for a refusal that sending
    it again cannot mend (the partner found it malformed): it is then kept, marked failed,
    for an admin to look at."""

    def __init__(self, reason: str, *, retry: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry


class TooSlow(DeliveryFailed):
    """The partner's answer did not come whole before the sender's deadline."""

    def __init__(self) -> None:
        super().__init__("no whole answer before the deadline")


def request_within(
    method: str,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    deadline: float,
    read_timeout: float,
) -> tuple[int, bytes]:
    """Send a request to a partner: its answer's status and body, by `deadline` (a
    time.monotonic() value) or never. Raises TooSlow at the deadline, OSError when the
    partner cannot be reached."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TooSlow
    parts = urlsplit(url)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = kind(parts.hostname or "", parts.port, timeout=min(read_timeout, remaining))
    try:
        connection.connect()
        # A timeout bounds each read, not the whole answer, which a partner may give a
        # little at a time: the connection is cut at the deadline, whatever it is doing.
        cut = threading.Timer(max(deadline - time.monotonic(), 0), _cut, (connection.sock,))
        cut.start()
        try:
            path = urlunsplit(("", "", parts.path or "/", parts.query, ""))
            connection.request(method, path, body, dict(headers))
            response = connection.getresponse()
            answer = response.status, response.read()
        finally:
            cut.cancel()
    except (OSError, http.client.HTTPException):
        if time.monotonic() >= deadline:
            raise TooSlow from None
        raise
    finally:
        connection.close()
    if time.monotonic() >= deadline:
        # Cut off: what was read may be only the start of the answer.
        raise TooSlow
    return answer


def _cut(sock: socket.socket) -> None:
    # Closed meanwhile, perhaps: then there is nothing left to cut.
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


@dataclass(slots=True)
class DeliveryCounts:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def enqueue(
    session: Session, *, kind: str, key: str, payload: dict, user_id: int | None = None
) -> None:
    """Queue a message in the caller's transaction: it is sent only if that commits, and
    it is lost with nothing that did. A message with a `key` already queued is left out."""
    now = utcnow()
    insert_unless_present(
        session,
        OutboxMessage,
        {
            "kind": kind,
            "key": key,
            "payload": payload,
            "user_id": user_id,
            "created_at": now,
            "attempts": 0,
            "next_attempt_at": now,
        },
        ["key"],
    )
    session.info[QUEUED] = True


def register_sender(app: Flask, kind: str, send: Sender) -> None:
    """Have `send` deliver the messages of `kind`. It runs in an application context,
    with the message detached from any session, and raises DeliveryFailed (or anything
    else, which is retried) when the partner did not take it."""
    app.extensions.setdefault("outbox_senders", {})[kind] = send


def retry_delay(attempts: int) -> dt.timedelta:
    """How long to wait after the `attempts`-th failed try: 30 s, doubling, at most an hour."""
    return min(FIRST_RETRY * 2 ** min(attempts - 1, 20), LONGEST_RETRY)


def _waiting() -> sa.ColumnElement[bool]:
    return sa.and_(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None))


def _claim(session: Session, message_id: int, now: dt.datetime) -> bool:
    """Take the message for this host for a while, unless another host has it."""
    claimed = session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            _waiting(),
            sa.or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
        )
        .values(claimed_until=now + LEASE)
    )
    session.commit()
    return claimed.rowcount == 1


def _record(session: Session, message: OutboxMessage, **values) -> None:
    session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message.id)
        .values(attempts=message.attempts + 1, claimed_until=None, **values)
    )
    session.commit()


def deliver_due(app: Flask, *, limit: int = 100) -> DeliveryCounts:
    """Send the messages that are due, oldest first, at most `limit` of them."""
    counts = DeliveryCounts()
    with app.app_context():
        session = db.session
        now = utcnow()
        due = session.scalars(
            sa.select(OutboxMessage.id)
            .where(
                _waiting(),
                OutboxMessage.next_attempt_at <= now,
                sa.or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        ).all()
        senders: dict[str, Sender] = app.extensions.get("outbox_senders", {})
        for message_id in due:
            if not _claim(session, message_id, utcnow()):
                continue
            message = session.get(OutboxMessage, message_id)
            if message is None:  # its person erased their account meanwhile
                continue
            session.expunge(message)
            session.commit()
            _deliver(session, message, senders.get(message.kind), counts)
    return counts


def _deliver(
    session: Session, message: OutboxMessage, send: Sender | None, counts: DeliveryCounts
) -> None:
    try:
        if send is None:
            # A host set up without this partner: one that has it will send the message.
            raise DeliveryFailed(f"no sender for {message.kind!r} on this host")
        send(message)
    except DeliveryFailed as refusal:
        session.rollback()
        _failed(session, message, refusal.reason, retry=refusal.retry, counts=counts)
    except Exception as error:
        session.rollback()
        reason = f"{type(error).__name__}: {error}"
        _failed(session, message, reason, retry=True, counts=counts)
    else:
        _record(session, message, sent_at=utcnow(), last_error=None)
        counts.sent += 1


def _failed(
    session: Session,
    message: OutboxMessage,
    reason: str,
    *,
    retry: bool,
    counts: DeliveryCounts,
) -> None:
    log.warning("outbox message %d (%s) not delivered: %s", message.id, message.kind, reason)
    if retry:
        next_attempt = utcnow() + retry_delay(message.attempts + 1)
        _record(session, message, next_attempt_at=next_attempt, last_error=reason[:2000])
        counts.retrying += 1
    else:
        _record(session, message, failed_at=utcnow(), last_error=reason[:2000])
        counts.failed += 1


def make_due(session: Session) -> int:
    """Have every waiting message tried at the next delivery, whatever its delay; commits.
    How many are waiting."""
    result = session.execute(
        sa.update(OutboxMessage).where(_waiting()).values(next_attempt_at=utcnow())
    )
    session.commit()
    return result.rowcount


def retry_failed(session: Session) -> int:
    """Give the messages marked failed another try (after the admin mended the cause);
    commits. How many there were."""
    result = session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.failed_at.is_not(None), OutboxMessage.sent_at.is_(None))
        .values(failed_at=None, next_attempt_at=utcnow())
    )
    session.commit()
    return result.rowcount


@dataclass(frozen=True, slots=True)
class KindStatus:
    kind: str
    waiting: int
    failed: int
    sent: int
    oldest_waiting: dt.datetime | None


def status(session: Session) -> list[KindStatus]:
    """Per kind of message: how many wait, failed and were sent, and since when the oldest
    waiting one waits."""
    waiting = sa.and_(_waiting())
    rows = session.execute(
        sa.select(
            OutboxMessage.kind,
            sa.func.count().filter(waiting),
            sa.func.count().filter(OutboxMessage.failed_at.is_not(None)),
            sa.func.count().filter(OutboxMessage.sent_at.is_not(None)),
            sa.func.min(OutboxMessage.created_at).filter(waiting),
        )
        .group_by(OutboxMessage.kind)
        .order_by(OutboxMessage.kind)
    ).all()
    return [KindStatus(*row) for row in rows]


class _Deliverer:
    """One thread per process delivering after commits. A commit while it is busy asks for
    one more pass, not one per commit."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox")
        self.lock = threading.Lock()
        self.pass_asked = False

    def ask(self, app: Flask) -> None:
        with self.lock:
            if self.pass_asked:
                return
            self.pass_asked = True
        self.pool.submit(self._run, app)

    def _run(self, app: Flask) -> None:
        with self.lock:
            self.pass_asked = False
        try:
            deliver_due(app)
        except Exception:
            # The worker (`flask outbox work`) will try again; the messages are safe.
            log.exception("outbox delivery after a commit failed")


def wait_for_deliveries(app: Flask) -> None:
    """Wait until the deliveries started after commits are over (before closing the
    database's connections)."""
    deliverer = app.extensions.get("outbox_deliverer")
    if deliverer is not None:
        deliverer.pool.submit(lambda: None).result()


def init_app(app: Flask) -> None:
    """Deliver what a commit queued, in the background, where OUTBOX_IN_BACKGROUND is on."""
    if app.config.get("OUTBOX_IN_BACKGROUND", True):
        app.extensions["outbox_deliverer"] = _Deliverer()
    if not sa.event.contains(Session, "after_commit", _after_commit):
        sa.event.listen(Session, "after_commit", _after_commit)
        sa.event.listen(Session, "after_rollback", _after_rollback)


def _after_rollback(session: Session) -> None:
    session.info.pop(QUEUED, None)


def _after_commit(session: Session) -> None:
    if not session.info.pop(QUEUED, False) or not has_app_context():
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    deliverer = app.extensions.get("outbox_deliverer")
    if deliverer is not None:
        deliverer.ask(app)
