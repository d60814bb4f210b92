"""What learners see: the course page and the lessons."""

from flask import Blueprint

bp = Blueprint("learn", __name__)

# The session key under which a quiz's answers wait while their learner signs in again;
# signing in starts a fresh session, and carries this over.
KEPT_ANSWERS = "kept_quiz_answers"

from app.learn import certificate, views  # noqa: E402, F401  (views register themselves on bp)
