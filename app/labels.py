"""Translated names for the data register's values that people read: legal bases, the
columns stored but never shown, and the stored codes shown on "my data" pages. A test checks
every hidden column has one."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.content.model import AnswerReview, Grading
from app.content.register import LegalBasis
from app.models import Role, TokenPurpose
from app.services.accounts import SecurityEventKind
from app.services.xapi import NOT_VOIDED

# How a quiz's grade is made, as its learners are told.
GRADINGS = {
    Grading.HIGHEST: _l("your best attempt counts"),
    Grading.LAST: _l("your last attempt counts"),
    Grading.FIRST: _l("your first attempt counts"),
    Grading.AVERAGE: _l("the average of your attempts counts"),
}

# When a quiz shows its right answers, as its trainers are told.
ANSWER_REVIEWS = {
    AnswerReview.ALWAYS: _l("after every attempt"),
    AnswerReview.WHEN_DONE: _l("once passed, or once no attempts are left"),
    AnswerReview.NEVER: _l("never"),
}

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

# What is stored but never shown, as the data page names it (its values are secrets, or
# hashes of them): the register's `hidden` columns.
WITHHELD = {
    "password_hash": _l("Password hash"),
    "session_token": _l("Session key"),
    "state_version": _l("Data version"),
    "token_hash": _l("Emailed link (hashed)"),
    "two_step_secret": _l("Authenticator app key"),
    "two_step_last_step": _l("Last authenticator code used"),
    "code_hash": _l("Recovery code (hashed)"),
    "data": _l("Text or picture of a lesson version"),
    "digest": _l("Fingerprint of a lesson version"),
}

# What the course team did, by the audit log's `action`.
AUDIT_ACTIONS = {
    "export": _l("Data exported at the person's request"),
    "erase": _l("Account erased at the person's request"),
    "create": _l("Account created by the course team"),
    "link sent again": _l("Link to confirm the address sent again"),
    "another attempt": _l("Another quiz attempt allowed"),
    "role": _l("Role changed"),
    "deactivate": _l("Account deactivated"),
    "reactivate": _l("Account reactivated"),
    "report": _l("Report downloaded"),
    "objected": _l("The person objected to being counted in the course figures"),
    "objection withdrawn": _l("The person withdrew their objection to the course figures"),
    "restricted": _l("Use of the data restricted"),
    "restriction lift announced": _l(
        "The person told the restriction of their data is to be lifted"
    ),
    "restriction lifted": _l("Restriction of the data lifted"),
    "remove two-step": _l("Two-step sign-in removed (phone and recovery codes lost)"),
    "breach recorded": _l("Breach recorded in the register"),
    "breach updated": _l("Breach record changed"),
    "name corrected": _l("Name corrected"),
    "email corrected": _l("Email address corrected: a link to confirm it sent to the new address"),
    "cohort created": _l("Cohort created"),
    "cohort changed": _l("Cohort changed"),
    "cohort deleted": _l("Cohort deleted, with its memberships and invitations"),
    "join code replaced": _l("Cohort’s invitation link replaced"),
    "member moved": _l("Moved to another cohort of the course"),
    "member removed": _l("Removed from a cohort"),
    "learners enrolled": _l("Learners enrolled in a cohort from a list"),
    "certificate revoked": _l("Certificate revoked"),
    "certificate reissued": _l("Certificate reissued with a correction"),
    NOT_VOIDED: _l(
        "Statements sent to a learning record store not voided at erasure: none is configured"
        " any more"
    ),
}

# Codes stored in a column, as a learner reads them.
STORED_CODES = {
    ("audit_log", "action"): AUDIT_ACTIONS,
    ("security_events", "kind"): {
        SecurityEventKind.ACCOUNT_CREATED: _l("Account created"),
        SecurityEventKind.SIGNED_IN: _l("Signed in"),
        SecurityEventKind.SIGN_IN_FAILED: _l("Failed sign-in"),
        SecurityEventKind.SIGNED_OUT: _l("Signed out"),
        SecurityEventKind.PASSWORD_RESET: _l("Password changed with an emailed link"),
        SecurityEventKind.PASSWORD_CHANGED: _l("Password changed"),
        SecurityEventKind.LOCKED_OUT: _l("Sign-in paused after too many failed tries"),
        SecurityEventKind.SECOND_STEP_FAILED: _l("Wrong two-step sign-in code"),
        SecurityEventKind.RECOVERY_CODE_USED: _l("Signed in with a recovery code"),
        SecurityEventKind.TWO_STEP_ENABLED: _l("Two-step sign-in turned on"),
        SecurityEventKind.TWO_STEP_DISABLED: _l("Two-step sign-in turned off"),
        SecurityEventKind.TWO_STEP_RESET: _l("Two-step sign-in removed by an administrator"),
        SecurityEventKind.RECOVERY_CODES_RENEWED: _l("New recovery codes made"),
        SecurityEventKind.EMAIL_CHANGED: _l("Email address changed"),
        SecurityEventKind.SESSION_ENDED: _l("Signed out of another browser"),
        SecurityEventKind.ROLE_CHANGED: _l("Role changed"),
    },
    ("password_reset_tokens", "purpose"): {
        TokenPurpose.CONFIRM_EMAIL: _l("Confirming your email address"),
        TokenPurpose.RESET_PASSWORD: _l("Choosing a new password"),
        TokenPurpose.CHANGE_EMAIL: _l("Confirming a new email address"),
    },
}

# The report filters, as the dashboard's form names them.
FILTERS = {
    "course": _l("Course"),
    "cohort": _l("Cohort"),
    "language": _l("Language"),
    "role": _l("Role"),
    "registered_from": _l("Registered from"),
    "registered_to": _l("Registered until"),
}

# The reports' on/off switches, as an error about one names it.
SWITCHES = {
    "pseudonymise": _l("Pseudonyms instead of names"),
    "bom": _l("Byte order mark for Excel"),
}

# The audit log's names for the reports (as stored in its `subject_ref`).
REPORTS = {
    "progress report": _l("Progress report"),
    "summary report": _l("Summary report"),
    "breach register": _l("Breach register"),
}
