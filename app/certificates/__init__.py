"""Certificates of completion, and what anyone needs to verify them: the keys they are
signed with and the issuer's profile."""

from flask import Blueprint

bp = Blueprint("certificates", __name__)

from app.certificates import keys  # noqa: E402, F401
