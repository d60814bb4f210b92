"""Certificates anyone can check: the public verification page, the course team's list of
who earned one (with revocation and correction), and what verifiers of the signed
credentials look up (the keys they are signed with, the issuer's profile)."""

from flask import Blueprint

bp = Blueprint("certificates", __name__)

from app.certificates import keys, views  # noqa: E402, F401  (views register themselves on bp)
