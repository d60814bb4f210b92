"""Trainer tools: preview every lesson (drafts too), reload, translation status, item analysis."""

from flask import Blueprint

bp = Blueprint("author", __name__)

from app.author import cohorts, enrolment, views  # noqa: E402, F401  (views register on bp)
