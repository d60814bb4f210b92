"""What admins see: the record of processing and privacy requests."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from app.admin import accounts, breaches, cohorts, corrections, lti, views  # noqa: E402, F401  (views register themselves on bp)
