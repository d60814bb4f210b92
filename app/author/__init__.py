"""Trainer tools: preview and edit lessons (drafts too), reload, translations, item analysis."""

from flask import Blueprint

bp = Blueprint("author", __name__)

from app.author import cohorts, enrolment, lesson_editor, views, writing  # noqa: E402, F401  (views register)
