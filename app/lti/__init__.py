"""The site as an LTI 1.3 tool: the login initiation and launch a learning platform sends
people through, and the addresses its course and lessons are added to the platform by."""

from flask import Blueprint

bp = Blueprint("lti", __name__)

from app.lti import views  # noqa: E402, F401  (views register themselves on bp)
