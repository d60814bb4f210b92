"""`/healthz` for load balancers and monitoring."""

from __future__ import annotations

from flask import Blueprint, jsonify

from app import database
from app.extensions import content

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 with the database status and the lessons loaded; 503 if the database is down."""
    reachable = database.is_reachable()
    body = {
        "status": "ok" if reachable else "unavailable",
        "database": "ok" if reachable else "unreachable",
        "lessons": sum(len(course.published_lessons) for course in content.catalogue.courses),
    }
    return jsonify(body), 200 if reachable else 503
