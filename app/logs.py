"""What the logs may say about a request: never the secret of an emailed link, never a
client's full network address.

The links emailed to confirm an address or choose a password carry their secret in the
path (`/<lang>/password/reset/<token>`); whoever reads the log could use one that is still
valid. Flask logs the path of a request that fails ("Exception on /en/password/reset/…"),
gunicorn the address of a request it cannot read and the path of one that fails, and the
development server every request line. A filter rewrites each such record before any
handler writes it: the secret becomes `[token]`, an address its network (IPv4 /24, IPv6
/48, as security events keep it).

Requests themselves are logged by nginx alone (deploy/nginx.conf), the same way; gunicorn
writes no access log (deploy/aula.service)."""

from __future__ import annotations

import ipaddress
import logging
import re

from flask import Flask
from werkzeug.routing import Map

from app.services.accounts import shortened_address

# What stands in the logs, nginx's included, for the secret of an emailed link.
REDACTED = "[token]"

# An IPv6 address (a zone and an IPv4 ending allowed), or an IPv4 one, standing alone: not
# part of a longer word, number or version string. Times ("10:30:45") match too, and are
# left as they are: they are not addresses.
_ADDRESS = re.compile(
    r"(?<![\w:.%])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?"
    r"(?:%[\w.-]+)?(?![\w:])"
    r"|(?<![\w.:])(?:\d{1,3}\.){3}\d{1,3}(?!\.?\w)"
)


def token_path_prefixes(url_map: Map) -> set[str]:
    """The fixed text before `<token>` in each route that has one, such as
    "/password/reset/": what is read as the secret follows it up to the next / ? # or
    space."""
    prefixes = set()
    for rule in url_map.iter_rules():
        before, found, _after = rule.rule.partition("<token>")
        if found:
            prefixes.add(before.rpartition(">")[2])
    return prefixes


def _shortened(found: re.Match[str]) -> str:
    text = found.group()
    # An address followed by a colon ("ip=2001:db8::7: Invalid request") is found with it.
    after = ":" if text.endswith(":") and not text.endswith("::") else ""
    try:
        address = ipaddress.ip_address(text.removesuffix(after))
    except ValueError:
        return text
    # The server's own loopback names nobody ("Listening at: http://127.0.0.1:8000").
    if address.is_loopback:
        return text
    return f"{shortened_address(str(address))}{after}"


class Redacting(logging.Filter):
    """Rewrites a record's message, traceback and stack without link secrets or full
    addresses; lets every record through."""

    def __init__(self) -> None:
        super().__init__()
        self._tokens: re.Pattern[str] | None = None
        self._prefixes: set[str] = set()

    def cover(self, prefixes: set[str]) -> None:
        """Also redact what follows these path prefixes (see `token_path_prefixes`)."""
        if prefixes <= self._prefixes:
            return
        self._prefixes |= prefixes
        choices = "|".join(re.escape(prefix) for prefix in sorted(self._prefixes))
        self._tokens = re.compile(rf"((?:{choices}))[^/?#\s\"'<>\[\]]+")

    def redact(self, text: str) -> str:
        if self._tokens is not None:
            text = self._tokens.sub(rf"\g<1>{REDACTED}", text)
        return _ADDRESS.sub(_shortened, text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001  (a log call whose arguments do not fit its text)
            # A handler would write the arguments as they are, in its error report.
            message, record.args = str(record.msg), ()
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        if record.exc_info and not record.exc_text:
            # Formatters write the cached text rather than format the exception again.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


# One for the process: loggers are the process's, whichever app logs through them.
REDACTING = Redacting()

# Loggers outside the app that write requests' paths or addresses: the development
# server's request lines, and gunicorn's (its errors; its access log, should it be on).
SERVER_LOGGERS = ("werkzeug", "gunicorn.error", "gunicorn.access")


def init_app(app: Flask) -> None:
    """Put the filter on the app's logger and its handlers, on its modules' loggers and on
    the servers'. A filter on a logger sees only the records logged to that very logger,
    not those its children pass up: each module's logger (app.errors, app.mail…, made when
    the module is imported, which create_app has done by now) gets it too, and so do the
    app logger's handlers, through which a module's records go out in production."""
    REDACTING.cover(token_path_prefixes(app.url_map))
    loggers = [app.logger, *(logging.getLogger(name) for name in SERVER_LOGGERS)]
    loggers.extend(
        logger
        for name, logger in list(logging.Logger.manager.loggerDict.items())
        if name.startswith(f"{app.logger.name}.") and isinstance(logger, logging.Logger)
    )
    for logger in loggers:
        logger.addFilter(REDACTING)
    for handler in app.logger.handlers:
        handler.addFilter(REDACTING)
