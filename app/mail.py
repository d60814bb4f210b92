"""Sending email: by SMTP when MAIL_SERVER is set, else into the instance folder's outbox
(development), one .eml file per message. Addresses are never written to the logs."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from flask import current_app

from app.models import utcnow

log = logging.getLogger(__name__)


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
    outbox = Path(current_app.instance_path) / "outbox"
    outbox.mkdir(exist_ok=True)
    name = utcnow().strftime("%Y%m%dT%H%M%S.%f") + ".eml"
    (outbox / name).write_bytes(bytes(message))
    log.info("mail written to the outbox (no MAIL_SERVER set)")
