"""What learners see: the course page and the lessons."""

from flask import Blueprint

bp = Blueprint("learn", __name__)

from app.learn import views  # noqa: E402, F401  (views register themselves on bp)
