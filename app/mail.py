"""Sending email: by SMTP when MAIL_SERVER is set, else into the instance folder's outbox
(development), one .eml file per message. Addresses are never written to the logs.

Pages that send mail hand the whole job to this app's mail queue (`send_later`), which
starts it once the page's answer is made: an SMTP server never holds up a page, and a
page answers in the same time whether or not the job finds someone to write to."""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import smtplib
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from flask import (
    Flask,
    Response,
    after_this_request,
    appcontext_tearing_down,
    current_app,
    g,
    has_request_context,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _

from app.content import Course
from app.extensions import content
from app.files import create_private_file, make_private_folder
from app.models import User, utcnow

log = logging.getLogger(__name__)

# How long the development outbox keeps a message: long enough to follow a link sent
# during a week's work, short enough that people's names and addresses do not pile up.
OUTBOX_DAYS = 7

# One thread: mails go out in the order they were asked for, and a page is never what
# waits for them.
MAIL_THREADS = 1
# How long erasing waits for mail already queued, so none is written after it looked.
QUEUED_MAIL_WAIT_SECONDS = 10
# How long a page's mail waits at most for its answer to be closed. A server may keep an
# answer open long after sending it: Werkzeug's development server, before closing one,
# reads whatever the browser left on the connection, and a browser may leave it open for
# minutes. Its mail then goes this long after the answer, never later.
HELD_MAIL_SECONDS = 2.0


def send_mail(to: str, subject: str, body: str) -> None:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    # Mail servers and spam filters distrust a message without these two.
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=config["MAIL_FROM"].rpartition("@")[2].rstrip(">"))
    message.set_content(body)
    if config.get("MAIL_SERVER"):
        with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=30) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
        log.info("mail sent by SMTP")
        return
    outbox = outbox_folder()
    # The folder and its messages, names and addresses in them, for the owner only.
    make_private_folder(outbox)
    # Unique even for two messages in the same microsecond; written whole under another
    # name first, so that whoever reads the outbox never finds half a message.
    name = f"{utcnow():%Y%m%dT%H%M%S.%f}-{secrets.token_hex(4)}.eml"
    partial = outbox / f".{name}.part"
    with os.fdopen(create_private_file(partial), "wb") as file:
        file.write(bytes(message))
    os.replace(partial, outbox / name)
    log.info("mail written to the outbox (no MAIL_SERVER set)")


Job = tuple[Callable[..., None], tuple[Any, ...]]


class _MailQueue:
    """An app's mail jobs, run one after another in a thread of their own. A page's jobs
    are held until its answer has been sent (`hold`), the others start at once."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.pid = os.getpid()
        self.pool = ThreadPoolExecutor(max_workers=MAIL_THREADS, thread_name_prefix="mail")
        self.idle = threading.Condition()
        self.pending = 0
        self.held: list[list[Job]] = []

    def start(self, jobs: list[Job]) -> None:
        with self.idle:
            self.pending += len(jobs)
        self._submit(jobs)

    def hold(self, jobs: list[Job]) -> Callable[[], None]:
        """Keep `jobs` until the returned function is called, or HELD_MAIL_SECONDS have
        passed; `wait` starts them too."""
        with self.idle:
            self.pending += len(jobs)
            self.held.append(jobs)

        def release() -> None:
            deadline.cancel()
            with self.idle:
                if not any(batch is jobs for batch in self.held):
                    return  # started already
                self.held = [batch for batch in self.held if batch is not jobs]
            self._submit(jobs)

        deadline = threading.Timer(HELD_MAIL_SECONDS, release)
        deadline.daemon = True
        deadline.start()
        return release

    def _submit(self, jobs: list[Job]) -> None:
        for number, (job, args) in enumerate(jobs):
            try:
                self.pool.submit(self._run, job, args)
            except RuntimeError:  # the process is shutting down
                log.error("%d mail jobs dropped: the process is ending", len(jobs) - number)
                for _ in jobs[number:]:
                    self._done()
                return

    def _run(self, job: Callable[..., None], args: tuple[Any, ...]) -> None:
        try:
            with self.app.app_context():
                job(*args)
        except Exception as error:  # noqa: BLE001  (nobody is left to answer; logged)
            # The type and the place, never the message: an SMTP refusal names addresses.
            where = traceback.extract_tb(error.__traceback__)[-1]
            log.error(
                "a mail job failed: %s at %s:%d",
                type(error).__name__,
                Path(where.filename).name,
                where.lineno,
            )
        finally:
            self._done()

    def _done(self) -> None:
        with self.idle:
            self.pending -= 1
            self.idle.notify_all()

    def wait(self, timeout: float | None) -> bool:
        with self.idle:
            held, self.held = self.held, []
        for jobs in held:
            self._submit(jobs)
        with self.idle:
            return self.idle.wait_for(lambda: self.pending == 0, timeout)


_QUEUE = "aula.mail_queue"
_queue_lock = threading.Lock()
# The jobs asked for in this app context, not yet handed to the queue.
_LATER = "_aula_mail_jobs"


def _queue(app: Flask) -> _MailQueue:
    with _queue_lock:
        queue = app.extensions.get(_QUEUE)
        # Made at first use, in the process that uses it: a server that forks its workers
        # after loading the app would leave them a queue without its thread.
        if queue is None or queue.pid != os.getpid():
            queue = app.extensions[_QUEUE] = _MailQueue(app)
        return queue


def send_later(job: Callable[..., None], *args: Any) -> None:
    """Run `job(*args)` in an app context of its own once this request's answer has been
    sent (the server closes it), so that nothing the job does, or does not, weighs on the
    answer; outside a request, once this app context ends. The job has no request: what
    it needs from one (the language, the site's addresses) comes in its arguments. A job
    that fails is logged, without its message."""
    jobs = g.get(_LATER)
    if jobs is None:
        jobs = []
        setattr(g, _LATER, jobs)
        if has_request_context():
            after_this_request(_start_once_sent)
    jobs.append((job, args))


def _start_once_sent(response: Response) -> Response:
    jobs = g.pop(_LATER, None)
    if jobs:
        response.call_on_close(_queue(current_app._get_current_object()).hold(jobs))
    return response


@appcontext_tearing_down.connect
def _start_the_rest(app: Flask, **_extra: Any) -> None:
    jobs = g.pop(_LATER, None)
    if jobs:
        _queue(app).start(jobs)


def wait_for_mail(app: Flask | None = None, timeout: float | None = None) -> bool:
    """Run every mail job asked for so far, those of answers not yet sent (or never closed,
    as by a test client) included, and wait until they are done: tests read the outbox
    after this. False if `timeout` seconds passed first."""
    app = app or current_app._get_current_object()
    queue = app.extensions.get(_QUEUE)
    return queue is None or queue.wait(timeout)


def external_links() -> Callable[..., str]:
    """Builds this site's full addresses as this request sees them (host, scheme, prefix),
    also once the request is over: for a mail job, whose links point at the same site."""
    adapter = current_app.create_url_adapter(request)

    def link(endpoint: str, **values: Any) -> str:
        return adapter.build(endpoint, values, force_external=True)

    return link


def outbox_folder(app: Flask | None = None) -> Path:
    """Where mail goes without MAIL_SERVER: the app's instance folder's outbox."""
    return Path((app or current_app).instance_path) / "outbox"


def _outbox_mails() -> list[Path]:
    outbox = outbox_folder()
    return sorted(outbox.glob("*.eml")) if outbox.is_dir() else []


def forget_mail_to(address: str) -> int:
    """Delete the outbox's messages to `address` (compared without case, as accounts are),
    those still queued included; return how many. Found by their To and Cc headers: the
    file names say nothing about whom they were for."""
    if not current_app.config.get("MAIL_SERVER"):
        wait_for_mail(timeout=QUEUED_MAIL_WAIT_SECONDS)
    wanted = address.strip().lower()
    deleted = 0
    for path in _outbox_mails():
        if _addressed_to(path, wanted):
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted


def _addressed_to(path: Path, address: str) -> bool:
    raw = path.read_bytes()
    try:
        message = BytesParser(policy=default_policy).parsebytes(raw, headersonly=True)
        return any(
            found.addr_spec.strip().lower() == address
            for name in ("To", "Cc")
            for header in message.get_all(name, [])
            for found in header.addresses
        )
    except Exception:  # noqa: BLE001  (a message we cannot read may still name the person)
        return address.encode() in raw.lower()


def purge_outbox(*, dry_run: bool, now: dt.datetime | None = None) -> int:
    """Delete the outbox's messages older than OUTBOX_DAYS, by their Date header (or, in a
    message without one, when the file was written); return how many."""
    cutoff = (now or utcnow()) - dt.timedelta(days=OUTBOX_DAYS)
    expired = [path for path in _outbox_mails() if _written_at(path) < cutoff]
    if not dry_run:
        for path in expired:
            path.unlink(missing_ok=True)
    return len(expired)


def _written_at(path: Path) -> dt.datetime:
    with path.open("rb") as file:
        date = BytesParser(policy=default_policy).parse(file, headersonly=True)["Date"]
    written = getattr(date, "datetime", None)
    if written is None or written.tzinfo is None:
        return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
    return written


def outbox_exists() -> bool:
    return outbox_folder().is_dir()


def send_course_mail(language: str, to: str, subject: str, body: str) -> None:
    """An email that says which site it comes from, in its subject and signature."""
    site = content.catalogue.name(language)
    send_mail(to, f"{subject} · {site}", f"{body}\n\n{site}")


def tell_of_change(user: User, language: str, subject, what_happened) -> None:
    """A note to the account's address after a change to how it signs in (ASVS 2.2.3), so
    that an owner who did not make it hears of it. `subject` and `what_happened` are lazy
    texts, written in `language`: the owner's, whoever made the change."""
    with force_locale(language):
        body = _(
            "Hello %(name)s,\n\n%(what)s\n\nIf it was not you, choose a new password at "
            "once (%(forgot)s) and tell the course team.",
            name=user.display_name,
            what=str(what_happened),
            forgot=url_for("account.forgot_password", lang=language, _external=True),
        )
        send_later(send_course_mail, language, user.email, str(subject), body)


def send_invitation(
    course: Course,
    cohort: str,
    language: str,
    to: str,
    name: str | None,
    links: tuple[str, str],
    days: int,
) -> None:
    """The invitation to join a cohort of `course`, mailed to an address without an account
    yet, in `language`, with its link and the privacy notice's; signed with the course's
    title, which it is about."""
    link, notice = links
    title = course.text(course.title, language)
    with force_locale(language):
        subject = _("Your invitation to join “%(cohort)s”", cohort=cohort)
        greeting = _("Hello %(name)s,", name=name) if name else _("Hello,")
        body = _(
            "You are invited to take part in the course “%(course)s” in the group "
            "“%(cohort)s”. To accept, open this link within %(days)d days, and create your "
            "account with this address (or sign in, if you already have one):\n\n%(link)s"
            "\n\nIf you do not want to take part, ignore this message: the invitation will "
            "expire.",
            course=title,
            cohort=cohort,
            days=days,
            link=link,
        )
        # The address came from the course team, not from the person: GDPR Art. 14 has
        # them told where it came from and how it is used.
        source = _(
            "The course team at %(organisation)s gave us your address to invite you. We keep"
            " it, with your name and language if they gave them, until you accept or the"
            " invitation lapses. How we use it: %(privacy)s",
            organisation=course.text(course.organisation, language) or title,
            privacy=notice,
        )
    send_mail(to, f"{subject} · {title}", f"{greeting}\n\n{body}\n\n{source}\n\n{title}")
