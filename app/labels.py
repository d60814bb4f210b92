"""Translated names for the data register's values that people read: legal bases and the
columns shown on "my data" pages. A test checks every registered column has one."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.content.register import LegalBasis
from app.models import Role

ROLES = {Role.LEARNER: _l("Learner"), Role.TRAINER: _l("Trainer"), Role.ADMIN: _l("Admin")}

LEGAL_BASES = {
    LegalBasis.CONTRACT: _l(
        "Providing the course you signed up for (GDPR Article 6(1)(b), contract)"
    ),
    LegalBasis.CONSENT: _l(
        "Your consent, which you can withdraw at any time (GDPR Article 6(1)(a))"
    ),
    LegalBasis.LEGITIMATE_INTERESTS: _l("Our legitimate interests (GDPR Article 6(1)(f))"),
    LegalBasis.LEGAL_OBLIGATION: _l(
        "Our legal obligation to be able to show how we handle your data (GDPR Article 6(1)(c))"
    ),
}

COLUMNS = {
    "id": _l("Record number"),
    "user_id": _l("Account number"),
    "email": _l("Email"),
    "display_name": _l("Name shown"),
    "password_hash": _l("Password hash"),
    "session_token": _l("Session key"),
    "state_version": _l("Data version"),
    "token_hash": _l("Reset link (hashed)"),
    "expires_at": _l("Expires"),
    "used_at": _l("Used"),
    "email_confirmed_at": _l("Email confirmed"),
    "role": _l("Role"),
    "is_active": _l("Active"),
    "created_at": _l("Created"),
    "last_active_at": _l("Last active"),
    "language": _l("Language"),
    "lesson_slug": _l("Lesson"),
    "notice_version": _l("Notice version"),
    "acknowledged_at": _l("Read on"),
    "started_at": _l("Started"),
    "completed_at": _l("Completed"),
    "number": _l("Attempt"),
    "submitted_at": _l("Submitted"),
    "points": _l("Points"),
    "max_points": _l("Out of"),
    "passed": _l("Passed"),
    "attempt_id": _l("Attempt record"),
    "question_id": _l("Question"),
    "selected": _l("Answer given"),
    "is_correct": _l("Right"),
    "purpose": _l("Optional use"),
    "granted": _l("Consent given"),
    "text_version": _l("Wording version"),
    "recorded_at": _l("Recorded"),
    "kind": _l("Event"),
    "ip_address": _l("Network address"),
    "occurred_at": _l("When"),
    "actor_id": _l("Administrator"),
    "action": _l("Action"),
    "subject_ref": _l("About"),
    "details": _l("Details"),
}
